#include "server/dashboard.h"

namespace sluice::server {
namespace {

constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice serve</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}
 h1{font-size:18px;margin:0 0 4px} .sub{color:#666;margin-bottom:12px}
 .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
 .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
 .card h2{font-size:13px;margin:0 0 4px;font-weight:600} .legend span{margin-right:10px;font-size:12px}
 canvas{width:100%;height:140px} textarea{width:100%;height:70px;font:13px monospace}
 table{border-collapse:collapse;margin-top:8px;font:12px monospace} td,th{border:1px solid #ccc;padding:2px 6px}
 .error{color:#b00020;margin-top:8px;font-family:monospace}
</style></head><body>
<h1>sluice serve</h1><div class="sub" id="info">connecting…</div>
<div class="grid" id="charts"></div>
<div class="card" style="margin-top:12px"><h2>Read-only SQL console (GET /db/query)</h2>
<textarea id="sql">SELECT name, type FROM sqlite_schema</textarea>
<button id="run">Run</button><div id="out"></div></div>
<script>
'use strict';
const N = 120;
const charts = [
  {id: 'ops', title: 'ops/s', lines: [['writes', '#1565c0'], ['reads', '#2e7d32']]},
  {id: 'wlat', title: 'write latency since open (ms)', lines: [['p50', '#1565c0'], ['p99', '#c62828']]},
  {id: 'rlat', title: 'read latency since open (ms)', lines: [['p50', '#2e7d32'], ['p99', '#c62828']]},
  {id: 'batch', title: 'jobs per commit (mean, p99)', lines: [['mean', '#6a1b9a'], ['p99', '#c62828']]},
  {id: 'wal', title: 'WAL (KiB) and checkpoints/s', lines: [['wal_kib', '#ef6c00'], ['checkpoints', '#455a64']]},
  {id: 'procs', title: 'processes attached, readers in use, pool wait p99 (ms)',
   lines: [['processes', '#00838f'], ['readers', '#2e7d32'], ['pool_wait_p99', '#c62828']]},
];
const data = {};
const grid = document.getElementById('charts');
for (const c of charts) {
  const card = document.createElement('div');
  card.className = 'card';
  card.innerHTML = '<h2>' + c.title + '</h2><canvas id="c_' + c.id + '" width="600" height="140"></canvas>' +
    '<div class="legend">' + c.lines.map(([n, col]) =>
      '<span style="color:' + col + '">■ ' + n + ' <b id="v_' + c.id + '_' + n + '"></b></span>').join('') + '</div>';
  grid.appendChild(card);
  for (const [n] of c.lines) data[c.id + '.' + n] = [];
}
function push(key, v) { const a = data[key]; a.push(Number.isFinite(v) ? v : 0); if (a.length > N) a.shift(); }
function draw(c) {
  const cv = document.getElementById('c_' + c.id), g = cv.getContext('2d');
  g.clearRect(0, 0, cv.width, cv.height);
  let max = 1;
  for (const [n] of c.lines) for (const v of data[c.id + '.' + n]) max = Math.max(max, v);
  g.fillStyle = '#888'; g.font = '11px sans-serif'; g.fillText(max.toPrecision(3), 2, 11);
  for (const [n, col] of c.lines) {
    const a = data[c.id + '.' + n];
    g.strokeStyle = col; g.lineWidth = 1.5; g.beginPath();
    a.forEach((v, i) => { const x = i * cv.width / (N - 1), y = cv.height - 2 - v / max * (cv.height - 16);
      i ? g.lineTo(x, y) : g.moveTo(x, y); });
    g.stroke();
    const last = a.length ? a[a.length - 1] : 0;
    document.getElementById('v_' + c.id + '_' + n).textContent = last.toFixed(last < 10 ? 2 : 0);
  }
}
let prev = null;
async function tick() {
  try {
    const s = await (await fetch('/status')).json();
    const e = s.store.engine, t = performance.now();
    document.getElementById('info').textContent = s.store.db_path + ' · ' + s.http.addr + ' · ' +
      s.build.version + ' · SQLite ' + s.build.sqlite_version + ' · ready: ' + s.store.ready;
    if (prev) {
      const dt = (t - prev.t) / 1000, p = prev.e;
      push('ops.writes', (e.jobs_ok_total - p.jobs_ok_total) / dt);
      push('ops.reads', (e.reads_ok_total - p.reads_ok_total) / dt);
      push('wal.checkpoints', (e.checkpoints_total - p.checkpoints_total) / dt);
    }
    push('wlat.p50', e.write_latency_microseconds.p50 / 1000);
    push('wlat.p99', e.write_latency_microseconds.p99 / 1000);
    push('rlat.p50', e.read_latency_microseconds.p50 / 1000);
    push('rlat.p99', e.read_latency_microseconds.p99 / 1000);
    push('batch.mean', e.batch_size_jobs.mean);
    push('batch.p99', e.batch_size_jobs.p99);
    push('wal.wal_kib', e.wal_bytes / 1024);
    push('procs.processes', e.processes_attached);
    push('procs.readers', e.readers_in_use);
    push('procs.pool_wait_p99', e.pool_wait_microseconds.p99 / 1000);
    prev = {t, e};
    charts.forEach(draw);
    document.body.dataset.samples = String(data['wlat.p50'].length);
  } catch (err) {
    document.getElementById('info').textContent = 'status unavailable: ' + err;
  }
}
function cell(v) { const td = document.createElement('td'); td.textContent = v === null ? 'NULL' : String(v); return td; }
async function runSql() {
  const out = document.getElementById('out');
  out.textContent = '';
  try {
    const res = await fetch('/db/query?q=' + encodeURIComponent(document.getElementById('sql').value));
    const text = await res.text();
    if (!res.ok) throw new Error(res.status + ' ' + text);
    const r = JSON.parse(text).results[0] || {};
    if (r.error) { out.innerHTML = '<div class="error" id="sql_error"></div>'; out.firstChild.textContent = r.error; return; }
    const table = document.createElement('table'), head = document.createElement('tr');
    table.id = 'sql_result';
    for (const c of r.columns || []) { const th = document.createElement('th'); th.textContent = c; head.appendChild(th); }
    table.appendChild(head);
    for (const row of r.values || []) { const tr = document.createElement('tr'); row.forEach(v => tr.appendChild(cell(v))); table.appendChild(tr); }
    out.appendChild(table);
  } catch (err) {
    out.innerHTML = '<div class="error"></div>'; out.firstChild.textContent = String(err.message || err);
  }
}
document.getElementById('run').onclick = runSql;
// /#sql=... fills the console and runs it (links, and the headless-browser test).
if (location.hash.startsWith('#sql=')) {
  document.getElementById('sql').value = decodeURIComponent(location.hash.slice(5));
  runSql();
}
tick();
setInterval(tick, 1000);
</script></body></html>
)HTML";

}  // namespace

std::string_view dashboard_html() noexcept { return kPage; }

}  // namespace sluice::server
