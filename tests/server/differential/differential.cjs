// The differential test: every request of corpus.json, in order, to `sluice serve` and to a real
// rqlited, each on a fresh database; status, Content-Type and body compared after dropping
// timings ("time") and replacing queued sequence numbers (node-specific). A request marked
// "known_difference" must differ (the reason is printed, and is in docs/server.md); any other
// difference fails the test, and so does a listed difference that went away.
//
//   node differential.cjs SLUICE_URL RQLITED_URL
'use strict';
const fs = require('fs');
const path = require('path');

const [sluiceUrl, rqliteUrl] = process.argv.slice(2);
const corpus = JSON.parse(fs.readFileSync(path.join(__dirname, 'corpus.json'), 'utf8'));

// Raw JSON text, compared as text (JSON.parse would round large integers): timings dropped,
// queued sequence numbers (node-specific) replaced.
function normalise(text) {
  return text.replace(/,"time":[0-9.eE+-]+/g, '').replace(/"time":[0-9.eE+-]+,?/g, '')
    .replace(/"time": [0-9.eE+-]+,?\n\s*/g, '')
    .replace(/"sequence_number":[0-9]+/g, '"sequence_number":"<sequence>"');
}

async function send(base, item) {
  const method = item.method || 'POST';
  let url = base + item.path;
  if (item.q !== undefined) url += (item.path.includes('?') ? '&' : '?') + 'q=' + encodeURIComponent(item.q);
  const init = { method, headers: {} };
  if (method === 'POST') {
    init.headers['Content-Type'] = item.content_type || 'application/json';
    init.body = item.body_text !== undefined ? item.body_text
      : typeof item.body === 'string' ? item.body : JSON.stringify(item.body);
  }
  const res = await fetch(url, init);
  const body = normalise(await res.text());
  const type = (res.headers.get('content-type') || '').split(';')[0];
  return { status: res.status, type, body };
}

(async () => {
  let failures = 0;
  let known = 0;
  for (const item of corpus) {
    const [a, b] = [await send(sluiceUrl, item), await send(rqliteUrl, item)];
    const same = a.status === b.status && a.type === b.type &&
      a.body === b.body;
    if (same && !item.known_difference) continue;
    if (!same && item.known_difference) {
      known++;
      console.log(`known difference: ${item.name}: ${item.known_difference}`);
      continue;
    }
    failures++;
    console.log(same ? `FAIL ${item.name}: listed as a known difference, but the answers agree`
                     : `FAIL ${item.name}`);
    if (!same) {
      console.log(`  sluice  ${a.status} ${a.type} ${JSON.stringify(a.body)}`);
      console.log(`  rqlited ${b.status} ${b.type} ${JSON.stringify(b.body)}`);
    }
  }
  console.log(`${corpus.length} requests, ${corpus.length - failures - known} identical, ` +
              `${known} known differences, ${failures} failures`);
  process.exit(failures === 0 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
