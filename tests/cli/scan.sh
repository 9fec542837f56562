# scan.sh BIN FIXTURES README - `modelmem scan` over a generated Hugging Face cache
# of 1,000 repositories and a plain mirror (tests/cli/gen_cache.py): every
# row, its figures and its error against what the generator wrote, a few
# rows against `modelmem estimate --json` of the same snapshot, the
# default ROOT from the environment, --all-revisions, ROOTs that overlap
# (each model listed and counted once), --sort, the text
# table's width and escaping, the exit statuses, and the sample table in
# the README's "scan" section (run in the repository root). Needs python3
# (else skipped).
. "$(dirname "$0")/lib.sh"
BIN=$1
FIXTURES=$2
README=$3
HERE=$(cd "$(dirname "$0")" && pwd)
BINDIR=$(cd "$(dirname "$BIN")" && pwd)

command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipped"; exit 77; }
python3 "$HERE/gen_cache.py" "$TMP/g" --repos 1000 --fixtures "$FIXTURES" ||
    { echo "gen_cache.py failed" >&2; exit 1; }
HUB=$TMP/g/hub
MIRROR=$TMP/g/mirror

# check_json MODE FILE: the scan document in FILE against the manifest.
check_json() {
    python3 - "$TMP/g/manifest.json" "$1" "$2" <<'PY' || fail "scan --json ($2) differs from the manifest"
import json, sys
man = json.load(open(sys.argv[1]))
mode = sys.argv[2]
doc = json.load(open(sys.argv[3]))
bad = []
if doc.get("schema") != "modelmem.scan/1":
    bad.append("schema %r" % doc.get("schema"))
if mode == "mirror":
    want = man["mirror_rows"]
    key = lambda r: r["path"]
else:
    want = list(man["rows"]) + (man["all_revisions_extra"] if mode == "all" else [])
    key = lambda r: (r["id"], r["revision"] or r["path"])
root = doc["roots"][0].rstrip("/") + "/"
got = {}
for r in doc["models"]:
    if not r["path"].startswith(root):
        bad.append("path %r not under %r" % (r["path"], root))
    r["path"] = r["path"][len(root):]
    k = key(r) if mode == "mirror" or r["revision"] is not None or r["id"] is None \
        else (r["id"], r["path"])
    if k in got:
        bad.append("row twice: %r" % (k,))
    got[k] = r
if len(doc["models"]) != len(want):
    bad.append("%d rows, expected %d" % (len(doc["models"]), len(want)))
for w in want:
    k = key(w)
    r = got.get(k)
    if r is None:
        bad.append("missing row %r" % (k,))
        continue
    code = r["error"]["code"] if r["error"] else None
    if code != w["error"]:
        bad.append("%r: error %r, expected %r" % (k, code, w["error"]))
    if w["error"] is None:
        if r["estimate"] is None:
            bad.append("%r: no estimate" % (k,))
        for f in ("format", "files", "parameters", "stored_bytes", "disk_bytes"):
            if w.get(f) is not None and r[f] != w[f]:
                bad.append("%r: %s %r, expected %r" % (k, f, r[f], w[f]))
    if mode != "mirror":
        for f in ("id", "revision", "refs", "path"):
            if w.get(f) is not None and r[f] != w[f]:
                bad.append("%r: %s %r, expected %r" % (k, f, r[f], w[f]))
errors = sum(1 for w in want if w["error"])
if doc["totals"]["models"] != len(want) or doc["totals"]["errors"] != errors:
    bad.append("totals %r" % doc["totals"])
want_disk = {"hub": man["disk_bytes"], "all": man["disk_bytes_all"]}.get(mode)
if want_disk is not None and doc["totals"]["disk_bytes"] != want_disk:
    bad.append("total disk bytes %d, expected %d (blobs once)"
               % (doc["totals"]["disk_bytes"], want_disk))
for b in bad[:20]:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# 1,000 repositories: every row, figure and error.
run "$BIN" scan "$HUB" --json
expect_rc 1
cp "$OUT" "$TMP/hub.json"
check_json hub "$TMP/hub.json"
[ ! -s "$ERR" ] || fail "scan --json wrote on stderr"

# --all-revisions adds the snapshots no ref names.
run "$BIN" scan --all-revisions "$HUB" --json
expect_rc 1
cp "$OUT" "$TMP/all.json"
check_json all "$TMP/all.json"

# ROOTs that overlap - the cache twice, a repository inside it, a link to
# it - list each model once, under the first ROOT, and count it once.
ln -s "$HUB" "$TMP/hublink"
run "$BIN" scan "$HUB" "$HUB/" "$HUB/models--acme--sharded" "$TMP/hublink" --json
expect_rc 1
cp "$OUT" "$TMP/overlap.json"
check_json hub "$TMP/overlap.json"
run "$BIN" scan "$HUB"
cp "$OUT" "$TMP/once.txt"
cp "$ERR" "$TMP/once.err"
run "$BIN" scan "$HUB/models--acme--sharded" "$TMP/hublink" "$HUB"
expect_rc 1
cmp -s "$OUT" "$TMP/once.txt" || fail "overlapping ROOTs: the table differs from one ROOT's"
# (an error names the model by the path it was reached by)
sed "s|^modelmem: $TMP/hublink/|modelmem: $HUB/|" "$ERR" | cmp -s - "$TMP/once.err" ||
    fail "overlapping ROOTs: the errors differ from one ROOT's"

# A weight file given as a ROOT beside its folder: one row, counted once,
# in either order.
for order in file-first folder-first; do
    if [ "$order" = file-first ]; then
        run "$BIN" scan "$FIXTURES/tiny-llama/model.safetensors" "$FIXTURES/tiny-llama"
    else
        run "$BIN" scan "$FIXTURES/tiny-llama" "$FIXTURES/tiny-llama/model.safetensors"
    fi
    expect_rc 0
    grep -q '^1 model, 0 with errors; 26,784 parameters' "$OUT" ||
        fail "$order: the file and its folder are not one model: $(cat "$OUT")"
done

# The default ROOT is the cache huggingface_hub would use.
for var in HF_HUB_CACHE HF_HOME XDG_CACHE_HOME HOME; do
    case $var in
    HF_HUB_CACHE) dir=$HUB ;;
    HF_HOME) dir=$TMP/g ;;
    XDG_CACHE_HOME) mkdir -p "$TMP/xdg/huggingface" && ln -s "$HUB" "$TMP/xdg/huggingface/hub" && dir=$TMP/xdg ;;
    HOME) mkdir -p "$TMP/home/.cache/huggingface" && ln -s "$HUB" "$TMP/home/.cache/huggingface/hub" && dir=$TMP/home ;;
    esac
    LAST="$var=$dir modelmem scan --json"
    env -u HF_HUB_CACHE -u HF_HOME -u XDG_CACHE_HOME "$var=$dir" "$BIN" scan --json >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc 1
    cp "$OUT" "$TMP/default.json"
    check_json hub "$TMP/default.json"
