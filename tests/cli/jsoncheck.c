/*
 * jsoncheck.c - a test tool: reads standard input, checks that it is exactly
 * one JSON document (cJSON, with the explicit length; only whitespace may
 * follow), then checks each argument:
 *
 *   PATH=VALUE    the value at PATH, printed plainly, equals VALUE
 *   PATH#=N       the array or object at PATH has N members
 *
 * PATH is '/'-separated (JSON Pointer style, so that dotted tensor names
 * stay whole); an all-digit component indexes an array. Numbers print as
 * integers when integral, strings without quotes, and true, false, null.
 * Exit status: 0 all good, 1 a check failed or the input is not JSON,
 * 2 usage. Messages go to stderr.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_MAX (64u << 20)

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16;
    size_t n = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        return NULL;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            char *nb;
            if (cap >= INPUT_MAX) {
                free(buf);
                return NULL;
            }
            cap *= 2;
            nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;
    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* The item at a '/'-separated path of `plen` bytes, or NULL. */
static const cJSON *lookup(const cJSON *root, const char *path, size_t plen)
{
    const cJSON *cur = root;
    size_t start = 0;
    while (start < plen && cur != NULL) {
        const char *slash = memchr(path + start, '/', plen - start);
        const size_t end = slash != NULL ? (size_t)(slash - path) : plen;
        const size_t n = end - start;
        char key[1024];
        if (n >= sizeof(key)) {
            return NULL;
        }
        memcpy(key, path + start, n);
        key[n] = '\0';
        if (cJSON_IsArray(cur) && all_digits(key, n)) {
            errno = 0;
            const unsigned long idx = strtoul(key, NULL, 10);
            cur = errno != 0 || idx > 1000000000ul ? NULL : cJSON_GetArrayItem(cur, (int)idx);
        } else if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        } else {
            cur = NULL;
        }
        start = end + 1;
    }
    return cur;
}

static void show(char *buf, size_t size, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        snprintf(buf, size, "%s", v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        const double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0) {
            snprintf(buf, size, "%lld", (long long)d);
        } else {
            snprintf(buf, size, "%.17g", d);
        }
    } else if (cJSON_IsTrue(v)) {
        snprintf(buf, size, "true");
    } else if (cJSON_IsFalse(v)) {
        snprintf(buf, size, "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, size, "<array>");
    } else {
        snprintf(buf, size, "<object>");
    }
}

static int check(const cJSON *root, const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t plen;
    int count = 0;
    const cJSON *v;
    char got[4096];
    if (eq == NULL) {
        fprintf(stderr, "jsoncheck: bad check '%s' (PATH=VALUE or PATH#=N)\n", arg);
        return 2;
    }
    plen = (size_t)(eq - arg);
    if (plen > 0 && arg[plen - 1] == '#') {
        count = 1;
        plen--;
    }
    v = lookup(root, arg, plen);
    if (v == NULL) {
        fprintf(stderr, "jsoncheck: %.*s: no such member\n", (int)plen, arg);
        return 1;
    }
    if (count) {
        if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) {
            fprintf(stderr, "jsoncheck: %.*s: not an array or object\n", (int)plen, arg);
            return 1;
        }
        snprintf(got, sizeof(got), "%d", cJSON_GetArraySize(v));
    } else {
        show(got, sizeof(got), v);
    }
    if (strcmp(got, eq + 1) != 0) {
        fprintf(stderr, "jsoncheck: %s: got '%s'\n", arg, got);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t len = 0;
    const char *end = NULL;
    char *text = read_all(stdin, &len);
    cJSON *root;
    int rc = 0;
    int i;
    if (text == NULL) {
        fputs("jsoncheck: cannot read standard input\n", stderr);
        return 1;
    }
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        const size_t at = end != NULL ? (size_t)(end - text) : 0;
        fprintf(stderr, "jsoncheck: not JSON (near byte %zu of %zu)\n", at, len);
        free(text);
        return 1;
    }
    for (; end != NULL && (size_t)(end - text) < len; end++) {
        if (*end != ' ' && *end != '\n' && *end != '\t' && *end != '\r') {
            fprintf(stderr, "jsoncheck: bytes after the JSON document (byte %zu)\n",
                    (size_t)(end - text));
            rc = 1;
            break;
        }
    }
    for (i = 1; i < argc && rc == 0; i++) {
        rc = check(root, argv[i]);
    }
    cJSON_Delete(root);
    free(text);
    return rc;
}
