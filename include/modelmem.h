/*
 * modelmem.h - the whole public API of libmodelmem.
 *
 * modelmem reads the headers of local model weight files (safetensors,
 * sharded safetensors with an index, and further formats as readers are
 * added), builds an exact tensor inventory and turns it into memory
 * estimates. Nothing is downloaded, nothing is executed, no tensor data is
 * read and no input file is ever modified.
 *
 * Contract for every function here:
 *  - Handles (struct mm_inventory) are opaque, returned through `out`, and
 *    released with their _free function, which accepts NULL.
 *  - Getters return borrowed const pointers that stay valid until the
 *    handle they came from is freed.
 *  - Fallible functions return enum mm_status (MM_OK == 0, failures < 0) and
 *    fill the caller's struct mm_error, when one is given, with the failure
 *    kind, the file, the tensor and the byte offset where they apply.
 *  - The library never prints, never exits, never reads environment
 *    variables and keeps no global mutable state; it is safe to use from
 *    several threads on different handles.
 */
#ifndef MODELMEM_H
#define MODELMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MM_VERSION_MAJOR 0
#define MM_VERSION_MINOR 1
#define MM_VERSION_PATCH 0
#define MM_VERSION_STRING "0.1.0"

/* ---- Limits (each one documented in modelmem(1), LIMITS) ---------------- */

/* safetensors header bytes, as in the reference implementation */
#define MM_LIMIT_HEADER_BYTES 100000000u
/* tensors in one inventory */
#define MM_LIMIT_TENSORS 10000000u
/* files (shards) in one model */
#define MM_LIMIT_FILES 100000u
/* dimensions of one tensor */
#define MM_LIMIT_RANK 16u
/* largest single dimension: 2^53, the largest integer JSON keeps exactly */
#define MM_LIMIT_DIM 9007199254740992ull
/* bytes of one tensor name */
#define MM_LIMIT_NAME 4096u
/* GGUF: metadata entries, bytes of a metadata key, bytes of a tensor name */
#define MM_LIMIT_GGUF_KV 1000000u
#define MM_LIMIT_GGUF_KEY 65535u
#define MM_LIMIT_GGUF_NAME 64u
/* GGUF: bytes of one metadata string, elements of one metadata array */
#define MM_LIMIT_GGUF_STRING 100000000u
#define MM_LIMIT_GGUF_ARRAY 16777216u
/* nesting depth of any JSON document read */
#define MM_LIMIT_JSON_DEPTH 64u
/* bytes of an index or config JSON file */
#define MM_LIMIT_INDEX_BYTES 200000000u
/* PyTorch checkpoints: members of one zip archive */
#define MM_LIMIT_ZIP_ENTRIES 1000000u
/* bytes of one pickle (a zip's data.pkl, a legacy file's object pickle) */
#define MM_LIMIT_PICKLE_BYTES 268435456u
/* pickle opcodes executed for one pickle */
#define MM_LIMIT_PICKLE_OPS 50000000u
/* items on the pickle stack, marks included */
#define MM_LIMIT_PICKLE_STACK 1000000u
/* largest pickle memo index */
#define MM_LIMIT_PICKLE_MEMO 16777216u
/* bytes of one pickled string, bytes object or integer */
#define MM_LIMIT_PICKLE_STRING 16777216u
/* nesting of containers walked when naming a checkpoint's tensors */
#define MM_LIMIT_PICKLE_DEPTH 256u

/* ---- Status and errors --------------------------------------------------- */

/* Failure kinds. MM_OK is the only success value. */
enum mm_status {
    MM_OK = 0,
    MM_ERR_MALFORMED = -1,   /* the input breaks its format's rules */
    MM_ERR_UNSUPPORTED = -2, /* a valid feature or version we do not read */
    MM_ERR_LIMIT = -3,       /* a documented limit was exceeded */
    MM_ERR_IO = -4,          /* the system refused to open or read a file */
    MM_ERR_NOMEM = -5,       /* an allocation failed */
    MM_ERR_NOT_FOUND = -6,   /* a target, shard or file is not there */
    MM_ERR_INVALID_ARG = -7, /* the caller passed something unusable */
    MM_ERR_UNSAFE = -8       /* the input asks for something we refuse */
};

/*
 * The precise defect. Each has a stable kebab-case name (mm_errcode_name),
 * used as the `code` of verify problems and listed in modelmem(1).
 */
enum mm_errcode {
    MM_E_NONE = 0,
    MM_E_IO,
    MM_E_NOMEM,
    MM_E_INVALID_ARG,
    MM_E_NOT_FOUND,
    MM_E_NOT_REGULAR,
    MM_E_UNKNOWN_FORMAT,
    MM_E_NO_WEIGHTS,
    MM_E_AMBIGUOUS_TARGET,
    MM_E_HEADER_TOO_SMALL,
    MM_E_HEADER_LENGTH,
    MM_E_HEADER_TOO_LARGE,
    MM_E_HEADER_UTF8,
    MM_E_JSON_SYNTAX,
    MM_E_JSON_NOT_OBJECT,
    MM_E_JSON_DEPTH,
    MM_E_DUPLICATE_KEY,
    MM_E_DUPLICATE_TENSOR,
    MM_E_METADATA_TYPE,
    MM_E_TENSOR_INFO,
    MM_E_DTYPE_UNKNOWN,
    MM_E_DIM_INVALID,
    MM_E_SHAPE_OVERFLOW,
    MM_E_OFFSETS_INVALID,
    MM_E_OFFSET_REVERSED,
    MM_E_SIZE_MISMATCH,
    MM_E_MISALIGNED,
    MM_E_OFFSET_OVERLAP,
    MM_E_OFFSET_GAP,
    MM_E_DATA_BEYOND_FILE,
    MM_E_TRAILING_BYTES,
    MM_E_LIMIT_TENSORS,
    MM_E_LIMIT_FILES,
    MM_E_LIMIT_RANK,
    MM_E_LIMIT_NAME,
    MM_E_INDEX_INVALID,
    MM_E_SHARD_NAME_UNSAFE,
    MM_E_SHARD_MISSING,
    MM_E_INDEX_UNLISTED_TENSOR,
    MM_E_INDEX_WRONG_SHARD,
    MM_E_INDEX_MISSING_TENSOR,
    MM_E_INDEX_TOTAL_SIZE,
    MM_E_LIMIT_PROBLEMS,
    MM_E_TRUNCATED,
    MM_E_BAD_VERSION,
    MM_E_GGUF_VALUE_TYPE,
    MM_E_GGUF_ALIGNMENT,
    MM_E_LIMIT_METADATA,
    MM_E_CHECKSUM,
    MM_E_LIMIT_INDEX_BYTES,
    MM_E_LIMIT_DIM,
    MM_E_LIMIT_GGUF_KEY,
    MM_E_LIMIT_GGUF_NAME,
    MM_E_LIMIT_GGUF_STRING,
    MM_E_LIMIT_GGUF_ARRAY,
    MM_E_SHARD_OUTSIDE_FOLDER,
    /* PyTorch checkpoints: zip archives, pickles, torch semantics */
    MM_E_ZIP_INVALID,
    MM_E_ZIP_UNSUPPORTED,
    MM_E_ZIP_CRC,
    MM_E_ZIP_MEMBER_BEYOND,
    MM_E_ZIP_MEMBER_MISSING,
    MM_E_LIMIT_ZIP_ENTRIES,
    MM_E_PICKLE_INVALID,
    MM_E_PICKLE_OPCODE,
    MM_E_LIMIT_PICKLE_BYTES,
    MM_E_LIMIT_PICKLE_OPS,
    MM_E_LIMIT_PICKLE_STACK,
    MM_E_LIMIT_PICKLE_MEMO,
    MM_E_LIMIT_PICKLE_STRING,
    MM_E_LIMIT_PICKLE_DEPTH,
    MM_E_UNSAFE_GLOBAL,
    MM_E_UNKNOWN_GLOBAL,
    MM_E_TORCH_INVALID,
    MM_E_TORCH_UNSUPPORTED,
    MM_E_STORAGE_MISSING,
    MM_E_TENSOR_BEYOND_STORAGE,
    MM_E_CONFIG_INVALID,  /* config.json: a value of the wrong type or range */
    MM_E_GEOMETRY_UNKNOWN, /* no layers/heads from config.json or tensor names */
    MM_E_LIMIT_CONFIG_BYTES, /* config.json over MM_LIMIT_CONFIG_BYTES */
    /* PyTorch, where torch.load refuses or never reaches the bytes */
    MM_E_PICKLE_FRAME,         /* a FRAME whose length is not where its opcodes end */
    MM_E_PICKLE_UTF8,          /* a unicode opcode's bytes are not UTF-8 */
    MM_E_PICKLE_BUFFER,        /* NEXT_BUFFER: out-of-band data torch.load never gives */
    MM_E_PICKLE_TRAILING,      /* bytes after the STOP of a one-pickle member or file */
    MM_E_ZIP_FOLDERS,          /* zip members under more than one top-level folder */
    MM_E_LIMIT_SCAN_MODELS, /* scan: more than MM_LIMIT_SCAN_MODELS models */
    /* Downloads */
    MM_E_DOWNLOAD_INCOMPLETE,  /* a download huggingface_hub left unfinished (.incomplete) */
    MM_E_LIMIT_SCAN_REFS, /* scan: more than MM_LIMIT_SCAN_REFS refs in one repository */
    MM_E_COUNT_ /* number of codes; not a code */
};

