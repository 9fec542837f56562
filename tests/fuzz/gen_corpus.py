#!/usr/bin/env python3
"""gen_corpus.py - writes the fuzz targets' seed corpora (tests/fuzz/corpus/).

Run from anywhere: python3 tests/fuzz/gen_corpus.py. Each seed is small and
valid (or nearly: a few sit just past a rule), so that the fuzzer starts from
every branch of the readers. The files are committed; this is how they were
made.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None, raw_header=None, pad=0):
    """tensors: list of (name, dtype, shape, nbytes)."""
    if raw_header is None:
        hdr = {}
        if metadata is not None:
            hdr["__metadata__"] = metadata
        off = 0
        for name, dtype, shape, nbytes in tensors:
            hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + nbytes]}
            off += nbytes
        raw = json.dumps(hdr, separators=(",", ":")).encode()
        data = bytes(off)
    else:
        raw = raw_header.encode() if isinstance(raw_header, str) else raw_header
        data = b""
    raw += b" " * pad
    return struct.pack("<Q", len(raw)) + raw + data


def gguf_str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf(kvs, tensors, version=3, alignment=32):
    """kvs: list of (key, type, packed value); tensors: (name, dims, ggml type, nbytes)."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, typ, val in kvs:
        out += gguf_str(key) + struct.pack("<I", typ) + val
    off = 0
    for name, dims, typ, nbytes in tensors:
        out += gguf_str(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", typ, off)
        off += (nbytes + alignment - 1) // alignment * alignment
    out += bytes((alignment - len(out) % alignment) % alignment)
    return out + bytes(off)


def gen_safetensors(t):
    put(t, "basic.safetensors", safetensors([("w", "F32", [2, 2], 16), ("b", "F16", [2], 4)]))
    put(t, "metadata.safetensors",
        safetensors([("a.weight", "BF16", [3], 6)], metadata={"format": "pt", "k": "v"}))
    put(t, "scalar_empty.safetensors",
        safetensors([("s", "I64", [], 8), ("e", "U8", [0, 4], 0), ("e2", "BOOL", [0], 0)]))
    put(t, "subbyte.safetensors", safetensors([("f4", "F4", [4], 2), ("f6", "F6_E2M3", [4], 3)]))
    put(t, "alltypes.safetensors", safetensors(
        [("t%d" % i, d, [1], n) for i, (d, n) in enumerate(
            [("F64", 8), ("F32", 4), ("F16", 2), ("BF16", 2), ("F8_E4M3", 1), ("F8_E5M2", 1),
             ("F8_E8M0", 1), ("I64", 8), ("I32", 4), ("I16", 2), ("I8", 1), ("U64", 8),
             ("U32", 4), ("U16", 2), ("U8", 1), ("BOOL", 1), ("C64", 8)])]))
    put(t, "escaped.safetensors", safetensors(
        None, raw_header='{"a\\u00e9\\n\\ud83d\\ude00":{"dtype":"U8","shape":[1],'
                         '"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[],"extra":[1,{"y":null}],'
                         '"data_offsets":[1,2]}}') + b"\0\0")
    put(t, "layers.safetensors", safetensors(
        [("model.layers.%d.mlp.weight" % i, "F16", [2, 2], 8) for i in range(4)] +
        [("lm_head.weight", "F16", [4, 2], 16)]))
    put(t, "padded.safetensors", safetensors([("w", "U8", [8], 8)], pad=7))
    put(t, "overlap.safetensors", safetensors(
        None, raw_header='{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
                         '"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}') + b"\0\0\0")
    put(t, "empty_header.safetensors", safetensors(None, raw_header="{}"))
    put(t, "numbers.safetensors", safetensors(
        None, raw_header='{"a":{"dtype":"U8","shape":[1.5e3,-0,9007199254740993],'
                         '"data_offsets":[0,18446744073709551616]}}'))


def gen_gguf(t):
    u32 = lambda v: struct.pack("<I", v)
    kvs = [
        ("general.architecture", 8, gguf_str("llama")),
        ("general.alignment", 4, u32(32)),
        ("llama.context_length", 4, u32(2048)),
        ("u8", 0, b"\x01"), ("i8", 1, b"\xff"), ("u16", 2, b"\x01\x00"), ("i16", 3, b"\xff\xff"),
        ("i32", 5, b"\xff\xff\xff\xff"), ("f32", 6, struct.pack("<f", 1.5)), ("bool", 7, b"\x01"),
        ("u64", 10, struct.pack("<Q", 1 << 40)), ("i64", 11, struct.pack("<q", -5)),
        ("f64", 12, struct.pack("<d", 0.25)),
        ("tokenizer.ggml.tokens", 9, u32(8) + struct.pack("<Q", 3) +
         gguf_str("a") + gguf_str("bc") + gguf_str("")),
        ("tokenizer.ggml.scores", 9, u32(6) + struct.pack("<Q", 2) + struct.pack("<ff", 0, 1)),
    ]
    tensors = [
        ("token_embd.weight", [32, 4], 0, 32 * 4 * 4),
        ("blk.0.attn_q.weight", [32, 2], 8, 2 * 34),      # Q8_0
        ("blk.0.ffn_down.weight", [256], 12, 144),        # Q4_K
        ("output_norm.weight", [4], 1, 8),
    ]
    put(t, "basic.gguf", gguf(kvs, tensors))
    put(t, "v2.gguf", gguf(kvs[:3], tensors[:1], version=2))
    put(t, "empty.gguf", gguf([], []))
    put(t, "kv_only.gguf", gguf(kvs, []))
    put(t, "align64.gguf", gguf([("general.alignment", 4, u32(64))],
                                [("a", [64], 0, 256), ("b", [], 0, 4)], alignment=64))
    put(t, "scalar.gguf", gguf([], [("s", [], 0, 4)]))
    put(t, "header_only.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    put(t, "bigendian.gguf", b"GGUF" + struct.pack(">IQQ", 3, 0, 0))
    put(t, "long_string.gguf", gguf([("chat", 8, gguf_str("x" * 5000))], []))


def gen_index(t):
    wm = {"model.embed.weight": "model-00001-of-00002.safetensors",
          "model.layers.0.w": "model-00001-of-00002.safetensors",
          "lm_head.weight": "model-00002-of-00002.safetensors"}
    put(t, "basic.json", json.dumps({"metadata": {"total_size": 1234}, "weight_map": wm}, indent=2))
    put(t, "float_total.json", json.dumps({"metadata": {"total_size": 1.5e10, "x": [1, {"a": None}]},
                                           "weight_map": {"a": "s.safetensors"}}))
    put(t, "escaped.json", '{"weight_map":{"a\\u0041\\"":"sub/dir/x\\u002esafetensors",'
                           '"b":"sub/dir/x.safetensors"},"other":true}')
    put(t, "empty_map.json", '{"weight_map":{}}')
    put(t, "unsafe.json", '{"weight_map":{"a":"../x.safetensors","b":"/etc/passwd"}}')
    put(t, "duplicate.json", '{"weight_map":{"a":"x","a":"y"}}')
    put(t, "runs.json", json.dumps({"weight_map": {"t%d" % i: "s%d.safetensors" % (i // 3)
                                                   for i in range(12)}}))


def gen_json(t):
    for i, s in enumerate([
            '{"a":1,"b":[true,false,null],"c":{"d":"e\\u00e9\\ud83d\\ude00"},"n":-0.5e+10}',
            '[1,2,3,[4,[5,[6]]]]', '"\\b\\f\\n\\r\\t\\/\\\\\\""', '18446744073709551616',
            '{"k":"v","k":"w"}', '  {\n\t"x" : [ ] , "y" : { } }  ', '[' * 70 + ']' * 70,
            '{"x":"\\ud800"}', '{"x":01}', 'true', '{"__metadata__":{"format":"pt"}}',
            '{"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}']):
        put(t, "seed%02d.json" % i, s)


def gen_torch():
    """zip, pickle and torch seeds from the PyTorch fixtures (fixtures/torch/,
    written by torch.save and gen_malformed.py)."""
    import zipfile
    fix = os.path.join(HERE, "..", "..", "fixtures", "torch")
    files = sorted(f for f in os.listdir(fix) if f.endswith(".pt"))
    bad = os.path.join(fix, "malformed")
    for name in files:
        with open(os.path.join(fix, name), "rb") as f:
            data = f.read()
        put("torch", name, data)
        if data[:2] == b"PK":
            put("zip", name, data)
            with zipfile.ZipFile(os.path.join(fix, name)) as z:
                for member in z.namelist():
                    if member.endswith("data.pkl"):
                        put("pickle", name[:-3] + ".pkl", z.read(member))
    for name in sorted(os.listdir(bad)):
        with open(os.path.join(bad, name), "rb") as f:
            data = f.read()
        put("torch", "malformed-" + name, data)
        if name.endswith(".pkl"):
            put("pickle", name, data)
    # every protocol's framing and the opcodes torch.save does not use
    put("pickle", "proto0.pkl", b"(lp0\nI1\naF2.5\naS'a'\np1\na(dp2\nVk\np3\nI3\nsa.")
    put("pickle", "proto5.pkl", b"\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00"
        b"\x8c\x01a\x94\x8c\x01b\x94\x86\x94.")
    put("pickle", "global.pkl", b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.")


def main():
    gen_torch()
    gen_safetensors("safetensors")
    gen_gguf("gguf")
    gen_index("index")
    gen_json("json")
    # fuzz_any: a bit of every format
    for src in ("safetensors", "gguf"):
        d = os.path.join(OUT, src)
        for name in sorted(os.listdir(d))[:6]:
            with open(os.path.join(d, name), "rb") as f:
                put("any", src + "-" + name, f.read())
    put("any", "not-a-model.bin", "this is not a model\n")
    put("any", "pickle-like.bin", b"\x80\x02}q\x00.")
    put("any", "zip-like.bin", b"PK\x03\x04" + bytes(26))
    for name in ("dtypes.pt", "legacy.pt", "tied.pt"):
        with open(os.path.join(OUT, "torch", name), "rb") as f:
            put("any", "torch-" + name, f.read())


if __name__ == "__main__":
    main()
