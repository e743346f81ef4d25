// Pure formatting helpers (no DOM), shared by the pages and tested with node --test.

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'];
export const STATUSES = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'];

export function severityClass(s) {
  const i = SEVERITIES.indexOf(String(s));
  return i < 0 ? 'sev-unknown' : `sev-${SEVERITIES[i].toLowerCase()}`;
}

// "2026-11-26T21:40:01Z" → "2026-11-26 21:40:01Z" (UTC; audit logs are read across time zones).
export function formatTime(t) {
  if (!t) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatCount(n) {
  const v = Number(n);
  if (!Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US');
}

export function formatRate(r) {
  const v = Number(r);
  if (!Number.isFinite(v)) return '—';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

// Route "#/findings?severity=HIGH&q=x" → {page: 'findings', rest: [], params: URLSearchParams}.
export function parseRoute(hash) {
  const h = String(hash || '').replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const parts = path.split('/').filter((p) => p.length > 0).map(decodeURIComponent);
  return {page: parts[0] || 'overview', rest: parts.slice(1), params};
}

// {page, rest, params} → "#/findings?..." (empty parameters left out).
export function routeHash(page, rest = [], params = {}) {
  const sp = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? params.entries() : Object.entries(params);
  for (const [k, v] of entries) {
    if (v !== undefined && v !== null && String(v) !== '') sp.set(k, String(v));
  }
  const path = [page, ...rest.map(encodeURIComponent)].join('/');
  const qs = sp.toString();
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

// The evidence (redacted event) as indented JSON text; anything not JSON as it is.
export function prettyJson(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}
