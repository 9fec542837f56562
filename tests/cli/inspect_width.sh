# inspect_width.sh BIN - `modelmem inspect`'s text within 80 columns
# whatever the names and paths (issue 13): a safetensors file, in a folder
# 30 levels deep, whose tensors have 150-character names (one with
# controls, one with CJK), a 60-character one and short ones, and metadata
# with a long key and a long value. Every line fits 80 columns, counted as
# code points of the UTF-8 output (an escape as its printed length), with
# no trailing space; a name that fits a line is whole on one; a longer one
# reads back whole from its lines; --json keeps every name and the value
# whole. Then the README's inspect sample (the block after the line
# "<!-- inspect sample: ... -->": "$ COMMAND", the output's first lines,
# "...", its last lines) against the program's output, run in REPO.
# Needs python3 (else skipped).
. "$(dirname "$0")/lib.sh"
BIN=$1
README=$2
REPO=$3
BINDIR=$(cd "$(dirname "$BIN")" && pwd)

command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipped"; exit 77; }
python3 - "$TMP" >"$TMP/path" <<'PY' || { echo "generator failed" >&2; exit 1; }
import json, os, struct, sys
d = sys.argv[1]
for i in range(30):
    d = os.path.join(d, "level-%02d-\u6a21\u578b-folder" % i)
os.makedirs(d)
names = [
    "model.layers.0." + "a" * 130 + ".weight",
    "model.layers.1.\x1b[31m" + "b" * 126 + ".weight",
    "\u4e2d\u6587." * 37 + "wx",
    "x" * 150,
    "model.layers.0.self_attn.some_long_projection_name.weight",
    "w",
]
hdr = {"__metadata__": {"k" * 90: "v", "note": ("value " * 40).strip()}}
off = 0
for n in names:
    hdr[n] = {"dtype": "F32", "shape": [2, 2], "data_offsets": [off, off + 16]}
    off += 16
h = json.dumps(hdr).encode()
h += b" " * (-len(h) % 8)
p = os.path.join(d, "model-with-a-rather-long-file-name-00001-of-00001.safetensors")
with open(p, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"\0" * off)
with open(os.path.join(sys.argv[1], "names.json"), "w") as f:
    json.dump(names, f)
print(p)
PY
FILE=$(cat "$TMP/path")

for target in "$FILE" "$(dirname "$FILE")"; do
    run "$BIN" inspect "$target"
    expect_rc 0
    python3 - "$OUT" "$TMP/names.json" <<'PY' || fail "inspect's text passes 80 columns"
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
lines = text.splitlines()
bad = []
for l in lines:
    if len(l) > 80 or l != l.rstrip():
        bad.append("line of %d columns: %r" % (len(l), l))
def shown(s):
    # as out_text shows it: C0 controls and DEL as \xHH
    return "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7f else c for c in s)
for n in json.load(open(sys.argv[2])):
    s = shown(n)
    if len(s) <= 78:
        if not any(l[2:].split(" ")[0] == s for l in lines):
            bad.append("name not whole on a line: %r" % s)
        continue
    # its lines: "  " and the start, then "    " and the rest
    i = next((k for k, l in enumerate(lines) if l.startswith("  " + s[:40])), None)
    got = "" if i is None else lines[i][2:]
    while i is not None and len(got) < len(s) and i + 1 < len(lines):
        i += 1
        if not lines[i].startswith("    "):
            break
        got += lines[i][4:]
    if got != s:
        bad.append("name does not read back whole: %r" % s)
if "..." not in lines[0] or not lines[0].endswith(".safetensors") and "files:" not in lines[1]:
    bad.append("target line not cut in the middle: %r" % lines[0])
for b in bad[:10]:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done

run "$BIN" inspect --json "$FILE"
expect_rc 0
python3 - "$OUT" "$TMP/names.json" <<'PY' || fail "inspect --json lost a name or a value"
import json, sys
doc = json.load(open(sys.argv[1]))
text = json.dumps(doc, ensure_ascii=False)
names = json.load(open(sys.argv[2]))
missing = [n for n in names if json.dumps(n, ensure_ascii=False) not in text]
ok = not missing and json.dumps(("value " * 40).strip()) in text
sys.exit(0 if ok else 1)
PY

awk '/^<!-- inspect sample: / { want = 1; next }
     want && /^```/   { if (on) exit; on = 1; next }
     on { print }' "$README" >"$TMP/block"
cmd=$(sed -n '1s/^\$ //p' "$TMP/block")
[ -n "$cmd" ] || fail "no inspect sample in the README"
sed 1d "$TMP/block" >"$TMP/want"
sed '/^\.\.\.$/,$d' "$TMP/want" >"$TMP/want.head"
sed '1,/^\.\.\.$/d' "$TMP/want" >"$TMP/want.tail"
LAST=$cmd
(cd "$REPO" && PATH="$BINDIR:$PATH" sh -c "$cmd") >"$OUT" 2>"$ERR"
RC=$?
expect_rc 0
head -n "$(wc -l <"$TMP/want.head")" "$OUT" >"$TMP/got.head"
tail -n "$(wc -l <"$TMP/want.tail")" "$OUT" >"$TMP/got.tail"
if ! cmp -s "$TMP/want.head" "$TMP/got.head" || ! cmp -s "$TMP/want.tail" "$TMP/got.tail"; then
    fail "the README's inspect sample differs from modelmem's (- README, + now):"
    diff -u "$TMP/want.head" "$TMP/got.head" >&2
    diff -u "$TMP/want.tail" "$TMP/got.tail" >&2
fi
finish
