#!/usr/bin/env python3
"""Writes the small models the command-line tests and the documentation's
examples run on (tests/cli/data/). Python 3 standard library only; the
output is deterministic, committed, and regenerated with:

    python3 tests/cli/gen_data.py

  model.safetensors      a two-layer Llama-shaped model, BF16 weights, F32
                         norms, an LM head and __metadata__ {"format": "pt"}
  my-model/              the same tensors in two shards with
                         model.safetensors.index.json
  broken.safetensors     8 bytes between two tensors belong to no tensor
                         (offset-gap at byte 8 + N + 2048)
  not-a-model.bin        text, not a weight file (unknown-format)

Expected figures (checked by hand in tests/cli/*.sh): 7,248 parameters
(BF16 7,168, F32 80), 14,656 bytes, largest layer model.layers.0 with 2,592.
"""
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SIZE = {"BF16": 2, "F32": 4}

VOCAB, HIDDEN, INTER, LAYERS = 64, 16, 32, 2


def tensors():
    """(name, dtype, shape) in the order a save_pretrained writer uses."""
    out = [("model.embed_tokens.weight", "BF16", [VOCAB, HIDDEN])]
    for i in range(LAYERS):
        p = "model.layers.%d." % i
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
            out.append((p + "self_attn." + proj + ".weight", "BF16", [HIDDEN, HIDDEN]))
        out.append((p + "mlp.gate_proj.weight", "BF16", [INTER, HIDDEN]))
        out.append((p + "mlp.up_proj.weight", "BF16", [INTER, HIDDEN]))
        out.append((p + "mlp.down_proj.weight", "BF16", [HIDDEN, INTER]))
        out.append((p + "input_layernorm.weight", "F32", [HIDDEN]))
        out.append((p + "post_attention_layernorm.weight", "F32", [HIDDEN]))
    out.append(("model.norm.weight", "F32", [HIDDEN]))
    out.append(("lm_head.weight", "BF16", [VOCAB, HIDDEN]))
    return out


def nbytes(dtype, shape):
    n = 1
    for d in shape:
        n *= d
    return n * SIZE[dtype]


def write_safetensors(path, items, gap_after=None, gap=0):
    """items: (name, dtype, shape). Data bytes are zero. With gap_after, `gap`
    unused bytes follow that tensor (a malformed file)."""
    header = {"__metadata__": {"format": "pt"}}
    pos = 0
    for name, dtype, shape in items:
        n = nbytes(dtype, shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [pos, pos + n]}
        pos += n
        if name == gap_after:
            pos += gap
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # writers pad to a multiple of 8
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(b"\0" * pos)
    return len(text)


def main():
    os.makedirs(os.path.join(HERE, "my-model"), exist_ok=True)
    items = tensors()
    write_safetensors(os.path.join(HERE, "model.safetensors"), items)

    # Two shards split after layer 0, as save_pretrained(max_shard_size=...)
    cut = next(i for i, t in enumerate(items) if t[0].startswith("model.layers.1."))
    shards = [("model-00001-of-00002.safetensors", items[:cut]),
              ("model-00002-of-00002.safetensors", items[cut:])]
    weight_map = {}
    total = 0
    for fname, part in shards:
        write_safetensors(os.path.join(HERE, "my-model", fname), part)
        for name, dtype, shape in part:
            weight_map[name] = fname
            total += nbytes(dtype, shape)
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(HERE, "my-model", "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")

    # A gap of 8 bytes after the embedding (2048 bytes): offset-gap.
    write_safetensors(os.path.join(HERE, "broken.safetensors"), items[:3],
                      gap_after="model.embed_tokens.weight", gap=8)

    with open(os.path.join(HERE, "not-a-model.bin"), "wb") as f:
        f.write(b"hello, I am not a model\n")


if __name__ == "__main__":
    main()
