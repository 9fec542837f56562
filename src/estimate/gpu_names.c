/*
 * gpu_names.c - the names people type for a device, resolved to the table
 * of gpus.c: the table's own names, the product names nvidia-smi
 * (--query-gpu=name) and rocm-smi (--showproductname) print ("NVIDIA H100
 * 80GB HBM3", "Tesla V100-SXM2-32GB", "AMD Instinct MI300X"), bare model
 * numbers ("4090", "h200"), and the cloud instances people rent by name,
 * each meaning a device and a count.
 *
 * A name is read as words: letters and digits in runs, lower case; vendor
 * and brand words (NVIDIA, GeForce, Tesla, RTX, AMD, Instinct), the form
 * factor and memory type (PCIe, SXM4, OAM, HBM3) carry no size and are
 * dropped; "80GB" is the memory as marketed and must agree with the entry's;
 * what remains is the model ("h100", "4090", "mi300x", "h100nvl"). A model
 * that several entries share (A100 40 GB and 80 GB) is ambiguous unless a
 * size picks one.
 */
#include <string.h>

#include "core/internal.h"

/*
 * Cloud instances: the GPU and how many. From the providers' public
 * instance-type pages (AWS "Accelerated computing" instance types, Google
 * Cloud "GPU machine types", Azure "GPU accelerated" VM sizes); the
 * README's table lists the same rows with their sources.
 */
struct instance {
    const char *name;
    const char *gpu;
    unsigned count;
    const char *provider;
};

