#include "bench/report_html.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

namespace sluice::bench {
namespace {

constexpr const char* kStyle = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1300px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #e3e3e3;padding:6px;width:424px}
.chart h3{font-size:13px;margin:0 0 4px 4px}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right;overflow-wrap:anywhere}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}.nodata{color:#999;font-style:italic}
#render-error{color:#b00}.legend span{margin-right:12px;white-space:nowrap}
)css";

// Draws every chart from the embedded JSON. Kept dependency-free on purpose.
constexpr const char* kScript = R"js(
(function () {
const COLORS = {vanilla: '#888888', tuned: '#e67e22', sluice: '#1f77b4',
  'sluice-submit': '#17becf', 'sluice-ckpt-in-commit': '#9467bd'};
const EXTRA = ['#2ca02c', '#d62728', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
let charts = 0;
function color(name, i) { return COLORS[name] || EXTRA[i % EXTRA.length]; }
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c])); }
function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
  if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
  if (a >= 10 || Number.isInteger(v)) return v.toFixed(0);
  return a >= 1 ? v.toFixed(1) : v.toPrecision(2);
}
// series: [{name, color, dash, points: [[x, y], ...]}]; opts: {xlabel, ylabel, logy, xcat}
function chart(title, series, opts) {
  const W = 420, H = 260, L = 58, R = 12, T = 10, B = 44;
  series = series.filter(s => s.points.length > 0);
  const box = document.createElement('div');
  box.className = 'chart';
  box.innerHTML = '<h3>' + esc(title) + '</h3>';
  if (series.length === 0) {
    box.innerHTML += '<div class="nodata" style="width:' + W + 'px">no data</div>';
    return box;
  }
  const xs = [...new Set(series.flatMap(s => s.points.map(p => p[0])))].sort((a, b) => a - b);
  const ys = series.flatMap(s => s.points.map(p => p[1]));
  let ymin = Math.min(...ys), ymax = Math.max(...ys);
  const logy = opts.logy && ymin > 0 && ymax / ymin > 100;
  if (!logy) { ymin = 0; if (ymax <= 0) ymax = 1; }
  const ly = v => logy ? Math.log10(v) : v;
  const y0 = ly(logy ? ymin : 0), y1 = ly(ymax) + (logy ? 0.05 : 0.05 * ymax);
  const cat = opts.xcat || xs.length <= 10 && !opts.continuous;
  const px = x => {
    if (cat) return L + (xs.length === 1 ? 0.5 : xs.indexOf(x) / (xs.length - 1)) * (W - L - R);
    const lo = xs[0], hi = xs[xs.length - 1];
    return L + (hi === lo ? 0.5 : (x - lo) / (hi - lo)) * (W - L - R);
  };
  const py = y => T + (1 - (ly(Math.max(y, logy ? ymin : -Infinity)) - y0) / (y1 - y0 || 1)) * (H - T - B);
  let svg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + H + '">';
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = logy ? Math.pow(10, y0 + (y1 - y0) * i / ticks) : y0 + (y1 - y0) * i / ticks;
    const y = py(v);
    svg += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '" stroke="#eee"/>';
    svg += '<text x="' + (L - 4) + '" y="' + (y + 4) + '" font-size="10" text-anchor="end">' + fmt(v) + '</text>';
  }
  const xt = cat ? xs : [0, 0.25, 0.5, 0.75, 1].map(f => xs[0] + f * (xs[xs.length - 1] - xs[0]));
  for (const x of xt) {
    svg += '<text x="' + px(x) + '" y="' + (H - B + 14) + '" font-size="10" text-anchor="middle">' + fmt(x) + '</text>';
  }
  svg += '<text x="' + ((L + W - R) / 2) + '" y="' + (H - 8) + '" font-size="11" text-anchor="middle">' + esc(opts.xlabel) + '</text>';
  svg += '<text transform="translate(12,' + ((T + H - B) / 2) + ') rotate(-90)" font-size="11" text-anchor="middle">' + esc(opts.ylabel + (logy ? ' (log)' : '')) + '</text>';
  svg += '<rect x="' + L + '" y="' + T + '" width="' + (W - L - R) + '" height="' + (H - T - B) + '" fill="none" stroke="#999"/>';
  for (const s of series) {
    const pts = s.points.slice().sort((a, b) => a[0] - b[0]).map(p => px(p[0]).toFixed(1) + ',' + py(p[1]).toFixed(1));
    svg += '<polyline fill="none" stroke="' + s.color + '" stroke-width="2"' + (s.dash ? ' stroke-dasharray="5,3"' : '') + ' points="' + pts.join(' ') + '"/>';
    if (s.points.length < 40) for (const p of pts) { const [x, y] = p.split(','); svg += '<circle cx="' + x + '" cy="' + y + '" r="2.5" fill="' + s.color + '"/>'; }
  }
  svg += '</svg>';
  box.innerHTML += svg + '<div class="legend">' + series.map(s => '<span style="color:' + s.color + '">' + (s.dash ? '- - ' : '&#9632; ') + esc(s.name) + '</span>').join(' ') + '</div>';
  charts++;
  return box;
}
function section(title) {
  const h = document.createElement('h2'); h.textContent = title;
  const d = document.createElement('div'); d.className = 'charts';
  document.getElementById('charts').append(h, d);
  return d;
}
function byMode(points) {
  const m = new Map();
  for (const p of points) { if (!m.has(p.mode)) m.set(p.mode, []); m.get(p.mode).push(p); }
  return [...m.entries()];
}
function get(o, path) { return path.split('.').reduce((v, k) => v == null ? undefined : v[k], o); }
function lines(points, xkey, fields, dashFor) {
  const out = [];
  byMode(points).forEach(([mode, ps], i) => {
    for (const [label, path] of fields) {
      const pts = ps.map(p => [p[xkey], get(p, path)]).filter(p => typeof p[1] === 'number' && typeof p[0] === 'number');
      out.push({name: mode + (fields.length > 1 ? ' ' + label : ''), color: color(mode, i), dash: dashFor && dashFor(label), points: pts});
    }
  });
  return out;
}
function draw(data) {
  const points = data.points || [];
  const phases = [...new Set(points.map(p => p.phase))];
  for (const phase of phases) {
    const ps = points.filter(p => p.phase === phase);
    const ingest = phase === 'ingest';
    const rates = [...new Set(ps.map(p => p.rate))];
    const xkey = ingest && rates.length > 1 ? 'rate' : 'workers';
    const xlabel = xkey === 'rate' ? 'offered rate (requests/s)' : 'workers (threads' + (ps[0].processes > 1 ? ' per process, ' + ps[0].processes + ' processes' : '') + ')';
    const sec = section(phase + ' phase');
    sec.append(chart('Throughput', lines(ps, xkey, [['ops/s', ingest ? 'writes_per_s' : 'ops_per_s']]), {xlabel, ylabel: ingest ? 'writes/s' : 'ops/s', logy: true}));
    const dash = l => l === 'p50';
    sec.append(chart('Write latency p50 (dashed) and p99' + (ingest ? ', from intended arrival' : ''), lines(ps, xkey, [['p50', 'write.p50_ms'], ['p99', 'write.p99_ms']], dash), {xlabel, ylabel: 'ms', logy: true}));
    if (ps.some(p => p.read && p.read.count > 0)) {
      sec.append(chart('Read latency p50 (dashed) and p99', lines(ps, xkey, [['p50', 'read.p50_ms'], ['p99', 'read.p99_ms']], dash), {xlabel, ylabel: 'ms', logy: true}));
    }
    if (ingest) {
      sec.append(chart('Write latency p999 (dashed) and max', lines(ps, xkey, [['p999', 'write.p999_ms'], ['max', 'write.max_ms']], l => l === 'p999'), {xlabel, ylabel: 'ms', logy: true}));
    }
    sec.append(chart('Errors (failed operations)', lines(ps, xkey, [['errors', 'error_count']]), {xlabel, ylabel: 'count'}));
    const sl = ps.filter(p => p.sluice_stats && p.sluice_stats.batch_size_jobs);
    sec.append(chart('Sluice batch size: p50, p90, p99, max', [['p50', '#9ecae1'], ['p90', '#6baed6'], ['p99', '#2171b5'], ['max', '#08306b']].flatMap(([q, c]) => byMode(sl).map(([mode]) => ({
      name: mode + ' ' + q, color: c, dash: mode !== 'sluice',
      points: sl.filter(p => p.mode === mode).map(p => [p[xkey], p.sluice_stats.batch_size_jobs[q]])}))), {xlabel, ylabel: 'jobs per commit', logy: true}));
    // WAL over time: for each mode, the point with the most workers (or the highest rate).
    const wal = byMode(ps).map(([mode, list], i) => {
      const p = list.reduce((a, b) => (b[xkey] >= a[xkey] ? b : a));
      return {name: mode + ' @' + p[xkey], color: color(mode, i), points: (p.wal_series || []).map(([t, b]) => [t, b / 1e6])};
    });
    sec.append(chart('WAL size over time', wal, {xlabel: 'seconds since start', ylabel: 'MB', continuous: true}));
    const pp = ps.filter(p => p.per_process && p.per_process.length > 0);
    if (pp.length > 0) {
      const ser = byMode(pp).map(([mode, list], i) => {
        const p = list.reduce((a, b) => (b.workers >= a.workers ? b : a));
        return {name: mode + ' @' + p.workers + ' workers, fairness ' + (p.fairness || 0).toFixed(2), color: color(mode, i), points: p.per_process.map((q, k) => [k + 1, q.ops_per_s])};
      });
      sec.append(chart('Per-process throughput', ser, {xlabel: 'process', ylabel: 'ops/s', xcat: true}));
    }
  }
}
try {
  const data = JSON.parse(document.getElementById('bench-data').textContent);
  draw(data);
  document.body.dataset.charts = String(charts);
  document.body.dataset.rendered = 'ok';
} catch (e) {
  document.body.dataset.rendered = 'error';
  document.getElementById('render-error').textContent = 'report script failed: ' + e;
}
})();
)js";

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string text_of(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  return v.dump();
}

