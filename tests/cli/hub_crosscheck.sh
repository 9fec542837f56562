# hub_crosscheck.sh BIN FIXTURES TOOL - logical_parameters equals the
# Hugging Face Hub's own count (@huggingface/hub parseSafetensorsMetadata,
# run by ../shared/tools/hfhub-count.mjs) on every quantized fixture.
# Needs node and HFHUB_DIR (a node_modules holding @huggingface/hub);
# skipped (77) without them.
. "$(dirname "$0")/lib.sh"
BIN=$1
FIX=$2
TOOL=$3
if ! command -v node >/dev/null 2>&1 || [ -z "${HFHUB_DIR:-}" ] ||
    [ ! -d "${HFHUB_DIR:-}/@huggingface/hub" ] || [ ! -f "$TOOL" ]; then
    echo "skipped: node, HFHUB_DIR with @huggingface/hub, or $TOOL missing"
    exit 77
fi
cd "$FIX" || exit 1
for d in gptq awq bnb4 fp8 mlx mxfp4 compressed tiny-llama hub-*; do
    hub=$(node "$TOOL" "$d" | sed -n 's/.*"parameterCount":{\([^}]*\)}.*/\1/p' |
        tr ',' '\n' | sed 's/.*://' | awk '{ s += $1 } END { print s }')
    run "$BIN" "$d" --json
    ours=$(sed -n 's/^  "logical_parameters": \([0-9]*\),$/\1/p' "$OUT")
    [ -n "$hub" ] && [ "$hub" = "$ours" ] || fail "$d: the Hub counts '$hub', modelmem '$ours'"
done
finish
