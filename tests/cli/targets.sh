#!/bin/sh
# targets.sh BIN JSONCHECK DATA - targets as people name them and downloads
# that stopped, run as a user runs them, on a Hugging Face cache laid out
# here as huggingface_hub lays it out (blobs named by content, snapshot
# links into ../../blobs, refs/main), built from tests/cli/data/my-model:
#  - a repository id in another case, a near miss ("did you mean"), a
#    short commit hash (unique, ambiguous), the models--ORG--NAME folder;
#  - verify on a snapshot whose second shard's download stopped (its blob
#    still .incomplete): download-incomplete with sizes and a remedy line;
#    the same after --local-dir, the remedy naming the repository where
#    config.json's _name_or_path is a repository id;
#  - estimate on it: partial, in text and JSON;
#  - a PEFT adapter whose base model is in the cache, or given by --base.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
DATA=$3

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}
expect_out() {
    grep -q -- "$1" "$OUT" || fail "stdout lacks '$1'"
}
# stdout with the lines text output folds at 80 columns joined again
expect_out_joined() {
    tr '\n' ' ' <"$OUT" | sed 's/  */ /g' | grep -q -- "$1" || fail "stdout lacks '$1'"
}
expect_err() {
    grep -q -- "$1" "$ERR" || fail "stderr lacks '$1'"
}

HUB=$TMP/hub
REPO=$HUB/models--Big-Org--Tiny.Model
C1=1234abcd5678ef901234abcd5678ef901234abcd
C2=1234ffff5678ef901234abcd5678ef901234abcd
mkdir -p "$REPO/refs" "$REPO/blobs" "$REPO/snapshots/$C1" "$REPO/snapshots/$C2"
printf '%s' "$C1" >"$REPO/refs/main"
printf '%s' "$C2" >"$REPO/refs/v2"
for f in model.safetensors.index.json model-00001-of-00002.safetensors \
    model-00002-of-00002.safetensors; do
    sum=$(sha256sum "$DATA/my-model/$f" | cut -d' ' -f1)
    cp "$DATA/my-model/$f" "$REPO/blobs/$sum"
    ln -s "../../blobs/$sum" "$REPO/snapshots/$C1/$f"
    ln -s "../../blobs/$sum" "$REPO/snapshots/$C2/$f"
done
export HF_HUB_CACHE="$HUB"

# ---- names --------------------------------------------------------------
for id in Big-Org/Tiny.Model big-org/tiny.model BIG-ORG/TINY.MODEL@main \
    big-org/tiny.model@1234a big-org/tiny.model@1234FFFF big-org/tiny.model@v2 \
    "$REPO" "$REPO/" "$REPO@v2" "$REPO@1234ab" "$HUB/models--big-org--tiny.model@1234f"; do
    run "$BIN" inspect "$id"
    expect_rc 0
    expect_stderr_empty
done
run "$BIN" inspect -v big-org/tiny.model@1234f
expect_err "snapshots/$C2 in the Hugging Face cache"

run "$BIN" big-org/tiny.modle
expect_rc 1
expect_stdout_empty
expect_stderr_one_line "modelmem: big-org/tiny.modle: "
expect_err "did you mean Big-Org/Tiny.Model?"
run "$BIN" other-org/Tiny.Model --json
expect_rc 1
expect_no_data
expect_err "did you mean Big-Org/Tiny.Model?"
run "$BIN" completely/different
expect_rc 1
grep -q "did you mean" "$ERR" && fail "a far id got a suggestion"

run "$BIN" big-org/tiny.model@1234
expect_rc 1
expect_stderr_one_line "modelmem: big-org/tiny.model@1234: short commit 1234 matches 2 snapshots: "
expect_err "$C1"
expect_err "$C2"
run "$BIN" big-org/tiny.model@123
expect_rc 1
expect_err "revision 123 is not in the Hugging Face cache"

# ---- a download that stopped ---------------------------------------------
# Shard 2 of the main snapshot: its link gone, its blob .incomplete (half).
S2=model-00002-of-00002.safetensors
blob=$(readlink "$REPO/snapshots/$C1/$S2")
rm "$REPO/snapshots/$C1/$S2"
size=$(wc -c <"$DATA/my-model/$S2")
head -c $((size / 2)) "$DATA/my-model/$S2" >"$REPO/snapshots/$C1/$blob.incomplete"
rm "$REPO/snapshots/$C1/$blob"

run "$BIN" verify big-org/tiny.model
expect_rc 1
expect_out "^error download-incomplete: $S2: download did not finish: "
expect_out " of "
expect_out "^  remedy: re-run the download: huggingface-cli download Big-Org/Tiny.Model$"
expect_out "^FAILED: "
run "$BIN" verify --json big-org/tiny.model
expect_rc 1
jcheck ok=false problems#=1 problems/0/code=download-incomplete problems/0/file=$S2 \
    "problems/0/remedy=re-run the download: huggingface-cli download Big-Org/Tiny.Model" \
    problems/0/expected_bytes="$size" problems/0/actual_bytes=$((size / 2))

