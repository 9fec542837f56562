/*
 * index.c - reading *.index.json files with the pull parser.
 *
 * A large index (DeepSeek-V3's is 7 MB, 10^5 entries) is parsed in two
 * halves on two threads: a second thread starts at a key found near the
 * middle of the file and parses the weight_map's members from there, while
 * this one parses up to it. The guess is checked: the first half must reach
 * that key as the start of a member; if it does not (the guess fell inside
 * a string, or the map ended first), the second half's work is dropped and
 * the parse goes on serially. Results and errors are the serial parse's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checked.h"
#include "model/index.h"
#include "core/json_scan.h"

void mm_index_free(struct mm_index *idx)
{
    size_t i;
    if (idx == NULL) {
        return;
    }
    for (i = 0; i < idx->nshards; i++) {
        free(idx->shards[i]);
    }
    free(idx->shards);
    free(idx->names);
    free(idx->name_at);
    free(idx->shard_of);
    free(idx->value_at);
    free(idx->slots);
    memset(idx, 0, sizeof(*idx));
}

bool mm_shard_name_safe(const char *s, size_t len)
{
    size_t i;
    if (len == 0 || s[0] == '/') {
        return false;
    }
    for (i = 0; i < len; i++) {
        const unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\') {
            return false;
        }
        if (ch == '.' && i + 1 < len && s[i + 1] == '.') {
            return false;
        }
        if (ch == ':' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/') {
            return false;
        }
    }
    return true;
}

struct split;
static void split_wait(struct split *sp);
static void split_drop(struct split *sp);

/* State while parsing: shard names collected unsorted with their ids. */
struct ix_build {
    struct mm_index *idx;
    size_t names_len;
    size_t names_cap;
    /* A split parse's halves write their names into one buffer, the second
     * half from `guard_at` on (names are never longer than the text they
     * come from). The first half, while `guard` runs, writes below it; a
     * name that would pass it waits for the second half to end first (the
     * guess was wrong and its work is dropped). The second half's buffer is
     * borrowed (`borrowed`): it never grows. */
    struct split *guard;
    size_t guard_at;
    bool borrowed;
    /* The second half's: set when its work will not be used (the first
     * half failed, or passed `guard_at` without handing over), so that it
     * stops at the next member instead of parsing to its end. */
    const atomic_bool *cancel;
    size_t entries_cap;
    size_t shard_of_cap;
    size_t value_at_cap;
    size_t shards_cap;
    size_t *shard_slots; /* table over shard names, shard id + 1 */
    uint64_t *hash;      /* per entry: its name's hash, for finish() */
    size_t hash_cap;
    size_t nshard_slots;
};

static size_t table_size(size_t n)
{
    size_t cap = 16;
    while (cap < n * 2) {
        cap *= 2;
    }
    return cap;
}

/* Id of shard `s`, adding it if new (a copy, or *owned taken when `owned`
 * is not NULL); -1 when out of memory or over the file limit (*limit
 * set). */
