# serve_api.sh BIN JSONCHECK SRCDIR - `modelmem serve` through HTTP: every
# API answer equal to the command line's JSON for the same options, every
# refused path, method, name and size, the token, the security headers,
# the log and the signals, ROOTs that overlap.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
BIN=$1
JSONCHECK=$2
SRCDIR=$3
command -v curl >/dev/null 2>&1 || { echo "curl not installed: skipped"; exit 77; }
cd "$SRCDIR" || exit 1

serve_start "$TMP/log" fixtures
LAST="modelmem serve fixtures"

# The page and its security headers.
get /
expect_eq "GET /" "$CODE" 200
grep -qi '^content-type: text/html' "$TMP/headers" || fail "/ is not text/html"
grep -qi "^content-security-policy: default-src 'self'" "$TMP/headers" || fail "no CSP"
grep -qi '^x-content-type-options: nosniff' "$TMP/headers" || fail "no nosniff"
grep -qi '^access-control-' "$TMP/headers" && fail "CORS header present"
get /app.js
expect_eq "GET /app.js" "$CODE" 200
grep -qi '^content-type: text/javascript' "$TMP/headers" || fail "app.js is not JavaScript"
get /views/models.js
expect_eq "GET /views/models.js" "$CODE" 200
get / -I
expect_eq "HEAD /" "$CODE" 200
grep -qi '<html' "$TMP/body" && fail "HEAD / has a body"

# The model list.
get /api/models
expect_eq "GET /api/models" "$CODE" 200
"$JSONCHECK" schema=modelmem.scan/1 <"$TMP/body" || fail "/api/models is not the scan document"
grep -q '"path": "fixtures/tiny-llama"' "$TMP/body" || fail "/api/models lacks fixtures/tiny-llama"
# ... the document `modelmem scan --json` prints for the same ROOTs, byte for byte
run "$BIN" scan fixtures --json
cmp -s "$TMP/body" "$OUT" || fail "/api/models differs from scan fixtures --json"

# Estimates: the same bytes as the command line's, for the same options.
for q in "" "context=8192" "context=8192&gpu=RTX4090-24GB" "batch=4&kv-dtype=fp8" \
    "train=lora&lora-rank=8&gpu=RTX4090" "train=full&gpus=4&parallel=zero3" \
    "train=full&grad-checkpointing&optimizer=adamw8bit" "dtypes=float32,bfloat16,int4" \
    "gpu=24GiB&overhead=1GiB&attention=eager"; do
    for name in fixtures/tiny-llama tiny-llama; do
        get "/api/estimate?model=$name${q:+&$q}"
        expect_eq "estimate $name $q" "$CODE" 200
        set -- $(printf '%s' "$q" | tr '&' ' ')
        args=""
        for a in "$@"; do
            case $a in *=*) args="$args --$a" ;; *) args="$args --$a" ;; esac
        done
        # shellcheck disable=SC2086
        run "$BIN" estimate fixtures/tiny-llama --json $args
        cmp -s "$TMP/body" "$OUT" || fail "/api/estimate?$q differs from estimate --json$args"
    done
done
get "/api/inspect?model=fixtures/tiny-llama"
expect_eq "inspect" "$CODE" 200
run "$BIN" inspect fixtures/tiny-llama --json
cmp -s "$TMP/body" "$OUT" || fail "/api/inspect differs from inspect --json"
get "/api/inspect?model=fixtures/tiny-llama&context=1"
expect_eq "inspect with an option" "$CODE" 400

# Option errors: 400 with the command line's message.
get "/api/estimate?model=tiny-llama&context=abc"
expect_eq "bad context" "$CODE" 400
run "$BIN" estimate fixtures/tiny-llama --json --context=abc
msg=$(head -n 1 "$ERR" | sed 's/^modelmem: //')
"$JSONCHECK" error/code=bad-option "error/message=$msg" <"$TMP/body" ||
    fail "bad context: not the CLI's message"
for q in "config=/etc/passwd" "threads=4" "json" "help" "markdown" "v" "nosuch=1" \
    "gpu=NoSuchGPU" "train=half" "gpus=0" "overhead=17179869183GiB&context=4294967295"; do
    get "/api/estimate?model=tiny-llama&$q"
    expect_eq "refused option $q" "$CODE" 400
    "$JSONCHECK" error/code=bad-option <"$TMP/body" || fail "$q: no JSON error"
