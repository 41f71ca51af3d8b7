// Browser tests for issue 16: two editors changing different paragraphs both keep their changes;
// overlapping ones get the conflict view, where choosing is explicit; comments with the @ picker
// (by pinyin, through an input method) and replies; who else is editing; the watch button.
// Own server, own data. Run through ./run.sh; HANLIN_BIN=/path/to/hanlin picks the binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, USER_PW, WIDE, PHONE, shot, noProblems, noHorizontalOverflow, compose } from './lib.mjs';

const H = new Harness('collab16');
const S = {};

const BODY = '# 发布流程\n\n第一段：提交申请。\n\n第二段：主管审批。\n\n第三段：上线。\n';

before(async () => {
  await H.start();
  const api = (...a) => H.api(H.admin, ...a);
  S.zhang = await api('POST', '/users', { username: 'zhangwei', display_name: '张伟', password: USER_PW, kind: 'employee' });
  S.li = await api('POST', '/users', { username: 'lina', display_name: '李娜', password: USER_PW, kind: 'employee' });
  S.bob = await api('POST', '/users', { username: 'wangfang', display_name: '王芳', password: USER_PW, kind: 'employee' });
  const space = await api('POST', '/spaces', { name: '协作空间', kind: 'knowledge', description: '' });
  S.space = space.id;
  await api('PUT', `/spaces/${space.id}/grants`, [
    { principal: 'everyone', role: 'reader' },
    { principal: 'user:' + S.zhang.id, role: 'editor' },
    { principal: 'user:' + S.li.id, role: 'editor' },
  ]);
  S.zhangTok = await H.login('zhangwei', USER_PW);
  S.liTok = await H.login('lina', USER_PW);
  S.bobTok = await H.login('wangfang', USER_PW);
});

after(() => H.stop());

async function newDoc(title) {
  return (await H.api(S.zhangTok, 'POST', '/documents', { space_id: S.space, title, body: BODY })).id;
}

test('16: edits to different paragraphs merge: both changes kept, the editor says so', async () => {
  const id = await newDoc('发布流程（合并）');
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'lina', USER_PW);
  await page.goto(`${H.base}/#/doc/${id}/edit`);
  await page.waitForSelector('textarea.body-input');
  await page.fill('textarea.body-input', BODY.replace('第三段：上线。', '第三段：周四晚上线。'));
  // Meanwhile 张伟 saves a change to the first paragraph.
  await H.api(S.zhangTok, 'PUT', `/documents/${id}`, { title: '发布流程（合并）', body: BODY.replace('提交申请', '在 OA 提交申请'), tags: [], base_version: 1 });
  await page.click('.editor button[type=submit]');
  await page.waitForURL(new RegExp(`#/doc/${id}$`));
  await page.waitForFunction(() => /版本 3/.test(document.querySelector('.doc-meta')?.textContent || ''));
  const text = await page.textContent('#doc-body');
  assert.match(text, /在 OA 提交申请/);
  assert.match(text, /周四晚上线/);
  const history = await H.api(S.liTok, 'GET', `/documents/${id}/versions`);
  assert.deepEqual(history.map((v) => v.author), ['lina', 'zhangwei', 'zhangwei']);
  noProblems(page, 'merge');
});