static long shard_id(struct ix_build *b, const char *s, size_t len, char **owned,
                     bool *limit)
{
    struct mm_index *idx = b->idx;
    size_t h;
    char *copy;
    if (b->nshard_slots == 0 || idx->nshards * 2 >= b->nshard_slots) {
        const size_t ncap = table_size(idx->nshards + 1) * 2;
        size_t *ns = calloc(ncap, sizeof(*ns));
        size_t i;
        if (ns == NULL) {
            return -1;
        }
        for (i = 0; i < idx->nshards; i++) {
            size_t k = (size_t)mm_hash_seeded(idx->seed, idx->shards[i],
                                              strlen(idx->shards[i])) &
                       (ncap - 1);
            while (ns[k] != 0) {
                k = (k + 1) & (ncap - 1);
            }
            ns[k] = i + 1;
        }
        free(b->shard_slots);
        b->shard_slots = ns;
        b->nshard_slots = ncap;
    }
    h = (size_t)mm_hash_seeded(idx->seed, s, len) & (b->nshard_slots - 1);
    while (b->shard_slots[h] != 0) {
        const char *o = idx->shards[b->shard_slots[h] - 1];
        if (strlen(o) == len && memcmp(o, s, len) == 0) {
            return (long)(b->shard_slots[h] - 1);
        }
        h = (h + 1) & (b->nshard_slots - 1);
    }
    if (idx->nshards >= MM_LIMIT_FILES) {
        *limit = true;
        return -1;
    }
    if (!mm_grow((void **)&idx->shards, &b->shards_cap, idx->nshards + 1, sizeof(char *))) {
        return -1;
    }
    if (owned != NULL) {
        copy = *owned; /* the second half's string, taken (split_join) */
        *owned = NULL;
    } else if ((copy = malloc(len + 1)) == NULL) {
        return -1;
    } else {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    idx->shards[idx->nshards] = copy;
    b->shard_slots[h] = idx->nshards + 1;
    return (long)idx->nshards++;
}

static enum mm_status add_entry(struct ix_build *b, const char *k, size_t klen, uint32_t shard,
                                int64_t at)
{
    struct mm_index *idx = b->idx;
    size_t need;
    if (!mm_add_size(&need, b->names_len, klen + 1) || (b->borrowed && need > b->names_cap)) {
        return MM_ERR_NOMEM;
    }
    if (b->guard != NULL && need > b->guard_at) {
        split_drop(b->guard);
        b->guard = NULL;
    }
    if (!mm_grow((void **)&idx->names, &b->names_cap, need, 1) ||
        !mm_grow((void **)&idx->name_at, &b->entries_cap, idx->nentries + 1, sizeof(size_t)) ||
        !mm_grow((void **)&idx->shard_of, &b->shard_of_cap, idx->nentries + 1,
                 sizeof(uint32_t)) ||
        !mm_grow((void **)&idx->value_at, &b->value_at_cap, idx->nentries + 1,
                 sizeof(uint64_t)) ||
        !mm_grow((void **)&b->hash, &b->hash_cap, idx->nentries + 1, sizeof(uint64_t))) {
        return MM_ERR_NOMEM;
    }
    b->hash[idx->nentries] = mm_hash_seeded(idx->seed, k, klen);
    memcpy(idx->names + b->names_len, k, klen);
    idx->names[b->names_len + klen] = '\0';
    idx->name_at[idx->nentries] = b->names_len;
    idx->shard_of[idx->nentries] = shard;
    idx->value_at[idx->nentries] = (uint64_t)at;
    idx->nentries++;
    b->names_len = need;
    return MM_OK;
}

/* True when the member after the value just read begins at `at`: a ','
 * then the key's '"' there. Nothing is consumed. */
static bool next_key_at(struct mm_json *j, size_t at)
{
    const size_t save = j->c.pos;
    bool yes = false;
    if (mm_json_peek(j) == ',') {
        j->c.pos++;
        yes = mm_json_peek(j) == '"' && j->c.pos == at;
    }
    j->c.pos = save;
    return yes;
}

/* The string value at the cursor (at its opening quote) is `s`, a shard
 * name with no quote (nor backslash or control byte, which shard names
 * never have): its raw bytes and the closing quote. Consumed when true. */
static bool value_is(struct mm_json *j, const char *s, size_t len)
{
    const size_t at = j->c.pos + 1;
    if (j->c.len - j->c.pos < len + 2 || memcmp(j->c.p + at, s, len) != 0 ||
        j->c.p[at + len] != '"') {
        return false;
    }
    j->c.pos = at + len + 1;
    return true;
}

/*
 * The members of the weight_map whose '{' was consumed (`first` true), or,
 * for the second half of a split parse (struct split below), the members
 * from the key at the cursor on (`first` true too: no ',' before it). With
 * `stop_at` not 0, stops before the member whose key begins there, setting
 * *handed; once past it without meeting such a key, goes on to the end.
 */
static enum mm_status read_members(struct ix_build *b, struct mm_json *j, const char *name,
                                   size_t stop_at, bool *handed)
{
    bool first = true;
    bool more;
    enum mm_status st;
    char *key = NULL;
    size_t key_cap = 0;
    long last = -1; /* the previous entry's shard */
    size_t last_len = 0;
    bool last_plain = false; /* its name has no quote: value_is applies */
    for (;;) {
        const char *k;
        size_t klen;
        const char *v;
        size_t vlen;
        int64_t vat;
        long id;
        bool limit = false;
        if (b->cancel != NULL && atomic_load(b->cancel)) {
            st = MM_OK; /* the second half's work is dropped: any result */
            break;
        }
        if (stop_at != 0 && !first && j->c.pos < stop_at && stop_at - j->c.pos <= 64 &&
            next_key_at(j, stop_at)) {
            *handed = true;
            st = MM_OK;
            break;
        }
        st = mm_json_member(j, &first, &more, &k, &klen, NULL);
        if (st == MM_OK && more) {
            st = mm_json_keep(j, &k, klen, &key, &key_cap);
        }
        if (st != MM_OK || !more) {
            break;
        }
        if (klen > MM_LIMIT_NAME) {
            st = mm_fail(j->err, MM_ERR_LIMIT, MM_E_LIMIT_NAME, name, NULL, mm_json_offset(j),
                         "tensor name longer than %u bytes", MM_LIMIT_NAME);
            break;
        }
        vat = mm_json_offset(j);
        if (mm_json_peek(j) != '"') {
            st = mm_failn(j->err, MM_ERR_MALFORMED, MM_E_INDEX_INVALID, name, k, klen, vat,
                          "weight_map value is not a string");
            break;
        }
        /* Entries come in runs of one shard: the run's shard was checked
         * and looked up already, and is most often the next value, as
         * written. */
        if (last_plain && value_is(j, b->idx->shards[last], last_len)) {
            id = last;
            vlen = last_len;
        } else if ((st = mm_json_string(j, &v, &vlen)) != MM_OK) {
            break;
        } else if (last >= 0 && last_len == vlen &&
                   memcmp(b->idx->shards[last], v, vlen) == 0) {
            id = last;
        } else if (!mm_shard_name_safe(v, vlen)) {
            st = mm_failn(j->err, MM_ERR_UNSAFE, MM_E_SHARD_NAME_UNSAFE, name, k, klen, vat,
                          "refusing shard name \"%.*s\": absolute, \"..\", \"\\\", control "
                          "byte or URL",
                          (int)(vlen > 80 ? 80 : vlen), v);
            break;
        } else {
            id = shard_id(b, v, vlen, NULL, &limit);
        }
        if (id < 0) {
            st = limit ? mm_fail(j->err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, name, NULL, vat,
                                 "more than %u shards", MM_LIMIT_FILES)
                       : mm_fail_nomem(j->err, name);
            break;
        }
        if (id != last) {
            last = id;
            last_len = vlen;
            last_plain = memchr(b->idx->shards[id], '"', vlen) == NULL;
        }
        if (b->idx->nentries >= MM_LIMIT_TENSORS) {
            st = mm_fail(j->err, MM_ERR_LIMIT, MM_E_LIMIT_TENSORS, name, NULL, vat,
                         "more than %u tensors", MM_LIMIT_TENSORS);
            break;
        }
        if (add_entry(b, k, klen, (uint32_t)id, vat) != MM_OK) {
            st = mm_fail_nomem(j->err, name);
            break;
        }
    }
    free(key);
    return st;
}

/* ---- The split parse ----------------------------------------------------- */

/* Below this size one thread parses the whole index. */
#define SPLIT_MIN ((size_t)1 << 20)

struct split {
    pthread_t tid;
    bool joined;
    atomic_bool cancel; /* its work will not be used (ix_build.cancel) */
    const uint8_t *data;
    size_t len;
    const char *name;
    size_t at; /* the second half's first key */
    struct mm_index idx;
    struct ix_build b;
    struct mm_error err;
    enum mm_status st;
    size_t end; /* where the second half's parse stopped */
    bool utf8_ok;
    size_t bad; /* with !utf8_ok: the first byte of the second half that is not UTF-8 */
};

/* A quote at q not escaped by the backslashes before it. */
static bool unescaped_quote(const uint8_t *d, size_t q)
{
    size_t n = 0;
    while (n < q && d[q - 1 - n] == '\\') {
        n++;
    }
    return d[q] == '"' && n % 2 == 0;
}

static bool json_ws(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* A key that may begin a member near the middle: `"` `,` `"` (whitespace
 * allowed), the first quote not escaped; its position, or 0. Only a guess. */
static size_t guess_split(const uint8_t *d, size_t len)
{
    size_t q;
    const size_t stop = len / 2 + ((size_t)1 << 16) < len ? len / 2 + ((size_t)1 << 16) : len;
    for (q = len / 2; q < stop; q++) {
        size_t k = q + 1;
        if (d[q] != '"' || !unescaped_quote(d, q)) {
            continue;
        }
        while (k < len && json_ws(d[k])) {
            k++;
        }
        if (k >= len || d[k] != ',') {
            continue;
        }
        k++;
        while (k < len && json_ws(d[k])) {
            k++;
        }
        if (k < len && d[k] == '"') {
            return k;
        }
    }
    return 0;
}

static void *split_run(void *arg)
{
    struct split *sp = arg;
    struct mm_json j;
    bool handed = false;
    sp->utf8_ok = mm_utf8_valid(sp->data + sp->at, sp->len - sp->at, &sp->bad);
    if (!sp->utf8_ok) {
        sp->bad += sp->at;
        return NULL;
    }
    mm_json_init(&j, sp->data, sp->len, 0, sp->name, &sp->err);
    j.c.pos = sp->at;
    sp->st = read_members(&sp->b, &j, sp->name, 0, &handed);
    sp->end = j.c.pos;
    mm_json_fini(&j);
    return NULL;
}

/* Starts the second half of a large index; NULL where it stays serial. */
static struct split *split_start(const uint8_t *data, size_t len, char *names,
                                 const char *name, uint64_t seed)
{
    struct split *sp;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const size_t at = len >= SPLIT_MIN && cpus > 1 ? guess_split(data, len) : 0;
    if (at == 0 || (sp = calloc(1, sizeof(*sp))) == NULL) {
        return NULL;
    }
    sp->data = data;
    sp->len = len;
    sp->name = name;
    sp->at = at;
    sp->idx.seed = seed;
    sp->b.idx = &sp->idx;
    sp->idx.names = (char *)names + at;
    sp->b.names_cap = len - at + 1;
    sp->b.borrowed = true;
    atomic_init(&sp->cancel, false);
    sp->b.cancel = &sp->cancel;
    mm_error_clear(&sp->err);
    if (pthread_create(&sp->tid, NULL, split_run, sp) != 0) {
        free(sp);
        return NULL;
    }
    return sp;
}

static void split_wait(struct split *sp)
{
    if (!sp->joined) {
        pthread_join(sp->tid, NULL);
        sp->joined = true;
    }
}

/* Tells the second half its work will not be used, and waits for it. */
static void split_drop(struct split *sp)
{
    if (!sp->joined) {
        atomic_store(&sp->cancel, true);
        split_wait(sp);
    }
}

/* Drops the second half's work if it was not joined, and frees it (NULL
 * allowed). */
static void split_end(struct split *sp)
{
    if (sp == NULL) {
        return;
    }
    split_drop(sp);
    sp->idx.names = NULL; /* borrowed */
    free(sp->b.shard_slots);
    free(sp->b.hash);
    mm_index_free(&sp->idx);
    free(sp);
}

/* The first entry of the second half that names its shard `local`. */
static size_t first_use(const struct mm_index *h, uint32_t local)
{
    size_t e = 0;
    while (e < h->nentries && h->shard_of[e] != local) {
        e++;
    }
    return e;
}

/* Entry e of the second half is where the serial parse would have failed:
 * the shard limit (shard) or the tensor limit. */
static enum mm_status split_limit(const struct split *sp, size_t e, bool shard,
                                  struct mm_error *err)
{
    if (shard) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, sp->name, NULL,
                       (int64_t)sp->idx.value_at[e], "more than %u shards", MM_LIMIT_FILES);
    }
    return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_TENSORS, sp->name, NULL,
                   (int64_t)sp->idx.value_at[e], "more than %u tensors", MM_LIMIT_TENSORS);
}

