#!/usr/bin/env python3
"""Lays out a Hugging Face cache and a plain model mirror for `modelmem scan`
(tests/cli/scan.sh, tests/bench/scan_bench.sh). Python 3 standard library
only; deterministic; written at test time, never committed:

    python3 tests/cli/gen_cache.py DIR [--repos N] [--fixtures FIXTURES]
                                       [--no-mirror] [--no-broken]

DIR/hub/     the cache as huggingface_hub (file_download.py) lays it out:
             models--ORG--NAME/blobs/<sha256 of the content>, refs/<ref>
             holding a commit, snapshots/<commit>/<file> a relative link to
             ../../blobs/<sha256>. N repositories in all (default 1000):
             - tiny Llama-shaped models (safetensors + config.json; 1-3
               layers, hidden 8-32), every 10th with a second ref v1.0
               whose snapshot shares the weights blob, every 20th with an
               old snapshot no ref names (listed with --all-revisions);
             - acme/pipeline (diffusers: unet, vae, text_encoder,
               scheduler), acme/sharded (index + 2 shards), and, when
               FIXTURES (the repository's fixtures/) is given, acme/gguf
               and acme/torch (pytorch_model.bin);
             - broken ones: broken/truncated-header, broken/missing-shard,
               broken/dangling-ref (refs/main names an absent snapshot),
               broken/bad-ref, broken/no-snapshot, broken/no-weights
               (these and the pipeline, which has no attention geometry,
               are left out with --no-broken: a scan that exits 0 even with
               the memory options, for timing);
             - datasets--acme--data, which scan skips.
DIR/mirror/  plain folders: two models at depth 2 and 3, a folder of two
             GGUF files (two models), a name with an ESC byte, a truncated
             model, a model 20 levels down (beyond the walk's depth), a link
             leaving the mirror and a link looping back, a hidden folder.
DIR/manifest.json  what scan must report: per row the id, revision,
             refs, path (relative to hub/ or mirror/), format, files,
             parameters, stored_bytes, disk_bytes and error code (null
             figures where this script cannot work them out: GGUF and
             PyTorch copies), the rows --all-revisions adds, and the total
             disk bytes (blobs once).
"""
import hashlib
import json
import os
import shutil
import struct
import sys

SIZE = {"BF16": 2, "F16": 2, "F32": 4}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def safetensors(tensors):
    """tensors: [(name, dtype, shape)] -> the file's bytes (zero data)."""
    head = {}
    off = 0
    for name, dtype, shape in tensors:
        n = numel(shape) * SIZE[dtype]
        head[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(head, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + bytes(off)


def figures(tensors):
    return (sum(numel(s) for _, _, s in tensors),
            sum(numel(s) * SIZE[d] for _, d, s in tensors))


def llama(layers, hidden, vocab=32):
    inter, kv = 2 * hidden, hidden // 2
    t = [("model.embed_tokens.weight", "BF16", [vocab, hidden])]
    for i in range(layers):
        p = "model.layers.%d." % i
        t += [(p + "self_attn.q_proj.weight", "BF16", [hidden, hidden]),
              (p + "self_attn.k_proj.weight", "BF16", [kv, hidden]),
              (p + "self_attn.v_proj.weight", "BF16", [kv, hidden]),
              (p + "self_attn.o_proj.weight", "BF16", [hidden, hidden]),
              (p + "mlp.gate_proj.weight", "BF16", [inter, hidden]),
              (p + "mlp.up_proj.weight", "BF16", [inter, hidden]),
              (p + "mlp.down_proj.weight", "BF16", [hidden, inter]),
              (p + "input_layernorm.weight", "F32", [hidden]),
              (p + "post_attention_layernorm.weight", "F32", [hidden])]
    t += [("model.norm.weight", "F32", [hidden]), ("lm_head.weight", "BF16", [vocab, hidden])]
    return t


def config(layers, hidden, vocab=32):
    return json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": hidden, "intermediate_size": 2 * hidden,
        "num_hidden_layers": layers, "num_attention_heads": 2, "num_key_value_heads": 1,
        "vocab_size": vocab, "torch_dtype": "bfloat16"}, sort_keys=True).encode()


