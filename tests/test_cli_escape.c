/*
 * test_cli_escape.c - text from files on a terminal: files whose tensor
 * names, metadata, shard and file names and pickle globals hold ESC, BEL,
 * CR, LF, C1 controls and bytes that are not UTF-8, generated here, run
 * through the real modelmem program (inspect, inspect -v, estimate,
 * estimate -v, estimate --markdown, estimate --context, verify), and a
 * config.json's quantization method. Nothing written to stdout or stderr
 * may hold, raw, a C0 control other than the newline that ends a line,
 * DEL, a C1 control or bytes that are not UTF-8; every stderr line is one
 * of modelmem's own ("modelmem: " first), and no line anywhere is one a
 * file forged. The text must still be there, escaped: \xHH for C0, DEL
 * and malformed bytes, \u0080..\u009f for C1, UTF-8 as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "hostile_gen.h"

static char root[256];

/* What the last run wrote (freed by the next run and by teardown, so that
 * a failed check leaks nothing). */
struct run {
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
    int status;
};

static struct run last;

/* "中文" in UTF-8: kept as it is. */
#define ZH "\xe4\xb8\xad\xe6\x96\x87"

static char *slurp(const char *path, size_t *len)
{
    struct hbuf b;
    char tmp[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    hb_init(&b);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        hb_put(&b, tmp, n);
    }
    fclose(f);
    hb_put(&b, "", 1);
    *len = b.n - 1;
    return (char *)b.d;
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

/* Runs modelmem with args (NULL-terminated), stdout and stderr to files. */
static void run_modelmem(struct run *r, const char *const *args)
{
    char out_path[300];
    char err_path[300];
    pid_t pid;
    snprintf(out_path, sizeof(out_path), "%s/.stdout", root);
    snprintf(err_path, sizeof(err_path), "%s/.stderr", root);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[8];
        size_t k;
        const int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) {
            _exit(126);
        }
        argv[0] = strdup(MM_BINARY);
        for (k = 0; args[k] != NULL && k + 2 < sizeof(argv) / sizeof(argv[0]); k++) {
            argv[k + 1] = strdup(args[k]);
        }
        argv[k + 1] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &r->status, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    r->out = slurp(out_path, &r->out_len);
    r->err = slurp(err_path, &r->err_len);
}

/* The length of the well-formed UTF-8 sequence at s and its code point
 * (RFC 3629), 0 when malformed: written apart from the program's own. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    size_t i;
    uint32_t c;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        c = s[0] & 0x1fu;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        c = s[0] & 0x0fu;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        c = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3fu);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return len;
}

/* One stream of one run: safe for a terminal, every line modelmem's own. */
static void check_stream(const char *what, const char *stream, const char *text, size_t len,
                         bool diagnostics)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t i = 0;
    size_t line = 0;
    if (len > 0 && text[len - 1] != '\n') {
        fail_msg("%s: %s does not end with a newline", what, stream);
    }
    while (i < len) {
        uint32_t cp = 0;
        size_t k;
        if (i == line) {
            if (diagnostics && strncmp(text + i, "modelmem: ", 10) != 0) {
                fail_msg("%s: %s line at byte %zu is not modelmem's: %.40s", what, stream, i,
                         text + i);
            }
            if (strncmp(text + i, "modelmem: forged", 16) == 0 ||
                strncmp(text + i, "forged", 6) == 0) {
                fail_msg("%s: %s has a forged line at byte %zu", what, stream, i);
            }
        }
        if (u[i] == '\n') {
            line = ++i;
            continue;
        }
        k = utf8_len(u + i, len - i, &cp);
        if (k == 0) {
            fail_msg("%s: %s byte %zu (0x%02x) is not UTF-8", what, stream, i, u[i]);
        }
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            fail_msg("%s: %s holds control character U+%04X raw at byte %zu", what, stream,
                     (unsigned)cp, i);
        }
        i += k;
    }
}

/* Runs `modelmem [A0 [A1 [A2]]] TARGET` (rel under root) and checks both
 * streams and the exit status, 0 or 1. */