done

# A few rows against estimate --json of the same snapshot, with a memory plan.
python3 - "$TMP/hub.json" >"$TMP/picks" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["models"] if r["error"] is None]
for r in (rows[0], rows[len(rows) // 2], rows[-1]):
    print(r["path"])
for r in rows:
    if r["id"] in ("acme/sharded", "acme/pipeline", "acme/gguf", "acme/torch"):
        print(r["path"])
PY
run "$BIN" scan "$HUB" --json --context 1024 --batch 2 --gpu 24GiB --dtypes float32,bfloat16
cp "$OUT" "$TMP/mem.json"
while IFS= read -r snap; do
    opts=""
    case $snap in *pipeline* | *torch*) ;; *) opts="--context 1024 --batch 2 --gpu 24GiB" ;; esac
    # shellcheck disable=SC2086
    run "$BIN" estimate "$snap" --json --dtypes float32,bfloat16 $opts
    expect_rc 0
    cp "$OUT" "$TMP/est.json"
    python3 - "$TMP/mem.json" "$TMP/est.json" "$snap" <<'PY' || fail "scan and estimate differ on $snap"
import json, sys
scan = json.load(open(sys.argv[1]))
est = json.load(open(sys.argv[2]))
row = [r for r in scan["models"] if r["path"] == sys.argv[3]][0]
bad = []
for k in ("parameters", "parameters_by_dtype", "stored_bytes", "files", "tensors"):
    if row[k] != est[k]:
        bad.append("%s: scan %r, estimate %r" % (k, row[k], est[k]))
if row["error"] is None:
    e = row["estimate"]
    for k in ("largest_layer", "estimates", "logical_parameters", "inference", "per_device",
              "fits", "geometry"):
        if k in est and e.get(k) != est[k]:
            bad.append("estimate.%s: scan %r, estimate %r" % (k, e.get(k), est[k]))
else:
    # no geometry: the memory plan cannot be made; the row keeps its figures
    if row["error"]["code"] != "geometry-unknown":
        bad.append("error %r" % row["error"])
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done <"$TMP/picks"

# The text table: a header, one line per row, the total; 80 columns.
run "$BIN" scan "$HUB" --gpu H100 --context 2048 --sort size
expect_rc 1
python3 - "$OUT" "$TMP/hub.json" "$ERR" <<'PY' || fail "the text table is wrong"
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
n = len(json.load(open(sys.argv[2]))["models"])
bad = []
if len(lines) != n + 2:
    bad.append("%d lines for %d models" % (len(lines), n))
if not lines[0].startswith("MODEL") or "FITS" not in lines[0] or "INFERENCE" not in lines[0]:
    bad.append("header %r" % lines[0])
