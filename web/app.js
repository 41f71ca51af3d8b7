// Hanlin browser UI: app shell and hash router. No framework, no build step.

import { h, append, clear, toast, dismissToasts, svgIcon } from './dom.js';
import { t, getLang, setLang } from './i18n.js';
import { get, del, setCsrf, onUnauthenticated, getOptional, ApiError } from './api.js';
import { state, isAdmin, userName, invalidateCaches, errorState, loadSpaces, offerWriting } from './ui.js';
import { loginPage } from './pages/login.js';

// Pages load on demand (keeps the first page light). The home and document pages, where most
// visits begin, are preloaded by the page (src/http/web.rs) without holding up the login page.
const lazy = (load, name) => async (main, ctx) => {
  const mod = await load();
  if (ctx.alive()) await mod[name](main, ctx);
};
const homePage = lazy(() => import('./pages/home.js'), 'homePage');
const docPage = lazy(() => import('./pages/doc.js'), 'docPage');
const spacesPage = lazy(() => import('./pages/spaces.js'), 'spacesPage');
const searchPage = lazy(() => import('./pages/search.js'), 'searchPage');
const editorPage = lazy(() => import('./pages/editor.js'), 'editorPage');
const uploadPage = lazy(() => import('./pages/upload.js'), 'uploadPage');
const historyPage = lazy(() => import('./pages/history.js'), 'historyPage');
const reviewsPage = lazy(() => import('./pages/reviews.js'), 'reviewsPage');
const reviewPage = lazy(() => import('./pages/reviews.js'), 'reviewPage');
const adminPage = lazy(() => import('./pages/admin.js'), 'adminPage');
const dashboardPage = lazy(() => import('./pages/dashboard.js'), 'dashboardPage');
const learnListPage = lazy(() => import('./pages/learn.js'), 'learnListPage');
const learnPage = lazy(() => import('./pages/learn.js'), 'learnPage');
const learnReadPage = lazy(() => import('./pages/learn.js'), 'learnReadPage');
const learnProgressPage = lazy(() => import('./pages/learn.js'), 'learnProgressPage');
const learnEditPage = lazy(() => import('./pages/learn.js'), 'learnEditPage');
const notificationsPage = lazy(() => import('./pages/notifications.js'), 'notificationsPage');
const trashPage = lazy(() => import('./pages/trash.js'), 'trashPage');
const todoPage = lazy(() => import('./pages/todo.js'), 'todoPage');
const recordsPage = lazy(() => import('./pages/records.js'), 'recordsPage');

const routes = [
  [/^\/login$/, loginPage, { public: true }],
  [/^\/?$/, homePage],
  [/^\/spaces(?:\/([^/]+))?$/, spacesPage],
  [/^\/doc\/([^/]+)$/, docPage],
  [/^\/doc\/([^/]+)\/edit$/, editorPage],
  [/^\/doc\/([^/]+)\/history$/, historyPage],
  [/^\/new$/, editorPage],
  [/^\/upload$/, uploadPage],
  [/^\/search$/, searchPage],
  [/^\/reviews$/, reviewsPage],
  [/^\/reviews\/([^/]+)$/, reviewPage],
  [/^\/trash$/, trashPage],
  [/^\/notifications$/, notificationsPage],
  [/^\/admin(?:\/([\w-]+))?$/, adminPage],
  [/^\/dashboard$/, dashboardPage],
  [/^\/todo$/, todoPage],
  [/^\/records$/, recordsPage],
  [/^\/learn$/, learnListPage],
  [/^\/learn\/new$/, learnEditPage],
  [/^\/learn\/([^/]+)$/, learnPage],
  [/^\/learn\/([^/]+)\/edit$/, learnEditPage],
  [/^\/learn\/([^/]+)\/read\/(\d+)$/, learnReadPage],
  [/^\/learn\/([^/]+)\/progress$/, learnProgressPage],
];

const root = document.getElementById('app');
let renderToken = 0;
let shell = null;

