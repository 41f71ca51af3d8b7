import { h, append, clear, formatTime } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, post, getOptional, items } from '../api.js';
import { setTitle, setUnread, navigate } from '../app.js';
import { myLatestReviews, rejection } from '../reviewinfo.js';
import { offerWriting, spaceName } from '../ui.js';
import { recentlyViewed, clearViewed } from '../spacetree.js';
import { state, userName, authorOf, loadSpaces, docRow, emptyState, errorState, loading, reportError, enc } from '../ui.js';

function card(title, body, { id, action, count } = {}) {
  return h('section', { class: 'card', id, 'aria-labelledby': id ? id + '-h' : null },
    h('div', { class: 'card-head' },
      h('h2', { class: 'card-title', id: id ? id + '-h' : null }, title, count ? h('span', { class: 'count count-inline' }, String(count)) : null),
      action || null),
    body);
}

export async function section(el, load, renderItems, emptyText, { hideCard = true } = {}) {
  append(el, loading());
  try {
    const data = await load();
    clear(el);
    if (data === null) {
      // The endpoint is not there (yet): hide the whole card rather than show a dead end.
      const card = hideCard && el.closest('.card');
      if (card) card.hidden = true; else append(el, h('p', { class: 'muted' }, t('common.unavailable')));
      return;
    }
    const list = items(data);
    if (!list.length) { append(el, h('p', { class: 'muted empty-line' }, emptyText)); return; }
    append(el, renderItems(list, data));
  } catch (e) {
    clear(el).append(errorState(e));
  }
}

function greeting() {
  const hr = new Date().getHours();
  const key = hr < 11 ? 'home.greeting.morning' : hr < 18 ? 'home.greeting.afternoon' : 'home.greeting.evening';
  return t(key, { name: userName(state.user) });
}

export function notificationList(list, onRead) {
  return h('ul', { class: 'notif-list' }, list.map((n) => h('li', { class: ['notif', n.read ? 'notif-read' : 'notif-unread'] },
    h('span', { class: 'notif-dot', 'aria-hidden': 'true' }),
    h('div', { class: 'notif-body' },
      n.link && String(n.link).startsWith('#/')
        ? h('a', { href: n.link, onclick: () => onRead && !n.read && onRead([n.id]) }, n.text)
        : h('span', null, n.text),
      h('time', { class: 'muted small', datetime: n.created_at }, formatTime(n.created_at, getLang()))))));
}

/** My drafts, each with where it stands in review (the newest review of it, rejections in full). */
async function loadDrafts() {
  const [data, reviews] = await Promise.all([getOptional('/drafts', { limit: 8 }, null), myLatestReviews()]);
  if (!data) return data;
  const list = items(data).slice(0, 8);
  await Promise.all(list.map(async (d) => {
    const r = reviews.get(d.id);
    if (!r) return;
    if (r.state === 'rejected' && d.status !== 'in_review') {
      d.review = await get('/reviews/' + enc(r.id)).catch(() => r);
    } else if (r.state === 'pending') d.review = r;
  }));
  return { items: list };
}

function draftList(list) {
  return h('ul', { class: 'doc-list' }, list.map((d) => {
    const r = d.review;
    if (!r) return docRow(d);
    if (r.state === 'pending') {
      return docRow({ ...d, status: 'in_review' }, h('span', null, r.stage_name || ''));
    }
    const dec = rejection(r);
    const row = docRow({ ...d, status: 'rejected' },
      h('a', { class: 'btn btn-sm draft-resubmit', href: '#/doc/' + enc(d.id) }, t('review.resubmit')));
    row.classList.add('doc-row-rejected');
    row.append(h('p', { class: 'draft-rejection' },
      h('span', { class: 'draft-rejection-who' }, t('review.rejectedBy', { name: (dec && dec.reviewer_name) || '', stage: (dec && dec.stage_name) || r.stage_name || '', v: r.version }), '：'),
      (dec && dec.comment) || t('review.noComment')));
    return row;
  }));
}

/** What I opened lately on this device, newest first (hidden when there is nothing). */
function viewedCard() {
  const list = recentlyViewed();
  if (!list.length) return null;
  const clearBtn = h('button', { class: 'link-btn', type: 'button' }, t('home.clearViewed'));
  const el = card(t('home.viewed'), h('ul', { class: 'doc-list viewed-list' }, list.slice(0, 6).map((d) => h('li', { class: 'doc-row' },
    h('a', { class: 'doc-row-title', href: '#/doc/' + enc(d.id), title: d.title }, d.title || t('doc.untitled')),
    h('div', { class: 'doc-row-meta' }, spaceName(d.space_id) ? h('span', null, spaceName(d.space_id)) : null,
      d.at ? h('time', { datetime: d.at }, formatTime(d.at, getLang())) : null)))), { id: 'home-viewed', action: clearBtn });
  clearBtn.addEventListener('click', () => { clearViewed(); el.remove(); });
  return el;
}

