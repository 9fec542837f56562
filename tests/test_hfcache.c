/*
 * test_hfcache.c - repository ids resolved in a Hugging Face cache layout
 * built in a temporary folder; nothing else is looked at.
 *
 * The cache stays the cache: a link that leads out of models--ORG--NAME -
 * a snapshot folder, a ref (or a ref whose content climbs out), a file of
 * the snapshot, a file or folder in a sub-folder of it - is refused with
 * shard-outside-folder, through the library (resolve, load, verify with
 * checksums) and through the modelmem program (exit 1, one line on stderr
 * naming the file). The library's open(2) is intercepted with the linker's
 * --wrap, to prove that nothing under outside/ is ever opened.
 */
#include <fcntl.h>
#include <limits.h>
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

#include "core/sha256.h"
#include "hostile_gen.h"
#include "modelmem.h"

static char cache[256];

static int setup(void **state)
{
    char cmd[1024];
    (void)state;
    snprintf(cache, sizeof(cache), "/tmp/mm_hfcache_XXXXXX");
    if (mkdtemp(cache) == NULL) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -p models--org--name/refs models--org--name/snapshots/c0ffee "
             "models--org--name/snapshots/beef models--org--name/refs/pr && "
             "printf 'c0ffee\\n' > models--org--name/refs/main && "
             "printf 'beef' > models--org--name/refs/v2 && "
             "printf '../../x' > models--org--name/refs/evil && "
             "mkdir -p models--Big-Org--Some.Model/refs "
             "models--Big-Org--Some.Model/snapshots/1234abcd0000 "
             "models--Big-Org--Some.Model/snapshots/1234ffff0000 "
             "models--Big-Org--Some.Model/snapshots/98765432aaaa && "
             "printf '98765432aaaa' > models--Big-Org--Some.Model/refs/main && "
             "mkdir -p models--twin--a/snapshots models--Twin--A/snapshots",
             cache);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_syntax(void **state)
{
    (void)state;
    assert_true(mm_hf_repo_id_syntax("org/name"));
    assert_true(mm_hf_repo_id_syntax("meta-llama/Llama-3.1-8B@main"));
    assert_true(mm_hf_repo_id_syntax("a_b/c.d@0123456789abcdef"));
    assert_false(mm_hf_repo_id_syntax("name"));
    assert_false(mm_hf_repo_id_syntax("a/b/c"));
    assert_false(mm_hf_repo_id_syntax("../b"));
    assert_false(mm_hf_repo_id_syntax("a/.."));
    assert_false(mm_hf_repo_id_syntax("a/b@../x"));
    assert_false(mm_hf_repo_id_syntax("a/b@"));
    assert_false(mm_hf_repo_id_syntax("a/b c"));
    assert_false(mm_hf_repo_id_syntax("/abs/path"));
}

static void expect_path(const char *id, const char *tail)
{
    char out[1024];
    char want[PATH_MAX + 64];
    char real[PATH_MAX];
    struct mm_error err;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, id, &err), MM_OK);
    assert_non_null(realpath(cache, real)); /* the snapshot's real path is given back */
    snprintf(want, sizeof(want), "%s/models--org--name/snapshots/%s", real, tail);
    assert_string_equal(out, want);
}

static void expect_fail(const char *id, enum mm_status st)
{
    char out[1024];
    struct mm_error err;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, id, &err), st);
    assert_true(err.message[0] != '\0');
}

static void test_resolve(void **state)
{
    (void)state;
    expect_path("org/name", "c0ffee");
    expect_path("org/name@main", "c0ffee");
    expect_path("org/name@v2", "beef");
    expect_path("org/name@beef", "beef"); /* a commit given directly */
    expect_fail("org/other", MM_ERR_NOT_FOUND);
    expect_fail("org/name@v3", MM_ERR_NOT_FOUND);
    expect_fail("org/name@evil", MM_ERR_UNSAFE); /* a ref that climbs out: refused */
    expect_fail("not-an-id", MM_ERR_INVALID_ARG);
}

