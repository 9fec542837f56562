/* cli.h - what the command-line front end's files share. The front end
 * uses only the public API (modelmem.h). */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/checked.h"
#include "modelmem.h"

/* Exit statuses (modelmem(1), EXIT STATUS). */
enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

/* Options every subcommand takes. */
struct cli_common {
    const char *target;
    bool json;
    bool markdown;
    bool quiet;
    bool verbose;
    bool checksums;
    bool allow_unsafe_pickle;
    unsigned threads;
};

/* A buffered writer: fast integer and JSON-string output. */
struct out {
    FILE *f;
    size_t n;
    char buf[1 << 16];
};

void out_init(struct out *o, FILE *f);
void out_flush(struct out *o);
void out_bytes(struct out *o, const char *s, size_t n);
void out_str(struct out *o, const char *s);
void out_u64(struct out *o, uint64_t v);
void out_i64(struct out *o, int64_t v);
/* A JSON string literal, quotes included. */
void out_json_str(struct out *o, const char *s);
void out_json_strn(struct out *o, const char *s, size_t n);
/*
 * Text that came from a file or the file system (tensor names, metadata,
 * paths, messages that quote them), as a terminal may safely show it:
 * printable ASCII and well-formed UTF-8 as they are; C0 controls (newline
 * and carriage return included), DEL and bytes that are not well-formed
 * UTF-8 as \xHH; C1 controls as \u0080..\u009f. Nothing of it can move
 * the cursor, end the line or start a terminal escape sequence. Every
 * such piece of text reaches stdout or stderr through these (JSON output
 * escapes as JSON does: out_json_str).
 */
void out_text(struct out *o, const char *s);
void out_textn(struct out *o, const char *s, size_t n);
/* The columns out_text takes for s (one per code point, as written). */
size_t out_text_width(const char *s);
/* printf-style, for the rare formatted piece (never text from a file). */
void out_fmt(struct out *o, const char *fmt, ...) MM_PRINTF(2, 3);

/* {"BF16": 7168, ...}: the nonzero counts of a per-dtype array. */
void out_json_by_dtype(struct out *o, const uint64_t *counts);

/* "1,234,567" */
void fmt_thousands(char *buf, size_t size, uint64_t v);
/* "512 bytes", "1.50 KiB", "12.55 GiB" */
void fmt_size(char *buf, size_t size, uint64_t bytes);

/* A decimal number from min to max, nothing after it; 0 or -1. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Prints "modelmem: <error line>" to stderr. */
void cli_print_error(const struct mm_error *err);
/* Prints "modelmem: " and the formatted line on stderr, through the
 * escaping writer (file names and config text may hold anything). */
void cli_diag(const char *fmt, ...) MM_PRINTF(1, 2);
/* Prints a usage error (escaped, as cli_diag) and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) MM_PRINTF(1, 2);

/*
 * Parses one common option at argv[*i]; returns 1 when consumed (advancing
 * *i past any value), 0 when not a common option, -1 on a usage error
 * (already printed).
 */
int cli_common_option(struct cli_common *c, int argc, char **argv, int *i);
/*
 * Parses the arguments of a subcommand that takes only the common options
 * and TARGET. Returns EXIT_OK to go on, -1 when --help was printed (exit
 * 0), or EXIT_USAGE (already printed).
 */
int cli_parse_plain(struct cli_common *c, int argc, char **argv, const char *cmd);
/* Takes a positional argument as TARGET; -1 (printed) on a second one. */
int cli_positional(struct cli_common *c, const char *arg);

/* TARGET as a path, or a repository id in the local Hugging Face cache
 * resolved to its snapshot folder; -1 with err filled on failure. */
int cli_resolve_target(char *out, size_t size, const struct cli_common *c,
                       struct mm_error *err);
/* Prints an inventory's warnings on stderr, one line each. */
void cli_print_warnings(const struct mm_inventory *inv, const struct cli_common *c);
/* Loads the target, printing the error on failure and warnings. */
int cli_load(struct mm_inventory **out, const struct cli_common *c);

