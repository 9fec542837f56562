# llamacpp.sh BIN JSONCHECK FIXTURES - llama.cpp's plan as a user asks for
# it: a Llama-3-8B Q4_K_M GGUF built here as a sparse file (the real shapes
# and ggml types, header only), its buffers against the published load log
# of tests/accuracy/llamacpp.tsv row A, the stored row, and the usage errors
# of llama.cpp's settings.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
FIX=$3

command -v python3 >/dev/null 2>&1 || exit 77

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

G="$TMP/llama-3-8b-q4km.gguf"
python3 - "$G" <<'PY' || fail "no GGUF layout"
import struct, sys
F32, Q4K, Q6K = 0, 12, 14
def nbytes(t, n):
    return n * 4 if t == F32 else n // 256 * (144 if t == Q4K else 210)
h, ff, L, a, kv, V = 4096, 14336, 32, 32, 8, 128256
def more(i):
    return i < L // 8 or i >= 7 * L // 8 or (i - L // 8) % 3 == 2
t = [("token_embd.weight", Q4K, [h, V])]
for i in range(L):
    p, hi = "blk.%d." % i, Q6K if more(i) else Q4K
    t += [(p + "attn_norm.weight", F32, [h]), (p + "attn_q.weight", Q4K, [h, h]),
          (p + "attn_k.weight", Q4K, [h, kv * 128]), (p + "attn_v.weight", hi, [h, kv * 128]),
          (p + "attn_output.weight", Q4K, [h, h]), (p + "ffn_norm.weight", F32, [h]),
          (p + "ffn_gate.weight", Q4K, [h, ff]), (p + "ffn_up.weight", Q4K, [h, ff]),
          (p + "ffn_down.weight", hi, [ff, h])]
t += [("output_norm.weight", F32, [h]), ("output.weight", Q6K, [h, V])]
def s(x):
    return struct.pack("<Q", len(x)) + x.encode()
def u32(v):
    return struct.pack("<I", v)
kvs = [("general.architecture", 8, s("llama")), ("general.file_type", 4, u32(15)),
       ("llama.block_count", 4, u32(L)), ("llama.embedding_length", 4, u32(h)),
       ("llama.feed_forward_length", 4, struct.pack("<I", ff)),
       ("llama.attention.head_count", 4, struct.pack("<I", a)),
       ("llama.attention.head_count_kv", 4, struct.pack("<I", kv)),
       ("llama.vocab_size", 4, struct.pack("<I", V))]
out = b"GGUF" + struct.pack("<IQQ", 3, len(t), len(kvs))
for k, ty, v in kvs:
    out += s(k) + struct.pack("<I", ty) + v
off = 0
for name, ty, dims in t:
    out += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
    out += struct.pack("<IQ", ty, off)
    n = 1
    for d in dims:
        n *= d
    off += (nbytes(ty, n) + 31) // 32 * 32
out += b"\0" * (-len(out) % 32)
with open(sys.argv[1], "wb") as f:
    f.write(out)
    f.truncate(len(out) + off)
PY

# The default table adds the file as stored.
run "$BIN" "$G"
expect_rc 0
grep -q 'Q4_K_M (as stored)' "$OUT" || fail "no stored row"
run "$BIN" "$G" --json
expect_rc 0
jcheck stored/type=Q4_K_M stored/largest_layer=output stored/largest_layer_bytes=430940160 \
    stored/total_bytes=4912898048 estimates#=4

# Row A of tests/accuracy/llamacpp.tsv: -c 512, flash attention off, 33/33.
run "$BIN" "$G" --context 512 --flash-attn off --json
expect_rc 0
jcheck runtime=llama.cpp inference/weights_bytes=4617396224 inference/kv_cache_bytes=67108864 \
    inference/activation_bytes=271056896 inference/overhead_bytes=262144000 \
    inference/runtime_detail/cpu_mapped_model_buffer_bytes=295501824 \
    inference/runtime_detail/n_gpu_layers=33 inference/runtime_detail/layers=33 \
    inference/runtime_detail/flash_attn=false inference/runtime_detail/type_k=f16 \
    inference/runtime_detail/n_ctx=512 inference/runtime_detail/output_buffer_bytes=513024
