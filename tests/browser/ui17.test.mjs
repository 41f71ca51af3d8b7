// Browser tests for issue 17 (the UI Chinese office workers expect). Own server, own data.
// Run through ./run.sh; HANLIN_BIN=/path/to/hanlin picks the binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, ADMIN_PW, USER_PW, WIDE, PHONE, slowApi, shot, noProblems, noHorizontalOverflow, assertNoEnglish } from './lib.mjs';

const H = new Harness('ui17');
const S = {};
let base;

before(async () => {
  await H.start();
  base = H.base;
  const api = (...a) => H.api(H.admin, ...a);
  S.writer = await api('POST', '/users', { username: 'zhangwei', display_name: '张伟', password: USER_PW, kind: 'employee' });
  S.reviewer = await api('POST', '/users', { username: 'lina', display_name: '李娜', password: USER_PW, kind: 'employee' });
  S.guest = await api('POST', '/users', { username: 'guest1', display_name: '外部顾问', password: USER_PW, kind: 'external', expires_at: new Date(Date.now() + 30 * 86400e3).toISOString() });
  const space = await api('POST', '/spaces', { name: '运维手册', kind: 'knowledge', description: '部署、巡检与故障处理' });
  S.space = space.id;
  await api('PUT', `/spaces/${S.space}/grants`, [
    { principal: 'user:' + S.writer.id, role: 'editor' },
    { principal: 'user:' + S.reviewer.id, role: 'reviewer' },
    { principal: 'user:' + S.guest.id, role: 'reader' },
  ]);
  S.catDeploy = (await api('POST', `/spaces/${S.space}/categories`, { name: '部署' })).id;
  S.catChange = (await api('POST', `/spaces/${S.space}/categories`, { name: '变更管理' })).id;
  S.catSub = (await api('POST', `/spaces/${S.space}/categories`, { name: '数据库', parent_id: S.catDeploy })).id;
  S.steps = {};
  for (const n of [1, 2, 10, 3]) {
    const d = await api('POST', '/documents', { space_id: S.space, category_id: S.catDeploy, title: `步骤${n} 部署说明`, body: `# 步骤${n}\n\n## 准备\n\n准备工作 ${n}。\n\n## 执行\n\n执行命令。\n\n## 检查\n\n检查结果。\n` });
    S.steps[n] = d.id;
  }
  S.dbDoc = (await api('POST', '/documents', { space_id: S.space, category_id: S.catSub, title: '数据库扩容', body: '# 数据库扩容\n\n扩容前先备份。\n' })).id;
});

after(() => H.stop());

// ---------------------------------------------------------------------------------------------
// 1. a page never renders after it was left

test('1: a slow page that was left never writes into the next one', async () => {
  const page = await H.page();
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.waitForSelector('.hero-title');
  const undo = await slowApi(page, 300);
  await page.evaluate((id) => { location.hash = '#/spaces/' + id; }, S.space);
  await page.waitForTimeout(100);
  await page.click('.main-nav a[href="#/reviews"]');
  await page.waitForSelector('main .page-title');
  await page.waitForTimeout(1500); // the space page's answers are all in by now
  const seen = await page.evaluate(() => ({
    titles: [...document.querySelectorAll('main .page-title')].map((e) => e.textContent),
    tree: document.querySelectorAll('main .cat-tree').length,
    docTitle: document.title,
    hash: location.hash,
  }));
  assert.deepEqual(seen.titles, ['待我审核']);
  assert.equal(seen.tree, 0, 'the space page did not render into the review page');
  assert.doesNotMatch(seen.docTitle, /运维手册/);
  assert.equal(seen.hash, '#/reviews');

  // Quick: a document, then search, then the document again; only the last page is shown.
  await page.evaluate((id) => { location.hash = '#/doc/' + id; }, S.steps[1]);
  await page.waitForTimeout(50);
  await page.evaluate(() => { location.hash = '#/search?q=' + encodeURIComponent('部署'); });
  await page.waitForTimeout(50);
  await page.evaluate((id) => { location.hash = '#/doc/' + id; }, S.steps[2]);
  await page.waitForSelector('.doc-title');
  await page.waitForTimeout(1500);
  const doc = await page.evaluate(() => ({
    titles: [...document.querySelectorAll('main .doc-title')].map((e) => e.textContent),
    search: document.querySelectorAll('main .search-bar').length,
    hash: location.hash,
  }));
  assert.deepEqual(doc.titles, ['步骤2 部署说明']);
  assert.equal(doc.search, 0);
  assert.match(doc.hash, /^#\/doc\//);
  await undo();
  noProblems(page, 'fast navigation');
});

test('1: log in and go straight to the users page: only the users page', async () => {
  const page = await H.page();
  const undo = await slowApi(page, 300);
  await page.goto(base + '/#/login');
  await page.waitForSelector('.login-form input[name=username]');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PW);
  await page.press('input[name=password]', 'Enter');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await page.evaluate(() => { location.hash = '#/admin/users'; });
  await page.waitForSelector('.admin-content table');
  await page.waitForTimeout(1500);
  const seen = await page.evaluate(() => ({
    hero: document.querySelectorAll('main .hero').length,
    mains: document.querySelectorAll('main').length,
    admin: document.querySelectorAll('main .admin-layout').length,
  }));
  assert.deepEqual(seen, { hero: 0, mains: 1, admin: 1 });
  await undo();
  noProblems(page, 'login then admin');
});