for (const [name, viewport] of [['desktop', WIDE], ['phone', PHONE]]) {
  test(`16: overlapping edits show both sides with who and when; saving needs an explicit choice (${name})`, async () => {
    const id = await newDoc('发布流程（冲突 ' + name + '）');
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'lina', USER_PW);
    await page.goto(`${H.base}/#/doc/${id}/edit`);
    await page.waitForSelector('textarea.body-input');
    await page.fill('textarea.body-input', BODY.replace('主管审批', '总监审批'));
    await H.api(S.zhangTok, 'PUT', `/documents/${id}`, { title: '发布流程（冲突 ' + name + '）', body: BODY.replace('主管审批', '部门主管审批'), tags: [], base_version: 1 });
    await page.click('.editor button[type=submit]');
    await page.waitForSelector('.conflict-hunk');
    const box = await page.textContent('.conflict');
    assert.match(box, /张伟 的版本 2/, 'their side names its author and version');
    assert.match(box, /我的修改（基于版本 1）/);
    assert.match(await page.textContent('.conflict-theirs'), /部门主管审批/);
    assert.match(await page.textContent('.conflict-mine'), /总监审批/);
    // No button saves before a choice is made: the primary is disabled, and nothing was written.
    assert.equal(await page.$eval('.conflict .btn-primary', (b) => b.disabled), true);
    assert.match(await page.textContent('.conflict-left'), /还有 1 处需要选择/);
    assert.equal((await H.api(S.liTok, 'GET', `/documents/${id}`)).version, 2);
    await shot(page, `collab16-conflict-${name}`, { fullPage: true });
    await noHorizontalOverflow(page, 'conflict ' + name);
    // Keep both, edit the result a little, save.
    await page.click('.conflict-choose button[data-choice=both]');
    assert.equal(await page.$eval('.conflict .btn-primary', (b) => b.disabled), false);
    const merged = await page.inputValue('.merge-result');
    assert.match(merged, /部门主管审批/);
    assert.match(merged, /总监审批/);
    assert.doesNotMatch(merged, /<<<<<<</);
    await page.click('.conflict .btn-primary');
    await page.waitForURL(new RegExp(`#/doc/${id}$`));
    const doc = await H.api(S.liTok, 'GET', `/documents/${id}`);
    assert.equal(doc.version, 3);
    assert.match(doc.body, /部门主管审批/);
    assert.match(doc.body, /总监审批/);
    noProblems(page, 'conflict ' + name);
  });
}

test('16: who else is editing shows in the editor and on the document page', async () => {
  const id = await newDoc('值班表');
  const zhang = await H.page({ viewport: WIDE });
  await H.uiLogin(zhang, 'zhangwei', USER_PW);
  await zhang.goto(`${H.base}/#/doc/${id}/edit`);
  await zhang.waitForSelector('textarea.body-input');
  // 李娜 opens the editor after him: she is told he is editing.
  const li = await H.page({ viewport: WIDE });
  await H.uiLogin(li, 'lina', USER_PW);
  await li.goto(`${H.base}/#/doc/${id}/edit`);
  await li.waitForSelector('.editing-now');
  assert.match(await li.textContent('.editing-now'), /张伟 正在编辑/);
  // A reader's document page shows both.
  const bob = await H.page({ viewport: PHONE });
  await H.uiLogin(bob, 'wangfang', USER_PW);
  await bob.goto(`${H.base}/#/doc/${id}`);
  await bob.waitForSelector('.editing-now');
  assert.match(await bob.textContent('.editing-now'), /张伟、李娜 正在编辑/);
  await shot(bob, 'collab16-editing-phone');
  // Leaving the editor says goodbye: the page no longer names 张伟.
  await zhang.goto(`${H.base}/#/`);
  await zhang.waitForSelector('.topbar .brand');
  let names = '';
  for (let i = 0; i < 50; i++) {
    const d = await H.api(S.bobTok, 'GET', `/documents/${id}`);
    names = d.editing.map((e) => e.display_name).join('、');
    if (names === '李娜') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(names, '李娜');
  noProblems(li, 'editing');
});

for (const [name, viewport] of [['desktop', WIDE], ['phone', PHONE]]) {
  test(`16: comments with the @ picker by pinyin through an input method, a reply, resolve, watch (${name})`, async () => {
    const id = await newDoc('周报 ' + name);
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'wangfang', USER_PW);
    await page.goto(`${H.base}/#/doc/${id}`);
    await page.waitForSelector('.comments .comment-input');
    assert.match(await page.textContent('.doc-comments-link'), /评论 0/);
    // Watch the document.
    await page.click('.watch-btn');
    await page.waitForFunction(() => document.querySelector('.watch-btn')?.getAttribute('aria-pressed') === 'true');
    assert.equal((await H.api(S.bobTok, 'GET', `/documents/${id}`)).watching, true);
    // Type a comment; "@" then pinyin initials while composing asks nothing; the committed
    // letters list 李娜.
    await page.click('.comments .comment-input');
    await page.keyboard.type('请 @');
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/mentionable')) asked.push(new URL(r.url()).searchParams.get('q')); });
    const cdp = await page.context().newCDPSession(page);
    await compose(cdp, 'ln');
    await page.waitForTimeout(300);
    assert.deepEqual(asked.filter((q) => q === 'ln'), [], 'nothing asked while composing');
    await cdp.send('Input.insertText', { text: 'ln' });
    await page.waitForSelector('.mention-list li');
    assert.match(await page.textContent('.mention-list'), /李娜/);
    await shot(page, `collab16-mention-${name}`);
    await page.keyboard.press('Enter');
    assert.match(await page.inputValue('.comments .comment-input'), /请 @lina $/);
    await page.keyboard.type('看一下第二段');
    await page.click('.comments .comment-form .btn-primary');
    await page.waitForSelector('.comment-thread');
    assert.match(await page.textContent('.comment-thread'), /请 @lina 看一下第二段/);
    assert.match(await page.textContent('.doc-comments-link'), /评论 1/);
    // 李娜 was told; 张伟 (the author, watching) too.
    const liInbox = await H.api(S.liTok, 'GET', '/notifications?limit=50');
    assert.ok(liInbox.items.some((n) => n.kind === 'mentioned' && n.text.includes('周报 ' + name)), JSON.stringify(liInbox.items));
    const zInbox = await H.api(S.zhangTok, 'GET', '/notifications?limit=50');
    assert.ok(zInbox.items.some((n) => n.kind === 'commented' && n.text.includes('王芳')), JSON.stringify(zInbox.items));
    // 张伟 follows the notice's link, replies and resolves.
    const zhang = await H.page({ viewport });
    await H.uiLogin(zhang, 'zhangwei', USER_PW);
    const link = zInbox.items.find((n) => n.kind === 'commented').link;
    await zhang.goto(H.base + '/' + link);
    await zhang.waitForSelector('.comment-focus');
    await zhang.click('.comment-actions .link-btn:has-text("回复")');
    await zhang.fill('.comment-thread .comment-form textarea', '已改好');
    await zhang.click('.comment-thread .comment-form .btn-primary');
    await zhang.waitForSelector('.comment-replies .comment');
    await shot(zhang, `collab16-comments-${name}`, { fullPage: true });
    await zhang.click('.comment-actions .link-btn:has-text("标记为已解决")');
    // The thread being looked at stays open, marked resolved; elsewhere it is folded away.
    await zhang.waitForSelector('.comment-thread.resolved');
    assert.match(await zhang.textContent('.comment-thread.resolved'), /已解决 · 张伟/);
    await page.goto(`${H.base}/#/`);
    await page.goto(`${H.base}/#/doc/${id}`);
    await page.waitForSelector('.thread-folded');
    assert.match(await page.textContent('.thread-folded summary'), /已解决的讨论（2 条）/);
    await shot(page, `collab16-resolved-${name}`, { fullPage: true });
    await noHorizontalOverflow(zhang, 'comments ' + name);
    noProblems(page, 'comments ' + name);
    noProblems(zhang, 'comments reply ' + name);
  });
}

