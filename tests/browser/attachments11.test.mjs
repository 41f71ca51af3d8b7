// Browser tests for issue 11: attachments and office documents. Files attached on the document
// page by the file picker and by a drop, listed with size, type, uploader and text status (a .txt
// reaching 已提取); a Chinese file name shown and kept by the download; an .html attachment only
// ever downloaded, never rendered; a reader sees the list without controls, a stranger the 404
// page; an image pasted into the editor is uploaded and shown; the upload page takes front matter;
// a word found only in an attachment names it in search. Own server, own data. Run through
// ./run.sh; HANLIN_BIN=/path/to/hanlin picks the binary; HANLIN_SHOTS=dir copies the screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { Harness, ART, USER_PW, WIDE, PHONE, shot, noProblems, noHorizontalOverflow } from './lib.mjs';

const H = new Harness('attachments11');
const S = {};
// Only in the text file's text: search finds the document through its attachment.
const WORD = '麒麟竹简';
const TXT_NAME = '会议纪要-二〇二六年度.txt';
const TXT = `二〇二六年度第一次会议纪要\n\n议题：${WORD}的数字化整理。\n` + '参会人：张伟、李娜。\n'.repeat(60);

async function snap(page, name, opts) {
  await shot(page, name, opts);
  if (process.env.HANLIN_SHOTS) {
    fs.mkdirSync(process.env.HANLIN_SHOTS, { recursive: true });
    fs.copyFileSync(path.join(ART, name + '.png'), path.join(process.env.HANLIN_SHOTS, name + '.png'));
  }
}

