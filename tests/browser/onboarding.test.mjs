// Browser tests for issue 13 (onboarding collections): 我的入职学习 on an intern's home page, the
// reading view with previous/next and 我已阅读并理解, the progress table with its CSV, and the
// collection editor (documents picked by search through a pinyin input method, reordered from
// the keyboard and by dragging). Own server, own data. Run through ./run.sh.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, ADMIN_PW, USER_PW, PHONE, shot, noProblems, noHorizontalOverflow, assertNoEnglish, compose } from './lib.mjs';

const H = new Harness('onboarding');
const S = {};
let base;
const api = (...a) => H.api(H.admin, ...a);

before(async () => {
  await H.start();
  base = H.base;
  const future = new Date(Date.now() + 60 * 86400e3).toISOString();
  S.intern = await api('POST', '/users', { username: 'xiaoli', display_name: '小李', password: USER_PW, kind: 'intern', expires_at: future });
  S.intern2 = await api('POST', '/users', { username: 'xiaowang', display_name: '小王', password: USER_PW, kind: 'intern', expires_at: future });
  S.space = (await api('POST', '/spaces', { name: '新人手册', kind: 'knowledge', description: '入职必读' })).id;
  await api('PUT', `/spaces/${S.space}/grants`, [{ principal: 'everyone', role: 'reader' }]);
  S.docs = [];
  for (const [title, body] of [
    ['公司介绍', '# 公司介绍\n\n我们做企业软件，总部在杭州。\n\n## 价值观\n\n客户第一。\n'],
    ['信息安全守则', '# 信息安全守则\n\n- 密码不得外借\n- 离开工位锁屏\n'],
    ['报销流程', '# 报销流程\n\n发票需在 30 天内提交。\n'],
    ['安全培训视频说明', '# 安全培训视频说明\n\n观看时长约 20 分钟。\n'],
  ]) {
    S.docs.push((await api('POST', '/documents', { space_id: S.space, title, body })).id);
  }
  S.collection = (await api('POST', '/collections', {
    name: '实习生入职学习', description: '第一周内读完这些文档',
    items: [{ doc_id: S.docs[0], required: true }, { doc_id: S.docs[1], required: true }, { doc_id: S.docs[2], required: false }],
    audience: ['kind:intern'], due_days: 7,
  })).id;
});

after(() => H.stop());

test('13: the intern sees 我的入职学习 on the home page, reads in order and acknowledges', async () => {
  for (const [viewport, tag] of [[undefined, 'desktop'], [PHONE, 'phone']]) {
    const page = await H.page(viewport ? { viewport } : {});
    const who = tag === 'desktop' ? 'xiaoli' : 'xiaowang';
    await H.uiLogin(page, who, USER_PW);
    const card = await page.waitForSelector('#home-learn:not([hidden])');
    const text = await card.textContent();
    assert.match(text, /我的入职学习/);
    assert.match(text, /实习生入职学习/);
    assert.match(text, /已完成 0 \/ 2/);
    assert.match(text, /继续阅读：公司介绍/);
    assertNoEnglish(text, 'home card');
    await shot(page, `onboarding-home-${tag}`);
    if (tag === 'phone') await noHorizontalOverflow(page, 'home on a phone');

    await page.click('#home-learn .learn-next');
    await page.waitForSelector('.learn-ack:not([hidden])');
    assert.equal(await page.textContent('main .doc-title'), '公司介绍');
    assert.match(await page.textContent('main .markdown-body'), /客户第一/);
    assert.match(await page.textContent('.learn-step'), /第 1 篇，共 3 篇/);
    assert.equal(await page.$$eval('.learn-prev', (e) => e.length), 0, 'no previous on the first');
    await shot(page, `onboarding-read-${tag}`);
    if (tag === 'phone') await noHorizontalOverflow(page, 'reading view on a phone');

    await page.click('.learn-ack');
    await page.waitForSelector('.learn-ack[hidden]', { state: 'attached' });
    assert.match(await page.textContent('.learn-ack-status'), /已确认（版本 1，/);
    // The focus moved on to 下一篇, so the keyboard carries on.
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('learn-next-item')), true);
    await shot(page, `onboarding-acked-${tag}`);
    const user = tag === 'desktop' ? S.intern : S.intern2;
    const prog = await api('GET', `/collections/${S.collection}/progress`);
    const row = prog.people.find((r) => r.user === user.id);
    assert.equal(row.done, 1, JSON.stringify(row));
    assert.deepEqual(row.items_done, [true, false, false]);

    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('main .doc-title')?.textContent === '信息安全守则');
    assert.equal(await page.$$eval('.learn-prev', (e) => e.length), 1, 'previous is offered');
    await page.waitForSelector('.learn-ack:not([hidden])');
    await page.click('.learn-prev');
    await page.waitForFunction(() => document.querySelector('main .doc-title')?.textContent === '公司介绍');
    await page.waitForSelector('.learn-ack-status .badge');
    assert.equal(await page.isHidden('.learn-ack'), true, 'already acknowledged: no button');

    // Back home: progress moved and the next item is the second one.
    await page.goto(base + '/#/');
    await page.waitForFunction(() => /已完成 1 \/ 2/.test(document.querySelector('#home-learn')?.textContent || ''));
    assert.match(await page.textContent('#home-learn'), /继续阅读：信息安全守则/);
    noProblems(page, `reading (${tag})`);
  }
});