export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = Object.fromEntries(new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : ''));
  return { path: path.startsWith('/') ? path : '/' + path, query };
}

export function navigate(hash, { replace = false } = {}) {
  if (!hash.startsWith('#')) hash = '#' + hash;
  if (location.hash === hash) { render(); return; }
  if (replace) { history.replaceState(null, '', hash); render(); } else location.hash = hash;
}

/** The search page has taken the header box's word: the box is empty again. */
export function clearHeaderSearch() {
  if (shell && document.activeElement !== shell.searchInput) shell.searchInput.value = '';
}

/** Update the hash without re-rendering (e.g. search-as-you-type). */
export function setHashQuiet(hash) {
  history.replaceState(null, '', hash.startsWith('#') ? hash : '#' + hash);
  highlightNav();
}

// The page carries GET /me's answer for the first look (src/http/web.rs): no round trip of its own.
let boot = (() => {
  const el = document.getElementById('hanlin-boot');
  if (!el) return null;
  el.remove();
  try { const d = JSON.parse(el.textContent); return d && 'user' in d ? d : null; } catch { return null; }
})();

/** Who is there, from the page's data block the first time and from GET /me after that. */
async function loadMe() {
  const first = boot;
  boot = null;
  try {
    const me = first || await get('/me', null, { noAuthRedirect: true });
    if (!me.user) return false;
    state.user = me.user;
    state.canCreate = me.can_create;
    setCsrf(me.csrf_token);
    return true;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) return false;
    throw e;
  }
}

export function setSession(data) {
  boot = null;
  state.user = data.user;
  state.canCreate = undefined;
  setCsrf(data.csrf_token);
  invalidateCaches();
  shell = null;
}

export async function logout() {
  try { await del('/session'); } catch { /* already gone */ }
  state.user = null;
  boot = null;
  setCsrf(null);
  invalidateCaches();
  shell = null;
  navigate('#/login');
}

onUnauthenticated(() => {
  if (!state.user) return;
  state.user = null;
  shell = null;
  const back = parseHash();
  toast(t('login.title'), 'info');
  navigate('#/login' + (back.path !== '/login' ? '?next=' + encodeURIComponent(location.hash) : ''), { replace: true });
});

function navLink(href, label, extra) {
  return h('a', { class: 'nav-link', href, 'data-nav': href }, label, extra || null);
}