#define MM_ERROR_FILE_MAX 1024
#define MM_ERROR_TENSOR_MAX 256
#define MM_ERROR_MESSAGE_MAX 256

/* Where and why an operation failed. `offset` is -1 where no byte applies,
 * `file` and `tensor` are empty strings where they do not apply. */
struct mm_error {
    enum mm_status status;
    enum mm_errcode code;
    int64_t offset;
    char file[MM_ERROR_FILE_MAX];
    char tensor[MM_ERROR_TENSOR_MAX];
    char message[MM_ERROR_MESSAGE_MAX];
};

/* Static English name of a status ("malformed input", ...). */
const char *mm_status_str(enum mm_status status);
/* Stable kebab-case identifier of a code ("offset-overlap", ...). */
const char *mm_errcode_name(enum mm_errcode code);
/* Clears an error to "no error". */
void mm_error_clear(struct mm_error *err);
/*
 * Writes the one-line description of `err` into `buf` (always terminated):
 * "FILE: message (tensor NAME, byte OFFSET)", leaving out what does not
 * apply. Returns the length it would have had, as snprintf does.
 */
int mm_error_format(char *out, size_t size, const struct mm_error *err);

/* ---- Element types ------------------------------------------------------- */

/* Every element type an inventory can hold; names follow safetensors. */
enum mm_dtype {
    MM_DTYPE_UNKNOWN = 0,
    MM_DTYPE_BOOL,
    MM_DTYPE_U8,
    MM_DTYPE_I8,
    MM_DTYPE_F8_E5M2,
    MM_DTYPE_F8_E4M3,
    MM_DTYPE_F8_E8M0,
    MM_DTYPE_F8_E4M3FNUZ,
    MM_DTYPE_F8_E5M2FNUZ,
    MM_DTYPE_I16,
    MM_DTYPE_U16,
    MM_DTYPE_F16,
    MM_DTYPE_BF16,
    MM_DTYPE_I32,
    MM_DTYPE_U32,
    MM_DTYPE_F32,
    MM_DTYPE_F64,
    MM_DTYPE_I64,
    MM_DTYPE_U64,
    MM_DTYPE_C64,
    MM_DTYPE_F4,
    MM_DTYPE_F6_E2M3,
    MM_DTYPE_F6_E3M2,
    /* ggml's block-quantized types (GGUF), named as ggml names them; each
     * block of mm_dtype_block() elements takes a fixed number of bytes. */
    MM_DTYPE_Q4_0,
    MM_DTYPE_Q4_1,
    MM_DTYPE_Q5_0,
    MM_DTYPE_Q5_1,
    MM_DTYPE_Q8_0,
    MM_DTYPE_Q8_1,
    MM_DTYPE_Q2_K,
    MM_DTYPE_Q3_K,
    MM_DTYPE_Q4_K,
    MM_DTYPE_Q5_K,
    MM_DTYPE_Q6_K,
    MM_DTYPE_Q8_K,
    MM_DTYPE_IQ2_XXS,
    MM_DTYPE_IQ2_XS,
    MM_DTYPE_IQ3_XXS,
    MM_DTYPE_IQ1_S,
    MM_DTYPE_IQ4_NL,
    MM_DTYPE_IQ3_S,
    MM_DTYPE_IQ2_S,
    MM_DTYPE_IQ4_XS,
    MM_DTYPE_IQ1_M,
    MM_DTYPE_TQ1_0,
    MM_DTYPE_TQ2_0,
    MM_DTYPE_MXFP4,
    MM_DTYPE_NVFP4,
    MM_DTYPE_Q1_0,
    MM_DTYPE_Q2_0,
    MM_DTYPE_C128, /* complex128 (PyTorch ComplexDoubleStorage) */
    MM_DTYPE_COUNT_ /* number of dtypes; not a dtype */
};

/* Canonical name ("BF16"), or "UNKNOWN". */
const char *mm_dtype_name(enum mm_dtype dtype);
/* Bits of one element (4 for F4, 6 for F6_*); 0 for MM_DTYPE_UNKNOWN and
 * for block-quantized types, whose size is per block (mm_dtype_block). */
unsigned mm_dtype_bits(enum mm_dtype dtype);
/* Elements per block and bytes per block: 1 and bits/8 for plain types
 * (0 and 0 for the sub-byte F4/F6, sized by bits), e.g. 256 and 144 for
 * Q4_K. Returns 0 for MM_DTYPE_UNKNOWN. */
int mm_dtype_block(enum mm_dtype dtype, unsigned *elements, unsigned *bytes);
/* The dtype a safetensors name denotes, or MM_DTYPE_UNKNOWN. `len` bytes. */
enum mm_dtype mm_dtype_from_name(const char *name, size_t len);

/* ---- The tensor inventory ------------------------------------------------ */

