/* test_estimate_accel.c - accelerate's arithmetic on the bundled model,
 * fixtures/tiny-llama, against figures worked out by hand here:
 *   per layer: q 32x32 + k 16x32 + v 16x32 + o 32x32 = 3,072
 *              gate, up, down 3 x 64x32 = 6,144; two norms 2 x 32 = 64
 *              => 9,280 parameters (the largest group, model.layers.0)
 *   embed 128x32 = 4,096, lm_head 4,096, final norm 32
 *   total 2 x 9,280 + 4,096 + 4,096 + 32 = 26,784 parameters
 *   float32 bytes 107,136; Adam 4 x 107,136 = 428,544 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modelmem.h"

static void test_tiny_llama_rows(void **state)
{
    struct mm_inventory *inv = NULL;
    struct mm_estimate est;
    struct mm_estimate_params p = MM_ESTIMATE_PARAMS_INIT;
    (void)state;
    assert_int_equal(mm_inventory_load(&inv, MM_FIXTURES "/tiny-llama", NULL, NULL), MM_OK);
    p.ndtypes = 5;
    p.dtypes[0] = MM_EST_FLOAT32;
    p.dtypes[1] = MM_EST_FLOAT16;
    p.dtypes[2] = MM_EST_BFLOAT16;
    p.dtypes[3] = MM_EST_INT8;
    p.dtypes[4] = MM_EST_INT4;
    assert_int_equal(mm_estimate_run(&est, inv, &p, NULL), MM_OK);
    assert_int_equal(est.parameters, 26784);
    assert_int_equal(est.stored_bytes, 26624 * 2 + 160 * 4);
    assert_int_equal(est.parameters_by_dtype[MM_DTYPE_BF16], 26624);
    assert_int_equal(est.parameters_by_dtype[MM_DTYPE_F32], 160);
    assert_string_equal(est.largest_layer, "model.layers.0");
    assert_int_equal(est.largest_layer_parameters, 9280);
    assert_int_equal(est.nrows, 5);
    assert_int_equal(est.rows[0].total_bytes, 107136);
    assert_int_equal(est.rows[0].largest_layer_bytes, 37120);
    assert_int_equal(est.rows[0].training_adam_bytes, 428544);
    assert_true(est.rows[0].has_training);
    assert_int_equal(est.rows[1].total_bytes, 53568);
    assert_int_equal(est.rows[1].largest_layer_bytes, 18560);
    assert_int_equal(est.rows[1].training_adam_bytes, 214272);
    assert_int_equal(est.rows[2].total_bytes, 53568);
    assert_int_equal(est.rows[2].training_adam_bytes, 214272);
    assert_int_equal(est.rows[3].total_bytes, 26784);
    assert_int_equal(est.rows[3].largest_layer_bytes, 9280);
    assert_false(est.rows[3].has_training);
    assert_int_equal(est.rows[4].total_bytes, 13392);
    assert_int_equal(est.rows[4].largest_layer_bytes, 4640);
    assert_false(est.rows[4].has_training);
    mm_inventory_free(inv);
}

static void test_default_rows(void **state)
{
    struct mm_inventory *inv = NULL;
    struct mm_estimate est;
    (void)state;
    assert_int_equal(mm_inventory_load(&inv, MM_FIXTURES "/tiny-llama", NULL, NULL), MM_OK);
    assert_int_equal(mm_estimate_run(&est, inv, NULL, NULL), MM_OK);
    assert_int_equal(est.nrows, 4);
    assert_int_equal(est.rows[0].dtype, MM_EST_FLOAT32);
    assert_int_equal(est.rows[1].dtype, MM_EST_FLOAT16);
    assert_int_equal(est.rows[2].dtype, MM_EST_INT8);
    assert_int_equal(est.rows[3].dtype, MM_EST_INT4);
    mm_inventory_free(inv);
}

static void test_int4_rounds_up(void **state)
{
    /* 3 F32 elements: float32 12 bytes, int4 12/8 = 1.5 -> 2 */
    static const char file[] = "\x38\0\0\0\0\0\0\0"
                               "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}} "
                               "\0\0\0\0\0\0\0\0\0\0\0\0";
    struct mm_inventory *inv = NULL;
    struct mm_estimate est;
    struct mm_error err;
    (void)state;
    if (mm_inventory_load_memory(&inv, file, sizeof(file) - 1, "mem", &err) != MM_OK) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(mm_estimate_run(&est, inv, NULL, NULL), MM_OK);
    assert_int_equal(est.rows[3].total_bytes, 2);
    assert_int_equal(est.rows[2].total_bytes, 3);
    mm_inventory_free(inv);
}

static void test_layer_groups(void **state)
{
    (void)state;
    assert_int_equal(mm_layer_group_len("model.layers.12.mlp.up_proj.weight"),
                     strlen("model.layers.12"));
    assert_int_equal(mm_layer_group_len("model.embed_tokens.weight"),
                     strlen("model.embed_tokens"));
    assert_int_equal(mm_layer_group_len("h.3.attn.c_attn.weight"), strlen("h.3"));
    assert_int_equal(mm_layer_group_len("wpe"), strlen("wpe"));
    assert_int_equal(mm_layer_group_len("lm_head.weight"), strlen("lm_head"));
}

/* Tensors of one layer in a row are summed without finding each one's
 * group again: that shortcut must give the groups mm_layer_group_len
 * gives ("m.y1" has no all-digit segment, "m.y1.5" ends in one). */
static void test_group_runs(void **state)
{
    static const char header[] =
        "{\"m.y1.z\":{\"dtype\":\"U8\",\"shape\":[100],\"data_offsets\":[0,100]},"
        "\"m.y1.5.w\":{\"dtype\":\"U8\",\"shape\":[60],\"data_offsets\":[100,160]},"
        "\"m.y1.5.v\":{\"dtype\":\"U8\",\"shape\":[60],\"data_offsets\":[160,220]},"
        "\"m.y1.55.u\":{\"dtype\":\"U8\",\"shape\":[50],\"data_offsets\":[220,270]}}";
    unsigned char file[8 + sizeof(header) - 1 + 270];
    struct mm_inventory *inv = NULL;
    struct mm_estimate est;
    const uint64_t n = sizeof(header) - 1;
    size_t i;
    (void)state;
    for (i = 0; i < 8; i++) {
        file[i] = (unsigned char)(n >> (8 * i));
    }
    memcpy(file + 8, header, n);
    memset(file + 8 + n, 0, 270);
    assert_int_equal(mm_inventory_load_memory(&inv, file, sizeof(file), "g.safetensors", NULL),
                     MM_OK);
    assert_int_equal(mm_estimate_run(&est, inv, NULL, NULL), MM_OK);
    assert_string_equal(est.largest_layer, "m.y1.5");
    assert_int_equal(est.largest_layer_parameters, 120);
    mm_inventory_free(inv);
}

static void test_dtype_names(void **state)
{
    enum mm_est_dtype d;
    (void)state;
    assert_int_equal(mm_est_dtype_parse(&d, "bfloat16", 8), MM_OK);
    assert_int_equal(d, MM_EST_BFLOAT16);
    assert_int_equal(mm_est_dtype_parse(&d, "float64", 7), MM_ERR_INVALID_ARG);
    assert_string_equal(mm_est_dtype_name(MM_EST_INT4), "int4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_llama_rows), cmocka_unit_test(test_default_rows),
        cmocka_unit_test(test_int4_rounds_up),  cmocka_unit_test(test_layer_groups),
        cmocka_unit_test(test_group_runs),      cmocka_unit_test(test_dtype_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
