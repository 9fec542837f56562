/*
 * floor.c - the benchmark's floor: the least any tool must do to read a
 * sharded safetensors folder's headers. It reads the index file whole and,
 * for each *.safetensors file of the folder, opens it and preads the
 * 8-byte length and the header bytes; nothing is parsed.
 *
 *   floor [--no-index] DIR
 *
 * --no-index skips the index file: the headers-only floor, the least a
 * tool must do that lists the shards from the folder instead of reading
 * the index first.
 *
 * Prints "files F header_bytes B" on stdout; exits 1 on any error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *path)
{
    fprintf(stderr, "floor: %s: %s\n", path, strerror(errno != 0 ? errno : EIO));
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s);
    const size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Reads n bytes at off into p. */
static int read_at(int fd, void *p, size_t n, off_t off)
{
    char *b = p;
    while (n > 0) {
        const ssize_t r = pread(fd, b, n, off);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        b += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

/* Reads an index file whole, or a shard's 8-byte length and then its
 * header; adds the bytes of JSON read to *got. */
static int read_file(const char *path, int is_index, uint64_t *got)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t len8[8];
    uint64_t n = 0;
    char *buf;
    unsigned k;
    off_t at = 8;
    if (fd < 0) {
        return -1;
    }
    if (is_index) {
        const off_t end = lseek(fd, 0, SEEK_END);
        n = end < 0 ? 0 : (uint64_t)end;
        at = 0;
    } else {
        if (read_at(fd, len8, 8, 0) != 0) {
            close(fd);
            return -1;
        }
        for (k = 0; k < 8; k++) {
            n |= (uint64_t)len8[k] << (8 * k);
        }
    }
    if (n > 100000000u) {
        close(fd);
        errno = EFBIG;
        return -1;
    }
    buf = malloc(n == 0 ? 1 : (size_t)n);
    if (buf == NULL || read_at(fd, buf, (size_t)n, at) != 0) {
        free(buf);
        close(fd);
        return -1;
    }
    free(buf);
    *got += n;
    return close(fd);
}

int main(int argc, char **argv)
{
    DIR *d;
    struct dirent *e;
    char path[4096];
    uint64_t bytes = 0;
    unsigned files = 0;
    const int no_index = argc == 3 && strcmp(argv[1], "--no-index") == 0;
    const char *dir = argv[argc - 1];
    if (argc != 2 && !no_index) {
        fputs("usage: floor [--no-index] DIR\n", stderr);
        return 2;
    }
    d = opendir(dir);
    if (d == NULL) {
        return fail(dir);
    }
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        const int is_index = ends_with(e->d_name, ".safetensors.index.json");
        if (e->d_name[0] == '.' || (!is_index && !ends_with(e->d_name, ".safetensors")) ||
            (is_index && no_index)) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (read_file(path, is_index, &bytes) != 0) {
            closedir(d);
            return fail(path);
        }
        files++;
    }
    closedir(d);
    printf("files %u header_bytes %llu\n", files, (unsigned long long)bytes);
    return 0;
}
