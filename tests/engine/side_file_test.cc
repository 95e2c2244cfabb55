// SideFile: attaching claims a slot and detaching frees it; dead processes' slots are reaped;
// a side file from another layout is refused while a process is attached; transient state, locks
// and slots are rebuilt when nobody is attached (the dead-man switch).
#include "coord/side_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/temp_dir.h"
#include "coord/robust_mutex.h"
#include "coord/side_file_layout.h"
#include "coord/writer_lock.h"
#include "sluice/error.h"
#include "sluice/processes.h"

namespace sluice::coord {
namespace {

using testing::TempDir;

TEST(SideFile, EachAttachmentHasItsOwnSlotUntilItDetaches) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  EXPECT_FALSE(read_side_file(db).present);
  auto first = SideFile::attach(db);
  auto second = SideFile::attach(db);
  ASSERT_NE(first->slot(), nullptr);
  ASSERT_NE(second->slot(), nullptr);
  EXPECT_NE(first->slot(), second->slot());
  first->slot()->commits.store(42);
  SideFileState s = read_side_file(db);
  ASSERT_TRUE(s.present);
  ASSERT_EQ(s.processes.size(), 2u);
  EXPECT_EQ(s.processes[0].pid, getpid());
  EXPECT_TRUE(s.processes[0].alive);
  EXPECT_EQ(s.processes[0].commits + s.processes[1].commits, 42u);
  second.reset();
  EXPECT_EQ(read_side_file(db).processes.size(), 1u);
}

TEST(SideFile, SlotOfADeadProcessIsReapedAtTheNextAttach) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto mine = SideFile::attach(db);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)SideFile::attach(db).release();  // attached, then gone without detaching
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  SideFileState before = read_side_file(db);
  ASSERT_EQ(before.processes.size(), 2u);
  int dead = 0;
  for (const auto& p : before.processes) dead += (p.pid == child && !p.alive) ? 1 : 0;
  EXPECT_EQ(dead, 1);
  auto again = SideFile::attach(db);
  SideFileState after = read_side_file(db);
  ASSERT_EQ(after.processes.size(), 2u);  // mine and again; the child's slot is free
  for (const auto& p : after.processes) EXPECT_EQ(p.pid, getpid());
}

TEST(SideFile, TransientStateResetsWhenNobodyIsAttached) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  {
    auto f = SideFile::attach(db);
    f->layout().lock_waiters.store(3);  // as if a waiter had been killed
    f->layout().checkpoint.wal_frames.store(999);
    f->layout().lock_recoveries.store(2);
  }
  auto f = SideFile::attach(db);
  EXPECT_EQ(f->layout().lock_waiters.load(), 0u);
  EXPECT_EQ(f->layout().checkpoint.wal_frames.load(), 0u);
  EXPECT_EQ(f->layout().lock_recoveries.load(), 2u);  // lifetime counters stay
}

