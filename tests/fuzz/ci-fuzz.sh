#!/usr/bin/env bash
# ci-fuzz.sh - builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang,
# AddressSanitizer, UndefinedBehaviorSanitizer and -fno-sanitize-recover=all,
# and runs each for a bounded time from its seed corpus and dictionary.
# A crash, a leak, a timeout or an out-of-memory fails the run, and the input
# that caused it is printed (base64 and hex dump) so that it can be copied
# into tests/fuzz/crashes/NAME/ from the CI log.
#
# Environment:
#   MODELMEM_FUZZ_SECONDS   seconds per target (default 30)
#   MODELMEM_FUZZ_TARGETS   names to run (default: every fuzz_*.c), e.g. "gguf json"
#   MODELMEM_FUZZ_BUILD     build folder (default build-fuzz)
#   CC                      the clang to use (default clang)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${MODELMEM_FUZZ_SECONDS:-30}
BUILD=${MODELMEM_FUZZ_BUILD:-build-fuzz}
CLANG=${CC:-clang}
case $SECONDS_EACH in
'' | *[!0-9]*) echo "ci-fuzz: MODELMEM_FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;;
esac

# Can $CLANG build a libFuzzer program? (Debian: clang, whose recommended
# libclang-rt-N-dev holds the fuzzer runtime.)
can_fuzz() {
    command -v "$CLANG" >/dev/null 2>&1 || return 1
    probe=$(mktemp -d "${TMPDIR:-/tmp}/modelmem-probe.XXXXXX")
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        >"$probe/p.c"
    "$CLANG" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1
    rc=$?
    rm -rf "$probe"
    return $rc
}
if ! can_fuzz && [ "$CLANG" = clang ] && command -v apt-get >/dev/null 2>&1; then
    # CI runs on a fresh Debian machine whose Quick start installs gcc only
    echo "ci-fuzz: installing clang for libFuzzer"
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then
        as_root=sudo
    fi
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
fi
if ! can_fuzz; then
    echo "ci-fuzz: $CLANG cannot build libFuzzer programs (-fsanitize=fuzzer); install clang" >&2
    exit 1
fi

names=${MODELMEM_FUZZ_TARGETS:-}
if [ -z "$names" ]; then
    for f in tests/fuzz/fuzz_*.c; do
        n=${f#tests/fuzz/fuzz_}
        names="$names ${n%.c}"
    done
fi
targets=""
for n in $names; do
    targets="$targets fuzz_$n"
done

# the command too: clang's warnings (as errors) then cover every file
targets="$targets modelmem_cli"
echo "ci-fuzz: building$targets with $CLANG"
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER="$CLANG" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMODELMEM_BUILD_FUZZERS=ON -DMODELMEM_SANITIZE=ON -DMODELMEM_WERROR=ON \
    -DMODELMEM_BUILD_TESTS=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" --target $targets >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/modelmem-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for n in $names; do
    corpus="$WORK/corpus-$n"
    art="$WORK/artifacts-$n/"
    mkdir -p "$corpus" "$art"
    dict=()
    if [ -f "tests/fuzz/$n.dict" ]; then
        dict=("-dict=tests/fuzz/$n.dict")
    fi
    seeds=()
    for d in "tests/fuzz/corpus/$n" "tests/fuzz/crashes/$n"; do
        if [ -d "$d" ]; then
            seeds+=("$d")
        fi
    done
    echo "ci-fuzz: fuzz_$n for ${SECONDS_EACH}s"
    # new inputs go to a scratch corpus: the committed seeds stay as they are
    if "$BUILD/tests/fuzz_$n" "$corpus" "${seeds[@]}" "${dict[@]}" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$art" >"$WORK/log-$n" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$WORK/log-$n" || true
        continue
    fi
    status=1
    tail -n 60 "$WORK/log-$n"
    for a in "$art"*; do
        [ -f "$a" ] || continue
        echo "ci-fuzz: fuzz_$n failed on $(basename "$a") ($(wc -c <"$a") bytes)."
        echo "ci-fuzz: reproduce: base64 -d > tests/fuzz/crashes/$n/$(basename "$a") <<'B64'"
        base64 "$a"
        echo "B64"
        echo "ci-fuzz: hex dump (first 4 KiB):"
        head -c 4096 "$a" | od -A x -t x1z -v
    done
done
if [ "$status" -ne 0 ]; then
    echo "ci-fuzz: FAILED: add each reproducer above to tests/fuzz/crashes/NAME/ and fix it" >&2
else
    echo "ci-fuzz: every target ran ${SECONDS_EACH}s without a crash, leak or timeout"
fi
exit "$status"