/* The message of a failed resolve contains `want`. */
static void expect_fail_saying(const char *id, enum mm_status st, const char *want)
{
    char out[1024];
    struct mm_error err;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, id, &err), st);
    if (want[0] == '\0' ? strstr(err.message, "did you mean") != NULL
                        : strstr(err.message, want) == NULL) {
        fail_msg("%s: \"%s\" does not say \"%s\"", id, err.message, want);
    }
}

static void expect_big(const char *id, const char *snapshot)
{
    char out[1024];
    char want[PATH_MAX + 64];
    char real[PATH_MAX];
    struct mm_error err;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, id, &err), MM_OK);
    assert_non_null(realpath(cache, real));
    snprintf(want, sizeof(want), "%s/models--Big-Org--Some.Model/snapshots/%s", real, snapshot);
    assert_string_equal(out, want);
}

/* Ids as people type them: any case, short hashes, near misses. */
static void test_names(void **state)
{
    (void)state;
    expect_big("Big-Org/Some.Model", "98765432aaaa");
    expect_big("big-org/some.model", "98765432aaaa");
    expect_big("BIG-ORG/SOME.MODEL@main", "98765432aaaa");
    expect_big("big-org/some.model@1234a", "1234abcd0000");
    expect_big("big-org/some.model@1234FF", "1234ffff0000");
    expect_big("big-org/some.model@9876", "98765432aaaa");
    /* ambiguous: both candidates named */
    expect_fail_saying("big-org/some.model@1234", MM_ERR_INVALID_ARG, "1234abcd0000");
    expect_fail_saying("big-org/some.model@1234", MM_ERR_INVALID_ARG, "1234ffff0000");
    /* under 4 hex digits, or no snapshot begins so: not found */
    expect_fail("big-org/some.model@123", MM_ERR_NOT_FOUND);
    expect_fail("big-org/some.model@abcd", MM_ERR_NOT_FOUND);
    /* near misses are named; far ones are not */
    expect_fail_saying("big-org/some.modl", MM_ERR_NOT_FOUND, "did you mean Big-Org/Some.Model?");
    expect_fail_saying("big-orgg/sme.model", MM_ERR_NOT_FOUND, "did you mean Big-Org/Some.Model?");
    expect_fail_saying("other/Some.Model", MM_ERR_NOT_FOUND, "did you mean Big-Org/Some.Model?");
    expect_fail_saying("org/nmae", MM_ERR_NOT_FOUND, "did you mean org/name?");
    expect_fail_saying("completely/different", MM_ERR_NOT_FOUND, "");
    /* two folders that differ only in case */
    expect_fail_saying("TWIN/a", MM_ERR_INVALID_ARG, "differ only in case");
}