function buildShell() {
  const searchInput = h('input', {
    class: 'top-search-input', type: 'search', name: 'q', placeholder: t('nav.searchPlaceholder'),
    'aria-label': t('nav.search'), autocomplete: 'off', enterkeyhint: 'search',
  });
  const searchForm = h('form', {
    class: 'top-search', role: 'search',
    onsubmit: (ev) => { ev.preventDefault(); navigate('#/search?q=' + encodeURIComponent(searchInput.value.trim())); },
  }, h('span', { class: 'top-search-icon', 'aria-hidden': 'true' }, svgIcon('search')), searchInput);
  // Results as you type: the search page takes the word over (and the focus). Nothing happens
  // while an input method is composing (pinyin letters are no query): only the committed text counts.
  let composing = false;
  const handOver = () => {
    const q = searchInput.value;
    if (!q.trim()) return;
    if (parseHash().path === '/search') {
      window.dispatchEvent(new CustomEvent('hanlin:search', { detail: q }));
      searchInput.value = '';
    } else {
      navigate('#/search?q=' + encodeURIComponent(q));
    }
  };
  searchInput.addEventListener('compositionstart', () => { composing = true; });
  searchInput.addEventListener('compositionend', () => { composing = false; handOver(); });
  searchInput.addEventListener('input', (e) => { if (!e.isComposing && !composing) handOver(); });

  const unread = h('span', { class: 'count', hidden: true });
  const menuBtn = h('button', { class: 'menu-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'main-nav', 'aria-label': t('nav.menu') }, svgIcon('menu'));
  const nav = h('nav', { class: 'main-nav', id: 'main-nav', 'aria-label': t('nav.menu') },
    navLink('#/', t('nav.home')),
    navLink('#/spaces', t('nav.spaces')),
    navLink('#/search', t('nav.search')),
    navLink('#/reviews', t('nav.reviews')),
    navLink('#/todo', t('nav.todo')),
    h('a', { class: 'nav-link nav-dash', href: '#/dashboard', 'data-nav': '#/dashboard', hidden: !isAdmin() }, t('nav.dashboard')),
    isAdmin() ? navLink('#/admin', t('nav.admin')) : null,
    h('span', { class: 'nav-sep' }),
    navLink('#/notifications', h('span', { class: 'nav-bell' }, svgIcon('bell'), h('span', { class: 'nav-bell-label' }, t('nav.notifications'))), unread),
    h('a', { class: 'btn btn-primary btn-sm nav-new', href: '#/new', hidden: !offerWriting() }, '+ ', t('nav.new')),
    h('details', { class: 'user-menu' },
      h('summary', { class: 'user-chip', 'aria-label': userName(state.user) },
        h('span', { class: 'avatar', 'aria-hidden': 'true' }, (userName(state.user) || '?').slice(0, 1).toUpperCase()),
        h('span', { class: 'user-name' }, userName(state.user))),
      h('div', { class: 'user-menu-pop' },
        h('a', { class: 'nav-upload', href: '#/upload', hidden: !offerWriting() }, t('nav.upload')),
        h('a', { href: '#/trash' }, t('nav.trash')),
        h('button', { type: 'button', class: 'lang-switch', onclick: switchLang }, t('nav.lang')),
        h('button', { type: 'button', class: 'logout', onclick: logout }, t('nav.logout')))));
  menuBtn.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    menuBtn.setAttribute('aria-expanded', String(open));
  });
  const header = h('header', { class: 'topbar' },
    h('div', { class: 'topbar-inner' },
      h('a', { class: 'brand', href: '#/' },
        h('span', { class: 'brand-seal', 'aria-hidden': 'true' }, '翰'),
        h('span', { class: 'brand-name' }, t('app.name'))),
      searchForm, menuBtn, nav));
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  shell = { header, main, unread, searchInput, nav, menuBtn, lang: getLang() };
  clear(root).append(h('a', { class: 'skip-link', href: '#main', onclick: (e) => { e.preventDefault(); shell.main.focus(); } }, t('nav.skip')), header, main);
  refreshUnread();
  loadSpaces().then(updateWriteLinks, () => {});
}

/** Show 新建文档 / 上传 only to those who have somewhere to write. */
export function updateWriteLinks() {
  if (!shell) return;
  const offer = offerWriting();
  for (const el of shell.header.querySelectorAll('.nav-new, .nav-upload')) el.hidden = !offer;
  // 数据看板: admins, and space managers (for their spaces).
  const dash = shell.header.querySelector('.nav-dash');
  if (dash) dash.hidden = !(isAdmin() || (state.spaces || []).some((sp) => sp.my_role === 'manager'));
}

export async function refreshUnread() {
  if (!shell) return;
  try {
    const n = await getOptional('/notifications', { limit: 1 }, null);
    setUnread(n ? (n.unread ?? 0) : 0);
  } catch { /* ignore */ }
}

export function setUnread(n) {
  state.unread = n;
  if (!shell) return;
  shell.unread.hidden = !n;
  shell.unread.textContent = n > 99 ? '99+' : String(n);
}

function switchLang() {
  setLang(getLang() === 'en' ? 'zh-CN' : 'en');
  shell = null;
  render();
}

