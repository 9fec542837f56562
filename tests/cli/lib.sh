# lib.sh - helpers the command-line tests share (POSIX sh, sourced).
#
#   run CMD...          runs CMD with stdout, stderr and status kept in
#                       $OUT, $ERR and $RC (files under $TMP)
#   fail MESSAGE        reports and exits 1 (after all other checks ran,
#                       `failures` counts them; `finish` exits with it)
#   expect_rc N         the last run exited N
#   expect_stdout_empty / expect_stderr_empty
#   expect_no_data      a failed run: stdout empty, or with --json on the
#                       command line the one error document only
#   expect_stderr_one_line PREFIX   exactly one line, starting with PREFIX
#   expect_eq WHAT GOT WANT
#
# Exit status 77 means skipped (ctest SKIP_RETURN_CODE).

set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/modelmem-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/stdout"
ERR="$TMP/stderr"
RC=0
failures=0
LAST=""

run() {
    LAST="$*"
    "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

fail() {
    failures=$((failures + 1))
    printf 'FAIL: %s\n  command: %s\n' "$1" "$LAST" >&2
    if [ -s "$OUT" ]; then
        printf '  stdout (first lines):\n' >&2
        head -n 5 "$OUT" | sed 's/^/    /' >&2
    fi
    if [ -s "$ERR" ]; then
        printf '  stderr:\n' >&2
        head -n 5 "$ERR" | sed 's/^/    /' >&2
    fi
}

expect_rc() {
    [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1"
}

expect_stdout_empty() {
    [ ! -s "$OUT" ] || fail "stdout should be empty"
}

expect_no_data() {
    case " $LAST " in
    *" --json "*)
        [ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout should be one error document"
        case $(head -n 1 "$OUT") in
        '{"schema": "modelmem.error/1", "error": {"code": '*) ;;
        *) fail "stdout is not the error document" ;;
        esac
        ;;
    *) expect_stdout_empty ;;
    esac
}

expect_stderr_empty() {
    [ ! -s "$ERR" ] || fail "stderr should be empty"
}

expect_stderr_one_line() {
    lines=$(wc -l <"$ERR")
    [ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected one"
    case $(head -n 1 "$ERR") in
    "$1"*) ;;
    *) fail "stderr does not start with '$1'" ;;
    esac
}

expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

finish() {
    if [ "$failures" -ne 0 ]; then
        printf '%d check(s) failed\n' "$failures" >&2
        exit 1
    fi
    exit 0
}
