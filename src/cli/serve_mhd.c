/* serve_mhd.c - libmicrohttpd, opened with dlopen when `serve` starts
 * (serve_mhd.h, struct serve_mhd): the one file that names the library's
 * functions; the rest of the server calls them through the table. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/serve_mhd.h"

/* The functions the server calls, by their names after "MHD_": each is a
 * member of struct serve_mhd of type serve_mhd_NAME_fn *. */
#define MHD_FUNCTIONS(X)                                                                    \
    X(start_daemon)                                                                         \
    X(stop_daemon)                                                                          \
    X(get_connection_values)                                                                \
    X(lookup_connection_value)                                                              \
    X(create_response_from_buffer)                                                          \
    X(add_response_header)                                                                  \
    X(queue_response)                                                                       \
    X(destroy_response)

/* Each type is the function's prototype in <microhttpd.h>, checked here
 * without a reference to the symbol (_Generic does not evaluate its
 * operand), so the program still does not link the library. dlsym's
 * void * is copied into the pointer (POSIX gives the two one
 * representation), so their sizes must agree. */
#define CHECK_PROTOTYPE(name)                                                               \
    _Static_assert(_Generic(&MHD_##name, serve_mhd_##name##_fn *: 1, default: 0) &&         \
                       sizeof(serve_mhd_##name##_fn *) == sizeof(void *),                   \
                   "serve_mhd_" #name "_fn is not the prototype of MHD_" #name);
MHD_FUNCTIONS(CHECK_PROTOTYPE)

/* Each function's symbol and the offset of its pointer in the table. */
#define SYMBOL_ROW(name) {"MHD_" #name, offsetof(struct serve_mhd, name)},
static const struct {
    const char *symbol;
    size_t offset;
} symbols[] = {MHD_FUNCTIONS(SYMBOL_ROW)};

int serve_mhd_load(struct serve_mhd *out, const char *soname, char *err, size_t size)
{
    struct serve_mhd m;
    const char *why = NULL;
    size_t i;
    memset(out, 0, sizeof(*out));
    memset(&m, 0, sizeof(m));
    /* RTLD_NOW: a library or function missing below it fails here, once,
     * not in a request thread later */
    m.handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (m.handle == NULL) {
        why = dlerror();
        goto fail;
    }
    for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *sym;
        dlerror(); /* a NULL from dlsym is an error only with dlerror's text */
        sym = dlsym(m.handle, symbols[i].symbol);
        if (sym == NULL) {
            why = dlerror();
            goto fail;
        }
        memcpy((unsigned char *)&m + symbols[i].offset, &sym, sizeof(sym));
    }
    *out = m;
    return 0;
fail:
    /* the text before dlclose, which may replace it */
    snprintf(err, size, "cannot load libmicrohttpd (%s): %s", soname,
             why != NULL ? why : "a function is missing");
    if (m.handle != NULL) {
        dlclose(m.handle);
    }
    return -1;
}

void serve_mhd_unload(struct serve_mhd *m)
{
    if (m == NULL) {
        return;
    }
    if (m->handle != NULL) {
        dlclose(m->handle);
    }
    memset(m, 0, sizeof(*m));
}
