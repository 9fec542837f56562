/* test_scan.c - mm_scan_find over folders built in a temporary folder: a
 * Hugging Face cache (refs, dangling refs, old snapshots), model folders
 * at several depths, alternatives in one folder, links out of ROOT and
 * back into it, the depth limit, a missing ROOT, ROOTs that overlap;
 * hostile refs (huge, links out, a link loop, a snapshot link out) and
 * more refs than MM_LIMIT_SCAN_REFS.
 * Discovery reads no
 * weight, so the weight files here are empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modelmem.h"

static char tmp[256];

static int setup(void **state)
{
    char cmd[4096];
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/mm_scan_XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -p hub/models--org--a/refs hub/models--org--a/snapshots/c1 "
             "hub/models--org--a/snapshots/c0 hub/models--org--b/refs "
             "hub/models--solo/snapshots/s1 hub/datasets--org--d/snapshots/x "
             "mirror/x/m1 mirror/y/z/m2 mirror/ggufs outside/m3 && "
             "touch hub/models--org--a/snapshots/c1/model.safetensors "
             "hub/models--org--a/snapshots/c0/model.safetensors "
             "hub/models--solo/snapshots/s1/model.gguf "
             "mirror/x/m1/model.safetensors mirror/y/z/m2/pytorch_model.bin "
             "mirror/ggufs/a.gguf mirror/ggufs/b-00001-of-00002.gguf "
             "mirror/ggufs/b-00002-of-00002.gguf outside/m3/model.safetensors && "
             "printf 'c1\\n' > hub/models--org--a/refs/main && "
             "printf 'c1' > hub/models--org--a/refs/v1 && "
             "printf 'gone' > hub/models--org--b/refs/main && "
             "ln -s '%s/outside' mirror/escape && ln -s . mirror/loop && ln -s hub hublink && "
             "mkdir -p mirror/deep/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/m4 && "
             "touch mirror/deep/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/m4/model.safetensors",
             tmp, tmp);
    if (system(cmd) != 0) {
        return -1;
    }
    /* hostile/models--org--h: refs as a hostile cache might hold them */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && R=hostile/models--org--h && mkdir -p $R/refs $R/snapshots/c1 && "
             "touch $R/snapshots/c1/model.safetensors && printf 'c1' > $R/refs/main && "
             "head -c 1048576 /dev/zero | tr '\\0' a > $R/refs/big && "
             "printf 'c9' > $R/refs/escape && ln -s '%s/outside/m3' $R/snapshots/c9 && "
             "ln -s loop $R/refs/loop && printf 'c1' > secret && "
             "ln -s '%s/secret' $R/refs/out && "
             "M=many/models--org--many && mkdir -p $M/refs $M/snapshots/c1 && "
             "touch $M/snapshots/c1/model.safetensors && "
             "i=0; while [ $i -le %u ]; do printf c1 > $M/refs/r$i; i=$((i+1)); done",
             tmp, tmp, tmp, MM_LIMIT_SCAN_REFS);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static struct mm_scan *find(const char *sub, int all)
{
    struct mm_scan_options opts = MM_SCAN_OPTIONS_INIT;
    struct mm_scan *scan = NULL;
    struct mm_error err;
    char root[512];
    const char *roots[1] = {root};
    snprintf(root, sizeof(root), "%s/%s", tmp, sub);
    opts.all_revisions = all;
    assert_int_equal(mm_scan_find(&scan, roots, 1, &opts, &err), MM_OK);
    assert_non_null(scan);
    return scan;
}

static const char *tail(const char *path)
{
    return path + strlen(tmp) + 1;
}

