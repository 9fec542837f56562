# parse.sh BIN FIX - the arguments as the option table (src/cli/options.c)
# reads them, for every command: "--name=VALUE" as "--name VALUE" for each
# kind of option, an unknown option with "did you mean", an option that
# does not apply to the command, values that start with '-', --help
# anywhere, an option given twice.
. "$(dirname "$0")/lib.sh"
BIN=$1
FIX=$2
cd "$FIX" || exit 1

# same OPTION VALUE [ARGS...]: "--opt=VALUE" and "--opt VALUE" give the
# same output and status.
same() {
    opt=$1
    val=$2
    shift 2
    run "$BIN" tiny-llama --json "$@" "$opt" "$val"
    cp "$OUT" "$TMP/spaced"
    rc=$RC
    run "$BIN" tiny-llama --json "$@" "$opt=$val"
    [ "$RC" -eq "$rc" ] || fail "$opt=$val: exit status $RC, with a space $rc"
    cmp -s "$OUT" "$TMP/spaced" || fail "$opt=$val differs from $opt $val"
    [ "$rc" -eq 0 ] || fail "$opt $val: exit status $rc"
}
same --dtypes int4                           # a list
same --context 8k                            # a count
same --batch 2
same --overhead 1GiB                         # a size
same --kv-dtype fp16                         # a choice
same --train lora
same --optimizer sgd --train full
same --precision fp32 --train full
same --loss fused --train full
same --attention eager --train full
same --parallel tp --gpus 2
same --lora-rank 8 --train lora
same --lora-targets q_proj --train lora
same --lora-dropout 0.1 --train lora
same --gpus 2
same --gpu A100-80GB                         # a GPU name
same --gpu 24GiB
same --config config-llama-3-8b/config.json  # a file
same --threads 1
same --runtime vllm
same --max-num-seqs 16 --runtime vllm
same --gpu-memory-utilization 0.8 --runtime vllm
same --load-in nf4 --runtime transformers

# scan's and serve's own: the same parse.
run "$BIN" scan --sort=size --json tiny-llama
cp "$OUT" "$TMP/eq"
run "$BIN" scan --sort size --json tiny-llama
expect_rc 0
cmp -s "$OUT" "$TMP/eq" || fail "scan --sort=size differs from --sort size"
run "$BIN" serve --listen=bogus
expect_rc 2
expect_eq "serve --listen=" "$(head -n 1 "$ERR")" \
    "modelmem: --listen takes ADDR:PORT, such as 127.0.0.1:8080, not 'bogus'"

# A flag takes no value.
run "$BIN" tiny-llama --inference=yes
expect_rc 2
expect_eq "flag=value" "$(head -n 1 "$ERR")" \
    "modelmem: estimate: unknown option '--inference=yes'; did you mean '--inference'?"

# An unknown option, with the table's nearest name, in every command.
for cmd in estimate inspect verify scan; do
    run "$BIN" $cmd tiny-llama --thraeds 2
    expect_rc 2
    expect_no_data
    expect_eq "$cmd unknown" "$(head -n 1 "$ERR")" \
        "modelmem: $cmd: unknown option '--thraeds'; did you mean '--threads'?"
done
run "$BIN" serve --lsten 127.0.0.1:0
expect_rc 2
expect_eq "serve unknown" "$(head -n 1 "$ERR")" \
    "modelmem: serve: unknown option '--lsten'; did you mean '--listen'?"

# An option of the table that is not this command's.
notfor() {
    want=$1
    shift
    run "$BIN" "$@"
    expect_rc 2
    expect_no_data
    expect_eq "not this command's" "$(head -n 1 "$ERR")" "modelmem: $want"
}
notfor "--checksums does not apply to estimate (only to verify)" tiny-llama --checksums
notfor "--checksums does not apply to inspect (only to verify)" inspect tiny-llama --checksums
notfor "--markdown does not apply to inspect (only to estimate)" inspect --markdown tiny-llama
notfor "--context does not apply to verify (only to estimate, scan)" verify tiny-llama \
    --context 8k
notfor "--sort does not apply to estimate (only to scan)" tiny-llama --sort size
notfor "--listen does not apply to scan (only to serve)" scan --listen 127.0.0.1:0
notfor "--json does not apply to serve (only to estimate, inspect, verify, scan)" serve --json
notfor "--verbose does not apply to serve (only to estimate, inspect, verify, scan)" serve -v
notfor "--checksums does not apply to scan: it is verify's option" scan --checksums tiny-llama
notfor "--version does not apply to inspect" inspect --version

# A value is the next argument, whatever it starts with.
run "$BIN" tiny-llama --batch -1
expect_rc 2
expect_eq "negative value" "$(head -n 1 "$ERR")" \
    "modelmem: --batch takes a number of sequences, not '-1'"
run "$BIN" tiny-llama --runtime llama.cpp --n-gpu-layers -1
expect_eq "negative layers" "$(head -n 1 "$ERR")" \
    "modelmem: --n-gpu-layers takes a number of layers or 'all', not '-1'"
run "$BIN" tiny-llama --context
expect_eq "missing value" "$(head -n 1 "$ERR")" "modelmem: option '--context' needs a value"

# --help anywhere (before any error); given twice, the last value counts.
run "$BIN" tiny-llama --context 8k -h
expect_rc 0
grep -q -- '--context' "$OUT" || fail "estimate -h after options: no help"
run "$BIN" scan tiny-llama --help
expect_rc 0
run "$BIN" tiny-llama --json --context 8k --context 100
cp "$OUT" "$TMP/twice"
run "$BIN" tiny-llama --json --context 100
cmp -s "$OUT" "$TMP/twice" || fail "--context given twice: not the last"

# accelerate's "--dtypes float32 float16": the lists up to TARGET.
run "$BIN" --json --dtypes float32 int4 tiny-llama
expect_rc 0
cp "$OUT" "$TMP/dt"
run "$BIN" --json --dtypes float32,int4 tiny-llama
cmp -s "$OUT" "$TMP/dt" || fail "--dtypes float32 int4 differs from float32,int4"

# Every value an option of a list lists, as the bash completion offers it,
# is taken by the handler its row names (into the member it names).
"$BIN" --completions bash \
    | sed -n "s/^    \(--[a-z-]*\)) values='\([^']*\)' ;;\$/\1 \2/p" >"$TMP/lists"
[ "$(wc -l <"$TMP/lists")" -ge 10 ] || fail "fewer than 10 options of a list in the completion"
while read -r opt values; do
    case $opt in
    --load-in) runtime=transformers ;;
    --cache-type-k | --cache-type-v | --flash-attn) runtime=llama.cpp ;;
    --gpu | --sort | --completions) continue ;;
    *) runtime= ;;
    esac
    for v in $values; do
        run "$BIN" tiny-llama --json ${runtime:+--runtime "$runtime"} "$opt" "$v"
        [ "$RC" -eq 0 ] || fail "$opt $v: exit status $RC: $(head -n 1 "$ERR")"
    done
done <"$TMP/lists"
finish
