# hub_crosscheck.sh BIN FIXTURES TOOL [BUILDDIR] - logical_parameters equals
# the Hugging Face Hub's own count (@huggingface/hub parseSafetensorsMetadata,
# run by ../shared/tools/hfhub-count.mjs) on every quantized fixture, and
# on 100 random quantized checkpoints (tests/hub_diff.py, seed 1).
# @huggingface/hub comes from HFHUB_DIR (a node_modules holding it) or,
# with BUILDDIR, is installed into BUILDDIR/hub-node/node_modules at the
# version tests/cli/hub/package-lock.json pins (npm ci, once). Skipped (77),
# with the reason, without node, npm, the package or ../shared.
. "$(dirname "$0")/lib.sh"
BIN=$1
FIX=$2
TOOL=$3
BUILDDIR=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
skip() {
    echo "skipped: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node not found (apt-get install nodejs)"
[ -f "$TOOL" ] || skip "$TOOL not found (../shared is absent)"
if [ -z "${HFHUB_DIR:-}" ] && [ -n "$BUILDDIR" ]; then
    command -v npm >/dev/null 2>&1 || skip "npm not found (apt-get install npm)"
    mkdir -p "$BUILDDIR"
    flock "$BUILDDIR/.hub-node.lock" sh "$here/../web/setup.sh" "$BUILDDIR/hub-node" \
        "$here/hub" @huggingface/hub >"$BUILDDIR/hub-node.log" 2>&1 ||
        skip "npm could not install @huggingface/hub (see $BUILDDIR/hub-node.log)"
    HFHUB_DIR=$BUILDDIR/hub-node/node_modules
fi
[ -d "${HFHUB_DIR:-}/@huggingface/hub" ] ||
    skip "no @huggingface/hub: set HFHUB_DIR to a node_modules holding it"
export HFHUB_DIR
cd "$FIX" || exit 1
for d in gptq awq bnb4 fp8 mlx mxfp4 compressed tiny-llama hub-*; do
    hub=$(node "$TOOL" "$d" | sed -n 's/.*"parameterCount":{\([^}]*\)}.*/\1/p' |
        tr ',' '\n' | sed 's/.*://' | awk '{ s += $1 } END { print s }')
    run "$BIN" "$d" --json
    ours=$(sed -n 's/^  "logical_parameters": \([0-9]*\),$/\1/p' "$OUT")
    [ -n "$hub" ] && [ "$hub" = "$ours" ] || fail "$d: the Hub counts '$hub', modelmem '$ours'"
    echo "$d: $ours parameters, as the Hub counts"
done
# and 100 random quantized checkpoints, the same draw each run (seed 1)
python3 "$here/../hub_diff.py" "$BIN" "$TOOL" 1 100 >"$TMP/diff" 2>&1 ||
    fail "tests/hub_diff.py (seed 1, 100 cases) found disagreements: $(tail -n 5 "$TMP/diff")"
tail -n 1 "$TMP/diff"
finish