def commit(*parts):
    return hashlib.sha1(":".join(parts).encode()).hexdigest()


class Cache:
    def __init__(self, hub):
        self.hub = hub
        self.rows = []
        self.extra = []   # rows --all-revisions adds
        self.blobs = {}   # real path -> size, for the total
        self.extra_blobs = {}  # those only --all-revisions lists

    def rel(self, path):
        return os.path.relpath(path, self.hub)

    def repo_dir(self, rid):
        return os.path.join(self.hub, "models--" + rid.replace("/", "--"))

    def blob(self, rid, data):
        sha = hashlib.sha256(data).hexdigest()
        d = os.path.join(self.repo_dir(rid), "blobs")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, sha)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
        return sha

    def snapshot(self, rid, rev, files):
        """files: {relative name: bytes}; links into blobs/."""
        base = os.path.join(self.repo_dir(rid), "snapshots", rev)
        for name, data in files.items():
            sha = self.blob(rid, data)
            p = os.path.join(base, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            depth = name.count("/")
            os.symlink("../" * (2 + depth) + "blobs/" + sha, p)
        return base

    def ref(self, rid, name, rev):
        p = os.path.join(self.repo_dir(rid), "refs", name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(rev)

    def row(self, rid, rev, refs, fmt=None, files=None, params=None, stored=None, disk=None,
            error=None, extra=False):
        path = self.rel(os.path.join(self.repo_dir(rid), "snapshots", rev)) if rev else None
        r = {"id": rid, "revision": rev, "refs": refs, "path": path, "format": fmt,
             "files": files, "parameters": params, "stored_bytes": stored, "disk_bytes": disk,
             "error": error}
        (self.extra if extra else self.rows).append(r)

    def count_blob(self, rid, data, extra=False):
        sha = hashlib.sha256(data).hexdigest()
        (self.extra_blobs if extra else self.blobs)[
            os.path.join(self.repo_dir(rid), "blobs", sha)] = len(data)


def tiny_repo(c, i):
    rid = "org%02d/model-%05d" % (i % 37, i)
    layers, hidden = 1 + i % 3, 8 * (1 + i % 4)
    weights = safetensors(llama(layers, hidden))
    params, stored = figures(llama(layers, hidden))
    main = commit(rid, "main")
    c.snapshot(rid, main, {"model.safetensors": weights, "config.json": config(layers, hidden)})
    c.ref(rid, "main", main)
    c.count_blob(rid, weights)
    c.row(rid, main, ["main"], "safetensors", 1, params, stored, len(weights))
    if i % 10 == 0:
        # v1.0: another config, the same weights blob (counted once in all)
        v1 = commit(rid, "v1.0")
        c.snapshot(rid, v1, {"model.safetensors": weights,
                             "config.json": config(layers, hidden, vocab=32) + b"\n"})
        c.ref(rid, "v1.0", v1)
        c.row(rid, v1, ["v1.0"], "safetensors", 1, params, stored, len(weights))
    if i % 20 == 0:
        old = commit(rid, "old")
        w2 = safetensors(llama(layers + 1, hidden))
        p2, s2 = figures(llama(layers + 1, hidden))
        c.snapshot(rid, old, {"model.safetensors": w2})
        c.count_blob(rid, w2, extra=True)
        c.row(rid, old, [], "safetensors", 1, p2, s2, len(w2), extra=True)


def special_repos(c, fixtures, broken=True):
    """Returns how many repositories it wrote."""
    n = 0
    # a diffusers pipeline: components in sub-folders, the scheduler without
    # weights (no geometry, so a memory plan fails: not with --no-broken)
    if broken:
        rid = "acme/pipeline"
        parts = {"unet": [("conv_in.weight", "F16", [8, 4, 3, 3]), ("conv_in.bias", "F16", [8])],
                 "vae": [("decoder.conv.weight", "F32", [4, 4, 3, 3])],
                 "text_encoder": [("embeddings.weight", "F16", [16, 8])]}
        files = {"model_index.json": json.dumps({"_class_name": "StableDiffusionPipeline",
                                                 "unet": ["diffusers", "UNet2DConditionModel"],
                                                 "vae": ["diffusers", "AutoencoderKL"],
                                                 "text_encoder": ["transformers", "CLIPTextModel"],
                                                 "scheduler": ["diffusers", "PNDMScheduler"]}).encode(),
                 "scheduler/scheduler_config.json": b"{}"}
        params = stored = disk = 0
        for comp, t in parts.items():
            name = "model.safetensors" if comp == "text_encoder" else "diffusion_pytorch_model.safetensors"
            data = safetensors(t)
            files[comp + "/" + name] = data
            p, s = figures(t)
            params, stored, disk = params + p, stored + s, disk + len(data)
            c.count_blob(rid, data)
        rev = commit(rid, "main")
        c.snapshot(rid, rev, files)
        c.ref(rid, "main", rev)
        c.row(rid, rev, ["main"], "safetensors", 3, params, stored, disk)
        n += 1

    # two shards and their index
    rid = "acme/sharded"
    t1, t2 = llama(1, 16)[:5], llama(1, 16)[5:]
    d1, d2 = safetensors(t1), safetensors(t2)
    wm = {name: "model-00001-of-00002.safetensors" for name, _, _ in t1}
    wm.update({name: "model-00002-of-00002.safetensors" for name, _, _ in t2})
    p, s = figures(t1 + t2)
    index = json.dumps({"metadata": {"total_size": s}, "weight_map": wm}).encode()
    rev = commit(rid, "main")
    c.snapshot(rid, rev, {"model-00001-of-00002.safetensors": d1,
                          "model-00002-of-00002.safetensors": d2,
                          "model.safetensors.index.json": index, "config.json": config(1, 16)})
    c.ref(rid, "main", rev)
    c.count_blob(rid, d1)
    c.count_blob(rid, d2)
    c.row(rid, rev, ["main"], "safetensors", 2, p, s, len(d1) + len(d2))
    n += 1

    if fixtures:
        for rid, src, name, fmt in (
                ("acme/gguf", "estimate/gguf-gemma2/model.gguf", "model.gguf", "gguf"),
                ("acme/torch", "torch/proto2.pt", "pytorch_model.bin", "pytorch")):
            with open(os.path.join(fixtures, src), "rb") as f:
                data = f.read()
            rev = commit(rid, "main")
            c.snapshot(rid, rev, {name: data})
            c.ref(rid, "main", rev)
            c.count_blob(rid, data)
            c.row(rid, rev, ["main"], fmt, 1, None, None, len(data))
            n += 1

    if not broken:
        os.makedirs(os.path.join(c.hub, "datasets--acme--data", "snapshots", "x"))
        return n

    # broken ones
    rid = "broken/truncated-header"
    data = struct.pack("<Q", 1000) + b'{"a":'
    rev = commit(rid, "main")
    c.snapshot(rid, rev, {"model.safetensors": data})
    c.ref(rid, "main", rev)
    c.row(rid, rev, ["main"], error="header-length-beyond-file")

    rid = "broken/missing-shard"
    rev = commit(rid, "main")
    c.snapshot(rid, rev, {"model-00001-of-00002.safetensors": d1,
                          "model.safetensors.index.json": index})
    c.ref(rid, "main", rev)
    c.row(rid, rev, ["main"], error="shard-missing")

    rid = "broken/dangling-ref"
    good = commit(rid, "v0")
    c.snapshot(rid, good, {"model.safetensors": safetensors(llama(1, 8))})
    c.ref(rid, "v0", good)
    c.count_blob(rid, safetensors(llama(1, 8)))
    p, s = figures(llama(1, 8))
    c.row(rid, good, ["v0"], "safetensors", 1, p, s, len(safetensors(llama(1, 8))))
    gone = commit(rid, "main")
    c.ref(rid, "main", gone)
    c.row(rid, gone, ["main"], error="not-found")

    rid = "broken/bad-ref"
    c.ref(rid, "main", "../../../etc")
    os.makedirs(os.path.join(c.repo_dir(rid), "snapshots"), exist_ok=True)
    # a ref that climbs out: refused as mm_hf_cache_resolve refuses it
    c.rows.append({"id": rid, "revision": None, "refs": [], "error": "shard-outside-folder",
                   "path": c.rel(os.path.join(c.repo_dir(rid), "refs", "main"))})

    rid = "broken/no-snapshot"
    c.blob(rid, b"partial")
    c.rows.append({"id": rid, "revision": None, "refs": [], "error": "not-found",
                   "path": c.rel(c.repo_dir(rid))})

    rid = "broken/no-weights"
    rev = commit(rid, "main")
    c.snapshot(rid, rev, {"config.json": config(1, 8), "tokenizer.json": b"{}"})
    c.ref(rid, "main", rev)
    c.row(rid, rev, ["main"], error="no-weight-files")
    n += 6

    # not a model repository: skipped
    os.makedirs(os.path.join(c.hub, "datasets--acme--data", "snapshots", "x"))
    return n


def mirror(root, fixtures):
    rows = []

    def model(rel, layers=1, hidden=8, data=None):
        d = os.path.join(root, rel)
        os.makedirs(d, exist_ok=True)
        t = llama(layers, hidden)
        data = safetensors(t) if data is None else data
        with open(os.path.join(d, "model.safetensors"), "wb") as f:
            f.write(data)
        with open(os.path.join(d, "config.json"), "wb") as f:
            f.write(config(layers, hidden))
        p, s = figures(t)
        return {"id": None, "revision": None, "refs": None, "path": rel, "format": "safetensors",
                "files": 1, "parameters": p, "stored_bytes": s, "disk_bytes": len(data),
                "error": None}

    rows.append(model("org-a/model-x", 2, 16))
    rows.append(model("org-b/sub/model-y", 1, 24))
    rows.append(model("ctl\x1bname", 1, 8))
    bad = model("broken-folder", data=struct.pack("<Q", 1000) + b"{}")
    bad.update({"format": None, "files": None, "parameters": None, "stored_bytes": None,
                "disk_bytes": None, "error": "header-length-beyond-file"})
    rows.append(bad)
    model(".hidden/model")
    model("/".join(["deep"] + ["d%02d" % k for k in range(20)]) + "/model")
    outside = os.path.join(os.path.dirname(root), "outside")
    model(os.path.join("..", "outside", "model"))
    os.symlink(outside, os.path.join(root, "escape"))
    os.symlink(".", os.path.join(root, "loop"))
    if fixtures:
        g = os.path.join(root, "ggufs")
        os.makedirs(g)
        for name in ("q4.gguf", "q8.gguf"):
            shutil.copyfile(os.path.join(fixtures, "estimate/gguf-gemma2/model.gguf"),
                            os.path.join(g, name))
            rows.append({"id": None, "revision": None, "refs": None,
                         "path": "ggufs/" + name, "format": "gguf", "files": 1,
                         "parameters": 672, "stored_bytes": 2688,
                         "disk_bytes": os.path.getsize(os.path.join(g, name)),
                         "error": None})
    return rows


def main(argv):
    args = list(argv)
    repos, fixtures, with_mirror = 1000, None, True
    if "--repos" in args:
        k = args.index("--repos")
        repos = int(args[k + 1])
        del args[k:k + 2]
    if "--fixtures" in args:
        k = args.index("--fixtures")
        fixtures = args[k + 1]
        del args[k:k + 2]
    if "--no-mirror" in args:
        args.remove("--no-mirror")
        with_mirror = False
    broken = "--no-broken" not in args
    if not broken:
        args.remove("--no-broken")
    if len(args) != 1:
        sys.exit("usage: gen_cache.py DIR [--repos N] [--fixtures FIXTURES] [--no-mirror] "
                 "[--no-broken]")
    out = args[0]
    c = Cache(os.path.join(out, "hub"))
    os.makedirs(c.hub)
    n = special_repos(c, fixtures, broken)
    for i in range(max(repos - n, 0)):
        tiny_repo(c, i)
    manifest = {"repos": max(repos, n), "hub": c.hub, "rows": c.rows,
                "all_revisions_extra": c.extra, "disk_bytes": sum(c.blobs.values()),
                "disk_bytes_all": sum(dict(c.extra_blobs, **c.blobs).values())}
    if with_mirror:
        manifest["mirror"] = os.path.join(out, "mirror")
        manifest["mirror_rows"] = mirror(manifest["mirror"], fixtures)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
