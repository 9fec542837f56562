/*
 * modelmem_wasm.c - the entry points of the WebAssembly module (web/build.sh).
 *
 * The page's files are mounted read-only in the module's file system
 * (Emscripten's WORKERFS, in a Web Worker: a read is a FileReaderSync read of
 * a File.slice(), so the library's pread source reads only header bytes) and
 * the worker makes the mount root the current folder, so a model is named
 * by its path there, used as TARGET exactly as the command line takes it.
 *
 * mm_wasm_run runs the command line's own estimate and inspect (src/cli:
 * the same option parsing, library calls and JSON renderers); its document
 * goes to stdout and its one-line errors to stderr, which the worker
 * collects. mm_wasm_scan lists the models among the mounted files, found
 * by the library's scan (mm_scan_find) as `modelmem scan .` finds them.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* Longest model path kept (a TARGET the command line takes). */
#define PATH_BYTES 4096

int mm_wasm_run(int argc, char **argv);
int mm_wasm_scan(void);

/* argv[0] is "estimate" or "inspect"; the rest, that command's arguments. */
int mm_wasm_run(int argc, char **argv)
{
    int rc;
    if (argc < 1) {
        rc = cli_usage_error("missing command");
    } else if (strcmp(argv[0], "estimate") == 0) {
        rc = cli_estimate(argc - 1, argv + 1);
    } else if (strcmp(argv[0], "inspect") == 0) {
        rc = cli_inspect(argc - 1, argv + 1);
    } else {
        rc = cli_usage_error("unknown command '%s'", argv[0]);
    }
    fflush(stdout);
    fflush(stderr);
    return rc;
}

struct scan {
    struct out *o;
    size_t rows;
};

/* The formats of the files joined with '+', as scan writes them. */
static void row_format(char *buf, size_t size, const struct mm_inventory *inv)
{
    const size_t nf = mm_inventory_file_count(inv);
    size_t i;
    buf[0] = '\0';
    for (i = 0; i < nf; i++) {
        const char *f = mm_inventory_file(inv, i)->format;
        const size_t len = strlen(buf);
        if (strstr(buf, f) == NULL && len + strlen(f) + 2 < size) {
            snprintf(buf + len, size - len, "%s%s", len > 0 ? "+" : "", f);
        }
    }
}

/* One model: what its inventory says, or why it cannot be read. The
 * worker adds "estimate" (the estimate document) to rows without error. */
