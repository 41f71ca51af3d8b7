// 回收站: the documents I deleted, each with 恢复 (loaded on demand).

import { h, append, formatTime, toast } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, post, items, ApiError } from '../api.js';
import { setTitle } from '../app.js';
import { loadSpaces, spaceName, reportError, enc, emptyState, pageHeader, fill } from '../ui.js';

export async function trashPage(main) {
  setTitle(t('trash.title'));
  append(main, pageHeader(t('trash.title')));
  const body = h('div', { class: 'card' });
  append(main, body);
  await loadSpaces().catch(() => []);
  const load = () => fill(body, async () => {
    let data;
    try { data = await get('/trash'); } catch (e) {
      if (e instanceof ApiError && e.unavailable) return emptyState(t('common.unavailable'));
      throw e;
    }
    const list = items(data);
    if (!list.length) return emptyState(t('trash.emptyHint'));
    return h('ul', { class: 'doc-list' }, list.map((d) => h('li', { class: 'doc-row' },
      h('span', { class: 'doc-row-title' }, d.title || t('doc.untitled')),
      h('div', { class: 'doc-row-meta' },
        h('span', null, spaceName(d.space_id)),
        d.deleted_at || d.updated_at ? h('span', null, t('trash.deletedAt', { t: formatTime(d.deleted_at || d.updated_at, getLang()) })) : null,
        h('button', { class: 'btn btn-sm', type: 'button', onclick: async () => {
          try { await post(`/documents/${enc(d.id)}/undelete`, {}); toast(t('trash.restored'), 'success'); load(); } catch (e) { reportError(e); }
        } }, t('trash.restore'))))));
  });
  await load();
}
