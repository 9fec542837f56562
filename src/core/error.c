/* error.c - status strings, error-code names and the error helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

const char *mm_status_str(enum mm_status status)
{
    switch (status) {
    case MM_OK:
        return "success";
    case MM_ERR_MALFORMED:
        return "malformed input";
    case MM_ERR_UNSUPPORTED:
        return "unsupported input";
    case MM_ERR_LIMIT:
        return "limit exceeded";
    case MM_ERR_IO:
        return "I/O error";
    case MM_ERR_NOMEM:
        return "out of memory";
    case MM_ERR_NOT_FOUND:
        return "not found";
    case MM_ERR_INVALID_ARG:
        return "invalid argument";
    case MM_ERR_UNSAFE:
        return "unsafe input";
    }
    return "unknown status";
}

/* Indexed by enum mm_errcode; the names are part of the JSON contract. */
static const char *const code_names[MM_E_COUNT_] = {
    [MM_E_NONE] = "none",
    [MM_E_IO] = "io-error",
    [MM_E_NOMEM] = "out-of-memory",
    [MM_E_INVALID_ARG] = "invalid-argument",
    [MM_E_NOT_FOUND] = "not-found",
    [MM_E_NOT_REGULAR] = "not-regular-file",
    [MM_E_UNKNOWN_FORMAT] = "unknown-format",
    [MM_E_NO_WEIGHTS] = "no-weight-files",
    [MM_E_AMBIGUOUS_TARGET] = "ambiguous-target",
    [MM_E_HEADER_TOO_SMALL] = "header-too-small",
    [MM_E_HEADER_LENGTH] = "header-length-beyond-file",
    [MM_E_HEADER_TOO_LARGE] = "header-too-large",
    [MM_E_HEADER_UTF8] = "header-not-utf8",
    [MM_E_JSON_SYNTAX] = "json-syntax",
    [MM_E_JSON_NOT_OBJECT] = "json-not-object",
    [MM_E_JSON_DEPTH] = "json-too-deep",
    [MM_E_DUPLICATE_KEY] = "duplicate-key",
    [MM_E_DUPLICATE_TENSOR] = "duplicate-tensor",
    [MM_E_METADATA_TYPE] = "metadata-not-string",
    [MM_E_TENSOR_INFO] = "invalid-tensor-info",
    [MM_E_DTYPE_UNKNOWN] = "unknown-dtype",
    [MM_E_DIM_INVALID] = "invalid-dimension",
    [MM_E_SHAPE_OVERFLOW] = "shape-overflow",
    [MM_E_OFFSETS_INVALID] = "invalid-data-offsets",
    [MM_E_OFFSET_REVERSED] = "offset-reversed",
    [MM_E_SIZE_MISMATCH] = "size-mismatch",
    [MM_E_MISALIGNED] = "misaligned-slice",
    [MM_E_OFFSET_OVERLAP] = "offset-overlap",
    [MM_E_OFFSET_GAP] = "offset-gap",
    [MM_E_DATA_BEYOND_FILE] = "data-beyond-file",
    [MM_E_TRAILING_BYTES] = "trailing-bytes",
    [MM_E_LIMIT_TENSORS] = "limit-tensors",
    [MM_E_LIMIT_FILES] = "limit-files",
    [MM_E_LIMIT_RANK] = "limit-rank",
    [MM_E_LIMIT_NAME] = "limit-name-length",
    [MM_E_INDEX_INVALID] = "invalid-index",
    [MM_E_SHARD_NAME_UNSAFE] = "unsafe-shard-name",
    [MM_E_SHARD_MISSING] = "shard-missing",
    [MM_E_INDEX_UNLISTED_TENSOR] = "index-unlisted-tensor",
    [MM_E_INDEX_WRONG_SHARD] = "index-wrong-shard",
    [MM_E_INDEX_MISSING_TENSOR] = "index-missing-tensor",
    [MM_E_INDEX_TOTAL_SIZE] = "index-total-size-mismatch",
    [MM_E_LIMIT_PROBLEMS] = "limit-problems",
    [MM_E_TRUNCATED] = "truncated",
    [MM_E_BAD_VERSION] = "unsupported-version",
    [MM_E_GGUF_VALUE_TYPE] = "invalid-value-type",
    [MM_E_GGUF_ALIGNMENT] = "invalid-alignment",
    [MM_E_LIMIT_METADATA] = "limit-metadata",
    [MM_E_CHECKSUM] = "checksum-mismatch",
    [MM_E_LIMIT_INDEX_BYTES] = "limit-index-bytes",
    [MM_E_LIMIT_DIM] = "limit-dimension",
    [MM_E_LIMIT_GGUF_KEY] = "limit-gguf-key-length",
    [MM_E_LIMIT_GGUF_NAME] = "limit-gguf-name-length",
    [MM_E_LIMIT_GGUF_STRING] = "limit-gguf-string",
    [MM_E_LIMIT_GGUF_ARRAY] = "limit-gguf-array",
    [MM_E_SHARD_OUTSIDE_FOLDER] = "shard-outside-folder",
    [MM_E_ZIP_INVALID] = "invalid-zip",
    [MM_E_ZIP_UNSUPPORTED] = "unsupported-zip",
    [MM_E_ZIP_CRC] = "crc-mismatch",
    [MM_E_ZIP_MEMBER_BEYOND] = "zip-member-beyond-file",
    [MM_E_ZIP_MEMBER_MISSING] = "zip-member-missing",
    [MM_E_LIMIT_ZIP_ENTRIES] = "limit-zip-entries",
    [MM_E_PICKLE_INVALID] = "invalid-pickle",
    [MM_E_PICKLE_OPCODE] = "unknown-pickle-opcode",
    [MM_E_LIMIT_PICKLE_BYTES] = "limit-pickle-bytes",
    [MM_E_LIMIT_PICKLE_OPS] = "limit-pickle-ops",
    [MM_E_LIMIT_PICKLE_STACK] = "limit-pickle-stack",
    [MM_E_LIMIT_PICKLE_MEMO] = "limit-pickle-memo",
    [MM_E_LIMIT_PICKLE_STRING] = "limit-pickle-string",
    [MM_E_LIMIT_PICKLE_DEPTH] = "limit-pickle-depth",
    [MM_E_UNSAFE_GLOBAL] = "unsafe-pickle-global",
    [MM_E_UNKNOWN_GLOBAL] = "unknown-pickle-global",
    [MM_E_TORCH_INVALID] = "invalid-checkpoint",
    [MM_E_TORCH_UNSUPPORTED] = "unsupported-tensor",
    [MM_E_STORAGE_MISSING] = "storage-missing",
    [MM_E_TENSOR_BEYOND_STORAGE] = "tensor-beyond-storage",
    [MM_E_CONFIG_INVALID] = "invalid-config",
    [MM_E_GEOMETRY_UNKNOWN] = "geometry-unknown",
    [MM_E_LIMIT_CONFIG_BYTES] = "limit-config-bytes",
    [MM_E_PICKLE_FRAME] = "pickle-frame-length",
    [MM_E_PICKLE_UTF8] = "pickle-string-not-utf8",
    [MM_E_PICKLE_BUFFER] = "pickle-out-of-band-buffer",
    [MM_E_PICKLE_TRAILING] = "pickle-trailing-data",
    [MM_E_ZIP_FOLDERS] = "zip-mixed-folders",
    [MM_E_LIMIT_SCAN_MODELS] = "limit-scan-models",
    [MM_E_DOWNLOAD_INCOMPLETE] = "download-incomplete",
    [MM_E_LIMIT_SCAN_REFS] = "limit-scan-refs",
};