/* Appends the second half's entries after the first's, its shards
 * renumbered as the first half's table numbers them. */
static enum mm_status split_append(struct ix_build *b, struct split *sp, const uint32_t *remap,
                                   struct mm_error *err)
{
    struct mm_index *idx = b->idx;
    const struct mm_index *h = &sp->idx;
    const size_t n = idx->nentries;
    size_t e;
    if (!mm_grow((void **)&idx->name_at, &b->entries_cap, n + h->nentries, sizeof(size_t)) ||
        !mm_grow((void **)&idx->shard_of, &b->shard_of_cap, n + h->nentries,
                 sizeof(uint32_t)) ||
        !mm_grow((void **)&idx->value_at, &b->value_at_cap, n + h->nentries,
                 sizeof(uint64_t)) ||
        !mm_grow((void **)&b->hash, &b->hash_cap, n + h->nentries, sizeof(uint64_t))) {
        return mm_fail_nomem(err, sp->name);
    }
    for (e = 0; e < h->nentries; e++) {
        idx->name_at[n + e] = sp->at + h->name_at[e];
        idx->shard_of[n + e] = remap[h->shard_of[e]];
    }
    if (h->nentries > 0) {
        memcpy(idx->value_at + n, h->value_at, h->nentries * sizeof(uint64_t));
        memcpy(b->hash + n, sp->b.hash, h->nentries * sizeof(uint64_t));
    }
    idx->nentries += h->nentries;
    b->names_len = sp->at + sp->b.names_len;
    return MM_OK;
}

