// 入职学习: my collections, one's overview, reading in order (我已阅读并理解), progress with its
// CSV, and the editor (documents found by search, reordered by drag or keyboard).

import { h, append, clear, trustedHtml, formatTime, toast, debounce } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, post, put, items } from '../api.js';
import { setTitle, navigate } from '../app.js';
import { enc, errorState, emptyState, pageHeader, loading, reportError, errorMessage, field, isAdmin, userName, breadcrumbs } from '../ui.js';

/** The address of a collection's page: at('x') = #/learn/x, at('x', 'read', 2) = #/learn/x/read/2. */
const at = (id, ...rest) => ['#/learn', enc(id), ...rest].join('/');
const badge = (kind, text) => h('span', { class: kind ? 'badge badge-' + kind : 'badge' }, text);
const box = (title, ...body) => h('section', { class: 'card' }, h('h2', { class: 'card-title' }, title), body);
const day = (iso) => (iso ? new Date(iso).toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'zh-CN') : '');

/** A progress bar with its text (done / required). */
export function progressBar(done, required) {
  const pct = required ? Math.round((done / required) * 100) : 100;
  const bar = h('span', { class: 'progress-fill' });
  bar.style.width = pct + '%'; // CSSOM, not an inline style attribute: CSP allows it
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemax': required, 'aria-valuenow': done, 'aria-label': t('learn.progress') },
    h('span', { class: 'progress-track' }, bar),
    h('span', { class: 'progress-text' }, t('learn.doneOf', { done, required })));
}

function dueBadge(me) {
  if (!me || !me.assigned) return null;
  if (me.required && me.done >= me.required) return badge('published', t('learn.complete'));
  if (me.overdue) return badge('overdue', t('learn.overdue'));
  return badge('soft', t('learn.dueOn', { date: day(me.due) }));
}

/** One assigned collection: progress and the next item (home page and list page). */
export function assignedRow(c) {
  const me = c.me || {};
  return h('li', { class: 'learn-row' },
    h('div', { class: 'learn-row-head' },
      h('a', { class: 'learn-row-title', href: at(c.id) }, c.name),
      dueBadge(me)),
    progressBar(me.done || 0, me.required || 0),
    me.next
      ? h('a', { class: 'btn btn-sm btn-primary learn-next', href: at(c.id, 'read', me.next.position) }, t('learn.continue', { title: me.next.title }))
      : null);
}

// ---- list

export async function learnListPage(main) {
  setTitle(t('learn.title'));
  const data = await get('/collections');
  append(main, pageHeader(t('learn.title'), data.can_create ? h('a', { class: 'btn btn-primary', href: '#/learn/new' }, '+ ', t('learn.new')) : null));
  const assigned = items(data.assigned);
  append(main, box(t('learn.mine'),
    assigned.length ? h('ul', { class: 'learn-list' }, assigned.map(assignedRow)) : h('p', { class: 'muted empty-line' }, t('learn.noneAssigned'))));
  const managed = items(data.managed);
  if (managed.length || data.can_create) {
    append(main, box(t('learn.managed'),
      managed.length ? h('ul', { class: 'learn-list' }, managed.map((c) => h('li', { class: 'learn-row' },
        h('div', { class: 'learn-row-head' }, h('a', { class: 'learn-row-title', href: at(c.id) }, c.name),
          c.role === 'department_head' ? badge(null, t('learn.asHead')) : null),
        h('div', { class: 'doc-row-meta' },
          h('span', null, t('learn.counts', { people: c.people, complete: c.complete })),
          c.overdue ? badge('overdue', t('learn.overdueCount', { n: c.overdue })) : null),
        h('div', { class: 'learn-row-actions' },
          h('a', { class: 'btn btn-sm', href: at(c.id, 'progress') }, t('learn.progressTable')),
          c.role === 'manager' ? h('a', { class: 'btn btn-sm', href: at(c.id, 'edit') }, t('common.edit')) : null))))
        : null));
  }
}

// ---- overview

function itemStatus(it) {
  if (!it.available) return badge(null, t('learn.unavailable'));
  if (it.needs_ack && it.acknowledged_version) return badge('overdue', t('learn.again'));
  if (it.needs_ack) return badge('draft', t('learn.toRead'));
  if (it.acknowledged_version) return badge('published', t('learn.read'));
  return null;
}