void render_inspect_text(struct out *o, const struct mm_inventory *inv, const char *target);
void render_inspect_json(struct out *o, const struct mm_inventory *inv);
void render_estimate_text(struct out *o, const struct mm_estimate *e,
                          const struct mm_inventory *inv, const char *target, bool markdown);

struct cli_memory;
/* `mem` (may be NULL) adds the members of render_memory_json. */
void render_estimate_json(struct out *o, const struct mm_estimate *e,
                          const struct mm_inventory *inv, const char *target,
                          const struct cli_memory *mem);

/* estimate's inference, training and multi-GPU options (memory_options.c). */
struct cli_memory {
    struct mm_memory_params params;
    bool any;                 /* a new option was given */
    const char *config_path;  /* --config */
    char config_file[4096];   /* the config read, "" for none */
    struct mm_config *cfg;
    const struct mm_gpu *gpu; /* --gpu NAME */
    char gpu_label[64];       /* --gpu SIZE */
    const char *typed[6];     /* values as typed of the options that size the figures, in
                                 memory_options.c's order; NULL when not given */
    char *targets_buf;
    bool utf8;                /* the locale's charset is UTF-8 */
    bool color;               /* stdout is a terminal and NO_COLOR is unset */
    struct mm_memory result;
    uint64_t logical_by_dtype[MM_DTYPE_COUNT_];
    uint64_t stored_parameters; /* elements as stored, for comparison */
    const char *vllm_option;    /* the last vLLM-only option given, or NULL */
};

void cli_memory_init(struct cli_memory *m);
void cli_memory_free(struct cli_memory *m);
/* As cli_common_option, for the options of cli_memory. */
int cli_memory_option(struct cli_memory *m, int argc, char **argv, int *i);
/* Reads the locale and the terminal for the bars' style. */
void cli_memory_style(struct cli_memory *m);
/* Loads the target's config.json (or --config); EXIT_OK or printed error. */
int cli_memory_config(struct cli_memory *m, const char *target, bool quiet);
/* Computes m->result; EXIT_OK or a printed error. */
int cli_memory_run(struct cli_memory *m, const struct mm_inventory *inv);

/* --runtime and vLLM's settings (runtime_options.c): as cli_memory_option;
 * cli_runtime_check refuses vLLM settings without --runtime vllm. */
int cli_runtime_option(struct cli_memory *m, int argc, char **argv, int *i);
int cli_runtime_check(const struct cli_memory *m);

/* The runtime's figures (render_runtime.c): `"runtime_detail": {...}` and
 * host_bytes after an inference object's members; the fit answers after
 * fits' members; the text lines after each verdict. */
void render_runtime_json_inference(struct out *o, const struct cli_memory *m,
                                   const struct mm_inference *in,
                                   const struct mm_runtime_detail *d);
void render_runtime_json_fits(struct out *o, const struct cli_memory *m);
void render_runtime_text_fits(struct out *o, const struct cli_memory *m, bool markdown);
void render_runtime_text_training(struct out *o, const struct cli_memory *m, bool markdown);
void render_runtime_text_detail(struct out *o, const struct cli_memory *m, bool markdown,
                                bool per_device);

/* Quantization (render_quant.c): --load-in's members of runtime_detail
 * and its text line; fits.quantizations and the "would fit" line. */
void render_load_in_json(struct out *o, const struct mm_runtime_detail *d);
void render_load_in_text(struct out *o, const struct mm_runtime_detail *d, bool markdown);
void render_quant_json_fits(struct out *o, const struct cli_memory *m);
void render_quant_text_fits(struct out *o, const struct cli_memory *m, bool markdown);

void render_memory_text(struct out *o, const struct cli_memory *m, bool markdown);
/* The members estimate --json adds (each line starts with ",\n"). */
void render_memory_json(struct out *o, const struct cli_memory *m);

int cli_inspect(int argc, char **argv);
int cli_estimate(int argc, char **argv);
int cli_verify(int argc, char **argv);
void cli_help(FILE *f);

#endif
