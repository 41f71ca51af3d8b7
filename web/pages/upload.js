import { h, append, clear, toast, bytes } from '../dom.js';
import { t } from '../i18n.js';
import { ApiError } from '../api.js';
import { setTitle } from '../app.js';
import { forgetSpaceDocs } from '../spacetree.js';
import { upload, uploadError } from '../attach.js';
import { loadSpaces, loadCategories, categoryOptions, field, enc, pageHeader, isAdmin } from '../ui.js';

// Each file becomes a document on the server (POST /spaces/{id}/upload): front matter read as the
// import reads it, Word files converted to Markdown (their images become attachments).
const OK_EXT = /\.(md|markdown|mdown|txt|text|docx)$/i;

/** Why the server did not make a document of a file: its message when it is in Chinese, else ours for the code. */
function failure(f) {
  if (/[\u4e00-\u9fff]/.test(f.message || '')) return f.message;
  return uploadError(new ApiError(422, f.code, f.message, f));
}

export async function uploadPage(main, { query }) {
  setTitle(t('upload.title'));
  const spaces = await loadSpaces().catch(() => []);
  let spaceId = query.space || (spaces.find((s) => ['editor', 'manager'].includes(s.my_role) || isAdmin()) || spaces[0] || {}).id || '';
  const spaceSel = h('select', null, spaces.map((s) => h('option', { value: s.id, selected: s.id === spaceId }, s.name)));
  const catSel = h('select');
  const fillCats = async (sel) => clear(catSel).append(...categoryOptions(await loadCategories(spaceId).catch(() => []), sel, true));
  await fillCats(query.category || '');
  spaceSel.addEventListener('change', () => { spaceId = spaceSel.value; fillCats(''); });

  const queue = []; // {file, row, state}
  const list = h('ul', { class: 'upload-list', 'aria-live': 'polite' });
  const startBtn = h('button', { class: 'btn btn-primary', type: 'button', disabled: true }, t('upload.start'));
  const clearBtn = h('button', { class: 'btn btn-quiet', type: 'button', disabled: true }, t('upload.clear'));
  const input = h('input', { type: 'file', multiple: true, accept: '.md,.markdown,.mdown,.txt,.text,.docx,text/markdown,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document', class: 'sr-only', id: 'upload-input' });

  const refresh = () => {
    const pending = queue.some((q) => q.state === 'queued');
    startBtn.disabled = !pending;
    clearBtn.disabled = !queue.length;
  };
  function add(files) {
    for (const file of files) {
      const st = h('span', { class: 'upload-state' });
      const row = h('li', { class: 'upload-row' }, h('span', { class: 'upload-name', title: file.name }, file.name), h('span', { class: 'muted small' }, bytes(file.size)), st);
      const item = { file, row, st, state: 'queued' };
      if (!OK_EXT.test(file.name)) { item.state = 'error'; st.textContent = t('upload.badType'); st.className = 'upload-state err'; }
      else st.textContent = t('upload.queued');
      queue.push(item);
      append(list, row);
    }
    refresh();
  }
  input.addEventListener('change', () => { add([...input.files]); input.value = ''; });

  const drop = h('label', { class: 'dropzone', for: 'upload-input', tabindex: '-1' },
    h('span', { class: 'dropzone-icon', 'aria-hidden': 'true' }, '⇪'),
    h('span', null, t('upload.drop'), ' ', h('span', { class: 'link-like' }, t('upload.pick'))),
    h('span', { class: 'muted small' }, '.md  .markdown  .txt  .docx'));
  const pickBtn = h('button', { class: 'btn', type: 'button', onclick: () => input.click() }, t('upload.pick'));
  for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); if (e.dataTransfer && e.dataTransfer.files) add([...e.dataTransfer.files]); });

  clearBtn.addEventListener('click', () => { queue.length = 0; clear(list); refresh(); });
  startBtn.addEventListener('click', async () => {
    if (!spaceId) { toast(t('editor.spaceRequired'), 'error'); spaceSel.focus(); return; }
    startBtn.disabled = true;
    let n = 0;
    for (const item of queue) {
      if (item.state !== 'queued') continue;
      item.state = 'uploading'; item.st.textContent = t('upload.uploading'); item.st.className = 'upload-state';
      try {
        const r = await upload('/spaces/' + enc(spaceId) + '/upload', [item.file], { category_id: catSel.value });
        const doc = (r.documents || [])[0];
        if (!doc) throw (r.errors || [])[0] || new Error(t('common.error'));
        item.state = 'done'; n++;
        clear(item.st).append(h('a', { href: '#/doc/' + enc(doc.id) }, '✓ ', doc.title || t('upload.ok')));
        item.st.className = 'upload-state ok';
      } catch (e) {
        item.state = 'error';
        item.st.textContent = t('upload.failed', { msg: e instanceof Error ? uploadError(e) : failure(e) });
        item.st.className = 'upload-state err';
      }
    }
    if (n) { forgetSpaceDocs(spaceId); toast(t('upload.done', { n }), 'success'); }
    refresh();
  });

  append(main, pageHeader(t('upload.title')),
    h('p', { class: 'page-lead' }, t('upload.lead')),
    h('div', { class: 'card upload-card' },
      h('div', { class: 'editor-meta' }, field(t('editor.space'), spaceSel), field(t('editor.category'), catSel)),
      input, drop,
      h('div', { class: 'form-actions' }, pickBtn, clearBtn, startBtn),
      list));
}