test('16: watching a space from its page brings a notice for each new document there', async () => {
  const page = await H.page({ viewport: PHONE });
  await H.uiLogin(page, 'wangfang', USER_PW);
  await page.goto(`${H.base}/#/spaces/${S.space}`);
  await page.waitForSelector('.watch-btn:not([hidden])');
  assert.equal(await page.getAttribute('.watch-btn', 'aria-pressed'), 'false');
  await page.click('.watch-btn');
  await page.waitForFunction(() => document.querySelector('.watch-btn')?.getAttribute('aria-pressed') === 'true');
  assert.equal((await H.api(S.bobTok, 'GET', `/spaces/${S.space}`)).watching, true);
  await shot(page, 'collab16-space-watch-phone');
  await noHorizontalOverflow(page, 'space page');
  await H.api(S.zhangTok, 'POST', '/documents', { space_id: S.space, title: '新的值班规定', body: '周末轮值。\n' });
  const inbox = await H.api(S.bobTok, 'GET', '/notifications?limit=50');
  assert.ok(inbox.items.some((n) => n.kind === 'published' && n.text.includes('新的值班规定')), JSON.stringify(inbox.items.slice(0, 3)));
  // Reloaded, the page still says 已关注.
  await page.goto(`${H.base}/#/`);
  await page.goto(`${H.base}/#/spaces/${S.space}`);
  await page.waitForFunction(() => document.querySelector('.watch-btn:not([hidden])')?.getAttribute('aria-pressed') === 'true');
  noProblems(page, 'space watch');
});
