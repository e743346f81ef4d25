// Shared by the console's browser tests (console.e2e.mjs) and the first-paint benchmark
// (paint.bench.mjs, run by bench/console_latency.sh --paint): finding Chromium, starting a real
// `vigil serve` as an argument vector (no shell), waiting for its port, calling its API, signing in.
import {spawn} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';

export const SKIP = 77; // ctest SKIP_RETURN_CODE

// playwright-core, or null when `npm ci` has not been run in web/e2e.
export async function loadPlaywright() {
  const here = path.dirname(new URL(import.meta.url).pathname);
  if (!existsSync(path.join(here, 'node_modules', 'playwright-core'))) return null;
  return import('playwright-core');
}

// Debian's chromium (the `chromium` package); VIGIL_CHROMIUM overrides.
export function chromiumPath() {
  const candidates = [process.env.VIGIL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => p && existsSync(p)) || null;
}

export function launchOptions() {
  const args = ['--disable-gpu', '--disable-dev-shm-usage'];
  // Chromium refuses to start as root with its sandbox on (CI containers run as root).
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root || process.env.VIGIL_E2E_NO_SANDBOX === '1') args.push('--no-sandbox');
  return {executablePath: chromiumPath(), headless: true, args};
}

// Runs a program to completion; resolves with its exit code and output.
export function run(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe'], ...opts});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({code, out, err}));
  });
}

// Starts `vigil serve --listen 127.0.0.1:0 ...extra` and resolves with {child, base, port, log()}
// once it says where it listens.
export function startServe(vigil, extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(vigil, ['serve', '--listen', '127.0.0.1:0', ...extra], {stdio: ['ignore', 'ignore', 'pipe']});
    let log = '';
    let done = false;
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        child.kill('SIGKILL');
        reject(new Error(`vigil serve did not report its port in 60 s:\n${log}`));
      }
    }, 60000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /listening on [^ ]*:(\d+) /.exec(log);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({child, port, base: `http://127.0.0.1:${port}`, log: () => log});
      }
    });
    child.on('exit', (code) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`vigil serve exited with ${code}:\n${log}`));
      }
    });
  });
}

export async function stopServe(serve) {
  if (!serve || serve.child.exitCode !== null) return;
  const exited = new Promise((r) => serve.child.on('exit', r));
  serve.child.kill('SIGTERM');
  const t = setTimeout(() => serve.child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(t);
}

// GET/POST against the API with a token; throws with the status and body on anything but 2xx.
export async function api(base, token, pathAndQuery, body) {
  const init = {headers: {Authorization: `Bearer ${token}`}};
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(`${base}/api/v1/${pathAndQuery}`, init);
  const text = await r.text();
  if (!r.ok) throw new Error(`${init.method || 'GET'} ${pathAndQuery}: ${r.status} ${text}`);
  return JSON.parse(text);
}

// Posts a body to the audit webhook as cluster `cluster`; returns its JSON answer.
export async function postWebhook(base, cluster, body) {
  const r = await fetch(`${base}/k8s-audit?cluster=${encodeURIComponent(cluster)}`, {method: 'POST', body});
  const text = await r.text();
  if (!r.ok) throw new Error(`webhook: ${r.status} ${text}`);
  return JSON.parse(text);
}

// Signs in through the console's own form (the token goes to sessionStorage).
export async function signIn(page, base, token) {
  await page.goto(`${base}/`);
  await page.locator('#token').fill(token);
  await page.locator('form.login button[type=submit]').click();
  await page.locator('#who').getByText('Sign out').waitFor();
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}
