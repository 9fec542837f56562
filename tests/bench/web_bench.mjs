// web_bench.mjs - the WebAssembly back end (web/dist) against the native
// command on the DeepSeek-V3 layout (tests/bench/README.md, "In the
// browser"). Not a ctest test: run it by hand.
//
//   node tests/bench/web_bench.mjs [BUILD_DIR [RUNS]]   (default build-rel, 7)
//
// Generates the layout (163 sparse shards, 688 GB apparent) in $TMPDIR,
// gives the folder to the test page's folder input in headless Chromium as a
// person does (puppeteer's uploadFile: File objects, read lazily), then
// times, as medians of RUNS:
//   - native `modelmem estimate DIR --json` (whole process, default threads
//     and --threads=1), as tests/bench/measure does;
//   - in the page: local.js's estimate(id) (post to the worker, the whole
//     load of the headers through WORKERFS, the CLI's estimate --json, the
//     document back and parsed), and inspect(id);
//   - openFiles once (the scan: the model loaded twice, row and estimate).
// Checks that the browser's documents equal the native ones, and that
// estimate in the browser is within 10x the native estimate (default
// threads). Exit 0 when both hold.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const build = resolve(process.argv[2] || 'build-rel');
const runs = Number(process.argv[3] || 7);
process.env.MODELMEM = join(build, 'modelmem');
const lib = await import('../web/lib.mjs');
const { call, check, checkSame, choose, expected, finish, launch, openPage, serve, tempDir } = lib;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// One run of the native command: whole-process wall time, ms.
function nativeMs(args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.env.MODELMEM, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`modelmem ${args.join(' ')}: ${r.stderr}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const tmp = tempDir('mm-web-bench-');
const dir = join(tmp, 'deepseek');
mkdirSync(dir);
const g = spawnSync(join(build, 'tests/bench/gen_layout'), ['deepseek', dir], { encoding: 'utf8' });
if (g.status !== 0) {
  throw new Error(`gen_layout: ${g.stderr}`);
}
console.log(`layout: ${g.stdout.trim()}`);

const origin = await serve();
const browser = await launch();
const page = await openPage(browser, `${origin}/index.html`);
const t0 = Date.now();
await choose(page, '#folder', [dir], 300000);
const pickMs = Date.now() - t0;
// openFiles alone, timed in the page (the files the folder input holds)
const openMs = await page.evaluate(async () => {
  const api = await import('./api.js');
  const t = performance.now();
  await api.openFiles(document.getElementById('folder').files);
  return performance.now() - t;
});

// One timed call of local.js in the page.
async function pageMs(op) {
  return page.evaluate(async (o) => {
    const t = performance.now();
    const local = await import('./local.js');
    const doc = o === 'inspect' ? await local.inspect('deepseek')
      : await local.estimate('deepseek');
    if (doc.error) {
      throw new Error(doc.error.message);
    }
    return performance.now() - t;
  }, op);
}

// Native and browser runs interleaved, so that a busy machine weighs on
// both alike.
const t = { estimate: [], estimate1: [], inspect: [], wEstimate: [], wInspect: [] };
for (let i = 0; i < runs; i++) {
  t.estimate.push(nativeMs(['estimate', '--json', 'deepseek'], tmp));
  t.wEstimate.push(await pageMs('estimate'));
  t.estimate1.push(nativeMs(['estimate', '--json', '--threads=1', 'deepseek'], tmp));
  t.inspect.push(nativeMs(['inspect', '--json', 'deepseek'], tmp));
  t.wInspect.push(await pageMs('inspect'));
}
const native = { estimate: median(t.estimate), estimate1: median(t.estimate1),
  inspect: median(t.inspect) };
const web = { estimate: median(t.wEstimate), inspect: median(t.wInspect) };
checkSame('estimate = CLI', await call(page, 'estimate', 'deepseek'),
  expected(['estimate', '--json', 'deepseek'], tmp));
const inv = await call(page, 'inspect', 'deepseek');
checkSame('inspect totals = CLI', inv.totals,
  expected(['inspect', '--json', 'deepseek'], tmp).totals);
await browser.close();

const cell = (x, width, digits = 1) => x.toFixed(digits).padStart(width);
const row = (name, n, w) => console.log(
  `| ${name.padEnd(26)} | ${cell(n, 9)} | ${cell(w, 10)} | ${cell(w / n, 8, 2)} |`);
console.log(`\nDeepSeek-V3 layout, ${runs} runs, medians (ms)\n`);
console.log('| command                    | native ms | browser ms | x native |');
console.log('|----------------------------|----------:|-----------:|---------:|');
row('estimate --json', native.estimate, web.estimate);
row('estimate --json (1 thread)', native.estimate1, web.estimate);
row('inspect --json', native.inspect, web.inspect);
console.log(`\nopenFiles (scan: two loads + estimate): ${openMs.toFixed(1)} ms in the page, ` +
  `${pickMs} ms from uploadFile to the page's figures`);
check('browser estimate within 10x native', web.estimate <= 10 * native.estimate,
  `${web.estimate} vs ${native.estimate}`);
finish();