test('13: a 需重新确认 publish asks the reader again, in the reading view', async () => {
  const cur = await api('GET', `/documents/${S.docs[0]}`);
  await api('PUT', `/documents/${S.docs[0]}`, { title: cur.title, body: cur.body + '\n新增：每年复训一次。\n', tags: [], base_version: cur.version, reconfirm: true });
  const page = await H.page();
  await H.uiLogin(page, 'xiaoli', USER_PW);
  await page.goto(base + `/#/learn/${S.collection}/read/0`);
  await page.waitForSelector('.learn-ack:not([hidden])');
  assert.match(await page.textContent('.learn-ack-status'), /需要重新确认.*版本 1/);
  assert.match(await page.textContent('main .markdown-body'), /每年复训一次/);
  await shot(page, 'onboarding-reconfirm-desktop');
  await page.click('.learn-ack');
  await page.waitForSelector('.learn-ack[hidden]', { state: 'attached' });
  assert.match(await page.textContent('.learn-ack-status'), /已确认（版本 2，/);
  // And the second one, so 小李 is done.
  await page.click('.learn-next-item');
  await page.waitForFunction(() => document.querySelector('main .doc-title')?.textContent === '信息安全守则');
  await page.waitForSelector('.learn-ack:not([hidden])');
  await page.click('.learn-ack');
  await page.waitForSelector('.learn-ack[hidden]', { state: 'attached' });
  noProblems(page, 'reconfirm');
});

const order = (page) => page.$$eval('.learn-edit-item', (rows) => rows.map((r) => r.querySelector('.learn-edit-title').textContent));