/** POST multipart `file` parts with a bearer token (the server's own check of uploads is elsewhere). */
async function apiUpload(token, p, files) {
  const fd = new FormData();
  for (const f of files) fd.append('file', new Blob([f.buffer], { type: f.mimeType || 'application/octet-stream' }), f.name);
  const res = await fetch(H.base + '/api/v1' + p, { method: 'POST', headers: { Authorization: 'Bearer ' + token }, body: fd });
  const data = await res.json().catch(() => null);
  assert.ok(res.ok, `POST ${p} -> ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** A real PNG drawn by the browser's canvas (the server opens raster images inline only when the bytes say so). */
async function pngFrom(page, color) {
  const url = await page.evaluate((c) => {
    const cv = document.createElement('canvas');
    cv.width = 64; cv.height = 40;
    const g = cv.getContext('2d');
    g.fillStyle = c; g.fillRect(0, 0, 64, 40);
    g.fillStyle = '#fff'; g.fillRect(8, 8, 20, 24);
    return cv.toDataURL('image/png');
  }, color);
  return Buffer.from(url.split(',')[1], 'base64');
}

/** The row's text status reaches 已提取 (else: what the page and the server say). */
async function reached(row, name) {
  try {
    await row.locator('.att-status[data-status=ok]').waitFor({ timeout: 30_000 });
  } catch (e) {
    const server = (await H.api(S.zhangTok, 'GET', `/documents/${S.doc}/attachments`)).attachments.find((a) => a.filename === name);
    assert.fail(`${name}: the page says ${await row.locator('.att-status').textContent()}, the server ${JSON.stringify(server)}`);
  }
}

/** A zip (stored, no compression) of {name: text}: enough for a .docx fixture. */
function zip(files) {
  const parts = [], central = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const n = Buffer.from(name), data = Buffer.from(text), crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x800, 6);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(0x800, 8);
    c.writeUInt32LE(crc, 16); c.writeUInt32LE(data.length, 20); c.writeUInt32LE(data.length, 24); c.writeUInt16LE(n.length, 28); c.writeUInt32LE(offset, 42);
    parts.push(local, n, data); central.push(c, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(central.length / 2, 8); end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** A .docx the way Chinese Word writes it: style ids 1 and 2 named heading 1/2, bold, a table. */
function docx() {
  const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const p = (text, style) => `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t>${text}</w:t></w:r></w:p>`;
  const cell = (x) => `<w:tc>${p(x)}</w:tc>`;
  return zip({
    '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>',
    '_rels/.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    'word/styles.xml': `<?xml version="1.0" encoding="UTF-8"?><w:styles ${W}><w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/></w:style></w:styles>`,
    'word/document.xml': `<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>${p('差旅管理办法', '1')}${p('第一章 总则', '2')}`
      + '<w:p><w:r><w:t>出差须事先</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>审批</w:t></w:r><w:r><w:t>。</w:t></w:r></w:p>'
      + `<w:tbl><w:tr>${cell('城市')}${cell('标准')}</w:tr><w:tr>${cell('北京')}${cell('500 元')}</w:tr></w:tbl></w:body></w:document>`,
  });
}

before(async () => {
  await H.start();
  const api = (...a) => H.api(H.admin, ...a);
  const mk = (username, display_name) => api('POST', '/users', { username, display_name, password: USER_PW, kind: 'employee' });
  S.zhang = await mk('zhangwei', '张伟');
  S.li = await mk('lina', '李娜');
  S.zhao = await mk('zhaolei', '赵磊');
  S.space = (await api('POST', '/spaces', { name: '档案室', kind: 'knowledge', description: '文件与附件' })).id;
  await api('PUT', `/spaces/${S.space}/grants`, [
    { principal: 'user:' + S.zhang.id, role: 'editor' },
    { principal: 'user:' + S.li.id, role: 'reader' },
  ]);
  S.zhangTok = await H.login('zhangwei', USER_PW);
  S.liTok = await H.login('lina', USER_PW);
  S.zhaoTok = await H.login('zhaolei', USER_PW);
  S.doc = (await H.api(S.zhangTok, 'POST', '/documents', { space_id: S.space, title: '年度会议资料', body: '# 年度会议资料\n\n会议的纪要、照片和报告都作为附件放在下面。\n', tags: ['会议'] })).id;
});

after(() => H.stop());

test('11: attach by the file picker and by a drop; size, type, uploader, the .txt reaches 已提取; the Chinese name survives the download', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  await page.waitForSelector('.att .att-add');
  assert.equal(await page.$$eval('.att-item', (x) => x.length), 0);

  // The file picker.
  await page.setInputFiles('.att input[type=file]', [{ name: TXT_NAME, mimeType: 'text/plain', buffer: Buffer.from(TXT) }]);
  const txtRow = page.locator('.att-item', { hasText: TXT_NAME });
  await txtRow.waitFor();
  const size = Buffer.byteLength(TXT);
  assert.equal(await txtRow.locator('.att-size').textContent(), (size / 1024).toFixed(1) + ' KB');
  assert.equal(await txtRow.locator('.att-type').textContent(), 'TXT');
  assert.match(await txtRow.locator('.att-meta').textContent(), /张伟 上传/);
  // Extraction runs in the background: 提取中, then 已提取 without a reload.
  await reached(txtRow, TXT_NAME);
  assert.equal(await txtRow.locator('.att-status').textContent(), '已提取');
  assert.match(await page.textContent('#att-title'), /附件 \(1\)/);
  // Its text can be read on the page (the same text search finds).
  await txtRow.locator('.att-read').click();
  await txtRow.locator('.att-text').waitFor();
  // The extracted text, NFKC-normalised as it is indexed (the full-width colon becomes ':').
  assert.equal((await txtRow.locator('.att-text').textContent()).trim(), TXT.normalize('NFKC').trim());
  await txtRow.locator('.att-read').click();
  assert.equal(await txtRow.locator('.att-text').count(), 0);

  // A drop on the section (a synthetic one: a DataTransfer holding a File).
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['名称,数量\n苹果,3\n梨,5\n'], '采购清单.csv', { type: 'text/csv' }));
    const box = document.querySelector('.att');
    for (const type of ['dragenter', 'dragover']) box.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    if (!box.classList.contains('over')) throw new Error('the section does not show that it takes the drop');
    box.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  const csvRow = page.locator('.att-item', { hasText: '采购清单.csv' });
  await csvRow.waitFor();
  assert.match(await csvRow.locator('.att-size').textContent(), /^\d+ B$/);
  await reached(csvRow, '采购清单.csv');
  assert.equal(await page.$$eval('.att-item', (x) => x.length), 2);
  assert.equal(await page.$eval('.att', (el) => el.classList.contains('over')), false);

  // A text file downloads (no new window), under its Chinese name.
  const link = txtRow.locator('.att-name');
  assert.equal(await link.getAttribute('target'), null);
  assert.equal(await link.getAttribute('download'), '');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), TXT_NAME);
  const saved = await download.path();
  assert.equal(fs.readFileSync(saved, 'utf8'), TXT, 'the bytes as uploaded');
  noProblems(page, 'attach');
});

test('11: PDFs and images open inline (images as thumbnails); the list for the screenshots', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  const png = await pngFrom(page, '#245a8c');
  await apiUpload(S.zhangTok, `/documents/${S.doc}/attachments`, [
    { name: '现场照片.png', mimeType: 'image/png', buffer: png },
    { name: '年度报告.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1') },
  ]);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  const img = page.locator('.att-item', { hasText: '现场照片.png' });
  await img.waitFor();
  assert.equal(await img.locator('.att-name').getAttribute('target'), '_blank');
  await page.waitForFunction(() => { const i = document.querySelector('.att-thumb img'); return i && i.complete && i.naturalWidth === 64; });
  const pdf = page.locator('.att-item', { hasText: '年度报告.pdf' });
  assert.equal(await pdf.locator('.att-name').getAttribute('target'), '_blank');
  assert.equal(await pdf.locator('.att-type').textContent(), 'PDF');
  assert.equal(await pdf.locator('.att-thumb').count(), 0, 'only images get a thumbnail');
  // Whatever extraction makes of this PDF, it has finished and says so in Chinese.
  await pdf.locator('.att-status:not([data-status=pending])').waitFor({ timeout: 30_000 });
  assert.match(await pdf.locator('.att-status').textContent(), /^(已提取|无文字|提取失败：.+)$/);
  await img.locator('.att-status:not([data-status=pending])').waitFor({ timeout: 30_000 });
  await page.locator('#attachments').scrollIntoViewIfNeeded();
  await snap(page, 'attachments11-doc-desktop');
  await snap(page, 'attachments11-doc-desktop-full', { fullPage: true });
  noProblems(page, 'inline');
});

test('11: an .html (and an .svg) attachment is offered as a download and never rendered', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  await page.waitForSelector('.att .att-add');
  const html = '<!doctype html><title>x</title><script>document.title = "pwned"; window.pwned = 1; localStorage.setItem("pwned", "1");</script><h1>钓鱼页面</h1>';
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>localStorage.setItem("pwned", "svg")</script><rect width="10" height="10"/></svg>';
  await page.setInputFiles('.att input[type=file]', [
    { name: '通知页面.html', mimeType: 'text/html', buffer: Buffer.from(html) },
    { name: '标志.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) },
  ]);
  const row = page.locator('.att-item', { hasText: '通知页面.html' });
  await row.waitFor();
  const svgRow = page.locator('.att-item', { hasText: '标志.svg' });
  await svgRow.waitFor();
  for (const r of [row, svgRow]) {
    assert.equal(await r.locator('.att-name').getAttribute('target'), null);
    assert.equal(await r.locator('.att-name').getAttribute('download'), '');
    assert.equal(await r.locator('img').count(), 0, 'no thumbnail of an SVG');
  }
  const href = await row.locator('.att-name').getAttribute('href');
  const svgHref = await svgRow.locator('.att-name').getAttribute('href');
  // The answer itself: a download, not a page.
  for (const [u, name] of [[href, '通知页面.html'], [svgHref, '标志.svg']]) {
    const res = await page.request.get(H.base + u);
    assert.equal(res.status(), 200);
    const h = res.headers();
    assert.match(h['content-disposition'] || '', /^attachment/, 'content-disposition: ' + h['content-disposition']);
    assert.match(h['content-disposition'], new RegExp("filename\\*=UTF-8''" + encodeURIComponent(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));
    assert.doesNotMatch(h['content-type'] || '', /html|svg/);
    assert.equal(h['x-content-type-options'], 'nosniff');
  }
  // Going to its address downloads it; no script of it runs, here or anywhere.
  const [download] = await Promise.all([page.waitForEvent('download'), page.goto(H.base + href).catch(() => null)]);
  assert.equal(download.suggestedFilename(), '通知页面.html');
  await page.waitForTimeout(300);
  assert.notEqual(await page.title(), 'pwned');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await Promise.all([page.waitForEvent('download'), page.goto(H.base + svgHref).catch(() => null)]);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  await page.waitForSelector('.att-item');
  assert.equal(await page.evaluate(() => localStorage.getItem('pwned')), null, 'no script of an attachment ran');
  // Clicking it in the list downloads too (the page stays).
  const [d2] = await Promise.all([page.waitForEvent('download'), page.locator('.att-item', { hasText: '通知页面.html' }).locator('.att-name').click()]);
  assert.equal(d2.suggestedFilename(), '通知页面.html');
  assert.match(page.url(), new RegExp(`#/doc/${S.doc}$`));
  noProblems(page, 'html attachment');
});

