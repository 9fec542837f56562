/*
 * internal.h - what the library's layers share and the public API hides:
 * the byte source, the inventory builder, name hashing and the error
 * helpers. The reader interface is formats/readers.h; targets are
 * model/target.h.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/checked.h"
#include "modelmem.h"

/* ---- Errors -------------------------------------------------------------- */

/* Fills err (if not NULL): status, code, file, tensor (may be NULL), offset
 * (-1 for none) and a printf-style message. Returns `status`. */
enum mm_status mm_fail(struct mm_error *err, enum mm_status status, enum mm_errcode code,
                       const char *file, const char *tensor, int64_t offset,
                       const char *fmt, ...) MM_PRINTF(7, 8);

/* Same, with a tensor name of known length that need not be terminated. */
enum mm_status mm_failn(struct mm_error *err, enum mm_status status, enum mm_errcode code,
                        const char *file, const char *tensor, size_t tensor_len,
                        int64_t offset, const char *fmt, ...)
    MM_PRINTF(8, 9);

/* The va_list form, for readers' own wrappers. */
enum mm_status mm_vfailn(struct mm_error *err, enum mm_status status, enum mm_errcode code,
                         const char *file, const char *tensor, size_t tensor_len,
                         int64_t offset, const char *fmt, va_list ap)
    MM_PRINTF(8, 0);

enum mm_status mm_fail_nomem(struct mm_error *err, const char *file);

/* ---- Byte sources -------------------------------------------------------- */

/* A file opened read-only (fd >= 0) or a buffer in memory (mem != NULL).
 * Every read is bounded by `size`, taken once from fstat. */
struct mm_source {
    int fd;
    const uint8_t *mem;
    uint64_t size;
    const char *name; /* as shown in errors */
};

/* Opens a regular file read-only without blocking on FIFOs or devices;
 * anything else is refused with MM_E_NOT_REGULAR. */
enum mm_status mm_source_open(struct mm_source *out, const char *path, const char *name,
                              struct mm_error *err);
void mm_source_memory(struct mm_source *out, const void *data, size_t size, const char *name);
void mm_source_close(struct mm_source *src);

/* Reads exactly `len` bytes at `offset`. A short file is MM_ERR_MALFORMED
 * with `short_code`; a system failure is MM_ERR_IO. */
enum mm_status mm_source_read(const struct mm_source *src, uint64_t offset, void *buf,
                              size_t len, enum mm_errcode short_code, struct mm_error *err);

/* mm_source_read of bytes [0, len): from MM_SOURCE_HALVES bytes up, a
 * second thread reads the second half meanwhile (an index of megabytes is
 * read before anything else can start). Same results and errors. */
#define MM_SOURCE_HALVES ((size_t)1 << 20)
enum mm_status mm_source_read_all(const struct mm_source *src, void *buf, size_t len,
                                  enum mm_errcode short_code, struct mm_error *err);

/* Reads min(len, size - offset) bytes; *got receives the count. */
enum mm_status mm_source_read_some(const struct mm_source *src, uint64_t offset, void *buf,
                                   size_t len, size_t *got, struct mm_error *err);

/* ---- Inventory builder ---------------------------------------------------- */

/* A new, empty inventory; NULL when out of memory. */
struct mm_inventory *mm_inv_new(void);

/* Adds a file entry; *out_index receives its index. Strings are copied. */
enum mm_status mm_inv_add_file(struct mm_inventory *inv, const char *path, const char *format,
                               uint64_t bytes, uint64_t header_bytes, uint32_t *out_index);
/* Updates the format and header size of a file a reader has just read. */
void mm_inv_set_file_format(struct mm_inventory *inv, uint32_t file, const char *format,
                            uint64_t header_bytes);
const char *mm_inv_file_path(const struct mm_inventory *inv, uint32_t file);

/* Makes room for `n` more tensors of rank up to 2 at once, so that a
 * reader that can bound its count does not grow the arrays step by step;
 * MM_ERR_NOMEM when that fails. A hint only: more may still be added. */
