// Browser tests for issue 15's quick open (直达文档, also by pinyin) and related documents
// (相关推荐). Own server, own data. Run through ./run.sh; HANLIN_BIN=/path/to/hanlin picks the binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, USER_PW, WIDE, PHONE, shot, noProblems, noHorizontalOverflow } from './lib.mjs';

const H = new Harness('search15');
const S = {};

const BODY = 'TiDB 集群扩容时先用 TiUP 检查 TiKV 节点，扩容后观察 Region 调度。TiKV 扩容需要留意磁盘。';

before(async () => {
  await H.start();
  const api = (...a) => H.api(H.admin, ...a);
  S.reader = await api('POST', '/users', { username: 'wangfang', display_name: '王芳', password: USER_PW, kind: 'employee' });
  const open = await api('POST', '/spaces', { name: '运维手册', kind: 'knowledge', description: '部署与扩容' });
  const secret = await api('POST', '/spaces', { name: '内部资料', kind: 'knowledge', description: '' });
  await api('PUT', `/spaces/${open.id}/grants`, [{ principal: 'user:' + S.reader.id, role: 'reader' }]);
  S.main = (await api('POST', '/documents', { space_id: open.id, title: 'TiDB 集群扩容', body: BODY })).id;
  S.sibling = (await api('POST', '/documents', { space_id: open.id, title: 'TiKV 节点扩容', body: BODY + '另见调度。' })).id;
  S.hidden = (await api('POST', '/documents', { space_id: secret.id, title: '扩容预算机密', body: BODY })).id;
  for (const [title, body] of [['年度团建安排', '团建安排在春天。团建报名。'], ['食堂菜单', '本周食堂菜单。食堂开放时间。'], ['报销流程', '报销需要发票。报销审批。']]) {
    await api('POST', '/documents', { space_id: open.id, title, body });
  }
  // Wait until the index has them all (the admin sees the hidden one too).
  for (let i = 0; i < 100; i++) {
    const r = await api('GET', '/search/suggest?q=' + encodeURIComponent('扩容预算'));
    if (r.items.length) break;
    await new Promise((res) => setTimeout(res, 100));
  }
});

after(() => H.stop());

async function compose(cdp, letters) {
  for (let i = 1; i <= letters.length; i++) {
    const text = letters.slice(0, i);
    await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    await new Promise((r) => setTimeout(r, 40));
  }
}

const quickTitles = (page) => page.$$eval('.quick-open a', (as) => as.map((a) => a.textContent));

for (const [name, viewport] of [['desktop', WIDE], ['phone', PHONE]]) {
  test(`15: quick open by pinyin initials, full pinyin and a committed IME word (${name})`, async () => {
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'wangfang', USER_PW);
    await page.goto(H.base + '/#/search');
    await page.waitForSelector('input.search-input');
    // Letters typed as letters (no input method): initials find the titles.
    await page.type('input.search-input', 'kr');
    await page.waitForSelector('.quick-open a');
    assert.deepEqual(await quickTitles(page), ['TiDB 集群扩容', 'TiKV 节点扩容']);
    assert.equal(await page.$eval('.quick-open', (n) => n.getAttribute('aria-label')), '直达文档');
    await shot(page, `search15-quick-open-${name}`);
    await noHorizontalOverflow(page, 'quick open ' + name);
    // Through an input method: nothing while composing, the committed word finds them.
    await page.fill('input.search-input', '');
    await page.waitForSelector('.quick-open', { state: 'hidden' });
    const cdp = await page.context().newCDPSession(page);
    await page.focus('input.search-input');
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/search/suggest?')) asked.push(new URL(r.url()).searchParams.get('q')); });
    await compose(cdp, 'kuorong');
    await page.waitForTimeout(400);
    assert.deepEqual(asked, [], 'no quick open per pinyin keystroke of an open composition');
    await cdp.send('Input.insertText', { text: '扩容' });
    await page.waitForFunction(() => document.querySelectorAll('.hit').length === 2);
    await page.waitForTimeout(300);
    assert.ok(asked.length >= 1 && asked.every((q) => q === '扩容'), 'only the committed word: ' + JSON.stringify(asked));
    // Both titles are already the first results: 直达文档 does not repeat them.
    assert.equal(await page.$eval('.quick-open', (n) => n.hidden), true);
    assert.deepEqual(await page.$$eval('.hit-title', (as) => as.map((a) => a.textContent).sort()), ['TiDB 集群扩容', 'TiKV 节点扩容']);
    assert.doesNotMatch(await page.textContent('main'), /机密/, 'the hidden title never shows');
    // Initials again: nothing in the full text, so quick open it is.
    await page.fill('input.search-input', 'jdkr');
    await page.waitForFunction(() => document.querySelectorAll('.quick-open a').length === 1);
    assert.deepEqual(await quickTitles(page), ['TiKV 节点扩容']);
    await page.fill('input.search-input', 'kr');
    await page.waitForFunction(() => document.querySelectorAll('.quick-open a').length === 2);
    await cdp.detach();
    // A link opens the document.
    await page.click('.quick-open a >> text=TiDB 集群扩容');
    await page.waitForSelector('.doc-title');
    assert.equal(await page.textContent('.doc-title'), 'TiDB 集群扩容');
    noProblems(page, 'quick open ' + name);
  });

  test(`15: 相关推荐 lists the similar page the reader may read, never itself or a hidden one (${name})`, async () => {
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'wangfang', USER_PW);
    await page.goto(H.base + '/#/doc/' + S.main);
    await page.waitForSelector('.doc-related a');
    assert.equal(await page.textContent('.doc-related h2'), '相关推荐');
    const titles = await page.$$eval('.doc-related a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(titles, ['TiKV 节点扩容']);
    await page.$eval('.doc-related', (n) => n.scrollIntoView());
    await shot(page, `search15-related-${name}`);
    await noHorizontalOverflow(page, 'related ' + name);
    await page.click('.doc-related a');
    await page.waitForFunction((id) => location.hash === '#/doc/' + id, S.sibling);
    // The new page, not the old one on its way out.
    await page.waitForFunction(() => document.querySelector('.doc-title')?.textContent === 'TiKV 节点扩容'
      && document.querySelector('.doc-related a'));
    assert.deepEqual(await page.$$eval('.doc-related a', (as) => as.map((a) => a.textContent)), ['TiDB 集群扩容']);
    noProblems(page, 'related ' + name);
  });
}
