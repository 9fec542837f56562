/*
 * test_bench_layout.c - the benchmark's layouts are valid and modelmem
 * counts them exactly: gen_layout writes (sparse) the Llama-3-70B layout
 * and the first shards of the DeepSeek-V3 layout; `modelmem inspect --json`
 * and `estimate --json` must report the generator's tensor count and
 * parameters per dtype; `floor` reads the index and every shard's header,
 * `floor --no-index` the headers alone. Timing is run_bench.sh's business,
 * not a test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#define MAX_DTYPES 8

struct counts {
    unsigned long long tensors;
    size_t n;
    char name[MAX_DTYPES][16];
    unsigned long long params[MAX_DTYPES];
};

/* Runs a shell command and returns its whole stdout (NUL-terminated). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    size_t len = 0;
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    size_t got;
    assert_non_null(p);
    assert_non_null(buf);
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            assert_non_null(nb);
            buf = nb;
            cap *= 2;
        }
    }
    buf[len] = '\0';
    assert_int_equal(pclose(p), 0);
    return buf;
}

static unsigned long long number_after(const char *text, const char *key)
{
    const char *at = strstr(text, key);
    char *end = NULL;
    unsigned long long v;
    assert_non_null(at);
    v = strtoull(at + strlen(key), &end, 10);
    assert_true(end != at + strlen(key));
    return v;
}

/* Reads `"parameters_by_dtype": {"A": n, "B": m}` (after `from`). */
static void read_by_dtype(struct counts *c, const char *from)
{
    const char *p = strstr(from, "\"parameters_by_dtype\": {");
    assert_non_null(p);
    p += strlen("\"parameters_by_dtype\": {");
    c->n = 0;
    while (*p == '"') {
        const char *q = strchr(p + 1, '"');
        char *end = NULL;
        assert_non_null(q);
        assert_true(c->n < MAX_DTYPES);
        assert_true((size_t)(q - p - 1) < sizeof(c->name[0]));
        memcpy(c->name[c->n], p + 1, (size_t)(q - p - 1));
        c->name[c->n][q - p - 1] = '\0';
        assert_memory_equal(q, "\": ", 3);
        c->params[c->n] = strtoull(q + 3, &end, 10);
        assert_true(end != q + 3);
        c->n++;
        p = end;
        if (strncmp(p, ", ", 2) == 0) {
            p += 2;
        }
    }
    assert_int_equal(*p, '}');
}

static unsigned long long param_of(const struct counts *c, const char *dtype)
{
    size_t i;
    for (i = 0; i < c->n; i++) {
        if (strcmp(c->name[i], dtype) == 0) {
            return c->params[i];
        }
    }
    return 0;
}

static void assert_same(const struct counts *want, const struct counts *got)
{
    size_t i;
    assert_int_equal(got->tensors, want->tensors);
    assert_int_equal(got->n, want->n);
    for (i = 0; i < want->n; i++) {
        assert_int_equal(param_of(got, want->name[i]), want->params[i]);
    }
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[8192];
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            assert_int_equal(unlink(path), 0);
        }
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

/* Generates a layout and checks both commands' counts against it. */
static void check_layout(const char *kind, unsigned keep, struct counts *want)
{
    char tmpl[] = "/tmp/mm_bench_XXXXXX";
    char cmd[8192];
    char dir[256];
    char *gen;
    char *inspect;
    char *estimate;
    char *floor_all;
    char *floor_headers;
    struct counts got;
    assert_non_null(mkdtemp(tmpl));
    snprintf(dir, sizeof(dir), "%s/model", tmpl);
    if (keep > 0) {
        snprintf(cmd, sizeof(cmd), "'%s' %s '%s' --keep %u", MM_GEN_LAYOUT, kind, dir, keep);
    } else {
        snprintf(cmd, sizeof(cmd), "'%s' %s '%s'", MM_GEN_LAYOUT, kind, dir);
    }
    gen = run(cmd);
    want->tensors = number_after(gen, "{\"tensors\": ");
    read_by_dtype(want, gen);

    snprintf(cmd, sizeof(cmd), "'%s' inspect --json '%s'", MM_BINARY, dir);
    inspect = run(cmd);
    got.tensors = number_after(inspect, "\"totals\": {\"tensors\": ");
    read_by_dtype(&got, strstr(inspect, "\"totals\": {"));
    assert_same(want, &got);

    snprintf(cmd, sizeof(cmd), "'%s' estimate --json '%s'", MM_BINARY, dir);
    estimate = run(cmd);
    got.tensors = number_after(estimate, "\"tensors\": ");
    read_by_dtype(&got, estimate);
    assert_same(want, &got);

    /* the floors: shards + index, then the shards' header bytes alone */
    snprintf(cmd, sizeof(cmd), "'%s' '%s'", MM_FLOOR, dir);
    floor_all = run(cmd);
    assert_int_equal(number_after(floor_all, "files "), number_after(gen, "\"shards\": ") + 1);
    snprintf(cmd, sizeof(cmd), "'%s' --no-index '%s'", MM_FLOOR, dir);
    floor_headers = run(cmd);
    assert_int_equal(number_after(floor_headers, "files "), number_after(gen, "\"shards\": "));
    assert_int_equal(number_after(floor_headers, "header_bytes "),
                     number_after(gen, "\"header_bytes\": "));

    free(gen);
    free(inspect);
    free(estimate);
    free(floor_all);
    free(floor_headers);
    remove_tree(dir);
    assert_int_equal(rmdir(tmpl), 0);
}

static void test_llama_layout(void **state)
{
    struct counts want;
    (void)state;
    check_layout("llama", 0, &want);
    /* Llama-3-70B: 80 layers of 9 tensors, embeddings, norm, head */
    assert_int_equal(want.tensors, 723);
    assert_int_equal(want.n, 1);
    assert_int_equal(param_of(&want, "BF16"), 70553706496ull);
}

static void test_deepseek_first_shards(void **state)
{
    struct counts want;
    (void)state;
    check_layout("deepseek", 3, &want);
    assert_int_equal(want.n, 3);
    assert_true(want.tensors > 100);
    assert_true(param_of(&want, "F8_E4M3") > 0);
    assert_true(param_of(&want, "F32") > 0);
    assert_true(param_of(&want, "BF16") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama_layout),
        cmocka_unit_test(test_deepseek_first_shards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
