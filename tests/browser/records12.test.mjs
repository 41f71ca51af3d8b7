// Browser tests for issue 12: records in a project space. Minutes from a template (its variables
// filled) with two action items for two people, who each see theirs in 我的待办; the form's errors
// beside their fields, in Chinese; ticking an item done saves a new version; the project home's
// chart reflects the tracker's rows; an external guest submits a requirement but edits nothing;
// the people picker through an input method. Own server, own data. Run through ./run.sh;
// HANLIN_BIN=/path/to/hanlin picks the binary; HANLIN_SHOTS=dir copies the screenshots there.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, ART, ADMIN_PW, USER_PW, WIDE, PHONE, shot, noProblems, noHorizontalOverflow, compose } from './lib.mjs';

const H = new Harness('records12');
const S = {};

async function snap(page, name, opts) {
  await shot(page, name, opts);
  if (process.env.HANLIN_SHOTS) {
    fs.mkdirSync(process.env.HANLIN_SHOTS, { recursive: true });
    fs.copyFileSync(path.join(ART, name + '.png'), path.join(process.env.HANLIN_SHOTS, name + '.png'));
  }
}

before(async () => {
  await H.start();
  const api = (...a) => H.api(H.admin, ...a);
  const mk = (username, display_name, extra = {}) => api('POST', '/users', { username, display_name, password: USER_PW, kind: 'employee', ...extra });
  S.zhang = await mk('zhangwei', '张伟');
  S.li = await mk('lina', '李娜');
  S.wang = await mk('wangfang', '王芳');
  S.guest = await mk('chenke', '陈客户', { kind: 'external', expires_at: new Date(Date.now() + 30 * 86400e3).toISOString() });
  S.proj = (await api('POST', '/spaces', { name: '星火项目', kind: 'project', description: '星火客户门户的交付' })).id;
  S.kb = (await api('POST', '/spaces', { name: '内部知识库', kind: 'knowledge', description: '' })).id;
  await api('PUT', `/spaces/${S.proj}/grants`, [
    { principal: 'user:' + S.zhang.id, role: 'manager' },
    { principal: 'user:' + S.li.id, role: 'editor' },
    { principal: 'user:' + S.wang.id, role: 'editor' },
    { principal: 'user:' + S.guest.id, role: 'reader', record_types: ['requirement'] },
  ]);
  await api('PUT', `/spaces/${S.kb}/grants`, [{ principal: 'user:' + S.zhang.id, role: 'editor' }]);
  S.zhangTok = await H.login('zhangwei', USER_PW);
  S.liTok = await H.login('lina', USER_PW);
  S.wangTok = await H.login('wangfang', USER_PW);
  S.guestTok = await H.login('chenke', USER_PW);
  // The space's own templates, with variables: a record (minutes) and a document (周报).
  S.tplMinutes = (await H.api(S.zhangTok, 'POST', '/templates', {
    name: '项目周例会', space_id: S.proj, record_type: 'meeting-minutes',
    fields: { title: '{space}周例会 {date}', date: '{date}', attendees: [], action_items: [], notes: '记录人：{author}' },
  })).id;
  S.tplWeekly = (await H.api(S.zhangTok, 'POST', '/templates', {
    name: '项目周报', space_id: S.proj, body: '# {space}周报（{week}）\n\n填写人：{author}\n\n日期：{date} {time}\n\n## 本周进展\n\n',
  })).id;
});

after(() => H.stop());

/** Types into a people input and takes the person the list offers. */
async function pickPerson(page, input, typed, name) {
  await page.click(input);
  await page.fill(input, typed);
  const list = page.locator(input).locator('xpath=..').locator('.people-list li').first();
  await list.waitFor();
  assert.match(await list.textContent(), new RegExp(name));
  await page.press(input, 'Enter');
}

