# names.sh BIN JSONCHECK FIXTURES - the names people type: GPUs as
# nvidia-smi and rocm-smi print them, bare model numbers, cloud instances,
# other tools' names for dtypes, optimizers, precisions and KV cache types,
# k suffixes and decimal sizes; "did you mean" for what is not known.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
FIX=$3
cd "$FIX" || exit 1

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

# gpu NAME TABLE-NAME: --gpu NAME is that entry of the table.
gpu() {
    run "$BIN" tiny-llama --json --gpu "$1"
    expect_rc 0
    jcheck "fits/gpu=$2"
}
gpu "NVIDIA H100 80GB HBM3" H100-80GB
gpu "NVIDIA H100 PCIe" H100-80GB
gpu "NVIDIA H100 NVL" H100-NVL-94GB
gpu "NVIDIA A100-SXM4-80GB" A100-80GB
gpu "NVIDIA A100-SXM4-40GB" A100-40GB
gpu "NVIDIA A100-PCIE-40GB" A100-40GB
gpu "NVIDIA A100 80GB PCIe" A100-80GB
gpu "NVIDIA GeForce RTX 4090" RTX4090-24GB
gpu "NVIDIA GeForce RTX 3090" RTX3090-24GB
gpu "NVIDIA RTX A6000" A6000-48GB
gpu "NVIDIA L40S" L40S-48GB
gpu "NVIDIA L4" L4-24GB
gpu "NVIDIA A10G" A10G-24GB
gpu "NVIDIA H200" H200-141GB
gpu "NVIDIA H200 NVL" H200-141GB
gpu "NVIDIA B200" B200-192GB
gpu "Tesla T4" T4-16GB
gpu "Tesla V100-SXM2-32GB" V100-32GB
gpu "Tesla V100-SXM2-16GB" V100-16GB
gpu "Tesla V100S-PCIE-32GB" V100-32GB
gpu "AMD Instinct MI300X" MI300X-192GB
gpu "AMD Instinct MI250X" MI250X-128GB
gpu 4090 RTX4090-24GB
gpu h100 H100-80GB
gpu H200 H200-141GB
gpu l40s L40S-48GB
gpu a100-80gb A100-80GB
gpu "a100 40gb" A100-40GB

# Ambiguous: both candidates named, a usage error.
for name in A100 a100 v100; do
    run "$BIN" tiny-llama --gpu "$name"
    expect_rc 2
    expect_stdout_empty
    grep -q "'$name' is ambiguous" "$ERR" || fail "$name: not called ambiguous"
done
run "$BIN" tiny-llama --gpu A100
grep -q "A100-40GB or A100-80GB" "$ERR" || fail "A100: candidates not listed"

# Unknown: the nearest name, when one is near.
run "$BIN" tiny-llama --gpu H10-80GB
expect_rc 2
grep -q "did you mean 'H100-80GB'" "$ERR" || fail "no suggestion for H10-80GB"
run "$BIN" tiny-llama --gpu p4d.24xl
grep -q "did you mean 'p4d.24xlarge'" "$ERR" || fail "no suggestion for p4d.24xl"
run "$BIN" tiny-llama --gpu TPUv5
expect_rc 2
grep -q "did you mean" "$ERR" && fail "a suggestion for TPUv5"

# Cloud instances: the GPU and the count; an explicit --gpus wins.
inst() {
    run "$BIN" tiny-llama --json --gpu "$1"
    expect_rc 0
    jcheck "fits/gpu=$2" "per_device/gpus=$3" "fits/instance=$4"
}
inst p4d.24xlarge A100-40GB 8 p4d.24xlarge
inst p4de.24xlarge A100-80GB 8 p4de.24xlarge
inst p5.48xlarge H100-80GB 8 p5.48xlarge
inst p5e.48xlarge H200-141GB 8 p5e.48xlarge
inst g5.xlarge A10G-24GB 1 g5.xlarge
inst g5.12xlarge A10G-24GB 4 g5.12xlarge
inst g5.48xlarge A10G-24GB 8 g5.48xlarge
inst g6.xlarge L4-24GB 1 g6.xlarge
inst g6e.48xlarge L40S-48GB 8 g6e.48xlarge
inst a2-highgpu-1g A100-40GB 1 a2-highgpu-1g
inst a2-highgpu-8g A100-40GB 8 a2-highgpu-8g
inst a2-ultragpu-4g A100-80GB 4 a2-ultragpu-4g
inst a3-highgpu-8g H100-80GB 8 a3-highgpu-8g
inst g2-standard-96 L4-24GB 8 g2-standard-96
inst ND96asr_v4 A100-40GB 8 ND96asr_v4
inst Standard_ND96amsr_A100_v4 A100-80GB 8 ND96amsr_A100_v4
inst standard_nd96isr_h100_v5 H100-80GB 8 ND96isr_H100_v5
inst NC24ads_A100_v4 A100-80GB 1 NC24ads_A100_v4
inst NC40ads_H100_v5 H100-NVL-94GB 1 NC40ads_H100_v5
run "$BIN" tiny-llama --json --gpu p4d.24xlarge --gpus 2
jcheck fits/gpu=A100-40GB per_device/gpus=2
run "$BIN" tiny-llama --json --gpus 2 --gpu p4d.24xlarge
jcheck fits/gpu=A100-40GB per_device/gpus=2
run "$BIN" tiny-llama --gpu p4d.24xlarge
grep -q "^p4d.24xlarge (AWS): 8 x A100-40GB (usable 40.00 GiB per device):" "$OUT" \
    || fail "the instance is not named in the verdict"

