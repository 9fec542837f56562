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
    bool allow_missing; /* estimate: missing shards are estimated (render_partial.c) */
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
/* A member after the first of a JSON object: `, "key": v`, or
 * `, "key": null` when !has. */
void out_json_member_u64(struct out *o, const char *key, uint64_t v, int has);
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
/* The text as out_text shows it, into out (cut at a whole piece when it
 * does not fit); with keep_utf8 false, every non-ASCII byte is shown as
 * \xHH too (a terminal whose charset is not UTF-8). Returns the columns. */
size_t out_text_escape(char *out, size_t size, const char *s, bool keep_utf8);
/* The bytes of s[0..n) that out_textn shows within `cols` columns (whole
 * pieces: an escape is never split); *used (when not NULL) gets their
 * columns. */
size_t out_text_fit(const char *s, size_t n, size_t cols, size_t *used);
/* out_text within `cols` columns: text wider is cut in the middle, "..."
 * standing for what is left out (paths and values in headers). */
void out_text_cut(struct out *o, const char *s, size_t cols);
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

/* ---- options.c: every option, declared once -------------------------- */

/* The commands an option applies to (bits of cli_option.commands). */
enum {
    CLI_ESTIMATE = 1u << 0,
    CLI_INSPECT = 1u << 1,
    CLI_VERIFY = 1u << 2,
    CLI_SCAN = 1u << 3,
    CLI_SERVE = 1u << 4
};

/* What an option's argument is, for the shell completions. */
enum cli_value_kind {
    CLI_VALUE_NONE, /* a flag: no argument */
    CLI_VALUE_ANY,  /* a number, a size, a list: nothing to offer */
    CLI_VALUE_LIST, /* one of cli_option.values */
    CLI_VALUE_FILE, /* a path */
    CLI_VALUE_GPU   /* a GPU or instance name (mm_gpu_name_at) or a size */
};

/* A value an option of a list takes, as people type it (cli_option.values). */
enum cli_value_use {
    CLI_LISTED = 0, /* completions offer it, a usage error lists it, "did you mean" offers it */
    CLI_ALIAS,      /* another spelling (another tool's name): "did you mean" offers it */
    CLI_HIDDEN      /* taken, never offered */
};
struct cli_value {
    const char *name;
    int code; /* what it means to the option's handler: an enum value, a byte count */
    enum cli_value_use use;
};

/* cli_option.flags */
enum {
    CLI_WEB = 1u << 0,     /* the serve API takes it as a query argument (serve_path.c) */
    CLI_LENIENT = 1u << 1, /* its values match in any case; a usage error suggests the
                              nearest (options.c: those that take other tools' names) */
    CLI_VLLM = 1u << 2,    /* a vLLM setting (cli_runtime_check) */
    CLI_LLAMA = 1u << 3    /* a llama.cpp setting (cli_runtime_check) */
};

struct cli_option;
struct cli_parse;
/* An option's handler: takes the option found (`value` NULL for a flag);
 * 0, EXIT_USAGE (printed) or -1 (--help printed: exit 0). */
typedef int cli_take_fn(struct cli_parse *p, const struct cli_option *opt, const char *value);

struct cli_option {
    const char *name;       /* "--context" */
    const char *short_name; /* "-q"; "" to align under those that have one; NULL */
    const char *arg;        /* "N", as --help shows it; NULL for a flag */
    unsigned commands;      /* CLI_ESTIMATE | ...; 0: before any command (--version) */
    enum cli_value_kind value;
    /* CLI_VALUE_LIST: what it takes, ended by a NULL name: the listed
     * values in the order completions offer them, then the others */
    const struct cli_value *values;
    cli_take_fn *take;   /* its handler; NULL: main.c's own (before any command) */
    /* cli_take_choice: the offset in struct mm_memory_params of the member
     * (an enum) the code of the value chosen goes to */
    size_t member;
    unsigned flags;      /* CLI_WEB, CLI_LENIENT, CLI_VLLM, CLI_LLAMA */
    const char *needs;   /* what a missing value is called; NULL: "a value" */
    const char *choose;  /* the values a usage error lists; NULL: the listed ones */
    unsigned why_for;    /* commands it does not apply to for the reason `why` */
    const char *why;     /* "it is verify's option" */
    const char *help;    /* --help's lines, each ending in a newline */
};

