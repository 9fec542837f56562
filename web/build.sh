#!/bin/sh
# web/build.sh - builds the calculator page that needs no server into
# web/dist/, a folder to put on any static host (or open from file://):
#   index.html, style.css, favicon.svg, *.js, views/
#                                the page `modelmem serve` serves, as it is
#                                in web/ (api.js finds no /api/models and
#                                uses local.js instead)
#   modelmem.js + modelmem.wasm  the library and the command line's estimate
#                                and inspect (src/), with Emscripten
#   worker.js                    the Web Worker that runs them on the files
#                                the page was given (WORKERFS)
#   local.js                     the ES module api.js imports
# Installs nothing: it needs Debian's emscripten package (README, "Web
# calculator without a server"). Objects go to $WASM_BUILD (default
# build-wasm/); JOBS compilers run at once (default 2).
set -eu
cd "$(dirname "$0")/.."

if ! command -v emcc >/dev/null 2>&1; then
    echo "web/build.sh: emcc not found (Debian: apt-get install emscripten)" >&2
    exit 1
fi
# Debian's emcc runs its JavaScript optimizer with node and Debian's acorn
# (/usr/share/nodejs), which a node from elsewhere does not look in.
NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
export NODE_PATH

BUILD=${WASM_BUILD:-build-wasm}
DIST=web/dist
JOBS=${JOBS:-2}
mkdir -p "$BUILD/obj" "$DIST"

# The project's warnings (CMakeLists.txt), errors here too. clang, unlike
# gcc, asks for a format attribute on a static vprintf-style helper in
# src/cli/util.c: left to the native build's compilers.
WARN="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes
 -Wmissing-prototypes -Wcast-qual -Wvla -Wformat=2 -Wundef -Wno-format-nonliteral -Werror"
CFLAGS="-std=c11 -O2 -flto -D_XOPEN_SOURCE=700 -Iinclude -Isrc
 -Iweb/wasm/third_party -Iweb/wasm/third_party/zlib"
# Vendored cJSON and zlib (web/wasm/third_party/README.md): the native
# build links Debian's; Emscripten has no Debian package of either.
TP_FLAGS="-std=c11 -O2 -flto -w -Iweb/wasm/third_party/zlib"

SOURCES=$(ls src/core/*.c src/formats/*.c src/formats/torch/*.c src/model/*.c \
    src/estimate/*.c src/cli/*.c web/wasm/modelmem_wasm.c |
    grep -v -e '^src/cli/main\.c$' -e '^src/cli/cmd_serve\.c$' -e '^src/cli/serve_')
THIRD="web/wasm/third_party/cjson/cJSON.c"
for f in adler32 crc32 inffast inflate inftrees zutil; do
    THIRD="$THIRD web/wasm/third_party/zlib/$f.c"
done

# One object per source, JOBS at a time; a source newer than its object
# (or a header newer than it: any .h below src/ or include/, or this
# script) is rebuilt.
NEWEST_H=$(ls -t include/*.h $(find src -name "*.h") web/build.sh | head -n 1)
obj_of() { echo "$BUILD/obj/$(echo "$1" | tr '/' '_' | sed 's/\.c$/.o/')"; }
list=""
for f in $SOURCES $THIRD; do
    o=$(obj_of "$f")
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$NEWEST_H" -nt "$o" ]; then
        list="$list $f"
    fi
done
export BUILD CFLAGS WARN TP_FLAGS
for f in $list; do echo "$f"; done | xargs -r -P "$JOBS" -n 1 sh -c '
    f=$1; o="$BUILD/obj/$(echo "$f" | tr "/" "_" | sed "s/\.c\$/.o/")"
    case $f in
        web/wasm/third_party/*) emcc $TP_FLAGS -c "$f" -o "$o" ;;
        *) emcc $CFLAGS $WARN -c "$f" -o "$o" ;;
    esac' sh

OBJS=""
for f in $SOURCES $THIRD; do OBJS="$OBJS $(obj_of "$f")"; done

# The page and the back end's scripts, copied when changed.
copy_page() {
    mkdir -p "$DIST/views"
    for f in web/index.html web/style.css web/favicon.svg web/*.js web/views/*.js \
        web/wasm/worker.js web/wasm/local.js; do
        case $f in
            web/wasm/*) d="$DIST/${f#web/wasm/}" ;;
            *) d="$DIST/${f#web/}" ;;
        esac
        cmp -s "$f" "$d" || cp "$f" "$d"
    done
}

# Nothing newer than the module: only the page to copy.
newer=$(find $OBJS web/wasm/library_modelmem.js web/build.sh -newer "$DIST/modelmem.wasm" \
    2>/dev/null | head -n 1) || true
if [ -z "$list" ] && [ -f "$DIST/modelmem.wasm" ] && [ -z "$newer" ]; then
    copy_page
    echo "web/build.sh: $DIST is up to date"
    exit 0
fi

# No pthreads: the loader's pthread_create fails, and it reads every file on
# the calling thread, as it does when a thread cannot be started.
emcc -O2 -flto $OBJS -o "$DIST/modelmem.js" \
    --no-entry \
    -lworkerfs.js \
    --js-library web/wasm/library_modelmem.js \
    -sENVIRONMENT=worker \
    -sMODULARIZE=1 -sEXPORT_NAME=createModelmem \
    -sFORCE_FILESYSTEM=1 \
    -sALLOW_MEMORY_GROWTH=1 \
    -sEXPORTED_FUNCTIONS=_mm_wasm_run,_mm_wasm_scan,_malloc,_free \
    -sEXPORTED_RUNTIME_METHODS=FS,stringToUTF8,lengthBytesUTF8 \
    -sINCOMING_MODULE_JS_API=mmSink,print,printErr,locateFile

copy_page
# web/dist/ is built, never committed.
printf '*\n' > "$DIST/.gitignore"
echo "web/build.sh: built $DIST"
