// Pages rendered against a stubbed fetch (the API's answers as vigil serve gives them): the
// overview shows the API's numbers with links to the filtered list; the remediation page says
// "not enabled" on 404, approves a plan by sending its hash, and shows no buttons to read tokens.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {installDom} from './dom_shim.mjs';

const document = installDom();
globalThis.sessionStorage = {getItem: () => 'tok', setItem() {}, removeItem() {}};

let routes = {};
const calls = [];
globalThis.fetch = async (url, opts = {}) => {
  const u = new URL(String(url));
  calls.push({path: u.pathname, search: u.search, method: opts.method || 'GET', body: opts.body, headers: opts.headers});
  const key = `${opts.method || 'GET'} ${u.pathname}`;
  const answer = routes[key];
  const [status, body] = typeof answer === 'function' ? answer(u, opts) : (answer || [404, {error: 'not found'}]);
  return {ok: status >= 200 && status < 300, status, text: async () => JSON.stringify(body)};
};

const overview = await import('../js/pages/overview.js');
const remediation = await import('../js/pages/remediation.js');
const route = (params = {}) => ({page: 'x', rest: [], params: new URLSearchParams(params)});
const tick = () => new Promise((r) => setTimeout(r, 0));

function all(el) {
  return [...el.walk()];
}

test('the overview shows the API numbers, each linking to its filtered list', async () => {
  routes = {
    'GET /prefix/api/v1/stats/overview': [200, {
      total: 12345, by_severity: {CRITICAL: 1, HIGH: 20, MEDIUM: 300, LOW: 4000, INFORMATIONAL: 8024},
      by_status: {NEW: 77}, by_type: [{type: 'Policy:Kubernetes/ExposedDashboard', count: 5}],
      top_principals: [{principal: 'mallory', count: 4}], top_source_ips: [],
      top_source_networks: [{network: '203.0.113.0/24', count: 4}],
      clusters: [{cluster: 'prod', findings: 9, events_received: 4000, events_per_second: 12.5, last_event: null, delivery: 'FAILED', alarm: 'audit log delivery stopped: …'}],
      failing_controls_total: 0, failing_controls: []}],
    'GET /prefix/api/v1/remediation/status': [200, {awaiting_approval: 3, actions_last_hour: 0, global_cap_per_hour: 10, escalated: 0, mode_by_playbook: {}}],
  };
  const main = document.createElement('main');
  await overview.render(main, route(), {admin: false});
  const counts = Object.fromEntries(all(main).filter((e) => e.getAttribute('data-count')).map((e) => [e.getAttribute('data-count'), e.textContent]));
  assert.deepEqual(counts, {total: '12,345', CRITICAL: '1', HIGH: '20', MEDIUM: '300', LOW: '4,000', INFORMATIONAL: '8,024', NEW: '77', failing_controls: '0', awaiting_approval: '3'});
  const hrefs = all(main).map((e) => e.getAttribute('href')).filter(Boolean);
  assert.ok(hrefs.includes('#/findings?severities=HIGH'));
  assert.ok(hrefs.includes('#/findings?principal=mallory'));
  assert.ok(hrefs.includes('#/findings?type=Policy%3AKubernetes%2FExposedDashboard'));
  assert.ok(hrefs.includes('#/findings?cluster=prod'));
  assert.ok(main.textContent.includes('audit delivery stopped'));
  // The token went as a header, relative to the page (/prefix/), never in the URL.
  for (const c of calls) {
    assert.ok(c.path.startsWith('/prefix/api/v1/'));
    assert.equal(c.headers.Authorization, 'Bearer tok');
    assert.ok(!c.search.includes('tok'));
  }
});

test('remediation says not enabled when the endpoints are missing', async () => {
  routes = {};
  const main = document.createElement('main');
  await remediation.render(main, route(), {admin: true});
  assert.ok(main.textContent.includes('Remediation not enabled'));
});

const PLAN = {id: 'p1', finding_id: 'f1', playbook: 'remove-anonymous-binding', mode: 'approve', state: 'awaiting_approval',
  created_at: '2026-11-26T10:00:00Z', expires_at: '2026-11-27T10:00:00Z', hash: 'sha256:abc',
  changes: [{action: 'delete', target: 'clusterrolebinding/<script>x</script>', summary: 'remove it', detail: ''}],
  diff: '- subjects: [system:anonymous]\n+ (deleted)', ticket: null};

function remediationRoutes(onApprove) {
  return {
    'GET /prefix/api/v1/remediation/status': [200, {awaiting_approval: 1, actions_last_hour: 0, global_cap_per_hour: 10, escalated: 0, mode_by_playbook: {}}],
    'GET /prefix/api/v1/remediation/plans': [200, {plans: [PLAN], next_cursor: null}],
    'GET /prefix/api/v1/remediation/journal': [200, {entries: [], next_cursor: null, verified: true}],
    'POST /prefix/api/v1/remediation/plans/p1/approve': (u, opts) => {
      onApprove(JSON.parse(opts.body));
      return [200, {...PLAN, state: 'applied'}];
    },
  };
}

test('approving a plan sends its hash; read tokens get no buttons', async () => {
  let approved = null;
  routes = remediationRoutes((b) => { approved = b; });
  const main = document.createElement('main');
  await remediation.render(main, route(), {admin: true});
  assert.ok(main.textContent.includes('- subjects: [system:anonymous]'));
  assert.ok(main.textContent.includes('clusterrolebinding/<script>x</script>'));
  assert.ok(!all(main).some((e) => e.tagName === 'SCRIPT'));
  assert.ok(main.textContent.includes('(hash chain verified)'));
  const approve = all(main).find((e) => e.getAttribute('class') === 'approve');
  const note = all(main).find((e) => e.getAttribute('class') === 'plan-note');
  note.value = 'ok by me';
  approve.dispatch('click');
  for (let i = 0; i < 5 && !approved; ++i) await tick();
  assert.deepEqual(approved, {hash: 'sha256:abc', note: 'ok by me'});

  const ro = document.createElement('main');
  await remediation.render(ro, route(), {admin: false});
  assert.ok(!all(ro).some((e) => ['approve', 'reject'].includes(e.getAttribute('class'))));
});

test('a 409 on approval says the plan changed', async () => {
  routes = remediationRoutes(() => {});
  routes['POST /prefix/api/v1/remediation/plans/p1/approve'] = [409, {error: 'hash mismatch'}];
  const main = document.createElement('main');
  await remediation.render(main, route(), {admin: true});
  all(main).find((e) => e.getAttribute('class') === 'approve').dispatch('click');
  for (let i = 0; i < 5; ++i) await tick();
  assert.ok(main.textContent.includes('hash mismatch') || main.textContent.includes('plan changed'));
});
