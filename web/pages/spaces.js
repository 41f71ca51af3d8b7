import { h, append, clear, toast } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, items } from '../api.js';
import { setTitle, navigate } from '../app.js';
import { loadSpaceDocs, spaceTree, docsIn } from '../spacetree.js';
import { robotsCard } from '../robots.js';
import { watchButton } from '../collabbar.js';
import {
  loadSpaces, loadCategories, categoryTree, categoryOptions, isAdmin, docRow, emptyState, fill, field,
  reportError, roleLabel, enc, pageHeader, loading, errorState, breadcrumbs, placeCrumbs,
} from '../ui.js';

const PAGE = 20;

function canManage(space) {
  return isAdmin() || (space && space.my_role === 'manager');
}
function canEdit(space) {
  return isAdmin() || (space && ['editor', 'manager', 'reviewer'].includes(space.my_role));
}

function newSpaceForm(onDone) {
  const name = h('input', { required: true, maxlength: 80 });
  const desc = h('input', { maxlength: 200 });
  const kind = h('select', null,
    h('option', { value: 'knowledge' }, t('spaces.kind.knowledge')),
    h('option', { value: 'project' }, t('spaces.kind.project')));
  const form = h('form', { class: 'inline-form' },
    field(t('common.name'), name), field(t('spaces.kind'), kind), field(t('common.description'), desc),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('common.create'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) { name.focus(); return; }
    try {
      const s = await post('/spaces', { name: name.value.trim(), kind: kind.value, description: desc.value.trim() });
      toast(t('spaces.created'), 'success');
      await loadSpaces(true);
      onDone(s);
    } catch (err) { reportError(err); }
  });
  return h('details', { class: 'disclosure' }, h('summary', { class: 'btn' }, '+ ', t('spaces.new')), form);
}

