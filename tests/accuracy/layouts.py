"""Tensor layouts built from a model's config, written as sparse files.

Each builder returns a list of (name, dtype, shape) in the order a
checkpoint writer would use; write_safetensors() and write_gguf() write only
the headers and extend the file with truncate(), so the tensor data is a
hole (no disk use), as tests/bench/gen_layout.c does. Python 3 standard
library only.

Layouts (the `layout` field of measurements.json):
  safetensors          transformers' Llama/Mistral/Qwen2/Qwen3/Qwen3-MoE
                       names, in the config's torch_dtype
  safetensors-f16      the same in float16
  safetensors-fp8      linear weights F8_E4M3 with an F32 weight_scale_inv
                       per 128 x 128 block (quantization_config
                       weight_block_size), as Qwen's and DeepSeek's FP8
                       releases store them; embeddings, norms, the router
                       and the LM head stay in torch_dtype
  safetensors-w8a8     compressed-tensors int-quantized, channel strategy:
                       linear weights I8 with a BF16 weight_scale [out, 1];
                       the LM head (ignored) stays in torch_dtype
  safetensors-bert-cls BertForSequenceClassification (two labels), F32
  gguf                 llama.cpp names (token_embd, blk.N.attn_q, ...) with
                       the metadata the loader printed; 2-D weights in the
                       file type's main ggml type (F16 for 1, Q4_1 for 3,
                       Q4_K for 15 - the real Q4_K_M files mix in Q6_K, so
                       weights of such rows are not compared)
"""
import json
import os
import struct

ST_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "I8": 1}
TORCH = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}


