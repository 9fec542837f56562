/*
 * test_resources.c - time and memory on inputs built to be expensive: a
 * safetensors header of 200,000 tensors or 200,000 metadata entries, JSON
 * nested ten million deep, an index of MM_LIMIT_FILES shards, GGUF files
 * that declare huge counts or hold huge arrays, a PyTorch zip of 100,000
 * members, pickles nested 500,000 deep or expanding to 3^60 names. Each input is read by a
 * fresh process (this program re-run with --child PATH), which reports its
 * peak resident memory (VmHWM of /proc/self/status: ru_maxrss would carry
 * the parent's peak over fork and exec) and its processor time (user +
 * system, which a loaded machine does not inflate). The peak must stay
 * under the header's size times a small factor plus 64 MiB, the time under
 * a few seconds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "hostile_gen.h"
#include "core/internal.h"
#include "modelmem.h"

#define MIB (1024.0 * 1024.0)
/* Peak allowed: factor x header bytes + 64 MiB. AddressSanitizer's shadow
 * memory, redzones and quarantine of freed blocks cost more. */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_FACTOR 8.0
#else
#define MEM_FACTOR 4.0
#endif
#define TIME_LIMIT_S 5.0

static char dir[] = "/tmp/mm-resources.XXXXXX";

/* The largest single allocation asked for, seen through the linker's --wrap
 * (tests/fuzz/fuzz.cmake): room reserved but never touched does not show in
 * VmHWM, yet it is memory asked of the system (committed in WebAssembly). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
static atomic_size_t largest;

static void note_size(size_t n)
{
    size_t cur = atomic_load(&largest);
    while (n > cur && !atomic_compare_exchange_weak(&largest, &cur, n)) {
    }
}

void *__wrap_malloc(size_t n)
{
    note_size(n);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t s)
{
    note_size(s != 0 && n > SIZE_MAX / s ? SIZE_MAX : n * s);
    return __real_calloc(n, s);
}

void *__wrap_realloc(void *p, size_t n)
{
    note_size(n);
    return __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    note_size(n);
    return __real_aligned_alloc(align, n);
}

/* This process's peak resident memory in KiB (VmHWM), or -1. */
static long peak_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            char *end;
            errno = 0;
            kib = strtol(line + 6, &end, 10);
            if (errno != 0 || end == line + 6) {
                kib = -1;
            }
            break;
        }
    }
    fclose(f);
    return kib;
}

/* The child: reads PATH, prints "TENSORS PEAK_KIB CPU_MS LARGEST CODE" on stdout
 * (processor time, user + system: a loaded machine does not inflate it). */