static const struct run *run_checked(const char *a0, const char *a1, const char *a2,
                                     const char *rel)
{
    const char *const given[3] = {a0, a1, a2};
    struct run *r = &last;
    char target[600];
    char what[700];
    const char *args[5];
    size_t len = 0;
    size_t k = 0;
    size_t i;
    snprintf(target, sizeof(target), "%s/%s", root, rel);
    len += (size_t)snprintf(what, sizeof(what), "modelmem");
    for (i = 0; i < 3; i++) {
        if (given[i] != NULL) {
            args[k++] = given[i];
            len += (size_t)snprintf(what + len, sizeof(what) - len, " %s", given[i]);
        }
    }
    snprintf(what + len, sizeof(what) - len, " %s", rel);
    args[k++] = target;
    args[k] = NULL;
    run_free(r);
    run_modelmem(r, args);
    if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) > 1) {
        fail_msg("%s: status 0x%x, expected exit 0 or 1", what, (unsigned)r->status);
    }
    check_stream(what, "stdout", r->out, r->out_len, false);
    check_stream(what, "stderr", r->err, r->err_len, true);
    return r;
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (strstr(text, want) == NULL) {
        fail_msg("%s: '%s' not found in:\n%s", what, want, text);
    }
}

/* What `write` prints for s and n through a struct out, in got. */
static void written(char *got, size_t size, void (*write)(struct out *, const char *, size_t),
                    const char *s, size_t n)
{
    static struct out o;
    size_t len;
    FILE *f = tmpfile();
    assert_non_null(f);
    out_init(&o, f);
    write(&o, s, n);
    out_flush(&o);
    rewind(f);
    len = fread(got, 1, size - 1, f);
    fclose(f);
    got[len] = '\0';
}

/* out_textn's output for n bytes of s. */
static void expect_text(const char *s, size_t n, const char *want)
{
    char got[256];
    written(got, sizeof(got), out_textn, s, n);
    assert_string_equal(got, want);
}

/* The writer itself, at the edges of UTF-8 (RFC 3629, Table 3). */
static void test_text_writer(void **state)
{
    (void)state;
    expect_text("plain.name 0-9", 14, "plain.name 0-9");
    expect_text("a\0b", 3, "a\\x00b");
    expect_text("\x1b[2J\x07", 5, "\\x1b[2J\\x07");
    expect_text("\n\r\t\x7f\\", 5, "\\x0a\\x0d\\x09\\x7f\\");
    expect_text("\xc2\x80\xc2\x9b\xc2\x9f\xc2\xa0", 8, "\\u0080\\u009b\\u009f\xc2\xa0");
    expect_text("\xc0\xaf\xc1\xbf", 4, "\\xc0\\xaf\\xc1\\xbf");          /* overlong */
    expect_text("\xe0\x80\xaf", 3, "\\xe0\\x80\\xaf");                  /* overlong */
    expect_text("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");                  /* surrogate */
    expect_text("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");          /* > U+10FFFF */
    expect_text("\xf5\xff\xfe", 3, "\\xf5\\xff\\xfe");
    expect_text("\xe4\xb8", 2, "\\xe4\\xb8");                           /* cut short */
    expect_text("\xe4\xb8" "a", 3, "\\xe4\\xb8" "a");
    expect_text(ZH "\xf0\x9f\x98\x80", 10, ZH "\xf0\x9f\x98\x80");     /* kept */
    assert_int_equal(out_text_width("\x1b" ZH "\xc2\x9b\xff"), 4 + 2 + 6 + 4);
    assert_int_equal(out_text_width("name"), 4);
}

static void expect_cut(const char *s, size_t cols, const char *want)
{
    char got[256];
    written(got, sizeof(got), out_text_cut, s, cols);
    assert_string_equal(got, want);
    assert_true(out_text_width(got) <= cols || strcmp(got, s) == 0);
}

/* Fitting and cutting count an escape as its printed length and never
 * split one or a UTF-8 sequence. */
