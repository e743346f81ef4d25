// Findings list: the URL holds every filter, the sort and the page, so a view can be shared.
// Filtering, sorting and paging happen on the server (fast with 100,000+ findings); findings
// committed while the page is open arrive over the live feed (api.subscribe).
import {get, subscribe} from '../api.js';
import {h, replace} from '../dom.js';
import {formatCount, routeHash, SEVERITIES, STATUSES} from '../format.js';
import {LIST_COLUMNS, renderFindingRow} from '../views/finding_view.js';

export const PAGE_SIZE = 50;
export const FILTERS = ['q', 'severity', 'severities', 'type', 'type_prefix', 'cluster', 'namespace', 'principal', 'status', 'since', 'until'];

// The API query of a route's parameters.
export function queryOf(params) {
  const q = {};
  for (const k of FILTERS) if (params.get(k)) q[k] = params.get(k);
  q.sort = params.get('sort') || 'last_seen';
  q.order = params.get('order') || 'desc';
  q.offset = Number(params.get('offset') || 0);
  q.limit = PAGE_SIZE;
  return q;
}

function filterForm(q) {
  const input = (name, placeholder, type = 'text') =>
    h('input', {type, name, placeholder, value: q[name] ?? '', class: `f-${name}`});
  const select = (name, options, blank) => h('select', {name, class: `f-${name}`},
    h('option', {value: ''}, blank), options.map((o) => h('option', {value: o, selected: q[name] === o}, o)));
  const form = h('form', {class: 'filters'},
    input('q', 'search text'),
    select('severity', SEVERITIES, 'any severity'),
    input('type', 'type'),
    input('cluster', 'cluster'),
    input('namespace', 'namespace'),
    input('principal', 'principal'),
    select('status', STATUSES, 'any status'),
    input('since', 'since (24h or RFC 3339)'),
    input('until', 'until'),
    h('button', {type: 'submit'}, 'Apply'),
    h('a', {href: routeHash('findings'), class: 'small'}, 'Clear'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = {};
    for (const el of form.querySelectorAll('input, select')) if (el.value) next[el.name] = el.value;
    if (q.severities && !next.severity) next.severities = q.severities;
    if (q.type_prefix) next.type_prefix = q.type_prefix;
    next.sort = q.sort;
    next.order = q.order;
    location.hash = routeHash('findings', [], next);
  });
  return form;
}

export async function render(main, route) {
  const q = queryOf(route.params);
  const page = await get('findings', q);
  const link = (over) => routeHash('findings', [], {...q, limit: undefined, ...over});
  const head = h('tr', null, LIST_COLUMNS.map((c) => {
    const active = q.sort === c.key;
    const order = active && q.order === 'desc' ? 'asc' : 'desc';
    return h('th', {class: active ? `sorted ${q.order}` : ''},
      h('a', {href: link({sort: c.key, order, offset: 0}), title: `sort by ${c.label}`}, c.label, active ? (q.order === 'desc' ? ' ▼' : ' ▲') : ''));
  }));
  const tbody = h('tbody', {id: 'rows'}, page.findings.map(renderFindingRow));
  const last = Math.min(page.total, q.offset + page.findings.length);
  const banner = h('div', {class: 'live', id: 'live'}, h('span', {class: 'muted'}, 'live: connecting…'));
  const pager = h('div', {class: 'pager'},
    q.offset > 0 ? h('a', {href: link({offset: Math.max(0, q.offset - PAGE_SIZE)}), class: 'prev'}, '← newer') : null,
    h('span', {class: 'count', id: 'count'}, page.total === 0 ? 'no findings' : `${formatCount(q.offset + 1)}–${formatCount(last)} of ${formatCount(page.total)}`),
    last < page.total ? h('a', {href: link({offset: q.offset + PAGE_SIZE}), class: 'next'}, 'older →') : null);
  replace(main, h('h1', null, 'Findings'), filterForm(q), banner, pager,
    h('table', {class: 'grid findings'}, h('thead', null, head), tbody), pager.cloneNode(true));

  // Live: the server applies the same filters to the feed. On the first page of the default
  // order a new finding is added on top; elsewhere the banner offers a reload.
  const liveTop = q.offset === 0 && q.sort === 'last_seen' && q.order === 'desc';
  let pending = 0;
  const feedQuery = {};
  for (const k of FILTERS) if (q[k]) feedQuery[k] = q[k];
  return subscribe(feedQuery, (type, data) => {
    if (type === 'open') replace(banner, h('span', {class: 'muted'}, 'live'));
    else if (type === 'error') replace(banner, h('span', {class: 'muted'}, 'live: reconnecting…'));
    else if (type === 'reset') replace(banner, h('a', {href: location.hash, class: 'reload'}, 'Many findings changed — reload'));
    else if (type === 'finding' && data && data.id) {
      const row = renderFindingRow(data);
      row.classList.add('fresh');
      const old = tbody.querySelector(`tr[data-id="${CSS.escape(data.id)}"]`);
      if (old) {
        tbody.replaceChild(row, old);
        if (liveTop) tbody.insertBefore(row, tbody.firstChild);
      } else if (liveTop) {
        tbody.insertBefore(row, tbody.firstChild);
        while (tbody.children.length > PAGE_SIZE) tbody.removeChild(tbody.lastChild);
      } else {
        pending += 1;
        replace(banner, h('a', {href: location.hash, class: 'reload'}, `${pending} new or changed — reload`));
      }
    }
  });
}
