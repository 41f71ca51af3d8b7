// What the record pages share: their stylesheet and strings, the record types (read once), how a
// schema property is edited and shown, and the people picker.

import './i18n-records.js';
import { h, clear, debounce } from './dom.js';
import { t } from './i18n.js';
import { get } from './api.js';

let css = null;
/** records.css of this UI's version, once; resolves when it applies (or failed). */
export function styles() {
  css = css || new Promise((resolve) => {
    document.head.append(h('link', { rel: 'stylesheet', href: 'records.css' + new URL(import.meta.url).search, onload: resolve, onerror: resolve }));
  });
  return css;
}

let types = null;
/** GET /record-types, once: [{type, name, schema}]. */
export function recordTypes() {
  types = types || get('/record-types').then((r) => (Array.isArray(r) ? r : r.items || []), (e) => { types = null; throw e; });
  return types;
}

/** The keys of an object schema in form order (its x-order, then any others). */
export function keysOf(schema) {
  const props = Object.keys((schema && schema.properties) || {});
  const order = (schema && schema['x-order']) || [];
  return [...order.filter((k) => props.includes(k)), ...props.filter((k) => !order.includes(k))];
}

/** How a property is edited: rows (array of objects), list (of strings), enum, number, bool, date, time, person, long, text. */
export function kindOf(p) {
  if (!p) return 'text';
  if (p.type === 'array') return p.items && (p.items.type === 'object' || p.items.properties) ? 'rows' : 'list';
  if (Array.isArray(p.enum)) return 'enum';
  if (p.type === 'integer' || p.type === 'number') return 'number';
  if (p.type === 'boolean') return 'bool';
  if (p.format === 'date') return 'date';
  if (p.format === 'time' || String(p.pattern || '').includes(':[0-5]')) return 'time';
  return p['x-people'] ? 'person' : p['x-long'] ? 'long' : 'text';
}

export const label = (p, key) => (p && p.title) || key;
export const enumTitle = (p, v) => ((p && p['x-enum-titles']) || {})[v] ?? String(v ?? '');

/** A value as one line of text, for lists and tables. */
export function showValue(p, v) {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => showValue(p && p.items, x)).join('、');
  if (p && Array.isArray(p.enum)) return enumTitle(p, v);
  if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const names = new Map();
/** The display name of a login among the space's readers ('' when unknown), asked once. */
function personName(login, spaceId) {
  const key = login + ' ' + spaceId;
  if (!names.has(key)) names.set(key, get('/people', { q: login, space_id: spaceId }).then((r) => ((r && r.items) || []).find((u) => u.username === login)?.display_name || '', () => ''));
  return names.get(key);
}

let seq = 0;
/**
 * A one-line input for an account's login, listing the people who may read the space that match
 * (login, name, pinyin): ↑/↓ choose, Enter takes one, Escape closes. Nothing is asked while an
 * input method is composing: only committed text counts.
 */
export function peopleInput({ value, spaceId = () => '', id, labelText } = {}) {
  const listId = 'people-' + (++seq);
  const input = h('input', {
    id, type: 'text', class: 'people-input', autocomplete: 'off', spellcheck: 'false', value: value || '', placeholder: t('rec.people'),
    role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId, 'aria-label': labelText,
  });
  const list = h('ul', { class: 'mention-list people-list', id: listId, role: 'listbox', hidden: true, 'aria-label': t('rec.peopleList') });
  const who = h('span', { class: 'person-name muted small', 'aria-live': 'polite' });
  let found = [], active = 0, ask = 0, composing = false;
  const show = (items) => {
    found = items;
    clear(list).append(...found.map((u, i) => h('li', {
      id: listId + '-' + i, role: 'option', 'aria-selected': String(i === active), class: i === active ? 'active' : null,
      onmousedown: (e) => { e.preventDefault(); choose(i); },
    }, h('span', { class: 'mention-name' }, u.display_name || u.username), ' ', h('span', { class: 'muted small' }, '@' + u.username))));
    list.hidden = !found.length;
    input.setAttribute('aria-expanded', String(!!found.length));
    if (found.length) input.setAttribute('aria-activedescendant', listId + '-' + active); else input.removeAttribute('aria-activedescendant');
  };
  const choose = (i) => {
    const u = found[i];
    input.value = u.username;
    who.textContent = u.display_name || '';
    show([]);
    input.dispatchEvent(new Event('change', { bubbles: true }));
  };
  const lookup = debounce(async () => {
    const q = input.value.trim();
    const mine = ++ask;
    if (composing) return;
    if (!q) { show([]); return; }
    const r = await get('/people', { q, space_id: spaceId() }).catch(() => null);
    if (mine === ask && document.activeElement === input) { active = 0; show((r && r.items) || []); }
  }, 150);
  input.addEventListener('compositionstart', () => { composing = true; lookup.cancel(); });
  input.addEventListener('compositionend', () => { composing = false; lookup(); });
  input.addEventListener('input', (e) => { who.textContent = ''; if (!e.isComposing && !composing) lookup(); });
  input.addEventListener('blur', () => setTimeout(() => show([]), 150));
  input.addEventListener('keydown', (e) => {
    if (list.hidden || e.isComposing || composing) return;
    const k = e.key;
    if (k === 'ArrowDown' || k === 'ArrowUp') { e.preventDefault(); active = (active + (k === 'ArrowDown' ? 1 : found.length - 1)) % found.length; show(found); }
    else if (k === 'Enter') { e.preventDefault(); choose(active); }
    else if (k === 'Escape') { e.preventDefault(); show([]); }
  });
  if (value) personName(value, spaceId()).then((n) => { if (input.value === value) who.textContent = n; });
  return { el: h('div', { class: 'mention-wrap people-wrap' }, input, list, who), input };
}