static void test_cache(void **state)
{
    struct mm_scan *scan = find("hub", 0);
    const struct mm_scan_model *m;
    (void)state;
    assert_int_equal(mm_scan_count(scan), 3);
    /* org/a: main and v1 name the same commit: one entry, both refs */
    m = mm_scan_model(scan, 0);
    assert_string_equal(m->id, "org/a");
    assert_string_equal(m->revision, "c1");
    assert_int_equal(m->nrefs, 2);
    assert_string_equal(m->refs[0], "main");
    assert_string_equal(m->refs[1], "v1");
    assert_string_equal(tail(m->path), "hub/models--org--a/snapshots/c1");
    assert_null(m->error);
    /* org/b: refs/main names a snapshot that is not there */
    m = mm_scan_model(scan, 1);
    assert_string_equal(m->id, "org/b");
    assert_string_equal(m->revision, "gone");
    assert_non_null(m->error);
    assert_int_equal(m->error->code, MM_E_NOT_FOUND);
    /* solo: no refs, so its snapshots are listed; no org in the id */
    m = mm_scan_model(scan, 2);
    assert_string_equal(m->id, "solo");
    assert_string_equal(m->revision, "s1");
    assert_int_equal(m->nrefs, 0);
    assert_null(mm_scan_model(scan, 3));
    mm_scan_free(scan);
}

static void test_all_revisions(void **state)
{
    struct mm_scan *scan = find("hub", 1);
    const struct mm_scan_model *m;
    (void)state;
    assert_int_equal(mm_scan_count(scan), 4);
    m = mm_scan_model(scan, 1);
    assert_string_equal(m->id, "org/a");
    assert_string_equal(m->revision, "c0");
    assert_int_equal(m->nrefs, 0);
    mm_scan_free(scan);
}

static void test_mirror(void **state)
{
    struct mm_scan *scan = find("mirror", 0);
    (void)state;
    assert_int_equal(mm_scan_count(scan), 4);
    /* the alternatives of one folder, a split GGUF by its first shard */
    assert_string_equal(tail(mm_scan_model(scan, 0)->path), "mirror/ggufs/a.gguf");
    assert_string_equal(tail(mm_scan_model(scan, 1)->path), "mirror/ggufs/b-00001-of-00002.gguf");
    assert_string_equal(tail(mm_scan_model(scan, 2)->path), "mirror/x/m1");
    assert_string_equal(tail(mm_scan_model(scan, 3)->path), "mirror/y/z/m2");
    assert_null(mm_scan_model(scan, 0)->id);
    /* escape leads out: counted, not followed; loop stays inside: not
     * followed either; deep/.../17 is past MM_LIMIT_SCAN_DEPTH */
    assert_int_equal(mm_scan_links_out(scan), 1);
    assert_int_equal(mm_scan_too_deep(scan), 1);
    mm_scan_free(scan);
}

static void test_root_kinds(void **state)
{
    struct mm_scan *scan = NULL;
    struct mm_error err;
    char a[512];
    char b[512];
    char c[512];
    const char *roots[3] = {a, b, c};
    (void)state;
    snprintf(a, sizeof(a), "%s/nothing", tmp);
    snprintf(b, sizeof(b), "%s/mirror/x/m1/model.safetensors", tmp);
    snprintf(c, sizeof(c), "%s/mirror/escape", tmp); /* a ROOT may be a link */
    assert_int_equal(mm_scan_find(&scan, roots, 3, NULL, &err), MM_OK);
    assert_int_equal(mm_scan_count(scan), 3);
    assert_int_equal(mm_scan_model(scan, 0)->error->code, MM_E_NOT_FOUND);
    assert_int_equal(mm_scan_model(scan, 0)->root, 0);
    assert_null(mm_scan_model(scan, 1)->error);
    assert_string_equal(mm_scan_model(scan, 1)->path, b);
    assert_string_equal(tail(mm_scan_model(scan, 2)->path), "mirror/escape/m3");
    assert_int_equal(mm_scan_model(scan, 2)->root, 2);
    mm_scan_free(scan);
}

/* mm_scan_find over `n` ROOTs, each "%s/SUB" of tmp. */
static struct mm_scan *find_roots(char root[][512], const char *const *sub, size_t n)
{
    const char *roots[4];
    struct mm_scan *scan = NULL;
    struct mm_error err;
    size_t i;
    assert_true(n <= 4);
    for (i = 0; i < n; i++) {
        snprintf(root[i], 512, "%s/%s", tmp, sub[i]);
        roots[i] = root[i];
    }
    assert_int_equal(mm_scan_find(&scan, roots, n, NULL, &err), MM_OK);
    assert_non_null(scan);
    return scan;
}

/* ROOTs that overlap - the same folder twice, a repository inside it, a
 * link to it - list each model once, under the first ROOT that reaches
 * it; a missing snapshot and a missing ROOT are one row each too. */
