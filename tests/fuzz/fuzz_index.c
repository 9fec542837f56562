/* fuzz_index.c - the *.safetensors.index.json parser on arbitrary bytes;
 * every name it keeps must be found again, in a shard it kept. */
#include "fuzz_common.h"
#include "model/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_index idx;
    struct mm_error err;
    size_t i;
    if (mm_index_parse(&idx, size == 0 ? (const uint8_t *)"" : data, size,
                       "fuzz.safetensors.index.json", &err) != MM_OK) {
        return 0;
    }
    for (i = 0; i < idx.nshards; i++) {
        if (!mm_shard_name_safe(idx.shards[i], strlen(idx.shards[i]))) {
            __builtin_trap();
        }
    }
    for (i = 0; i < idx.nentries; i++) {
        const char *name = idx.names + idx.name_at[i];
        if (mm_index_find(&idx, name) != (long)i || idx.shard_of[i] >= idx.nshards) {
            __builtin_trap();
        }
    }
    mm_index_free(&idx);
    return 0;
}
