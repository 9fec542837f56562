/* test_nomem.c - out-of-memory paths: for each scenario, the Nth allocation
 * fails for N = 1, 2, ... until the scenario runs without a failure; every
 * run must return MM_ERR_NOMEM (or succeed) and leak nothing (ASan's leak
 * check covers the leaks). Allocations are intercepted with the linker's
 * --wrap, so the library runs unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modelmem.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* 0: never fail; else fail the call that brings `calls` to `fail_at`. */
static atomic_long calls;
static atomic_long fail_at;
static atomic_int armed;

static int should_fail(void)
{
    if (!atomic_load(&armed)) {
        return 0;
    }
    return atomic_fetch_add(&calls, 1) + 1 == atomic_load(&fail_at);
}

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t s)
{
    return should_fail() ? NULL : __real_calloc(n, s);
}

void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    char *d;
    size_t n;
    if (should_fail()) {
        return NULL;
    }
    n = strlen(s) + 1;
    d = __real_malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

typedef enum mm_status (*scenario)(const char *target);

static enum mm_status run_load_estimate(const char *target)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_estimate *est = __real_malloc(sizeof(*est));
    struct mm_error err;
    enum mm_status st;
    opts.threads = 1;
    assert_non_null(est);
    st = mm_inventory_load(&inv, target, &opts, &err);
    if (st == MM_OK) {
        st = mm_estimate_run(est, inv, NULL, &err);
        assert_true(st == MM_OK || st == MM_ERR_NOMEM);
    }
    if (st != MM_OK) {
        assert_null(st == MM_ERR_NOMEM ? NULL : inv);
    }
    mm_inventory_free(inv);
    free(est);
    return st;
}

/* allow_missing_shards: the missing shard's tensors estimated */
static enum mm_status run_partial(const char *target)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    enum mm_status st;
    opts.threads = 1;
    opts.allow_missing_shards = 1;
    st = mm_inventory_load(&inv, target, &opts, &err);
    mm_inventory_free(inv);
    return st;
}

/* a PEFT adapter (TARGET) with its base model (fixtures/estimate/tiny-llama) */
static enum mm_status run_adapter(const char *target)
{
    struct mm_adapter ad;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    enum mm_status st = mm_adapter_probe(&ad, target, &err);
    if (st == MM_OK) {
        st = mm_inventory_load_with_base(&inv, target, MM_FIXTURES "/estimate/tiny-llama", NULL,
                                         &err);
    }
    mm_inventory_free(inv);
    return st;
}

static enum mm_status run_verify(const char *target)
{
    struct mm_verify_options opts = MM_VERIFY_OPTIONS_INIT;
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    enum mm_status st;
    opts.load.threads = 1;
    st = mm_verify(&rep, target, &opts, &err);
    mm_verify_free(rep);
    return st;
}

/* config.json beside the weights, the Hub-exact count (an MLX model needs
 * its name table) and every memory estimate. */
static enum mm_status run_memory(const char *target)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_config *cfg = NULL;
    struct mm_memory *r = __real_malloc(sizeof(*r));
    struct mm_error err;
    enum mm_status st;
    assert_non_null(r);
    opts.threads = 1;
    p.inference = 1;
    p.train = MM_TRAIN_QLORA;
    p.gpus = 2;
    p.parallel = MM_PAR_ZERO3;
    p.device_bytes = 1ull << 30;
    st = mm_inventory_load(&inv, target, &opts, &err);
    if (st == MM_OK) {
        st = mm_config_load_for(&cfg, target, &err);
    }
    if (st == MM_OK) {
        st = mm_memory_run(r, inv, cfg, &p, &err);
    }
    mm_config_free(cfg);
    mm_inventory_free(inv);
    free(r);
    return st;
}

/* Fails each allocation in turn; returns how many runs it took. */
static long exhaust(scenario run, const char *target)
{
    long n;
    for (n = 1; n < 100000; n++) {
        enum mm_status st;
        atomic_store(&calls, 0);
        atomic_store(&fail_at, n);
        atomic_store(&armed, 1);
        st = run(target);
        atomic_store(&armed, 0);
        if (atomic_load(&calls) < n) {
            assert_int_equal(st, MM_OK); /* no allocation failed: a clean run */
            return n;
        }
        if (st != MM_ERR_NOMEM) {
            fail_msg("allocation %ld failed but the status was %d (%s)", n, (int)st,
                     mm_status_str(st));
        }
    }
    fail_msg("more than 100000 allocations");
    return n;
}

static void test_safetensors_sharded(void **state)
{
    (void)state;
    printf("sharded safetensors: %ld runs\n",
           exhaust(run_load_estimate, MM_SHARED "/realmodels/sharded-safetensors-jl"));
}

static void test_gguf(void **state)
{
    (void)state;
    printf("gguf: %ld runs\n",
           exhaust(run_load_estimate,
                   MM_SHARED "/realmodels/gguf-llama2-tiny-random/llama-2-tiny-random.gguf"));
}

static void test_verify_sharded(void **state)
{
    (void)state;
    printf("verify: %ld runs\n", exhaust(run_verify, MM_SHARED "/realmodels/sharded-safetensors-jl"));
}

/* verify's own error paths: an index whose shards are missing */
static void test_verify_broken(void **state)
{
    (void)state;
    printf("verify (missing shards): %ld runs\n",
           exhaust(run_verify, MM_SHARED "/realmodels/index-gemma-2b"));
    printf("partial load: %ld runs\n",
           exhaust(run_partial, MM_FIXTURES "/safetensors/malformed-dirs/shard-missing"));
    printf("partial load (cache): %ld runs\n",
           exhaust(run_partial, MM_FIXTURES "/hub/models--example--half-llama/snapshots/"
                                            "0123456789abcdef0123456789abcdef01234567"));
    printf("verify (download stopped): %ld runs\n",
           exhaust(run_verify, MM_FIXTURES "/hub/models--example--half-llama/snapshots/"
                                           "0123456789abcdef0123456789abcdef01234567"));
    printf("adapter with base: %ld runs\n",
           exhaust(run_adapter, MM_FIXTURES "/adapter/tiny-lora"));
}

/* PyTorch: zip, legacy, deflated, an index folder, warnings, verify */
static void test_torch(void **state)
{
    static const char *const files[] = {"training.pt", "legacy.pt", "deflated.pt", "sharded",
                                        "malformed/unknown_global.pt"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/torch/%s", MM_FIXTURES, files[i]);
        printf("torch %s: %ld runs\n", files[i], exhaust(run_load_estimate, path));
    }
    printf("verify unsafe pickle: %ld runs\n",
           exhaust(run_verify, MM_FIXTURES "/torch/malformed/os_system.pt"));
}

static void test_memory(void **state)
{
    (void)state;
    printf("memory (MLX): %ld runs\n", exhaust(run_memory, MM_FIXTURES "/estimate/mlx"));
    printf("memory (Llama): %ld runs\n", exhaust(run_memory, MM_FIXTURES "/estimate/tiny-llama"));
}

static int need_shared(void **state)
{
    FILE *f = fopen(MM_SHARED "/realmodels/EXPECTED.json", "rb");
    (void)state;
    if (f == NULL) {
        printf("skipping: " MM_SHARED "/realmodels is absent\n");
        return -1;
    }
    fclose(f);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safetensors_sharded),
        cmocka_unit_test(test_gguf),
        cmocka_unit_test(test_verify_sharded),
        cmocka_unit_test(test_verify_broken),
        cmocka_unit_test(test_torch),
        cmocka_unit_test(test_memory),
    };
    if (need_shared(NULL) != 0) {
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
