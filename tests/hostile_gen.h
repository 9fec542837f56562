/*
 * hostile_gen.h - building hostile inputs in memory for the limit, resource,
 * file-system and command-line tests: a growable byte buffer with
 * little-endian writers, and the few shapes of safetensors and GGUF files
 * those tests vary. Allocation failure aborts: these are test helpers.
 */
#ifndef MM_HOSTILE_GEN_H
#define MM_HOSTILE_GEN_H

#include <stddef.h>
#include <stdint.h>

struct hbuf {
    uint8_t *d;
    size_t n;
    size_t cap;
};

void hb_init(struct hbuf *b);
void hb_free(struct hbuf *b);
void hb_put(struct hbuf *b, const void *p, size_t n);
void hb_text(struct hbuf *b, const char *s);
void hb_printf(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hb_fill(struct hbuf *b, int ch, size_t n);
void hb_u32(struct hbuf *b, uint32_t v);
void hb_u64(struct hbuf *b, uint64_t v);

/* A safetensors file: the 8-byte length of `header`, the header, then
 * `data_bytes` zero bytes of tensor data. */
void hb_safetensors(struct hbuf *out, const struct hbuf *header, size_t data_bytes);

/* A safetensors header of n tensors "t<i>" of dtype U8, shape [1], laid out
 * one byte each: the file needs n bytes of data. */
void hb_safetensors_many(struct hbuf *header, size_t n);

/* A valid safetensors file of one F32 tensor `name` of n elements. */
void hb_safetensors_one(struct hbuf *out, const char *name, unsigned n);

/* GGUF: the 24-byte header, a string (u64 length + bytes), one tensor info. */
void hb_gguf_header(struct hbuf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv);
void hb_gguf_str(struct hbuf *b, const char *s, size_t len);
void hb_gguf_tensor(struct hbuf *b, const char *name, size_t name_len, uint32_t n_dims,
                    const uint64_t *dims, uint32_t type, uint64_t offset);

/* Nested JSON arrays: `depth` of '[' then as many ']'. */
void hb_nest(struct hbuf *b, size_t depth);

/* A new folder /tmp/STEM.XXXXXX (name in out); removes a folder tree.
 * Each returns 0 or -1, as cmocka's setup and teardown want. */
int hb_tmpdir(char *out, size_t size, const char *stem);
int hb_rmtree(const char *dir);

/* ROOT/REL in one of four buffers used in turn: up to four such paths stay
 * valid at once (a fifth call reuses the first). */
const char *hb_path(const char *root, const char *rel);

/* mkdir -p ROOT/REL; returns 0 or -1. */
int hb_mkdirs(const char *root, const char *rel);

/* A Hugging Face cache repository's folders below ROOT/REPO (as
 * "hub/models--ORG--NAME"): refs, blobs and snapshots/REVISION.
 * Returns 0 or -1. */
int hb_hf_repo(const char *root, const char *repo, const char *revision);

/* Writes a file (mode 0644); returns 0 or -1. */
int hb_write_file(const char *path, const void *data, size_t len);

#endif
