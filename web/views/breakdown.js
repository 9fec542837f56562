// views/breakdown.js - one scenario's memory (inference or training) as a
// stacked bar and a table of its parts, for one device. The parts and the
// total are the estimate document's; the bar only draws them.
import * as fmt from '../format.js';

const PARTS = {
  inference: [
    ['weights_bytes', 'Weights'],
    ['kv_cache_bytes', 'KV cache'],
    ['activation_bytes', 'Activations'],
    ['overhead_bytes', 'Overhead'],
  ],
  training: [
    ['weights_bytes', 'Weights'],
    ['master_weights_bytes', 'Master weights'],
    ['gradients_bytes', 'Gradients'],
    ['optimizer_bytes', 'Optimizer states'],
    ['activation_bytes', 'Activations'],
    ['overhead_bytes', 'Overhead'],
  ],
};

/** Draws `figures` (doc.inference, doc.training or their per_device
 * entries) into `box`; `usable` is the chosen GPU's usable bytes or null. */
export function render(box, kind, figures, usable, note) {
  box.replaceChildren();
  if (!figures) return;
  const parts = PARTS[kind].filter(([k]) => figures[k] > 0);
  const total = figures.total_bytes;
  const scale = Math.max(total, usable ?? 0) || 1;
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.setAttribute('role', 'img');
  bar.setAttribute('aria-label', `${kind}: ${parts.map(([k, l]) => `${l} ${fmt.bytes(figures[k])}`)
    .join(', ')}; total ${fmt.bytes(total)}`);
  parts.forEach(([k], i) => {
    const seg = document.createElement('span');
    seg.className = `seg s${i}`;
    seg.style.width = `${(100 * figures[k]) / scale}%`;
    seg.title = `${PARTS[kind].find((p) => p[0] === k)[1]}: ${fmt.bytes(figures[k])}`;
    bar.append(seg);
  });
  if (usable) {
    const cap = document.createElement('span');
    cap.className = 'capacity';
    cap.style.left = `${(100 * usable) / scale}%`;
    cap.title = `GPU usable memory: ${fmt.bytes(usable)}`;
    bar.append(cap);
  }
  const table = document.createElement('table');
  table.className = 'data parts';
  const body = document.createElement('tbody');
  parts.forEach(([k, label], i) => {
    const tr = document.createElement('tr');
    tr.innerHTML = `<th scope="row"><span class="swatch s${i}" aria-hidden="true"></span></th>`
      + '<td class="num"></td>';
    tr.firstChild.append(label);
    tr.lastChild.textContent = fmt.bytes(figures[k]);
    body.append(tr);
  });
  const tr = document.createElement('tr');
  tr.className = 'total';
  tr.innerHTML = '<th scope="row">Total</th><td class="num"></td>';
  tr.lastChild.textContent = fmt.bytes(total);
  tr.lastChild.dataset.bytes = String(total);
  body.append(tr);
  table.append(body);
  if (note) {
    const p = document.createElement('p');
    p.className = 'muted small';
    p.textContent = note;
    box.append(p);
  }
  box.append(bar, table);
}
