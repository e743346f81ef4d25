// The console in a real browser (issue 7, "How it is checked"): a real `vigil serve` on loopback
// with admin and read-only token files, loaded with the example data the way
// scripts/run-console-example.sh does, driven by Debian's headless Chromium through playwright-core.
//
//   node web/e2e/console.e2e.mjs        (the ctest test `console_e2e`; needs `npm ci` in web/e2e)
//
// Environment: VIGIL_BINARY (the vigil binary), VIGIL_SOURCE_DIR (the checkout, for the example
// data), VIGIL_E2E_ARTIFACTS (where the screenshots go; default the build dir's e2e-screenshots/),
// VIGIL_CHROMIUM (default /usr/bin/chromium). Exits 77 (skipped) only when Chromium or
// node_modules are missing.
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {api, chromiumPath, launchOptions, loadPlaywright, postWebhook, run, signIn, SKIP, startServe, stopServe} from './lib.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const source = process.env.VIGIL_SOURCE_DIR || path.resolve(here, '../..');
const vigil = process.env.VIGIL_BINARY || path.join(source, 'build/src/cli/vigil');
const artifacts = path.resolve(process.env.VIGIL_E2E_ARTIFACTS || process.env.VIGIL_E2E_DEFAULT_ARTIFACTS ||
  path.join(source, 'build/e2e-screenshots'));

