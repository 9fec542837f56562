/* base_model.c - estimate on a PEFT adapter folder: the base model it
 * names (base_model_name_or_path, looked up in the local Hugging Face
 * cache; a path only through --base) is loaded with it, so that the
 * figures cover base plus adapter; without the base, the adapter alone,
 * saying so. */
#include <string.h>

#include "cli/cli.h"

/* The base model's path: --base (any TARGET), else the id the adapter
 * names when it is ORG/NAME in the cache. Never a path read from
 * adapter_config.json: a downloaded adapter must not make modelmem read
 * files outside the cache. -1 (printed) only for a --base that fails. */
static int find_base(struct cli_adapter *ad, const struct cli_common *c)
{
    struct cli_common bc = *c;
    struct mm_error err;
    bc.verbose = c->verbose;
    if (ad->base_opt != NULL) {
        bc.target = ad->base_opt;
        if (cli_resolve_target(ad->base_path, sizeof(ad->base_path), &bc, &err) != 0) {
            cli_print_error(&err);
            return -1;
        }
        ad->found = true;
        return 0;
    }
    if (ad->info.base_model[0] == '\0' || !mm_hf_repo_id_syntax(ad->info.base_model) ||
        strchr(ad->info.base_model, '@') != NULL) {
        return 0;
    }
    bc.target = ad->info.base_model;
    ad->found = cli_resolve_target(ad->base_path, sizeof(ad->base_path), &bc, &err) == 0 &&
                strcmp(ad->base_path, ad->info.base_model) != 0;
    return 0;
}

int cli_load_estimate(struct mm_inventory **out, struct cli_adapter *ad,
                      const struct cli_common *c, const char *path)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *alone = NULL;
    struct mm_error err;
    enum mm_status st = mm_adapter_probe(&ad->info, path, &err);
    ad->is_adapter = st == MM_OK;
    if (st == MM_ERR_NOT_FOUND) {
        if (ad->base_opt != NULL) {
            return cli_usage_error("--base: %s is not a PEFT adapter folder "
                                   "(adapter_config.json and adapter_model.safetensors)",
                                   c->target);
        }
        return cli_load(out, c);
    }
    if (st != MM_OK) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    if (find_base(ad, c) != 0) {
        return EXIT_INPUT;
    }
    if (!ad->found) {
        return cli_load(out, c);
    }
    opts.threads = c->threads;
    opts.allow_unsafe_pickle = c->allow_unsafe_pickle;
    opts.allow_missing_shards = c->allow_missing;
    /* the adapter alone first: its own count, and its own errors */
    st = mm_inventory_load(&alone, path, &opts, &err);
    if (st == MM_OK) {
        ad->adapter_parameters = mm_inventory_totals(alone)->parameters;
        mm_inventory_free(alone);
        st = mm_inventory_load_with_base(out, path, ad->base_path, &opts, &err);
    }
    if (st != MM_OK) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    cli_print_warnings(*out, c);
    return EXIT_OK;
}

void render_adapter_text(struct out *o, const struct cli_adapter *ad, bool markdown)
{
    char num[32];
    if (!ad->is_adapter) {
        return;
    }
    out_str(o, markdown ? "- Adapter: " : "Adapter: ");
    out_text(o, ad->info.peft_type[0] != '\0' ? ad->info.peft_type : "PEFT");
    if (ad->info.rank > 0) {
        out_fmt(o, " r=%llu", (unsigned long long)ad->info.rank);
    }
    out_str(o, ", base model ");
    out_text(o, ad->info.base_model[0] != '\0' ? ad->info.base_model : "(not named)");
    if (ad->found) {
        fmt_thousands(num, sizeof(num), ad->adapter_parameters);
        out_str(o, " (");
        out_text(o, ad->base_path);
        out_fmt(o, "): figures cover base plus adapter (%s adapter parameters)\n", num);
    } else {
        out_str(o, " not found in the Hugging Face cache: figures are the adapter's alone "
                   "(give --base PATH)\n");
    }
}

void render_adapter_json(struct out *o, const struct cli_adapter *ad)
{
    if (!ad->is_adapter) {
        return;
    }
    out_str(o, ",\n  \"adapter\": {\"base_model\": ");
    if (ad->info.base_model[0] != '\0') {
        out_json_str(o, ad->info.base_model);
    } else {
        out_str(o, "null");
    }
    out_str(o, ", \"found\": ");
    out_str(o, ad->found ? "true" : "false");
    out_str(o, ", \"base_path\": ");
    if (ad->found) {
        out_json_str(o, ad->base_path);
    } else {
        out_str(o, "null");
    }
    out_str(o, ", \"peft_type\": ");
    if (ad->info.peft_type[0] != '\0') {
        out_json_str(o, ad->info.peft_type);
    } else {
        out_str(o, "null");
    }
    out_str(o, ", \"rank\": ");
    if (ad->info.rank > 0) {
        out_u64(o, ad->info.rank);
    } else {
        out_str(o, "null");
    }
    out_str(o, ", \"adapter_parameters\": ");
    if (ad->found) {
        out_u64(o, ad->adapter_parameters);
    } else {
        out_str(o, "null");
    }
    out_str(o, "}");
}