/* A models--ORG--NAME folder given as a path follows refs/main, or @REV. */
static void test_repo_dir(void **state)
{
    char path[600];
    char out[1024];
    char want[PATH_MAX + 64];
    char real[PATH_MAX];
    struct mm_error err;
    (void)state;
    assert_non_null(realpath(cache, real));
    snprintf(path, sizeof(path), "%s/models--org--name", cache);
    assert_true(mm_hf_repo_dir(path));
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_OK);
    snprintf(want, sizeof(want), "%s/models--org--name/snapshots/c0ffee", real);
    assert_string_equal(out, want);
    snprintf(path, sizeof(path), "%s/models--org--name/", cache);
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_OK);
    assert_string_equal(out, want);
    snprintf(path, sizeof(path), "%s/models--org--name@v2", cache);
    assert_true(mm_hf_repo_dir(path));
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_OK);
    snprintf(want, sizeof(want), "%s/models--org--name/snapshots/beef", real);
    assert_string_equal(out, want);
    snprintf(path, sizeof(path), "%s/models--Big-Org--Some.Model@1234f", cache);
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_OK);
    snprintf(want, sizeof(want), "%s/models--Big-Org--Some.Model/snapshots/1234ffff0000", real);
    assert_string_equal(out, want);
    snprintf(path, sizeof(path), "%s/models--org--name@evil", cache);
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_ERR_UNSAFE);
    snprintf(path, sizeof(path), "%s/models--org--name@nope", cache);
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_ERR_NOT_FOUND);
    /* a folder name typed in another case */
    snprintf(path, sizeof(path), "%s/models--BIG-ORG--some.model@1234f", cache);
    assert_true(mm_hf_repo_dir(path));
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_OK);
    assert_string_equal(out, want);
    snprintf(path, sizeof(path), "%s/models--TWIN--A", cache);
    assert_false(mm_hf_repo_dir(path)); /* two folders match: none is taken */
    /* not repository folders */
    snprintf(path, sizeof(path), "%s/models--org--name/snapshots", cache);
    assert_false(mm_hf_repo_dir(path));
    assert_false(mm_hf_repo_dir(cache));
    snprintf(path, sizeof(path), "%s/models--none--here", cache);
    assert_false(mm_hf_repo_dir(path));
    assert_int_equal(mm_hf_repo_dir_resolve(out, sizeof(out), path, &err), MM_ERR_INVALID_ARG);
}

static void test_short_buffer(void **state)
{
    char out[8];
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, "org/name", &err),
                     MM_ERR_LIMIT);
}

/* ---- Links that lead out of the repository folder ------------------------- */

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);

static char root[256];      /* root/hub is the cache, root/outside is not */
static int outside_opens;   /* opens by the library of a file under root/outside */

int __wrap_open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode = 0;
    char out[300];
    va_start(ap, flags);
    if ((flags & O_CREAT) != 0) {
        mode = (mode_t)va_arg(ap, int);
    }
    va_end(ap);
    snprintf(out, sizeof(out), "%s/outside/", root);
    if (root[0] != '\0' && strncmp(path, out, strlen(out)) == 0) {
        outside_opens++;
    }
    return __real_open(path, flags, mode);
}

#define REPO "hub/models--o--n"

static char blob_sha[65]; /* the SHA-256 of the one blob, its name */

static const char *at(const char *rel)
{
    return hb_path(root, rel);
}

static void mkdirs(const char *rel)
{
    assert_int_equal(hb_mkdirs(root, rel), 0);
}

static void put(const char *rel, const char *text)
{
    assert_int_equal(hb_write_file(at(rel), text, strlen(text)), 0);
}

/* A link at rel to `to`, relative as written, or under root when it starts
 * with '@' ("@outside/x" is root/outside/x, an absolute link). */
static void link_to(const char *to, const char *rel)
{
    const char *target = to[0] == '@' ? at(to + 1) : to;
    unlink(at(rel));
    assert_int_equal(symlink(target, at(rel)), 0);
}

static void remove_rel(const char *rel)
{
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", at(rel));
    assert_int_equal(system(cmd), 0);
}

/* models--o--n with refs/main -> r1, one blob named by its SHA-256 and the
 * snapshot r1 whose model.safetensors links to it, as huggingface_hub lays
 * them out; and outside/ with a weight file, a ref and a PyTorch index that
 * the tests link to. */