test('12: minutes from the space template (variables filled), attendees through an input method, two action items for two people', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/new?space=${S.proj}`);
  await page.waitForSelector(`.tpl-btn[data-template="${S.tplMinutes}"]`);
  // The space's templates come first, then the global and built-in ones.
  const order = await page.$$eval('.tpl-list .tpl-btn', (bs) => bs.map((b) => b.dataset.template));
  assert.deepEqual(order.slice(0, 2).sort(), [S.tplMinutes, S.tplWeekly].sort(), 'space templates first: ' + order.join(' '));
  assert.ok(order.length > 2, 'built-in templates offered too');
  await page.click(`.tpl-btn[data-template="${S.tplMinutes}"]`);
  await page.waitForSelector('.rec-form [data-field=title] input');
  assert.match(await page.textContent('main h1'), /新建会议纪要/);
  const title = await page.inputValue('[data-field=title] input');
  assert.match(title, /^星火项目周例会 \d{4}-\d{2}-\d{2}$/, 'variables resolved: ' + title);
  assert.match(await page.inputValue('[data-field=date] input'), /^\d{4}-\d{2}-\d{2}$/);
  assert.match(await page.inputValue('[data-field=notes] textarea'), /记录人：(张伟|zhangwei)/);

  // Attendees: pinyin letters while composing ask nothing; the committed name lists 李娜.
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/people')) asked.push(new URL(r.url()).searchParams.get('q')); });
  const att = '[data-field=attendees] .rec-line:nth-child(1) input';
  await page.click(att);
  const cdp = await page.context().newCDPSession(page);
  await compose(cdp, 'lina');
  await page.waitForTimeout(400);
  assert.deepEqual(asked, [], 'nothing asked while composing');
  await cdp.send('Input.insertText', { text: '李娜' });
  await page.waitForSelector('[data-field=attendees] .people-list li');
  assert.deepEqual(asked, ['李娜']);
  assert.match(await page.textContent('[data-field=attendees] .people-list'), /李娜.*@lina/);
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue(att), 'lina');
  assert.match(await page.textContent('[data-field=attendees] .rec-line:nth-child(1) .person-name'), /李娜/);
  // Enter in a row (the list closed) adds the next row instead of submitting.
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-field=attendees] .rec-line:nth-child(2) input:focus');
  await pickPerson(page, '[data-field=attendees] .rec-line:nth-child(2) input', 'wangfang', '王芳');
  assert.match(page.url(), /#\/new\?/, 'Enter did not submit');

  // Two action items, for 李娜 (overdue) and 王芳.
  const row = (n, f) => `[data-field=action_items] .rec-row:nth-child(${n}) [data-field=${f}]`;
  await page.fill(row(1, 'task') + ' input', '提交测试报告');
  await pickPerson(page, row(1, 'owner') + ' input', 'lina', '李娜');
  await page.fill(row(1, 'due') + ' input', '2020-01-10');
  await page.click('[data-field=action_items] .rec-add');
  await page.waitForSelector(row(2, 'task') + ' input');
  await page.fill(row(2, 'task') + ' input', '更新部署文档');
  await pickPerson(page, row(2, 'owner') + ' input', 'wangfang', '王芳');
  await page.fill(row(2, 'due') + ' input', '2099-12-31');
  assert.match(await page.textContent(row(2, 'status') + ' select option:checked'), /待开始/);
  await page.selectOption(row(2, 'status') + ' select', { label: '进行中' });
  await snap(page, 'records12-form-desktop', { fullPage: true });
  await page.click('.rec-actions .btn-primary');
  await page.waitForURL(/#\/doc\/[^/]+$/);
  S.minutes = decodeURIComponent(page.url().split('#/doc/')[1]);
  await page.waitForSelector('#doc-body');
  assert.match(await page.textContent('.doc-meta'), /会议纪要/);
  assert.match(await page.textContent('#doc-body'), /提交测试报告/);
  const doc = await H.api(S.zhangTok, 'GET', `/documents/${S.minutes}`);
  assert.equal(doc.record_type, 'meeting-minutes');
  assert.deepEqual(doc.fields.attendees, ['lina', 'wangfang']);
  assert.deepEqual(doc.fields.action_items.map((a) => [a.task, a.owner, a.due, a.status]),
    [['提交测试报告', 'lina', '2020-01-10', 'open'], ['更新部署文档', 'wangfang', '2099-12-31', 'in_progress']]);
  // 编辑 opens the form, filled.
  await page.click('.doc-actions a[href$="/edit"]');
  await page.waitForSelector('.rec-form [data-field=action_items] .rec-row:nth-child(2)');
  assert.equal(await page.inputValue(row(2, 'task') + ' input'), '更新部署文档');
  assert.equal(await page.$('textarea.body-input'), null, 'no Markdown editor for a record');
  noProblems(page, 'minutes');
});

test('12: each owner sees their own items in 我的待办, overdue first, and not the other\'s', async () => {
  await H.api(S.zhangTok, 'POST', '/documents', { space_id: S.proj, title: '上线检查单', body: '# 上线检查单\n\n- [ ] 准备演示环境 @lina 截止:2099-06-01\n- [ ] 检查备份 @wangfang\n' });
  for (const [who, viewport, mine, theirs] of [['lina', WIDE, ['提交测试报告', '准备演示环境'], ['更新部署文档', '检查备份']], ['wangfang', PHONE, ['更新部署文档', '检查备份'], ['提交测试报告', '准备演示环境']]]) {
    const page = await H.page({ viewport });
    await H.uiLogin(page, who, USER_PW);
    // The home page's card and the nav link lead there.
    await page.waitForSelector('#home-todo .todo-item');
    assert.match(await page.textContent('#home-todo'), new RegExp(mine[0]));
    if (viewport === PHONE) await page.click('.menu-toggle');
    await page.click('.main-nav a[href="#/todo"]');
    await page.waitForSelector('main .todo-list .todo-item');
    assert.match(await page.textContent('main h1'), /我的待办/);
    const texts = await page.$$eval('main .todo-item .todo-text', (els) => els.map((e) => e.textContent));
    assert.deepEqual(texts, mine, who + ' sees ' + texts.join('、'));
    for (const x of theirs) assert.ok(!texts.includes(x));
    const first = page.locator('main .todo-item').first();
    if (who === 'lina') {
      assert.match(await first.textContent(), /已逾期/);
      assert.match(await first.textContent(), /来自\s*星火项目周例会/);
      assert.doesNotMatch(await page.locator('main .todo-item').nth(1).textContent(), /已逾期/);
    }
    await snap(page, `records12-todo-${viewport === WIDE ? 'desktop' : 'phone'}`, { fullPage: true });
    await noHorizontalOverflow(page, '我的待办 ' + who);
    noProblems(page, '我的待办 ' + who);
  }
});

test('12: a missing required field and a bad date show their Chinese errors beside the field, the first focused', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/new?space=${S.proj}&type=meeting-minutes`);
  await page.waitForSelector('.rec-form [data-field=title] input');
  // Every control has a label.
  const unlabelled = await page.$$eval('.rec-form input, .rec-form select, .rec-form textarea',
    (els) => els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.outerHTML));
  assert.deepEqual(unlabelled, []);
  await page.fill('[data-field=date] input', '2026-12-01');
  await page.fill('[data-field=attendees] .rec-line:nth-child(1) input', 'lina');
  const row = (f) => `[data-field=action_items] .rec-row:nth-child(1) [data-field=${f}]`;
  await page.fill(row('task') + ' input', '整理需求');
  await page.fill(row('owner') + ' input', 'lina');
  await page.fill(row('due') + ' input', '2026-12-20');
  // 会议主题 left empty: the server says so, beside it, and the caret goes there.
  await page.click('.rec-actions .btn-primary');
  await page.waitForSelector('[data-field=title] .field-error:not([hidden])');
  const msg = await page.textContent('[data-field=title] .field-error');
  assert.match(msg, /[\u4e00-\u9fff]/, 'a Chinese message: ' + msg);
  assert.equal(await page.evaluate(() => document.activeElement.closest('[data-field]')?.dataset.field), 'title');
  assert.equal(await page.getAttribute('[data-field=title] input', 'aria-invalid'), 'true');
  assert.match(page.url(), /#\/new\?/);
  await snap(page, 'records12-form-errors-desktop');
  // A bad date (as another client could send it): its message lands on the row's 截止日期.
  await page.fill('[data-field=title] input', '需求评审会');
  await page.route('**/api/v1/documents', async (route) => {
    const req = route.request();
    if (req.method() !== 'POST') return route.continue();
    const body = JSON.parse(req.postData());
    body.fields.action_items[0].due = '2026-02-30';
    await route.continue({ postData: JSON.stringify(body) });
  });
  await page.click('.rec-actions .btn-primary');
  await page.waitForSelector(row('due') + ' .field-error:not([hidden])');
  assert.match(await page.textContent(row('due') + ' .field-error'), /[\u4e00-\u9fff]/);
  assert.equal(await page.isHidden('[data-field=title] .field-error'), true, 'the fixed field is clear again');
  assert.equal(await page.evaluate(() => document.activeElement.closest('[data-field]')?.dataset.field), 'due');
  await page.unroute('**/api/v1/documents');
  noProblems(page, 'errors');
});

