# man_lint.sh GROFF MAN - modelmem(1) formats without a single warning
# under groff -man -ww -z.
GROFF=$1
MAN=$2
out=$("$GROFF" -man -ww -z "$MAN" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "groff -man -ww -z $MAN: status $rc" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi
exit 0
