#!/bin/sh
# malformed.sh BINARY FIXTURES - every malformed safetensors fixture, as a
# user runs it: estimate, inspect --json and verify each exit 1; estimate
# and inspect print one line on stderr naming the file, and nothing on
# stdout (inspect --json: the error document); verify --json still prints
# its report (a JSON document). A missing shard is the exception for
# estimate, which estimates it and says so (partial).
. "$(dirname "$0")/lib.sh"
BIN=$1
FIX=$2
n=0
for f in "$FIX"/safetensors/malformed/* "$FIX"/safetensors/malformed-dirs/*; do
    n=$((n + 1))
    base=$(basename "$f")
    run "$BIN" "$f"
    if [ "$base" = shard-missing ]; then
        expect_rc 0
        grep -q '^partial: 1 of 2 shards missing' "$OUT" || fail "not marked partial"
    else
        expect_rc 1
        expect_no_data
        expect_stderr_one_line "modelmem: "
        grep -q "$base" "$ERR" || fail "the error does not name $base"
    fi
    run "$BIN" inspect --json "$f"
    expect_rc 1
    expect_no_data
    expect_stderr_one_line "modelmem: "
    run "$BIN" verify "$f"
    expect_rc 1
done
[ "$n" -ge 27 ] || fail "only $n malformed fixtures"
finish
