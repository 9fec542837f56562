# install.sh BUILD_DIR SOURCE_DIR [CFLAGS] - `cmake --install BUILD_DIR --prefix P` into
# a temporary prefix, as a packager does, then the README's library example
# built with `pkg-config --cflags --libs modelmem` from that prefix and run:
# the installed modelmem.pc must name P, whatever prefix was configured.
. "$(dirname "$0")/lib.sh"
BUILD=$1
SRC=$2
# CFLAGS: -fsanitize=... when the library was built with the sanitizers
EXTRA=${3:-}
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not found: skipped"; exit 77; }
command -v cc >/dev/null 2>&1 || { echo "cc not found: skipped"; exit 77; }
PREFIX="$TMP/prefix with space"
run cmake --install "$BUILD" --prefix "$PREFIX"
expect_rc 0
PC=$(find "$PREFIX" -name modelmem.pc | head -n 1)
[ -n "$PC" ] || fail "modelmem.pc not installed under $PREFIX"
[ -x "$PREFIX/bin/modelmem" ] || fail "modelmem not installed in $PREFIX/bin"
[ -f "$PREFIX/include/modelmem.h" ] || fail "modelmem.h not installed"
for f in share/bash-completion/completions/modelmem share/zsh/site-functions/_modelmem \
    share/fish/vendor_completions.d/modelmem.fish; do
    [ -s "$PREFIX/$f" ] || fail "$f not installed"
done
grep -q "^prefix=$PREFIX\$" "$PC" || fail "modelmem.pc does not name the install prefix: $(head -n 1 "$PC")"
PKG_CONFIG_PATH=$(dirname "$PC")
export PKG_CONFIG_PATH
# pkg-config splits on spaces: quote-free flags come from the variables.
LIBDIR=$(pkg-config --variable=libdir modelmem)
INCDIR=$(pkg-config --variable=includedir modelmem)
expect_eq "libdir" "$LIBDIR" "$(dirname "$PKG_CONFIG_PATH")"
expect_eq "includedir" "$INCDIR" "$PREFIX/include"
run pkg-config --modversion modelmem
expect_rc 0
# shellcheck disable=SC2086 # EXTRA is a list of flags
run cc $EXTRA "$SRC/examples/estimate.c" -I"$INCDIR" -L"$LIBDIR" -lmodelmem -o "$TMP/estimate"
expect_rc 0
run env LD_LIBRARY_PATH="$LIBDIR" "$TMP/estimate" "$SRC/fixtures/tiny-llama"
expect_rc 0
grep -q "26784 parameters" "$OUT" || fail "the example printed: $(head -n 3 "$OUT")"
finish
