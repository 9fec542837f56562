/*
 * torch.h - what the PyTorch reader's files share: checkpoint.c reads the
 * container (zip archive, plain pickle; torch_legacy.c the legacy stream)
 * and locates the storages; torch_walk.c turns the pickle's object tree
 * into named tensors and metadata (torch/_utils.py rebuild functions,
 * torch/serialization.py persistent ids).
 */
#ifndef MM_TORCH_H
#define MM_TORCH_H

#include "formats/readers.h"
#include "formats/torch/pickle.h"
#include "formats/torch/zip.h"

/* One storage a persistent id names. */
struct mm_tstorage {
    const char *key; /* into the pickle's pool */
    size_t key_len;
    enum mm_dtype dtype; /* of the storage type; U8 for UntypedStorage */
    uint64_t numel;      /* as the persistent id gives it */
    uint64_t data_start; /* absolute file offset */
    uint64_t bytes;      /* of the storage's data */
    uint64_t at;         /* pickle offset of the persistent id */
    int located;
};

enum mm_torch_kind { MM_TORCH_ZIP, MM_TORCH_LEGACY, MM_TORCH_PLAIN };

struct mm_tctx {
    const struct mm_source *src;
    struct mm_inventory *inv;
    uint32_t file;
    struct mm_error *err;
    enum mm_torch_kind kind;
    struct mm_pickle pk;
    struct mm_zip zip;
    const char *prefix; /* the archive's folder, "archive/" (zip) */
    size_t prefix_len;
    struct mm_tstorage *st;
    size_t nst;
    size_t st_cap;
    uint32_t *slots; /* open addressing over st by key: index + 1, 0 free */
    size_t nslots;
    /* globals already reported, to warn once per name */
    char **warned;
    size_t nwarned;
    size_t warned_cap;
    uint64_t visits; /* nodes visited while naming: bounded */
    uint64_t visit_budget; /* the bound: see mm_torch_walk */
    uint64_t out_bytes;    /* bytes of names and values put in the inventory */
    uint64_t out_budget;
    /* the storage type global last looked up (picklers memoize it, so
     * every persistent id names the same node) */
    uint32_t type_node;
    enum mm_dtype type_dtype;
};

/* The storage a persistent id node names, located in the file (zip: its
 * member; legacy: already located). `tensor` names the tensor for errors. */
enum mm_status mm_torch_storage(struct mm_tstorage **out, struct mm_tctx *x, uint32_t pid,
                                const char *tensor);

/* Parses a persistent id ('storage', type, key, location, numel[, view])
 * into a storage record, deduplicated by key; *index receives it. */
enum mm_status mm_torch_persid(size_t *index, struct mm_tctx *x, uint32_t pid,
                               const char *tensor);

/* The pickle global callback: classifies, refuses or warns (torch_globals.c). */
enum mm_status mm_torch_on_global(void *ctx, const char *module, size_t module_len,
                                  const char *name, size_t name_len, unsigned proto,
                                  uint64_t at, struct mm_error *err);

/* The storage called `key`, or NULL. */
struct mm_tstorage *mm_torch_find_storage(const struct mm_tctx *x, const char *key, size_t len);

/* Reads a legacy-format file's pickles and locates its storages
 * (torch_legacy.c); *header_bytes receives the pickles' length. */
enum mm_status mm_torch_read_legacy(struct mm_tctx *x, uint64_t *header_bytes);

/* Walks the pickle's root: tensors into the inventory, plain values into
 * its metadata. */
enum mm_status mm_torch_walk(struct mm_tctx *x);

/* The element type of a storage type name ("FloatStorage") or a dtype
 * name ("float32"); MM_DTYPE_UNKNOWN when there is none we hold. */
enum mm_dtype mm_torch_storage_dtype(const char *name, size_t len);
enum mm_dtype mm_torch_dtype(const char *name, size_t len);

#endif