test('11: an editor deletes an attachment after confirming', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  const row = page.locator('.att-item', { hasText: '标志.svg' });
  await row.waitFor();
  const before = await page.$$eval('.att-item', (x) => x.length);
  await row.locator('.att-del').click();
  await page.waitForSelector('dialog.dialog[open]');
  assert.match(await page.textContent('dialog.dialog'), /删除附件「标志\.svg」/);
  await page.click('dialog.dialog .btn-cancel, dialog.dialog button[value=cancel]');
  assert.equal(await page.$$eval('.att-item', (x) => x.length), before, 'cancel keeps it');
  await row.locator('.att-del').click();
  await page.click('dialog.dialog .btn-danger');
  await row.waitFor({ state: 'detached' });
  assert.equal(await page.$$eval('.att-item', (x) => x.length), before - 1);
  const list = await H.api(S.zhangTok, 'GET', `/documents/${S.doc}/attachments`);
  assert.ok(!list.attachments.some((a) => a.filename === '标志.svg'));
  noProblems(page, 'delete');
});

test('11: a reader sees the list without attach or delete controls; a stranger gets the 404 page', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'lina', USER_PW);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  await page.waitForSelector('.att-item');
  assert.ok(await page.$$eval('.att-item', (x) => x.length) >= 4);
  assert.equal(await page.locator('.att-add, .att-del, .att input[type=file], .att-hint').count(), 0);
  assert.match(await page.textContent('.att'), new RegExp(TXT_NAME.replace('.', '\\.')));
  // The reader downloads too.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.att-item', { hasText: TXT_NAME }).locator('.att-name').click()]);
  assert.equal(download.suggestedFilename(), TXT_NAME);
  noProblems(page, 'reader');

  const other = await H.page({ viewport: WIDE });
  await H.uiLogin(other, 'zhaolei', USER_PW);
  await other.goto(`${H.base}/#/doc/${S.doc}`);
  await other.waitForSelector('.error-state.not-found');
  assert.equal(await other.locator('.att').count(), 0);
  const att = (await H.api(S.zhangTok, 'GET', `/documents/${S.doc}/attachments`)).attachments[0];
  const res = await other.request.get(`${H.base}/api/v1/attachments/${att.id}/content`);
  assert.equal(res.status(), 404);
  noProblems(other, 'stranger');
});

