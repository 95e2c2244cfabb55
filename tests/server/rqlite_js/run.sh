#!/usr/bin/env bash
# ctest server.rqlite_js: the rqlite-js client (npm rqlite-js@2.5.7) against `sluice serve`.
#   run.sh SLUICE_BINARY WORK_DIR
# Installs the client into WORK_DIR with npm (skipped, exit 77, when npm is missing), starts the
# server on a free port, runs integration.cjs with RQLITE_HOSTS, then stops the server with
# SIGTERM and requires exit 0.
set -euo pipefail
SLUICE="$1"
WORK="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
command -v npm >/dev/null && command -v node >/dev/null || { echo "npm/node missing: skipped"; exit 77; }
mkdir -p "$WORK"
cp "$HERE/package.json" "$HERE/integration.cjs" "$WORK/"
if [ ! -d "$WORK/node_modules/rqlite-js" ]; then
  (cd "$WORK" && npm install --no-audit --no-fund --silent)
fi
rm -rf "$WORK/db" && mkdir -p "$WORK/db"
: >"$WORK/server.log"  # exists before the server starts: the loop below reads it at once
"$SLUICE" serve "$WORK/db/js.db" --http-addr 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 200); do  # the startup line names the port the kernel chose
  URL=$(sed -n 's/.* on \(http:\/\/[0-9.]*:[0-9]*\) .*/\1/p' "$WORK/server.log" | head -1)
  [ -n "$URL" ] && break
  kill -0 $PID || { cat "$WORK/server.log"; exit 1; }
  sleep 0.05
done
[ -n "$URL" ] || { echo "no startup line"; cat "$WORK/server.log"; exit 1; }
(cd "$WORK" && RQLITE_HOSTS="$URL" node integration.cjs)
kill -TERM $PID
wait $PID
trap - EXIT
grep -q "stopped cleanly" "$WORK/server.log"
