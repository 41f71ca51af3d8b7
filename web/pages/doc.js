import { h, append, clear, trustedHtml, formatTime, fullTime, toast, confirmDialog } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, put, post, del } from '../api.js';
import { setTitle, navigate } from '../app.js';
import { latestReview, reviewNotice } from '../reviewinfo.js';
import { watchButton, editingLine } from '../collabbar.js';
import { loadSpaceDocs, spaceTree, neighbours, rememberViewed, forgetSpaceDocs } from '../spacetree.js';
import {
  loadSpaces, loadCategories, spaceName, statusBadge, tagChips, userName, reportError,
  enc, errorState, authorOf, breadcrumbs, placeCrumbs, categoryTree, state,
} from '../ui.js';

function buildToc(doc, article) {
  const headings = [...article.querySelectorAll('h1, h2, h3, h4')];
  let toc = Array.isArray(doc.toc) && doc.toc.length ? doc.toc : null;
  if (toc) {
    // Make sure every heading can be reached: assign anchors in order where the HTML has no id.
    toc.forEach((entry, i) => {
      const target = (entry.anchor && article.querySelector('[id="' + CSS.escape(entry.anchor) + '"]')) || headings[i];
      if (target && entry.anchor && !target.id) target.id = entry.anchor;
      entry._el = target || null;
    });
  } else {
    toc = headings.map((el, i) => {
      if (!el.id) el.id = 'h-' + (i + 1);
      return { level: +el.tagName[1], text: el.textContent, anchor: el.id, _el: el };
    });
  }
  if (toc.length < 2) return null;
  const minLevel = Math.min(...toc.map((x) => x.level || 1));
  const nav = h('nav', { class: 'toc', 'aria-label': t('doc.toc') },
    h('h2', { class: 'toc-title' }, t('doc.toc')),
    h('ol', null, toc.map((entry) => {
      const a = h('a', { href: '#' + (entry.anchor || ''), title: entry.text }, entry.text);
      a.classList.add('toc-l' + Math.min(4, (entry.level || 1) - minLevel + 1));
      a.addEventListener('click', (e) => {
        e.preventDefault();
        const el = entry._el || (entry.anchor && document.getElementById(entry.anchor));
        if (el) { el.scrollIntoView({ behavior: 'smooth', block: 'start' }); el.setAttribute('tabindex', '-1'); el.focus({ preventScroll: true }); }
      });
      return h('li', null, a);
    })));
  return nav;
}

