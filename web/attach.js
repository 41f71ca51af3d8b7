// Attachments: the document page's list (pick or drop files, delete, text status as extraction
// goes on), paste or drop into the editor, and the multipart helper. Loaded on demand. Only PDFs and
// raster images that the server marks `inline` open in the browser (images as thumbnails); every
// other file is a download: an HTML or SVG attachment is never shown.

import './i18n-attach.js';
import { h, clear, toast, confirmDialog, formatTime, fullTime, bytes, trustedHtml } from './dom.js';
import { t, has, getLang } from './i18n.js';
import { api, get, del, ApiError } from './api.js';
import { errorMessage, enc } from './ui.js';

let css = null;
/** attach.css of this UI's version, once. */
export function styles() {
  css = css || new Promise((resolve) => {
    document.head.append(h('link', { rel: 'stylesheet', href: 'attach.css' + new URL(import.meta.url).search, onload: resolve, onerror: resolve }));
  });
  return css;
}

/** POST multipart/form-data: `files` as `file` parts, `fields` as text parts (api() adds the CSRF header). */
export function upload(path, files, fields, opts) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields || {})) if (v) fd.append(k, v);
  for (const f of files) fd.append('file', f, f.name);
  return api('POST', path, fd, opts);
}

export const contentUrl = (id) => '/api/v1/attachments/' + enc(id) + '/content';

/** Why an upload failed, in words (413 names the limit). */
export function uploadError(e) {
  if (e instanceof ApiError && e.code === 'payload_too_large' && e.body.limit) return t('att.tooBig', { limit: bytes(+e.body.limit) });
  return errorMessage(e);
}

/** Upload files as attachments of a document: the attachments made; a failure is a toast and []. */
export async function attachFiles(docId, files, opts) {
  try {
    return (await upload('/documents/' + enc(docId) + '/attachments', files, null, opts)).attachments || [];
  } catch (e) {
    if (!(e && e.name === 'AbortError')) toast(uploadError(e), 'error');
    return [];
  }
}

const isImage = (a) => !!a.inline && /^image\/(png|jpe?g|gif|webp|bmp|avif)$/i.test(a.content_type || '');
const typeLabel = (a) => ((/\.([a-z0-9]{1,6})$/i.exec(a.filename || '') || [])[1] || (a.content_type || '').split(/[/;+]/)[1] || t('att.file')).toUpperCase();
const pending = (a) => !a.text_status || a.text_status === 'pending';

function statusChip(a) {
  const st = a.text_status || 'pending';
  let text = st === 'failed' ? t('att.st.failed', { reason: a.text_error || t('att.unknown') }) : has('att.st.' + st) ? t('att.st.' + st) : st;
  if (st === 'ok' && a.pages > 1) text += ' · ' + t('att.pages', { n: a.pages });
  return h('span', { class: 'att-status att-' + st, 'data-status': st, title: a.text_error || null }, text);
}

/** Ask again (bounded, backing off) until extraction has finished; `done(a)` hears the answer. */
async function watch(a, done, signal) {
  for (let i = 0, wait = 700; i < 30; i++, wait = Math.min(wait * 1.4, 5000)) {
    await new Promise((r) => setTimeout(r, wait));
    if (signal && signal.aborted) return;
    try {
      const now = await get('/attachments/' + enc(a.id), null, { signal });
      if (!pending(now)) { done(now); return; }
    } catch (e) {
      if ((e && e.name === 'AbortError') || (e instanceof ApiError && e.status === 404)) return;
    }
  }
}

const hasFiles = (e) => !!e.dataTransfer && [...(e.dataTransfer.types || [])].includes('Files');

