// Hanlin browser tests: the real server binary, Debian's Chromium, driven by playwright-core.
// Run through ./run.sh (installs what is missing, builds the server, then `node --test`).
//   HANLIN_BIN=/path/to/hanlin   use this binary instead of target/release/hanlin
//   HANLIN_MOCK=1                run against tests/browser/mock-server.mjs (UI development only)
//   CHROMIUM=/path/to/chromium   browser executable (default /usr/bin/chromium)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const ART = path.join(HERE, 'artifacts');
const ADMIN_PW = 'Hanlin-测试-Passw0rd!';
const USER_PW = 'Secret-密码-2024';
const WIDE = { width: 1280, height: 860 };
const PHONE = { width: 360, height: 740 };

let server, base, browser, tmpRoot;
const cleanups = [];
const S = {}; // shared state between the (sequential) tests

// ---------------------------------------------------------------------------------------------
// server, browser, helpers

function startServer() {
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hanlin-browser-'));
  const dataDir = path.join(tmpRoot, 'data');
  const env = { ...process.env, HANLIN_ADMIN_PASSWORD: ADMIN_PW, RUST_LOG: process.env.RUST_LOG || 'warn' };
  let cmd, args;
  if (process.env.HANLIN_MOCK) {
    cmd = process.execPath; args = [path.join(HERE, 'mock-server.mjs')];
  } else {
    cmd = process.env.HANLIN_BIN || path.join(ROOT, 'target/release/hanlin');
    assert.ok(fs.existsSync(cmd), `server binary not found: ${cmd} (build it with cargo build --release --bin hanlin)`);
    args = ['serve', '--bind', '127.0.0.1:0', '--data-dir', dataDir];
  }
  server = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(ART, 'server.log'));
  server.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server did not print its listening line within 60 s')), 60_000);
    server.stdout.on('data', (chunk) => {
      log.write(chunk);
      buf += chunk;
      const m = /Hanlin listening on (http:\/\/[^\s]+)/.exec(buf);
      if (m && !base) { clearTimeout(timer); base = m[1].replace(/\/$/, ''); resolve(); }
    });
    server.on('exit', (code) => { if (!base) { clearTimeout(timer); reject(new Error('server exited early with ' + code + '; see artifacts/server.log')); } });
  });
}

async function api(token, method, p, body) {
  const res = await fetch(base + '/api/v1' + p, {
    method,
    headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const e = new Error(`${method} ${p} -> ${res.status} ${text.slice(0, 300)}`);
    e.status = res.status; e.data = data;
    throw e;
  }
  return data;
}
const list = (d) => (Array.isArray(d) ? d : (d && (d.items || d.hits)) || []);

async function login(username, password) {
  const s = await api(null, 'POST', '/session', { username, password });
  return s.token;
}

/** A fresh browser context + page, with console/CSP/dialog tracking. */
async function newPage({ viewport = WIDE } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  cleanups.push(() => context.close().catch(() => {}));
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) page.problems.push('CSP: ' + text);
  });
  page.on('pageerror', (err) => page.problems.push('pageerror: ' + err.message));
  page.on('dialog', (d) => { page.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  page.setDefaultTimeout(15_000);
  return page;
}

async function uiLogin(page, username, password) {
  await page.goto(base + '/#/login');
  await page.waitForSelector('.login-form input[name=username]');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('.topbar .brand');
}

async function shot(page, name, opts = {}) {
  await page.evaluate(() => document.fonts && document.fonts.ready);
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove())); // transient
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(ART, name + '.png'), fullPage: !!opts.fullPage });
}

function noProblems(page, what) {
  assert.deepEqual(page.problems, [], `${what}: console/CSP problems`);
  assert.deepEqual(page.dialogs, [], `${what}: unexpected dialogs`);
}

async function noHorizontalOverflow(page, what) {
  const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(sw <= cw + 1, `${what}: page scrolls sideways (${sw} > ${cw})`);
}

before(async () => {
  fs.mkdirSync(ART, { recursive: true });
  await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    // playwright-core itself starts Chromium with a fresh temporary --user-data-dir on every launch
    // (it refuses the flag from us), so each run gets a clean profile.
  });
});

after(async () => {
  for (const fn of cleanups.reverse()) await fn();
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(() => { server.kill('SIGKILL'); r(); }, 5000); server.on('exit', () => { clearTimeout(t); r(); }); });
  }
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// tests (run in order; later ones use what earlier ones created)