static void test_overlap(void **state)
{
    static const char *const cache_first[] = {"hub", "hub/", "hub/models--org--a", "hublink"};
    static const char *const repo_first[] = {"hub/models--org--a", "hublink", "hub", "nothing"};
    static const char *const mirrors[] = {"mirror", "mirror/x", "mirror/", "mirror/ggufs"};
    char root[4][512];
    struct mm_scan *scan = find_roots(root, cache_first, 4);
    size_t i;
    (void)state;
    assert_int_equal(mm_scan_count(scan), 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal(mm_scan_model(scan, i)->root, 0);
    }
    assert_string_equal(tail(mm_scan_model(scan, 0)->path), "hub/models--org--a/snapshots/c1");
    assert_int_equal(mm_scan_model(scan, 0)->nrefs, 2);
    assert_string_equal(mm_scan_model(scan, 1)->id, "org/b");
    mm_scan_free(scan);

    scan = find_roots(root, repo_first, 4);
    assert_int_equal(mm_scan_count(scan), 4);
    assert_string_equal(mm_scan_model(scan, 0)->id, "org/a");
    assert_int_equal(mm_scan_model(scan, 0)->root, 0);
    assert_string_equal(mm_scan_model(scan, 1)->id, "org/b");
    assert_int_equal(mm_scan_model(scan, 1)->root, 1);
    assert_string_equal(tail(mm_scan_model(scan, 1)->path),
                        "hublink/models--org--b/snapshots/gone");
    assert_string_equal(mm_scan_model(scan, 2)->id, "solo");
    assert_int_equal(mm_scan_model(scan, 2)->root, 1);
    assert_int_equal(mm_scan_model(scan, 3)->root, 3);
    assert_int_equal(mm_scan_model(scan, 3)->error->code, MM_E_NOT_FOUND);
    mm_scan_free(scan);

    /* the link out and the deep folder are counted once as well */
    scan = find_roots(root, mirrors, 4);
    assert_int_equal(mm_scan_count(scan), 4);
    assert_int_equal(mm_scan_links_out(scan), 1);
    assert_int_equal(mm_scan_too_deep(scan), 1);
    mm_scan_free(scan);

    /* a missing ROOT given twice is one row */
    scan = find_roots(root, (const char *const[]){"nothing", "nothing"}, 2);
    assert_int_equal(mm_scan_count(scan), 1);
    mm_scan_free(scan);
}

/* The entry whose path ends with `suffix`, or NULL. */
static const struct mm_scan_model *entry(const struct mm_scan *scan, const char *suffix)
{
    size_t i;
    for (i = 0; i < mm_scan_count(scan); i++) {
        const char *p = mm_scan_model(scan, i)->path;
        if (strlen(p) >= strlen(suffix) && strcmp(p + strlen(p) - strlen(suffix), suffix) == 0) {
            return mm_scan_model(scan, i);
        }
    }
    return NULL;
}

/* A weight file given as a ROOT is covered by its folder's row when that
 * folder is listed as a model, by a ROOT before or after it, through a
 * link to the file, or as a cache snapshot's link into blobs/; a weight
 * file whose folder is not listed (a GGUF folder listed file by file)
 * keeps its own row. */
