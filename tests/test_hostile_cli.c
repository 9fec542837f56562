/*
 * test_hostile_cli.c - hostile files, generated here, run through the real
 * modelmem program as a user would run it (`modelmem inspect FILE` and
 * `modelmem FILE`): each must end within a second with exit status 1,
 * nothing on stdout, and exactly one line on stderr, "modelmem: " and the
 * file's path first. The second is of processor time (user + system, from
 * getrusage), so that a loaded machine does not fail the test; wall time
 * only catches a hang. The cases: truncated and oversized files, absurd
 * GGUF counts, JSON nesting bombs, self-referential and path-escaping
 * indexes, control characters in names, FIFOs.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostile_gen.h"
#include "modelmem.h"

#define TIME_LIMIT_S 1.0

static char root[256];

/* Processor time of the children waited for so far. */
static double children_cpu(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_CHILDREN, &ru), 0);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads a small file whole (into a static buffer). */
static const char *slurp(const char *path, size_t *len)
{
    static char buf[8192];
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Runs modelmem [SUBCOMMAND] TARGET and checks how it ends. */
static void run_one(const char *sub, const char *target, const char *what)
{
    char out_path[300];
    char err_path[300];
    const char *text;
    size_t len;
    size_t i;
    size_t lines = 0;
    int status = 0;
    double t0;
    double cpu0;
    double took;
    pid_t pid;
    snprintf(out_path, sizeof(out_path), "%s/.stdout", root);
    snprintf(err_path, sizeof(err_path), "%s/.stderr", root);
    cpu0 = children_cpu();
    t0 = now();
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char prog[] = MM_BINARY;
        char subc[32];
        char arg[600];
        char *args[4];
        int k = 0;
        const int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) {
            _exit(126);
        }
        snprintf(subc, sizeof(subc), "%s", sub);
        snprintf(arg, sizeof(arg), "%s", target);
        args[k++] = prog;
        if (sub[0] != '\0') {
            args[k++] = subc;
        }
        args[k++] = arg;
        args[k] = NULL;
        execv(prog, args);
        _exit(127);
    }
    for (;;) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        const struct timespec pause = {0, 2000000};
        if (r == pid) {
            break;
        }
        assert_true(r == 0 || (r < 0 && errno == EINTR));
        if (now() - t0 > 30 * TIME_LIMIT_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("%s: modelmem %s hung", what, sub);
        }
        nanosleep(&pause, NULL);
    }
    took = children_cpu() - cpu0;
    text = slurp(err_path, &len);
    for (i = 0; i < len; i++) {
        lines += text[i] == '\n';
    }
    print_message("%-28s %-8s %.3f s cpu  %s", what, sub[0] != '\0' ? sub : "estimate", took, text);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
        fail_msg("%s: modelmem %s: status 0x%x, expected exit 1", what, sub, (unsigned)status);
    }
    if (lines != 1 || len == 0 || text[len - 1] != '\n') {
        fail_msg("%s: stderr has %zu lines, expected one", what, lines);
    }
    if (strncmp(text, "modelmem: ", 10) != 0 || strncmp(text + 10, root, strlen(root)) != 0) {
        fail_msg("%s: stderr does not start with 'modelmem: %s'", what, root);
    }
    (void)slurp(out_path, &len);
    assert_int_equal(len, 0);
    if (took > TIME_LIMIT_S) {
        fail_msg("%s: took %.2f s of processor time, more than %.1f s", what, took,
                 TIME_LIMIT_S);
    }
}

static void run_both(const char *rel, const char *what)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    run_one("inspect", p, what);
    run_one("", p, what);
}

static void put_file(const char *rel, const struct hbuf *b)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(hb_write_file(p, b->d, b->n), 0);
}

static void put_text(const char *rel, const char *text)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(hb_write_file(p, text, strlen(text)), 0);
}

static void mkdir_rel(const char *rel)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

/* A safetensors file whose header is `header` (text), with `data` bytes. */
static void put_st(const char *rel, const char *header, size_t data)
{
    struct hbuf h;
    struct hbuf f;
    hb_init(&h);
    hb_init(&f);
    hb_text(&h, header);
    hb_safetensors(&f, &h, data);
    put_file(rel, &f);
    hb_free(&h);
    hb_free(&f);
}

