// The console renders attacker-controlled audit data as text: a finding whose every field holds
// <script> and <img onerror> payloads must produce no script/img element, no event-handler
// attribute and no javascript: link, and the payloads must appear verbatim as text.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {installDom, root} from './dom_shim.mjs';

installDom();
const {renderFindingDetail, renderFindingRow} = await import('../js/views/finding_view.js');
const {stackedBars, sequenceLane} = await import('../js/chart.js');

const SCRIPT = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(document.cookie)>';

function hostileFinding() {
  const evidence = {
    kind: 'Event', auditID: SCRIPT, user: {username: IMG},
    objectRef: {resource: 'pods', name: `${SCRIPT}${IMG}`},
    userAgent: IMG,
  };
  return {
    id: '6f1c5a8e-0000-4000-8000-000000000001',
    rule: SCRIPT, type: `Execution:Kubernetes/${IMG}`, severity: 'HIGH', title: SCRIPT,
    description: `${IMG} then ${SCRIPT}`, count: 3, audit_ids: [SCRIPT],
    first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T11:00:00Z',
    created_at: '2026-11-26T10:00:01Z', updated_at: '2026-11-26T11:00:01Z',
    cluster: IMG, account: SCRIPT, region: 'us-east-1',
    principal: {username: IMG, uid: SCRIPT, groups: [SCRIPT, IMG], impersonated_user: IMG,
      aws: {arn: IMG, session_name: SCRIPT}},
    source_ips: ['203.0.113.7', IMG], user_agent: `${SCRIPT} kubectl`,
    resource: {api_group: IMG, resource: 'pods', subresource: 'exec', namespace: SCRIPT, name: IMG, request_uri: `/api?x=${IMG}`},
    mitre: [{tactic: IMG, technique_id: 'T1609', technique: SCRIPT}],
    remediation: {text: `${SCRIPT} fix it`, url: 'javascript:alert(1)'},
    tags: [IMG], priority: 'WARNING',
    output_fields: {[IMG]: SCRIPT},
    context: {caller_ip: IMG, caller_country: SCRIPT, caller_asn: '64500', caller_as_org: IMG},
    evidence: JSON.stringify(evidence), workflow_status: 'NEW',
    related_findings: [],
  };
}