static int setup_tree(void **state)
{
    struct hbuf b;
    struct mm_sha256 h;
    uint8_t d[32];
    char rel[300];
    unsigned i;
    (void)state;
    char real[PATH_MAX];
    if (hb_tmpdir(root, sizeof(root), "mm_hfesc") != 0 || realpath(root, real) == NULL ||
        strlen(real) >= sizeof(root)) {
        return -1;
    }
    /* the real path, as the library names files of a resolved snapshot */
    memcpy(root, real, strlen(real) + 1);
    assert_int_equal(hb_hf_repo(root, REPO, "r1"), 0);
    mkdirs("outside/unet");
    hb_init(&b);
    hb_safetensors_one(&b, "w", 4);
    mm_sha256_init(&h);
    mm_sha256_update(&h, b.d, b.n);
    mm_sha256_final(&h, d);
    for (i = 0; i < 32; i++) {
        snprintf(blob_sha + 2 * i, 3, "%02x", d[i]);
    }
    snprintf(rel, sizeof(rel), REPO "/blobs/%s", blob_sha);
    assert_int_equal(hb_write_file(at(rel), b.d, b.n), 0);
    assert_int_equal(hb_write_file(at("outside/model.safetensors"), b.d, b.n), 0);
    hb_free(&b);
    snprintf(rel, sizeof(rel), "../../blobs/%s", blob_sha);
    link_to(rel, REPO "/snapshots/r1/model.safetensors");
    put(REPO "/refs/main", "r1\n");
    put("outside/ref", "r1\n");
    put("outside/pytorch_model.bin.index.json",
        "{\"weight_map\": {\"w\": \"pytorch_model-00001-of-00001.bin\"}}");
    put("outside/unet/diffusion_pytorch_model.bin.index.json",
        "{\"weight_map\": {\"w\": \"diffusion_pytorch_model-00001-of-00001.bin\"}}");
    outside_opens = 0;
    return 0;
}

static int teardown_tree(void **state)
{
    int rc;
    (void)state;
    rc = hb_rmtree(root);
    root[0] = '\0';
    return rc;
}

/* mm_hf_cache_resolve("o/n...") in root/hub: its status; the path in out. */
static enum mm_status resolve(char *out, size_t size, const char *id, struct mm_error *err)
{
    return mm_hf_cache_resolve(out, size, at("hub"), id, err);
}

static void expect_refused_at(const struct mm_error *err, const char *file_tail)
{
    const size_t n = strlen(err->file);
    const size_t t = strlen(file_tail);
    assert_int_equal(err->status, MM_ERR_UNSAFE);
    assert_string_equal(mm_errcode_name(err->code), "shard-outside-folder");
    assert_true(n >= t);
    assert_string_equal(err->file + n - t, file_tail);
    assert_int_equal(outside_opens, 0);
}

/* The id resolves, but the snapshot's files lead out: loading and verify
 * (with checksums) refuse the file that ends with file_tail. */
