/* test_slurp.h - the tests' whole-file reader (cmocka assertions on every
 * step). Include after <cmocka.h>. */
#ifndef MM_TEST_SLURP_H
#define MM_TEST_SLURP_H

#include <stdio.h>
#include <stdlib.h>

/* The file's bytes, NUL-terminated, malloc'ed; *len gets their count. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

#endif
