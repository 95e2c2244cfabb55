// The dashboard: one self-contained HTML page (no external scripts, styles or fonts) served at
// `/`. It polls GET /status once a second and draws, since the page was opened: write and read
// ops/s, write and read latency p50/p99 (the engine's histograms since open), batch sizes, WAL
// bytes and checkpoints, attached processes and reader-pool waits; and it has a read-only SQL
// console that sends GET /db/query and shows the rows as a table, errors inline.
#pragma once

#include <string_view>

namespace sluice::server {

std::string_view dashboard_html() noexcept;

}  // namespace sluice::server
