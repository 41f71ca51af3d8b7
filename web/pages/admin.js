import { h, append, clear, toast, formatTime, fullTime, confirmDialog } from '../dom.js';
import { t, getLang, has } from '../i18n.js';
import { get, post, put, patch, getOptional, items, ApiError } from '../api.js';
import { setTitle, navigate } from '../app.js';
import { robotsCard } from '../robots.js';
import {
  isAdmin, userName, reportError, errorMessage, enc, errorState, emptyState, fill, field, loadSpaces, loadCategories,
  categoryTree, principalLabel, roleLabel, loading,
} from '../ui.js';

const TABS = ['users', 'groups', 'spaces', 'policies', 'words', 'synonyms', 'audit', 'dashboard'];
const ROLES = ['reader', 'editor', 'reviewer', 'manager'];
const KINDS = ['employee', 'intern', 'external'];

let directory = { users: [], groups: [], types: [] };
async function loadDirectory() {
  const [u, g, rt] = await Promise.all([getOptional('/users', null, []), getOptional('/groups', null, []), getOptional('/record-types', null, [])]);
  directory = { users: items(u), groups: items(g), types: items(rt) };
  return directory;
}

function principalOptions(selected) {
  const opts = [h('option', { value: 'everyone', selected: selected === 'everyone' }, t('grants.everyone'))];
  if (directory.groups.length) opts.push(h('optgroup', { label: t('admin.groups') }, directory.groups.map((g) => h('option', { value: 'group:' + g.id, selected: selected === 'group:' + g.id }, g.name))));
  if (directory.users.length) opts.push(h('optgroup', { label: t('admin.users') }, directory.users.map((u) => h('option', { value: 'user:' + u.id, selected: selected === 'user:' + u.id }, userName(u) + (u.username && u.display_name ? ` (${u.username})` : '')))));
  if (selected && !opts.some((o) => o.value === selected) && !directory.users.some((u) => 'user:' + u.id === selected) && !directory.groups.some((g) => 'group:' + g.id === selected)) {
    opts.push(h('option', { value: selected, selected: true }, selected));
  }
  return opts;
}

/** Rows of principal + role. Returns {el, value()}. */
function grantsEditor(initial) {
  const rows = h('div', { class: 'grant-rows' });
  const addRow = (g) => {
    const p = h('select', { 'aria-label': t('grants.principal') }, principalOptions(g ? g.principal : 'everyone'));
    const r = h('select', { 'aria-label': t('grants.role') }, ROLES.map((x) => h('option', { value: x, selected: g && g.role === x }, roleLabel(x))));
    // Record types this principal may also submit here (an external guest filing 需求登记).
    const kept = new Set((g && g.record_types) || []);
    const boxes = directory.types.map((x) => h('input', { type: 'checkbox', value: x.type, checked: kept.has(x.type) }));
    const count = h('span', { class: 'grant-rt-count' });
    const recount = () => { const n = boxes.filter((b) => b.checked).length; count.textContent = n ? ' (' + n + ')' : ''; };
    recount();
    const rt = boxes.length ? h('details', { class: 'grant-rt' },
      h('summary', null, t('grants.recordTypes'), count),
      ...directory.types.map((x, i) => h('label', { class: 'check' }, boxes[i], ' ', x.name))) : null;
    rt?.addEventListener('change', recount);
    const row = h('div', { class: 'grant-row' }, p, r, rt, h('button', { class: 'btn btn-sm btn-quiet', type: 'button', 'aria-label': t('common.remove'), onclick: () => row.remove() }, '✕'));
    row._value = () => {
      const types = boxes.filter((b) => b.checked).map((b) => b.value);
      // Types a record grant named that this server no longer knows are kept as they were.
      for (const k of kept) if (!directory.types.some((x) => x.type === k)) types.push(k);
      return types.length ? { principal: p.value, role: r.value, record_types: types } : { principal: p.value, role: r.value };
    };
    append(rows, row);
    return row;
  };
  for (const g of initial || []) addRow(g);
  const el = h('div', { class: 'grants-editor' }, rows,
    h('button', { class: 'btn btn-sm', type: 'button', onclick: () => addRow(null).querySelector('select').focus() }, '+ ', t('grants.add')));
  return { el, value: () => [...rows.children].map((r) => r._value()) };
}

