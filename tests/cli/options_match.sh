# options_match.sh BIN MAN README - the options --help lists are exactly
# those modelmem(1) describes under OPTIONS, and the README names each;
# each `modelmem COMMAND --help` lists exactly the options SYNOPSIS gives
# that command (and --help), every one of them under OPTIONS.
. "$(dirname "$0")/lib.sh"
BIN=$1
MAN=$2
README=$3

# help_opts FILE: the option column of the lines after "Options:" up to a
# blank line, sorted.
help_opts() {
    awk '/^Options:/ { on = 1; next }
         on && /^$/ { exit }
         on {
             line = $0
             sub(/^ +/, "", line)
             i = index(line, "  ")
             if (i > 0) line = substr(line, 1, i - 1)
             n = split(line, w, /[ ,]+/)
             for (k = 1; k <= n; k++) if (w[k] ~ /^--?[a-zA-Z]/) print w[k]
         }' "$1" | sort -u
}

run "$BIN" --help
expect_rc 0
help_opts "$OUT" >"$TMP/help.opts"

# The man page: the tag line after each .TP in the OPTIONS section.
awk '/^\.SH /    { on = ($0 ~ /^\.SH "?OPTIONS"?$/); next }
     on && /^\.TP/ { tag = 1; next }
     on && tag {
         tag = 0
         line = $0
         gsub(/\\-/, "-", line)
         n = split(line, w, /[ ",]+/)
         for (k = 1; k <= n; k++) if (w[k] ~ /^--?[a-zA-Z]/) print w[k]
     }' "$MAN" | sort -u >"$TMP/man.opts"

[ -s "$TMP/help.opts" ] || fail "no options found in --help"
[ "$(wc -l <"$TMP/help.opts")" -ge 8 ] || fail "fewer than 8 options found in --help"
if ! cmp -s "$TMP/help.opts" "$TMP/man.opts"; then
    fail "--help and modelmem(1) OPTIONS differ (< --help, > man):"
    diff "$TMP/help.opts" "$TMP/man.opts" >&2
fi
while read -r opt; do
    grep -q -e "$opt" "$README" || fail "README does not mention $opt"
done <"$TMP/help.opts"

# The commands in the usage lines are the man page's SYNOPSIS commands.
sed -n 's/^\(Usage:\|      \) modelmem \[\{0,1\}\([a-z]*\).*/\2/p' "$OUT" | grep '^[a-z]' \
    | sort -u >"$TMP/help.cmds"
awk '/^\.SH /  { on = ($0 ~ /^\.SH "?SYNOPSIS"?$/); next }
     on && /^\.B modelmem/ { getline; gsub(/[][]/, ""); sub(/^\.[A-Z]+ /, ""); print $1 }' "$MAN" \
    | grep '^[a-z]' | sort -u >"$TMP/man.cmds"
if ! cmp -s "$TMP/help.cmds" "$TMP/man.cmds"; then
    fail "--help usage and modelmem(1) SYNOPSIS name different commands:"
    diff "$TMP/help.cmds" "$TMP/man.cmds" >&2
fi

# Each command's --help against its SYNOPSIS line: the options named
# between ".B modelmem" + the command and the next .br.
for cmd in estimate inspect verify scan serve; do
    run "$BIN" "$cmd" --help
    expect_rc 0
    help_opts "$OUT" | grep -v -x -e -h -e --help -e --quiet -e --verbose >"$TMP/$cmd.help"
    awk -v cmd="$cmd" '
        /^\.SH /  { on = ($0 ~ /^\.SH "?SYNOPSIS"?$/); next }
        !on { next }
        /^\.B modelmem$/ {
            getline
            gsub(/[][]/, "")
            sub(/^\.[A-Z]+ /, "")
            mine = ($1 == cmd)
            next
        }
        /^\.br/ { mine = 0; next }
        mine {
            line = $0
            gsub(/\\-/, "-", line)
            n = split(line, w, /[ "|]+/)
            for (k = 1; k <= n; k++) if (w[k] ~ /^--?[a-zA-Z]/) print w[k]
        }' "$MAN" | sort -u >"$TMP/$cmd.synopsis"
    [ -s "$TMP/$cmd.help" ] || fail "$cmd --help lists no options"
    if ! cmp -s "$TMP/$cmd.help" "$TMP/$cmd.synopsis"; then
        fail "$cmd --help and modelmem(1) SYNOPSIS for $cmd differ (< --help, > man):"
        diff "$TMP/$cmd.help" "$TMP/$cmd.synopsis" >&2
    fi
    missing=$(comm -23 "$TMP/$cmd.help" "$TMP/man.opts")
    [ -z "$missing" ] || fail "$cmd --help lists options not under OPTIONS: $missing"
done
finish
