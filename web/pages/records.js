// Records of a space: the list of one type, filtered on its top-level fields (status, people,
// dates) and sorted; a project space's home (members, open action items by owner, the latest
// progress tracker as a table and an inline SVG chart, recent minutes and requirements).

import { h, append, formatTime } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { get } from '../api.js';
import { setTitle, setHashQuiet } from '../app.js';
import { styles, recordTypes, keysOf, kindOf, label, showValue, enumTitle, peopleInput } from '../records.js';
import { itemRow } from './todo.js';
import { loadSpaces, spaceName, field, enc, emptyState, errorState, fill, breadcrumbs, roleLabel } from '../ui.js';

const listHref = (space, type) => '#/records?space=' + enc(space) + '&type=' + enc(type);
const when = (iso) => (iso ? h('time', { datetime: iso }, formatTime(iso, getLang())) : null);
const none = (key) => h('p', { class: 'muted empty-line' }, t(key));

/** 新建 links for the record types the caller may create in the space (GET /spaces/ID's record_types_allowed). */
function createLinks(info, types, space) {
  const allowed = (info && info.record_types_allowed) || [];
  return types.filter((x) => allowed.includes(x.type)).map((x) => h('a', { class: 'btn btn-sm', href: '#/new?space=' + enc(space) + '&type=' + enc(x.type) },
    '+ ', t(info.can_create === false ? 'rec.submit' : 'rec.new', { name: x.name })));
}

/** #/records?space=ID&type=TYPE[&field.NAME=VALUE…][&sort=…][&order=…] */
export async function recordsPage(main, { query, alive, signal }) {
  const space = query.space || '';
  let types;
  try { [types] = await Promise.all([recordTypes(), loadSpaces().catch(() => []), styles()]); } catch (e) { append(main, errorState(e)); return; }
  if (!alive()) return;
  const rt = types.find((x) => x.type === query.type) || types[0];
  if (!rt) { append(main, emptyState(t('rec.noTypes'))); return; }
  const props = rt.schema.properties || {};
  const keys = keysOf(rt.schema).filter((k) => ['enum', 'person', 'date'].includes(kindOf(props[k])));
  setTitle(rt.name);
  main.classList.add('main-wide');
  const actions = h('div', { class: 'page-actions' });
  get('/spaces/' + enc(space), null, { signal }).then((info) => { if (alive()) append(actions, createLinks(info, [rt], space)); }, () => {});

  const inputs = [];
  const control = (name, el, node = el) => { el.name = name; inputs.push(el); return node; };
  const filters = keys.map((k) => {
    const p = props[k], name = 'field.' + k, v = query[name] || '', kind = kindOf(p);
    const id = 'rf-' + k;
    let node;
    if (kind === 'enum') node = control(name, h('select', { id }, h('option', { value: '' }, t('rec.any')), p.enum.map((x) => h('option', { value: x, selected: x === v }, enumTitle(p, x)))));
    else if (kind === 'date') node = control(name, h('input', { id, type: 'date', value: v }));
    else { const pi = peopleInput({ value: v, spaceId: () => space, id }); node = control(name, pi.input, pi.el); }
    return h('div', { class: 'field' }, h('label', { for: id }, label(p, k)), node);
  });
  const sortSel = control('sort', h('select', null, h('option', { value: 'recent' }, t('spaces.sortRecent')), h('option', { value: 'title' }, t('spaces.sortTitle')),
    keys.filter((k) => kindOf(props[k]) === 'date').map((k) => h('option', { value: 'field.' + k }, t('rec.sortBy', { label: label(props[k], k) })))));
  const orderSel = control('order', h('select', null, h('option', { value: '' }, '—'), h('option', { value: 'asc' }, t('rec.asc')), h('option', { value: 'desc' }, t('rec.desc'))));
  sortSel.value = query.sort || 'recent';
  orderSel.value = query.order || '';
  const clearBtn = h('button', { class: 'btn btn-quiet', type: 'button' }, t('rec.clear'));
  const bar = h('form', { class: 'rec-filters', role: 'search', 'aria-label': t('rec.filters') },
    filters, field(t('field.sort'), sortSel), field(t('rec.asc') + '/' + t('rec.desc'), orderSel), h('div', { class: 'rec-filter-actions' }, clearBtn));
  const results = h('div', { class: 'card' });

  const load = () => {
    const qs = new URLSearchParams({ space, type: rt.type });
    const params = { space_id: space, type: rt.type };
    for (const i of inputs) {
      const v = i.value.trim();
      if (!v) continue;
      params[i.name] = v;
      if (!(i === sortSel && v === 'recent')) qs.set(i.name, v);
    }
    setHashQuiet('#/records?' + qs);
    return fill(results, async () => {
      const data = await get('/records', params, { signal });
      const list = (data && data.items) || [];
      if (!list.length) return emptyState(t('rec.none'));
      const th = (s) => h('th', null, s);
      return h('div', null, h('p', { class: 'muted small' }, t('rec.count', { n: data.total ?? list.length })),
        h('div', { class: 'table-wrap' }, h('table', { class: 'table rec-table' },
          h('thead', null, h('tr', null, th(t('editor.title')), keys.map((k) => th(label(props[k], k))), th(t('rec.updated')), th(t('rec.author')))),
          h('tbody', null, list.map((r) => h('tr', null,
            h('td', null, h('a', { href: '#/doc/' + enc(r.id) }, r.title || t('doc.untitled'))),
            keys.map((k) => h('td', { class: 'nowrap' }, showValue(props[k], (r.fields || {})[k]))),
            h('td', { class: 'nowrap' }, when(r.updated_at)), h('td', null, r.author_name || '')))))));
    });
  };
  bar.addEventListener('change', load);
  bar.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clearBtn.addEventListener('click', () => { for (const i of inputs) i.value = i === sortSel ? 'recent' : ''; load(); });

  append(main,
    breadcrumbs([[t('spaces.title'), '#/spaces'], [spaceName(space) || t('doc.space'), '#/spaces/' + enc(space)], [t('rec.records')]]),
    h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, rt.name), actions),
    h('nav', { class: 'rec-types', 'aria-label': t('rec.type') }, types.map((x) => h('a', {
      class: ['rec-type-link', x === rt ? 'active' : null], href: listHref(space, x.type), 'aria-current': x === rt ? 'page' : null,
    }, x.name))),
    bar, results);
  await load();
}

