/* serve_mhd.h - libmicrohttpd's functions for `modelmem serve`, opened
 * with dlopen when `serve` starts (serve_mhd.c) rather than linked:
 * linking it made every command load it and the libraries it needs
 * (gnutls, nettle, gmp, p11-kit...) before doing anything (README,
 * "Dependencies"). Only the files that call the library include this
 * header, and with it <microhttpd.h>; serve.h, and the pure request
 * checks the fuzzer builds, do not. */
#ifndef MM_SERVE_MHD_H
#define MM_SERVE_MHD_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

/* The functions of libmicrohttpd the server calls. Each type is the
 * prototype in <microhttpd.h> written out; serve_mhd.c checks it against
 * the header's. */
typedef struct MHD_Daemon *serve_mhd_start_daemon_fn(unsigned int flags, uint16_t port,
                                                     MHD_AcceptPolicyCallback apc,
                                                     void *apc_cls,
                                                     MHD_AccessHandlerCallback dh,
                                                     void *dh_cls, ...);
typedef void serve_mhd_stop_daemon_fn(struct MHD_Daemon *daemon);
typedef int serve_mhd_get_connection_values_fn(struct MHD_Connection *connection,
                                               enum MHD_ValueKind kind,
                                               MHD_KeyValueIterator iterator,
                                               void *iterator_cls);
typedef const char *serve_mhd_lookup_connection_value_fn(struct MHD_Connection *connection,
                                                         enum MHD_ValueKind kind,
                                                         const char *key);
typedef struct MHD_Response *serve_mhd_create_response_from_buffer_fn(
    size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
typedef enum MHD_Result serve_mhd_add_response_header_fn(struct MHD_Response *response,
                                                         const char *header,
                                                         const char *content);
typedef enum MHD_Result serve_mhd_queue_response_fn(struct MHD_Connection *connection,
                                                    unsigned int status_code,
                                                    struct MHD_Response *response);
typedef void serve_mhd_destroy_response_fn(struct MHD_Response *response);

/* The library, open, and its functions (MHD_<name>). */
struct serve_mhd {
    void *handle; /* dlopen's */
    serve_mhd_start_daemon_fn *start_daemon;
    serve_mhd_stop_daemon_fn *stop_daemon;
    serve_mhd_get_connection_values_fn *get_connection_values;
    serve_mhd_lookup_connection_value_fn *lookup_connection_value;
    serve_mhd_create_response_from_buffer_fn *create_response_from_buffer;
    serve_mhd_add_response_header_fn *add_response_header;
    serve_mhd_queue_response_fn *queue_response;
    serve_mhd_destroy_response_fn *destroy_response;
};

/*
 * Opens the library `soname` (MM_MHD_SONAME) and fills *out with its
 * functions. 0, or -1 with *out zeroed and err (size bytes) holding one
 * line: "cannot load libmicrohttpd (SONAME): " and dlerror's text, which
 * names the missing file or function.
 */
int serve_mhd_load(struct serve_mhd *out, const char *soname, char *err, size_t size);
/* Closes what serve_mhd_load opened and zeroes *m; NULL or a zeroed one
 * is left as it is. `serve` itself keeps the library until it exits
 * (cmd_serve.c); the tests unload what they loaded. */
void serve_mhd_unload(struct serve_mhd *m);

#endif
