// Process-wide allocator settings a Database applies at open (see
// Config::malloc_trim_threshold_bytes for why). glibc only; elsewhere a no-op.
#pragma once

#include "sluice/config.h"

namespace sluice::engine {

// Applies config.malloc_trim_threshold_bytes with mallopt(M_TRIM_THRESHOLD) when it is > 0.
// Idempotent; the last Database opened with a non-zero value decides. Never throws.
void apply_malloc_tuning(const Config& config) noexcept;

}  // namespace sluice::engine
