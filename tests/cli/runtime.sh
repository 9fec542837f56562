# runtime.sh BIN JSONCHECK FIXTURES - the runtime plans and fit answers as a
# user asks for them: Llama-3-8B and Llama-3-70B as sparse safetensors
# files (published shapes, header only) with the published config.json of
# fixtures/estimate/config-llama-3-*.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
FIX=$3

command -v python3 >/dev/null 2>&1 || exit 77

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

# A Llama checkpoint layout: DIR HIDDEN INTERMEDIATE LAYERS HEADS KV VOCAB
layout() {
    python3 - "$@" <<'PY'
import json, os, struct, sys
d, h, i, n, a, kv, v = sys.argv[1], *map(int, sys.argv[2:])
hd = h // a
t = [("model.embed_tokens.weight", [v, h])]
for k in range(n):
    p = "model.layers.%d." % k
    t += [(p + "self_attn.q_proj.weight", [a * hd, h]), (p + "self_attn.k_proj.weight", [kv * hd, h]),
          (p + "self_attn.v_proj.weight", [kv * hd, h]), (p + "self_attn.o_proj.weight", [h, a * hd]),
          (p + "mlp.gate_proj.weight", [i, h]), (p + "mlp.up_proj.weight", [i, h]),
          (p + "mlp.down_proj.weight", [h, i]), (p + "input_layernorm.weight", [h]),
          (p + "post_attention_layernorm.weight", [h])]
t += [("model.norm.weight", [h]), ("lm_head.weight", [v, h])]
hdr, off = {}, 0
for name, shape in t:
    size = 2 * shape[0] * (shape[1] if len(shape) > 1 else 1)
    hdr[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + size]}
    off += size
raw = json.dumps(hdr).encode()
raw += b" " * (-len(raw) % 8)
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw)
    f.truncate(8 + len(raw) + off)
PY
}

L8="$TMP/llama-3-8b"
L70="$TMP/llama-3-70b"
layout "$L8" 4096 14336 32 32 8 128256 || fail "no 8B layout"
layout "$L70" 8192 28672 80 64 8 128256 || fail "no 70B layout"
cp "$FIX/config-llama-3-8b/config.json" "$L8/" || fail "no 8B config"
cp "$FIX/config-llama-3-70b/config.json" "$L70/" || fail "no 70B config"

# vLLM, Llama-3-8B on an H100: the components of vLLM PR #10511's log
# (weights 14.96 GiB, non-torch 1.79 GiB, activation peak 1.26 GiB).
run "$BIN" "$L8" --runtime vllm --gpu H100 --context 8192
expect_rc 0
grep -q '^  weights  *16,062,619,648  *14.96 GiB$' "$OUT" || fail "8B weights"
grep -q '^  activations  *1,354,383,360  *1.26 GiB$' "$OUT" || fail "8B activation peak"
grep -q 'non-torch 1.79 GiB' "$OUT" || fail "8B non-torch"
grep -q '^  inference (vllm, tp): fits' "$OUT" || fail "no verdict naming runtime and mode"
grep -q 'sequences of 8,192 tokens at once: [0-9]*\.[0-9][0-9]x$' "$OUT" ||
    fail "no concurrency with two decimals"
run "$BIN" "$L8" --runtime vllm --gpu H100 --context 8192 --json
expect_rc 0
jcheck runtime=vllm per_device/parallel=tp fits/parallel=tp fits/inference=true \
    fits/inference_min_gpus=1 inference/runtime_detail/non_torch_bytes=1922039808 \
    inference/runtime_detail/sampler_bytes=1354383360 inference/runtime_detail/block_size=16 \
    inference/runtime_detail/max_num_batched_tokens=8192 inference/host_bytes=0 \
    fits/training_max_context=null
grep -q '"max_concurrency": [0-9]*\.[0-9][0-9][,}]' "$OUT" || fail "max_concurrency not 0.00"

# Llama-3-70B at 8k: two A100-80GB under vLLM's tensor parallel.
run "$BIN" "$L70" --context 8192 --gpus 2 --gpu A100-80GB --runtime vllm --json
expect_rc 0
jcheck fits/inference=true fits/parallel=tp per_device/parallel=tp fits/inference_min_gpus=2
# ... and on RTX 4090s the smallest count vLLM accepts is 8 (64 heads)
run "$BIN" "$L70" --context 8192 --gpu RTX4090 --runtime vllm --json
expect_rc 0
jcheck fits/inference=false fits/inference_min_gpus=8 fits/max_context=0
run "$BIN" "$L70" --context 8192 --gpus 6 --parallel tp --gpu RTX4090 --runtime vllm
expect_rc 2
expect_stdout_empty
grep -q '64 attention heads' "$ERR" || fail "the refusal does not name the heads"
grep -q '6 devices' "$ERR" || fail "the refusal does not name the size"

# transformers is the default for safetensors, with device_map's layer split.
run "$BIN" "$L70" --context 8192 --gpus 2 --gpu A100-80GB --json
expect_rc 0
jcheck runtime=transformers per_device/parallel=layers fits/parallel=layers \
    fits/inference=true fits/max_context=40169 inference/runtime_detail/cuda_context_bytes=536870912
run "$BIN" "$L70" --context 8192 --gpus 2 --gpu A100-80GB --parallel dp --json
jcheck per_device/parallel=dp fits/parallel=dp fits/inference=false

# Usage errors: vLLM's settings without --runtime vllm, values out of range.
for bad in "--max-num-seqs 8" "--runtime vllm --gpu-memory-utilization 1.5" \
    "--runtime vllm --gpu-memory-utilization 0" "--runtime vllm --max-model-len 0" \
    "--runtime tgi" "--runtime vllm --gpu-memory-utilization 0.1234567"; do
    # shellcheck disable=SC2086
    run "$BIN" "$L8" --context 8192 $bad
    expect_rc 2
    expect_stdout_empty
done
run "$BIN" "$L8" --context 8192 --runtime vllm --gpu-memory-utilization 0.95 \
    --max-num-batched-tokens 2048 --max-num-seqs 128 --max-model-len 8192 --gpu H100 --json
expect_rc 0
jcheck inference/runtime_detail/max_num_seqs=128 inference/runtime_detail/max_model_len=8192
grep -q '"gpu_memory_utilization": 0.95,' "$OUT" || fail "utilization not 0.95"
finish