def _ceil(a, b):
    return -(-a // b)


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _linear(out, name, o, i, quant, dtype, block):
    if quant == "fp8":
        out.append((name + ".weight", "F8_E4M3", [o, i]))
        out.append((name + ".weight_scale_inv", "F32", [_ceil(o, block), _ceil(i, block)]))
    elif quant == "w8a8":
        out.append((name + ".weight", "I8", [o, i]))
        out.append((name + ".weight_scale", "BF16", [o, 1]))
    else:
        out.append((name + ".weight", dtype, [o, i]))


def _is_moe_layer(cfg, i):
    experts = cfg.get("num_experts") or 0
    step = cfg.get("decoder_sparse_step") or 1
    return experts > 0 and i not in (cfg.get("mlp_only_layers") or []) and (i + 1) % step == 0


def hf_decoder(cfg, quant=None, dtype=None):
    """transformers' decoder-only layout (LlamaForCausalLM and relatives)."""
    dtype = dtype or TORCH.get(cfg.get("torch_dtype", "bfloat16"), "BF16")
    h, layers, vocab = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads") or heads
    hd = cfg.get("head_dim") or h // heads
    inter = cfg["intermediate_size"]
    mt = cfg.get("model_type", "llama")
    qc = cfg.get("quantization_config") or {}
    block = (qc.get("weight_block_size") or [128, 128])[0]
    out = [("model.embed_tokens.weight", dtype, [vocab, h])]
    for i in range(layers):
        p = "model.layers.%d." % i
        for proj, o, n in (("q_proj", heads * hd, h), ("k_proj", kv * hd, h),
                           ("v_proj", kv * hd, h), ("o_proj", h, heads * hd)):
            _linear(out, p + "self_attn." + proj, o, n, quant, dtype, block)
            if mt == "qwen2" and proj != "o_proj":
                out.append((p + "self_attn." + proj + ".bias", dtype, [o]))
        if mt in ("qwen3", "qwen3_moe"):
            out.append((p + "self_attn.q_norm.weight", dtype, [hd]))
            out.append((p + "self_attn.k_norm.weight", dtype, [hd]))
        if _is_moe_layer(cfg, i):
            e_inter = cfg["moe_intermediate_size"]
            out.append((p + "mlp.gate.weight", dtype, [cfg["num_experts"], h]))
            for e in range(cfg["num_experts"]):
                q = p + "mlp.experts.%d." % e
                _linear(out, q + "gate_proj", e_inter, h, quant, dtype, block)
                _linear(out, q + "up_proj", e_inter, h, quant, dtype, block)
                _linear(out, q + "down_proj", h, e_inter, quant, dtype, block)
        else:
            _linear(out, p + "mlp.gate_proj", inter, h, quant, dtype, block)
            _linear(out, p + "mlp.up_proj", inter, h, quant, dtype, block)
            _linear(out, p + "mlp.down_proj", h, inter, quant, dtype, block)
        out.append((p + "input_layernorm.weight", dtype, [h]))
        out.append((p + "post_attention_layernorm.weight", dtype, [h]))
    out.append(("model.norm.weight", dtype, [h]))
    if not cfg.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", dtype, [vocab, h]))
    return out


def bert_cls(cfg, labels=2):
    """BertForSequenceClassification in float32."""
    h, inter, vocab = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    out = []

    def lin(name, o, i):
        out.append((name + ".weight", "F32", [o, i]))
        out.append((name + ".bias", "F32", [o]))

    def norm(name):
        out.append((name + ".weight", "F32", [h]))
        out.append((name + ".bias", "F32", [h]))

    e = "bert.embeddings."
    out.append((e + "word_embeddings.weight", "F32", [vocab, h]))
    out.append((e + "position_embeddings.weight", "F32", [cfg["max_position_embeddings"], h]))
    out.append((e + "token_type_embeddings.weight", "F32", [cfg["type_vocab_size"], h]))
    norm(e + "LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = "bert.encoder.layer.%d." % i
        for x in ("query", "key", "value"):
            lin(p + "attention.self." + x, h, h)
        lin(p + "attention.output.dense", h, h)
        norm(p + "attention.output.LayerNorm")
        lin(p + "intermediate.dense", inter, h)
        lin(p + "output.dense", h, inter)
        norm(p + "output.LayerNorm")
    lin("bert.pooler.dense", h, h)
    lin("classifier", labels, h)
    return out


def write_safetensors(path, items):
    """The header of a safetensors file; the data is a hole."""
    header = {"__metadata__": {"format": "pt"}}
    pos = 0
    for name, dtype, shape in items:
        n = _numel(shape) * ST_SIZE[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [pos, pos + n]}
        pos += n
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.truncate(8 + len(text) + pos)


# ---- GGUF (ggml docs/gguf.md) -------------------------------------------------

# ggml type id: (elements per block, bytes per block), from ggml.c type_traits
GGML = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_1": (3, 32, 20), "Q8_0": (8, 32, 34),
        "Q4_K": (12, 256, 144)}
FILE_TYPE_MAIN = {0: "F32", 1: "F16", 3: "Q4_1", 7: "Q8_0", 15: "Q4_K"}


def gguf_tensors(meta):
    """llama.cpp's tensor names for a Llama-like architecture; shapes are
    ggml's (fastest-varying dimension first)."""
    arch = meta["general.architecture"]

    def m(k):
        return meta[arch + "." + k]

    h, layers, ff = m("embedding_length"), m("block_count"), m("feed_forward_length")
    heads = m("attention.head_count")
    kv = meta.get(arch + ".attention.head_count_kv", heads)
    hd = meta.get(arch + ".attention.key_length", h // heads)
    vocab = m("vocab_size")
    t = FILE_TYPE_MAIN[meta["general.file_type"]]
    out = [("token_embd.weight", t, [h, vocab])]
    if meta.get("rope_freqs"):
        out.append(("rope_freqs.weight", "F32", [hd // 2]))
    for i in range(layers):
        p = "blk.%d." % i
        out.append((p + "attn_norm.weight", "F32", [h]))
        for name, o in (("attn_q", heads * hd), ("attn_k", kv * hd), ("attn_v", kv * hd)):
            out.append((p + name + ".weight", t, [h, o]))
            if meta.get("qkv_bias"):
                out.append((p + name + ".bias", "F32", [o]))
        out.append((p + "attn_output.weight", t, [heads * hd, h]))
        out.append((p + "ffn_norm.weight", "F32", [h]))
        out.append((p + "ffn_gate.weight", t, [h, ff]))
        out.append((p + "ffn_up.weight", t, [h, ff]))
        out.append((p + "ffn_down.weight", t, [ff, h]))
    out.append(("output_norm.weight", "F32", [h]))
    if not meta.get("tied_output"):
        out.append(("output.weight", t, [h, vocab]))
    return out


def _gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _gkv(key, value):
    if isinstance(value, bool):
        return _gstr(key) + struct.pack("<IB", 7, 1 if value else 0)
    if isinstance(value, int):
        return _gstr(key) + struct.pack("<II", 4, value)
    return _gstr(key) + struct.pack("<I", 8) + _gstr(str(value))


def write_gguf(path, meta, items, align=32):
    """A GGUF v3 header (metadata, tensor infos); the data is a hole."""
    kvs = [(k, v) for k, v in sorted(meta.items()) if "." in k]
    head = b"GGUF" + struct.pack("<IQQ", 3, len(items), len(kvs))
    head += b"".join(_gkv(k, v) for k, v in kvs)
    pos = 0
    for name, t, dims in items:
        tid, blk, size = GGML[t]
        n = _numel(dims)
        head += _gstr(name) + struct.pack("<I", len(dims))
        head += b"".join(struct.pack("<Q", d) for d in dims)
        head += struct.pack("<IQ", tid, pos)
        pos += _ceil(n // blk * size, align) * align
    data_at = _ceil(len(head), align) * align
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(data_at + pos)


def build(layout, cfg, folder):
    """Writes the model for `layout` into `folder`; returns the target path."""
    os.makedirs(folder, exist_ok=True)
    if layout == "gguf":
        path = os.path.join(folder, "model.gguf")
        write_gguf(path, cfg, gguf_tensors(cfg))
        return path
    if layout == "safetensors-bert-cls":
        items = bert_cls(cfg)
    else:
        quant = {"safetensors-fp8": "fp8", "safetensors-w8a8": "w8a8"}.get(layout)
        items = hf_decoder(cfg, quant, "F16" if layout == "safetensors-f16" else None)
    write_safetensors(os.path.join(folder, "model.safetensors"), items)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    return folder
