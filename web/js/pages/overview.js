// Overview: every number links to the findings list filtered to what it counts.
import {ApiError, get} from '../api.js';
import {h, replace} from '../dom.js';
import {formatCount, formatRate, formatTime, routeHash, SEVERITIES, severityClass} from '../format.js';

function countTable(title, rows, keyLabel, keyOf, linkOf) {
  return h('section', {class: 'card'}, h('h3', null, title),
    rows.length === 0 ? h('p', {class: 'muted'}, 'None.')
      : h('table', {class: 'grid'}, h('thead', null, h('tr', null, h('th', null, keyLabel), h('th', {class: 'num'}, 'Findings'))),
        h('tbody', null, rows.map((r) => h('tr', null, h('td', {class: 'mono'}, keyOf(r)),
          h('td', {class: 'num'}, h('a', {href: linkOf(r)}, formatCount(r.count))))))));
}

export async function render(main, route, app) {
  const o = await get('stats/overview');
  let rem = null;
  try {
    rem = await get('remediation/status');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  const sevCards = h('div', {class: 'tiles'},
    h('a', {class: 'tile', href: routeHash('findings')}, h('span', {class: 'n', 'data-count': 'total'}, formatCount(o.total)), h('span', null, 'findings')),
    SEVERITIES.map((s) => h('a', {class: `tile ${severityClass(s)}`, href: routeHash('findings', [], {severities: s})},
      h('span', {class: 'n', 'data-count': s}, formatCount(o.by_severity[s] ?? 0)), h('span', null, s))),
    h('a', {class: 'tile', href: routeHash('findings', [], {status: 'NEW'})},
      h('span', {class: 'n', 'data-count': 'NEW'}, formatCount(o.by_status?.NEW ?? 0)), h('span', null, 'new')),
    h('a', {class: 'tile', href: routeHash('controls')},
      h('span', {class: 'n', 'data-count': 'failing_controls'}, formatCount(o.failing_controls_total)), h('span', null, 'failing controls')),
    h('a', {class: 'tile', href: routeHash('remediation')},
      h('span', {class: 'n', 'data-count': 'awaiting_approval'}, rem ? formatCount(rem.awaiting_approval) : '—'),
      h('span', null, rem ? 'awaiting approval' : 'remediation not enabled')));

  const clusters = h('section', {class: 'card'}, h('h3', null, 'Ingestion health'),
    o.clusters.length === 0 ? h('p', {class: 'muted'}, 'No cluster has sent events to this server yet.')
      : h('table', {class: 'grid'}, h('thead', null, h('tr', null, h('th', null, 'Cluster'), h('th', {class: 'num'}, 'Findings'),
        h('th', {class: 'num'}, 'Events received'), h('th', {class: 'num'}, 'Events/s'), h('th', null, 'Last event'), h('th', null, 'Delivery'))),
      h('tbody', null, o.clusters.map((c) => h('tr', {class: c.alarm ? 'alarm' : ''},
        h('td', null, c.cluster),
        h('td', {class: 'num'}, h('a', {href: routeHash('findings', [], {cluster: c.cluster})}, formatCount(c.findings))),
        h('td', {class: 'num'}, formatCount(c.events_received)),
        h('td', {class: 'num'}, formatRate(c.events_per_second)),
        h('td', {class: 'time'}, formatTime(c.last_event)),
        h('td', null, c.alarm ? h('span', {class: 'error', title: c.alarm}, 'audit delivery stopped') : (c.delivery || '—')))))));

  const failing = h('section', {class: 'card'}, h('h3', null, 'Failing controls'),
    o.failing_controls.length === 0 ? h('p', {class: 'muted'}, 'None.')
      : h('ul', {class: 'plain'}, o.failing_controls.map((c) => h('li', null,
        h('span', {class: `sev ${severityClass(c.severity)}`}, c.severity), ' ',
        h('a', {href: routeHash('finding', [c.id])}, `${c.control} ${c.status}`), ' ', h('span', {class: 'muted mono'}, c.resource)))));

  replace(main,
    h('h1', null, 'Overview'),
    sevCards,
    h('div', {class: 'cols'},
      countTable('By type', o.by_type, 'Type', (r) => r.type, (r) => routeHash('findings', [], {type: r.type})),
      countTable('Top principals', o.top_principals, 'Principal', (r) => r.principal, (r) => routeHash('findings', [], {principal: r.principal})),
      countTable('Top source networks', o.top_source_networks, 'Network', (r) => r.network,
        (r) => routeHash('findings', [], {q: r.network.replace(/0\/24$/, '').replace(/:\/64$/, '')}))),
    clusters, failing);
}
