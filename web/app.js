// app.js - the calculator page: the model list, then for the chosen model
// estimate's options, the verdict, accelerate's table and the inference
// and training breakdowns. The view's state is the URL's query.
import * as api from './api.js';
import * as state from './state.js';
import * as modelsView from './views/models.js';
import * as knobsView from './views/knobs.js';
import * as accelerateView from './views/accelerate.js';
import * as breakdownView from './views/breakdown.js';
import * as verdictView from './views/verdict.js';
import * as tensorsView from './views/tensors.js';

const $ = (sel) => document.querySelector(sel);

let current = state.read();
let list = null;
let knobs = null;
let pending = 0;

function show(doc) {
  const f = doc.fits;
  const usable = f ? f.usable_bytes : null;
  const pd = doc.per_device;
  const gpus = pd ? pd.gpus : 1;
  const note = gpus > 1 ? `Per device, ${gpus} GPUs, ${pd.parallel}.` : 'One device.';
  $('#calc-summary').textContent = `${doc.target}: ${doc.parameters.toLocaleString('en-US')}`
    + ` parameters in ${doc.files} file${doc.files === 1 ? '' : 's'}, ${doc.tensors} tensors.`;
  verdictView.render($('#verdict'), doc);
  accelerateView.render($('#accelerate'), doc);
  breakdownView.render($('#inference .breakdown'), 'inference',
    gpus > 1 ? pd.inference : doc.inference, usable, note);
  $('#training').hidden = !doc.training;
  breakdownView.render($('#training .breakdown'), 'training',
    gpus > 1 && pd.training ? pd.training : doc.training, usable, note);
}

async function update() {
  state.write(current);
  $('#permalink').href = state.href(current);
  if (list) list.select(current.model);
  const calc = $('#calculator');
  if (!current.model) {
    calc.hidden = true;
    return;
  }
  calc.hidden = false;
  $('#calc-title').textContent = current.model;
  if ($('#inventory').dataset.model !== current.model) {
    $('#inventory').open = false;
    $('#inventory').dataset.model = current.model;
    $('#inventory .tensors').textContent = 'Loading…';
    $('#inventory').dataset.loaded = '';
  }
  const ticket = ++pending;
  calc.setAttribute('aria-busy', 'true');
  try {
    const options = { context: '4096', ...current.options };
    const doc = await api.estimate(current.model, options);
    if (ticket !== pending) return;
    $('#calc-error').hidden = true;
    show(doc);
  } catch (e) {
    if (ticket !== pending) return;
    $('#calc-error').hidden = false;
    $('#calc-error').textContent = e.message;
  } finally {
    if (ticket === pending) calc.removeAttribute('aria-busy');
  }
}

function choose(name) {
  current = { model: name, options: current.options };
  update();
  $('#calculator').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

async function main() {
  knobs = knobsView.mount($('#knobs'), current.options, (options) => {
    current = { model: current.model, options };
    update();
  });
  $('#inventory').addEventListener('toggle', async () => {
    const box = $('#inventory');
    const model = current.model;
    if (!box.open || box.dataset.loaded === model) return;
    box.dataset.loaded = model;
    try {
      const doc = await api.inspect(model);
      if (model === current.model) tensorsView.render(box, doc);
    } catch (e) {
      box.querySelector('.tensors').textContent = e.message;
    }
  });
  update();
  try {
    list = modelsView.mount($('#models'), await api.listModels(), choose);
    list.select(current.model);
    // a link to a model opens on its figures (below the list on a phone)
    if (current.model) $('#calculator').scrollIntoView({ block: 'start' });
  } catch (e) {
    $('#models-status').textContent = `The model list could not be read: ${e.message}`;
  }
  window.addEventListener('popstate', () => {
    current = state.read();
    knobs.set(current.options);
    update();
  });
}

main();