export async function docPage(main, { params, query, alive, signal }) {
  const id = params[0];
  let doc;
  try {
    [doc] = await Promise.all([get('/documents/' + enc(id)), loadSpaces().catch(() => [])]);
  } catch (e) {
    append(main, errorState(e, () => navigate('#/doc/' + enc(id), { replace: true })));
    return;
  }
  // The breadcrumbs come with the document (category_path): the space's categories, for the tree,
  // need not be waited for (one round trip less on a slow network).
  const cats = loadCategories(doc.space_id).catch(() => []);
  if (!Array.isArray(doc.category_path)) await cats;
  if (!alive()) return;
  setTitle(doc.title);

  const favBtn = h('button', { class: 'btn btn-icon fav-btn', type: 'button', 'aria-pressed': String(!!doc.favourite) });
  const setFav = (on) => {
    doc.favourite = on;
    favBtn.setAttribute('aria-pressed', String(on));
    favBtn.classList.toggle('on', on);
    clear(favBtn).append(h('span', { 'aria-hidden': 'true' }, on ? '★' : '☆'), ' ', on ? t('doc.favourited') : t('doc.favourite'));
    favBtn.title = on ? t('doc.unfavourite') : t('doc.favourite');
  };
  setFav(!!doc.favourite);
  favBtn.addEventListener('click', async () => {
    const on = !doc.favourite;
    favBtn.disabled = true;
    try {
      if (on) await put(`/documents/${enc(id)}/favourite`, {}); else await del(`/documents/${enc(id)}/favourite`);
      setFav(on);
      toast(on ? t('doc.favourited') : t('doc.unfavourited'), 'success');
    } catch (e) { reportError(e); } finally { favBtn.disabled = false; }
  });

  const submitDoc = async (ev) => {
    const btn = ev && ev.currentTarget;
    if (btn) btn.disabled = true;
    try {
      const r = await post(`/documents/${enc(id)}/submit`, {});
      toast(t('doc.submitted'), 'success');
      navigate(r && r.id ? '#/reviews/' + enc(r.id) : '#/doc/' + enc(id));
    } catch (e) { reportError(e); if (btn) btn.disabled = false; }
  };
  const submitBtn = ['draft', 'rejected'].includes(doc.status)
    ? h('button', { class: 'btn', type: 'button', onclick: submitDoc }, t('doc.submit'))
    : null;
  const delBtn = h('button', { class: 'btn btn-quiet', type: 'button', onclick: async () => {
    if (!await confirmDialog({ title: t('doc.delete'), message: t('doc.deleteConfirm', { title: doc.title }), ok: t('doc.delete'), cancel: t('common.cancel'), danger: true })) return;
    try { await del('/documents/' + enc(id)); forgetSpaceDocs(doc.space_id); toast(t('doc.deleted'), 'success'); navigate('#/spaces/' + enc(doc.space_id)); } catch (e) { reportError(e); }
  } }, t('common.delete'));

  const approved = doc.approved_by ? (Array.isArray(doc.approved_by) ? doc.approved_by : [doc.approved_by]).map(userName).filter(Boolean) : [];
  const article = h('article', { class: 'markdown-body', id: 'doc-body', lang: 'zh-CN' });
  // The server always renders (GET answers carry html); without it, show the source as text.
  if (typeof doc.html === 'string') trustedHtml(article, doc.html); else append(article, h('pre', { class: 'body-source' }, doc.body || ''));
  // Markdown documents usually repeat their title as the first "# " heading: show it once.
  const first = article.firstElementChild;
  if (first && first.tagName === 'H1' && first.textContent.trim() === String(doc.title || '').trim()) {
    first.remove();
    if (Array.isArray(doc.toc) && doc.toc.length && doc.toc[0].level === 1 && doc.toc[0].text.trim() === first.textContent.trim()) doc.toc = doc.toc.slice(1);
  }
  if (!article.textContent.trim() && !article.querySelector('img')) append(article, h('p', { class: 'muted' }, t('doc.emptyBody')));
  // In-document links to "#anchor" must not fight the hash router.
  article.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#"]');
    if (!a || a.getAttribute('href').startsWith('#/')) return;
    e.preventDefault();
    const el = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
    if (el) el.scrollIntoView({ behavior: 'smooth' });
  });
  const toc = buildToc(doc, article);

  // The author learns where the document stands in review: why it was rejected, and how to go on.
  const reviewBox = h('div', { class: 'review-notice-slot' });
  const mayEdit = doc.can_edit !== false;
  if (mayEdit && doc.status !== 'published') {
    (async () => {
      const latest = await latestReview(id, { signal });
      if (!latest || !alive()) return;
      if (latest.state === 'rejected' && doc.status === 'in_review') return;
      if (!['rejected', 'pending'].includes(latest.state)) return;
      const detail = latest.state === 'rejected' ? await get('/reviews/' + enc(latest.id), null, { signal }).catch(() => null) : latest;
      if (!alive()) return;
      const notice = reviewNotice(detail, { docId: id, canEdit: mayEdit, onResubmit: submitDoc });
      if (notice) reviewBox.append(notice);
      if (detail && detail.state === 'rejected' && detail.version === doc.version) {
        const badge = main.querySelector('.doc-meta .badge');
        if (badge) badge.replaceWith(statusBadge('rejected'));
      }
    })().catch(() => {});
  }

  headingLinks(article, id);
  copyButtons(article);
  rememberViewed(doc);
  const treeBox = h('aside', { class: 'doc-tree tree-scroll', 'aria-label': t('spaces.categories'), hidden: true });
  const pagerBox = h('div', { class: 'doc-pager-slot' });
  const relatedBox = h('div', { class: 'doc-related-slot' });
  const countLink = h('a', { class: 'doc-comments-link', href: '#/doc/' + enc(id) + '?comment=all', onclick: (e) => {
    e.preventDefault();
    document.getElementById('comments')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } }, t('collab.commentsN', { n: doc.comment_count || 0 }));
  // The comments load after the document (their code too: the first screen stays small).
  const commentsBox = h('div', { class: 'doc-comments-slot' });
  import('../collab.js').then(({ commentsSection }) => {
    if (!alive()) return;
    const comments = commentsSection(doc, {
      article, signal, focusId: query && query.comment && query.comment !== 'all' ? query.comment : null,
      onCount: (n) => { countLink.textContent = t('collab.commentsN', { n }); },
    });
    commentsBox.append(comments.el);
    // A search hit found in the comments opens the page there.
    if (query && query.h === 'comments') comments.ready.then(() => { if (alive()) comments.el.scrollIntoView({ block: 'start' }); });
  }, () => {});
  const attBox = h('div');
  import('../attach.js').then((m) => { if (alive()) attBox.append(m.attachSection(doc, { signal, focus: query && query.h }).el); }, () => {});
  // The tree's column is there from the start when the space has categories, so the text does not
  // reflow (and a linked heading does not move away) when the tree arrives.
  const early = (state.categories.get(doc.space_id) || []).length > 0 || (doc.category_path || []).length > 0;
  if (early) { treeBox.hidden = false; main.classList.add('main-doc-tree'); }
  const layout = h('div', { class: ['doc-layout', toc ? 'has-toc' : null, early ? 'has-tree' : null] },
    treeBox,
    toc ? h('aside', { class: 'doc-toc' }, toc) : null,
    h('div', { class: 'paper' }, article, attBox, pagerBox, relatedBox, commentsBox));

  main.classList.add('main-doc');
  append(main, 
    breadcrumbs([...placeCrumbs(doc.space_id, doc.category_id, doc.category_path), [doc.title || t('doc.untitled')]]),
    h('header', { class: 'doc-head' },
      h('h1', { class: 'doc-title' }, doc.title || t('doc.untitled')),
      h('div', { class: 'doc-meta' },
        statusBadge(doc.status),
        doc.record_type ? h('a', { class: 'badge badge-soft', href: '#/records?space=' + enc(doc.space_id) + '&type=' + enc(doc.record_type) }, doc.record_name || doc.record_type) : null,
        h('span', { class: 'doc-version' }, t('doc.version', { v: doc.version })),
        doc.published_version && doc.published_version !== doc.version ? h('span', { class: 'muted' }, t('doc.publishedVersion', { v: doc.published_version })) : null,
        doc.author ? h('span', null, authorOf(doc)) : null,
        doc.updated_at ? h('time', { datetime: doc.updated_at, title: fullTime(doc.updated_at) }, t('doc.updated', { t: formatTime(doc.updated_at, getLang()) })) : null,
        approved.length ? h('span', { class: 'approved' }, '✓ ', t('doc.approvedBy', { names: approved.join('、') })) : null,
        typeof doc.read_count === 'number' ? h('span', { class: 'doc-reads' }, t('doc.reads', { n: doc.read_count })) : null,
        countLink),
      editingLine(doc.editing),
      tagChips(doc.tags),
      h('div', { class: 'doc-actions' },
        doc.can_edit !== false ? h('a', { class: 'btn btn-primary', href: '#/doc/' + enc(id) + '/edit' }, t('common.edit')) : null,
        favBtn,
        watchButton(doc),
        h('a', { class: 'btn', href: '#/doc/' + enc(id) + '/history' }, t('doc.history')),
        doc.can_edit !== false ? submitBtn : null, doc.can_edit !== false ? delBtn : null),
      reviewBox),
    layout);
  if (toc) followReading(toc, signal);
  const toHeading = () => {
    const target = query && query.h && document.getElementById(query.h);
    if (target) requestAnimationFrame(() => target.scrollIntoView({ block: 'start' }));
  };
  toHeading();

  // 相关推荐: documents like this one that the reader may read (the server filters and caches).
  get('/documents/' + enc(id) + '/related', null, { signal }).then((r) => {
    const list = (r && r.items) || [];
    if (!alive() || !list.length) return;
    relatedBox.append(h('section', { class: 'doc-related', 'aria-labelledby': 'doc-related-title' },
      h('h2', { id: 'doc-related-title' }, t('doc.related')),
      h('ul', null, list.map((d) => h('li', null,
        h('a', { href: '#/doc/' + enc(d.id), title: d.title }, d.title),
        d.space_id !== doc.space_id && spaceName(d.space_id) ? h('span', { class: 'muted small' }, ' · ', spaceName(d.space_id)) : null)))));
  }, () => {});

  // The place around the document: its space's tree (wide screens) and previous / next in its
  // category (natural order), once the space's documents are known.
  (async () => {
    const [docs, cats] = await Promise.all([loadSpaceDocs(doc.space_id, { signal }), loadCategories(doc.space_id).catch(() => [])]);
    if (!alive()) return;
    if (!docs.some((d) => d.id === id)) docs.push(doc);
    const { prev, next } = neighbours(docs, doc);
    if (prev || next) {
      pagerBox.append(h('nav', { class: 'doc-pager', 'aria-label': t('doc.inCategory') },
        prev ? h('a', { class: 'doc-pager-prev', href: '#/doc/' + enc(prev.id), rel: 'prev' }, h('span', { class: 'muted small' }, '← ', t('doc.prev')), h('span', { class: 'doc-pager-title' }, prev.title)) : h('span'),
        next ? h('a', { class: 'doc-pager-next', href: '#/doc/' + enc(next.id), rel: 'next' }, h('span', { class: 'muted small' }, t('doc.next'), ' →'), h('span', { class: 'doc-pager-title' }, next.title)) : h('span')));
    }
    if (cats.length || docs.length > 1) {
      treeBox.append(h('h2', { class: 'side-title' }, spaceName(doc.space_id) || t('spaces.categories')),
        spaceTree({ spaceId: doc.space_id, tree: categoryTree(cats), docs, currentCat: '', currentDoc: id, hrefForCat: (c) => '#/spaces/' + enc(doc.space_id) + (c ? '?category=' + enc(c) : ''), maxDocs: 100 }));
      if (!early) {
        treeBox.hidden = false;
        layout.classList.add('has-tree');
        main.classList.add('main-doc-tree');
        toHeading();
      }
    } else if (early) {
      treeBox.hidden = true;
      layout.classList.remove('has-tree');
      main.classList.remove('main-doc-tree');
      toHeading();
    }
  })().catch(() => {});
}

