/*
 * test_adapter.c - PEFT adapter folders (adapter_config.json beside
 * adapter_model.safetensors), built in a temporary folder: what
 * mm_adapter_probe reads, what it refuses (malformed JSON, a config that
 * leads out of the folder), and the base model loaded with the adapter.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostile_gen.h"
#include "modelmem.h"

static char root[256];

static const char *at(const char *rel)
{
    return hb_path(root, rel);
}

static void put_text(const char *rel, const char *text)
{
    assert_int_equal(hb_write_file(at(rel), text, strlen(text)), 0);
}

static void put_one(const char *rel, const char *tensor, unsigned n)
{
    struct hbuf b;
    hb_init(&b);
    hb_safetensors_one(&b, tensor, n);
    assert_int_equal(hb_write_file(at(rel), b.d, b.n), 0);
    hb_free(&b);
}

static int setup(void **state)
{
    char real[PATH_MAX];
    char cmd[1200];
    (void)state;
    if (hb_tmpdir(root, sizeof(root), "mm_adapter") != 0 || realpath(root, real) == NULL ||
        strlen(real) >= sizeof(root)) {
        return -1;
    }
    memcpy(root, real, strlen(real) + 1);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/base' '%s/lora' '%s/plain' '%s/outside'", root,
             root, root, root);
    if (system(cmd) != 0) {
        return -1;
    }
    put_one("base/model.safetensors", "model.embed_tokens.weight", 64);
    put_one("lora/adapter_model.safetensors", "base_model.model.lm_head.lora_A.weight", 8);
    put_text("lora/adapter_config.json",
             "{\"base_model_name_or_path\": \"org/base\", \"peft_type\": \"LORA\", \"r\": 16, "
             "\"target_modules\": [\"q_proj\"], \"lora_alpha\": 32.0}");
    put_one("plain/model.safetensors", "w", 4);
    put_text("outside/adapter_config.json", "{\"base_model_name_or_path\": \"x/y\"}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return hb_rmtree(root);
}

static void test_probe(void **state)
{
    struct mm_adapter ad;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_adapter_probe(&ad, at("lora"), &err), MM_OK);
    assert_string_equal(ad.base_model, "org/base");
    assert_string_equal(ad.peft_type, "LORA");
    assert_int_equal(ad.rank, 16);
    /* a file of the folder names it too */
    assert_int_equal(mm_adapter_probe(&ad, at("lora/adapter_model.safetensors"), &err), MM_OK);
    assert_int_equal(mm_adapter_probe(&ad, at("plain"), &err), MM_ERR_NOT_FOUND);
    assert_int_equal(mm_adapter_probe(&ad, at("base"), &err), MM_ERR_NOT_FOUND);
}

static void test_refused(void **state)
{
    struct mm_adapter ad;
    struct mm_error err;
    (void)state;
    put_text("plain/adapter_config.json", "{\"base_model_name_or_path\": ");
    rename(at("plain/model.safetensors"), at("plain/adapter_model.safetensors"));
    assert_int_equal(mm_adapter_probe(&ad, at("plain"), &err), MM_ERR_MALFORMED);
    assert_string_equal(mm_errcode_name(err.code), "json-syntax");
    unlink(at("plain/adapter_config.json"));
    assert_int_equal(symlink(at("outside/adapter_config.json"), at("plain/adapter_config.json")),
                     0);
    assert_int_equal(mm_adapter_probe(&ad, at("plain"), &err), MM_ERR_UNSAFE);
    assert_string_equal(mm_errcode_name(err.code), "shard-outside-folder");
    assert_string_equal(ad.base_model, "");
}

static void test_with_base(void **state)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_inventory_load_with_base(&inv, at("lora"), at("base"), NULL, &err),
                     MM_OK);
    assert_int_equal(mm_inventory_file_count(inv), 2);
    assert_int_equal(mm_inventory_tensor_count(inv), 2);
    assert_int_equal(mm_inventory_totals(inv)->parameters, 64 + 8);
    assert_string_equal(mm_inventory_file(inv, 0)->path, at("base/model.safetensors"));
    assert_string_equal(mm_inventory_file(inv, 1)->path, "adapter_model.safetensors");
    mm_inventory_free(inv);
    /* names that clash are refused, as across the files of one model */
    put_one("base/model.safetensors", "base_model.model.lm_head.lora_A.weight", 4);
    assert_int_equal(mm_inventory_load_with_base(&inv, at("lora"), at("base"), NULL, &err),
                     MM_ERR_MALFORMED);
    assert_string_equal(mm_errcode_name(err.code), "duplicate-tensor");
    assert_null(inv);
    assert_int_equal(mm_inventory_load_with_base(&inv, at("lora"), at("nope"), NULL, &err),
                     MM_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_with_base),
    };
    return cmocka_run_group_tests_name("adapter", tests, setup, teardown);
}
