# exit_status.sh BIN DATA - exit statuses as modelmem(1) documents them:
# 0 success, 1 invalid or unreadable input, 2 usage errors; a usage error
# prints "modelmem: ..." and the --help hint on stderr, nothing on stdout.
. "$(dirname "$0")/lib.sh"
BIN=$1
DATA=$2

# 0: every command on a valid model, each output form.
for args in "$DATA/model.safetensors" "estimate $DATA/model.safetensors" \
    "inspect $DATA/model.safetensors" "$DATA/my-model --json" \
    "inspect $DATA/my-model --json" "$DATA/model.safetensors --markdown" \
    "$DATA/my-model/model.safetensors.index.json --dtypes float32,bfloat16" \
    "--threads 1 $DATA/my-model" "--threads=0 -q $DATA/my-model" \
    "-v $DATA/model.safetensors" "--dtypes=int4 $DATA/model.safetensors"; do
    # shellcheck disable=SC2086
    run "$BIN" $args
    expect_rc 0
    [ -s "$OUT" ] || fail "no output on stdout"
done

# 1: input that is not a valid model.
for target in "$DATA/broken.safetensors" "$DATA/not-a-model.bin" "$DATA/no-such-file" \
    "$DATA/my-model/model-00001-of-00002.safetensors.absent"; do
    run "$BIN" "$target"
    expect_rc 1
    expect_no_data
    run "$BIN" inspect --json "$target"
    expect_rc 1
    expect_no_data
done

# 2: usage errors.
usage() {
    run "$BIN" "$@"
    expect_rc 2
    expect_no_data
    case $(head -n 1 "$ERR") in
    "modelmem: "*) ;;
    *) fail "usage error does not start with 'modelmem: '" ;;
    esac
    expect_eq "hint line" "$(sed -n 2p "$ERR")" "Try 'modelmem --help' for more information."
    expect_eq "stderr lines" "$(wc -l <"$ERR" | tr -d ' ')" 2
}
usage
usage --bogus "$DATA/model.safetensors"
usage "$DATA/model.safetensors" --bogus
usage inspect --bogus "$DATA/model.safetensors"
usage inspect --markdown "$DATA/model.safetensors"
usage estimate
usage inspect
usage --json
usage --dtypes float8 "$DATA/model.safetensors"
usage --dtypes "float32,,int8" "$DATA/model.safetensors"
usage "$DATA/model.safetensors" --dtypes
usage --threads many "$DATA/model.safetensors"
usage --threads 65 "$DATA/model.safetensors"
usage "$DATA/model.safetensors" --threads
usage --json --markdown "$DATA/model.safetensors"
usage "$DATA/model.safetensors" "$DATA/my-model"

# The exact wording of the most common ones.
run "$BIN" --bogus "$DATA/model.safetensors"
expect_eq "unknown option" "$(head -n 1 "$ERR")" "modelmem: estimate: unknown option '--bogus'"
run "$BIN" inspect
expect_eq "missing TARGET" "$(head -n 1 "$ERR")" "modelmem: inspect: missing TARGET"
run "$BIN" --json --markdown "$DATA/model.safetensors"
expect_eq "json+markdown" "$(head -n 1 "$ERR")" \
    "modelmem: --json and --markdown cannot be combined"
run "$BIN" --dtypes float8 "$DATA/model.safetensors"
expect_eq "bad dtype" "$(head -n 1 "$ERR")" \
    "modelmem: --dtypes: unknown dtype 'float8' (choose from float32, float16, bfloat16, int8, int4)"
finish
