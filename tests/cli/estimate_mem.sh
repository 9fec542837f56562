# estimate_mem.sh BIN JSONCHECK FIXTURES README - estimate's inference,
# training and multi-GPU options as a user runs them, on fixtures/estimate;
# and the README's sample of them is what modelmem prints today.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
FIX=$3
README=$4
cd "$FIX" || exit 1

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

# Without new options: accelerate's output, unchanged, plus logical_parameters.
run "$BIN" gptq --json
expect_rc 0
expect_stderr_empty
jcheck parameters=2505 logical_parameters=4160 quant_method=gptq 'estimates#=4' \
    logical_parameters_by_dtype/I32=2048 logical_parameters_by_dtype/F16=2112
run "$BIN" gptq
expect_rc 0
grep -q 'Logical parameters' "$OUT" && fail "plain estimate output changed"

# Inference: the JSON breakdown (figures worked out in test_estimate_mem.c).
run "$BIN" tiny-llama --json --context 100 --batch 2
expect_rc 0
expect_stderr_empty
jcheck logical_parameters=76096 geometry_source=config.json geometry/kv_heads=2 \
    inference/weights_bytes=152192 inference/kv_cache_bytes=51200 \
    inference/activation_bytes=204928 inference/overhead_bytes=536870912 \
    inference/total_bytes=537279232 inference/kv_bytes_per_token=256 per_device/gpus=1
run "$BIN" tiny-llama-noconfig --json --context 100 --batch 2 --kv-dtype fp8 --overhead 0
expect_rc 0
jcheck geometry_source=tensors inference/kv_cache_bytes=25600 inference/overhead_bytes=0
run "$BIN" tiny-bert --json --context 100 --batch 2
jcheck inference/kv_cache_bytes=0 geometry/encoder_only=true

# Training, ZeRO-3 on 4 devices, a verdict for a named GPU.
run "$BIN" tiny-llama --json --context 100 --batch 2 --train full --gpus 4 \
    --parallel zero3 --gpu H100 --attention eager
expect_rc 0
jcheck training/weights_bytes=456576 training/master_weights_bytes=0 \
    training/optimizer_bytes=608768 training/activation_bytes=2233600 \
    per_device/parallel=zero3 per_device/training/weights_bytes=38048 \
    per_device/training/buffers_bytes=1100073984 per_device/training/parallel=zero3 \
    fits/gpu=H100-80GB fits/usable_bytes=85520809984 fits/training=true \
    fits/training_min_gpus=1 fits/training_parallel=zero3 fits/training_change=null \
    fits/inference=true
run "$BIN" tiny-llama --json --context 100 --batch 2 --train lora --lora-rank 8 \
    --lora-targets down_proj --grad-checkpointing --optimizer sgd --precision fp32
expect_rc 0
jcheck training/trainable_parameters=3072 training/optimizer_bytes=12288
run "$BIN" tiny-llama --json --context 100 --batch 2 --train full
jcheck training/activations_no_checkpointing_bytes=1113600 \
    training/activations_checkpointing_bytes=588800 training/checkpointing=false \
    training/loss_bytes=38400
# LoRA and QLoRA checkpoint by default, as PEFT and TRL do; --train alone
# prints no inference plan, --inference (or --context, --kv-dtype) does
run "$BIN" tiny-llama --json --batch 2 --train lora
expect_rc 0
jcheck training/checkpointing=true
grep -q '"context": 4096,' "$OUT" || fail "not the default context"
if grep -q '"inference"' "$OUT"; then fail "an inference plan nobody asked for"; fi
run "$BIN" tiny-llama --json --batch 2 --train lora --no-grad-checkpointing --inference
jcheck training/checkpointing=false inference/kv_bytes_per_token=256
run "$BIN" tiny-llama --json --context 100 --batch 2 --train full --loss fused --parallel fsdp \
    --gpus 4 --lora-dropout 0.1
jcheck training/loss_bytes=32000 per_device/training/parallel=fsdp \
    per_device/training/buffers_bytes=221952
run "$BIN" tiny-llama --json --context 100 --batch 2 --train full --loss 16bit
jcheck training/loss_bytes=19200
# no mode given: DDP where it fits, named in the verdict; a longest context
run "$BIN" tiny-llama --json --context 100 --batch 2 --train full --gpus 4 --gpu H100
jcheck per_device/training/parallel=dp fits/training_parallel=dp fits/training_min_gpus=1 \
    fits/training_change=null
grep -q '"training_max_context": [0-9]' "$OUT" || fail "no longest context"
# it does not fit: the one change that makes it fit on the fewest devices
run "$BIN" tiny-llama --json --context 60000 --batch 2 --train full --gpu 1GiB
expect_rc 0
jcheck fits/training=false fits/training_change/change=grad_checkpointing \
    fits/training_change/gpus=1 fits/training_change/context=null
