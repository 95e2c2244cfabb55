// read_side_file (include/sluice/processes.h): a snapshot of a side file for operators.
#include "coord/liveness.h"
#include "coord/side_file.h"
#include "coord/side_file_layout.h"
#include "sluice/processes.h"

namespace sluice {

SideFileState read_side_file(const std::string& db_path) {
  SideFileState out;
  out.path = coord::SideFile::path_for(db_path);
  std::unique_ptr<coord::SideFile> f = coord::SideFile::observe(db_path);
  if (!f) return out;
  out.present = true;
  const coord::SideLayout& l = f->layout();
  constexpr auto r = std::memory_order_relaxed;
  out.writer_lock_pid = l.writer_pid.load(r);
  out.checkpointer_pid = l.lease_pid.load(r);
  out.lock_waiters = l.lock_waiters.load(r);
  out.lock_recoveries = l.lock_recoveries.load(r);
  out.lease_takeovers = l.checkpoint.lease_takeovers.load(r);
  out.checkpoint_cycles = l.checkpoint.checkpoints.load(r);
  out.wal_frames = l.checkpoint.wal_frames.load(r);
  out.ring_jobs_run = l.ring.jobs_run.load(r);
  out.ring_recoveries = l.ring.recoveries.load(r);
  for (const coord::ProcessSlot& s : l.slots) {
    const int pid = s.pid.load(std::memory_order_acquire);
    if (pid == 0) continue;
    AttachedProcess p;
    p.pid = pid;
    p.alive = coord::process_alive(pid, s.start_ticks.load(r));
    p.checkpointer = s.is_checkpointer.load(r) != 0;
    p.attached_unix_ms = s.attached_unix_ms.load(r);
    p.commits = s.commits.load(r);
    p.jobs_ok = s.jobs_ok.load(r);
    p.jobs_failed = s.jobs_failed.load(r);
    p.queue_depth = s.queue_depth.load(r);
    p.last_commit_unix_ms = s.last_commit_unix_ms.load(r);
    p.lock_acquisitions = s.lock_acquisitions.load(r);
    p.lock_wait_us_total = s.lock_wait_us_total.load(r);
    p.lock_wait_us_max = s.lock_wait_us_max.load(r);
    p.ring_depth = s.ring_depth.load(r);
    p.ring_jobs_submitted = s.ring_jobs_submitted.load(r);
    p.ring_jobs_for_others = s.ring_jobs_for_others.load(r);
    out.processes.push_back(p);
  }
  return out;
}

}  // namespace sluice
