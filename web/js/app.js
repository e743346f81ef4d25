// The console's entry point: login (an API token kept in sessionStorage), the hash router and
// the navigation. Pages live in pages/; each exports render(main, route, app) and may return a
// function that stops what it started (the live feed).
import {ApiError, get, getToken, setToken} from './api.js';
import {h, replace} from './dom.js';
import {parseRoute} from './format.js';
import * as overview from './pages/overview.js';
import * as findings from './pages/findings.js';
import * as finding from './pages/finding.js';
import * as timeline from './pages/timeline.js';
import * as controls from './pages/controls.js';
import * as remediation from './pages/remediation.js';

const PAGES = {overview, findings, finding, timeline, controls, remediation};

const app = {
  role: 'read',
  name: '',
  get admin() {
    return this.role === 'admin';
  },
};

let stopCurrent = null;

function showLogin(main, message) {
  const input = h('input', {type: 'password', name: 'token', autocomplete: 'off', placeholder: 'API token', id: 'token'});
  const form = h('form', {class: 'login card'},
    h('h2', null, 'Sign in'),
    h('p', null, 'Paste a token from vigil serve\'s --api-token-file. It is kept in this tab only (sessionStorage) and sent as a Bearer header.'),
    message ? h('p', {class: 'error'}, message) : null,
    h('label', {for: 'token'}, 'Token '), input, ' ', h('button', {type: 'submit'}, 'Sign in'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    start();
  });
  replace(main, form);
  input.focus();
}

async function route() {
  const main = document.getElementById('main');
  if (stopCurrent) {
    stopCurrent();
    stopCurrent = null;
  }
  const r = parseRoute(location.hash);
  const page = PAGES[r.page] || overview;
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === r.page || (r.page === 'finding' && a.dataset.page === 'findings'));
  }
  replace(main, h('p', {class: 'muted'}, 'Loading…'));
  try {
    const stop = await page.render(main, r, app);
    if (typeof stop === 'function') stopCurrent = stop;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setToken('');
      showLogin(main, 'The token was refused.');
      return;
    }
    replace(main, h('p', {class: 'error'}, `Could not load this page: ${e.message}`));
  }
}

async function start() {
  const main = document.getElementById('main');
  const who = document.getElementById('who');
  try {
    const me = await get('whoami');
    app.role = me.role;
    app.name = me.name;
    const out = h('button', {type: 'button', class: 'small'}, 'Sign out');
    out.addEventListener('click', () => {
      setToken('');
      location.hash = '#/overview';
      replace(who);
      showLogin(main);
    });
    replace(who, `${me.name || 'signed in'} · ${me.role}`, ' ', me.auth ? out : null);
    document.body.classList.toggle('admin', app.admin);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showLogin(main, getToken() ? 'The token was refused.' : '');
      return;
    }
    replace(main, h('p', {class: 'error'}, `vigil did not answer: ${e.message}`));
    return;
  }
  window.onhashchange = route;
  await route();
}

start();
