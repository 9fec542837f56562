# help_version.sh BIN - --help goes to stdout with exit 0 wherever it is
# given; --version prints "modelmem X.Y.Z".
. "$(dirname "$0")/lib.sh"
BIN=$1
VERSION=$2

for args in "--help" "-h" "inspect --help" "estimate -h" "estimate --json --help"; do
    # shellcheck disable=SC2086
    run "$BIN" $args
    expect_rc 0
    expect_stderr_empty
    case $(head -n 1 "$OUT") in
    "Usage: modelmem "*) ;;
    *) fail "--help does not start with 'Usage: modelmem '" ;;
    esac
    grep -q -- '--dtypes' "$OUT" || fail "--help does not list --dtypes"
done
run "$BIN" --help
cp "$OUT" "$TMP/help1"
run "$BIN" inspect -h
cmp -s "$OUT" "$TMP/help1" || fail "inspect -h differs from --help"

run "$BIN" --version
expect_rc 0
expect_stderr_empty
expect_eq "--version" "$(cat "$OUT")" "modelmem $VERSION"
expect_eq "--version lines" "$(wc -l <"$OUT" | tr -d ' ')" 1
finish
