/*
 * geometry.c - the attention geometry guessed from tensor names
 * and shapes, for checkpoints without a config.json. What can be read
 * exactly: the number of layers (the largest index after `layers.`, `h.`,
 * `layer.`, `blocks.`, `blk.`, plus one), the hidden size and vocabulary
 * (the token embedding's shape), the projections' output widths (names of
 * transformers and of llama.cpp's GGUF files). What must
 * be guessed: head_dim, taken as the first of 128, 64, 256, 96, 80, 160,
 * 32, 16, 8 dividing both the q and k widths (128 and 64 cover Llama,
 * Mistral, Qwen, GPT-2 and BERT; Gemma's 256 cannot be told from the
 * shapes). The result says MM_GEOMETRY_TENSORS so that the caller can say
 * it is a guess. GGUF files carry their geometry in metadata, hybrids of
 * attention and recurrent layers included (gguf_recurrent). A pure
 * function of the inventory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/internal.h"

/* The layer index after a known block container, else -1. */
static long layer_index(const char *name)
{
    static const char *const keys[] = {"layers.", "h.", "layer.", "blocks.", "blk.", NULL};
    size_t k;
    for (k = 0; keys[k] != NULL; k++) {
        const char *p = name;
        const size_t kl = strlen(keys[k]);
        while ((p = strstr(p, keys[k])) != NULL) {
            const int at_start = p == name || p[-1] == '.';
            const char *d = p + kl;
            long v = 0;
            if (at_start && *d >= '0' && *d <= '9') {
                while (*d >= '0' && *d <= '9' && v < 1000000) {
                    v = v * 10 + (*d - '0');
                    d++;
                }
                if (*d == '.') {
                    return v;
                }
            }
            p += kl;
        }
    }
    return -1;
}

static int has_part(const char *name, const char *part)
{
    return strstr(name, part) != NULL;
}

/* Output and input widths of a 2-D weight, in PyTorch's [out, in] order
 * (the GGUF reader lists shapes outermost first too; GPT-2's Conv1D is
 * [in, out]). */
static void out_in(const struct mm_tensor *t, int conv1d, uint64_t *out, uint64_t *in)
{
    *out = conv1d ? t->shape[1] : t->shape[0];
    *in = conv1d ? t->shape[0] : t->shape[1];
}

struct seen {
    uint64_t q, k, qkv, inter, embed_rows, embed_cols, mla;
    int encoder, decoder;
};

static void look(struct seen *s, const struct mm_tensor *t)
{
    const char *n = t->name;
    uint64_t o;
    uint64_t i;
    if (t->rank != 2) {
        return;
    }
    if (has_part(n, "embed_tokens.weight") || has_part(n, "wte.weight") ||
        has_part(n, "word_embeddings.weight") || has_part(n, "token_embd.weight")) {
        out_in(t, 0, &o, &i);
        s->embed_rows = o;
        s->embed_cols = i;
    }
    if (layer_index(n) < 0) {
        return;
    }
    out_in(t, has_part(n, ".c_attn.") || has_part(n, ".c_fc."), &o, &i);
    if ((has_part(n, "q_proj.weight") || has_part(n, "attn_q.weight") ||
         has_part(n, "attention.self.query.weight")) && s->q == 0) {
        s->q = o;
    } else if ((has_part(n, "k_proj.weight") || has_part(n, "attn_k.weight") ||
                has_part(n, "attention.self.key.weight")) && s->k == 0) {
        s->k = o;
    } else if ((has_part(n, "c_attn.weight") || has_part(n, "query_key_value.weight") ||
                has_part(n, "qkv_proj.weight")) && s->qkv == 0) {
        s->qkv = o;
    } else if ((has_part(n, "up_proj.weight") || has_part(n, "c_fc.weight") ||
                has_part(n, "ffn_up.weight") || has_part(n, "intermediate.dense.weight") ||
                has_part(n, "fc1.weight")) && s->inter == 0) {
        s->inter = o;
    } else if (has_part(n, "kv_a_proj_with_mqa.weight") && s->mla == 0) {
        s->mla = o;
    }
    s->encoder |= has_part(n, "encoder.layer.");
    s->decoder |= !has_part(n, "encoder.");
}

/* ---- GGUF metadata (ggml-org/ggml docs/gguf.md, "LLM" keys) ----------- */

static const char *meta_value(const struct mm_inventory *inv, const char *key)
{
    const size_t n = mm_inventory_meta_count(inv);
    size_t i;
    for (i = 0; i < n; i++) {
        const struct mm_meta *m = mm_inventory_meta(inv, i);
        if (strcmp(m->key, key) == 0) {
            return m->value;
        }
    }
    return NULL;
}

/* ARCH.SUFFIX as a whole decimal number; 0 when absent or not a number
 * (an array such as a per-layer head count reads "[N x i32]"). */
static uint64_t meta_u64(const struct mm_inventory *inv, const char *arch, const char *suffix)
{
    char key[160];
    const char *v;
    char *end = NULL;
    unsigned long long x;
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    v = meta_value(inv, key);
    if (v == NULL || v[0] < '0' || v[0] > '9') {
        return 0;
    }
    errno = 0;
    x = strtoull(v, &end, 10);
    return (errno != 0 || *end != '\0') ? 0 : x;
}

/* The vocabulary: ARCH.vocab_size, else the token list's length. */
static uint64_t gguf_vocab(const struct mm_inventory *inv, const char *arch)
{
    const char *t = meta_value(inv, "tokenizer.ggml.tokens");
    uint64_t v = meta_u64(inv, arch, "vocab_size");
    if (v == 0 && t != NULL && t[0] == '[') {
        v = strtoull(t + 1, NULL, 10);
    }
    return v;
}