/*
 * The first half stopped at the second's first key: the second half's
 * entries join the first's, and the cursor moves to where it stopped. The
 * first failure in file order is the one reported: a limit the two halves
 * pass only together, else the second half's own error.
 */
static enum mm_status split_join(struct ix_build *b, struct split *sp, struct mm_json *j,
                                 struct mm_error *err)
{
    struct mm_index *h = &sp->idx;
    uint32_t *remap;
    size_t k;
    size_t fail = SIZE_MAX;
    bool shard_fail = false;
    enum mm_status st = MM_OK;
    split_wait(sp);
    b->guard = NULL;
    if (!sp->utf8_ok) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_UTF8, sp->name, NULL,
                       (int64_t)sp->bad, "index is not valid UTF-8");
    }
    remap = malloc((h->nshards + 1) * sizeof(*remap));
    if (remap == NULL) {
        return mm_fail_nomem(err, sp->name);
    }
    for (k = 0; k < h->nshards; k++) {
        bool limit = false;
        const long id = shard_id(b, h->shards[k], strlen(h->shards[k]), &h->shards[k], &limit);
        if (id < 0 && !limit) {
            free(remap);
            return mm_fail_nomem(err, sp->name);
        }
        if (id < 0) {
            fail = first_use(h, (uint32_t)k);
            shard_fail = true;
            break;
        }
        remap[k] = (uint32_t)id;
    }
    if (b->idx->nentries + h->nentries > MM_LIMIT_TENSORS &&
        MM_LIMIT_TENSORS - b->idx->nentries < fail) {
        fail = MM_LIMIT_TENSORS - b->idx->nentries;
        shard_fail = false;
    }
    if (fail != SIZE_MAX) {
        st = split_limit(sp, fail, shard_fail, err);
    } else {
        st = split_append(b, sp, remap, err);
    }
    free(remap);
    if (st == MM_OK && sp->st != MM_OK) {
        st = sp->st;
        if (err != NULL) {
            *err = sp->err;
        }
    }
    j->c.pos = sp->end;
    return st;
}

