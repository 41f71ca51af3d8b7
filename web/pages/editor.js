import { h, append, clear, toast, debounce, parseTags, formatTime, trustedHtml, confirmDialog } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, post, put, del, ApiError } from '../api.js';
import { mentionPicker } from '../collab.js';
import { editingLine } from '../collabbar.js';
import { setTitle, navigate } from '../app.js';
import { renderDiff } from '../diffview.js';
import { markdownToolbar } from '../mdtoolbar.js';
import { editorAttach, styles as attachStyles } from '../attach.js';
import { forgetSpaceDocs } from '../spacetree.js';
import { loadSpaces, loadCategories, categoryOptions, field, reportError, enc, errorState, errorMessage, spaceName, isAdmin, breadcrumbs, placeCrumbs } from '../ui.js';

const DRAFT_PREFIX = 'hanlin.draft.';

function readLocal(key) {
  try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch { return null; }
}
function writeLocal(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch { return false; }
}
function dropLocal(key) {
  try { localStorage.removeItem(key); } catch { /* ignore */ }
}

export async function editorPage(main, ctx) {
  const { params, query, alive, signal } = ctx;
  const id = params[0] || null;
  let doc = null;
  let template = null;
  const spaces = await loadSpaces().catch(() => []);
  if (id) {
    try { doc = await get('/documents/' + enc(id)); } catch (e) { append(main, errorState(e)); return; }
  } else if (query.template) {
    try { template = await get('/templates/' + enc(query.template), { space_id: query.space }); } catch (e) { append(main, errorState(e)); return; }
  }
  if (!alive()) return;
  // Records (and 新建 of a record type or from a record template) get the form of their type.
  if ((doc && (doc.kind === 'record' || doc.record_type)) || (!doc && (query.type || (template && template.kind === 'record')))) {
    const { recordPage } = await import('../recordform.js');
    if (alive()) await recordPage(main, ctx, { doc, template });
    return;
  }
  const isNew = !doc;
  setTitle(isNew ? t('editor.newTitle') : t('editor.editTitle') + ' · ' + doc.title);
  main.classList.add('main-wide');

  let baseVersion = doc ? doc.version : null;
  let spaceId = doc ? doc.space_id : (query.space || (spaces.find((s) => ['editor', 'manager'].includes(s.my_role) || isAdmin()) || spaces[0] || {}).id || '');
  const draftKey = DRAFT_PREFIX + (id || 'new');

  // A document template fills the editor with its body (variables resolved), its first heading the title.
  const fromTemplate = (tp) => ({ title: (/^#\s+(.+)$/m.exec(tp.body || '') || [])[1] || tp.name || '', body: tp.body || '' });
  const seed = template ? fromTemplate(template) : null;
  const titleIn = h('input', { class: 'title-input', name: 'title', maxlength: 200, placeholder: t('editor.titlePlaceholder'), value: doc ? doc.title : seed ? seed.title.trim() : '', required: true, 'aria-label': t('editor.title') });
  const tagsIn = h('input', { name: 'tags', placeholder: t('editor.tagsPlaceholder'), value: doc && doc.tags ? doc.tags.join(', ') : '' });
  const catSel = h('select', { name: 'category' });
  const spaceSel = h('select', { name: 'space', disabled: !isNew },
    spaces.map((s) => h('option', { value: s.id, selected: s.id === spaceId }, s.name)));
  if (!isNew && !spaces.some((s) => s.id === spaceId)) append(spaceSel, h('option', { value: spaceId, selected: true }, spaceName(spaceId) || spaceId));
  const messageIn = h('input', { class: 'message-input', name: 'message', maxlength: 200, placeholder: t('editor.message'), title: t('editor.messagePlaceholder'), 'aria-label': t('editor.message'), autocomplete: 'off' });
  const bodyIn = h('textarea', { class: 'body-input', name: 'body', spellcheck: 'false', placeholder: t('editor.bodyPlaceholder'), 'aria-label': t('editor.body') });
  bodyIn.value = doc ? (doc.body || '') : seed ? seed.body : '';
  const preview = h('div', { class: 'markdown-body preview', 'aria-live': 'off' });
  const status = h('span', { class: 'save-status muted', role: 'status' });
  const notice = h('div');
  const conflictBox = h('div');
  // Who else has this editor open: a heartbeat every 20 s while the page is shown (the server
  // forgets an editor a minute after the last one), and a goodbye when leaving.
  const editingBox = h('div', { class: 'editing-slot' });
  if (id) {
    const beat = async () => {
      if (!alive()) return;
      try {
        const r = await post('/documents/' + enc(id) + '/editing', {});
        if (!alive()) return;
        clear(editingBox);
        const line = editingLine(r.editing);
        if (line) editingBox.append(line);
      } catch { /* the indicator is a courtesy */ }
    };
    const timer = setInterval(beat, 20000);
    beat();
    const stop = () => { clearInterval(timer); del('/documents/' + enc(id) + '/editing').catch(() => {}); };
    if (signal) signal.addEventListener('abort', stop, { once: true });
  }

  async function fillCategories(selected) {
    clear(catSel).append(...categoryOptions(await loadCategories(spaceId).catch(() => []), selected, true));
  }
  await fillCategories(doc ? doc.category_id : (query.category || ''));
  spaceSel.addEventListener('change', async () => { spaceId = spaceSel.value; await fillCategories(''); markDirty(); });

  // The preview is the server's rendering (POST /render), the very HTML readers will get. Typing
  // asks again after a pause; only the answer to the latest request is shown (an older one that
  // arrives late is dropped), and nothing is asked while an input method is composing (pinyin).
  let previewSeq = 0;
  let previewAbort = null;
  let composing = false;
  const renderPreview = async () => {
    const seq = ++previewSeq;
    if (previewAbort) previewAbort.abort();
    const text = bodyIn.value;
    if (!text.trim()) {
      previewAbort = null;
      preview.classList.remove('preview-stale');
      clear(preview).append(h('p', { class: 'muted' }, t('editor.previewEmpty')));
      return;
    }
    const abort = new AbortController();
    previewAbort = abort;
    preview.classList.add('preview-stale');
    try {
      const r = await post('/render', { body: text }, { signal: abort.signal });
      if (seq !== previewSeq || !alive()) return;
      trustedHtml(preview, r.html);
      preview.classList.remove('preview-stale');
    } catch (e) {
      if (seq !== previewSeq || (e && e.name === 'AbortError')) return;
      // Keep the last good rendering; say above it why this text cannot be shown.
      preview.querySelector('.preview-error')?.remove();
      preview.prepend(h('p', { class: 'preview-error', role: 'status' }, errorMessage(e)));
      preview.classList.remove('preview-stale');
    } finally {
      if (previewAbort === abort) previewAbort = null;
    }
  };
  renderPreview();
  const schedulePreview = debounce(renderPreview, 300);
  bodyIn.addEventListener('compositionstart', () => { composing = true; schedulePreview.cancel(); });
  bodyIn.addEventListener('compositionend', () => { composing = false; schedulePreview(); });
  // Links to "#footnote" or "#heading" scroll inside the preview instead of leaving the editor.
  preview.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#"]');
    if (!a) return;
    e.preventDefault();
    const target = preview.querySelector('[id="' + CSS.escape(decodeURIComponent(a.getAttribute('href').slice(1))) + '"]');
    if (target) target.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  });

  let dirty = false;
  const snapshot = () => ({ title: titleIn.value, body: bodyIn.value, tags: tagsIn.value, category_id: catSel.value, space_id: spaceId, base_version: baseVersion, saved_at: new Date().toISOString() });
  const saveLocal = debounce(() => { if (dirty && writeLocal(draftKey, snapshot())) status.textContent = t('editor.localSaved'); }, 400);
  function markDirty() { dirty = true; status.textContent = t('editor.unsaved'); saveLocal(); }
  for (const el of [titleIn, tagsIn, bodyIn]) el.addEventListener('input', markDirty);
  catSel.addEventListener('change', markDirty);
  bodyIn.addEventListener('input', (e) => { if (!e.isComposing && !composing) schedulePreview(); });
  const beforeUnload = (e) => { if (dirty && alive()) { e.preventDefault(); e.returnValue = ''; } };
  window.addEventListener('beforeunload', beforeUnload);

  // Unsaved text from an earlier session?
  const stored = readLocal(draftKey);
  if (stored && (stored.body !== bodyIn.value || stored.title !== titleIn.value) && (stored.body || stored.title)) {
    const banner = h('div', { class: 'notice' },
      h('span', null, t('editor.restoreDraft', { t: formatTime(stored.saved_at, getLang()) })),
      h('button', { class: 'btn btn-sm btn-primary', type: 'button', onclick: async () => {
        titleIn.value = stored.title || ''; bodyIn.value = stored.body || ''; tagsIn.value = stored.tags || '';
        if (isNew && stored.space_id) { spaceId = stored.space_id; spaceSel.value = spaceId; await fillCategories(stored.category_id || ''); }
        else if (stored.category_id !== undefined) catSel.value = stored.category_id;
        renderPreview(); dirty = true; status.textContent = t('editor.unsaved'); banner.remove();
      } }, t('editor.restore')),
      h('button', { class: 'btn btn-sm', type: 'button', onclick: () => { dropLocal(draftKey); banner.remove(); } }, t('editor.discard')));
    append(notice, banner);
  }

  const saveBtn = h('button', { class: 'btn btn-primary', type: 'submit', value: 'save' }, t('editor.save'));
  const submitBtn = h('button', { class: 'btn', type: 'button' }, t('editor.saveSubmit'));
  const cancel = h('a', { class: 'btn btn-quiet', href: isNew ? (spaceId ? '#/spaces/' + enc(spaceId) : '#/') : '#/doc/' + enc(id) }, t('common.cancel'));

  // A stale save is merged by the server when the two edits touch different lines; what is left
  // here are overlapping edits. Each conflicting passage shows both sides, with who wrote theirs
  // and when, and the user takes one side, both, or edits the result: no button drops the other
  // person's change without showing it.
  const MARK_A = '<<<<<<< ', MARK_M = '=======', MARK_B = '>>>>>>> ';
  function showMergeConflict(err) {
    const e = err.body || {};
    const cur = e.current || {};
    const parts = e.parts || [];
    const theirsWho = t('conflict.theirsWho', { name: cur.author_name || cur.author || '', v: e.current_version, t: cur.updated_at ? formatTime(cur.updated_at, getLang()) : '' });
    const mineWho = t('conflict.mineWho', { v: e.base_version });
    const choices = new Map();
    const result = h('textarea', { class: 'merge-result body-input', rows: 14, spellcheck: 'false', 'aria-label': t('conflict.result') });
    const left = h('span', { class: 'conflict-left', role: 'status' });
    const saveMerged = h('button', { class: 'btn btn-primary', type: 'button' }, t('conflict.saveMerged'));
    const conflictParts = parts.map((p, i) => [p, i]).filter(([p]) => p.kind === 'conflict');
    const assemble = () => parts.map((p, i) => {
      if (p.kind === 'clean') return p.text;
      const c = choices.get(i);
      if (c === 'theirs') return p.theirs;
      if (c === 'mine') return p.mine;
      if (c === 'both') return p.theirs + (p.theirs.endsWith('\n') || !p.theirs ? '' : '\n') + p.mine;
      const nl = (x) => (x && !x.endsWith('\n') ? x + '\n' : x);
      return MARK_A + theirsWho + '\n' + nl(p.theirs) + MARK_M + '\n' + nl(p.mine) + MARK_B + mineWho + '\n';
    }).join('');
    const fieldChoice = new Map();
    const check = () => {
      const unresolved = result.value.split('\n').filter((l) => l.startsWith(MARK_A)).length;
      const fieldsLeft = (e.fields || []).filter((f) => !fieldChoice.has(f.field)).length;
      const n = unresolved + fieldsLeft;
      left.textContent = n ? t('conflict.left', { n }) : t('conflict.allChosen');
      saveMerged.disabled = n > 0;
    };
    const refresh = () => { result.value = assemble(); check(); };
    result.addEventListener('input', check);
    const hunk = ([p, i], k) => {
      const btns = ['theirs', 'mine', 'both'].map((c) => h('button', { class: 'btn btn-sm', type: 'button', 'data-choice': c, 'aria-pressed': 'false', onclick: (ev) => {
        choices.set(i, c);
        for (const b of ev.currentTarget.parentElement.children) b.setAttribute('aria-pressed', String(b === ev.currentTarget));
        refresh();
      } }, t('conflict.take.' + c)));
      return h('div', { class: 'conflict-hunk' },
        h('h3', null, t('conflict.hunk', { k: k + 1, line: p.base_start })),
        h('div', { class: 'conflict-sides' },
          h('div', null, h('div', { class: 'conflict-who' }, theirsWho), h('pre', { class: 'conflict-text conflict-theirs' }, p.theirs || t('conflict.removed'))),
          h('div', null, h('div', { class: 'conflict-who' }, mineWho), h('pre', { class: 'conflict-text conflict-mine' }, p.mine || t('conflict.removed')))),
        h('div', { class: 'conflict-choose', role: 'group', 'aria-label': t('conflict.choose') }, btns));
    };
    const fieldRows = (e.fields || []).map((f) => {
      const show = (v) => (Array.isArray(v) ? v.join(', ') : (v ?? t('conflict.none')));
      const pick = (side) => h('label', { class: 'conflict-field-pick' },
        h('input', { type: 'radio', name: 'field-' + f.field, onchange: () => { fieldChoice.set(f.field, f[side]); check(); } }),
        ' ', side === 'theirs' ? theirsWho : mineWho, '：', h('strong', null, String(show(f[side]))));
      return h('div', { class: 'conflict-field' }, h('span', { class: 'muted' }, t('conflict.field.' + f.field), ' '), pick('theirs'), pick('mine'));
    });
    saveMerged.addEventListener('click', async () => {
      saveMerged.disabled = true;
      const title = fieldChoice.has('title') ? fieldChoice.get('title') : titleIn.value.trim();
      const tags = fieldChoice.has('tags') ? fieldChoice.get('tags') : parseTags(tagsIn.value);
      titleIn.value = title; tagsIn.value = (tags || []).join(', '); bodyIn.value = result.value;
      baseVersion = e.current_version;
      clear(conflictBox);
      await save(false);
    });
    refresh();
    clear(conflictBox).append(h('section', { class: 'conflict', role: 'alert', 'aria-labelledby': 'conflict-h' },
      h('h2', { id: 'conflict-h' }, t('conflict.overlapTitle')),
      h('p', null, t('conflict.overlapLead', { name: cur.author_name || '', v: e.current_version, n: conflictParts.length + (e.fields || []).length })),
      fieldRows,
      conflictParts.map(hunk),
      h('h3', null, t('conflict.result')),
      h('p', { class: 'muted small' }, t('conflict.resultHint')),
      result,
      h('div', { class: 'form-actions' }, left, saveMerged,
        h('button', { class: 'btn', type: 'button', onclick: async () => {
          try { await navigator.clipboard.writeText(bodyIn.value); toast(t('conflict.copied'), 'success'); } catch { bodyIn.select(); }
        } }, t('conflict.copy')),
        h('button', { class: 'btn btn-quiet', type: 'button', onclick: () => takeTheirs(e.current_version) }, t('conflict.takeTheirs')))));
    conflictBox.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  async function takeTheirs(v) {
    let current;
    try { current = await get('/documents/' + enc(id)); } catch (e) { reportError(e); return; }
    // Keep the user's text on this device before replacing it.
    writeLocal(draftKey + '.replaced', snapshot());
    titleIn.value = current.title; bodyIn.value = current.body || ''; tagsIn.value = (current.tags || []).join(', ');
    baseVersion = current.version ?? v; renderPreview(); clear(conflictBox); dirty = false; status.textContent = '';
  }

  async function showConflict(err) {
    if (err.body && Array.isArray(err.body.parts)) { showMergeConflict(err); return; }
    const mine = bodyIn.value;
    let current, diffView;
    try { current = await get('/documents/' + enc(id)); } catch (e) { reportError(e); return; }
    // The server's diff (the one the history shows), of the current version against my text.
    try { diffView = renderDiff(await post('/diff', { from: current.body || '', to: mine })); } catch (e) { diffView = errorState(e); }
    const curVersion = current.version ?? err.body.current_version;
    clear(conflictBox).append(h('section', { class: 'conflict', role: 'alert', 'aria-labelledby': 'conflict-h' },
      h('h2', { id: 'conflict-h' }, t('conflict.title')),
      h('p', null, t('conflict.lead', { v: curVersion })),
      current.title !== titleIn.value ? h('p', { class: 'conflict-titles' },
        h('span', { class: 'muted' }, t('editor.title'), ': '), h('del', null, current.title), ' → ', h('ins', null, titleIn.value)) : null,
      h('h3', null, t('conflict.diff')),
      diffView,
      h('div', { class: 'conflict-sides' },
        h('details', null, h('summary', null, t('conflict.theirs', { v: curVersion })), h('pre', { class: 'conflict-text' }, current.body || '')),
        h('details', null, h('summary', null, t('conflict.mine')), h('pre', { class: 'conflict-text conflict-mine' }, mine))),
      h('div', { class: 'form-actions' },
        h('button', { class: 'btn', type: 'button', onclick: async () => {
          try { await navigator.clipboard.writeText(bodyIn.value); toast(t('conflict.copied'), 'success'); } catch { bodyIn.select(); }
        } }, t('conflict.copy')),
        h('button', { class: 'btn btn-quiet', type: 'button', onclick: () => takeTheirs(curVersion) }, t('conflict.takeTheirs')))));
    conflictBox.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  // 需重新确认: a direct publish asks those who acknowledged it in an onboarding collection again.
  const reconfirmIn = isNew ? null : h('input', { type: 'checkbox', name: 'reconfirm' });
  let saving = false;
  async function save(andSubmit) {
    if (saving) return;
    if (!titleIn.value.trim()) { toast(t('editor.titleRequired'), 'error'); titleIn.focus(); return; }
    if (isNew && !spaceId) { toast(t('editor.spaceRequired'), 'error'); spaceSel.focus(); return; }
    saving = true; saveBtn.disabled = true; submitBtn.disabled = true; status.textContent = t('common.saving');
    writeLocal(draftKey, snapshot());
    const payload = { title: titleIn.value.trim(), body: bodyIn.value, tags: parseTags(tagsIn.value), category_id: catSel.value || null };
    if (messageIn.value.trim()) payload.message = messageIn.value.trim();
    if (reconfirmIn && reconfirmIn.checked) payload.reconfirm = true;
    try {
      let saved;
      if (isNew) saved = await post('/documents', { space_id: spaceId, ...payload });
      else saved = await put('/documents/' + enc(id), { ...payload, base_version: baseVersion, merge: true });
      dirty = false;
      dropLocal(draftKey);
      forgetSpaceDocs(spaceId);
      const docId = saved.id || id;
      toast(saved.merged ? t('conflict.merged', { v: saved.version ?? '' }) : t('editor.saved', { v: saved.version ?? '' }), 'success');
      if (andSubmit) {
        try { await post(`/documents/${enc(docId)}/submit`, {}); toast(t('doc.submitted'), 'success'); } catch (e) { reportError(e); }
      }
      window.removeEventListener('beforeunload', beforeUnload);
      navigate('#/doc/' + enc(docId));
    } catch (e) {
      status.textContent = t('editor.localSaved');
      if (e instanceof ApiError && e.status === 409 && !isNew) await showConflict(e);
      else reportError(e);
    } finally {
      saving = false; saveBtn.disabled = false; submitBtn.disabled = false;
    }
  }
  submitBtn.addEventListener('click', () => save(true));

  const onKey = (e) => {
    if (!alive()) { document.removeEventListener('keydown', onKey); window.removeEventListener('beforeunload', beforeUnload); return; }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); save(false); }
  };
  document.addEventListener('keydown', onKey);

  // Pasted or dropped files (images above all) become attachments, linked at the caret; a new
  // document has none until it is saved.
  attachStyles();
  const attachPick = editorAttach(bodyIn, () => id, { signal });
  const attachIn = h('input', { type: 'file', multiple: true, class: 'sr-only', tabindex: '-1', 'aria-hidden': 'true' });
  attachIn.addEventListener('change', () => { const f = [...attachIn.files]; attachIn.value = ''; bodyIn.focus(); attachPick(f); });
  const attachBar = h('div', { class: 'editor-attach' },
    h('button', { class: 'btn btn-sm', type: 'button', disabled: !id, onclick: () => attachIn.click() }, '+ ', t('att.add')),
    attachIn, isNew ? h('span', { class: 'muted small' }, t('att.saveFirst')) : null);

  const tabs = h('div', { class: 'editor-tabs', role: 'tablist' });
  const writeTab = h('button', { type: 'button', role: 'tab', 'aria-selected': 'true', class: 'active' }, t('editor.write'));
  const prevTab = h('button', { type: 'button', role: 'tab', 'aria-selected': 'false' }, t('editor.preview'));
  const split = h('div', { class: 'editor-split show-write' },
    h('div', { class: 'editor-pane' }, h('div', { class: 'pane-label' }, t('editor.body')), markdownToolbar(bodyIn), attachBar,
      id ? h('div', { class: 'mention-wrap' }, bodyIn, mentionPicker(bodyIn, id, { signal })) : bodyIn),
    h('div', { class: 'editor-pane' }, h('div', { class: 'pane-label' }, t('editor.preview')), preview));
  const selectTab = (write) => {
    split.classList.toggle('show-write', write); split.classList.toggle('show-preview', !write);
    writeTab.classList.toggle('active', write); prevTab.classList.toggle('active', !write);
    writeTab.setAttribute('aria-selected', String(write)); prevTab.setAttribute('aria-selected', String(!write));
    if (!write) renderPreview();
  };
  writeTab.addEventListener('click', () => selectTab(true));
  prevTab.addEventListener('click', () => selectTab(false));
  append(tabs, writeTab, prevTab);

  const crumbs = isNew
    ? breadcrumbs([...(spaceId ? placeCrumbs(spaceId, query.category || '') : [[t('spaces.title'), '#/spaces']]), [t('editor.newTitle')]])
    : breadcrumbs([...placeCrumbs(doc.space_id, doc.category_id), [doc.title || t('doc.untitled'), '#/doc/' + enc(id)], [t('editor.editTitle')]]);
  const form = h('form', { class: 'editor', novalidate: true }, crumbs,
    h('div', { class: 'editor-head' },
      h('h1', { class: 'page-title' }, isNew ? t('editor.newTitle') : t('editor.editTitle')),
      h('div', { class: 'page-actions' }, status, messageIn,
        reconfirmIn ? h('label', { class: 'reconfirm-check', title: t('reconfirm.hint') }, reconfirmIn, ' ', t('reconfirm.label')) : null,
        cancel, submitBtn, saveBtn)),
    editingBox, notice, conflictBox,
    titleIn,
    h('div', { class: 'editor-meta' },
      field(t('editor.space'), spaceSel), field(t('editor.category'), catSel), field(t('editor.tags'), tagsIn)),
    tabs, split);
  form.addEventListener('submit', (e) => { e.preventDefault(); save(false); });
  append(main, form);
  if (seed) markDirty();
  // 从模板开始: the space's templates first; a record template opens its form.
  if (isNew) {
    import('../recordform.js').then(({ templateBar }) => {
      if (!alive()) return;
      const bar = templateBar({ onDocument: async (tp) => {
        if (bodyIn.value.trim() && bodyIn.value !== (seed && seed.body) && !await confirmDialog({ title: t('tpl.use'), message: t('tpl.replace', { name: tp.name }), ok: t('tpl.use'), cancel: t('common.cancel') })) return;
        const s = fromTemplate(tp);
        titleIn.value = s.title.trim(); bodyIn.value = s.body;
        markDirty(); renderPreview();
        toast(t('tpl.applied', { name: tp.name }), 'success');
      } });
      notice.before(bar.el);
      bar.load(spaceId);
      spaceSel.addEventListener('change', () => bar.load(spaceId));
    }, () => {});
  }
  (isNew ? titleIn : bodyIn).focus();
}