static void test_text_fit_and_cut(void **state)
{
    size_t used = 0;
    (void)state;
    assert_int_equal(out_text_fit("abcdef", 6, 4, &used), 4);
    assert_int_equal(used, 4);
    assert_int_equal(out_text_fit("ab\x1b" "cd", 5, 5, &used), 2); /* \x1b: 4 columns */
    assert_int_equal(used, 2);
    assert_int_equal(out_text_fit("ab\x1b" "cd", 5, 6, &used), 3);
    assert_int_equal(used, 6);
    assert_int_equal(out_text_fit(ZH "x", 7, 2, &used), 6);
    assert_int_equal(used, 2);
    assert_int_equal(out_text_fit("\xc2\x9b", 2, 5, NULL), 0); /* \u009b: 6 */
    expect_cut("short", 10, "short");
    expect_cut("abcdefghijklmnop", 10, "abcd...nop");
    expect_cut("/a/b/" ZH ZH "/c/d/e/f", 9, "/a/...e/f");
    expect_cut("ab\x1b" "cdefghij", 10, "ab...fghij"); /* the tail takes what is left */
    expect_cut("abcdefgh\x1b", 10, "abcd...");          /* \x1b does not fit the tail */
}

/* Every command on one target. */
static void run_all(const char *rel)
{
    static const char *const cmds[][2] = {
        {"inspect", NULL},  {"inspect", "-v"},         {"estimate", NULL},
        {"estimate", "-v"}, {"estimate", "--markdown"}, {"verify", NULL},
    };
    size_t i;
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        (void)run_checked(cmds[i][0], cmds[i][1], NULL, rel);
    }
}

static void put_file(const char *rel, const void *d, size_t n)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(hb_write_file(p, d, n), 0);
}

static void put_text(const char *rel, const char *text)
{
    put_file(rel, text, strlen(text));
}

static void put_st(const char *rel, const char *header, size_t data)
{
    struct hbuf h;
    struct hbuf f;
    hb_init(&h);
    hb_init(&f);
    hb_text(&h, header);
    hb_safetensors(&f, &h, data);
    put_file(rel, f.d, f.n);
    hb_free(&h);
    hb_free(&f);
}

static void mkdir_rel(const char *rel)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void test_safetensors_names(void **state)
{
    const struct run *r;
    (void)state;
    put_st("names.safetensors",
           "{\"__metadata__\":{\"format\":\"pt\\u001b]2;meta\\u0007\","
           "\"note\\u001b[2J\":\"x\\r\\nmodelmem: forged metadata\"},"
           "\"a\\u001b]0;pwned\\u0007b\":{\"dtype\":\"F32\",\"shape\":[2],"
           "\"data_offsets\":[0,8]},"
           "\"c\\r\\nmodelmem: forged tensor\\u001b[31m\":{\"dtype\":\"F32\",\"shape\":[4],"
           "\"data_offsets\":[8,24]},"
           "\"\\u009b2J\\u0085x\\t\\u007f\":{\"dtype\":\"F32\",\"shape\":[1],"
           "\"data_offsets\":[24,28]},"
           "\"\\u4e2d\\u6587.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]}}",
           32);
    run_all("names.safetensors");
    r = run_checked("inspect", NULL, NULL, "names.safetensors");
    expect_in("inspect", r->out, "  a\\x1b]0;pwned\\x07b ");
    expect_in("inspect", r->out, "  c\\x0d\\x0amodelmem: forged tensor\\x1b[31m ");
    expect_in("inspect", r->out, "  \\u009b2J\\u0085x\\x09\\x7f ");
    expect_in("inspect", r->out, "  " ZH ".weight ");
    expect_in("inspect", r->out, "note\\x1b[2J = x\\x0d\\x0amodelmem: forged metadata\n");
    r = run_checked(NULL, NULL, NULL, "names.safetensors");
    expect_in("estimate", r->out,
              "Largest layer: c\\x0d\\x0amodelmem: forged tensor\\x1b[31m (4 parameters)\n");
    r = run_checked("estimate", "--markdown", NULL, "names.safetensors");
    expect_in("estimate --markdown", r->out,
              "- Largest layer: c\\x0d\\x0amodelmem: forged tensor\\x1b[31m (4 parameters)\n");
    /* an error line naming such a tensor (C1 and ESC) */
    put_st("bad-dtype.safetensors",
           "{\"e\\u009b\\u001b[2J\\nmodelmem: forged error\":{\"dtype\":\"X9\",\"shape\":[1],"
           "\"data_offsets\":[0,1]}}",
           1);
    run_all("bad-dtype.safetensors");
    r = run_checked("inspect", NULL, NULL, "bad-dtype.safetensors");
    expect_in("error", r->err, "e\\u009b");
}