struct cli_command {
    const char *name; /* "inspect" */
    unsigned bit;     /* CLI_INSPECT */
    const char *usage;   /* "inspect TARGET [options]" */
    const char *summary; /* lines, each ending in a newline */
};

extern const struct cli_option cli_options[];
extern const size_t cli_option_count;
/* llama.cpp's cache types, --cache-type-k's and -v's values: --kv-dtype
 * names the block types among them when refusing one. */
extern const struct cli_value cli_cache_types[];
/* --sort's values. */
enum cli_sort { CLI_SORT_NAME = 0, CLI_SORT_SIZE, CLI_SORT_PARAMS };
extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;
/* The command named, or NULL. */
const struct cli_command *cli_command_find(const char *name);

/* ---- parse.c: the arguments of a command, as the table declares them --- */

/* serve's own options, as typed (cmd_serve.c). */
struct cli_serve_options {
    const char *listen;     /* --listen ADDR:PORT */
    const char *token_file; /* --token FILE */
};

/*
 * One pass over a command's arguments, in order: an option is looked up in
 * cli_options ("--name", "--name=VALUE", "--name VALUE", or its short
 * name), refused when not known (with "did you mean") or when it does not
 * apply to the command, and handed with its value to its handler; the
 * other arguments go to `positional`. The state is all here (no getopt
 * globals: the server parses on its request threads).
 */
struct cli_parse {
    const struct cli_command *cmd;
    int argc;
    char **argv;
    int i;                           /* the argument taken; a handler may move it on */
    struct cli_common *common;       /* -q, -v, --json, --threads... (may be NULL: serve) */
    struct cli_memory *memory;       /* estimate's and scan's memory options, or NULL */
    struct mm_estimate_params *est;  /* --dtypes, or NULL */
    struct cli_serve_options *serve; /* serve's --listen, --token, or NULL */
    void *own;                       /* the command's own state, for its own options */
    /* an argument that is not an option: 0 or EXIT_USAGE (printed) */
    int (*positional)(struct cli_parse *p, const char *arg);
};
/* EXIT_OK, -1 after --help (printed) or EXIT_USAGE (printed). */
int cli_parse(struct cli_parse *p);
/* TARGET (estimate, inspect, verify): EXIT_USAGE (printed) on a second one. */
int cli_take_target(struct cli_parse *p, const char *arg);

/* The handlers of the table's options (options.c), by the file that has
 * them. Each takes its own option: what it sets, the values it takes (its
 * row's) and its usage error. */
cli_take_fn cli_take_help, cli_take_listen, cli_take_token;         /* parse.c */
cli_take_fn cli_take_json, cli_take_markdown, cli_take_checksums,   /* util.c */
    cli_take_unsafe_pickle, cli_take_threads, cli_take_quiet, cli_take_verbose;
cli_take_fn cli_take_dtypes, cli_take_base;                         /* cmd_estimate.c */
cli_take_fn cli_take_choice, cli_take_context, cli_take_batch,      /* memory_options.c */
    cli_take_overhead, cli_take_kv_dtype, cli_take_inference, cli_take_checkpointing,
    cli_take_no_checkpointing, cli_take_lora_rank, cli_take_lora_targets,
    cli_take_lora_dropout, cli_take_gpus, cli_take_gpu, cli_take_config;
cli_take_fn cli_take_gpu_util, cli_take_batched_tokens,             /* runtime_options.c */
    cli_take_num_seqs, cli_take_model_len, cli_take_gpu_layers, cli_take_tensor_split,
    cli_take_cache_type_v, cli_take_ubatch;
cli_take_fn cli_take_sort, cli_take_all_revisions;                  /* cmd_scan.c */