/* Room for the entries of a `len`-byte index, so that the second half's
 * entries join the first's without moving them: sized from the shortest
 * entries seen in practice (~60 bytes each); where that is too small, the
 * arrays grow as before. */
static bool reserve(struct ix_build *b, size_t len)
{
    struct mm_index *idx = b->idx;
    size_t n = len / 48;
    if (n > MM_LIMIT_TENSORS) {
        n = MM_LIMIT_TENSORS;
    }
    return (mm_grow((void **)&idx->name_at, &b->entries_cap, n, sizeof(size_t)) &&
           mm_grow((void **)&idx->shard_of, &b->shard_of_cap, n, sizeof(uint32_t)) &&
           mm_grow((void **)&idx->value_at, &b->value_at_cap, n, sizeof(uint64_t)) &&
           mm_grow((void **)&b->hash, &b->hash_cap, n, sizeof(uint64_t)));
}

static enum mm_status read_weight_map(struct ix_build *b, struct mm_json *j, const char *name,
                                      struct split *sp)
{
    bool handed = false;
    enum mm_status st;
    if (mm_json_peek(j) != '{') {
        return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_INDEX_INVALID, name, NULL,
                       mm_json_offset(j), "\"weight_map\" is not an object");
    }
    j->c.pos++;
    if (sp != NULL && !reserve(b, sp->len)) {
        return mm_fail_nomem(j->err, name);
    }
    st = read_members(b, j, name, sp != NULL ? sp->at : 0, &handed);
    if (st == MM_OK && handed) {
        st = split_join(b, sp, j, j->err);
    }
    return st;
}