function table(head, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('thead', null, h('tr', null, head.map((x) => h('th', null, x)))),
    h('tbody', null, rows)));
}

function unavailable(e) {
  if (e instanceof ApiError && e.unavailable) return emptyState(t('common.unavailable'));
  throw e;
}

// ---- users -------------------------------------------------------------------------------------

function userDialog(user, onDone) {
  const isNew = !user;
  const username = h('input', { value: user ? user.username : '', required: true, disabled: !isNew, autocomplete: 'off' });
  const display = h('input', { value: user ? user.display_name || '' : '' });
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: isNew });
  const kind = h('select', null, KINDS.map((k) => h('option', { value: k, selected: user ? user.kind === k : k === 'employee' }, t('users.kind.' + k))));
  const expires = h('input', { type: 'date', value: user && user.expires_at ? String(user.expires_at).slice(0, 10) : '' });
  const admin = h('input', { type: 'checkbox', checked: !!(user && user.is_admin) });
  const groupBoxes = directory.groups.map((g) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: g.id, checked: !!(user && (user.groups || []).includes(g.id)) }), ' ', g.name));
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const dlg = h('dialog', { class: 'dialog dialog-wide' });
  const form = h('form', { class: 'stack-form' },
    h('h2', { class: 'dialog-title' }, isNew ? t('users.new') : userName(user)),
    h('div', { class: 'form-grid' },
      field(t('users.username'), username), field(t('users.displayName'), display),
      field(isNew ? t('users.password') : t('users.newPassword'), password),
      field(t('users.kind'), kind), field(t('users.expires'), expires)),
    h('label', { class: 'check' }, admin, ' ', t('users.admin')),
    groupBoxes.length ? h('fieldset', { class: 'checks' }, h('legend', null, t('users.groups')), groupBoxes) : null,
    err,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'btn', type: 'button', onclick: () => dlg.close() }, t('common.cancel')),
      h('button', { class: 'btn btn-primary', type: 'submit' }, t('common.save'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    const body = {
      display_name: display.value.trim(), kind: kind.value, is_admin: admin.checked,
      expires_at: expires.value ? new Date(expires.value + 'T23:59:59').toISOString() : null,
      groups: groupBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
    };
    if (password.value) body.password = password.value;
    try {
      if (isNew) {
        if (!username.value.trim() || !password.value) { err.textContent = t('users.username') + ' / ' + t('users.password'); err.hidden = false; return; }
        await post('/users', { username: username.value.trim(), ...body });
        toast(t('users.created', { name: username.value.trim() }), 'success');
      } else {
        await patch('/users/' + enc(user.id), body);
        toast(t('users.updated'), 'success');
      }
      dlg.close();
      onDone();
    } catch (ex) { err.textContent = errorMessage(ex); err.hidden = false; }
  });
  append(dlg, form);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

async function usersTab(el) {
  const reload = () => usersTab(clear(el));
  append(el, loading());
  let users;
  try { await loadDirectory(); users = items(await get('/users')); } catch (e) { clear(el).append(unavailable(e)); return; }
  const groupName = (id) => (directory.groups.find((g) => g.id === id) || {}).name || id;
  clear(el).append(
    h('div', { class: 'section-head' }, h('h2', null, t('admin.users')),
      h('button', { class: 'btn btn-primary', type: 'button', onclick: () => userDialog(null, reload) }, '+ ', t('users.new'))),
    h('div', { class: 'card card-flush' }, table([t('users.username'), t('users.displayName'), t('users.kind'), t('users.groups'), t('users.status'), ''],
      users.map((u) => h('tr', { class: u.disabled ? 'row-muted' : null },
        h('td', null, h('strong', null, u.username), u.is_admin ? h('span', { class: 'badge badge-soft' }, t('users.admin')) : null),
        h('td', null, u.display_name || ''),
        h('td', null, t('users.kind.' + (u.kind || 'employee')), u.expires_at ? h('div', { class: 'muted small' }, t('users.expires'), ' ', String(u.expires_at).slice(0, 10)) : null),
        h('td', null, (u.groups || []).map(groupName).join('、')),
        h('td', null, u.disabled ? h('span', { class: 'badge badge-rejected' }, t('users.disabled')) : h('span', { class: 'badge badge-published' }, t('users.active'))),
        h('td', { class: 'row-actions' },
          h('button', { class: 'btn btn-sm', type: 'button', onclick: () => userDialog(u, reload) }, t('common.edit')),
          h('button', { class: 'btn btn-sm btn-quiet', type: 'button', onclick: async () => {
            const off = !u.disabled;
            const name = userName(u);
            if (!await confirmDialog({
              title: off ? t('users.disableTitle') : t('users.enableTitle'),
              message: off ? t('users.disableConfirm', { name }) : t('users.enableConfirm', { name }),
              ok: off ? t('users.disable') : t('users.enable'), cancel: t('common.cancel'), danger: off,
            })) return;
            try { await patch('/users/' + enc(u.id), { disabled: off }); toast(t('users.updated'), 'success'); reload(); } catch (e) { reportError(e); }
          } }, u.disabled ? t('users.enable') : t('users.disable'))))))));
}

