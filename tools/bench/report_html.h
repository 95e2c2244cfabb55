// The self-contained HTML report of `sluice bench --report FILE.html`: charts like the seed
// article's, drawn as inline SVG by inline JavaScript from the report JSON embedded in the page,
// plus a plain table of every point that reads without JavaScript. Nothing is fetched: no
// scripts, fonts or images from elsewhere, so the file can be mailed or archived as is.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sluice::bench {

// The whole page for `report` (the object `--json` writes: args, machine, modes, points).
// Missing fields draw as "no data"; never throws on the shape of `report`. When the page has
// drawn, <body> carries data-rendered="ok" and data-charts=<number of charts>; a script error
// sets data-rendered="error" and shows the message (what the headless-Chromium test checks).
std::string render_html_report(const nlohmann::json& report);

// Writes render_html_report(report) to `path`. Throws std::runtime_error naming the path when it
// cannot be written.
void write_html_report(const std::string& path, const nlohmann::json& report);

}  // namespace sluice::bench
