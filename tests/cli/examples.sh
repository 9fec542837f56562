# examples.sh BIN README MAN DATA REPO - every example in the README's
# "Usage" section and in modelmem(1) EXAMPLES runs as written (the idea of
# jq's man.test). An example is a line "$ modelmem ..." in a code block; it
# must exit 0 unless it ends with "# exit N". Examples run with the built
# modelmem first on PATH, in a scratch folder holding tests/cli/data's
# models (model.safetensors, my-model/, broken.safetensors) and the
# repository's fixtures/ when present; an example naming fixtures/ that
# are not there yet is skipped with a note.
. "$(dirname "$0")/lib.sh"
BIN=$1
README=$2
MAN=$3
DATA=$4
REPO=$5

BINDIR=$(cd "$(dirname "$BIN")" && pwd)
[ "$(basename "$BIN")" = modelmem ] || { echo "BIN must be named modelmem" >&2; exit 1; }
mkdir "$TMP/work"
cp -R "$DATA/." "$TMP/work/"
if [ -d "$REPO/fixtures" ]; then
    ln -s "$REPO/fixtures" "$TMP/work/fixtures"
fi

# README: "$ " lines inside ``` blocks of the "## Usage" section.
awk '/^## /   { on = ($0 ~ /^## Usage/) }
     /^```/   { code = !code; next }
     on && code && /^\$ modelmem/ { sub(/^\$ /, ""); print }' "$README" >"$TMP/readme.ex"
# man: "$ " lines between .EX and .EE in EXAMPLES, troff escapes undone.
awk '/^\.SH /  { on = ($0 ~ /^\.SH "?EXAMPLES"?$/); next }
     /^\.EX/   { code = 1; next }
     /^\.EE/   { code = 0; next }
     on && code && /^\\\$ modelmem|^\$ modelmem/ {
         sub(/^\\?\$ /, "")
         gsub(/\\-/, "-"); gsub(/\\\(aq/, "\047"); gsub(/\\\(dq/, "\""); gsub(/\\e/, "\\")
         print
     }' "$MAN" >"$TMP/man.ex"

n_readme=$(wc -l <"$TMP/readme.ex")
n_man=$(wc -l <"$TMP/man.ex")
[ "$n_readme" -ge 5 ] || fail "only $n_readme examples found in the README's Usage section"
[ "$n_man" -ge 5 ] || fail "only $n_man examples found in modelmem(1) EXAMPLES"

ran=0
skipped=0
for src in readme man; do
    while IFS= read -r cmd; do
        want=0
        case $cmd in
        *"# exit "[0-9]) want=${cmd##*# exit } ;;
        esac
        case $cmd in
        "modelmem serve"*)
            # a server runs until stopped: tests/web/serve_api.sh runs it
            echo "note: not run ($src): $cmd  (a server; see tests/web/)"
            continue
            ;;
        esac
        missing=""
        for word in $cmd; do
            case $word in
            fixtures/*) [ -e "$TMP/work/${word%@*}" ] || missing=$word ;; # less any @REVISION
            esac
        done
        if [ -n "$missing" ]; then
            echo "note: skipped ($src): $cmd  ($missing is not in this checkout)"
            skipped=$((skipped + 1))
            continue
        fi
        LAST="($src) $cmd"
        (cd "$TMP/work" && PATH="$BINDIR:$PATH" sh -c "$cmd") >"$OUT" 2>"$ERR" </dev/null
        RC=$?
        ran=$((ran + 1))
        expect_rc "$want"
        if [ "$want" -eq 0 ]; then
            [ -s "$OUT" ] || fail "example printed nothing"
        else
            expect_stdout_empty
            expect_stderr_one_line "modelmem: "
        fi
    done <"$TMP/$src.ex"
done
echo "examples: $ran ran, $skipped skipped"
finish