static void test_file_in_listed_folder(void **state)
{
    static const char *const file_first[] = {"mirror/x/m1/model.safetensors", "mirror/x"};
    static const char *const folder_first[] = {"mirror/x", "mirror/x/m1/model.safetensors"};
    static const char *const cached[] = {"hub/models--org--a/snapshots/c1/model.safetensors",
                                         "hub/models--org--a"};
    static const char *const alone[] = {"mirror/ggufs/a.gguf", "mirror/x/m1/model.safetensors"};
    static const char *const ggufs[] = {"mirror/ggufs/a.gguf", "mirror/ggufs"};
    char root[4][512];
    char cmd[1024];
    struct mm_scan *scan;
    (void)state;
    scan = find_roots(root, file_first, 2);
    assert_int_equal(mm_scan_count(scan), 1);
    assert_string_equal(tail(mm_scan_model(scan, 0)->path), "mirror/x/m1");
    assert_int_equal(mm_scan_model(scan, 0)->root, 1);
    mm_scan_free(scan);

    scan = find_roots(root, folder_first, 2);
    assert_int_equal(mm_scan_count(scan), 1);
    assert_string_equal(tail(mm_scan_model(scan, 0)->path), "mirror/x/m1");
    assert_int_equal(mm_scan_model(scan, 0)->root, 0);
    mm_scan_free(scan);

    scan = find_roots(root, cached, 2);
    assert_int_equal(mm_scan_count(scan), 1); /* snapshot c1, which refs/main names */
    assert_null(entry(scan, "c1/model.safetensors"));
    mm_scan_free(scan);

    /* a cache snapshot's file, a link into blobs/ as huggingface_hub
     * writes it */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && R=linkhub/models--org--l && mkdir -p $R/refs $R/blobs $R/snapshots/c1 "
             "&& touch $R/blobs/b1 && ln -s ../../blobs/b1 $R/snapshots/c1/model.safetensors "
             "&& printf c1 > $R/refs/main",
             tmp);
    assert_int_equal(system(cmd), 0);
    scan = find_roots(
        root, (const char *const[]){"linkhub/models--org--l/snapshots/c1/model.safetensors",
                                    "linkhub"},
        2);
    assert_int_equal(mm_scan_count(scan), 1);
    assert_string_equal(tail(mm_scan_model(scan, 0)->path),
                        "linkhub/models--org--l/snapshots/c1");
    mm_scan_free(scan);

    /* a link to the file, elsewhere, names the same file */
    snprintf(cmd, sizeof(cmd), "ln -sf '%s/mirror/x/m1/model.safetensors' '%s/filelink'", tmp,
             tmp);
    assert_int_equal(system(cmd), 0);
    scan = find_roots(root, (const char *const[]){"filelink", "mirror/x"}, 2);
    assert_int_equal(mm_scan_count(scan), 1);
    assert_string_equal(tail(mm_scan_model(scan, 0)->path), "mirror/x/m1");
    mm_scan_free(scan);
    snprintf(cmd, sizeof(cmd), "rm -f '%s/filelink'", tmp);
    assert_int_equal(system(cmd), 0);

    /* files alone, their folders not listed: a row each */
    scan = find_roots(root, alone, 2);
    assert_int_equal(mm_scan_count(scan), 2);
    mm_scan_free(scan);
    scan = find_roots(root, ggufs, 2);
    assert_non_null(entry(scan, "ggufs/a.gguf"));
    assert_non_null(entry(scan, "ggufs/b-00001-of-00002.gguf"));
    assert_int_equal(mm_scan_count(scan), 2);
    mm_scan_free(scan);
}

/* Refs are read as mm_hf_cache_resolve reads them: nothing a ref or a
 * snapshot link names outside models--ORG--NAME is read or listed. */
static void test_hostile_refs(void **state)
{
    struct mm_scan *scan = find("hostile", 0);
    const struct mm_scan_model *m;
    (void)state;
    /* main; big; escape; out. refs/loop, a link to itself, is no ref */
    assert_int_equal(mm_scan_count(scan), 4);
    m = entry(scan, "/snapshots/c1");
    assert_non_null(m);
    assert_null(m->error);
    assert_int_equal(m->nrefs, 1);
    assert_string_equal(m->refs[0], "main");
    /* 1 MiB of 'a': at most 129 bytes are read, and that is no commit */
    m = entry(scan, "/refs/big");
    assert_non_null(m);
    assert_non_null(m->error);
    assert_int_equal(m->error->code, MM_E_INVALID_ARG);
    /* a ref naming a snapshot that is a link out of the repository */
    m = entry(scan, "/snapshots/c9");
    assert_non_null(m);
    assert_non_null(m->error);
    assert_int_equal(m->error->code, MM_E_SHARD_OUTSIDE_FOLDER);
    /* a ref that is a link to a file outside: not read */
    m = entry(scan, "/refs/out");
    assert_non_null(m);
    assert_non_null(m->error);
    assert_int_equal(m->error->code, MM_E_SHARD_OUTSIDE_FOLDER);
    assert_null(entry(scan, "/refs/loop"));
    mm_scan_free(scan);
}

/* Long names are kept whole: a snapshot folder of 200 bytes in a
 * repository with no refs, and two bad refs whose names share their first
 * 120 bytes (each is a row of its own). */