test('13: the editor picks documents by search (pinyin IME) and reorders them by keyboard and drag', async () => {
  for (const [viewport, tag] of [[undefined, 'desktop'], [PHONE, 'phone']]) {
    const page = await H.page(viewport ? { viewport } : {});
    await H.uiLogin(page, 'admin', ADMIN_PW);
    await page.goto(base + '/#/learn/new');
    await page.waitForSelector('.learn-editor');
    const cdp = await page.context().newCDPSession(page);
    await page.focus('input[name=name]');
    await compose(cdp, 'anquan');
    await cdp.send('Input.insertText', { text: `安全合集${tag}` });
    assert.equal(await page.inputValue('input[name=name]'), `安全合集${tag}`);

    const searches = [];
    page.on('request', (r) => { if (r.url().includes('/api/v1/search?')) searches.push(new URL(r.url()).searchParams.get('q')); });
    await page.focus('.learn-search');
    await compose(cdp, 'anquan');
    await page.waitForTimeout(500);
    assert.deepEqual(searches, [], 'nothing searched while composing');
    await cdp.send('Input.insertText', { text: '安全' });
    await page.waitForSelector('.learn-result');
    assert.ok(searches.length >= 1 && searches.every((q) => q === '安全'), JSON.stringify(searches));
    const titles = await page.$$eval('.learn-result-title', (e) => e.map((x) => x.textContent));
    assert.ok(titles.includes('信息安全守则') && titles.includes('安全培训视频说明'), JSON.stringify(titles));
    for (const title of ['信息安全守则', '安全培训视频说明']) {
      await page.click(`.learn-result:has(.learn-result-title:text-is("${title}")) .learn-add`);
    }
    await page.fill('.learn-search', '');
    await page.focus('.learn-search');
    await compose(cdp, 'baoxiao');
    await cdp.send('Input.insertText', { text: '报销' });
    await page.waitForSelector('.learn-result-title:text-is("报销流程")');
    await page.click('.learn-result:has(.learn-result-title:text-is("报销流程")) .learn-add');
    await cdp.detach();
    assert.deepEqual(await order(page), ['信息安全守则', '安全培训视频说明', '报销流程']);

    // Keyboard: focus the first row, Alt+↓ twice: it goes to the end and keeps the focus.
    await page.focus('.learn-edit-item[data-doc="' + S.docs[1] + '"]');
    await page.keyboard.press('Alt+ArrowDown');
    await page.keyboard.press('Alt+ArrowDown');
    assert.deepEqual(await order(page), ['安全培训视频说明', '报销流程', '信息安全守则']);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.doc), S.docs[1], 'the focus follows the moved row');
    assert.match(await page.textContent('.learn-edit-items + .sr-only'), /已移到第 3 位/);
    await page.keyboard.press('Alt+ArrowUp');
    assert.deepEqual(await order(page), ['安全培训视频说明', '信息安全守则', '报销流程']);
    // The ↑ button of the last row.
    await page.click('.learn-edit-item[data-doc="' + S.docs[2] + '"] .move-up');
    assert.deepEqual(await order(page), ['安全培训视频说明', '报销流程', '信息安全守则']);
    if (tag === 'desktop') {
      // Drag the last row onto the first.
      await page.dragAndDrop(`.learn-edit-item[data-doc="${S.docs[1]}"] .drag-handle`, `.learn-edit-item[data-doc="${S.docs[3]}"]`);
      assert.deepEqual(await order(page), ['信息安全守则', '安全培训视频说明', '报销流程']);
    }
    await page.uncheck('.learn-edit-item[data-doc="' + S.docs[2] + '"] input[type=checkbox]');
    await page.selectOption('.learn-editor select', 'kind:intern');
    assert.match(await page.textContent('.learn-audience'), /全体实习生/);
    await shot(page, `onboarding-editor-${tag}`, { fullPage: true });
    if (tag === 'phone') await noHorizontalOverflow(page, 'editor on a phone');

    await page.click('.learn-save');
    await page.waitForFunction(() => /^#\/learn\/[0-9a-f]{32}$/.test(location.hash));
    const id = (await page.evaluate(() => location.hash)).split('/')[2];
    const saved = await api('GET', `/collections/${id}`);
    const want = tag === 'desktop'
      ? [S.docs[1], S.docs[3], S.docs[2]]
      : [S.docs[3], S.docs[2], S.docs[1]];
    assert.deepEqual(saved.items.map((i) => i.doc_id), want);
    assert.deepEqual(saved.items.map((i) => i.required), want.map((d) => d !== S.docs[2]));
    assert.deepEqual(saved.audience.map((a) => a.principal), ['kind:intern']);
    noProblems(page, `editor (${tag})`);
  }
});

