// Working together: comments under a document, the @ picker, the watch button, and the line that
// says who else is editing. The server decides who may see and do what; this only shows it.

import { h, append, clear, trustedHtml, formatTime, fullTime, toast, confirmDialog, debounce } from './dom.js';
import { t, getLang } from './i18n.js';
import { get, post, patch, del } from './api.js';
import { reportError, enc } from './ui.js';

/**
 * The @ picker on a textarea: typing "@" and letters (login, name, pinyin or its initials) lists
 * up to ten accounts who may read the document; ↑/↓ choose, Enter or Tab inserts "@login ",
 * Escape closes. Nothing is asked while an input method is composing.
 */
export function mentionPicker(ta, docId, { signal } = {}) {
  const list = h('ul', { class: 'mention-list', role: 'listbox', hidden: true, 'aria-label': t('collab.mentionList') });
  let items = [], active = 0, start = -1, seq = 0, composing = false;
  const close = () => { list.hidden = true; items = []; start = -1; ta.removeAttribute('aria-activedescendant'); };
  const choose = (i) => {
    const u = items[i];
    if (!u || start < 0) return;
    const caret = ta.selectionStart;
    const before = ta.value.slice(0, start), after = ta.value.slice(caret);
    const insert = '@' + u.username + ' ';
    ta.value = before + insert + after;
    const pos = before.length + insert.length;
    ta.setSelectionRange(pos, pos);
    ta.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    ta.focus();
  };
  const show = () => {
    clear(list);
    items.forEach((u, i) => list.append(h('li', {
      id: 'mention-' + i, role: 'option', 'aria-selected': String(i === active), class: i === active ? 'active' : null,
      onmousedown: (e) => { e.preventDefault(); choose(i); },
    }, h('span', { class: 'mention-name' }, u.display_name), ' ', h('span', { class: 'muted small' }, '@' + u.username))));
    list.hidden = !items.length;
    if (items.length) ta.setAttribute('aria-activedescendant', 'mention-' + active);
  };
  const lookup = debounce(async () => {
    if (composing) return; // what the input method shows is not typed yet
    const caret = ta.selectionStart;
    const m = /(^|[^\w.@])@([\w.\-\u4e00-\u9fff]{0,20})$/.exec(ta.value.slice(0, caret));
    if (!m) { close(); return; }
    start = caret - m[2].length - 1;
    const mine = ++seq;
    try {
      const r = await get('/documents/' + enc(docId) + '/mentionable', { q: m[2] }, { signal });
      if (mine !== seq) return;
      items = (r && r.items) || [];
      active = 0;
      show();
    } catch { close(); }
  }, 150);
  ta.addEventListener('compositionstart', () => { composing = true; lookup.cancel(); });
  ta.addEventListener('compositionend', () => { composing = false; lookup(); });
  ta.addEventListener('input', (e) => { if (!e.isComposing && !composing) lookup(); });
  ta.addEventListener('blur', () => setTimeout(close, 150));
  ta.addEventListener('keydown', (e) => {
    if (list.hidden || e.isComposing) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); active = (active + 1) % items.length; show(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); active = (active + items.length - 1) % items.length; show(); }
    else if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); choose(active); }
    else if (e.key === 'Escape') { e.preventDefault(); close(); }
  });
  return list;
}

function quoteOfSelection(article) {
  const sel = window.getSelection();
  if (!sel || sel.isCollapsed || !article) return '';
  const node = sel.anchorNode;
  if (!node || !article.contains(node)) return '';
  return sel.toString().trim().slice(0, 500);
}

/**
 * Comments under a document: threads oldest first, replies under their thread, resolved threads
 * folded. `onCount` hears the count after each change (for the header).
 */