// ---- groups ------------------------------------------------------------------------------------

async function groupsTab(el, sub) {
  const reload = (id) => navigate('#/admin/groups' + (id ? '?group=' + enc(id) : ''), { replace: true });
  append(el, loading());
  try { await loadDirectory(); } catch (e) { clear(el).append(unavailable(e)); return; }
  const name = h('input', { required: true, maxlength: 80, 'aria-label': t('common.name') });
  const form = h('form', { class: 'inline-form' }, name, h('button', { class: 'btn btn-primary', type: 'submit' }, '+ ', t('groups.new')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) return;
    try { const g = await post('/groups', { name: name.value.trim() }); toast(t('groups.created'), 'success'); reload(g && g.id); } catch (ex) { reportError(ex); }
  });
  const selected = directory.groups.find((g) => g.id === sub.group) || directory.groups[0];
  const editor = h('div');
  if (selected) {
    const members = new Set(selected.members || directory.users.filter((u) => (u.groups || []).includes(selected.id)).map((u) => u.id));
    const boxes = directory.users.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: u.id, checked: members.has(u.id) }), ' ', userName(u), u.display_name ? h('span', { class: 'muted small' }, ' ', u.username) : null));
    append(editor, h('h3', null, selected.name, ' · ', t('groups.members')),
      h('fieldset', { class: 'checks checks-grid' }, h('legend', { class: 'sr-only' }, t('groups.members')), boxes),
      h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
        const ids = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        try { await put(`/groups/${enc(selected.id)}/members`, { members: ids }); toast(t('groups.membersSaved'), 'success'); } catch (e) { reportError(e); }
      } }, t('groups.saveMembers'))));
  }
  clear(el).append(
    h('div', { class: 'section-head' }, h('h2', null, t('admin.groups')), form),
    directory.groups.length ? h('div', { class: 'two-col' },
      h('nav', { class: 'side list-nav' }, h('ul', null, directory.groups.map((g) => h('li', null,
        h('a', { href: '#/admin/groups?group=' + enc(g.id), class: g === selected ? 'active' : null }, g.name,
          h('span', { class: 'muted small' }, ' ', String((g.members || directory.users.filter((u) => (u.groups || []).includes(g.id))).length))))))),
      h('div', { class: 'col-main' }, editor)) : emptyState(t('groups.none')));
}

// ---- spaces, categories, grants -----------------------------------------------------------------

