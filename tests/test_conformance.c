/*
 * test_conformance.c - the real files in ../shared/realmodels/, written by
 * other software, against what an independent reader reports for them
 * (EXPECTED.json, see that folder's README.md):
 *  - every safetensors entry, file or folder target: tensor count,
 *    parameters per dtype, tensor bytes and __metadata__, exactly;
 *  - every `expect_error: true` entry: a failure status with a one-line
 *    message;
 *  - every PyTorch entry: tensor count, each tensor's dotted name, dtype and
 *    shape in torch.load's order, parameters per dtype, and the bytes of
 *    the distinct storages where given;
 *  - GGUF entries belong to their reader's test: counted here as skipped,
 *    with a note.
 * Skipped with a message when ../shared/realmodels is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "modelmem.h"

#define REALMODELS MM_SHARED "/realmodels"
#define EXPECTED_MAX (16u << 20)

struct suite {
    cJSON *expected;
    unsigned checked;
    unsigned errors_checked;
    unsigned checked_pytorch;
    unsigned skipped_gguf;
    unsigned skipped_other;
    unsigned mismatches;
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (f == NULL) {
        return NULL;
    }
    buf = malloc(EXPECTED_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, EXPECTED_MAX, f);
    fclose(f);
    if (n == EXPECTED_MAX) { /* too big for what this file is */
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void mismatch(struct suite *s, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mismatch(struct suite *s, const char *entry, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("%s: %s\n", entry, msg);
    s->mismatches++;
}

/* An exact non-negative integer from EXPECTED.json, or -1. */
static int64_t json_count(const cJSON *v)
{
    double d;
    if (!cJSON_IsNumber(v)) {
        return -1;
    }
    d = v->valuedouble;
    if (d < 0 || d > 9007199254740992.0 || d != (double)(int64_t)d) {
        return -1;
    }
    return (int64_t)d;
}

static void compare_dtypes(struct suite *s, const char *entry, const struct mm_totals *tot,
                           const cJSON *want)
{
    const cJSON *item;
    unsigned d;
    uint64_t listed[MM_DTYPE_COUNT_];
    memset(listed, 0, sizeof(listed));
    cJSON_ArrayForEach(item, want)
    {
        const enum mm_dtype dt = mm_dtype_from_name(item->string, strlen(item->string));
        const int64_t n = json_count(item);
        if (dt == MM_DTYPE_UNKNOWN || n < 0) {
            mismatch(s, entry, "EXPECTED.json names dtype %s (%g) that modelmem lacks",
                     item->string, item->valuedouble);
            continue;
        }
        listed[dt] = (uint64_t)n;
    }
    for (d = 1; d < MM_DTYPE_COUNT_; d++) {
        if (listed[d] != tot->parameters_by_dtype[d]) {
            mismatch(s, entry, "%s parameters: modelmem %llu, expected %llu",
                     mm_dtype_name((enum mm_dtype)d),
                     (unsigned long long)tot->parameters_by_dtype[d],
                     (unsigned long long)listed[d]);
        }
    }
}

/* The inventory's metadata (all files) is exactly the expected object. */
static void compare_metadata(struct suite *s, const char *entry,
                             const struct mm_inventory *inv, const cJSON *want)
{
    const size_t n = mm_inventory_meta_count(inv);
    const cJSON *item;
    size_t i;
    if ((size_t)cJSON_GetArraySize(want) != n) {
        mismatch(s, entry, "%zu metadata entries, expected %d", n, cJSON_GetArraySize(want));
    }
    cJSON_ArrayForEach(item, want)
    {
        int found = 0;
        for (i = 0; i < n && !found; i++) {
            const struct mm_meta *m = mm_inventory_meta(inv, i);
            if (strcmp(m->key, item->string) == 0) {
                found = 1;
                if (!cJSON_IsString(item) || strcmp(m->value, item->valuestring) != 0) {
                    mismatch(s, entry, "metadata %s = \"%s\", expected \"%s\"", m->key,
                             m->value, cJSON_IsString(item) ? item->valuestring : "?");
                }
            }
        }
        if (!found) {
            mismatch(s, entry, "metadata key %s missing", item->string);
        }
    }
}

static void check_safetensors(struct suite *s, const char *entry, const cJSON *want)
{
    char path[2048];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    const struct mm_totals *tot;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(want, "metadata");
    const int64_t tensors = json_count(cJSON_GetObjectItemCaseSensitive(want, "tensors"));
    const int64_t bytes = json_count(cJSON_GetObjectItemCaseSensitive(want, "bytes"));
    const cJSON *by_dtype = cJSON_GetObjectItemCaseSensitive(want, "parameters_by_dtype");
    enum mm_status st;
    size_t i;
    snprintf(path, sizeof(path), "%s/%s", REALMODELS, entry);
    st = mm_inventory_load(&inv, path, NULL, &err);
    if (st != MM_OK) {
        char line[2048];
        mm_error_format(line, sizeof(line), &err);
        mismatch(s, entry, "load failed: %s", line);
        return;
    }
    s->checked++;
    tot = mm_inventory_totals(inv);
    if (tensors < 0 || bytes < 0 || !cJSON_IsObject(by_dtype)) {
        mismatch(s, entry, "EXPECTED.json entry lacks tensors, bytes or parameters_by_dtype");
    }
    if ((int64_t)mm_inventory_tensor_count(inv) != tensors ||
        (int64_t)tot->tensors != tensors) {
        mismatch(s, entry, "%zu tensors, expected %lld", mm_inventory_tensor_count(inv),
                 (long long)tensors);
    }
    if ((int64_t)tot->bytes != bytes) {
        mismatch(s, entry, "%llu tensor bytes, expected %lld", (unsigned long long)tot->bytes,
                 (long long)bytes);
    }
    if (cJSON_IsObject(by_dtype)) {
        compare_dtypes(s, entry, tot, by_dtype);
    }
    if (meta != NULL) {
        compare_metadata(s, entry, inv, meta);
    }
    for (i = 0; i < mm_inventory_file_count(inv); i++) {
        if (strcmp(mm_inventory_file(inv, i)->format, "safetensors") != 0) {
            mismatch(s, entry, "file %zu has format %s", i, mm_inventory_file(inv, i)->format);
        }
    }
    mm_inventory_free(inv);
}

/* tensor_list: [{"name", "dtype", "shape"}...] in order. */
static void compare_tensor_list(struct suite *s, const char *entry,
                                const struct mm_inventory *inv, const cJSON *list)
{
    const cJSON *t;
    size_t i = 0;
    if ((size_t)cJSON_GetArraySize(list) != mm_inventory_tensor_count(inv)) {
        mismatch(s, entry, "%zu tensors, tensor_list has %d", mm_inventory_tensor_count(inv),
                 cJSON_GetArraySize(list));
        return;
    }
    cJSON_ArrayForEach(t, list)
    {
        const struct mm_tensor *mt = mm_inventory_tensor(inv, i++);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
        const cJSON *d;
        uint32_t k = 0;
        if (!cJSON_IsString(name) || strcmp(name->valuestring, mt->name) != 0 ||
            !cJSON_IsString(dtype) || strcmp(dtype->valuestring, mm_dtype_name(mt->dtype)) != 0 ||
            cJSON_GetArraySize(shape) != (int)mt->rank) {
            mismatch(s, entry, "tensor %zu is %s %s rank %u, expected %s %s", i - 1, mt->name,
                     mm_dtype_name(mt->dtype), mt->rank,
                     cJSON_IsString(name) ? name->valuestring : "?",
                     cJSON_IsString(dtype) ? dtype->valuestring : "?");
            continue;
        }
        cJSON_ArrayForEach(d, shape)
        {
            if (json_count(d) != (int64_t)mt->shape[k]) {
                mismatch(s, entry, "tensor %s dimension %u is %llu", mt->name, k,
                         (unsigned long long)mt->shape[k]);
            }
            k++;
        }
    }
}

static void check_pytorch(struct suite *s, const char *entry, const cJSON *want)
{
    char path[2048];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(want, "tensor_list");
    const cJSON *by_dtype = cJSON_GetObjectItemCaseSensitive(want, "parameters_by_dtype");
    const int64_t tensors = json_count(cJSON_GetObjectItemCaseSensitive(want, "tensors"));
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(want, "bytes");
    snprintf(path, sizeof(path), "%s/%s", REALMODELS, entry);
    if (mm_inventory_load(&inv, path, NULL, &err) != MM_OK) {
        char line[2048];
        mm_error_format(line, sizeof(line), &err);
        mismatch(s, entry, "load failed: %s", line);
        return;
    }
    s->checked_pytorch++;
    if ((int64_t)mm_inventory_totals(inv)->tensors != tensors) {
        mismatch(s, entry, "%llu tensors, expected %lld",
                 (unsigned long long)mm_inventory_totals(inv)->tensors, (long long)tensors);
    }
    if (list != NULL) {
        compare_tensor_list(s, entry, inv, list);
    }
    if (cJSON_IsObject(by_dtype)) {
        compare_dtypes(s, entry, mm_inventory_totals(inv), by_dtype);
    }
    if (bytes != NULL && json_count(bytes) != (int64_t)mm_inventory_totals(inv)->bytes) {
        mismatch(s, entry, "%llu bytes, expected %lld",
                 (unsigned long long)mm_inventory_totals(inv)->bytes,
                 (long long)json_count(bytes));
    }
    if (strcmp(mm_inventory_file(inv, 0)->format, "pytorch") != 0) {
        mismatch(s, entry, "format %s", mm_inventory_file(inv, 0)->format);
    }
    mm_inventory_free(inv);
}

static void check_error(struct suite *s, const char *entry)
{
    char path[2048];
    char line[2048];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    enum mm_status st;
    snprintf(path, sizeof(path), "%s/%s", REALMODELS, entry);
    st = mm_inventory_load(&inv, path, NULL, &err);
    s->errors_checked++;
    if (st == MM_OK) {
        mismatch(s, entry, "loaded, but it is not a valid checkpoint");
        mm_inventory_free(inv);
        return;
    }
    if (inv != NULL || err.status != st || err.message[0] == '\0') {
        mismatch(s, entry, "failure without a message or with a handle");
    }
    mm_error_format(line, sizeof(line), &err);
    if (strchr(line, '\n') != NULL || strstr(line, path) == NULL) {
        mismatch(s, entry, "error is not one line naming the file: %s", line);
    }
}

static int setup(void **state)
{
    static struct suite s;
    size_t len = 0;
    char *text = read_file(REALMODELS "/EXPECTED.json", &len);
    memset(&s, 0, sizeof(s));
    if (text != NULL) {
        s.expected = cJSON_ParseWithLength(text, len);
        free(text);
    }
    *state = &s;
    return 0;
}

static int teardown(void **state)
{
    struct suite *s = *state;
    cJSON_Delete(s->expected);
    return 0;
}

static void test_realmodels(void **state)
{
    struct suite *s = *state;
    const cJSON *entry;
    if (s->expected == NULL) {
        print_message("skipped: %s/EXPECTED.json is not present (or not JSON)\n", REALMODELS);
        skip();
    }
    assert_true(cJSON_IsObject(s->expected));
    cJSON_ArrayForEach(entry, s->expected)
    {
        const cJSON *format = cJSON_GetObjectItemCaseSensitive(entry, "format");
        const char *fmt = cJSON_IsString(format) ? format->valuestring : "";
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "expect_error"))) {
            check_error(s, entry->string);
        } else if (strcmp(fmt, "safetensors") == 0) {
            check_safetensors(s, entry->string, entry);
        } else if (strcmp(fmt, "pytorch") == 0) {
            check_pytorch(s, entry->string, entry);
        } else if (strcmp(fmt, "gguf") == 0) {
            s->skipped_gguf++;
        } else {
            print_message("note: %s: format \"%s\" not checked here\n", entry->string, fmt);
            s->skipped_other++;
        }
    }
    print_message("conformance: %u safetensors and %u PyTorch targets matched, %u invalid "
                  "files refused\n",
                  s->checked, s->checked_pytorch, s->errors_checked);
    print_message("note: skipped %u GGUF entries: their reader's test checks them\n",
                  s->skipped_gguf);
    assert_int_equal(s->mismatches, 0);
    /* The set is not empty: a broken walk must not pass quietly. */
    assert_true(s->checked >= 30);
    assert_true(s->checked_pytorch >= 30);
    assert_true(s->errors_checked >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_realmodels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
