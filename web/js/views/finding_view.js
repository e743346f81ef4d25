// How a finding looks: a row of the findings list and the detail page. Built with dom.js only
// (text nodes), so a finding whose fields hold markup shows that markup as text. Actions are
// passed in as callbacks and drawn only when `admin` is true.
import {h, safeHref} from '../dom.js';
import {formatCount, formatTime, prettyJson, routeHash, severityClass, STATUSES} from '../format.js';

export const LIST_COLUMNS = [
  {key: 'severity', label: 'Severity'},
  {key: 'title', label: 'Title'},
  {key: 'type', label: 'Type'},
  {key: 'cluster', label: 'Cluster'},
  {key: 'namespace', label: 'Namespace'},
  {key: 'principal', label: 'Principal'},
  {key: 'count', label: 'Count'},
  {key: 'first_seen', label: 'First seen'},
  {key: 'last_seen', label: 'Last seen'},
  {key: 'status', label: 'Status'},
];

export function severityBadge(s) {
  return h('span', {class: `sev ${severityClass(s)}`}, String(s ?? ''));
}

export function renderFindingRow(f) {
  const link = routeHash('finding', [f.id]);
  return h('tr', {'data-id': f.id},
    h('td', null, severityBadge(f.severity)),
    h('td', null, h('a', {href: link}, f.title || f.type || f.id)),
    h('td', {class: 'mono'}, f.type ?? ''),
    h('td', null, f.cluster ?? ''),
    h('td', null, f.resource?.namespace ?? ''),
    h('td', null, f.principal?.username ?? ''),
    h('td', {class: 'num'}, formatCount(f.count)),
    h('td', {class: 'time'}, formatTime(f.first_seen)),
    h('td', {class: 'time'}, formatTime(f.last_seen)),
    h('td', null, h('span', {class: `status st-${String(f.workflow_status ?? '').toLowerCase()}`},
      f.workflow_status ?? '')));
}

function field(label, ...value) {
  const shown = value.filter((v) => v !== undefined && v !== null && v !== '');
  return [h('dt', null, label), h('dd', null, shown.length ? shown : h('span', {class: 'muted'}, '—'))];
}

function list(items, fn = (x) => x) {
  if (!items || items.length === 0) return null;
  return h('ul', {class: 'plain'}, items.map((x) => h('li', null, fn(x))));
}

function filterLink(param, value) {
  if (!value) return null;
  return h('a', {href: routeHash('findings', [], {[param]: value})}, value);
}

