# serve_lib.sh - starting and stopping `modelmem serve` in tests (POSIX sh,
# sourced after tests/cli/lib.sh).
#
#   serve_start LOG ARGS...   starts `$BIN serve ARGS... --listen 127.0.0.1:0`
#                             in the background; $URL is the URL it printed,
#                             $SPID its process id; stderr goes to LOG
#   serve_stop [SIGNAL]       stops it (TERM by default), waits; $SRC its status
#                             (when not 0, LOG is printed: a sanitizer's report
#                             at exit shows in the test's output)

serve_start() {
    SERVE_LOG=$1
    log=$1
    shift
    : >"$TMP/url"
    "$BIN" serve "$@" --listen 127.0.0.1:0 >"$TMP/url" 2>"$log" &
    SPID=$!
    i=0
    while [ ! -s "$TMP/url" ] && [ "$i" -lt 200 ]; do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    URL=$(head -n 1 "$TMP/url")
    case $URL in
    http://127.0.0.1:*/) ;;
    *)
        echo "FAIL: modelmem serve did not print its URL" >&2
        cat "$log" >&2
        kill "$SPID" 2>/dev/null
        exit 1
        ;;
    esac
}

serve_stop() {
    kill "-${1:-TERM}" "$SPID" 2>/dev/null
    wait "$SPID"
    SRC=$?
    if [ "$SRC" -ne 0 ]; then
        echo "modelmem serve exited with status $SRC; its standard error:" >&2
        cat "$SERVE_LOG" >&2
    fi
}

# get PATH [CURL ARGS...]: status in $CODE, body in $TMP/body, headers in
# $TMP/headers.
get() {
    p=$1
    shift
    CODE=$(curl -s --path-as-is -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" \
        "${URL%/}$p")
}