/* help.c: `modelmem --help`, and `modelmem COMMAND --help` (the command's
 * usage and only its options). */
void cli_help(FILE *f);
void cli_help_command(FILE *f, const char *command);

/* completions.c: the completion script for the shell whose code the
 * --completions row gives (CLI_SHELL_*), written from the table. */
enum { CLI_SHELL_BASH, CLI_SHELL_ZSH, CLI_SHELL_FISH };
void cli_completions(FILE *f, int shell);

/* ---- names.c: what people type for option values --------------------- */

/* The value of `opt` typed as `v` (any case where the option is
 * CLI_LENIENT: "paged_adamw_8bit" is --optimizer's adamw8bit), or NULL. */
const struct cli_value *cli_value_find(const struct cli_option *opt, const char *v);
/* Edit distance (Levenshtein, a swap of neighbours counting one), ignoring
 * ASCII case; SIZE_MAX past 64 bytes. */
size_t cli_edit_distance(const char *a, const char *b);
/* The nearest of the names offered, when near enough to suggest. */
struct cli_nearest {
    const char *typed;
    const char *best; /* borrowed from the caller; NULL when none is near */
    size_t dist;
};
void cli_nearest_init(struct cli_nearest *n, const char *typed);
void cli_nearest_offer(struct cli_nearest *n, const char *name);
/* "; did you mean 'X'?" or "" */
void cli_nearest_hint(char *buf, size_t size, const struct cli_nearest *n);
/* The hint for a value of `opt` among those it offers (listed, aliases). */
void cli_value_hint(char *buf, size_t size, const struct cli_option *opt, const char *typed);
/* The hint for an unknown option, among those --help lists. */
void cli_option_hint(char *buf, size_t size, const char *typed);
/* A count: digits[.digits] with an optional k/K (x1024) or m/M (x1048576),
 * a whole number from min to max ("8k" 8192, "128k" 131072, "1.5k" 1536);
 * 0 or -1. */
int cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A size: digits[.digits], an optional space and a unit, KiB MiB GiB TiB
 * (K M G T the same), KB MB GB TB (powers of ten), B; no unit is bytes,
 * unless `need_unit`. To the nearest byte. `decimal_unit` (may be NULL)
 * tells a power-of-ten unit. 0 or -1. */
int cli_parse_size(const char *s, bool need_unit, uint64_t *out, bool *decimal_unit);

/* json_error.c: with --json anywhere in argv, failures are also a
 * modelmem.error/1 document on stdout (the first one only). */
void cli_json_errors(int argc, char **argv);
void cli_json_error(const char *code, const char *message, const char *file,
                    const char *tensor, int64_t offset);
/* The stream diagnostics go to: stderr, unless this thread set another
 * (the server collects a request's errors so). */
FILE *cli_err_stream(void);
void cli_err_stream_set(FILE *f);

/* Prints "modelmem: <error line>" to stderr. */
void cli_print_error(const struct mm_error *err);
/* Prints "modelmem: " and the formatted line on stderr, through the
 * escaping writer (file names and config text may hold anything). */
void cli_diag(const char *fmt, ...) MM_PRINTF(1, 2);
/* cli_diag for a failure: also the JSON error document ("input"). */
void cli_error(const char *fmt, ...) MM_PRINTF(1, 2);
/* "modelmem: out of memory" (and its JSON document). */
void cli_nomem(void);
/* Prints a usage error (escaped, as cli_diag) and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) MM_PRINTF(1, 2);

/*
 * Parses the arguments of a subcommand that takes only the common options
 * and TARGET. Returns EXIT_OK to go on, -1 when --help was printed (exit
 * 0), or EXIT_USAGE (already printed).
 */
int cli_parse_plain(struct cli_common *c, int argc, char **argv, const char *cmd);

/* The Hugging Face cache folder, as huggingface_hub chooses it: 0, or -1
 * when no variable names one. */
int cli_hf_cache_dir(char *out, size_t size);

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

/* An option that sizes the figures as typed: its name and value, NULL
 * when not given (an overflow names it). */