test('the UI is served with a strict CSP and stays small', async () => {
  const res = await fetch(base + '/');
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<script type="module" src="app.js\?v=[0-9a-f]+"><\/script>/);
  // The page says who is there (nobody, here) in a data block, which the CSP lets be: no script.
  assert.match(html, /<script type="application\/json" id="hanlin-boot">\{"user":null\}<\/script>/);
  assert.match(res.headers.get('cache-control') || '', /no-store/, 'the page is built per request');
  const csp = res.headers.get('content-security-policy') || '';
  assert.match(csp, /script-src 'self'/, 'Content-Security-Policy header with script-src self');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  // no inline scripts or style attributes in the shipped HTML/JS
  const files = [];
  const walk = (dir) => { for (const f of fs.readdirSync(dir)) { const p = path.join(dir, f); if (fs.statSync(p).isDirectory()) walk(p); else files.push(p); } };
  walk(path.join(ROOT, 'web'));
  // The whole UI, every page and both languages, with no build step: pages beyond the first screen
  // load on demand, so the budget that users feel is the first screen's (below). The whole was
  // 300 KiB until the dashboard, onboarding and quick open (332 KB); 400 KiB until the record
  // pages of issue 12 (form, lists, 我的待办, templates, project home: 50 KB, 373 KB before
  // them, 427 KB after); 448 KiB leaves room for the next few pages, not for bloat.
  const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  assert.ok(total < 448 * 1024, `web assets are ${total} bytes`);
  // The first screen: the page, its script and stylesheet, and the modules it preloads, as sent
  // (gzip). 48.7 KB when this budget was set.
  const first = [...new Set(['index.html', 'app.js', 'app.css',
    ...[...html.matchAll(/<link rel="modulepreload" href="([^"?]+)/g)].map((m) => m[1])])];
  assert.ok(first.length >= 6, 'the first screen preloads its modules: ' + first.join(' '));
  const sent = first.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(path.join(ROOT, 'web', f)), { level: 6 }).length, 0);
  assert.ok(sent < 64 * 1024, `the first screen sends ${sent} bytes gzipped (${first.join(' ')})`);
  // A lost brace swallows every rule after it (a merge once dropped one): braces balance.
  const css = fs.readFileSync(path.join(ROOT, 'web', 'app.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  assert.equal((css.match(/\{/g) || []).length, (css.match(/\}/g) || []).length, 'app.css braces balance');
  for (const f of files.filter((x) => /\.(js|html)$/.test(x))) {
    const src = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\bstyle="|\beval\(|new Function\(/, `${path.basename(f)} uses inline style or eval`);
  }
  const js = await fetch(base + '/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') || '', /javascript/);
});

test('set up people, a space and categories (API)', async () => {
  S.admin = await login('admin', ADMIN_PW);
  const mk = async (username, display_name) => api(S.admin, 'POST', '/users', { username, display_name, password: USER_PW, kind: 'employee' });
  S.reviewer = await mk('lina', '李娜');
  S.reader = await mk('wangfang', '王芳');
  const space = await api(S.admin, 'POST', '/spaces', { name: '产品知识库', kind: 'knowledge', description: '产品文档、培训资料与常见问题' });
  S.space = space.id;
  await api(S.admin, 'PUT', `/spaces/${S.space}/grants`, [{ principal: 'user:' + S.reviewer.id, role: 'reviewer' }]);
  S.catDocs = (await api(S.admin, 'POST', `/spaces/${S.space}/categories`, { name: '产品文档' })).id;
  S.catPolicy = (await api(S.admin, 'POST', `/spaces/${S.space}/categories`, { name: '制度规范' })).id;
  await api(S.admin, 'POST', `/spaces/${S.space}/categories`, { name: '接口说明', parent_id: S.catDocs });
  // A second space the reader may see, so their pages are not empty.
  const open = await api(S.admin, 'POST', '/spaces', { name: '公司公告', kind: 'knowledge', description: '面向全体员工' });
  await api(S.admin, 'PUT', `/spaces/${open.id}/grants`, [{ principal: 'everyone', role: 'reader' }]);
  S.openSpace = open.id;
  await api(S.admin, 'POST', '/documents', { space_id: open.id, title: '2024 年春节放假安排', body: '# 春节放假安排\n\n2 月 9 日至 2 月 17 日放假调休，共 9 天。', tags: ['公告', '假期'] });
});

test('log in (keyboard only), wrong password first, with a visible focus ring', async () => {
  const page = await newPage();
  const assets = new Map();
  page.on('response', async (r) => {
    if (r.url().includes('/api/')) return;
    try { assets.set(r.url(), (await r.body()).length); } catch { /* redirects have no body */ }
  });
  await page.goto(base + '/');
  await page.waitForSelector('.login-form');
  assert.match(page.url(), /#\/login/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await shot(page, 'login');
  await page.fill('input[name=username]', 'admin');
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return { name: document.activeElement.name, ring: cs.boxShadow !== 'none' || cs.outlineStyle !== 'none' };
  });
  assert.deepEqual(ring, { name: 'password', ring: true });
  await page.keyboard.type('wrong-password');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.form-error:not([hidden])');
  assert.match(await page.textContent('.form-error'), /用户名或密码不正确|密码/);
  await page.fill('input[name=password]', ADMIN_PW);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.hero-title');
  assert.match(await page.textContent('.hero-title'), /管理员|admin/);
  await page.waitForSelector('#home-recent .doc-row, #home-recent .empty-line');
  const firstPage = [...assets.values()].reduce((a, b) => a + b, 0);
  assert.ok(firstPage < 300 * 1024, `first page loads ${firstPage} bytes of assets`);
  console.log(`# first page (login + home): ${assets.size} assets, ${firstPage} bytes`);
  S.adminPage = page;
  noProblems(page, 'login');
});

