// Time to first useful paint of the console's findings list, in headless Chromium, against a
// running `vigil serve` (bench/console_latency.sh --paint fills the store and starts it).
//
//   node web/e2e/paint.bench.mjs BASE_URL TOKEN_FILE [RUNS]   (the token: first word of the file)
//
// Each run is a fresh browser context (empty cache, like a first visit) with the token already
// in sessionStorage (sign-in is not timed). It navigates to BASE/#/<view> and records, in the
// page's own clock (performance.now(), 0 = navigation start): first-contentful-paint, the moment
// the first findings row is in the DOM and the next animation frame after it (the first useful
// paint), and the wall time the driver saw from goto to that row. All but max/p95 are medians.
import {readFileSync} from 'node:fs';
import {launchOptions, loadPlaywright, chromiumPath, SKIP} from './lib.mjs';

const [base, tokenFile, runsArg] = process.argv.slice(2);
if (!base || !tokenFile) {
  console.error('usage: node web/e2e/paint.bench.mjs BASE_URL TOKEN_FILE [RUNS]');
  process.exit(2);
}
const token = readFileSync(tokenFile, 'utf8').trim().split(/\s+/)[0];
const runs = Number(runsArg || 10);
const pw = await loadPlaywright();
if (!pw || !chromiumPath()) {
  console.error('needs Chromium (/usr/bin/chromium) and `npm ci` in web/e2e (scripts/install-deps.sh)');
  process.exit(SKIP);
}

const VIEWS = [
  ['findings, first page (default order)', '#/findings'],
  ['findings, severity HIGH', '#/findings?severity=HIGH'],
  ['findings, sorted by count, offset 50,000', '#/findings?sort=count&order=desc&offset=50000'],
];

const browser = await pw.chromium.launch(launchOptions());
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const ms = (x) => `${x.toFixed(0)} ms`;

console.log(`Chromium ${browser.version()}, ${runs} runs per view, fresh context each run`);
console.log('| view | FCP | list request sent at | list request took | first row | first useful paint | paint p95 | paint max | driver wall |');
console.log('|---|---|---|---|---|---|---|---|---|');
try {
  for (const [label, hash] of VIEWS) {
    const fcp = [];
    const row = [];
    const paint = [];
    const wall = [];
    const reqStart = [];
    const reqTime = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({viewport: {width: 1400, height: 1000}});
      await context.addInitScript((t) => {
        sessionStorage.setItem('vigil.token', t);
        // In the page, from navigation start: when the first findings row enters the DOM, and
        // the frame after it (the row painted).
        new MutationObserver((_, obs) => {
          if (window.__vigilRowAt || !document.querySelector('#rows tr')) return;
          window.__vigilRowAt = performance.now();
          obs.disconnect();
          requestAnimationFrame(() => setTimeout(() => { window.__vigilPaintAt = performance.now(); }, 0));
        }).observe(document, {childList: true, subtree: true});
      }, token);
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto(`${base}/${hash}`);
      await page.waitForFunction(() => window.__vigilPaintAt, null, {timeout: 120000});
      wall.push(Date.now() - t0);
      const at = await page.evaluate(() => ({rowAt: window.__vigilRowAt, paintAt: window.__vigilPaintAt}));
      const entries = await page.evaluate(() => performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      // Where the time goes: when the list's API request started and how long it took.
      const req = await page.evaluate(() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/api/v1/findings?')).map((e) => [e.startTime, e.responseEnd - e.startTime])[0]);
      reqStart.push(req ? req[0] : NaN);
      reqTime.push(req ? req[1] : NaN);
      const f = entries.find(([n]) => n === 'first-contentful-paint');
      fcp.push(f ? f[1] : NaN);
      row.push(at.rowAt);
      paint.push(at.paintAt);
      await context.close();
    }
    console.log(`| ${label} | ${ms(pct(fcp, 0.5))} | ${ms(pct(reqStart, 0.5))} | ${ms(pct(reqTime, 0.5))} | ${ms(pct(row, 0.5))} | ${ms(pct(paint, 0.5))} | ${ms(pct(paint, 0.95))} | ${ms(Math.max(...paint))} | ${ms(pct(wall, 0.5))} |`);
  }
} finally {
  await browser.close();
}
