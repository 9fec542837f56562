/*
 * test_download.c - downloads that stopped half-way, laid out as
 * huggingface_hub leaves them (built here, in a temporary folder): in the
 * cache, blobs/<etag>.incomplete and a snapshot without the file's link;
 * after --local-dir, .cache/huggingface/download/<...>.incomplete and no
 * file under its name; elsewhere, a file cut short. verify names each one
 * (download-incomplete, sizes against the header, a line of remedy that
 * names the repository where config.json's _name_or_path is a valid id);
 * loading with allow_missing_shards estimates what is missing.
 *
 * The model: three shards of BF16 tensors, an index with the exact
 * metadata.total_size, and a config.json with vocab_size 10 and
 * hidden_size 8:
 *   1: model.embed_tokens.weight [10, 8], model.layers.0.{a [64], b [32]}
 *   2: model.layers.1.{a, b}, model.layers.2.{a, b}
 *   3: model.layers.3.{a, b}, lm_head.weight [10, 8], model.norm.weight [8]
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostile_gen.h"
#include "modelmem.h"

static char root[256];

struct tdef {
    const char *name;
    unsigned d0;
    unsigned d1; /* 0: rank 1 */
};

static const struct tdef shard1[] = {
    {"model.embed_tokens.weight", 10, 8}, {"model.layers.0.a", 64, 0}, {"model.layers.0.b", 32, 0}};
static const struct tdef shard2[] = {{"model.layers.1.a", 64, 0},
                                     {"model.layers.1.b", 32, 0},
                                     {"model.layers.2.a", 64, 0},
                                     {"model.layers.2.b", 32, 0}};
static const struct tdef shard3[] = {{"model.layers.3.a", 64, 0},
                                     {"model.layers.3.b", 32, 0},
                                     {"lm_head.weight", 10, 8},
                                     {"model.norm.weight", 8, 0}};
#define N1 (sizeof(shard1) / sizeof(shard1[0]))
#define N2 (sizeof(shard2) / sizeof(shard2[0]))
#define N3 (sizeof(shard3) / sizeof(shard3[0]))
/* every element: 80 + 96 * 4 + 80 + 8 */
#define PARAMS 552u
#define SHARD(i) "model-0000" #i "-of-00003.safetensors"

static unsigned elements(const struct tdef *t)
{
    return t->d0 * (t->d1 == 0 ? 1 : t->d1);
}

/* A safetensors file of the tensors, BF16, laid out in order. */
static void st_file(struct hbuf *out, const struct tdef *t, size_t n)
{
    struct hbuf h;
    size_t i;
    unsigned off = 0;
    hb_init(&h);
    hb_text(&h, "{");
    for (i = 0; i < n; i++) {
        const unsigned bytes = 2 * elements(&t[i]);
        hb_printf(&h, "%s\"%s\":{\"dtype\":\"BF16\",\"shape\":[%u", i == 0 ? "" : ",", t[i].name,
                  t[i].d0);
        if (t[i].d1 != 0) {
            hb_printf(&h, ",%u", t[i].d1);
        }
        hb_printf(&h, "],\"data_offsets\":[%u,%u]}", off, off + bytes);
        off += bytes;
    }
    hb_text(&h, "}");
    hb_safetensors(out, &h, off);
    hb_free(&h);
}

static const char *at(const char *rel)
{
    return hb_path(root, rel);
}

static void mkdirs(const char *rel)
{
    assert_int_equal(hb_mkdirs(root, rel), 0);
}

/* Writes the first `keep` bytes of b (all when keep is 0). */
static void put(const char *rel, const struct hbuf *b, size_t keep)
{
    assert_int_equal(hb_write_file(at(rel), b->d, keep == 0 ? b->n : keep), 0);
}

static void put_text(const char *rel, const char *text)
{
    assert_int_equal(hb_write_file(at(rel), text, strlen(text)), 0);
}

static struct hbuf s1;
static struct hbuf s2;
static struct hbuf s3;

/* The index and config.json in folder `dir`. */
static void put_meta(const char *dir)
{
    struct hbuf ix;
    char rel[300];
    size_t i;
    hb_init(&ix);
    hb_printf(&ix, "{\"metadata\":{\"total_size\":%u},\"weight_map\":{", 2 * PARAMS);
    for (i = 0; i < N1 + N2 + N3; i++) {
        const struct tdef *t = i < N1 ? &shard1[i] : i < N1 + N2 ? &shard2[i - N1]
                                                                 : &shard3[i - N1 - N2];
        const int s = i < N1 ? 1 : i < N1 + N2 ? 2 : 3;
        hb_printf(&ix, "%s\"%s\":\"model-0000%d-of-00003.safetensors\"", i == 0 ? "" : ",",
                  t->name, s);
    }
    hb_text(&ix, "}}");
    snprintf(rel, sizeof(rel), "%s/model.safetensors.index.json", dir);
    put(rel, &ix, 0);
    hb_free(&ix);
    snprintf(rel, sizeof(rel), "%s/config.json", dir);
    put_text(rel, "{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8, "
                  "\"num_hidden_layers\": 4, \"num_attention_heads\": 2}");
}

