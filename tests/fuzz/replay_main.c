/*
 * replay_main.c - a standalone driver for the fuzz targets, so that any
 * compiler can build them and ctest replays every corpus file and every
 * past crash (zstd's regression_driver.c, libgit2's standalone_driver.c).
 *
 *     replay_NAME PATH...    each PATH a file, or a folder whose files
 *                            (not sub-folders) are replayed in name order
 *
 * Each input is read whole and given to LLVMFuzzerTestOneInput once. A
 * crash is the sanitizers' or the target's; exit 0 means every input ran.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file; NULL (and a message) when it cannot. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0;
    size_t len = 0;
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        size_t got;
        if (len == cap) {
            const size_t ncap = cap == 0 ? 65536 : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                fprintf(stderr, "replay: %s: out of memory\n", path);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = len;
    return buf;
}

static int replay_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_file(path, &size);
    if (data == NULL) {
        return 1;
    }
    /* libFuzzer hands over exactly `size` bytes: so does the copy */
    {
        uint8_t *exact = malloc(size == 0 ? 1 : size);
        if (exact == NULL) {
            free(data);
            return 1;
        }
        if (size > 0) {
            memcpy(exact, data, size);
        }
        free(data);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the regular files of a folder; *count receives how many. */
static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    size_t i;
    int bad = 0;
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        const size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full;
        struct stat sb;
        if (e->d_name[0] == '.') {
            continue;
        }
        full = malloc(len);
        if (full == NULL) {
            bad = 1;
            break;
        }
        snprintf(full, len, "%s/%s", dir, e->d_name);
        if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(full);
            continue;
        }
        if (n == cap) {
            char **nn = realloc(names, (cap == 0 ? 64 : cap * 2) * sizeof(*names));
            if (nn == NULL) {
                free(full);
                bad = 1;
                break;
            }
            names = nn;
            cap = cap == 0 ? 64 : cap * 2;
        }
        names[n++] = full;
    }
    closedir(d);
    if (n > 1) {
        qsort(names, n, sizeof(*names), cmp_str);
    }
    for (i = 0; i < n; i++) {
        bad |= replay_file(names[i]);
        free(names[i]);
    }
    free(names);
    *count += n;
    return bad;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int bad = 0;
    int i;
    for (i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            /* a target without crashes yet has no crash folder */
            if (errno == ENOENT) {
                continue;
            }
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            bad = 1;
        } else if (S_ISDIR(sb.st_mode)) {
            bad |= replay_dir(argv[i], &count);
        } else {
            bad |= replay_file(argv[i]);
            count++;
        }
    }
    printf("replayed %zu input(s)\n", count);
    return bad;
}