// Rewrites the side file's layout version, as another Sluice build would have left it.
void stamp_other_version(const std::string& db) {
  const int fd = open(SideFile::path_for(db).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  auto* l = static_cast<SideLayout*>(
      mmap(nullptr, sizeof(SideLayout), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  ASSERT_NE(l, MAP_FAILED);
  l->header.version = kSideVersion + 1;
  munmap(l, sizeof(SideLayout));
  close(fd);
}

TEST(SideFile, FileFromAnotherLayoutIsRefusedWithAClearErrorWhileAProcessIsAttached) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto attached = SideFile::attach(db);  // holds the dead-man switch: someone is attached
  stamp_other_version(db);
  try {
    (void)SideFile::attach(db);
    FAIL() << "attached to an incompatible side file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("another Sluice version"), std::string::npos) << e.what();
  }
  // The operator's view (read_side_file, `sluice inspect`) refuses it the same way.
  try {
    (void)read_side_file(db);
    FAIL() << "read an incompatible side file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("another Sluice version"), std::string::npos) << e.what();
  }
}

TEST(SideFile, FileFromAnotherLayoutIsInitialisedAnewWhenNobodyIsAttached) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  { auto f = SideFile::attach(db); }
  stamp_other_version(db);
  auto f = SideFile::attach(db);  // nothing in it belongs to a live process: rebuilt
  EXPECT_EQ(f->layout().header.version, kSideVersion);
  EXPECT_NE(f->slot(), nullptr);
}

TEST(SideFile, LocksAndSlotsOfProcessesGoneAreRebuiltWhenNobodyIsAttached) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  { auto f = SideFile::attach(db); }
  {
    // As a reboot leaves it: holders' pids and a slot of processes that no longer exist, a lock
    // word naming a thread (here one that never existed: no kernel will mark it owner-dead).
    const int fd = open(SideFile::path_for(db).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    auto* l = static_cast<SideLayout*>(
        mmap(nullptr, sizeof(SideLayout), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    ASSERT_NE(l, MAP_FAILED);
    l->writer_pid.store(0x3ffffff0);
    l->lease_pid.store(0x3ffffff1);
    l->slots[5].pid.store(0x3ffffff2);
    l->slots[5].start_ticks.store(1);
    std::memcpy(&l->writer_lock, "\xf0\xff\xff\x3f", 4);       // __lock = a dead TID
    std::memcpy(&l->checkpoint_lease, "\xf1\xff\xff\x3f", 4);  // (glibc: first word)
    munmap(l, sizeof(SideLayout));
    close(fd);
  }
  auto f = SideFile::attach(db);
  SideLayout& l = f->layout();
  EXPECT_EQ(l.writer_pid.load(), 0);
  EXPECT_EQ(l.lease_pid.load(), 0);
  EXPECT_EQ(l.slots[5].pid.load(), 0);
  EXPECT_EQ(lock_robust_mutex(l.writer_lock, 0), LockResult::Acquired);
  EXPECT_EQ(lock_robust_mutex(l.checkpoint_lease, 0), LockResult::Acquired);
  unlock_robust_mutex(l.checkpoint_lease);
  unlock_robust_mutex(l.writer_lock);
}

TEST(SideFile, LocksAreLeftAloneWhileAnotherAttachmentIsAlive) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto first = SideFile::attach(db);
  ASSERT_EQ(lock_robust_mutex(first->layout().writer_lock, 0), LockResult::Acquired);
  first->layout().writer_pid.store(getpid());
  auto second = SideFile::attach(db);  // must not rebuild a lock a live attachment holds
  EXPECT_EQ(second->layout().writer_pid.load(), getpid());
  EXPECT_NE(pthread_mutex_trylock(&second->layout().writer_lock), 0);
  unlock_robust_mutex(first->layout().writer_lock);
}

// A child that dies holding a lock: the kernel marks it owner-dead; the next locker recovers
// it, by trylock and by timedlock, and the mutex then works as a lock again by every path.
TEST(SideFile, LockOfADeadOwnerIsRecoveredAndStaysUsable) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto mine = SideFile::attach(db);
  const std::int64_t in_5s =
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          (std::chrono::steady_clock::now() + std::chrono::seconds(5)).time_since_epoch())
          .count();
  for (const std::int64_t deadline : {std::int64_t{0}, in_5s}) {  // trylock, then timedlock
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto f = SideFile::attach(db);
      _exit(lock_robust_mutex(f->layout().writer_lock, 0) == LockResult::Acquired ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pthread_mutex_t& m = mine->layout().writer_lock;
    EXPECT_EQ(lock_robust_mutex(m, deadline), LockResult::AcquiredOwnerDied) << deadline;
    unlock_robust_mutex(m);
    for (const std::int64_t again : {std::int64_t{0}, in_5s, std::int64_t{-1}}) {
      EXPECT_EQ(lock_robust_mutex(m, again), LockResult::Acquired) << deadline << " " << again;
      unlock_robust_mutex(m);
    }
  }
}

// A checkpointer's tail marks the writer lock as held by a tail (a writer past its deadline then
// waits once more as long); a writer's own acquisition does not.
TEST(SideFile, TheWriterLockSaysWhetherACheckpointTailHoldsIt) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto f = SideFile::attach(db);
  WriterLock lock(*f);
  const std::int64_t soon =
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          (std::chrono::steady_clock::now() + std::chrono::seconds(5)).time_since_epoch())
          .count();
  lock.acquire_for_tail(soon, db);
  EXPECT_EQ(f->layout().holder_is_tail.load(), 1u);
  EXPECT_EQ(f->layout().writer_pid.load(), getpid());
  lock.release();
  EXPECT_EQ(f->layout().holder_is_tail.load(), 0u);
  lock.acquire(soon, db);
  EXPECT_EQ(f->layout().holder_is_tail.load(), 0u);
  lock.release();
}

TEST(SideFile, UnwritableDirectoryFailsWithCantOpenNamingTheFile) {
  TempDir dir;
  const std::string db = dir.file("missing-dir/a.db");
  try {
    (void)SideFile::attach(db);
    FAIL() << "attached in a directory that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::CantOpen);
    EXPECT_NE(std::string(e.what()).find("a.db-sluice"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice::coord
