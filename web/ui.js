// Shared pieces: app state, caches, small components used by several pages.

import { h, append, formatTime, clear, toast } from './dom.js';
import { t, getLang, has } from './i18n.js';
import { get, getOptional, items, ApiError } from './api.js';

export const state = {
  user: null,
  unread: 0,
  spaces: null,        // cached list
  categories: new Map(), // space id -> list
};

export function isAdmin() { return !!(state.user && (state.user.is_admin || state.user.role === 'admin')); }

const WRITE_ROLES = ['editor', 'reviewer', 'manager', 'admin'];

/** May the caller write in this space (at its root)? */
export function mayWriteIn(space) {
  return isAdmin() || !!(space && WRITE_ROLES.includes(space.my_role));
}

/**
 * Should the UI offer 新建文档 / 上传? Not to someone with no space to write in: an external guest
 * (who reads only), or anyone who sees no space at all. Before the spaces are known: yes, except
 * for guests. (Space roles are those at a space's root; an editor grant on a category only still
 * counts for employees, who keep the offer.)
 */
export function offerWriting() {
  if (isAdmin()) return true;
  // The server says whether there is anywhere to write (GET /me).
  if (typeof state.canCreate === 'boolean') return state.canCreate;
  const u = state.user || {};
  const spaces = state.spaces;
  if (!spaces) return u.kind !== 'external';
  if (spaces.some(mayWriteIn)) return true;
  return u.kind !== 'external' && spaces.length > 0;
}

export function userName(u) {
  if (!u) return '';
  if (typeof u === 'string') return u;
  return u.display_name || u.username || u.name || u.id || '';
}

/** Display name of the author of a document, version, hit or review. */
export function authorOf(x) {
  if (!x) return '';
  return x.author_name || userName(x.author);
}

export async function loadSpaces(force = false) {
  if (!state.spaces || force) {
    try {
      state.spaces = items(await get('/spaces'));
    } catch (e) {
      if (e instanceof ApiError && e.unavailable) state.spaces = [];
      else throw e;
    }
  }
  return state.spaces;
}

export async function loadCategories(spaceId, force = false) {
  if (!spaceId) return [];
  if (!state.categories.has(spaceId) || force) {
    state.categories.set(spaceId, items(await getOptional(`/spaces/${enc(spaceId)}/categories`, null, [])));
  }
  return state.categories.get(spaceId);
}

export function invalidateCaches() { state.spaces = null; state.categories.clear(); }

export const enc = encodeURIComponent;

export function spaceName(id) {
  const s = (state.spaces || []).find((x) => x.id === id);
  return s ? s.name : '';
}

export function categoryName(spaceId, id) {
  const list = state.categories.get(spaceId) || [];
  const c = list.find((x) => x.id === id);
  return c ? c.name : '';
}

/** Path of category names from the root, e.g. ['产品文档', '接口说明']. */
export function categoryPath(spaceId, id) {
  const list = state.categories.get(spaceId) || [];
  const out = [];
  let cur = list.find((x) => x.id === id);
  const seen = new Set();
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    out.unshift(cur.name);
    cur = list.find((x) => x.id === cur.parent_id);
  }
  return out;
}

const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' });
/** Natural order for names people number: 步骤2 before 步骤10, then Chinese by pinyin. */
export function naturalCompare(a, b) {
  return collator.compare(String(a ?? ''), String(b ?? ''));
}

/** Build a tree [{...cat, children:[]}] from a flat list with parent_id. */
export function categoryTree(list) {
  const byId = new Map(list.map((c) => [c.id, { ...c, children: [] }]));
  const roots = [];
  for (const c of byId.values()) {
    const p = c.parent_id && byId.get(c.parent_id);
    (p ? p.children : roots).push(c);
  }
  const sort = (arr) => { arr.sort((a, b) => naturalCompare(a.name, b.name)); arr.forEach((x) => sort(x.children)); };
  sort(roots);
  return roots;
}

/** Options for a <select> of categories, indented by depth. */
export function categoryOptions(list, selected, withNone = true) {
  const opts = [];
  if (withNone) opts.push(h('option', { value: '' }, t('editor.noCategory')));
  const walk = (nodes, depth) => {
    for (const n of nodes) {
      opts.push(h('option', { value: n.id, selected: n.id === selected }, '\u00a0\u00a0'.repeat(depth) + n.name));
      walk(n.children, depth + 1);
    }
  };
  walk(categoryTree(list), 0);
  return opts;
}

export function statusBadge(status) {
  if (!status) return null;
  const key = 'doc.status.' + status;
  const label = t(key) === key ? status : t(key);
  return h('span', { class: ['badge', 'badge-' + String(status).replace(/[^a-z_]/g, '')] }, label);
}

export function tagChips(tags, { link = true } = {}) {
  if (!tags || !tags.length) return null;
  return h('span', { class: 'tags' }, tags.map((tag) => link
    ? h('a', { class: 'tag', href: '#/search?q=' + enc('#' + tag) }, '#' + tag)
    : h('span', { class: 'tag' }, '#' + tag)));
}

export function docLink(doc) {
  return '#/doc/' + enc(doc.id || doc.doc_id);
}

/** A compact document row for lists. */
export function docRow(doc, extra) {
  const space = spaceName(doc.space_id);
  return h('li', { class: 'doc-row' },
    h('a', { class: 'doc-row-title', href: docLink(doc), title: doc.title }, doc.title || t('doc.untitled')),
    h('div', { class: 'doc-row-meta' },
      doc.status && doc.status !== 'published' ? statusBadge(doc.status) : null,
      space ? h('span', null, space) : null,
      doc.author ? h('span', null, authorOf(doc)) : null,
      doc.updated_at ? h('time', { datetime: doc.updated_at }, formatTime(doc.updated_at, getLang())) : null,
      extra || null));
}