struct cli_typed {
    const char *option;
    const char *value;
};

/* estimate's inference, training and multi-GPU options (memory_options.c). */
struct cli_memory {
    struct mm_memory_params params;
    bool any;                 /* a new option was given */
    bool want_inference;      /* --inference, --context or --kv-dtype given */
    const char *config_path;  /* --config */
    char config_file[4096];   /* the config read, "" for none */
    struct mm_config *cfg;
    const struct mm_gpu *gpu; /* --gpu NAME */
    char gpu_label[64];       /* --gpu SIZE */
    struct cli_typed typed[6]; /* the options that size the figures, in
                                  memory_options.c's order */
    char *targets_buf;
    bool utf8;                /* the locale's charset is UTF-8 */
    bool color;               /* stdout is a terminal and NO_COLOR is unset */
    struct mm_memory result;
    uint64_t logical_by_dtype[MM_DTYPE_COUNT_];
    uint64_t stored_parameters; /* elements as stored, for comparison */
    const char *vllm_option;    /* the last vLLM-only option given, or NULL */
    /* --gpu as typed, resolved (option_values.c) */
    char gpu_title[128];      /* the verdict's heading, "" for the GPU's name */
    const char *instance;     /* a cloud instance named, or NULL */
    unsigned instance_gpus;   /* its GPUs; --gpus unless given */
    const char *llama_option;   /* the last llama.cpp-only option given, or NULL */
    const char *cache_v_typed;  /* --cache-type-v as typed */
    uint32_t split[MM_LIMIT_GPUS]; /* --tensor-split */
};

void cli_memory_init(struct cli_memory *m);
/* p->memory, marked as given `opt` (a memory or runtime option). */
struct cli_memory *cli_memory_given(struct cli_parse *p, const struct cli_option *opt);
void cli_memory_free(struct cli_memory *m);
/* Reads the locale and the terminal for the bars' style. */
void cli_memory_style(struct cli_memory *m);
/* Loads the target's config.json (or --config); EXIT_OK or printed error. */
int cli_memory_config(struct cli_memory *m, const char *target, bool quiet);
/* Computes m->result; EXIT_OK or a printed error. */
int cli_memory_run(struct cli_memory *m, const struct mm_inventory *inv);

/* --runtime, vLLM's and llama.cpp's settings (runtime_options.c; their
 * rows mark them CLI_VLLM, CLI_LLAMA): cli_runtime_check refuses vLLM
 * settings without --runtime vllm and llama.cpp settings that contradict
 * each other. */
int cli_runtime_check(const struct cli_memory *m);
/* After the run: llama.cpp settings refused when the runtime the plan
 * followed (a default resolved) is not llama.cpp. */
int cli_runtime_check_resolved(const struct cli_memory *m);

/* The runtime's figures (render_runtime.c): `"runtime_detail": {...}` and
 * host_bytes after an inference object's members; the fit answers after
 * fits' members; the text lines after each verdict. */
void render_runtime_json_inference(struct out *o, const struct cli_memory *m,
                                   const struct mm_inference *in,
                                   const struct mm_runtime_detail *d);
void render_runtime_json_fits(struct out *o, const struct cli_memory *m);
void render_runtime_text_fits(struct out *o, const struct cli_memory *m, bool markdown);
void render_runtime_text_detail(struct out *o, const struct cli_memory *m, bool markdown,
                                bool per_device);
/* --gpu (option_values.c): a name found, a size (`decimal`: in GB),
 * unknown or ambiguous (a usage error, printed: EXIT_USAGE). */
void cli_gpu_chosen(struct cli_memory *m, const struct mm_gpu_lookup *l);
void cli_gpu_size_title(struct cli_memory *m, const char *typed, uint64_t bytes, bool decimal);
int cli_gpu_unknown(const char *typed, const struct mm_gpu_lookup *l);
/* --kv-dtype's usage error for a value not known. */
int cli_kv_dtype_unknown(const struct cli_option *opt, const char *typed);
/* The code (0 or more) of the value of `opt` (CLI_VALUE_LIST) typed as
 * `v`, or -1 after cli_value_unknown's error. */