LC_ALL=C run "$BIN" tiny-llama --batch 2 --train full --gpu 1GiB --overhead 1000MiB
grep -q '^  training on 1 device (dp): does not fit (short by ' "$OUT" || fail "no training verdict"
grep -q '^  to fit: ' "$OUT" || fail "no change named"
if grep -q '^Inference' "$OUT"; then fail "an inference plan with --train alone"; fi
run "$BIN" tiny-llama --json --context 100 --batch 2 --gpu 537000000B
expect_rc 2
run "$BIN" tiny-llama --json --context 100 --batch 2 --gpu 512MiB
expect_rc 0
jcheck fits/inference=false fits/inference_headroom_bytes=-408320 fits/inference_min_gpus=null

# Text: the table and a stacked bar; ASCII without a UTF-8 locale.
LC_ALL=C.UTF-8 run "$BIN" tiny-llama --context 100 --train qlora --gpu L4
expect_rc 0
grep -q '^Inference: context 100, batch 1; geometry from config.json' "$OUT" ||
    fail "no inference heading"
grep -q '█' "$OUT" || fail "no Unicode bar in a UTF-8 locale"
grep -q 'L4-24GB (usable 22.49 GiB per device)' "$OUT" || fail "no verdict"
run "$BIN" gptq --context 10
grep -q '^Logical parameters: 4,160 (quantization: gptq; 2,505 elements as stored)$' "$OUT" ||
    fail "no logical parameters beside the stored elements"
LC_ALL=C run "$BIN" tiny-llama --context 100
expect_rc 0
grep -q '^  \[[#=+.%~]*\]$' "$OUT" || fail "no ASCII bar in the C locale"
grep -q '█' "$OUT" && fail "block characters in the C locale"
grep -q "$(printf '\033')" "$OUT" && fail "colour on a pipe"

# Colour only on a terminal, never with NO_COLOR (script(1) gives a pty).
if command -v script >/dev/null 2>&1; then
    esc=$(printf '\033')
    env -u NO_COLOR script -qc "'$BIN' tiny-llama --context 10" /dev/null >"$OUT" 2>&1
    grep -q "$esc\[3" "$OUT" || fail "no colour on a terminal"
    NO_COLOR=1 script -qc "'$BIN' tiny-llama --context 10" /dev/null >"$OUT" 2>&1
    grep -q "$esc\[" "$OUT" && fail "colour on a terminal despite NO_COLOR"
fi

# The README's sample (the block that starts "Logical parameters: 76,096").
awk '/^```$/ { if (on) exit; pending = 1; next }
     pending && /^Logical parameters: 76,096$/ { on = 1 }
     { pending = 0 }
     on { print }' "$README" >"$TMP/readme.sample"
LC_ALL=C.UTF-8 run "$BIN" tiny-llama --context 8192 --batch 4 --train lora --lora-rank 8 \
    --gpu RTX4090
sed -n '/^Logical parameters/,$p' "$OUT" >"$TMP/now"
[ -s "$TMP/readme.sample" ] || fail "no 'Logical parameters: 76,096' sample in the README"
if ! cmp -s "$TMP/readme.sample" "$TMP/now"; then
    fail "the README's sample differs from modelmem's output (- README, + now):"
    diff -u "$TMP/readme.sample" "$TMP/now" >&2
fi

# Llama-2-7B in fp16, as a sparse file (header only, the data a hole): the
# inference weights are its exact stored size, 13,476,831,232 bytes.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$TMP/llama2.safetensors" <<'PY'
import json, struct, sys
t = [("model.embed_tokens.weight", [32000, 4096])]
for i in range(32):
    p = "model.layers.%d." % i
    t += [(p + "self_attn.%s_proj.weight" % x, [4096, 4096]) for x in "qkvo"]
    t += [(p + "mlp.gate_proj.weight", [11008, 4096]), (p + "mlp.up_proj.weight", [11008, 4096]),
          (p + "mlp.down_proj.weight", [4096, 11008]), (p + "input_layernorm.weight", [4096]),
          (p + "post_attention_layernorm.weight", [4096])]
t += [("model.norm.weight", [4096]), ("lm_head.weight", [32000, 4096])]
h, off = {}, 0
for name, shape in t:
    n = 2 * shape[0] * (shape[1] if len(shape) > 1 else 1)
    h[name] = {"dtype": "F16", "shape": shape, "data_offsets": [off, off + n]}
    off += n
raw = json.dumps(h).encode()
raw += b" " * (-len(raw) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw)
    f.truncate(8 + len(raw) + off)
