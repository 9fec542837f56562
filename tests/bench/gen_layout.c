/*
 * gen_layout.c - writes a sharded safetensors model folder as sparse files,
 * for the speed benchmark (run_bench.sh) and its correctness test.
 *
 *   gen_layout deepseek|llama OUTDIR [--keep K]
 *
 * deepseek: DeepSeek-V3's checkpoint layout (config.json of
 *   deepseek-ai/DeepSeek-V3): 61 decoder layers (0-2 dense, 3-60 MoE with
 *   256 routed experts and 1 shared expert) plus the multi-token-prediction
 *   layer 61, MLA attention (q_a_proj, q_b_proj, kv_a_proj_with_mqa,
 *   kv_b_proj, o_proj), FP8 F8_E4M3 linear weights each with an F32
 *   weight_scale_inv of 128x128 blocks, BF16 norms, router and embeddings;
 *   163 shards model-000NN-of-000163.safetensors.
 * llama: Llama-3-70B: 80 layers, BF16, 723 tensors, 30 shards.
 * million: the deepseek layout with 2821 routed experts per MoE layer
 *   instead of 256: 1,000,001 tensors in 1000 shards (the memory test).
 *
 * Each shard is a valid safetensors file (safetensors README): an 8-byte
 * little-endian header length N, N bytes of JSON padded with spaces to a
 * multiple of 8, then the data, whose offsets tile [0, last end) and whose
 * sizes are numel x dtype size. Only the length and header are written; the
 * file is extended with ftruncate, so the data is a hole (no disk use).
 * Within a shard, tensors are in the order safetensors' serialize writes
 * them (larger dtype first, then by name); model.safetensors.index.json
 * maps every tensor to its shard, sorted by name as transformers writes it.
 *
 * --keep K writes only the first K shards and an index of their tensors
 * (the linearity check). On stdout: one line of JSON with what was written
 * (tensors, shards, header bytes, parameters per dtype), for checking
 * modelmem's counts against the generator's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum dt { DT_F8, DT_BF16, DT_F32, DT_COUNT };

static const char *const dt_name[DT_COUNT] = {"F8_E4M3", "BF16", "F32"};
static const uint64_t dt_size[DT_COUNT] = {1, 2, 4};

struct tensor {
    size_t name_at; /* into names */
    enum dt dtype;
    unsigned rank;
    uint64_t shape[2];
    uint64_t nbytes;
    unsigned shard;
};

struct layout {
    struct tensor *t;
    size_t n;
    size_t cap;
    char *names;
    size_t names_len;
    size_t names_cap;
};

/* A growable byte buffer for headers and the index. */
struct buf {
    char *p;
    size_t len;
    size_t cap;
};