test('12: ticking an item done saves a new version of the minutes; the history shows it', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'lina', USER_PW);
  await page.goto(`${H.base}/#/todo`);
  const item = page.locator('main .todo-item', { hasText: '提交测试报告' });
  await item.waitFor();
  await item.locator('input[type=checkbox]').check();
  await page.waitForSelector('.toast-success');
  assert.match(await page.textContent('.toast-success'), /已标为完成/);
  const versions = await H.api(S.liTok, 'GET', `/documents/${S.minutes}/versions`);
  assert.equal(versions.length ?? versions.items.length, 2);
  const doc = await H.api(S.liTok, 'GET', `/documents/${S.minutes}`);
  assert.equal(doc.version, 2);
  assert.equal(doc.fields.action_items[0].status, 'done');
  await page.goto(`${H.base}/#/todo?status=done`);
  await page.waitForSelector('main .todo-item.todo-done');
  assert.match(await page.textContent('main .todo-list'), /提交测试报告/);
  await page.goto(`${H.base}/#/todo`);
  await page.waitForSelector('main .todo-item');
  assert.doesNotMatch(await page.textContent('main .todo-list'), /提交测试报告/);
  await page.goto(`${H.base}/#/doc/${S.minutes}/history`);
  await page.waitForSelector('.versions tbody tr');
  assert.equal(await page.locator('.versions tbody tr').count(), 2);
  assert.match(await page.textContent('.versions tbody tr:first-child'), /v2[\s\S]*李娜/);
  // The record's diff says which field changed, from what to what.
  await page.waitForSelector('.field-changes');
  assert.match(await page.textContent('.field-changes'), /待办事项 第 1 项 · 状态\s*待开始\s*已完成/);
  noProblems(page, 'done');
});

