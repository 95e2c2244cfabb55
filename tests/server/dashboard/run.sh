#!/usr/bin/env bash
# ctest server.dashboard: the dashboard page in headless Chromium (Debian's `chromium`) against
# `sluice serve`: the page loads and its charts receive /status data, the console runs a SELECT
# and shows its rows, and shows that a write through the console is refused.
#   run.sh SLUICE_BINARY WORK_DIR
set -euo pipefail
SLUICE="$1"
WORK="$2"
command -v chromium >/dev/null || { echo "chromium missing: skipped"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK"
: >"$WORK/server.log"  # exists before the server starts: the loop below reads it at once
"$SLUICE" serve "$WORK/dash.db" --http-addr 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 200); do  # the startup line names the port the kernel chose
  URL=$(sed -n 's/.* on \(http:\/\/[0-9.]*:[0-9]*\) .*/\1/p' "$WORK/server.log" | head -1)
  [ -n "$URL" ] && break
  sleep 0.05
done
[ -n "$URL" ] || { echo "no startup line"; cat "$WORK/server.log"; exit 1; }
curl -sf -XPOST "$URL/db/execute" -H 'Content-Type: application/json' \
  -d '["CREATE TABLE pets (name TEXT)", "INSERT INTO pets VALUES (\"rex-the-dog\")"]' >/dev/null

dom() {  # $1 = URL fragment; prints the DOM after the page's scripts ran (virtual time)
  chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$WORK/profile" --virtual-time-budget=4000 --dump-dom "$URL/$1" 2>/dev/null
}
fail() { echo "FAIL: $1"; exit 1; }

select_dom=$(dom "#sql=SELECT%20name%20FROM%20pets")
grep -q 'data-samples="[1-9]' <<<"$select_dom" || fail "charts received no /status samples"
grep -q 'ready: true' <<<"$select_dom" || fail "status line missing"
grep -q '<table id="sql_result">.*rex-the-dog' <<<"$select_dom" || fail "SELECT result not shown"
write_dom=$(dom "#sql=DELETE%20FROM%20pets")
grep -q 'id="sql_error">attempt to change database via query operation' <<<"$write_dom" ||
  fail "a write through the console was not shown as refused"
count=$(curl -sf -G "$URL/db/query" --data-urlencode 'q=SELECT COUNT(*) FROM pets')
grep -q '\[\[1\]\]' <<<"$count" || fail "the row is gone: $count"
kill -TERM $PID
wait $PID
trap - EXIT
echo "dashboard: charts fed, SELECT shown, write refused"
