# output.sh BIN JSONCHECK FIXTURES DATA - output that fits: text within 80
# columns whatever TARGET's path (the title cut into lines, not the table
# widened; legends and headings folded), colour escapes included; with
# --json every failure is a modelmem.error/1 document on stdout beside its
# line on stderr; -q with -v is a usage error; verify --checksums shows a
# progress line on a terminal only.
. "$(dirname "$0")/lib.sh"
BIN=$1
JC=$2
FIX=$3
DATA=$4

jcheck() {
    "$JC" "$@" <"$OUT" || fail "JSON check failed: $*"
}

# widest FILE: the widest line in columns (code points), escapes removed.
widest() {
    sed 's/\x1b\[[0-9;]*m//g; s/\r$//' "$1" | LC_ALL=C awk '
        { n = 0
          for (i = 1; i <= length($0); i++) {
              c = substr($0, i, 1)
              if (c < "\200" || c >= "\300") n++
          }
          if (n > w) w = n }
        END { print w + 0 }'
}
fits80() {
    w=$(widest "$OUT")
    [ "$w" -le 80 ] || fail "a line of $w columns"
}

# A model under a long path.
deep="$TMP/a-folder-with-a-rather-long-name/and/another/level/of/nesting/that/people/have"
mkdir -p "$deep"
cp "$DATA/model.safetensors" "$deep/"
cp "$FIX/tiny-llama/"* "$deep/"
for opts in "" "--dtypes float32,float16,bfloat16,int8,int4" "--context 128k --batch 64" \
    "--train full --grad-checkpointing --attention eager --optimizer paged_adamw_8bit" \
    "--train qlora --gpus 8 --parallel zero3 --gpu NC80adis_H100_v5" \
    "--train lora --gpu 17179869184000000000B"; do
    for loc in C C.UTF-8; do
        # shellcheck disable=SC2086
        LC_ALL=$loc run "$BIN" "$deep/model.safetensors" $opts
        [ "$RC" -le 2 ] || fail "exit status $RC"
        fits80
    done
done
run "$BIN" "$deep/model.safetensors"
grep -q "Memory Usage for loading" "$OUT" || fail "no title"
[ "$(sed -n 2p "$OUT" | grep -c '│')" -eq 1 ] || fail "the title is not in the box"
tr -d '│ \n' <"$OUT" | grep -q "$(printf '%s' "$deep" | tr -d ' ')/model.safetensors" \
    || fail "the title lost part of the path"
# A short path keeps accelerate's layout exactly (one title line).
cd "$DATA" || exit 1
run "$BIN" model.safetensors
expect_eq "title line" "$(sed -n 2p "$OUT")" \
    "│    Memory Usage for loading \`model.safetensors\`    │"
# On a terminal (colour on), the same.
if command -v script >/dev/null 2>&1; then
    script -qec "LC_ALL=C.UTF-8 '$BIN' '$deep/model.safetensors' --train full --gpus 2 --gpu H100" \
        /dev/null >"$OUT" 2>&1 </dev/null
    grep -q "$(printf '\033')\[" "$OUT" || fail "no colour on a terminal"
    fits80
fi

# --json: a failure is one error document on stdout, and its line on stderr.
run "$BIN" --json no-such-model
expect_rc 1
expect_stderr_one_line "modelmem: no-such-model: no such file or folder"
jcheck schema=modelmem.error/1 error/code=not-found error/file=no-such-model \
    "error/message=no such file or folder" error/tensor=null error/offset=null
run "$BIN" inspect broken.safetensors --json
expect_rc 1
jcheck schema=modelmem.error/1 error/code=offset-gap error/file=broken.safetensors \
    error/tensor=model.layers.0.self_attn.q_proj.weight error/offset=2376
run "$BIN" estimate --json model.safetensors --gpu A100
expect_rc 2
jcheck schema=modelmem.error/1 error/code=usage error/file=null
grep -q "ambiguous" "$OUT" || fail "the document does not say what is wrong"
run "$BIN" verify --json --bogus model.safetensors
expect_rc 2
jcheck schema=modelmem.error/1 error/code=usage
run "$BIN" inspect --json
expect_rc 2
jcheck schema=modelmem.error/1 error/code=usage "error/message=inspect: missing TARGET"
# verify's findings stay its report
run "$BIN" verify --json broken.safetensors
expect_rc 1
jcheck schema=modelmem.verify/1 ok=false problems/0/code=offset-gap
# without --json, nothing on stdout
run "$BIN" no-such-model
expect_stdout_empty

# -q and -v together
for args in "-q -v" "-v -q" "--quiet --verbose" "-q --verbose"; do
    # shellcheck disable=SC2086
    run "$BIN" model.safetensors $args
    expect_rc 2
    grep -q "cannot be combined" "$ERR" || fail "$args: no reason given"
    # shellcheck disable=SC2086
    run "$BIN" inspect model.safetensors $args
    expect_rc 2
done

# verify --checksums: a progress line on a terminal, none in a pipe or file.
hub="$TMP/hub/models--org--name"
mkdir -p "$hub/blobs" "$hub/snapshots/abc" "$hub/refs"
printf 'abc' >"$hub/refs/main"
cp model.safetensors "$hub/blob"
sum=$(sha256sum "$hub/blob" 2>/dev/null | cut -d ' ' -f 1)
if [ -n "$sum" ]; then
    mv "$hub/blob" "$hub/blobs/$sum"
    ln -s "../../blobs/$sum" "$hub/snapshots/abc/model.safetensors"
    HF_HUB_CACHE="$TMP/hub" run "$BIN" verify --checksums org/name
    expect_rc 0
    expect_stderr_empty
    grep -q "1 checksum verified" "$OUT" || fail "no checksum verified"
    if command -v script >/dev/null 2>&1; then
        HF_HUB_CACHE="$TMP/hub" script -qec "'$BIN' verify --checksums org/name" /dev/null \
            >"$OUT" 2>&1 </dev/null
        grep -q "hashing model.safetensors 100%" "$OUT" || fail "no progress on a terminal"
        grep -q "$(printf '\r')" "$OUT" || fail "the progress line is not rewritten in place"
        HF_HUB_CACHE="$TMP/hub" script -qec "'$BIN' verify -q --checksums org/name" /dev/null \
            >"$OUT" 2>&1 </dev/null
        grep -q "hashing" "$OUT" && fail "progress with -q"
        HF_HUB_CACHE="$TMP/hub" NO_COLOR=1 script -qec "'$BIN' verify --checksums org/name" \
            /dev/null >"$OUT" 2>&1 </dev/null
        grep -q "hashing" "$OUT" && fail "progress with NO_COLOR"
    fi
fi
finish
