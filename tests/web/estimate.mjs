// estimate.mjs (ctest web_estimate) - the page given fixtures' folders and
// files as a person gives them (the folder input, the file input, a drop)
// shows the figures `modelmem estimate --json` and `inspect --json` print
// for the same TARGET, run in the folder the files were chosen from.
import { copyFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  FIXTURES, ROOT, call, check, checkSame, choose, cli, expected, finish, lastScan, launch,
  openPage, serve, tempDir,
} from './lib.mjs';

const fmt = await import(pathToFileURL(join(ROOT, 'web', 'format.js')).href);

const origin = await serve();
const browser = await launch();
const page = await openPage(browser, `${origin}/index.html`);

// ---- one model folder: the page's table and JSON, then inspect ------------
{
  const scan = await choose(page, '#folder', [join(FIXTURES, 'tiny-llama')]);
  check('scan schema', scan.schema === 'modelmem.scan/1', JSON.stringify(scan).slice(0, 200));
  checkSame('scan finds tiny-llama', scan.models.map((m) => m.path), ['tiny-llama']);
  const want = expected(['estimate', '--json', 'tiny-llama'], FIXTURES);
  checkSame('scan row estimate = CLI estimate', scan.models[0].estimate, want);
  checkSame('scan row parameters', scan.models[0].parameters, want.parameters);
  // the page shows it: accelerate's table and the inference total
  const want4k = expected(['estimate', '--json', '--context=4096', 'tiny-llama'], FIXTURES);
  const cells = await page.$$eval('#accelerate tbody tr', (rows) => rows.map(
    (r) => Array.from(r.cells, (c) => c.textContent)));
  checkSame('page table = CLI estimates', cells, want4k.estimates.map((e) => [e.dtype,
    fmt.bytes(e.largest_layer_bytes), fmt.bytes(e.total_bytes),
    fmt.bytes(e.training_adam_bytes)]));
  checkSame('page inference total = CLI', await page.$eval('#inference tr.total td',
    (e) => e.dataset.bytes), String(want4k.inference.total_bytes));
  checkSame('inspect = CLI inspect --json', await call(page, 'inspect', 'tiny-llama'),
    expected(['inspect', '--json', 'tiny-llama'], FIXTURES));
  const stats = await page.evaluate(() => import('./local.js').then((m) => m.readStats()));
  check('reads only header bytes', stats.bytes > 0 && stats.bytes < 64 * 1024,
    JSON.stringify(stats));
}

// ---- estimate's options, as the README's examples use them ----------------
{
  const dir = join(FIXTURES, 'estimate');
  await choose(page, '#folder', [join(dir, 'tiny-llama')]);
  const cases = [
    {},
    { context: '8192', batch: '4' },
    { train: 'lora', 'lora-rank': '8', gpu: 'RTX4090' },
    { train: 'full', gpus: '4', parallel: 'zero3' },
    { dtypes: 'float32,bfloat16,int4' },
    { context: '4096', 'kv-dtype': 'fp8', overhead: '1GiB', gpu: '24GiB' },
    { train: 'qlora', optimizer: 'adamw8bit', 'grad-checkpointing': true, attention: 'eager' },
  ];
  for (const params of cases) {
    const args = [];
    for (const [k, v] of Object.entries(params)) {
      args.push(v === true ? `--${k}` : `--${k}=${v}`);
    }
    const got = await call(page, 'estimate', 'tiny-llama', params);
    checkSame(`estimate ${JSON.stringify(params)}`, got,
      expected(['estimate', '--json', '-q', ...args, 'tiny-llama'], dir));
  }
}

// ---- a folder of many models: every one found, each as the CLI has it ----
{
  const scan = await choose(page, '#folder', [join(FIXTURES, 'estimate')]);
  const ids = scan.models.map((m) => m.path);
  const want = readdirSync(join(FIXTURES, 'estimate'))
    .filter((d) => statSync(join(FIXTURES, 'estimate', d)).isDirectory())
    .map((d) => `estimate/${d}`)
    .filter((id) => !/no weight files found/.test(cli(['inspect', id], FIXTURES).err))
    .sort();
  checkSame('models found in fixtures/estimate', ids, want);
  for (const row of scan.models) {
    const doc = expected(['estimate', '--json', '-q', row.path], FIXTURES);
    if (doc.error) {
      check(`${row.path}: error as the CLI`, row.error && row.error.message === doc.error.message,
        `${JSON.stringify(row.error)} != ${JSON.stringify(doc.error)}`);
      checkSame(`${row.path}: estimate error`, await call(page, 'estimate', row.path), doc);
    } else {
      checkSame(`${row.path}: scan row estimate`, row.estimate, doc);
      checkSame(`${row.path}: inspect`, await call(page, 'inspect', row.path),
        expected(['inspect', '--json', '-q', row.path], FIXTURES));
    }
  }
}

