// A stacked bar chart in SVG, drawn with dom.js (no chart library): one bar per time bucket,
// one segment per severity. Pure apart from the DOM calls, so it is tested with node --test.
import {svg} from './dom.js';
import {formatTime} from './format.js';

// Bottom to top: the least severe first.
export const STACK = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

// data: {buckets: [{start, counts: [info, low, medium, high, critical]}], bucket_seconds, from, to}
// onPick(bucket) is called when a bar is clicked (the timeline zooms into it).
export function stackedBars(data, {width = 900, height = 240, onPick} = {}) {
  const buckets = data.buckets || [];
  const pad = {l: 44, r: 8, t: 8, b: 26};
  const from = Date.parse(data.from);
  const to = Date.parse(data.to);
  const span = Math.max(1, to - from);
  const bucketMs = Math.max(1, (data.bucket_seconds || 1) * 1000);
  const innerW = width - pad.l - pad.r;
  const innerH = height - pad.t - pad.b;
  const max = Math.max(1, ...buckets.map((b) => b.counts.reduce((a, c) => a + c, 0)));
  const barW = Math.max(1, (innerW * bucketMs) / span - 1);
  const g = [];
  // y axis: 0, max/2, max
  for (const v of [0, Math.round(max / 2), max]) {
    const y = pad.t + innerH - (innerH * v) / max;
    g.push(svg('line', {x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'grid'}));
    g.push(svg('text', {x: pad.l - 4, y, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'axis'}, String(v)));
  }
  g.push(svg('text', {x: pad.l, y: height - 6, class: 'axis'}, formatTime(data.from)));
  g.push(svg('text', {x: width - pad.r, y: height - 6, 'text-anchor': 'end', class: 'axis'}, formatTime(data.to)));
  for (const b of buckets) {
    const start = Date.parse(b.start);
    const x = pad.l + (innerW * (start - from)) / span;
    let y = pad.t + innerH;
    const total = b.counts.reduce((a, c) => a + c, 0);
    const parts = [];
    STACK.forEach((sev, i) => {
      const n = b.counts[i] || 0;
      if (n === 0) return;
      const hgt = (innerH * n) / max;
      y -= hgt;
      parts.push(svg('rect', {x, y, width: barW, height: Math.max(hgt, 0.5), class: `bar sev-${sev.toLowerCase()}`}));
    });
    const title = svg('title', null,
      `${formatTime(b.start)}: ${total} finding(s) — ${STACK.map((s, i) => `${s} ${b.counts[i] || 0}`).join(', ')}`);
    const group = svg('g', {class: 'bucket', 'data-start': b.start, tabindex: 0}, title, parts);
    if (onPick) group.addEventListener('click', () => onPick(b));
    g.push(group);
  }
  return svg('svg', {viewBox: `0 0 ${width} ${height}`, width: '100%', class: 'chart', role: 'img',
    'aria-label': 'Findings over time, stacked by severity'}, g);
}

// One lane of an attack sequence: its signals as dots along time, each labelled with its actor
// and tactic. signals: [{time, title, principal, tactic, severity}]
export function sequenceLane(signals, {width = 900, height = 90} = {}) {
  const pad = {l: 10, r: 10};
  const times = signals.map((s) => Date.parse(s.time)).filter((t) => !Number.isNaN(t));
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const span = Math.max(1, hi - lo);
  const parts = [svg('line', {x1: pad.l, x2: width - pad.r, y1: 30, y2: 30, class: 'lane'})];
  signals.forEach((s, i) => {
    const t = Date.parse(s.time);
    const x = pad.l + ((width - pad.l - pad.r) * (Number.isNaN(t) ? 0 : t - lo)) / span;
    parts.push(svg('g', {class: 'signal'},
      svg('title', null, `${formatTime(s.time)} ${s.title} — ${s.principal || '?'} (${s.tactic || 'no tactic'})`),
      svg('circle', {cx: x, cy: 30, r: 6, class: `dot sev-${String(s.severity).toLowerCase()}`}),
      svg('text', {x, y: i % 2 ? 56 : 14, 'text-anchor': 'middle', class: 'axis'}, s.tactic || s.title || ''),
      svg('text', {x, y: i % 2 ? 70 : 84, 'text-anchor': 'middle', class: 'axis muted'}, s.principal || '')));
  });
  return svg('svg', {viewBox: `0 0 ${width} ${height}`, width: '100%', class: 'chart lane', role: 'img',
    'aria-label': 'Attack sequence'}, parts);
}
