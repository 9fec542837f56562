// screenshot.mjs OUT.png - the test page (web/dist/test.html) with
// fixtures/estimate/tiny-llama chosen and an 8192-token context, as a PNG
// for the README. Not a test: run it by hand after web/build.sh.
import { join } from 'node:path';
import { FIXTURES, choose, launch, openPage, serve } from './lib.mjs';

const out = process.argv[2] || 'doc/web-local.png';
const origin = await serve();
const browser = await launch();
const page = await openPage(browser, `${origin}/test.html`);
await page.setViewport({ width: 1000, height: 900 });
await page.type('#context', '8192');
await page.type('#gpu', 'RTX4090');
await choose(page, '#folder', [join(FIXTURES, 'estimate', 'tiny-llama')]);
await page.screenshot({ path: out });
await browser.close();
console.log(`wrote ${out}`);
process.exit(0);
