#!/usr/bin/env bash
# run_bench.sh - modelmem's speed benchmark (tests/bench/README.md).
#
#   tests/bench/run_bench.sh [BUILD_DIR] [RUNS]
#
# Builds nothing: BUILD_DIR (default build/) must hold a built modelmem and
# tests/bench/{gen_layout,floor,measure}; configure it with
# -DCMAKE_BUILD_TYPE=Release for numbers worth reporting. Generates the
# DeepSeek-V3-like and Llama-3-70B-like layouts as sparse files in a
# temporary folder (removed at exit), times each command RUNS times
# (default 5) and reports medians of whole-process wall time and peak RSS,
# as ratios to the floor program measured in the same run. Then the
# linearity check (1/4, 1/2 and all of the DeepSeek shards) and a check of
# modelmem's counts against Python's json module.
#
# Exit status: 0 when every target and check is met, 1 otherwise, 2 on
# a usage or setup error.
set -euo pipefail

BUILD=${1:-build}
RUNS=${2:-5}
MODELMEM=${MODELMEM:-$BUILD/modelmem} # override to compare two builds
GEN=$BUILD/tests/bench/gen_layout
FLOOR=$BUILD/tests/bench/floor
MEASURE=$BUILD/tests/bench/measure
for prog in "$MODELMEM" "$GEN" "$FLOOR" "$MEASURE"; do
    if [ ! -x "$prog" ]; then
        echo "run_bench: $prog not found: build first, e.g." >&2
        echo "  cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2" >&2
        exit 2
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mm_bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failed=0

