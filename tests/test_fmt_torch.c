/* test_fmt_torch.c - PyTorch checkpoints: the fixtures torch wrote
 * (fixtures/torch/gen_torch.py) against what torch.load reported
 * (expected.json), the hand-made and malformed ones
 * (fixtures/torch/gen_malformed.py) with their exact error codes, malicious
 * pickles, every limit just past it, folders and indexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "modelmem.h"
#include "test_slurp.h"

#define TORCH MM_FIXTURES "/torch"
#define BAD TORCH "/malformed"
#define PWNED "/tmp/modelmem-torch-fixture-pwned"

static struct mm_inventory *load_ok(const char *path, int allow_unsafe)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    opts.allow_unsafe_pickle = allow_unsafe;
    if (mm_inventory_load(&inv, path, &opts, &err) != MM_OK) {
        char line[2048];
        mm_error_format(line, sizeof(line), &err);
        fail_msg("%s", line);
    }
    return inv;
}

static void load_fails(const char *path, const char *code, int64_t offset)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    char line[2048];
    assert_int_not_equal(mm_inventory_load(&inv, path, NULL, &err), MM_OK);
    assert_null(inv);
    mm_error_format(line, sizeof(line), &err);
    assert_null(strchr(line, '\n'));
    if (strcmp(mm_errcode_name(err.code), code) != 0) {
        fail_msg("%s: got %s, want %s (%s)", path, mm_errcode_name(err.code), code, line);
    }
    if (offset >= 0) {
        assert_int_equal(err.offset, offset);
    }
}

/* The bytes at `offset` of `path`, as hex. */
static void hex_at(char *out, const char *path, uint64_t offset, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t i;
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)offset, SEEK_SET), 0);
    for (i = 0; i < n; i++) {
        const int ch = fgetc(f);
        assert_true(ch != EOF);
        snprintf(out + 2 * i, 3, "%02x", (unsigned)ch);
    }
    out[2 * n] = '\0';
    fclose(f);
}

static void compare_fixture(const char *key, const cJSON *want)
{
    char path[1024];
    struct mm_inventory *inv;
    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(want, "tensors");
    const cJSON *t;
    size_t i = 0;
    struct stat sb;
    const int folder = strcmp(key, "sharded") == 0;
    snprintf(path, sizeof(path), "%s/%s", TORCH, key);
    inv = load_ok(path, 0);
    assert_int_equal(mm_inventory_tensor_count(inv), cJSON_GetArraySize(tensors));
    cJSON_ArrayForEach(t, tensors)
    {
        const struct mm_tensor *mt = mm_inventory_tensor(inv, i++);
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
        const char *first = cJSON_GetObjectItemCaseSensitive(t, "first")->valuestring;
        const cJSON *d;
        uint32_t k = 0;
        assert_string_equal(mt->name, cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring);
        assert_string_equal(mm_dtype_name(mt->dtype),
                            cJSON_GetObjectItemCaseSensitive(t, "dtype")->valuestring);
        assert_int_equal(mt->rank, cJSON_GetArraySize(shape));
        cJSON_ArrayForEach(d, shape)
        {
            assert_int_equal(mt->shape[k++], (uint64_t)d->valuedouble);
        }
        /* the offset points at the tensor's first element (not in a
         * deflated member, whose bytes are compressed) */
        if (first[0] != '\0' && strcmp(key, "deflated.pt") != 0) {
            char got[64];
            char file[1200];
            if (folder) {
                snprintf(file, sizeof(file), "%s/%s", path,
                         mm_inventory_file(inv, mt->file)->path);
            } else {
                snprintf(file, sizeof(file), "%s", path);
            }
            hex_at(got, file, mt->offset, strlen(first) / 2);
            if (strcmp(got, first) != 0) {
                fail_msg("%s: %s at %llu: %s, want %s", key, mt->name,
                         (unsigned long long)mt->offset, got, first);
            }
        }
    }
    assert_int_equal(mm_inventory_totals(inv)->bytes,
                     (uint64_t)cJSON_GetObjectItemCaseSensitive(want, "bytes")->valuedouble);
    assert_int_equal(mm_inventory_warning_count(inv), 0);
    assert_int_equal(stat(path, &sb), 0);
    mm_inventory_free(inv);
}