run "$BIN" big-org/tiny.model
expect_rc 0
expect_out "^partial: 1 of 2 shards missing; figures from the index and config.json$"
run "$BIN" big-org/tiny.model --json
expect_rc 0
jcheck partial=true missing#=1 missing/0=$S2
run "$BIN" "$DATA/my-model" --json
expect_rc 0
grep -q '"partial"' "$OUT" && fail "a whole model is marked partial"

# A truncated file outside any download: the plain remedy.
mkdir "$TMP/cut"
head -c 3000 "$DATA/model.safetensors" >"$TMP/cut/model.safetensors"
run "$BIN" verify "$TMP/cut"
expect_rc 1
expect_out "truncated: 2.93 KiB of 16.35 KiB"
expect_out "^  remedy: the file is truncated: download it again$"

# After `huggingface-cli download ... --local-dir`: shard 2 still under
# .cache/huggingface/download. The remedy names the repository where
# config.json's _name_or_path is a repository id, and makes none up where
# it is not (a path, a control character, a third part).
LD=$TMP/local
mkdir -p "$LD/.cache/huggingface/download"
cp "$DATA/my-model/model.safetensors.index.json" "$DATA/my-model/model-00001-of-00002.safetensors" \
    "$LD/"
head -c $((size / 2)) "$DATA/my-model/$S2" >"$LD/.cache/huggingface/download/$S2.0a1b.incomplete"
printf '{"_name_or_path": "Big-Org/Tiny.Model"}' >"$LD/config.json"
want="re-run the download into this folder (id from config.json's _name_or_path): "
want="${want}huggingface-cli download Big-Org/Tiny.Model --local-dir $LD"
run "$BIN" verify "$LD"
expect_rc 1
grep -qxF "  remedy: $want" "$OUT" || fail "stdout lacks the remedy '$want'"
run "$BIN" verify --json "$LD"
expect_rc 1
jcheck ok=false problems/0/code=download-incomplete "problems/0/remedy=$want"
want="re-run the huggingface-cli download of this model with --local-dir $LD"
for id in /home/user/Big-Org/Tiny.Model ./out Big-Org/Tiny.Model/x 'Big-Org/Tiny\u001b[2J.Model'; do
    printf '{"_name_or_path": "%s"}' "$id" >"$LD/config.json"
    run "$BIN" verify "$LD"
    expect_rc 1
    grep -qxF "  remedy: $want" "$OUT" || fail "_name_or_path $id: stdout lacks '$want'"
    if LC_ALL=C grep -q "$(printf '\033')" "$OUT" "$ERR"; then
        fail "_name_or_path $id: a raw ESC byte reached the terminal"
    fi
    run "$BIN" verify --json "$LD"
    jcheck "problems/0/remedy=$want"
done

# ---- a PEFT adapter --------------------------------------------------------
# adapter_model.safetensors: two F32 tensors of 4 elements, named as PEFT
# names them (so that they do not clash with the base model's)
mkdir "$TMP/lora"
h='{"base_model.model.lm_head.lora_A.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
h=$h'"base_model.model.lm_head.lora_B.weight":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}'
{
    printf "\\$(printf %03o ${#h})\\000\\000\\000\\000\\000\\000\\000"
    printf '%s' "$h"
    head -c 32 /dev/zero
} >"$TMP/lora/adapter_model.safetensors"
printf '{"base_model_name_or_path": "big-org/tiny.model@v2", "peft_type": "LORA", "r": 8}' \
    >"$TMP/lora/adapter_config.json"
run "$BIN" "$TMP/lora" --json
expect_rc 0
jcheck adapter/base_model=big-org/tiny.model@v2 adapter/found=false adapter/peft_type=LORA \
    adapter/rank=8 parameters=8
printf '{"base_model_name_or_path": "big-org/tiny.modle"}' >"$TMP/lora/adapter_config.json"
run "$BIN" "$TMP/lora"
expect_rc 0
expect_out_joined "base model big-org/tiny.modle not found in the Hugging Face cache"
run "$BIN" "$TMP/lora" --base "$DATA/my-model" --json
expect_rc 0
jcheck adapter/found=true adapter/adapter_parameters=8 parameters=$((7248 + 8)) \
    files=3 "adapter/base_path=$DATA/my-model"
run "$BIN" "$TMP/lora" --base "$REPO@1234f" --json
expect_rc 0
jcheck adapter/found=true "adapter/base_path=$(cd "$REPO/snapshots/$C2" && pwd -P)"
printf '{"base_model_name_or_path": "Big-Org/Tiny.Model"}' >"$TMP/lora/adapter_config.json"
run "$BIN" "$TMP/lora"
expect_rc 0
expect_out_joined "figures cover base plus adapter (8 adapter parameters)"
printf '{"base_model_name_or_path": "/etc"}' >"$TMP/lora/adapter_config.json"
run "$BIN" "$TMP/lora" --json
expect_rc 0
jcheck adapter/found=false
run "$BIN" "$DATA/model.safetensors" --base "$REPO"
expect_rc 2
finish
