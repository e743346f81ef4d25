// Talking to vigil serve: every URL is relative to the page (so a reverse proxy may mount the
// console under any path prefix), the API token lives in sessionStorage and travels only as
// `Authorization: Bearer`, never in a URL.

const TOKEN_KEY = 'vigil.token';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(t) {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // private mode: the token lives only as long as this page
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function url(path, params) {
  const u = new URL(path, document.baseURI);
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && String(v) !== '') u.searchParams.set(k, String(v));
    }
  }
  return u;
}

function headers(extra) {
  const h = {Accept: 'application/json', ...extra};
  const t = getToken();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function handle(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const msg = body && typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return body;
}

// GET api/v1/<path>?params → parsed JSON; throws ApiError.
export async function get(path, params) {
  const res = await fetch(url(`api/v1/${path}`, params), {headers: headers(), cache: 'no-store'});
  return handle(res);
}

export async function send(method, path, body) {
  const res = await fetch(url(`api/v1/${path}`), {
    method,
    headers: headers({'Content-Type': 'application/json'}),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return handle(res);
}

export const post = (path, body) => send('POST', path, body);

// The live feed (GET api/v1/events, server-sent events) read with fetch so the token can go in a
// header (EventSource cannot send one). Calls onEvent(type, data) per event; reconnects after a
// drop, resuming from the last event id. Returns a function that stops it.
export function subscribe(params, onEvent) {
  let stopped = false;
  let lastId = '';
  let controller = null;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const h = headers({Accept: 'text/event-stream'});
        if (lastId) h['Last-Event-ID'] = lastId;
        const res = await fetch(url('api/v1/events', params), {headers: h, signal: controller.signal});
        if (!res.ok || !res.body) throw new ApiError(res.status, `HTTP ${res.status}`);
        onEvent('open', null);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buf += decoder.decode(value, {stream: true});
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const ev = parseSseBlock(block);
            if (ev.id) lastId = ev.id;
            if (ev.type) onEvent(ev.type, ev.data);
          }
        }
      } catch (e) {
        if (stopped) return;
        onEvent('error', e);
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 3000));
    }
  };
  run();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}

// One server-sent event block → {type, id, data} (data parsed as JSON when it is JSON).
export function parseSseBlock(block) {
  let type = 'message';
  let id = '';
  const data = [];
  let any = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'id') id = value;
    else if (field === 'data') {
      data.push(value);
      any = true;
    }
  }
  if (!any) return {type: null, id, data: null};
  const text = data.join('\n');
  try {
    return {type, id, data: JSON.parse(text)};
  } catch {
    return {type, id, data: text};
  }
}
