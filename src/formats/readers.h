/*
 * readers.h - the one interface every format reader implements, and the
 * table of readers (readers.c). The model layer picks a reader by content.
 */
#ifndef MM_READERS_H
#define MM_READERS_H

#include "core/internal.h"

/* ---- Readers ---------------------------------------------------------------- */

#define MM_PROBE_BYTES 64

/*
 * One reader per format. probe() looks at the first bytes of a file (up to
 * MM_PROBE_BYTES, fewer for a short file) and bids 0 (not mine) to 100
 * (certainly mine); the highest bid wins. read() appends the file's tensors
 * to `inv`, naming `file` as their file, and sets the file's format.
 */
struct mm_reader {
    const char *name;
    int (*probe)(const uint8_t *head, size_t len, uint64_t file_size);
    enum mm_status (*read)(const struct mm_source *src, struct mm_inventory *inv, uint32_t file,
                           struct mm_error *err);
};

/* The table of readers, ending with a NULL name. */
extern const struct mm_reader mm_readers[];

/* The reader that bids highest for `src`, or NULL (and err filled). */
enum mm_status mm_reader_detect(const struct mm_reader **out, const struct mm_source *src,
                                struct mm_error *err);

/* Readers' probe/read functions, each in its own fmt_*.c. */
int mm_safetensors_probe(const uint8_t *head, size_t len, uint64_t file_size);
enum mm_status mm_safetensors_read(const struct mm_source *src, struct mm_inventory *inv,
                                   uint32_t file, struct mm_error *err);

int mm_gguf_probe(const uint8_t *head, size_t len, uint64_t file_size);
enum mm_status mm_gguf_read(const struct mm_source *src, struct mm_inventory *inv,
                            uint32_t file, struct mm_error *err);

/* PyTorch checkpoints (zip or legacy) and plain pickles (formats/torch/checkpoint.c). */
int mm_torch_probe(const uint8_t *head, size_t len, uint64_t file_size);
enum mm_status mm_torch_read(const struct mm_source *src, struct mm_inventory *inv,
                             uint32_t file, struct mm_error *err);

#endif