static void test_expected(void **state)
{
    size_t len;
    char *text = slurp(TORCH "/expected.json", &len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *e;
    int n = 0;
    (void)state;
    assert_non_null(root);
    cJSON_ArrayForEach(e, root)
    {
        compare_fixture(e->string, e);
        n++;
    }
    assert_true(n >= 9);
    cJSON_Delete(root);
    free(text);
}

static void test_tied_and_views(void **state)
{
    struct mm_inventory *inv = load_ok(TORCH "/tied.pt", 0);
    const struct mm_tensor *embed = mm_inventory_tensor(inv, 0);
    const struct mm_tensor *head = mm_inventory_tensor(inv, 1);
    const struct mm_tensor *rows = mm_inventory_tensor(inv, 2);
    const struct mm_tensor *column = mm_inventory_tensor(inv, 4);
    (void)state;
    assert_int_equal(embed->offset, head->offset);
    assert_int_equal(rows->offset, embed->offset + 4 * 4);
    assert_int_equal(column->offset, embed->offset + 2 * 4);
    assert_int_equal(column->nbytes, 12);
    /* 48 bytes of the shared storage once, plus the scalar's 4 */
    assert_int_equal(mm_inventory_totals(inv)->bytes, 52);
    assert_int_equal(mm_inventory_totals(inv)->parameters, 12 + 12 + 8 + 12 + 3 + 1);
    assert_string_equal(mm_inventory_file(inv, 0)->format, "pytorch");
    mm_inventory_free(inv);
}

static void test_training_metadata(void **state)
{
    struct mm_inventory *inv = load_ok(TORCH "/training.pt", 0);
    size_t i;
    int seen = 0;
    (void)state;
    for (i = 0; i < mm_inventory_meta_count(inv); i++) {
        const struct mm_meta *m = mm_inventory_meta(inv, i);
        if (strcmp(m->key, "epoch") == 0) {
            assert_string_equal(m->value, "3");
            seen |= 1;
        } else if (strcmp(m->key, "run") == 0) {
            assert_string_equal(m->value, "fixture");
            seen |= 2;
        } else if (strcmp(m->key, "optimizer.param_groups.0.lr") == 0) {
            assert_string_equal(m->value, "0.001");
            seen |= 4;
        } else if (strcmp(m->key, "losses.1") == 0) {
            assert_string_equal(m->value, "0.25");
            seen |= 8;
        }
    }
    assert_int_equal(seen, 15);
    mm_inventory_free(inv);
}

static void test_handmade(void **state)
{
    struct mm_inventory *inv;
    (void)state;
    inv = load_ok(BAD "/rebuild_v3.pt", 0);
    assert_int_equal(mm_inventory_tensor(inv, 0)->dtype, MM_DTYPE_BF16);
    assert_int_equal(mm_inventory_tensor(inv, 0)->nbytes, 12);
    assert_int_equal(mm_inventory_totals(inv)->bytes, 16);
    mm_inventory_free(inv);
    inv = load_ok(BAD "/rebuild_meta.pt", 0);
    assert_int_equal(mm_inventory_tensor(inv, 0)->numel, 35);
    assert_int_equal(mm_inventory_tensor(inv, 0)->nbytes, 0);
    mm_inventory_free(inv);
    inv = load_ok(BAD "/rebuild_from_type.pt", 0);
    assert_int_equal(mm_inventory_tensor_count(inv), 2);
    assert_string_equal(mm_inventory_tensor(inv, 0)->name, "p");
    assert_string_equal(mm_inventory_tensor(inv, 1)->name, "q");
    assert_int_equal(mm_inventory_tensor(inv, 0)->numel, 3);
    mm_inventory_free(inv);
    load_fails(BAD "/qtensor.pt", "unsupported-tensor", -1);
    /* a whole module in the legacy format: its class is a ('module', ...)
     * persistent id, not a storage */
    inv = load_ok(TORCH "/module_legacy.pt", 0);
    assert_int_equal(mm_inventory_tensor_count(inv), 2);
    assert_string_equal(mm_inventory_tensor(inv, 0)->name, "_modules.0._parameters.weight");
    assert_int_equal(mm_inventory_tensor(inv, 0)->numel, 12);
    assert_int_equal(mm_inventory_warning_count(inv), 2); /* Sequential, Linear */
    mm_inventory_free(inv);
    /* zip64 extra fields in every header, a zip64 end record and locator */
    inv = load_ok(BAD "/zip64.pt", 0);
    assert_int_equal(mm_inventory_tensor_count(inv), 1);
    assert_int_equal(mm_inventory_tensor(inv, 0)->nbytes, 16);
    mm_inventory_free(inv);
}

static void test_malformed(void **state)
{
    static const struct {
        const char *file;
        const char *code;
        int64_t offset;
    } cases[] = {
        {"truncated_zip.pt", "truncated", -1},
        {"bad_central_directory.pt", "invalid-zip", -1},
        {"member_beyond_file.pt", "zip-member-beyond-file", -1},
        {"crc_mismatch.pt", "crc-mismatch", -1},
        {"pickle_truncated.pt", "truncated", -1},
        {"stack_underflow.pt", "invalid-pickle", 48},
        {"memo_out_of_range.pt", "invalid-pickle", 51},
        {"storage_missing.pt", "storage-missing", -1},
        {"tensor_beyond_storage.pt", "tensor-beyond-storage", -1},
        {"unknown_opcode.pt", "unknown-pickle-opcode", 49},
        {"pickle_too_large.pt", "limit-pickle-bytes", -1},
        {"impossible_inflated_size.pt", "invalid-zip", -1},
        /* strict where torch is strict (gen_malformed.py strict()) */
        {"frame_past_end.pt", "pickle-frame-length", 48},
        {"frame_straddled.pt", "pickle-frame-length", 57},
        {"frame_before_end.pt", "pickle-frame-length", 58},
        {"short_binunicode_not_utf8.pt", "pickle-string-not-utf8", 48},
        {"binunicode_not_utf8.pt", "pickle-string-not-utf8", 48},
        {"binunicode8_not_utf8.pt", "pickle-string-not-utf8", 48},
        {"next_buffer.pt", "pickle-out-of-band-buffer", 48},
        {"readonly_buffer_not_bytes.pt", "invalid-pickle", 50},
        {"pickle_trailing_data.pt", "pickle-trailing-data", 186},
        {"pickle_trailing_data.pkl", "pickle-trailing-data", 4},
        {"zip_two_folders.pt", "zip-mixed-folders", 494},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", BAD, cases[i].file);
        load_fails(path, cases[i].code, cases[i].offset);
    }
}

/* `file` (in malformed/) is refused as unsafe-pickle-global naming `global`
 * at `offset`; read anyway, it is a warning; nothing is ever run. */
static void refused_unless_allowed(const char *file, const char *global, int64_t offset)
{
    char path[1024];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    snprintf(path, sizeof(path), "%s/%s", BAD, file);
    unlink(PWNED);
    if (mm_inventory_load(&inv, path, NULL, &err) != MM_ERR_UNSAFE) {
        fail_msg("%s: not refused (%s: %s)", file, mm_errcode_name(err.code), err.message);
    }
    assert_string_equal(mm_errcode_name(err.code), "unsafe-pickle-global");
    assert_non_null(strstr(err.message, global));
    assert_int_equal(err.offset, offset);
    /* read anyway: a warning, and still nothing is run */
    inv = load_ok(path, 1);
    assert_true(mm_inventory_warning_count(inv) >= 1);
    assert_int_equal(mm_inventory_warning(inv, 0)->code, MM_E_UNSAFE_GLOBAL);
    assert_int_equal(mm_inventory_warning(inv, 0)->offset, offset);
    mm_inventory_free(inv);
    assert_int_not_equal(access(PWNED, F_OK), 0);
}

static void test_malicious(void **state)
{
    static const struct {
        const char *file;
        const char *global;
        int64_t offset;
    } cases[] = {
        {"os_system.pt", "os.system", 48},
        {"os_system.pkl", "posix.system", 2},
        {"eval_stack_global.pt", "builtins.eval", 66},
        {"subprocess_popen.pt", "subprocess.Popen", 48},
        {"legacy_os_system.pt", "os.system", 23},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        refused_unless_allowed(cases[i].file, cases[i].global, cases[i].offset);
    }
}

/* Dotted name parts, which Python resolves attribute by attribute from the
 * module (Lib/pickle.py _getattribute): torch + os.system is os.system.
 * Every one is refused, through GLOBAL, STACK_GLOBAL on direct or memoised
 * strings, and INST; so are empty parts and an allow-listed global spelled
 * from its parent module (pickle_globals.c says why). */
static void test_dotted_globals(void **state)
{
    static const struct {
        const char *file;
        const char *global;
        int64_t offset;
    } cases[] = {
        {"dotted_global_os_system.pt", "torch.os.system", 48},
        {"dotted_global_builtins_eval.pt", "torch.builtins.eval", 48},
        {"dotted_global_hub_load.pt", "torch.hub.load", 48},
        {"dotted_global_utils_os_system.pt", "torch._utils.os.system", 48},
        {"dotted_stack_global_os_system.pt", "torch.os.system", 68},
        {"dotted_binget_builtins_eval.pt", "torch.builtins.eval", 80},
        {"dotted_memoize_hub_load.pt", "torch.hub.load", 73},
        {"dotted_memoize_utils_os_system.pt", "torch._utils.os.system", 87},
        {"dotted_inst_os_system.pt", "torch.os.system", 93},
        {"dotted_object_subclasses.pt", "builtins.object.__subclasses__", 81},
        {"dotted_allowlisted_rebuild.pt", "torch._utils._rebuild_tensor_v2", 55},
        {"dotted_empty_part.pt", "torch._utils..os.system", 48},
        {"dotted_leading_dot.pt", "torch..os.system", 67},
        {"dotted_trailing_dot.pt", "torch.os.system.", 67},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        refused_unless_allowed(cases[i].file, cases[i].global, cases[i].offset);
    }
}

/* A pickle in memory naming one global: loaded with no warning (MM_E_NONE),
 * with the warning `code` whose message holds `text`, or refused as unsafe
 * with that message. */
static void mem_global(const char *pkl, enum mm_errcode code, const char *text)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    const enum mm_status st =
        mm_inventory_load_memory(&inv, (const uint8_t *)pkl, strlen(pkl), "g.pkl", &err);
    if (code == MM_E_UNSAFE_GLOBAL) {
        if (st != MM_ERR_UNSAFE) {
            fail_msg("%s: not refused", pkl);
        }
        assert_int_equal(err.code, code);
        assert_non_null(strstr(err.message, text));
        return;
    }
    if (st != MM_OK) {
        fail_msg("%s: %s: %s", pkl, mm_errcode_name(err.code), err.message);
    }
    if (code == MM_E_NONE) {
        assert_int_equal(mm_inventory_warning_count(inv), 0);
    } else {
        assert_int_equal(mm_inventory_warning_count(inv), 1);
        assert_int_equal(mm_inventory_warning(inv, 0)->code, code);
        assert_non_null(strstr(mm_inventory_warning(inv, 0)->message, text));
    }
    mm_inventory_free(inv);
}