double num(const nlohmann::json& p, const char* a, const char* b = nullptr) {
  const nlohmann::json* v = &p;
  for (const char* k : {a, b}) {
    if (k == nullptr) break;
    if (!v->is_object() || !v->contains(k)) return 0;
    v = &(*v)[k];
  }
  return v->is_number() ? v->get<double>() : 0;
}

// Key/value rows of a flat object (nested values as compact JSON).
std::string kv_table(const nlohmann::json& obj) {
  if (!obj.is_object()) return "<p class=\"nodata\">no data</p>";
  std::string t = "<table>";
  for (const auto& [k, v] : obj.items()) {
    t += "<tr><th>" + html_escape(k) + "</th><td style=\"text-align:left\">" +
         html_escape(text_of(v)) + "</td></tr>";
  }
  return t + "</table>";
}

// Every point's figures, readable without JavaScript.
std::string points_table(const nlohmann::json& points) {
  std::string t =
      "<table><tr><th>mode</th><th>phase</th><th>procs</th><th>workers</th><th>rate/s</th>"
      "<th>ops/s</th><th>read p50/p99/p999/max ms</th><th>write p50/p99/p999/max ms</th>"
      "<th>errors</th><th>WAL max MB</th></tr>";
  if (!points.is_array()) return t + "</table>";
  for (const auto& p : points) {
    if (!p.is_object()) continue;  // a malformed entry is left out, never thrown on
    auto lat = [&](const char* k) {
      return fmt::format("{:.2f} / {:.2f} / {:.2f} / {:.2f}", num(p, k, "p50_ms"),
                         num(p, k, "p99_ms"), num(p, k, "p999_ms"), num(p, k, "max_ms"));
    };
    t += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{:.1f}</td></tr>",
        html_escape(text_of(p.value("mode", nlohmann::json("?")))),
        html_escape(text_of(p.value("phase", nlohmann::json("?")))), num(p, "processes"),
        num(p, "workers"), num(p, "rate") > 0 ? fmt::format("{:.0f}", num(p, "rate")) : "-",
        num(p, "ops_per_s"), lat("read"), lat("write"), num(p, "error_count"),
        num(p, "wal_max_bytes") / 1e6);
  }
  return t + "</table>";
}

