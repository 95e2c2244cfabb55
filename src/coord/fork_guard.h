// ForkGuard: tells whether the process forked since a Database was opened.
//
// After fork() the child has a copy of the Database object but none of its threads (no writer,
// no checkpointer) and shares the parent's SQLite file descriptors: using it would hang, and
// closing it could disturb the parent's locks. A Database therefore records the fork generation
// at open and refuses use in a child (Error InvalidArgument), and its destructor in a child
// releases nothing but memory-free handles — open a new Database in the child instead.
//
// Thread-safety: lock-free; the counter is bumped by a pthread_atfork child handler.
#pragma once

#include <cstdint>

namespace sluice::coord {

// How many fork()s lie between this process and the one the library was loaded in (0 there,
// 1 in its child, ...). Cheap: one relaxed atomic load.
std::uint64_t fork_generation() noexcept;

}  // namespace sluice::coord