/* Python 2 names, which Python maps to Python 3 ones below protocol 3 before
 * importing (Lib/_compat_pickle.py): __builtin__.eval is builtins.eval,
 * cPickle.loads pickle.loads, commands.getoutput subprocess.getoutput.
 * Refused through GLOBAL, STACK_GLOBAL and INST, with protocol 2, with no
 * PROTO (protocol 0) and with PROTO 4 then PROTO 2; from protocol 3 on
 * nothing is mapped, and cPickle.loads is an unknown global. */
static void test_compat_globals(void **state)
{
    static const struct {
        const char *file;
        const char *global;
        int64_t offset;
    } cases[] = {
        {"compat_builtin_eval.pt", "__builtin__.eval (read as builtins.eval below protocol 3)",
         48},
        {"compat_cpickle_loads.pt", "cPickle.loads (read as pickle.loads below protocol 3)", 48},
        {"compat_commands_getoutput.pt",
         "commands.getoutput (read as subprocess.getoutput below protocol 3)", 48},
        {"compat_stack_global_cpickle_loads.pt", "(read as pickle.loads", 70},
        {"compat_inst_cpickle_loads.pt", "(read as pickle.loads", 141},
        {"compat_last_proto_cpickle_loads.pt", "(read as pickle.loads", 50},
    };
    struct mm_inventory *inv = NULL;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        refused_unless_allowed(cases[i].file, cases[i].global, cases[i].offset);
    }
    inv = load_ok(BAD "/compat_proto3_cpickle_loads.pt", 0);
    assert_int_equal(mm_inventory_tensor_count(inv), 1);
    assert_int_equal(mm_inventory_warning_count(inv), 1);
    assert_int_equal(mm_inventory_warning(inv, 0)->code, MM_E_UNKNOWN_GLOBAL);
    assert_int_equal(mm_inventory_warning(inv, 0)->offset, 193);
    assert_non_null(strstr(mm_inventory_warning(inv, 0)->message, "cPickle.loads,"));
    mm_inventory_free(inv);
    /* in memory: the allow-list as Python 3 names it (copy_reg, __builtin__
     * at protocol 2 are copyreg, builtins); a mapped module refused by its
     * Python 3 name with no PROTO (http.server) but not at protocol 3; a
     * deny-listed spelling refused even where Python 3 maps it to nothing
     * it has */
    mem_global("\x80\x02}Va\nccopy_reg\n_reconstructor\n"
               "(c__builtin__\nobject\nc__builtin__\nobject\nNtRs.", MM_E_NONE, NULL);
    mem_global("}Va\ncSimpleHTTPServer\ntest\n)Rs.", MM_E_UNSAFE_GLOBAL,
               "SimpleHTTPServer.test (read as http.server.test below protocol 3)");
    mem_global("\x80\x03" "cSimpleHTTPServer\ntest\n)R.", MM_E_UNKNOWN_GLOBAL,
               "SimpleHTTPServer.test,");
    mem_global("\x80\x02" "cexceptions\nValueError\n)R.", MM_E_UNKNOWN_GLOBAL,
               "exceptions.ValueError (read as builtins.ValueError below protocol 3)");
    mem_global("\x80\x02" "c__builtin__\nexecfile\n)R.", MM_E_UNSAFE_GLOBAL,
               "__builtin__.execfile (read as builtins.execfile below protocol 3)");
    assert_int_not_equal(access(PWNED, F_OK), 0);
}

