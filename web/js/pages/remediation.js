// Remediation: the queue of plans awaiting approval with their exact changes and diff,
// approve/reject (approval sends the plan's hash; the server refuses it when the plan changed),
// and the journal with its verification status. Says so when remediation is not enabled.
import {ApiError, get, post} from '../api.js';
import {h, replace} from '../dom.js';
import {formatTime, routeHash} from '../format.js';

function planCard(p, app, redraw) {
  const note = h('input', {type: 'text', name: 'note', placeholder: 'note', class: 'plan-note'});
  const msg = h('span', {class: 'msg'});
  const act = async (verb, body) => {
    msg.textContent = '…';
    try {
      await post(`remediation/plans/${encodeURIComponent(p.id)}/${verb}`, body);
      await redraw();
    } catch (e) {
      msg.textContent = e.status === 409 ? 'The plan changed since it was shown (hash mismatch) or is no longer awaiting approval — reload.'
        : e.status === 410 ? 'The plan expired.' : `Failed: ${e.message}`;
    }
  };
  const actions = app.admin && p.state === 'awaiting_approval' ? h('div', {class: 'row'}, note,
    h('button', {type: 'button', class: 'approve', on: {click: () => act('approve', {hash: p.hash, note: note.value})}}, 'Approve'),
    h('button', {type: 'button', class: 'reject', on: {click: () => act('reject', {note: note.value})}}, 'Reject'), msg) : null;
  return h('section', {class: 'card plan', 'data-plan': p.id},
    h('h3', null, `${p.playbook} `, h('span', {class: `status st-${String(p.state).toLowerCase()}`}, p.state)),
    h('p', {class: 'muted'}, 'finding ', h('a', {href: routeHash('finding', [p.finding_id])}, p.finding_id),
      ` · mode ${p.mode} · created ${formatTime(p.created_at)} · expires ${formatTime(p.expires_at)}`),
    h('p', {class: 'muted mono'}, `hash ${p.hash}`),
    h('ul', {class: 'plain'}, (p.changes || []).map((c) => h('li', null, h('b', null, c.action), ' ', h('span', {class: 'mono'}, c.target), ' — ', c.summary,
      c.detail ? h('div', {class: 'muted'}, c.detail) : null))),
    p.diff ? h('pre', {class: 'code diff'}, p.diff) : null,
    p.ticket ? h('p', null, `ticket ${p.ticket.tracker} ${p.ticket.key}`) : null,
    actions);
}

export async function render(main, route, app) {
  const draw = async () => {
    let status;
    try {
      status = await get('remediation/status');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        replace(main, h('h1', null, 'Remediation'), h('p', {class: 'muted', id: 'not-enabled'}, 'Remediation not enabled on this server.'));
        return;
      }
      throw e;
    }
    const state = route.params.get('state') || 'awaiting_approval';
    const [plans, journal] = await Promise.all([
      get('remediation/plans', {state, limit: 50}),
      get('remediation/journal', {limit: 50}),
    ]);
    const tabs = h('div', {class: 'row'}, ['awaiting_approval', 'planned', 'applied', 'rejected', 'expired', 'failed', 'all'].map((s) =>
      h('a', {class: `small${s === state ? ' active' : ''}`, href: routeHash('remediation', [], {state: s})}, s.replace('_', ' '))));
    replace(main, h('h1', null, 'Remediation'),
      h('p', null, `${status.awaiting_approval} awaiting approval · ${status.actions_last_hour} actions in the last hour (cap ${status.global_cap_per_hour}/h) · ${status.escalated} escalated`),
      tabs,
      plans.plans.length === 0 ? h('p', {class: 'muted'}, 'No plan in this state.') : plans.plans.map((p) => planCard(p, app, draw)),
      h('h2', null, 'Journal ', h('span', {class: journal.verified ? 'ok' : 'error', id: 'journal-verified'},
        journal.verified ? '(hash chain verified)' : '(hash chain NOT verified)')),
      h('table', {class: 'grid'}, h('thead', null, h('tr', null, ['#', 'When', 'Kind', 'Finding', 'Plan', 'Action', 'Detail'].map((x) => h('th', null, x)))),
        h('tbody', null, journal.entries.map((e) => h('tr', null, h('td', {class: 'num'}, String(e.seq)), h('td', {class: 'time'}, formatTime(e.time)),
          h('td', null, e.kind), h('td', null, e.finding_id ? h('a', {href: routeHash('finding', [e.finding_id])}, e.finding_id.slice(0, 8)) : ''),
          h('td', {class: 'mono'}, e.plan_id || ''), h('td', {class: 'mono'}, e.action_id || ''), h('td', null, e.detail || ''))))));
  };
  await draw();
}
