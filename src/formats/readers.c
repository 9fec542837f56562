/* readers.c - the table of format readers and detection by content
 * (the highest bid wins, as libarchive's bidding does). Adding a format is
 * one fmt_*.c file and one row here. */
#include <string.h>

#include "formats/readers.h"

const struct mm_reader mm_readers[] = {
    {"safetensors", mm_safetensors_probe, mm_safetensors_read},
    {"gguf", mm_gguf_probe, mm_gguf_read},
    {"pytorch", mm_torch_probe, mm_torch_read},
    {NULL, NULL, NULL},
};

enum mm_status mm_reader_detect(const struct mm_reader **out, const struct mm_source *src,
                                struct mm_error *err)
{
    uint8_t head[MM_PROBE_BYTES];
    size_t got = 0;
    int best = 0;
    size_t i;
    size_t nlen;
    enum mm_status st;
    *out = NULL;
    st = mm_source_read_some(src, 0, head, sizeof(head), &got, err);
    if (st != MM_OK) {
        return st;
    }
    for (i = 0; mm_readers[i].name != NULL; i++) {
        const int bid = mm_readers[i].probe(head, got, src->size);
        if (bid > best) {
            best = bid;
            *out = &mm_readers[i];
        }
    }
    if (*out != NULL) {
        return MM_OK;
    }
    /* No reader recognises the bytes. A file named *.safetensors is most
     * likely a damaged one: let its reader say precisely what is wrong. */
    nlen = strlen(src->name);
    if (nlen >= 12 && strcmp(src->name + nlen - 12, ".safetensors") == 0) {
        *out = &mm_readers[0];
        return MM_OK;
    }
    return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_UNKNOWN_FORMAT, src->name, NULL, 0,
                   "not a recognised weight file (%llu bytes; safetensors, PyTorch and GGUF "
                   "are detected from their first bytes)",
                   (unsigned long long)src->size);
}
