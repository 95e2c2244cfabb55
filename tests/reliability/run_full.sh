#!/usr/bin/env bash
# The reliability suite at full size (docs/reliability.md): power loss ≥ 1,000 seeds per
# synchronous mode, the I/O fault loops, the crash test with ≥ 100 kills per kill point in every
# mode, the deliberately broken builds (each must be caught), the writer stress test over many
# seeds, and a longer fuzz run. Prints every figure line
# and writes them to BUILD_DIR/reliability-summary.txt.
#   usage: tests/reliability/run_full.sh BUILD_DIR [FUZZ_BUILD_DIR]
# Sizes can be changed with POWER_LOSS_SEEDS (per mode and sector size), CRASH_RANDOM_ROUNDS,
# CRASH_POINT_ROUNDS, STRESS_SEEDS, FUZZ_SECONDS, CRASH_SEED.
set -euo pipefail
build=${1:?usage: run_full.sh BUILD_DIR [FUZZ_BUILD_DIR]}
fuzz_build=${2:-}
summary="$build/reliability-summary.txt"
log="$build/reliability-full.log"
: > "$log"
start=$(date +%s)

step() { echo "== $* ($(($(date +%s) - start)) s)" | tee -a "$log" >&2; }

step "power loss and I/O faults: ${POWER_LOSS_SEEDS:-500} seeds per mode and sector size"
SLUICE_POWER_LOSS_SEEDS=${POWER_LOSS_SEEDS:-500} "$build/tests/reliability_tests" --gtest_brief=1 2>&1 | tee -a "$log"

step "crash test: ${CRASH_POINT_ROUNDS:-100} rounds per kill point, ${CRASH_RANDOM_ROUNDS:-200} random rounds, per mode"
seed_args=()
[[ -n "${CRASH_SEED:-}" ]] && seed_args=(--seed "$CRASH_SEED")
"$build/tests/sluice_crashtest" --processes 3 --threads 2 \
  --random-rounds "${CRASH_RANDOM_ROUNDS:-200}" --point-rounds "${CRASH_POINT_ROUNDS:-100}" \
  --synchronous off,normal,full,extra "${seed_args[@]}" 2>&1 | tee -a "$log"

step "sabotage: a writer that acks before COMMIT must be caught"
"$build/tests/sluice_crashtest" --processes 3 --threads 2 --random-rounds 10 --point-rounds 10 \
  --synchronous normal,full --sabotage ack-before-commit "${seed_args[@]}" 2>&1 | tee -a "$log"

step "writer stress: ${STRESS_SEEDS:-200} seeds"
SLUICE_STRESS_SEEDS=${STRESS_SEEDS:-200} "$build/tests/engine_tests" --gtest_filter='WriterStress*' \
  --gtest_brief=1 2>&1 | tee -a "$log"

if [[ -n "$fuzz_build" ]]; then
  step "fuzz: ${FUZZ_SECONDS:-300} s per target"
  make --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-300}" 2>&1 | tee -a "$log"
fi

step "done"
{
  echo "# Sluice reliability, full size — $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  grep -E '^(power-loss|io-fault|crashtest|writer-stress) ' "$log" || true
  grep -E '^[A-Za-z]+ +config_[a-z]+_fuzz: ' "$log" | sed 's/^/fuzz /' || true
  echo "total $(($(date +%s) - start)) s"
} > "$summary"
cat "$summary"
