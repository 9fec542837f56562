/*
 * estimate.c - the library example from the README: load a model's
 * inventory, list its files, and print accelerate's float16 figures.
 *
 *   cc estimate.c $(pkg-config --cflags --libs modelmem) -o estimate
 *   ./estimate path/to/model
 */
#include <inttypes.h>
#include <stdio.h>

#include <modelmem.h>

int main(int argc, char **argv)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_estimate_params params = MM_ESTIMATE_PARAMS_INIT;
    static struct mm_estimate est; /* about 4 KiB: keep it off the stack */
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    char line[2048];
    size_t i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s TARGET\n", argv[0]);
        return 2;
    }
    opts.threads = 2; /* files read in parallel; 0 = one per CPU */
    if (mm_inventory_load(&inv, argv[1], &opts, &err) != MM_OK) {
        mm_error_format(line, sizeof(line), &err);
        fprintf(stderr, "estimate: %s [%s]\n", line, mm_errcode_name(err.code));
        return 1;
    }
    for (i = 0; i < mm_inventory_file_count(inv); i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        printf("%s: %s, %" PRIu64 " bytes\n", f->path, f->format, f->bytes);
    }

    params.ndtypes = 1;
    params.dtypes[0] = MM_EST_FLOAT16;
    if (mm_estimate_run(&est, inv, &params, &err) != MM_OK) {
        mm_error_format(line, sizeof(line), &err);
        fprintf(stderr, "estimate: %s\n", line);
        mm_inventory_free(inv);
        return 1;
    }
    printf("%" PRIu64 " parameters in %zu tensors\n", est.parameters,
           mm_inventory_tensor_count(inv));
    printf("largest layer %s: %" PRIu64 " parameters\n", est.largest_layer,
           est.largest_layer_parameters);
    printf("%s: total %" PRIu64 " bytes, largest layer %" PRIu64
           " bytes, training with Adam %" PRIu64 " bytes\n",
           mm_est_dtype_name(est.rows[0].dtype), est.rows[0].total_bytes,
           est.rows[0].largest_layer_bytes, est.rows[0].training_adam_bytes);
    mm_inventory_free(inv); /* every getter's pointer dies with it */
    return 0;
}
