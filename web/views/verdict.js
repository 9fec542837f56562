// views/verdict.js - does it fit: the estimate document's `fits` in words.
import * as fmt from '../format.js';

function line(what, fits, headroom, minGpus, f, gpus) {
  const on = gpus > 1 ? `${gpus} × ${f.gpu}` : `one ${f.gpu}`;
  if (fits) {
    return [true, `${what} fits on ${on}: ${fmt.bytes(headroom)} to spare per GPU.`];
  }
  const need = minGpus === null || minGpus === undefined
    ? 'no GPU count makes it fit'
    : `it needs ${minGpus} GPUs (${f.parallel ?? 'dp'})`;
  return [false, `${what} does not fit on ${on}: ${fmt.bytes(-headroom)} short; ${need}.`];
}

export function render(box, doc) {
  box.replaceChildren();
  const f = doc.fits;
  if (!f) {
    box.className = 'verdict none';
    box.textContent = 'Choose a GPU to see whether the model fits.';
    return;
  }
  const gpus = doc.per_device ? doc.per_device.gpus : 1;
  const lines = [];
  if (f.inference !== undefined && f.inference !== null) {
    lines.push(line('Inference', f.inference, f.inference_headroom_bytes, f.inference_min_gpus,
      f, gpus));
  }
  if (f.training !== undefined && f.training !== null && doc.training) {
    lines.push(line('Training', f.training, f.training_headroom_bytes, f.training_min_gpus,
      f, gpus));
  }
  box.className = `verdict ${lines.every(([ok]) => ok) ? 'ok' : 'bad'}`;
  const ul = document.createElement('ul');
  for (const [ok, text] of lines) {
    const li = document.createElement('li');
    li.className = ok ? 'ok' : 'bad';
    li.textContent = `${ok ? '✓' : '✗'} ${text}`;
    ul.append(li);
  }
  const usable = document.createElement('p');
  usable.className = 'muted small';
  const extra = [];
  if (f.max_context !== undefined && f.max_context !== null) {
    extra.push(`longest context at batch ${doc.batch ?? 1}: ${fmt.count(f.max_context)} tokens`);
  }
  if (f.max_concurrency !== undefined && f.max_concurrency !== null) {
    extra.push(`sequences of ${fmt.count(doc.context)} tokens at once: ${f.max_concurrency}`);
  }
  if (f.training_max_context !== undefined && f.training_max_context !== null) {
    extra.push(`longest context that trains: ${fmt.count(f.training_max_context)} tokens`);
  }
  usable.textContent = [`${f.gpu}: ${fmt.bytes(f.usable_bytes)} usable`, ...extra].join('; ')
    + '.';
  box.append(ul, usable);
}