// ---- PyTorch checkpoints: single files and a sharded folder ---------------
{
  const dir = join(FIXTURES, 'torch');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.pt'))) {
    const scan = await choose(page, '#files', [join(dir, f)]);
    checkSame(`${f}: one model named by the file`, scan.models.map((m) => m.path), [f]);
    checkSame(`${f}: estimate`, await call(page, 'estimate', f),
      expected(['estimate', '--json', '-q', f], dir));
    checkSame(`${f}: inspect`, await call(page, 'inspect', f),
      expected(['inspect', '--json', '-q', f], dir));
  }
  await choose(page, '#folder', [join(dir, 'sharded')]);
  checkSame('torch/sharded: estimate', await call(page, 'estimate', 'sharded'),
    expected(['estimate', '--json', '-q', 'sharded'], dir));
}

// ---- pipelines: diffusers and sentence-transformers folders ---------------
{
  const tmp = tempDir('mm-web-layouts-');
  const weights = join(FIXTURES, 'tiny-llama', 'model.safetensors');
  const put = (rel, src) => {
    mkdirSync(join(tmp, rel, '..'), { recursive: true });
    if (typeof src === 'string' && src.startsWith('/')) {
      copyFileSync(src, join(tmp, rel));
    } else {
      writeFileSync(join(tmp, rel), src);
    }
  };
  put('sd/model_index.json', JSON.stringify({ _class_name: 'StableDiffusionPipeline',
    unet: ['diffusers', 'UNet2DConditionModel'], text_encoder: ['transformers', 'CLIPTextModel'],
    scheduler: ['diffusers', 'PNDMScheduler'] }));
  put('sd/unet/diffusion_pytorch_model.safetensors', weights);
  put('sd/text_encoder/model.safetensors', weights);
  put('sd/scheduler/scheduler_config.json', '{}');
  put('st/modules.json', JSON.stringify([
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' }]));
  put('st/model.safetensors', weights);
  put('st/1_Pooling/config.json', '{}');
  put('st/2_Dense/model.safetensors', weights);
  for (const name of ['sd', 'st']) {
    const scan = await choose(page, '#folder', [join(tmp, name)]);
    checkSame(`${name}: one model`, scan.models.map((m) => m.path), [name]);
    checkSame(`${name}: estimate`, await call(page, 'estimate', name),
      expected(['estimate', '--json', '-q', name], tmp));
    checkSame(`${name}: inspect`, await call(page, 'inspect', name),
      expected(['inspect', '--json', '-q', name], tmp));
  }
}

// ---- drops on the page: two folders as a person drags them, then files --
{
  await page.evaluate(() => {
    window.scrollTo({ top: 0, behavior: 'instant' });
  });
  const box = await (await page.$('#drop')).boundingBox();
  const cdp = await page.createCDPSession();
  const data = { items: [], dragOperationsMask: 1,
    files: [join(FIXTURES, 'tiny-llama'), join(FIXTURES, 'estimate', 'gptq')] };
  await page.evaluate(() => {
    document.body.dataset.state = 'choosing';
  });
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x: box.x + 10, y: box.y + 10, data });
  }
  await page.waitForFunction(() => document.body.dataset.state === 'done');
  const scan = await lastScan(page);
  checkSame('drop of two folders: both models', scan.models.map((m) => m.path),
    ['gptq', 'tiny-llama']);
  checkSame('drop: gptq', await call(page, 'estimate', 'gptq'),
    expected(['estimate', '--json', 'gptq'], join(FIXTURES, 'estimate')));
  checkSame('drop: tiny-llama', await call(page, 'estimate', 'tiny-llama'),
    expected(['estimate', '--json', 'tiny-llama'], FIXTURES));
}
{
  // The files of a folder chosen without it: the model is "." as the CLI
  // run in that folder names it.
  const dir = join(FIXTURES, 'tiny-llama');
  const scan = await choose(page, '#files', [join(dir, 'config.json'),
    join(dir, 'model.safetensors')]);
  checkSame('loose files: the model is "."', scan.models.map((m) => m.path), ['.']);
  checkSame('loose files: estimate', await call(page, 'estimate', '.', { context: '2048' }),
    expected(['estimate', '--json', '--context=2048', '.'], dir));
}
{
  // A drop the browser gives without entries (a synthetic DataTransfer):
  // its files.
  await choose(page, '#files', [join(FIXTURES, 'tiny-llama', 'model.safetensors')]);
  await page.evaluate(() => {
    document.body.dataset.state = 'choosing';
    const dt = new DataTransfer();
    for (const f of document.getElementById('files').files) {
      dt.items.add(f);
    }
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', {
      dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => document.body.dataset.state === 'done');
  const scan = await lastScan(page);
  checkSame('drop: the file is the model', scan.models.map((m) => m.path), ['model.safetensors']);
  checkSame('drop: estimate shown', await page.$eval('#inference tr.total td',
    (e) => e.dataset.bytes), String(expected(['estimate', '--json', '--context=4096',
    'model.safetensors'], join(FIXTURES, 'tiny-llama')).inference.total_bytes));
}

// ---- what local.js refuses ------------------------------------------------
{
  const got = await call(page, 'estimate', 'no-such-model');
  check('unknown model: not-found', got.error && got.error.code === 'not-found',
    JSON.stringify(got));
  const opt = await call(page, 'estimate', 'model.safetensors', { config: '/etc/passwd' });
  check('--config is refused', opt.error && opt.error.code === 'bad-option', JSON.stringify(opt));
}

await browser.close();
finish();
