// Navigation for big spaces: every document of a space (paged from GET /documents, kept briefly),
// a collapsible category tree with counts that lists the documents too and remembers what was
// open, previous/next within a category in natural order, and the recently viewed list.

import { h } from './dom.js';
import { t } from './i18n.js';
import { get, items } from './api.js';
import { enc, naturalCompare, state } from './ui.js';

const PAGE = 100;
const MAX_DOCS = 2000;
const cache = new Map(); // space id -> {at, docs}

/** Every document of a space the caller may see (summaries), natural-sorted by title. */
export async function loadSpaceDocs(spaceId, { signal, force = false } = {}) {
  const hit = cache.get(spaceId);
  if (hit && !force && Date.now() - hit.at < 30_000) return hit.docs;
  const first = await get('/documents', { space_id: spaceId, sort: 'title', limit: PAGE, offset: 0 }, { signal });
  let docs = items(first);
  const total = Math.min(first.total ?? docs.length, MAX_DOCS);
  const rest = [];
  for (let off = PAGE; off < total; off += PAGE) rest.push(get('/documents', { space_id: spaceId, sort: 'title', limit: PAGE, offset: off }, { signal }));
  for (const page of await Promise.all(rest)) docs = docs.concat(items(page));
  docs.sort((a, b) => naturalCompare(a.title, b.title));
  cache.set(spaceId, { at: Date.now(), docs });
  return docs;
}

/** Forget what is known of a space's documents (after a save, a move, a delete). */
export function forgetSpaceDocs(spaceId) { if (spaceId) cache.delete(spaceId); else cache.clear(); }

/** Documents of one category (directly in it), natural order. */
export function docsIn(docs, catId) {
  return docs.filter((d) => (d.category_id || '') === (catId || ''));
}

/** The documents before and after this one in its category. */
export function neighbours(docs, doc) {
  const list = docsIn(docs, doc.category_id);
  const i = list.findIndex((d) => d.id === doc.id);
  if (i < 0) return { prev: null, next: null };
  return { prev: list[i - 1] || null, next: list[i + 1] || null };
}

const openKey = (spaceId) => 'hanlin.tree.' + spaceId;
function readOpen(spaceId) {
  try { return new Set(JSON.parse(localStorage.getItem(openKey(spaceId)) || '[]')); } catch { return new Set(); }
}
function writeOpen(spaceId, set) {
  try { localStorage.setItem(openKey(spaceId), JSON.stringify([...set].slice(-300))); } catch { /* ignore */ }
}

/**
 * The tree of a space: categories (natural order) with their document counts (the whole subtree),
 * each opening to its subcategories and its documents. Open branches are remembered per space;
 * the branch holding the current category or document opens by itself and scrolls into view.
 */