// JSON inside <script>: "</" would end the element early, so it is written "<\/" (the same
// string to JSON.parse).
std::string script_safe_json(const nlohmann::json& j) {
  std::string s = j.dump();
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string render_html_report(const nlohmann::json& given) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& report = given.is_object() ? given : empty;
  const nlohmann::json& args = report.contains("args") ? report["args"] : empty;
  const std::string workload =
      args.is_object() ? text_of(args.value("workload", nlohmann::json("?"))) : "?";
  std::string html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  html += "<title>sluice bench — " + html_escape(workload) + "</title><style>" + kStyle +
          "</style></head>\n<body data-rendered=\"pending\">";
  html += "<h1>sluice bench — " + html_escape(workload) + " workload</h1>";
  html +=
      "<pre id=\"render-error\"></pre><noscript>Charts need JavaScript; every figure is in the "
      "tables below.</noscript><div id=\"charts\"></div>";
  html += "<h2>Every point</h2>" + points_table(report.value("points", nlohmann::json::array()));
  html += "<h2>Arguments</h2>" + kv_table(args);
  html += "<h2>Machine</h2>" + kv_table(report.value("machine", empty));
  html += "<h2>Modes</h2>" + kv_table(report.value("modes", empty));
  html += "\n<script type=\"application/json\" id=\"bench-data\">" + script_safe_json(report) +
          "</script>\n<script>" + kScript + "</script>\n</body></html>\n";
  return html;
}

void write_html_report(const std::string& path, const nlohmann::json& report) {
  std::ofstream out(path, std::ios::binary);
  if (out) out << render_html_report(report);
  if (!out) throw std::runtime_error("cannot write the HTML report to '" + path + "'");
}

}  // namespace sluice::bench