/* llama.cpp's hybrids of attention and recurrent layers (qwen3next,
 * qwen35): layer il attends when (il + 1) % ARCH.full_attention_interval
 * == 0, the others keep a recurrent state per sequence, sized as
 * llama.cpp's n_embd_r() and n_embd_s() size it: (ssm.conv_kernel - 1) x
 * (ssm.inner_size + 2 x ssm.group_count x ssm.state_size) and
 * ssm.state_size x ssm.inner_size elements, held in F32. */
static void gguf_recurrent(struct mm_geometry *g, const struct mm_inventory *inv,
                           const char *arch)
{
    const uint64_t interval = meta_u64(inv, arch, "full_attention_interval");
    const uint64_t conv = meta_u64(inv, arch, "ssm.conv_kernel");
    const uint64_t inner = meta_u64(inv, arch, "ssm.inner_size");
    const uint64_t state = meta_u64(inv, arch, "ssm.state_size");
    const uint64_t groups = meta_u64(inv, arch, "ssm.group_count");
    uint64_t width;
    uint64_t r;
    uint64_t s;
    if (interval == 0 || conv == 0 || inner == 0 || state == 0) {
        return;
    }
    if (!mm_mul_u64(&width, groups, state) || !mm_mul_u64(&width, width, 2) ||
        !mm_add_u64(&width, width, inner) || !mm_mul_u64(&r, width, conv - 1) ||
        !mm_mul_u64(&s, state, inner)) {
        return; /* metadata too large to be a real model: attention only */
    }
    g->no_kv_layers = g->layers - g->layers / interval;
    g->state_layers = g->no_kv_layers;
    g->conv_state_elems = r;
    g->recurrent_state_elems = s;
    g->state_elem_bytes = 4;
}

static int gguf_geometry(struct mm_geometry *g, const struct mm_inventory *inv)
{
    const char *arch = meta_value(inv, "general.architecture");
    if (arch == NULL || strlen(arch) > 64) {
        return 0;
    }
    g->layers = meta_u64(inv, arch, "block_count");
    g->hidden = meta_u64(inv, arch, "embedding_length");
    g->heads = meta_u64(inv, arch, "attention.head_count");
    g->kv_heads = meta_u64(inv, arch, "attention.head_count_kv");
    g->head_dim = meta_u64(inv, arch, "attention.key_length");
    g->intermediate = meta_u64(inv, arch, "feed_forward_length");
    g->vocab = gguf_vocab(inv, arch);
    g->kv_lora_rank = meta_u64(inv, arch, "attention.kv_lora_rank");
    if (g->layers == 0 || g->heads == 0) {
        memset(g, 0, sizeof(*g));
        return 0;
    }
    if (g->kv_lora_rank != 0) {
        g->qk_rope_head_dim = meta_u64(inv, arch, "rope.dimension_count");
    }
    if (g->kv_heads == 0) {
        g->kv_heads = g->heads;
    }
    if (g->head_dim == 0) {
        g->head_dim = g->hidden / g->heads;
    }
    g->sliding_window = meta_u64(inv, arch, "attention.sliding_window");
    if (g->sliding_window != 0) {
        /* llama.cpp's own layouts: Gemma 2 alternates from layer 0, Gemma 3
         * has one global layer in 6; other architectures slide throughout */
        g->sliding_layers = strcmp(arch, "gemma2") == 0   ? (g->layers + 1) / 2
                            : strcmp(arch, "gemma3") == 0 ? g->layers - g->layers / 6
                                                          : g->layers;
    }
    gguf_recurrent(g, inv, arch);
    g->encoder_only = strcmp(arch, "bert") == 0 || strcmp(arch, "nomic-bert") == 0;
    g->source = MM_GEOMETRY_GGUF;
    return 1;
}

void mm_geometry_from_tensors(struct mm_geometry *out, const struct mm_inventory *inv)
{
    static const uint64_t dims[] = {128, 64, 256, 96, 80, 160, 32, 16, 8};
    const size_t n = mm_inventory_tensor_count(inv);
    struct seen s;
    long maxl = -1;
    size_t i;
    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    if (gguf_geometry(out, inv)) {
        return;
    }
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        const long l = layer_index(t->name);
        maxl = l > maxl ? l : maxl;
        look(&s, t);
    }
    if (s.q == 0 && s.qkv != 0) {
        s.q = s.qkv / 3; /* fused q, k, v of equal width (GPT-2, Phi-3 MHA) */
        s.k = s.q;
    }
    if (maxl < 0 || s.q == 0) {
        return;
    }
    out->layers = (uint64_t)maxl + 1;
    out->hidden = s.embed_cols != 0 ? s.embed_cols : s.q;
    out->vocab = s.embed_rows;
    out->intermediate = s.inter != 0 ? s.inter : out->hidden * 4;
    if (s.k == 0) {
        s.k = s.q;
    }
    for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        if (s.q % dims[i] == 0 && s.k % dims[i] == 0) {
            out->head_dim = dims[i];
            break;
        }
    }
    if (out->head_dim == 0) {
        out->head_dim = 1;
    }
    out->heads = s.q / out->head_dim;
    out->kv_heads = s.k / out->head_dim;
    if (s.mla > 64) {
        /* DeepSeek's kv_a_proj_with_mqa is kv_lora_rank + qk_rope_head_dim
         * wide; 64 is the rope part of every published DeepSeek MLA model */
        out->kv_lora_rank = s.mla - 64;
        out->qk_rope_head_dim = 64;
    }
    out->encoder_only = s.encoder && !s.decoder;
    out->source = MM_GEOMETRY_TENSORS;
}
