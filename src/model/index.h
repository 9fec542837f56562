/* index.h - sharded-checkpoint index files (*.safetensors.index.json,
 * pytorch_model.bin.index.json): {"metadata": {...}, "weight_map":
 * {tensor: shard file}}. */
#ifndef MM_INDEX_H
#define MM_INDEX_H

#include "core/internal.h"

struct mm_index {
    char **shards;       /* unique shard names, sorted */
    size_t nshards;
    /* weight_map entries: name i is names + name_at[i], shard shard_of[i] */
    char *names;
    size_t *name_at;
    uint32_t *shard_of;
    /* byte offset in the index file of entry i's shard-name value */
    uint64_t *value_at;
    size_t nentries;
    /* open-addressing table: the name hash's high 32 bits | entry index + 1 */
    uint64_t *slots;
    size_t nslots;
    uint64_t seed; /* of the tables' hash (mm_hash_seed) */
    int has_total_size;
    uint64_t total_size;
};

/* Parses an index held in memory. `name` labels errors. Refuses unsafe
 * shard names (absolute, "..", "\\", control bytes, a URL scheme). */
enum mm_status mm_index_parse(struct mm_index *out, const uint8_t *data, size_t len,
                              const char *name, struct mm_error *err);
/* The same on one thread, however large the index: what the two-thread
 * parse of a large index (index.c) must give, for the tests that compare. */
enum mm_status mm_index_parse_serial(struct mm_index *out, const uint8_t *data, size_t len,
                                     const char *name, struct mm_error *err);
void mm_index_free(struct mm_index *idx);
/* Entry index of a tensor name, or -1. */
long mm_index_find(const struct mm_index *idx, const char *name);
/* The same, trying first the two entries after `prev` (-1 for none): a
 * shard lists its tensors in name order, as the index does, each dtype's
 * apart (a weight and its scale alternate in the index). */
long mm_index_find_near(const struct mm_index *idx, const char *name, long prev);
/* True when a shard name may be opened inside the model folder. */
bool mm_shard_name_safe(const char *s, size_t len);

#endif
