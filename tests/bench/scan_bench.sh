#!/usr/bin/env bash
# scan_bench.sh - how long `modelmem scan --json` takes over a Hugging Face
# cache of many small models (tests/bench/README.md, "scan").
#
#   tests/bench/scan_bench.sh [BUILD_DIR] [RUNS] [REPOS]
#
# Builds nothing: BUILD_DIR (default build/) must hold a built modelmem and
# tests/bench/measure; configure it with -DCMAKE_BUILD_TYPE=Release for
# numbers worth reporting. Lays out REPOS repositories (default 10,000)
# with tests/cli/gen_cache.py in a temporary folder (removed at exit),
# reads every header once so that they are in the page cache, then times
# `scan --json` RUNS times (default 5) with its default threads and with
# --threads 1, and `scan --json --context 4096 --gpu H100`, and prints the
# medians of whole-process wall time and peak RSS. It checks the row count
# against the generator's manifest. It asserts no timing (the target,
# under a second, is read off by whoever runs it).
#
# Exit status: 0 when the counts match, 1 otherwise, 2 on a setup error.
set -euo pipefail

BUILD=${1:-build}
RUNS=${2:-5}
REPOS=${3:-10000}
HERE=$(cd "$(dirname "$0")" && pwd)
MODELMEM=${MODELMEM:-$BUILD/modelmem}
MEASURE=$BUILD/tests/bench/measure
for prog in "$MODELMEM" "$MEASURE"; do
    if [ ! -x "$prog" ]; then
        echo "scan_bench: $prog not found: build first, e.g." >&2
        echo "  cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2" >&2
        exit 2
    fi
done
command -v python3 >/dev/null 2>&1 || { echo "scan_bench: python3 not found" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mm_scan_bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "modelmem scan benchmark: $MODELMEM, $REPOS repositories, $RUNS runs each (medians)," \
    "$(nproc) CPUs online, $(date -u +%Y-%m-%d)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
python3 "$HERE/../cli/gen_cache.py" "$TMP/g" --repos "$REPOS" --no-mirror --no-broken
echo "laid out in $(( $(date +%s) - start )) s: $(du -sh "$TMP/g" | cut -f1) on disk," \
    "$(find "$TMP/g/hub" -type l | wc -l) links"
# warm the page cache: every header and config, every folder
"$MODELMEM" scan --json "$TMP/g/hub" >"$TMP/scan.json" || { echo "scan failed" >&2; exit 1; }

failed=0
rows=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
man = json.load(open(sys.argv[2]))
print(len(doc["models"]), len(man["rows"]), doc["totals"]["errors"],
      sum(1 for r in man["rows"] if r["error"]))
' "$TMP/scan.json" "$TMP/g/manifest.json")
set -- $rows
echo "rows: $1 (manifest $2), with errors: $3 (manifest $4)"
[ "$1" = "$2" ] && [ "$3" = "$4" ] || failed=1

printf '\n%-40s %9s %9s %13s\n' command "wall ms" "us/model" "peak RSS MiB"
run() {
    local label=$1 out
    shift
    out=$("$MEASURE" -n "$RUNS" -- "$@")
    set -- $out
    awk -v l="$label" -v n="$1" -v k="$2" -v m="$rows" 'BEGIN {
        split(m, a, " ")
        printf "%-40s %9.1f %9.1f %13.1f\n", l, n / 1e6, n / 1e3 / a[1], k / 1024 }'
}
run "scan --json" "$MODELMEM" scan --json "$TMP/g/hub"
run "scan --json --threads 1" "$MODELMEM" scan --json --threads 1 "$TMP/g/hub"
run "scan --json --context 4096 --gpu H100" "$MODELMEM" scan --json --context 4096 --gpu H100 \
    "$TMP/g/hub"
run "scan (text)" "$MODELMEM" scan "$TMP/g/hub"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