function highlightNav() {
  if (!shell) return;
  const { path } = parseHash();
  for (const a of shell.nav.querySelectorAll('[data-nav]')) {
    const href = a.getAttribute('data-nav').slice(1);
    const active = href === '/' ? path === '/' : path === href || path.startsWith(href + '/');
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

// Every navigation gets a fresh <main> and its own token and AbortSignal. A page keeps writing
// into the <main> it was given; once the user has moved on that element is detached, so a page
// that finishes late can never show up in the next one (and its signal has aborted its requests
// and listeners). Pages check alive() before touching anything global (title, hash, focus).
let leave = null;

function freshMain(cls) {
  return h('main', { id: 'main', class: cls, tabindex: '-1' });
}

/** Move focus to the new page's heading (for screen readers and keyboards), without scrolling. */
function focusHeading(main) {
  if (main.contains(document.activeElement) && document.activeElement !== main) return;
  const heading = main.querySelector('h1');
  const target = heading || main;
  if (target !== main && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
}

export async function render() {
  const token = ++renderToken;
  if (leave) leave.abort();
  const nav = new AbortController();
  leave = nav;
  const alive = () => token === renderToken;
  const { path, query } = parseHash();
  let route = null, params = [];
  for (const [re, page, opts] of routes) {
    const m = re.exec(path);
    if (m) { route = { page, opts: opts || {} }; params = m.slice(1).map((x) => (x === undefined ? x : decodeURIComponent(x))); break; }
  }
  if (!route) { navigate('#/', { replace: true }); return; }

  if (state.user === null && !route.opts.public) {
    let ok = false;
    try { ok = await loadMe(); } catch (e) {
      if (!alive()) return;
      clear(root).append(h('main', { class: 'main' }, errorState(e, render)));
      return;
    }
    if (!alive()) return;
    if (!ok) { navigate('#/login?next=' + encodeURIComponent(location.hash || '#/'), { replace: true }); return; }
  }

  document.documentElement.lang = getLang();
  const ctx = { params, query, alive, signal: nav.signal };
  if (route.opts.public) {
    shell = null;
    clear(root);
    const main = freshMain('main main-public');
    append(root, main);
    await route.page(main, ctx);
    return;
  }
  if (!shell || shell.lang !== getLang()) buildShell();
  shell.nav.classList.remove('open');
  shell.menuBtn.setAttribute('aria-expanded', 'false');
  const menu = shell.header.querySelector('.user-menu');
  if (menu) menu.open = false;
  if (document.activeElement !== shell.searchInput) shell.searchInput.value = '';
  highlightNav();
  dismissToasts();
  const main = freshMain('main');
  shell.main.replaceWith(main);
  shell.main = main;
  window.scrollTo(0, 0);
  document.title = t('app.name');
  const firstPage = !shell.shown;
  shell.shown = true;
  try {
    await route.page(main, ctx);
  } catch (e) {
    if (!alive()) return;
    if (e && e.name === 'AbortError') return;
    clear(main).append(errorState(e, render));
  }
  if (alive() && !firstPage) focusHeading(main);
}

export function setTitle(s) {
  document.title = s ? `${s} · ${t('app.name')}` : t('app.name');
}

/** Starts the app: the document-wide listeners and the first render. */
function start() {
  window.addEventListener('hashchange', () => render());
  document.addEventListener('keydown', (e) => {
    // "/" focuses the search box, like many tools people know.
    if (e.key === '/' && shell && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) && !document.activeElement.isContentEditable) {
      e.preventDefault();
      shell.searchInput.focus();
    }
    if (e.key === 'Escape' && shell) {
      const menu = shell.header.querySelector('.user-menu');
      if (menu && menu.open) { menu.open = false; menu.querySelector('summary').focus(); }
    }
  });
  document.addEventListener('click', (e) => {
    if (!shell) return;
    const menu = shell.header.querySelector('.user-menu');
    if (menu && menu.open && !menu.contains(e.target)) menu.open = false;
  });

  render();
}

// A tab left open over an upgrade that loads a page on demand evaluates the new version of this
// script under a new address: it is not the page's entry script, and it reloads the tab instead of
// starting a second app beside the old one.
const entry = document.querySelector('script[type="module"][src]');
if (entry && entry.src !== import.meta.url) location.reload();
else start();
