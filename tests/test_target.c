/* test_target.c - how TARGET folders resolve: diffusers pipelines,
 * sentence-transformers modules, variants, GGUF files, index files inside
 * components. Builds each layout in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "modelmem.h"

static char root[256];

static void mkdirs(const char *rel)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *rel, const void *data, size_t len)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *rel, const char *text)
{
    write_file(rel, text, strlen(text));
}

/* A safetensors file holding F32 tensors t0..t(k-1) named `stem`.i, of n
 * elements each. */
static void write_st(const char *rel, const char *stem, unsigned k, unsigned n)
{
    char header[2048];
    unsigned char buf[8192];
    int hl = 0;
    unsigned i;
    hl += snprintf(header + hl, sizeof(header) - (size_t)hl, "{");
    for (i = 0; i < k; i++) {
        hl += snprintf(header + hl, sizeof(header) - (size_t)hl,
                       "%s\"%s.%u\":{\"dtype\":\"F32\",\"shape\":[%u],"
                       "\"data_offsets\":[%u,%u]}",
                       i > 0 ? "," : "", stem, i, n, i * n * 4, (i + 1) * n * 4);
    }
    hl += snprintf(header + hl, sizeof(header) - (size_t)hl, "}");
    memset(buf, 0, sizeof(buf));
    for (i = 0; i < 8; i++) {
        buf[i] = (unsigned char)(((unsigned long long)hl >> (8 * i)) & 0xff);
    }
    memcpy(buf + 8, header, (size_t)hl);
    write_file(rel, buf, 8 + (size_t)hl + k * n * 4);
}