test('11: an image pasted into the editor is uploaded, linked at the caret and shown; a dropped file is linked', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  // A new document has nowhere to keep files yet: the button waits, and says why.
  await page.goto(`${H.base}/#/new?space=${S.space}`);
  await page.waitForSelector('.editor-attach');
  assert.equal(await page.locator('.editor-attach button').isDisabled(), true);
  assert.match(await page.textContent('.editor-attach'), /先保存文档/);

  await page.goto(`${H.base}/#/doc/${S.doc}/edit`);
  await page.waitForSelector('textarea.body-input');
  await page.click('textarea.body-input');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n\n现场：');
  const before = await page.inputValue('textarea.body-input');
  // Cells copied from Excel come with a picture of themselves: that paste is text, not an upload.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', '城市\t标准');
    dt.items.add(new File(['not really a png'], 'image.png', { type: 'image/png' }));
    document.querySelector('textarea.body-input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForTimeout(400);
  assert.equal(await page.inputValue('textarea.body-input'), before, 'nothing uploaded for a paste that carries text');
  await page.evaluate(async () => {
    const cv = document.createElement('canvas');
    cv.width = 80; cv.height = 50;
    const g = cv.getContext('2d');
    g.fillStyle = '#b23a2e'; g.fillRect(0, 0, 80, 50);
    const blob = await new Promise((r) => cv.toBlob(r, 'image/png'));
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'image.png', { type: 'image/png' }));
    const ta = document.querySelector('textarea.body-input');
    ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => /!\[image\.png\]\(\/api\/v1\/attachments\/[\w-]+\/content\)/.test(document.querySelector('textarea.body-input').value));
  const body = await page.inputValue('textarea.body-input');
  assert.ok(body.startsWith(before), 'inserted at the caret, after what was typed');
  const src = /!\[image\.png\]\((\/api\/v1\/attachments\/[\w-]+\/content)\)/.exec(body)[1];
  assert.ok(body.slice(before.length).startsWith('![image.png]('), 'right where the caret was: ' + body.slice(before.length));
  // The preview shows it.
  await page.waitForFunction((s) => { const i = document.querySelector(`.preview img[src="${s}"]`); return i && i.complete && i.naturalWidth === 80; }, src);

  // A dropped document is attached and linked.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['预算：100 万元\n'], '预算说明.txt', { type: 'text/plain' }));
    const ta = document.querySelector('textarea.body-input');
    ta.setSelectionRange(ta.value.length, ta.value.length);
    ta.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    ta.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => /(^|[^!])\[预算说明\.txt\]\(\/api\/v1\/attachments\/[\w-]+\/content\)/.test(document.querySelector('textarea.body-input').value));
  await snap(page, 'attachments11-editor-desktop');

  await page.click('.editor .btn-primary[type=submit]');
  await page.waitForSelector('#doc-body');
  await page.waitForFunction((s) => { const i = document.querySelector(`#doc-body img[src="${s}"]`); return i && i.complete && i.naturalWidth === 80; }, src);
  assert.ok(await page.locator('#doc-body a', { hasText: '预算说明.txt' }).count() === 1);
  // Both are in the document's list.
  await page.locator('.att-item', { hasText: 'image.png' }).waitFor();
  await page.locator('.att-item', { hasText: '预算说明.txt' }).waitFor();
  noProblems(page, 'editor paste');
});

