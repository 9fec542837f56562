# readme_sample.sh BIN README SHARED - the sample output at the top of the
# README is what modelmem prints today. The block after the line
# "<!-- sample: ../shared/realmodels/DIR -->" starts with "$ COMMAND"; the
# rest is its output, compared byte for byte after running COMMAND in DIR.
# Skipped (77) when ../shared/realmodels is not there.
. "$(dirname "$0")/lib.sh"
BIN=$1
README=$2
SHARED=$3
BINDIR=$(cd "$(dirname "$BIN")" && pwd)

dir=$(sed -n 's/^<!-- sample: \.\.\/shared\/realmodels\/\([^ ]*\) -->$/\1/p' "$README")
[ -n "$dir" ] || { echo "no '<!-- sample: ../shared/realmodels/DIR -->' line in README" >&2; exit 1; }
if [ ! -d "$SHARED/realmodels/$dir" ]; then
    echo "skipped: $SHARED/realmodels/$dir is not present"
    exit 77
fi
awk '/^<!-- sample: / { want = 1; next }
     want && /^```/   { if (on) exit; on = 1; next }
     on { print }' "$README" >"$TMP/block"
cmd=$(sed -n '1s/^\$ //p' "$TMP/block")
[ -n "$cmd" ] || { echo "the sample block does not start with '\$ COMMAND'" >&2; exit 1; }
sed 1d "$TMP/block" >"$TMP/want"
LAST=$cmd
(cd "$SHARED/realmodels/$dir" && PATH="$BINDIR:$PATH" sh -c "$cmd") >"$OUT" 2>"$ERR"
RC=$?
expect_rc 0
if ! cmp -s "$OUT" "$TMP/want"; then
    fail "the README's sample output differs from modelmem's (- README, + now):"
    diff -u "$TMP/want" "$OUT" >&2
fi
finish