static const struct instance instances[] = {
    /* AWS EC2 */
    {"p3.2xlarge", "V100-16GB", 1, "AWS"},
    {"p3.8xlarge", "V100-16GB", 4, "AWS"},
    {"p3.16xlarge", "V100-16GB", 8, "AWS"},
    {"p3dn.24xlarge", "V100-32GB", 8, "AWS"},
    {"p4d.24xlarge", "A100-40GB", 8, "AWS"},
    {"p4de.24xlarge", "A100-80GB", 8, "AWS"},
    {"p5.48xlarge", "H100-80GB", 8, "AWS"},
    {"p5e.48xlarge", "H200-141GB", 8, "AWS"},
    {"p5en.48xlarge", "H200-141GB", 8, "AWS"},
    {"p6-b200.48xlarge", "B200-192GB", 8, "AWS"},
    {"g4dn.xlarge", "T4-16GB", 1, "AWS"},
    {"g4dn.2xlarge", "T4-16GB", 1, "AWS"},
    {"g4dn.4xlarge", "T4-16GB", 1, "AWS"},
    {"g4dn.8xlarge", "T4-16GB", 1, "AWS"},
    {"g4dn.16xlarge", "T4-16GB", 1, "AWS"},
    {"g4dn.12xlarge", "T4-16GB", 4, "AWS"},
    {"g4dn.metal", "T4-16GB", 8, "AWS"},
    {"g5.xlarge", "A10G-24GB", 1, "AWS"},
    {"g5.2xlarge", "A10G-24GB", 1, "AWS"},
    {"g5.4xlarge", "A10G-24GB", 1, "AWS"},
    {"g5.8xlarge", "A10G-24GB", 1, "AWS"},
    {"g5.16xlarge", "A10G-24GB", 1, "AWS"},
    {"g5.12xlarge", "A10G-24GB", 4, "AWS"},
    {"g5.24xlarge", "A10G-24GB", 4, "AWS"},
    {"g5.48xlarge", "A10G-24GB", 8, "AWS"},
    {"g6.xlarge", "L4-24GB", 1, "AWS"},
    {"g6.2xlarge", "L4-24GB", 1, "AWS"},
    {"g6.4xlarge", "L4-24GB", 1, "AWS"},
    {"g6.8xlarge", "L4-24GB", 1, "AWS"},
    {"g6.16xlarge", "L4-24GB", 1, "AWS"},
    {"g6.12xlarge", "L4-24GB", 4, "AWS"},
    {"g6.24xlarge", "L4-24GB", 4, "AWS"},
    {"g6.48xlarge", "L4-24GB", 8, "AWS"},
    {"g6e.xlarge", "L40S-48GB", 1, "AWS"},
    {"g6e.2xlarge", "L40S-48GB", 1, "AWS"},
    {"g6e.4xlarge", "L40S-48GB", 1, "AWS"},
    {"g6e.8xlarge", "L40S-48GB", 1, "AWS"},
    {"g6e.16xlarge", "L40S-48GB", 1, "AWS"},
    {"g6e.12xlarge", "L40S-48GB", 4, "AWS"},
    {"g6e.24xlarge", "L40S-48GB", 4, "AWS"},
    {"g6e.48xlarge", "L40S-48GB", 8, "AWS"},
    /* Google Cloud Compute Engine */
    {"a2-highgpu-1g", "A100-40GB", 1, "Google Cloud"},
    {"a2-highgpu-2g", "A100-40GB", 2, "Google Cloud"},
    {"a2-highgpu-4g", "A100-40GB", 4, "Google Cloud"},
    {"a2-highgpu-8g", "A100-40GB", 8, "Google Cloud"},
    {"a2-megagpu-16g", "A100-40GB", 16, "Google Cloud"},
    {"a2-ultragpu-1g", "A100-80GB", 1, "Google Cloud"},
    {"a2-ultragpu-2g", "A100-80GB", 2, "Google Cloud"},
    {"a2-ultragpu-4g", "A100-80GB", 4, "Google Cloud"},
    {"a2-ultragpu-8g", "A100-80GB", 8, "Google Cloud"},
    {"a3-highgpu-1g", "H100-80GB", 1, "Google Cloud"},
    {"a3-highgpu-2g", "H100-80GB", 2, "Google Cloud"},
    {"a3-highgpu-4g", "H100-80GB", 4, "Google Cloud"},
    {"a3-highgpu-8g", "H100-80GB", 8, "Google Cloud"},
    {"a3-megagpu-8g", "H100-80GB", 8, "Google Cloud"},
    {"a3-edgegpu-8g", "H100-80GB", 8, "Google Cloud"},
    {"a3-ultragpu-8g", "H200-141GB", 8, "Google Cloud"},
    {"a4-highgpu-8g", "B200-192GB", 8, "Google Cloud"},
    {"g2-standard-4", "L4-24GB", 1, "Google Cloud"},
    {"g2-standard-8", "L4-24GB", 1, "Google Cloud"},
    {"g2-standard-12", "L4-24GB", 1, "Google Cloud"},
    {"g2-standard-16", "L4-24GB", 1, "Google Cloud"},
    {"g2-standard-32", "L4-24GB", 1, "Google Cloud"},
    {"g2-standard-24", "L4-24GB", 2, "Google Cloud"},
    {"g2-standard-48", "L4-24GB", 4, "Google Cloud"},
    {"g2-standard-96", "L4-24GB", 8, "Google Cloud"},
    /* Azure (also accepted with the "Standard_" prefix) */
    {"ND96asr_v4", "A100-40GB", 8, "Azure"},
    {"ND96amsr_A100_v4", "A100-80GB", 8, "Azure"},
    {"NC24ads_A100_v4", "A100-80GB", 1, "Azure"},
    {"NC48ads_A100_v4", "A100-80GB", 2, "Azure"},
    {"NC96ads_A100_v4", "A100-80GB", 4, "Azure"},
    {"ND96isr_H100_v5", "H100-80GB", 8, "Azure"},
    {"NC40ads_H100_v5", "H100-NVL-94GB", 1, "Azure"},
    {"NC80adis_H100_v5", "H100-NVL-94GB", 2, "Azure"},
    {"ND96isr_H200_v5", "H200-141GB", 8, "Azure"},
    {"ND96isr_MI300X_v5", "MI300X-192GB", 8, "Azure"},
    {"NC4as_T4_v3", "T4-16GB", 1, "Azure"},
    {"NC8as_T4_v3", "T4-16GB", 1, "Azure"},
    {"NC16as_T4_v3", "T4-16GB", 1, "Azure"},
    {"NC64as_T4_v3", "T4-16GB", 4, "Azure"},
    {"NC6s_v3", "V100-16GB", 1, "Azure"},
    {"NC12s_v3", "V100-16GB", 2, "Azure"},
    {"NC24s_v3", "V100-16GB", 4, "Azure"},
    {"NC24rs_v3", "V100-16GB", 4, "Azure"},
    {"ND40rs_v2", "V100-32GB", 8, "Azure"},
};

#define NINSTANCES (sizeof(instances) / sizeof(instances[0]))

/* Words that name the vendor, the brand, the form factor or the memory
 * type: none of them tells two entries of the table apart. "sxm" and
 * "hbm" take the generation that follows ("sxm4", "hbm2e"). */
static const char *const noise[] = {"nvidia", "geforce", "tesla", "quadro", "rtx",  "amd",
                                    "instinct", "pcie", "fhhl", "oam", "sxm", "hbm"};

/* Models that are another entry's under a second name. */
static const struct {
    const char *from;
    const char *to;
} same_as[] = {
    {"v100s", "v100"},   /* Tesla V100S-PCIE-32GB */
    {"h200nvl", "h200"}, /* NVIDIA H200 NVL: the same 141 GB */
    {"h100sxm", "h100"},
};

#define MAX_RUNS 16
#define RUN_MAX 16