/** A 复制 button on each code block copies its text as written. */
function copyButtons(article) {
  for (const pre of article.querySelectorAll('pre')) {
    if (pre.classList.contains('body-source')) continue;
    pre.classList.add('has-copy');
    pre.prepend(h('button', {
      type: 'button', class: 'code-copy', 'aria-label': t('doc.copyCodeLabel'),
      onclick: async (e) => {
        e.stopPropagation();
        const text = (pre.querySelector('code') || pre).textContent;
        try { await navigator.clipboard.writeText(text); toast(t('doc.codeCopied'), 'success'); } catch { /* no clipboard: the text can be selected */ }
      },
    }, t('doc.copyCode')));
  }
}

/** A "#" beside each heading copies a link that opens the document at that heading. */
function headingLinks(article, docId) {
  for (const el of article.querySelectorAll('h1[id], h2[id], h3[id], h4[id]')) {
    const url = location.origin + location.pathname + '#/doc/' + enc(docId) + '?h=' + enc(el.id);
    el.classList.add('has-anchor');
    el.append(h('a', {
      class: 'heading-link', href: '#/doc/' + enc(docId) + '?h=' + enc(el.id), title: t('doc.copyLink'), 'aria-label': t('doc.copyLink') + '：' + el.textContent,
      onclick: async (e) => {
        e.preventDefault();
        e.stopPropagation();
        try { await navigator.clipboard.writeText(url); toast(t('doc.linkCopied'), 'success'); } catch { prompt(t('doc.copyLink'), url); }
      },
    }, '#'));
  }
}

