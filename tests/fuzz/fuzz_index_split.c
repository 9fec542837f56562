/* fuzz_index_split.c - the two-thread parse of a large index (model/index.c)
 * against the one-thread parse: the input is put in the middle of a valid
 * index of more than a megabyte, where the halves meet, and both parses
 * must give the same entries, or the same error at the same offset. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "model/index.h"

#define SIDE_ENTRIES 12000u /* each side ~690 KB: the whole is split (1 MiB and more) */

/* A side of the index: its opening (first) or its end, with entries
 * "t.N.weight" in runs of shards (the end's runs start at another shard, so
 * that the second half numbers its shards otherwise than the first),
 * pretty-printed as transformers writes. */
static size_t side(char *out, size_t cap, bool first)
{
    size_t n = 0;
    size_t i;
    if (first) {
        n += (size_t)snprintf(out, cap, "{\n  \"metadata\": {\"total_size\": 42},\n"
                                        "  \"weight_map\": {\n");
    }
    for (i = 0; i < SIDE_ENTRIES && n < cap; i++) {
        n += (size_t)snprintf(out + n, cap - n,
                              "    \"t.%s%zu.weight\": \"model-%05zu-of-00099.safetensors\",\n",
                              first ? "a" : "b", i, 1 + (i / 97 + (first ? 0 : 40)) % 99);
    }
    if (!first && n < cap) {
        n += (size_t)snprintf(out + n, cap - n,
                              "    \"last\": \"model-00099-of-00099.safetensors\"\n  }\n}\n");
    }
    return n < cap ? n : cap;
}

static bool same_error(const struct mm_error *a, const struct mm_error *b)
{
    return a->code == b->code && a->offset == b->offset && strcmp(a->tensor, b->tensor) == 0 &&
           strcmp(a->message, b->message) == 0;
}

static bool same_index(const struct mm_index *a, const struct mm_index *b)
{
    size_t i;
    if (a->nentries != b->nentries || a->nshards != b->nshards ||
        a->has_total_size != b->has_total_size || a->total_size != b->total_size) {
        return false;
    }
    for (i = 0; i < a->nshards; i++) {
        if (strcmp(a->shards[i], b->shards[i]) != 0) {
            return false;
        }
    }
    for (i = 0; i < a->nentries; i++) {
        if (strcmp(a->names + a->name_at[i], b->names + b->name_at[i]) != 0 ||
            a->shard_of[i] != b->shard_of[i] || a->value_at[i] != b->value_at[i]) {
            return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char head[SIDE_ENTRIES * 80];
    static char tail[SIDE_ENTRIES * 80];
    static size_t nhead;
    static size_t ntail;
    struct mm_index a;
    struct mm_index b;
    struct mm_error ea;
    struct mm_error eb;
    enum mm_status sa;
    enum mm_status sb;
    uint8_t *text;
    size_t len;
    if (nhead == 0) {
        nhead = side(head, sizeof(head), true);
        ntail = side(tail, sizeof(tail), false);
        if (nhead + ntail < ((size_t)1 << 20)) {
            __builtin_trap(); /* too small to be split: this would test nothing */
        }
    }
    if (size > 65536) {
        return 0;
    }
    len = nhead + size + ntail;
    text = malloc(len);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, head, nhead);
    if (size > 0) {
        memcpy(text + nhead, data, size);
    }
    memcpy(text + nhead + size, tail, ntail);
    sa = mm_index_parse(&a, text, len, "fuzz.index.json", &ea);
    sb = mm_index_parse_serial(&b, text, len, "fuzz.index.json", &eb);
    if (sa != sb || (sa != MM_OK && !same_error(&ea, &eb)) ||
        (sa == MM_OK && !same_index(&a, &b))) {
        __builtin_trap();
    }
    if (sa == MM_OK) {
        mm_index_free(&a);
        mm_index_free(&b);
    }
    free(text);
    return 0;
}