// Copy button: copies `text()` to the clipboard; the text is never parsed as markup.
export function copyButton(label, text) {
  const b = h('button', {type: 'button', class: 'small'}, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(typeof text === 'function' ? await text() : text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Copy failed';
    }
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

// The detail page's body. `ctx`: {admin, actions: {workflow(status, note), suppress(fields),
// exportAs(format) → Promise<string>}, history: [...], related: [{id,title,type}], plans: [...]|null}
// "DE, AS64500 Example Hosting GmbH" for the caller's address when GeoIP databases said where it
// is (the engine's caller_* context keys); '' for other addresses and when unknown.
function callerPlace(f, ip) {
  const c = f.context || {};
  if (!c.caller_ip || c.caller_ip !== ip) return '';
  const parts = [];
  if (c.caller_country) parts.push(c.caller_country);
  if (c.caller_asn) parts.push(`AS${c.caller_asn}${c.caller_as_org ? ` ${c.caller_as_org}` : ''}`);
  return parts.join(', ');
}

export function renderFindingDetail(f, ctx = {}) {
  const p = f.principal || {};
  const aws = p.aws || {};
  const r = f.resource || {};
  const evidence = prettyJson(f.evidence);
  const mitre = Array.isArray(f.mitre) ? f.mitre : [];
  const out = [];

  out.push(h('div', {class: 'detail-head'},
    severityBadge(f.severity),
    h('h2', null, f.title || f.type || f.id),
    h('span', {class: `status st-${String(f.workflow_status ?? '').toLowerCase()}`}, f.workflow_status ?? '')));
  if (f.description) out.push(h('p', {class: 'description'}, f.description));

  out.push(h('section', {class: 'card'}, h('h3', null, 'Finding'), h('dl', {class: 'fields'},
    field('Id', h('span', {class: 'mono'}, f.id)),
    field('Type', filterLink('type', f.type)),
    field('Rule', f.rule),
    field('Severity', f.severity, f.priority ? ` (rule priority ${f.priority})` : ''),
    field('Count', formatCount(f.count)),
    field('First seen', formatTime(f.first_seen)),
    field('Last seen', formatTime(f.last_seen)),
    field('Created', formatTime(f.created_at)),
    field('Updated', formatTime(f.updated_at)),
    field('Cluster', filterLink('cluster', f.cluster)),
    field('Account', f.account),
    field('Region', f.region),
    field('Tags', (f.tags || []).join(', ')))));

  out.push(h('section', {class: 'card'}, h('h3', null, 'Who'), h('dl', {class: 'fields'},
    field('Username', filterLink('principal', p.username)),
    field('UID', p.uid),
    field('Groups', list(p.groups)),
    field('Impersonated user', p.impersonated_user),
    field('IAM ARN', aws.arn && h('span', {class: 'mono'}, aws.arn)),
    field('Session', aws.session_name),
    field('Access key id', aws.access_key_id),
    field('Source IPs', list(f.source_ips, (ip) => {
      const where = callerPlace(f, ip);
      return where ? [ip, h('span', {class: 'muted'}, ` (${where})`)] : ip;
    })),
    field('User agent', f.user_agent && h('span', {class: 'mono'}, f.user_agent)))));

  out.push(h('section', {class: 'card'}, h('h3', null, 'What'), h('dl', {class: 'fields'},
    field('Resource', [r.api_group, r.resource, r.subresource].filter(Boolean).join('/')),
    field('Namespace', filterLink('namespace', r.namespace)),
    field('Name', r.name),
    field('Request URI', r.request_uri && h('span', {class: 'mono'}, r.request_uri)),
    field('MITRE ATT&CK', list(mitre, (m) => `${m.tactic || ''}${m.technique_id ? ` · ${m.technique_id}` : ''}${m.technique ? ` ${m.technique}` : ''}`)),
    field('Audit IDs', list(f.audit_ids, (a) => h('span', {class: 'mono'}, a))))));

  const of = f.output_fields && Object.keys(f.output_fields).length
    ? h('details', null, h('summary', null, 'Output fields'),
      h('dl', {class: 'fields'}, Object.entries(f.output_fields).map(([k, v]) => field(k, h('span', {class: 'mono'}, v)))))
    : null;
  const cx = f.context && Object.keys(f.context).length
    ? h('details', null, h('summary', null, 'Context'),
      h('dl', {class: 'fields'}, Object.entries(f.context).map(([k, v]) => field(k, v))))
    : null;

  out.push(h('section', {class: 'card'}, h('h3', null, 'Evidence'),
    h('p', {class: 'muted'}, 'The first matching audit event, redacted before it was stored (Secret data, tokens and Authorization values replaced).'),
    evidence
      ? h('details', {class: 'evidence'}, h('summary', null, 'Show the event ', copyButton('Copy', evidence)),
        h('pre', {class: 'code'}, evidence))
      : h('p', {class: 'muted'}, 'No evidence stored.'),
    of, cx));

  const rem = f.remediation || {};
  const href = safeHref(rem.url);
  out.push(h('section', {class: 'card'}, h('h3', null, 'Remediation'),
    rem.text ? h('p', null, rem.text) : h('p', {class: 'muted'}, 'No remediation text.'),
    href ? h('p', null, h('a', {href, rel: 'noopener noreferrer', target: '_blank'}, rem.url)) : null,
    renderPlans(ctx.plans)));

  if (f.compliance) {
    const c = f.compliance;
    out.push(h('section', {class: 'card'}, h('h3', null, `Control ${c.control || ''}`), h('dl', {class: 'fields'},
      field('Status', c.status),
      field('Standard', c.standard),
      field('Resource', c.resource_type, ' ', c.resource_id),
      field('Reasons', list(c.reasons)),
      field('Evidence', list(c.evidence, (e) => [h('span', {class: 'mono'}, e.file), ': ', e.said])))));
  }

  if (ctx.related && ctx.related.length) {
    out.push(h('section', {class: 'card'}, h('h3', null, 'Related findings'),
      h('p', {class: 'muted'}, 'The controls that would blind this detection and the attack sequence it belongs to.'),
      list(ctx.related, (x) => [severityBadge(x.severity), ' ',
        h('a', {href: routeHash('finding', [x.id])}, x.title || x.type || x.id), ' ',
        h('span', {class: 'muted mono'}, x.type || '')])));
  }

  if (ctx.history) {
    out.push(h('section', {class: 'card'}, h('h3', null, 'Workflow history'),
      ctx.history.length === 0 ? h('p', {class: 'muted'}, 'No changes yet.')
        : h('table', {class: 'grid'}, h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Who'),
          h('th', null, 'From'), h('th', null, 'To'), h('th', null, 'Note'))),
        h('tbody', null, ctx.history.map((c) => h('tr', null, h('td', {class: 'time'}, formatTime(c.at)),
          h('td', null, c.actor), h('td', null, c.from), h('td', null, c.to), h('td', null, c.note)))))));
  }

  out.push(renderActions(f, ctx));
  return out;
}