struct mm_inventory;

/* One file the inventory was read from. */
struct mm_file {
    const char *path;   /* relative to the target's folder */
    const char *format; /* "safetensors", ... */
    uint64_t bytes;     /* file size */
    uint64_t header_bytes; /* bytes of header read (8 + N for safetensors) */
};

/* One tensor. `shape` has `rank` entries in the format's natural order
 * (outermost first for safetensors). */
struct mm_tensor {
    const char *name;
    const uint64_t *shape;
    uint64_t numel;   /* product of shape; 1 for rank 0 */
    uint64_t offset;  /* absolute byte offset of the data within the file */
    uint64_t nbytes;  /* bytes of data */
    uint32_t rank;
    uint32_t file;    /* index into the inventory's files */
    enum mm_dtype dtype;
};

/* One `key: value` pair of file metadata (safetensors __metadata__). */
struct mm_meta {
    const char *key;
    const char *value;
    uint32_t file;
};

struct mm_totals {
    uint64_t tensors;
    uint64_t parameters;  /* elements as stored */
    uint64_t bytes;       /* tensor bytes; shared storage counted once */
    uint64_t parameters_by_dtype[MM_DTYPE_COUNT_];
};

/* Something a reader noticed that does not stop the inventory: a pickle
 * global outside the allow-list (MM_E_UNKNOWN_GLOBAL), or, with
 * allow_unsafe_pickle, a code-executing one (MM_E_UNSAFE_GLOBAL). */
struct mm_warning {
    enum mm_errcode code;
    uint32_t file;   /* index into the inventory's files */
    int64_t offset;  /* byte offset in the file, -1 where none applies */
    const char *message;
};

struct mm_load_options {
    unsigned version;  /* MM_LOAD_OPTIONS_VERSION */
    unsigned threads;  /* files read in parallel; 0 = one per online CPU */
    /* Nonzero: a pickle naming a code-executing global (os.system, ...) is
     * still inventoried, with a warning, instead of refused. Nothing is
     * ever executed either way. (Version 2.) */
    int allow_unsafe_pickle;
    /* Nonzero: a shard an index names that is absent, or cut short (a
     * download that stopped), is left out instead of failing the load. It
     * stays in the files with format "missing" (bytes: what is there), and
     * the index's tensors it should hold are added to it, estimated: the
     * shape and dtype of the same tensor of another layer that is present
     * (model.layers.7.mlp.up_proj.weight from model.layers.0's), else
     * [vocab_size, hidden_size] from config.json for an embedding or LM
     * head, else an equal share of what metadata.total_size leaves, in the
     * dtype that holds most of the present bytes, else [0]. Offsets are 0.
     * An index none of whose shards is there still fails. (Version 3.) */
    int allow_missing_shards;
};
#define MM_LOAD_OPTIONS_VERSION 3
#define MM_LOAD_OPTIONS_INIT {MM_LOAD_OPTIONS_VERSION, 0, 0, 0}

/*
 * Reads TARGET - a weight file, an index file (*.safetensors.index.json) or
 * a model folder - and builds its inventory. Only headers are read, with
 * pread; tensor data is never touched. `opts` may be NULL for defaults;
 * `err` may be NULL. On failure *out is NULL.
 */
enum mm_status mm_inventory_load(struct mm_inventory **out, const char *target,
                                 const struct mm_load_options *opts, struct mm_error *err);

/*
 * Reads one weight file held in memory, detecting its format from its bytes,
 * exactly as a file on disk is read. `name` labels the file in errors.
 */
enum mm_status mm_inventory_load_memory(struct mm_inventory **out, const void *data,
                                        size_t size, const char *name,
                                        struct mm_error *err);

void mm_inventory_free(struct mm_inventory *inv);

size_t mm_inventory_file_count(const struct mm_inventory *inv);
const struct mm_file *mm_inventory_file(const struct mm_inventory *inv, size_t i);
size_t mm_inventory_tensor_count(const struct mm_inventory *inv);
const struct mm_tensor *mm_inventory_tensor(const struct mm_inventory *inv, size_t i);
size_t mm_inventory_meta_count(const struct mm_inventory *inv);
const struct mm_meta *mm_inventory_meta(const struct mm_inventory *inv, size_t i);
const struct mm_totals *mm_inventory_totals(const struct mm_inventory *inv);
size_t mm_inventory_warning_count(const struct mm_inventory *inv);
const struct mm_warning *mm_inventory_warning(const struct mm_inventory *inv, size_t i);

/* ---- Estimates ------------------------------------------------------------ */

/* The dtypes accelerate's table is computed for (modelmem adds bfloat16). */
enum mm_est_dtype {
    MM_EST_FLOAT32 = 0,
    MM_EST_FLOAT16,
    MM_EST_BFLOAT16,
    MM_EST_INT8,
    MM_EST_INT4,
    MM_EST_DTYPE_COUNT_
};

/* "float32", ... */
const char *mm_est_dtype_name(enum mm_est_dtype d);
/* Parses an accelerate dtype name; returns MM_OK or MM_ERR_INVALID_ARG. */
enum mm_status mm_est_dtype_parse(enum mm_est_dtype *out, const char *name, size_t len);

#define MM_ESTIMATE_MAX_ROWS 8

struct mm_estimate_params {
    unsigned version; /* MM_ESTIMATE_PARAMS_VERSION */
    size_t ndtypes;   /* rows wanted, in this order; 0 = accelerate's default */
    enum mm_est_dtype dtypes[MM_ESTIMATE_MAX_ROWS];
};
#define MM_ESTIMATE_PARAMS_VERSION 1
#define MM_ESTIMATE_PARAMS_INIT {MM_ESTIMATE_PARAMS_VERSION, 0, {MM_EST_FLOAT32}}

/* One row of accelerate's table, in exact bytes (see modelmem(1) for the
 * rounding of int4 halves). */
struct mm_estimate_row {
    enum mm_est_dtype dtype;
    uint64_t largest_layer_bytes;
    uint64_t total_bytes;
    uint64_t training_adam_bytes;
    int has_training; /* 0 where accelerate prints N/A (int8, int4) */
};

struct mm_estimate {
    uint64_t parameters;
    uint64_t stored_bytes;
    uint64_t parameters_by_dtype[MM_DTYPE_COUNT_];
    char largest_layer[MM_LIMIT_NAME + 1];
    uint64_t largest_layer_parameters;
    size_t nrows;
    struct mm_estimate_row rows[MM_ESTIMATE_MAX_ROWS];
    /* The weights as stored: a GGUF file's type ("Q4_K_M", from
     * general.file_type; "" when the inventory is not GGUF), and the layer
     * group with the most stored bytes. */
    char stored_type[16];
    char largest_stored_layer[MM_LIMIT_NAME + 1];
    uint64_t largest_stored_layer_bytes;
};

/*
 * accelerate estimate-memory's arithmetic over the real tensors: a pure
 * function of the inventory and the parameters. `params` may be NULL.
 * MM_ERR_LIMIT (MM_E_SHAPE_OVERFLOW) when a figure would pass 2^64 - 1:
 * every figure given is exact, none is clamped.
 */