const pw = await loadPlaywright();
if (!pw) {
  console.log(`SKIP: playwright-core is not installed (run \`npm ci\` in ${here}; scripts/run-tests.sh does)`);
  process.exit(SKIP);
}
if (!chromiumPath()) {
  console.log('SKIP: no Chromium at /usr/bin/chromium (apt-get install chromium; scripts/install-deps.sh does)');
  process.exit(SKIP);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-'));
mkdirSync(artifacts, {recursive: true});
// Screenshots of an earlier run would be mistaken for this one's.
for (const f of readdirSync(artifacts)) if (f.endsWith('.png')) rmSync(path.join(artifacts, f));
const adminToken = `adm-${randomBytes(12).toString('hex')}`;
const readToken = `ro-${randomBytes(12).toString('hex')}`;
writeFileSync(path.join(work, 'api.tokens'), `${adminToken} admin alice\n${readToken} read bob\n`, {mode: 0o600});
const db = path.join(work, 'vigil.db');

let serve = null;
const remediationEnabled = true;
let browser = null;
const failures = [];
const shots = [];
// Whatever happens (an exception before the scenarios included), no vigil is left running.
process.on('exit', () => {
  if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
  rmSync(work, {recursive: true, force: true});
});

// --- the server, as scripts/run-console-example.sh sets it up ----------------------------------
const controls = await run(vigil, ['controls', 'check', '--snapshot', path.join(source, 'examples/snapshots/demo'),
  '--db', db, '--format', 'json', '-o', path.join(work, 'controls.json')]);
if (controls.code !== 0 && controls.code !== 3) throw new Error(`controls check: ${controls.code}\n${controls.err}`);
// Remediation (docs/remediation.md): a playbook in mode `approve` for the example data's
// privilege-escalation findings whose action is the program `true`, so the queue has plans to
// approve and applying one changes nothing outside this test.
writeFileSync(path.join(work, 'vigil.yaml'), `remediation:
  playbooks:
    - name: e2e-approve-privesc
      mode: approve
      ticket: never
      match: {type: "PrivilegeEscalation:*"}
      actions:
        - command: {argv: [/bin/true]}
`);
serve = await startServe(vigil, ['--config', path.join(work, 'vigil.yaml'), '--db', db,
  '--api-token-file', path.join(work, 'api.tokens')]);
const {base} = serve;
const loaded = await postWebhook(base, 'example', readFileSync(path.join(source, 'examples/audit/example.jsonl.gz')));
console.log(`vigil serve on ${base}; example data: ${JSON.stringify(loaded)}`);

// An audit event that the rule Execution:Kubernetes/ExecInKubeSystemPod turns into a finding; one
// finding per auditID. `over` replaces fields.
function execEvent(over = {}) {
  const now = new Date().toISOString();
  const name = over.pod || 'coredns-5d78c9869d-e2e';
  return JSON.stringify({
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata',
    auditID: over.auditID || `e2e-${randomBytes(8).toString('hex')}`, stage: 'ResponseStarted',
    requestURI: `/api/v1/namespaces/kube-system/pods/${encodeURIComponent(name)}/exec?command=sh&container=c`,
    verb: 'create',
    user: {username: over.username || 'e2e-user', groups: ['system:authenticated']},
    sourceIPs: ['203.0.113.77'], userAgent: over.userAgent || 'kubectl/v1.29.0',
    objectRef: {resource: 'pods', namespace: 'kube-system', name, apiVersion: 'v1', subresource: 'exec'},
    responseStatus: {metadata: {}, code: 101},
    requestReceivedTimestamp: now, stageTimestamp: now,
    annotations: over.annotations || {},
  });
}

// Finds the finding an event produced (by its principal) through the API.
async function findingOf(username) {
  const page = await api(base, adminToken, `findings?principal=${encodeURIComponent(username)}&limit=5`);
  assert.equal(page.findings.length, 1, `one finding for ${username}: ${JSON.stringify(page.findings.map((f) => f.id))}`);
  return page.findings[0];
}

// --- the browser -------------------------------------------------------------------------------
browser = await pw.chromium.launch(launchOptions());
console.log(`Chromium ${browser.version()} (${chromiumPath()}), playwright-core`);

// A signed-in tab that records every dialog, console error, page error and CSP violation.
async function openTab(token, label) {
  const context = await browser.newContext({viewport: {width: 1400, height: 1000}});
  const page = await context.newPage();
  page.trouble = [];
  page.on('dialog', (d) => { page.trouble.push(`${label}: dialog "${d.message()}"`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => page.trouble.push(`${label}: page error ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every non-2xx fetch. Expected ones: whoami's 401 before signing in, and the
    // remediation routes' 404 on a server without a remediation engine (the console says so).
    const url = m.location().url || '';
    if (/^Failed to load resource: .* 401 /.test(m.text()) && url.endsWith('/api/v1/whoami')) return;
    if (/^Failed to load resource: .* 404 /.test(m.text()) && url.includes('/api/v1/remediation/') && !remediationEnabled) return;
    // The live feed answers 503 while the server holds its cap of open feeds (a feed the page
    // just closed may not be released yet); the console shows "reconnecting…" and retries.
    if (/^Failed to load resource: .* 503 /.test(m.text()) && url.includes('/api/v1/events')) return;
    page.trouble.push(`${label}: console error ${m.text()} (${url})`);
  });
  await signIn(page, base, token);
  return page;
}

async function shot(page, name) {
  const file = path.join(artifacts, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  shots.push(file);
}

async function scenario(name, page, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures.push(`${name}: ${e.stack || e}`);
    console.log(`FAIL ${name}: ${e.message}`);
    if (page) await shot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
  }
}

const num = (s) => Number(String(s).replace(/,/g, ''));
async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}
async function rowIds(page) {
  return page.locator('#rows tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
}
// Waits until the list shows exactly `ids` (the page is rendered asynchronously after a hash change).
async function waitRows(page, ids) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('#rows tr')].map((tr) => tr.dataset.id);
    return got.length === want.length && got.every((x, i) => x === want[i]);
  }, ids, {timeout: 15000}).catch(async () => {
    assert.deepEqual(await rowIds(page), ids, 'rows shown vs the API');
  });
}

let admin = null;
let reader = null;
try {
  admin = await openTab(adminToken, 'admin');
  await scenario('overview numbers match the API', admin, async () => {
    await go(admin, '#/overview');
    await admin.locator('[data-count=total]').waitFor();
    const o = await api(base, adminToken, 'stats/overview');
    assert.ok(o.total > 0, 'the example data produced findings');
    const shown = async (k) => num(await admin.locator(`[data-count="${k}"]`).textContent());
    assert.equal(await shown('total'), o.total);
    for (const s of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']) assert.equal(await shown(s), o.by_severity[s] ?? 0, s);
    assert.equal(await shown('NEW'), o.by_status?.NEW ?? 0);
    assert.equal(await shown('failing_controls'), o.failing_controls_total);
    assert.ok(o.failing_controls_total > 0, 'the demo snapshot fails controls');
    // The ingestion-health row of cluster "example" shows its finding count.
    const ex = o.clusters.find((c) => c.cluster === 'example');
    assert.ok(ex, 'cluster example in the overview');
    const row = admin.locator('tr', {has: admin.locator('td', {hasText: /^example$/})});
    assert.equal(num(await row.locator('td').nth(1).textContent()), ex.findings);
    await shot(admin, 'overview');
  });

  await scenario('filtering and sorting give the API\'s rows', admin, async () => {
    await go(admin, '#/findings');
    await admin.locator('#rows tr').first().waitFor();
    const all = await api(base, adminToken, 'findings?sort=last_seen&order=desc&limit=50');
    await waitRows(admin, all.findings.map((f) => f.id));
    await shot(admin, 'findings');
    // Filter through the form: severity HIGH (and above).
    const high = await api(base, adminToken, 'findings?severity=HIGH&sort=last_seen&order=desc&limit=50');
    assert.ok(high.findings.length > 0 && high.total < all.total, 'HIGH is a proper subset');
    await admin.locator('select.f-severity').selectOption('HIGH');
    await admin.locator('form.filters button[type=submit]').click();
    await waitRows(admin, high.findings.map((f) => f.id));
    assert.match(await admin.locator('#count').first().textContent(), new RegExp(`of ${high.total.toLocaleString('en-US')}$`));
    // `severity` is a minimum (http-api.md): HIGH and CRITICAL rows, nothing lower.
    for (const sev of await admin.locator('#rows tr td:first-child').allTextContents()) assert.ok(['HIGH', 'CRITICAL'].includes(sev), sev);
    // Sort by Count (descending), then again (ascending), by clicking the column header.
    await admin.locator('thead th a', {hasText: /^Count/}).click();
    const byCountDesc = await api(base, adminToken, 'findings?severity=HIGH&sort=count&order=desc&limit=50');
    await waitRows(admin, byCountDesc.findings.map((f) => f.id));
    await admin.locator('thead th a', {hasText: /^Count/}).click();
    const byCountAsc = await api(base, adminToken, 'findings?severity=HIGH&sort=count&order=asc&limit=50');
    await waitRows(admin, byCountAsc.findings.map((f) => f.id));
    const counts = (await admin.locator('#rows tr td:nth-child(7)').allTextContents()).map(num);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'ascending counts');
    // Free text and type filter from the URL (a bookmarked view).
    const t = all.findings[0].type;
    const byType = await api(base, adminToken, `findings?type=${encodeURIComponent(t)}&sort=last_seen&order=desc&limit=50`);
    await go(admin, `#/findings?type=${encodeURIComponent(t)}`);
    await waitRows(admin, byType.findings.map((f) => f.id));
    await shot(admin, 'findings-filtered');
  });

  const secretBearer = 'e2eBearerSecret0123456789abcdef';
  const secretPassword = 'hunter2-e2e-password-value';
  await scenario('a finding\'s detail shows its evidence with secrets redacted', admin, async () => {
    const username = 'e2e-redaction-user';
    await postWebhook(base, 'e2e', execEvent({
      username,
      userAgent: `kubectl/v1.29.0 Authorization: Bearer ${secretBearer}`,
      annotations: {authorization: `Bearer ${secretBearer}`, 'e2e.example/config': `db_password=${secretPassword}`},
    }));
    const f = await findingOf(username);
    await go(admin, `#/finding/${encodeURIComponent(f.id)}`);
    await admin.locator('details.evidence summary').click();
    const evidence = await admin.locator('details.evidence pre').textContent();
    const ev = JSON.parse(evidence); // shown as indented JSON
    assert.equal(ev.user.username, username);
    assert.equal(ev.objectRef.subresource, 'exec');
    assert.ok(evidence.includes('[REDACTED]'), 'redaction marker shown');
    const html = await admin.content();
    const text = await admin.locator('body').innerText();
    for (const s of [secretBearer, secretPassword]) {
      assert.ok(!html.includes(s) && !text.includes(s), `secret ${s} is not on the page`);
    }
    assert.equal(await admin.locator('.detail-head h2').textContent(), f.title);
    await shot(admin, 'finding-detail');
  });

  await scenario('markup in event fields renders as text and runs nothing', admin, async () => {
    const username = '<script>window.__vigilPwned="username"</script>';
    const pod = '<img src=x onerror="window.__vigilPwned=\'pod\'">';
    const ua = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    await postWebhook(base, 'e2e', execEvent({username, pod, userAgent: ua}));
    const f = await findingOf(username);
    // The list (it shows principal), then the detail (every field).
    await go(admin, `#/findings?cluster=e2e&principal=${encodeURIComponent(username)}`);
    await waitRows(admin, [f.id]);
    assert.equal(await admin.locator('#rows tr td:nth-child(6)').textContent(), username, 'principal shown as text');
    await go(admin, `#/finding/${encodeURIComponent(f.id)}`);
    await admin.locator('details.evidence summary').click();
    await admin.locator('details.evidence pre').waitFor();
    await admin.waitForTimeout(500); // give an injected handler a chance to fire
    const text = await admin.locator('main').innerText();
    assert.ok(text.includes(username), 'username shown literally');
    assert.ok(text.includes(ua), 'user agent shown literally');
    assert.ok(text.includes(pod), 'pod name shown literally');
    assert.equal(await admin.evaluate(() => window.__vigilPwned), undefined, 'no payload ran');
    assert.equal(await admin.locator('main script, main img, main [onerror]').count(), 0, 'no element came from the payload');
    assert.equal(await admin.locator('script').count(), 1, 'only the console\'s own module script');
    await shot(admin, 'finding-markup-as-text');
  });

  await scenario('changing workflow status persists', admin, async () => {
    const list = await api(base, adminToken, 'findings?cluster=example&status=NEW&limit=1');
    const f = list.findings[0];
    assert.ok(f, 'a NEW finding of the example data');
    await go(admin, `#/finding/${encodeURIComponent(f.id)}`);
    await admin.locator('select.action-status').selectOption('RESOLVED');
    await admin.locator('input.action-note').fill('e2e: benign, checked with the owner');
    await admin.locator('button.action-workflow').click();
    await admin.locator('.detail-head .status', {hasText: 'RESOLVED'}).waitFor();
    const after = await api(base, adminToken, `findings/${encodeURIComponent(f.id)}`);
    assert.equal(after.workflow_status, 'RESOLVED');
    const history = await api(base, adminToken, `findings/${encodeURIComponent(f.id)}/history`);
    const last = history[history.length - 1];
    assert.equal(last.to, 'RESOLVED');
    assert.equal(last.actor, 'alice');
    assert.equal(last.note, 'e2e: benign, checked with the owner');
    // A reload reads it back from the server.
    await admin.reload();
    await admin.locator('.detail-head .status', {hasText: 'RESOLVED'}).waitFor();
    assert.ok((await admin.locator('main').innerText()).includes('e2e: benign, checked with the owner'), 'history row');
    await shot(admin, 'finding-workflow');
  });

  await scenario('a new finding appears in the open list without a reload', admin, async () => {
    await go(admin, '#/findings');
    await admin.locator('#live', {hasText: /^live$/}).waitFor({timeout: 15000});
    await admin.evaluate(() => { window.__vigilNoReload = 'still here'; });
    const username = `e2e-live-${randomBytes(4).toString('hex')}`;
    await postWebhook(base, 'e2e', execEvent({username}));
    const f = await findingOf(username);
    const row = admin.locator(`#rows tr[data-id="${f.id}"]`);
    await row.waitFor({timeout: 15000});
    assert.equal(await admin.locator('#rows tr').first().getAttribute('data-id'), f.id, 'on top');
    assert.equal(await admin.evaluate(() => window.__vigilNoReload), 'still here', 'no reload happened');
    assert.ok((await row.getAttribute('class') || '').includes('fresh'));
    await shot(admin, 'findings-live');
  });

  await scenario('timeline and controls pages render', admin, async () => {
    await go(admin, '#/timeline');
    await admin.locator('main svg').first().waitFor();
    await shot(admin, 'timeline');
    await go(admin, '#/controls');
    const m = await api(base, adminToken, 'controls/matrix');
    assert.ok(m.cells.length > 0);
    await admin.getByText('FAILED').first().waitFor();
    await shot(admin, 'controls');
  });

  let awaitingPlan = null;
  await scenario('approving a planned remediation action changes its state', admin, async () => {
    // The worker plans asynchronously after the webhook's commit: wait for the queue.
    for (let i = 0; i < 300 && !awaitingPlan; i++) {
      const q = await api(base, adminToken, 'remediation/plans?state=awaiting_approval');
      if (q.plans.length) awaitingPlan = q.plans[0];
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(awaitingPlan, 'a plan awaits approval');
    await go(admin, '#/remediation');
    const card = admin.locator(`section.plan[data-plan="${awaitingPlan.id}"]`);
    await card.waitFor();
    assert.ok((await card.innerText()).includes(awaitingPlan.hash), 'the card shows the plan hash');
    await shot(admin, 'remediation-queue');
    await card.locator('input.plan-note').fill('e2e: approved in the browser');
    await card.locator('button.approve').click();
    await card.waitFor({state: 'detached'}); // the queue redraws without it
    let after = null;
    for (let i = 0; i < 300; i++) {
      after = await api(base, adminToken, `remediation/plans/${encodeURIComponent(awaitingPlan.id)}`);
      if (after.state === 'applied') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(['approved', 'applied'].includes(after.state), `state after approval: ${after.state}`);
    const journal = await api(base, adminToken, 'remediation/journal?limit=50');
    assert.equal(journal.verified, true);
    assert.ok(journal.entries.some((e) => e.plan_id === awaitingPlan.id), 'the journal records the plan');
    await go(admin, '#/remediation?state=all');
    await admin.locator(`section.plan[data-plan="${awaitingPlan.id}"] .status`, {hasText: /approved|applied/}).waitFor();
    await shot(admin, 'remediation-approved');
  });

  reader = await openTab(readToken, 'read-only');
  await scenario('a read-only token sees no action buttons', reader, async () => {
    assert.ok((await reader.locator('#who').innerText()).includes('bob · read'));
    const f = (await api(base, readToken, 'findings?cluster=example&limit=1')).findings[0];
    await go(reader, `#/finding/${encodeURIComponent(f.id)}`);
    await reader.getByText('Read-only token: workflow and suppression actions are hidden.').waitFor();
    assert.equal(await reader.locator('button.action-workflow, button.action-suppress, select.action-status, button.approve, button.reject').count(), 0);
    assert.ok(await reader.getByRole('button', {name: 'Copy as ASFF'}).isVisible(), 'export stays');
    await shot(reader, 'read-only-finding');
    await go(reader, '#/remediation?state=all');
    await reader.locator('section.plan').first().waitFor();
    assert.equal(await reader.locator('button.approve, button.reject').count(), 0, 'no approve/reject for a read token');
    await shot(reader, 'read-only-remediation');
    // And the server refuses a read token's POST anyway.
    const r = await fetch(`${base}/api/v1/findings/${encodeURIComponent(f.id)}/workflow`, {
      method: 'POST', headers: {Authorization: `Bearer ${readToken}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({status: 'RESOLVED', note: 'x'})});
    assert.equal(r.status, 403);
  });

  await scenario('the test harness is not served with the console', null, async () => {
    for (const f of ['ui/e2e/package.json', 'ui/e2e/node_modules/playwright-core/package.json', 'ui/test/dom_shim.mjs']) {
      assert.equal((await fetch(`${base}/${f}`)).status, 404, f);
    }
    assert.equal((await fetch(`${base}/ui/js/app.js`)).status, 200);
  });

  await scenario('no dialog, page error, console error or CSP violation in any tab', null, async () => {
    assert.deepEqual([...admin.trouble, ...reader.trouble], []);
  });
} finally {
  await browser.close().catch(() => {});
  await stopServe(serve);
  if (failures.length) console.log(`\nvigil serve's log:\n${serve.log()}`);
}

console.log(`\nscreenshots (${shots.length}) in ${artifacts}`);
if (failures.length) {
  console.log(`\n${failures.length} scenario(s) failed:\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log('all console e2e scenarios passed');