enum mm_status mm_inv_reserve(struct mm_inventory *inv, size_t n);
/* The same, the records moved into `mem` (`bytes` long, free()-able;
 * taken, freed when not used) where it holds them all: memory a step
 * before wrote already, which the kernel need not zero again. */
enum mm_status mm_inv_reserve_in(struct mm_inventory *inv, size_t n, void *mem, size_t bytes);
/* Appends a tensor; name is copied (name_len bytes, need not be terminated),
 * shape copied. numel and nbytes are the caller's checked values. */
enum mm_status mm_inv_add_tensor(struct mm_inventory *inv, const char *name, size_t name_len,
                                 enum mm_dtype dtype, uint32_t rank, const uint64_t *shape,
                                 uint64_t numel, uint32_t file, uint64_t offset,
                                 uint64_t nbytes);
/* Marks tensor i as sharing its storage with earlier tensors that carry the
 * same storage key: totals.bytes counts each key's bytes once.
 * MM_ERR_NOMEM when its record cannot be kept. */
enum mm_status mm_inv_set_storage(struct mm_inventory *inv, size_t i, uint64_t storage_key,
                                  uint64_t storage_bytes);

enum mm_status mm_inv_add_meta(struct mm_inventory *inv, const char *key, size_t key_len,
                               const char *value, size_t value_len, uint32_t file);

/* Records a warning (message copied). */
enum mm_status mm_inv_add_warning(struct mm_inventory *inv, enum mm_errcode code, uint32_t file,
                                  int64_t offset, const char *message);

/* The load option allow_unsafe_pickle, set by the loader on the part
 * inventory a reader fills, so that readers' signatures stay as they are. */
void mm_inv_set_allow_unsafe_pickle(struct mm_inventory *inv, int allow);
int mm_inv_allow_unsafe_pickle(const struct mm_inventory *inv);

/* Moves every tensor, metadata entry and warning of `part` (whose tensors all name
 * file 0) into `inv` as file `file`; `part` is left empty. */
enum mm_status mm_inv_absorb(struct mm_inventory *inv, struct mm_inventory *part, uint32_t file);
/* The same for a part whose tensor names were all pointed (through
 * mm_inv_tensor_mut) at strings that outlive `inv` (an index's names, given
 * to `inv` with mm_inv_adopt): its metadata and warnings are copied, its
 * own strings stay with it and are freed with it. */
enum mm_status mm_inv_absorb_named(struct mm_inventory *inv, struct mm_inventory *part,
                                   uint32_t file);
/* `inv` takes ownership of `buf` (from malloc), freed with it; NULL is
 * allowed. MM_ERR_NOMEM, `buf` left to the caller, when that fails. */
enum mm_status mm_inv_adopt(struct mm_inventory *inv, char *buf);

/* Puts `prefix` before every tensor name (a pipeline component's folder). */
enum mm_status mm_inv_prefix_names(struct mm_inventory *inv, const char *prefix);

/* Tensors whose name equals another's: fills err for the first one found. */
enum mm_status mm_inv_check_unique(const struct mm_inventory *inv, struct mm_error *err);

/* Computes totals, fixes shape pointers; call once after the last add. */
enum mm_status mm_inv_finish(struct mm_inventory *inv);

/* Raw access for the readers' own checks during building. */
size_t mm_inv_count(const struct mm_inventory *inv);
struct mm_tensor *mm_inv_tensor_mut(struct mm_inventory *inv, size_t i);
const uint64_t *mm_inv_shape(const struct mm_inventory *inv, size_t i);

/* ---- Name hashing (shared by inventory checks, index and estimator) ------- */

uint64_t mm_hash_bytes(const void *p, size_t len);

/*
 * Names come from the file: with a fixed hash, a file can hold names that
 * all fall in one run of an open-addressing table, and each insertion then
 * walks the whole run (10^5 such names took 5 s; 10^6, many minutes). Each
 * table therefore hashes with its own seed, taken from addresses (which
 * ASLR varies from run to run) and the clock, so that no file can be made
 * in advance to collide. Results never depend on the seed: only where
 * names sit in a table.
 */
uint64_t mm_hash_seed(const void *salt);
uint64_t mm_hash_seeded(uint64_t seed, const void *p, size_t len);

#endif
