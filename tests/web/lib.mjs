// lib.mjs - what the web tests share: Debian's headless Chromium driven by
// puppeteer-core, web/dist served by a loopback static server that the test
// starts, the command line run for the expected documents, and a count of
// checks ending in the plain "N passed, N failed" line.
//
// Environment: MODELMEM (the native command, required), CHROMIUM (default
// /usr/bin/chromium). A missing browser, node module or web/dist build is a
// skip (exit 77), said on stdout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'web/dist');
export const FIXTURES = join(ROOT, 'fixtures');
export const MODELMEM = process.env.MODELMEM || join(ROOT, 'build/modelmem');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Waits of a page (a machine busy with a parallel build is slow).
export const TIMEOUT_MS = 120000;

export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

// puppeteer-core from the folder setup.sh installed it into (MM_WEB_NODE,
// set by run.sh), else from tests/web/node_modules
let puppeteer;
try {
  if (process.env.MM_WEB_NODE) {
    const req = createRequire(join(process.env.MM_WEB_NODE, 'package.json'));
    puppeteer = req('puppeteer-core');
  } else {
    puppeteer = (await import('puppeteer-core')).default;
  }
} catch {
  skip('puppeteer-core is not installed (tests/web/setup.sh BUILD/web-node)');
}
if (!existsSync(CHROMIUM)) {
  skip(`${CHROMIUM} not found (apt-get install chromium)`);
}
if (!existsSync(join(DIST, 'modelmem.wasm'))) {
  skip('web/dist is not built (web/build.sh; needs apt-get install emscripten)');
}
if (!existsSync(MODELMEM)) {
  skip(`${MODELMEM} not found`);
}

// ---- checks ----------------------------------------------------------------

let passed = 0;
let failed = 0;

export function check(name, ok, detail = '') {
  if (ok) {
    passed += 1;
  } else {
    failed += 1;
    console.log(`FAIL: ${name}${detail ? `\n  ${detail}` : ''}`);
  }
}

// The first path where two JSON values differ, or null.
export function diff(a, b, path = '$') {
  if (isDeepStrictEqual(a, b)) {
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = diff(a[k], b[k], `${path}.${k}`);
      if (d) {
        return d;
      }
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 200)} != ${JSON.stringify(b)?.slice(0, 200)}`;
}

export function checkSame(name, got, want) {
  const d = diff(got, want);
  check(name, d === null, d || '');
}

export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

// ---- the command line ------------------------------------------------------

// `modelmem ARGS` in `cwd`: {rc, out, err}.
export function cli(args, cwd) {
  const r = spawnSync(MODELMEM, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}

// What local.js answers for a command: the document, or the error as
// {"error": {"code", "message"}} with the CLI's line, "modelmem: " taken off.
export function expected(args, cwd) {
  const r = cli(args, cwd);
  if (r.rc === 0) {
    return JSON.parse(r.out);
  }
  return {
    error: {
      code: r.rc === 2 ? 'bad-option' : 'unreadable-model',
      message: r.err.split('\n')[0].replace(/^modelmem: /, ''),
    },
  };
}

// ---- the browser and the server --------------------------------------------

const cleanups = [];
process.on('exit', () => {
  for (const f of cleanups.reverse()) {
    try {
      f();
    } catch {
      // best effort
    }
  }
});

// python3 -m http.server on a free loopback port serving `dir`: its origin.
export async function serve(dir = DIST) {
  const p = spawn('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1',
    '--directory', dir, '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanups.push(() => p.kill());
  const port = await new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error('http.server did not start')), 10000);
    p.stdout.on('data', (d) => {
      buf += d;
      const m = /port (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    p.on('exit', () => fail(new Error('http.server exited')));
  });
  return `http://127.0.0.1:${port}`;
}

export async function launch(extra = []) {
  const profile = mkdtempSync(join(tmpdir(), 'mm-web-chromium-'));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync',
      `--user-data-dir=${profile}`, ...extra],
  });
  cleanups.push(() => browser.process()?.kill('SIGKILL'));
  return browser;
}

// The calculator page (web/dist/index.html, no server behind it) at `url`,
// with the page's errors reported as failures; resolves once it offers the
// folder input (body[data-state] "ready").
export async function openPage(browser, url) {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('pageerror', (e) => check('no page error', false, e.message));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  return page;
}

// The scan document of the files the page was given last (api.js).
export function lastScan(page) {
  return page.evaluate(() => import('./api.js').then((a) => a.lastScan()));
}

// Gives `paths` to the page's input `selector` (#folder: one folder, as a
// person picks it; #files: files), waits until the page shows the first
// model's figures (or its error), and resolves with the scan document.
export async function choose(page, selector, paths, timeout = TIMEOUT_MS) {
  await page.evaluate(() => {
    document.body.dataset.state = 'choosing';
  });
  const input = await page.$(selector);
  await input.uploadFile(...paths);
  await page.waitForFunction(() => document.body.dataset.state === 'done', { timeout });
  return lastScan(page);
}

// local.js's estimate/inspect called in the page (after choose()): the
// module api.js imported, with the files the page was given.
export function call(page, op, model, params = {}) {
  return page.evaluate((o, m, p) => import('./local.js').then((l) => (o === 'inspect'
    ? l.inspect(m) : l.estimate(m, p))), op, model, params);
}

// The error line the page shows, "" when none.
export function shownError(page) {
  return page.$eval('#calc-error', (e) => (e.hidden ? '' : e.textContent));
}

export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