export async function learnPage(main, { params }) {
  const id = params[0];
  const c = await get('/collections/' + enc(id));
  setTitle(c.name);
  append(main,
    breadcrumbs([[t('learn.title'), '#/learn'], [c.name]]),
    pageHeader(c.name,
      c.role !== 'member' ? h('a', { class: 'btn', href: at(id, 'progress') }, t('learn.progressTable')) : null,
      c.role === 'manager' ? h('a', { class: 'btn', href: at(id, 'edit') }, t('common.edit')) : null),
    c.description ? h('p', null, c.description) : null);
  if (c.me.assigned) {
    append(main, h('div', { class: 'card' },
      h('div', { class: 'learn-row-head' }, h('strong', null, t('learn.progress')), dueBadge(c.me)),
      progressBar(c.me.done, c.me.required),
      c.me.next ? h('a', { class: 'btn btn-primary learn-next', href: at(id, 'read', c.me.next.position) }, t('learn.continue', { title: c.me.next.title })) : null));
  }
  append(main, box(t('learn.items'),
    h('ol', { class: 'learn-items' }, c.items.map((it) => h('li', { class: 'learn-item' },
      it.available
        ? h('a', { href: at(id, 'read', it.position) }, it.title)
        : h('span', { class: 'muted' }, t('learn.unavailableItem')),
      it.required ? null : badge(null, t('learn.optional')),
      itemStatus(it))))));
}

// ---- reading

export async function learnReadPage(main, { params, alive }) {
  const [id, posText] = params;
  const pos = Number(posText);
  const c = await get('/collections/' + enc(id));
  const it = c.items[pos];
  if (!it) { append(main, errorState({ status: 404, code: 'not_found' })); return; }
  setTitle(it.title || c.name);
  const body = h('article', { class: 'markdown-body', lang: 'zh-CN' });
  const status = h('div', { class: 'learn-ack-status', role: 'status' });
  const ackBtn = h('button', { class: 'btn btn-primary learn-ack', type: 'button' }, t('learn.ack'));
  const prev = pos > 0 ? h('a', { class: 'btn learn-prev', href: at(id, 'read', pos - 1), rel: 'prev' }, '← ', t('doc.prev')) : null;
  const next = pos + 1 < c.items.length
    ? h('a', { class: 'btn learn-next-item learn-pager-next', href: at(id, 'read', pos + 1), rel: 'next' }, t('doc.next'), ' →')
    : h('a', { class: 'btn learn-pager-next', href: at(id) }, c.name);
  const showStatus = () => {
    const v = it.acknowledged_version;
    ackBtn.hidden = !c.me.assigned || !it.needs_ack;
    clear(status).append(!c.me.assigned ? h('span', { class: 'muted' }, t('learn.notAssigned'))
      : !v ? ''
        : it.needs_ack ? h('span', { class: 'notice' }, t('learn.reconfirm', { v }))
          : badge('published', t('learn.ackedAt', { v, at: formatTime(it.acknowledged_at, getLang()) })));
  };
  append(main,
    breadcrumbs([[t('learn.title'), '#/learn'], [c.name, at(id)], [it.title || t('learn.unavailableItem')]]),
    h('p', { class: 'muted small learn-step' }, t('learn.step', { n: pos + 1, total: c.items.length }), it.required ? '' : ' · ' + t('learn.optional')),
    h('h1', { class: 'page-title doc-title' }, it.title || t('learn.unavailableItem')),
    h('div', { class: 'card' }, body),
    h('div', { class: 'learn-ack-bar' }, status, ackBtn),
    h('nav', { class: 'learn-pager', 'aria-label': t('learn.title') }, prev, next));
  showStatus();
  if (!it.available) { append(body, h('p', { class: 'muted' }, t('learn.unavailableLong'))); return; }
  append(body, loading());
  const v = await get('/documents/' + enc(it.doc_id) + '/versions/' + it.published_version);
  if (!alive()) return;
  clear(body);
  trustedHtml(body, v.html);
  ackBtn.addEventListener('click', async () => {
    ackBtn.disabled = true;
    try {
      const a = await post('/collections/' + enc(id) + '/items/' + enc(it.doc_id) + '/ack', {});
      Object.assign(it, { acknowledged_version: a.version, acknowledged_at: a.acknowledged_at, needs_ack: false });
      c.me = a.me;
      showStatus();
      toast(a.me.required && a.me.done >= a.me.required ? t('learn.allDone') : t('learn.acked'), 'success');
      next.focus();
    } catch (e) { reportError(e); }
    ackBtn.disabled = false;
  });
}

// ---- progress

