// 数据看板: the knowledge dashboard (GET /admin/stats) with charts as inline SVG, and for admins
// the backups (GET /admin/backups) with a warning when the last good one is too old.

import { h, append, clear, fullTime, formatTime, bytes } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get, getOptional, items, ApiError } from '../api.js';
import { setTitle, navigate } from '../app.js';
import { enc, errorState, emptyState, field, loading, docLink } from '../ui.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * A bar chart: series = [{key, label, cls}], rows = [{label, values: {key: n}}]; an optional
 * target line. Sized to its host's width so that text stays legible on a phone.
 */
function barChart(host, { rows, series, target, targetLabel, title }) {
  const width = Math.max(280, Math.min(900, host.clientWidth || 600));
  const height = width < 420 ? 200 : 230;
  const pad = { l: 34, r: 8, t: 14, b: 26 };
  const max = Math.max(1, target || 0, ...rows.flatMap((r) => series.map((s) => r.values[s.key] || 0)));
  const top = niceMax(max);
  const plotW = width - pad.l - pad.r;
  const plotH = height - pad.t - pad.b;
  const y = (v) => pad.t + plotH - (v / top) * plotH;
  const band = plotW / Math.max(1, rows.length);
  const barW = Math.max(2, Math.min(28, (band * 0.7) / series.length));
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  append(root, svg('title', null, title));
  // Counts: whole-number ticks only.
  for (const v of [0, top / 2, top].filter(Number.isInteger)) {
    root.append(svg('line', { class: 'chart-grid', x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v) }));
    root.append(svg('text', { class: 'chart-axis', x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  // Label every n-th row so that labels never overlap.
  const every = Math.max(1, Math.ceil(rows.length / Math.floor(plotW / 44)));
  rows.forEach((r, i) => {
    const x0 = pad.l + i * band + (band - barW * series.length) / 2;
    series.forEach((s, j) => {
      const v = r.values[s.key] || 0;
      const bar = svg('rect', { class: 'chart-bar ' + s.cls, x: x0 + j * barW, y: y(v), width: Math.max(1, barW - 1), height: Math.max(0, y(0) - y(v)) });
      bar.append(svg('title', null, `${r.label} ${s.label}: ${v}`));
      root.append(bar);
    });
    const cx = pad.l + i * band + band / 2;
    // A label at the right edge ends there rather than being cut off.
    if (i % every === 0) root.append(svg('text', { class: 'chart-axis', x: Math.min(cx, width - 2), y: height - 8, 'text-anchor': cx + 18 > width ? 'end' : 'middle' }, r.short || r.label));
  });
  if (target) {
    root.append(svg('line', { class: 'chart-target', x1: pad.l, x2: width - pad.r, y1: y(target), y2: y(target) }));
    root.append(svg('text', { class: 'chart-target-label', x: width - pad.r - 2, y: y(target) - 4, 'text-anchor': 'end' }, targetLabel));
  }
  clear(host).append(root);
}

function niceMax(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
function fmt(v) { return Number.isInteger(v) ? String(v) : v.toFixed(1); }

function legend(series) {
  return h('div', { class: 'chart-legend' }, series.map((s) => h('span', null, h('i', { class: 'swatch ' + s.cls, 'aria-hidden': 'true' }), s.label)));
}

function card(title, ...body) {
  return h('section', { class: 'card dash-card' }, h('h2', { class: 'card-title' }, title), body);
}

function stat(label, value) {
  return h('div', { class: 'dash-stat' }, h('div', { class: 'dash-stat-value' }, value), h('div', { class: 'dash-stat-label' }, label));
}

function list(rows, empty) {
  if (!rows.length) return emptyState(empty);
  return h('ol', { class: 'dash-list' }, rows);
}

function hours(x) {
  if (x === null || x === undefined) return '—';
  return x < 1 ? t('dash.minutes', { n: Math.max(1, Math.round(x * 60)) }) : t('dash.hours', { n: x < 10 ? x.toFixed(1) : Math.round(x) });
}

/** The backups: a banner when the last verified one is older than 26 hours, and the list. */
async function backupsSection(status) {
  const files = items(await getOptional('/admin/backups', null, []));
  const warn = status && status.overdue
    ? h('div', { class: 'notice notice-danger dash-backup-warning', role: 'alert' },
      h('span', null, status.last_success_at
        ? t('dash.backupOverdue', { h: status.overdue_hours, t: fullTime(status.last_success_at) })
        : t('dash.backupNone', { h: status.overdue_hours })))
    : null;
  const rows = files.slice(0, 10).map((b) => h('tr', null,
    h('td', { class: 'cell-wrap' }, h('code', null, b.file)),
    h('td', { class: 'nowrap small' }, h('time', { datetime: b.created_at }, fullTime(b.created_at))),
    h('td', { class: 'nowrap small' }, bytes(b.size)),
    h('td', null, b.verified ? h('span', { class: 'badge badge-published' }, t('dash.verified')) : h('span', { class: 'badge badge-rejected' }, t('dash.unverified')))));
  return card(t('dash.backups'), warn,
    status && !status.overdue && status.last_success_at ? h('p', { class: 'muted small' }, t('dash.backupOk', { t: fullTime(status.last_success_at) })) : null,
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
        h('thead', null, h('tr', null, [t('dash.backupFile'), t('common.time'), t('dash.size'), t('dash.state')].map((x) => h('th', null, x)))),
        h('tbody', null, rows)))
      : emptyState(t('dash.noBackups')));
}

let knownSpaces = [];

/** The dashboard into `el`; `query` holds from, to, space_id, stale_months; `base` the page's hash. */
export async function renderDashboard(el, query, base) {
  const q = { from: query.from, to: query.to, space_id: query.space_id, stale_months: query.stale_months };
  append(el, loading());
  let d;
  try {
    d = await get('/admin/stats', q);
  } catch (e) {
    clear(el).append(e instanceof ApiError && e.status === 403 ? errorState({ message: t('dash.forbidden') }) : errorState(e));
    return;
  }
  if (!q.space_id) knownSpaces = d.spaces;
  const spaceName = (id) => (knownSpaces.find((s) => s.id === id) || d.spaces.find((s) => s.id === id) || {}).name || id;
  clear(el);

  // Filters.
  const from = h('input', { type: 'date', value: d.from });
  const to = h('input', { type: 'date', value: d.to });
  const space = h('select', null, h('option', { value: '' }, t('dash.allSpaces')),
    knownSpaces.map((s) => h('option', { value: s.id, selected: s.id === q.space_id }, s.name)));
  const months = h('input', { type: 'number', min: 1, max: 120, value: d.stale.months, inputmode: 'numeric' });
  const form = h('form', { class: 'filter-bar dash-filter' },
    field(t('dash.from'), from), field(t('dash.to'), to), field(t('dash.space'), space), field(t('dash.staleMonths'), months),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('dash.apply')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams(Object.entries({ from: from.value, to: to.value, space_id: space.value, stale_months: months.value }).filter(([, v]) => v));
    navigate(base + '?' + p.toString());
  });

  const backups = d.backups ? await backupsSection(d.backups).catch(() => null) : null;
  const warning = backups ? backups.querySelector('.dash-backup-warning') : null;

  // Documents per month (with the target line).
  const docSeries = [
    { key: 'created', label: t('dash.created'), cls: 'bar-primary' },
    { key: 'updated', label: t('dash.updated'), cls: 'bar-soft' },
  ];
  const docRows = d.documents.map((m) => ({ label: m.month, short: m.month.slice(2).replace('-', '/'), values: { created: m.created, updated: m.updated } }));
  const thisMonth = d.documents[d.documents.length - 1] || { created: 0, updated: 0 };
  const docChart = h('div', { class: 'chart-host', 'data-chart': 'documents' });
  const bySpace = h('details', { class: 'dash-more' }, h('summary', null, t('dash.bySpace')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, t('dash.month')), h('th', null, t('dash.space')), h('th', null, t('dash.created')), h('th', null, t('dash.updated')))),
      h('tbody', null, d.documents.slice().reverse().flatMap((m) => m.by_space.map((s) => h('tr', null,
        h('td', { class: 'nowrap' }, m.month), h('td', null, spaceName(s.space_id)), h('td', null, s.created), h('td', null, s.updated))))))));
  const docsCard = card(t('dash.documents'),
    h('div', { class: 'dash-stats' },
      stat(t('dash.createdThisMonth'), `${thisMonth.created} / ${d.monthly_target}`),
      stat(t('dash.updatedThisMonth'), thisMonth.updated)),
    docChart, legend([...docSeries, { label: t('dash.target', { n: d.monthly_target }), cls: 'swatch-target' }]), bySpace);

  // Active users.
  const au = d.active_users;
  const lastOf = (a) => (a.length ? a[a.length - 1].users : 0);
  const auChart = h('div', { class: 'chart-host', 'data-chart': 'active' });
  const auCard = card(t('dash.active'),
    h('div', { class: 'dash-stats' },
      stat(t('dash.today'), lastOf(au.daily)), stat(t('dash.thisWeek'), lastOf(au.weekly)), stat(t('dash.thisMonth'), lastOf(au.monthly))),
    auChart, h('p', { class: 'muted small' }, t('dash.activeBasis')));

  // Searches that found nothing.
  const s = d.searches;
  const searchCard = s ? card(t('dash.zero'),
    h('p', { class: 'muted small' }, t('dash.zeroSummary', { total: s.total, zero: s.zero_results, days: s.kept_days })),
    list(s.zero_result_queries.map((z) => h('li', null,
      h('a', { href: '#/search?q=' + enc(z.query) }, z.query),
      h('span', { class: 'dash-count' }, t('dash.times', { n: z.count })))), t('dash.noZero'))) : null;

  const readCard = card(t('dash.mostRead'), list(d.most_read.map((x) => h('li', null,
    h('a', { href: docLink(x) }, x.title),
    h('span', { class: 'muted small' }, spaceName(x.space_id)),
    h('span', { class: 'dash-count' }, t('dash.reads', { n: x.reads })))), t('dash.noReads')));

  const staleCard = card(t('dash.stale', { n: d.stale.total }), list(d.stale.items.map((x) => h('li', null,
    h('a', { href: docLink(x) }, x.title),
    h('span', { class: x.reason === 'review_overdue' ? 'badge badge-rejected' : 'badge badge-pending' },
      x.reason === 'review_overdue' ? t('dash.reviewOverdue', { d: x.review_by }) : t('dash.unchanged', { n: d.stale.months })),
    h('span', { class: 'muted small' }, t('dash.lastChange', { t: formatTime(x.updated_at, getLang()) })))), t('dash.noStale')));

  const r = d.reviews;
  const reviewCard = card(t('dash.reviews'),
    h('div', { class: 'dash-stats' },
      stat(t('dash.median'), hours(r.median_hours)), stat(t('dash.decided'), r.decided),
      stat(t('dash.approvedRejected'), `${r.approved} / ${r.rejected}`), stat(t('dash.pending'), r.pending)),
    r.monthly.length ? h('ul', { class: 'dash-plain' }, r.monthly.map((m) => h('li', null, m.month, '：', t('dash.monthReviews', { n: m.decided, h: hours(m.median_hours) })))) : null);

  const rr = d.required_reading;
  const readingCard = card(t('dash.required'), rr.available
    ? h('div', { class: 'dash-stats' }, stat(t('dash.requiredDone'), `${rr.done} / ${rr.required}`))
    : h('p', { class: 'muted' }, t('dash.requiredNone')));

  // An overdue backup comes first; otherwise the backups close the page.
  append(el, form,
    backups && warning ? backups : null,
    h('div', { class: 'dash-grid' }, docsCard, auCard, searchCard, readCard, staleCard, reviewCard, readingCard),
    backups && !warning ? backups : null);

  barChart(docChart, { rows: docRows, series: docSeries, target: d.monthly_target, targetLabel: t('dash.target', { n: d.monthly_target }), title: t('dash.documents') });
  barChart(auChart, {
    rows: au.daily.map((x) => ({ label: x.date, short: x.date.slice(5).replace('-', '/'), values: { users: x.users } })),
    series: [{ key: 'users', label: t('dash.activeUsers'), cls: 'bar-primary' }],
    title: t('dash.active'),
  });
}

/** #/dashboard: admins and space managers. */
export async function dashboardPage(main, { query }) {
  setTitle(t('dash.title'));
  main.classList.add('main-wide');
  const el = h('div', { class: 'dashboard' });
  append(main, h('h1', { class: 'page-title' }, t('dash.title')), el);
  await renderDashboard(el, query || {}, '#/dashboard');
}

/** The 数据看板 tab of the admin page. */
export async function dashboardTab(el, query) {
  append(el, h('div', { class: 'section-head' }, h('h2', null, t('dash.title'))));
  const body = h('div', { class: 'dashboard' });
  append(el, body);
  await renderDashboard(body, query || {}, '#/admin/dashboard');
}

