// errors.mjs (ctest web_errors) - a malformed file or folder given to the
// page shows the one line `modelmem estimate` prints on stderr for the same
// TARGET, and local.js answers {"error": {"code", "message"}} with it; an
// option the command line refuses is refused with the command line's words.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  FIXTURES, call, check, checkSame, choose, cli, expected, finish, launch, openPage, serve,
  shownError,
} from './lib.mjs';

const origin = await serve();
const browser = await launch();
const page = await openPage(browser, `${origin}/index.html`);

// What the page shows for the model chosen: its error line, with the
// "modelmem: " the command line writes before it (the page shows the
// message alone), and local.js's document for it.
async function shown(name) {
  const e = await shownError(page);
  return { error: e === '' ? '' : `modelmem: ${e}`, doc: await call(page, 'estimate', name) };
}

// One malformed file chosen alone: the model is the file, named as the CLI
// names it when run in the file's folder.
// (A file the CLI reads with a warning only is compared as a document.)
async function badFile(dir, name) {
  const r = cli(['estimate', '-q', '--context=4096', name], dir);
  const line = r.err.split('\n')[0];
  await choose(page, '#files', [join(dir, name)]);
  if (r.rc === 0) {
    checkSame(`${name}: read with a warning, as the CLI`, await call(page, 'estimate', name),
      expected(['estimate', '--json', '-q', name], dir));
    return;
  }
  check(`${name}: the CLI fails (exit 1)`, r.rc === 1 && line.startsWith('modelmem: '), r.err);
  const s = await shown(name);
  check(`${name}: page shows the CLI's line`, s.error === line, `${s.error} != ${line}`);
  checkSame(`${name}: error document`, s.doc, expected(['estimate', '--json', name], dir));
}

{
  const dir = join(FIXTURES, 'safetensors', 'malformed');
  for (const name of readdirSync(dir).sort()) {
    await badFile(dir, name);
  }
}
{
  const dir = join(FIXTURES, 'torch', 'malformed');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.pt')).sort().slice(0, 12)) {
    await badFile(dir, name);
  }
}

// Malformed folders (indexes, shards): the folder is the model.
{
  const dir = join(FIXTURES, 'safetensors', 'malformed-dirs');
  for (const name of readdirSync(dir).sort()) {
    // the page asks for its default context, 4096 tokens
    const r = cli(['estimate', '-q', '--context=4096', name], dir);
    const line = r.err.split('\n')[0];
    await choose(page, '#folder', [join(dir, name)]);
    const s = await shown(name);
    check(`${name}/: page shows the CLI's line`, s.error === line, `${s.error} != ${line}`);
    checkSame(`${name}/: error document`, s.doc, expected(['estimate', '--json', name], dir));
  }
}

// Options: the command line's usage errors, word for word.
{
  const dir = FIXTURES;
  await choose(page, '#folder', [join(dir, 'tiny-llama')]);
  const cases = [
    { context: 'abc' },
    { context: '0' },
    { dtypes: 'float8' },
    { gpu: 'no-such-gpu' },
    { train: 'sideways' },
    { overhead: '17179869184GiB' },
    { parallel: 'zero9', gpus: '2' },
  ];
  for (const params of cases) {
    const args = Object.entries(params).map(([k, v]) => `--${k}=${v}`);
    const want = expected(['estimate', '--json', '-q', ...args, 'tiny-llama'], dir);
    check(`${JSON.stringify(params)}: the CLI refuses it`, want.error !== undefined,
      JSON.stringify(want).slice(0, 200));
    checkSame(`${JSON.stringify(params)}: same error`,
      await call(page, 'estimate', 'tiny-llama', params), want);
  }
}
// An option the page's form would not send, given in its URL (the view's
// state): the page shows the command line's usage error.
{
  const dir = FIXTURES;
  const bad = await openPage(browser, `${origin}/index.html?context=abc`);
  await choose(bad, '#folder', [join(dir, 'tiny-llama')]);
  const line = cli(['estimate', '--context=abc', 'tiny-llama'], dir).err.split('\n')[0];
  const got = await shownError(bad);
  check('page shows the usage error', `modelmem: ${got}` === line, `${got} != ${line}`);
}

await browser.close();
finish();