test('create a document in Chinese in the editor, with live preview', async () => {
  const page = S.adminPage;
  await page.goto(`${base}/#/new?space=${S.space}&category=${S.catDocs}`);
  await page.waitForSelector('.editor .title-input');
  await page.fill('.title-input', '翰林产品上手指南');
  await page.fill('input[name=tags]', '入门, 产品');
  S.body1 = '# 翰林产品上手指南\n\n## 安装步骤\n\n首先下载安装包，然后运行安装程序。\n\n## 常见问题\n\n如果遇到网络问题，请联系运维部门。\n\n- 支持 **Markdown** 格式\n- 支持中文全文搜索\n';
  await page.fill('textarea.body-input', S.body1);
  await page.waitForFunction(() => document.querySelector('.preview h2') && document.querySelector('.preview h2').textContent === '安装步骤');
  assert.equal(await page.inputValue('select[name=category]'), S.catDocs);
  await shot(page, 'editor');
  await page.click('.editor button[type=submit]');
  await page.waitForURL(/#\/doc\/[^/]+$/);
  S.doc = decodeURIComponent(page.url().split('#/doc/')[1]);
  await page.waitForSelector('.doc-title');
  assert.equal(await page.textContent('.doc-title'), '翰林产品上手指南');
  assert.match(await page.textContent('.doc-meta'), /版本 1/);
  assert.match(await page.textContent('#doc-body'), /首先下载安装包/);
  const tags = await page.$$eval('.doc-head .tag', (els) => els.map((e) => e.textContent));
  assert.deepEqual(tags.sort(), ['#产品', '#入门'].sort());
  await shot(page, 'document');
  noProblems(page, 'create');
});

test('the editor preview is the server\'s rendering, debounced, and waits for the IME', async () => {
  const page = await newPage({ viewport: { width: 1280, height: 800 } });
  await uiLogin(page, 'admin', ADMIN_PW);
  const renders = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/render')) renders.push(r.postDataJSON().body); });
  await page.goto(`${base}/#/new?space=${S.space}&category=${S.catDocs}`);
  await page.waitForSelector('.editor .title-input');
  await page.fill('.title-input', '季度工作清单');
  const body = '# 季度工作清单\n\n- [x] 完成预算审批\n- [ ] 提交差旅报销\n\n| 项目 | 金额 | 状态 |\n|:---|---:|:---:|\n| 差旅 | 1,280.00 | 待审 |\n| 培训 | 36,000.00 | 已批 |\n\n预算以财务部口径为准[^1]。\n\n[^1]: 不含税金额。\n';
  await page.fill('textarea.body-input', body);
  await page.waitForSelector('.preview li.task input[type=checkbox]');
  await page.waitForSelector('.preview td.align-right');
  // Exactly the HTML the server renders for this body, and it looks right: checkboxes without
  // bullets, the amount column right-aligned, through classes (no inline style under the CSP).
  const server = await api(S.admin, 'POST', '/render', { body });
  assert.equal(await page.$eval('.preview', (el) => el.innerHTML), server.html);
  const look = await page.evaluate(() => {
    const lis = [...document.querySelectorAll('.preview li.task')];
    return {
      boxes: lis.map((li) => { const i = li.querySelector('input[type=checkbox]'); return [i.checked, i.disabled]; }),
      bullets: lis.map((li) => getComputedStyle(li).listStyleType),
      amount: getComputedStyle(document.querySelector('.preview td.align-right')).textAlign,
      status: getComputedStyle(document.querySelector('.preview th.align-center')).textAlign,
      styled: document.querySelectorAll('.preview [style]').length,
      footnote: document.querySelector('.preview .footnote-definition')?.textContent || '',
    };
  });
  assert.deepEqual(look.boxes, [[true, true], [false, true]]);
  assert.deepEqual(look.bullets, ['none', 'none']);
  assert.equal(look.amount, 'right');
  assert.equal(look.status, 'center');
  assert.equal(look.styled, 0);
  assert.match(look.footnote, /不含税金额/);
  // Clicking the footnote mark scrolls the preview; it does not leave the editor.
  await page.click('.preview sup.footnote-reference a');
  assert.match(page.url(), /#\/new\?/);
  fs.mkdirSync('/tmp/shots', { recursive: true });
  await shot(page, 'editor-preview');
  await page.screenshot({ path: '/tmp/shots/editor-1280x800.png' });

  // Typing fast asks once per pause, not once per key.
  await page.waitForTimeout(400);
  renders.length = 0;
  await page.focus('textarea.body-input');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n补充说明', { delay: 30 });
  await page.waitForFunction(() => /补充说明/.test(document.querySelector('.preview').textContent));
  assert.ok(renders.length <= 2, `debounced: ${renders.length} render requests for 5 keys`);

  // An older answer arriving late never replaces a newer one.
  // (The handler returns at once, so the next request is not held behind the slow one.)
  let slow = 0;
  await page.route('**/api/v1/render', (route) => {
    const late = /慢一点$/.test(route.request().postDataJSON().body || '');
    if (late) slow++;
    setTimeout(() => route.continue().catch(() => {}), late ? 1500 : 0);
  });
  await page.keyboard.type('慢一点');
  await page.waitForTimeout(450); // the slow request is out
  await page.keyboard.type('快');
  await page.waitForFunction(() => /慢一点快/.test(document.querySelector('.preview').textContent));
  await page.waitForTimeout(1600);
  assert.match(await page.textContent('.preview'), /慢一点快/, 'the latest answer stays');
  assert.equal(slow, 1, 'the slow request was made');
  await page.unroute('**/api/v1/render');

  // Pinyin: while the composition is open the preview does not change, nor is anything asked.
  const cdp = await page.context().newCDPSession(page);
  await page.waitForTimeout(400);
  const before = await page.$eval('.preview', (el) => el.innerHTML);
  renders.length = 0;
  await page.keyboard.press('Control+End');
  await cdp.send('Input.imeSetComposition', { text: 'n', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
  await cdp.send('Input.imeSetComposition', { text: 'ni hao', selectionStart: 6, selectionEnd: 6 });
  assert.match(await page.inputValue('textarea.body-input'), /ni hao$/, 'the composition is in the text area');
  await page.waitForTimeout(900);
  assert.equal(renders.length, 0, 'no render while composing: ' + JSON.stringify(renders));
  assert.equal(await page.$eval('.preview', (el) => el.innerHTML), before, 'the preview did not change while composing');
  await cdp.send('Input.insertText', { text: '你好' });
  await page.waitForFunction(() => /你好/.test(document.querySelector('.preview').textContent));
  assert.match(await page.inputValue('textarea.body-input'), /慢一点快你好$/);
  assert.doesNotMatch(await page.textContent('.preview'), /ni hao/);
  assert.ok(renders.length >= 1 && renders.every((b) => !/ni hao/.test(b)), 'only the committed text was rendered: ' + JSON.stringify(renders));
  await cdp.detach();
  // The published page shows the same: checkboxes without bullets, aligned columns, the footnote.
  await page.click('.editor button[type=submit]');
  await page.waitForURL(/#\/doc\/[^/]+$/);
  await page.waitForSelector('#doc-body td.align-right');
  const published = await page.evaluate(() => ({
    bullets: [...document.querySelectorAll('#doc-body li.task')].map((li) => getComputedStyle(li).listStyleType),
    boxes: document.querySelectorAll('#doc-body li.task input[type=checkbox][disabled]').length,
    amount: getComputedStyle(document.querySelector('#doc-body td.align-right')).textAlign,
    footnote: document.querySelector('#doc-body .footnote-definition')?.textContent || '',
  }));
  const { footnote, ...shown } = published;
  assert.deepEqual(shown, { bullets: ['none', 'none'], boxes: 2, amount: 'right' });
  assert.match(footnote, /不含税金额/);
  await shot(page, 'document-tasks');
  noProblems(page, 'preview');

  // A phone: the preview tab shows the same rendering.
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await uiLogin(phone, 'admin', ADMIN_PW);
  await phone.goto(`${base}/#/new?space=${S.space}&category=${S.catDocs}`);
  await phone.waitForSelector('textarea.body-input');
  await phone.fill('.title-input', '季度工作清单');
  await phone.fill('textarea.body-input', body);
  await phone.screenshot({ path: '/tmp/shots/editor-390x844-write.png' });
  await phone.click('.editor-tabs button:nth-child(2)');
  await phone.waitForSelector('.preview td.align-right');
  await noHorizontalOverflow(phone, 'phone preview');
  await phone.evaluate(() => document.querySelector('.editor-tabs').scrollIntoView());
  await shot(phone, 'phone-editor-preview');
  await phone.screenshot({ path: '/tmp/shots/editor-390x844.png' });
  noProblems(phone, 'phone preview');
});

test('favourite it and see it on the home page', async () => {
  const page = S.adminPage;
  await page.click('.fav-btn');
  await page.waitForSelector('.fav-btn[aria-pressed=true]');
  await page.goto(base + '/#/');
  await page.waitForSelector('#home-favs', { state: 'attached' });
  await page.waitForFunction(() => !document.querySelector('#home-favs .loading'));
  const favs = await page.textContent('#home-favs');
  assert.ok(favs.includes('翰林产品上手指南') || favs.includes('尚未开放'), 'favourite listed (or the endpoint is not there yet)');
  await page.waitForSelector('#home-recent .doc-row');
  assert.match(await page.textContent('#home-recent'), /翰林产品上手指南/);
  await shot(page, 'home');
  await page.goto(`${base}/#/spaces/${S.space}`);
  await page.waitForSelector('.cat-tree');
  await page.waitForSelector('.col-main .doc-row');
  assert.match(await page.textContent('.cat-tree'), /产品文档/);
  assert.match(await page.textContent('.cat-tree'), /接口说明/);
  await shot(page, 'spaces');
  noProblems(page, 'home');
});

test('edit it; the history shows the change word by word', async () => {
  const page = S.adminPage;
  await page.goto(`${base}/#/doc/${encodeURIComponent(S.doc)}`);
  await page.click('.doc-actions a[href$="/edit"]');
  await page.waitForSelector('textarea.body-input');
  assert.equal(await page.inputValue('textarea.body-input'), S.body1);
  S.body2 = S.body1.replace('首先下载安装包', '首先从内网下载最新的安装包');
  await page.fill('textarea.body-input', S.body2);
  await page.click('.editor button[type=submit]');
  await page.waitForURL(new RegExp(`#/doc/${S.doc}$`));
  await page.waitForFunction(() => /版本 2/.test(document.querySelector('.doc-meta')?.textContent || ''));
  assert.match(await page.textContent('#doc-body'), /首先从内网下载最新的安装包/);

  await page.click('.doc-actions a[href$="/history"]');
  await page.waitForSelector('.diff-table');
  const inserted = await page.$$eval('.diff-insert', (rows) => rows.map((r) => r.textContent).join('\n'));
  const deleted = await page.$$eval('.diff-delete', (rows) => rows.map((r) => r.textContent).join('\n'));
  assert.match(inserted, /首先从内网下载最新的安装包/);
  assert.match(deleted, /首先下载安装包/);
  const words = await page.$$eval('.diff-insert ins', (els) => els.map((e) => e.textContent).join('|'));
  assert.match(words, /内网/, 'inserted Chinese words are marked inside the line');
  assert.doesNotMatch(words, /然后运行安装程序/, 'unchanged words are not marked');
  assert.equal(await page.$$eval('table.versions tbody tr', (r) => r.length), 2);
  await shot(page, 'history-diff', { fullPage: true });
  noProblems(page, 'history');
});

test('a stale save whose edits touch other lines merges: my text and theirs are both kept (issue 16)', async () => {
  const page = S.adminPage;
  await page.goto(`${base}/#/doc/${encodeURIComponent(S.doc)}/edit`);
  await page.waitForSelector('textarea.body-input');
  const mine = S.body2 + '\n## 我的补充\n\n浏览器里写的新段落。\n';
  await page.fill('textarea.body-input', mine);
  // Meanwhile somebody else saves version 3, changing another paragraph.
  const cur = await api(S.admin, 'GET', `/documents/${S.doc}`);
  const theirs = cur.body.replace('运维部门', 'IT 服务台');
  await api(S.admin, 'PUT', `/documents/${S.doc}`, { title: cur.title, body: theirs, tags: cur.tags, base_version: cur.version });
  // The old flow offered a primary button that saved my whole text over theirs; now the server
  // merges the two, and no conflict box is needed.
  await page.click('.editor button[type=submit]');
  await page.waitForURL(new RegExp(`#/doc/${S.doc}$`));
  await page.waitForFunction(() => /版本 4/.test(document.querySelector('.doc-meta')?.textContent || ''));
  const text = await page.textContent('#doc-body');
  assert.match(text, /浏览器里写的新段落/, 'my paragraph is kept');
  assert.match(text, /IT 服务台/, 'their change is kept too');
  assert.doesNotMatch(text, /运维部门/);
  const versions = await api(S.admin, 'GET', `/documents/${S.doc}/versions`);
  assert.match(versions[0].message, /合并/, 'the history says it was merged');
  noProblems(page, 'conflict');
});

test('search finds it as I type, highlighted', async () => {
  const page = S.adminPage;
  await page.goto(base + '/#/search');
  await page.waitForSelector('input.search-input');
  let found = false;
  for (let i = 0; i < 20 && !found; i++) {
    await page.fill('input.search-input', '');
    await page.type('input.search-input', '安装包', { delay: 40 });
    try {
      await page.waitForFunction(() => [...document.querySelectorAll('.hit-title')].some((a) => a.textContent.includes('翰林产品上手指南')), null, { timeout: 1500 });
      found = true;
    } catch { /* the index commits within about a second: try again */ }
  }
  assert.ok(found, 'the document shows up in the results');
  const marks = await page.$$eval('.hit mark', (els) => els.map((e) => e.textContent));
  assert.ok(marks.length > 0, 'matches are highlighted with <mark>');
  assert.ok(marks.some((m) => /安装/.test(m)), 'a highlighted match is the query word: ' + marks.join(','));
  assert.match(page.url(), /#\/search\?q=/);
  // Facets: tag counts are shown and clicking one narrows the query.
  const tagFacet = await page.$('.facet .facet-item');
  if (tagFacet) {
    await tagFacet.click();
    await page.waitForFunction(() => /[#:]/.test(document.querySelector('input.search-input').value));
  }
  await page.waitForSelector('.hit');
  await shot(page, 'search');
  noProblems(page, 'search');
});

test('upload several Markdown files at once', async () => {
  const page = S.adminPage;
  await page.goto(`${base}/#/upload?space=${S.space}&category=${S.catDocs}`);
  await page.waitForSelector('#upload-input', { state: 'attached' });
  await page.setInputFiles('#upload-input', [
    { name: '报销流程.md', mimeType: 'text/markdown', buffer: Buffer.from('# 差旅报销流程\n\n出差回来后 30 天内提交报销单。\n') },
    { name: '会议纪要模板.txt', mimeType: 'text/plain', buffer: Buffer.from('会议时间：\n参会人：\n结论：\n') },
  ]);
  await page.click('.upload-card .btn-primary');
  await page.waitForFunction(() => document.querySelectorAll('.upload-state.ok').length === 2);
  const names = await page.$$eval('.upload-state.ok a', (els) => els.map((e) => e.textContent));
  assert.ok(names.some((n) => n.includes('差旅报销流程')), 'title from the first # heading');
  assert.ok(names.some((n) => n.includes('会议纪要模板')), 'title from the file name');
  noProblems(page, 'upload');
});

test('a reviewer approves a submitted document', async (t) => {
  const admin = S.adminPage;
  try {
    await api(S.admin, 'GET', '/reviews?state=pending&assigned=me');
  } catch (e) {
    if (e.status === 404 || e.status === 405) { t.skip('review endpoints (GET /api/v1/reviews) not available yet'); return; }
    throw e;
  }
  try {
    await api(S.admin, 'PUT', `/categories/${S.catPolicy}/review-policy`, { stages: [{ name: '部门负责人', reviewers: ['user:' + S.reviewer.id], quorum: 'any' }] });
  } catch (e) {
    if (e.status === 404 || e.status === 405) { t.skip('review-policy endpoint not available yet'); return; }
    throw e;
  }
  // The author writes and submits through the UI.
  await admin.goto(`${base}/#/new?space=${S.space}&category=${S.catPolicy}`);
  await admin.waitForSelector('.editor .title-input');
  await admin.fill('.title-input', '信息安全管理制度');
  await admin.fill('textarea.body-input', '# 信息安全管理制度\n\n所有员工必须每 90 天更换一次密码。\n');
  await admin.click('.editor .page-actions .btn:not(.btn-primary):not(.btn-quiet)'); // 保存并提交审核
  await admin.waitForURL(/#\/doc\/[^/]+$/);
  S.reviewed = decodeURIComponent(admin.url().split('#/doc/')[1]);
  await admin.waitForSelector('.doc-title');
  noProblems(admin, 'submit');

  const page = await newPage();
  await uiLogin(page, 'lina', USER_PW);
  await page.waitForSelector('#home-reviews', { state: 'attached' });
  await page.waitForFunction(() => !document.querySelector('#home-reviews .loading'));
  await page.goto(base + '/#/reviews');
  await page.waitForSelector('.doc-list .doc-row-title, .empty');
  const link = page.locator('.doc-row-title', { hasText: '信息安全管理制度' });
  assert.equal(await link.count(), 1, 'the submission waits in the reviewer\'s queue');
  await link.click();
  await page.waitForSelector('.review-actions');
  assert.match(await page.textContent('.review-diff'), /每 90 天更换一次密码/);
  // Rejecting needs a comment: the UI says so before sending anything.
  await page.click('.review-actions .btn-danger');
  await page.waitForSelector('.review-actions .form-error:not([hidden])');
  await shot(page, 'review');
  await page.fill('.comment-input', '内容清楚，同意发布。');
  await page.click('.review-actions .btn-primary');
  await page.waitForFunction(() => !document.querySelector('.review-actions') && document.querySelector('.decisions'));
  assert.match(await page.textContent('.decisions'), /同意发布/);
  noProblems(page, 'review');

  const doc = await api(S.admin, 'GET', `/documents/${S.reviewed}`);
  assert.equal(doc.status, 'published');
  await admin.goto(`${base}/#/doc/${encodeURIComponent(S.reviewed)}`);
  await admin.reload();
  await admin.waitForSelector('.doc-meta .badge-published');
  if (doc.approved_by) assert.match(await admin.textContent('.doc-meta'), /李娜|lina/);
});

test('a reader without permission does not see the document', async () => {
  const page = await newPage();
  await uiLogin(page, 'wangfang', USER_PW);
  await page.goto(`${base}/#/doc/${encodeURIComponent(S.doc)}`);
  await page.waitForSelector('.error-state');
  const text = await page.textContent('main');
  assert.doesNotMatch(text, /翰林产品上手指南|安装包/);
  await page.goto(base + '/#/search?q=' + encodeURIComponent('安装包'));
  await page.waitForSelector('.search-summary:not(:empty), .empty');
  await page.waitForTimeout(300);
  assert.doesNotMatch(await page.textContent('main'), /翰林产品上手指南/);
  await page.goto(base + '/#/spaces');
  await page.waitForSelector('.space-grid, .empty');
  const spaces = await page.textContent('main');
  assert.doesNotMatch(spaces, /产品知识库/);
  assert.match(spaces, /公司公告/);
  await page.goto(base + '/#/');
  await page.waitForSelector('#home-recent .doc-row, #home-recent .empty-line');
  assert.doesNotMatch(await page.textContent('#home-recent'), /翰林产品上手指南/);
  noProblems(page, 'reader');
});

test('stored script, onerror handlers and javascript: links run nothing', async () => {
  const evil = await api(S.admin, 'POST', '/documents', {
    space_id: S.space, category_id: S.catDocs,
    title: '安全测试 <img src=x onerror="window.__pwned=1">',
    tags: ['安全'],
    body: '# 安全测试\n\n<script>window.__pwned=1</script>\n\n<img src=x onerror="window.__pwned=1">\n\n' +
      '[点我](javascript:window.__pwned=1)\n\n<a href="javascript:window.__pwned=1">链接</a>\n\n' +
      '<svg onload="window.__pwned=1"></svg>\n\n<iframe src="javascript:window.__pwned=1"></iframe>\n\n正文 安全测试 结束。\n',
  });
  const page = await newPage();
  await uiLogin(page, 'admin', ADMIN_PW);
  for (const hash of [`#/doc/${encodeURIComponent(evil.id)}`, `#/doc/${encodeURIComponent(evil.id)}/edit`, `#/doc/${encodeURIComponent(evil.id)}/history`, '#/search?q=' + encodeURIComponent('安全测试'), '#/']) {
    await page.goto(base + '/' + hash);
    await page.waitForSelector('main > *');
    await page.waitForTimeout(700);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran on ' + hash);
  }
  await page.goto(`${base}/#/doc/${encodeURIComponent(evil.id)}`);
  await page.waitForSelector('#doc-body');
  assert.equal(await page.textContent('.doc-title'), '安全测试 <img src=x onerror="window.__pwned=1">', 'the title shows as text');
  const bad = await page.evaluate(() => {
    const body = document.getElementById('doc-body');
    return {
      scripts: body.querySelectorAll('script, iframe').length,
      handlers: [...body.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
      jsLinks: [...body.querySelectorAll('[href], [src]')].filter((el) => /^\s*javascript:/i.test(el.getAttribute('href') || el.getAttribute('src') || '')).length,
    };
  });
  assert.deepEqual(bad, { scripts: 0, handlers: 0, jsLinks: 0 });
  for (const a of await page.$$('#doc-body a')) await a.click({ force: true, noWaitAfter: true }).catch(() => {});
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(page.dialogs, [], 'no dialog opened');
  assert.deepEqual(page.problems.filter((p) => p.startsWith('pageerror')), []);
});

test('admin pages', async () => {
  const page = S.adminPage;
  await page.goto(base + '/#/admin/users');
  await page.waitForSelector('.admin-content table, .admin-content .empty');
  assert.match(await page.textContent('.admin-content'), /lina|wangfang/);
  await shot(page, 'admin-users');
  await page.goto(`${base}/#/admin/spaces?space=${S.space}&category=${S.catDocs}`);
  await page.waitForSelector('.grants-editor');
  await shot(page, 'admin-spaces');
  for (const tab of ['groups', 'policies', 'words', 'synonyms', 'audit']) {
    await page.goto(base + '/#/admin/' + tab);
    await page.waitForSelector('.admin-content > *:not(.loading)');
    await page.waitForFunction(() => !document.querySelector('.admin-content .loading'));
    assert.equal(await page.$$eval('.admin-content .error-state', (e) => e.length), 0, tab + ' page loads');
  }
  await shot(page, 'admin-audit');
  noProblems(page, 'admin');
});

test('admin: a review policy naming someone who cannot read there is refused, the reason shown', async () => {
  const page = S.adminPage;
  // 王芳 reads 公司公告 only, not 产品知识库.
  await page.goto(`${base}/#/admin/policies?space=${S.space}&category=${S.catDocs}`);
  await page.waitForSelector('.policy-stages', { state: 'attached' }); // empty: no policy yet
  await page.click('.form-actions button:not(.btn-primary)'); // + 添加阶段
  await page.waitForSelector('.policy-stage select[multiple]');
  await page.fill('.policy-stage input', '读者复核');
  await page.selectOption('.policy-stage select[multiple]', ['user:' + S.reader.id]);
  await page.click('.form-actions .btn-primary');
  await page.waitForSelector('.policy-error:not([hidden])');
  const text = await page.textContent('.policy-error');
  assert.match(text, /审核流程未保存/);
  assert.match(text, /王芳/);
  assert.match(text, /读者复核/);
  assert.match(text, /cannot read/);
  await shot(page, 'admin-policy-refused');
  const cat = await api(S.admin, 'GET', `/categories/${S.catDocs}`);
  assert.equal(cat.review_policy, null, 'nothing was stored');
  noProblems(page, 'policy refused');
});

test('admin: the reviewer picker filters hundreds of people by name, IME-safe, and keeps the chosen ones in view', async () => {
  // Enough accounts that a plain list is a chore: 120 employees named 员工NNN, plus 李娜.
  const made = await Promise.all(Array.from({ length: 120 }, (_, i) =>
    api(S.admin, 'POST', '/users', { username: `staff${String(i).padStart(3, '0')}`, display_name: `员工${String(i).padStart(3, '0')}`, password: USER_PW, kind: 'employee' })));
  assert.equal(made.length, 120);
  const page = S.adminPage;
  await page.goto(`${base}/#/admin/policies?space=${S.space}&category=${S.catDocs}`);
  await page.reload(); // the same address as the test before: load the page (and its people) afresh
  await page.waitForSelector('.policy-stages', { state: 'attached' });
  await page.click('.form-actions button:not(.btn-primary)'); // + 添加阶段
  await page.waitForSelector('.policy-stage .picker-filter');
  const visible = () => page.$$eval('.policy-stage select[multiple] option', (os) => os.filter((o) => !o.hidden).map((o) => o.textContent));
  assert.ok((await visible()).length > 120, 'everyone is listed at first');
  // Typing 李 with a pinyin IME: nothing is filtered while composing "li", then the committed word filters.
  await page.focus('.policy-stage .picker-filter');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.imeSetComposition', { text: 'l', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: 'li', selectionStart: 2, selectionEnd: 2 });
  assert.ok((await visible()).length > 120, 'no filtering on a composing letter');
  await cdp.send('Input.insertText', { text: '李' });
  await cdp.detach();
  await page.waitForFunction(() => [...document.querySelectorAll('.policy-stage select[multiple] option')].filter((o) => !o.hidden).length < 5);
  const shown = await visible();
  assert.ok(shown.some((x) => x.includes('李娜')), JSON.stringify(shown));
  assert.ok(!shown.some((x) => x.includes('员工')), JSON.stringify(shown));
  await page.selectOption('.policy-stage select[multiple]', ['user:' + S.reviewer.id]);
  await page.waitForFunction(() => /李娜/.test(document.querySelector('.policy-stage .picker-chips').textContent));
  // A new filter hides others but never the chosen one; the chip stays.
  await page.fill('.policy-stage .picker-filter', 'staff01');
  await page.waitForFunction(() => [...document.querySelectorAll('.policy-stage select[multiple] option')].filter((o) => !o.hidden).length <= 12);
  const second = await visible();
  assert.ok(second.some((x) => x.includes('李娜')), 'the chosen one stays visible: ' + JSON.stringify(second));
  assert.ok(second.some((x) => x.includes('员工010')), JSON.stringify(second));
  await shot(page, 'admin-reviewer-picker');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'admin-reviewer-picker-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  // Removing by its chip, then nothing is saved: leave the page as it was.
  await page.click('.policy-stage .picker-chips .chip-x');
  assert.match(await page.textContent('.policy-stage .picker-chips'), /尚未选择审核人/);
  noProblems(page, 'reviewer picker');
});

test('phone-sized screen: nothing breaks, long Chinese titles wrap', async () => {
  const long = await api(S.admin, 'POST', '/documents', {
    space_id: S.openSpace,
    title: '关于进一步加强和规范公司各部门跨地区协同办公流程以及相关信息系统权限申请审批管理的实施细则（2024年修订版）',
    body: '# 总则\n\n为提升协同效率，制定本细则。\n\n## 适用范围\n\n本细则适用于公司全体员工。\n\n| 项目 | 负责人 |\n|---|---|\n| 权限申请 | 信息部 |\n',
    tags: ['制度', '协同办公流程规范超长标签名称'],
  });
  const page = await newPage({ viewport: PHONE });
  await uiLogin(page, 'admin', ADMIN_PW);
  await page.waitForSelector('.hero-title');
  await noHorizontalOverflow(page, 'home');
  await shot(page, 'phone-home');
  await page.goto(`${base}/#/doc/${encodeURIComponent(long.id)}`);
  await page.waitForSelector('.doc-title');
  await noHorizontalOverflow(page, 'document');
  const titleBox = await page.$eval('.doc-title', (el) => ({ w: el.getBoundingClientRect().width, h: el.getBoundingClientRect().height }));
  assert.ok(titleBox.w <= 360 && titleBox.h > 40, 'the long title wraps onto several lines');
  await shot(page, 'phone-document', { fullPage: true });
  // The menu opens with the keyboard.
  await page.focus('.menu-toggle');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.main-nav.open');
  await shot(page, 'phone-menu');
  await page.goto(`${base}/#/doc/${encodeURIComponent(S.doc)}/edit`);
  await page.waitForSelector('textarea.body-input');
  await noHorizontalOverflow(page, 'editor');
  await page.goto(base + '/#/search?q=' + encodeURIComponent('安装'));
  await page.waitForSelector('.hit, .empty');
  await noHorizontalOverflow(page, 'search');
  noProblems(page, 'phone');
});

test('English is available and remembered', async () => {
  const page = await newPage();
  await uiLogin(page, 'admin', ADMIN_PW);
  await page.click('.user-menu summary');
  await page.click('.lang-switch');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await page.textContent('.main-nav'), /Home/);
  await page.reload();
  await page.waitForSelector('.main-nav');
  assert.match(await page.textContent('.main-nav'), /Home/);
  await page.click('.user-menu summary');
  await page.click('.lang-switch');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  assert.match(await page.textContent('.main-nav'), /首页/);
  // Sign out, then a protected page asks for the login again.
  await page.click('.user-menu summary');
  await page.click('.user-menu .logout');
  await page.waitForSelector('.login-form');
  await page.goto(base + '/#/admin/users');
  await page.waitForSelector('.login-form');
  noProblems(page, 'language');
});
