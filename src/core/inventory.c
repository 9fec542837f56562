/*
 * inventory.c - the tensor inventory: the single data model between the
 * readers, which fill it through the mm_inv_* builder, and everything
 * else, which reads it through the public getters.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/internal.h"

/* Chunks start small and double up to ARENA_CHUNK: a model of 10^5 shards
 * has 10^5 part inventories, each holding one path and a few names (with
 * 256 KiB each from the start, 20,000 one-tensor shards took 150 MB). */
#define ARENA_FIRST 256u
#define ARENA_CHUNK (256u * 1024u)

/* Strings live in chunks that never move, so pointers into them stay valid
 * while more are added and when chunks pass from one inventory to another. */
struct arena {
    char **chunks;
    size_t nchunks;
    size_t cap;
    size_t used; /* bytes used in the last chunk */
    size_t size; /* size of the last chunk */
};

/* 64 bytes a tensor on 64-bit systems: a model of 10^6 tensors keeps 10^6 */
struct tensor_rec {
    struct mm_tensor pub;
    uint32_t dims_at; /* index of the first dimension in `dims` */
    uint32_t storage; /* shared storage (PyTorch): its index in `storages` + 1; 0 none */
};

/* A storage that tensors share: counted once per (file, key). */
struct storage_rec {
    uint64_t key;
    uint64_t bytes;
};

struct mm_inventory {
    struct mm_file *files;
    size_t nfiles;
    size_t files_cap;
    struct tensor_rec *recs;
    size_t ntensors;
    size_t recs_cap;
    uint64_t *dims;
    size_t ndims;
    size_t dims_cap;
    struct storage_rec *storages;
    size_t nstorages;
    size_t storages_cap;
    struct mm_meta *meta;
    size_t nmeta;
    size_t meta_cap;
    struct mm_warning *warnings;
    size_t nwarnings;
    size_t warnings_cap;
    struct arena strings;
    struct mm_totals totals;
    int finished;
    int allow_unsafe_pickle; /* a load option the readers consult */
};

static void arena_free(struct arena *a)
{
    size_t i;
    for (i = 0; i < a->nchunks; i++) {
        free(a->chunks[i]);
    }
    free(a->chunks);
    memset(a, 0, sizeof(*a));
}

/* Copies len bytes and a terminating NUL; NULL when out of memory. */
static char *arena_strdup(struct arena *a, const char *s, size_t len)
{
    char *dst;
    size_t need;
    if (!mm_add_size(&need, len, 1)) {
        return NULL;
    }
    if (a->nchunks == 0 || a->size - a->used < need) {
        size_t size = ARENA_FIRST;
        char *chunk;
        if (a->nchunks > 0) {
            /* a->size may be one huge string's: do not double that */
            size = a->size >= ARENA_CHUNK / 2 ? ARENA_CHUNK : a->size * 2;
        }
        if (size < need) {
            size = need;
        }
        if (!mm_grow((void **)&a->chunks, &a->cap, a->nchunks + 1, sizeof(char *))) {
            return NULL;
        }
        chunk = malloc(size);
        if (chunk == NULL) {
            return NULL;
        }
        a->chunks[a->nchunks++] = chunk;
        a->used = 0;
        a->size = size;
    }
    dst = a->chunks[a->nchunks - 1] + a->used;
    memcpy(dst, s, len);
    dst[len] = '\0';
    a->used += need;
    return dst;
}

/* Moves every chunk of `from` into `to`; `from` ends empty. The last chunk
 * of `to` keeps being the one new strings go to only if it stays last, so
 * the moved chunks are put before it. */