static int setup(void **state)
{
    char real[PATH_MAX];
    (void)state;
    if (hb_tmpdir(root, sizeof(root), "mm_download") != 0 || realpath(root, real) == NULL ||
        strlen(real) >= sizeof(root)) {
        return -1;
    }
    memcpy(root, real, strlen(real) + 1);
    hb_init(&s1);
    hb_init(&s2);
    hb_init(&s3);
    st_file(&s1, shard1, N1);
    st_file(&s2, shard2, N2);
    st_file(&s3, shard3, N3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hb_free(&s1);
    hb_free(&s2);
    hb_free(&s3);
    return hb_rmtree(root);
}

static struct mm_verify_report *verify(const char *rel)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    assert_int_equal(mm_verify(&rep, at(rel), NULL, &err), MM_OK);
    return rep;
}

/* The problem of the report about `file` (a suffix of its path). */
static const struct mm_problem *problem_for(const struct mm_verify_report *rep, const char *file)
{
    size_t i;
    for (i = 0; i < mm_verify_problem_count(rep); i++) {
        const struct mm_problem *p = mm_verify_problem(rep, i);
        const size_t n = strlen(p->file);
        if (n >= strlen(file) && strcmp(p->file + n - strlen(file), file) == 0) {
            return p;
        }
    }
    fail_msg("no problem about %s", file);
    return NULL;
}

static void expect_has(const char *text, const char *want)
{
    if (text == NULL || strstr(text, want) == NULL) {
        fail_msg("\"%s\" does not say \"%s\"", text != NULL ? text : "(null)", want);
    }
}

/* --local-dir: shard 2 half-downloaded under the newer name (a short hash,
 * found by its header), shard 3 there but cut short. */
static void test_local_dir(void **state)
{
    struct mm_verify_report *rep;
    const struct mm_problem *p;
    char want[1024];
    (void)state;
    mkdirs("local/.cache/huggingface/download");
    put_meta("local");
    put("local/" SHARD(1), &s1, 0);
    put("local/.cache/huggingface/download/Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHg=.0123abcd.incomplete",
        &s2, s2.n / 2);
    put("local/" SHARD(3), &s3, s3.n - 100);
    rep = verify("local");
    assert_int_equal(mm_verify_error_count(rep), 2);
    p = problem_for(rep, SHARD(2));
    assert_string_equal(mm_errcode_name(p->code), "download-incomplete");
    assert_int_equal(p->expected_bytes, (int64_t)s2.n);
    assert_int_equal(p->actual_bytes, (int64_t)(s2.n / 2));
    expect_has(p->message, " of ");
    expect_has(p->message, ".cache/huggingface/download/");
    /* config.json names no repository: no id is made up */
    snprintf(want, sizeof(want),
             "re-run the huggingface-cli download of this model with --local-dir %s", at("local"));
    assert_string_equal(p->remedy, want);
    p = problem_for(rep, SHARD(3));
    assert_string_equal(mm_errcode_name(p->code), "data-beyond-file");
    assert_int_equal(p->expected_bytes, (int64_t)s3.n);
    assert_int_equal(p->actual_bytes, (int64_t)(s3.n - 100));
    expect_has(p->message, "truncated: ");
    expect_has(p->remedy, "--force-download");
    mm_verify_free(rep);
}

/* The remedy of shard 2 in "local" when config.json's _name_or_path is
 * `value` (a JSON value as written in the file). */
static void expect_local_remedy(const char *value, const char *id)
{
    struct mm_verify_report *rep;
    const struct mm_problem *p;
    char text[512];
    char want[1024];
    snprintf(text, sizeof(text),
             "{\"_name_or_path\": %s, \"model_type\": \"llama\", \"vocab_size\": 10, "
             "\"hidden_size\": 8, \"num_hidden_layers\": 4, \"num_attention_heads\": 2}",
             value);
    put_text("local/config.json", text);
    rep = verify("local");
    p = problem_for(rep, SHARD(2));
    if (id != NULL) {
        snprintf(want, sizeof(want),
                 "re-run the download into this folder (id from config.json's _name_or_path): "
                 "huggingface-cli download %s --local-dir %s",
                 id, at("local"));
    } else {
        snprintf(want, sizeof(want),
                 "re-run the huggingface-cli download of this model with --local-dir %s",
                 at("local"));
    }
    assert_string_equal(p->remedy, want);
    mm_verify_free(rep);
}