/** The attachments of a document, under its text. Editors attach (pick or drop) and delete. */
export function attachSection(doc, { signal, focus } = {}) {
  styles();
  const canEdit = doc.can_edit !== false;
  const title = h('h2', { id: 'att-title' });
  const list = h('ul', { class: 'att-list' });
  const progress = h('p', { class: 'att-progress muted small', role: 'status', 'aria-live': 'polite' });
  const box = h('section', { class: 'att', id: 'attachments', 'aria-labelledby': 'att-title', hidden: true });
  let items = [];
  const input = h('input', { type: 'file', multiple: true, class: 'sr-only', tabindex: '-1', 'aria-hidden': 'true' });
  const head = h('div', { class: 'att-head' }, title,
    canEdit ? h('button', { class: 'btn btn-sm att-add', type: 'button', onclick: () => input.click() }, '+ ', t('att.add')) : null);
  box.append(head, list, progress);
  if (canEdit) box.append(input, h('p', { class: 'att-hint muted small' }, t('att.drop')));

  const row = (a) => {
    const url = contentUrl(a.id);
    const link = a.inline ? { href: url, target: '_blank', rel: 'noopener', title: t('att.open') } : { href: url, download: true, title: t('att.download') };
    const who = a.uploaded_by_name || a.uploaded_by;
    return h('li', { class: 'att-item', id: 'attachment-' + a.id, 'data-id': a.id },
      isImage(a)
        ? h('a', { class: 'att-thumb', ...link, tabindex: '-1', 'aria-hidden': 'true' }, h('img', { src: url, alt: '', loading: 'lazy' }))
        : h('span', { class: 'att-icon', 'aria-hidden': 'true' }, typeLabel(a).slice(0, 4)),
      h('div', { class: 'att-main' },
        h('a', { class: 'att-name', ...link }, a.filename),
        h('div', { class: 'att-meta' },
          h('span', { class: 'att-type', title: a.content_type || null }, typeLabel(a)),
          h('span', { class: 'att-size' }, bytes(a.size)),
          who ? h('span', null, t('att.by', { name: who })) : null,
          a.created_at ? h('time', { datetime: a.created_at, title: fullTime(a.created_at) }, formatTime(a.created_at, getLang())) : null,
          statusChip(a),
          !a.inline && a.text_status === 'ok' ? h('button', { class: 'btn btn-sm btn-quiet att-read', type: 'button', 'aria-expanded': 'false', onclick: (ev) => readText(a, ev.currentTarget) }, t('att.readText')) : null)),
      canEdit ? h('button', { class: 'btn btn-sm btn-quiet att-del', type: 'button', 'aria-label': t('att.delete') + '：' + a.filename, onclick: () => remove(a) }, t('common.delete')) : null);
  };
  // A Word file's converted text (its headings, lists and tables), other files' plain text,
  // under the row; the server sanitised the HTML.
  async function readText(a, btn) {
    const li = btn.closest('li');
    const open = li.querySelector('.att-text');
    if (open) { open.remove(); btn.setAttribute('aria-expanded', 'false'); return; }
    try {
      const r = await get('/attachments/' + enc(a.id) + '/text', null, { signal });
      const panel = h('div', { class: 'att-text', tabindex: '-1' });
      if (typeof r.html === 'string') trustedHtml(panel, r.html); else panel.append(h('pre', null, r.text || ''));
      if (r.truncated) panel.append(h('p', { class: 'muted small' }, t('att.textCut')));
      li.append(panel);
      btn.setAttribute('aria-expanded', 'true');
    } catch (e) { if (e.name !== 'AbortError') toast(errorMessage(e), 'error'); }
  }
  const render = () => {
    title.textContent = t('att.title') + (items.length ? ' (' + items.length + ')' : '');
    clear(list).append(...items.map(row));
    box.hidden = !items.length && !canEdit;
  };
  const follow = (a) => watch(a, (now) => {
    const i = items.findIndex((x) => x.id === now.id);
    if (i >= 0) { items[i] = { ...items[i], ...now }; render(); }
  }, signal);

  async function remove(a) {
    if (!await confirmDialog({ title: t('att.delete'), message: t('att.deleteConfirm', { name: a.filename }), ok: t('common.delete'), cancel: t('common.cancel'), danger: true })) return;
    try {
      await del('/attachments/' + enc(a.id));
      items = items.filter((x) => x.id !== a.id);
      render();
      toast(t('att.deleted'), 'success');
    } catch (e) { toast(errorMessage(e), 'error'); }
  }
  async function add(files) {
    if (!files.length) return;
    progress.textContent = t('att.uploading', { n: files.length });
    box.classList.add('busy');
    const made = await attachFiles(doc.id, files, { signal });
    progress.textContent = '';
    box.classList.remove('busy');
    if (!made.length) return;
    items.push(...made);
    render();
    toast(t('att.added', { n: made.length }), 'success');
    made.filter(pending).forEach(follow);
  }
  if (canEdit) {
    input.addEventListener('change', () => { const f = [...input.files]; input.value = ''; add(f); });
    for (const ev of ['dragenter', 'dragover']) box.addEventListener(ev, (e) => { if (hasFiles(e)) { e.preventDefault(); box.classList.add('over'); } });
    box.addEventListener('dragleave', (e) => { if (!box.contains(e.relatedTarget)) box.classList.remove('over'); });
    box.addEventListener('drop', (e) => {
      box.classList.remove('over');
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      add([...e.dataTransfer.files]);
    });
  }

  const ready = get('/documents/' + enc(doc.id) + '/attachments', null, { signal }).then((r) => {
    items = (r && r.attachments) || [];
    render();
    items.filter(pending).forEach(follow);
    // A search hit in an attachment opens the page at it.
    const at = focus && /^attachment/.test(focus) && (document.getElementById(focus) || box);
    if (at && !box.hidden && box.isConnected) { at.classList.add('att-focus'); at.scrollIntoView({ block: 'center' }); }
  }, () => { /* no list: the section stays away */ });
  return { el: box, ready };
}