static int arena_absorb(struct arena *to, struct arena *from)
{
    size_t i;
    if (from->nchunks == 0) {
        return 1;
    }
    if (!mm_grow((void **)&to->chunks, &to->cap, to->nchunks + from->nchunks, sizeof(char *))) {
        return 0;
    }
    if (to->nchunks == 0) {
        memcpy(to->chunks, from->chunks, from->nchunks * sizeof(char *));
        to->nchunks = from->nchunks;
        to->used = from->used;
        to->size = from->size;
    } else {
        char *last = to->chunks[to->nchunks - 1];
        for (i = 0; i < from->nchunks; i++) {
            to->chunks[to->nchunks - 1 + i] = from->chunks[i];
        }
        to->nchunks += from->nchunks;
        to->chunks[to->nchunks - 1] = last;
    }
    free(from->chunks);
    memset(from, 0, sizeof(*from));
    return 1;
}

struct mm_inventory *mm_inv_new(void)
{
    return calloc(1, sizeof(struct mm_inventory));
}

void mm_inventory_free(struct mm_inventory *inv)
{
    if (inv == NULL) {
        return;
    }
    free(inv->files);
    free(inv->recs);
    free(inv->storages);
    free(inv->dims);
    free(inv->meta);
    free(inv->warnings);
    arena_free(&inv->strings);
    free(inv);
}

enum mm_status mm_inv_add_file(struct mm_inventory *inv, const char *path, const char *format,
                               uint64_t bytes, uint64_t header_bytes, uint32_t *out_index)
{
    struct mm_file *f;
    const char *copy;
    if (inv->nfiles >= MM_LIMIT_FILES) {
        return MM_ERR_LIMIT;
    }
    if (!mm_grow((void **)&inv->files, &inv->files_cap, inv->nfiles + 1, sizeof(*inv->files))) {
        return MM_ERR_NOMEM;
    }
    copy = arena_strdup(&inv->strings, path, strlen(path));
    if (copy == NULL) {
        return MM_ERR_NOMEM;
    }
    f = &inv->files[inv->nfiles];
    f->path = copy;
    f->format = format;
    f->bytes = bytes;
    f->header_bytes = header_bytes;
    *out_index = (uint32_t)inv->nfiles;
    inv->nfiles++;
    return MM_OK;
}

void mm_inv_set_file_format(struct mm_inventory *inv, uint32_t file, const char *format,
                            uint64_t header_bytes)
{
    if (file < inv->nfiles) {
        inv->files[file].format = format;
        inv->files[file].header_bytes = header_bytes;
    }
}

const char *mm_inv_file_path(const struct mm_inventory *inv, uint32_t file)
{
    return file < inv->nfiles ? inv->files[file].path : "";
}

enum mm_status mm_inv_reserve(struct mm_inventory *inv, size_t n)
{
    size_t recs;
    size_t dims;
    if (!mm_add_size(&recs, inv->ntensors, n) || !mm_add_size(&dims, inv->ndims, n) ||
        !mm_add_size(&dims, dims, n) ||
        !mm_grow((void **)&inv->recs, &inv->recs_cap, recs, sizeof(*inv->recs)) ||
        !mm_grow((void **)&inv->dims, &inv->dims_cap, dims, sizeof(*inv->dims))) {
        return MM_ERR_NOMEM;
    }
    return MM_OK;
}

enum mm_status mm_inv_reserve_in(struct mm_inventory *inv, size_t n, void *mem, size_t bytes)
{
    size_t recs;
    if (mem != NULL && mm_add_size(&recs, inv->ntensors, n) &&
        recs <= bytes / sizeof(*inv->recs) && recs > inv->recs_cap) {
        if (inv->ntensors > 0) {
            memcpy(mem, inv->recs, inv->ntensors * sizeof(*inv->recs));
        }
        free(inv->recs);
        inv->recs = mem;
        inv->recs_cap = bytes / sizeof(*inv->recs);
        mem = NULL;
    }
    free(mem);
    return mm_inv_reserve(inv, n);
}