static int child_main(const char *path)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct rusage ru;
    size_t n;
    long ms;
    opts.threads = 1;
    mm_inventory_load(&inv, path, &opts, &err);
    n = inv != NULL ? mm_inventory_tensor_count(inv) : 0;
    mm_inventory_free(inv);
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return 1;
    }
    ms = (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
         (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    printf("%zu %ld %ld %zu %s\n", n, peak_kib(), ms, atomic_load(&largest),
           mm_errcode_name(err.code));
    return 0;
}

/* Parses the child's line. */
static void parse_line(const char *line, size_t *tensors, long *kib, long *ms,
                       size_t *biggest, char *code, size_t size)
{
    char *end;
    const char *p = line;
    unsigned long long t;
    errno = 0;
    t = strtoull(p, &end, 10);
    assert_true(errno == 0 && end != p && *end == ' ');
    *tensors = (size_t)t;
    p = end + 1;
    *kib = strtol(p, &end, 10);
    assert_true(errno == 0 && end != p && *end == ' ');
    p = end + 1;
    *ms = strtol(p, &end, 10);
    assert_true(errno == 0 && end != p && *end == ' ');
    p = end + 1;
    t = strtoull(p, &end, 10);
    assert_true(errno == 0 && end != p && *end == ' ');
    *biggest = (size_t)t;
    p = end + 1;
    snprintf(code, size, "%.*s", (int)strcspn(p, "\n"), p);
}

struct outcome {
    char code[64];
    size_t tensors;
    double seconds; /* processor time */
    double wall;
    double peak_mib;
    size_t largest; /* the largest single allocation, in bytes */
};

/* Runs this program as the child on `path` and measures it. */
static void measure(const char *path, struct outcome *o)
{
    int fds[2];
    pid_t pid;
    int status = 0;
    struct timespec t0;
    struct timespec t1;
    char line[128];
    ssize_t got;
    size_t n = 0;
    long kib = 0;
    long ms = 0;
    char arg[256];
    memset(o, 0, sizeof(*o));
    snprintf(arg, sizeof(arg), "%s", path);
    assert_int_equal(pipe(fds), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char name[] = "test_resources";
        char flag[] = "--child";
        char *const args[] = {name, flag, arg, NULL};
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fds[1]);
    while (n + 1 < sizeof(line) && (got = read(fds[0], line + n, sizeof(line) - 1 - n)) != 0) {
        if (got < 0 && errno == EINTR) {
            continue;
        }
        assert_true(got > 0);
        n += (size_t)got;
    }
    line[n] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    parse_line(line, &o->tensors, &kib, &ms, &o->largest, o->code, sizeof(o->code));
    if (kib < 0) {
        skip(); /* no /proc: nothing to measure with */
    }
    o->wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    o->seconds = (double)ms / 1000.0;
    o->peak_mib = (double)kib / 1024.0;
}

/* Writes `b` to dir/name, measures reading it (into *out), checks the
 * bounds. */
static void run_case_out(struct outcome *out, const char *name, const struct hbuf *b,
                         size_t header_bytes, const char *want_code, size_t want_tensors)
{
    char path[256];
    struct outcome o;
    const double bound = MEM_FACTOR * (double)header_bytes / MIB + 64.0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(hb_write_file(path, b->d, b->n), 0);
    measure(path, &o);
    print_message("%s: %.1f MiB file, %s, %zu tensors, %.2f s cpu (%.2f s wall), peak %.1f MiB "
                  "(bound %.1f)\n",
                  name, (double)b->n / MIB, o.code, o.tensors, o.seconds, o.wall, o.peak_mib,
                  bound);
    unlink(path);
    assert_string_equal(o.code, want_code);
    assert_int_equal(o.tensors, want_tensors);
    assert_true(o.seconds < TIME_LIMIT_S);
    assert_true(o.peak_mib < bound);
    *out = o;
}

static void run_case(const char *name, const struct hbuf *b, size_t header_bytes,
                     const char *want_code, size_t want_tensors)
{
    struct outcome o;
    run_case_out(&o, name, b, header_bytes, want_code, want_tensors);
}

static void test_many_tensors(void **state)
{
    struct hbuf h;
    struct hbuf f;
    const size_t n = 200000;
    (void)state;
    hb_init(&h);
    hb_init(&f);
    hb_safetensors_many(&h, n);
    hb_safetensors(&f, &h, n);
    run_case("many.safetensors", &f, h.n, "none", n);
    hb_free(&h);
    hb_free(&f);
}

static void test_deep_json(void **state)
{
    struct hbuf b;
    struct hbuf h;
    const size_t depth = 10000000;
    (void)state;
    hb_init(&b);
    hb_text(&b, "{\"weight_map\":{},\"x\":");
    hb_nest(&b, depth);
    hb_text(&b, "}");
    run_case("deep.safetensors.index.json", &b, b.n, "json-too-deep", 0);
    /* the same inside a safetensors header */
    b.n = 0;
    hb_init(&h);
    hb_text(&h, "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":");
    hb_nest(&h, depth);
    hb_text(&h, "}}");
    hb_safetensors(&b, &h, 1);
    run_case("deep.safetensors", &b, h.n, "json-too-deep", 0);
    /* and objects: {"a":{"a":{... */
    h.n = 0;
    b.n = 0;
    {
        size_t i;
        for (i = 0; i < depth / 4; i++) {
            hb_text(&h, "{\"a\":");
        }
        hb_text(&h, "1");
        hb_fill(&h, '}', depth / 4);
    }
    hb_safetensors(&b, &h, 0);
    run_case("objects.safetensors", &b, h.n, "json-too-deep", 0);
    hb_free(&h);
    hb_free(&b);
}

/* 200,000 __metadata__ entries: each key checked against the others for a
 * repeat in constant time (a scan of the earlier keys took 48 s for
 * 100,000). */
static void test_many_metadata(void **state)
{
    struct hbuf h;
    struct hbuf f;
    size_t i;
    (void)state;
    hb_init(&h);
    hb_init(&f);
    hb_text(&h, "{\"__metadata__\":{");
    for (i = 0; i < 200000; i++) {
        hb_printf(&h, "%s\"key.%zu\":\"value %zu\"", i == 0 ? "" : ",", i, i);
    }
    hb_text(&h, "}}");
    hb_safetensors(&f, &h, 0);
    run_case("metadata.safetensors", &f, h.n, "none", 0);
    hb_free(&h);
    hb_free(&f);
}

/* 60,000 tensor names chosen so that an unseeded hash (mm_hash_bytes) puts
 * them all in the first 1,024 slots of a table of 2^17, where the
 * uniqueness check and the estimator's layer table put them: with a fixed
 * hash each insertion would walk the whole run. Seeded tables spread them
 * (mm_hash_seed). */
static void test_hash_flood(void **state)
{
    struct hbuf h;
    struct hbuf f;
    const size_t n = 60000;
    size_t cap = 16;
    size_t found = 0;
    unsigned long long c = 0;
    struct outcome o;
    char path[256];
    (void)state;
    while (cap < n * 2) {
        cap *= 2;
    }
    hb_init(&h);
    hb_init(&f);
    hb_text(&h, "{");
    while (found < n) {
        char name[32];
        const int len = snprintf(name, sizeof(name), "t%llu", c++);
        if ((mm_hash_bytes(name, (size_t)len) & (cap - 1)) < 1024) {
            hb_printf(&h, "%s\"%s\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}",
                      found == 0 ? "" : ",", name);
            found++;
        }
    }
    hb_text(&h, "}");
    hb_safetensors(&f, &h, 0);
    run_case("flood.safetensors", &f, h.n, "none", n);
    /* and no slower than names that do not collide: 1 s of processor time */
    snprintf(path, sizeof(path), "%s/flood.safetensors", dir);
    assert_int_equal(hb_write_file(path, f.d, f.n), 0);
    measure(path, &o);
    unlink(path);
    assert_true(o.seconds < 1.0);
    hb_free(&h);
    hb_free(&f);
}

/* An index naming MM_LIMIT_FILES shards, none present: planned in a few
 * bytes per shard, one open before the first missing one is reported. */
static void test_many_shards(void **state)
{
    struct hbuf b;
    size_t i;
    (void)state;
    hb_init(&b);
    hb_text(&b, "{\"weight_map\":{");
    for (i = 0; i < MM_LIMIT_FILES; i++) {
        hb_printf(&b, "%s\"model.layers.%zu.weight\":\"model-%05zu-of-%05u.safetensors\"",
                  i == 0 ? "" : ",", i, i + 1, MM_LIMIT_FILES);
    }
    hb_text(&b, "}}");
    run_case("model.safetensors.index.json", &b, b.n, "shard-missing", 0);
    hb_free(&b);
}

static void test_gguf_counts(void **state)
{
    struct hbuf b;
    size_t i;
    (void)state;
    hb_init(&b);
    /* counts at their limits in a 24-byte file */
    hb_gguf_header(&b, 3, MM_LIMIT_TENSORS, MM_LIMIT_GGUF_KV);
    run_case("counts.gguf", &b, b.n, "truncated", 0);
    /* an array of 2^24 u8 and one of 2^20 empty strings, present in full:
     * skipped through a small buffer, never held */
    b.n = 0;
    hb_gguf_header(&b, 3, 0, 2);
    hb_gguf_str(&b, "bytes", 5);
    hb_u32(&b, 9);
    hb_u32(&b, 0);
    hb_u64(&b, MM_LIMIT_GGUF_ARRAY);
    hb_fill(&b, 0, MM_LIMIT_GGUF_ARRAY);
    hb_gguf_str(&b, "tokens", 6);
    hb_u32(&b, 9);
    hb_u32(&b, 8);
    hb_u64(&b, 1u << 20);
    for (i = 0; i < (1u << 20); i++) {
        hb_u64(&b, 0);
    }
    run_case("arrays.gguf", &b, b.n, "none", 0);
    /* a string array that declares more than the file holds */
    b.n = 0;
    hb_gguf_header(&b, 3, 0, 1);
    hb_gguf_str(&b, "tokens", 6);
    hb_u32(&b, 9);
    hb_u32(&b, 8);
    hb_u64(&b, MM_LIMIT_GGUF_ARRAY);
    hb_fill(&b, 0, 4096);
    run_case("short-array.gguf", &b, b.n, "truncated", 0);
    hb_free(&b);
}

static void hb_u16(struct hbuf *b, uint16_t v)
{
    const uint8_t x[2] = {(uint8_t)(v & 0xff), (uint8_t)(v >> 8)};
    hb_put(b, x, 2);
}

/* One stored member: local header and data into `z`, its central directory
 * header into `cd` (PKWARE APPNOTE 4.3.7, 4.3.12). */
static void zip_entry(struct hbuf *z, struct hbuf *cd, const char *name, uint16_t method,
                      uint32_t crc, const void *stored, uint32_t comp_len, uint32_t len)
{
    const uint32_t at = (uint32_t)z->n;
    const uint16_t nlen = (uint16_t)strlen(name);
    hb_u32(z, 0x04034b50u);
    hb_u16(z, 20);
    hb_u16(z, 0);
    hb_u16(z, method);
    hb_u32(z, 0);
    hb_u32(z, crc);
    hb_u32(z, comp_len);
    hb_u32(z, len);
    hb_u16(z, nlen);
    hb_u16(z, 0);
    hb_put(z, name, nlen);
    hb_put(z, stored, comp_len);
    hb_u32(cd, 0x02014b50u);
    hb_u16(cd, 20);
    hb_u16(cd, 20);
    hb_u16(cd, 0);
    hb_u16(cd, method);
    hb_u32(cd, 0);
    hb_u32(cd, crc);
    hb_u32(cd, comp_len);
    hb_u32(cd, len);
    hb_u16(cd, nlen);
    hb_u16(cd, 0);
    hb_u16(cd, 0);
    hb_u16(cd, 0);
    hb_u16(cd, 0);
    hb_u32(cd, 0);
    hb_u32(cd, at);
    hb_put(cd, name, nlen);
}

static void zip_member(struct hbuf *z, struct hbuf *cd, const char *name, const void *data,
                       uint32_t len)
{
    const uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)data, (uInt)len);
    zip_entry(z, cd, name, 0, crc, data, len, len);
}

