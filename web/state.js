// state.js - the view's state is the page URL's query: the model and
// estimate's options under the command line's names, so that a link
// reproduces the view and the same names reach /api/estimate.

export const OPTIONS = [
  'context', 'batch', 'kv-dtype', 'overhead', 'gpu', 'gpus', 'parallel', 'train',
  'optimizer', 'precision', 'attention', 'grad-checkpointing', 'lora-rank', 'lora-targets',
  'dtypes', 'runtime', 'gpu-memory-utilization', 'max-num-batched-tokens', 'max-num-seqs',
  'max-model-len', 'n-gpu-layers', 'tensor-split', 'cache-type-k', 'cache-type-v', 'flash-attn',
  'ubatch-size',
];

export function read(search = window.location.search) {
  const p = new URLSearchParams(search);
  const options = {};
  for (const k of OPTIONS) {
    if (p.has(k)) options[k] = k === 'grad-checkpointing' ? true : p.get(k);
  }
  return { model: p.get('model'), options };
}

export function href(state) {
  const p = new URLSearchParams();
  if (state.model) p.set('model', state.model);
  for (const k of OPTIONS) {
    const v = state.options[k];
    if (v === true) p.set(k, '');
    else if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, String(v));
  }
  const q = p.toString();
  return `${window.location.pathname}${q ? `?${q}` : ''}`;
}

export function write(state) {
  window.history.replaceState(null, '', href(state));
}