async function spacesTab(el, sub) {
  append(el, loading());
  let spaces;
  try { [spaces] = await Promise.all([loadSpaces(true), loadDirectory()]); } catch (e) { clear(el).append(unavailable(e)); return; }
  const space = spaces.find((s) => s.id === sub.space) || spaces[0];
  const pick = h('select', { 'aria-label': t('grants.pickSpace') }, spaces.map((s) => h('option', { value: s.id, selected: s === space }, s.name)));
  pick.addEventListener('change', () => navigate('#/admin/spaces?space=' + enc(pick.value), { replace: true }));
  clear(el).append(h('div', { class: 'section-head' }, h('h2', null, t('admin.spaces')), spaces.length ? pick : null,
    h('a', { class: 'btn', href: '#/spaces' }, '+ ', t('spaces.new'))));
  if (!space) { append(el, emptyState(t('spaces.noSpaces'))); return; }
  let full = space;
  try { full = { ...space, ...(await get('/spaces/' + enc(space.id))) }; } catch { /* list entry is enough */ }
  const ge = grantsEditor(full.grants || []);
  append(el, h('section', { class: 'card' },
    h('h3', null, t('grants.spaceGrants', { name: space.name })), ge.el,
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
      try { await put(`/spaces/${enc(space.id)}/grants`, ge.value()); toast(t('grants.saved'), 'success'); } catch (e) { reportError(e); }
    } }, t('grants.save')))));

  const robots = await robotsCard(space);
  if (robots) append(el, robots);

  const cats = await loadCategories(space.id, true).catch(() => []);
  const cat = cats.find((c) => c.id === sub.category);
  const tree = (nodes) => h('ul', null, nodes.map((n) => h('li', null,
    h('a', { href: '#/admin/spaces?' + new URLSearchParams({ space: space.id, category: n.id }), class: n === cat || n.id === (cat && cat.id) ? 'active' : null }, n.name),
    n.children.length ? tree(n.children) : null)));
  const catPanel = h('div', { class: 'col-main' });
  if (cat) {
    const inherit = h('input', { type: 'checkbox', checked: cat.inherit !== false });
    const cge = grantsEditor(cat.grants || []);
    append(catPanel, h('h3', null, t('grants.categoryGrants', { name: cat.name })),
      h('label', { class: 'check' }, inherit, ' ', t('grants.inherit')), cge.el,
      h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
        try { await put(`/categories/${enc(cat.id)}/grants`, { inherit: inherit.checked, grants: cge.value() }); toast(t('grants.saved'), 'success'); } catch (e) { reportError(e); }
      } }, t('grants.save'))));
  } else append(catPanel, h('p', { class: 'muted' }, t('grants.pickCategory')));
  append(el, h('section', { class: 'card' }, h('h3', null, t('spaces.categories')),
    cats.length ? h('div', { class: 'two-col' }, h('nav', { class: 'side cat-tree' }, tree(categoryTree(cats))), catPanel) : emptyState(t('spaces.noDocs'))));
}

// ---- review policies ---------------------------------------------------------------------------

/**
 * A searchable people picker (hundreds of accounts): a filter box over the list, the chosen ones
 * as chips that stay in view whatever the filter shows. Typing with a pinyin IME filters only on
 * the committed word. The element answers `selectedOptions` like the list it wraps.
 */
function principalMulti(selected) {
  const sel = h('select', { multiple: true, size: 6, 'aria-label': t('policy.reviewers') }, principalOptions(null));
  for (const o of sel.querySelectorAll('option')) o.selected = (selected || []).includes(o.value);
  const filter = h('input', { type: 'search', class: 'picker-filter', placeholder: t('picker.filter'), 'aria-label': t('picker.filter') });
  const chips = h('div', { class: 'picker-chips', 'aria-live': 'polite' });
  const showChips = () => {
    clear(chips);
    const chosen = [...sel.selectedOptions];
    if (!chosen.length) append(chips, h('span', { class: 'muted' }, t('picker.none')));
    for (const o of chosen) {
      append(chips, h('span', { class: 'chip' }, o.textContent,
        h('button', { type: 'button', class: 'chip-x', 'aria-label': t('common.remove') + ' ' + o.textContent, onclick: () => { o.selected = false; showChips(); } }, '✕')));
    }
  };
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    for (const o of sel.querySelectorAll('option')) {
      const hit = !q || o.textContent.toLowerCase().includes(q) || o.value.toLowerCase().includes(q);
      o.hidden = !hit && !o.selected;
    }
  };
  filter.addEventListener('input', (e) => { if (!e.isComposing) apply(); });
  filter.addEventListener('compositionend', apply);
  sel.addEventListener('change', showChips);
  showChips();
  const wrap = h('div', { class: 'picker' }, filter, sel, chips);
  Object.defineProperty(wrap, 'selectedOptions', { get: () => sel.selectedOptions });
  return wrap;
}