m = re.match(r"(\d+) models, (\d+) with errors", lines[-1])
if not m or int(m.group(1)) != n:
    bad.append("total %r" % lines[-1])
errs = [l for l in open(sys.argv[3]).read().splitlines() if l.startswith("modelmem: ")]
if m and len(errs) != int(m.group(2)):
    bad.append("%d error lines on stderr, the total says %s" % (len(errs), m.group(2)))
for l in lines:
    if len(l) > 80 or l != l.rstrip():
        bad.append("line of %d columns: %r" % (len(l), l))
sizes = []
units = {"bytes": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}
for l in lines[1:-1]:
    if "error:" in l:
        continue
    w = l.split()
    # DISK is the pair before INFERENCE and FITS ("-" and "-" without a plan)
    k = -4 if w[-1] == "-" else -5
    sizes.append(float(w[k]) * units[w[k + 1]])
if sizes != sorted(sizes, reverse=True):
    bad.append("--sort size: not largest first")
for b in bad[:10]:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

run "$BIN" scan "$HUB" --json --sort params
python3 - "$OUT" <<'PY' || fail "--sort params: not most parameters first"
import json, sys
p = [r["parameters"] for r in json.load(open(sys.argv[1]))["models"] if r["parameters"] is not None]
sys.exit(0 if p == sorted(p, reverse=True) else 1)
PY

# The mirror: folders at any depth, alternatives split, the deep folder and
# the link out reported, names escaped.
run "$BIN" scan "$MIRROR" --json
expect_rc 1
cp "$OUT" "$TMP/mirror.json"
check_json mirror "$TMP/mirror.json"
grep -q "deeper than 16 levels" "$ERR" || fail "no warning for the deep folder"
grep -q "1 links to folders outside" "$ERR" || fail "no warning for the link out"
run "$BIN" scan "$MIRROR"
expect_rc 1
grep -q 'ctl\\x1bname' "$OUT" || fail "the ESC byte in a name is not shown as \\x1b"
if LC_ALL=C grep -q "$(printf '\033')" "$OUT" "$ERR"; then
    fail "a raw ESC byte reached the terminal"
fi
run "$BIN" scan -q "$MIRROR"
grep -q "warning" "$ERR" && fail "-q still printed warnings"
# the mirror again, and a folder inside it: the same rows, the same warnings
run "$BIN" scan "$MIRROR"
cp "$OUT" "$TMP/once.txt"
cp "$ERR" "$TMP/once.err"
run "$BIN" scan "$MIRROR" "$MIRROR/" "$MIRROR/org-b" "$MIRROR/ggufs"
expect_rc 1
cmp -s "$OUT" "$TMP/once.txt" || fail "the mirror twice: the table differs from once"
cmp -s "$ERR" "$TMP/once.err" || fail "the mirror twice: the warnings differ from once"

# Clean roots exit 0: a snapshot, a weight file, a model folder.
good=$(sed -n 1p "$TMP/picks")
run "$BIN" scan "$good" "$FIXTURES/estimate/tiny-llama" "$FIXTURES/torch/proto2.pt"
expect_rc 0
expect_eq "rows" "$(wc -l <"$OUT" | tr -d ' ')" 5
run "$BIN" scan "$TMP/nothing-here" --json
expect_rc 1
grep -q '"code": "not-found"' "$OUT" || fail "a missing ROOT is not a not-found row"

# The README's sample table is what scan prints today.
awk '/^### scan$/ { want = 1; next }
     want && /^```/ { if (on) exit; on = 1; next }
     on { print }' "$README" >"$TMP/block"
cmd=$(sed -n '1s/^\$ //p' "$TMP/block")
sed 1d "$TMP/block" >"$TMP/want"
LAST="(README) $cmd"
(cd "$(dirname "$README")" && PATH="$BINDIR:$PATH" sh -c "$cmd") >"$OUT" 2>"$ERR"
RC=$?
expect_rc 0
if ! cmp -s "$OUT" "$TMP/want"; then
    fail "the README's scan sample differs from scan's output (- README, + now):"
    diff -u "$TMP/want" "$OUT" >&2
fi

# Usage errors exit 2.
run "$BIN" scan --sort bogus "$HUB"
expect_rc 2
run "$BIN" scan --config x.json "$HUB"
expect_rc 2
run "$BIN" scan --context
expect_rc 2
run "$BIN" scan --markdown "$HUB"
expect_rc 2

# estimate on a folder of models (a model store, a cache) says how to list
# them, in its one line
run "$BIN" "$FIXTURES/hub"
expect_rc 1
expect_stderr_one_line "modelmem: $FIXTURES/hub: no weight files found"
grep -q "; 2 models below it: modelmem scan lists them\$" "$ERR" ||
    fail "no hint to scan: $(cat "$ERR")"
run "$BIN" "$FIXTURES/tiny-llama/config.json"
expect_rc 1
grep -q "modelmem scan" "$ERR" && fail "a hint to scan where there is no model below"
finish