test('12: the project home: members, open items by owner, the tracker as a table and a chart that reflects its rows', async () => {
  await H.api(S.zhangTok, 'POST', '/documents', {
    space_id: S.proj, record_type: 'progress-tracker', fields: {
      project: '星火项目', period: '2026-W49', tasks: [
        { task: '需求评审', owner: 'zhangwei', status: 'done', percent: 100 },
        { task: '接口开发', owner: 'lina', status: 'in_progress', percent: 60, due: '2099-01-15' },
        { task: '前端联调', owner: 'wangfang', status: 'in_progress', percent: 40 },
        { task: '上线演练', owner: 'zhangwei', status: 'not_started', percent: 0 },
      ],
    },
  });
  for (const [name, viewport] of [['desktop', WIDE], ['phone', PHONE]]) {
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'zhangwei', USER_PW);
    await page.goto(`${H.base}/#/spaces/${S.proj}`);
    await page.waitForSelector('.proj-chart');
    const bars = await page.$$eval('.proj-chart .proj-bar', (gs) => gs.map((g) => [g.dataset.status, g.querySelector('.proj-label').textContent, g.querySelector('.proj-value').textContent, +g.querySelector('.chart-bar').getAttribute('width')]));
    assert.deepEqual(bars.map((b) => b.slice(0, 3)), [['not_started', '待开始', '1'], ['in_progress', '进行中', '2'], ['done', '已完成', '1']]);
    assert.equal(bars[1][3], 2 * bars[0][3], 'bar lengths follow the counts');
    assert.equal(await page.textContent('.proj-avg .proj-value'), '50%');
    assert.match(await page.getAttribute('.proj-chart', 'aria-label'), /进行中 2.*平均完成度 50%/);
    assert.equal(await page.locator('.proj-tasks tbody tr').count(), 4);
    assert.match(await page.textContent('.proj-tasks'), /接口开发[\s\S]*60%/);
    await page.waitForSelector('#proj-members li');
    const members = await page.textContent('#proj-members');
    for (const n of ['张伟', '李娜', '王芳']) assert.match(members, new RegExp(n));
    await page.waitForSelector('#proj-items .proj-owner');
    const owners = await page.$$eval('#proj-items .proj-owner h3', (hs) => hs.map((x) => x.textContent));
    assert.ok(owners.some((o) => o.startsWith('王芳')) && owners.some((o) => o.startsWith('李娜')), owners.join(' '));
    assert.match(await page.textContent('#proj-items'), /更新部署文档/);
    await page.waitForSelector('#proj-minutes .doc-row');
    assert.match(await page.textContent('#proj-minutes'), /星火项目周例会/);
    // The SVG's text stays legible on a phone: its labels are at least 11 px on screen.
    const px = await page.$eval('.proj-chart .proj-label', (el) => el.getBoundingClientRect().height);
    assert.ok(px >= 11, 'chart labels are ' + px + ' px high');
    await snap(page, `records12-project-${name}`, { fullPage: true });
    await noHorizontalOverflow(page, 'project home ' + name);
    noProblems(page, 'project home ' + name);
  }
});