static void test_unknown_global(void **state)
{
    struct mm_inventory *inv = load_ok(BAD "/unknown_global.pt", 0);
    (void)state;
    assert_int_equal(mm_inventory_tensor_count(inv), 1);
    assert_string_equal(mm_inventory_tensor(inv, 0)->name, "w");
    assert_int_equal(mm_inventory_warning(inv, 0)->offset, 193);
    assert_int_equal(mm_inventory_warning_count(inv), 1);
    assert_int_equal(mm_inventory_warning(inv, 0)->code, MM_E_UNKNOWN_GLOBAL);
    assert_non_null(strstr(mm_inventory_warning(inv, 0)->message, "mypackage.config.Config"));
    mm_inventory_free(inv);
}

static void test_verify(void **state)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_verify(&rep, BAD "/os_system.pt", NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 1);
    assert_int_equal(mm_verify_problem(rep, 0)->code, MM_E_UNSAFE_GLOBAL);
    assert_int_equal(mm_verify_problem(rep, 0)->offset, 48);
    assert_non_null(strstr(mm_verify_problem(rep, 0)->message, "os.system"));
    mm_verify_free(rep);
    assert_int_equal(mm_verify(&rep, BAD "/unknown_global.pt", NULL, &err), MM_OK);
    assert_int_equal(mm_verify_error_count(rep), 0);
    assert_int_equal(mm_verify_problem_count(rep), 1);
    assert_int_equal(mm_verify_problem(rep, 0)->severity, MM_SEVERITY_WARNING);
    assert_int_equal(mm_verify_problem(rep, 0)->code, MM_E_UNKNOWN_GLOBAL);
    mm_verify_free(rep);
    assert_int_not_equal(access(PWNED, F_OK), 0);
}

/* ---- Limits, each just past it, on plain pickles in memory ------------------- */

static void mem_fails(const uint8_t *p, size_t n, const char *code)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    assert_int_not_equal(mm_inventory_load_memory(&inv, p, n, "limit.pkl", &err), MM_OK);
    if (strcmp(mm_errcode_name(err.code), code) != 0) {
        fail_msg("got %s (%s), want %s", mm_errcode_name(err.code), err.message, code);
    }
}

static void mem_ok(const uint8_t *p, size_t n)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    if (mm_inventory_load_memory(&inv, p, n, "ok.pkl", &err) != MM_OK) {
        fail_msg("%s: %s", mm_errcode_name(err.code), err.message);
    }
    mm_inventory_free(inv);
}

/* PROTO 2, NONE, k x (MARK, POP_MARK), STOP: 3 + 2k opcodes. */
static uint8_t *ops_pickle(size_t k, size_t *n)
{
    uint8_t *p = malloc(2 * k + 4);
    size_t i;
    assert_non_null(p);
    p[0] = 0x80;
    p[1] = 2;
    p[2] = 'N';
    for (i = 0; i < k; i++) {
        p[3 + 2 * i] = '(';
        p[4 + 2 * i] = '1';
    }
    p[3 + 2 * k] = '.';
    *n = 2 * k + 4;
    return p;
}

