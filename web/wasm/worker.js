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
// What the worker keeps of the files' first bytes (see the read below): a
// page at least, a read that ends within PREFIX_MAX bytes of a file's start,
// CACHE_MAX bytes in all.
const PAGE = 4096;
const PREFIX_MAX = 4 << 20;
const CACHE_MAX = 256 << 20;
let cached = 0;
const reader = new FileReaderSync();

// estimate's options that only choose figures, as `modelmem serve` takes
// them (serve_option_allowed, src/cli/serve_path.c); --config (a file),
// --threads, --json, -q, ... are not.
const OPTIONS = new Set([
  'dtypes', 'context', 'batch', 'kv-dtype', 'overhead', 'train', 'optimizer',
  'precision', 'grad-checkpointing', 'attention', 'lora-rank', 'lora-targets',
  'gpus', 'parallel', 'gpu', 'runtime', 'gpu-memory-utilization', 'max-num-batched-tokens',
  'max-num-seqs', 'max-model-len',
]);

let stdout = [];
let stderr = [];
let models = new Map(); // a model's path -> its row of the scan document
let mounted = false;
const stats = { reads: 0, bytes: 0, ms: 0 };

const ready = createModelmem({
  mmSink: (fd, bytes) => (fd === 1 ? stdout : stderr).push(bytes),
  print: () => {},
  printErr: () => {},
}).then((m) => {
  // Nothing in a mount of Files is a link: readlink must say EINVAL (not a
  // link), as realpath(3) expects, where WORKERFS says EPERM.
  const fs = m.FS.filesystems.WORKERFS;
  delete fs.node_ops.readlink;
  // Reads of a file: FileReaderSync on File.slice(). Each costs a
  // millisecond or so, and a reader asks for a file's first bytes several
  // times (the format probe, the header's length, the header; and again at
  // each estimate), so a read that starts in a file's first page is made
  // from the file's start (the first page at least) and kept with the
  // file's node for the reads after: a File never changes. This is the
  // worker's page cache, as the native command has the kernel's. Reads
  // further in (a zip's central directory at its end) are made as asked.
  // Counted for the tests ("stats"): headers only, and a page at most more.
  fs.stream_ops.read = (stream, buffer, offset, length, position) => {
    const node = stream.node;
    const t = performance.now();
    const end = Math.min(Math.max(PAGE, position + length), node.size);
    let n = 0;
    if (position >= node.size || length === 0) {
      n = 0;
    } else if (position < PAGE && position + length <= PREFIX_MAX
        && (node.mmHead && node.mmHead.length >= end
          || cached + end - (node.mmHead ? node.mmHead.length : 0) <= CACHE_MAX)) {
      if (!node.mmHead || node.mmHead.length < end) {
        cached += end - (node.mmHead ? node.mmHead.length : 0);
        node.mmHead = new Uint8Array(reader.readAsArrayBuffer(node.contents.slice(0, end)));
        stats.reads += 1;
        stats.bytes += end;
      }
      const part = node.mmHead.subarray(position, Math.min(position + length, end));
      buffer.set(part, offset);
      n = part.length;
    } else {
      const chunk = node.contents.slice(position, position + length);
      buffer.set(new Uint8Array(reader.readAsArrayBuffer(chunk)), offset);
      n = chunk.size;
      stats.reads += 1;
      stats.bytes += n;
    }
    stats.ms += performance.now() - t;
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

// A document as the command wrote it: posted to the page as text, which
// parses it (a string crosses to the page far faster than the objects of
// 10^5 tensors would).
class JsonText {
  constructor(text) {
    this.text = text;
  }
}

// The command's document (JsonText), or its error as `modelmem serve` gives it: the
// first line the command printed on stderr, "modelmem: " taken off;
// "bad-option" for a usage error (exit 2), "unreadable-model" otherwise.
function documentOf(r) {
  if (r.rc === 0) {
    return new JsonText(r.out);
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
    cached = 0;
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
      const doc = runCommand(m, ['estimate', '--json', '-q', '--threads=1', target(row.path)]);
      if (doc instanceof JsonText) {
        row.estimate = JSON.parse(doc.text);
      } else {
        row.error = doc.error;
      }
    }
    models.set(row.path, row);
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
    self.postMessage(doc instanceof JsonText ? { id: msg.id, json: doc.text }
      : { id: msg.id, doc });
  }, (e) => {
    self.postMessage({ id: msg.id, doc: error('internal', `module failed to load: ${e}`) });
  });
};
