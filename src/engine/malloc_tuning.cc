#include "engine/malloc_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sluice::engine {

void apply_malloc_tuning(const Config& config) noexcept {
#if defined(__GLIBC__)
  if (config.malloc_trim_threshold_bytes > 0) {
    // Setting it also turns off glibc's adaptive threshold, which only ever rises after large
    // (mmap-sized) frees — never after SQLite's 4 KiB page buffers.
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(config.malloc_trim_threshold_bytes));
  }
#else
  (void)config;
#endif
}

}  // namespace sluice::engine