function renderPlans(plans) {
  if (plans === undefined) return null;
  if (plans === null) return h('p', {class: 'muted'}, 'Remediation not enabled on this server.');
  if (plans.length === 0) return h('p', {class: 'muted'}, 'No remediation plan for this finding.');
  return h('ul', {class: 'plain'}, plans.map((pl) => h('li', null,
    h('a', {href: routeHash('remediation', [], {plan: pl.id})}, `${pl.playbook} (${pl.mode})`), ' — ',
    h('span', {class: `status st-${String(pl.state).toLowerCase()}`}, pl.state),
    pl.ticket ? [' · ticket ', safeHref(pl.ticket.url)
      ? h('a', {href: pl.ticket.url, rel: 'noopener noreferrer', target: '_blank'}, `${pl.ticket.tracker} ${pl.ticket.key}`)
      : `${pl.ticket.tracker} ${pl.ticket.key}`] : null)));
}

function renderActions(f, ctx) {
  const exportRow = h('div', {class: 'row'},
    copyButton('Copy as ASFF', () => ctx.actions.exportAs('asff')),
    copyButton('Copy as OCSF', () => ctx.actions.exportAs('ocsf')),
    copyButton('Copy id', f.id));
  if (!ctx.admin) {
    return h('section', {class: 'card'}, h('h3', null, 'Export'), exportRow,
      h('p', {class: 'muted'}, 'Read-only token: workflow and suppression actions are hidden.'));
  }
  const status = h('select', {name: 'status', class: 'action-status'},
    STATUSES.filter((s) => s !== 'SUPPRESSED').map((s) => h('option', {value: s, selected: s === f.workflow_status}, s)));
  const note = h('input', {type: 'text', name: 'note', placeholder: 'note (why)', class: 'action-note'});
  const msg = h('span', {class: 'msg'});
  const setBtn = h('button', {type: 'button', class: 'action-workflow'}, 'Set status');
  setBtn.addEventListener('click', async () => {
    msg.textContent = '…';
    try {
      await ctx.actions.workflow(status.value, note.value);
      msg.textContent = 'Saved.';
    } catch (e) {
      msg.textContent = `Failed: ${e.message}`;
    }
  });
  const expires = h('input', {type: 'date', name: 'expires', class: 'action-expires'});
  const snote = h('input', {type: 'text', name: 'snote', placeholder: 'why suppress', class: 'action-snote'});
  const scope = h('select', {name: 'scope'},
    h('option', {value: 'type+principal'}, 'this type from this principal'),
    h('option', {value: 'type+namespace'}, 'this type in this namespace'),
    h('option', {value: 'type'}, 'this type everywhere'));
  const smsg = h('span', {class: 'msg'});
  const supBtn = h('button', {type: 'button', class: 'action-suppress'}, 'Suppress');
  supBtn.addEventListener('click', async () => {
    const rule = {type: f.type, note: snote.value};
    if (scope.value === 'type+principal' && f.principal?.username) rule.principal = f.principal.username;
    if (scope.value === 'type+namespace' && f.resource?.namespace) rule.namespace = f.resource.namespace;
    if (expires.value) rule.expires = `${expires.value}T00:00:00Z`;
    smsg.textContent = '…';
    try {
      const r = await ctx.actions.suppress(rule);
      smsg.textContent = `Suppressed (${r.archived} archived).`;
    } catch (e) {
      smsg.textContent = `Failed: ${e.message}`;
    }
  });
  return h('section', {class: 'card actions'}, h('h3', null, 'Actions'),
    h('div', {class: 'row'}, h('label', null, 'Workflow ', status), note, setBtn, msg),
    h('div', {class: 'row'}, h('label', null, 'Suppress ', scope), h('label', null, 'until ', expires), snote, supBtn, smsg),
    exportRow);
}