enum mm_status mm_inv_add_tensor(struct mm_inventory *inv, const char *name, size_t name_len,
                                 enum mm_dtype dtype, uint32_t rank, const uint64_t *shape,
                                 uint64_t numel, uint32_t file, uint64_t offset,
                                 uint64_t nbytes)
{
    struct tensor_rec *r;
    const char *copy;
    if (inv->ntensors >= MM_LIMIT_TENSORS) {
        return MM_ERR_LIMIT;
    }
    /* dims_at is 32 bits: 10^7 tensors of rank 16 are far below */
    if (rank > MM_LIMIT_RANK || name_len > MM_LIMIT_NAME || inv->ndims + rank > UINT32_MAX) {
        return MM_ERR_LIMIT;
    }
    if (!mm_grow((void **)&inv->recs, &inv->recs_cap, inv->ntensors + 1, sizeof(*inv->recs)) ||
        !mm_grow((void **)&inv->dims, &inv->dims_cap, inv->ndims + rank, sizeof(*inv->dims))) {
        return MM_ERR_NOMEM;
    }
    copy = arena_strdup(&inv->strings, name, name_len);
    if (copy == NULL) {
        return MM_ERR_NOMEM;
    }
    r = &inv->recs[inv->ntensors];
    memset(r, 0, sizeof(*r));
    r->pub.name = copy;
    r->pub.numel = numel;
    r->pub.offset = offset;
    r->pub.nbytes = nbytes;
    r->pub.rank = rank;
    r->pub.file = file;
    r->pub.dtype = dtype;
    r->dims_at = (uint32_t)inv->ndims;
    if (rank > 0) {
        memcpy(inv->dims + inv->ndims, shape, rank * sizeof(*shape));
    }
    inv->ndims += rank;
    inv->ntensors++;
    inv->finished = 0;
    return MM_OK;
}

enum mm_status mm_inv_set_storage(struct mm_inventory *inv, size_t i, uint64_t storage_key,
                                  uint64_t storage_bytes)
{
    if (i >= inv->ntensors) {
        return MM_OK;
    }
    if (inv->nstorages >= UINT32_MAX - 1 ||
        !mm_grow((void **)&inv->storages, &inv->storages_cap, inv->nstorages + 1,
                 sizeof(*inv->storages))) {
        return MM_ERR_NOMEM;
    }
    inv->storages[inv->nstorages].key = storage_key;
    inv->storages[inv->nstorages].bytes = storage_bytes;
    inv->recs[i].storage = (uint32_t)++inv->nstorages;
    return MM_OK;
}

enum mm_status mm_inv_add_meta(struct mm_inventory *inv, const char *key, size_t key_len,
                               const char *value, size_t value_len, uint32_t file)
{
    struct mm_meta *m;
    const char *k;
    const char *v;
    if (!mm_grow((void **)&inv->meta, &inv->meta_cap, inv->nmeta + 1, sizeof(*inv->meta))) {
        return MM_ERR_NOMEM;
    }
    k = arena_strdup(&inv->strings, key, key_len);
    v = k == NULL ? NULL : arena_strdup(&inv->strings, value, value_len);
    if (v == NULL) {
        return MM_ERR_NOMEM;
    }
    m = &inv->meta[inv->nmeta++];
    m->key = k;
    m->value = v;
    m->file = file;
    return MM_OK;
}

enum mm_status mm_inv_add_warning(struct mm_inventory *inv, enum mm_errcode code, uint32_t file,
                                  int64_t offset, const char *message)
{
    struct mm_warning *w;
    const char *m;
    if (!mm_grow((void **)&inv->warnings, &inv->warnings_cap, inv->nwarnings + 1,
                 sizeof(*inv->warnings))) {
        return MM_ERR_NOMEM;
    }
    m = arena_strdup(&inv->strings, message, strlen(message));
    if (m == NULL) {
        return MM_ERR_NOMEM;
    }
    w = &inv->warnings[inv->nwarnings++];
    w->code = code;
    w->file = file;
    w->offset = offset;
    w->message = m;
    return MM_OK;
}

