/* test_verify.c - mm_verify: every broken file reported, index checks,
 * total_size warning, paths relative to the target's folder. Builds its
 * small models in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "modelmem.h"

static char dir[256];

static void write_file(const char *name, const void *data, size_t len)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* A safetensors file with one F32 tensor of n elements (data zeros). */
static void write_st(const char *name, const char *tensor, unsigned n)
{
    char header[256];
    unsigned char buf[1024];
    const int hl = snprintf(header, sizeof(header),
                            "{\"%s\":{\"dtype\":\"F32\",\"shape\":[%u],"
                            "\"data_offsets\":[0,%u]}}",
                            tensor, n, n * 4);
    unsigned i;
    memset(buf, 0, sizeof(buf));
    for (i = 0; i < 8; i++) {
        buf[i] = (unsigned char)(((unsigned long long)hl >> (8 * i)) & 0xff);
    }
    memcpy(buf + 8, header, (size_t)hl);
    write_file(name, buf, 8 + (size_t)hl + n * 4);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/mm_verify_XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_clean_model(void **state)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    const char *index = "{\"metadata\":{\"total_size\":24},\"weight_map\":"
                        "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}";
    (void)state;
    write_st("s1.safetensors", "a", 2);
    write_st("s2.safetensors", "b", 4);
    write_file("model.safetensors.index.json", index, strlen(index));
    assert_int_equal(mm_verify(&rep, dir, NULL, &err), MM_OK);
    assert_int_equal(mm_verify_file_count(rep), 2);
    assert_int_equal(mm_verify_error_count(rep), 0);
    assert_int_equal(mm_verify_problem_count(rep), 0);
    mm_verify_free(rep);
}

static void test_total_size_warning(void **state)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    const struct mm_problem *p;
    const char *index = "{\"metadata\":{\"total_size\":99},\"weight_map\":"
                        "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}";
    (void)state;
    write_st("s1.safetensors", "a", 2);
    write_st("s2.safetensors", "b", 4);
    write_file("model.safetensors.index.json", index, strlen(index));
    assert_int_equal(mm_verify(&rep, dir, NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 0);
    assert_int_equal(mm_verify_problem_count(rep), 1);
    p = mm_verify_problem(rep, 0);
    assert_int_equal(p->severity, MM_SEVERITY_WARNING);
    assert_string_equal(mm_errcode_name(p->code), "index-total-size-mismatch");
    assert_string_equal(p->file, "model.safetensors.index.json");
    mm_verify_free(rep);
}

static void test_every_broken_shard(void **state)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    const char *index = "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\","
                        "\"c\":\"s3.safetensors\"}}";
    const unsigned char trunc[4] = {1, 2, 3, 4};
    (void)state;
    write_file("model.safetensors.index.json", index, strlen(index));
    write_file("s1.safetensors", trunc, sizeof(trunc));
    write_st("s2.safetensors", "b", 4);
    /* s3 is missing */
    assert_int_equal(mm_verify(&rep, dir, NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 2);
    assert_int_equal(mm_verify_problem_count(rep), 2);
    assert_string_equal(mm_errcode_name(mm_verify_problem(rep, 0)->code), "header-too-small");
    assert_string_equal(mm_verify_problem(rep, 0)->file, "s1.safetensors");
    assert_string_equal(mm_errcode_name(mm_verify_problem(rep, 1)->code), "shard-missing");
    assert_string_equal(mm_verify_problem(rep, 1)->file, "s3.safetensors");
    mm_verify_free(rep);
}

static void test_whole_model_problem(void **state)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    const char *index = "{\"weight_map\":{\"a\":\"s2.safetensors\",\"b\":\"s2.safetensors\"}}";
    char path[512];
    (void)state;
    snprintf(path, sizeof(path), "%s/s3.safetensors", dir);
    unlink(path);
    write_st("s1.safetensors", "a", 2);
    write_st("s2.safetensors", "b", 4);
    write_file("model.safetensors.index.json", index, strlen(index));
    /* the index lists only s2, which lacks "a": one whole-model error */
    assert_int_equal(mm_verify(&rep, dir, NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 1);
    assert_string_equal(mm_errcode_name(mm_verify_problem(rep, 0)->code),
                        "index-missing-tensor");
    assert_string_equal(mm_verify_problem(rep, 0)->tensor, "a");
    mm_verify_free(rep);
}

/* A Hugging Face cache layout: the snapshot links to a blob named by its
 * SHA-256; --checksums hashes it and compares. */
static void test_checksums(void **state)
{
    struct mm_verify_options opts = MM_VERIFY_OPTIONS_INIT;
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    char snap[512];
    char cmd[2048];
    FILE *p;
    char digest[65];
    (void)state;
    write_st("blob.tmp", "w", 4);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -p models--o--m/blobs models--o--m/snapshots/r && "
             "h=$(sha256sum blob.tmp | cut -c1-64) && mv blob.tmp models--o--m/blobs/$h && "
             "ln -s ../../blobs/$h models--o--m/snapshots/r/model.safetensors && echo $h",
             dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(digest, sizeof(digest), p));
    assert_int_equal(pclose(p), 0);
    snprintf(snap, sizeof(snap), "%s/models--o--m/snapshots/r", dir);
    opts.checksums = 1;
    assert_int_equal(mm_verify(&rep, snap, &opts, &err), MM_OK);
    assert_int_equal(mm_verify_checksum_count(rep), 1);
    assert_int_equal(mm_verify_error_count(rep), 0);
    mm_verify_free(rep);
    /* one data byte (of 16 from byte 64) changed: the header still reads, the
     * checksum fails */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && printf '\\001' | dd of=models--o--m/blobs/%s bs=1 seek=70 conv=notrunc "
             "2>/dev/null",
             dir, digest);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mm_verify(&rep, snap, &opts, &err), MM_OK);
    assert_int_equal(mm_verify_checksum_count(rep), 1);
    assert_int_equal(mm_verify_error_count(rep), 1);
    assert_string_equal(mm_errcode_name(mm_verify_problem(rep, 0)->code), "checksum-mismatch");
    mm_verify_free(rep);
    /* without --checksums nothing is hashed */
    assert_int_equal(mm_verify(&rep, snap, NULL, &err), MM_OK);
    assert_int_equal(mm_verify_checksum_count(rep), 0);
    assert_int_equal(mm_verify_error_count(rep), 0);
    mm_verify_free(rep);
}

static void test_missing_target(void **state)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_verify(&rep, "/nonexistent/modelmem/x", NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 1);
    assert_string_equal(mm_errcode_name(mm_verify_problem(rep, 0)->code), "not-found");
    mm_verify_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_model),
        cmocka_unit_test(test_total_size_warning),
        cmocka_unit_test(test_every_broken_shard),
        cmocka_unit_test(test_whole_model_problem),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_missing_target),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
