// views/tensors.js - the model's tensors (the inventory document), read
// only when the reader opens the list.
import * as fmt from '../format.js';

const SHOWN = 2000; // rows drawn at most; the totals count them all

/** Fills `details` with the inventory `doc` of the model. */
export function render(details, doc) {
  const box = details.querySelector('.tensors');
  box.replaceChildren();
  const t = doc.totals;
  const p = document.createElement('p');
  p.className = 'muted small';
  p.textContent = `${fmt.count(t.tensors)} tensors, ${fmt.count(t.parameters)} parameters, `
    + `${fmt.bytes(t.bytes)} in ${doc.files.length} file${doc.files.length === 1 ? '' : 's'}`
    + (doc.tensors.length > SHOWN ? `; the first ${fmt.count(SHOWN)} are listed.` : '.');
  const table = document.createElement('table');
  table.className = 'data';
  table.innerHTML = '<thead><tr><th scope="col">Name</th><th scope="col">dtype</th>'
    + '<th scope="col">Shape</th><th scope="col" class="num">Bytes</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const x of doc.tensors.slice(0, SHOWN)) {
    const tr = document.createElement('tr');
    for (const [text, cls] of [[x.name, 'name'], [x.dtype, ''], [`[${x.shape.join(', ')}]`, ''],
      [fmt.bytes(x.nbytes), 'num']]) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  const scroll = document.createElement('div');
  scroll.className = 'scroll';
  scroll.append(table);
  box.append(p, scroll);
}
