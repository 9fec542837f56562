#!/usr/bin/python3
"""torch_diff.py - random differential check of modelmem against torch.load.

    /usr/bin/python3 tests/torch_diff.py [MODELMEM] [N] [SEED]

Writes N random checkpoints with torch.save (nested dicts, OrderedDicts,
lists and tuples; every dtype; views with storage offsets and strides, tied
tensors, rank-0 tensors, parameters; zip and legacy formats; pickle
protocols 2 to 5; plain values) and compares `modelmem inspect --json` with
what torch.load returns: the flattened names, dtypes and shapes in order,
each tensor's first element bytes at modelmem's offset, and the bytes of the
distinct storages. Run by hand (needs Debian's python3-torch); exits 77 when
torch is absent, 1 on a mismatch.
"""
import collections
import json
import os
import random
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError:
    print("skipped: no torch (apt-get install python3-torch; run with /usr/bin/python3)")
    sys.exit(77)

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
    torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
    torch.complex64: "C64", torch.complex128: "C128",
}


def rand_tensor(rng, pool):
    if pool and rng.random() < 0.2:
        base = rng.choice(pool)
        if base.dim() >= 1 and base.shape[0] > 1 and rng.random() < 0.5:
            return base[1:]                      # storage offset
        if base.dim() == 2 and rng.random() < 0.5:
            return base.t()                      # strides
        return base                              # tied
    dtype = rng.choice(list(DTYPES))
    shape = [rng.randint(0, 4) for _ in range(rng.randint(0, 3))]
    t = (torch.rand(shape) * 10).to(dtype) if dtype != torch.bool else torch.rand(shape) > 0.5
    if rng.random() < 0.1 and dtype.is_floating_point:
        t = torch.nn.Parameter(t)
    pool.append(t)
    return t


def rand_value(rng, pool, depth):
    r = rng.random()
    if depth > 3 or r < 0.45:
        return rand_tensor(rng, pool)
    if r < 0.55:
        return rng.choice([1, -7, 2.5, "text", None, True, 10**20])
    n = rng.randint(0, 4)
    kind = rng.choice(["dict", "odict", "list", "tuple"])
    items = [rand_value(rng, pool, depth + 1) for _ in range(n)]
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    keys = [rng.choice(["w", "b", "layer", "x.y", "k%d" % i]) + str(i) if rng.random() < 0.9
            else i for i in range(n)]
    d = dict(zip(keys, items)) if kind == "dict" else collections.OrderedDict(zip(keys, items))
    return d


def flatten(obj, prefix, out):
    if isinstance(obj, torch.Tensor):
        out.append((prefix or "tensor", obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, f"{prefix}.{i}" if prefix else str(i), out)


def first_bytes(t):
    if t.numel() == 0:
        return b""
    return bytes(t.reshape(-1)[:1].clone().storage().untyped().tolist())


def check(modelmem, path):
    obj = torch.load(path)
    items = []
    flatten(obj, "", items)
    seen = {}
    for _, t in items:
        s = t.storage()
        seen[(s.data_ptr(), s.nbytes())] = s.nbytes()
    out = subprocess.run([modelmem, "inspect", "--json", path], capture_output=True, text=True)
    if out.returncode != 0:
        return f"modelmem failed: {out.stderr.strip()}"
    doc = json.loads(out.stdout)
    got = doc["tensors"]
    if [(t["name"], t["dtype"], t["shape"]) for t in got] != \
            [(n, DTYPES[t.dtype], list(t.shape)) for n, t in items]:
        return "tensor list differs:\n  modelmem %s\n  torch    %s" % (
            [(t["name"], t["dtype"], t["shape"]) for t in got],
            [(n, DTYPES[t.dtype], list(t.shape)) for n, t in items])
    with open(path, "rb") as f:
        data = f.read()
    for t, (n, tt) in zip(got, items):
        want = first_bytes(tt)
        if data[t["offset"]:t["offset"] + len(want)] != want:
            return f"{n}: bytes at offset {t['offset']} differ"
    if doc["totals"]["bytes"] != sum(seen.values()):
        return f"totals.bytes {doc['totals']['bytes']}, storages {sum(seen.values())}"
    return None


def main():
    modelmem = sys.argv[1] if len(sys.argv) > 1 else "build/modelmem"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    torch.manual_seed(0)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="mm_torch_diff_") as tmp:
        for i in range(n):
            pool = []
            obj = {"root": rand_value(rng, pool, 0)} if rng.random() < 0.9 else rand_tensor(rng, pool)
            path = os.path.join(tmp, f"c{i}.pt")
            legacy = rng.random() < 0.3
            proto = rng.choice([2, 2, 3, 4, 5])
            torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=proto)
            err = check(modelmem, path)
            if err is not None:
                bad += 1
                print(f"checkpoint {i} (legacy={legacy}, protocol {proto}): {err}")
    print(f"{n - bad} of {n} checkpoints match torch.load")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