enum mm_status mm_estimate_run(struct mm_estimate *out, const struct mm_inventory *inv,
                               const struct mm_estimate_params *params,
                               struct mm_error *err);

/* ---- Model configuration (config.json) ----------------------------------- */

/* Bytes of config.json read at most. */
#define MM_LIMIT_CONFIG_BYTES 16777216u

/* Where a model's attention geometry came from. */
enum mm_geometry_source {
    MM_GEOMETRY_NONE = 0, /* unknown: no KV cache or activations can be given */
    MM_GEOMETRY_CONFIG,   /* config.json (or its text_config) */
    MM_GEOMETRY_TENSORS,  /* inferred from tensor names and shapes */
    MM_GEOMETRY_GGUF      /* a GGUF file's metadata (llama.block_count, ...) */
};

/* Number of layers whose kind (full or sliding attention) is recorded. */
#define MM_GEOMETRY_MAX_LAYERS 1024u

/* What the KV cache and activation formulas need. Zero where unknown. */
struct mm_geometry {
    enum mm_geometry_source source;
    uint64_t layers;          /* num_hidden_layers (decoder layers) */
    uint64_t hidden;          /* hidden_size */
    uint64_t heads;           /* num_attention_heads */
    uint64_t kv_heads;        /* num_key_value_heads (GQA), else heads */
    uint64_t head_dim;        /* head_dim, else hidden / heads */
    uint64_t intermediate;    /* intermediate_size (MLP) */
    uint64_t vocab;           /* vocab_size */
    uint64_t sliding_window;  /* tokens a sliding layer keeps; 0 = none */
    uint64_t sliding_layers;  /* how many layers use the window */
    uint64_t kv_lora_rank;    /* DeepSeek MLA: nonzero when MLA */
    uint64_t qk_rope_head_dim;
    int encoder_only;         /* BERT-like: no KV cache */
    uint64_t no_kv_layers;    /* layers without a KV cache (linear attention, SSM) */
    /* Layers that keep a recurrent state per sequence, whatever the context
     * (Gated DeltaNet linear attention, Mamba), and its size in elements per
     * layer and sequence: the convolution window and the recurrent (SSM)
     * state, as vLLM's MambaStateShapeCalculator sizes them. */
    uint64_t state_layers;
    uint64_t conv_state_elems;
    uint64_t recurrent_state_elems;
    unsigned state_elem_bytes; /* 0: the weights' float width (vLLM); 4 for
                                  llama.cpp, which keeps the state in F32 */
    /* The config sizes a recurrent state (linear_* or mamba_* keys) but no
     * rule says which layers hold it: every layer counts as attention. */
    int hybrid_unresolved;
};

struct mm_config;

/*
 * Reads a config.json (transformers' PretrainedConfig) from `path`. A
 * missing file is MM_ERR_NOT_FOUND; malformed JSON is MM_E_JSON_SYNTAX with
 * the byte offset; a known key holding the wrong type is
 * MM_E_CONFIG_INVALID naming the key (in err->tensor).
 */
enum mm_status mm_config_load(struct mm_config **out, const char *path, struct mm_error *err);
/* The same over bytes in memory; `name` labels errors. */
enum mm_status mm_config_parse(struct mm_config **out, const void *data, size_t len,
                               const char *name, struct mm_error *err);
void mm_config_free(struct mm_config *cfg);
/* The geometry the config gives (source MM_GEOMETRY_CONFIG), or a zeroed
 * one with source MM_GEOMETRY_NONE when it has no attention layers. */
const struct mm_geometry *mm_config_geometry(const struct mm_config *cfg);
/* quantization_config.quant_method (lower case), "mlx" for MLX's
 * `quantization`, or NULL when the model is not pre-quantized. */
const char *mm_config_quant_method(const struct mm_config *cfg);
/*
 * The config.json that belongs with TARGET (a weight file, an index file or
 * a model folder): `config.json` in the target's folder. Writes the path
 * and returns 0; -1 when it does not fit in `size`. Only stat()s TARGET.
 */
int mm_config_path(char *out, size_t size, const char *target);

/*
 * Loads the config.json that belongs with TARGET (mm_config_path), which,
 * like every weight file, must lie in the model's folder: a link leading
 * out of it is MM_ERR_UNSAFE (shard-outside-folder). MM_ERR_NOT_FOUND when
 * there is none.
 */
enum mm_status mm_config_load_for(struct mm_config **out, const char *target,
                                  struct mm_error *err);

/* Geometry from a GGUF file's metadata (ARCH.block_count,
 * ARCH.attention.head_count_kv, ...) when the inventory has it (source
 * MM_GEOMETRY_GGUF), else inferred from tensor names and shapes
 * (Llama/GPT-2/BERT-style names; MM_GEOMETRY_TENSORS); source
 * MM_GEOMETRY_NONE when nothing fits. Pure. */
void mm_geometry_from_tensors(struct mm_geometry *out, const struct mm_inventory *inv);

/*
 * Logical parameters, counted as the Hugging Face Hub counts them
 * (@huggingface/hub parseSafetensorsMetadata): packed integer containers
 * multiplied back to the elements they hold, auxiliary quantization tensors
 * (scales, zero points, g_idx, absmax...) and rank-0 tensors skipped, as
 * the quantization config `cfg` (may be NULL) directs. `out_by_dtype`
 * (may be NULL) has MM_DTYPE_COUNT_ entries. Pure; fails with MM_ERR_NOMEM
 * (an MLX model's name table) or MM_ERR_LIMIT when the count would pass
 * 2^64 - 1 (a quantization config with absurdly few bits); the count is
 * exact, never clamped.
 */
enum mm_status mm_logical_parameters(uint64_t *out_total, uint64_t *out_by_dtype,
                                     const struct mm_inventory *inv,
                                     const struct mm_config *cfg);

/* ---- Inference, training and many GPUs ------------------------------------ */

enum mm_train_mode { MM_TRAIN_NONE = 0, MM_TRAIN_FULL, MM_TRAIN_LORA, MM_TRAIN_QLORA };
enum mm_optimizer { MM_OPT_ADAMW = 0, MM_OPT_ADAMW8BIT, MM_OPT_SGD, MM_OPT_ADAFACTOR };
enum mm_precision { MM_PREC_BF16_MIXED = 0, MM_PREC_FP16_MIXED, MM_PREC_FP32 };
/* MM_PAR_NONE: for inference, the runtime's own split (vLLM: tensor
 * parallel; transformers and llama.cpp: layers across devices); for
 * training on several devices with a verdict, DDP where it fits, else the
 * lowest ZeRO stage that does (mm_device.training_parallel says which).
 * MM_PAR_DP asks for a full replica on every device; MM_PAR_LAYERS is
 * device_map="auto"'s layer split; MM_PAR_FSDP is PyTorch FSDP's
 * FULL_SHARD (ZeRO-3's states, its own unit buffers). */
enum mm_parallel {
    MM_PAR_NONE = 0, MM_PAR_TP, MM_PAR_PP, MM_PAR_ZERO1, MM_PAR_ZERO2, MM_PAR_ZERO3,
    MM_PAR_LAYERS, MM_PAR_DP, MM_PAR_FSDP
};
/* Whose allocation the inference plan follows (modelmem(1), RUNTIMES).
 * MM_RUNTIME_DEFAULT: llama.cpp for a GGUF model, else transformers. */
