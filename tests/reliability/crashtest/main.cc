// sluice_crashtest — process crashes against an oracle.
//
// P writer processes × T threads write unique, self-describing rows (writer, seq) through
// Sluice into one database, logging each write's intent before sending it and its ack after,
// fdatasync'ed, in per-process logs outside the database. Each round SIGKILLs one process —
// at a random moment, or (deterministic rounds) at a kill point of the write path: before
// BEGIN, mid-batch, just before COMMIT, after COMMIT before the ack, mid-checkpoint — then,
// while the others keep writing, checks: PRAGMA integrity_check = ok; every acked row present;
// no row without an intent; each writer's rows a prefix of its intent order. The victim is
// restarted (a new writer incarnation) and the next round begins. Figures at the end; exit
// status 0 only if acked_lost = phantom_rows = prefix_violations = integrity_failures = 0.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "crashtest/crashtest.h"

namespace {

using sluice::crashtest::Options;

constexpr const char* kHelp = R"(usage: sluice_crashtest [options]

Kills Sluice writer processes again and again and proves that no acknowledged write is lost.

  --processes P        writer processes alive at once (default 3)
  --threads T          writer threads per process (default 2)
  --random-rounds N    rounds that SIGKILL a random process at a random moment (default 10)
  --point-rounds K     rounds per deterministic kill point (default 4); the points are
                       before-begin, mid-batch, before-commit, after-commit, mid-checkpoint
  --synchronous LIST   comma-separated modes, one full run each: off, normal, full, extra
                       (default normal)
  --seed S             seed of the schedule, victims and kill points (default: the clock);
                       always printed, so a run can be repeated
  --dir DIR            working directory (default: a fresh one under $TMPDIR)
  --keep               keep the working directory (it is removed after a clean run)
  --sabotage ack-before-commit
                       run a deliberately broken writer that acks before COMMIT; the exit
                       status is 0 only if the oracle catches it (acked writes lost)
  --help               this text

Full size (make reliability): --random-rounds 200 --point-rounds 100 --synchronous off,normal,full
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "sluice_crashtest: %s\nRun with --help for the options.\n", what.c_str());
  std::exit(64);
}

long long number(const std::string& flag, const std::string& value, long long lo, long long hi) {
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || n < lo || n > hi) {
    usage_error(flag + ": '" + value + "' is not a whole number in " + std::to_string(lo) + ".." +
                std::to_string(hi));
  }
  return n;
}

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::function<void(const std::string&)>> with_value = {
      {"--processes",
       [&](auto v) { o.processes = static_cast<int>(number("--processes", v, 1, 64)); }},
      {"--threads", [&](auto v) { o.threads = static_cast<int>(number("--threads", v, 1, 64)); }},
      {"--random-rounds",
       [&](auto v) {
         o.random_rounds = static_cast<int>(number("--random-rounds", v, 0, 1'000'000));
       }},
      {"--point-rounds",
       [&](auto v) {
         o.point_rounds = static_cast<int>(number("--point-rounds", v, 0, 1'000'000));
       }},
      {"--seed",
       [&](auto v) { o.seed = static_cast<std::uint64_t>(number("--seed", v, 1, INT64_MAX)); }},
      {"--dir", [&](auto v) { o.dir = v; }},
      {"--sabotage",
       [&](auto v) {
         if (v != "ack-before-commit")
           usage_error("--sabotage: '" + v + "' is not ack-before-commit");
         o.sabotage = v;
       }},
      {"--synchronous",
       [&](auto v) {
         o.synchronous.clear();
         std::stringstream in(v);
         for (std::string m; std::getline(in, m, ',');) {
           if (m != "off" && m != "normal" && m != "full" && m != "extra") {
             usage_error("--synchronous: '" + m + "' is not one of off, normal, full, extra");
           }
           o.synchronous.push_back(m);
         }
       }},
      // internal: the writer processes
      {"--db", [&](auto v) { o.db = v; }},
      {"--log", [&](auto v) { o.log = v; }},
      {"--writer-base", [&](auto v) { o.writer_base = number("--writer-base", v, 0, INT64_MAX); }},
      {"--kill-point", [&](auto v) { o.kill_point = v; }},
      {"--kill-nth",
       [&](auto v) {
         o.kill_nth = static_cast<std::uint64_t>(number("--kill-nth", v, 1, INT64_MAX));
       }},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kHelp, stdout);
      std::exit(0);
    } else if (flag == "--keep") {
      o.keep = true;
    } else if (flag == "--child") {
      o.child = true;
    } else if (auto it = with_value.find(flag); it != with_value.end()) {
      if (i + 1 >= argc) usage_error(flag + " needs a value");
      it->second(argv[++i]);
    } else {
      usage_error("unknown option '" + flag + "'");
    }
  }
  if (o.child) o.mode = o.synchronous.front();
  if (o.seed == 0) {
    o.seed =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
            1'000'000'007 +
        1;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.child) return sluice::crashtest::run_child(o);
  return sluice::crashtest::run_supervisor(o, "/proc/self/exe");
}
