// worker.js - runs modelmem's WebAssembly module (web/build.sh) off the
// page's thread, on the files the page was given. local.js starts it and
// is the only thing that talks to it.
//
// The files are mounted with Emscripten's WORKERFS: a read is a
// FileReaderSync read of File.slice(), synchronous as the library's pread
// source expects, so only the header bytes the readers ask for are read,
// and nothing leaves the machine. Every figure and every error line comes
// from the command line's own code compiled into the module
// (mm_wasm_run: `modelmem estimate|inspect --json`).
'use strict';

importScripts('modelmem.js');

const MOUNT = '/m';

// estimate's options that only choose figures, as `modelmem serve` takes
// them; --config (a file), --threads, --json, -q, ... are not.
const OPTIONS = new Set([
  'dtypes', 'context', 'batch', 'kv-dtype', 'overhead', 'train', 'optimizer',
  'precision', 'grad-checkpointing', 'attention', 'lora-rank', 'lora-targets',
  'gpus', 'parallel', 'gpu', 'runtime',
]);

let stdout = [];
let stderr = [];
let models = new Map(); // model id -> its row of the scan document
let mounted = false;
const stats = { reads: 0, bytes: 0 };

const ready = createModelmem({
  mmSink: (fd, bytes) => (fd === 1 ? stdout : stderr).push(bytes),
  print: () => {},
  printErr: () => {},
}).then((m) => {
  // Nothing in a mount of Files is a link: readlink must say EINVAL (not a
  // link), as realpath(3) expects, where WORKERFS says EPERM.
  const fs = m.FS.filesystems.WORKERFS;
  delete fs.node_ops.readlink;
  // What was read of the files, for the tests ("stats"): headers only.
  const read = fs.stream_ops.read;
  fs.stream_ops.read = (stream, buffer, offset, length, position) => {
    const n = read(stream, buffer, offset, length, position);
    stats.reads += 1;
    stats.bytes += n;
    return n;
  };
  m.FS.mkdir(MOUNT);
  return m;
});

function text(chunks) {
  let n = 0;
  for (const c of chunks) {
    n += c.length;
  }
  const all = new Uint8Array(n);
  n = 0;
  for (const c of chunks) {
    all.set(c, n);
    n += c.length;
  }
  return new TextDecoder().decode(all);
}

// Calls fn(argc, argv) with `args` as C strings; its return code and what it
// wrote on stdout and stderr.
function call(m, fn, args) {
  const ptrs = args.map((a) => {
    const size = m.lengthBytesUTF8(a) + 1;
    const p = m._malloc(size);
    m.stringToUTF8(a, p, size);
    return p;
  });
  const argv = m._malloc(4 * (ptrs.length + 1));
  ptrs.forEach((p, i) => {
    m.HEAPU32[(argv >> 2) + i] = p;
  });
  m.HEAPU32[(argv >> 2) + ptrs.length] = 0;
  stdout = [];
  stderr = [];
  let rc;
  try {
    rc = fn(ptrs.length, argv);
  } finally {
    ptrs.forEach((p) => m._free(p));
    m._free(argv);
  }
  const result = { rc, out: text(stdout), err: text(stderr) };
  stdout = [];
  stderr = [];
  return result;
}

function error(code, message) {
  return { error: { code, message } };
}

// The command's document, or its error as `modelmem serve` gives it: the
// first line the command printed on stderr, "modelmem: " taken off;
// "bad-option" for a usage error (exit 2), "unreadable-model" otherwise.
function documentOf(r) {
  if (r.rc === 0) {
    return JSON.parse(r.out);
  }
  let line = r.err.split('\n')[0];
  if (line.startsWith('modelmem: ')) {
    line = line.slice('modelmem: '.length);
  }
  return error(r.rc === 2 ? 'bad-option' : 'unreadable-model', line || 'the request failed');
}

function target(id) {
  return id.startsWith('-') ? `./${id}` : id;
}

function runCommand(m, args) {
  return documentOf(call(m, m._mm_wasm_run, args));
}

// A path below the mount: its parts, none empty, "." or "..".
function cleanPath(path) {
  const parts = String(path).split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) {
    return null;
  }
  return parts.join('/');
}

function open(m, files) {
  if (mounted) {
    m.FS.chdir('/');
    m.FS.unmount(MOUNT);
    mounted = false;
  }
  const seen = new Set();
  const blobs = [];
  for (const f of files) {
    const name = cleanPath(f.path);
    if (name !== null && !seen.has(name)) {
      seen.add(name);
      blobs.push({ name, data: f.file });
    }
  }
  m.FS.mount(m.FS.filesystems.WORKERFS, { blobs }, MOUNT);
  mounted = true;
  m.FS.chdir(MOUNT);
  const r = call(m, m._mm_wasm_scan, []);
  if (r.rc !== 0) {
    return documentOf(r);
  }
  const scan = JSON.parse(r.out);
  models = new Map();
  for (const row of scan.models) {
    if (row.error === null) {
      const doc = runCommand(m, ['estimate', '--json', '-q', '--threads=1', target(row.id)]);
      if (doc.error) {
        row.error = doc.error;
      } else {
        row.estimate = doc;
      }
    }
    models.set(row.id, row);
  }
  return scan;
}

function estimateArgs(params) {
  const args = [];
  for (const [name, value] of Object.entries(params || {})) {
    if (!OPTIONS.has(name)) {
      return error('bad-option', `unknown option '${name}'`);
    }
    if (value === false || value === null || value === undefined) {
      continue;
    }
    args.push(value === true || value === '' ? `--${name}` : `--${name}=${value}`);
  }
  return args;
}

function answer(m, msg) {
  switch (msg.op) {
    case 'open':
      return open(m, msg.files || []);
    case 'estimate':
    case 'inspect': {
      if (!models.has(msg.model)) {
        return error('not-found', `no model '${msg.model}' among the chosen files`);
      }
      if (msg.op === 'inspect') {
        return runCommand(m, ['inspect', '--json', '-q', '--threads=1', target(msg.model)]);
      }
      const opts = estimateArgs(msg.params);
      if (!Array.isArray(opts)) {
        return opts;
      }
      return runCommand(m, ['estimate', '--json', '-q', '--threads=1', ...opts,
        target(msg.model)]);
    }
    case 'stats':
      return { ...stats };
    default:
      return error('bad-request', `unknown operation '${msg.op}'`);
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  ready.then((m) => {
    let doc;
    try {
      doc = answer(m, msg);
    } catch (e) {
      doc = error('internal', String(e && e.message ? e.message : e));
    }
    self.postMessage({ id: msg.id, doc });
  }, (e) => {
    self.postMessage({ id: msg.id, doc: error('internal', `module failed to load: ${e}`) });
  });
};
