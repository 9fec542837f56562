// views/knobs.js - estimate's options as form controls. Each control is
// named after the command-line option it sets; a value equal to the
// option's default is left out of the state (context always goes in: it
// asks for the inference breakdown).

const GPUS = [
  'A100-40GB', 'A100-80GB', 'H100-80GB', 'H100-NVL-94GB', 'H200-141GB', 'B200-192GB',
  'L4-24GB', 'L40S-48GB', 'A10-24GB', 'A6000-48GB', 'RTX3090-24GB', 'RTX4090-24GB',
  'RTX5090-32GB', 'T4-16GB', 'V100-16GB', 'V100-32GB', 'MI250X-128GB', 'MI300X-192GB',
];

// [option, label, kind, default, choices or attributes, help]
const CONTROLS = [
  ['context', 'Context (tokens)', 'number', '4096', { min: 1 }],
  ['batch', 'Batch (sequences)', 'number', '1', { min: 1 }],
  ['gpu', 'GPU (name or size)', 'gpu', '', {}],
  ['gpus', 'GPU count', 'number', '1', { min: 1 }],
  ['runtime', 'Runtime', 'select', '', ['', 'transformers', 'vllm', 'llama.cpp']],
  ['parallel', 'Parallelism', 'select', '',
    ['', 'dp', 'tp', 'pp', 'layers', 'zero1', 'zero2', 'zero3', 'fsdp']],
  ['load-in', 'Quantize while loading (transformers)', 'select', '', ['', '8bit', '4bit', 'nf4']],
  ['train', 'Training', 'select', 'none', ['none', 'full', 'lora', 'qlora']],
  ['optimizer', 'Optimizer', 'select', 'adamw', ['adamw', 'adamw8bit', 'sgd', 'adafactor']],
  ['precision', 'Precision', 'select', 'bf16-mixed', ['bf16-mixed', 'fp16-mixed', 'fp32']],
  ['lora-rank', 'LoRA rank', 'number', '16', { min: 1, max: 65536 }],
  ['kv-dtype', 'KV cache dtype', 'select', 'auto', ['auto', 'fp32', 'bf16', 'fp16', 'fp8', 'int8']],
  ['attention', 'Attention', 'select', 'auto', ['auto', 'sdpa', 'eager']],
  ['overhead', 'Overhead per GPU', 'text', '512MiB', {}],
  ['dtypes', 'Table dtypes', 'text', 'float32,float16,int8,int4', {}],
  ['grad-checkpointing', 'Gradient checkpointing', 'checkbox', false, {}],
];

const TRAINING_ONLY = ['optimizer', 'precision', 'lora-rank', 'grad-checkpointing'];

function control(form, [name, label, kind, dflt, extra]) {
  const wrap = document.createElement('div');
  wrap.className = kind === 'checkbox' ? 'field check' : 'field';
  const id = `opt-${name}`;
  const lab = document.createElement('label');
  lab.htmlFor = id;
  lab.textContent = label;
  let input;
  if (kind === 'select') {
    input = document.createElement('select');
    for (const c of extra) {
      const o = document.createElement('option');
      o.value = c;
      o.textContent = c === '' ? '(default)' : c;
      input.append(o);
    }
  } else {
    input = document.createElement('input');
    input.type = kind === 'gpu' ? 'text' : kind;
    if (kind === 'number') {
      input.inputMode = 'numeric';
      for (const [k, v] of Object.entries(extra)) input.setAttribute(k, String(v));
    }
    if (kind === 'gpu') {
      input.setAttribute('list', 'gpu-names');
      input.placeholder = 'e.g. H100-80GB or 24GiB';
      input.autocomplete = 'off';
      const dl = document.createElement('datalist');
      dl.id = 'gpu-names';
      for (const g of GPUS) {
        const o = document.createElement('option');
        o.value = g;
        dl.append(o);
      }
      wrap.append(dl);
    }
  }
  input.id = id;
  input.name = name;
  input.dataset.default = String(dflt);
  if (kind === 'checkbox') wrap.append(input, lab);
  else wrap.append(lab, input);
  form.append(wrap);
  return input;
}

/** Builds the controls in `form`; onChange(options) after each edit. */
export function mount(form, options, onChange) {
  const inputs = CONTROLS.map((c) => control(form, c));
  const byName = Object.fromEntries(inputs.map((i) => [i.name, i]));
  set(byName, options);
  let timer = 0;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(() => onChange(get(byName)), 200);
  };
  form.addEventListener('input', fire);
  form.addEventListener('change', fire);
  form.addEventListener('submit', (e) => e.preventDefault());
  return { set: (o) => set(byName, o) };
}

function set(byName, options) {
  for (const [name, input] of Object.entries(byName)) {
    const v = options[name];
    if (input.type === 'checkbox') input.checked = v === true || v === '';
    else input.value = v ?? input.dataset.default;
  }
  enable(byName);
}

function enable(byName) {
  const training = byName.train.value !== 'none';
  for (const n of TRAINING_ONLY) byName[n].disabled = !training;
  byName['lora-rank'].disabled = !['lora', 'qlora'].includes(byName.train.value);
}

function get(byName) {
  enable(byName);
  const options = {};
  for (const [name, input] of Object.entries(byName)) {
    if (input.disabled) continue;
    if (input.type === 'checkbox') {
      if (input.checked) options[name] = true;
    } else {
      const v = input.value.trim();
      if (v !== '' && (v !== input.dataset.default || name === 'context')) options[name] = v;
    }
  }
  if (options.train === 'none') delete options.train;
  return options;
}