enum mm_runtime {
    MM_RUNTIME_DEFAULT = 0, MM_RUNTIME_TRANSFORMERS, MM_RUNTIME_VLLM, MM_RUNTIME_LLAMACPP
};
/* "transformers", "vllm", "llama.cpp"; NULL for MM_RUNTIME_DEFAULT. */
const char *mm_runtime_name(enum mm_runtime rt);
/* "dp", "tp", "pp", "zero1", "zero2", "zero3", "layers"; NULL for MM_PAR_NONE. */
const char *mm_parallel_name(enum mm_parallel par);
/* Fused attention (flash, memory-efficient SDPA: transformers' default)
 * keeps no s x s matrix; eager attention keeps scores and probabilities.
 * MM_ATTN_AUTO: what transformers uses for the architecture by default,
 * eager for those it implements without an SDPA path (model_type deberta,
 * deberta-v2, t5, mt5, longt5, xlnet), fused otherwise. */
enum mm_attention { MM_ATTN_SDPA = 0, MM_ATTN_EAGER, MM_ATTN_AUTO };
/* How the loss path holds the logits: upcast to fp32 (transformers'
 * ForCausalLMLoss, autocast), cross-entropy in the logits' 16-bit type (no
 * upcast), or a chunked fused linear cross-entropy (Liger, Unsloth). */
enum mm_loss { MM_LOSS_FP32 = 0, MM_LOSS_16BIT, MM_LOSS_FUSED };
/* Gradient checkpointing: the recipe's default (on for LoRA and QLoRA, as
 * PEFT's prepare_model_for_kbit_training and TRL turn it on; off for full
 * training), on, or off. */
enum mm_checkpointing { MM_CKPT_AUTO = 0, MM_CKPT_ON, MM_CKPT_OFF };
/* The one change that makes training fit (mm_device.change). */
enum mm_change {
    MM_CHANGE_NONE = 0, MM_CHANGE_CHECKPOINTING, MM_CHANGE_OPTIMIZER_8BIT, MM_CHANGE_ZERO,
    MM_CHANGE_QLORA, MM_CHANGE_CONTEXT
};
/* transformers' load-time quantization (bitsandbytes) of a checkpoint
 * stored in floats: MM_LOAD_8BIT LLM.int8 (load_in_8bit), MM_LOAD_4BIT
 * BitsAndBytesConfig's 4-bit defaults (FP4, no double quantization),
 * MM_LOAD_NF4 the QLoRA recipe (NF4 with double quantization). */
enum mm_load_in { MM_LOAD_AS_STORED = 0, MM_LOAD_8BIT, MM_LOAD_4BIT, MM_LOAD_NF4 };
/* "8bit", "4bit", "nf4"; NULL for MM_LOAD_AS_STORED. */
const char *mm_load_in_name(enum mm_load_in l);

/* llama.cpp's --flash-attn: auto turns it on where the device supports it
 * (modelled as on). */
enum mm_flash_attn { MM_FLASH_AUTO = 0, MM_FLASH_ON, MM_FLASH_OFF };
/* -ngl default: every layer and the output layer (llama.cpp's 999). */
#define MM_NGL_ALL (-1)
/* Largest --tensor-split proportion, and --ubatch-size. */
#define MM_LLAMACPP_SPLIT_MAX 1000000u
#define MM_LLAMACPP_UBATCH_MAX 1048576u

/* CUDA context and allocator slack assumed when none is given: 512 MiB,
 * between PyTorch's measured lazy (287,047,680 bytes) and eager
 * (666,632,192 bytes) CUDA contexts (pytorch/pytorch PR #86509). */
#define MM_DEFAULT_OVERHEAD_BYTES 536870912ull
/* Largest --gpus. */
#define MM_LIMIT_GPUS 4096u
/* Layers a model's geometry may declare (config.json, GGUF metadata):
 * plans walk every layer, so a hostile count would walk for ever. */
#define MM_LIMIT_LAYERS 100000u
/* Largest number of LoRA target names. */
#define MM_LIMIT_LORA_TARGETS 32u

struct mm_memory_params {
    unsigned version;        /* MM_MEMORY_PARAMS_VERSION */
    int inference;           /* compute the inference breakdown */
    uint64_t context;        /* tokens per sequence */
    uint64_t batch;          /* sequences */
    unsigned kv_bytes;       /* bytes per KV element; 0 = the weights' float width */
    uint64_t overhead_bytes; /* runtime overhead per device */
    enum mm_train_mode train;
    enum mm_optimizer optimizer;
    enum mm_precision precision;
    enum mm_checkpointing checkpointing;
    uint64_t lora_rank;
    size_t nlora_targets;    /* 0 = q_proj,k_proj,v_proj,o_proj */
    /* module names (the last component before .weight); borrowed, read
     * only during the call */
    const char *lora_targets[MM_LIMIT_LORA_TARGETS];
    unsigned gpus;           /* 1 = one device */
    enum mm_parallel parallel;
    uint64_t device_bytes;   /* usable memory per device; 0 = no verdict */
    enum mm_attention attention;
    /* ---- version 2 ---- */
    enum mm_runtime runtime;
    int overhead_set;        /* overhead_bytes replaces the runtime's default
                                (vLLM: its non-torch memory and CUDA graphs) */
    uint32_t gpu_util_ppm;   /* vLLM --gpu-memory-utilization, millionths; 0 = 900000 */
    uint64_t max_num_batched_tokens; /* vLLM; 0 = its default for the device */
    uint64_t max_num_seqs;   /* vLLM; 0 = 256 */
    uint64_t max_model_len;  /* vLLM; 0 = context */
    const char *device_name; /* borrowed; vLLM's defaults look at it ("A100") */
    /* ---- version 3 ---- */
    enum mm_loss loss;
    int lora_dropout;        /* LoRA dropout > 0: each adapter keeps its input's copy */
    enum mm_load_in load_in; /* transformers only; refused for a quantized
                                checkpoint (MM_ERR_INVALID_ARG) */
    int32_t n_gpu_layers;    /* -ngl: layers offloaded, the output layer counting
                                as one more; MM_NGL_ALL = every one */
    size_t ntensor_split;    /* 0 = equal shares; else one proportion per device */
    const uint32_t *tensor_split; /* borrowed, read only during the call */
    enum mm_dtype cache_type_k; /* F16, BF16, F32, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL */
    enum mm_dtype cache_type_v; /* the same; quantized needs flash attention */
    enum mm_flash_attn flash_attn;
    uint32_t n_ubatch;       /* -ub; 0 = 512; at most MM_LLAMACPP_UBATCH_MAX */
};
#define MM_MEMORY_PARAMS_VERSION 3
#define MM_MEMORY_PARAMS_INIT                                                                    \
    {MM_MEMORY_PARAMS_VERSION, 0, 0, 1, 0, MM_DEFAULT_OVERHEAD_BYTES, MM_TRAIN_NONE,           \
     MM_OPT_ADAMW, MM_PREC_BF16_MIXED, MM_CKPT_AUTO, 16, 0, {NULL}, 1, MM_PAR_NONE, 0,          \
     MM_ATTN_AUTO, MM_RUNTIME_DEFAULT, 0, 0, 0, 0, 0, NULL, MM_LOSS_FP32, 0, MM_LOAD_AS_STORED,   \
     MM_NGL_ALL, 0, NULL, MM_DTYPE_F16, MM_DTYPE_F16, MM_FLASH_AUTO, 0}

