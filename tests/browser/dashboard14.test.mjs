// Browser test for issue 14's knowledge dashboard (数据看板): the admin sees the charts as inline
// SVG (documents per month with the 50 target line, active users), the lists, and the warning
// that no backup succeeded within 26 hours; the document page shows 阅读 N 次. Own server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, ADMIN_PW, WIDE, PHONE, shot, noProblems, noHorizontalOverflow, ART } from './lib.mjs';

const H = new Harness('dashboard14');
const S = {};

before(async () => {
  await H.start();
  const api = (...a) => H.api(H.admin, ...a);
  const space = await api('POST', '/spaces', { name: '运维手册', kind: 'knowledge', description: '部署与巡检' });
  S.space = space.id;
  S.doc = (await api('POST', '/documents', { space_id: S.space, title: '服务器巡检手册', body: '# 巡检\n\n每天检查磁盘。\n' })).id;
  await api('POST', '/documents', { space_id: S.space, title: '值班交接说明', body: '交接时登记。\n' });
  await api('GET', '/search?q=' + encodeURIComponent('  找不到的  内容 '));
});

after(() => H.stop());

/** Copies a screenshot to /tmp/shots-14 as well (for the report). */
function keep(name) {
  const dir = process.env.SHOTS_DIR || '/tmp/shots-14';
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(ART, name + '.png'), path.join(dir, name + '.png'));
}

test('14: the document page counts reads; a refresh does not', async () => {
  const page = await H.page();
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.goto(H.base + '/#/doc/' + S.doc);
  await page.waitForSelector('.doc-reads');
  assert.equal(await page.textContent('.doc-reads'), '阅读 1 次');
  await page.reload();
  await page.waitForSelector('.doc-reads');
  assert.equal(await page.textContent('.doc-reads'), '阅读 1 次', 'a refresh within 30 minutes counts once');
  noProblems(page, 'document page');
});

for (const [label, viewport] of [['desktop', WIDE], ['phone', PHONE]]) {
  test(`14: the dashboard shows SVG charts, the lists and the overdue-backup warning (${label})`, async () => {
    const page = await H.page({ viewport });
    await H.uiLogin(page, 'admin', ADMIN_PW);
    if (label === 'desktop') {
      await page.waitForSelector('.main-nav a.nav-dash:not([hidden])');
      await page.click('.main-nav a.nav-dash');
    } else {
      await page.goto(H.base + '/#/dashboard');
    }
    await page.waitForSelector('[data-chart=documents] svg.chart');
    const seen = await page.evaluate(() => ({
      title: document.querySelector('main .page-title').textContent,
      bars: document.querySelectorAll('[data-chart=documents] rect.chart-bar').length,
      target: document.querySelector('[data-chart=documents] .chart-target-label')?.textContent,
      active: document.querySelectorAll('[data-chart=active] svg.chart rect.chart-bar').length,
      warning: document.querySelector('.dash-backup-warning')?.textContent || '',
      text: document.querySelector('main').innerText,
    }));
    assert.equal(seen.title, '数据看板');
    assert.ok(seen.bars >= 12, `bars per month: ${seen.bars}`);
    assert.equal(seen.target, '目标 50 篇/月');
    assert.equal(seen.active, 31, 'a bar per day of the last 31 days');
    assert.match(seen.warning, /还没有成功的备份/);
    assert.match(seen.text, /找不到的 内容/, 'the zero-result search, normalised');
    assert.match(seen.text, /服务器巡检手册/, 'most read');
    assert.match(seen.text, /阅读 1 次/);
    assert.match(seen.text, /3 \/ 50/, 'three documents this month (with the welcome one) against the target');
    if (label === 'phone') await noHorizontalOverflow(page, 'dashboard on a phone');
    await shot(page, `dashboard14-${label}`, { fullPage: true });
    keep(`dashboard14-${label}`);
    noProblems(page, 'dashboard');
  });
}

test('14: after a backup the warning is gone and the backup is listed on the admin page', async () => {
  await H.api(H.admin, 'POST', '/admin/backups', {});
  const page = await H.page();
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.goto(H.base + '/#/admin/dashboard');
  await page.waitForSelector('[data-chart=documents] svg.chart');
  assert.equal(await page.$('.dash-backup-warning'), null);
  const text = await page.textContent('main');
  assert.match(text, /hanlin-backup-.*\.zip/);
  assert.match(text, /已校验/);
  await shot(page, 'dashboard14-admin-tab', { fullPage: true });
  keep('dashboard14-admin-tab');
  noProblems(page, 'admin dashboard tab');
});