function policyEditor(title, policy, save) {
  const wrap = h('div');
  const stagesEl = h('ol', { class: 'policy-stages' });
  const addStage = (s) => {
    const n = stagesEl.children.length + 1;
    const name = h('input', { value: s ? s.name : t('policy.stageDefault', { n }), 'aria-label': t('policy.stageName') });
    const reviewers = principalMulti(s ? s.reviewers : []);
    const quorum = h('select', { 'aria-label': t('policy.quorum') },
      h('option', { value: 'any', selected: !s || s.quorum !== 'all' }, t('reviews.quorum.any')),
      h('option', { value: 'all', selected: s && s.quorum === 'all' }, t('reviews.quorum.all')));
    const li = h('li', { class: 'policy-stage card-inner' },
      h('div', { class: 'form-grid' }, field(t('policy.stageName'), name), field(t('policy.quorum'), quorum)),
      field(t('policy.reviewers'), reviewers),
      h('button', { class: 'btn btn-sm btn-quiet', type: 'button', onclick: () => li.remove() }, t('common.remove')));
    li._value = () => ({ name: name.value.trim() || t('policy.stageDefault', { n }), reviewers: [...reviewers.selectedOptions].map((o) => o.value), quorum: quorum.value });
    append(stagesEl, li);
    return name;
  };
  for (const s of (policy && policy.stages) || []) addStage(s);
  // A refused policy (e.g. a reviewer who cannot read here) stays on screen with the server's reason.
  const err = h('div', { class: 'form-error policy-error', role: 'alert', hidden: true });
  append(wrap, h('h3', null, title),
    !(policy && policy.stages && policy.stages.length) ? h('p', { class: 'muted' }, t('policy.none')) : null,
    stagesEl, err,
    h('div', { class: 'form-actions' },
      h('button', { class: 'btn', type: 'button', onclick: () => addStage(null).focus() }, '+ ', t('policy.addStage')),
      h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
        err.hidden = true;
        try { await save({ stages: [...stagesEl.children].map((li) => li._value()) }); toast(t('policy.saved'), 'success'); } catch (e) {
          if (e instanceof ApiError && e.code === 'invalid_input') {
            // The reason in the UI's language; the server's own words (principal ids) under 详细信息.
            clear(err).append(t('policy.refused', { message: errorMessage(e) }),
              h('details', { class: 'error-detail' }, h('summary', null, t('common.details')), e.message));
            if (e.body && e.body.field) err.dataset.field = e.body.field;
            err.hidden = false;
          }
          reportError(e);
        }
      } }, t('policy.save'))));
  return wrap;
}

async function policiesTab(el, sub) {
  append(el, loading());
  let spaces;
  try { [spaces] = await Promise.all([loadSpaces(true), loadDirectory()]); } catch (e) { append(clear(el), unavailable(e)); return; }
  const space = spaces.find((s) => s.id === sub.space) || spaces[0];
  if (!space) { append(clear(el), h('div', { class: 'section-head' }, h('h2', null, t('admin.policies'))), emptyState(t('spaces.noSpaces'))); return; }
  const cats = await loadCategories(space.id, true).catch(() => []);
  const cat = cats.find((c) => c.id === sub.category);
  const spaceSel = h('select', { 'aria-label': t('editor.space') }, spaces.map((s) => h('option', { value: s.id, selected: s === space }, s.name)));
  spaceSel.addEventListener('change', () => navigate('#/admin/policies?space=' + enc(spaceSel.value), { replace: true }));
  const tree = (nodes) => h('ul', null, nodes.map((n) => h('li', null,
    h('a', { href: '#/admin/policies?' + new URLSearchParams({ space: space.id, category: n.id }), class: cat && n.id === cat.id ? 'active' : null }, n.name),
    n.children.length ? tree(n.children) : null)));
  const panel = h('div', { class: 'col-main' });
  append(clear(el), h('div', { class: 'section-head' }, h('h2', null, t('admin.policies')), spaceSel),
    h('div', { class: 'card' }, h('div', { class: 'two-col' },
      h('nav', { class: 'side cat-tree' },
        h('a', { href: '#/admin/policies?space=' + enc(space.id), class: ['cat-all', !cat ? 'active' : null] }, t('policy.spaceDefault')),
        tree(categoryTree(cats))),
      panel)));
  if (!cat) {
    let full = space;
    try { full = await get('/spaces/' + enc(space.id)); } catch { /* keep the list entry */ }
    append(panel, h('p', { class: 'muted small' }, t('policy.spaceLead')),
      policyEditor(t('policy.title', { name: space.name }), full.review_policy, (body) => put(`/spaces/${enc(space.id)}/review-policy`, body)));
    return;
  }
  let policy = cat.review_policy || null;
  if (!policy) { try { policy = (await get('/categories/' + enc(cat.id))).review_policy || null; } catch { policy = null; } }
  append(panel, policyEditor(t('policy.title', { name: cat.name }), policy, (body) => put(`/categories/${enc(cat.id)}/review-policy`, body)));
}