PY
    run "$BIN" "$TMP/llama2.safetensors" --context 4096
    expect_rc 0
    grep -q '^  weights  *13,476,831,232  *12.55 GiB$' "$OUT" ||
        fail "Llama-2-7B fp16: weights are not 13,476,831,232 bytes (12.55 GiB)"
    grep -q 'geometry from tensors' "$OUT" || fail "Llama-2-7B: geometry not from the tensors"
fi

# MLX at full scale: the real index and config of the MLX 4-bit Qwen3-14B
# (../shared/realmodels, where present) with shards built sparse from its
# geometry; the Hub counts 14,768,307,200 logical parameters for them.
REAL=$FIX/../../../shared/realmodels/index-qwen3-14b-mlx-4bit
if command -v python3 >/dev/null 2>&1 && [ -f "$REAL/config.json" ]; then
    mkdir "$TMP/q3"
    python3 - "$REAL" "$TMP/q3" <<'PY'
import json, os, shutil, struct, sys
src, dst = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(src, "model.safetensors.index.json")))
cfg = json.load(open(os.path.join(src, "config.json")))
shutil.copy(os.path.join(src, "config.json"), dst)
shutil.copy(os.path.join(src, "model.safetensors.index.json"), dst)
H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
Q, K = cfg["num_attention_heads"] * cfg["head_dim"], cfg["num_key_value_heads"] * cfg["head_dim"]
dims = {"q_proj": (Q, H), "k_proj": (K, H), "v_proj": (K, H), "o_proj": (H, Q),
        "gate_proj": (I, H), "up_proj": (I, H), "down_proj": (H, I),
        "embed_tokens": (V, H), "lm_head": (V, H)}