/* The end of central directory record of a zip of n < 65,535 members. */
static void zip_end(struct hbuf *z, const struct hbuf *cd, uint16_t n)
{
    const uint32_t cd_at = (uint32_t)z->n;
    hb_put(z, cd->d, cd->n);
    hb_u32(z, 0x06054b50u);
    hb_u16(z, 0);
    hb_u16(z, 0);
    hb_u16(z, n);
    hb_u16(z, n);
    hb_u32(z, (uint32_t)cd->n);
    hb_u32(z, cd_at);
    hb_u16(z, 0);
}

/* A zip bomb: a 128 MiB data.pkl (an empty dict, then zeros) deflated to
 * about 130 KB. Inflating it would hold 128 MiB for a file a thousandth of
 * that: refused before anything is allocated. */
static void test_zip_bomb(void **state)
{
    const uint32_t len = 128u << 20;
    uint8_t *pkl = calloc(len, 1);
    uLongf comp_len = compressBound(len);
    uint8_t *comp = malloc(comp_len);
    z_stream zs;
    struct hbuf z;
    struct hbuf cd;
    (void)state;
    assert_non_null(pkl);
    assert_non_null(comp);
    memcpy(pkl, "\x80\x02}q\x00.", 6);
    memset(&zs, 0, sizeof(zs));
    /* zip holds raw deflate: no zlib header (window bits -15) */
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = pkl;
    zs.avail_in = len;
    zs.next_out = comp;
    zs.avail_out = (uInt)comp_len;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    comp_len = zs.total_out;
    deflateEnd(&zs);
    hb_init(&z);
    hb_init(&cd);
    zip_entry(&z, &cd, "archive/data.pkl", 8, (uint32_t)crc32(0L, pkl, len), comp,
              (uint32_t)comp_len, len);
    zip_end(&z, &cd, 1);
    free(pkl);
    free(comp);
    run_case("bomb.pt", &z, z.n, "limit-pickle-bytes", 0);
    hb_free(&cd);
    hb_free(&z);
}