# A size in GB says what it is in GiB; in GiB it is as given.
run "$BIN" tiny-llama --gpu 80GB
expect_rc 0
grep -q "^80 GB = 74.51 GiB (usable 74.51 GiB per device):" "$OUT" \
    || fail "80GB: the conversion is not stated"
run "$BIN" tiny-llama --json --gpu 80GB
jcheck fits/gpu=80GB fits/usable_bytes=80000000000
run "$BIN" tiny-llama --json --gpu 1.5GiB
jcheck fits/usable_bytes=1610612736
run "$BIN" tiny-llama --json --gpu "0.5 GB"
jcheck fits/usable_bytes=500000000
run "$BIN" tiny-llama --gpu 24GiB
grep -q "^24GiB (usable 24.00 GiB per device):" "$OUT" || fail "24GiB heading changed"

# Decimal sizes and k suffixes.
run "$BIN" tiny-llama --json --overhead 1.5GiB
jcheck inference/overhead_bytes=1610612736
run "$BIN" tiny-llama --json --overhead 0.25MiB
jcheck inference/overhead_bytes=262144
for c in 8k:8192 128k:131072 128K:131072 1.5k:1536 1M:1048576 4096:4096; do
    run "$BIN" tiny-llama --json --context "${c%%:*}"
    expect_rc 0
    jcheck "context=${c#*:}"
done
for bad in 1.5 0k 1.0001k 5000M k 8kk; do
    run "$BIN" tiny-llama --context "$bad"
    expect_rc 2
done

# Other tools' names for dtypes, optimizers, precisions, KV cache types.
run "$BIN" tiny-llama --json --dtypes bf16
jcheck 'estimates#=1' estimates/0/dtype=bfloat16
run "$BIN" tiny-llama --json --dtypes float32 float16
jcheck 'estimates#=2' estimates/0/dtype=float32 estimates/1/dtype=float16
run "$BIN" --json --dtypes fp32 half BF16 int4 tiny-llama
expect_rc 0
jcheck 'estimates#=4' estimates/0/dtype=float32 estimates/1/dtype=float16 \
    estimates/2/dtype=bfloat16 estimates/3/dtype=int4
run "$BIN" tiny-llama --json --dtypes torch.float16,fp16
jcheck 'estimates#=1' estimates/0/dtype=float16
run "$BIN" tiny-llama --dtypes bf17
expect_rc 2
grep -q "did you mean 'bf16'" "$ERR" || fail "no suggestion for bf17"

# optim NAME BYTES: the optimizer state of full training of tiny-llama
# (76,096 trainable parameters) under transformers' optim NAME.
optim() {
    run "$BIN" tiny-llama --json --train full --optimizer "$1"
    expect_rc 0
    jcheck "training/optimizer_bytes=$2"
}
for o in adamw adamw_torch adamw_torch_fused adamw_hf adamw_apex_fused paged_adamw_32bit \
    AdamW; do
    optim "$o" 608768
done
for o in adamw8bit adamw_8bit adamw_bnb_8bit paged_adamw_8bit lion_8bit; do
    optim "$o" 152192
done
for o in sgd lion_32bit rmsprop adagrad; do
    optim "$o" 304384
done
run "$BIN" tiny-llama --optimizer adamw_9bit
expect_rc 2
grep -q "did you mean 'adamw_8bit'" "$ERR" || fail "no suggestion for adamw_9bit"

prec() {
    run "$BIN" tiny-llama --json --train full --precision "$1"
    expect_rc 0
    run "$BIN" tiny-llama --train full --precision "$1"
    tr -s ' \n' '  ' <"$OUT" | grep -q "$2)" || fail "--precision $1 is not $2"
}
prec bf16 "bf16 mixed"
prec bf16-mixed "bf16 mixed"
prec fp16 "fp16 mixed"
prec 16-mixed "fp16 mixed"
prec no fp32
prec 32-true fp32

kv() {
    run "$BIN" tiny-llama --json --kv-dtype "$1"
    expect_rc 0
    jcheck "inference/kv_bytes_per_token=$2"
}
kv fp8_e4m3 128
kv fp8_e5m2 128
kv fp8 128
kv f16 256
kv half 256
kv bf16 256
kv f32 512
run "$BIN" tiny-llama --kv-dtype q8_0
expect_rc 2
grep -q "q8_0" "$ERR" || fail "q8_0: no reason given"

# Unknown options: the nearest one.
run "$BIN" tiny-llama --dtype bf16
expect_rc 2
grep -q "did you mean '--dtypes'" "$ERR" || fail "no suggestion for --dtype"
run "$BIN" inspect tiny-llama --jsn
expect_rc 2
grep -q "did you mean '--json'" "$ERR" || fail "no suggestion for --jsn"
run "$BIN" tiny-llama --contxt=8k
grep -q "did you mean '--context'" "$ERR" || fail "no suggestion for --contxt"
run "$BIN" inspcet tiny-llama
expect_rc 2
grep -q "did you mean 'inspect'" "$ERR" || fail "no suggestion for inspcet"
run "$BIN" tiny-llama --train fll
grep -q "did you mean 'full'" "$ERR" || fail "no suggestion for --train fll"
run "$BIN" tiny-llama --kv-dtype fp8_e4m2
grep -q "did you mean 'fp8_e4m3'" "$ERR" || fail "no suggestion for fp8_e4m2"
finish