/** 我的入职学习: my collections with progress and the next item; hidden when I have none. */
function learnCard() {
  const body = h('div');
  const more = h('a', { class: 'link-btn', href: '#/learn' }, t('common.more'));
  const el = card(t('learn.home'), body, { id: 'home-learn', action: more });
  el.hidden = true;
  const load = async () => {
    const data = await getOptional('/collections', null, null);
    if (!data) return;
    const mine = items(data.assigned);
    const manages = items(data.managed).length > 0 || data.can_create;
    if (!mine.length && !manages) return;
    const { assignedRow } = await import('./learn.js');
    clear(body);
    append(body, mine.length ? h('ul', { class: 'learn-list' }, mine.slice(0, 4).map(assignedRow)) : h('p', { class: 'muted empty-line' }, t('learn.noneAssigned')));
    el.hidden = false;
  };
  return { el, load };
}

export async function homePage(main) {
  setTitle(t('nav.home'));
  await loadSpaces().catch(() => []);
  const learn = learnCard();
  const recent = h('div');
  const favs = h('div');
  const drafts = h('div');
  const reviews = h('div');
  const notifs = h('div');
  const todo = h('div');
  const markRead = h('button', { class: 'link-btn', type: 'button', hidden: true }, t('home.markRead'));
  const quick = h('form', { class: 'hero-search', role: 'search', onsubmit: (e) => { e.preventDefault(); navigate('#/search?q=' + enc(q.value.trim())); } });
  const q = h('input', { type: 'search', placeholder: t('search.placeholder'), 'aria-label': t('nav.search') });
  append(quick, q, h('button', { class: 'btn btn-primary', type: 'submit' }, t('nav.search')));
  append(main, 
    h('div', { class: 'hero' },
      h('div', null, h('h1', { class: 'hero-title' }, greeting()), h('p', { class: 'hero-lead' }, t('home.lead'))),
      quick,
      h('div', { class: 'hero-actions' },
        offerWriting() ? h('a', { class: 'btn btn-primary', href: '#/new' }, '+ ', t('nav.new')) : null,
        offerWriting() ? h('a', { class: 'btn', href: '#/upload' }, t('nav.upload')) : null,
        h('a', { class: 'btn', href: '#/spaces' }, t('nav.spaces')))),
    h('div', { class: 'home-grid' },
      h('div', { class: 'home-main' },
        learn.el,
        viewedCard(),
        card(t('home.recent'), recent, { id: 'home-recent' }),
        offerWriting() ? card(t('home.drafts'), drafts, { id: 'home-drafts' }) : null),
      h('div', { class: 'home-side' },
        card(t('nav.todo'), todo, { id: 'home-todo', action: h('a', { class: 'link-btn', href: '#/todo' }, t('common.more')) }),
        card(t('home.reviews'), reviews, { id: 'home-reviews', action: h('a', { class: 'link-btn', href: '#/reviews' }, t('common.more')) }),
        card(t('home.notifications'), notifs, { id: 'home-notifs', action: markRead }),
        card(t('home.favourites'), favs, { id: 'home-favs' }))));

  const docList = (list) => h('ul', { class: 'doc-list' }, list.map((d) => docRow(d)));
  const loadNotifs = () => section(notifs, async () => {
    const data = await getOptional('/notifications', { limit: 8 }, null);
    if (data) {
      setUnread(data.unread || 0);
      markRead.hidden = !data.unread;
      const head = notifs.closest('.card').querySelector('.card-title');
      head.querySelector('.count')?.remove();
      if (data.unread) append(head, h('span', { class: 'count count-inline', title: t('home.unread', { n: data.unread }) }, String(data.unread)));
    }
    return data;
  }, (list) => notificationList(list, async (ids) => { try { await post('/notifications/read', { ids }); } catch { /* ignore */ } }), t('home.noNotifications'));
  markRead.addEventListener('click', async () => {
    try { await post('/notifications/read', {}); clear(notifs); loadNotifs(); } catch (e) { reportError(e); }
  });

  await Promise.all([
    section(recent, () => get('/documents', { sort: 'recent', limit: 10 }), docList, offerWriting() ? t('home.noRecent') : t('home.noRecentRead')),
    offerWriting() ? section(drafts, loadDrafts, draftList, t('home.noDraftsHint')) : null,
    section(favs, () => getOptional('/favourites', { limit: 8 }, null), docList, t('home.noFavourites')),
    section(reviews, () => getOptional('/reviews', { state: 'pending', assigned: 'me', limit: 8 }, null), (list) => h('ul', { class: 'doc-list' }, list.map((r) => h('li', { class: 'doc-row' },
      h('a', { class: 'doc-row-title', href: '#/reviews/' + enc(r.id) }, r.title || r.doc_title || r.doc_id),
      h('div', { class: 'doc-row-meta' }, h('span', null, t('reviews.submittedBy', { author: authorOf(r) })),
        r.created_at ? h('time', null, formatTime(r.created_at, getLang())) : null)))), t('home.noReviews')),
    loadNotifs(),
    learn.load().catch(() => {}),
    import('./todo.js').then((m) => m.todoHome(todo), () => {}),
  ]);
}