/* A PyTorch zip of 100,000 members (so its end records are zip64): the
 * directory is read once, sorted, and data.pkl found by bisection. */
static void test_many_zip_entries(void **state)
{
    static const uint8_t pkl[] = {0x80, 0x02, '}', 'q', 0x00, '.'}; /* {} */
    const size_t n = 100000;
    struct hbuf z;
    struct hbuf cd;
    size_t i;
    uint64_t cd_at;
    uint64_t z64_at;
    (void)state;
    hb_init(&z);
    hb_init(&cd);
    zip_member(&z, &cd, "archive/data.pkl", pkl, sizeof(pkl));
    for (i = 1; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "archive/extra/%zu", i);
        zip_member(&z, &cd, name, "", 0);
    }
    cd_at = z.n;
    hb_put(&z, cd.d, cd.n);
    z64_at = z.n;
    hb_u32(&z, 0x06064b50u); /* zip64 end of central directory record */
    hb_u64(&z, 44);
    hb_u16(&z, 45);
    hb_u16(&z, 45);
    hb_u32(&z, 0);
    hb_u32(&z, 0);
    hb_u64(&z, n);
    hb_u64(&z, n);
    hb_u64(&z, cd.n);
    hb_u64(&z, cd_at);
    hb_u32(&z, 0x07064b50u); /* its locator */
    hb_u32(&z, 0);
    hb_u64(&z, z64_at);
    hb_u32(&z, 1);
    hb_u32(&z, 0x06054b50u); /* end of central directory: counts in zip64 */
    hb_u16(&z, 0);
    hb_u16(&z, 0);
    hb_u16(&z, 0xffff);
    hb_u16(&z, 0xffff);
    hb_u32(&z, (uint32_t)cd.n);
    hb_u32(&z, (uint32_t)cd_at);
    hb_u16(&z, 0);
    run_case("many-entries.pt", &z, cd.n, "none", 0);
    hb_free(&cd);
    hb_free(&z);
}