function assertInert(tree) {
  let text = '';
  for (const el of tree.walk()) {
    assert.ok(!['SCRIPT', 'IMG', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE'].includes(el.tagName), `a ${el.tagName} element was created`);
    for (const [k, v] of el.attributes) {
      assert.ok(!/^on/i.test(k), `attribute ${k}`);
      if (k === 'href') assert.ok(!/^\s*javascript:/i.test(v), `href ${v}`);
    }
  }
  text = tree.textContent;
  return text;
}

const ctx = (admin) => ({
  admin,
  history: [{at: '2026-11-26T12:00:00Z', actor: IMG, from: 'NEW', to: 'NOTIFIED', note: SCRIPT}],
  related: [{id: 'r1', title: SCRIPT, type: IMG, severity: 'LOW'}],
  plans: [{id: 'p1', playbook: SCRIPT, mode: 'approve', state: 'awaiting_approval', ticket: {tracker: IMG, key: SCRIPT, url: 'javascript:x'}}],
  actions: {workflow: async () => {}, suppress: async () => ({archived: 0}), exportAs: async () => '{}'},
});

test('detail renders every hostile field as text', () => {
  for (const admin of [true, false]) {
    const tree = root(renderFindingDetail(hostileFinding(), ctx(admin)));
    const text = assertInert(tree);
    assert.ok(text.includes(SCRIPT), 'the <script> payload shows as text');
    assert.ok(text.includes(IMG), 'the <img onerror> payload shows as text');
    // The evidence is pretty-printed JSON inside a <pre>, still text.
    const pre = [...tree.walk()].find((e) => e.tagName === 'PRE');
    assert.ok(pre.textContent.includes('"auditID": "<script>alert(1)</script>"'));
  }
});

test('a javascript: remediation link is dropped, an https one kept', () => {
  const f = hostileFinding();
  let tree = root(renderFindingDetail(f, ctx(false)));
  assert.ok(![...tree.walk()].some((e) => e.getAttribute('href') === 'javascript:alert(1)'));
  f.remediation.url = 'https://kubernetes.io/docs/';
  tree = root(renderFindingDetail(f, ctx(false)));
  assert.ok([...tree.walk()].some((e) => e.getAttribute('href') === 'https://kubernetes.io/docs/'));
});

test('read-only tokens get no action buttons, admin tokens do', () => {
  const classes = (admin) => [...root(renderFindingDetail(hostileFinding(), ctx(admin))).walk()]
    .map((e) => e.getAttribute('class') || '');
  assert.ok(!classes(false).some((c) => c.includes('action-workflow') || c.includes('action-suppress')));
  assert.ok(classes(true).some((c) => c.includes('action-workflow')));
  assert.ok(classes(true).some((c) => c.includes('action-suppress')));
});

test('a list row renders hostile fields as text', () => {
  const tree = root(renderFindingRow(hostileFinding()));
  const text = assertInert(tree);
  assert.ok(text.includes(SCRIPT) && text.includes(IMG));
  const link = [...tree.walk()].find((e) => e.tagName === 'A');
  assert.equal(link.getAttribute('href'), '#/finding/6f1c5a8e-0000-4000-8000-000000000001');
});

test('timeline bars stack per severity and scale to the tallest bucket', () => {
  const data = {
    from: '2026-11-26T00:00:00Z', to: '2026-11-26T04:00:00Z', bucket_seconds: 3600,
    buckets: [{start: '2026-11-26T00:00:00Z', counts: [0, 1, 2, 0, 1]},
      {start: '2026-11-26T02:00:00Z', counts: [0, 0, 0, 8, 0]}],
  };
  const tree = root(stackedBars(data, {width: 500, height: 200}));
  const rects = [...tree.walk()].filter((e) => e.tagName === 'RECT');
  assert.equal(rects.length, 4);  // 3 non-zero segments + 1
  const heights = rects.map((r) => Number(r.getAttribute('height')));
  // innerH = 200 - 8 - 26 = 166; the tallest bucket (8) is full height, 4 findings are half.
  assert.ok(Math.abs(heights[3] - 166) < 1e-6);
  assert.ok(Math.abs(heights[0] + heights[1] + heights[2] - 83) < 1e-6);
  // The first bar starts at the left edge, the second half-way.
  assert.equal(Number(rects[0].getAttribute('x')), 44);
  assert.ok(Math.abs(Number(rects[3].getAttribute('x')) - (44 + 448 / 2)) < 1e-6);
  assertInert(tree);
});

test('an attack-sequence lane labels signals as text', () => {
  const tree = root(sequenceLane([{time: '2026-11-26T00:00:00Z', title: SCRIPT, principal: IMG, tactic: 'Discovery', severity: 'LOW'},
    {time: '2026-11-26T00:05:00Z', title: 'b', principal: 'eve', tactic: IMG, severity: 'HIGH'}]));
  const text = assertInert(tree);
  assert.ok(text.includes(IMG));
});

test('the caller\'s source IP shows its country and AS when known', () => {
  const f = hostileFinding();
  f.source_ips = ['10.0.0.1', '203.0.113.7'];
  f.context = {caller_ip: '203.0.113.7', caller_country: 'DE', caller_asn: '64500', caller_as_org: 'Example Hosting GmbH'};
  let text = root(renderFindingDetail(f, ctx(false))).textContent;
  assert.ok(text.includes('203.0.113.7 (DE, AS64500 Example Hosting GmbH)'), text);
  assert.ok(!text.includes('10.0.0.1 ('), 'only the caller has a place');
  f.context = {caller_ip: '203.0.113.7'};
  text = root(renderFindingDetail(f, ctx(false))).textContent;
  assert.ok(!text.includes('203.0.113.7 ('), 'nothing when unknown');
});