/* With "Org/", 96 bytes: the longest id huggingface_hub accepts. */
#define NAME92                                                                                 \
    "0123456789012345678901234567890123456789012345678901234567890123456789"                  \
    "0123456789012345678901"

/* --local-dir keeps no record of the repository: config.json's
 * _name_or_path names it when it is a repository id as huggingface_hub
 * validates one; a path, a third part, a control byte, a name too long or
 * malformed is not taken (and never printed). */
static void test_local_dir_id(void **state)
{
    static const char *const refused[] = {
        "\"/home/user/ckpt/Org/Name\"", "\"./out\"", "\"../Org/Name\"", "\"Org/Name/x\"",
        "\"Name\"", "\"Org/\"", "\"/Name\"", "\"Org/Na\\u001b[31mme\"", "\"Org/Na me\"",
        "\"Org/Name.git\"", "\"Org--x/Name\"", "\"-Org/Name\"",
        "\"Org/Name.\"", "\"Org/Na..me\"", "\"C:\\\\models\\\\Name\"", "null", "42",
        "[\"Org/Name\"]", "\"https://huggingface.co/Org/Name\"",
        "\"Org/" NAME92 "x\""};
    size_t i;
    (void)state;
    expect_local_remedy("\"Big-Org/Tiny.Model_2\"", "Big-Org/Tiny.Model_2");
    /* 96 bytes: the longest id huggingface_hub accepts */
    expect_local_remedy("\"Org/" NAME92 "\"", "Org/" NAME92);
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        expect_local_remedy(refused[i], NULL);
    }
    /* a config.json that is not JSON: no id either */
    put_text("local/config.json", "{\"_name_or_path\": \"Org/Name\"");
    {
        struct mm_verify_report *rep = verify("local");
        expect_has(problem_for(rep, SHARD(2))->remedy, "re-run the huggingface-cli download of");
        mm_verify_free(rep);
    }
    put_meta("local");
}

/* The same folder loads with allow_missing_shards: the missing tensors are
 * sized from the other layers, config.json and total_size, which here
 * gives the whole model back. */
static void test_partial_load(void **state)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    size_t i;
    size_t missing = 0;
    (void)state;
    assert_int_equal(mm_inventory_load(&inv, at("local"), NULL, &err), MM_ERR_NOT_FOUND);
    assert_string_equal(mm_errcode_name(err.code), "shard-missing");
    opts.allow_missing_shards = 1;
    assert_int_equal(mm_inventory_load(&inv, at("local"), &opts, &err), MM_OK);
    assert_int_equal(mm_inventory_totals(inv)->parameters, PARAMS);
    assert_int_equal(mm_inventory_tensor_count(inv), N1 + N2 + N3);
    for (i = 0; i < mm_inventory_file_count(inv); i++) {
        missing += strcmp(mm_inventory_file(inv, i)->format, "missing") == 0;
    }
    assert_int_equal(missing, 2);
    for (i = 0; i < mm_inventory_tensor_count(inv); i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        if (strcmp(t->name, "lm_head.weight") == 0) {
            assert_int_equal(t->rank, 2); /* from config.json */
            assert_int_equal(t->shape[0], 10);
            assert_int_equal(t->shape[1], 8);
        } else if (strcmp(t->name, "model.layers.2.a") == 0) {
            assert_int_equal(t->shape[0], 64); /* from model.layers.0.a */
            assert_int_equal(t->dtype, MM_DTYPE_BF16);
        } else if (strcmp(t->name, "model.norm.weight") == 0) {
            assert_int_equal(t->shape[0], 8); /* what total_size leaves */
        }
    }
    mm_inventory_free(inv);
    /* no shard there at all: nothing to estimate from */
    mkdirs("none");
    put_meta("none");
    assert_int_equal(mm_inventory_load(&inv, at("none"), &opts, &err), MM_ERR_NOT_FOUND);
    assert_string_equal(mm_errcode_name(err.code), "shard-missing");
}

/* The cache: shard 1 linked to its blob; shard 2's blob .incomplete with
 * its header cut (so which shard it is cannot be told); shard 3's with
 * its header whole (so it can). */
