/* test_serve_mhd.c - the loader of libmicrohttpd (src/cli/serve_mhd.c):
 * the library the program was built against loads whole; a SONAME that
 * names no library, and a library without the functions, fail with the
 * one line `serve` prints, and leave nothing loaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/serve_mhd.h"

#define ABSENT "libmodelmem-no-such-library.so.0"

/* Whether every byte of m is zero: nothing loaded, no pointer left. */
static bool zeroed(const struct serve_mhd *m)
{
    const unsigned char *p = (const unsigned char *)m;
    size_t i;
    for (i = 0; i < sizeof(*m); i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

static void test_loads_the_built_against_library(void **state)
{
    struct serve_mhd m;
    char err[512] = "";
    (void)state;
    assert_int_equal(serve_mhd_load(&m, MM_MHD_SONAME, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_non_null(m.handle);
    assert_non_null(m.start_daemon);
    assert_non_null(m.stop_daemon);
    assert_non_null(m.get_connection_values);
    assert_non_null(m.lookup_connection_value);
    assert_non_null(m.create_response_from_buffer);
    assert_non_null(m.add_response_header);
    assert_non_null(m.queue_response);
    assert_non_null(m.destroy_response);
    serve_mhd_unload(&m);
    assert_true(zeroed(&m));
}

static void test_absent_library(void **state)
{
    static const char prefix[] = "cannot load libmicrohttpd (" ABSENT "): ";
    struct serve_mhd m;
    char err[512] = "";
    (void)state;
    memset(&m, 0xa5, sizeof(m));
    assert_int_equal(serve_mhd_load(&m, ABSENT, err, sizeof(err)), -1);
    assert_true(zeroed(&m));
    assert_memory_equal(err, prefix, sizeof(prefix) - 1);
    /* dlerror's text follows, naming the file it did not find */
    assert_non_null(strstr(err + sizeof(prefix) - 1, ABSENT));
    assert_null(strchr(err, '\n'));
    serve_mhd_unload(&m);
}

/* A library that loads but has no MHD_ functions: glibc's libc. */
static void test_library_without_the_functions(void **state)
{
    (void)state;
#ifdef __GLIBC__
    static const char prefix[] = "cannot load libmicrohttpd (libc.so.6): ";
    struct serve_mhd m;
    char err[512] = "";
    assert_int_equal(serve_mhd_load(&m, "libc.so.6", err, sizeof(err)), -1);
    assert_true(zeroed(&m));
    assert_memory_equal(err, prefix, sizeof(prefix) - 1);
    assert_non_null(strstr(err, "MHD_start_daemon"));
#else
    skip();
#endif
}

/* The line is cut to the buffer, never past it. */
static void test_short_buffer(void **state)
{
    struct serve_mhd m;
    char err[16];
    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(serve_mhd_load(&m, ABSENT, err, 8), -1);
    assert_string_equal(err, "cannot ");
    assert_int_equal(err[8], 'x');
}

static void test_unload_nothing(void **state)
{
    struct serve_mhd m;
    (void)state;
    memset(&m, 0, sizeof(m));
    serve_mhd_unload(&m);
    assert_true(zeroed(&m));
    serve_mhd_unload(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_the_built_against_library),
        cmocka_unit_test(test_absent_library),
        cmocka_unit_test(test_library_without_the_functions),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_unload_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
