// Clang's thread-safety analysis (clang.llvm.org/docs/ThreadSafetyAnalysis.html), as LevelDB's
// port/thread_annotations.h: members say which mutex guards them and functions which mutex they
// need, and a clang build (-Wthread-safety, on in every clang build of this repository, e.g.
// `make fuzz`) fails when code touches a guarded member without holding its mutex. Under GCC
// the macros expand to nothing.
#pragma once

#if defined(__clang__)
#define SLUICE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SLUICE_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (a capability).
#define CAPABILITY(x) SLUICE_THREAD_ANNOTATION(capability(x))
// An RAII type that holds a capability for its lifetime.
#define SCOPED_CAPABILITY SLUICE_THREAD_ANNOTATION(scoped_lockable)
// A member read or written only while holding `x`.
#define GUARDED_BY(x) SLUICE_THREAD_ANNOTATION(guarded_by(x))
// A pointer member whose pointee is guarded by `x`.
#define PT_GUARDED_BY(x) SLUICE_THREAD_ANNOTATION(pt_guarded_by(x))
// A function the caller must call holding the given capabilities.
#define REQUIRES(...) SLUICE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// A function the caller must call without holding them (it takes them itself).
#define EXCLUDES(...) SLUICE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// A function that acquires / releases the given capabilities (none: `this`).
#define ACQUIRE(...) SLUICE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SLUICE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// A function that returns a reference to the given capability.
#define RETURN_CAPABILITY(x) SLUICE_THREAD_ANNOTATION(lock_returned(x))
// Opts a function out of the analysis (say why where it is used).
#define NO_THREAD_SAFETY_ANALYSIS SLUICE_THREAD_ANNOTATION(no_thread_safety_analysis)
