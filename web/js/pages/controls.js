// Controls: a matrix of control × account/cluster; a cell opens its result (reasons, snapshot
// evidence) and its compliance history.
import {get} from '../api.js';
import {h, replace} from '../dom.js';
import {formatTime, routeHash} from '../format.js';

export async function render(main, route) {
  const m = await get('controls/matrix');
  const byKey = new Map(m.cells.map((c) => [`${c.control}\u0000${c.column}`, c]));
  const panel = h('div', {id: 'cell', class: 'card'}, h('p', {class: 'muted'}, 'Pick a cell to see its result, evidence and history.'));
  const open = async (c) => {
    const history = await get(`findings/${encodeURIComponent(c.id)}/compliance`).catch(() => []);
    replace(panel,
      h('h3', null, `${c.control} · ${c.column}: `, h('span', {class: `cs cs-${c.status.toLowerCase()}`}, c.status)),
      h('p', null, c.title, ' — ', h('a', {href: routeHash('finding', [c.id])}, 'finding')),
      h('p', {class: 'muted'}, `${c.resource_type} ${c.resource_id}`, c.status_since ? ` · since ${formatTime(c.status_since)}` : ''),
      h('h4', null, 'Reasons'), h('ul', {class: 'plain'}, c.reasons.map((r) => h('li', null, r))),
      h('h4', null, 'Evidence'), h('ul', {class: 'plain'}, c.evidence.map((e) => h('li', null, h('span', {class: 'mono'}, e.file), ': ', e.said))),
      h('h4', null, 'History'),
      h('table', {class: 'grid'}, h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Status'), h('th', null, 'Reasons'))),
        h('tbody', null, history.map((x) => h('tr', null, h('td', {class: 'time'}, formatTime(x.at)),
          h('td', null, h('span', {class: `cs cs-${x.status.toLowerCase()}`}, x.status)), h('td', null, x.reasons.join(' ')))))));
  };
  if (m.controls.length === 0) {
    replace(main, h('h1', null, 'Controls'), h('p', {class: 'muted'}, 'No control results stored yet: run vigil controls check (or let vigil serve watch audit delivery).'));
    return;
  }
  const table = h('table', {class: 'grid matrix'},
    h('thead', null, h('tr', null, h('th', null, 'Control'), m.columns.map((col) => h('th', null, col)))),
    h('tbody', null, m.controls.map((ctl) => h('tr', null, h('th', null, ctl), m.columns.map((col) => {
      const c = byKey.get(`${ctl}\u0000${col}`);
      if (!c) return h('td', {class: 'cs cs-none'}, '');
      const b = h('button', {type: 'button', class: `cs cs-${c.status.toLowerCase()}`, title: c.reasons.join(' ')}, c.status);
      b.addEventListener('click', () => open(c));
      return h('td', null, b);
    })))));
  replace(main, h('h1', null, 'Controls'), table, panel);
}
