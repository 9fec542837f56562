# example.sh EXAMPLE DATA - examples/estimate.c, built against the
# installed-style shared library, prints what the README says it prints.
. "$(dirname "$0")/lib.sh"
EX=$1
DATA=$2
cd "$DATA" || exit 1

run "$EX" my-model
expect_rc 0
expect_stderr_empty
cat >"$TMP/want" <<'END'
model-00001-of-00002.safetensors: safetensors, 8320 bytes
model-00002-of-00002.safetensors: safetensors, 8448 bytes
7248 parameters in 21 tensors
largest layer model.layers.0: 2592 parameters
float16: total 14496 bytes, largest layer 5184 bytes, training with Adam 57984 bytes
END
cmp -s "$OUT" "$TMP/want" || { fail "output differs"; diff "$TMP/want" "$OUT" >&2; }

run "$EX" broken.safetensors
expect_rc 1
expect_stdout_empty
expect_eq "error" "$(cat "$ERR")" "estimate: broken.safetensors: 8 bytes before this tensor belong to no tensor (tensor model.layers.0.self_attn.q_proj.weight, byte 2376) [offset-gap]"

run "$EX"
expect_rc 2
finish