static void test_limit_ops(void **state)
{
    size_t n;
    uint8_t *p = ops_pickle((MM_LIMIT_PICKLE_OPS - 3) / 2, &n); /* LIMIT - 1 ops */
    (void)state;
    mem_ok(p, n);
    free(p);
    p = ops_pickle((MM_LIMIT_PICKLE_OPS - 1) / 2, &n); /* LIMIT + 1 ops */
    mem_fails(p, n, "limit-pickle-ops");
    free(p);
}

static void test_limit_stack(void **state)
{
    const size_t k = MM_LIMIT_PICKLE_STACK;
    uint8_t *p = malloc(k + 4);
    (void)state;
    assert_non_null(p);
    p[0] = 0x80;
    p[1] = 2;
    memset(p + 2, 'N', k);
    p[k + 2] = '.';
    mem_ok(p, k + 3);
    memset(p + 2, 'N', k + 1);
    p[k + 3] = '.';
    mem_fails(p, k + 4, "limit-pickle-stack");
    free(p);
}

static void test_limit_memo(void **state)
{
    uint8_t p[] = {0x80, 2, 'N', 'r', 0, 0, 0, 0, '.'};
    const uint32_t last = MM_LIMIT_PICKLE_MEMO - 1;
    (void)state;
    p[4] = (uint8_t)last;
    p[5] = (uint8_t)(last >> 8);
    p[6] = (uint8_t)(last >> 16);
    p[7] = (uint8_t)(last >> 24);
    mem_ok(p, sizeof(p));
    p[4] = (uint8_t)MM_LIMIT_PICKLE_MEMO;
    p[5] = (uint8_t)(MM_LIMIT_PICKLE_MEMO >> 8);
    p[6] = (uint8_t)(MM_LIMIT_PICKLE_MEMO >> 16);
    p[7] = (uint8_t)(MM_LIMIT_PICKLE_MEMO >> 24);
    mem_fails(p, sizeof(p), "limit-pickle-memo");
}

static const char *meta(const struct mm_inventory *inv, const char *key);

/* Memo indexes far beyond the pickle's length (kept in the hash table). */
static void test_sparse_memo(void **state)
{
    static const uint8_t p[] = {0x80, 2, 'K', 7, 'r', 0x40, 0x42, 0x0f, 0, '0', /* 1,000,000 */
                                'K', 8, 'r', 0x40, 0x4b, 0x4c, 0, '0',          /* 5,000,000 */
                                'j', 0x40, 0x42, 0x0f, 0, 'j', 0x40, 0x4b, 0x4c, 0, 0x86, '.'};
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_inventory_load_memory(&inv, p, sizeof(p), "memo.pkl", &err), MM_OK);
    assert_string_equal(meta(inv, "0"), "7");
    assert_string_equal(meta(inv, "1"), "8");
    mm_inventory_free(inv);
}

static void test_limit_string(void **state)
{
    const size_t len = MM_LIMIT_PICKLE_STRING + 1;
    uint8_t *p = malloc(len + 8);
    (void)state;
    assert_non_null(p);
    p[0] = 0x80;
    p[1] = 2;
    p[2] = 'B';
    memset(p + 7, 'a', len);
    p[len + 6] = '.'; /* MM_LIMIT_PICKLE_STRING bytes then STOP */
    p[3] = (uint8_t)(len - 1);
    p[4] = (uint8_t)((len - 1) >> 8);
    p[5] = (uint8_t)((len - 1) >> 16);
    p[6] = (uint8_t)((len - 1) >> 24);
    mem_ok(p, len + 7);
    p[len + 6] = 'a';
    p[len + 7] = '.';
    p[3] = (uint8_t)len;
    p[4] = (uint8_t)(len >> 8);
    p[5] = (uint8_t)(len >> 16);
    p[6] = (uint8_t)(len >> 24);
    mem_fails(p, len + 8, "limit-pickle-string");
    free(p);
}

/* lists nested `depth` deep: ] x depth, then a x (depth - 1) */
static void nested(size_t depth, int ok)
{
    uint8_t *p = malloc(2 * depth + 4);
    size_t i;
    assert_non_null(p);
    p[0] = 0x80;
    p[1] = 2;
    for (i = 0; i < depth; i++) {
        p[2 + i] = ']';
    }
    for (i = 0; i + 1 < depth; i++) {
        p[2 + depth + i] = 'a';
    }
    p[1 + 2 * depth] = '.';
    if (ok) {
        mem_ok(p, 2 * depth + 2);
    } else {
        mem_fails(p, 2 * depth + 2, "limit-pickle-depth");
    }
    free(p);
}

static void test_limit_depth(void **state)
{
    (void)state;
    nested(MM_LIMIT_PICKLE_DEPTH + 1, 1); /* depths 0 .. LIMIT */
    nested(MM_LIMIT_PICKLE_DEPTH + 2, 0);
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b + 4, (uint32_t)(v >> 32));
}

