/* fuzz_json.c - the JSON pull parser (json_scan.c) on arbitrary bytes: the
 * UTF-8 check, then one value skipped, as readers skip members they do not
 * know, and the whole text walked as a safetensors-like object. */
#include "fuzz_common.h"
#include <stdlib.h>

#include "core/json_scan.h"

/* Reads every member of a top-level object through the string, number and
 * keep helpers, as the readers do. */
static void walk_object(struct mm_json *j)
{
    bool first = true;
    bool more;
    char *keep = NULL;
    size_t keep_cap = 0;
    if (mm_json_peek(j) != '{') {
        return;
    }
    j->c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        int64_t at;
        struct mm_jnum num;
        if (mm_json_member(j, &first, &more, &k, &klen, &at) != MM_OK || !more) {
            break;
        }
        if (mm_json_keep(j, &k, klen, &keep, &keep_cap) != MM_OK) {
            break;
        }
        if (mm_json_peek(j) == '"') {
            const char *v;
            size_t vlen;
            if (mm_json_string(j, &v, &vlen) != MM_OK) {
                break;
            }
            /* the kept key must survive the value's read */
            if (memchr(k, '\0', klen) != NULL && klen > 0) {
                __builtin_trap();
            }
        } else if (mm_json_peek(j) == '-' || (mm_json_peek(j) >= '0' && mm_json_peek(j) <= '9')) {
            if (mm_json_number(j, &num) != MM_OK) {
                break;
            }
        } else if (mm_json_skip(j, 1) != MM_OK) {
            break;
        }
    }
    free(keep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_json j;
    struct mm_error err;
    size_t bad = 0;
    const uint8_t *p = size == 0 ? (const uint8_t *)"" : data;
    if (!mm_utf8_valid(p, size, &bad)) {
        if (bad >= size) {
            __builtin_trap();
        }
        return 0;
    }
    mm_json_init(&j, p, size, 8, "fuzz.json", &err);
    if (mm_json_skip(&j, 0) == MM_OK) {
        (void)mm_json_peek(&j);
    } else if (err.offset < 8 || (uint64_t)err.offset > 8 + (uint64_t)size) {
        __builtin_trap(); /* an error's offset lies within the text */
    }
    mm_json_fini(&j);
    mm_json_init(&j, p, size, 0, "fuzz.json", &err);
    walk_object(&j);
    mm_json_fini(&j);
    return 0;
}
