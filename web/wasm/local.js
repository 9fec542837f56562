// local.js - the calculator's back end when no server is there: the same
// three answers as `modelmem serve`'s /api/models, /api/estimate and
// /api/inspect, computed in this browser by modelmem's WebAssembly build
// (web/build.sh) on files the user chose. Nothing leaves the machine: the
// files are read where they are, header bytes only, in a Web Worker.
//
//   openFiles(files)          -> scan document (modelmem.scan/1): the models
//                                found among the files; a model is named by
//                                its row's "path": its folder's path among
//                                the files (or the file's name); "id" is null,
//                                as for a served model outside the HF cache
//   estimate(modelId, params) -> estimate document (modelmem.estimate/1);
//                                params: estimate's options without "--",
//                                e.g. {context: "8192", gpu: "A100-80GB"}
//   inspect(modelId)          -> inventory document (modelmem.inventory/1)
//
// Each resolves to the document, or to {"error": {"code", "message"}} with
// the one-line error the command line prints ("modelmem: " taken off).
// `files` is a FileList from <input type="file" webkitdirectory> (each
// File's webkitRelativePath is its path), an array of Files, or an array of
// {path, file} (filesFromDrop's answer for a drag and drop).

let worker = null;
let nextId = 1;
const pending = new Map();

function start() {
  if (worker === null) {
    worker = new Worker(new URL('./worker.js', import.meta.url));
    worker.onmessage = (event) => {
      const { id, doc, json } = event.data;
      const resolve = pending.get(id);
      pending.delete(id);
      if (resolve) {
        resolve(json !== undefined ? JSON.parse(json) : doc);
      }
    };
    worker.onerror = (event) => {
      const doc = { error: { code: 'internal', message: `worker: ${event.message}` } };
      for (const resolve of pending.values()) {
        resolve(doc);
      }
      pending.clear();
    };
  }
  return worker;
}

function request(msg) {
  const w = start();
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    w.postMessage({ ...msg, id });
  });
}

function entries(files) {
  const list = [];
  for (const f of Array.from(files || [])) {
    if (typeof File !== 'undefined' && f instanceof File) {
      list.push({ path: f.webkitRelativePath || f.name, file: f });
    } else if (f && f.file) {
      list.push({ path: String(f.path || f.file.name), file: f.file });
    }
  }
  return list;
}

export function openFiles(files) {
  return request({ op: 'open', files: entries(files) });
}

export function estimate(modelId, params = {}) {
  const p = {};
  for (const [k, v] of Object.entries(params || {})) {
    p[k] = typeof v === 'boolean' || v === null || v === undefined ? v : String(v);
  }
  return request({ op: 'estimate', model: modelId, params: p });
}

export function inspect(modelId) {
  return request({ op: 'inspect', model: modelId });
}

// How many reads the worker made of the chosen files, and their bytes in
// all, since it started: {reads, bytes} (the tests check that only headers
// are read).
export function readStats() {
  return request({ op: 'stats' });
}

// Stops the worker (a later call starts a new one, with no files).
export function close() {
  if (worker !== null) {
    worker.terminate();
    worker = null;
  }
}

function readAll(reader) {
  return new Promise((resolve, reject) => {
    const all = [];
    const more = () => reader.readEntries((batch) => {
      if (batch.length === 0) {
        resolve(all);
      } else {
        all.push(...batch);
        more();
      }
    }, reject);
    more();
  });
}

async function walk(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
  } else if (entry.isDirectory) {
    for (const e of await readAll(entry.createReader())) {
      await walk(e, out);
    }
  }
}

// The files and folders of a drop, as [{path, file}] for openFiles. Call it
// from the drop event's handler itself: the browser gives the entries only
// while the event is being handled.
export function filesFromDrop(dataTransfer) {
  const roots = [];
  for (const item of Array.from(dataTransfer.items || [])) {
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) {
      roots.push(entry);
    }
  }
  if (roots.length === 0) {
    return Promise.resolve(entries(dataTransfer.files));
  }
  return (async () => {
    const out = [];
    for (const e of roots) {
      await walk(e, out);
    }
    return out;
  })();
}
