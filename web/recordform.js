// The record form, generated from the type's JSON Schema; the page that creates or edits a
// record; the template chooser of 新建. The server validates: its errors (JSON Pointers into the
// fields) show beside their fields.

import { h, append, clear, toast } from './dom.js';
import { t } from './i18n.js';
import { get, post, put, ApiError } from './api.js';
import { setTitle, navigate } from './app.js';
import { forgetSpaceDocs } from './spacetree.js';
import { styles, recordTypes, keysOf, kindOf, label, enumTitle, peopleInput } from './records.js';
import { loadSpaces, loadCategories, categoryOptions, field, reportError, errorMessage, enc, errorState, emptyState, breadcrumbs, placeCrumbs } from './ui.js';

let uid = 0;
const nextId = () => 'rf-' + (++uid);
const ptr = (k) => '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1');
const req = (on) => (on ? h('span', { class: 'req', title: t('rec.required') }, ' *') : null);

/** Where a field's error shows: a line under it; its input (focus()) marked invalid, described by it. */
function errorSlot(focus) {
  const line = h('p', { class: 'field-error', id: nextId(), hidden: true });
  const mark = (on) => {
    const el = focus();
    line.parentElement?.classList.toggle('has-error', on);
    if (!el || el === line) return;
    if (on) { el.setAttribute('aria-invalid', 'true'); el.setAttribute('aria-describedby', line.id); } else { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); }
  };
  return {
    line, focus,
    show(msg) { line.textContent = line.hidden ? msg : line.textContent + '；' + msg; line.hidden = false; mark(true); },
    reset() { line.hidden = true; line.textContent = ''; mark(false); },
  };
}

/** One input for a leaf property: {node, input, value(), bad(), filled()} (enum and yes/no count as not filled). */
function makeInput(p, value, ctx, { id = nextId(), required = false, labelText = null } = {}) {
  const kind = kindOf(p);
  const a = { id, 'aria-label': labelText, 'aria-required': required ? 'true' : null };
  const no = () => null;
  if (kind === 'person') {
    const pi = peopleInput({ value, spaceId: ctx.spaceId, id, labelText });
    if (required) pi.input.setAttribute('aria-required', 'true');
    const v = () => pi.input.value.trim();
    return { node: pi.el, input: pi.input, value: () => v() || undefined, bad: no, filled: () => !!v() };
  }
  if (kind === 'enum') {
    let at = p.enum.indexOf(value);
    if (at < 0 && required && value === undefined) at = 0;
    const sel = h('select', a, at < 0 || !required ? h('option', { value: '' }, t('rec.choose')) : null,
      p.enum.map((v, i) => h('option', { value: i, selected: i === at }, enumTitle(p, v))));
    return { node: sel, input: sel, value: () => (sel.value === '' ? undefined : p.enum[+sel.value]), bad: no, filled: () => false };
  }
  if (kind === 'bool') {
    const box = h('input', { ...a, type: 'checkbox', checked: value === true });
    return { node: box, input: box, value: () => box.checked, bad: no, filled: () => false };
  }
  const input = kind === 'long' ? h('textarea', { ...a, rows: 4, maxlength: p.maxLength })
    : h('input', { ...a, autocomplete: 'off', ...(kind === 'number'
      ? { type: 'number', inputmode: 'numeric', step: p.type === 'integer' ? 1 : 'any', min: p.minimum, max: p.maximum }
      : { type: ['date', 'time'].includes(kind) ? kind : 'text', maxlength: p.maxLength }) });
  input.value = value ?? '';
  const raw = () => (kind === 'long' ? input.value : input.value.trim());
  const badInput = () => !!(input.validity && input.validity.badInput);
  return {
    node: input, input,
    value: () => { const v = raw(); if (v === '') return undefined; if (kind !== 'number') return v; const n = Number(v); return Number.isFinite(n) ? n : v; },
    bad: () => (badInput() ? (kind === 'date' ? t('rec.badDate') : t('reason.bad_value', { field: labelText || label(p, '') })) : null),
    filled: () => raw() !== '' || badInput(),
  };
}

