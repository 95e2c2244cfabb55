#include "coord/liveness.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace sluice::coord {

std::uint64_t process_start_ticks(pid_t pid) noexcept {
  if (pid <= 0) return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::FILE* f = std::fopen(path, "re");
  if (f == nullptr) return 0;
  char buf[1024];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  ++p;
  // p is now before field 3 (state); starttime is field 22, 20 fields further.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p + 1, ' ');
    if (p == nullptr) return 0;
  }
  const auto ticks = std::strtoull(p + 1, nullptr, 10);
  // A zombie has exited: it holds no lock and writes nothing.
  const char* state = std::strrchr(buf, ')') + 2;
  if (*state == 'Z' || *state == 'X') return 0;
  return ticks;
}

bool process_alive(pid_t pid, std::uint64_t start_ticks) noexcept {
  const std::uint64_t now = process_start_ticks(pid);
  if (now == 0) return false;
  return start_ticks == 0 || now == start_ticks;
}

}  // namespace sluice::coord