static void row(struct scan *s, const char *path, const struct mm_inventory *inv,
                const struct mm_error *err)
{
    struct out *o = s->o;
    /* "id" is null even for a Hugging Face cache snapshot among the chosen
     * files: local.js names every model by its path (the page asks for
     * row.id ?? row.path), as the server names one without an id. */
    out_str(o, s->rows == 0 ? "\n    {\"id\": null" : ",\n    {\"id\": null");
    s->rows++;
    out_str(o, ", \"revision\": null, \"refs\": null, \"path\": ");
    out_json_str(o, path);
    if (inv != NULL) {
        const struct mm_totals *t = mm_inventory_totals(inv);
        const size_t nf = mm_inventory_file_count(inv);
        char format[64];
        uint64_t disk = 0;
        size_t i;
        for (i = 0; i < nf; i++) {
            disk += mm_inventory_file(inv, i)->bytes; /* no links in a mount of Files */
        }
        row_format(format, sizeof(format), inv);
        out_str(o, ", \"format\": ");
        out_json_str(o, format);
        out_str(o, ", \"files\": ");
        out_u64(o, nf);
        out_str(o, ", \"tensors\": ");
        out_u64(o, t->tensors);
        out_str(o, ", \"parameters\": ");
        out_u64(o, t->parameters);
        out_str(o, ", \"parameters_by_dtype\": ");
        out_json_by_dtype(o, t->parameters_by_dtype);
        out_str(o, ", \"stored_bytes\": ");
        out_u64(o, t->bytes);
        out_str(o, ", \"disk_bytes\": ");
        out_u64(o, disk);
        out_str(o, ", \"estimate\": null, \"error\": null}");
        return;
    }
    {
        char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
        mm_error_format(line, sizeof(line), err);
        out_str(o, ", \"format\": null, \"files\": null, \"tensors\": null, "
                   "\"parameters\": null, \"parameters_by_dtype\": null, \"stored_bytes\": "
                   "null, \"disk_bytes\": null, \"estimate\": null, \"error\": {\"code\": ");
        out_json_str(o, mm_errcode_name(err->code));
        out_str(o, ", \"message\": ");
        out_json_str(o, line);
        out_str(o, "}}");
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in `dir` that are folders (is_dir) or files, not hidden, sorted;
 * NULL-terminated, or NULL when out of memory. */
static char **names_in(const char *dir, bool is_dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    const struct dirent *e;
    *count = 0;
    if (d == NULL) {
        return calloc(1, sizeof(char *));
    }
    while ((e = readdir(d)) != NULL) {
        char path[PATH_BYTES];
        struct stat sb;
        char **grown;
        if (e->d_name[0] == '.') {
            continue;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
            stat(path, &sb) != 0 || (S_ISDIR(sb.st_mode) != 0) != is_dir) {
            continue;
        }
        if (n + 2 > cap) {
            cap = cap == 0 ? 8 : cap * 2;
            grown = realloc(names, cap * sizeof(char *));
            if (grown == NULL) {
                break;
            }
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            break;
        }
        n++;
    }
    closedir(d);
    if (names == NULL) {
        return calloc(1, sizeof(char *));
    }
    qsort(names, n, sizeof(char *), cmp_str);
    names[n] = NULL;
    *count = n;
    return names;
}

static void free_names(char **names)
{
    size_t i;
    for (i = 0; names != NULL && names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* The path a scan entry is named by: the scan's, less the "./" of the
 * mount root, as the command line run in the chosen folder names it. */
static const char *name_of(const char *path)
{
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
    }
    return path;
}

/*
 * Writes {"schema": "modelmem.scan/1", "models": [...]} for the current
 * folder (the mount root) on stdout. The models are those the command
 * line's scan finds (mm_scan_find, the same rules as `modelmem scan .`:
 * model folders, Hugging Face cache repositories, a folder's alternative
 * GGUF files). One file alone at the root (a file chosen or dropped by
 * itself) is a model of its own, named by its file name as the command line
 * names a file. Returns EXIT_OK, or EXIT_INPUT when out of memory.
 */
int mm_wasm_scan(void)
{
    struct mm_scan_options opts = MM_SCAN_OPTIONS_INIT;
    struct mm_scan *found = NULL;
    struct mm_error err;
    struct scan s;
    size_t nfiles;
    size_t ndirs;
    size_t i;
    char **files = names_in(".", false, &nfiles);
    char **dirs = names_in(".", true, &ndirs);
    const char *root[1] = {"."};
    int rc = EXIT_OK;
    memset(&s, 0, sizeof(s));
    s.o = malloc(sizeof(*s.o));
    if (s.o == NULL || files == NULL || dirs == NULL) {
        rc = EXIT_INPUT;
        goto out;
    }
    if (nfiles == 1 && ndirs == 0) {
        root[0] = files[0];
    }
    if (mm_scan_find(&found, root, 1, &opts, &err) != MM_OK) {
        rc = EXIT_INPUT;
        goto out;
    }
    out_init(s.o, stdout);
    out_str(s.o, "{\n  \"schema\": \"modelmem.scan/1\",\n  \"models\": [");
    for (i = 0; i < mm_scan_count(found); i++) {
        const struct mm_scan_model *m = mm_scan_model(found, i);
        const char *path = name_of(m->path);
        struct mm_load_options lo = MM_LOAD_OPTIONS_INIT;
        struct mm_inventory *inv = NULL;
        lo.threads = 1;
        if (m->error != NULL) {
            row(&s, path, NULL, m->error);
        } else if (mm_inventory_load(&inv, path, &lo, &err) == MM_OK) {
            row(&s, path, inv, NULL);
        } else if (err.status == MM_ERR_NOMEM) {
            rc = EXIT_INPUT;
        } else {
            row(&s, path, NULL, &err);
        }
        mm_inventory_free(inv);
    }
    out_str(s.o, s.rows > 0 ? "\n  ]\n}\n" : "]\n}\n");
    out_flush(s.o);
    fflush(stdout);
out:
    if (rc != EXIT_OK) {
        fputs("modelmem: out of memory\n", stderr);
    }
    mm_scan_free(found);
    free(s.o);
    free_names(files);
    free_names(dirs);
    return rc;
}