export async function spacesPage(main, { params, query, alive, signal }) {
  const spaceId = params[0];
  const spaces = await loadSpaces(true);
  if (!alive()) return;
  if (!spaceId) {
    setTitle(t('spaces.title'));
    append(main, pageHeader(t('spaces.title'), isAdmin() ? newSpaceForm((s) => navigate('#/spaces/' + enc(s.id))) : null));
    if (!spaces.length) { append(main, emptyState(isAdmin() ? t('spaces.noSpacesAdmin') : t('spaces.noSpacesUser'))); return; }
    append(main, h('ul', { class: 'space-grid' }, spaces.map((s) => h('li', null,
      h('a', { class: 'space-card', href: '#/spaces/' + enc(s.id) },
        h('span', { class: ['space-kind', 'space-kind-' + (s.kind || 'knowledge')] }, t('spaces.kind.' + (s.kind === 'project' ? 'project' : 'knowledge'))),
        h('span', { class: 'space-name' }, s.name),
        h('span', { class: 'space-desc' }, s.description || ''),
        s.my_role ? h('span', { class: 'space-role' }, t('spaces.role'), ': ', roleLabel(s.my_role)) : null)))));
    return;
  }
  const space = spaces.find((s) => s.id === spaceId);
  if (!space) { append(main, errorState({ status: 404, message: t('common.notFound') })); return; }
  setTitle(space.name);
  const [cats, allDocs] = await Promise.all([
    loadCategories(spaceId, true),
    loadSpaceDocs(spaceId, { signal, force: true }).catch((e) => { if (e && e.name === 'AbortError') throw e; return null; }),
  ]);
  if (!alive()) return;
  const catId = query.category || '';
  const offset = Math.max(0, parseInt(query.offset || '0', 10) || 0);

  const qs = (o) => '#/spaces/' + enc(spaceId) + '?' + new URLSearchParams(Object.entries(o).filter(([, v]) => v)).toString();
  const treeEl = h('nav', { class: 'cat-tree', 'aria-label': t('spaces.categories') });
  if (allDocs) {
    append(treeEl, spaceTree({ spaceId, tree: categoryTree(cats), docs: allDocs, currentCat: catId, hrefForCat: (c) => qs({ category: c }) }));
  } else {
    const renderTree = (nodes) => h('ul', null, nodes.map((n) => h('li', null,
      h('a', { href: qs({ category: n.id }), class: n.id === catId ? 'active' : null, 'aria-current': n.id === catId ? 'page' : null, title: n.name }, n.name),
      n.children.length ? renderTree(n.children) : null)));
    append(treeEl, h('a', { href: qs({}), class: ['cat-all', !catId ? 'active' : null] }, t('spaces.allDocs')), renderTree(categoryTree(cats)));
  }

  let catForm = null;
  if (canManage(space)) {
    const cname = h('input', { required: true, maxlength: 80 });
    const parent = h('select', null, categoryOptions(cats, catId, true));
    catForm = h('form', { class: 'stack-form' }, field(t('spaces.categoryName'), cname), field(t('spaces.parent'), parent),
      h('button', { class: 'btn btn-sm btn-primary', type: 'submit' }, t('common.create')));
    catForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!cname.value.trim()) { cname.focus(); return; }
      try {
        const c = await post(`/spaces/${enc(spaceId)}/categories`, { name: cname.value.trim(), parent_id: parent.value || null });
        toast(t('spaces.categoryCreated'), 'success');
        navigate(qs({ category: c && c.id }));
      } catch (err) { reportError(err); }
    });
    catForm = h('details', { class: 'disclosure disclosure-small' }, h('summary', { class: 'link-btn' }, '+ ', t('spaces.newCategory')), catForm);
  }
  let robotsEl = null;
  if (canManage(space)) {
    // Filled once opened: the robots are a manager's setting, not part of reading the space.
    robotsEl = h('details', { class: 'disclosure disclosure-small robots-disclosure' }, h('summary', { class: 'link-btn' }, t('robots.title')));
    robotsEl.addEventListener('toggle', async () => {
      if (!robotsEl.open || robotsEl.dataset.loaded) return;
      robotsEl.dataset.loaded = '1';
      const card = await robotsCard(space);
      if (card) robotsEl.append(card);
    });
  }

  const cat = cats.find((c) => c.id === catId);
  const newQs = new URLSearchParams({ space: spaceId, ...(catId ? { category: catId } : {}) }).toString();
  const docsEl = h('div');
  // On a phone the documents come first; the category tree waits behind this button.
  const sideToggle = h('button', { class: 'btn btn-sm side-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'space-side' },
    t('spaces.showTree'), cat ? h('span', { class: 'muted' }, '：', cat.name) : null);
  sideToggle.addEventListener('click', () => {
    const open = main.querySelector('.two-col').classList.toggle('side-open');
    sideToggle.setAttribute('aria-expanded', String(open));
  });
  // 关注空间: every document published here that the caller may read, and every comment on one.
  const watchBtn = watchButton({ watching: false }, '/spaces/' + enc(spaceId));
  watchBtn.title = t('collab.watchSpaceHint');
  watchBtn.hidden = true;
  get('/spaces/' + enc(spaceId)).then((s) => { if (alive()) { watchBtn.setWatching(!!s.watching); watchBtn.hidden = false; } }, () => {});
  // The record lists of the space (side column), and a project space's home above its documents.
  const side = h('aside', { class: 'side', id: 'space-side' }, h('h2', { class: 'side-title' }, t('spaces.categories')), treeEl, catForm, robotsEl);
  const projectBox = h('div', { class: 'proj-slot' });
  import('./records.js').then(async ({ recordLinks, projectHome }) => {
    const links = await recordLinks(spaceId);
    if (!alive()) return;
    side.append(links);
    if (space.kind === 'project' && !cat) {
      const home = await projectHome(space, { alive, signal });
      if (alive()) projectBox.append(home);
    }
  }).catch(() => {});
  append(main, 
    breadcrumbs(cat ? placeCrumbs(spaceId, catId).slice(0, -1).concat([[cat.name]]) : [[t('spaces.title'), '#/spaces'], [space.name]]),
    pageHeader(cat ? cat.name : space.name,
      watchBtn,
      canEdit(space) ? h('a', { class: 'btn', href: '#/upload?' + newQs }, t('nav.upload')) : null,
      canEdit(space) ? h('a', { class: 'btn btn-primary', href: '#/new?' + newQs }, '+ ', t('nav.new')) : null),
    space.description && !cat ? h('p', { class: 'page-lead' }, space.description) : null,
    projectBox,
    sideToggle,
    h('div', { class: 'two-col' },
      side,
      h('section', { class: 'col-main card' }, docsEl)));
  await fill(docsEl, async () => {
    if (catId && allDocs) {
      // A category reads in its own order: natural by title (步骤2 before 步骤10).
      const here = docsIn(allDocs, catId);
      if (!here.length) {
        return canEdit(space)
          ? emptyState(t('spaces.noDocsEdit'),
            h('a', { class: 'btn btn-primary', href: '#/new?' + newQs }, '+ ', t('nav.new')),
            h('a', { class: 'btn', href: '#/upload?' + newQs }, t('nav.upload')))
          : emptyState(t('spaces.noDocsRead'));
      }
      return h('ul', { class: 'doc-list doc-list-ordered' }, here.map((d) => docRow(d)));
    }
    const data = await get('/documents', { space_id: spaceId, category_id: catId || undefined, sort: 'recent', limit: PAGE, offset });
    const list = items(data);
    if (!list.length) {
      return canEdit(space)
        ? emptyState(t('spaces.noDocsEdit'),
          h('a', { class: 'btn btn-primary', href: '#/new?' + newQs }, '+ ', t('nav.new')),
          h('a', { class: 'btn', href: '#/upload?' + newQs }, t('nav.upload')))
        : emptyState(t('spaces.noDocsRead'));
    }
    const total = data.total ?? list.length;
    const pages = Math.max(1, Math.ceil(total / PAGE));
    const page = Math.floor(offset / PAGE) + 1;
    return h('div', null, h('ul', { class: 'doc-list' }, list.map((d) => docRow(d))),
      pages > 1 ? h('div', { class: 'pager' },
        h('a', { class: ['btn', 'btn-sm', page <= 1 ? 'disabled' : null], href: qs({ category: catId, offset: Math.max(0, offset - PAGE) || '' }), 'aria-disabled': page <= 1 ? 'true' : null }, t('common.prev')),
        h('span', { class: 'muted' }, t('common.pageOf', { page, pages, total })),
        h('a', { class: ['btn', 'btn-sm', page >= pages ? 'disabled' : null], href: qs({ category: catId, offset: offset + PAGE }), 'aria-disabled': page >= pages ? 'true' : null }, t('common.next'))) : null);
  });
}