test('13: an item the audience cannot read is refused in the editor, in Chinese, naming it', async () => {
  const secretSpace = (await api('POST', '/spaces', { name: '人事机密', kind: 'knowledge' })).id;
  const secret = (await api('POST', '/documents', { space_id: secretSpace, title: '薪酬结构', body: '保密\n' })).id;
  const c = await api('POST', '/collections', { name: '待补充', items: [{ doc_id: S.docs[0] }], audience: ['user:' + (await api('GET', '/users')).items.find((u) => u.username === 'admin').id] });
  for (let i = 0; i < 100 && !(await api('GET', '/search?q=' + encodeURIComponent('薪酬'))).hits.some((x) => x.id === secret); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = await H.page();
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.goto(base + `/#/learn/${c.id}/edit`);
  await page.waitForSelector('.learn-edit-item');
  // Add the secret document through the API's search result shape: search for it.
  await page.fill('.learn-search', '薪酬');
  await page.waitForSelector('.learn-result-title:text-is("薪酬结构")');
  await page.click('.learn-result .learn-add');
  await page.selectOption('.learn-editor select', 'kind:intern');
  await page.click('.learn-save');
  const err = await page.waitForSelector('.learn-editor .form-error:not([hidden])');
  const text = await err.textContent();
  assert.match(text, /《薪酬结构》有受众无法阅读/);
  assert.match(text, /小李（xiaoli）/);
  assertNoEnglish(text.replace(/（[a-z0-9._-]+）/g, ''), 'refusal (login names aside)');
  assert.match(await page.evaluate(() => location.hash), /\/edit$/, 'stays in the editor');
  noProblems(page, 'refusal');
});

test('13: the progress table, with its CSV, on desktop and phone', async () => {
  for (const [viewport, tag] of [[undefined, 'desktop'], [PHONE, 'phone']]) {
    const page = await H.page(viewport ? { viewport } : {});
    await H.uiLogin(page, 'admin', ADMIN_PW);
    await page.goto(base + `/#/learn/${S.collection}/progress`);
    await page.waitForSelector('.learn-table tbody tr');
    const rows = await page.$$eval('.learn-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
    assert.equal(rows.length, 2, JSON.stringify(rows));
    const li = rows.find((r) => r[0].includes('小李'));
    assert.equal(li[1], '2 / 2', JSON.stringify(li));
    const wang = rows.find((r) => r[0].includes('小王'));
    assert.equal(wang[1], '0 / 2', '需重新确认 took 小王 back: ' + JSON.stringify(wang));
    // Per item, how many have read it; and completion over time (小李 finished, 小王 not).
    const readBy = await page.$$eval('.learn-table tfoot td', (tds) => tds.map((td) => td.textContent));
    assert.equal(readBy.length, li.length - 5, JSON.stringify(readBy));
    readBy.forEach((n, i) => assert.equal(Number(n), rows.filter((r) => r[5 + i] === '✓').length, `item ${i + 1}`));
    assert.equal(await page.textContent('.card:has(.learn-trend-chart) p'), '2 人中已完成 1 人');
    assert.ok(await page.$eval('.learn-trend-chart polyline', (l) => l.getAttribute('points').split(' ').length >= 2));
    const href = await page.getAttribute('main a[download]', 'href');
    const csv = await page.evaluate(async (u) => {
      const r = await fetch(u, { credentials: 'same-origin' });
      const b = new Uint8Array(await r.arrayBuffer());
      return { type: r.headers.get('content-type'), bom: [...b.slice(0, 3)], text: new TextDecoder().decode(b.slice(3)) };
    }, href);
    assert.match(csv.type, /^text\/csv/);
    assert.deepEqual(csv.bom, [0xef, 0xbb, 0xbf]);
    assert.equal(csv.text.trim().split(/\r?\n/).length, 3, csv.text);
    await shot(page, `onboarding-progress-${tag}`, { fullPage: true });
    if (tag === 'phone') await noHorizontalOverflow(page, 'progress on a phone');
    noProblems(page, `progress (${tag})`);
  }
});