# gen KIND NAME [KEEP]: writes a layout, prints the generator's summary line.
gen() {
    if [ $# -gt 2 ]; then
        "$GEN" "$1" "$TMP/$2" --keep "$3" >"$TMP/$2.gen"
    else
        "$GEN" "$1" "$TMP/$2" >"$TMP/$2.gen"
    fi
}

# field FILE KEY: an integer member of the generator's summary line.
field() {
    sed -n "s/.*\"$2\": \\([0-9]*\\).*/\\1/p" "$1"
}

# measure CMD...: sets WALL_NS and RSS_KIB (medians of RUNS runs).
measure() {
    local out
    out=$("$MEASURE" -n "$RUNS" -- "$@")
    WALL_NS=${out%% *}
    out=${out#* }
    RSS_KIB=${out%% *}
}

echo "modelmem speed benchmark: $MODELMEM, $RUNS runs each (medians), $(nproc) CPUs online, $(date -u +%Y-%m-%d)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
gen deepseek deepseek
gen llama llama
echo
printf '%-9s %8s %7s %10s\n' layout tensors shards "header MB"
for L in deepseek llama; do
    printf '%-9s %8s %7s %10.2f\n' "$L" "$(field "$TMP/$L.gen" tensors)" \
        "$(field "$TMP/$L.gen" shards)" \
        "$(awk -v b="$(field "$TMP/$L.gen" header_bytes)" 'BEGIN { print b / 1e6 }')"
done

echo
printf '%-9s %-16s %9s %8s %13s\n' layout command "wall ms" "x floor" "peak RSS MiB"
for L in deepseek llama; do
    measure "$FLOOR" "$TMP/$L"
    floor_ns=$WALL_NS
    printf '%-9s %-16s %9.2f %8.2f %13.1f\n' "$L" floor "$(awk -v n="$WALL_NS" 'BEGIN { print n / 1e6 }')" \
        1 "$(awk -v k="$RSS_KIB" 'BEGIN { print k / 1024 }')"
    # the headers-only floor: the shards' headers, not the index
    measure "$FLOOR" --no-index "$TMP/$L"
    hfloor_ns=$WALL_NS
    printf '%-9s %-16s %9.2f %8.2f %13.1f\n' "$L" "floor --no-index" \
        "$(awk -v n="$WALL_NS" 'BEGIN { print n / 1e6 }')" \
        "$(awk -v n="$WALL_NS" -v f="$floor_ns" 'BEGIN { printf "%.2f", n / f }')" \
        "$(awk -v k="$RSS_KIB" 'BEGIN { print k / 1024 }')"
    for cmd in estimate inspect; do
        measure "$MODELMEM" "$cmd" --json "$TMP/$L"
        ratio=$(awk -v n="$WALL_NS" -v f="$floor_ns" 'BEGIN { printf "%.2f", n / f }')
        hratio=$(awk -v n="$WALL_NS" -v f="$hfloor_ns" 'BEGIN { printf "%.2f", n / f }')
        printf '%-9s %-16s %9.2f %8s %13.1f  (%sx headers-only)\n' "$L" "$cmd --json" \
            "$(awk -v n="$WALL_NS" 'BEGIN { print n / 1e6 }')" "$ratio" \
            "$(awk -v k="$RSS_KIB" 'BEGIN { print k / 1024 }')" "$hratio"
        if [ "$L" = deepseek ]; then
            eval "${cmd}_ratio=$ratio ${cmd}_hratio=$hratio ${cmd}_rss=$RSS_KIB"
        fi
    done
done

# verdict NAME VALUE OP LIMIT: prints one target line, records a failure.
verdict() {
    if awk -v v="$2" -v l="$4" "BEGIN { exit !(v $3 l) }"; then
        printf '  %-34s %10s  met\n' "$1" "$2"
    else
        printf '  %-34s %10s  NOT MET\n' "$1" "$2"
        failed=1
    fi
}
echo
echo "targets (deepseek layout):"
verdict "estimate --json <= 10x floor" "$estimate_ratio" "<=" 10
# issue 13's: the headers-only floor, what a reader listing the shards must do
verdict "estimate --json <= 8x headers-only" "$estimate_hratio" "<=" 8
verdict "inspect --json <= 20x floor" "$inspect_ratio" "<=" 20
peak_kib=$(( estimate_rss > inspect_rss ? estimate_rss : inspect_rss ))
verdict "peak RSS <= 64 MiB (MiB)" "$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')" "<=" 64

echo
echo "linearity (deepseek layout, first 1/4, 1/2 and all of the shards):"
gen deepseek ds41 41
gen deepseek ds82 82
printf '  %6s %8s %9s %12s %10s %12s %10s\n' shards tensors "floor ms" "estimate ms" "ns/tensor" \
    "inspect ms" "ns/tensor"
for s in 41 82 163; do
    dir=ds$s
    [ "$s" = 163 ] && dir=deepseek
    n=$(field "$TMP/$dir.gen" tensors)
    measure "$FLOOR" "$TMP/$dir"
    f=$WALL_NS
    measure "$MODELMEM" estimate --json "$TMP/$dir"
    e=$WALL_NS
    measure "$MODELMEM" inspect --json "$TMP/$dir"
    i=$WALL_NS
    eval "per_e_$s=$(( e / n )) per_i_$s=$(( i / n ))"
    awk -v s="$s" -v n="$n" -v f="$f" -v e="$e" -v i="$i" 'BEGIN {
        printf "  %6d %8d %9.2f %12.2f %10.0f %12.2f %10.0f\n", s, n, f / 1e6, e / 1e6, e / n,
            i / 1e6, i / n }'
done
# Fixed costs make small layouts dearer per tensor, never cheaper; a step
# slower than linear shows as the full layout costing more per tensor.
verdict "estimate ns/tensor, all vs 1/4 (x)" \
    "$(awk -v a="$per_e_163" -v b="$per_e_41" 'BEGIN { printf "%.2f", a / b }')" "<=" 1.25
verdict "inspect ns/tensor, all vs 1/4 (x)" \
    "$(awk -v a="$per_i_163" -v b="$per_i_41" 'BEGIN { printf "%.2f", a / b }')" "<=" 1.25

echo
echo "parameters per dtype, modelmem inspect --json vs Python's json module on the headers:"
for L in deepseek llama; do
    "$MODELMEM" inspect --json "$TMP/$L" >"$TMP/$L.inspect.json"
    if ! command -v python3 >/dev/null 2>&1; then
        echo "  $L: SKIPPED (no python3)"
        continue
    fi
    res=$(python3 -c '
import json, math, os, sys
d, want, n = sys.argv[1], {}, 0
for f in sorted(os.listdir(d)):
    if f.endswith(".safetensors"):
        with open(os.path.join(d, f), "rb") as fh:
            h = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
        for k, v in h.items():
            if k != "__metadata__":
                want[v["dtype"]] = want.get(v["dtype"], 0) + math.prod(v["shape"])
                n += 1
t = json.load(open(sys.argv[2]))["totals"]
ok = t["parameters_by_dtype"] == want and t["tensors"] == n
print(("OK" if ok else "MISMATCH"), n, "tensors", json.dumps(want, sort_keys=True),
      "" if ok else "modelmem: %d %s" % (t["tensors"], json.dumps(t["parameters_by_dtype"])))
' "$TMP/$L" "$TMP/$L.inspect.json")
    echo "  $L: $res"
    case $res in OK*) ;; *) failed=1 ;; esac
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
