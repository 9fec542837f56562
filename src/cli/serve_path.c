/* serve_path.c - the server's decisions about a request that need no
 * server: which route a path names, which model a name names, which
 * query arguments become which options (the option table's, options.c),
 * whether a token matches. Pure functions (no I/O, no state), fuzzed by
 * tests/fuzz/fuzz_serve_path.c. */
#include <string.h>

#include "cli/cli.h"
#include "cli/serve.h"

static bool same(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

enum serve_route serve_route_of(const char *path, size_t len, const struct serve_asset *assets,
                                size_t nassets, size_t *asset)
{
    size_t i;
    if (len == 0 || len > SERVE_MAX_URL || path[0] != '/') {
        return ROUTE_NONE;
    }
    if (same(path, len, "/api/models")) {
        return ROUTE_MODELS;
    }
    if (same(path, len, "/api/estimate")) {
        return ROUTE_ESTIMATE;
    }
    if (same(path, len, "/api/inspect")) {
        return ROUTE_INSPECT;
    }
    if (same(path, len, "/")) {
        path = "/index.html";
        len = strlen(path);
    }
    for (i = 0; i < nassets; i++) {
        if (same(path, len, assets[i].path)) {
            *asset = i;
            return ROUTE_ASSET;
        }
    }
    return ROUTE_NONE;
}

long serve_model_lookup(const char *const *names, size_t n, const char *req, size_t len)
{
    size_t i;
    if (len == 0 || len > SERVE_MAX_MODEL_NAME) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)req[i];
        if (c < 0x20 || c == 0x7f) {
            return -1;
        }
    }
    for (i = 0; i < n; i++) {
        if (names[i] != NULL && same(req, len, names[i])) {
            return (long)i;
        }
    }
    return -1;
}

bool serve_option_allowed(const char *name)
{
    /* the rows marked CLI_WEB (options.c): estimate's options that only
     * choose figures; --config (a file), --threads, --json, --markdown, -q,
     * -v, --help, ... are not */
    size_t i;
    for (i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if ((o->flags & CLI_WEB) != 0 && strcmp(o->name + 2, name) == 0) {
            return true;
        }
    }
    return false;
}

int serve_option_arg(char *buf, size_t size, const char *name, const char *value)
{
    const size_t nlen = strlen(name);
    const size_t vlen = value != NULL ? strlen(value) : 0;
    if (!serve_option_allowed(name) || size < 3 || nlen > size - 3 ||
        vlen > size - 3 - nlen - (vlen > 0)) {
        return -1;
    }
    memcpy(buf, "--", 2);
    memcpy(buf + 2, name, nlen);
    if (vlen == 0) {
        buf[2 + nlen] = '\0';
        return 0;
    }
    buf[2 + nlen] = '=';
    memcpy(buf + 3 + nlen, value, vlen);
    buf[3 + nlen + vlen] = '\0';
    return 0;
}

bool serve_token_ok(const char *auth, const char *token, size_t token_len)
{
    static const char scheme[] = "Bearer ";
    const size_t slen = sizeof(scheme) - 1;
    size_t alen;
    size_t i;
    unsigned char diff = 0;
    if (auth == NULL || token_len == 0) {
        return false;
    }
    alen = strlen(auth);
    if (alen != slen + token_len || memcmp(auth, scheme, slen) != 0) {
        return false; /* the length of the token is no secret worth keeping */
    }
    for (i = 0; i < token_len; i++) {
        diff |= (unsigned char)(auth[slen + i] ^ token[i]);
    }
    return diff == 0;
}

bool serve_addr_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strcmp(addr, "[::1]") == 0 || strcmp(addr, "localhost") == 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

size_t serve_unescape(char *s)
{
    size_t r = 0;
    size_t w = 0;
    while (s[r] != '\0') {
        const int hi = s[r] == '%' ? hex_digit(s[r + 1]) : -1;
        const int lo = hi >= 0 ? hex_digit(s[r + 2]) : -1;
        if (lo >= 0 && (hi != 0 || lo != 0)) {
            s[w++] = (char)(hi * 16 + lo);
            r += 3;
        } else {
            s[w++] = s[r++];
        }
    }
    s[w] = '\0';
    return w;
}