static void die(const char *what)
{
    fprintf(stderr, "gen_layout: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap == 0 ? 64 : *cap;
    while (n < need) {
        n *= 2;
    }
    if (n != *cap) {
        p = realloc(p, n * size);
        if (p == NULL) {
            die("realloc");
        }
        *cap = n;
    }
    return p;
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
    b->p = grow(b->p, &b->cap, b->len + n + 1, 1);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void buf_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_fmt(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        fputs("gen_layout: line too long\n", stderr);
        exit(1);
    }
    buf_put(b, tmp, (size_t)n);
}

static void add(struct layout *L, enum dt dtype, uint64_t d0, uint64_t d1, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Adds a tensor of shape [d0] (d1 == 0) or [d0, d1]. */
static void add(struct layout *L, enum dt dtype, uint64_t d0, uint64_t d1, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    int n;
    struct tensor *t;
    va_start(ap, fmt);
    n = vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(name)) {
        fputs("gen_layout: name too long\n", stderr);
        exit(1);
    }
    L->t = grow(L->t, &L->cap, L->n + 1, sizeof(*L->t));
    L->names = grow(L->names, &L->names_cap, L->names_len + (size_t)n + 1, 1);
    t = &L->t[L->n++];
    memset(t, 0, sizeof(*t));
    t->name_at = L->names_len;
    memcpy(L->names + L->names_len, name, (size_t)n + 1);
    L->names_len += (size_t)n + 1;
    t->dtype = dtype;
    t->rank = d1 == 0 ? 1 : 2;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->nbytes = d0 * (d1 == 0 ? 1 : d1) * dt_size[dtype];
}

/* DeepSeek-V3 (config.json): the sizes its checkpoint uses. */
#define DS_HIDDEN 7168u
#define DS_VOCAB 129280u
#define DS_LAYERS 61u /* plus the MTP layer, numbered 61 */
#define DS_DENSE 3u   /* first_k_dense_replace */
#define DS_INTER 18432u
#define DS_MOE_INTER 2048u
#define DS_EXPERTS 256u
#define DS_HEADS 128u
#define DS_Q_LORA 1536u
#define DS_KV_LORA 512u
#define DS_NOPE 128u
#define DS_ROPE 64u
#define DS_V 128u
#define DS_BLOCK 128u /* weight_block_size of the FP8 scales */

/* An FP8 linear layer: the weight and its per-block inverse scales. */
static void fp8_linear(struct layout *L, uint64_t out, uint64_t in, const char *prefix)
{
    add(L, DT_F8, out, in, "%s.weight", prefix);
    add(L, DT_F32, (out + DS_BLOCK - 1) / DS_BLOCK, (in + DS_BLOCK - 1) / DS_BLOCK,
        "%s.weight_scale_inv", prefix);
}

static void ds_mlp(struct layout *L, const char *prefix, uint64_t inter)
{
    char p[256]; /* prefix (< 200) and a suffix */
    snprintf(p, sizeof(p), "%s.gate_proj", prefix);
    fp8_linear(L, inter, DS_HIDDEN, p);
    snprintf(p, sizeof(p), "%s.up_proj", prefix);
    fp8_linear(L, inter, DS_HIDDEN, p);
    snprintf(p, sizeof(p), "%s.down_proj", prefix);
    fp8_linear(L, DS_HIDDEN, inter, p);
}

static void ds_layer(struct layout *L, unsigned l, unsigned experts)
{
    char p[200];
    unsigned e;
    add(L, DT_BF16, DS_HIDDEN, 0, "model.layers.%u.input_layernorm.weight", l);
    snprintf(p, sizeof(p), "model.layers.%u.self_attn.q_a_proj", l);
    fp8_linear(L, DS_Q_LORA, DS_HIDDEN, p);
    add(L, DT_BF16, DS_Q_LORA, 0, "model.layers.%u.self_attn.q_a_layernorm.weight", l);
    snprintf(p, sizeof(p), "model.layers.%u.self_attn.q_b_proj", l);
    fp8_linear(L, DS_HEADS * (DS_NOPE + DS_ROPE), DS_Q_LORA, p);
    snprintf(p, sizeof(p), "model.layers.%u.self_attn.kv_a_proj_with_mqa", l);
    fp8_linear(L, DS_KV_LORA + DS_ROPE, DS_HIDDEN, p);
    add(L, DT_BF16, DS_KV_LORA, 0, "model.layers.%u.self_attn.kv_a_layernorm.weight", l);
    snprintf(p, sizeof(p), "model.layers.%u.self_attn.kv_b_proj", l);
    fp8_linear(L, DS_HEADS * (DS_NOPE + DS_V), DS_KV_LORA, p);
    snprintf(p, sizeof(p), "model.layers.%u.self_attn.o_proj", l);
    fp8_linear(L, DS_HIDDEN, DS_HEADS * DS_V, p);
    add(L, DT_BF16, DS_HIDDEN, 0, "model.layers.%u.post_attention_layernorm.weight", l);
    if (l < DS_DENSE) {
        snprintf(p, sizeof(p), "model.layers.%u.mlp", l);
        ds_mlp(L, p, DS_INTER);
        return;
    }
    add(L, DT_BF16, DS_EXPERTS, DS_HIDDEN, "model.layers.%u.mlp.gate.weight", l);
    add(L, DT_F32, DS_EXPERTS, 0, "model.layers.%u.mlp.gate.e_score_correction_bias", l);
    for (e = 0; e < experts; e++) {
        snprintf(p, sizeof(p), "model.layers.%u.mlp.experts.%u", l, e);
        ds_mlp(L, p, DS_MOE_INTER);
    }
    snprintf(p, sizeof(p), "model.layers.%u.mlp.shared_experts", l);
    ds_mlp(L, p, DS_MOE_INTER);
}

/* DeepSeek-V3 with `experts` routed experts per MoE layer: 256 is the
 * real checkpoint; each one more adds 354 tensors (59 layers x 6). */
static void gen_deepseek(struct layout *L, unsigned experts)
{
    unsigned l;
    add(L, DT_BF16, DS_VOCAB, DS_HIDDEN, "model.embed_tokens.weight");
    for (l = 0; l <= DS_LAYERS; l++) {
        ds_layer(L, l, experts);
    }
    /* layer 61 is the multi-token-prediction module */
    add(L, DT_BF16, DS_VOCAB, DS_HIDDEN, "model.layers.%u.embed_tokens.weight", DS_LAYERS);
    add(L, DT_BF16, DS_HIDDEN, 0, "model.layers.%u.enorm.weight", DS_LAYERS);
    add(L, DT_BF16, DS_HIDDEN, 0, "model.layers.%u.hnorm.weight", DS_LAYERS);
    add(L, DT_BF16, DS_HIDDEN, 2 * DS_HIDDEN, "model.layers.%u.eh_proj.weight", DS_LAYERS);
    add(L, DT_BF16, DS_HIDDEN, 0, "model.layers.%u.shared_head.norm.weight", DS_LAYERS);
    add(L, DT_BF16, DS_VOCAB, DS_HIDDEN, "model.layers.%u.shared_head.head.weight", DS_LAYERS);
    add(L, DT_BF16, DS_HIDDEN, 0, "model.norm.weight");
    add(L, DT_BF16, DS_VOCAB, DS_HIDDEN, "lm_head.weight");
}

/* Llama-3-70B (config.json of meta-llama/Meta-Llama-3-70B). */
static void gen_llama(struct layout *L)
{
    const uint64_t h = 8192;
    const uint64_t kv = 8 * 128;
    const uint64_t inter = 28672;
    unsigned l;
    add(L, DT_BF16, 128256, h, "model.embed_tokens.weight");
    for (l = 0; l < 80; l++) {
        add(L, DT_BF16, h, 0, "model.layers.%u.input_layernorm.weight", l);
        add(L, DT_BF16, h, h, "model.layers.%u.self_attn.q_proj.weight", l);
        add(L, DT_BF16, kv, h, "model.layers.%u.self_attn.k_proj.weight", l);
        add(L, DT_BF16, kv, h, "model.layers.%u.self_attn.v_proj.weight", l);
        add(L, DT_BF16, h, h, "model.layers.%u.self_attn.o_proj.weight", l);
        add(L, DT_BF16, h, 0, "model.layers.%u.post_attention_layernorm.weight", l);
        add(L, DT_BF16, inter, h, "model.layers.%u.mlp.gate_proj.weight", l);
        add(L, DT_BF16, inter, h, "model.layers.%u.mlp.up_proj.weight", l);
        add(L, DT_BF16, h, inter, "model.layers.%u.mlp.down_proj.weight", l);
    }
    add(L, DT_BF16, h, 0, "model.norm.weight");
    add(L, DT_BF16, 128256, h, "lm_head.weight");
}

/*
 * Tensors in order, a shard cut every total/nshards bytes: tensor i goes to
 * shard floor(start_i * nshards / total). No tensor is larger than a
 * shard's share, so consecutive tensors differ by at most one shard and
 * every shard gets at least one.
 */
static void assign_shards(struct layout *L, unsigned nshards)
{
    uint64_t total = 0;
    uint64_t at = 0;
    size_t i;
    for (i = 0; i < L->n; i++) {
        total += L->t[i].nbytes;
    }
    for (i = 0; i < L->n; i++) {
        /* (at / total) * nshards without overflowing 64 bits */
        const double frac = (double)at / (double)total;
        unsigned s = (unsigned)(frac * nshards);
        if (s >= nshards) {
            s = nshards - 1;
        }
        if (L->t[i].nbytes > total / nshards) {
            fputs("gen_layout: a tensor is larger than a shard\n", stderr);
            exit(1);
        }
        if (i > 0 && s != L->t[i - 1].shard && s != L->t[i - 1].shard + 1) {
            fputs("gen_layout: a shard would be empty\n", stderr);
            exit(1);
        }
        L->t[i].shard = s;
        at += L->t[i].nbytes;
    }
    if (L->n == 0 || L->t[0].shard != 0 || L->t[L->n - 1].shard != nshards - 1) {
        fputs("gen_layout: shards not all used\n", stderr);
        exit(1);
    }
}

/* For qsort: the layout whose names the comparisons read. */
static const char *sort_names;

/* safetensors' serialize order within a file: larger dtypes first (its
 * Dtype ordering, descending), then by name; offsets follow that order. */
static int cmp_in_shard(const void *a, const void *b)
{
    const struct tensor *x = a;
    const struct tensor *y = b;
    if (dt_size[x->dtype] != dt_size[y->dtype]) {
        return dt_size[x->dtype] > dt_size[y->dtype] ? -1 : 1;
    }
    return strcmp(sort_names + x->name_at, sort_names + y->name_at);
}

static void sort_shards(struct layout *L)
{
    size_t i = 0;
    sort_names = L->names;
    while (i < L->n) {
        size_t j = i;
        while (j < L->n && L->t[j].shard == L->t[i].shard) {
            j++;
        }
        qsort(L->t + i, j - i, sizeof(*L->t), cmp_in_shard);
        i = j;
    }
}

/* transformers writes the index with json.dumps(sort_keys=True). */
static int cmp_by_name(const void *a, const void *b)
{
    const struct tensor *x = *(const struct tensor *const *)a;
    const struct tensor *y = *(const struct tensor *const *)b;
    return strcmp(sort_names + x->name_at, sort_names + y->name_at);
}

static void shard_name(char *out, size_t cap, unsigned s, unsigned nshards)
{
    if (nshards >= 100) {
        snprintf(out, cap, "model-%05u-of-%06u.safetensors", s + 1, nshards);
    } else {
        snprintf(out, cap, "model-%05u-of-%05u.safetensors", s + 1, nshards);
    }
}

static void write_all(int fd, const void *p, size_t n, uint64_t off, const char *path)
{
    const char *b = p;
    while (n > 0) {
        const ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            die(path);
        }
        b += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
}

/* Writes shard s: length, header, and a hole for the data. Returns the
 * header length N. */
static uint64_t write_shard(const struct layout *L, const char *dir, unsigned s,
                            unsigned nshards, size_t *first)
{
    struct buf h = {NULL, 0, 0};
    char name[64];
    char path[4096];
    uint8_t len8[8];
    uint64_t off = 0;
    size_t i = *first;
    unsigned k;
    int fd;
    buf_str(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (; i < L->n && L->t[i].shard == s; i++) {
        const struct tensor *t = &L->t[i];
        buf_str(&h, ",\"");
        buf_str(&h, L->names + t->name_at);
        buf_fmt(&h, "\":{\"dtype\":\"%s\",\"shape\":[", dt_name[t->dtype]);
        for (k = 0; k < t->rank; k++) {
            buf_fmt(&h, k == 0 ? "%llu" : ",%llu", (unsigned long long)t->shape[k]);
        }
        buf_fmt(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                (unsigned long long)(off + t->nbytes));
        off += t->nbytes;
    }
    *first = i;
    buf_str(&h, "}");
    while (h.len % 8 != 0) {
        buf_str(&h, " "); /* as safetensors pads: data starts 8-aligned */
    }
    for (k = 0; k < 8; k++) {
        len8[k] = (uint8_t)((uint64_t)h.len >> (8 * k));
    }
    shard_name(name, sizeof(name), s, nshards);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        die(path);
    }
    write_all(fd, len8, 8, 0, path);
    write_all(fd, h.p, h.len, 8, path);
    if (ftruncate(fd, (off_t)(8 + h.len + off)) != 0) {
        die(path);
    }
    if (close(fd) != 0) {
        die(path);
    }
    free(h.p);
    return h.len;
}

static void write_index(const struct layout *L, const char *dir, unsigned keep,
                        unsigned nshards)
{
    struct buf b = {NULL, 0, 0};
    char name[64];
    char path[4096];
    uint64_t total = 0;
    const struct tensor **order;
    size_t count;
    size_t i;
    int first = 1;
    FILE *f;
    for (i = 0; i < L->n && L->t[i].shard < keep; i++) {
        total += L->t[i].nbytes;
    }
    buf_fmt(&b, "{\n  \"metadata\": {\n    \"total_size\": %llu\n  },\n  \"weight_map\": {",
            (unsigned long long)total);
    order = malloc((L->n + 1) * sizeof(*order));
    if (order == NULL) {
        die("malloc");
    }
    for (i = 0; i < L->n && L->t[i].shard < keep; i++) {
        order[i] = &L->t[i];
    }
    sort_names = L->names;
    qsort(order, i, sizeof(*order), cmp_by_name);
    count = i;
    for (i = 0; i < count; i++) {
        shard_name(name, sizeof(name), order[i]->shard, nshards);
        buf_str(&b, first ? "\n    \"" : ",\n    \"");
        first = 0;
        buf_str(&b, L->names + order[i]->name_at);
        buf_fmt(&b, "\": \"%s\"", name);
    }
    free(order);
    buf_str(&b, "\n  }\n}\n");
    snprintf(path, sizeof(path), "%s/model.safetensors.index.json", dir);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0) {
        die(path);
    }
    free(b.p);
}