/* vLLM's figures (cache_config.block_size 16 tokens; see modelmem(1)). */
#define MM_VLLM_BLOCK_SIZE 16u
/* Largest --context, --max-model-len, --max-num-batched-tokens. */
#define MM_LIMIT_TOKENS 4294967295ull

struct mm_inference {
    uint64_t weights_bytes;    /* stored bytes of the checkpoint, as loaded */
    uint64_t kv_cache_bytes;
    uint64_t activation_bytes; /* forward workspace of one layer, prefill */
    uint64_t overhead_bytes;
    uint64_t total_bytes;
    uint64_t kv_bytes_per_token; /* one token of one sequence in every layer,
                                    before any window */
    uint64_t host_bytes;       /* held in host memory instead, never in the above */
    uint64_t state_bytes;        /* the recurrent state of linear-attention and
                                    state-space layers for `batch` sequences,
                                    counted in kv_cache_bytes */
};

/* A runtime's own figures for one device (zero where they do not apply). */
struct mm_runtime_detail {
    uint64_t tensor_parallel;     /* vLLM: TP size of the plan */
    uint32_t gpu_util_ppm;        /* vLLM: gpu_memory_utilization, millionths */
    uint64_t requested_bytes;     /* vLLM: utilization x the device's memory */
    uint64_t max_num_batched_tokens, max_num_seqs, max_model_len, block_size;
    uint64_t forward_bytes;       /* vLLM: the profiled forward pass */
    uint64_t sampler_bytes;       /* vLLM: the profiled sampler */
    uint64_t non_torch_bytes;     /* vLLM: CUDA context, cuBLAS workspaces, NCCL */
    uint64_t cuda_graph_bytes;    /* vLLM: captured outside the utilization budget */
    uint64_t rotary_cache_bytes;  /* vLLM: cos/sin cache, part of weights_bytes */
    uint64_t kv_available_bytes;  /* vLLM with a device: what the KV cache gets */
    uint64_t kv_blocks;           /* vLLM with a device: blocks of block_size tokens */
    uint64_t kv_tokens;           /* vLLM with a device: kv_blocks x block_size */
    uint64_t cuda_context_bytes;  /* transformers: the CUDA context and allocator slack */
    /* transformers with load_in: the linear weights quantized while loading
     * (elements, and their bytes with the scales), and what stays as stored
     * (embeddings, the LM head, norms, biases) */
    enum mm_load_in load_in;
    uint64_t quantized_parameters;
    uint64_t quantized_bytes;
    uint64_t kept_bytes;
    /* llama.cpp, the buffers of its load log for this device (the busiest
     * one when several) and for host memory */
    uint64_t n_ctx;               /* KV cells (padded), n_seq_max sequences */
    uint64_t n_seq_max;
    uint64_t swa_cells;           /* cells of a sliding layer; 0 = none slide */
    uint64_t n_ubatch;
    int flash_attn;               /* as resolved: 1 on, 0 off */
    enum mm_dtype type_k, type_v;
    uint64_t layers_offloaded;    /* of `layers_total` (blocks + the output layer) */
    uint64_t layers_total;
    uint64_t model_buffer_bytes;  /* "CUDA0 model buffer" */
    uint64_t cpu_mapped_bytes;    /* "CPU_Mapped model buffer": token embeddings and
                                     the layers kept on the CPU */
    uint64_t kv_buffer_bytes;     /* "CUDA0 KV buffer" */
    uint64_t cpu_kv_buffer_bytes; /* "CPU KV buffer": layers kept on the CPU */
    uint64_t k_bytes, v_bytes;    /* "KV self size": K and V of every layer */
    uint64_t compute_buffer_bytes;      /* "CUDA0 compute buffer" */
    uint64_t host_compute_buffer_bytes; /* "CUDA_Host compute buffer" */
    uint64_t output_buffer_bytes;       /* "CUDA_Host output buffer" */
    uint64_t platform_bytes;      /* CUDA context and driver footprint (not logged) */
};

struct mm_training {
    uint64_t trainable_parameters;
    uint64_t weights_bytes;     /* the model as trained (frozen base included) */
    uint64_t master_bytes;      /* fp32 master copy of trainable weights */
    uint64_t gradients_bytes;
    uint64_t optimizer_bytes;
    uint64_t activation_bytes;  /* as used in the total */
    uint64_t activations_full_bytes;         /* without checkpointing */
    uint64_t activations_checkpointed_bytes; /* with full recomputation */
    uint64_t loss_bytes;        /* the loss path's peak, part of the activations */
    uint64_t buffers_bytes;     /* framework buffers: ZeRO buckets, gathered layers,
                                   QLoRA's dequantization workspace */
    uint64_t fragmentation_bytes; /* allocator's reserve beyond the tensors */
    uint64_t overhead_bytes;
    uint64_t total_bytes;
    int checkpointing;          /* whether the total uses recomputation */
    enum mm_parallel parallel;  /* the mode the figures assume (per device) */
};

/* What one device holds, and whether it fits. */
struct mm_device {
    uint64_t inference_bytes;
    uint64_t training_bytes;
    int inference_fits;     /* with device_bytes given */
    int training_fits;
    int64_t inference_headroom; /* device_bytes - inference_bytes, exact; 0 when
                                   inference was not asked for */
    int64_t training_headroom;  /* the same for training */
    unsigned inference_min_gpus; /* smallest count that fits; 0 = none up to the limit */
    unsigned training_min_gpus;
    /* longest context of each of `batch` sequences that fits; 0 = none */
    uint64_t max_context;
    int has_max_context;
    /* sequences of `context` tokens at once, x 100 (two decimals) */
    uint64_t max_concurrency_x100;
    int has_max_concurrency;
    /* longest context that trains at `batch`; 0 = none */
    uint64_t training_max_context;
    int has_training_max_context;
    enum mm_parallel training_parallel; /* the mode training_min_gpus assumes */
    /* when training does not fit on `gpus` devices: the one change that
     * makes it fit on the fewest, the count and mode it then needs, and for
     * MM_CHANGE_CONTEXT the context */
    enum mm_change change;
    unsigned change_gpus;
    enum mm_parallel change_parallel;
    uint64_t change_context;
};

/* One quantization the model could be served in, with --gpu: its weights
 * and the plan's per-device total at the same context, batch and devices. */
#define MM_QUANT_FITS_MAX 8
struct mm_quant_fit {
    const char *name;       /* static: "BF16", "8bit", "fp8", "Q4_K_M", ... */
    uint64_t weights_bytes; /* the whole model's weights in it */
    uint64_t total_bytes;   /* one device's total under the plan */
    int fits;               /* the verdict's own question */
};