static void test_gguf_strings(void **state)
{
    static const char name[] = "x\x1b]0;t\x07\r\nmodelmem: forged gguf\xff\xc0\xc2\x9b";
    static const char key[] = "evil\x1b[2Jkey\xfe";
    static const char tensor[] = "blk.0\x1b[31m\nmodelmem: forged\xfe";
    const uint64_t dims[1] = {4};
    struct hbuf b;
    const struct run *r;
    (void)state;
    hb_init(&b);
    hb_gguf_header(&b, 3, 1, 2);
    hb_gguf_str(&b, "general.name", 12);
    hb_u32(&b, 8); /* string */
    hb_gguf_str(&b, name, sizeof(name) - 1);
    hb_gguf_str(&b, key, sizeof(key) - 1);
    hb_u32(&b, 4); /* u32 */
    hb_u32(&b, 1);
    hb_gguf_tensor(&b, tensor, sizeof(tensor) - 1, 1, dims, 0 /* F32 */, 0);
    hb_fill(&b, 0, (32 - b.n % 32) % 32 + 16);
    put_file("strings.gguf", b.d, b.n);
    hb_free(&b);
    run_all("strings.gguf");
    r = run_checked("inspect", NULL, NULL, "strings.gguf");
    expect_in("inspect", r->out,
              "general.name = x\\x1b]0;t\\x07\\x0d\\x0amodelmem: forged gguf\\xff\\xc0\\u009b\n");
    expect_in("inspect", r->out, "evil\\x1b[2Jkey\\xfe = 1\n");
    expect_in("inspect", r->out, "  blk.0\\x1b[31m\\x0amodelmem: forged\\xfe ");
    /* JSON stays valid UTF-8: C1 controls escaped, bytes that are not
     * UTF-8 replaced by U+FFFD. */
    r = run_checked("inspect", "--json", NULL, "strings.gguf");
    expect_in("inspect --json", r->out,
              "x\\u001b]0;t\\u0007\\r\\nmodelmem: forged gguf\\ufffd\\ufffd\\u009b\"");
    expect_in("inspect --json", r->out, "\"blk.0\\u001b[31m\\nmodelmem: forged\\ufffd\"");
}

static void test_index_and_folder_names(void **state)
{
    static const char shard[] = "ok/s\xc2\x9b\xe2\x80\x8b.safetensors";
    static const char file[] = "dir/bad\x1b]0;x\x07\xff.safetensors";
    struct hbuf f;
    const struct run *r;
    (void)state;
    mkdir_rel("ok");
    put_text("ok/model.safetensors.index.json",
             "{\"metadata\":{\"total_size\":8},\"weight_map\":{\"w\\u001b[2J\":"
             "\"s\\u009b\\u200b.safetensors\"}}");
    hb_init(&f);
    hb_safetensors_one(&f, "w\\u001b[2J", 2);
    put_file(shard, f.d, f.n);
    mkdir_rel("gone");
    put_text("gone/model.safetensors.index.json",
             "{\"weight_map\":{\"w\\u001b[2J\":\"s.safetensors\","
             "\"gone\\u001b]0;x\\u0007\\nmodelmem: forged index\":\"s.safetensors\"}}");
    put_file("gone/s.safetensors", f.d, f.n);
    mkdir_rel("unsafe");
    put_text("unsafe/model.safetensors.index.json",
             "{\"weight_map\":{\"v\\u0085\":\"t\\u001b\\u009b.safetensors\"}}");
    mkdir_rel("dir");
    put_file(file, f.d, f.n);
    hb_free(&f);
    run_all("ok");
    run_all("gone");
    run_all("unsafe");
    run_all("dir");
    r = run_checked("inspect", NULL, NULL, "ok");
    expect_in("inspect", r->out, "] s\\u009b\xe2\x80\x8b.safetensors  safetensors");
    expect_in("inspect", r->out, "  w\\x1b[2J ");
    r = run_checked("verify", NULL, NULL, "gone");
    /* the library's errors already show C0 controls as '?' */
    expect_in("verify", r->out, "(tensor gone?]0;x??modelmem: forged index, byte ");
    r = run_checked("inspect", NULL, NULL, "unsafe");
    expect_in("error", r->err, "(tensor v\\u0085, byte ");
    r = run_checked("inspect", NULL, NULL, "dir");
    expect_in("inspect", r->out, "] bad\\x1b]0;x\\x07\\xff.safetensors  safetensors");
    r = run_checked("inspect", "-v", NULL, "dir");
    expect_in("inspect -v", r->err, "modelmem: read bad\\x1b]0;x\\x07\\xff.safetensors (");
}

