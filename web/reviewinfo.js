// Where a document stands in review, for its author: the latest review of a document, and a
// notice that says why it was rejected (comment, stage, who) with the way to submit again.

import { h, formatTime } from './dom.js';
import { t, getLang } from './i18n.js';
import { get, items } from './api.js';
import { enc } from './ui.js';

/** The newest review of a document the caller may see, or null. */
export async function latestReview(docId, opts = {}) {
  try {
    const data = await get('/reviews', { doc_id: docId, state: 'all', limit: 1 }, opts);
    return items(data)[0] || null;
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    return null;
  }
}

/** The newest review of each of my documents: doc id -> review summary. */
export async function myLatestReviews(opts = {}) {
  const out = new Map();
  try {
    for (const r of items(await get('/reviews', { mine: true, state: 'all', limit: 200 }, opts))) {
      if (!out.has(r.doc_id)) out.set(r.doc_id, r); // newest first
    }
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
  }
  return out;
}

/** The decision that rejected a review (detail answer), if any. */
export function rejection(detail) {
  const ds = (detail && detail.decisions) || [];
  for (let i = ds.length - 1; i >= 0; i--) if (!ds[i].approve) return ds[i];
  return null;
}

function stageOf(detail, decision) {
  if (decision && decision.stage_name) return decision.stage_name;
  const st = (detail.stages || [])[decision ? decision.stage : detail.current_stage];
  return (st && st.name) || t('policy.stageDefault', { n: ((decision ? decision.stage : detail.current_stage) || 0) + 1 });
}

/**
 * A notice for the document page: rejected (the reviewer's comment, the stage, edit / submit
 * again / the review) or waiting (the stage). `onResubmit` submits the document again.
 */
export function reviewNotice(detail, { docId, canEdit, onResubmit }) {
  if (!detail) return null;
  if (detail.state === 'rejected') {
    const d = rejection(detail);
    const stage = stageOf(detail, d);
    const who = d && (d.reviewer_name || d.reviewer_username);
    return h('section', { class: 'review-notice review-notice-rejected', role: 'status', 'aria-labelledby': 'rn-title' },
      h('h2', { class: 'review-notice-title', id: 'rn-title' }, t('review.rejectedTitle')),
      h('p', { class: 'review-notice-who' },
        who ? t('review.rejectedBy', { name: who, stage, v: detail.version }) : t('review.rejectedNoName', { stage, v: detail.version }),
        d && d.at ? h('time', { class: 'muted small', datetime: d.at }, ' · ', formatTime(d.at, getLang())) : null),
      h('blockquote', { class: 'review-notice-comment' }, (d && d.comment) || t('review.noComment')),
      canEdit ? h('p', { class: 'muted small' }, t('review.resubmitHint')) : null,
      h('div', { class: 'review-notice-actions' },
        canEdit ? h('a', { class: 'btn btn-primary btn-sm', href: '#/doc/' + enc(docId) + '/edit' }, t('review.editFirst')) : null,
        canEdit && onResubmit ? h('button', { class: 'btn btn-sm review-resubmit', type: 'button', onclick: onResubmit }, t('review.resubmit')) : null,
        h('a', { class: 'btn btn-sm btn-quiet', href: '#/reviews/' + enc(detail.id) }, t('review.viewReview'))));
  }
  if (detail.state === 'pending') {
    return h('section', { class: 'review-notice review-notice-pending', role: 'status' },
      h('p', { class: 'review-notice-who' }, h('strong', null, t('review.pendingTitle')), ' · ',
        t('review.pendingAt', { v: detail.version, stage: detail.stage_name || stageOf(detail, null) })),
      h('div', { class: 'review-notice-actions' }, h('a', { class: 'btn btn-sm btn-quiet', href: '#/reviews/' + enc(detail.id) }, t('review.viewReview'))));
  }
  return null;
}