struct mm_memory {
    uint64_t logical_parameters;
    int eager_attention;        /* the attention the figures assume is eager */
    struct mm_geometry geometry;
    int has_inference;
    struct mm_inference inference;
    int has_training;
    struct mm_training training;
    struct mm_device device;
    struct mm_inference device_inference; /* per device, after the split */
    struct mm_training device_training;
    enum mm_runtime runtime;       /* the runtime the inference plan followed */
    enum mm_parallel parallel;     /* the split per_device and the verdict assume */
    struct mm_runtime_detail detail;        /* for `inference` (one device) */
    struct mm_runtime_detail device_detail; /* for `device_inference` */
    /* with device_bytes, for a GGUF model or one stored in floats: the
     * runtime's usual quantizations, largest first (modelmem(1)) */
    size_t nquant_fits;
    struct mm_quant_fit quant_fits[MM_QUANT_FITS_MAX];
};

/*
 * Inference and training memory: a pure function of the inventory, the
 * model's config (may be NULL: geometry is then inferred from the tensors)
 * and the parameters. Fails with MM_E_GEOMETRY_UNKNOWN when KV cache or
 * activations are asked for and no geometry can be found, and with
 * MM_ERR_LIMIT when any figure would not fit its field (a byte count past
 * 2^64 - 1, a headroom outside the int64 range): every figure given is the
 * true one, none is clamped (`out` then holds zeros); with
 * MM_ERR_INVALID_ARG (MM_E_INVALID_ARG) when the runtime refuses the split
 * (vLLM: a tensor-parallel size that does not divide the attention heads).
 * Versions 1 to 3 of the parameters are accepted; older callers get the
 * defaults of the fields they lack.
 */
enum mm_status mm_memory_run(struct mm_memory *out, const struct mm_inventory *inv,
                             const struct mm_config *cfg, const struct mm_memory_params *params,
                             struct mm_error *err);

/* One accelerator of the built-in table. */
struct mm_gpu {
    const char *name;      /* "H100-80GB" */
    uint64_t total_bytes;  /* memory.total as nvidia-smi / rocm-smi report it */
    uint64_t usable_bytes; /* what a framework can allocate */
};
size_t mm_gpu_count(void);
const struct mm_gpu *mm_gpu_at(size_t i);
/* Looks a device name up (as mm_gpu_lookup, instances excepted); NULL if
 * unknown or ambiguous. */
const struct mm_gpu *mm_gpu_find(const char *name);

#define MM_GPU_CANDIDATES_MAX 8
/* What a name people type for a device resolves to. */
struct mm_gpu_lookup {
    const struct mm_gpu *gpu; /* the device; NULL when none or several fit */
    unsigned count;           /* devices a cloud instance has; 0 for a device name */
    const char *instance;     /* the instance's name as its provider writes it, or NULL */
    const char *provider;     /* "AWS", "Google Cloud", "Azure", or NULL */
    size_t ncandidates;       /* the entries the name fits (several: ambiguous) */
    const struct mm_gpu *candidates[MM_GPU_CANDIDATES_MAX];
};
/*
 * Resolves a table name ("H100-80GB"), a product name as nvidia-smi or
 * rocm-smi prints it ("NVIDIA H100 80GB HBM3", "Tesla T4", "AMD Instinct
 * MI300X"), a bare model ("4090", "h200"), case and punctuation aside, or
 * a cloud instance ("p4d.24xlarge", "a3-highgpu-8g", "ND96isr_H100_v5"):
 * MM_OK with `gpu` (and `count` for an instance); MM_ERR_INVALID_ARG when
 * the name fits several entries (the A100 of 40 and of 80 GB), listed in
 * `candidates`; MM_ERR_NOT_FOUND otherwise. A size in the name ("80GB") is
 * the memory as marketed and must agree with the entry's.
 */
enum mm_status mm_gpu_lookup(struct mm_gpu_lookup *out, const char *name);
/* The names mm_gpu_lookup knows as they are written: the table's, then the
 * instances' (for suggestions); NULL past the end. */
size_t mm_gpu_name_count(void);
const char *mm_gpu_name_at(size_t i);

/* The largest-layer group a tensor name belongs to: the prefix through the
 * first all-digit component ("model.layers.12"), else the parent module
 * ("model.embed_tokens"), else the name itself. Returns its length. */
size_t mm_layer_group_len(const char *name);

/* ---- Verification ----------------------------------------------------------- */

enum mm_severity { MM_SEVERITY_ERROR = 0, MM_SEVERITY_WARNING = 1 };

/* One problem verify found. `offset` is -1 and `tensor` "" where they do
 * not apply; `file` is the path as opened. */
struct mm_problem {
    enum mm_severity severity;
    enum mm_errcode code;
    int64_t offset;
    const char *file;
    const char *tensor;
    const char *message;
    /* One line saying how to put it right ("re-run the download:
     * huggingface-cli download ORG/NAME"), or NULL where there is none. */
    const char *remedy;
    /* A truncated or half-downloaded file: the bytes its header (or the
     * index's total_size) says it has, and the bytes there; -1 where
     * unknown or not a size problem. */
    int64_t expected_bytes;
    int64_t actual_bytes;
};

struct mm_verify_report;

#define MM_LIMIT_PROBLEMS 1000u

/*
 * Checks TARGET against itself: every weight file's header on its own (so
 * that each broken file is reported, not only the first), then the model
 * as a whole (index against shards, duplicate names), then the index's
 * metadata.total_size against the tensors' bytes. Returns MM_OK when the
 * checks ran, whatever they found; problems are in the report.
 */
struct mm_verify_options {
    unsigned version; /* MM_VERIFY_OPTIONS_VERSION */
    struct mm_load_options load;
    /* Hash every file that is a Hugging Face cache blob (named by the
     * SHA-256 of its content) and compare: reads whole files. */
    int checksums;
    /* Called (when not NULL) as each file is hashed, from the calling
     * thread: the file as opened, the bytes hashed so far and its size;
     * first with 0, last with done == total. For a progress display. */
    void (*progress)(void *ctx, const char *file, uint64_t done, uint64_t total);
    void *progress_ctx;
};
#define MM_VERIFY_OPTIONS_VERSION 1
#define MM_VERIFY_OPTIONS_INIT {MM_VERIFY_OPTIONS_VERSION, MM_LOAD_OPTIONS_INIT, 0, NULL, NULL}

enum mm_status mm_verify(struct mm_verify_report **out, const char *target,
                         const struct mm_verify_options *opts, struct mm_error *err);
void mm_verify_free(struct mm_verify_report *rep);
size_t mm_verify_problem_count(const struct mm_verify_report *rep);
const struct mm_problem *mm_verify_problem(const struct mm_verify_report *rep, size_t i);
/* Weight files examined. */
size_t mm_verify_file_count(const struct mm_verify_report *rep);
/* Problems of severity error. */
size_t mm_verify_error_count(const struct mm_verify_report *rep);
/* Files whose checksum was computed and compared (with `checksums`). */
size_t mm_verify_checksum_count(const struct mm_verify_report *rep);

/* ---- PEFT adapters ----------------------------------------------------------- */

#define MM_ADAPTER_BASE_MAX 1024

