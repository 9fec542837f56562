/* index.c - reading *.index.json files with the pull parser. */
#include <stdlib.h>
#include <string.h>

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

/* State while parsing: shard names collected unsorted with their ids. */
struct ix_build {
    struct mm_index *idx;
    size_t names_len;
    size_t names_cap;
    size_t entries_cap;
    size_t shard_of_cap;
    size_t value_at_cap;
    size_t shards_cap;
    size_t *shard_slots; /* table over shard names, shard id + 1 */
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

/* Id of shard `s`, adding it if new; -1 when out of memory or over the
 * file limit (*limit set). */
static long shard_id(struct ix_build *b, const char *s, size_t len, bool *limit)
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
    copy = malloc(len + 1);
    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    idx->shards[idx->nshards] = copy;
    b->shard_slots[h] = idx->nshards + 1;
    return (long)idx->nshards++;
}

static enum mm_status add_entry(struct ix_build *b, const char *k, size_t klen, uint32_t shard,
                                int64_t at)
{
    struct mm_index *idx = b->idx;
    size_t need;
    if (!mm_add_size(&need, b->names_len, klen + 1) ||
        !mm_grow((void **)&idx->names, &b->names_cap, need, 1) ||
        !mm_grow((void **)&idx->name_at, &b->entries_cap, idx->nentries + 1, sizeof(size_t)) ||
        !mm_grow((void **)&idx->shard_of, &b->shard_of_cap, idx->nentries + 1,
                 sizeof(uint32_t)) ||
        !mm_grow((void **)&idx->value_at, &b->value_at_cap, idx->nentries + 1,
                 sizeof(uint64_t))) {
        return MM_ERR_NOMEM;
    }
    memcpy(idx->names + b->names_len, k, klen);
    idx->names[b->names_len + klen] = '\0';
    idx->name_at[idx->nentries] = b->names_len;
    idx->shard_of[idx->nentries] = shard;
    idx->value_at[idx->nentries] = (uint64_t)at;
    idx->nentries++;
    b->names_len = need;
    return MM_OK;
}

static enum mm_status read_weight_map(struct ix_build *b, struct mm_json *j, const char *name)
{
    bool first = true;
    bool more;
    enum mm_status st;
    char *key = NULL;
    size_t key_cap = 0;
    long last = -1; /* the previous entry's shard */
    size_t last_len = 0;
    if (mm_json_peek(j) != '{') {
        return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_INDEX_INVALID, name, NULL,
                       mm_json_offset(j), "\"weight_map\" is not an object");
    }
    j->c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        const char *v;
        size_t vlen;
        int64_t vat;
        long id;
        bool limit = false;
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
        st = mm_json_string(j, &v, &vlen);
        if (st != MM_OK) {
            break;
        }
        /* Entries come in runs of one shard: the run's shard was checked
         * and looked up already. */
        if (last >= 0 && last_len == vlen &&
            memcmp(b->idx->shards[last], v, vlen) == 0) {
            id = last;
        } else if (!mm_shard_name_safe(v, vlen)) {
            st = mm_failn(j->err, MM_ERR_UNSAFE, MM_E_SHARD_NAME_UNSAFE, name, k, klen, vat,
                          "refusing shard name \"%.*s\": absolute, \"..\", \"\\\", control "
                          "byte or URL",
                          (int)(vlen > 80 ? 80 : vlen), v);
            break;
        } else {
            id = shard_id(b, v, vlen, &limit);
        }
        if (id < 0) {
            st = limit ? mm_fail(j->err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, name, NULL, vat,
                                 "more than %u shards", MM_LIMIT_FILES)
                       : mm_fail_nomem(j->err, name);
            break;
        }
        last = id;
        last_len = vlen;
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

/* Sorts shard names and renumbers the entries; builds the name table. */
static enum mm_status finish(struct mm_index *idx, const char *name, struct mm_error *err)
{
    uint32_t *remap = NULL;
    char **old = NULL;
    size_t i;
    enum mm_status st = MM_OK;
    old = malloc((idx->nshards + 1) * sizeof(*old));
    remap = malloc((idx->nshards + 1) * sizeof(*remap));
    idx->nslots = table_size(idx->nentries);
    idx->slots = calloc(idx->nslots, sizeof(*idx->slots));
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
        const uint64_t hash = mm_hash_seeded(idx->seed, n, strlen(n));
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

enum mm_status mm_index_parse(struct mm_index *out, const uint8_t *data, size_t len,
                              const char *name, struct mm_error *err)
{
    struct mm_json j;
    struct ix_build b;
    bool first = true;
    bool more;
    bool have_map = false;
    size_t bad;
    enum mm_status st;
    memset(out, 0, sizeof(*out));
    memset(&b, 0, sizeof(b));
    b.idx = out;
    out->seed = mm_hash_seed(out);
    if (!mm_utf8_valid(data, len, &bad)) {
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
            st = read_weight_map(&b, &j, name);
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
        st = finish(out, name, err);
    }
out:
    mm_json_fini(&j);
    free(b.shard_slots);
    if (st != MM_OK) {
        mm_index_free(out);
    }
    return st;
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