export function spaceTree({ spaceId, tree, docs, currentCat = '', currentDoc = '', hrefForCat, maxDocs = 200 }) {
  const open = readOpen(spaceId);
  const parents = new Map();
  const walk = (nodes, parent) => { for (const n of nodes) { parents.set(n.id, parent); walk(n.children, n.id); } };
  walk(tree, null);
  const docCat = currentDoc ? ((docs.find((d) => d.id === currentDoc) || {}).category_id || '') : '';
  for (let c = docCat || currentCat; c; c = parents.get(c)) open.add(c);
  const counts = new Map();
  const count = (n) => {
    const own = docsIn(docs, n.id).length;
    const total = own + n.children.reduce((s, c) => s + count(c), 0);
    counts.set(n.id, total);
    return total;
  };
  tree.forEach(count);

  const docItem = (d) => h('li', { class: 'tree-doc' },
    h('a', { href: '#/doc/' + enc(d.id), class: d.id === currentDoc ? 'active' : null, 'aria-current': d.id === currentDoc ? 'page' : null, title: d.title }, d.title || t('doc.untitled')));
  const docItems = (list, catId) => {
    const out = list.slice(0, maxDocs).map(docItem);
    if (list.length > maxDocs) out.push(h('li', { class: 'tree-doc tree-more' }, h('a', { href: hrefForCat(catId) }, t('tree.more', { n: list.length - maxDocs }))));
    return out;
  };
  const node = (n) => {
    const own = docsIn(docs, n.id);
    const has = n.children.length || own.length;
    const isOpen = has && open.has(n.id);
    // Subcategories are always there (few); a branch's documents (maybe many) only once it opens.
    const children = h('ul', { class: 'tree-children', hidden: !isOpen, role: 'group' }, n.children.map(node));
    let filled = false;
    const fillChildren = () => {
      if (filled) return;
      filled = true;
      children.append(...docItems(own, n.id));
    };
    if (isOpen) fillChildren();
    const toggle = has ? h('button', {
      type: 'button', class: 'tree-toggle', 'aria-expanded': String(!!isOpen),
      'aria-label': (isOpen ? t('tree.collapse', { name: n.name }) : t('tree.expand', { name: n.name })),
    }, h('span', { 'aria-hidden': 'true' }, '▸')) : h('span', { class: 'tree-toggle tree-leaf', 'aria-hidden': 'true' });
    if (has) {
      toggle.addEventListener('click', () => {
        const now = toggle.getAttribute('aria-expanded') !== 'true';
        if (now) fillChildren();
        children.hidden = !now;
        toggle.setAttribute('aria-expanded', String(now));
        toggle.setAttribute('aria-label', now ? t('tree.collapse', { name: n.name }) : t('tree.expand', { name: n.name }));
        const set = readOpen(spaceId);
        if (now) set.add(n.id); else set.delete(n.id);
        writeOpen(spaceId, set);
      });
    }
    const active = n.id === currentCat;
    return h('li', { class: 'tree-node', 'data-cat': n.id },
      h('div', { class: ['tree-row', active ? 'active' : null] }, toggle,
        h('a', { class: 'tree-cat', href: hrefForCat(n.id), 'aria-current': active ? 'page' : null, title: n.name }, n.name),
        h('span', { class: 'tree-count', title: t('tree.count', { n: counts.get(n.id) }) }, String(counts.get(n.id)))),
      children);
  };
  const loose = docsIn(docs, '');
  const nav = h('div', { class: 'tree' },
    h('div', { class: ['tree-row', 'tree-all', !currentCat && !currentDoc ? 'active' : null] },
      h('span', { class: 'tree-toggle tree-leaf', 'aria-hidden': 'true' }),
      h('a', { class: 'tree-cat cat-all', href: hrefForCat(''), 'aria-current': !currentCat && !currentDoc ? 'page' : null }, t('spaces.allDocs')),
      h('span', { class: 'tree-count' }, String(docs.length))),
    h('ul', { class: 'tree-root' }, tree.map(node), loose.length && currentDoc ? docItems(loose, '') : null));
  // Bring the current place into view inside the tree's own scroll box, once it is on screen.
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const here = nav.querySelector('.tree-doc a.active, .tree-row.active');
    const box = nav.closest('.tree-scroll');
    if (here && box && box.scrollHeight > box.clientHeight) {
      box.scrollTop = Math.max(0, here.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - box.clientHeight / 3);
    }
  }));
  return nav;
}

// ---- recently viewed (this device) -------------------------------------------------------------

const viewedKey = () => 'hanlin.viewed.' + ((state.user && state.user.id) || 'anon');

/** Remember that a document was opened (newest first, at most 12). */
export function rememberViewed(doc) {
  try {
    const list = JSON.parse(localStorage.getItem(viewedKey()) || '[]').filter((x) => x.id !== doc.id);
    list.unshift({ id: doc.id, title: doc.title, space_id: doc.space_id, at: new Date().toISOString() });
    localStorage.setItem(viewedKey(), JSON.stringify(list.slice(0, 12)));
  } catch { /* storage may be blocked */ }
}

export function recentlyViewed() {
  try { return JSON.parse(localStorage.getItem(viewedKey()) || '[]'); } catch { return []; }
}

export function clearViewed() {
  try { localStorage.removeItem(viewedKey()); } catch { /* ignore */ }
}