static void test_limit_zip_entries(void **state)
{
    /* a zip64 end record declaring LIMIT + 1 members, its locator, and the
     * end of central directory record */
    uint8_t z[4 + 56 + 20 + 22];
    (void)state;
    memset(z, 0, sizeof(z));
    memcpy(z, "PK\3\4", 4);
    memcpy(z + 4, "PK\6\6", 4);
    put64(z + 8, 44);
    put64(z + 28, MM_LIMIT_ZIP_ENTRIES + 1u);
    put64(z + 36, MM_LIMIT_ZIP_ENTRIES + 1u);
    put64(z + 44, 0);
    put64(z + 52, 4);
    memcpy(z + 60, "PK\6\7", 4);
    put64(z + 68, 4);
    put32(z + 76, 1);
    memcpy(z + 80, "PK\5\6", 4);
    z[88] = 0xff;
    z[89] = 0xff;
    z[90] = 0xff;
    z[91] = 0xff;
    put32(z + 92, 0xffffffffu);
    put32(z + 96, 0xffffffffu);
    mem_fails(z, sizeof(z), "limit-zip-entries");
}

/* ---- Opcodes of every protocol ----------------------------------------------- */

static const char *meta(const struct mm_inventory *inv, const char *key)
{
    size_t i;
    for (i = 0; i < mm_inventory_meta_count(inv); i++) {
        if (strcmp(mm_inventory_meta(inv, i)->key, key) == 0) {
            return mm_inventory_meta(inv, i)->value;
        }
    }
    fail_msg("no metadata %s", key);
    return "";
}

static void test_protocol0(void **state)
{
    static const char p[] = "(dp0\nS'a'\np1\nI42\nsS'b\\'c'\np2\nF1.5\nsV\\u00e9t\\u00e9\np3\n"
                            "L123456789012345678901234567890L\nsS\"d\"\n(I1\nI01\nI00\nN"
                            "lp4\nsS'e'\ng1\ns(S'f'\nI-7\nS'g'\n(tdp5\n0S'g'\nccollections\n"
                            "OrderedDict\n(tRp6\n(S'x'\nI1\nus.";
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_inventory_load_memory(&inv, p, sizeof(p) - 1, "p0.pkl", &err), MM_OK);
    assert_string_equal(meta(inv, "a"), "42");
    assert_string_equal(meta(inv, "b'c"), "1.5");
    assert_string_equal(meta(inv, "\xc3\xa9t\xc3\xa9"), "<integer beyond 64 bits>");
    assert_string_equal(meta(inv, "d.0"), "1");
    assert_string_equal(meta(inv, "d.1"), "True");
    assert_string_equal(meta(inv, "d.2"), "False");
    assert_string_equal(meta(inv, "d.3"), "None");
    assert_string_equal(meta(inv, "e"), "a");
    assert_string_equal(meta(inv, "g.x"), "1");
    mm_inventory_free(inv);
}

static void test_protocol5(void **state)
{
    /* FRAME, SHORT_BINUNICODE, MEMOIZE, BINGET, LONG_BINGET, BININT, BININT1,
     * BININT2, LONG1, LONG4, BINFLOAT, BINBYTES8, BYTEARRAY8, SHORT_BINBYTES,
     * BINSTRING, SHORT_BINSTRING, BINUNICODE8, EMPTY_SET, ADDITEMS, FROZENSET,
     * TUPLE1-3, NEWOBJ, NEWOBJ_EX, BUILD, READONLY_BUFFER, DUP,
     * POP, POP_MARK, INST, OBJ, PERSID, BINPERSID, APPENDS, SETITEMS */
    static const uint8_t p[] = {
        0x80, 5, 0x95, 0, 0, 0, 0, 0, 0, 0, 0,     /* PROTO 5, FRAME 0 */
        '}', 0x94, '(',                             /* dict, memo 0, MARK */
        0x8c, 1, 'i', 0x94, 'J', 0xfe, 0xff, 0xff, 0xff,  /* "i": -2 */
        0x8c, 1, 'k', 'K', 7,                       /* "k": 7 */
        0x8c, 1, 'm', 'M', 0x34, 0x12,              /* "m": 0x1234 */
        0x8c, 1, 'l', 0x8a, 2, 0xff, 0x7f,          /* "l": 32767 */
        0x8c, 2, 'l', '4', 0x8b, 1, 0, 0, 0, 0xff,  /* "l4": -1 */
        0x8c, 1, 'f', 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, /* "f": 1.5 */
        0x8c, 1, 'b', 0x8e, 1, 0, 0, 0, 0, 0, 0, 0, 'x',  /* "b": b"x" */
        0x8c, 1, 'y', 0x96, 0, 0, 0, 0, 0, 0, 0, 0,       /* "y": bytearray() */
        0x8c, 1, 's', 'C', 2, 'h', 'i',             /* "s": b"hi" */
        0x8c, 1, 't', 'T', 2, 0, 0, 0, 'o', 'k',    /* "t": "ok" */
        0x8c, 1, 'u', 'U', 1, 'z',                  /* "u": "z" */
        0x8c, 1, 'v', 0x8d, 1, 0, 0, 0, 0, 0, 0, 0, 'w',  /* "v": "w" */
        0x8c, 1, 'z', 0x8f, '(', 'K', 1, 'K', 2, 0x90,   /* "z": {1, 2} */
        0x8c, 2, 'f', 's', '(', 'K', 3, 0x91,       /* "fs": frozenset({3}) */
        0x8c, 2, 't', '3', 'K', 1, 0x85, 'K', 2, 'K', 3, 0x86, 'K', 4, 'K', 5, 'K', 6,
        0x87, 0x87,                                 /* "t3": ((1,), (2, 3), (4, 5, 6)) */
        0x8c, 1, 'o', 0x8c, 1, 'm', 0x8c, 1, 'C', 0x93, ')', 0x81,
        '}', 0x8c, 1, 'a', 'K', 9, 's', 'b',        /* "o": m.C() with state {"a": 9} */
        0x8c, 1, 'x', 0x8c, 1, 'm', 0x8c, 1, 'D', 0x93, ')', '}', 0x92, /* NEWOBJ_EX */
        0x8c, 1, 'n', 'C', 1, 'x', 0x98,            /* "n": b"x", read-only */
        0x8c, 1, 'd', 'N', '2', '0',                /* "d": None (DUP, POP) */
        '(', 'K', 5, '1',                           /* MARK ... POP_MARK */
        0x8c, 1, 'p', 'P', '7', '\n',               /* "p": PERSID "7" */
        0x8c, 1, 'q', 'K', 1, 'Q',                  /* "q": BINPERSID 1 */
        0x8c, 1, 'r', '(', 'K', 1, 'i', 'm', '\n', 'E', '\n', /* INST */
        0x8c, 1, 'w', '(', 0x8c, 1, 'm', 0x8c, 1, 'F', 0x93, 'K', 2, 'o', /* OBJ */
        0x8c, 1, 'L', ']', '(', 'K', 1, 'K', 2, 'e', /* "L": [1, 2] */
        0x8c, 1, 'g', 'h', 0, 'j', 0, 0, 0, 0, 0x86, /* "g": (memo 0, memo 0) */
        'u', '.',
    };
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    if (mm_inventory_load_memory(&inv, p, sizeof(p), "p5.pkl", &err) != MM_OK) {
        fail_msg("%s: %s (byte %lld)", mm_errcode_name(err.code), err.message,
                 (long long)err.offset);
    }
    assert_string_equal(meta(inv, "i"), "-2");
    assert_string_equal(meta(inv, "k"), "7");
    assert_string_equal(meta(inv, "m"), "4660");
    assert_string_equal(meta(inv, "l"), "32767");
    assert_string_equal(meta(inv, "l4"), "-1");
    assert_string_equal(meta(inv, "f"), "1.5");
    assert_string_equal(meta(inv, "b"), "<1 bytes>");
    assert_string_equal(meta(inv, "t"), "ok");
    assert_string_equal(meta(inv, "v"), "w");
    assert_string_equal(meta(inv, "z.1"), "2");
    assert_string_equal(meta(inv, "t3.2.2"), "6");
    assert_string_equal(meta(inv, "o.a"), "9");
    assert_string_equal(meta(inv, "L.1"), "2");
    assert_int_equal(mm_inventory_warning_count(inv), 4); /* m.C, m.D, m.E, m.F */
    mm_inventory_free(inv);
}

