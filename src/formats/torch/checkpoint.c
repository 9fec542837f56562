/*
 * checkpoint.c - PyTorch checkpoints, read without Python (pytorch/pytorch
 * torch/serialization.py):
 *  - the zip format (PyTorch >= 1.6): ARCHIVE/data.pkl, ARCHIVE/data/KEY
 *    (one raw storage each, never read), ARCHIVE/version, ARCHIVE/byteorder,
 *    ARCHIVE/.format_version, ARCHIVE/.storage_alignment;
 *  - the legacy format, detected here (a pickle of the magic number
 *    0x1950a86a20f9469cfc6c) and read by torch_legacy.c;
 *  - plain pickles (no torch wrapper), scanned the same way.
 * Persistent ids name storages: ('storage', storage_type, key, location,
 * numel) in the zip format, with a sixth item (view metadata) in the legacy
 * one. Every global the pickle names is classified first (pickle_globals.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/cursor.h"
#include "formats/torch/torch.h"

static const uint8_t legacy_magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                         0x20, 0x6a, 0xa8, 0x50, 0x19};
#define SMALL_MEMBER 4096u

/* The legacy stream begins PROTO n, [FRAME], LONG1 10 <magic>. */
static bool legacy_head(const uint8_t *head, size_t len)
{
    size_t i = 0;
    if (len < 14 || head[0] != 0x80) {
        return false;
    }
    for (i = 2; i + 12 <= len && i < 16; i++) {
        if (head[i] == 0x8a && head[i + 1] == 10 && memcmp(head + i + 2, legacy_magic, 10) == 0) {
            return true;
        }
    }
    return false;
}

int mm_torch_probe(const uint8_t *head, size_t len, uint64_t file_size)
{
    (void)file_size;
    if (mm_zip_magic(head, len)) {
        return 80; /* a zip: ours unless it lacks data.pkl, said when read */
    }
    if (legacy_head(head, len)) {
        return 100;
    }
    /* a plain pickle: PROTO (any version: an unknown one is reported as
     * such) then an opcode */
    if (len >= 3 && head[0] == 0x80) {
        return 30;
    }
    /* protocols 0 and 1 have no PROTO: a dict, list or tuple built first */
    if (len >= 3 && (head[0] == '(' || head[0] == '}' || head[0] == ']') &&
        strchr("dltpqS(VIFNJK", head[1]) != NULL && head[1] != '\0') {
        return 10;
    }
    return 0;
}


/* ---- The zip format ---------------------------------------------------------------- */

/* ARCHIVE/data.pkl: the member whose name is one folder then data.pkl. */
static const struct mm_zip_entry *find_data_pkl(const struct mm_zip *z)
{
    size_t i = 0;
    for (i = 0; i < z->n; i++) {
        const struct mm_zip_entry *e = &z->entries[i];
        const char *slash = memchr(e->name, '/', e->name_len);
        if (slash != NULL && strcmp(slash + 1, "data.pkl") == 0) {
            return e;
        }
    }
    return NULL;
}

/* torch's PyTorchStreamReader takes the archive folder from the first
 * member's name and looks every record up under it (caffe2/serialize/
 * inline_container.cc): a member under another folder is never reached,
 * and a data.pkl there is not found. */
static enum mm_status check_one_folder(struct mm_tctx *x)
{
    size_t i = 0;
    for (i = 0; i < x->zip.n; i++) {
        const struct mm_zip_entry *e = &x->zip.entries[i];
        if (e->name_len < x->prefix_len || memcmp(e->name, x->prefix, x->prefix_len) != 0) {
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_ZIP_FOLDERS, x->src->name, NULL,
                           (int64_t)e->cd_offset,
                           "zip member %s is not under %.*s, the folder of data.pkl: torch "
                           "reads one archive folder", e->name, (int)x->prefix_len,
                           x->prefix);
        }
    }
    return MM_OK;
}

/* Where torch reads exactly one pickle (data.pkl; a plain pickle file),
 * pickle.load stops at STOP: whatever follows is never reached. */
static enum mm_status check_one_pickle(const struct mm_tctx *x, size_t len)
{
    if (x->pk.consumed < len) {
        return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_PICKLE_TRAILING, x->src->name, NULL,
                       (int64_t)(x->pk.base + x->pk.consumed),
                       "%zu bytes follow the pickle's STOP opcode, which torch never reads",
                       len - x->pk.consumed);
    }
    return MM_OK;
}

/* Reads a small member such as ARCHIVE/byteorder when present. */
static enum mm_status small_member(struct mm_tctx *x, const char *leaf, uint8_t **out,
                                   size_t *len)
{
    char name[600];
    const struct mm_zip_entry *e = NULL;
    snprintf(name, sizeof(name), "%.*s%s", (int)x->prefix_len, x->prefix, leaf);
    e = mm_zip_find(&x->zip, name, strlen(name));
    *out = NULL;
    *len = 0;
    if (e == NULL) {
        return MM_OK;
    }
    return mm_zip_read(out, len, &x->zip, x->src, e, SMALL_MEMBER, MM_E_ZIP_INVALID, x->err);
}

