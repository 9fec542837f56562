#!/bin/sh
# setup.sh DEST [SRC PACKAGE] - installs the npm packages SRC/package-lock.json
# pins into DEST/node_modules, once (again when the lock changes). By
# default SRC is tests/web and PACKAGE puppeteer-core, the browser tests'
# (no browser is downloaded: they drive /usr/bin/chromium);
# tests/cli/hub_crosscheck.sh installs @huggingface/hub from tests/cli/hub.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
src=${2:-$here}
package=${3:-puppeteer-core}
mkdir -p "$dest"
if [ -f "$dest/node_modules/$package/package.json" ] &&
    cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
    exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