/* What adapter_config.json says. */
struct mm_adapter {
    char base_model[MM_ADAPTER_BASE_MAX]; /* base_model_name_or_path; "" if absent */
    char peft_type[32];                   /* "LORA", ...; "" if absent */
    uint64_t rank;                        /* r; 0 if absent */
};

/*
 * Whether TARGET (a folder, or a file in it) is a PEFT adapter folder:
 * adapter_config.json beside adapter_model.safetensors or
 * adapter_model.bin. MM_OK with `out` filled; MM_ERR_NOT_FOUND when it is
 * not one; adapter_config.json that is not JSON is MM_E_JSON_SYNTAX, and
 * one that leads out of the folder MM_E_SHARD_OUTSIDE_FOLDER.
 */
enum mm_status mm_adapter_probe(struct mm_adapter *out, const char *target,
                                struct mm_error *err);

/*
 * The base model BASE (any TARGET that is a path) and the adapter TARGET
 * as one inventory: the base's files first, shown with BASE's folder, then
 * the adapter's; each set of files must lie in its own folder, and tensor
 * names must be unique across both (PEFT's are: base_model.model...).
 */
enum mm_status mm_inventory_load_with_base(struct mm_inventory **out, const char *target,
                                           const char *base,
                                           const struct mm_load_options *opts,
                                           struct mm_error *err);

/* ---- Hugging Face cache ---------------------------------------------------- */

/* Nonzero when `id` has the form ORG/NAME[@REVISION] with Hub-safe names. */
int mm_hf_repo_id_syntax(const char *id);

/*
 * Resolves a repository id already in the local Hugging Face cache folder
 * `cache_dir` (the caller's choice: $HF_HUB_CACHE, else $HF_HOME/hub, else
 * ~/.cache/huggingface/hub) to its snapshot folder, written to `out`.
 * Revision defaults to "main"; refs/<revision> gives the commit. Nothing is
 * downloaded: a repository not in the cache is MM_ERR_NOT_FOUND. `out` is
 * the snapshot's real path; a ref or snapshot folder whose real path leaves
 * models--ORG--NAME, or a ref holding a path that climbs out (".."), is
 * MM_ERR_UNSAFE (shard-outside-folder), naming that ref or folder.
 */
enum mm_status mm_hf_cache_resolve(char *out, size_t out_size, const char *cache_dir,
                                   const char *repo_id, struct mm_error *err);

/* ---- Scanning folders for models ------------------------------------------ */

/* Folder levels below a scan ROOT that are walked (ROOT is level 0). */
#define MM_LIMIT_SCAN_DEPTH 16u
/* Models one scan lists; the rest is one entry with MM_E_LIMIT_SCAN_MODELS. */
#define MM_LIMIT_SCAN_MODELS 100000u
/* Refs read in one cache repository's refs/; the rest are one entry with
 * MM_E_LIMIT_SCAN_REFS (huggingface_hub writes one per branch, tag and
 * pull request downloaded). */
#define MM_LIMIT_SCAN_REFS 4096u

struct mm_scan_options {
    unsigned version;  /* MM_SCAN_OPTIONS_VERSION */
    int all_revisions; /* also the cache snapshots no ref names */
};
#define MM_SCAN_OPTIONS_VERSION 1
#define MM_SCAN_OPTIONS_INIT {MM_SCAN_OPTIONS_VERSION, 0}

/* One model a scan found: what to load, and where it came from. */
struct mm_scan_model {
    const char *path;     /* the TARGET to load: a folder or a weight file, below its ROOT */
    const char *id;       /* "ORG/NAME" for a Hugging Face cache repository, else NULL */
    const char *revision; /* the snapshot's commit (cache only), else NULL */
    const char *const *refs; /* the refs naming that commit ("main", ...), sorted */
    size_t nrefs;
    size_t root;          /* index of the ROOT it was found under */
    /* NULL, or why the entry cannot be read: a ref naming a missing snapshot
     * (not-found), a repository without snapshots, MM_E_LIMIT_SCAN_MODELS */
    const struct mm_error *error;
};

struct mm_scan;

/*
 * Finds every model under each of `roots` without reading any weight:
 * - a Hugging Face cache repository folder models--ORG--NAME (at any
 *   depth): one entry per commit its refs/ name, every snapshot with
 *   `all_revisions` (all of them when no ref exists); datasets--* and
 *   spaces--* folders are skipped;
 * - a folder that is a model as a TARGET is (mm_inventory_load's rules,
 *   pipelines included): one entry, its sub-folders not walked further; a
 *   folder of several alternative GGUF files or indexes: one entry each;
 * - a ROOT that is a file: one entry, unless its folder is a model entry
 *   (from any ROOT, before or after it), which covers it.
 * Hidden names are skipped. Links to folders are never followed (a link
 * that stays inside ROOT leads where the walk goes anyway; one that leaves
 * it must not be followed); a ROOT may itself be a link. Folders deeper
 * than MM_LIMIT_SCAN_DEPTH are not walked. Entries come in the order of
 * `roots`, then by path. ROOTs may overlap: a model reached from several
 * (the same folder twice, one ROOT inside another, links to one folder)
 * is one entry, found under the first of them in `roots` (models are told
 * apart by device and inode, not by the path written). A ROOT that cannot
 * be read is an entry with its error; only MM_ERR_NOMEM and
 * MM_ERR_INVALID_ARG fail the call.
 */
enum mm_status mm_scan_find(struct mm_scan **out, const char *const *roots, size_t nroots,
                            const struct mm_scan_options *opts, struct mm_error *err);
void mm_scan_free(struct mm_scan *scan);
size_t mm_scan_count(const struct mm_scan *scan);
const struct mm_scan_model *mm_scan_model(const struct mm_scan *scan, size_t i);
/* Folders not walked for MM_LIMIT_SCAN_DEPTH, and links to folders that
 * lead out of their ROOT (not followed), each counted once. */
size_t mm_scan_too_deep(const struct mm_scan *scan);
size_t mm_scan_links_out(const struct mm_scan *scan);
/*
 * The names people type: ORG and NAME match a cache folder whatever their
 * case (meta-llama/llama-3-8b finds models--meta-llama--Llama-3-8B; two
 * folders that differ only in case are MM_E_AMBIGUOUS_TARGET); REVISION
 * may be a unique prefix of a commit hash of at least 4 hex digits among
 * snapshots/ (several: MM_E_AMBIGUOUS_TARGET naming them); an id not in
 * the cache names the closest one there in its message ("did you mean
 * ORG/NAME?"). mm_hf_cache_resolve does all of this.
 */

/* Nonzero when `path`, less a trailing "@REVISION" where `path` itself is
 * not there, is a repository folder of the cache: a folder named
 * models--ORG--NAME holding snapshots/ (what `ls` and `du` show). */
int mm_hf_repo_dir(const char *path);

/* Resolves such a folder to its snapshot as mm_hf_cache_resolve does
 * (refs/main, else the REVISION after '@'), with the same checks. */
enum mm_status mm_hf_repo_dir_resolve(char *out, size_t out_size, const char *path,
                                      struct mm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MODELMEM_H */
