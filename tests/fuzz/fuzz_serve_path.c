/* fuzz_serve_path.c - what `modelmem serve` decides from a request without
 * a server (src/cli/serve_path.c): the input is "PATH?NAME=VALUE&..." as
 * the HTTP layer hands it over. The route is an exact asset or API path or
 * none; a model name matches only a catalog name, byte for byte; an option
 * argument is built only for an allowed name and always fits; a token
 * matches only itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/serve_path.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The option table serve_option_allowed reads (src/cli/options.c, which
 * names the command line's handlers): rows the web API takes, and not. */
const struct cli_option cli_options[] = {
    {.name = "--context", .flags = CLI_WEB},   {.name = "--gpu", .flags = CLI_WEB},
    {.name = "--inference", .flags = CLI_WEB}, {.name = "--dtypes", .flags = CLI_WEB},
    {.name = "--config"},                      {.name = "--json"},
};
const size_t cli_option_count = sizeof(cli_options) / sizeof(cli_options[0]);

static const unsigned char page[] = "<!doctype html>";
static const struct serve_asset assets[] = {
    {"/index.html", "text/html", page, sizeof(page) - 1},
    {"/app.js", "text/javascript", page, sizeof(page) - 1},
    {"/views/models.js", "text/javascript", page, sizeof(page) - 1},
};
/* a catalog's names: id, id@rev, path below ROOT, path as listed */
static const char *const names[] = {
    "org/model", "org/model@0123456789abcdef0123456789abcdef01234567", "tiny-llama",
    "fixtures/tiny-llama", NULL, NULL, "sub/dir/m.gguf", "models/sub/dir/m.gguf",
};

static void check_route(const char *path, size_t len)
{
    size_t asset = SIZE_MAX;
    const enum serve_route r = serve_route_of(path, len, assets, 3, &asset);
    if (r == ROUTE_ASSET) {
        if (asset >= 3 || (strlen(assets[asset].path) != len && !(len == 1 && path[0] == '/'))) {
            __builtin_trap();
        }
        if (len != 1 && memcmp(assets[asset].path, path, len) != 0) {
            __builtin_trap();
        }
    } else if (r != ROUTE_NONE && path[0] != '/') {
        __builtin_trap();
    }
}

static void check_arg(char *pair)
{
    char buf[64];
    char *eq = strchr(pair, '=');
    const char *value = NULL;
    if (eq != NULL) {
        *eq = '\0';
        value = eq + 1;
    }
    memset(buf, 'x', sizeof(buf));
    if (serve_option_arg(buf, sizeof(buf), pair, value) == 0) {
        if (!serve_option_allowed(pair) || strncmp(buf, "--", 2) != 0 ||
            memchr(buf, '\0', sizeof(buf)) == NULL) {
            __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char *q;
    char *pair;
    long k;
    if (s == NULL) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    k = serve_model_lookup(names, sizeof(names) / sizeof(names[0]), s, size);
    if (k >= 0 && (names[k] == NULL || strlen(names[k]) != size ||
                   memcmp(names[k], s, size) != 0)) {
        __builtin_trap();
    }
    if (serve_token_ok(s, "secret", 6) && strcmp(s, "Bearer secret") != 0) {
        __builtin_trap();
    }
    q = strchr(s, '?');
    check_route(s, q != NULL ? (size_t)(q - s) : strlen(s));
    if (q != NULL) {
        pair = q + 1;
        while (pair != NULL) {
            char *amp = strchr(pair, '&');
            if (amp != NULL) {
                *amp = '\0';
            }
            check_arg(pair);
            pair = amp != NULL ? amp + 1 : NULL;
        }
    }
    (void)serve_addr_loopback(s);
    {
        const size_t n = serve_unescape(s);
        if (n > size || strlen(s) != n) {
            __builtin_trap();
        }
    }
    free(s);
    return 0;
}
