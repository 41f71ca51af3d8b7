import { h, append, clear, formatTime, fullTime, toast, trustedHtml } from '../dom.js';
import { reviewNotice } from '../reviewinfo.js';
import { t, getLang } from '../i18n.js';
import { get, post, items, getOptional, ApiError } from '../api.js';
import { setTitle, navigate, refreshUnread } from '../app.js';
import { renderDiff } from '../diffview.js';
import { breadcrumbs } from '../ui.js';
import { state, userName, authorOf, reportError, enc, errorState, emptyState, pageHeader, fill, statusBadge, principalLabel } from '../ui.js';

function stateBadge(s) {
  const key = 'reviews.state.' + s;
  return h('span', { class: ['badge', 'badge-' + (s === 'pending' ? 'in_review' : s === 'approved' ? 'published' : s === 'rejected' ? 'rejected' : 'draft')] }, t(key) === key ? s : t(key));
}

export async function reviewsPage(main) {
  setTitle(t('reviews.title'));
  append(main, pageHeader(t('reviews.queue')));
  const body = h('div', { class: 'card' });
  append(main, body);
  await fill(body, async () => {
    let data;
    try { data = await get('/reviews', { state: 'pending', assigned: 'me' }); } catch (e) {
      if (e instanceof ApiError && e.unavailable) return emptyState(t('common.unavailable'));
      throw e;
    }
    const list = items(data);
    if (!list.length) return emptyState(t('reviews.noneHint'));
    return h('ul', { class: 'doc-list' }, list.map((r) => h('li', { class: 'doc-row' },
      h('a', { class: 'doc-row-title', href: '#/reviews/' + enc(r.id), title: r.title || '' }, r.title || r.doc_title || r.doc_id),
      h('div', { class: 'doc-row-meta' },
        stateBadge(r.state || 'pending'),
        r.version ? h('span', null, t('doc.version', { v: r.version })) : null,
        h('span', null, t('reviews.submittedBy', { author: authorOf(r) })),
        r.stage_name || r.stage ? h('span', null, r.stage_name || r.stage) : null,
        r.created_at ? h('time', { datetime: r.created_at }, formatTime(r.created_at, getLang())) : null))));
  });
}