static void test_truncated_and_oversized(void **state)
{
    struct hbuf b;
    (void)state;
    hb_init(&b);
    put_file("empty.safetensors", &b);
    run_both("empty.safetensors", "empty file");
    hb_text(&b, "1234567");
    put_file("seven.safetensors", &b);
    run_both("seven.safetensors", "7 bytes");
    b.n = 0;
    hb_u64(&b, 100);
    hb_text(&b, "{\"a\":{\"dtype\":\"F32\"");
    put_file("truncated.safetensors", &b);
    run_both("truncated.safetensors", "header cut short");
    b.n = 0;
    hb_u64(&b, UINT64_MAX);
    hb_text(&b, "{}");
    put_file("huge-length.safetensors", &b);
    run_both("huge-length.safetensors", "length 2^64-1");
    b.n = 0;
    hb_u64(&b, (uint64_t)MM_LIMIT_HEADER_BYTES + 1);
    hb_text(&b, "{}");
    put_file("over-limit.safetensors", &b);
    run_both("over-limit.safetensors", "length over the limit");
    put_st("data-short.safetensors",
           "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,"
           "4000000000000]}}",
           16);
    run_both("data-short.safetensors", "data past the end");
    put_st("shape-overflow.safetensors",
           "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
           8);
    run_both("shape-overflow.safetensors", "element count overflow");
    b.n = 0;
    hb_u64(&b, 4);
    hb_put(&b, "{\"\xff\"", 4);
    put_file("not-utf8.safetensors", &b);
    run_both("not-utf8.safetensors", "invalid UTF-8");
    hb_free(&b);
}

static void test_gguf_counts(void **state)
{
    struct hbuf b;
    const uint64_t huge_dims[2] = {UINT64_MAX, UINT64_MAX};
    (void)state;
    hb_init(&b);
    hb_gguf_header(&b, 3, UINT64_MAX, UINT64_MAX);
    put_file("counts.gguf", &b);
    run_both("counts.gguf", "GGUF counts 2^64-1");
    b.n = 0;
    hb_gguf_header(&b, 3, 0, MM_LIMIT_GGUF_KV);
    put_file("kv.gguf", &b);
    run_both("kv.gguf", "GGUF 10^6 entries, none");
    b.n = 0;
    hb_gguf_header(&b, 3, 0, 1);
    hb_gguf_str(&b, "k", 1);
    hb_u32(&b, 9);
    hb_u32(&b, 8);
    hb_u64(&b, UINT64_MAX);
    put_file("array.gguf", &b);
    run_both("array.gguf", "GGUF array of 2^64-1");
    b.n = 0;
    hb_gguf_header(&b, 3, 0, 1);
    hb_u64(&b, UINT64_MAX);
    hb_fill(&b, 'k', 64);
    put_file("key.gguf", &b);
    run_both("key.gguf", "GGUF key of 2^64-1 bytes");
    b.n = 0;
    hb_gguf_header(&b, 3, 1, 0);
    hb_gguf_tensor(&b, "t", 1, 2, huge_dims, 0, 0);
    put_file("dims.gguf", &b);
    run_both("dims.gguf", "GGUF dims 2^64-1");
    b.n = 0;
    hb_gguf_header(&b, 3, 1, 0);
    hb_gguf_str(&b, "t", 1);
    hb_u32(&b, 0xffffffffu); /* rank, and no dimension follows */
    hb_fill(&b, 0, 64);
    put_file("rank.gguf", &b);
    run_both("rank.gguf", "GGUF rank 2^32-1");
    b.n = 0;
    hb_gguf_header(&b, 1, 0, 0);
    put_file("v1.gguf", &b);
    run_both("v1.gguf", "GGUF version 1");
    hb_free(&b);
}