/** Links to the record lists of a space (its page's side column). */
export async function recordLinks(space) {
  const [types] = await Promise.all([recordTypes(), styles()]);
  return h('nav', { class: 'rec-links', 'aria-labelledby': 'rec-links-h' }, h('h2', { class: 'side-title', id: 'rec-links-h' }, t('rec.records')),
    h('ul', null, types.map((x) => h('li', null, h('a', { href: listHref(space, x.type) }, x.name)))));
}

function svg(tag, attrs, text) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Tasks by status (a bar each, its count at the end) and the average percent complete (a bar of
 * 0-100), inline SVG with the numbers as text, and the same in words for screen readers.
 */
export function progressChart(tasks, statusProp) {
  const statuses = (statusProp && statusProp.enum) || [...new Set(tasks.map((x) => x.status))];
  const counts = statuses.map((s) => tasks.filter((x) => x.status === s).length);
  const pct = (x) => (typeof x.percent === 'number' ? x.percent : x.status === 'done' ? 100 : 0);
  const avg = tasks.length ? Math.round(tasks.reduce((a, x) => a + pct(x), 0) / tasks.length) : 0;
  const max = Math.max(1, ...counts);
  const W = 360, L = 92, bw = 224, H = 14 + (statuses.length + 1) * 30;
  const words = t('proj.chartLabel', { parts: statuses.map((s, i) => enumTitle(statusProp, s) + ' ' + counts[i]).join('、'), avg });
  const el = svg('svg', { class: 'chart proj-chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': words });
  el.append(svg('title', null, words));
  const bar = (i, cls, name, width, value, data) => {
    const y = 8 + i * 30;
    const g = svg('g', data);
    g.append(svg('text', { class: 'proj-label', x: L - 8, y: y + 17, 'text-anchor': 'end' }, name),
      svg('rect', { class: 'proj-track', x: L, y: y + 4, width: bw, height: 18, rx: 3 }),
      svg('rect', { class: 'chart-bar ' + cls, x: L, y: y + 4, width: Math.round(width), height: 18, rx: 3 }),
      svg('text', { class: 'proj-value', x: L + bw + 6, y: y + 17 }, value));
    el.append(g);
  };
  statuses.forEach((s, i) => bar(i, 'proj-st-' + s, enumTitle(statusProp, s), bw * counts[i] / max, counts[i], { class: 'proj-bar', 'data-status': s }));
  bar(statuses.length, 'proj-pct', t('proj.avg'), bw * avg / 100, avg + '%', { class: 'proj-avg' });
  return h('div', { class: 'chart-host' }, el);
}

