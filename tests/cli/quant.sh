# quant.sh BIN JSONCHECK FIXTURES - transformers' --load-in and the
# quantizations that would fit --gpu, as a user asks for them, on the
# fixtures of fixtures/estimate (tiny-llama: bf16; bnb4: pre-quantized;
# gguf-gemma2: GGUF).
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
FIX=$3
T=$FIX/tiny-llama

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

# 8bit: 73,728 int8 weights + 1,024 fp32 row scales + 4,736 bytes kept
run "$BIN" "$T" --context 100 --runtime transformers --load-in 8bit --json
expect_rc 0
jcheck inference/weights_bytes=82560 inference/runtime_detail/load_in=8bit \
    inference/runtime_detail/quantized_parameters=73728 \
    inference/runtime_detail/quantized_bytes=77824 inference/runtime_detail/kept_bytes=4736 \
    per_device/inference/runtime_detail/load_in=8bit
run "$BIN" "$T" --context 100 --runtime transformers --json
expect_rc 0
jcheck inference/weights_bytes=152192 inference/runtime_detail/load_in=null \
    inference/runtime_detail/quantized_bytes=null
run "$BIN" "$T" --context 100 --runtime=transformers --load-in=nf4
expect_rc 0
grep -q '^  loaded in nf4 (bitsandbytes NF4, double quantization): linear weights' "$OUT" ||
    fail "no --load-in line"

# usage errors: a bad value, another runtime or none, a quantized checkpoint
run "$BIN" "$T" --runtime transformers --load-in 3bit
expect_rc 2
head -n 1 "$ERR" | grep -q "^modelmem: --load-in: choose 8bit, 4bit or nf4, not '3bit'$" ||
    fail "no message naming the values"
run "$BIN" "$T" --load-in 8bit
expect_rc 2
grep -q -- '--load-in is a transformers setting.*add --runtime transformers' "$ERR" ||
    fail "no runtime named"
run "$BIN" "$T" --load-in 8bit --runtime vllm
expect_rc 2
grep -q -- '--load-in is a transformers setting.*not with --runtime vllm' "$ERR" ||
    fail "vllm not named"
run "$BIN" "$FIX/bnb4" --load-in 4bit --runtime transformers
expect_rc 2
grep -q 'cannot load in 4bit: the checkpoint is already quantized' "$ERR" ||
    fail "a quantized checkpoint not refused"
run "$BIN" "$FIX/gguf-gemma2/model.gguf" --load-in 4bit --runtime transformers
expect_rc 2
run "$BIN" "$T" --load-in
expect_rc 2
# an overflow is a usage error naming the option, never a clamped figure
run "$BIN" "$T" --runtime transformers --load-in 8bit --gpu 24GiB --context 4294967295 \
    --batch 4294967295 --attention eager
expect_rc 2
expect_stdout_empty
grep -q '^modelmem: --context 4294967295: the estimate would overflow' "$ERR" ||
    fail "no overflow error"

# which quantization would fit: --overhead set so that the 8bit total is
# exactly 1 MiB, the device's size
run "$BIN" "$T" --context 100 --runtime transformers --overhead 0 --json
rest=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["inference"]; print(i["total_bytes"]-i["weights_bytes"])' "$OUT")
oh=$((1048576 - 82560 - rest))
run "$BIN" "$T" --context 100 --runtime transformers --overhead $oh --gpu 1MiB --json
expect_rc 0
jcheck fits/quantizations#=4 fits/quantizations/0/name=BF16 \
    fits/quantizations/0/weights_bytes=152192 fits/quantizations/0/fits=false \
    fits/quantizations/1/name=8bit fits/quantizations/1/fits=true \
    fits/quantizations/1/total_bytes=1048576 fits/quantizations/3/name=nf4 \
    fits/quantizations/3/weights_bytes=42808
run "$BIN" "$T" --context 100 --runtime transformers --overhead $oh --gpu 1MiB
expect_rc 0
grep -q '^    would fit: 8bit, 4bit, nf4$' "$OUT" || fail "no would-fit line"
run "$BIN" "$T" --context 100 --runtime transformers --gpu 1KiB
grep -q '^    would fit: none of BF16, 8bit, 4bit, nf4$' "$OUT" || fail "no none-fit line"
run "$BIN" "$T" --context 100 --runtime vllm --gpu 24GiB --json
expect_rc 0
jcheck fits/quantizations#=3 fits/quantizations/1/name=fp8 fits/quantizations/2/name=int4
run "$BIN" "$FIX/gguf-gemma2/model.gguf" --context 100 --gpu 1GiB --json
expect_rc 0
jcheck runtime=llama.cpp fits/quantizations#=7 fits/quantizations/4/name=Q4_K_M
run "$BIN" "$FIX/bnb4" --context 100 --gpu 24GiB --json
expect_rc 0
jcheck fits/quantizations=null
run "$BIN" "$T" --context 100 --json
jcheck inference/weights_bytes=152192
grep -q '"quantizations"' "$OUT" && fail "quantizations without --gpu"

finish
