# completions.sh BIN DIR - the completion scripts the build wrote into DIR
# (modelmem, _modelmem, modelmem.fish) are those `BIN --completions`
# prints, and each, sourced in its shell, completes commands, options,
# option values and GPU names. A shell not installed is skipped with a
# message (zsh and fish are in the README's Quick start).
. "$(dirname "$0")/lib.sh"
BIN=$1
DIR=$2

for pair in bash:modelmem zsh:_modelmem fish:modelmem.fish; do
    shell=${pair%%:*}
    run "$BIN" --completions "$shell"
    expect_rc 0
    cmp -s "$OUT" "$DIR/${pair#*:}" || fail "$DIR/${pair#*:} is not --completions $shell"
done
run "$BIN" --completions tcsh
expect_rc 2
case $(head -n 1 "$ERR") in
"modelmem: --completions: choose bash, zsh or fish"*) ;;
*) fail "--completions tcsh: not a usage error" ;;
esac

# has WORD FILE: WORD is a line of FILE
has() {
    grep -qx -e "$1" "$2"
}

# bash: COMP_WORDS and COMP_CWORD set as bash sets them, the function called.
cat >"$TMP/t.bash" <<'SH'
. "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _modelmem
      printf '%s\n' "${COMPREPLY[@]}"; }
"$2" "${@:3}"
SH
bash_complete() {
    bash "$TMP/t.bash" "$DIR/modelmem" t modelmem "$@" >"$TMP/got" 2>"$ERR" \
        || fail "bash: completing '$*' failed"
}
LAST="bash completion"
bash_complete ins
has inspect "$TMP/got" || fail "bash: 'ins' does not complete to inspect"
bash_complete --run
has --runtime "$TMP/got" || fail "bash: '--run' does not complete to --runtime"
bash_complete model --runtime v
has vllm "$TMP/got" || fail "bash: '--runtime v' does not complete to vllm"
bash_complete scan --sort p
has params "$TMP/got" || fail "bash: 'scan --sort p' does not complete to params"
bash_complete model --gpu H10
has H100-80GB "$TMP/got" || fail "bash: '--gpu H10' does not offer H100-80GB"
bash_complete model --dtypes float32,bf
has float32,bfloat16 "$TMP/got" || fail "bash: '--dtypes float32,bf' does not complete the item"
bash_complete model --kv-dtype=fp
has fp8 "$TMP/got" || fail "bash: '--kv-dtype=fp' does not offer fp8"
bash_complete inspect --
has --json "$TMP/got" || fail "bash: inspect's options lack --json"
has --dtypes "$TMP/got" && fail "bash: inspect offers estimate's --dtypes"
bash_complete serve --
has --listen "$TMP/got" || fail "bash: serve's options lack --listen"
has --json "$TMP/got" && fail "bash: serve offers --json"

# zsh: outside the completion system, `words` and CURRENT are plain
# parameters; compadd, _describe and _files are stubs that print what
# they are offered (zsh narrows it to the prefix itself).
if command -v zsh >/dev/null 2>&1; then
    cat >"$TMP/t.zsh" <<'SH'
compadd() { local a; for a in "$@"; do
    if [[ $a == -a ]]; then print -rl -- ${(P)${@[-1]}}; return; fi
    [[ $a == -* ]] || print -r -- $a; done; }
compset() { :; }
_files() { print -r -- '<files>'; }
_message() { print -r -- '<message>'; }
_describe() { local n=${@[-1]}; print -rl -- ${${(P)n}%%:*}; }
source $1 >/dev/null
shift
words=("$@"); CURRENT=$#; _modelmem
SH
    zsh_complete() {
        zsh -f "$TMP/t.zsh" "$DIR/_modelmem" modelmem "$@" >"$TMP/got" 2>"$ERR" \
            || fail "zsh: completing '$*' failed"
    }
    LAST="zsh completion"
    zsh_complete ins
    has inspect "$TMP/got" || fail "zsh: 'ins' does not offer inspect"
    zsh_complete model --runtime v
    has vllm "$TMP/got" || fail "zsh: '--runtime' does not offer vllm"
    zsh_complete model --gpu H
    has H100-80GB "$TMP/got" || fail "zsh: '--gpu' does not offer H100-80GB"
    zsh_complete scan --
    has --sort "$TMP/got" || fail "zsh: scan's options lack --sort"
    zsh_complete inspect --
    has --dtypes "$TMP/got" && fail "zsh: inspect offers --dtypes"
    zsh_complete model --config c
    has '<files>' "$TMP/got" || fail "zsh: '--config' does not complete file names"
else
    echo "zsh not found: its completion not tested"
fi

# fish: `complete -C` prints the completions of a command line.
if command -v fish >/dev/null 2>&1; then
    fish_complete() {
        fish --no-config -c "source $DIR/modelmem.fish; complete -C '$*'" 2>"$ERR" \
            | cut -f 1 >"$TMP/got" || fail "fish: completing '$*' failed"
    }
    LAST="fish completion"
    fish_complete modelmem ins
    has inspect "$TMP/got" || fail "fish: 'ins' does not complete to inspect"
    fish_complete modelmem --run
    has --runtime "$TMP/got" || fail "fish: '--run' does not complete to --runtime"
    fish_complete modelmem model --runtime v
    has vllm "$TMP/got" || fail "fish: '--runtime v' does not complete to vllm"
    fish_complete modelmem model --gpu H10
    has H100-80GB "$TMP/got" || fail "fish: '--gpu H10' does not offer H100-80GB"
    fish_complete modelmem scan --so
    has --sort "$TMP/got" || fail "fish: 'scan --so' does not complete to --sort"
    fish_complete modelmem inspect --dt
    has --dtypes "$TMP/got" && fail "fish: inspect offers --dtypes"
else
    echo "fish not found: its completion not tested"
fi
finish
