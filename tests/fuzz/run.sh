#!/usr/bin/env bash
# Runs every libFuzzer target of a SLUICE_FUZZ=ON build for SECONDS each.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS        e.g. tests/fuzz/run.sh build/fuzz 60
#
# Each target fuzzes a fresh copy of its seed corpus (tests/fuzz/corpus/<name>) in
# BUILD_DIR/fuzz-run/<target>/ (corpus/, artifacts/, fuzz.log); nothing is written into the source
# tree. Prints executions and coverage per target at the end; exits non-zero if any target crashed
# (or timed out, leaked, ...) and prints the crashing input's path. Extra libFuzzer flags may be
# passed in FUZZ_ARGS (e.g. FUZZ_ARGS="-jobs=2 -workers=2", or "-fork=1 -ignore_crashes=1" to
# collect several crashes in one run).
set -uo pipefail

if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ || $2 -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd) || exit 2
seconds=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# target:corpus directory under tests/fuzz/corpus
targets=(config_url_fuzz:url config_env_fuzz:env request_body_fuzz:request job_codec_fuzz:job)

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

summary=()
failed=0
for entry in "${targets[@]}"; do
  target=${entry%%:*}
  seeds=$src_dir/corpus/${entry#*:}
  bin=$build_dir/tests/fuzz/$target
  if [[ ! -x $bin ]]; then
    echo "run.sh: $bin not built (cmake -DSLUICE_FUZZ=ON, then build $target)" >&2
    exit 2
  fi
  work=$build_dir/fuzz-run/$target
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$seeds"/* "$work/corpus/"
  log=$work/fuzz.log
  echo "== $target: ${seconds}s on a copy of $seeds ($(find "$seeds" -type f | wc -l) seeds); log $log"
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  (cd "$work" && "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} corpus) >"$log" 2>&1
  rc=$?

  execs=$(grep -oP 'stat::number_of_executed_units: \K[0-9]+' "$log" | tail -1)
  [[ -n $execs ]] || execs=$(grep -oP '^#\K[0-9]+(?=[:\s])' "$log" | tail -1)
  cov=$(grep -oP 'cov: [0-9]+ ft: [0-9]+ corp: [^ ]+' "$log" | tail -1)
  pcs=$(grep -oP 'INFO: Loaded 1 modules +\(\K[0-9]+(?= inline 8-bit counters)' "$log" | head -1)
  line="$target: ${execs:-?} executions, ${cov:-cov: ?} (of ${pcs:-?} instrumented edges)"
  # With FUZZ_ARGS="-fork=1 -ignore_crashes=1" libFuzzer exits 0 after crashes: look at artifacts/.
  if [[ $rc -ne 0 || -n $(find "$work/artifacts" -type f) ]]; then
    failed=1
    echo "---- $target FAILED (exit $rc); end of $log:"
    tail -n 80 "$log"
    inputs=$(find "$work/artifacts" -type f | sort)
    for input in $inputs; do
      echo "CRASHING INPUT: $input"
      echo "  reproduce: $bin $input"
      line+=$'\n'"  CRASHING INPUT: $input"
    done
    summary+=("FAIL $line")
  else
    summary+=("ok   $line")
  fi
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