/* What Lib/pickle.py's _Unframer and str(b, 'utf-8', 'surrogatepass')
 * accept and refuse, beyond the fixtures (gen_malformed.py strict()). */
static void test_strict_pickles(void **state)
{
    /* a frame may end between an opcode and its argument, which is then
     * read outside it (_pickle.c writes a large argument so) */
    static const uint8_t split[] = {0x80, 4, 0x95, 6, 0, 0, 0, 0, 0, 0, 0, '}', 0x8c, 1, 'k',
                                    0x8c, 2, 'v', 'w', 's', '.'};
    /* frames back to back, the last ending at STOP */
    static const uint8_t two[] = {0x80, 4, 0x95, 1, 0, 0, 0, 0, 0, 0, 0, ']',
                                  0x95, 1, 0, 0, 0, 0, 0, 0, 0, '.'};
    /* an encoded surrogate passes ('surrogatepass') */
    static const uint8_t surrogate[] = {0x80, 4, '}', 0x8c, 1, 's', 0x8c, 3, 0xed, 0xa0, 0x80,
                                        's', '.'};
    /* GLOBAL's line runs past the end of its frame */
    static const uint8_t line[] = {0x80, 4, 0x95, 2, 0, 0, 0, 0, 0, 0, 0, 'c', 'm', '\n', 'C',
                                   '\n', '.'};
    /* a 4-byte sequence above U+10FFFF; a truncated one */
    static const uint8_t big[] = {0x80, 4, 0x8c, 4, 0xf4, 0x90, 0x80, 0x80, '.'};
    static const uint8_t cut[] = {0x80, 4, 0x8c, 2, 'a', 0xe2, '.'};
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_inventory_load_memory(&inv, split, sizeof(split), "s.pkl", &err), MM_OK);
    assert_string_equal(meta(inv, "k"), "vw");
    mm_inventory_free(inv);
    mem_ok(two, sizeof(two));
    mem_ok(surrogate, sizeof(surrogate));
    mem_fails(line, sizeof(line), "pickle-frame-length");
    mem_fails(big, sizeof(big), "pickle-string-not-utf8");
    mem_fails(cut, sizeof(cut), "pickle-string-not-utf8");
}

static void test_bad_protocol(void **state)
{
    static const uint8_t proto6[] = {0x80, 6, 'N', '.'};
    static const uint8_t ext1[] = {0x80, 2, 0x82, 1, '.'};
    static const uint8_t nostop[] = {0x80, 2, 'N'};
    static const uint8_t nomark[] = {0x80, 2, 't', '.'};
    (void)state;
    mem_fails(proto6, sizeof(proto6), "unsupported-version");
    mem_fails(ext1, sizeof(ext1), "invalid-pickle");
    mem_fails(nostop, sizeof(nostop), "truncated");
    mem_fails(nomark, sizeof(nomark), "invalid-pickle");
}