// ---- sensitive words, synonyms -----------------------------------------------------------------

async function wordsTab(el) {
  await fill(el, async () => {
    let data;
    try { data = await get('/admin/sensitive-words'); } catch (e) { return unavailable(e); }
    const rows = h('div', { class: 'word-rows' });
    const addRow = (w) => {
      const word = h('input', { value: w ? w.word : '', 'aria-label': t('words.word') });
      const action = h('select', { 'aria-label': t('words.action') },
        h('option', { value: 'block', selected: !w || w.action !== 'flag' }, t('words.block')),
        h('option', { value: 'flag', selected: w && w.action === 'flag' }, t('words.flag')));
      const row = h('div', { class: 'grant-row' }, word, action, h('button', { class: 'btn btn-sm btn-quiet', type: 'button', 'aria-label': t('common.remove'), onclick: () => row.remove() }, '✕'));
      row._value = () => ({ word: word.value.trim(), action: action.value });
      append(rows, row);
      return word;
    };
    for (const w of (data && data.words) || items(data)) addRow(typeof w === 'string' ? { word: w, action: 'block' } : w);
    return h('div', null, h('div', { class: 'section-head' }, h('h2', null, t('words.title'))),
      h('p', { class: 'muted' }, t('words.lead')),
      h('div', { class: 'card' }, rows,
        h('div', { class: 'form-actions' },
          h('button', { class: 'btn', type: 'button', onclick: () => addRow(null).focus() }, '+ ', t('words.add')),
          h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
            const words = [...rows.children].map((r) => r._value()).filter((w) => w.word);
            try { await put('/admin/sensitive-words', { words }); toast(t('words.saved'), 'success'); } catch (e) { reportError(e); }
          } }, t('words.save')))));
  });
}

async function synonymsTab(el) {
  await fill(el, async () => {
    let data;
    try { data = await get('/admin/synonyms'); } catch (e) { return unavailable(e); }
    const groups = (data && data.groups) || [];
    const ta = h('textarea', { class: 'code-input', rows: 14, 'aria-label': t('syn.title'), spellcheck: 'false' });
    ta.value = groups.map((g) => g.join(', ')).join('\n');
    return h('div', null, h('div', { class: 'section-head' }, h('h2', null, t('syn.title'))),
      h('p', { class: 'muted' }, t('syn.lead')),
      h('div', { class: 'card' }, ta, h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
        const gs = ta.value.split('\n').map((l) => l.split(/[,，、]/).map((x) => x.trim()).filter(Boolean)).filter((g) => g.length > 1);
        try { await put('/admin/synonyms', { groups: gs }); toast(t('syn.saved'), 'success'); } catch (e) { reportError(e); }
      } }, t('syn.save')))));
  });
}

// ---- audit -------------------------------------------------------------------------------------

