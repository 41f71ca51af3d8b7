// Development-only mock of the Hanlin API (in memory), so the UI can be built and looked at before
// the real server runs. NOT used by run.sh or the tests, which always run against the real binary.
//   node tests/browser/mock-server.mjs [port]    then open http://127.0.0.1:<port>/  (admin / admin)

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const now = () => new Date().toISOString();
const id = () => crypto.randomBytes(6).toString('hex');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const db = {
  users: [{ id: 'u-admin', username: 'admin', display_name: '管理员', password: process.env.HANLIN_ADMIN_PASSWORD || 'admin', kind: 'employee', is_admin: true, groups: [] }],
  groups: [], sessions: new Map(), spaces: [], categories: [], docs: [], reviews: [], notifications: [], audit: [],
  favourites: new Set(), words: [], synonyms: [['k8s', 'Kubernetes']], policies: new Map(),
};
function audit(actor, action, target) { db.audit.unshift({ at: now(), actor: actor.username, action, target }); }
function userPublic(u) { const { password, ...rest } = u; void password; return rest; }
function render(md) {
  const toc = [];
  const html = md.split(/\n{2,}/).map((block) => {
    const m = /^(#{1,6})\s+(.*)$/.exec(block.trim());
    if (m) { const anchor = m[2].trim().toLowerCase().replace(/\s+/g, '-'); toc.push({ level: m[1].length, text: m[2], anchor }); return `<h${m[1].length} id="${esc(anchor)}">${esc(m[2])}</h${m[1].length}>`; }
    return `<p>${esc(block).replace(/\n/g, '<br>')}</p>`;
  }).join('\n');
  return { html, toc };
}
// A stand-in for the server's diff (the real one is word-aware and bounded): common leading and
// trailing lines are kept, everything between is deleted and inserted, in one hunk.
function diffTexts(a, b) {
  const split = (s) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));
  const A = split(a), B = split(b);
  let pre = 0;
  while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++;
  let suf = 0;
  while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++;
  const del = A.slice(pre, A.length - suf), ins = B.slice(pre, B.length - suf);
  if (!del.length && !ins.length) return { unified: '', hunks: [], insertions: 0, deletions: 0, words_omitted: false };
  const lines = [
    ...A.slice(0, pre).map((text) => ({ op: 'equal', text })),
    ...del.map((text) => ({ op: 'delete', text })),
    ...ins.map((text) => ({ op: 'insert', text })),
    ...A.slice(A.length - suf).map((text) => ({ op: 'equal', text })),
  ];
  return { unified: '', hunks: [{ old_start: 1, old_lines: A.length, new_start: 1, new_lines: B.length, lines }], insertions: ins.length, deletions: del.length, words_omitted: false };
}
function roleIn(user, spaceId) {
  if (user.is_admin) return 'manager';
  const s = db.spaces.find((x) => x.id === spaceId);
  if (!s) return null;
  let best = null;
  const rank = { reader: 1, reviewer: 2, editor: 3, manager: 4 };
  for (const g of s.grants) {
    if (g.principal === 'everyone' || g.principal === 'user:' + user.id || (g.principal.startsWith('group:') && user.groups.includes(g.principal.slice(6)))) {
      if (!best || rank[g.role] > rank[best]) best = g.role;
    }
  }
  return best;
}
function docView(d, user) {
  const v = d.versions[d.versions.length - 1];
  const { html, toc } = render(v.body);
  return { id: d.id, title: v.title, body: v.body, html, toc, tags: v.tags, space_id: d.space_id, category_id: v.category_id, version: v.version,
    status: d.status, published_version: d.published_version, author: d.author, updated_at: v.created_at, favourite: db.favourites.has(user.id + d.id), approved_by: d.approved_by };
}
function summary(d) {
  const v = d.versions[d.versions.length - 1];
  return { id: d.id, title: v.title, tags: v.tags, space_id: d.space_id, category_id: v.category_id, version: v.version, status: d.status, author: d.author, updated_at: v.created_at };
}
function err(res, status, code, message, extra = {}) { send(res, status, { error: { code, message, ...extra } }); }
function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
function createDoc(user, body) {
  const d = { id: id(), space_id: body.space_id, author: user.display_name || user.username, status: 'published', published_version: 1, deleted: false, versions: [] };
  const policy = db.policies.get(body.category_id);
  if (policy && policy.stages.length) { d.status = 'draft'; d.published_version = null; }
  d.versions.push({ version: 1, title: body.title, body: body.body || '', tags: body.tags || [], category_id: body.category_id || null, author: d.author, created_at: now(), message: '' });
  db.docs.push(d);
  return d;
}

