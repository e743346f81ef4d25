// Finding detail: everything the finding carries, its history, related findings, remediation
// plans (when the remediation engine is enabled) and, for admin tokens, the actions.
import {ApiError, get, post} from '../api.js';
import {h, replace} from '../dom.js';
import {routeHash} from '../format.js';
import {renderFindingDetail} from '../views/finding_view.js';

async function optional(promise) {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function render(main, route, app) {
  const id = route.rest[0];
  const draw = async () => {
    const f = await get(`findings/${encodeURIComponent(id)}`);
    const [history, planPage] = await Promise.all([
      get(`findings/${encodeURIComponent(id)}/history`),
      optional(get('remediation/plans', {finding: id, state: 'all'})),
    ]);
    const related = [];
    for (const rid of (f.related_findings || []).slice(0, 20)) {
      const r = await optional(get(`findings/${encodeURIComponent(rid)}`));
      related.push(r ? {id: r.id, title: r.title, type: r.type, severity: r.severity} : {id: rid, title: rid});
    }
    const ctx = {
      admin: app.admin,
      history,
      related,
      plans: planPage ? planPage.plans : null,
      actions: {
        workflow: async (status, note) => {
          await post(`findings/${encodeURIComponent(id)}/workflow`, {status, note});
          await draw();
        },
        suppress: async (rule) => {
          const r = await post('suppressions', rule);
          await draw();
          return r;
        },
        exportAs: async (format) => JSON.stringify(await get(`findings/${encodeURIComponent(id)}/export`, {format}), null, 2),
      },
    };
    replace(main, h('p', null, h('a', {href: routeHash('findings')}, '← findings')), renderFindingDetail(f, ctx));
  };
  await draw();
}