done
get "/api/estimate?model=safetensors/malformed"
expect_eq "malformed model" "$CODE" 422
"$JSONCHECK" error/code=unreadable-model <"$TMP/body" || fail "malformed: no JSON error"

# Names that are not models under the ROOT: 404, nothing opened.
for m in "" "../fixtures/tiny-llama" "fixtures/../fixtures/tiny-llama" "/etc/passwd" \
    "$SRCDIR/fixtures/tiny-llama" "tiny-llama/" "./tiny-llama" "tiny-llama/model.safetensors" \
    "..%2Ffixtures%2Ftiny-llama" "%2Fetc%2Fpasswd" "tiny-llama%00" "tiny-llama%0a" "TINY-LLAMA"; do
    get "/api/estimate?model=$m"
    expect_eq "model '$m'" "$CODE" 404
    "$JSONCHECK" error/code=not-found <"$TMP/body" || fail "model '$m': no JSON error"
    get "/api/inspect?model=$m"
    expect_eq "inspect model '$m'" "$CODE" 404
done
get "/api/estimate"
expect_eq "no model" "$CODE" 404

# Paths that are not pages.
for p in /etc/passwd /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /index.html/ /views/ \
    /api/ /api/models/ /api/estimate/../models /views/../app.js //app.js /web/app.js \
    /fixtures/tiny-llama/model.safetensors /app.js%00.html; do
    get "$p"
    expect_eq "path $p" "$CODE" 404
done
get "/api/models?x=1"
expect_eq "models with a query" "$CODE" 400

# Methods other than GET and HEAD.
for m in POST PUT DELETE PATCH OPTIONS TRACE; do
    get / -X "$m"
    expect_eq "$m /" "$CODE" 405
    grep -qi '^allow: GET, HEAD' "$TMP/headers" || fail "$m: no Allow header"
done
get /api/models -X POST -d 'x=1'
expect_eq "POST with a body" "$CODE" 405
get / -X GET -d 'x=1'
expect_eq "GET with a body" "$CODE" 413

# Bounded requests: the query, the header lines, the header bytes.
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
get "/api/estimate?model=tiny-llama&context=$long"
expect_eq "long query" "$CODE" 414
many=""
i=0
while [ $i -lt 70 ]; do
    many="$many -H X-H$i:1"
    i=$((i + 1))
done
# shellcheck disable=SC2086
get / $many
expect_eq "70 header lines" "$CODE" 431
big=$(head -c 40000 /dev/zero | tr '\0' 'b')
get / -H "X-Big: $big"
case $CODE in
4??|000) ;;
*) fail "40 kB header: status $CODE" ;;
esac
get /api/models
expect_eq "still serving" "$CODE" 200

# One log line per request on stderr; SIGTERM stops it cleanly.
serve_stop TERM
expect_eq "exit status after SIGTERM" "$SRC" 0
grep -q '^modelmem: GET /api/models 200 ' "$TMP/log" || fail "no log line for /api/models"
grep -q '^modelmem: stopped' "$TMP/log" || fail "no 'stopped' line"

# -q: no log; SIGINT stops it too.
serve_start "$TMP/log" fixtures/tiny-llama -q
get "/api/estimate?model=fixtures/tiny-llama"
expect_eq "ROOT that is a model" "$CODE" 200
serve_stop INT
expect_eq "exit status after SIGINT" "$SRC" 0
[ -s "$TMP/log" ] && fail "-q: stderr not empty"

# A link out of the ROOT is not a model; one inside is.
mkdir -p "$TMP/root/inside" "$TMP/outside"
cp fixtures/tiny-llama/* "$TMP/root/inside/"
cp fixtures/tiny-llama/* "$TMP/outside/"
ln -s "$TMP/outside" "$TMP/root/escape"
ln -s ../../outside "$TMP/root/inside/../climb"
serve_start "$TMP/log" "$TMP/root"
get /api/models
grep -q '"path": ".*/root/inside"' "$TMP/body" || fail "link test: inside not listed"
grep -q 'escape\|climb\|outside' "$TMP/body" && fail "a link out of the ROOT is listed"
for m in escape climb "$TMP/root/escape" "$TMP/outside" "inside/../escape"; do
    get "/api/estimate?model=$m"
    expect_eq "link model '$m'" "$CODE" 404
done
get "/api/estimate?model=inside"
expect_eq "model inside" "$CODE" 200
serve_stop

