// The small pieces of working together that the document page shows at once (the comments
// themselves, in collab.js, load after the document).

import { h, toast } from './dom.js';
import { t } from './i18n.js';
import { put, del } from './api.js';
import { reportError, enc } from './ui.js';

/** "张伟 正在编辑" for the people in `editing` (none: nothing). */
export function editingLine(editing) {
  const names = (editing || []).map((e) => e.display_name || e.user).filter(Boolean);
  if (!names.length) return null;
  return h('p', { class: 'editing-now', role: 'status' },
    h('span', { class: 'editing-dot', 'aria-hidden': 'true' }), t('collab.editing', { names: names.join('、') }));
}

/** The 关注 button of a document (or, with `path` `/spaces/<id>`, of a space). */
export function watchButton(doc, path = '/documents/' + enc(doc.id)) {
  const btn = h('button', { class: 'btn watch-btn', type: 'button', 'aria-pressed': String(!!doc.watching) });
  const set = (on) => {
    doc.watching = on;
    btn.setAttribute('aria-pressed', String(on));
    btn.classList.toggle('on', on);
    btn.textContent = on ? t('collab.watching') : t('collab.watch');
    btn.title = on ? t('collab.unwatchHint') : t('collab.watchHint');
  };
  set(!!doc.watching);
  btn.setWatching = set;
  btn.addEventListener('click', async () => {
    const on = !doc.watching;
    btn.disabled = true;
    try {
      if (on) await put(path + '/watch', {}); else await del(path + '/watch');
      set(on);
      toast(on ? t('collab.watchOn') : t('collab.watchOff'), 'success');
    } catch (e) { reportError(e); } finally { btn.disabled = false; }
  });
  return btn;
}