const mdEscape = (s) => String(s).replace(/[\\[\]]/g, '\\$&');

/** Markdown that shows (an image) or links (anything else) an attachment. */
export const markdownFor = (a) => (isImage(a) ? '!' : '') + '[' + mdEscape(a.filename) + '](' + contentUrl(a.id) + ')';

/** Replace [start, end) of a textarea with text, undoable where the browser allows it. */
function put(ta, start, end, text) {
  ta.setSelectionRange(start, end);
  let ok = false;
  try { ok = document.activeElement === ta && document.execCommand('insertText', false, text); } catch { ok = false; }
  if (!ok || ta.value.slice(start, start + text.length) !== text) {
    ta.setRangeText(text, start, end, 'end');
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

let seq = 0;
/**
 * Paste or drop files into a Markdown textarea: they become attachments of the document (`docId()`,
 * null while it is not saved yet: then a hint) and land at the caret as ![name](url) for images,
 * [name](url) for other files. Answers `pick(files)` for an 添加附件 button.
 */
export function editorAttach(ta, docId, { signal } = {}) {
  async function pick(files) {
    if (!files.length) return;
    const id = docId();
    if (!id) { toast(t('att.saveFirst'), 'info'); return; }
    const mark = '[' + t('att.uploading', { n: files.length }) + '](#up' + (++seq) + ')';
    put(ta, ta.selectionStart, ta.selectionEnd, mark);
    const made = await attachFiles(id, files, { signal });
    const md = made.map(markdownFor).join('\n');
    const i = ta.value.indexOf(mark);
    if (i >= 0) put(ta, i, i + mark.length, md);
    else if (md) put(ta, ta.selectionStart, ta.selectionEnd, md);
    if (made.length) toast(t('att.inserted', { name: made.map((a) => a.filename).join('、') }), 'success');
  }
  ta.addEventListener('paste', (e) => {
    // Cells copied from Excel or text from Word come with a picture of themselves: the text wins.
    const files = e.clipboardData && !e.clipboardData.getData('text/plain') ? [...e.clipboardData.files] : [];
    if (!files.length) return;
    e.preventDefault();
    pick(files);
  }, { signal });
  ta.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); }, { signal });
  ta.addEventListener('drop', (e) => {
    const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
    if (!files.length) return;
    e.preventDefault();
    pick(files);
  }, { signal });
  return pick;
}
