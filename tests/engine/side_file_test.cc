// SideFile: attaching claims a slot and detaching frees it; dead processes' slots are reaped;
// a side file from another layout is refused; transient state resets when nobody is attached.
#include "coord/side_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/temp_dir.h"
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

TEST(SideFile, FileFromAnotherLayoutIsRefusedWithAClearError) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  { auto f = SideFile::attach(db); }
  {
    const int fd = open(SideFile::path_for(db).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    auto* l = static_cast<SideLayout*>(
        mmap(nullptr, sizeof(SideLayout), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    ASSERT_NE(l, MAP_FAILED);
    l->header.version = kSideVersion + 1;
    munmap(l, sizeof(SideLayout));
    close(fd);
  }
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
