// 我的待办: the action items assigned to me in every space I may read (from records and from
// Markdown task lines), overdue first; ticking one saves a new version of its document.

import { h, append, clear, toast } from '../dom.js';
import { t } from '../i18n.js';
import { get, patch, ApiError } from '../api.js';
import { setTitle } from '../app.js';
import { styles } from '../records.js';
import { loadSpaces, spaceName, reportError, enc, emptyState, errorState, fill } from '../ui.js';

let n = 0;

/** One action item: its checkbox (unless `readOnly`), text, 已逾期, due date, document, space (unless not `space`). */
export function itemRow(it, { readOnly = false, space = true, onChange } = {}) {
  const textId = 'todo-' + (++n);
  const li = h('li', { class: ['todo-item', it.overdue && !it.done ? 'todo-overdue' : null, it.done ? 'todo-done' : null], 'data-item': it.id });
  const box = readOnly ? null : h('input', { type: 'checkbox', class: 'todo-check', checked: !!it.done, 'aria-labelledby': textId });
  if (box) {
    box.addEventListener('change', async () => {
      const done = box.checked;
      box.disabled = true;
      try {
        const r = await patch('/action-items/' + enc(it.id), { done });
        Object.assign(it, r && typeof r === 'object' ? r : { done });
        li.classList.toggle('todo-done', !!it.done);
        li.classList.toggle('todo-overdue', !!it.overdue && !it.done);
        toast(t(it.done ? 'todo.saved' : 'todo.reopened'), 'success');
      } catch (e) {
        box.checked = !done;
        reportError(e);
        if (e instanceof ApiError && (e.status === 404 || e.status === 409) && onChange) onChange();
      } finally { box.disabled = false; }
    });
  }
  append(li, box,
    h('div', { class: 'todo-body' },
      h('span', { class: 'todo-text', id: textId }, it.text),
      h('div', { class: 'todo-meta' },
        it.overdue && !it.done ? h('span', { class: 'badge badge-overdue' }, t('todo.overdue')) : null,
        it.due ? h('time', { class: 'todo-due', datetime: it.due }, t('todo.due', { d: it.due })) : null,
        h('span', { class: 'todo-doc' }, t('todo.from'), ' ', h('a', { href: '#/doc/' + enc(it.doc_id) }, it.doc_title || it.doc_id)),
        space && spaceName(it.space_id) ? h('span', { class: 'muted' }, spaceName(it.space_id)) : null)));
  return li;
}

export async function todoPage(main, { query, alive }) {
  const status = ['done', 'all'].includes(query.status) ? query.status : 'open';
  await Promise.all([styles(), loadSpaces().catch(() => [])]);
  if (!alive()) return;
  setTitle(t('nav.todo'));
  const tabs = h('nav', { class: 'segmented todo-tabs', 'aria-label': t('nav.todo') }, ['open', 'done', 'all'].map((s) =>
    h('a', { class: ['seg', s === status ? 'active' : null], href: '#/todo' + (s === 'open' ? '' : '?status=' + s), 'aria-current': s === status ? 'page' : null }, t('todo.' + s))));
  const body = h('div', { class: 'card' });
  append(main, h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, t('nav.todo')), h('div', { class: 'page-actions' }, tabs)), body);
  const load = () => fill(body, async () => {
    const list = ((await get('/action-items', { assignee: 'me', status })) || {}).items || [];
    if (!list.length) return emptyState(t(status === 'done' ? 'todo.noneDone' : 'todo.none'));
    return h('ul', { class: 'todo-list' }, list.map((it) => itemRow(it, { onChange: load })));
  });
  await load();
}

/** The home page's card: my first open items (the card hides when the route is not there). */
export async function todoHome(el) {
  await styles();
  try {
    const list = ((await get('/action-items', { assignee: 'me', status: 'open' })) || {}).items || [];
    clear(el).append(list.length ? h('ul', { class: 'todo-list todo-list-short' }, list.slice(0, 5).map((it) => itemRow(it))) : h('p', { class: 'muted empty-line' }, t('todo.none')));
  } catch (e) {
    if (e instanceof ApiError && e.unavailable) { const c = el.closest('.card'); if (c) c.hidden = true; return; }
    clear(el).append(errorState(e));
  }
}
