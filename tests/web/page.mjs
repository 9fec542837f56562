// page.mjs NODE_DIR BIN SRCDIR OUTDIR - the calculator page in headless
// Chromium: the model list and its search box, fixtures/tiny-llama chosen,
// context and GPU changed, accelerate's table, the breakdown totals and the
// verdict checked against `modelmem estimate --json` for the same options,
// the link reproducing the view, no request leaving the server, no error
// in the console; screenshots (1080p light and dark, phone) in OUTDIR.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [nodeDir, bin, srcdir, outdir] = process.argv.slice(2);
const puppeteer = createRequire(join(nodeDir, 'package.json'))('puppeteer-core');
const fmt = await import(pathToFileURL(join(srcdir, 'web', 'format.js')).href);
const MODEL = 'fixtures/tiny-llama';
let failures = 0;

function check(what, got, want) {
  if (got !== want) {
    failures += 1;
    console.error(`FAIL: ${what}:\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
  }
}

function cli(...opts) {
  const out = execFileSync(bin, ['estimate', MODEL, '--json', ...opts], { cwd: srcdir });
  return JSON.parse(out.toString());
}

function verdictLine(what, f, fits, headroom, minGpus) {
  if (fits) return `✓ ${what} fits on one ${f.gpu}: ${fmt.bytes(headroom)} to spare per GPU.`;
  const need = minGpus === null ? 'no GPU count makes it fit'
    : `it needs ${minGpus} GPUs (${f.parallel ?? 'dp'})`;
  return `✗ ${what} does not fit on one ${f.gpu}: ${fmt.bytes(-headroom)} short; ${need}.`;
}

const server = spawn(bin, ['serve', 'fixtures', '--listen', '127.0.0.1:0', '-q'],
  { cwd: srcdir, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    if (buf.includes('\n')) resolve(buf.split('\n')[0]);
  });
  server.on('exit', (code) => reject(new Error(`modelmem serve exited ${code}`)));
  setTimeout(() => reject(new Error('modelmem serve printed no URL')), 10000);
});
const origin = new URL(url).origin;
const profile = mkdtempSync(join(tmpdir(), 'modelmem-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  userDataDir: profile,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync'],
});

const offsite = [];
const problems = [];
async function open(address, viewport) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) {
      offsite.push(r.url());
      r.abort();
    } else {
      r.continue();
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await page.goto(address, { waitUntil: 'networkidle0' });
  return page;
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());
const waitText = (page, sel, want) => page.waitForFunction(
  (s, w) => document.querySelector(s)?.textContent.includes(w), { timeout: 10000 }, sel, want);

try {
  const page = await open(url, { width: 1920, height: 1080 });
  await page.waitForSelector('#model-table tbody tr');

  // The list and its search box.
  const all = await page.$$eval('#model-table tbody tr', (rows) => rows.length);
  await page.type('#search', 'tiny-llama');
  const shown = await page.$$eval('#model-table tbody tr:not([hidden])',
    (rows) => rows.map((r) => r.dataset.name));
  check('search shows only tiny-llama rows', shown.every((n) => n.includes('tiny-llama')), true);
  check('search hides rows', shown.length < all && shown.includes(MODEL), true);

  // Choose the model: accelerate's table as the CLI's JSON says.
  const [link] = await page.$$(`xpath/.//a[normalize-space(.)="${MODEL}"]`);
  await link.click();
  await page.waitForSelector('#accelerate tbody tr');
  const base = cli('--context=4096');
  const rows = await page.$$eval('#accelerate tbody tr',
    (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  check('accelerate table', JSON.stringify(rows), JSON.stringify(base.estimates.map((e) => [
    e.dtype, fmt.bytes(e.largest_layer_bytes), fmt.bytes(e.total_bytes),
    fmt.bytes(e.training_adam_bytes)])));
  check('no verdict without a GPU', await text(page, '#verdict'),
    'Choose a GPU to see whether the model fits.');

  // Context and GPU: the breakdown and the verdict follow.
  await page.click('#opt-context', { clickCount: 3 });
  await page.type('#opt-context', '8192');
  await page.type('#opt-gpu', 'RTX4090-24GB');
  await waitText(page, '#verdict', 'RTX4090-24GB');
  await page.waitForNetworkIdle();
  const fit = cli('--context=8192', '--gpu=RTX4090-24GB');
  check('verdict (fits)', await text(page, '#verdict li'),
    verdictLine('Inference', fit.fits, fit.fits.inference, fit.fits.inference_headroom_bytes,
      fit.fits.inference_min_gpus));
  check('inference total', await page.$eval('#inference tr.total td', (e) => e.dataset.bytes),
    String(fit.inference.total_bytes));
  check('inference KV cache row', (await text(page, '#inference tbody')).includes(
    fmt.bytes(fit.inference.kv_cache_bytes)), true);
  const search = await page.evaluate(() => window.location.search);
  check('URL state', new URLSearchParams(search).toString(),
    new URLSearchParams({ model: MODEL, context: '8192', gpu: 'RTX4090-24GB' }).toString());
  await page.$eval('#opt-gpu', (e) => e.blur());
  await page.screenshot({ path: join(outdir, 'web_page.png') });

  // A GPU too small: does not fit, and the smallest count that does.
  await page.click('#opt-gpu', { clickCount: 3 });
  await page.type('#opt-gpu', '256MiB');
  await waitText(page, '#verdict', '256MiB');
  await page.waitForNetworkIdle();
  const nofit = cli('--context=8192', '--gpu=256MiB');
  check('verdict (does not fit)', await text(page, '#verdict li'),
    verdictLine('Inference', nofit.fits, nofit.fits.inference,
      nofit.fits.inference_headroom_bytes, nofit.fits.inference_min_gpus));

  // Training: the second breakdown.
  await page.select('#opt-train', 'lora');
  await page.waitForSelector('#training:not([hidden]) tr.total');
  await page.waitForNetworkIdle();
  const lora = cli('--context=8192', '--gpu=256MiB', '--train=lora');
  check('training total', await page.$eval('#training tr.total td', (e) => e.dataset.bytes),
    String(lora.training.total_bytes));

  // The tensors: the inventory document, on opening the list.
  await page.click('#inventory summary');
  await page.waitForSelector('#inventory tbody tr');
  const inv = JSON.parse(execFileSync(bin, ['inspect', MODEL, '--json'], { cwd: srcdir }));
  const names = await page.$$eval('#inventory td.name', (tds) => tds.map((t) => t.textContent));
  check('tensor names', JSON.stringify(names), JSON.stringify(inv.tensors.map((x) => x.name)));

  // The link reproduces the view, in a phone-sized window and dark.
  const href = await page.$eval('#permalink', (a) => a.href);
  const phone = await open(href, { width: 390, height: 844, deviceScaleFactor: 2,
    isMobile: true, hasTouch: true });
  await phone.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await phone.waitForSelector('#training:not([hidden]) tr.total');
  check('link: training total', await phone.$eval('#training tr.total td',
    (e) => e.dataset.bytes), String(lora.training.total_bytes));
  check('link: verdict', await text(phone, '#verdict li'), await text(page, '#verdict li'));
  await phone.screenshot({ path: join(outdir, 'web_page_phone_dark.png') });

  // An unknown model in the URL: the API's 404 message, shown.
  const bad = await open(`${url}?model=..%2Fetc%2Fpasswd`, { width: 1280, height: 800 });
  await bad.waitForSelector('#calc-error:not([hidden])');
  check('unknown model message', (await text(bad, '#calc-error')).includes('no such model'),
    true);
  problems.splice(0, problems.length,
    ...problems.filter((p) => !p.includes('404') && !p.includes('Not Found')));
} catch (e) {
  failures += 1;
  console.error(`FAIL: ${e.stack}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(profile, { recursive: true, force: true });
}
check('requests to other hosts', JSON.stringify(offsite), '[]');
check('console errors', JSON.stringify(problems), '[]');
if (failures > 0) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log(`ok: screenshots in ${outdir}`);