static enum mm_status read_metadata(struct mm_index *idx, struct mm_json *j, const char *name)
{
    bool first = true;
    bool more;
    enum mm_status st;
    if (mm_json_peek(j) != '{') {
        return mm_json_skip(j, 1);
    }
    j->c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        st = mm_json_member(j, &first, &more, &k, &klen, NULL);
        if (st != MM_OK || !more) {
            return st;
        }
        if (klen == 10 && memcmp(k, "total_size", 10) == 0 &&
            (mm_json_peek(j) >= '0' && mm_json_peek(j) <= '9')) {
            struct mm_jnum num;
            const int64_t at = mm_json_offset(j);
            st = mm_json_number(j, &num);
            if (st != MM_OK) {
                return st;
            }
            /* Some writers store it as a float (e.g. 1.5e10): keep only an
             * exact integer. */
            if (num.is_int && !num.overflow) {
                idx->has_total_size = 1;
                idx->total_size = num.u;
            }
            (void)at;
            (void)name;
        } else {
            st = mm_json_skip(j, 2);
            if (st != MM_OK) {
                return st;
            }
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts shard names and renumbers the entries; builds the name table from
 * the names' hashes (hash[i] for entry i). */
static enum mm_status finish(struct mm_index *idx, const uint64_t *hashes, const char *name,
                             struct mm_error *err)
{
    uint32_t *remap = NULL;
    char **old = NULL;
    size_t i;
    enum mm_status st = MM_OK;
    old = malloc((idx->nshards + 1) * sizeof(*old));
    remap = malloc((idx->nshards + 1) * sizeof(*remap));
    idx->nslots = table_size(idx->nentries);
    idx->slots = mm_calloc_big(idx->nslots, sizeof(*idx->slots));
    if (old == NULL || remap == NULL || idx->slots == NULL) {
        st = mm_fail_nomem(err, name);
        goto out;
    }
    if (idx->nshards > 0) {
        memcpy(old, idx->shards, idx->nshards * sizeof(*old));
    }
    if (idx->nshards > 1) {
        qsort(idx->shards, idx->nshards, sizeof(*idx->shards), cmp_str);
    }
    for (i = 0; i < idx->nshards; i++) {
        char **pos = bsearch(&old[i], idx->shards, idx->nshards, sizeof(char *), cmp_str);
        remap[i] = (uint32_t)(pos - idx->shards);
    }
    for (i = 0; i < idx->nentries; i++) {
        const char *n = idx->names + idx->name_at[i];
        const uint64_t hash = hashes[i];
        const uint64_t tag = hash & 0xffffffff00000000ull;
        size_t h = (size_t)hash & (idx->nslots - 1);
        idx->shard_of[i] = remap[idx->shard_of[i]];
        while (idx->slots[h] != 0) {
            if ((idx->slots[h] & 0xffffffff00000000ull) == tag &&
                strcmp(idx->names + idx->name_at[(idx->slots[h] & 0xffffffffu) - 1], n) == 0) {
                st = mm_fail(err, MM_ERR_MALFORMED, MM_E_DUPLICATE_KEY, name, n, -1,
                             "weight_map lists this tensor twice");
                goto out;
            }
            h = (h + 1) & (idx->nslots - 1);
        }
        idx->slots[h] = tag | (uint64_t)(i + 1);
    }
out:
    free(old);
    free(remap);
    return st;
}

static enum mm_status parse(struct mm_index *out, const uint8_t *data, size_t len,
                            const char *name, bool split_ok, struct mm_error *err)
{
    struct mm_json j;
    struct ix_build b;
    bool first = true;
    bool more;
    bool have_map = false;
    size_t bad;
    struct split *sp;
    enum mm_status st;
    memset(out, 0, sizeof(*out));
    memset(&b, 0, sizeof(b));
    b.idx = out;
    out->seed = mm_hash_seed(out);
    sp = NULL;
    if (split_ok && len >= SPLIT_MIN) {
        /* every name, both halves', in one buffer as long as the text
         * (huge pages from MM_BIG_BYTES, as bigmem.h says) */
        out->names = len + 1 >= MM_BIG_BYTES ? mm_alloc_big(len + 1) : malloc(len + 1);
        if (out->names == NULL) {
            return mm_fail_nomem(err, name);
        }
        b.names_cap = len + 1;
        sp = split_start(data, len, out->names, name, out->seed);
        b.guard = sp;
        b.guard_at = sp != NULL ? sp->at : 0;
        if (sp == NULL) {
            /* serial after all (one processor, no split point, no thread):
             * the names grow with the entries, not with the file */
            free(out->names);
            out->names = NULL;
            b.names_cap = 0;
        }
    }
    if (!mm_utf8_valid(data, sp != NULL ? sp->at : len, &bad)) {
        split_end(sp);
        mm_index_free(out);
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_UTF8, name, NULL, (int64_t)bad,
                       "index is not valid UTF-8");
    }
    mm_json_init(&j, data, len, 0, name, err);
    if (mm_json_peek(&j) != '{') {
        st = mm_fail(err, MM_ERR_MALFORMED, MM_E_JSON_NOT_OBJECT, name, NULL,
                     mm_json_offset(&j), "index is not a JSON object");
        goto out;
    }
    j.c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        int64_t kat;
        st = mm_json_member(&j, &first, &more, &k, &klen, &kat);
        if (st != MM_OK || !more) {
            break;
        }
        if (klen == 10 && memcmp(k, "weight_map", 10) == 0) {
            if (have_map) {
                st = mm_fail(err, MM_ERR_MALFORMED, MM_E_DUPLICATE_KEY, name, NULL, kat,
                             "\"weight_map\" appears twice");
                break;
            }
            have_map = true;
            st = read_weight_map(&b, &j, name, sp);
        } else if (klen == 8 && memcmp(k, "metadata", 8) == 0) {
            st = read_metadata(out, &j, name);
        } else {
            st = mm_json_skip(&j, 1);
        }
        if (st != MM_OK) {
            break;
        }
    }
    if (st == MM_OK && mm_json_peek(&j) != -1) {
        st = mm_json_syntax(&j, "trailing characters after the index object");
    }
    if (st == MM_OK && !have_map) {
        st = mm_fail(err, MM_ERR_MALFORMED, MM_E_INDEX_INVALID, name, NULL, -1,
                     "index has no \"weight_map\"");
    }
    if (st == MM_OK) {
        st = finish(out, b.hash, name, err);
    }
out:
    mm_json_fini(&j);
    free(b.shard_slots);
    free(b.hash);
    if (sp != NULL) {
        /* a second half not joined is stopped (its work is not used) and
         * waited for however the parse ended; bytes there that are not
         * UTF-8 (checked before its parse) are the file's first error */
        split_drop(sp);
        if (!sp->utf8_ok) {
            st = mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_UTF8, name, NULL,
                         (int64_t)sp->bad, "index is not valid UTF-8");
        }
        split_end(sp);
    }
    if (st != MM_OK) {
        mm_index_free(out);
    }
    return st;
}