/** The table of contents marks the section being read, and keeps it in view. */
function followReading(toc, signal) {
  const links = [...toc.querySelectorAll('a')];
  const targets = links.map((a) => document.getElementById(decodeURIComponent((a.getAttribute('href') || '').slice(1)))).map((el, i) => el || null);
  let ticking = false;
  const update = () => {
    ticking = false;
    const line = (parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--topbar-h')) || 56) + 24;
    let current = -1;
    targets.forEach((el, i) => { if (el && el.getBoundingClientRect().top <= line) current = i; });
    if (current < 0 && targets.some(Boolean)) current = 0;
    links.forEach((a, i) => {
      const on = i === current;
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'location'); else a.removeAttribute('aria-current');
    });
    const a = links[current];
    const box = toc.closest('.doc-toc');
    if (a && box && box.scrollHeight > box.clientHeight) {
      const r = a.getBoundingClientRect(), b = box.getBoundingClientRect();
      if (r.top < b.top || r.bottom > b.bottom) box.scrollTop += r.top - b.top - b.height / 3;
    }
  };
  const onScroll = () => { if (!ticking) { ticking = true; requestAnimationFrame(update); } };
  window.addEventListener('scroll', onScroll, { passive: true, signal });
  window.addEventListener('resize', onScroll, { passive: true, signal });
  requestAnimationFrame(update);
}
