# errors.sh BIN DATA - an error is one line on stderr, "modelmem: FILE:
# what is wrong (tensor NAME, byte OFFSET)", and nothing on stdout (with
# --json, the error document modelmem.error/1).
. "$(dirname "$0")/lib.sh"
BIN=$1
DATA=$2
cd "$DATA" || exit 1

check() { # want, then the command's arguments
    want=$1
    shift
    for json in "" "--json"; do
        # shellcheck disable=SC2086
        run "$BIN" "$@" $json
        expect_rc 1
        expect_no_data
        expect_stderr_one_line "modelmem: "
        expect_eq "error line" "$(cat "$ERR")" "$want"
        # shellcheck disable=SC2086
        run "$BIN" inspect "$@" $json
        expect_rc 1
        expect_no_data
        expect_eq "inspect error line" "$(cat "$ERR")" "$want"
    done
}

# The 8 bytes after the embedding (2,048 bytes from the data start at
# 8 + 320) belong to no tensor.
check "modelmem: broken.safetensors: 8 bytes before this tensor belong to no tensor (tensor model.layers.0.self_attn.q_proj.weight, byte 2376)" \
    broken.safetensors
check "modelmem: not-a-model.bin: not a recognised weight file (24 bytes; safetensors, PyTorch and GGUF are detected from their first bytes) (byte 0)" \
    not-a-model.bin
check "modelmem: no-such-model: no such file or folder" no-such-model

# A shard named by the index is missing: inspect names the shard; estimate
# gives a partial estimate, saying so.
mkdir "$TMP/partial"
cp my-model/model.safetensors.index.json my-model/model-00001-of-00002.safetensors \
    "$TMP/partial/"
run "$BIN" inspect "$TMP/partial"
expect_rc 1
expect_stdout_empty
expect_eq "error line" "$(cat "$ERR")" \
    "modelmem: $TMP/partial/model-00002-of-00002.safetensors: shard named by the index is missing"
run "$BIN" "$TMP/partial"
expect_rc 0
grep -q '^partial: 1 of 2 shards missing; figures from the index and config.json$' "$OUT" ||
    fail "estimate does not say it is partial"

# The input files are never modified.
sum_before=$(cksum broken.safetensors model.safetensors my-model/*)
run "$BIN" inspect my-model
run "$BIN" broken.safetensors
expect_eq "inputs unchanged" "$(cksum broken.safetensors model.safetensors my-model/*)" \
    "$sum_before"
finish