enum mm_status mm_index_parse(struct mm_index *out, const uint8_t *data, size_t len,
                              const char *name, struct mm_error *err)
{
    return parse(out, data, len, name, true, err);
}

enum mm_status mm_index_parse_serial(struct mm_index *out, const uint8_t *data, size_t len,
                                     const char *name, struct mm_error *err)
{
    return parse(out, data, len, name, false, err);
}

long mm_index_find(const struct mm_index *idx, const char *name)
{
    uint64_t hash;
    uint64_t tag;
    size_t h;
    if (idx->nslots == 0) {
        return -1;
    }
    hash = mm_hash_seeded(idx->seed, name, strlen(name));
    tag = hash & 0xffffffff00000000ull;
    h = (size_t)hash & (idx->nslots - 1);
    while (idx->slots[h] != 0) {
        const uint64_t slot = idx->slots[h];
        if ((slot & 0xffffffff00000000ull) == tag) {
            const size_t e = (size_t)(slot & 0xffffffffu) - 1;
            if (strcmp(idx->names + idx->name_at[e], name) == 0) {
                return (long)e;
            }
        }
        h = (h + 1) & (idx->nslots - 1);
    }
    return -1;
}

long mm_index_find_near(const struct mm_index *idx, const char *name, long prev)
{
    size_t e;
    for (e = (size_t)(prev + 1); prev >= 0 && e <= (size_t)prev + 2 && e < idx->nentries; e++) {
        if (strcmp(idx->names + idx->name_at[e], name) == 0) {
            return (long)e;
        }
    }
    return mm_index_find(idx, name);
}
