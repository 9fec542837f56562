#!/bin/sh
# run.sh TEST.mjs [BUILDDIR] - one browser test of the WebAssembly back end (ctest
# web_*; README, "Web calculator without a server"). Brings web/dist up to
# date with web/build.sh when emcc is there (one build at a time), then
# runs the test in node, which drives Debian's headless Chromium. A
# missing node, Chromium, puppeteer-core or build is a skip (exit 77), said
# on stdout; .ci/run installs them all.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

skip() {
    echo "SKIP: $*"
    exit 77
}

command -v node >/dev/null 2>&1 || skip "node not found (apt-get install nodejs)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "${CHROMIUM:-/usr/bin/chromium} not found (apt-get install chromium)"
if [ -n "${2:-}" ]; then
    # the npm packages package-lock.json pins, into BUILDDIR/web-node, once
    command -v npm >/dev/null 2>&1 || skip "npm not found (apt-get install npm)"
    mkdir -p "$2"
    flock "$2/.web-node.lock" sh "$here/setup.sh" "$2/web-node" >"$2/web-node.log" 2>&1 ||
        skip "npm could not install puppeteer-core (see $2/web-node.log)"
    MM_WEB_NODE="$2/web-node"
    export MM_WEB_NODE
elif [ ! -d "$here/node_modules/puppeteer-core" ]; then
    skip "puppeteer-core not installed (tests/web/setup.sh BUILD/web-node)"
fi
if command -v emcc >/dev/null 2>&1; then
    mkdir -p "$root/build-wasm"
    flock "$root/build-wasm/.lock" "$root/web/build.sh" >/dev/null
elif [ ! -f "$root/web/dist/modelmem.wasm" ]; then
    skip "emcc not found and web/dist not built (apt-get install emscripten; web/build.sh)"
fi
exec node "$here/$1"