test('11: the upload page turns a .md with front matter into a document titled from it', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/upload?space=${S.space}`);
  await page.waitForSelector('#upload-input', { state: 'attached' });
  assert.match(await page.textContent('.page-lead'), /docx/);
  const md = '---\ntitle: 档案借阅规定\ntags: [制度, 档案]\n---\n\n借阅档案须登记，七日内归还。\n';
  await page.setInputFiles('#upload-input', [
    { name: 'borrow-rules.md', mimeType: 'text/markdown', buffer: Buffer.from(md) },
    { name: '说明.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n') },
  ]);
  assert.match(await page.textContent('.upload-row:nth-child(2) .upload-state'), /只支持/);
  await snap(page, 'attachments11-upload-desktop');
  await page.click('.upload-card .btn-primary');
  await page.waitForSelector('.upload-state.ok a');
  assert.match(await page.textContent('.upload-state.ok a'), /档案借阅规定/);
  await snap(page, 'attachments11-upload-done-desktop');
  await page.click('.upload-state.ok a');
  await page.waitForSelector('#doc-body');
  assert.equal((await page.textContent('h1.doc-title')).trim(), '档案借阅规定');
  const text = await page.textContent('#doc-body');
  assert.doesNotMatch(text, /title:|tags:|---/, 'front matter is not shown: ' + text);
  assert.match(text, /借阅档案须登记/);
  assert.deepEqual((await page.$$eval('.doc-head .tag', (x) => x.map((e) => e.textContent.replace(/^#/, '').trim()))).sort(), ['制度', '档案'].sort());
  noProblems(page, 'upload');

  const phone = await H.page({ viewport: PHONE });
  await H.uiLogin(phone, 'zhangwei', USER_PW);
  await phone.goto(`${H.base}/#/upload?space=${S.space}`);
  await phone.waitForSelector('#upload-input', { state: 'attached' });
  await phone.setInputFiles('#upload-input', [{ name: '一份很长很长的文件名用来看看手机上怎么换行.md', mimeType: 'text/markdown', buffer: Buffer.from('# 手机上传\n') }]);
  await snap(phone, 'attachments11-upload-phone', { fullPage: true });
  await noHorizontalOverflow(phone, 'upload (phone)');
  noProblems(phone, 'upload phone');
});