void mm_inv_set_allow_unsafe_pickle(struct mm_inventory *inv, int allow)
{
    inv->allow_unsafe_pickle = allow;
}

int mm_inv_allow_unsafe_pickle(const struct mm_inventory *inv)
{
    return inv->allow_unsafe_pickle;
}

/* Copies the metadata and warnings of `part` into `inv`'s arena, in the
 * slots after inv's own (grown by the caller); counts are left to it. */
static bool copy_part_strings(struct mm_inventory *inv, const struct mm_inventory *part)
{
    size_t i;
    for (i = 0; i < part->nmeta; i++) {
        struct mm_meta *m = &inv->meta[inv->nmeta + i];
        *m = part->meta[i];
        m->key = arena_strdup(&inv->strings, part->meta[i].key, strlen(part->meta[i].key));
        m->value = m->key == NULL ? NULL
                                  : arena_strdup(&inv->strings, part->meta[i].value,
                                                 strlen(part->meta[i].value));
        if (m->value == NULL) {
            return false;
        }
    }
    for (i = 0; i < part->nwarnings; i++) {
        struct mm_warning *w = &inv->warnings[inv->nwarnings + i];
        *w = part->warnings[i];
        w->message = arena_strdup(&inv->strings, part->warnings[i].message,
                                  strlen(part->warnings[i].message));
        if (w->message == NULL) {
            return false;
        }
    }
    return true;
}

enum mm_status mm_inv_adopt(struct mm_inventory *inv, char *buf)
{
    struct arena *a = &inv->strings;
    if (buf == NULL) {
        return MM_OK;
    }
    if (!mm_grow((void **)&a->chunks, &a->cap, a->nchunks + 1, sizeof(char *))) {
        return MM_ERR_NOMEM;
    }
    if (a->nchunks == 0) {
        /* a chunk with no room left: the next string starts a new one */
        a->chunks[a->nchunks++] = buf;
        a->used = 0;
        a->size = 0;
        return MM_OK;
    }
    /* before the last chunk, which new strings keep going to */
    a->chunks[a->nchunks] = a->chunks[a->nchunks - 1];
    a->chunks[a->nchunks - 1] = buf;
    a->nchunks++;
    return MM_OK;
}

static enum mm_status absorb(struct mm_inventory *inv, struct mm_inventory *part, uint32_t file,
                             bool named)
{
    size_t i;
    const uint32_t dims_base = (uint32_t)inv->ndims;
    const uint32_t storages_base = (uint32_t)inv->nstorages;
    if (inv->ntensors + part->ntensors > MM_LIMIT_TENSORS ||
        inv->ndims + part->ndims > UINT32_MAX ||
        inv->nstorages + part->nstorages >= UINT32_MAX) {
        return MM_ERR_LIMIT;
    }
    if (!mm_grow((void **)&inv->recs, &inv->recs_cap, inv->ntensors + part->ntensors,
                 sizeof(*inv->recs)) ||
        !mm_grow((void **)&inv->dims, &inv->dims_cap, inv->ndims + part->ndims,
                 sizeof(*inv->dims)) ||
        !mm_grow((void **)&inv->storages, &inv->storages_cap,
                 inv->nstorages + part->nstorages, sizeof(*inv->storages)) ||
        !mm_grow((void **)&inv->meta, &inv->meta_cap, inv->nmeta + part->nmeta,
                 sizeof(*inv->meta)) ||
        !mm_grow((void **)&inv->warnings, &inv->warnings_cap,
                 inv->nwarnings + part->nwarnings, sizeof(*inv->warnings))) {
        return MM_ERR_NOMEM;
    }
    if (named ? !copy_part_strings(inv, part) : !arena_absorb(&inv->strings, &part->strings)) {
        return MM_ERR_NOMEM;
    }
    if (part->ndims > 0) {
        memcpy(inv->dims + inv->ndims, part->dims, part->ndims * sizeof(*part->dims));
    }
    inv->ndims += part->ndims;
    for (i = 0; i < part->ntensors; i++) {
        struct tensor_rec r = part->recs[i];
        r.pub.file = file;
        r.dims_at += dims_base;
        if (r.storage != 0) {
            r.storage += storages_base;
        }
        inv->recs[inv->ntensors++] = r;
    }
    if (part->nstorages > 0) {
        memcpy(inv->storages + inv->nstorages, part->storages,
               part->nstorages * sizeof(*part->storages));
    }
    inv->nstorages += part->nstorages;
    for (i = 0; i < part->nmeta; i++) {
        struct mm_meta m = named ? inv->meta[inv->nmeta] : part->meta[i];
        m.file = file;
        inv->meta[inv->nmeta++] = m;
    }
    for (i = 0; i < part->nwarnings; i++) {
        struct mm_warning w = named ? inv->warnings[inv->nwarnings] : part->warnings[i];
        w.file = file;
        inv->warnings[inv->nwarnings++] = w;
    }
    if (part->nfiles > 0 && file < inv->nfiles) {
        inv->files[file].format = part->files[0].format;
        inv->files[file].header_bytes = part->files[0].header_bytes;
    }
    part->ntensors = 0;
    part->ndims = 0;
    part->nstorages = 0;
    part->nmeta = 0;
    part->nwarnings = 0;
    inv->finished = 0;
    return MM_OK;
}