export function commentsSection(doc, { article, signal, focusId, onCount } = {}) {
  const box = h('section', { class: 'comments', id: 'comments', 'aria-labelledby': 'comments-title' });
  const title = h('h2', { id: 'comments-title' }, t('collab.comments'));
  const listBox = h('div', { class: 'comment-threads' });
  append(box, title, listBox);
  let data = { items: [], count: 0, can_comment: false };

  const form = (opts) => {
    const ta = h('textarea', { class: 'comment-input', rows: 3, maxlength: 20000, placeholder: opts.placeholder || t('collab.placeholder'), 'aria-label': opts.label || t('collab.write') });
    if (opts.value) ta.value = opts.value;
    const picker = mentionPicker(ta, doc.id, { signal });
    let quote = opts.quote || '';
    const quoteBox = h('blockquote', { class: 'comment-quote', hidden: !quote }, quote);
    const quoteBtn = opts.allowQuote ? h('button', { class: 'btn btn-sm btn-quiet', type: 'button', onclick: () => {
      quote = quoteOfSelection(article);
      quoteBox.textContent = quote; quoteBox.hidden = !quote;
      if (!quote) toast(t('collab.selectFirst'), 'info');
    } }, t('collab.quote')) : null;
    const send = h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, opts.submit || t('collab.send'));
    const f = h('form', { class: 'comment-form' }, quoteBox, h('div', { class: 'mention-wrap' }, ta, picker),
      h('div', { class: 'form-actions' }, quoteBtn, opts.cancel ? h('button', { class: 'btn btn-sm btn-quiet', type: 'button', onclick: opts.cancel }, t('common.cancel')) : null, send));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!ta.value.trim()) { toast(t('collab.empty'), 'error'); ta.focus(); return; }
      send.disabled = true;
      try { await opts.onSubmit(ta.value, quote); } catch (err) { reportError(err); } finally { send.disabled = false; }
    });
    return { form: f, ta };
  };

  const card = (c) => {
    const el = h('div', { class: ['comment', c.deleted ? 'comment-deleted' : null], id: 'comment-' + c.id });
    const head = h('div', { class: 'comment-head' },
      h('strong', null, c.author_name || c.author),
      h('time', { datetime: c.created_at, title: fullTime(c.created_at) }, formatTime(c.created_at, getLang())),
      c.edited_at ? h('span', { class: 'muted small' }, t('collab.edited')) : null,
      c.resolved ? h('span', { class: 'badge badge-ok' }, t('collab.resolvedBy', { name: c.resolved_by || '' })) : null);
    const bodyEl = h('div', { class: 'comment-body markdown-body' });
    if (c.deleted) bodyEl.append(h('p', { class: 'muted' }, t('collab.deleted')));
    else trustedHtml(bodyEl, c.html);
    const actions = h('div', { class: 'comment-actions' });
    const slot = h('div');
    if (!c.deleted && data.can_comment) actions.append(h('button', { class: 'link-btn', type: 'button', onclick: () => {
      if (slot.firstChild) { clear(slot); return; }
      const { form: f, ta } = form({ placeholder: t('collab.replyTo', { name: c.author_name }), submit: t('collab.reply'), cancel: () => clear(slot),
        onSubmit: async (text) => { await post('/documents/' + enc(doc.id) + '/comments', { body: text, parent_id: c.id }); await load(); } });
      slot.append(f); ta.focus();
    } }, t('collab.reply')));
    if (c.mine && !c.deleted) actions.append(h('button', { class: 'link-btn', type: 'button', onclick: () => {
      const { form: f, ta } = form({ value: c.body, submit: t('common.save'), cancel: () => { f.replaceWith(bodyEl); },
        onSubmit: async (text) => { await patch('/comments/' + enc(c.id), { body: text }); await load(); } });
      bodyEl.replaceWith(f); ta.focus();
    } }, t('common.edit')));
    if (c.can_resolve) actions.append(h('button', { class: 'link-btn', type: 'button', onclick: async () => {
      try { await patch('/comments/' + enc(c.id), { resolved: !c.resolved }); await load(); } catch (e) { reportError(e); }
    } }, c.resolved ? t('collab.reopen') : t('collab.resolve')));
    if (c.can_delete) actions.append(h('button', { class: 'link-btn danger', type: 'button', onclick: async () => {
      if (!await confirmDialog({ title: t('collab.delete'), message: t('collab.deleteConfirm'), ok: t('common.delete'), cancel: t('common.cancel'), danger: true })) return;
      try { await del('/comments/' + enc(c.id)); await load(); } catch (e) { reportError(e); }
    } }, t('common.delete')));
    append(el, head, c.quote ? h('blockquote', { class: 'comment-quote' }, c.quote) : null, bodyEl, actions, slot);
    return el;
  };

  const render = () => {
    clear(listBox);
    title.textContent = t('collab.commentsN', { n: data.count });
    const roots = data.items.filter((c) => !c.parent_id);
    const replies = (id) => data.items.filter((c) => c.parent_id === id);
    if (!roots.length) listBox.append(h('p', { class: 'muted' }, data.can_comment ? t('collab.none') : t('collab.noneClosed')));
    for (const r of roots) {
      const thread = h('div', { class: ['comment-thread', r.resolved ? 'resolved' : null] }, card(r),
        h('div', { class: 'comment-replies' }, replies(r.id).map(card)));
      if (r.resolved && r.id !== focusId && !replies(r.id).some((x) => x.id === focusId)) {
        listBox.append(h('details', { class: 'thread-folded' }, h('summary', null, t('collab.resolvedThread', { n: 1 + replies(r.id).length })), thread));
      } else listBox.append(thread);
    }
    if (data.can_comment) {
      const { form: f } = form({ allowQuote: true, onSubmit: async (text, quote) => {
        await post('/documents/' + enc(doc.id) + '/comments', quote ? { body: text, quote } : { body: text });
        toast(t('collab.sent'), 'success');
        await load();
      } });
      listBox.append(f);
    } else if (!roots.length) {
      // Nothing to show and nothing to do: say so once, no form.
    } else listBox.append(h('p', { class: 'muted small' }, t('collab.closed')));
    if (onCount) onCount(data.count);
  };

  async function load() {
    try {
      data = await get('/documents/' + enc(doc.id) + '/comments', null, { signal });
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      clear(listBox).append(h('p', { class: 'muted' }, t('common.error')));
      return;
    }
    render();
  }
  const ready = load().then(() => {
    if (focusId) {
      const el = document.getElementById('comment-' + focusId);
      if (el) { el.classList.add('comment-focus'); el.scrollIntoView({ block: 'center' }); }
    }
  });
  return { el: box, ready };
}
