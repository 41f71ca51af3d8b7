import { h, append, clear, trustedHtml, formatTime, fullTime, bytes, toast, confirmDialog } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, post, items } from '../api.js';
import { setTitle, navigate } from '../app.js';
import { renderDiff } from '../diffview.js';
import { authorOf, reportError, enc, errorState, fill, breadcrumbs, placeCrumbs, loadSpaces, loadCategories } from '../ui.js';

export async function historyPage(main, { params, query, alive }) {
  const id = params[0];
  let doc, versions;
  try {
    [doc, versions] = await Promise.all([get('/documents/' + enc(id)), get(`/documents/${enc(id)}/versions`)]);
  } catch (e) { append(main, errorState(e)); return; }
  await Promise.all([loadSpaces().catch(() => []), loadCategories(doc.space_id).catch(() => [])]);
  if (!alive()) return;
  versions = items(versions).slice().sort((a, b) => b.version - a.version);
  setTitle(t('history.title') + ' · ' + doc.title);
  main.classList.add('main-wide');
  const latest = versions.length ? versions[0].version : doc.version;
  let from = +query.from || (versions[1] ? versions[1].version : null);
  let to = +query.to || latest;
  if (from && to && from > to) [from, to] = [to, from];
  const base = '#/doc/' + enc(id) + '/history';

  const rows = versions.map((v) => {
    const fromR = h('input', { type: 'radio', name: 'from', value: v.version, checked: v.version === from, 'aria-label': t('history.from') + ' ' + t('doc.version', { v: v.version }) });
    const toR = h('input', { type: 'radio', name: 'to', value: v.version, checked: v.version === to, 'aria-label': t('history.to') + ' ' + t('doc.version', { v: v.version }) });
    return h('tr', { class: v.version === to || v.version === from ? 'selected' : null },
      h('td', { class: 'radio-cell' }, fromR), h('td', { class: 'radio-cell' }, toR),
      h('td', null, h('strong', null, 'v' + v.version), v.version === doc.version ? h('span', { class: 'badge badge-soft' }, t('history.current')) : null,
        doc.published_version === v.version ? h('span', { class: 'badge badge-published' }, t('doc.status.published')) : null),
      h('td', null, authorOf(v)),
      h('td', null, h('time', { datetime: v.created_at, title: fullTime(v.created_at) }, formatTime(v.created_at, getLang()))),
      h('td', { class: 'cell-wrap version-message' }, v.message || ''),
      h('td', { class: 'hide-sm num' }, bytes(v.size)),
      h('td', { class: 'row-actions' },
        h('a', { class: 'btn btn-sm', href: base + '?' + new URLSearchParams({ from: from || '', to: to || '', view: v.version }) }, t('history.view')),
        v.version !== doc.version ? h('button', { class: 'btn btn-sm', type: 'button', onclick: async () => {
          if (!await confirmDialog({ title: t('history.restore'), message: t('history.restoreConfirm', { v: v.version }), ok: t('history.restore'), cancel: t('common.cancel') })) return;
          try {
            const r = await post(`/documents/${enc(id)}/restore`, { version: v.version });
            toast(t('history.restored', { v: r && r.version ? r.version : '' }), 'success');
            navigate('#/doc/' + enc(id));
          } catch (e) { reportError(e); }
        } }, t('history.restore')) : null));
  });
  const table = h('table', { class: 'table versions' },
    h('thead', null, h('tr', null, h('th', null, t('history.from')), h('th', null, t('history.to')), h('th', null, t('doc.version', { v: '' }).trim() || '#'),
      h('th', null, t('doc.author')), h('th', null, t('common.time')), h('th', null, t('history.message')), h('th', { class: 'hide-sm' }, t('history.size')), h('th', null, t('common.actions')))),
    h('tbody', null, rows));
  const compareBtn = h('button', { class: 'btn btn-primary', type: 'submit' }, t('history.compare'));
  const form = h('form', { class: 'versions-form' }, h('div', { class: 'table-wrap' }, table), h('div', { class: 'form-actions' }, compareBtn));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = +(form.querySelector('input[name=from]:checked') || {}).value;
    const tt = +(form.querySelector('input[name=to]:checked') || {}).value;
    if (!f || !tt || f === tt) { toast(t('history.pickTwo'), 'error'); return; }
    navigate(base + '?' + new URLSearchParams({ from: Math.min(f, tt), to: Math.max(f, tt) }));
  });

  const diffEl = h('section', { class: 'card diff-card', id: 'diff', 'aria-live': 'polite' });
  append(main, 
    breadcrumbs([...placeCrumbs(doc.space_id, doc.category_id), [doc.title || t('doc.untitled'), '#/doc/' + enc(id)], [t('history.title')]]),
    h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, t('history.title')),
      h('div', { class: 'page-actions' }, h('a', { class: 'btn', href: '#/doc/' + enc(id) }, t('common.back')))),
    h('div', { class: 'card' }, form),
    diffEl);

  if (query.view) {
    const n = +query.view;
    await fill(diffEl, async () => {
      const v = await get(`/documents/${enc(id)}/versions/${n}`);
      const body = h('div', { class: 'markdown-body' });
      if (typeof v.html === 'string') trustedHtml(body, v.html); else append(body, h('pre', { class: 'body-source' }, v.body || ''));
      return h('div', null, h('h2', { class: 'card-title' }, t('history.versionTitle', { v: n }), ' — ', v.title || ''), body);
    });
  } else if (from && to && from !== to) {
    await fill(diffEl, async () => {
      const d = await get(`/documents/${enc(id)}/diff`, { from, to });
      // A record's diff names its changed fields, before and after, above the lines.
      const fc = d.field_changes || [];
      if (fc.length) await import('../i18n-records.js');
      return h('div', null, h('h2', { class: 'card-title' }, t('history.diffTitle', { a: d.from ?? from, b: d.to ?? to })),
        fc.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table field-changes' },
          h('thead', null, h('tr', null, ['rec.field', 'rec.before', 'rec.after'].map((k) => h('th', null, t(k))))),
          h('tbody', null, fc.map((c) => h('tr', null, h('td', null, c.label || c.path), h('td', null, h('del', null, c.before ?? '')), h('td', null, h('ins', null, c.after ?? ''))))))) : null,
        renderDiff(d));
    });
  } else {
    diffEl.remove();
  }
  void clear;
}