/** A project space's home, above its documents; each card fills as its answer comes. */
export async function projectHome(space, { alive, signal }) {
  const [types] = await Promise.all([recordTypes(), styles()]);
  const id = space.id;
  const schemaOf = (type) => ((types.find((r) => r.type === type) || {}).schema || { properties: {} });
  const recs = (type, n) => get('/records', { space_id: id, type, sort: 'recent' }, { signal }).then((d) => ((d && d.items) || []).slice(0, n));
  const box = {};
  const card = (key, title, type) => {
    box[key] = h('div');
    const more = type ? h('a', { class: 'link-btn', href: type === 'todo' ? '#/todo' : listHref(id, type) }, type === 'todo' ? t('nav.todo') : t('common.more')) : null;
    return h('section', { class: 'card', id: 'proj-' + key, 'aria-labelledby': 'proj-' + key + '-h' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title', id: 'proj-' + key + '-h' }, title), more), box[key]);
  };
  const actions = h('div', { class: 'proj-actions' });
  const el = h('div', { class: 'proj-home' }, actions, h('div', { class: 'proj-grid' },
    h('div', null, card('progress', t('proj.progress'), 'progress-tracker'), card('reqs', t('proj.requirements'), 'requirement')),
    h('div', null, card('items', t('proj.openItems'), 'todo'), card('minutes', t('proj.minutes'), 'meeting-minutes'), card('members', t('proj.members')))));
  get('/spaces/' + enc(id), null, { signal }).then((info) => { if (alive()) append(actions, createLinks(info, types, id)); }, () => {});

  const recordList = (list, type, extra) => (list.length ? h('ul', { class: 'doc-list' }, list.map((r) => h('li', { class: 'doc-row' },
    h('a', { class: 'doc-row-title', href: '#/doc/' + enc(r.id) }, r.title || t('doc.untitled')),
    h('div', { class: 'doc-row-meta' }, (r.fields || {})[extra] ? h('span', { class: 'badge' }, showValue(schemaOf(type).properties[extra], r.fields[extra])) : null,
      h('span', null, r.author_name || ''), when(r.updated_at))))) : none('proj.noneYet'));
  // The members, also to name the people in the tracker's rows.
  const members = get('/spaces/' + enc(id) + '/members', null, { signal }).then((r) => (r && r.items) || []);
  fill(box.members, async () => {
    const list = await members;
    return list.length ? h('ul', { class: 'proj-members' }, list.map((m) => h('li', null,
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, (m.display_name || m.username).slice(0, 1)),
      m.display_name || m.username, m.role ? h('span', { class: 'muted small' }, roleLabel(m.role)) : null))) : none('common.none');
  });
  fill(box.items, async () => {
    const list = ((await get('/action-items', { assignee: 'all', space_id: id, status: 'open' }, { signal })) || {}).items || [];
    const groups = new Map();
    for (const it of list) {
      if (!groups.has(it.assignee)) groups.set(it.assignee, { name: it.assignee_name || it.assignee || t('common.none'), items: [] });
      groups.get(it.assignee).items.push(it);
    }
    return list.length ? [...groups.values()].map((g) => h('div', { class: 'proj-owner' },
      h('h3', null, g.name, h('span', { class: 'count count-inline' }, String(g.items.length))),
      h('ul', { class: 'todo-list' }, g.items.map((it) => itemRow(it, { readOnly: true, space: false }))))) : none('proj.noItems');
  });
  fill(box.progress, async () => {
    const [[latest], people] = await Promise.all([recs('progress-tracker', 1), members.catch(() => [])]);
    if (!latest) return none('proj.noTracker');
    const taskP = schemaOf('progress-tracker').properties.tasks?.items || { properties: {} };
    const tp = taskP.properties;
    const tasks = (latest.fields && latest.fields.tasks) || [];
    const cols = keysOf(taskP).filter((k) => k !== 'depends_on');
    const cell = (k, x) => (kindOf(tp[k]) === 'person' ? (people.find((m) => m.username === x[k]) || {}).display_name || x[k] : k === 'percent' && x[k] !== undefined ? x[k] + '%' : showValue(tp[k], x[k]));
    return h('div', null,
      h('p', { class: 'muted small' }, h('a', { href: '#/doc/' + enc(latest.id) }, t('proj.source', { title: latest.title })), ' · ', t('proj.tasks', { n: tasks.length }), ' · ', when(latest.updated_at)),
      progressChart(tasks, tp.status),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table proj-tasks' },
        h('thead', null, h('tr', null, cols.map((k) => h('th', { class: k === 'percent' ? 'num' : null }, label(tp[k], k))))),
        h('tbody', null, tasks.map((x) => h('tr', null, cols.map((k) => h('td', { class: k === 'percent' ? 'num' : k === 'due' ? 'nowrap' : null }, cell(k, x)))))))));
  });
  fill(box.minutes, async () => recordList(await recs('meeting-minutes', 5), 'meeting-minutes', 'date'));
  fill(box.reqs, async () => recordList(await recs('requirement', 5), 'requirement', 'status'));
  return el;
}