struct key {
    char model[64];
    unsigned gb; /* the size the name states, 0 when none */
};

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Splits `s` into runs of letters (lower case) or digits, up to a '/'
 * (rocm-smi's "AMD Instinct MI250X/MI250" names the first); -1 when a run
 * or their number is too long to be a device name. */
static int runs_of(char runs[MAX_RUNS][RUN_MAX], size_t *n, const char *s)
{
    *n = 0;
    while (*s != '\0' && *s != '/') {
        size_t len = 0;
        const bool alpha = is_alpha(*s);
        if (!alpha && !is_digit(*s)) {
            s++;
            continue;
        }
        if (*n == MAX_RUNS) {
            return -1;
        }
        while (*s != '\0' && (alpha ? is_alpha(*s) : is_digit(*s))) {
            if (len + 1 == RUN_MAX) {
                return -1;
            }
            runs[*n][len++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
            s++;
        }
        runs[*n][len] = '\0';
        (*n)++;
    }
    return 0;
}

static bool is_noise(const char *run)
{
    size_t i;
    for (i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
        if (strcmp(run, noise[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* The model and the stated size of a name; -1 when it is no device name. */
static int parse_key(struct key *k, const char *s)
{
    char runs[MAX_RUNS][RUN_MAX];
    size_t n;
    size_t i;
    size_t len = 0;
    k->model[0] = '\0';
    k->gb = 0;
    if (runs_of(runs, &n, s) != 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        const char *r = runs[i];
        if (is_digit(r[0]) && i + 1 < n && strcmp(runs[i + 1], "gb") == 0 && strlen(r) <= 4) {
            unsigned v = 0;
            for (; *r != '\0'; r++) {
                v = v * 10 + (unsigned)(*r - '0');
            }
            k->gb = v;
            i++;
            continue;
        }
        if (is_noise(r)) {
            /* "SXM4", "HBM2e": the generation, not "SXM-80GB"'s size */
            if ((strcmp(r, "sxm") == 0 || strcmp(r, "hbm") == 0) && i + 1 < n &&
                is_digit(runs[i + 1][0]) && !(i + 2 < n && strcmp(runs[i + 2], "gb") == 0)) {
                i++;
                if (i + 1 < n && strcmp(runs[i + 1], "e") == 0) {
                    i++;
                }
            }
            continue;
        }
        if (len + strlen(r) >= sizeof(k->model)) {
            return -1;
        }
        memcpy(k->model + len, r, strlen(r) + 1);
        len += strlen(r);
    }
    for (i = 0; i < sizeof(same_as) / sizeof(same_as[0]); i++) {
        if (strcmp(k->model, same_as[i].from) == 0) {
            memcpy(k->model, same_as[i].to, strlen(same_as[i].to) + 1);
        }
    }
    return len > 0 ? 0 : -1;
}

static bool same_ci(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        const char x = (char)(*a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a);
        const char y = (char)(*b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b);
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

static const struct mm_gpu *table_entry(const char *name)
{
    size_t i;
    for (i = 0; i < mm_gpu_count(); i++) {
        if (strcmp(mm_gpu_at(i)->name, name) == 0) {
            return mm_gpu_at(i);
        }
    }
    return NULL;
}

static const struct instance *find_instance(const char *name)
{
    size_t i;
    /* Azure writes its sizes "Standard_ND96isr_H100_v5" in its APIs */
    if (strlen(name) > 9) {
        char head[10];
        memcpy(head, name, 9);
        head[9] = '\0';
        if (same_ci(head, "standard_")) {
            name += 9;
        }
    }
    for (i = 0; i < NINSTANCES; i++) {
        if (same_ci(name, instances[i].name)) {
            return &instances[i];
        }
    }
    return NULL;
}

enum mm_status mm_gpu_lookup(struct mm_gpu_lookup *out, const char *name)
{
    const struct instance *inst = find_instance(name);
    struct key want;
    size_t i;
    memset(out, 0, sizeof(*out));
    if (inst != NULL) {
        out->gpu = table_entry(inst->gpu);
        out->count = inst->count;
        out->instance = inst->name;
        out->provider = inst->provider;
        return out->gpu != NULL ? MM_OK : MM_ERR_NOT_FOUND;
    }
    if (parse_key(&want, name) != 0) {
        return MM_ERR_NOT_FOUND;
    }
    for (i = 0; i < mm_gpu_count(); i++) {
        struct key have;
        if (parse_key(&have, mm_gpu_at(i)->name) != 0 || strcmp(have.model, want.model) != 0 ||
            (want.gb != 0 && want.gb != have.gb)) {
            continue;
        }
        if (out->ncandidates < MM_GPU_CANDIDATES_MAX) {
            out->candidates[out->ncandidates++] = mm_gpu_at(i);
        }
    }
    if (out->ncandidates == 1) {
        out->gpu = out->candidates[0];
        return MM_OK;
    }
    return out->ncandidates == 0 ? MM_ERR_NOT_FOUND : MM_ERR_INVALID_ARG;
}

const struct mm_gpu *mm_gpu_find(const char *name)
{
    struct mm_gpu_lookup l;
    return mm_gpu_lookup(&l, name) == MM_OK && l.count == 0 ? l.gpu : NULL;
}

size_t mm_gpu_name_count(void)
{
    return mm_gpu_count() + NINSTANCES;
}

const char *mm_gpu_name_at(size_t i)
{
    if (i < mm_gpu_count()) {
        return mm_gpu_at(i)->name;
    }
    i -= mm_gpu_count();
    return i < NINSTANCES ? instances[i].name : NULL;
}