run "$BIN" "$G" --context 512 --flash-attn off
expect_rc 0
# the text as one line (long lines may wrap)
tr '\n' ' ' <"$OUT" | tr -s ' ' >"$TMP/flat"
L='llama.cpp (33/33 layers offloaded, n_ctx 512, 1 sequence, ubatch 512, flash attention off'
grep -q -F "$L" "$TMP/flat" || fail "no llama.cpp line"
grep -q 'CUDA0 model buffer 4.30 GiB, KV buffer 64.00 MiB, compute buffer 258.50 MiB' "$TMP/flat" ||
    fail "no device buffers"
grep -q 'CPU_Mapped model buffer 281.81 MiB' "$TMP/flat" || fail "no host buffers"

# -ngl 16: half the blocks and their cache in host memory.
run "$BIN" "$G" --context 4096 --n-gpu-layers 16 --cache-type-k q8_0 --cache-type-v q8_0 --json
expect_rc 0
jcheck inference/runtime_detail/n_gpu_layers=16 inference/runtime_detail/type_v=q8_0 \
    inference/runtime_detail/kv_buffer_bytes=142606336 \
    inference/runtime_detail/cpu_kv_buffer_bytes=142606336

# --kv-dtype fp32 stands for f32 in both caches.
run "$BIN" "$G" --context 4096 --kv-dtype fp32 --json
expect_rc 0
jcheck inference/runtime_detail/type_k=f32 inference/runtime_detail/type_v=f32 \
    inference/kv_cache_bytes=1073741824

# The fit: whole pads of 256 cells on a 24 GiB card.
run "$BIN" "$G" --context 8192 --gpu RTX4090 --json
expect_rc 0
jcheck fits/inference=true fits/inference_min_gpus=1
grep -q '"max_context": [0-9]*[02468],' "$OUT" || fail "no max_context"

# Two devices split 3:1; the busiest device's figures.
run "$BIN" "$G" --context 4096 --gpus 2 --tensor-split 3,1 --json
expect_rc 0
jcheck per_device/parallel=layers per_device/inference/runtime_detail/kv_buffer_bytes=419430400

# Usage errors: llama.cpp's settings with another runtime, each naming both
# options; a quantized V cache without flash attention; a split that is not
# one proportion per device; values out of range.
run "$BIN" "$G" --runtime vllm --n-gpu-layers 10
expect_rc 2
expect_stdout_empty
grep -q -- '--n-gpu-layers is a llama.cpp setting' "$ERR" || fail "no refusal naming -ngl"
grep -q -- '--runtime vllm' "$ERR" || fail "the refusal does not name --runtime"
run "$BIN" "$FIX/tiny-llama" --ubatch-size 256
expect_rc 2
grep -q -- '--ubatch-size is a llama.cpp setting: add --runtime llama.cpp' "$ERR" ||
    fail "no refusal for a safetensors model"
run "$BIN" "$G" --cache-type-v q4_0 --flash-attn off
expect_rc 2
grep -q -- '--cache-type-v q4_0 needs flash attention' "$ERR" || fail "no V cache refusal"
grep -q -- '--flash-attn off' "$ERR" || fail "the V cache refusal does not name --flash-attn"
run "$BIN" "$G" --gpus 3 --tensor-split 3,1
expect_rc 2
grep -q -- '--tensor-split gives 2 proportions for --gpus 3' "$ERR" || fail "no split refusal"
for bad in "--flash-attn maybe" "--cache-type-k q4_k" "--n-gpu-layers -2" \
    "--ubatch-size 0" "--tensor-split 1,,2" "--gpus 2 --parallel tp" "--kv-dtype fp8" \
    "--gpus 2 --tensor-split 1000001,1"; do
    # shellcheck disable=SC2086
    run "$BIN" "$G" $bad
    expect_rc 2
    expect_stdout_empty
done
# a hostile layer count: the plans walk every layer, so the geometry is
# refused (MM_LIMIT_LAYERS) instead of walked for ever
mkdir "$TMP/layers"
cp "$FIX/tiny-llama/model.safetensors" "$TMP/layers/"
sed 's/"num_hidden_layers": *[0-9]*/"num_hidden_layers": 9007199254740991/' \
    "$FIX/tiny-llama/config.json" >"$TMP/layers/config.json"
grep -q 9007199254740991 "$TMP/layers/config.json" || fail "the test config was not written"
for rt in llama.cpp vllm transformers; do
    run timeout 20 "$BIN" "$TMP/layers" --runtime "$rt" --gpu H100
    expect_rc 1
    expect_stderr_one_line "modelmem: $TMP/layers/config.json: the geometry declares 9007199254740991 layers"
done
finish