/** 知识空间 / 空间 / 分类 / … : [[label, href], …]; the last one (or one without href) is plain text. */
export function breadcrumbs(parts) {
  const list = parts.filter((p) => p && p[0]);
  return h('nav', { class: 'breadcrumb', 'aria-label': t('nav.breadcrumb') },
    list.map(([label, href], i) => [
      i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, ' / ') : null,
      href && i < list.length - 1 ? h('a', { href }, label) : h('span', { 'aria-current': i === list.length - 1 ? 'location' : null }, label),
    ]));
}

/** The crumbs from 知识空间 down to a category: space, then each category from the root. */
export function placeCrumbs(spaceId, categoryId, known) {
  const list = state.categories.get(spaceId) || [];
  let chain = [];
  const seen = new Set();
  let cur = list.find((x) => x.id === categoryId);
  while (cur && !seen.has(cur.id)) { seen.add(cur.id); chain.unshift(cur); cur = list.find((x) => x.id === cur.parent_id); }
  // Categories not loaded yet: the path the server sent with the document (readable ones only).
  if (!chain.length && Array.isArray(known)) chain = known;
  return [
    [t('spaces.title'), '#/spaces'],
    [spaceName(spaceId) || t('doc.space'), '#/spaces/' + enc(spaceId)],
    ...chain.map((c) => [c.name, '#/spaces/' + enc(spaceId) + '?category=' + enc(c.id)]),
  ];
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-head' },
    h('h1', { class: 'page-title' }, title),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

export function loading() {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('common.loading'));
}

export function emptyState(text, ...actions) {
  return h('div', { class: 'empty' }, h('p', null, text), actions.length ? h('div', { class: 'empty-actions' }, actions) : null);
}

/**
 * The label of the field an error points at: 'stages[1].name' -> 'field.stages.name', else
 * 'field.stages'; labels may use the answer's parameters ({stage}).
 */
export function fieldLabel(field, params) {
  if (!field) return t('field.input');
  const path = String(field).replace(/\[\d+\]/g, '');
  for (const key of ['field.' + path, 'field.' + path.split('.')[0]]) if (has(key)) return t(key, params);
  return String(field);
}

/** The parameters of an error answer, ready for its message: labels for fields and roles, lists joined. */
function errorParams(body) {
  const p = { ...body };
  p.field = fieldLabel(body.field, body);
  if (body.role) p.role = roleLabel(body.role);
  const sep = getLang() === 'en' ? ', ' : '、';
  for (const [k, v] of Object.entries(p)) if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) p[k] = v.join(sep);
  const list = body.problems || body.matches;
  if (p.count === undefined && Array.isArray(list)) p.count = list.length;
  return p;
}

/**
 * The message for an error in the UI's language: the code's (or, for invalid_input, the reason's)
 * message from i18n.js with the answer's parameters; the server's English text only for codes
 * this UI does not know.
 */
export function errorMessage(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('common.networkError');
    const body = e.body || {};
    const params = errorParams(body);
    if (e.code === 'invalid_input' && body.reason && has('reason.' + body.reason)) return t('reason.' + body.reason, params);
    if (has('err.' + e.code)) return t('err.' + e.code, params);
    if (e.status === 404) return t('common.notFound');
    if (e.status === 429) return t('err.too_many_requests', params);
    if (e.status >= 500) return t('err.internal');
    return e.message || t('common.error');
  }
  return (e && e.message) || t('common.error');
}

/** Is this a "not found" answer (or a page that found nothing)? */
function isNotFound(e) {
  return !!e && (e.status === 404 || e.code === 'not_found');
}

/** An error in place of a page's content. Something missing is no alarm: it offers the way home, not a retry. */
export function errorState(e, retry) {
  if (isNotFound(e)) {
    return h('div', { class: ['error-state', 'not-found'], role: 'status' },
      h('p', null, errorMessage(e)),
      h('a', { class: 'btn', href: '#/' }, t('common.home')));
  }
  return h('div', { class: 'error-state', role: 'alert' },
    h('p', null, errorMessage(e)),
    retry ? h('button', { class: 'btn', type: 'button', onclick: retry }, t('common.retry')) : null);
}

/** Report an error from an action (button) as a toast. */
export function reportError(e) {
  if (e && e.name === 'AbortError') return;
  toast(errorMessage(e), 'error');
}

/** Fill `el` with the result of an async builder, showing loading and error states. */
export async function fill(el, build) {
  clear(el).append(loading());
  try {
    const node = await build();
    clear(el);
    if (node) append(el, node);
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    clear(el).append(errorState(e, () => fill(el, build)));
  }
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || ('f-' + Math.random().toString(36).slice(2, 9));
  input.id = id;
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('div', { class: 'hint' }, hint) : null);
}

export function principalLabel(p, users, groups) {
  if (p === 'everyone') return t('grants.everyone');
  const [kind, id] = String(p).split(':');
  if (kind === 'user') {
    const u = (users || []).find((x) => x.id === id);
    return t('grants.user', { name: u ? userName(u) : id });
  }
  if (kind === 'group') {
    const g = (groups || []).find((x) => x.id === id);
    return t('grants.group', { name: g ? g.name : id });
  }
  return p;
}

export function roleLabel(r) {
  const k = 'role.' + r;
  return t(k) === k ? r : t(k);
}