int cli_choose(const struct cli_option *opt, const char *v);
/* parse.c: the row of `arg` ("--name", "--name=VALUE", a short name), or
 * NULL; *value gets what follows '=' (NULL when none). A flag given a
 * value ("--json=1") is not known. */
const struct cli_option *cli_option_find(const char *arg, const char **value);
/* "--opt: choose a, b or c, not 'v'" (and the nearest value where the
 * option is CLI_LENIENT); EXIT_USAGE. */
int cli_value_unknown(const struct cli_option *opt, const char *v);
/* The listed values of `opt`, "a, b, c" (`last` ", ") or "a, b or c". */
void cli_value_list(char *buf, size_t size, const struct cli_option *opt, const char *last);

/* Quantization (render_quant.c): --load-in's members of runtime_detail
 * and its text line; fits.quantizations and the "would fit" line. */
void render_load_in_json(struct out *o, const struct mm_runtime_detail *d);
void render_load_in_text(struct out *o, const struct mm_runtime_detail *d, bool markdown);
void render_quant_json_fits(struct out *o, const struct cli_memory *m);
void render_quant_text_fits(struct out *o, const struct cli_memory *m, bool markdown);

void render_memory_text(struct out *o, const struct cli_memory *m, bool markdown);
/* The members estimate --json adds (each line starts with ",\n"). */
void render_memory_json(struct out *o, const struct cli_memory *m);

/* fold.c: writes `text` (what a renderer wrote: escaped, ending in a
 * newline) with every line within `width` columns. */
void cli_fold(struct out *o, const char *text, size_t n, size_t width);
/* The columns text output keeps within. */
#define CLI_TEXT_COLUMNS 80

/* progress.c: verify --checksums' progress line on a terminal. */
struct cli_progress {
    bool on;
    int pct;
    const char *file;
    size_t cols; /* of the line shown, 0 for none */
};
void cli_progress_init(struct cli_progress *p, bool quiet);
/* mm_verify_options.progress, with ctx a struct cli_progress. */
void cli_progress_update(void *ctx, const char *file, uint64_t done, uint64_t total);
void cli_progress_end(struct cli_progress *p);
/* An estimate with shards missing (render_partial.c): how many files are
 * missing, the text line and the JSON members ("partial", "missing",
 * "estimated_parameters"); nothing when none is. */
size_t cli_missing_count(const struct mm_inventory *inv);
void render_partial_text(struct out *o, const struct mm_inventory *inv, bool markdown);
void render_partial_json(struct out *o, const struct mm_inventory *inv);

/* estimate on a PEFT adapter folder (base_model.c). */
struct cli_adapter {
    const char *base_opt;     /* --base */
    bool is_adapter;
    struct mm_adapter info;
    bool found;               /* the base model was found: loaded with the adapter */
    char base_path[4096];
    uint64_t adapter_parameters;
};
/* Loads the resolved target `path` for estimate: an adapter with its base
 * model when found, else as cli_load does. EXIT_OK or a printed error. */
int cli_load_estimate(struct mm_inventory **out, struct cli_adapter *ad,
                      const struct cli_common *c, const char *path);
void render_adapter_text(struct out *o, const struct cli_adapter *ad, bool markdown);
/* The "adapter" member (starting with ",\n"); nothing when not an adapter. */
void render_adapter_json(struct out *o, const struct cli_adapter *ad);
/* render_estimate_json without the closing brace, for members after it. */
void render_estimate_json_members(struct out *o, const struct mm_estimate *e,
                                  const struct mm_inventory *inv, const char *target,
                                  const struct cli_memory *mem);

int cli_inspect(int argc, char **argv);
int cli_estimate(int argc, char **argv);
/* The same, the document written to `f` (the server's response). */
int cli_inspect_to(FILE *f, int argc, char **argv);
int cli_estimate_to(FILE *f, int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_scan(int argc, char **argv);

#endif
