# serve_load.sh BIN SRCDIR [SECONDS] - a bounded load test of `modelmem
# serve`: wrk on /api/estimate for SECONDS (default 5) after a 2 s warm-up;
# no error responses, no socket errors, and the server's resident memory
# grows by at most RSS_BOUND_KB (default 16 MiB) over the measured run.
# Figures: tests/bench/README.md, "serve under load". Skipped (77) without wrk.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/../web/serve_lib.sh"
BIN=$1
SRCDIR=$2
SECONDS_RUN=${3:-5}
RSS_BOUND_KB=${RSS_BOUND_KB:-16384}
command -v wrk >/dev/null 2>&1 || { echo "wrk not installed: skipped"; exit 77; }
cd "$SRCDIR" || exit 1

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$SPID/status"
}

# Under AddressSanitizer freed memory is held in a quarantine that would
# read as growth: keep it small for this process.
small_quarantine=quarantine_size_mb=4:thread_local_quarantine_size_kb=64
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$small_quarantine"
export ASAN_OPTIONS
serve_start "$TMP/log" fixtures -q
path="api/estimate?model=fixtures/tiny-llama&context=8192&gpu=RTX4090-24GB&train=lora"
wrk -t 2 -c 8 -d 2s "$URL$path" >"$TMP/warm" 2>&1 || fail "wrk (warm-up) failed"
rss0=$(rss_kb)
wrk -t 2 -c 16 -d "${SECONDS_RUN}s" --latency "$URL$path" >"$TMP/wrk" 2>&1 ||
    fail "wrk failed"
rss1=$(rss_kb)
get "/$path"
expect_eq "still serving" "$CODE" 200
serve_stop
expect_eq "exit status after the load" "$SRC" 0

cat "$TMP/wrk"
requests=$(awk '/requests in/ { print $1 }' "$TMP/wrk")
[ "${requests:-0}" -gt 0 ] || fail "no request completed"
grep -q 'Non-2xx or 3xx responses' "$TMP/wrk" && fail "error responses under load"
grep -q 'Socket errors' "$TMP/wrk" && fail "socket errors under load"
growth=$((rss1 - rss0))
echo "serve_load: $requests requests in ${SECONDS_RUN} s; RSS ${rss0} kB -> ${rss1} kB" \
    "(growth ${growth} kB, bound ${RSS_BOUND_KB} kB)"
[ "$growth" -le "$RSS_BOUND_KB" ] || fail "RSS grew by $growth kB under load"
finish
