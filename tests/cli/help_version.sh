# help_version.sh BIN - --help goes to stdout with exit 0 wherever it is
# given; --version prints "modelmem X.Y.Z".
. "$(dirname "$0")/lib.sh"
BIN=$1
VERSION=$2

for args in "--help" "-h" "inspect --help" "estimate -h" "estimate --json --help" \
    "verify --help" "scan --help" "serve -h"; do
    # shellcheck disable=SC2086
    run "$BIN" $args
    expect_rc 0
    expect_stderr_empty
    case $(head -n 1 "$OUT") in
    "Usage: modelmem "*) ;;
    *) fail "--help does not start with 'Usage: modelmem '" ;;
    esac
done
# each command's --help: its usage line and only its options
run "$BIN" --help
cp "$OUT" "$TMP/help1"
grep -q -- '--dtypes' "$OUT" || fail "--help does not list --dtypes"
grep -q -- '--listen' "$OUT" || fail "--help does not list --listen"
run "$BIN" estimate -h
grep -q -- '--dtypes' "$OUT" || fail "estimate -h does not list --dtypes"
grep -q -- '--listen' "$OUT" && fail "estimate -h lists serve's --listen"
run "$BIN" inspect -h
cmp -s "$OUT" "$TMP/help1" && fail "inspect -h is the whole --help"
expect_eq "inspect usage" "$(head -n 1 "$OUT" | cut -c 1-40)" \
    "Usage: modelmem inspect TARGET [options]"
grep -q -- '--dtypes' "$OUT" && fail "inspect -h lists estimate's --dtypes"
grep -q -- '--json' "$OUT" || fail "inspect -h does not list --json"
run "$BIN" serve --help
grep -q -- '--listen' "$OUT" || fail "serve --help does not list --listen"
grep -q -- '--json' "$OUT" && fail "serve --help lists --json"
# the table's names are those "did you mean" offers
run "$BIN" inspect --jsn model.safetensors
expect_rc 2
grep -q "did you mean '--json'" "$ERR" || fail "--jsn: no hint of --json"

run "$BIN" --version
expect_rc 0
expect_stderr_empty
expect_eq "--version" "$(cat "$OUT")" "modelmem $VERSION"
expect_eq "--version lines" "$(wc -l <"$OUT" | tr -d ' ')" 1
finish
