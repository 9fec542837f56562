/* cmd_serve.c - `modelmem serve [ROOT...] [--listen ADDR:PORT] [--token
 * FILE] [-q]`: the calculator page and its JSON API over the models under
 * the ROOTs, until SIGINT or SIGTERM. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/serve.h"
#include "cli/serve_mhd.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define MAX_ROOTS 64u
#define TOKEN_MAX 4096u

struct serve_args {
    const char *roots[MAX_ROOTS];
    size_t nroots;
    struct cli_serve_options opts; /* --listen, --token */
    bool quiet;
};

static int take_root(struct cli_parse *p, const char *arg)
{
    struct serve_args *a = p->own;
    if (a->nroots >= MAX_ROOTS) {
        return cli_usage_error("serve: more than %u ROOTs", MAX_ROOTS);
    }
    a->roots[a->nroots++] = arg;
    return 0;
}

static int parse_args(struct serve_args *a, int argc, char **argv)
{
    struct cli_common c;
    struct cli_parse p;
    int rc;
    memset(a, 0, sizeof(*a));
    memset(&c, 0, sizeof(c));
    memset(&p, 0, sizeof(p));
    a->opts.listen = DEFAULT_LISTEN;
    p.cmd = cli_command_find("serve");
    p.argc = argc;
    p.argv = argv;
    p.common = &c;
    p.serve = &a->opts;
    p.own = a;
    p.positional = take_root;
    rc = cli_parse(&p);
    a->quiet = c.quiet;
    return rc;
}

/* ADDR:PORT (numeric; [v6]:PORT) bound and listening; the fd, or -2 for
 * a usage error, -1 when it cannot be bound (printed). host gets the
 * address as written, port the port bound. */
static int open_listen(const char *listen_arg, char *host, size_t hsize, unsigned *port)
{
    struct addrinfo hints;
    struct addrinfo *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    const char *colon = strrchr(listen_arg, ':');
    char addr[128];
    const int one = 1;
    uint64_t want = 0;
    int fd = -1;
    int rc;
    if (colon == NULL || colon == listen_arg || colon[1] == '\0' ||
        (size_t)(colon - listen_arg) >= sizeof(addr) ||
        cli_parse_u64(colon + 1, 0, 65535, &want) != 0) {
        cli_usage_error("--listen takes ADDR:PORT, such as 127.0.0.1:8080, not '%s'",
                        listen_arg);
        return -2;
    }
    snprintf(addr, sizeof(addr), "%.*s", (int)(colon - listen_arg), listen_arg);
    snprintf(host, hsize, "%s", addr);
    if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
        memmove(addr, addr + 1, strlen(addr) - 2);
        addr[strlen(addr) - 2] = '\0';
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    rc = getaddrinfo(addr, colon + 1, &hints, &ai);
    if (rc != 0) {
        cli_usage_error("--listen '%s': %s (a numeric address and port)", listen_arg,
                        gai_strerror(rc));
        return -2;
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        fprintf(stderr, "modelmem: --listen %s: %s\n", listen_arg, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    *port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* The token: the file's first line, at most TOKEN_MAX bytes. */
static int read_token(char *out, size_t size, const char *file)
{
    FILE *f = fopen(file, "r");
    size_t n;
    if (f == NULL) {
        fprintf(stderr, "modelmem: %s: %s\n", file, strerror(errno));
        return -1;
    }
    n = fread(out, 1, size - 1, f);
    fclose(f);
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    if (out[0] == '\0') {
        fprintf(stderr, "modelmem: %s: the token file is empty\n", file);
        return -1;
    }
    return 0;
}

static int run_server(struct serve_server *s, int fd, const char *host, unsigned port)
{
    struct MHD_Daemon *d;
    sigset_t set;
    int sig = 0;
    /* SIGINT and SIGTERM blocked in every thread, taken by sigwait here */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d = serve_http_start(s, fd);
    if (d == NULL) {
        fputs("modelmem: the HTTP server did not start\n", stderr);
        close(fd);
        return EXIT_INPUT;
    }
    printf("http://%s:%u/\n", host, port);
    fflush(stdout);
    if (!s->quiet) {
        fprintf(stderr, "modelmem: serving %zu models; Ctrl-C stops\n", s->catalog->count);
    }
    while (sigwait(&set, &sig) != 0) {
    }
    /* the daemon closes the listening socket it was given */
    s->mhd->stop_daemon(d);
    if (!s->quiet) {
        fprintf(stderr, "modelmem: stopped (signal %d)\n", sig);
    }
    return EXIT_OK;
}

/* Serves on --listen until a signal, with the library loaded. */
static int serve_on(struct serve_server *s, const char *listen_arg)
{
    char host[128];
    unsigned port = 0;
    int rc;
    const int fd = open_listen(listen_arg, host, sizeof(host), &port);
    if (fd < 0) {
        return fd == -2 ? EXIT_USAGE : EXIT_INPUT;
    }
    if (!serve_addr_loopback(host)) {
        fprintf(stderr, "modelmem: warning: listening on %s, not a loopback address: the "
                        "names of the models under the served folders become visible to "
                        "that network%s\n",
                host, s->token == NULL ? " (no --token)" : "");
    }
    if (serve_catalog_build(&s->catalog, s->roots, s->nroots) != 0) {
        fputs("modelmem: out of memory\n", stderr);
        close(fd);
        return EXIT_INPUT;
    }
    pthread_rwlock_init(&s->lock, NULL);
    pthread_mutex_init(&s->walk, NULL);
    rc = run_server(s, fd, host, port);
    pthread_mutex_destroy(&s->walk);
    pthread_rwlock_destroy(&s->lock);
    serve_catalog_free(s->catalog);
    free(s->models_doc);
    return rc;
}

int cli_serve(int argc, char **argv)
{
    struct serve_args a;
    struct serve_server s;
    struct serve_mhd mhd;
    char cache[4096];
    char token[TOKEN_MAX + 1];
    char why[512];
    int rc = parse_args(&a, argc, argv);
    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    if (a.nroots == 0) {
        if (cli_hf_cache_dir(cache, sizeof(cache)) != 0) {
            return cli_usage_error("serve: no ROOT given and no Hugging Face cache folder");
        }
        a.roots[a.nroots++] = cache;
    }
    memset(&s, 0, sizeof(s));
    s.roots = a.roots;
    s.nroots = a.nroots;
    s.quiet = a.quiet;
    if (a.opts.token_file != NULL) {
        if (read_token(token, sizeof(token), a.opts.token_file) != 0) {
            return EXIT_INPUT;
        }
        s.token = token;
        s.token_len = strlen(token);
    }
    /* the library this program was built against, by the SONAME
     * CMakeLists.txt read from it; loaded here, not at every start */
    if (serve_mhd_load(&mhd, MM_MHD_SONAME, why, sizeof(why)) != 0) {
        cli_error("serve: %s", why);
        return EXIT_INPUT;
    }
    s.mhd = &mhd;
    /* the library stays loaded until the process exits: unloading it,
     * and gnutls below it, just before exit would run their destructors
     * early and gain nothing */
    return serve_on(&s, a.opts.listen);
}
