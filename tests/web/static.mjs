// static.mjs (ctest web_static) - the calculator page itself (web/dist/
// index.html, the page `modelmem serve` serves) with no server behind it:
// served by a loopback static server, then opened from file://. It finds
// no /api/models, offers the folder input, and fixtures/tiny-llama chosen
// there shows the figures `modelmem fixtures/tiny-llama` prints (the
// accelerate table, the parameters) and those of `estimate --json`; a
// malformed file shows the command line's one-line error; no request
// leaves the page's origin; web/ itself on a static host (no WebAssembly
// build beside it) says to build web/dist. OUT (optional): a screenshot,
// for the README.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DIST, FIXTURES, ROOT, TIMEOUT_MS, check, checkSame, cli, launch, serve,
} from './lib.mjs';

const fmt = await import(pathToFileURL(join(ROOT, 'web', 'format.js')).href);

// `modelmem fixtures/tiny-llama`'s table: [dtype, largest, total, training].
const text = cli(['fixtures/tiny-llama'], ROOT);
check('the CLI reads tiny-llama', text.rc === 0, text.err);
const table = text.out.split('\n').filter((l) => /^│\s*(float|int|bfloat)/.test(l))
  .map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
const params = /Parameters: ([\d,]+)/.exec(text.out)[1];
const want = JSON.parse(cli(['estimate', '--json', '--context=4096', 'tiny-llama'], FIXTURES).out);

// Every request of the browser's pages and workers (the Fetch domain of
// each target, as offline.mjs does: a page's interception does not see a
// worker's), those outside the origin (`null`: file://) refused and kept.
const watchers = new WeakSet();
const watching = { origin: null, outside: [], started: [] };
function watch(browser, origin, outside) {
  watching.origin = origin;
  watching.outside = outside;
  const on = async (target) => {
    const session = await target.createCDPSession().catch(() => null);
    if (session === null) {
      return;
    }
    session.on('Fetch.requestPaused', (e) => {
      const u = e.request.url;
      const o = watching.origin;
      const ok = o === null ? u.startsWith('file:') : u.startsWith(`${o}/`);
      if (!ok) {
        watching.outside.push(u);
      }
      (ok ? session.send('Fetch.continueRequest', { requestId: e.requestId })
        : session.send('Fetch.failRequest',
          { requestId: e.requestId, errorReason: 'BlockedByClient' })).catch(() => {});
    });
    await session.send('Fetch.enable', { patterns: [{ urlPattern: '*' }] }).catch(() => {});
    await session.send('Runtime.runIfWaitingForDebugger').catch(() => {});
  };
  if (!watchers.has(browser)) {
    watchers.add(browser);
    browser.on('targetcreated', (t) => {
      if (t.type() === 'worker' || t.type() === 'page') {
        watching.started.push(on(t));
      }
    });
  }
}

async function open(browser, url, origin) {
  const outside = [];
  watch(browser, origin, outside);
  const page = await browser.newPage();
  await Promise.all(watching.started);
  page.setDefaultTimeout(TIMEOUT_MS);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // the static server's 404 for api/models is how the page finds no server
    if (m.type() === 'error' && !/404|File not found/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  await page.setViewport({ width: 1400, height: 1000 });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#local:not([hidden])');
  return { page, outside, problems };
}

async function chooseFolder(page, dir) {
  const input = await page.$('#folder');
  await input.uploadFile(dir);
}

async function tinyLlama(where, browser, url, origin, shot) {
  const { page, outside, problems } = await open(browser, url, origin);
  await chooseFolder(page, join(FIXTURES, 'tiny-llama'));
  await page.waitForSelector('#accelerate tbody tr');
  const rows = await page.$$eval('#accelerate tbody tr',
    (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  checkSame(`${where}: accelerate table = modelmem fixtures/tiny-llama`, rows, table);
  const listed = await page.$$eval('#model-table tbody tr', (trs) => trs.map((tr) =>
    [tr.dataset.name, tr.children[2].textContent]));
  checkSame(`${where}: the list has tiny-llama`, listed, [['tiny-llama', params]]);
  const summary = await page.$eval('#calc-summary', (e) => e.textContent);
  check(`${where}: parameters as the CLI`, summary.includes(`${params} parameters`), summary);
  const total = await page.$eval('#inference tr.total td', (e) => e.dataset.bytes);
  checkSame(`${where}: inference total = estimate --json`, total,
    String(want.inference.total_bytes));
  check(`${where}: KV cache as estimate --json`, (await page.$eval('#inference tbody',
    (e) => e.textContent)).includes(fmt.bytes(want.inference.kv_cache_bytes)));
  // the tensors, from the inventory document
  await page.click('#inventory summary');
  await page.waitForSelector('#inventory tbody tr');
  const inv = JSON.parse(cli(['inspect', '--json', 'tiny-llama'], FIXTURES).out);
  checkSame(`${where}: tensor names`, await page.$$eval('#inventory td.name',
    (tds) => tds.map((t) => t.textContent)), inv.tensors.map((x) => x.name));
  if (shot) {
    await page.$eval('#inventory', (e) => { e.open = false; });
    await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
    await new Promise((r) => { setTimeout(r, 500); });
    await page.screenshot({ path: shot });
    console.log(`wrote ${shot}`);
  }
  checkSame(`${where}: no request leaves the origin`, outside, []);
  checkSame(`${where}: no page error`, problems, []);
  await page.close();
}

const origin = await serve(DIST);
const browser = await launch();
await tinyLlama('http', browser, `${origin}/index.html`, origin, process.env.OUT);

// A malformed file: the page shows the CLI's line ("modelmem: " off).
{
  const dir = join(FIXTURES, 'safetensors', 'malformed');
  const name = readdirSync(dir).sort().find((n) => cli(['estimate', n], dir).rc === 1);
  const line = cli(['estimate', name], dir).err.split('\n')[0].replace(/^modelmem: /, '');
  const { page, outside } = await open(browser, `${origin}/index.html`, origin);
  const input = await page.$('#files');
  await input.uploadFile(join(dir, name));
  await page.waitForSelector('#calc-error:not([hidden])');
  checkSame(`${name}: the CLI's error line`, await page.$eval('#calc-error',
    (e) => e.textContent), line);
  checkSame(`${name}: no request leaves the origin`, outside, []);
  await page.close();
}
// web/ itself on a static host (no server, no WebAssembly build beside
// it): the page says what to do.
{
  const bare = await serve(join(ROOT, 'web'));
  watching.origin = bare;
  const page = await browser.newPage();
  await Promise.all(watching.started);
  await page.goto(`${bare}/index.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('#models-status')
    .textContent.includes('web/build.sh'), { timeout: TIMEOUT_MS });
  check('web/ alone: the page says to build web/dist', true);
  await page.close();
}
await browser.close();

// From file://, where the browser allows module scripts and workers there.
{
  const b = await launch(['--allow-file-access-from-files']);
  await tinyLlama('file://', b, pathToFileURL(join(DIST, 'index.html')).href, null, null);
  await b.close();
}

const { finish } = await import('./lib.mjs');
finish();