/** Names for the ids an audit event carries: people, departments, spaces, and what events named. */
function auditNames(spaces, cats = []) {
  const known = new Map();
  const short = (id) => String(id).slice(0, 8) + '…';
  const nameOf = (kind, id) => {
    if (kind === 'user') { const u = directory.users.find((x) => x.id === id); return u ? userName(u) + (u.username && u.display_name && u.display_name !== u.username ? ` (${u.username})` : '') : null; }
    if (kind === 'group') { const g = directory.groups.find((x) => x.id === id); return g ? g.name : null; }
    if (kind === 'space') { const s = spaces.find((x) => x.id === id); return s ? s.name : null; }
    if (kind === 'category') { const c = cats.find((x) => x.id === id); return c ? c.name : null; }
    if (kind === 'settings' && has('audit.settings.' + id)) return t('audit.settings.' + id);
    return null;
  };
  const api = {
    remember(target, name) { if (!known.has(target)) known.set(target, name); },
    known(target) { return known.get(target) || null; },
    /** "user:<id>" / "group:<id>" / "everyone" as a name. */
    principal(p, fallback) {
      if (p === 'everyone') return t('grants.everyone');
      const [kind, ...rest] = String(p).split(':');
      const id = rest.join(':');
      return nameOf(kind, id) || known.get(p) || fallback || short(id || p);
    },
    /** "document:<id>" as 文档「标题」, linked where it can be opened. */
    target(target) {
      if (!target) return '';
      const [kind, ...rest] = String(target).split(':');
      const id = rest.join(':');
      const label = has('kind.' + kind) ? t('kind.' + kind) : kind;
      const name = nameOf(kind, id) || known.get(target);
      const text = name ? `${label}「${name}」` : `${label} ${short(id)}`;
      if (kind === 'document') return h('a', { href: '#/doc/' + enc(id), title: id }, text);
      if (kind === 'review') return h('a', { href: '#/reviews/' + enc(id), title: id }, text);
      if (kind === 'space') return h('a', { href: '#/spaces/' + enc(id), title: id }, text);
      return h('span', { title: id }, text);
    },
    space(id) { return nameOf('space', id) || short(id); },
  };
  return api;
}

/** An event's details as 键：值 pairs in words, not JSON. */
function auditDetail(d, names) {
  if (d === undefined || d === null) return '';
  if (typeof d !== 'object') return String(d);
  const sep = getLang() === 'en' ? ', ' : '、';
  const value = (k, v) => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    if (k === 'space_id') return names.space(v);
    if (k === 'doc_id') return names.target('document:' + v);
    if (k === 'stage' && typeof v === 'number') return t('policy.stageDefault', { n: v + 1 });
    if (k === 'superseded' && typeof v === 'string') return names.target('review:' + v);
    if (k === 'fields' && Array.isArray(v)) return v.map((f) => (has('dkey.' + f) ? t('dkey.' + f) : f)).join(sep);
    if (k === 'grants' && Array.isArray(v)) return v.map((g) => names.principal(g.principal) + '：' + roleLabel(g.role)).join(sep) || '—';
    if (k === 'members' && Array.isArray(v)) return v.map((m) => names.principal(String(m).includes(':') ? m : 'user:' + m)).join(sep);
    if (k === 'kind' && has('users.kind.' + v)) return t('users.kind.' + v);
    if (k === 'policy' && typeof v === 'object') {
      const stages = (v && v.stages) || [];
      return stages.length ? stages.map((st, i) => `${st.name || t('policy.stageDefault', { n: i + 1 })}（${t('reviews.quorum.' + (st.quorum === 'all' ? 'all' : 'any'))}：${(st.reviewers || []).map((p) => names.principal(p)).join(sep)}）`).join(' → ') : t('common.none');
    }
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(sep);
    if (typeof v === 'object') return Object.entries(v).map(([a, b]) => `${has('dkey.' + a) ? t('dkey.' + a) : a} ${typeof b === 'object' ? JSON.stringify(b) : b}`).join(sep);
    return String(v);
  };
  return h('span', { class: 'audit-detail' }, Object.entries(d).map(([k, v]) =>
    h('span', { class: 'audit-kv' }, h('span', { class: 'audit-k' }, (has('dkey.' + k) ? t('dkey.' + k) : k) + '：'), value(k, v))));
}