static void test_cache(void **state)
{
    struct mm_verify_report *rep;
    const struct mm_problem *p;
    char out[PATH_MAX];
    struct mm_error err;
    (void)state;
    assert_int_equal(hb_hf_repo(root, "hub/models--Org--Name", "c0ffee"), 0);
    put_text("hub/models--Org--Name/refs/main", "c0ffee");
    put_meta("hub/models--Org--Name/snapshots/c0ffee");
    put("hub/models--Org--Name/blobs/aaaa", &s1, 0);
    assert_int_equal(symlink("../../blobs/aaaa", at("hub/models--Org--Name/snapshots/c0ffee/"
                                                   SHARD(1))),
                     0);
    put("hub/models--Org--Name/blobs/bbbb.incomplete", &s2, 20);
    put("hub/models--Org--Name/blobs/cccc.incomplete", &s3, s3.n / 2);
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), at("hub"), "org/name", &err), MM_OK);
    rep = NULL;
    assert_int_equal(mm_verify(&rep, out, NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 3);
    p = problem_for(rep, SHARD(2));
    assert_string_equal(mm_errcode_name(p->code), "shard-missing");
    assert_string_equal(p->remedy, "re-run the download: huggingface-cli download Org/Name");
    p = problem_for(rep, SHARD(3));
    assert_string_equal(mm_errcode_name(p->code), "download-incomplete");
    assert_int_equal(p->expected_bytes, (int64_t)s3.n);
    assert_int_equal(p->actual_bytes, (int64_t)(s3.n / 2));
    expect_has(p->message, "blobs/cccc.incomplete");
    p = problem_for(rep, "blobs/bbbb.incomplete");
    assert_string_equal(mm_errcode_name(p->code), "download-incomplete");
    assert_int_equal(p->severity, MM_SEVERITY_ERROR);
    assert_int_equal(p->expected_bytes, -1);
    assert_int_equal(p->actual_bytes, 20);
    expect_has(p->message, "20 bytes so far");
    mm_verify_free(rep);
}

/* Outside any download: a file cut short; an index of one shard whose
 * header is cut (the size expected from total_size); a leftover of a
 * shard that is there in full (a warning only). */
static void test_elsewhere(void **state)
{
    struct mm_verify_report *rep;
    const struct mm_problem *p;
    struct hbuf ix;
    (void)state;
    mkdirs("plain");
    put("plain/model.safetensors", &s1, s1.n - 1);
    rep = verify("plain/model.safetensors");
    p = problem_for(rep, "model.safetensors");
    assert_int_equal(p->expected_bytes, (int64_t)s1.n);
    assert_string_equal(p->remedy, "the file is truncated: download it again");
    mm_verify_free(rep);

    mkdirs("one");
    hb_init(&ix);
    hb_printf(&ix, "{\"metadata\":{\"total_size\":%u},\"weight_map\":{\"model.embed_tokens."
                   "weight\":\"s.safetensors\",\"model.layers.0.a\":\"s.safetensors\","
                   "\"model.layers.0.b\":\"s.safetensors\"}}",
              (unsigned)(s1.n - 8 - (s1.d[0] | (unsigned)s1.d[1] << 8)));
    put("one/model.safetensors.index.json", &ix, 0);
    hb_free(&ix);
    put("one/s.safetensors", &s1, 30);
    rep = verify("one");
    p = problem_for(rep, "s.safetensors");
    assert_string_equal(mm_errcode_name(p->code), "header-length-beyond-file");
    assert_int_equal(p->expected_bytes, (int64_t)s1.n);
    assert_int_equal(p->actual_bytes, 30);
    mm_verify_free(rep);

    mkdirs("done/.cache/huggingface/download");
    put_meta("done");
    put("done/" SHARD(1), &s1, 0);
    put("done/" SHARD(2), &s2, 0);
    put("done/" SHARD(3), &s3, 0);
    put("done/.cache/huggingface/download/" SHARD(1) ".0123.incomplete", &s1, 10);
    rep = verify("done");
    assert_int_equal(mm_verify_error_count(rep), 0);
    assert_int_equal(mm_verify_problem_count(rep), 1);
    p = mm_verify_problem(rep, 0);
    assert_string_equal(mm_errcode_name(p->code), "download-incomplete");
    assert_int_equal(p->severity, MM_SEVERITY_WARNING);
    mm_verify_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_dir),
        cmocka_unit_test(test_local_dir_id),
        cmocka_unit_test(test_partial_load),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_elsewhere),
    };
    return cmocka_run_group_tests_name("download", tests, setup, teardown);
}