const char *mm_errcode_name(enum mm_errcode code)
{
    if ((unsigned)code >= MM_E_COUNT_ || code_names[code] == NULL) {
        return "unknown-code";
    }
    return code_names[code];
}

void mm_error_clear(struct mm_error *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
    err->status = MM_OK;
    err->code = MM_E_NONE;
    err->offset = -1;
}

/* Copies at most n bytes of s, replacing control bytes so that the error
 * stays on one line whatever a hostile file put in a name. */
static void copy_printable(char *dst, size_t dst_size, const char *s, size_t n)
{
    size_t i;
    size_t o = 0;
    if (dst_size == 0) {
        return;
    }
    for (i = 0; i < n && s[i] != '\0' && o + 1 < dst_size; i++) {
        const unsigned char ch = (unsigned char)s[i];
        dst[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[o] = '\0';
}

enum mm_status mm_vfailn(struct mm_error *err, enum mm_status status, enum mm_errcode code,
                            const char *file, const char *tensor, size_t tensor_len,
                            int64_t offset, const char *fmt, va_list ap)
{
    char msg[MM_ERROR_MESSAGE_MAX];
    if (err == NULL) {
        return status;
    }
    mm_error_clear(err);
    err->status = status;
    err->code = code;
    err->offset = offset;
    if (file != NULL) {
        copy_printable(err->file, sizeof(err->file), file, strlen(file));
    }
    if (tensor != NULL) {
        copy_printable(err->tensor, sizeof(err->tensor), tensor, tensor_len);
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    copy_printable(err->message, sizeof(err->message), msg, strlen(msg));
    return status;
}

enum mm_status mm_fail(struct mm_error *err, enum mm_status status, enum mm_errcode code,
                       const char *file, const char *tensor, int64_t offset,
                       const char *fmt, ...)
{
    va_list ap;
    enum mm_status st;
    va_start(ap, fmt);
    st = mm_vfailn(err, status, code, file, tensor, tensor == NULL ? 0 : strlen(tensor), offset,
               fmt, ap);
    va_end(ap);
    return st;
}

enum mm_status mm_failn(struct mm_error *err, enum mm_status status, enum mm_errcode code,
                        const char *file, const char *tensor, size_t tensor_len,
                        int64_t offset, const char *fmt, ...)
{
    va_list ap;
    enum mm_status st;
    va_start(ap, fmt);
    st = mm_vfailn(err, status, code, file, tensor, tensor_len, offset, fmt, ap);
    va_end(ap);
    return st;
}

enum mm_status mm_fail_nomem(struct mm_error *err, const char *file)
{
    return mm_fail(err, MM_ERR_NOMEM, MM_E_NOMEM, file, NULL, -1, "out of memory");
}

int mm_error_format(char *out, size_t size, const struct mm_error *err)
{
    char where[MM_ERROR_TENSOR_MAX + 64];
    const bool has_tensor = err->tensor[0] != '\0';
    const bool has_offset = err->offset >= 0;
    where[0] = '\0';
    if (has_tensor && has_offset) {
        snprintf(where, sizeof(where), " (tensor %s, byte %lld)", err->tensor,
                 (long long)err->offset);
    } else if (has_tensor) {
        snprintf(where, sizeof(where), " (tensor %s)", err->tensor);
    } else if (has_offset) {
        snprintf(where, sizeof(where), " (byte %lld)", (long long)err->offset);
    }
    if (err->file[0] != '\0') {
        return snprintf(out, size, "%s: %s%s", err->file, err->message, where);
    }
    return snprintf(out, size, "%s%s", err->message, where);
}