static int setup_one(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/mm_target_XXXXXX");
    return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown_one(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static struct mm_inventory *load_ok(const char *rel)
{
    char path[600];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    if (mm_inventory_load(&inv, path, NULL, &err) != MM_OK) {
        char line[2048];
        mm_error_format(line, sizeof(line), &err);
        fail_msg("%s", line);
    }
    return inv;
}

static void load_fails(const char *rel, const char *code)
{
    char path[600];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    assert_int_not_equal(mm_inventory_load(&inv, path, NULL, &err), MM_OK);
    assert_null(inv);
    assert_string_equal(mm_errcode_name(err.code), code);
}

static void test_diffusers_pipeline(void **state)
{
    struct mm_inventory *inv;
    size_t i;
    (void)state;
    mkdirs("p/unet");
    mkdirs("p/text_encoder");
    mkdirs("p/text_encoder_2");
    mkdirs("p/vae");
    mkdirs("p/scheduler");
    write_text("p/model_index.json",
               "{\"_class_name\": \"StableDiffusionXLPipeline\", \"_diffusers_version\": \"0.30\","
               " \"unet\": [\"diffusers\", \"UNet2DConditionModel\"],"
               " \"text_encoder\": [\"transformers\", \"CLIPTextModel\"],"
               " \"text_encoder_2\": [\"transformers\", \"CLIPTextModelWithProjection\"],"
               " \"vae\": [\"diffusers\", \"AutoencoderKL\"],"
               " \"scheduler\": [\"diffusers\", \"EulerDiscreteScheduler\"],"
               " \"safety_checker\": [null, null], \"force_zeros\": true}");
    write_st("p/unet/diffusion_pytorch_model.safetensors", "conv", 2, 4);
    write_st("p/unet/diffusion_pytorch_model.fp16.safetensors", "conv", 2, 4);
    /* the two text encoders use the same names: the prefix keeps them apart */
    write_st("p/text_encoder/model.safetensors", "text_model.layer", 3, 2);
    write_st("p/text_encoder_2/model.safetensors", "text_model.layer", 3, 2);
    write_st("p/vae/diffusion_pytorch_model-00001-of-00002.safetensors", "a", 1, 8);
    write_st("p/vae/diffusion_pytorch_model-00002-of-00002.safetensors", "b", 1, 8);
    write_text("p/vae/diffusion_pytorch_model.safetensors.index.json",
               "{\"weight_map\": {\"a.0\": \"diffusion_pytorch_model-00001-of-00002.safetensors\","
               " \"b.0\": \"diffusion_pytorch_model-00002-of-00002.safetensors\"}}");
    write_text("p/scheduler/scheduler_config.json", "{}");
    inv = load_ok("p");
    assert_int_equal(mm_inventory_file_count(inv), 5);
    assert_string_equal(mm_inventory_file(inv, 0)->path, "unet/diffusion_pytorch_model.safetensors");
    assert_string_equal(mm_inventory_file(inv, 1)->path, "text_encoder/model.safetensors");
    assert_string_equal(mm_inventory_file(inv, 2)->path, "text_encoder_2/model.safetensors");
    assert_string_equal(mm_inventory_file(inv, 3)->path,
                        "vae/diffusion_pytorch_model-00001-of-00002.safetensors");
    assert_int_equal(mm_inventory_tensor_count(inv), 2 + 3 + 3 + 2);
    assert_string_equal(mm_inventory_tensor(inv, 0)->name, "unet/conv.0");
    assert_string_equal(mm_inventory_tensor(inv, 2)->name, "text_encoder/text_model.layer.0");
    assert_string_equal(mm_inventory_tensor(inv, 5)->name, "text_encoder_2/text_model.layer.0");
    assert_string_equal(mm_inventory_tensor(inv, 9)->name, "vae/b.0");
    assert_int_equal(mm_inventory_totals(inv)->parameters, 8 + 6 + 6 + 16);
    for (i = 0; i < mm_inventory_tensor_count(inv); i++) {
        assert_int_equal(mm_inventory_tensor(inv, i)->dtype, MM_DTYPE_F32);
    }
    mm_inventory_free(inv);
    /* a component's index is checked against its own shards */
    write_text("p/vae/diffusion_pytorch_model.safetensors.index.json",
               "{\"weight_map\": {\"a.0\": \"diffusion_pytorch_model-00002-of-00002.safetensors\","
               " \"b.0\": \"diffusion_pytorch_model-00002-of-00002.safetensors\"}}");
    load_fails("p", "index-missing-tensor");
}

static void test_sentence_transformers(void **state)
{
    struct mm_inventory *inv;
    (void)state;
    mkdirs("s/1_Pooling");
    mkdirs("s/2_Dense");
    write_text("s/modules.json",
               "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": "
               "\"sentence_transformers.models.Transformer\"},"
               " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": "
               "\"sentence_transformers.models.Pooling\"},"
               " {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Dense\", \"type\": "
               "\"sentence_transformers.models.Dense\"}]");
    write_st("s/model.safetensors", "encoder.layer", 2, 4);
    write_text("s/1_Pooling/config.json", "{}");
    write_st("s/2_Dense/model.safetensors", "linear", 1, 6);
    inv = load_ok("s");
    assert_int_equal(mm_inventory_file_count(inv), 2);
    assert_string_equal(mm_inventory_file(inv, 1)->path, "2_Dense/model.safetensors");
    assert_string_equal(mm_inventory_tensor(inv, 0)->name, "encoder.layer.0");
    assert_string_equal(mm_inventory_tensor(inv, 2)->name, "2_Dense/linear.0");
    mm_inventory_free(inv);
}

static void test_variants_and_preference(void **state)
{
    struct mm_inventory *inv;
    (void)state;
    mkdirs("v1");
    write_st("v1/model.fp16.safetensors", "w", 1, 2);
    inv = load_ok("v1"); /* only a variant: it is the model */
    assert_int_equal(mm_inventory_file_count(inv), 1);
    mm_inventory_free(inv);
    mkdirs("v2");
    write_st("v2/model.safetensors", "w", 1, 2);
    write_st("v2/adapter_model.safetensors", "w", 1, 2);
    inv = load_ok("v2"); /* model.safetensors is what transformers loads */
    assert_int_equal(mm_inventory_file_count(inv), 1);
    assert_string_equal(mm_inventory_file(inv, 0)->path, "model.safetensors");
    mm_inventory_free(inv);
    mkdirs("v3");
    write_st("v3/a.safetensors", "a", 1, 2);
    write_st("v3/a.fp16.safetensors", "a", 1, 2);
    write_st("v3/b.safetensors", "b", 1, 2);
    inv = load_ok("v3"); /* a.fp16 is shadowed by a */
    assert_int_equal(mm_inventory_file_count(inv), 2);
    assert_string_equal(mm_inventory_file(inv, 0)->path, "a.safetensors");
    assert_string_equal(mm_inventory_file(inv, 1)->path, "b.safetensors");
    mm_inventory_free(inv);
}

/* A minimal GGUF file with one F32 tensor named `name`. */
static void write_gguf(const char *rel, const char *name)
{
    unsigned char b[256];
    size_t n = 0;
    const size_t nl = strlen(name);
    unsigned i;
    memset(b, 0, sizeof(b));
    memcpy(b, "GGUF\3\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
    n = 24;
    for (i = 0; i < 8; i++) {
        b[n + i] = (unsigned char)((unsigned long long)nl >> (8 * i));
    }
    n += 8;
    memcpy(b + n, name, nl);
    n += nl;
    b[n] = 1; /* n_dims */
    n += 4;
    b[n] = 32; /* dims[0] */
    n += 8;
    n += 4; /* type F32 */
    n += 8; /* offset 0 */
    n = (n + 31) / 32 * 32 + 128;
    write_file(rel, b, n);
}

static void test_gguf_folders(void **state)
{
    struct mm_inventory *inv;
    (void)state;
    mkdirs("g1");
    write_gguf("g1/m-Q4_K_M.gguf", "w");
    inv = load_ok("g1");
    assert_int_equal(mm_inventory_tensor_count(inv), 1);
    mm_inventory_free(inv);
    write_gguf("g1/m-Q8_0.gguf", "w");
    load_fails("g1", "ambiguous-target");
    mkdirs("g2");
    write_gguf("g2/m-00001-of-00002.gguf", "a");
    write_gguf("g2/m-00002-of-00002.gguf", "b");
    inv = load_ok("g2");
    assert_int_equal(mm_inventory_tensor_count(inv), 2);
    mm_inventory_free(inv);
}

static void test_empty_and_hostile_pipeline(void **state)
{
    (void)state;
    mkdirs("e");
    load_fails("e", "no-weight-files");
    mkdirs("h/sub");
    write_st("h/sub/model.safetensors", "w", 1, 2);
    /* component names that would leave the folder are not followed */
    write_text("h/model_index.json", "{\"../h/sub\": [\"x\", \"y\"], \"/etc\": [\"x\", \"y\"]}");
    load_fails("h", "no-weight-files");
    write_text("h/model_index.json", "[1, 2]");
    load_fails("h", "json-syntax");
    write_text("h/model_index.json", "{\"sub\": [\"x\", \"y\"]");
    load_fails("h", "json-syntax");
    write_text("h/model_index.json", "{\"sub\": [\"x\", \"y\"]}");
    {
        struct mm_inventory *inv = load_ok("h");
        assert_string_equal(mm_inventory_tensor(inv, 0)->name, "sub/w.0");
        mm_inventory_free(inv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_diffusers_pipeline, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_sentence_transformers, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_variants_and_preference, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_gguf_folders, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_empty_and_hostile_pipeline, setup_one, teardown_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