test('12: the record list filters by status and sorts', async () => {
  await H.api(S.zhangTok, 'POST', '/documents', { space_id: S.proj, record_type: 'requirement', fields: { title: '单点登录', requester: '张伟', party: 'internal', description: '接入公司账号', status: 'accepted' } });
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/spaces/${S.proj}`);
  await page.click('.rec-links a:has-text("需求登记")');
  await page.waitForSelector('.rec-table tbody tr');
  await page.selectOption('.rec-filters select[name="field.status"]', { label: '已接受' });
  await page.waitForFunction(() => /field\.status=accepted/.test(location.hash));
  await page.waitForSelector('.rec-table tbody tr');
  assert.match(await page.textContent('.rec-table tbody'), /单点登录/);
  assert.match(await page.textContent('.rec-table tbody'), /已接受/);
  noProblems(page, 'record list');
});

test('12: an external guest submits a requirement in his project space, and edits no document there', async () => {
  const page = await H.page({ viewport: PHONE });
  await H.uiLogin(page, 'chenke', USER_PW);
  const spaces = await H.api(S.guestTok, 'GET', '/spaces');
  assert.deepEqual((spaces.items || spaces).map((s) => s.name), ['星火项目'], 'the guest sees his project only');
  await page.goto(`${H.base}/#/spaces/${S.proj}`);
  const submit = page.locator('.proj-actions a', { hasText: '需求登记' });
  await submit.waitFor();
  assert.equal(await page.locator('.proj-actions a').count(), 1, 'only the requirement is offered');
  await submit.click();
  await page.waitForSelector('.rec-form [data-field=title] input');
  await page.fill('[data-field=title] input', '报表导出支持 Excel');
  await page.fill('[data-field=requester] input', '陈客户');
  await page.selectOption('[data-field=party] select', { label: '外部' });
  await page.fill('[data-field=description] textarea', '月度报表需要导出为 Excel，便于财务核对。');
  await snap(page, 'records12-form-phone', { fullPage: true });
  await noHorizontalOverflow(page, 'requirement form (phone)');
  await page.click('.rec-actions .btn-primary');
  await page.waitForURL(/#\/doc\/[^/]+$/);
  const id = decodeURIComponent(page.url().split('#/doc/')[1]);
  const req = await H.api(S.guestTok, 'GET', `/documents/${id}`);
  assert.equal(req.record_type, 'requirement');
  assert.equal(req.fields.party, 'external');
  // The minutes in the same space: readable, no 编辑.
  await page.goto(`${H.base}/#/doc/${S.minutes}`);
  await page.waitForSelector('#doc-body');
  assert.equal(await page.locator('.doc-actions a[href$="/edit"]').count(), 0);
  noProblems(page, 'guest');
});

test('12: a document template fills the editor with its variables resolved', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/new?space=${S.proj}`);
  await page.click(`.tpl-btn[data-template="${S.tplWeekly}"]`);
  await page.waitForFunction(() => /周报/.test(document.querySelector('.title-input')?.value || ''));
  const title = await page.inputValue('.title-input');
  const body = await page.inputValue('textarea.body-input');
  assert.match(title, /^星火项目周报（\d{4}-W\d{2}）$/, title);
  assert.match(body, /填写人：张伟/);
  assert.match(body, /日期：\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
  assert.doesNotMatch(title + body, /\{(space|week|author|date|time|department)\}/);
  await page.click('.editor button[type=submit]');
  await page.waitForURL(/#\/doc\/[^/]+$/);
  await page.waitForSelector('#doc-body');
  assert.match(await page.textContent('.doc-title'), /星火项目周报/);
  noProblems(page, 'document template');
});

test('12: the grants editor shows which record types a principal may submit, keeps them and changes them', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.goto(`${H.base}/#/admin/spaces?space=${S.proj}`);
  await page.waitForSelector('.grants-editor .grant-row');
  const guestRow = page.locator('.grant-row', { has: page.locator(`option[value="user:${S.guest.id}"]:checked`) });
  await guestRow.locator('.grant-rt summary').click();
  assert.equal(await guestRow.locator('.grant-rt-count').textContent(), ' (1)');
  assert.equal(await guestRow.locator('label', { hasText: '需求登记' }).locator('input').isChecked(), true);
  // Saving without a change keeps the record grant.
  const save = page.locator('.grants-editor + .form-actions .btn-primary').first();
  await save.click();
  await page.waitForSelector('.toast');
  let grants = await H.api(H.admin, 'GET', `/spaces/${S.proj}/grants`);
  assert.deepEqual(grants.find((g) => g.principal === 'user:' + S.guest.id).record_types, ['requirement']);
  // Ticking one more gives both.
  await guestRow.locator('label', { hasText: '员工反馈处理记录' }).locator('input').check();
  assert.equal(await guestRow.locator('.grant-rt-count').textContent(), ' (2)');
  await save.click();
  for (let i = 0; i < 50; i++) {
    grants = await H.api(H.admin, 'GET', `/spaces/${S.proj}/grants`);
    if ((grants.find((g) => g.principal === 'user:' + S.guest.id).record_types || []).length === 2) break;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(grants.find((g) => g.principal === 'user:' + S.guest.id).record_types.sort(), ['feedback', 'requirement']);
  await snap(page, 'records12-grants-desktop');
  // Back as it was, for the other tests.
  await H.api(H.admin, 'PUT', `/spaces/${S.proj}/grants`, grants.map((g) => g.principal === 'user:' + S.guest.id ? { ...g, record_types: ['requirement'] } : g));
  noProblems(page, 'grants editor');
});
