# page.sh BIN SRCDIR BUILDDIR - runs page.mjs: the calculator page in
# headless Chromium. Skipped (77) without node, npm or Chromium; the npm
# packages are installed into BUILDDIR/web-node by setup.sh.
BIN=$1
SRCDIR=$2
BUILDDIR=$3
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not installed: skipped"; exit 77; }
done
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM not installed: skipped"; exit 77; }
if ! flock "$BUILDDIR/.web-node.lock" sh "$here/setup.sh" "$BUILDDIR/web-node" \
    >"$BUILDDIR/web-node.log" 2>&1; then
    echo "npm could not install puppeteer-core (see $BUILDDIR/web-node.log): skipped"
    exit 77
fi
export CHROMIUM
exec node "$here/page.mjs" "$BUILDDIR/web-node" "$BIN" "$SRCDIR" "$BUILDDIR"
