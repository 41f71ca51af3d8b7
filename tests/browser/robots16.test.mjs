// Browser test for issue 16's group robots (群机器人): a space manager (not an admin) adds a DingTalk
// robot with a secret on the space page, sees the address masked and the secret kept but not
// shown; a published document reaches a receiver on 127.0.0.1 and the card then says 成功. The
// admin page's 空间 tab shows the same card. Own server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Harness, USER_PW, WIDE, PHONE, shot, noProblems, noHorizontalOverflow, assertNoEnglish, ADMIN_PW } from './lib.mjs';

const H = new Harness('robots16');
const S = { got: [] };

before(async () => {
  await H.start();
  S.receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      S.got.push({ url: req.url, body: JSON.parse(body || 'null') });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise((r) => S.receiver.listen(0, '127.0.0.1', r));
  S.robotUrl = `http://127.0.0.1:${S.receiver.address().port}/robot/send?access_token=tok0123456789abcdef`;
  const api = (...a) => H.api(H.admin, ...a);
  S.space = (await api('POST', '/spaces', { name: '研发周报', kind: 'knowledge', description: '每周发布' })).id;
  const mgr = await api('POST', '/users', { username: 'mgr16', password: USER_PW, display_name: '王经理' });
  await api('PUT', `/spaces/${S.space}/grants`, [
    { principal: 'everyone', role: 'reader' },
    { principal: 'user:' + mgr.id, role: 'manager' },
  ]);
  S.mgr = await H.login('mgr16', USER_PW);
});

after(async () => { await H.stop(); S.receiver.close(); });

async function openRobots(page, phone) {
  await page.goto(H.base + '/#/spaces/' + S.space);
  await page.reload();
  // On a phone the side column (categories, settings) waits behind its button.
  if (phone) await page.click('.side-toggle');
  await page.waitForSelector('.robots-disclosure summary');
  await page.click('.robots-disclosure summary');
  await page.waitForSelector('.robots-card');
}

for (const [label, viewport] of [['desktop', WIDE], ['phone', PHONE]]) {
  test(`16: a space manager adds a DingTalk robot and sees its last delivery (${label})`, async () => {
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'mgr16', USER_PW);
    await openRobots(page, label === 'phone');
    if (label === 'desktop') {
      assert.equal(await page.$$eval('.robots-card .robot-row', (r) => r.length), 0);
      await page.click('.robots-card button:has-text("添加机器人")');
      await page.fill('.robots-card input.robot-url', S.robotUrl);
      await page.fill('.robots-card input[type=password]', 'SEC-browser-secret');
      await page.click('.robots-card button:has-text("保存群机器人")');
      await page.waitForSelector('.robots-card code.robot-url');
      const stored = await H.api(S.mgr, 'GET', `/spaces/${S.space}/webhooks`);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].kind, 'dingtalk');
      assert.equal(stored[0].has_secret, true);
      // Published by the API: the robot gets it, and the card says so.
      await H.api(H.admin, 'POST', '/documents', { space_id: S.space, title: '第 48 周周报', body: '本周完成扩容。\n' });
      for (let i = 0; i < 100 && !S.got.length; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(S.got.length, 1, 'the receiver got the message');
      assert.match(S.got[0].url, /&timestamp=\d+&sign=/);
      assert.match(S.got[0].body.markdown.text, /《第 48 周周报》发布了版本 1/);
      for (let i = 0; i < 100; i++) {
        const l = await H.api(S.mgr, 'GET', `/spaces/${S.space}/webhooks`);
        if (l[0].last && l[0].last.ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await openRobots(page, false);
    }
    const card = await page.evaluate(() => {
      const c = document.querySelector('.robots-card');
      return {
        url: c.querySelector('code.robot-url')?.textContent || '',
        kind: c.querySelector('.robot-row select').selectedOptions[0].textContent,
        placeholder: c.querySelector('.robot-row input[type=password]').placeholder,
        last: c.querySelector('.robot-last')?.textContent || '',
        html: c.innerHTML,
        words: [...c.querySelectorAll('h3, p, button, .robot-last, option')].map((e) => e.textContent).join(' '),
      };
    });
    assert.equal(card.kind, '钉钉');
    assert.match(card.url, /access_token=tok0\*\*\*\*$/, 'the token is masked');
    assert.ok(!card.html.includes('tok0123456789abcdef'), 'the whole token never reaches the page');
    assert.ok(!card.html.includes('SEC-browser-secret'), 'the secret never reaches the page');
    assert.equal(card.placeholder, '已设置密钥，留空保持不变');
    assert.match(card.last, /最近推送：\s*成功 · .*（尝试 1 次）/);
    assertNoEnglish(card.words, 'robots card');
    if (label === 'phone') await noHorizontalOverflow(page, 'robots card on a phone');
    await shot(page, `robots16-${label}`, { fullPage: true });
    noProblems(page, 'space page robots');
  });
}

test('16: the admin page shows the same card; a bad address is refused in Chinese', async () => {
  const page = await H.page();
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.goto(H.base + '/#/admin/spaces?space=' + S.space);
  await page.waitForSelector('.robots-card .robot-row');
  await page.click('.robots-card button:has-text("添加机器人")');
  await page.fill('.robots-card input.robot-url', 'ftp://example.com/hook');
  await page.click('.robots-card button:has-text("保存群机器人")');
  await page.waitForSelector('.toast');
  const toast = await page.textContent('.toast');
  assert.match(toast, /http:\/\/ 或 https:\/\//, toast);
  const stored = await H.api(H.admin, 'GET', `/spaces/${S.space}/webhooks`);
  assert.equal(stored.length, 1, 'nothing was saved');
  await shot(page, 'robots16-admin', { fullPage: true, keepToasts: true });
  noProblems(page, 'admin robots');
});