static void test_long_names(void **state)
{
    char cmd[2048];
    char snap[201];
    char ref[121];
    char want[512];
    struct mm_scan *scan;
    const struct mm_scan_model *m;
    (void)state;
    memset(snap, 's', 200);
    snap[200] = '\0';
    memset(ref, 'r', 120);
    ref[120] = '\0';
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && L=long/models--org--nosnap && mkdir -p \"$L/snapshots/%s\" && "
             "touch \"$L/snapshots/%s/model.safetensors\" && "
             "B=long/models--org--badrefs && mkdir -p $B/refs $B/snapshots/c1 && "
             "touch $B/snapshots/c1/model.safetensors && printf 'c1' > $B/refs/main && "
             "printf 'bad!' > $B/refs/%sA && printf 'bad!' > $B/refs/%sB",
             tmp, snap, snap, ref, ref);
    assert_int_equal(system(cmd), 0);
    scan = find("long", 0);
    snprintf(want, sizeof(want), "/snapshots/%s", snap);
    m = entry(scan, want);
    assert_non_null(m);
    assert_null(m->error);
    snprintf(want, sizeof(want), "/refs/%sA", ref);
    m = entry(scan, want);
    assert_non_null(m);
    assert_non_null(m->error);
    snprintf(want, sizeof(want), "/refs/%sB", ref);
    m = entry(scan, want);
    assert_non_null(m);
    assert_non_null(m->error);
    assert_int_equal(mm_scan_count(scan), 4); /* nosnap's, c1, and the two bad refs */
    mm_scan_free(scan);
}

static void test_refs_limit(void **state)
{
    struct mm_scan *scan = find("many", 0);
    const struct mm_scan_model *m;
    (void)state;
    assert_int_equal(mm_scan_count(scan), 2);
    m = entry(scan, "/snapshots/c1");
    assert_non_null(m);
    assert_null(m->error);
    assert_int_equal(m->nrefs, MM_LIMIT_SCAN_REFS);
    m = entry(scan, "/models--org--many/refs");
    assert_non_null(m);
    assert_non_null(m->error);
    assert_int_equal(m->error->code, MM_E_LIMIT_SCAN_REFS);
    mm_scan_free(scan);
}

/* Refs that are links to themselves are no refs, but each is tried: past
 * MM_LIMIT_SCAN_REFS of them the rest are not, and the limit row says so. */
static void test_refs_limit_loops(void **state)
{
    char cmd[1024];
    struct mm_scan *scan;
    const struct mm_scan_model *m;
    (void)state;
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && R=loops/models--org--loops && mkdir -p $R/refs $R/snapshots/c1 && "
             "touch $R/snapshots/c1/model.safetensors && cd $R/refs && "
             "i=0; while [ $i -le %u ]; do ln -s l$i l$i; i=$((i+1)); done",
             tmp, MM_LIMIT_SCAN_REFS);
    assert_int_equal(system(cmd), 0);
    scan = find("loops", 0);
    m = entry(scan, "/models--org--loops/refs");
    assert_non_null(m);
    assert_non_null(m->error);
    assert_int_equal(m->error->code, MM_E_LIMIT_SCAN_REFS);
    mm_scan_free(scan);
}

static void test_bad_args(void **state)
{
    struct mm_scan *scan = NULL;
    struct mm_error err;
    const char *roots[1] = {""};
    (void)state;
    assert_int_equal(mm_scan_find(NULL, roots, 1, NULL, &err), MM_ERR_INVALID_ARG);
    assert_int_equal(mm_scan_find(&scan, NULL, 1, NULL, &err), MM_ERR_INVALID_ARG);
    assert_int_equal(mm_scan_find(&scan, roots, 1, NULL, &err), MM_ERR_INVALID_ARG);
    assert_null(scan);
    assert_int_equal(mm_scan_find(&scan, roots, 0, NULL, NULL), MM_OK);
    assert_int_equal(mm_scan_count(scan), 0);
    mm_scan_free(scan);
    mm_scan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache),    cmocka_unit_test(test_all_revisions),
        cmocka_unit_test(test_mirror),   cmocka_unit_test(test_root_kinds),
        cmocka_unit_test(test_overlap),  cmocka_unit_test(test_file_in_listed_folder),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_refs_limit_loops),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_hostile_refs), cmocka_unit_test(test_refs_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
