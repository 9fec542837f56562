# json.sh BIN JSONCHECK DATA - --json prints one valid JSON document with
# exact integers (CONTRACT.md), whatever the target kind.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
DATA=$3
cd "$DATA" || exit 1

jcheck() { # jsoncheck the last stdout with the given checks
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

# estimate --json on the three target kinds: the same figures.
# 7,248 parameters: embed 64x16 + 2 x (4 x 16x16 + 3 x 32x16 + 2 x 16) + 16
# + lm_head 64x16; BF16 7,168 x 2 + F32 80 x 4 = 14,656 bytes.
for target in model.safetensors my-model my-model/model.safetensors.index.json; do
    run "$BIN" "$target" --json
    expect_rc 0
    expect_stderr_empty
    jcheck schema=modelmem.estimate/1 target="$target" parameters=7248 \
        parameters_by_dtype/BF16=7168 parameters_by_dtype/F32=80 'parameters_by_dtype#=2' \
        stored_bytes=14656 tensors=21 \
        largest_layer/name=model.layers.0 largest_layer/parameters=2592 \
        'estimates#=4' \
        estimates/0/dtype=float32 estimates/0/total_bytes=28992 \
        estimates/0/largest_layer_bytes=10368 estimates/0/training_adam_bytes=115968 \
        estimates/1/dtype=float16 estimates/1/total_bytes=14496 \
        estimates/1/largest_layer_bytes=5184 estimates/1/training_adam_bytes=57984 \
        estimates/2/dtype=int8 estimates/2/total_bytes=7248 \
        estimates/2/largest_layer_bytes=2592 estimates/2/training_adam_bytes=null \
        estimates/3/dtype=int4 estimates/3/total_bytes=3624 \
        estimates/3/largest_layer_bytes=1296 estimates/3/training_adam_bytes=null
done

# --dtypes picks and orders the rows; bfloat16 is float16's arithmetic.
run "$BIN" --json --dtypes bfloat16,int4,float32 model.safetensors
expect_rc 0
jcheck 'estimates#=3' estimates/0/dtype=bfloat16 estimates/0/total_bytes=14496 \
    estimates/0/training_adam_bytes=57984 estimates/1/dtype=int4 estimates/2/dtype=float32

# inspect --json: files, tensors with absolute offsets, metadata, totals.
# The header is 2,080 bytes (padded to a multiple of 8): data starts at 2,088.
run "$BIN" inspect --json model.safetensors
expect_rc 0
expect_stderr_empty
jcheck schema=modelmem.inventory/1 'files#=1' files/0/path=model.safetensors \
    files/0/format=safetensors files/0/bytes=16744 files/0/header_bytes=2088 \
    'tensors#=21' tensors/0/name=model.embed_tokens.weight tensors/0/dtype=BF16 \
    tensors/0/shape/0=64 tensors/0/shape/1=16 tensors/0/file=0 tensors/0/offset=2088 \
    tensors/0/nbytes=2048 tensors/1/offset=4136 \
    tensors/20/name=lm_head.weight tensors/20/nbytes=2048 \
    metadata/format=pt totals/tensors=21 totals/parameters=7248 totals/bytes=14656 \
    totals/parameters_by_dtype/BF16=7168 totals/parameters_by_dtype/F32=80

# Sharded: paths relative to the folder, tensors point at their shard.
run "$BIN" inspect --json my-model
expect_rc 0
jcheck 'files#=2' files/0/path=model-00001-of-00002.safetensors \
    files/1/path=model-00002-of-00002.safetensors 'tensors#=21' \
    tensors/9/name=model.layers.0.post_attention_layernorm.weight tensors/9/file=0 \
    tensors/10/name=model.layers.1.self_attn.q_proj.weight tensors/10/file=1 \
    totals/parameters=7248 totals/bytes=14656

# -q and -v change nothing on stdout; -v lists the files read on stderr.
run "$BIN" --json my-model
cp "$OUT" "$TMP/plain"
run "$BIN" --json -q my-model
cmp -s "$OUT" "$TMP/plain" || fail "-q changed stdout"
expect_stderr_empty
run "$BIN" --json -v my-model
cmp -s "$OUT" "$TMP/plain" || fail "-v changed stdout"
expect_eq "-v lines" "$(wc -l <"$ERR" | tr -d ' ')" 2
expect_eq "-v first line" "$(head -n 1 "$ERR")" \
    "modelmem: read model-00001-of-00002.safetensors (safetensors, 8320 bytes, 1024 header bytes)"
finish