/* SHORT_BINUNICODE: a one-byte length, then the UTF-8 bytes. */
static void pk_str(struct hbuf *b, const char *s)
{
    const uint8_t len = (uint8_t)strlen(s);
    hb_put(b, "\x8c", 1);
    hb_put(b, &len, 1);
    hb_text(b, s);
}

/* A plain pickle (no zip) importing globals whose names hold controls:
 * STACK_GLOBAL with SHORT_BINUNICODE strings (ESC, BEL, a C1 control, LF),
 * then GLOBAL with raw bytes (ESC, bytes that are not UTF-8, CR); each
 * called on an empty dict and popped. */
static void test_pickle_globals(void **state)
{
    struct hbuf b;
    const struct run *r;
    (void)state;
    hb_init(&b);
    hb_text(&b, "\x80\x04");
    pk_str(&b, "my\x1b]0;pwned\x07mod\xc2\x9b");
    pk_str(&b, "Cls\nmodelmem: forged pkl");
    hb_text(&b, "\x93}\x85R0");
    hb_text(&b, "cev\x1bil\xff\x9b\nna\rme\n}\x85R0");
    hb_text(&b, "}.");
    put_file("globals.pkl", b.d, b.n);
    hb_free(&b);
    run_all("globals.pkl");
    r = run_checked("inspect", NULL, NULL, "globals.pkl");
    expect_in("warning", r->err,
              "modelmem: globals.pkl: warning: pickle imports my\\x1b]0;pwned\\x07mod\\u009b.Cls"
              "\\x0amodelmem: forged pkl");
    expect_in("warning", r->err, "pickle imports ev\\x1bil\\xff\\x9b.na\\x0dme");
    r = run_checked("verify", NULL, NULL, "globals.pkl");
    expect_in("verify", r->out, "my\\x1b]0;pwned\\x07mod\\u009b.Cls\\x0amodelmem: forged pkl");
    expect_in("verify", r->out, "pickle imports ev\\x1bil\\xff\\x9b.na\\x0dme");
}

/* config.json's quantization method, shown by estimate's memory lines. */
static void test_config_text(void **state)
{
    struct hbuf f;
    const struct run *r;
    (void)state;
    mkdir_rel("quant");
    hb_init(&f);
    hb_safetensors_one(&f, "w", 16);
    put_file("quant/model.safetensors", f.d, f.n);
    hb_free(&f);
    put_text("quant/config.json",
             "{\"model_type\":\"llama\",\"hidden_size\":4,\"num_hidden_layers\":1,"
             "\"num_attention_heads\":1,\"vocab_size\":4,\"intermediate_size\":4,"
             "\"quantization_config\":{\"quant_method\":\"gptq\\u001b]0;x\\u0007\\u009b\"}}");
    r = run_checked("--context", "16", NULL, "quant");
    expect_in("estimate --context", r->out, "(quantization: gptq\\x1b]0;x\\x07\\u009b; ");
    r = run_checked("--context", "16", "--markdown", "quant");
    expect_in("estimate --markdown", r->out, "(quantization: gptq\\x1b]0;x\\x07\\u009b; ");
}

static int setup(void **state)
{
    (void)state;
    return hb_tmpdir(root, sizeof(root), "mm-escape");
}

static int teardown(void **state)
{
    (void)state;
    run_free(&last);
    return hb_rmtree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_writer),
        cmocka_unit_test(test_text_fit_and_cut),
        cmocka_unit_test_setup_teardown(test_safetensors_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gguf_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_and_folder_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pickle_globals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