export async function reviewPage(main, { params, alive }) {
  const id = params[0];
  let review;
  try { review = await get('/reviews/' + enc(id)); } catch (e) { append(main, errorState(e)); return; }
  let doc = null;
  try { doc = await get('/documents/' + enc(review.doc_id)); } catch { /* may be hidden */ }
  // Names for the reviewers (best effort: the directory may be admin-only).
  const [users, groups] = await Promise.all([
    getOptional('/users', null, []).catch(() => []), getOptional('/groups', null, []).catch(() => [])]);
  if (!alive()) return;
  review.users = review.users || items(users);
  review.groups = review.groups || items(groups);
  const title = review.title || (doc && doc.title) || review.doc_id;
  setTitle(t('reviews.detail', { title }));
  main.classList.add('main-wide');
  const decisions = review.decisions || [];
  const stages = review.stages || [];
  const currentStage = review.current_stage ?? null;

  const stageList = h('ol', { class: 'stages' }, stages.map((s, i) => {
    const approvalsAt = (j) => decisions.filter((d) => (d.stage === j || d.stage === stages[j].name) && d.approve).length;
    const passed = (j) => (stages[j].quorum === 'all' ? approvalsAt(j) >= (stages[j].reviewers || []).length : approvalsAt(j) > 0);
    const reviewers = s.reviewers || [];
    // The server says where each stage stands; older shapes are worked out from the decisions.
    const done = s.status ? s.status === 'done' : (s.done ?? passed(i));
    const active = s.status ? s.status === 'current'
      : currentStage !== null ? currentStage === i : !done && stages.slice(0, i).every((_, j) => passed(j));
    return h('li', { class: ['stage', done ? 'stage-done' : active ? 'stage-active' : null] },
      h('span', { class: 'stage-dot', 'aria-hidden': 'true' }, done ? '✓' : String(i + 1)),
      h('div', null,
        h('div', { class: 'stage-name' }, s.name || t('policy.stageDefault', { n: i + 1 })),
        h('div', { class: 'muted small' }, t('reviews.quorum.' + (s.quorum === 'all' ? 'all' : 'any')), ' · ',
          reviewers.map((p) => (typeof p === 'string' ? principalLabel(p, review.users, review.groups) : (p.display_name || p.username || p.principal))).join('、')),
        h('div', { class: 'small' }, done ? t('reviews.stageDone') : active ? t('reviews.stageWaiting') : '')));
  }));

  const flags = Array.isArray(review.flags) ? review.flags : [];
  const flagList = flags.length ? h('section', { class: 'card flags' },
    h('h2', { class: 'card-title' }, t('reviews.flags')),
    h('p', { class: 'muted small' }, t('reviews.flagsLead')),
    h('ul', { class: 'flag-list' }, flags.map((f) => h('li', null,
      h('mark', null, f.word), ' ',
      h('span', { class: 'muted small' }, [f.field === 'title' ? t('editor.title') : t('editor.body'), f.line ? t('reviews.flagAt', { line: f.line }) : ''].filter(Boolean).join(' · ')))))) : null;

  const decisionList = decisions.length ? h('ul', { class: 'decisions' }, decisions.map((d) => h('li', { class: ['decision', d.approve ? 'decision-ok' : 'decision-no'] },
    h('span', { class: 'decision-mark', 'aria-hidden': 'true' }, d.approve ? '✓' : '✕'),
    h('div', null,
      h('div', null, h('strong', null, d.reviewer_name || userName(d.reviewer)), ' ', d.approve ? t('reviews.approved') : t('reviews.rejected'),
        ' ', h('time', { class: 'muted small', datetime: d.at, title: fullTime(d.at) }, formatTime(d.at, getLang()))),
      d.comment ? h('p', { class: 'decision-comment' }, d.comment) : null)))) : null;

  const comment = h('textarea', { class: 'comment-input', rows: 3, placeholder: t('reviews.commentPlaceholder'), 'aria-label': t('reviews.comment') });
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const approveBtn = h('button', { class: 'btn btn-primary', type: 'button' }, '✓ ', t('reviews.approve'));
  const rejectBtn = h('button', { class: 'btn btn-danger', type: 'button' }, '✕ ', t('reviews.reject'));
  const reconfirm = h('input', { type: 'checkbox', name: 'reconfirm' });
  async function decide(approve) {
    err.hidden = true;
    const c = comment.value.trim();
    if (!approve && !c) { err.textContent = t('reviews.commentRequired'); err.hidden = false; comment.focus(); return; }
    approveBtn.disabled = rejectBtn.disabled = true;
    try {
      const body = c ? { comment: c } : {};
      if (approve && reconfirm.checked) body.reconfirm = true;
      await post(`/reviews/${enc(id)}/${approve ? 'approve' : 'reject'}`, body);
      toast(approve ? t('reviews.approved') : t('reviews.rejected'), 'success');
      refreshUnread();
      navigate('#/reviews/' + enc(id), { replace: true });
    } catch (e) { reportError(e); approveBtn.disabled = rejectBtn.disabled = false; }
  }
  approveBtn.addEventListener('click', () => decide(true));
  rejectBtn.addEventListener('click', () => decide(false));
  const pending = (!review.state || review.state === 'pending') && review.can_decide !== false;
  const withdrawBtn = review.can_withdraw ? h('button', { class: 'btn btn-quiet', type: 'button', onclick: async () => {
    try { await post(`/reviews/${enc(id)}/withdraw`, {}); toast(t('reviews.withdrawn'), 'success'); navigate('#/doc/' + enc(review.doc_id)); } catch (e) { reportError(e); }
  } }, t('reviews.withdraw')) : null;

  const diffEl = h('div');
  if (review.diff) {
    const empty = !(review.diff.hunks || []).length && !review.diff.unified;
    append(diffEl, empty ? h('p', { class: 'muted' }, t('history.noChanges')) : renderDiff(review.diff));
  } else {
    await fill(diffEl, async () => renderDiff(await get(`/documents/${enc(review.doc_id)}/diff`, { from: (doc && doc.published_version) || Math.max(1, (review.version || 2) - 1), to: review.version })));
  }

  // The same change, as readers will see it: both versions rendered by the server, side by side,
  // the blocks that are new or changed (or gone) marked.
  const renderedEl = h('div', { class: 'review-rendered', hidden: true });
  let renderedLoaded = false;
  const loadRendered = () => {
    if (renderedLoaded) return;
    renderedLoaded = true;
    fill(renderedEl, async () => {
      const body = async (v) => (v ? (await get(`/documents/${enc(review.doc_id)}/versions/${v}`)).body || '' : '');
      const [before, after] = await Promise.all([body(review.base_version), body(review.version)]);
      const [a, b] = await Promise.all([before ? post('/render', { body: before }) : { html: '' }, post('/render', { body: after })]);
      const left = h('div', { class: 'markdown-body rendered-before' });
      const right = h('div', { class: 'markdown-body rendered-after' });
      trustedHtml(left, a.html || '');
      trustedHtml(right, b.html || '');
      const key = (el) => el.outerHTML.replace(/\sid="[^"]*"/g, '');
      const oldKeys = new Set([...left.children].map(key));
      const newKeys = new Set([...right.children].map(key));
      for (const el of right.children) if (!oldKeys.has(key(el))) el.classList.add('blk-added');
      for (const el of left.children) if (!newKeys.has(key(el))) el.classList.add('blk-removed');
      return h('div', null,
        h('p', { class: 'muted small' }, t('review.changedLegend')),
        h('div', { class: 'rendered-sides' },
          h('section', { class: 'rendered-side' }, h('h3', { class: 'rendered-label' }, review.base_version ? t('review.before', { v: review.base_version }) : t('review.beforeNone')), left),
          h('section', { class: 'rendered-side' }, h('h3', { class: 'rendered-label' }, t('review.after', { v: review.version })), right)));
    });
  };
  const mdTab = h('button', { type: 'button', role: 'tab', class: 'seg active', 'aria-selected': 'true' }, t('review.markdown'));
  const rTab = h('button', { type: 'button', role: 'tab', class: 'seg review-rendered-tab', 'aria-selected': 'false' }, t('review.rendered'));
  const pick = (rendered) => {
    diffEl.hidden = rendered; renderedEl.hidden = !rendered;
    mdTab.classList.toggle('active', !rendered); rTab.classList.toggle('active', rendered);
    mdTab.setAttribute('aria-selected', String(!rendered)); rTab.setAttribute('aria-selected', String(rendered));
    if (rendered) loadRendered();
  };
  mdTab.addEventListener('click', () => pick(false));
  rTab.addEventListener('click', () => pick(true));
  const viewTabs = h('div', { class: 'segmented', role: 'tablist', 'aria-label': t('review.viewTabs') }, mdTab, rTab);

  // The author of a rejected submission: the reason, and the way to submit again.
  const mine = state.user && review.author_id === state.user.id;
  const authorNotice = mine && review.state === 'rejected' && review.doc_status !== 'in_review'
    ? reviewNotice(review, { docId: review.doc_id, canEdit: !!doc && doc.can_edit !== false, onResubmit: async (ev) => {
      const btn = ev.currentTarget;
      btn.disabled = true;
      try {
        const r = await post(`/documents/${enc(review.doc_id)}/submit`, {});
        toast(t('doc.submitted'), 'success');
        navigate('#/reviews/' + enc(r.id));
      } catch (e) { reportError(e); btn.disabled = false; }
    } })
    : null;

  append(main, 
    breadcrumbs([[t('reviews.queue'), '#/reviews'], [title, '#/doc/' + enc(review.doc_id)], [t('reviews.title')]]),
    h('div', { class: 'page-head' },
      h('h1', { class: 'page-title' }, title),
      h('div', { class: 'page-actions' }, withdrawBtn, h('a', { class: 'btn', href: '#/doc/' + enc(review.doc_id) }, t('reviews.openDoc')))),
    h('div', { class: 'doc-meta' }, stateBadge(review.state || 'pending'),
      review.version ? h('span', null, t('doc.version', { v: review.version })) : null,
      h('span', null, t('reviews.submittedBy', { author: authorOf(review) })),
      review.created_at ? h('time', { datetime: review.created_at }, formatTime(review.created_at, getLang())) : null,
      review.stage_name && review.state === 'pending' ? h('span', null, review.stage_name) : null),
    review.message ? h('p', { class: 'page-lead' }, review.message) : null,
    authorNotice,
    h('div', { class: 'review-layout' },
      h('section', { class: 'card review-diff' },
        h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, t('reviews.changes')), viewTabs),
        diffEl, renderedEl),
      h('div', { class: 'review-side' },
        pending ? h('section', { class: 'card review-actions' },
          h('h2', { class: 'card-title' }, t('reviews.comment')), comment, err,
          h('label', { class: 'reconfirm-check', title: t('reconfirm.hint') }, reconfirm, ' ', t('reconfirm.label')),
          h('div', { class: 'form-actions' }, rejectBtn, approveBtn)) : null,
        flagList,
        stages.length ? h('section', { class: 'card' }, h('h2', { class: 'card-title' }, t('reviews.stages')), stageList) : null,
        decisionList ? h('section', { class: 'card' }, h('h2', { class: 'card-title' }, t('reviews.decisions')), decisionList) : null)));
  void clear;
}