static void test_json_bombs(void **state)
{
    struct hbuf h;
    struct hbuf f;
    size_t i;
    (void)state;
    hb_init(&h);
    hb_init(&f);
    hb_fill(&h, '[', 1000000);
    hb_safetensors(&f, &h, 0);
    put_file("brackets.safetensors", &f);
    run_both("brackets.safetensors", "10^6 '[' header");
    h.n = 0;
    f.n = 0;
    for (i = 0; i < 200000; i++) {
        hb_text(&h, "{\"a\":");
    }
    hb_safetensors(&f, &h, 0);
    put_file("objects.safetensors", &f);
    run_both("objects.safetensors", "2x10^5 nested objects");
    h.n = 0;
    hb_text(&h, "{\"weight_map\":{},\"x\":");
    hb_nest(&h, 5000000);
    hb_text(&h, "}");
    mkdir_rel("deep");
    put_file("deep/model.safetensors.index.json", &h);
    run_both("deep", "index nested 5x10^6 deep");
    h.n = 0;
    hb_text(&h, "{\"unet\":");
    hb_nest(&h, 100000);
    hb_text(&h, "}");
    mkdir_rel("pipe");
    put_file("pipe/model_index.json", &h);
    run_both("pipe", "model_index.json nested");
    hb_free(&h);
    hb_free(&f);
}

static void test_indexes(void **state)
{
    char p[600];
    (void)state;
    mkdir_rel("self");
    put_text("self/model.safetensors.index.json",
             "{\"weight_map\":{\"a\":\"model.safetensors.index.json\"}}");
    run_both("self", "index naming itself");
    mkdir_rel("loop");
    put_text("loop/model.safetensors.index.json",
             "{\"weight_map\":{\"a\":\"other.safetensors.index.json\"}}");
    put_text("loop/other.safetensors.index.json",
             "{\"weight_map\":{\"a\":\"model.safetensors.index.json\"}}");
    run_both("loop", "two indexes naming each other");
    mkdir_rel("escape");
    put_text("escape/model.safetensors.index.json",
             "{\"weight_map\":{\"a\":\"../../../../etc/passwd\"}}");
    run_both("escape", "index naming ../");
    put_text("escape/model.safetensors.index.json", "{\"weight_map\":{\"a\":\"/etc/passwd\"}}");
    run_both("escape", "index naming /etc/passwd");
    put_text("escape/model.safetensors.index.json",
             "{\"weight_map\":{\"a\":\"s.safetensors\"}}");
    snprintf(p, sizeof(p), "%s/escape/s.safetensors", root);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    run_both("escape", "shard linking to /etc/passwd");
    mkdir_rel("modules");
    put_text("modules/modules.json", "[{\"path\": \"../../..\"}, {\"path\": \"/etc\"}]");
    run_both("modules", "modules.json climbing out");
    mkdir_rel("manymap");
    {
        struct hbuf h;
        hb_init(&h);
        hb_text(&h, "{\"weight_map\":{");
        for (size_t i = 0; i < 100000; i++) {
            hb_printf(&h, "%s\"t%zu\":\"s%zu.safetensors\"", i == 0 ? "" : ",", i, i);
        }
        hb_text(&h, "}}");
        put_file("manymap/model.safetensors.index.json", &h);
        hb_free(&h);
    }
    run_both("manymap", "10^5 missing shards");
}

static void test_names_and_types(void **state)
{
    char p[600];
    (void)state;
    /* a tensor name holding a newline, in an error that names it */
    put_st("newline-name.safetensors",
           "{\"a\\nmodelmem: forged\":{\"dtype\":\"X9\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    run_both("newline-name.safetensors", "newline in a tensor name");
    /* a file name holding a newline */
    put_st("bad\nname.safetensors",
           "{\"a\":{\"dtype\":\"X9\",\"shape\":[],\"data_offsets\":[0,1]}}", 1);
    run_both("bad\nname.safetensors", "newline in a file name");
    snprintf(p, sizeof(p), "%s/fifo.safetensors", root);
    assert_int_equal(mkfifo(p, 0600), 0);
    run_both("fifo.safetensors", "FIFO");
    put_text("text.safetensors", "hello, world\n");
    run_both("text.safetensors", "text named .safetensors");
    put_text("notes.bin", "PK\003\004 not really a zip");
    run_both("notes.bin", "unknown format");
}

static int setup(void **state)
{
    (void)state;
    return hb_tmpdir(root, sizeof(root), "mm-hostile");
}

static int teardown(void **state)
{
    (void)state;
    return hb_rmtree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_truncated_and_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gguf_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_bombs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_types, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
