/*
 * scan_seen.c - what a scan has already met, by identity rather than by
 * name (scan_walk.h): ROOTs may overlap (one given twice, one inside
 * another, a link and its target), and a model reached again must not be
 * listed again. The identity of a path is its device and inode, links
 * followed or not as the caller asks; a path that is not there (a ref
 * naming a missing snapshot, a missing ROOT) is the device and inode of
 * the nearest folder above it that is there and the rest of the path; one
 * with no such folder (not even "/" or "." can be read) is the path as
 * written. One stat per path, and an open-addressing hash set with a
 * seeded hash, so that 10^5 models cost no more than their listing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/scan_walk.h"

struct scan_key {
    uint64_t dev;
    uint64_t ino;
    char *name; /* NULL: (dev, ino) is the path's own; else see above */
    int kind;   /* 0: a free slot, 1: (dev, ino), 2: folder and rest, 3: path alone */
};

/* The key's hash under `seed` (mm_hash_seed: names come from the disk). */
static uint64_t hash_key(uint64_t seed, const struct scan_key *k)
{
    const uint64_t parts[3] = {(uint64_t)k->kind, k->dev, k->ino};
    const uint64_t h = mm_hash_seeded(seed, parts, sizeof(parts));
    return k->name != NULL ? mm_hash_seeded(h, k->name, strlen(k->name)) : h;
}

static bool same_key(const struct scan_key *a, const struct scan_key *b)
{
    return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino &&
           (a->name == NULL ? b->name == NULL : b->name != NULL && strcmp(a->name, b->name) == 0);
}

/* The slot of `k` in `v` (cap a power of two): where it is, or the free
 * slot where it goes. */
static size_t slot(const struct scan_key *v, size_t cap, uint64_t seed, const struct scan_key *k)
{
    size_t i = (size_t)hash_key(seed, k) & (cap - 1);
    while (v[i].kind != 0 && !same_key(&v[i], k)) {
        i = (i + 1) & (cap - 1);
    }
    return i;
}

/* Keeps the set at most half full. */
static bool grow(struct scan_seen *s)
{
    struct scan_key *v;
    size_t cap;
    size_t i;
    if (s->n < s->cap / 2) {
        return true;
    }
    if (!mm_mul_size(&cap, s->cap < 64 ? 32 : s->cap, 2)) {
        return false;
    }
    v = calloc(cap, sizeof(*v));
    if (v == NULL) {
        return false;
    }
    if (s->cap == 0) {
        s->seed = mm_hash_seed(v);
    }
    for (i = 0; i < s->cap; i++) {
        if (s->v[i].kind != 0) {
            v[slot(v, cap, s->seed, &s->v[i])] = s->v[i];
        }
    }
    free(s->v);
    s->v = v;
    s->cap = cap;
    return true;
}

/* The identity of `path` in *k; k->name allocated where there is one.
 * False when out of memory. */
static bool identify(struct scan_key *k, const char *path, bool follow)
{
    struct stat sb;
    char *dir;
    size_t n = strlen(path);
    memset(k, 0, sizeof(*k));
    if ((follow ? stat(path, &sb) : lstat(path, &sb)) == 0) {
        k->kind = 1;
        k->dev = (uint64_t)sb.st_dev;
        k->ino = (uint64_t)sb.st_ino;
        return true;
    }
    dir = malloc(n + 2);
    if (dir == NULL) {
        return false;
    }
    /* the nearest folder above that is there, and the rest of the path */
    while (k->kind == 0) {
        size_t cut = n;
        const char *rest = path;
        while (cut > 0 && path[cut - 1] != '/') {
            cut--;
        }
        if (cut == 0) {
            memcpy(dir, ".", 2);
        } else {
            memcpy(dir, path, cut == 1 ? 1 : cut - 1);
            dir[cut == 1 ? 1 : cut - 1] = '\0';
            rest = path + cut;
        }
        if (stat(dir, &sb) == 0) {
            k->kind = 2;
            k->dev = (uint64_t)sb.st_dev;
            k->ino = (uint64_t)sb.st_ino;
            k->name = strdup(rest);
        } else if (cut <= 1) {
            k->kind = 3;
            k->name = strdup(path);
        }
        n = cut > 0 ? cut - 1 : 0;
    }
    free(dir);
    return k->name != NULL;
}

enum mm_status mm_scan_seen_add(struct scan_seen *s, bool *fresh, const char *path, bool follow,
                                struct mm_error *err)
{
    struct scan_key k;
    size_t i;
    *fresh = false;
    if (!identify(&k, path, follow) || !grow(s)) {
        free(k.name);
        return mm_fail_nomem(err, path);
    }
    i = slot(s->v, s->cap, s->seed, &k);
    if (s->v[i].kind != 0) {
        free(k.name);
        return MM_OK;
    }
    s->v[i] = k;
    s->n++;
    *fresh = true;
    return MM_OK;
}

bool mm_scan_seen_has(const struct scan_seen *s, const char *path, bool follow)
{
    struct scan_key k;
    bool has = false;
    if (s->cap == 0) {
        return false;
    }
    if (identify(&k, path, follow)) {
        has = s->v[slot(s->v, s->cap, s->seed, &k)].kind != 0;
    }
    free(k.name); /* identify leaves it NULL or owned */
    return has;
}

void mm_scan_seen_free(struct scan_seen *s)
{
    size_t i;
    for (i = 0; i < s->cap; i++) {
        free(s->v[i].name);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}