export async function learnProgressPage(main, { params }) {
  const id = params[0];
  const p = await get('/collections/' + enc(id) + '/progress');
  setTitle(t('learn.progressOf', { name: p.name }));
  const csv = h('a', { class: 'btn', href: '/api/v1/collections/' + enc(id) + '/progress?format=csv', download: p.name + '-进度.csv' }, t('learn.csv'));
  append(main,
    breadcrumbs([[t('learn.title'), '#/learn'], [p.name, at(id)], [t('learn.progressTable')]]),
    pageHeader(t('learn.progressOf', { name: p.name }), csv));
  if (!p.people.length) { append(main, emptyState(t('learn.nobody'))); return; }
  const state = (r) => (r.required && r.done >= r.required ? badge('published', t('learn.complete'))
    : r.overdue ? badge('overdue', t('learn.overdue')) : badge(null, t('learn.inProgress')));
  append(main, h('div', { class: 'card card-flush' }, h('div', { class: 'table-wrap' }, h('table', { class: 'table learn-table' },
    h('thead', null, h('tr', null,
      ['name', 'progress', 'due', 'state', 'last'].map((k) => h('th', { scope: 'col' }, t('learn.col.' + k))),
      p.items.map((it, i) => h('th', { scope: 'col', class: 'learn-col-item', title: it.title || t('learn.unavailableItem') }, String(i + 1))))),
    h('tbody', null, p.people.map((r) => h('tr', { class: r.overdue ? 'row-overdue' : null },
      h('th', { scope: 'row' }, r.display_name, h('span', { class: 'muted small' }, ' ', r.username)),
      h('td', null, `${r.done} / ${r.required}`),
      h('td', null, day(r.due)),
      h('td', null, state(r)),
      h('td', null, r.last_activity ? formatTime(r.last_activity, getLang()) : '—'),
      r.items_done.map((d) => h('td', { class: 'learn-col-item', 'aria-label': d ? t('learn.read') : t('learn.toRead') }, d ? '✓' : '·'))))),
    h('tfoot', null, h('tr', null,
      h('th', { scope: 'row', colspan: '5' }, t('learn.readBy')),
      p.items.map((_, i) => h('td', { class: 'learn-col-item learn-read-by' }, String(p.people.filter((r) => r.items_done[i]).length)))))))),
  completionChart(p.people));
}

/** 完成趋势: how many people had finished by each day, from the first assignment to today. */
function completionChart(people) {
  const DAY = 86400e3;
  const end = Math.floor(Date.now() / DAY);
  // At least a week wide, so a first day's finishes are a step, not a wall.
  const start = Math.min(end - 6, Math.floor(Math.min(...people.map((r) => Date.parse(r.assigned_at))) / DAY));
  const done = people.map((r) => r.completed_at && Math.floor(Date.parse(r.completed_at) / DAY)).filter((d) => d != null);
  const days = Math.max(1, end - start);
  const W = 600, H = 120, n = people.length;
  const x = (d) => 30 + ((d - start) / days) * (W - 40);
  const y = (c) => H - 20 - (c / n) * (H - 35);
  let pts = `${x(start)},${y(0)}`;
  for (let d = start, c = 0; d <= end; d++) {
    const next = c + done.filter((v) => v === d).length;
    if (next !== c) { pts += ` ${x(d)},${y(c)} ${x(d)},${y(next)}`; c = next; }
    if (d === end) pts += ` ${x(d)},${y(c)}`;
  }
  const NS = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text != null) e.textContent = text;
    return e;
  };
  const svg = el('svg', { class: 'learn-trend-chart', width: '100%', height: 150, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('learn.trendSummary', { done: done.length, n }) });
  // Presentation attributes, not CSS: the chart draws the same wherever it is shown.
  const label = (x0, y0, text, anchor = 'start') => el('text', { x: x0, y: y0, 'font-size': 11, fill: '#6b7280', 'text-anchor': anchor }, text);
  svg.append(el('line', { x1: 30, y1: y(0), x2: W - 10, y2: y(0), stroke: '#d7dbe0' }),
    el('line', { x1: 30, y1: y(n), x2: W - 10, y2: y(n), stroke: '#d7dbe0', 'stroke-dasharray': '4 4' }),
    label(4, y(n) + 4, String(n)), label(4, y(0) + 4, '0'),
    label(30, H - 4, day(new Date(start * DAY).toISOString())),
    label(W - 10, H - 4, day(new Date(end * DAY).toISOString()), 'end'),
    el('polyline', { points: pts, fill: 'none', stroke: '#1f5a96', 'stroke-width': 2 }));
  return box(t('learn.trend'), h('p', { class: 'muted small' }, t('learn.trendSummary', { done: done.length, n })), svg);
}

// ---- editor

/**
 * The ordered item list: drag a row by its handle, or focus a row and press Alt+↑ / Alt+↓ (or
 * use its ↑ ↓ buttons); the focus stays on the moved row, and a live region says where it went.
 */
