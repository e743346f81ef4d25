// Timeline: findings first seen per bucket, stacked by severity. Clicking a bar zooms into it;
// the range lives in the URL. An attack sequence (a finding whose type starts AttackSequence:)
// is drawn as one lane of its signals with their actors and tactics.
import {get} from '../api.js';
import {h, replace} from '../dom.js';
import {formatTime, routeHash} from '../format.js';
import {sequenceLane, stackedBars, STACK} from '../chart.js';

const RANGES = [['1h', 3600], ['24h', 86400], ['7d', 7 * 86400], ['30d', 30 * 86400], ['1y', 365 * 86400]];

export async function render(main, route) {
  const p = route.params;
  const now = Date.now();
  // Without a range in the URL: the 7 days up to the newest activity (an imported archive's
  // findings may be far in the past).
  let anchor = now;
  if (!p.get('to')) {
    const newest = (await get('findings', {limit: 1})).findings[0];
    if (newest && Date.parse(newest.last_seen) < now) anchor = Date.parse(newest.last_seen) + 3600 * 1000;
  }
  const to = p.get('to') || new Date(anchor).toISOString();
  const from = p.get('from') || new Date(Date.parse(to) - 7 * 86400 * 1000).toISOString();
  const filters = {};
  for (const k of ['severity', 'type', 'cluster', 'namespace', 'principal', 'q']) if (p.get(k)) filters[k] = p.get(k);
  const data = await get('stats/timeline', {from, to, ...filters});
  const zoom = (b) => {
    const start = Date.parse(b.start);
    const width = data.bucket_seconds * 1000;
    // The picked bucket and one on each side.
    location.hash = routeHash('timeline', [], {...filters, from: new Date(start - width).toISOString(), to: new Date(start + 2 * width).toISOString()});
  };
  const ranges = h('div', {class: 'row'}, 'Range: ', RANGES.map(([label, secs]) =>
    h('a', {class: 'small', href: routeHash('timeline', [], {...filters, from: new Date(now - secs * 1000).toISOString(), to: new Date(now).toISOString()})}, label)),
  h('a', {class: 'small', href: routeHash('timeline', [], {...filters,
    from: new Date(Date.parse(from) - (Date.parse(to) - Date.parse(from))).toISOString(),
    to: new Date(Math.min(now, Date.parse(to) + (Date.parse(to) - Date.parse(from)))).toISOString()})}, 'zoom out'));
  const total = data.buckets.reduce((a, b) => a + b.counts.reduce((x, y) => x + y, 0), 0);
  const legend = h('div', {class: 'legend'}, STACK.slice().reverse().map((s) => h('span', {class: `key sev-${s.toLowerCase()}`}, s)));
  const lanes = h('div', null);
  replace(main, h('h1', null, 'Timeline'), ranges,
    h('p', {class: 'muted'}, `${total} finding(s) first seen between ${formatTime(data.from)} and ${formatTime(data.to)}, ${data.bucket_seconds} s per bar. Click a bar to zoom in.`),
    legend, stackedBars(data, {onPick: zoom}), h('h2', null, 'Attack sequences'), lanes);

  const seqs = await get('findings', {type_prefix: 'AttackSequence:', since: from, until: to, limit: 10});
  if (seqs.findings.length === 0) {
    replace(lanes, h('p', {class: 'muted'}, 'No attack sequence in this range.'));
    return;
  }
  const blocks = [];
  for (const s of seqs.findings) {
    const signals = [];
    for (const rid of (s.related_findings || []).slice(0, 30)) {
      try {
        const r = await get(`findings/${encodeURIComponent(rid)}`);
        signals.push({time: r.first_seen, title: r.title, principal: r.principal?.username, tactic: r.mitre?.[0]?.tactic, severity: r.severity});
      } catch {
        // a related finding may have been pruned
      }
    }
    signals.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    blocks.push(h('section', {class: 'card'}, h('h3', null, h('a', {href: routeHash('finding', [s.id])}, s.title || s.type)),
      signals.length ? sequenceLane(signals) : h('p', {class: 'muted'}, 'No signals stored.')));
  }
  replace(lanes, blocks);
}