const routes = [];
const route = (method, pattern, fn) => routes.push([method, new RegExp('^' + pattern.replace(/:(\w+)/g, '([^/]+)') + '$'), fn]);

route('POST', '/api/v1/session', (req, res, b) => {
  const u = db.users.find((x) => x.username === b.username && x.password === b.password && !x.disabled);
  if (!u) return err(res, 401, 'unauthenticated', '用户名或密码不正确');
  const token = id() + id(), csrf = id();
  db.sessions.set(token, { user: u.id, csrf });
  res.setHeader('Set-Cookie', `hanlin_session=${token}; HttpOnly; SameSite=Strict; Path=/`);
  send(res, 200, { token, csrf_token: csrf, user: userPublic(u) });
});
route('DELETE', '/api/v1/session', (req, res) => { db.sessions.delete(req.token); send(res, 204); });
route('GET', '/api/v1/me', (req, res) => send(res, 200, { user: userPublic(req.user), csrf_token: req.session.csrf }));
route('GET', '/api/v1/spaces', (req, res) => send(res, 200, db.spaces.filter((s) => roleIn(req.user, s.id)).map((s) => ({ id: s.id, name: s.name, kind: s.kind, description: s.description, my_role: roleIn(req.user, s.id) }))));
route('POST', '/api/v1/spaces', (req, res, b) => { const s = { id: id(), name: b.name, kind: b.kind || 'knowledge', description: b.description || '', grants: [] }; db.spaces.push(s); audit(req.user, 'space.create', s.name); send(res, 201, s); });
route('GET', '/api/v1/spaces/:id', (req, res, b, [sid]) => { const s = db.spaces.find((x) => x.id === sid); return s ? send(res, 200, s) : err(res, 404, 'not_found', '不存在'); });
route('PUT', '/api/v1/spaces/:id/grants', (req, res, b, [sid]) => { const s = db.spaces.find((x) => x.id === sid); s.grants = b; audit(req.user, 'space.grants', s.name); send(res, 200, s); });
route('GET', '/api/v1/spaces/:id/categories', (req, res, b, [sid]) => send(res, 200, db.categories.filter((c) => c.space_id === sid).map((c) => ({ ...c, review_policy: db.policies.get(c.id) || null }))));
route('POST', '/api/v1/spaces/:id/categories', (req, res, b, [sid]) => { const c = { id: id(), space_id: sid, name: b.name, parent_id: b.parent_id || null, inherit: true, grants: [] }; db.categories.push(c); send(res, 201, c); });
route('PUT', '/api/v1/categories/:id/grants', (req, res, b, [cid]) => { const c = db.categories.find((x) => x.id === cid); Object.assign(c, b); send(res, 200, c); });
route('PUT', '/api/v1/categories/:id/review-policy', (req, res, b, [cid]) => { db.policies.set(cid, b); send(res, 200, b); });
route('GET', '/api/v1/documents', (req, res, b, m, q) => {
  let list = db.docs.filter((d) => !d.deleted && roleIn(req.user, d.space_id));
  if (q.get('space_id')) list = list.filter((d) => d.space_id === q.get('space_id'));
  if (q.get('category_id')) list = list.filter((d) => summary(d).category_id === q.get('category_id'));
  list = list.map(summary).sort((a, b2) => b2.updated_at.localeCompare(a.updated_at));
  const off = +q.get('offset') || 0, lim = +q.get('limit') || 20;
  send(res, 200, { total: list.length, items: list.slice(off, off + lim) });
});
route('POST', '/api/v1/documents', (req, res, b) => {
  if (!b.title) return err(res, 422, 'invalid_input', '标题不能为空', { field: 'title' });
  const blocked = db.words.find((w) => w.action === 'block' && (b.body + b.title).includes(w.word));
  if (blocked) return err(res, 422, 'invalid_input', `包含敏感词「${blocked.word}」`);
  const d = createDoc(req.user, b); audit(req.user, 'document.create', d.id); send(res, 201, docView(d, req.user));
});
function findDoc(req, res, did) {
  const d = db.docs.find((x) => x.id === did && !x.deleted);
  if (!d || !roleIn(req.user, d.space_id)) { err(res, 404, 'not_found', '文档不存在'); return null; }
  return d;
}
route('GET', '/api/v1/documents/:id', (req, res, b, [did]) => { const d = findDoc(req, res, did); if (d) send(res, 200, docView(d, req.user)); });
route('PUT', '/api/v1/documents/:id', (req, res, b, [did]) => {
  const d = findDoc(req, res, did); if (!d) return;
  const cur = d.versions[d.versions.length - 1];
  if (b.base_version !== cur.version) return err(res, 409, 'edit_conflict', '文档已被他人修改', { current_version: cur.version });
  d.versions.push({ version: cur.version + 1, title: b.title, body: b.body, tags: b.tags || [], category_id: b.category_id ?? cur.category_id, author: req.user.display_name, created_at: now(), message: b.message || '' });
  if (db.policies.get(b.category_id ?? cur.category_id)) d.status = 'draft'; else d.published_version = cur.version + 1;
  audit(req.user, 'document.update', d.id);
  send(res, 200, docView(d, req.user));
});
route('DELETE', '/api/v1/documents/:id', (req, res, b, [did]) => { const d = findDoc(req, res, did); if (d) { d.deleted = now(); send(res, 204); } });
route('POST', '/api/v1/documents/:id/undelete', (req, res, b, [did]) => { const d = db.docs.find((x) => x.id === did); d.deleted = false; send(res, 200, docView(d, req.user)); });
route('GET', '/api/v1/trash', (req, res) => send(res, 200, { items: db.docs.filter((d) => d.deleted).map((d) => ({ ...summary(d), deleted_at: d.deleted })) }));
route('GET', '/api/v1/documents/:id/versions', (req, res, b, [did]) => { const d = findDoc(req, res, did); if (d) send(res, 200, d.versions.map((v) => ({ version: v.version, author: v.author, created_at: v.created_at, message: v.message, size: Buffer.byteLength(v.body) }))); });
route('GET', '/api/v1/documents/:id/versions/:n', (req, res, b, [did, n]) => { const d = findDoc(req, res, did); if (d) send(res, 200, d.versions[+n - 1]); });
route('GET', '/api/v1/documents/:id/diff', (req, res, b, [did], q) => {
  const d = findDoc(req, res, did); if (!d) return;
  const a = d.versions[+q.get('from') - 1], c = d.versions[+q.get('to') - 1];
  send(res, 200, { from: a.version, to: c.version, unified: '', ...diffTexts(a.body, c.body) });
});
route('POST', '/api/v1/documents/:id/restore', (req, res, b, [did]) => {
  const d = findDoc(req, res, did); if (!d) return;
  const old = d.versions[b.version - 1], cur = d.versions[d.versions.length - 1];
  d.versions.push({ ...old, version: cur.version + 1, created_at: now(), message: `恢复自版本 ${old.version}` });
  send(res, 200, docView(d, req.user));
});
route('PUT', '/api/v1/documents/:id/favourite', (req, res, b, [did]) => { db.favourites.add(req.user.id + did); send(res, 204); });
route('DELETE', '/api/v1/documents/:id/favourite', (req, res, b, [did]) => { db.favourites.delete(req.user.id + did); send(res, 204); });
route('GET', '/api/v1/favourites', (req, res) => send(res, 200, { items: db.docs.filter((d) => db.favourites.has(req.user.id + d.id) && !d.deleted).map(summary) }));
route('GET', '/api/v1/drafts', (req, res) => send(res, 200, { items: db.docs.filter((d) => d.status === 'draft' && !d.deleted && d.author === req.user.display_name).map(summary) }));
route('POST', '/api/v1/documents/:id/submit', (req, res, b, [did]) => {
  const d = findDoc(req, res, did); if (!d) return;
  const cur = d.versions[d.versions.length - 1];
  const policy = db.policies.get(cur.category_id) || { stages: [{ name: '审核', reviewers: ['user:u-admin'], quorum: 'any' }] };
  const r = { id: id(), doc_id: d.id, title: cur.title, version: cur.version, author: req.user.display_name, state: 'pending', stages: policy.stages, decisions: [], created_at: now(), message: b.message || '' };
  db.reviews.push(r); d.status = 'in_review';
  for (const s of policy.stages) for (const p of s.reviewers) db.notifications.unshift({ id: id(), to: p.slice(5), kind: 'review', text: `「${cur.title}」等待你审核`, link: '#/reviews/' + r.id, created_at: now(), read: false });
  send(res, 201, r);
});
route('GET', '/api/v1/reviews', (req, res) => send(res, 200, { items: db.reviews.filter((r) => r.state === 'pending' && r.stages.some((s) => s.reviewers.includes('user:' + req.user.id))) }));
route('GET', '/api/v1/reviews/:id', (req, res, b, [rid]) => {
  const r = db.reviews.find((x) => x.id === rid); if (!r) return err(res, 404, 'not_found', '不存在');
  const d = db.docs.find((x) => x.id === r.doc_id);
  const base = d.published_version ? d.versions[d.published_version - 1].body : '';
  send(res, 200, { ...r, diff: { from: d.published_version || 0, to: r.version, ...diffTexts(base, d.versions[r.version - 1].body) } });
});
for (const act of ['approve', 'reject']) {
  route('POST', '/api/v1/reviews/:id/' + act, (req, res, b, [rid]) => {
    const r = db.reviews.find((x) => x.id === rid);
    if (act === 'reject' && !b.comment) return err(res, 422, 'invalid_input', '驳回需要填写意见', { field: 'comment' });
    r.decisions.push({ stage: 0, reviewer: req.user.display_name, approve: act === 'approve', comment: b.comment || '', at: now() });
    r.state = act === 'approve' ? 'approved' : 'rejected';
    const d = db.docs.find((x) => x.id === r.doc_id);
    if (act === 'approve') { d.status = 'published'; d.published_version = r.version; d.approved_by = [req.user.display_name]; } else d.status = 'rejected';
    send(res, 200, r);
  });
}
route('GET', '/api/v1/notifications', (req, res) => { const mine = db.notifications.filter((n) => n.to === req.user.id); send(res, 200, { unread: mine.filter((n) => !n.read).length, items: mine }); });
route('POST', '/api/v1/notifications/read', (req, res, b) => { for (const n of db.notifications) if (n.to === req.user.id && (!b.ids || b.ids.includes(n.id))) n.read = true; send(res, 204); });
route('GET', '/api/v1/search', (req, res, b, m, q) => {
  const terms = (q.get('q') || '').split(/\s+/).filter((x) => x && !x.includes(':') && !x.startsWith('#') && !x.startsWith('-'));
  const tagF = (q.get('q') || '').split(/\s+/).filter((x) => x.startsWith('#')).map((x) => x.slice(1));
  const hits = [];
  const facets = { tags: {}, categories: {}, spaces: {} }, labels = {};
  for (const d of db.docs) {
    if (d.deleted || !roleIn(req.user, d.space_id)) continue;
    const v = d.versions[d.versions.length - 1];
    const text = v.title + '\n' + v.body;
    if (!terms.every((tm) => text.toLowerCase().includes(tm.toLowerCase())) || !tagF.every((tg) => v.tags.includes(tg))) continue;
    const mark = (s) => { let out = esc(s); for (const tm of terms) out = out.split(esc(tm)).join('<mark>' + esc(tm) + '</mark>'); return out; };
    const pos = Math.max(0, v.body.indexOf(terms[0] || '') - 30);
    hits.push({ ...summary(d), title_html: mark(v.title), snippet: mark(v.body.slice(pos, pos + 120)), category_path: v.category_id ? [db.categories.find((c) => c.id === v.category_id)?.name] : [], score: 1 });
    for (const tg of v.tags) facets.tags[tg] = (facets.tags[tg] || 0) + 1;
    if (v.category_id) { facets.categories[v.category_id] = (facets.categories[v.category_id] || 0) + 1; labels[v.category_id] = db.categories.find((c) => c.id === v.category_id)?.name; }
    facets.spaces[d.space_id] = (facets.spaces[d.space_id] || 0) + 1; labels[d.space_id] = db.spaces.find((s) => s.id === d.space_id)?.name;
  }
  if (q.get('sort') === 'recent') hits.sort((a, c) => c.updated_at.localeCompare(a.updated_at));
  send(res, 200, { total: hits.length, hits: hits.slice(+q.get('offset') || 0, (+q.get('offset') || 0) + (+q.get('limit') || 20)), facets, labels });
});
route('POST', '/api/v1/render', (req, res, b) => send(res, 200, render(String(b.body || ''))));
route('POST', '/api/v1/diff', (req, res, b) => send(res, 200, diffTexts(String(b.from || ''), String(b.to || ''))));
route('GET', '/api/v1/users', (req, res) => send(res, 200, db.users.map(userPublic)));
route('POST', '/api/v1/users', (req, res, b) => { const u = { id: id(), groups: [], kind: 'employee', ...b }; db.users.push(u); for (const g of u.groups) db.groups.find((x) => x.id === g)?.members.push(u.id); send(res, 201, userPublic(u)); });
route('PATCH', '/api/v1/users/:id', (req, res, b, [uid]) => { const u = db.users.find((x) => x.id === uid); Object.assign(u, b); send(res, 200, userPublic(u)); });
route('GET', '/api/v1/groups', (req, res) => send(res, 200, db.groups));
route('POST', '/api/v1/groups', (req, res, b) => { const g = { id: id(), name: b.name, members: [] }; db.groups.push(g); send(res, 201, g); });
route('PUT', '/api/v1/groups/:id/members', (req, res, b, [gid]) => {
  const g = db.groups.find((x) => x.id === gid); g.members = b.members;
  for (const u of db.users) u.groups = u.groups.filter((x) => x !== gid).concat(b.members.includes(u.id) ? [gid] : []);
  send(res, 200, g);
});
route('GET', '/api/v1/admin/sensitive-words', (req, res) => send(res, 200, { words: db.words }));
route('PUT', '/api/v1/admin/sensitive-words', (req, res, b) => { db.words = b.words; send(res, 200, { words: db.words }); });
route('GET', '/api/v1/admin/synonyms', (req, res) => send(res, 200, { groups: db.synonyms }));
route('PUT', '/api/v1/admin/synonyms', (req, res, b) => { db.synonyms = b.groups; send(res, 200, { groups: db.synonyms }); });
route('GET', '/api/v1/audit', (req, res) => send(res, 200, { items: db.audit }));

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (!url.pathname.startsWith('/api/')) {
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = path.join(WEB, rel);
    if (!file.startsWith(WEB) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); return res.end('not found'); }
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }[path.extname(file)] || 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type + '; charset=utf-8', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
    return res.end(fs.readFileSync(file));
  }
  let raw = '';
  for await (const chunk of req) raw += chunk;
  let body = {};
  try { body = raw ? JSON.parse(raw) : {}; } catch { return err(res, 400, 'invalid_input', 'bad json'); }
  for (const [method, re, fn] of routes) {
    const m = re.exec(url.pathname);
    if (!m || method !== req.method) continue;
    if (!(method === 'POST' && url.pathname === '/api/v1/session')) {
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization || '')?.[1];
      const token = bearer || /hanlin_session=([^;]+)/.exec(req.headers.cookie || '')?.[1];
      const session = token && db.sessions.get(token);
      if (!session) return err(res, 401, 'unauthenticated', '请先登录');
      if (!bearer && method !== 'GET' && req.headers['x-csrf-token'] !== session.csrf) return err(res, 403, 'forbidden', 'CSRF token missing');
      req.token = token; req.session = session; req.user = db.users.find((u) => u.id === session.user);
    }
    return fn(req, res, body, m.slice(1), url.searchParams);
  }
  err(res, 404, 'not_found', 'no such endpoint');
});
server.listen(+process.argv[2] || 0, '127.0.0.1', () => console.log(`Hanlin listening on http://127.0.0.1:${server.address().port}`));