/** A labelled leaf field. read(path, slots, bad) registers where its errors show and gives its value. */
function leafField(key, p, value, ctx, required) {
  const id = nextId();
  const inp = makeInput(p, value, ctx, { id, required });
  const slot = errorSlot(() => inp.input);
  const bool = kindOf(p) === 'bool';
  const el = h('div', { class: ['field', 'rec-field', 'rec-' + kindOf(p)], 'data-field': key },
    bool ? h('label', { class: 'check', for: id }, inp.node, ' ', label(p, key)) : [h('label', { for: id }, label(p, key), req(required)), inp.node], slot.line);
  return {
    key, el, filled: inp.filled,
    read(path, slots, bad) { slots.set(path, slot); const b = inp.bad(); if (b) bad.push({ path, message: b }); return inp.value(); },
  };
}

/** Repeatable rows with add/remove: one-line inputs for an array of strings, field groups for an array of objects. */
function arrayField(key, p, value, ctx, required) {
  const name = label(p, key);
  const objects = kindOf(p) === 'rows';
  const rows = [];
  const ol = h('ol', { class: objects ? 'rec-rows' : 'rec-lines' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-sm rec-add' }, '+ ', t('rec.addItem', { label: name }));
  const slot = errorSlot(() => (rows[0] ? rows[0].first() : addBtn));
  const add = (v, after, focus) => {
    const li = h('li', { class: objects ? 'rec-row' : 'rec-line' });
    const rm = h('button', { type: 'button', class: 'btn btn-sm btn-quiet rec-remove' }, t('rec.remove'));
    let row;
    if (objects) {
      const legend = h('legend', { class: 'rec-row-title' });
      const group = objectFields(p.items, v || {}, ctx);
      append(li, h('fieldset', { class: 'rec-group' }, legend, group.el, h('div', { class: 'rec-row-actions' }, rm)));
      row = { read: group.read, filled: group.filled, first: () => li.querySelector('input, select, textarea'), name: (s) => { legend.textContent = s; } };
    } else {
      const inp = makeInput(p.items || {}, v, ctx, { labelText: name });
      const s = errorSlot(() => inp.input);
      append(li, h('div', { class: 'rec-line-input' }, inp.node, rm), s.line);
      row = {
        read: (path, slots, bad) => { slots.set(path, s); const b = inp.bad(); if (b) bad.push({ path, message: b }); return inp.value(); },
        filled: inp.filled, first: () => inp.input, name: (x) => inp.input.setAttribute('aria-label', x),
      };
      // Enter in a line adds the next one (the form is not submitted).
      li.addAfter = () => add(undefined, row, true);
    }
    row.li = li;
    row.number = (n) => { row.name(t('rec.item', { label: name, n })); rm.setAttribute('aria-label', t('rec.removeLabel', { label: name, n })); };
    rm.addEventListener('click', () => {
      const i = rows.indexOf(row);
      rows.splice(i, 1);
      li.remove();
      rows.forEach((r, j) => r.number(j + 1));
      const next = rows[i] || rows[i - 1];
      (next ? next.first() : addBtn).focus();
      ctx.changed();
    });
    const at = after ? rows.indexOf(after) + 1 : rows.length;
    ol.insertBefore(li, rows[at] ? rows[at].li : null);
    rows.splice(at, 0, row);
    rows.forEach((r, j) => r.number(j + 1));
    if (focus) row.first()?.focus();
  };
  addBtn.addEventListener('click', () => { add(undefined, null, true); ctx.changed(); });
  const list = Array.isArray(value) ? value : [];
  list.forEach((v) => add(v));
  if (!list.length && (!objects || required)) add();
  return {
    key,
    el: h('fieldset', { class: 'rec-array', 'data-field': key }, h('legend', null, name, req(required)), ol, slot.line, addBtn),
    filled: () => rows.some((r) => r.filled()),
    // Empty rows are left out; the errors' pointers count the rows that were sent.
    read(path, slots, bad) {
      slots.set(path, slot);
      const out = [];
      for (const r of rows) {
        const v = r.filled() ? r.read(path + '/' + out.length, slots, bad) : undefined;
        if (v !== undefined) out.push(v);
      }
      return out.length || required || Array.isArray(value) ? out : undefined;
    },
  };
}

/** The fields of an object schema, in form order. */
function objectFields(schema, value, ctx) {
  const need = schema.required || [];
  const props = schema.properties || {};
  const parts = keysOf(schema).map((k) => (['rows', 'list'].includes(kindOf(props[k])) ? arrayField : leafField)(k, props[k], value[k], ctx, need.includes(k)));
  return {
    el: h('div', { class: 'rec-grid' }, parts.map((c) => c.el)),
    filled: () => parts.some((c) => c.filled()),
    read(path, slots, bad) {
      const out = {};
      for (const c of parts) {
        const v = c.read(path + ptr(c.key), slots, bad);
        if (v !== undefined && v !== '' && !(Array.isArray(v) && !v.length && !need.includes(c.key))) out[c.key] = v;
      }
      return out;
    },
  };
}

/** The form of a record type: {el, read() -> {fields, bad}, showErrors(errors)}; ctx: spaceId(), changed(). */
export function recordForm(schema, fields, ctx) {
  const general = errorSlot(() => null);
  general.line.classList.add('form-error');
  const root = objectFields(schema, fields || {}, ctx);
  let slots = new Map(), shown = [];
  return {
    el: h('div', { class: 'rec-form' }, general.line, root.el),
    read() {
      shown.forEach((s) => s.reset());
      shown = [];
      slots = new Map([['', general]]);
      const bad = [];
      return { fields: root.read('', slots, bad), bad };
    },
    /** Each message beside the field its pointer names (or the nearest one above it); the first in the form gets the focus. */
    showErrors(errors) {
      const targets = errors.map((er) => {
        let p = String(er.path || '');
        while (p && !slots.has(p)) p = p.slice(0, p.lastIndexOf('/'));
        const s = slots.get(p) || general;
        s.show(er.message || '');
        if (!shown.includes(s)) shown.push(s);
        return s.focus() || s.line;
      });
      targets.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
      const first = targets[0];
      if (!first) return;
      if (first === general.line) first.setAttribute('tabindex', '-1');
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: 'center' });
    },
  };
}