# A Hugging Face cache, the default ROOT: a repository by its id, by
# id@revision and by its listed path; a ref to a missing snapshot is no model.
hub="$TMP/hub"
rev=0123456789abcdef0123456789abcdef01234567
repo="$hub/models--org--tiny"
mkdir -p "$repo/refs" "$repo/blobs" "$repo/snapshots/$rev" "$hub/models--org--gone/refs"
cp fixtures/tiny-llama/model.safetensors "$repo/blobs/b1"
cp fixtures/tiny-llama/config.json "$repo/blobs/b2"
ln -s ../../blobs/b1 "$repo/snapshots/$rev/model.safetensors"
ln -s ../../blobs/b2 "$repo/snapshots/$rev/config.json"
printf '%s' "$rev" >"$repo/refs/main"
printf '%s' "$rev" >"$hub/models--org--gone/refs/main"
HF_HUB_CACHE=$hub serve_start "$TMP/log"
get /api/models
"$JSONCHECK" models#=2 models/1/id=org/tiny "models/1/revision=$rev" \
    "models/1/path=$repo/snapshots/$rev" models/0/id=org/gone models/0/error/code=not-found \
    <"$TMP/body" || fail "cache: /api/models"
HF_HUB_CACHE=$hub run "$BIN" scan --json
cmp -s "$TMP/body" "$OUT" || fail "cache: /api/models differs from scan --json"
for m in org/tiny "org/tiny@$rev" org/tiny@main "$repo/snapshots/$rev"; do
    get "/api/estimate?model=$m&context=2048"
    expect_eq "cache model $m" "$CODE" 200
    run "$BIN" estimate "$repo/snapshots/$rev" --json --context=2048
    cmp -s "$TMP/body" "$OUT" || fail "cache model $m differs from the command line's"
done
for m in org/gone org/tiny@dev "org/tiny@$rev/../../b1" "models--org--tiny/blobs/b1"; do
    get "/api/estimate?model=$m"
    expect_eq "cache name $m" "$CODE" 404
done
serve_stop

# ROOTs that overlap (the cache, a repository in it, a link to it): each
# model listed once, under the first ROOT, as scan lists it.
ln -s "$hub" "$TMP/hublink"
serve_start "$TMP/log" "$hub" "$repo" "$TMP/hublink"
get /api/models
"$JSONCHECK" models#=2 models/1/id=org/tiny "models/1/path=$repo/snapshots/$rev" \
    totals/models=2 <"$TMP/body" || fail "overlapping ROOTs: /api/models"
run "$BIN" scan "$hub" "$repo" "$TMP/hublink" --json
cmp -s "$TMP/body" "$OUT" || fail "overlapping ROOTs: /api/models differs from scan --json"
get "/api/estimate?model=org/tiny"
expect_eq "overlapping ROOTs: org/tiny" "$CODE" 200
serve_stop

# --token FILE: Authorization: Bearer on every request.
printf 's3cret-token\n' >"$TMP/token"
serve_start "$TMP/log" fixtures --token "$TMP/token"
get /
expect_eq "no token" "$CODE" 401
grep -qi '^www-authenticate: Bearer' "$TMP/headers" || fail "401 without WWW-Authenticate"
get /api/models -H "Authorization: Bearer s3cret-toke"
expect_eq "short token" "$CODE" 401
get /api/models -H "Authorization: Bearer s3cret-tokeN"
expect_eq "wrong token" "$CODE" 401
get /api/models -H "Authorization: Basic s3cret-token"
expect_eq "wrong scheme" "$CODE" 401
get /api/models -H "Authorization: Bearer s3cret-token"
expect_eq "right token" "$CODE" 200
get / -X DELETE -H "Authorization: Bearer s3cret-token"
expect_eq "DELETE with the token" "$CODE" 405
serve_stop

# Usage: a bad --listen, a missing token file; a non-loopback address warns.
run "$BIN" serve fixtures --listen nonsense
expect_rc 2
run "$BIN" serve fixtures --listen 127.0.0.1:99999
expect_rc 2
run "$BIN" serve fixtures --token "$TMP/no-such-file" --listen 127.0.0.1:0
expect_rc 1
: >"$TMP/url"
"$BIN" serve fixtures --listen 0.0.0.0:0 -q >"$TMP/url" 2>"$TMP/log" &
SPID=$!
i=0
while [ ! -s "$TMP/url" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
serve_stop
grep -q 'warning: listening on 0.0.0.0' "$TMP/log" || fail "no warning for 0.0.0.0"

finish
