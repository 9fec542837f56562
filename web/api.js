// api.js - the page's only access to data: the modelmem JSON documents.
// Served by `modelmem serve` they come from /api/*; a later back end (the
// library compiled to WebAssembly) can answer the same three calls.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

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

/** The scan document: {schema, models: [{id, path, format, parameters, ...}]}. */
export function listModels() {
  return get('models');
}

/** The estimate document for `model` with estimate's options (CLI names). */
export function estimate(model, options) {
  const p = new URLSearchParams({ model });
  for (const [k, v] of Object.entries(options)) {
    if (v === true) p.append(k, '');
    else if (v !== undefined && v !== null && v !== '' && v !== false) p.append(k, String(v));
  }
  return get('estimate', p);
}

/** The inventory document (every tensor) of `model`. */
export function inspect(model) {
  return get('inspect', new URLSearchParams({ model }));
}

/** The name a model is asked for by: its repository id, else its path. */
export function modelName(row) {
  return row.id ?? row.path;
}
