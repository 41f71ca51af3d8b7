// Issue 14: the document page prints cleanly (the text alone; no header, menus, buttons, tree or
// table of contents), and Chromium's own PDF of it is the document, not the application.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, ADMIN_PW, ART, shot, noProblems } from './lib.mjs';

const H = new Harness('print14');
const S = {};

before(async () => {
  await H.start();
  const api = (...a) => H.api(H.admin, ...a);
  const space = await api('POST', '/spaces', { name: '制度汇编', kind: 'knowledge', description: '' });
  const cat = await api('POST', `/spaces/${space.id}/categories`, { name: '行政' });
  const body = '# 差旅报销制度\n\n## 适用范围\n\n全体员工。详见 [公司主页](https://example.com/policy)。\n\n## 报销标准\n\n| 城市 | 住宿 |\n|:--|--:|\n| 北京 | 600 |\n| 成都 | 400 |\n\n```\n报销单号: 2026-001\n```\n\n## 审批流程\n\n1. 部门经理审批\n2. 财务复核\n';
  S.doc = (await api('POST', '/documents', { space_id: space.id, category_id: cat.id, title: '差旅报销制度', body })).id;
  await api('POST', '/documents', { space_id: space.id, category_id: cat.id, title: '考勤制度', body: '# 考勤制度\n\n## 打卡\n\n九点前。\n' });
});

after(() => H.stop());

test('14: the document page prints the document alone', async () => {
  const page = await H.page();
  await H.uiLogin(page, 'admin', ADMIN_PW);
  await page.goto(H.base + '/#/doc/' + S.doc);
  await page.waitForSelector('.doc-title');
  await page.waitForSelector('.doc-toc');
  await page.emulateMedia({ media: 'print' });
  const seen = await page.evaluate(() => {
    const shown = (sel) => [...document.querySelectorAll(sel)].some((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
    const art = document.querySelector('#doc-body').getBoundingClientRect();
    return {
      chrome: ['.topbar', '.breadcrumb', '.doc-actions', '.doc-toc', '.doc-tree', '.doc-pager', '.code-copy', '.heading-link'].filter(shown),
      title: shown('.doc-title'),
      table: shown('#doc-body table'),
      code: shown('#doc-body pre'),
      width: art.width / document.documentElement.clientWidth,
      link: getComputedStyle(document.querySelector('#doc-body a[href^="http"]'), '::after').content,
    };
  });
  assert.deepEqual(seen.chrome, [], 'nothing of the application prints');
  assert.ok(seen.title && seen.table && seen.code, JSON.stringify(seen));
  assert.ok(seen.width > 0.9, 'the text takes the page width: ' + seen.width);
  assert.match(seen.link, /example\.com\/policy/, 'a printed link says where it goes');
  await shot(page, 'print14-document', { fullPage: true });
  // Chromium's PDF of the page: one page of the document's words, none of the menus.
  const pdf = await page.pdf({ format: 'A4', printBackground: false });
  fs.writeFileSync(path.join(ART, 'print14-document.pdf'), pdf);
  assert.ok(pdf.length > 1000 && pdf.subarray(0, 5).toString() === '%PDF-');
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, 1, 'a short document prints on one page');
  noProblems(page, 'print');
});
