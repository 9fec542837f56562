// views/models.js - the models under the served folders: id or path,
// format, parameters, size; a search box filters them.
import { modelName } from '../api.js';
import * as fmt from '../format.js';

/** `text` into `el`, with a line break allowed after each '/'. */
function breakable(el, text) {
  const parts = text.split('/');
  parts.forEach((p, i) => {
    el.append(i + 1 < parts.length ? `${p}/` : p);
    if (i + 1 < parts.length) el.append(document.createElement('wbr'));
  });
}

/** Fills the table; onSelect(name) when a model is chosen. */
export function mount(section, doc, onSelect) {
  const tbody = section.querySelector('tbody');
  const status = section.querySelector('#models-status');
  const search = section.querySelector('#search');
  const rows = doc.models.map((m) => {
    const tr = document.createElement('tr');
    const name = modelName(m);
    const cell = document.createElement('th');
    cell.scope = 'row';
    if (m.error) {
      breakable(cell, name);
      const err = document.createElement('div');
      err.className = 'error small';
      err.textContent = m.error.message;
      cell.append(err);
    } else {
      const a = document.createElement('a');
      a.href = `?${new URLSearchParams({ model: name })}`;
      breakable(a, name);
      a.addEventListener('click', (e) => {
        e.preventDefault();
        onSelect(name);
      });
      cell.append(a);
    }
    if (m.id && m.revision) {
      const rev = document.createElement('div');
      rev.className = 'muted small';
      rev.textContent = `@${m.revision.slice(0, 12)}`;
      cell.append(rev);
    }
    const td = (text, cls) => {
      const c = document.createElement('td');
      c.textContent = text;
      if (cls) c.className = cls;
      return c;
    };
    tr.append(cell, td(m.format ?? '—'), td(fmt.count(m.parameters), 'num'),
      td(m.stored_bytes === null ? '—' : fmt.bytes(m.stored_bytes), 'num'));
    tr.dataset.search = `${name} ${m.path} ${m.format ?? ''}`.toLowerCase();
    tr.dataset.name = name;
    tbody.append(tr);
    return tr;
  });
  const filter = () => {
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = q !== '' && !tr.dataset.search.includes(q);
      shown += tr.hidden ? 0 : 1;
    }
    status.textContent = rows.length === 0
      ? 'No models found under the served folders.'
      : `${shown} of ${rows.length} models`;
  };
  search.addEventListener('input', filter);
  filter();
  return {
    select(name) {
      for (const tr of rows) tr.classList.toggle('chosen', tr.dataset.name === name);
    },
  };
}
