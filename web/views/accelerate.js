// views/accelerate.js - accelerate's table (estimate-memory): per dtype,
// the largest layer, the total size and training with Adam.
import * as fmt from '../format.js';

export function render(section, doc) {
  section.querySelector('h3').textContent = `Memory usage for loading ${doc.target}`;
  const table = section.querySelector('table');
  table.replaceChildren();
  const cap = document.createElement('caption');
  cap.className = 'visually-hidden';
  cap.textContent = 'accelerate estimate-memory table';
  const head = document.createElement('thead');
  head.innerHTML = '<tr><th scope="col">dtype</th><th scope="col" class="num">Largest Layer</th>'
    + '<th scope="col" class="num">Total Size</th>'
    + '<th scope="col" class="num">Training using Adam</th></tr>';
  const body = document.createElement('tbody');
  for (const e of doc.estimates) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = e.dtype;
    tr.append(th);
    for (const v of [e.largest_layer_bytes, e.total_bytes, e.training_adam_bytes]) {
      const td = document.createElement('td');
      td.className = 'num';
      td.textContent = fmt.bytes(v);
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(cap, head, body);
}
