/* source.c - bounded reads from a file (pread) or from memory. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

enum mm_status mm_source_open(struct mm_source *out, const char *path, const char *name,
                              struct mm_error *err)
{
    struct stat st;
    int fd;
    int flags;
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    out->name = name;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        const int e = errno;
        if (e == ENOENT) {
            return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, name, NULL, -1,
                           "no such file");
        }
        return mm_fail(err, MM_ERR_IO, MM_E_IO, name, NULL, -1, "cannot open: %s",
                       strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        close(fd);
        return mm_fail(err, MM_ERR_IO, MM_E_IO, name, NULL, -1, "cannot stat: %s",
                       strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_NOT_REGULAR, name, NULL, -1,
                       "not a regular file");
    }
    flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    out->fd = fd;
    out->size = (uint64_t)st.st_size;
    return MM_OK;
}

void mm_source_memory(struct mm_source *out, const void *data, size_t size, const char *name)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    out->mem = data;
    out->size = size;
    out->name = name;
}

void mm_source_close(struct mm_source *src)
{
    if (src != NULL && src->fd >= 0) {
        close(src->fd);
        src->fd = -1;
    }
}

enum mm_status mm_source_read_some(const struct mm_source *src, uint64_t offset, void *buf,
                                   size_t len, size_t *got, struct mm_error *err)
{
    size_t want = len;
    size_t done = 0;
    *got = 0;
    if (offset >= src->size) {
        return MM_OK;
    }
    if (want > src->size - offset) {
        want = (size_t)(src->size - offset);
    }
    if (src->mem != NULL) {
        memcpy(buf, src->mem + offset, want);
        *got = want;
        return MM_OK;
    }
    while (done < want) {
        const ssize_t n = pread(src->fd, (uint8_t *)buf + done, want - done,
                                (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return mm_fail(err, MM_ERR_IO, MM_E_IO, src->name, NULL, (int64_t)(offset + done),
                           "read failed: %s", strerror(errno));
        }
        if (n == 0) {
            break; /* the file shrank under us: the caller sees a short read */
        }
        done += (size_t)n;
    }
    *got = done;
    return MM_OK;
}

enum mm_status mm_source_read(const struct mm_source *src, uint64_t offset, void *buf,
                              size_t len, enum mm_errcode short_code, struct mm_error *err)
{
    size_t got;
    const enum mm_status st = mm_source_read_some(src, offset, buf, len, &got, err);
    if (st != MM_OK) {
        return st;
    }
    if (got != len) {
        return mm_fail(err, MM_ERR_MALFORMED, short_code, src->name, NULL,
                       (int64_t)(offset + got), "file ends after %llu bytes, %zu more expected",
                       (unsigned long long)(offset + got), len - got);
    }
    return MM_OK;
}

/* ---- Two halves at once ------------------------------------------------- */

struct half {
    const struct mm_source *src;
    uint64_t offset;
    uint8_t *buf;
    size_t len;
    size_t got;
    struct mm_error err;
    enum mm_status st;
};

static void *read_half(void *arg)
{
    struct half *h = arg;
    h->st = mm_source_read_some(h->src, h->offset, h->buf, h->len, &h->got, &h->err);
    return NULL;
}

enum mm_status mm_source_read_all(const struct mm_source *src, void *buf, size_t len,
                                  enum mm_errcode short_code, struct mm_error *err)
{
    struct half h[2];
    pthread_t tid;
    size_t got;
    const size_t mid = len / 2;
    if (len < MM_SOURCE_HALVES || src->fd < 0) {
        return mm_source_read(src, 0, buf, len, short_code, err);
    }
    h[0] = (struct half){src, 0, buf, mid, 0, {0}, MM_OK};
    h[1] = (struct half){src, mid, (uint8_t *)buf + mid, len - mid, 0, {0}, MM_OK};
    mm_error_clear(&h[1].err);
    if (pthread_create(&tid, NULL, read_half, &h[1]) != 0) {
        return mm_source_read(src, 0, buf, len, short_code, err);
    }
    read_half(&h[0]);
    pthread_join(tid, NULL);
    if (h[0].st != MM_OK || (h[0].got == mid && h[1].st != MM_OK)) {
        const struct half *f = h[0].st != MM_OK ? &h[0] : &h[1];
        if (err != NULL) {
            *err = f->err;
        }
        return f->st;
    }
    /* as one read would have seen it: the file ends where the first
     * short half ends */
    got = h[0].got < mid ? h[0].got : mid + h[1].got;
    if (got != len) {
        return mm_fail(err, MM_ERR_MALFORMED, short_code, src->name, NULL, (int64_t)got,
                       "file ends after %llu bytes, %zu more expected",
                       (unsigned long long)got, len - got);
    }
    return MM_OK;
}
