#include "bench/machine.h"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace sluice::bench {

nlohmann::json machine_facts(Connection& conn) {
  nlohmann::json j;
  // nproc: the CPUs this process may run on (what `nproc` prints); cores: all online CPUs.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) j["nproc"] = CPU_COUNT(&set);
  j["cores"] = std::thread::hardware_concurrency();
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  j["memory_bytes"] = static_cast<std::int64_t>(pages) * static_cast<std::int64_t>(page);
  utsname u{};
  if (uname(&u) == 0) {
    j["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
    j["kernel_version"] = u.version;
  }
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      j["cpu"] = line.substr(line.find(':') + 2);
      break;
    }
  }
  j["sqlite_version"] = conn.query("SELECT sqlite_version()").scalar<std::string>();
  nlohmann::json opts = nlohmann::json::array();
  for (auto q = conn.query("PRAGMA compile_options"); q.next();)
    opts.push_back(q.get<std::string>(0));
  j["sqlite_compile_options"] = opts;
  return j;
}

}  // namespace sluice::bench