test('11: the upload page turns a Word file into a document (headings through styles.xml, bold, a table)', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/upload?space=${S.space}`);
  await page.waitForSelector('#upload-input', { state: 'attached' });
  await page.setInputFiles('#upload-input', [{ name: '差旅管理办法.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', buffer: docx() }]);
  await page.click('.upload-card .btn-primary');
  await page.waitForSelector('.upload-state.ok, .upload-state.err');
  if (await page.locator('.upload-state.err').count()) {
    assert.fail('the .docx did not become a document: ' + await page.textContent('.upload-state.err'));
  }
  assert.match(await page.textContent('.upload-state.ok a'), /差旅管理办法/);
  await page.click('.upload-state.ok a');
  await page.waitForSelector('#doc-body');
  assert.equal((await page.textContent('h1.doc-title')).trim(), '差旅管理办法');
  assert.match(await page.textContent('#doc-body h2'), /第一章 总则/);
  assert.equal(await page.textContent('#doc-body strong'), '审批');
  assert.deepEqual(await page.$$eval('#doc-body table tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim()))), [['城市', '标准'], ['北京', '500 元']]);
  noProblems(page, 'docx upload');
});

test('11: a word only in an attachment finds the document, and the hit names the attachment', async () => {
  const page = await H.page({ viewport: WIDE });
  await H.uiLogin(page, 'lina', USER_PW);
  // Indexing follows extraction: ask until the hit is there.
  const deadline = Date.now() + 30_000;
  let found = false;
  while (!found && Date.now() < deadline) {
    await page.goto(`${H.base}/#/search?q=${encodeURIComponent(WORD)}`);
    await page.waitForSelector('.hit, .search-results .empty');
    found = (await page.locator('.hit-attachment').count()) > 0;
    if (!found) await page.waitForTimeout(1000);
  }
  assert.ok(found, 'a hit names the attachment');
  const hit = page.locator('.hit', { has: page.locator('.hit-attachment') }).first();
  assert.match(await hit.locator('.hit-title').textContent(), /年度会议资料/);
  assert.match(await hit.locator('.hit-attachment').textContent(), new RegExp('附件：' + TXT_NAME.replace('.', '\\.')));
  await snap(page, 'attachments11-search-desktop');
  // The hit opens the document at the attachment.
  await hit.locator('.hit-attachment a').click();
  await page.waitForSelector('.att-item.att-focus');
  assert.match(await page.textContent('.att-item.att-focus'), new RegExp(TXT_NAME.replace('.', '\\.')));
  noProblems(page, 'search');
  // Someone who may not read the document finds nothing.
  const r = await H.api(S.zhaoTok, 'GET', '/search?q=' + encodeURIComponent(WORD));
  assert.equal((r.hits || []).length, 0);
});

test('11: the document page with attachments on a phone (390 px)', async () => {
  const page = await H.page({ viewport: PHONE });
  await H.uiLogin(page, 'zhangwei', USER_PW);
  await page.goto(`${H.base}/#/doc/${S.doc}`);
  await page.waitForSelector('.att-item');
  await page.waitForFunction(() => [...document.querySelectorAll('.att-thumb img')].every((i) => i.complete));
  await page.locator('#attachments').scrollIntoViewIfNeeded();
  await snap(page, 'attachments11-doc-phone');
  await snap(page, 'attachments11-doc-phone-full', { fullPage: true });
  await noHorizontalOverflow(page, 'document with attachments (phone)');
  // Buttons are big enough to tap, and the names do not push them off the screen.
  const boxes = await page.$$eval('.att-del, .att-add', (bs) => bs.map((b) => { const r = b.getBoundingClientRect(); return { right: r.right, h: r.height }; }));
  for (const b of boxes) { assert.ok(b.right <= 390, 'on screen: ' + b.right); assert.ok(b.h >= 30, 'tall enough: ' + b.h); }
  noProblems(page, 'phone');
});
