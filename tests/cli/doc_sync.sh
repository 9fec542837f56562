# doc_sync.sh README MAN ERROR_C HEADER EXAMPLE - every error-code name in
# src/error.c and every MM_LIMIT_* in modelmem.h appear in both the README
# and modelmem(1), with the limits' values; the README's C example is
# examples/estimate.c, which the suite builds and runs.
. "$(dirname "$0")/lib.sh"
README=$1
MAN=$2
ERROR_C=$3
HEADER=$4
EXAMPLE=$5

sed -n 's/^ *\[MM_E_[A-Z0-9_]*\] = "\([a-z0-9-]*\)",$/\1/p' "$ERROR_C" >"$TMP/codes"
[ "$(wc -l <"$TMP/codes")" -ge 30 ] || fail "fewer than 30 error codes found in $ERROR_C"
sed -n 's/^#define \(MM_LIMIT_[A-Z0-9_]*\) .*/\1/p' "$HEADER" >"$TMP/limits"
[ "$(wc -l <"$TMP/limits")" -ge 8 ] || fail "fewer than 8 limits found in $HEADER"
# Undo troff's \- so that names compare.
sed 's/\\-/-/g; s/\\(en/-/g' "$MAN" >"$TMP/man.txt"

for doc in "$README" "$TMP/man.txt"; do
    while read -r code; do
        grep -q -- "$code" "$doc" || fail "error code '$code' is not in $doc"
    done <"$TMP/codes"
    while read -r lim; do
        grep -q -- "$lim" "$doc" || fail "limit $lim is not in $doc"
    done <"$TMP/limits"
done
# Every limit's value, as the man page prints it (commas aside), matches
# the header.
sed 's/\([0-9]\),\([0-9]\)/\1\2/g; s/\([0-9]\),\([0-9]\)/\1\2/g' "$TMP/man.txt" >"$TMP/man.num"
while read -r lim; do
    value=$(sed -n "s/^#define $lim \([0-9]*\)u*l*l*\$/\1/p" "$HEADER")
    grep -A2 -- "$lim" "$TMP/man.num" | grep -q -- "$value" ||
        fail "modelmem(1) does not give $lim's value $value"
done <"$TMP/limits"

awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$README" >"$TMP/readme.c"
if ! cmp -s "$TMP/readme.c" "$EXAMPLE"; then
    fail "the README's C example differs from $EXAMPLE (- README, + file):"
    diff -u "$TMP/readme.c" "$EXAMPLE" >&2
fi
finish
