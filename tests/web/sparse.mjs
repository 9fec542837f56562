// sparse.mjs (ctest web_sparse) - a Llama-3-70B-sized sharded folder (30
// shards, 132 GiB apparent, sparse files from tests/bench/gen_layout) given
// to the folder input: the page's figures are the command line's, and the
// browser reads only the headers, never the tensor data (File objects are
// lazy; local.js's readStats counts what the worker read). Then a PyTorch
// checkpoint larger than 4 GiB (gen_bigzip.py), read at offsets past 2^32.
//
// GEN_LAYOUT: the generator (default build/tests/bench/gen_layout).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, call, check, checkSame, choose, expected, finish, launch, openPage, serve, skip,
  tempDir,
} from './lib.mjs';

const gen = process.env.GEN_LAYOUT || join(ROOT, 'build/tests/bench/gen_layout');
if (!existsSync(gen)) {
  skip(`${gen} not found`);
}
const tmp = tempDir('mm-web-sparse-');
const dir = join(tmp, 'llama');
mkdirSync(dir);
const g = spawnSync(gen, ['llama', dir], { encoding: 'utf8' });
check('gen_layout llama', g.status === 0, g.stderr);

const origin = await serve();
const browser = await launch();
const page = await openPage(browser, `${origin}/index.html`);
const before = await page.evaluate(() => import('./local.js').then((m) => m.readStats()));
const scan = await choose(page, '#folder', [dir]);
checkSame('one model', scan.models.map((m) => m.path), ['llama']);
const want = expected(['estimate', '--json', '-q', 'llama'], tmp);
checkSame('estimate = CLI', await call(page, 'estimate', 'llama'), want);
const inv = await call(page, 'inspect', 'llama');
checkSame('inspect = CLI', inv, expected(['inspect', '--json', '-q', 'llama'], tmp));

const after = await page.evaluate(() => import('./local.js').then((m) => m.readStats()));
const apparent = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const headers = (inv.files || []).reduce((n, f) => n + f.header_bytes, 0);
const json = readdirSync(dir).filter((f) => f.endsWith('.json'))
  .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const read = after.bytes - before.bytes;
// openFiles reads the model twice (the scan row, then its estimate), then
// estimate and inspect once each: four loads, each reading the headers, the
// index and config.json, some twice (an index is probed, then read), and a
// few bytes more of each file (the format probe).
const files = readdirSync(dir).length;
check('only headers are read', read > 0 && read <= 4 * (2 * (headers + json) + files * 4096),
  `read ${read} bytes; headers ${headers}, json ${json}, files ${apparent}`);
check('not a byte of tensor data', read < apparent / 100000, `${read} of ${apparent}`);
check('files are large and sparse', apparent > 100 * 2 ** 30, String(apparent));
console.log(`read ${read} of ${apparent} bytes in ${after.reads - before.reads} reads`);

// A PyTorch zip checkpoint of 4.5 GB (sparse): its central directory is
// read past 2^32.
{
  const big = join(tmp, 'big.pt');
  const z = spawnSync('python3', [join(ROOT, 'tests/web/gen_bigzip.py'),
    join(ROOT, 'fixtures/torch/training.pt'), big, '4500000000'], { encoding: 'utf8' });
  check('gen_bigzip.py', z.status === 0, z.stderr);
  check('big.pt is past 4 GiB', statSync(big).size > 2 ** 32, String(statSync(big).size));
  const s = await choose(page, '#files', [big]);
  checkSame('big.pt: one model', s.models.map((m) => m.path), ['big.pt']);
  checkSame('big.pt: estimate = CLI', await call(page, 'estimate', 'big.pt'),
    expected(['estimate', '--json', '-q', 'big.pt'], tmp));
  checkSame('big.pt: inspect = CLI', await call(page, 'inspect', 'big.pt'),
    expected(['inspect', '--json', '-q', 'big.pt'], tmp));
}

await browser.close();
finish();