static void usage(void)
{
    fputs("usage: gen_layout deepseek|llama|million OUTDIR [--keep K]\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    struct layout L;
    unsigned nshards;
    unsigned keep;
    unsigned s;
    size_t i;
    size_t first = 0;
    uint64_t header_bytes = 0;
    uint64_t params[DT_COUNT] = {0, 0, 0};
    size_t ntensors = 0;
    const char *sep = "";
    int d;
    memset(&L, 0, sizeof(L));
    if (argc != 3 && argc != 5) {
        usage();
    }
    if (strcmp(argv[1], "deepseek") == 0) {
        gen_deepseek(&L, DS_EXPERTS);
        nshards = 163;
    } else if (strcmp(argv[1], "million") == 0) {
        /* 2821 experts: 1,000,001 tensors, in 1000 shards of ~7.5 GB */
        gen_deepseek(&L, 2821);
        nshards = 1000;
    } else if (strcmp(argv[1], "llama") == 0) {
        gen_llama(&L);
        nshards = 30;
    } else {
        usage();
        return 2;
    }
    keep = nshards;
    if (argc == 5) {
        char *end = NULL;
        unsigned long k;
        if (strcmp(argv[3], "--keep") != 0) {
            usage();
        }
        errno = 0;
        k = strtoul(argv[4], &end, 10);
        if (errno != 0 || end == argv[4] || *end != '\0' || k == 0 || k > nshards) {
            usage();
        }
        keep = (unsigned)k;
    }
    if (mkdir(argv[2], 0755) != 0 && errno != EEXIST) {
        die(argv[2]);
    }
    assign_shards(&L, nshards);
    sort_shards(&L);
    for (s = 0; s < keep; s++) {
        header_bytes += write_shard(&L, argv[2], s, nshards, &first);
    }
    write_index(&L, argv[2], keep, nshards);
    for (i = 0; i < L.n && L.t[i].shard < keep; i++) {
        params[L.t[i].dtype] += L.t[i].nbytes / dt_size[L.t[i].dtype];
        ntensors++;
    }
    printf("{\"tensors\": %zu, \"shards\": %u, \"header_bytes\": %llu, "
           "\"parameters_by_dtype\": {",
           ntensors, keep, (unsigned long long)header_bytes);
    for (d = 0; d < DT_COUNT; d++) {
        if (params[d] != 0) {
            printf("%s\"%s\": %llu", sep, dt_name[d], (unsigned long long)params[d]);
            sep = ", ";
        }
    }
    printf("}}\n");
    free(L.t);
    free(L.names);
    return 0;
}
