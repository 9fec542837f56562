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
let backend = 'server';
let opened = false; // local mode: files were chosen

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

// The page's state, for scripts that drive it (the web tests):
// body[data-state] is "ready" once set up, "busy" while files are read or
// an estimate is asked for, "done" when the figures (or the error) show.
function phase(p) {
  document.body.dataset.state = p;
}

async function update() {
  state.write(current);
  $('#permalink').href = state.href(current);
  if (list) list.select(current.model);
  const calc = $('#calculator');
  if (!current.model || (backend === 'local' && !opened)) {
    calc.hidden = true;
    if (opened) phase('done');
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
  phase('busy');
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
    if (ticket === pending) {
      calc.removeAttribute('aria-busy');
      phase('done');
    }
  }
}

function choose(name) {
  current = { model: name, options: current.options };
  const done = update();
  $('#calculator').scrollIntoView({ behavior: 'smooth', block: 'start' });
  return done;
}

// The model list, (re)filled from a scan document.
function showModels(doc) {
  $('#model-table tbody').replaceChildren();
  const search = $('#search');
  search.replaceWith(search.cloneNode()); // the previous list's filter goes
  list = modelsView.mount($('#models'), doc, choose);
  list.select(current.model);
}

// No server: the files a person chose (folder, files or a drop) are read
// by the WebAssembly back end; its scan document fills the list and the
// first model (or the one the URL names) is shown.
async function openLocal(files) {
  $('#models-status').textContent = 'Reading the chosen files…';
  $('#models').setAttribute('aria-busy', 'true');
  phase('busy');
  try {
    const doc = await api.openFiles(files);
    opened = true;
    showModels(doc);
    const names = doc.models.map(api.modelName);
    if (names.length === 0) {
      $('#models-status').textContent = 'No model among the chosen files.';
      current = { model: null, options: current.options };
      await update();
    } else {
      await choose(names.includes(current.model) ? current.model : names[0]);
    }
  } catch (e) {
    $('#models-status').textContent = `The chosen files could not be read: ${e.message}`;
    phase('done');
  } finally {
    $('#models').removeAttribute('aria-busy');
  }
}

function mountLocal() {
  for (const id of ['#local', '#sub-local', '#foot-local']) $(id).hidden = false;
  for (const id of ['#sub-server', '#foot-server']) $(id).hidden = true;
  $('#models-status').textContent = 'Choose a model folder, or drop one here.';
  for (const id of ['#folder', '#files']) {
    $(id).addEventListener('change', (e) => {
      if (e.target.files.length > 0) openLocal(e.target.files);
    });
  }
  const drop = $('#drop');
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) drop.classList.remove('over');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    api.filesFromDrop(e.dataTransfer).then(openLocal);
  });
}

async function main() {
  try {
    backend = await api.mode();
  } catch (e) {
    if (e.code === 'no-back-end') {
      $('#models-status').textContent = e.message;
      return;
    }
    backend = 'server';
  }
  if (backend === 'local') mountLocal();
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
  if (backend === 'local') phase('ready');
  if (backend === 'server') {
    try {
      list = modelsView.mount($('#models'), await api.listModels(), choose);
      list.select(current.model);
      // a link to a model opens on its figures (below the list on a phone)
      if (current.model) $('#calculator').scrollIntoView({ block: 'start' });
    } catch (e) {
      $('#models-status').textContent = `The model list could not be read: ${e.message}`;
    }
  }
  window.addEventListener('popstate', () => {
    current = state.read();
    knobs.set(current.options);
    update();
  });
}

main();
