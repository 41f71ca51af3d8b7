// Shared helpers for the browser tests that start their own server (ui17.test.mjs and later files):
// the real server binary, Debian's Chromium driven by playwright-core.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const ART = path.join(HERE, 'artifacts');
export const ADMIN_PW = 'Hanlin-测试-Passw0rd!';
export const USER_PW = 'Secret-密码-2024';
export const WIDE = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** One server and one browser for a test file. */
export class Harness {
  constructor(name) { this.name = name; this.cleanups = []; this.base = null; }

  async start() {
    fs.mkdirSync(ART, { recursive: true });
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hanlin-browser-'));
    // Robots in the tests are receivers on 127.0.0.1, which a real server refuses by default.
    const env = { ...process.env, HANLIN_ADMIN_PASSWORD: ADMIN_PW, HANLIN_WEBHOOK_ALLOW_LOOPBACK: 'true', RUST_LOG: process.env.RUST_LOG || 'warn' };
    const cmd = process.env.HANLIN_BIN || path.join(ROOT, 'target/release/hanlin');
    assert.ok(fs.existsSync(cmd), `server binary not found: ${cmd}`);
    this.server = spawn(cmd, ['serve', '--bind', '127.0.0.1:0', '--data-dir', path.join(this.tmp, 'data')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = fs.createWriteStream(path.join(ART, `server-${this.name}.log`));
    this.server.stderr.pipe(log);
    await new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
      this.server.stdout.on('data', (chunk) => {
        log.write(chunk);
        buf += chunk;
        const m = /Hanlin listening on (http:\/\/[^\s]+)/.exec(buf);
        if (m && !this.base) { clearTimeout(timer); this.base = m[1].replace(/\/$/, ''); resolve(); }
      });
      this.server.on('exit', (code) => { if (!this.base) { clearTimeout(timer); reject(new Error('server exited early with ' + code)); } });
    });
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    this.admin = await this.login('admin', ADMIN_PW);
  }

  async stop() {
    for (const fn of this.cleanups.reverse()) await fn();
    if (this.browser) await this.browser.close().catch(() => {});
    if (this.server && this.server.exitCode === null) {
      this.server.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(() => { this.server.kill('SIGKILL'); r(); }, 5000); this.server.on('exit', () => { clearTimeout(t); r(); }); });
    }
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  async api(token, method, p, body) {
    const res = await fetch(this.base + '/api/v1' + p, {
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

  async login(username, password) {
    return (await this.api(null, 'POST', '/session', { username, password })).token;
  }

  /** A fresh context and page (zh-CN), tracking console CSP errors, page errors and dialogs. */
  async page({ viewport = WIDE } = {}) {
    const context = await this.browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
    this.cleanups.push(() => context.close().catch(() => {}));
    const page = await context.newPage();
    page.problems = [];
    page.dialogs = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) page.problems.push('CSP: ' + msg.text());
    });
    page.on('pageerror', (err) => page.problems.push('pageerror: ' + err.message));
    page.on('dialog', (d) => { page.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
    page.setDefaultTimeout(15_000);
    return page;
  }

  async uiLogin(page, username, password) {
    await page.goto(this.base + '/#/login');
    await page.waitForSelector('.login-form input[name=username]');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.press('input[name=password]', 'Enter');
    await page.waitForSelector('.topbar .brand');
  }
}

/** Every API answer arrives `ms` later (a slow network); returns a function that undoes it. */
export async function slowApi(page, ms, pattern = '**/api/v1/**') {
  const handler = (route) => setTimeout(() => route.continue().catch(() => {}), ms);
  await page.route(pattern, handler);
  return () => page.unroute(pattern, handler);
}

export async function shot(page, name, opts = {}) {
  await page.evaluate(() => document.fonts && document.fonts.ready);
  if (!opts.keepToasts) await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(ART, name + '.png'), fullPage: !!opts.fullPage });
}

export function noProblems(page, what) {
  assert.deepEqual(page.problems, [], `${what}: console/CSP problems`);
  assert.deepEqual(page.dialogs, [], `${what}: unexpected dialogs`);
}

export async function noHorizontalOverflow(page, what) {
  const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(sw <= cw + 1, `${what}: page scrolls sideways (${sw} > ${cw})`);
}

/** No Latin words of three letters or more in the text (English left in the Chinese UI). */
export function assertNoEnglish(text, what) {
  const words = (text.match(/[A-Za-z]{3,}/g) || []).filter((w) => !/^(Markdown|API|URL|PDF|zip|docx|txt|md)$/i.test(w));
  assert.deepEqual(words, [], `${what}: English words in the Chinese UI: ${text.slice(0, 300)}`);
}

/** Types `letters` through a pinyin input method, letter by letter (composition events, nothing committed). */
export async function compose(cdp, letters, pause = 60) {
  for (let i = 1; i <= letters.length; i++) {
    const text = letters.slice(0, i);
    await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    await new Promise((r) => setTimeout(r, pause));
  }
}