static void expect_load_refused(const char *id, const char *file_tail)
{
    char path[PATH_MAX];
    struct mm_error err;
    struct mm_inventory *inv = NULL;
    struct mm_verify_report *rep = NULL;
    struct mm_verify_options vo = MM_VERIFY_OPTIONS_INIT;
    const struct mm_problem *p;
    assert_int_equal(resolve(path, sizeof(path), id, &err), MM_OK);
    assert_int_equal(mm_inventory_load(&inv, path, NULL, &err), MM_ERR_UNSAFE);
    assert_null(inv);
    expect_refused_at(&err, file_tail);
    vo.checksums = 1;
    assert_int_equal(mm_verify(&rep, path, &vo, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 1);
    assert_int_equal(mm_verify_checksum_count(rep), 0);
    p = mm_verify_problem(rep, 0);
    assert_string_equal(mm_errcode_name(p->code), "shard-outside-folder");
    mm_verify_free(rep);
    assert_int_equal(outside_opens, 0);
}

/* The id resolves and loads, and verify --checksums hashes `blobs` blobs. */
static void expect_loads(const char *id, size_t blobs)
{
    char path[PATH_MAX];
    struct mm_error err;
    struct mm_inventory *inv = NULL;
    struct mm_verify_report *rep = NULL;
    struct mm_verify_options vo = MM_VERIFY_OPTIONS_INIT;
    assert_int_equal(resolve(path, sizeof(path), id, &err), MM_OK);
    assert_int_equal(mm_inventory_load(&inv, path, NULL, &err), MM_OK);
    mm_inventory_free(inv);
    vo.checksums = 1;
    assert_int_equal(mm_verify(&rep, path, &vo, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 0);
    assert_int_equal(mm_verify_checksum_count(rep), blobs);
    mm_verify_free(rep);
}

/* Runs `modelmem SUB [OPT] o/n` with HF_HUB_CACHE=root/hub, which must
 * exit 1: its stdout and stderr in the buffers. */
static void run_cli(const char *sub, const char *opt, char *out, char *err, size_t size)
{
    char out_path[300];
    char err_path[300];
    FILE *f;
    size_t n;
    int status = 0;
    pid_t pid;
    snprintf(out_path, sizeof(out_path), "%s/.stdout", root);
    snprintf(err_path, sizeof(err_path), "%s/.stderr", root);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char prog[] = MM_BINARY;
        char a1[32];
        char a2[32];
        char id[] = "o/n";
        char *args[5];
        int k = 0;
        const int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 ||
            setenv("HF_HUB_CACHE", at("hub"), 1) != 0) {
            _exit(126);
        }
        snprintf(a1, sizeof(a1), "%s", sub);
        snprintf(a2, sizeof(a2), "%s", opt);
        args[k++] = prog;
        args[k++] = a1;
        if (opt[0] != '\0') {
            args[k++] = a2;
        }
        args[k++] = id;
        args[k] = NULL;
        execv(prog, args);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    f = fopen(out_path, "rb");
    assert_non_null(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
    f = fopen(err_path, "rb");
    assert_non_null(f);
    n = fread(err, 1, size - 1, f);
    err[n] = '\0';
    fclose(f);
}

/* `text` is one line that begins with `want`. */
static void expect_line(const char *text, const char *want)
{
    const size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '\n' || strchr(text, '\n') != text + n - 1 ||
        strncmp(text, want, strlen(want)) != 0) {
        fail_msg("got \"%s\", not one line \"%s...\"", text, want);
    }
}

/*
 * The modelmem program on o/n: inspect, estimate, verify and verify
 * --checksums exit 1. Where the id does not resolve (a ref or the snapshot
 * folder leads out), each prints one line on stderr naming root/file_tail,
 * nothing on stdout. Where it resolves (a file of the snapshot leads out),
 * verify lists the problem in its report instead: "error
 * shard-outside-folder: REL: ...", REL relative to the snapshot folder.
 */
static void expect_cli_refused(const char *file_tail, bool resolves)
{
    static const char *const cmds[][2] = {
        {"inspect", ""}, {"estimate", ""}, {"verify", ""}, {"verify", "--checksums"}};
    const char *snap = REPO "/snapshots/r1/";
    char out[4096];
    char err[4096];
    char want[700];
    size_t i;
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        run_cli(cmds[i][0], cmds[i][1], out, err, sizeof(out));
        if (resolves && strcmp(cmds[i][0], "verify") == 0) {
            assert_int_equal(strncmp(file_tail, snap, strlen(snap)), 0);
            snprintf(want, sizeof(want), "error shard-outside-folder: %s: ",
                     file_tail + strlen(snap));
            assert_string_equal(err, "");
            assert_int_equal(strncmp(out, want, strlen(want)), 0);
            continue;
        }
        snprintf(want, sizeof(want), "modelmem: %s: ", at(file_tail));
        assert_string_equal(out, "");
        expect_line(err, want);
    }
}

static void test_cache_as_laid_out(void **state)
{
    char path[PATH_MAX];
    char want[PATH_MAX];
    struct mm_error err;
    (void)state;
    expect_loads("o/n", 1);
    expect_loads("o/n@r1", 1);
    /* the path given back is the snapshot's real path, the one checked */
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_OK);
    assert_non_null(realpath(at(REPO "/snapshots/r1"), want));
    assert_string_equal(path, want);
    /* links that stay in the repository folder are followed */
    link_to("r1", REPO "/snapshots/r2");
    link_to("main", REPO "/refs/v2");
    put(REPO "/refs/v3", "r2");
    expect_loads("o/n@r2", 1);
    expect_loads("o/n@v2", 1);
    expect_loads("o/n@v3", 1);
    assert_int_equal(outside_opens, 0);
}

