// api.js - the page's only access to data: the modelmem JSON documents,
// from one of two back ends with the same answers:
//   server  `modelmem serve`'s /api/models, /api/estimate, /api/inspect;
//   local   no server (a static host, or file://): the library compiled to
//           WebAssembly (local.js and its worker, built into web/dist/ by
//           web/build.sh) reads the files the user chose, in this browser.
// Which one answers is decided once, by asking for api/models: an answer
// that is a scan document means a server; anything else (404, a page that
// is not JSON, no server at all) means local. The views see the same
// documents and the same ApiError either way.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let backend = null; // 'server' or 'local', once known
let first = null;   // the server's first scan document
let local = null;   // local.js, imported in local mode only
let scanned = null; // local mode: openFiles's last document

async function get(path, params) {
  const query = params ? `?${params.toString()}` : '';
  // relative to the page, so that the server may sit under any prefix
  const resp = await fetch(`api/${path}${query}`, {
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
  });
  let body = null;
  try {
    body = await resp.json();
  } catch {
    throw new ApiError(resp.status, 'bad-response', `the server answered ${resp.status}`);
  }
  if (!resp.ok) {
    const e = body && body.error ? body.error : { code: 'error', message: resp.statusText };
    throw new ApiError(resp.status, e.code, e.message);
  }
  return body;
}

/** 'server' or 'local': which back end answers this page. */
export async function mode() {
  if (backend !== null) return backend;
  try {
    const doc = window.location.protocol === 'file:' ? null : await get('models');
    if (doc && doc.schema === 'modelmem.scan/1' && Array.isArray(doc.models)) {
      first = doc;
      backend = 'server';
      return backend;
    }
  } catch (e) {
    // a server that answered with its own error is still the server
    if (e instanceof ApiError && e.code !== 'bad-response') {
      backend = 'server';
      throw e;
    }
  }
  backend = 'local';
  try {
    local = await import('./local.js');
  } catch {
    throw new ApiError(404, 'no-back-end', 'no server answers api/models here, and the'
      + ' WebAssembly back end (local.js) is not beside the page: serve it with'
      + ' modelmem serve, or host web/dist, which web/build.sh builds');
  }
  return backend;
}

// local.js's answer as the server's: the document, or ApiError.
async function viaLocal(call) {
  if (local === null) local = await import('./local.js');
  const doc = await call(local);
  if (doc && doc.error) {
    const status = doc.error.code === 'not-found' ? 404 : 400;
    throw new ApiError(status, doc.error.code, doc.error.message);
  }
  return doc;
}

/**
 * Local mode: reads the models among `files` (a FileList from a folder or
 * file input, or [{path, file}] from filesFromDrop) and resolves with their
 * scan document; the models it names are then those of estimate/inspect.
 */
export async function openFiles(files) {
  scanned = await viaLocal((l) => l.openFiles(files));
  return scanned;
}

/** Local mode: the scan document of the files chosen last (null before). */
export function lastScan() {
  return scanned;
}

/** Local mode (after mode()): the files and folders of a drop, a promise of
 * what openFiles takes. Call it from the drop event's handler itself. */
export function filesFromDrop(dataTransfer) {
  return local.filesFromDrop(dataTransfer);
}

/** The scan document: {schema, models: [{id, path, format, parameters, ...}]}.
 * Server mode only (local mode: openFiles). */
export async function listModels() {
  if ((await mode()) !== 'server') {
    throw new ApiError(404, 'no-server', 'no server: choose a folder');
  }
  if (first !== null) {
    const doc = first;
    first = null;
    return doc;
  }
  return get('models');
}

/** The estimate document for `model` with estimate's options (CLI names). */
export async function estimate(model, options) {
  if ((await mode()) === 'local') {
    const p = {};
    for (const [k, v] of Object.entries(options)) {
      if (v === true) p[k] = true;
      else if (v !== undefined && v !== null && v !== '' && v !== false) p[k] = String(v);
    }
    return viaLocal((l) => l.estimate(model, p));
  }
  const p = new URLSearchParams({ model });
  for (const [k, v] of Object.entries(options)) {
    if (v === true) p.append(k, '');
    else if (v !== undefined && v !== null && v !== '' && v !== false) p.append(k, String(v));
  }
  return get('estimate', p);
}

/** The inventory document (every tensor) of `model`. */
export async function inspect(model) {
  if ((await mode()) === 'local') return viaLocal((l) => l.inspect(model));
  return get('inspect', new URLSearchParams({ model }));
}

/** The name a model is asked for by: its repository id, else its path. */
export function modelName(row) {
  return row.id ?? row.path;
}