/* Pickles built to be expensive: lists nested 500,000 deep (each value
 * costs the interpreter a node of some 60 bytes, which AddressSanitizer's
 * redzones double: a million deep peaks at 62 MiB in a release build), and a few
 * hundred bytes whose values reference each other so that naming them
 * would expand to 3^k names (a "billion laughs" of DUP and TUPLE3). */
static void test_pickle_bombs(void **state)
{
    struct hbuf b;
    const size_t depth = 500000;
    size_t i;
    (void)state;
    hb_init(&b);
    hb_text(&b, "\x80\x02");
    hb_fill(&b, ']', depth);     /* EMPTY_LIST */
    hb_fill(&b, 'a', depth - 1); /* APPEND: each into the one below */
    hb_text(&b, ".");
    run_case("deep.pkl", &b, b.n, "limit-pickle-depth", 0);
    b.n = 0;
    hb_text(&b, "\x80\x02K\x01"); /* PROTO 2, BININT1 1 */
    for (i = 0; i < 60; i++) {
        hb_text(&b, "22\x87"); /* DUP DUP TUPLE3: (x, x, x) */
    }
    hb_text(&b, ".");
    run_case("laughs.pkl", &b, b.n, "limit-pickle-ops", 0);
    hb_free(&b);
}

/* An index of a million entries naming two shards of one small tensor
 * each: the index check fails (the shards lack the other entries), and the
 * room reserved for the merged inventory before it does is bounded by the
 * tensors the shards hold, not by the entries the index claims: no single
 * allocation reaches twice the index's bytes (the claim reserved a million
 * 64-byte records, 64 MiB for a 25 MiB file, untouched and so not in the
 * peak). */
static void test_index_claims_many(void **state)
{
    struct hbuf b;
    struct hbuf s;
    struct outcome o;
    char path[256];
    const size_t n = 1000000;
    size_t i;
    (void)state;
    hb_init(&s);
    hb_safetensors_one(&s, "t0", 1);
    snprintf(path, sizeof(path), "%s/a.safetensors", dir);
    assert_int_equal(hb_write_file(path, s.d, s.n), 0);
    hb_free(&s);
    hb_init(&s);
    hb_safetensors_one(&s, "t1", 1);
    snprintf(path, sizeof(path), "%s/b.safetensors", dir);
    assert_int_equal(hb_write_file(path, s.d, s.n), 0);
    hb_free(&s);
    hb_init(&b);
    hb_text(&b, "{\"weight_map\":{");
    for (i = 0; i < n; i++) {
        hb_printf(&b, "%s\"t%zu\":\"%s.safetensors\"", i == 0 ? "" : ",", i,
                  i % 2 == 0 ? "a" : "b");
    }
    hb_text(&b, "}}");
    run_case_out(&o, "claims.safetensors.index.json", &b, b.n, "index-missing-tensor", 0);
    print_message("claims.safetensors.index.json: largest allocation %.1f MiB\n",
                  (double)o.largest / MIB);
    assert_true(o.largest < 2 * b.n);
    snprintf(path, sizeof(path), "%s/a.safetensors", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/b.safetensors", dir);
    unlink(path);
    hb_free(&b);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_tensors),
        cmocka_unit_test(test_deep_json),
        cmocka_unit_test(test_many_metadata),
        cmocka_unit_test(test_hash_flood),
        cmocka_unit_test(test_many_shards),
        cmocka_unit_test(test_index_claims_many),
        cmocka_unit_test(test_gguf_counts),
        cmocka_unit_test(test_many_zip_entries),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_pickle_bombs),
    };
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        return child_main(argv[2]);
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