static void test_snapshot_folder_link(void **state)
{
    char path[PATH_MAX];
    struct mm_error err;
    (void)state;
    remove_rel(REPO "/snapshots/r1");
    link_to("@outside", REPO "/snapshots/r1");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
    assert_int_equal(resolve(path, sizeof(path), "o/n@r1", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
    expect_cli_refused(REPO "/snapshots/r1", false);
    /* the same through the names people type: another case, the folder as
     * a path, a short hash of a snapshot that is a link out */
    assert_int_equal(resolve(path, sizeof(path), "O/N", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
    assert_int_equal(mm_hf_repo_dir_resolve(path, sizeof(path), at(REPO), &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
    link_to("@outside", REPO "/snapshots/abcd1234");
    assert_int_equal(resolve(path, sizeof(path), "o/n@abcd", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/abcd1234");
    assert_int_equal(mm_hf_repo_dir_resolve(path, sizeof(path), at(REPO "@abcd12"), &err),
                     MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/abcd1234");
    remove_rel(REPO "/snapshots/abcd1234");
    /* a relative link, and one into another repository of the cache */
    link_to("../../../outside", REPO "/snapshots/r1");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
    mkdirs("hub/models--x--y/snapshots/z");
    link_to("../../models--x--y/snapshots/z", REPO "/snapshots/r1");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
    /* the snapshots folder itself a link */
    remove_rel(REPO "/snapshots");
    mkdirs("outside/snapshots/r1");
    link_to("@outside/snapshots", REPO "/snapshots");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/snapshots/r1");
}

static void test_refs_link(void **state)
{
    char path[PATH_MAX];
    struct mm_error err;
    (void)state;
    link_to("@outside/ref", REPO "/refs/main");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/refs/main");
    expect_cli_refused(REPO "/refs/main", false);
    link_to("../../../outside/ref", REPO "/refs/main");
    assert_int_equal(resolve(path, sizeof(path), "o/n@main", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/refs/main");
    /* the refs folder itself a link */
    remove_rel(REPO "/refs");
    mkdirs("outside/refs");
    put("outside/refs/main", "r1");
    link_to("@outside/refs", REPO "/refs");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
    expect_refused_at(&err, REPO "/refs/main");
}

static void test_refs_content_climbs(void **state)
{
    static const char *const climbs[] = {"../../..", "../../../outside", "..", "../r1",
                                         "r1/../..", "/etc"};
    char path[PATH_MAX];
    struct mm_error err;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(climbs) / sizeof(climbs[0]); i++) {
        put(REPO "/refs/main", climbs[i]);
        assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_UNSAFE);
        expect_refused_at(&err, REPO "/refs/main");
    }
    put(REPO "/refs/main", "../../../outside\n");
    expect_cli_refused(REPO "/refs/main", false);
    /* not a path, not a commit either: malformed, as before */
    put(REPO "/refs/main", "a b");
    assert_int_equal(resolve(path, sizeof(path), "o/n", &err), MM_ERR_MALFORMED);
}

static void test_blob_link(void **state)
{
    (void)state;
    /* a weight file of the snapshot */
    link_to("@outside/model.safetensors", REPO "/snapshots/r1/model.safetensors");
    expect_load_refused("o/n", REPO "/snapshots/r1/model.safetensors");
    expect_cli_refused(REPO "/snapshots/r1/model.safetensors", true);
    link_to("../../../../outside/model.safetensors", REPO "/snapshots/r1/model.safetensors");
    expect_load_refused("o/n", REPO "/snapshots/r1/model.safetensors");
    /* an index, refused before it is read: it names no file outside, but
     * what it holds must not be read at all */
    remove_rel(REPO "/snapshots/r1/model.safetensors");
    link_to("@outside/pytorch_model.bin.index.json",
            REPO "/snapshots/r1/pytorch_model.bin.index.json");
    expect_load_refused("o/n", REPO "/snapshots/r1/pytorch_model.bin.index.json");
    expect_cli_refused(REPO "/snapshots/r1/pytorch_model.bin.index.json", true);
}

/* A diffusers pipeline whose unet/ component is linked out at each level. */
static void test_nested_link(void **state)
{
    char rel[300];
    (void)state;
    remove_rel(REPO "/snapshots/r1/model.safetensors");
    put(REPO "/snapshots/r1/model_index.json",
        "{\"_class_name\": \"P\", \"unet\": [\"diffusers\", \"UNet2DConditionModel\"]}");
    mkdirs(REPO "/snapshots/r1/unet");
    snprintf(rel, sizeof(rel), "../../../blobs/%s", blob_sha);
    link_to(rel, REPO "/snapshots/r1/unet/diffusion_pytorch_model.safetensors");
    expect_loads("o/n", 1);
    /* a weight file of the sub-folder */
    link_to("@outside/model.safetensors",
            REPO "/snapshots/r1/unet/diffusion_pytorch_model.safetensors");
    expect_load_refused("o/n", REPO "/snapshots/r1/unet/diffusion_pytorch_model.safetensors");
    /* an index of the sub-folder */
    remove_rel(REPO "/snapshots/r1/unet/diffusion_pytorch_model.safetensors");
    link_to("@outside/unet/diffusion_pytorch_model.bin.index.json",
            REPO "/snapshots/r1/unet/diffusion_pytorch_model.bin.index.json");
    expect_load_refused("o/n",
                        REPO "/snapshots/r1/unet/diffusion_pytorch_model.bin.index.json");
    expect_cli_refused(REPO "/snapshots/r1/unet/diffusion_pytorch_model.bin.index.json",
                       true);
    /* the sub-folder itself a link */
    remove_rel(REPO "/snapshots/r1/unet");
    link_to("@outside/unet", REPO "/snapshots/r1/unet");
    expect_load_refused("o/n",
                        REPO "/snapshots/r1/unet/diffusion_pytorch_model.bin.index.json");
}

/* A snapshot folder named as a path is a folder the user named: the folder
 * rules apply (its links into ../../blobs/ are followed; a TARGET that is
 * itself a link is taken as the user named it), while the same folder
 * reached through the repository id is refused. */
static void test_snapshot_path_target(void **state)
{
    struct mm_inventory *inv = NULL;
    struct mm_verify_report *rep = NULL;
    struct mm_verify_options vo = MM_VERIFY_OPTIONS_INIT;
    struct mm_error err;
    char path[PATH_MAX];
    (void)state;
    vo.checksums = 1;
    assert_int_equal(mm_inventory_load(&inv, at(REPO "/snapshots/r1"), NULL, &err), MM_OK);
    mm_inventory_free(inv);
    inv = NULL;
    assert_int_equal(mm_verify(&rep, at(REPO "/snapshots/r1"), &vo, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 0);
    assert_int_equal(mm_verify_checksum_count(rep), 1);
    mm_verify_free(rep);
    link_to("@outside", REPO "/snapshots/r9");
    assert_int_equal(mm_inventory_load(&inv, at(REPO "/snapshots/r9"), NULL, &err), MM_OK);
    mm_inventory_free(inv);
    assert_int_equal(resolve(path, sizeof(path), "o/n@r9", &err), MM_ERR_UNSAFE);
}

#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_tree, teardown_tree)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_repo_dir),
    };
    const struct CMUnitTest escapes[] = {
        TREE_TEST(test_cache_as_laid_out),   TREE_TEST(test_snapshot_folder_link),
        TREE_TEST(test_refs_link),           TREE_TEST(test_refs_content_climbs),
        TREE_TEST(test_blob_link),           TREE_TEST(test_nested_link),
        TREE_TEST(test_snapshot_path_target),
    };
    const int failed = cmocka_run_group_tests_name("resolve", tests, setup, teardown);
    return failed + cmocka_run_group_tests_name("escapes", escapes, NULL, NULL);
}