static enum mm_status check_small_members(struct mm_tctx *x)
{
    static const char *const leaves[] = {"version", ".data/version", "byteorder",
                                         ".format_version", ".storage_alignment"};
    size_t i = 0;
    for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        uint8_t *d = NULL;
        size_t len = 0;
        const enum mm_status st = small_member(x, leaves[i], &d, &len);
        if (st != MM_OK) {
            return st;
        }
        if (d != NULL && i == 2 && !(len == 6 && memcmp(d, "little", 6) == 0) &&
            !(len == 3 && memcmp(d, "big", 3) == 0)) {
            free(d);
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, x->src->name, NULL, -1,
                           "byteorder member is neither 'little' nor 'big'");
        }
        free(d);
    }
    return MM_OK;
}

static enum mm_status read_zip(struct mm_tctx *x, uint64_t *header_bytes)
{
    const struct mm_zip_entry *pkl = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t start = 0;
    enum mm_status st = mm_zip_open(&x->zip, x->src, x->err);
    if (st != MM_OK) {
        return st;
    }
    pkl = find_data_pkl(&x->zip);
    if (pkl == NULL) {
        const bool script = mm_zip_find(&x->zip, "constants.pkl", 13) != NULL;
        return mm_fail(x->err, MM_ERR_UNSUPPORTED, MM_E_ZIP_MEMBER_MISSING, x->src->name, NULL,
                       -1, script ? "a TorchScript archive, not a checkpoint: not read"
                                  : "zip archive without ARCHIVE/data.pkl: not a PyTorch "
                                    "checkpoint");
    }
    x->prefix = pkl->name;
    x->prefix_len = (size_t)((const char *)memchr(pkl->name, '/', pkl->name_len) - pkl->name) + 1;
    st = check_one_folder(x);
    if (st == MM_OK) {
        st = check_small_members(x);
    }
    if (st == MM_OK) {
        st = mm_zip_read(&data, &len, &x->zip, x->src, pkl, MM_LIMIT_PICKLE_BYTES,
                         MM_E_LIMIT_PICKLE_BYTES, x->err);
    }
    if (st == MM_OK) {
        st = mm_zip_data_start(&start, &x->zip, x->src, pkl, x->err);
    }
    if (st == MM_OK) {
        st = mm_pickle_run(&x->pk, data, len, start, x->src->name, mm_torch_on_global, x,
                           x->err);
    }
    if (st == MM_OK) {
        st = check_one_pickle(x, len);
    }
    free(data);
    *header_bytes = pkl->comp_size;
    return st;
}

/* ---- Plain pickles and the reader ------------------------------------------------------ */

static enum mm_status read_plain(struct mm_tctx *x, uint64_t *header_bytes)
{
    uint8_t *buf = NULL;
    enum mm_status st;
    if (x->src->size > MM_LIMIT_PICKLE_BYTES) {
        return mm_fail(x->err, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_BYTES, x->src->name, NULL, 0,
                       "pickle of %llu bytes (limit %u)", (unsigned long long)x->src->size,
                       MM_LIMIT_PICKLE_BYTES);
    }
    buf = malloc((size_t)x->src->size);
    if (buf == NULL) {
        return mm_fail_nomem(x->err, x->src->name);
    }
    st = mm_source_read(x->src, 0, buf, (size_t)x->src->size, MM_E_TRUNCATED, x->err);
    if (st == MM_OK) {
        st = mm_pickle_run(&x->pk, buf, (size_t)x->src->size, 0, x->src->name,
                           mm_torch_on_global, x, x->err);
    }
    if (st == MM_OK) {
        st = check_one_pickle(x, (size_t)x->src->size);
    }
    free(buf);
    *header_bytes = x->pk.consumed;
    return st;
}

enum mm_status mm_torch_read(const struct mm_source *src, struct mm_inventory *inv,
                             uint32_t file, struct mm_error *err)
{
    struct mm_tctx x;
    uint8_t head[MM_PROBE_BYTES];
    size_t got = 0;
    uint64_t header_bytes = 0;
    size_t i = 0;
    enum mm_status st;
    memset(&x, 0, sizeof(x));
    x.src = src;
    x.inv = inv;
    x.file = file;
    x.err = err;
    x.pk.root = MM_PK_NO_NODE;
    x.type_node = MM_PK_NO_NODE;
    st = mm_source_read_some(src, 0, head, sizeof(head), &got, err);
    if (st != MM_OK) {
        return st;
    }
    if (mm_zip_magic(head, got)) {
        x.kind = MM_TORCH_ZIP;
        st = read_zip(&x, &header_bytes);
    } else if (legacy_head(head, got)) {
        x.kind = MM_TORCH_LEGACY;
        st = mm_torch_read_legacy(&x, &header_bytes);
    } else {
        x.kind = MM_TORCH_PLAIN;
        st = read_plain(&x, &header_bytes);
    }
    if (st == MM_OK) {
        st = mm_torch_walk(&x);
    }
    if (st == MM_OK) {
        mm_inv_set_file_format(inv, file, x.kind == MM_TORCH_PLAIN ? "pickle" : "pytorch",
                               header_bytes);
    }
    mm_pickle_free(&x.pk);
    mm_zip_free(&x.zip);
    free(x.st);
    free(x.slots);
    for (i = 0; i < x.nwarned; i++) {
        free(x.warned[i]);
    }
    free(x.warned);
    return st;
}