function itemList(list, onChange) {
  const ol = h('ol', { class: 'learn-edit-items', 'aria-label': t('learn.items') });
  const live = h('div', { class: 'sr-only', 'aria-live': 'polite' });
  let dragFrom = null;
  const move = (from, to, focusSel) => {
    if (to < 0 || to >= list.length || from === to) return;
    const [x] = list.splice(from, 1);
    list.splice(to, 0, x);
    draw();
    live.textContent = t('learn.moved', { title: x.title, n: to + 1 });
    const row = ol.children[to];
    (focusSel ? row.querySelector(focusSel) : row)?.focus();
    onChange();
  };
  const draw = () => {
    clear(ol);
    list.forEach((it, i) => {
      const btn = (cls, key, text, off) => h('button', { class: 'btn btn-sm btn-quiet ' + cls, type: 'button', 'aria-label': t(key, { title: it.title }), disabled: off }, text);
      const up = btn('move-up', 'learn.moveUp', '↑', i === 0);
      const down = btn('move-down', 'learn.moveDown', '↓', i === list.length - 1);
      const req = h('input', { type: 'checkbox', checked: it.required });
      const row = h('li', { class: 'learn-edit-item', tabindex: '0', draggable: 'true', 'data-doc': it.doc_id, 'aria-label': (i + 1) + '. ' + it.title + ' (Alt+↑/↓)' },
        h('span', { class: 'drag-handle', 'aria-hidden': 'true' }, '⠿'),
        h('span', { class: 'learn-edit-pos' }, String(i + 1)),
        h('span', { class: 'learn-edit-title' }, it.title),
        h('label', { class: 'learn-edit-req' }, req, ' ', t('learn.required')),
        h('span', { class: 'learn-edit-moves' }, up, down,
          btn('learn-remove', 'learn.remove', '×')));
      req.addEventListener('change', () => { it.required = req.checked; onChange(); });
      up.addEventListener('click', () => move(i, i - 1, i - 1 === 0 ? '.move-down' : '.move-up'));
      down.addEventListener('click', () => move(i, i + 1, i + 1 === list.length - 1 ? '.move-up' : '.move-down'));
      row.querySelector('.learn-remove').addEventListener('click', () => { list.splice(i, 1); draw(); onChange(); (ol.children[Math.min(i, list.length - 1)] || ol).focus(); });
      row.addEventListener('keydown', (e) => {
        const d = { ArrowUp: -1, ArrowDown: 1 }[e.key];
        if (e.target === row && e.altKey && d) { e.preventDefault(); move(i, i + d); }
      });
      const mark = (cls, on) => row.classList.toggle(cls, on);
      row.addEventListener('dragstart', (e) => { dragFrom = i; mark('dragging', true); e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', it.doc_id); });
      row.addEventListener('dragend', () => { mark('dragging', false); dragFrom = null; });
      row.addEventListener('dragover', (e) => { if (dragFrom !== null) { e.preventDefault(); mark('drop-target', true); } });
      row.addEventListener('dragleave', () => mark('drop-target', false));
      row.addEventListener('drop', (e) => { e.preventDefault(); mark('drop-target', false); if (dragFrom !== null) move(dragFrom, i); });
      ol.append(row);
    });
    if (!list.length) ol.append(h('li', { class: 'muted empty-line' }, t('learn.noItems')));
  };
  draw();
  return { el: h('div', null, ol, live), draw };
}

/** Finds documents to add; waits for the input method to commit (pinyin is no query). */
function docPicker(onPick) {
  const input = h('input', { type: 'search', class: 'learn-search', placeholder: t('learn.searchDocs'), 'aria-label': t('learn.searchDocs'), autocomplete: 'off' });
  const results = h('ul', { class: 'learn-results' });
  let composing = false;
  const run = debounce(async () => {
    const q = input.value.trim();
    if (!q) { clear(results); return; }
    try {
      const r = await get('/search', { q, limit: 8 });
      clear(results);
      const hits = r.hits || [];
      if (!hits.length) { results.append(h('li', { class: 'muted small' }, t('learn.noHits'))); return; }
      for (const hit of hits) {
        results.append(h('li', { class: 'learn-result' }, h('span', { class: 'learn-result-title' }, hit.title),
          h('button', { class: 'btn btn-sm learn-add', type: 'button', onclick: () => onPick({ doc_id: hit.id, title: hit.title, required: true }) }, t('common.add'))));
      }
    } catch (e) { clear(results).append(h('li', { class: 'form-error' }, errorMessage(e))); }
  }, 250);
  input.addEventListener('compositionstart', () => (composing = true));
  input.addEventListener('compositionend', () => { composing = false; run(); });
  input.addEventListener('input', (e) => { if (!e.isComposing && !composing) run(); });
  return h('div', null, input, results);
}

export async function learnEditPage(main, { params }) {
  const id = params[0] || null;
  const [existing, groups, users] = await Promise.all([
    id ? get('/collections/' + enc(id)) : null,
    get('/groups').then(items, () => []),
    isAdmin() ? get('/users').then(items, () => []) : [],
  ]);
  setTitle(id ? t('learn.edit') : t('learn.new'));
  const c0 = existing || { items: [], audience: [], name: '', description: '', due_days: 14 };
  const list = c0.items.filter((i) => i.available);
  const audience = c0.audience || [];
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '100', value: c0.name });
  const desc = h('textarea', { name: 'description', rows: '3', maxlength: '2000' });
  desc.value = c0.description;
  const due = h('input', { type: 'number', name: 'due_days', min: '1', max: '365', value: c0.due_days });
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const dirty = () => { err.hidden = true; };
  const items_ = itemList(list, dirty);

  const chips = h('div', { class: 'picker-chips learn-audience' });
  const drawChips = () => {
    clear(chips);
    if (!audience.length) chips.append(h('span', { class: 'muted small' }, t('learn.noAudience')));
    audience.forEach((a, i) => chips.append(h('span', { class: 'chip' }, a.label,
      h('button', { class: 'chip-x', type: 'button', 'aria-label': t('learn.remove', { title: a.label }), onclick: () => { audience.splice(i, 1); drawChips(); } }, '×'))));
  };
  const addAudience = (principal, label) => {
    if (!principal || audience.some((a) => a.principal === principal)) return;
    audience.push({ principal, label });
    drawChips();
    dirty();
  };
  const pick = h('select', { 'aria-label': t('learn.addAudience') },
    h('option', { value: '' }, t('learn.addAudience')),
    h('optgroup', { label: t('learn.kinds') },
      h('option', { value: 'kind:intern' }, t('learn.kind.intern')),
      h('option', { value: 'kind:employee' }, t('learn.kind.employee')),
      h('option', { value: 'kind:external' }, t('learn.kind.external'))),
    groups.length ? h('optgroup', { label: t('learn.groups') }, groups.map((g) => h('option', { value: 'group:' + g.id }, g.name))) : null,
    users.length ? h('optgroup', { label: t('learn.people') }, users.map((u) => h('option', { value: 'user:' + u.id }, userName(u) + ' (' + u.username + ')'))) : null);
  pick.addEventListener('change', () => {
    const opt = pick.selectedOptions[0];
    if (pick.value) addAudience(pick.value, opt.textContent);
    pick.value = '';
  });
  drawChips();

  const picker = docPicker((it) => {
    if (list.some((x) => x.doc_id === it.doc_id)) { toast(t('learn.already'), 'info'); return; }
    list.push(it);
    items_.draw();
    dirty();
  });
  const save = h('button', { class: 'btn btn-primary learn-save', type: 'submit' }, t('common.save'));
  const form = h('form', { class: 'learn-editor', novalidate: true },
    err,
    h('div', { class: 'card' },
      field(t('common.name'), name),
      field(t('common.description'), desc),
      field(t('learn.dueDays'), due),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('learn.audience')), chips, pick, h('div', { class: 'hint' }, t('learn.audienceHint')))),
    h('div', { class: 'card' },
      h('h2', { class: 'card-title' }, t('learn.items')),
      h('p', { class: 'hint' }, t('learn.reorderHint')),
      items_.el,
      h('h3', null, t('learn.addDocs')),
      picker),
    h('div', { class: 'form-actions' }, save, h('a', { class: 'btn', href: id ? at(id) : '#/learn' }, t('common.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: name.value, description: desc.value, due_days: Number(due.value) || 0,
      items: list.map((i) => ({ doc_id: i.doc_id, required: i.required })),
      audience: audience.map((a) => a.principal),
    };
    save.disabled = true;
    try {
      const c = id ? await put('/collections/' + enc(id), body) : await post('/collections', body);
      toast(t('common.saved'), 'success');
      navigate(at(c.id));
    } catch (ex) {
      err.textContent = errorMessage(ex);
      err.hidden = false;
      err.scrollIntoView({ block: 'nearest' });
    } finally {
      save.disabled = false;
    }
  });
  append(main, breadcrumbs([[t('learn.title'), '#/learn'], [id ? t('learn.edit') : t('learn.new')]]),
    pageHeader(id ? t('learn.edit') : t('learn.new')), form);
}