/**
 * 新建 of a record type (#/new?type=…), from a record template, or 编辑 of a record: the form,
 * the space and category, 保存. POST /documents {space_id, category_id, record_type, fields};
 * PUT /documents/ID {fields, base_version, merge: true}.
 */
export async function recordPage(main, { query, alive, signal }, { doc = null, template = null } = {}) {
  let types, spaces;
  try { [types, spaces] = await Promise.all([recordTypes(), loadSpaces().catch(() => []), styles()]); } catch (e) { append(main, errorState(e)); return; }
  if (!alive()) return;
  const isNew = !doc;
  let type = doc ? doc.record_type : template ? template.record_type : query.type;
  let spaceId = doc ? doc.space_id : (query.space || (template && template.space_id) || (spaces[0] || {}).id || '');
  main.classList.add('main-record');
  let dirty = false, form = null, saving = false;
  const ctx = { spaceId: () => spaceId, changed: () => { dirty = true; } };
  const title = h('h1', { class: 'page-title' });
  const formBox = h('div', { class: 'rec-form-box' });
  const notice = h('div');
  const build = (fields) => {
    const rt = types.find((x) => x.type === type);
    clear(formBox);
    form = rt ? recordForm(rt.schema, fields, ctx) : null;
    title.textContent = rt ? t(isNew ? 'rec.new' : 'rec.edit', { name: rt.name }) : t('rec.records');
    setTitle(title.textContent);
    formBox.append(form ? form.el : emptyState(t('rec.noTypes')));
  };
  const catSel = h('select', { name: 'category' });
  const fillCats = async (sel) => { clear(catSel).append(...categoryOptions(await loadCategories(spaceId).catch(() => []), sel, true)); };
  await fillCats(doc ? doc.category_id : (query.category || ''));
  if (!alive()) return;
  const meta = [];
  if (isNew) {
    const spaceSel = h('select', { name: 'space' }, spaces.map((s) => h('option', { value: s.id, selected: s.id === spaceId }, s.name)));
    spaceSel.addEventListener('change', () => { spaceId = spaceSel.value; fillCats(''); });
    meta.push(field(t('editor.space'), spaceSel));
    if (!template && !types.some((x) => x.type === type)) {
      type = (types[0] || {}).type;
      const typeSel = h('select', { name: 'record_type' }, types.map((x) => h('option', { value: x.type }, x.name)));
      typeSel.addEventListener('change', () => { type = typeSel.value; build({}); });
      meta.push(field(t('rec.type'), typeSel));
    }
  }
  meta.push(field(t('editor.category'), catSel));
  const messageIn = isNew ? null : h('input', { name: 'message', maxlength: 200, autocomplete: 'off' });
  if (messageIn) meta.push(field(t('editor.message'), messageIn));
  build(doc ? doc.fields : template ? template.fields : {});

  const saveBtn = h('button', { class: 'btn btn-primary', type: 'submit' }, t('editor.save'));
  const save = async () => {
    if (!form || saving) return;
    clear(notice);
    const { fields, bad } = form.read();
    if (bad.length) { form.showErrors(bad); return; }
    saving = true; saveBtn.disabled = true;
    const base = { fields, category_id: catSel.value || null };
    if (messageIn && messageIn.value.trim()) base.message = messageIn.value.trim();
    try {
      const saved = isNew ? await post('/documents', { ...base, space_id: spaceId, record_type: type })
        : await put('/documents/' + enc(doc.id), { ...base, base_version: doc.version, merge: true });
      dirty = false;
      forgetSpaceDocs(spaceId);
      toast(t('editor.saved', { v: saved.version ?? '' }), 'success');
      navigate('#/doc/' + enc(saved.id || doc.id));
    } catch (e) {
      const errs = e instanceof ApiError && Array.isArray(e.body.errors) ? e.body.errors : [];
      if (errs.length) { form.showErrors(errs); toast(t('rec.fix', { n: errs.length }), 'error'); }
      else if (e instanceof ApiError && e.status === 409 && !isNew) {
        notice.append(h('div', { class: 'notice notice-danger', role: 'alert' }, h('span', null, errorMessage(e)), h('a', { class: 'btn btn-sm', href: '#/doc/' + enc(doc.id) }, t('rec.reload'))));
        notice.scrollIntoView({ block: 'center' });
      } else reportError(e);
    } finally { saving = false; saveBtn.disabled = false; }
  };

  const el = h('form', { class: 'rec-page', novalidate: true },
    breadcrumbs(isNew ? [...(spaceId ? placeCrumbs(spaceId, '') : []), [t('nav.new')]]
      : [...placeCrumbs(doc.space_id, doc.category_id, doc.category_path), [doc.title || t('doc.untitled'), '#/doc/' + enc(doc.id)], [t('editor.editTitle')]]),
    h('div', { class: 'page-head' }, title), notice, h('div', { class: 'rec-meta' }, meta), formBox,
    h('div', { class: 'form-actions rec-actions' },
      h('a', { class: 'btn btn-quiet', href: isNew ? (spaceId ? '#/spaces/' + enc(spaceId) : '#/') : '#/doc/' + enc(doc.id) }, t('common.cancel')), saveBtn));
  el.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  el.addEventListener('input', () => { dirty = true; });
  // Enter never submits by accident: in a one-line row it adds the next row; Ctrl/⌘+Enter (and Ctrl+S) save.
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.isComposing || e.defaultPrevented) return;
    if (e.ctrlKey || e.metaKey) { e.preventDefault(); save(); return; }
    if (e.target.tagName === 'INPUT' && e.target.type !== 'checkbox') {
      e.preventDefault();
      e.target.closest('.rec-line')?.addAfter?.();
    }
  });
  document.addEventListener('keydown', (e) => { if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); save(); } }, { signal });
  window.addEventListener('beforeunload', (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } }, { signal });
  append(main, el);
  el.querySelector('.rec-form input, .rec-form select, .rec-form textarea')?.focus({ preventScroll: true });
}

