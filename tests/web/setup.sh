#!/bin/sh
# setup.sh DEST - installs the browser test's npm packages (puppeteer-core,
# the versions package-lock.json pins) into DEST/node_modules, once. No
# browser is downloaded: the test drives /usr/bin/chromium.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
mkdir -p "$dest"
if [ -f "$dest/node_modules/puppeteer-core/package.json" ] &&
    cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
    exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