async function auditTab(el, sub) {
  const PAGE = 50;
  const offset = Math.max(0, +sub.offset || 0);
  const actor = h('input', { value: sub.actor || '', 'aria-label': t('audit.actor') });
  const action = h('input', { value: sub.action || '', 'aria-label': t('audit.action') });
  const since = h('input', { type: 'date', value: sub.since ? String(sub.since).slice(0, 10) : '', 'aria-label': t('audit.since') });
  const qs = (o) => '#/admin/audit?' + new URLSearchParams(Object.entries({ actor: actor.value.trim(), action: action.value.trim(), since: since.value, ...o }).filter(([, v]) => v)).toString();
  const form = h('form', { class: 'filter-bar' }, field(t('audit.actor'), actor), field(t('audit.action'), action), field(t('audit.since'), since),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('audit.filter')));
  form.addEventListener('submit', (e) => { e.preventDefault(); navigate(qs({})); });
  const body = h('div');
  append(el, h('div', { class: 'section-head' }, h('h2', null, t('audit.title'))), form, h('div', { class: 'card' }, body));
  await fill(body, async () => {
    let data;
    try {
      data = await get('/audit', { actor: sub.actor, action: sub.action, since: sub.since ? new Date(sub.since + 'T00:00:00').toISOString() : undefined, limit: PAGE, offset });
    } catch (e) { return unavailable(e); }
    const list = items(data);
    if (!list.length) return emptyState(t('audit.none'));
    await loadDirectory().catch(() => directory);
    const spaces = await loadSpaces().catch(() => []);
    const cats = (await Promise.all(spaces.slice(0, 30).map((s) => loadCategories(s.id).catch(() => [])))).flat();
    const names = auditNames(spaces, cats);
    for (const ev of list) {
      const d = ev.detail;
      if (d && typeof d === 'object' && ev.target && d.name) names.remember(ev.target, d.name);
      if (d && typeof d === 'object' && ev.target && d.title) names.remember(ev.target, d.title);
      if (d && typeof d === 'object' && ev.target && d.username) names.remember(ev.target, d.username);
    }
    // A review is named by its document.
    for (const ev of list) {
      const d = ev.detail;
      if (d && typeof d === 'object' && d.doc_id && String(ev.target).startsWith('review:')) {
        const title = names.known('document:' + d.doc_id);
        if (title) names.remember(ev.target, title);
      }
    }
    const detail = (ev) => auditDetail(ev.detail ?? ev.details ?? ev.data, names);
    return h('div', null, table([t('common.time'), t('audit.actor'), t('audit.action'), t('audit.target'), t('audit.detail')],
      list.map((ev) => h('tr', null,
        h('td', { class: 'nowrap small' }, h('time', { datetime: ev.at || ev.created_at }, fullTime(ev.at || ev.created_at || ev.time))),
        h('td', null, names.principal('user:' + ev.actor, ev.actor_name)),
        h('td', { title: ev.action || '' }, has('act.' + ev.action) ? t('act.' + ev.action) : h('code', null, ev.action || ''),
          ev.outcome && ev.outcome !== 'ok' ? h('span', { class: 'badge badge-rejected' }, has('outcome.' + ev.outcome) ? t('outcome.' + ev.outcome) : ev.outcome) : null),
        h('td', { class: 'cell-wrap' }, names.target(ev.target || ev.object || '')),
        h('td', { class: 'cell-wrap muted small' }, detail(ev))))),
    h('div', { class: 'pager' },
      offset > 0 ? h('a', { class: 'btn btn-sm', href: qs({ offset: Math.max(0, offset - PAGE) || '' }) }, t('common.prev')) : null,
      list.length >= PAGE ? h('a', { class: 'btn btn-sm', href: qs({ offset: offset + PAGE }) }, t('common.next')) : null));
  });
}

export async function adminPage(main, { params, query }) {
  const tab = TABS.includes(params[0]) ? params[0] : 'users';
  setTitle(t('admin.title') + ' · ' + t('admin.' + tab));
  main.classList.add('main-wide');
  if (!isAdmin()) { append(main, errorState({ message: t('admin.forbidden') })); return; }
  const content = h('div', { class: 'admin-content' });
  append(main, h('h1', { class: 'page-title admin-title' }, t('admin.title')),
    h('div', { class: 'admin-layout' },
      h('nav', { class: 'admin-tabs', 'aria-label': t('admin.title') }, TABS.map((x) => h('a', { href: '#/admin/' + x, class: x === tab ? 'active' : null, 'aria-current': x === tab ? 'page' : null }, t('admin.' + x)))),
      content));
  const dashboardTab = async (el, q) => (await import('./dashboard.js')).dashboardTab(el, q);
  const fns = { users: usersTab, groups: groupsTab, spaces: spacesTab, policies: policiesTab, words: wordsTab, synonyms: synonymsTab, audit: auditTab, dashboard: dashboardTab };
  try { await fns[tab](content, query); } catch (e) { clear(content).append(errorState(e)); }
}