enum mm_status mm_inv_absorb(struct mm_inventory *inv, struct mm_inventory *part, uint32_t file)
{
    return absorb(inv, part, file, false);
}

enum mm_status mm_inv_absorb_named(struct mm_inventory *inv, struct mm_inventory *part,
                                   uint32_t file)
{
    return absorb(inv, part, file, true);
}

/* splitmix64's finaliser */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t mm_hash_seed(const void *salt)
{
    struct timespec ts;
    uint64_t s = mix64((uint64_t)(uintptr_t)salt) ^ mix64((uint64_t)(uintptr_t)&ts);
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
        s ^= mix64((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
    }
    return mix64(s);
}

uint64_t mm_hash_bytes(const void *p, size_t len)
{
    return mm_hash_seeded(0, p, len);
}

uint64_t mm_hash_seeded(uint64_t seed, const void *p, size_t len)
{
    /* FNV-1a over 8-byte words from a seeded start, then a final mix; fast
     * enough for ~10^6 names. The seed enters every step through the
     * multiply and the shifts, so no two names collide for all seeds. */
    const uint8_t *b = p;
    uint64_t h = (0xcbf29ce484222325ull ^ seed) ^ (uint64_t)len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        const uint8_t *q = b + i;
        const uint64_t w = (uint64_t)q[0] | (uint64_t)q[1] << 8 | (uint64_t)q[2] << 16 |
                           (uint64_t)q[3] << 24 | (uint64_t)q[4] << 32 |
                           (uint64_t)q[5] << 40 | (uint64_t)q[6] << 48 |
                           (uint64_t)q[7] << 56;
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h = (h ^ b[i]) * 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

enum mm_status mm_inv_prefix_names(struct mm_inventory *inv, const char *prefix)
{
    const size_t plen = strlen(prefix);
    char *buf = NULL;
    size_t cap = 0;
    size_t i;
    for (i = 0; i < inv->ntensors; i++) {
        const char *old = inv->recs[i].pub.name;
        const size_t len = strlen(old);
        const char *copy;
        if (!mm_grow((void **)&buf, &cap, plen + len + 1, 1)) {
            free(buf);
            return MM_ERR_NOMEM;
        }
        memcpy(buf, prefix, plen);
        memcpy(buf + plen, old, len);
        copy = arena_strdup(&inv->strings, buf, plen + len);
        if (copy == NULL) {
            free(buf);
            return MM_ERR_NOMEM;
        }
        inv->recs[i].pub.name = copy;
    }
    free(buf);
    return MM_OK;
}

enum mm_status mm_inv_check_unique(const struct mm_inventory *inv, struct mm_error *err)
{
    size_t cap = 16;
    uint64_t *slots; /* hash's high 32 bits | tensor index + 1 */
    uint64_t seed;
    size_t i;
    enum mm_status st = MM_OK;
    while (cap < inv->ntensors * 2) {
        cap *= 2;
    }
    slots = mm_calloc_big(cap, sizeof(*slots));
    if (slots == NULL) {
        return mm_fail_nomem(err, NULL);
    }
    seed = mm_hash_seed(slots);
    for (i = 0; i < inv->ntensors && st == MM_OK; i++) {
        const char *name = inv->recs[i].pub.name;
        const uint64_t hash = mm_hash_seeded(seed, name, strlen(name));
        const uint64_t tag = hash & 0xffffffff00000000ull;
        size_t s = (size_t)hash & (cap - 1);
        while (slots[s] != 0) {
            const struct mm_tensor *o = &inv->recs[(slots[s] & 0xffffffffu) - 1].pub;
            if ((slots[s] & 0xffffffff00000000ull) == tag && strcmp(o->name, name) == 0) {
                const uint32_t f = inv->recs[i].pub.file;
                if (o->file == f) {
                    st = mm_fail(err, MM_ERR_MALFORMED, MM_E_DUPLICATE_TENSOR,
                                 mm_inv_file_path(inv, f), name,
                                 (int64_t)inv->recs[i].pub.offset, "tensor name appears twice");
                } else {
                    st = mm_fail(err, MM_ERR_MALFORMED, MM_E_DUPLICATE_TENSOR,
                                 mm_inv_file_path(inv, f), name,
                                 (int64_t)inv->recs[i].pub.offset,
                                 "tensor name also appears in %s",
                                 mm_inv_file_path(inv, o->file));
                }
                break;
            }
            s = (s + 1) & (cap - 1);
        }
        slots[s] = tag | (uint64_t)(i + 1);
    }
    free(slots);
    return st;
}

/* Bytes of shared storages counted once: a set of (file, key) pairs. */
static enum mm_status shared_bytes(const struct mm_inventory *inv, uint64_t *out)
{
    size_t cap = 16;
    size_t *slots;
    size_t i;
    size_t shared = 0;
    uint64_t total = 0;
    uint64_t seed;
    /* sized by the tensors that share storage (PyTorch's), not all of them:
     * a safetensors model of 10^6 tensors has none and needs no table */
    for (i = 0; i < inv->ntensors; i++) {
        shared += inv->recs[i].storage != 0 ? 1u : 0u;
    }
    if (shared == 0) {
        *out = 0;
        return MM_OK;
    }
    while (cap < shared * 2) {
        cap *= 2;
    }
    slots = mm_calloc_big(cap, sizeof(*slots));
    if (slots == NULL) {
        return MM_ERR_NOMEM;
    }
    seed = mm_hash_seed(slots);
    for (i = 0; i < inv->ntensors; i++) {
        const struct tensor_rec *r = &inv->recs[i];
        const struct storage_rec *sr;
        uint64_t key;
        size_t s;
        int seen = 0;
        if (r->storage == 0) {
            continue;
        }
        sr = &inv->storages[r->storage - 1];
        key = mm_hash_seeded(seed, &sr->key, sizeof(sr->key)) ^
              ((uint64_t)r->pub.file * 0x9e3779b97f4a7c15ull);
        s = (size_t)key & (cap - 1);
        while (slots[s] != 0) {
            const struct tensor_rec *o = &inv->recs[slots[s] - 1];
            if (o->pub.file == r->pub.file && inv->storages[o->storage - 1].key == sr->key) {
                seen = 1;
                break;
            }
            s = (s + 1) & (cap - 1);
        }
        if (!seen) {
            slots[s] = i + 1;
            total += sr->bytes;
        }
    }
    free(slots);
    *out = total;
    return MM_OK;
}

/* Where tensor shapes start: when every tensor is a scalar no dimension was
 * ever stored and `dims` is NULL, where even `+ 0` is undefined. */
static const uint64_t *shape_base(const struct mm_inventory *inv)
{
    static const uint64_t no_dims[1] = {0};
    return inv->dims != NULL ? inv->dims : no_dims;
}

enum mm_status mm_inv_finish(struct mm_inventory *inv)
{
    size_t i;
    uint64_t shared = 0;
    enum mm_status st;
    memset(&inv->totals, 0, sizeof(inv->totals));
    for (i = 0; i < inv->ntensors; i++) {
        struct tensor_rec *r = &inv->recs[i];
        r->pub.shape = shape_base(inv) + r->dims_at;
        inv->totals.tensors++;
        /* Sums of checked per-tensor values within one file set cannot
         * exceed 2^64 for real files; saturate rather than wrap anyway. */
        if (!mm_add_u64(&inv->totals.parameters, inv->totals.parameters, r->pub.numel)) {
            inv->totals.parameters = UINT64_MAX;
        }
        if ((unsigned)r->pub.dtype < MM_DTYPE_COUNT_) {
            uint64_t *p = &inv->totals.parameters_by_dtype[r->pub.dtype];
            if (!mm_add_u64(p, *p, r->pub.numel)) {
                *p = UINT64_MAX;
            }
        }
        if (r->storage == 0 &&
            !mm_add_u64(&inv->totals.bytes, inv->totals.bytes, r->pub.nbytes)) {
            inv->totals.bytes = UINT64_MAX;
        }
    }
    st = shared_bytes(inv, &shared);
    if (st != MM_OK) {
        return st;
    }
    if (!mm_add_u64(&inv->totals.bytes, inv->totals.bytes, shared)) {
        inv->totals.bytes = UINT64_MAX;
    }
    inv->finished = 1;
    return MM_OK;
}

size_t mm_inv_count(const struct mm_inventory *inv)
{
    return inv->ntensors;
}

struct mm_tensor *mm_inv_tensor_mut(struct mm_inventory *inv, size_t i)
{
    return i < inv->ntensors ? &inv->recs[i].pub : NULL;
}

const uint64_t *mm_inv_shape(const struct mm_inventory *inv, size_t i)
{
    return i < inv->ntensors ? shape_base(inv) + inv->recs[i].dims_at : NULL;
}

size_t mm_inventory_file_count(const struct mm_inventory *inv)
{
    return inv == NULL ? 0 : inv->nfiles;
}

const struct mm_file *mm_inventory_file(const struct mm_inventory *inv, size_t i)
{
    return (inv == NULL || i >= inv->nfiles) ? NULL : &inv->files[i];
}

size_t mm_inventory_tensor_count(const struct mm_inventory *inv)
{
    return inv == NULL ? 0 : inv->ntensors;
}

const struct mm_tensor *mm_inventory_tensor(const struct mm_inventory *inv, size_t i)
{
    return (inv == NULL || i >= inv->ntensors) ? NULL : &inv->recs[i].pub;
}

size_t mm_inventory_meta_count(const struct mm_inventory *inv)
{
    return inv == NULL ? 0 : inv->nmeta;
}

const struct mm_meta *mm_inventory_meta(const struct mm_inventory *inv, size_t i)
{
    return (inv == NULL || i >= inv->nmeta) ? NULL : &inv->meta[i];
}

const struct mm_totals *mm_inventory_totals(const struct mm_inventory *inv)
{
    return inv == NULL ? NULL : &inv->totals;
}

size_t mm_inventory_warning_count(const struct mm_inventory *inv)
{
    return inv == NULL ? 0 : inv->nwarnings;
}

const struct mm_warning *mm_inventory_warning(const struct mm_inventory *inv, size_t i)
{
    return (inv == NULL || i >= inv->nwarnings) ? NULL : &inv->warnings[i];
}