bits, gs = cfg["quantization"]["bits"], cfg["quantization"]["group_size"]
shards = {}
for name, shard in idx["weight_map"].items():
    mod, suf = name.split(".")[-2:]
    if mod in dims:
        o, i = dims[mod]
        t = ("U32", [o, i * bits // 32], 4) if suf == "weight" else ("F16", [o, i // gs], 2)
    else:
        t = ("F16", [cfg["head_dim"] if mod in ("q_norm", "k_norm") else H], 2)
    shards.setdefault(shard, []).append((name,) + t)
for shard, ts in shards.items():
    h, off = {}, 0
    for n, d, shape, size in sorted(ts):
        b = size
        for x in shape:
            b *= x
        h[n] = {"dtype": d, "shape": shape, "data_offsets": [off, off + b]}
        off += b
    raw = json.dumps(h).encode()
    raw += b" " * (-len(raw) % 8)
    with open(os.path.join(dst, shard), "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + off)
PY
    run "$BIN" "$TMP/q3" --json
    expect_rc 0
    jcheck parameters=2307906560 logical_parameters=14768307200 quant_method=mlx \
        logical_parameters_by_dtype/U32=14767882240 logical_parameters_by_dtype/F16=424960
fi

# Errors: a broken config.json is one line, exit 1; bad options exit 2.
mkdir "$TMP/m"
cp tiny-llama/model.safetensors "$TMP/m/"
printf '{"num_hidden_layers": "two", "num_attention_heads": 4}' >"$TMP/m/config.json"
run "$BIN" "$TMP/m" --context 10
expect_rc 1
expect_no_data
expect_stderr_one_line "modelmem: $TMP/m/config.json: config item 'num_hidden_layers'"
printf '{"num_hidden_layers": 2,' >"$TMP/m/config.json"
run "$BIN" "$TMP/m" --context 10
expect_rc 1
expect_stderr_one_line "modelmem: $TMP/m/config.json: config is not valid JSON (byte 23)"
# ... while the plain estimate warns and goes on
run "$BIN" "$TMP/m" --json
expect_rc 0
run "$BIN" tiny-llama --context 10 --config bad-type/config.json
expect_rc 1
for bad in "--loss half" "--lora-dropout 2" "--lora-dropout x" "--lora-dropout -1" \
    "--context 0" "--context x" "--batch" "--train half" "--optimizer lamb" \
    "--precision fp8" "--parallel mp" "--gpus 0" "--gpus 5000" "--gpu TPU" "--kv-dtype q4" \
    "--lora-rank 0" "--overhead 1XB" "--attention flash2"; do
    # shellcheck disable=SC2086
    run "$BIN" tiny-llama $bad
    expect_rc 2
done

# An option value that would make a figure overflow is a usage error naming
# the options that drive it; a figure printed is the true one, never a
# clamped one (JSON numbers past 2^53 are checked as text).
overflow() {
    expect_rc 2
    expect_no_data
    [ "$(wc -l <"$ERR")" -eq 2 ] || fail "the overflow error is not two lines"
    case $(head -n 1 "$ERR") in
    "modelmem: $1: the estimate would overflow "*) ;;
    *) fail "the overflow error does not name '$1'" ;;
    esac
    sed -n 2p "$ERR" | grep -q "^Try 'modelmem --help'" || fail "no line pointing to --help"
}
has() {
    grep -q -- "$1" "$OUT" || fail "no '$1' in the output"
}
# fixtures/tiny-llama, 2,675,840 bytes before the overhead at 4,096 tokens
run "$BIN" ../tiny-llama --overhead 17179869183GiB --gpu H100 --json
overflow "--overhead 17179869183GiB"
run "$BIN" ../tiny-llama --overhead 17179869183GiB --json
expect_rc 0
has '"total_bytes": 18446744072638485632,'
run "$BIN" ../tiny-llama --overhead 17179869183GiB --gpu H100
overflow "--overhead 17179869183GiB"
run "$BIN" ../tiny-llama --gpu 16000000TiB --json
overflow "--gpu 16000000TiB"
run "$BIN" ../tiny-llama --context 4294967295 --batch 4294967295 --json
overflow "--context 4294967295, --batch 4294967295"
run "$BIN" ../tiny-llama --context 4294967295 --batch 4294967295 --attention eager
overflow "--context 4294967295"
# short by exactly 2^63 bytes: the lowest headroom there is; a byte more
# is an overflow
run "$BIN" ../tiny-llama --overhead 9223372036852100992 --gpu 1KiB --json
expect_rc 0
has '"inference_headroom_bytes": -9223372036854775808,'
run "$BIN" ../tiny-llama --overhead 9223372036852100993 --gpu 1KiB --json
overflow "--overhead 9223372036852100993"
run "$BIN" ../tiny-llama --overhead 4611686018427387904 --gpu 1KiB --json
expect_rc 0
has '"inference_headroom_bytes": -4611686018430062720,'
# a big model: Llama 3 70B's geometry, 4,294,967,295 tokens, full training;
# 123 sequences need 18,424,871,705,048,895,104 bytes (under 2^64), 124 do
# not; 62 need 2^63 more than an H100 holds
BIG="tiny-llama --config config-llama-3-70b/config.json --context 4294967295 --train full"
# shellcheck disable=SC2086
run "$BIN" $BIG --batch 123 --json
expect_rc 0
has '"total_bytes": 18424871705048895104,'
# shellcheck disable=SC2086
run "$BIN" $BIG --batch 124 --json
overflow "--context 4294967295, --batch 124"
# shellcheck disable=SC2086
run "$BIN" $BIG --batch 62 --gpu H100 --json
overflow "--context 4294967295, --batch 62"
# shellcheck disable=SC2086
run "$BIN" $BIG --batch 61 --gpu H100 --json
expect_rc 0
has '"training_headroom_bytes": -9137537914815397504,'
# shellcheck disable=SC2086
# 4,294,967,295 sequences overflow at the default 4,096 tokens too: only
# --batch is to blame
# shellcheck disable=SC2086
run "$BIN" $BIG --batch 4294967295 --lora-rank 65536 --gpus 4096 --parallel zero3
overflow "--batch 4294967295"
# shellcheck disable=SC2086
run "$BIN" $BIG --batch 1 --gpu 16000000TiB --overhead 1KiB --json
overflow "--gpu 16000000TiB"
# A geometry that overflows at the default 4,096 tokens is the model's
# fault, an input error naming its config.json: 2^53 hidden.
mkdir "$TMP/big"
cp tiny-llama/model.safetensors "$TMP/big/"
sed 's/"hidden_size": [0-9]*/"hidden_size": 9007199254740992/' tiny-llama/config.json \
    >"$TMP/big/config.json"
run "$BIN" "$TMP/big" --batch 1
expect_rc 1
expect_no_data
expect_stderr_one_line "modelmem: $TMP/big/config.json: a memory figure would pass 2^64 - 1"
run "$BIN" "$TMP/big" --context 100 --json
expect_rc 0
has '"total_bytes": 7205759404329893568,'
# A quantization config whose bits would push the logical parameter count
# past 2^64 is an input error, not a usage error.
mkdir "$TMP/q"
cp gptq/model.safetensors "$TMP/q/"
sed 's/"bits": 4,/"bits": 1e-300,/' gptq/config.json >"$TMP/q/config.json"
run "$BIN" "$TMP/q" --json
expect_rc 1
expect_no_data
expect_stderr_one_line "modelmem: $TMP/q/config.json: the logical parameter count"
finish
