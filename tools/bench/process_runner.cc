#include "bench/process_runner.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "bench/wal_sampler.h"
#include "sluice/connection.h"

namespace sluice::bench {

// How a child's samples cross to the parent (msgpack in a file).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Samples, read_us, write_us, errors, read_errors, write_errors,
                                   start_s, end_s)

namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe() failed");
    r = fds[0];
    w = fds[1];
  }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string result_path(const std::string& dir, int p) {
  return fmt::format("{}/process-{}.result", dir, p);
}

void write_result(const std::string& path, const nlohmann::json& j) {
  std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(j);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

nlohmann::json read_result(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (bytes.empty()) return nullptr;
  return nlohmann::json::from_msgpack(bytes);
}

// The child's whole life: open, signal ready, wait for go, run its slice, report, close.
int child_main(Mode mode, const std::string& db_path, bool sync_full, const BlogWorkload& wl,
               Phase phase, int workers, int p, int processes, std::uint64_t seed,
               const std::string& out_path, int ready_fd, int go_fd) {
  nlohmann::json j;
  j["pid"] = ::getpid();
  bool signalled = false;
  try {
    auto driver = make_driver(mode, db_path, sync_full);
    const std::int64_t total = wl.total_ops(phase);
    const std::int64_t begin = total * p / processes, end = total * (p + 1) / processes;
    std::map<std::string, std::string> pragmas;
    Samples s = run_closed_loop(
        *driver, wl, phase, workers, seed, begin, end,
        [&] {
          char c = 'r';
          signalled = true;
          (void)!::write(ready_fd, &c, 1);
          // EOF when the parent closes its end: every process starts at once.
          while (::read(go_fd, &c, 1) < 0 && errno == EINTR) {
          }
        },
        &pragmas);
    j["samples"] = s;
    j["pragmas"] = pragmas;
    j["config"] = driver->config_json();
    j["stats"] = driver->stats_json();
    driver.reset();  // closes the Database / connections before reporting
    write_result(out_path, j);
    return 0;
  } catch (const std::exception& e) {
    j["error"] = e.what();
    write_result(out_path, j);
    if (!signalled) {
      char c = 'e';  // the parent counts this process as ready, then reports its error
      (void)!::write(ready_fd, &c, 1);
    }
    return 1;
  }
}

// Every child writes one byte when its workers are ready (or it failed first). A child killed
// before that writes nothing, so the wait also checks every 200 ms that none has exited.
void wait_until_ready(int ready_fd, const std::vector<pid_t>& children) {
  std::size_t ready_count = 0;
  while (ready_count < children.size()) {
    pollfd pfd{ready_fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, 200);
    if (n > 0) {
      char c;
      const ssize_t got = ::read(ready_fd, &c, 1);
      if (got == 1) ++ready_count;
      if (got == 0) return;  // every child has closed its end
    } else if (n == 0) {
      for (pid_t pid : children) {
        siginfo_t info{};
        // WNOWAIT: leaves the child to be reaped (and its status read) by the caller.
        if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid) {
          return;
        }
      }
    }
  }
}

}  // namespace

PointResult run_point_processes(Mode mode, const std::string& db_path, bool sync_full,
                                const BlogWorkload& workload, Phase phase, int workers,
                                int processes, std::uint64_t seed, const std::string& scratch_dir,
                                std::string& config_json) {
  if (mode != Mode::Vanilla) {
    // Switched to WAL once, as a deployment does, so P processes do not all race to do it at
    // open (Sluice handles that race; tuned, plain SQLite, would fail one with SQLITE_BUSY).
    Connection::open(db_path).pragma("journal_mode=WAL");
  }
  Pipe ready, go;
  std::vector<pid_t> children;
  std::fflush(stdout);
  std::fflush(stderr);
  for (int p = 0; p < processes; ++p) {
    const std::string out_path = result_path(scratch_dir, p);
    std::filesystem::remove(out_path);
    const pid_t pid = ::fork();
    if (pid < 0) break;  // reported below as missing children
    if (pid == 0) {
      ::close(ready.r);
      ::close(go.w);
      ::_exit(child_main(mode, db_path, sync_full, workload, phase, workers, p, processes, seed,
                         out_path, ready.w, go.r));
    }
    children.push_back(pid);
  }
  close_fd(ready.w);
  close_fd(go.r);
  wait_until_ready(ready.r, children);
  close_fd(ready.r);
  auto sampler = std::make_unique<WalSampler>(db_path, steady_seconds());
  close_fd(go.w);  // go
  std::vector<int> statuses;
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    statuses.push_back(status);
  }

  PointResult r;
  r.phase = phase;
  r.mode = mode;
  r.workers = workers;
  r.processes = processes;
  r.wal_series = sampler->stop();
  if (static_cast<int>(children.size()) < processes) {
    throw std::runtime_error(
        fmt::format("fork() failed after {} of {} processes", children.size(), processes));
  }
  std::vector<Samples> parts;
  for (int p = 0; p < processes; ++p) {
    nlohmann::json j = read_result(result_path(scratch_dir, p));
    std::filesystem::remove(result_path(scratch_dir, p));
    const int st = statuses[static_cast<std::size_t>(p)];
    if (j.is_null() || j.contains("error") || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      std::string why = j.is_object() && j.contains("error") ? j["error"].get<std::string>()
                        : WIFSIGNALED(st) ? fmt::format("killed by signal {}", WTERMSIG(st))
                                          : "exited without a result";
      throw std::runtime_error(
          fmt::format("benchmark process {} of {} failed: {}", p + 1, processes, why));
    }
    Samples s = j["samples"].get<Samples>();
    const auto ops = static_cast<std::int64_t>(s.read_us.size() + s.write_us.size()) -
                     s.read_errors - s.write_errors;
    r.per_process.push_back({j["pid"].get<int>(), ops, s.end_s - s.start_s});
    if (p == 0) {
      j["pragmas"].get_to(r.pragmas);
      r.stats_json = j["stats"].get<std::string>();
      config_json = j["config"].get<std::string>();
    }
    parts.push_back(std::move(s));
  }
  merge_samples(parts, r);
  return r;
}

}  // namespace sluice::bench
