// offline.mjs (ctest web_offline) - nothing leaves the page's origin: every
// request the page and its worker make, from loading to estimates of a
// model, is intercepted, and any that names another origin fails the test
// (and is refused). The chosen files are read in the browser: their bytes
// are never sent, not even to the page's own server. Then the same page
// opened from file://, where Chromium allows it
// (--allow-file-access-from-files), gives the command line's figures too,
// and what the page downloads stays under 1 MiB compressed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import {
  DIST, FIXTURES, TIMEOUT_MS, call, check, checkSame, choose, expected, finish, launch, serve,
} from './lib.mjs';

async function watched(browser, origin) {
  const seen = [];
  const started = [];
  const watch = async (target) => {
    const session = await target.createCDPSession().catch(() => null);
    if (session === null) {
      return;
    }
    // The Fetch domain pauses every request of the target (the page, and
    // the worker, whose fetches a page's interception may not see).
    session.on('Fetch.requestPaused', (e) => {
      seen.push({ url: e.request.url, method: e.request.method, type: target.type() });
      const ok = e.request.url.startsWith(`${origin}/`);
      (ok ? session.send('Fetch.continueRequest', { requestId: e.requestId })
        : session.send('Fetch.failRequest',
          { requestId: e.requestId, errorReason: 'BlockedByClient' })
      ).catch(() => {});
    });
    await session.send('Fetch.enable', { patterns: [{ urlPattern: '*' }] }).catch(() => {});
    await session.send('Runtime.runIfWaitingForDebugger').catch(() => {});
  };
  browser.on('targetcreated', (t) => {
    if (t.type() === 'worker' || t.type() === 'page') {
      started.push(watch(t));
    }
  });
  return { seen, ready: () => Promise.all(started) };
}

{
  const origin = await serve();
  const browser = await launch();
  const { seen, ready } = await watched(browser, origin);
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  await ready();
  page.on('pageerror', (e) => check('no page error', false, e.message));
  await page.goto(`${origin}/index.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  await choose(page, '#folder', [join(FIXTURES, 'tiny-llama')]);
  await call(page, 'estimate', 'tiny-llama', { context: '8192', gpu: 'A100-80GB' });
  await call(page, 'inspect', 'tiny-llama');
  await choose(page, '#folder', [join(FIXTURES, 'estimate', 'gguf-gemma2')]);
  // The control: a request to another origin (another loopback address,
  // refused here before it is made) is seen and counted.
  const control = 'http://127.0.0.2:9/control';
  await page.evaluate((u) => fetch(u).catch(() => null), control);
  check('a request to another origin is caught', seen.some((s) => s.url === control),
    JSON.stringify(seen.map((s) => s.url)));
  seen.splice(seen.findIndex((s) => s.url === control), 1);
  const urls = seen.map((s) => s.url);
  const outside = seen.filter((s) => !s.url.startsWith(`${origin}/`));
  check('requests were seen', urls.some((u) => u.endsWith('/index.html')), urls.join(' '));
  check("the worker's requests were seen (modelmem.wasm)",
    urls.some((u) => u.endsWith('/modelmem.wasm')), urls.join(' '));
  check('no request leaves the origin', outside.length === 0, JSON.stringify(outside));
  const posts = seen.filter((s) => s.method !== 'GET');
  check('only GETs of the page and its module', posts.length === 0, JSON.stringify(posts));
  // the page and its modules, its one question for a server (api/models,
  // 404 here), the module and its worker
  const allowed = new Set(['/index.html', '/style.css', '/favicon.svg', '/app.js', '/api.js',
    '/state.js', '/format.js', '/views/models.js', '/views/knobs.js', '/views/accelerate.js',
    '/views/breakdown.js', '/views/verdict.js', '/views/tensors.js', '/api/models',
    '/local.js', '/worker.js', '/modelmem.js', '/modelmem.wasm', '/favicon.ico']);
  const other = urls.filter((u) => !allowed.has(new URL(u).pathname));
  check('nothing but the page and the module is requested', other.length === 0,
    other.join(' '));
  await browser.close();
}

{
  const browser = await launch(['--allow-file-access-from-files']);
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('pageerror', (e) => check('file://: no page error', false, e.message));
  await page.goto(pathToFileURL(join(DIST, 'index.html')).href, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  await choose(page, '#folder', [join(FIXTURES, 'tiny-llama')]);
  checkSame('file://: estimate = CLI', await call(page, 'estimate', 'tiny-llama'),
    expected(['estimate', '--json', 'tiny-llama'], FIXTURES));
  checkSame('file://: the page shows it', await page.$eval('#inference tr.total td',
    (e) => e.dataset.bytes), String(expected(['estimate', '--json', '--context=4096',
    'tiny-llama'], FIXTURES).inference.total_bytes));
  checkSame('file://: inspect = CLI', await call(page, 'inspect', 'tiny-llama'),
    expected(['inspect', '--json', 'tiny-llama'], FIXTURES));
  await browser.close();
}

// The module a page downloads: under 1 MiB compressed (gzip -9).
{
  const files = ['modelmem.wasm', 'modelmem.js', 'worker.js', 'local.js'];
  const size = files.reduce((n, f) => n + gzipSync(readFileSync(join(DIST, f)), { level: 9 })
    .length, 0);
  check('the module is under 1 MiB compressed', size < 1 << 20, `${size} bytes`);
  console.log(`module, worker and local.js: ${size} bytes with gzip -9`);
}

finish();
