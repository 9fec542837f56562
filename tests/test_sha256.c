/* test_sha256.c - SHA-256 against the FIPS 180-4 / NIST example vectors,
 * fed whole and in awkward pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/sha256.h"

static void hex(const uint8_t d[32], char out[65])
{
    unsigned i;
    for (i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void check(const char *msg, size_t len, size_t piece, const char *want)
{
    struct mm_sha256 s;
    uint8_t d[32];
    char got[65];
    size_t off = 0;
    mm_sha256_init(&s);
    while (off < len) {
        const size_t n = len - off < piece ? len - off : piece;
        mm_sha256_update(&s, msg + off, n);
        off += n;
    }
    mm_sha256_final(&s, d);
    hex(d, got);
    assert_string_equal(got, want);
}

static void test_vectors(void **state)
{
    static const char *const two_blocks =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    size_t piece;
    (void)state;
    for (piece = 1; piece <= 65; piece += 7) {
        check("", 0, piece, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        check("abc", 3, piece,
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        check(two_blocks, strlen(two_blocks), piece,
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }
}

static void test_million_a(void **state)
{
    static char a[1000];
    struct mm_sha256 s;
    uint8_t d[32];
    char got[65];
    unsigned i;
    (void)state;
    memset(a, 'a', sizeof(a));
    mm_sha256_init(&s);
    for (i = 0; i < 1000; i++) {
        mm_sha256_update(&s, a, sizeof(a));
    }
    mm_sha256_final(&s, d);
    hex(d, got);
    assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