/* ---- Damaged copies of every kind of file: an error or an inventory, never a
 * crash, a hang or a leak (run under the sanitizers) --------------------------- */

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_mutations(void **state)
{
    static const char *const files[] = {TORCH "/tied.pt", TORCH "/legacy.pt",
                                        TORCH "/training.pt", TORCH "/deflated.pt",
                                        TORCH "/proto4.pt", BAD "/rebuild_from_type.pt"};
    uint32_t seed = 12345;
    size_t f;
    (void)state;
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        size_t len;
        char *orig = slurp(files[f], &len);
        char *buf = malloc(len + 1);
        unsigned round;
        assert_non_null(buf);
        for (round = 0; round < 400; round++) {
            struct mm_inventory *inv = NULL;
            struct mm_error err;
            size_t n = len;
            unsigned k;
            const unsigned flips = 1 + rng_next(&seed) % 4;
            memcpy(buf, orig, len);
            for (k = 0; k < flips; k++) {
                buf[rng_next(&seed) % len] = (char)rng_next(&seed);
            }
            if (round % 5 == 0) {
                n = rng_next(&seed) % len; /* and truncated */
            }
            if (mm_inventory_load_memory(&inv, buf, n, "mutant", &err) == MM_OK) {
                mm_inventory_free(inv);
            } else {
                assert_null(inv);
                assert_true(err.message[0] != '\0');
            }
        }
        free(buf);
        free(orig);
    }
}

/* ---- Folders and indexes ------------------------------------------------------ */

static char tmpdir[256];

static void put_file(const char *rel, const void *data, size_t len)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void copy_in(const char *src, const char *rel)
{
    size_t len;
    char *data = slurp(src, &len);
    put_file(rel, data, len);
    free(data);
}

static void sub(const char *rel)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static struct mm_inventory *load_rel(const char *rel)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
    return load_ok(path, 0);
}

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/mm_torch_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmp(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_folders(void **state)
{
    static const char evil[] = "{\"weight_map\": {\"w\": \"../evil.bin\"}}";
    static const char absent[] = "{\"weight_map\": {\"w\": \"pytorch_model-1.bin\"}}";
    struct mm_inventory *inv;
    char path[600];
    (void)state;
    /* safetensors weights win over PyTorch ones */
    sub("both");
    copy_in(MM_SOURCE_DIR "/tests/cli/data/model.safetensors", "both/model.safetensors");
    copy_in(TORCH "/tied.pt", "both/pytorch_model.bin");
    inv = load_rel("both");
    assert_int_equal(mm_inventory_file_count(inv), 1);
    assert_string_equal(mm_inventory_file(inv, 0)->format, "safetensors");
    mm_inventory_free(inv);
    /* pytorch_model.bin alone, not the Trainer's other files */
    sub("trainer");
    copy_in(TORCH "/tied.pt", "trainer/pytorch_model.bin");
    copy_in(TORCH "/training.pt", "trainer/optimizer.pt");
    copy_in(BAD "/unknown_global.pt", "trainer/training_args.bin");
    inv = load_rel("trainer");
    assert_int_equal(mm_inventory_file_count(inv), 1);
    assert_string_equal(mm_inventory_file(inv, 0)->path, "pytorch_model.bin");
    mm_inventory_free(inv);
    /* else every *.bin, *.pt, *.pth, *.ckpt */
    sub("loose");
    copy_in(TORCH "/dtypes.pt", "loose/a.pt");
    copy_in(TORCH "/parameter.pt", "loose/b.pth");
    copy_in(TORCH "/legacy.pt", "loose/c.ckpt");
    inv = load_rel("loose");
    assert_int_equal(mm_inventory_file_count(inv), 3);
    assert_int_equal(mm_inventory_tensor_count(inv), 12 + 2 + 6);
    mm_inventory_free(inv);
    /* the index file itself as TARGET */
    inv = load_ok(TORCH "/sharded/pytorch_model.bin.index.json", 0);
    assert_int_equal(mm_inventory_file_count(inv), 2);
    mm_inventory_free(inv);
    /* shard names that leave the folder, shards that are not there */
    sub("evil");
    put_file("evil/pytorch_model.bin.index.json", evil, sizeof(evil) - 1);
    snprintf(path, sizeof(path), "%s/evil", tmpdir);
    load_fails(path, "unsafe-shard-name", -1);
    sub("absent");
    put_file("absent/pytorch_model.bin.index.json", absent, sizeof(absent) - 1);
    snprintf(path, sizeof(path), "%s/absent", tmpdir);
    load_fails(path, "shard-missing", -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected),
        cmocka_unit_test(test_tied_and_views),
        cmocka_unit_test(test_training_metadata),
        cmocka_unit_test(test_handmade),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malicious),
        cmocka_unit_test(test_dotted_globals),
        cmocka_unit_test(test_compat_globals),
        cmocka_unit_test(test_unknown_global),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_limit_ops),
        cmocka_unit_test(test_limit_stack),
        cmocka_unit_test(test_limit_memo),
        cmocka_unit_test(test_sparse_memo),
        cmocka_unit_test(test_limit_string),
        cmocka_unit_test(test_limit_depth),
        cmocka_unit_test(test_limit_zip_entries),
        cmocka_unit_test(test_protocol0),
        cmocka_unit_test(test_protocol5),
        cmocka_unit_test(test_strict_pickles),
        cmocka_unit_test(test_bad_protocol),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test_setup_teardown(test_folders, make_tmp, remove_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
