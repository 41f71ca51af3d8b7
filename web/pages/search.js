import { h, append, clear, trustedHtml, formatTime, debounce, svgIcon } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get } from '../api.js';
import { setTitle, setHashQuiet, clearHeaderSearch } from '../app.js';
import '../i18n-attach.js';
import { loadSpaces, spaceName, authorOf, tagChips, errorState, enc, loading } from '../ui.js';

const PAGE = 20;

function quoteIfNeeded(s) {
  s = String(s);
  return /[\s"]/.test(s) ? '"' + s.replace(/"/g, '') + '"' : s;
}

export async function searchPage(main, { query, alive, signal }) {
  setTitle(t('search.title'));
  await loadSpaces().catch(() => []);
  if (!alive()) return;
  let offset = Math.max(0, parseInt(query.offset || '0', 10) || 0);
  const input = h('input', { class: 'search-input', type: 'search', name: 'q', value: query.q || '', placeholder: t('search.placeholder'), 'aria-label': t('search.title'), autocomplete: 'off', enterkeyhint: 'search' });
  const sort = h('select', { 'aria-label': t('search.sort') },
    h('option', { value: 'relevance', selected: query.sort !== 'recent' }, t('search.sort.relevance')),
    h('option', { value: 'recent', selected: query.sort === 'recent' }, t('search.sort.recent')));
  const summary = h('p', { class: 'search-summary muted', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'search-results' });
  // Quick open: titles that start with what was typed, also by full pinyin or initials (kr: 扩容).
  const quick = h('nav', { class: 'quick-open', 'aria-label': t('search.quickOpen'), hidden: true });
  const facets = h('aside', { class: 'facets', id: 'search-facets', 'aria-label': t('search.filter') });
  // On a phone the results come first; the filters wait behind this button.
  const facetsToggle = h('button', { class: 'btn btn-sm facets-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'search-facets', hidden: true }, t('search.showFilters'));
  const setFacetsOpen = (open) => {
    facets.classList.toggle('open', open);
    facetsToggle.setAttribute('aria-expanded', String(open));
    if (open) facets.querySelector('.facets-close').focus(); else if (document.activeElement && facets.contains(document.activeElement)) facetsToggle.focus();
  };
  facetsToggle.addEventListener('click', () => setFacetsOpen(!facets.classList.contains('open')));
  const facetsHead = h('div', { class: 'facets-head' }, h('span', null, t('search.showFilters')),
    h('button', { class: 'btn btn-sm facets-close', type: 'button', onclick: () => setFacetsOpen(false) }, t('common.close')));
  facets.addEventListener('keydown', (e) => { if (e.key === 'Escape') setFacetsOpen(false); });
  const form = h('form', { class: 'search-bar', role: 'search' },
    h('span', { class: 'search-bar-icon', 'aria-hidden': 'true' }, svgIcon('search')), input,
    h('label', { class: 'sort-label' }, h('span', { class: 'sr-only' }, t('search.sort')), sort));
  main.classList.add('main-wide');
  append(main, 
    h('h1', { class: 'sr-only' }, t('search.title')),
    form,
    h('p', { class: 'search-tips muted small' }, t('search.tips')),
    h('div', { class: 'search-layout' }, h('div', { class: 'search-main' }, h('div', { class: 'search-summary-row' }, summary, facetsToggle), quick, results), facets));

  let controller = null;
  let seq = 0;

  function addFilter(op) {
    facets.classList.remove('open');
    facetsToggle.setAttribute('aria-expanded', 'false');
    const cur = input.value.trim();
    if (!cur.split(/\s+/).includes(op)) input.value = (cur ? cur + ' ' : '') + op;
    offset = 0;
    run();
    input.focus();
  }

  function facetGroup(title, counts, labels, toOp) {
    const entries = Object.entries(counts || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || String((labels && labels[a[0]]) || a[0]).localeCompare(String((labels && labels[b[0]]) || b[0]), 'zh-CN', { numeric: true })).slice(0, 12);
    if (!entries.length) return null;
    return h('section', { class: 'facet' },
      h('h2', { class: 'facet-title' }, title),
      h('ul', null, entries.map(([key, n]) => {
        const label = (labels && labels[key]) || key;
        return h('li', null, h('button', { type: 'button', class: 'facet-item', onclick: () => addFilter(toOp(label, key)), title: label },
          h('span', { class: 'facet-label' }, label), h('span', { class: 'facet-count' }, String(n))));
      })));
  }

  function renderHit(hit) {
    // A hit in one section of a long page opens the page at that section.
    // One in an attached file opens it at that file in its attachments, and names it (and the PDF's page).
    const att = hit.attachment;
    const anchor = att ? 'attachment-' + att.id : hit.section && hit.section.anchor;
    const href = '#/doc/' + enc(hit.id) + (anchor ? '?h=' + enc(anchor) : '');
    const title = h('a', { class: 'hit-title', href });
    if (hit.title_html) trustedHtml(title, hit.title_html); else title.textContent = hit.title || t('doc.untitled');
    const snippet = h('p', { class: 'hit-snippet' });
    if (hit.snippet) trustedHtml(snippet, hit.snippet);
    const path = Array.isArray(hit.category_path) ? hit.category_path.join(' / ') : (hit.category_path || '');
    return h('li', { class: 'hit' },
      h('h2', { class: 'hit-head' }, title),
      att ? h('p', { class: 'hit-section hit-attachment muted' }, h('a', { href }, '📎 ', t(att.page ? 'att.hitPage' : 'att.hit', { name: att.filename, page: att.page })))
        : hit.section && hit.section.heading ? h('p', { class: 'hit-section muted' }, '§ ' + hit.section.heading) : null,
      hit.snippet ? snippet : null,
      h('div', { class: 'hit-meta' },
        h('span', { class: 'hit-where' }, [spaceName(hit.space_id) || (lastLabels[hit.space_id] || ''), path].filter(Boolean).join(' / ')),
        tagChips(hit.tags),
        hit.author ? h('span', null, authorOf(hit)) : null,
        hit.updated_at ? h('time', { datetime: hit.updated_at }, formatTime(hit.updated_at, getLang())) : null));
  }

  // Only titles the first page of results does not already show (pinyin and initials, a title
  // lost in a long list): the results stay first, on a phone too.
  async function showQuick(q, my, sig, shownIds) {
    // Operators and filters are search, not a title; later pages keep the list they had.
    if (offset || /[#:"]|(^|\s)-/.test(q)) { if (!offset) { clear(quick); quick.hidden = true; } return; }
    try {
      const r = await get('/search/suggest', { q }, { signal: sig });
      if (my !== seq || !alive()) return;
      const list = ((r && r.items) || []).filter((d) => !shownIds.has(d.id));
      clear(quick);
      quick.hidden = !list.length;
      if (list.length) {
        quick.append(h('span', { class: 'quick-open-label muted small' }, t('search.quickOpen')),
          h('ul', null, list.map((d) => h('li', null, h('a', { href: '#/doc/' + enc(d.id), title: d.title }, d.title),
            spaceName(d.space_id) ? h('span', { class: 'muted small' }, spaceName(d.space_id)) : null))));
      }
    } catch (e) {
      if (my === seq) { clear(quick); quick.hidden = true; }
    }
  }

  let lastLabels = {};
  async function run() {
    const q = input.value.trim();
    const params = new URLSearchParams();
    if (q) params.set('q', q);
    if (sort.value !== 'relevance') params.set('sort', sort.value);
    if (offset) params.set('offset', String(offset));
    if (!alive()) return;
    setHashQuiet('#/search' + (params.toString() ? '?' + params : ''));
    setTitle(q ? q + ' · ' + t('search.title') : t('search.title'));
    if (controller) controller.abort();
    if (!q) {
      clear(results).append(h('div', { class: 'empty' }, h('p', null, t('search.start'))));
      clear(facets); summary.textContent = ''; facetsToggle.hidden = true;
      clear(quick); quick.hidden = true;
      return;
    }
    controller = new AbortController();
    const my = ++seq;
    if (!results.firstChild || results.querySelector('.empty')) clear(results).append(loading());
    results.classList.add('stale');
    try {
      const data = await get('/search', { q, limit: PAGE, offset, sort: sort.value }, { signal: controller.signal });
      if (my !== seq || !alive()) return;
      results.classList.remove('stale');
      lastLabels = data.labels || {};
      const hits = data.hits || [];
      const total = data.total ?? hits.length;
      summary.textContent = t(data.total_is_lower_bound ? 'search.resultsMore' : 'search.results', { n: total });
      // Words no readable document holds: say so, rather than show pages that match the rest by chance.
      if (Array.isArray(data.unmatched) && data.unmatched.length) {
        summary.textContent += ' · ' + t('search.unmatched', { words: data.unmatched.join('、') });
      }
      clear(results);
      if (!hits.length) append(results, h('div', { class: 'empty' }, h('p', null, t('search.noResults'))));
      else append(results, h('ol', { class: 'hits', start: offset + 1 }, hits.map(renderHit)));
      if (total > PAGE) {
        const page = Math.floor(offset / PAGE) + 1, pages = Math.ceil(total / PAGE);
        append(results, h('div', { class: 'pager' },
          h('button', { class: 'btn btn-sm', type: 'button', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); run(); window.scrollTo(0, 0); } }, t('common.prev')),
          h('span', { class: 'muted' }, t('common.pageOf', { page, pages, total })),
          h('button', { class: 'btn btn-sm', type: 'button', disabled: page >= pages, onclick: () => { offset += PAGE; run(); window.scrollTo(0, 0); } }, t('common.next'))));
      }
      showQuick(q, my, controller.signal, new Set(hits.map((x) => x.id)));
      const f = data.facets || {};
      const groups = [
        facetGroup(t('search.facets.tags'), f.tags, null, (label) => (/\s/.test(label) ? 'tag:' + quoteIfNeeded(label) : '#' + label)),
        facetGroup(t('search.facets.categories'), f.categories, lastLabels, (label) => 'category:' + quoteIfNeeded(label)),
        facetGroup(t('search.facets.spaces'), f.spaces, { ...Object.fromEntries((await loadSpaces().catch(() => [])).map((s) => [s.id, s.name])), ...lastLabels }, (label) => 'space:' + quoteIfNeeded(label)),
      ].filter(Boolean);
      clear(facets).append(facetsHead, ...groups);
      facetsToggle.hidden = !groups.length;
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (my !== seq) return;
      results.classList.remove('stale');
      clear(results).append(errorState(e, run));
    }
  }
  const debounced = debounce(() => { offset = 0; run(); }, 150);
  // Pinyin: the letters of an open composition are no query; the committed word is.
  let composing = false;
  input.addEventListener('compositionstart', () => { composing = true; debounced.cancel(); });
  input.addEventListener('compositionend', () => { composing = false; debounced(); });
  input.addEventListener('input', (e) => { if (!e.isComposing && !composing) debounced(); });
  // A word typed into the header box while this page is open comes here.
  window.addEventListener('hanlin:search', (e) => {
    input.value = e.detail;
    input.focus();
    debounced.cancel(); offset = 0; run();
  }, { signal });
  sort.addEventListener('change', () => { offset = 0; run(); });
  form.addEventListener('submit', (e) => { e.preventDefault(); debounced.cancel(); offset = 0; run(); });
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
  clearHeaderSearch();
  await run();
}