/** 从模板开始 on 新建: the space's templates first. A document template goes to onDocument (resolved); a record one opens its form. */
export function templateBar({ onDocument }) {
  const list = h('div', { class: 'tpl-list' });
  const el = h('section', { class: 'tpl-bar', 'aria-labelledby': 'tpl-title', hidden: true }, h('h2', { class: 'tpl-title', id: 'tpl-title' }, t('tpl.title')), list);
  styles();
  let seq = 0;
  const pick = async (tp, space) => {
    if (tp.kind === 'record') navigate('#/new?' + new URLSearchParams({ space, template: tp.id }));
    else try { onDocument(await get('/templates/' + enc(tp.id), { space_id: space })); } catch (e) { reportError(e); }
  };
  const load = async (space) => {
    const mine = ++seq;
    const all = await get('/templates', { space_id: space }).then((r) => (Array.isArray(r) ? r : r.items || []), () => []);
    if (mine !== seq) return;
    clear(list).append(...all.map((tp) => h('button', { type: 'button', class: 'tpl-btn', 'data-template': tp.id, onclick: () => pick(tp, space) },
      tp.name, tp.kind === 'record' ? h('span', { class: 'badge badge-soft' }, t('tpl.record')) : null, tp.space_id ? h('span', { class: 'badge' }, t('tpl.space')) : null)));
    el.hidden = !all.length;
  };
  return { el, load };
}
