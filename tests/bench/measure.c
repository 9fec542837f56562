/*
 * measure.c - runs a command N times and reports the median whole-process
 * wall time and peak resident set size (wait4's ru_maxrss) of the runs.
 *
 *   measure [-n N] -- COMMAND [ARG...]
 *
 * The command's stdout goes to /dev/null (so printing costs what writing
 * to a pipe-less sink costs, not a terminal); its stderr is kept. Prints
 * one line: "WALL_NS RSS_KIB MIN_NS MAX_NS" (medians, then the fastest and
 * slowest run). Exits 1 when a run fails.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 101

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a;
    const uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One run: wall time in ns and peak RSS in KiB; -1 on failure. */
static int run_once(char **cmd, uint64_t *wall, uint64_t *rss)
{
    struct rusage ru;
    int status = 0;
    pid_t pid;
    const uint64_t t0 = now_ns();
    pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return -1;
    }
    if (pid == 0) {
        const int fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
            _exit(127);
        }
        close(fd);
        execvp(cmd[0], cmd);
        fprintf(stderr, "measure: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return -1;
        }
    }
    *wall = now_ns() - t0;
    *rss = (uint64_t)ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "measure: %s failed (status %d)\n", cmd[0], status);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t walls[MAX_RUNS];
    uint64_t rsss[MAX_RUNS];
    long n = 5;
    int i = 1;
    long r;
    if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
        char *end = NULL;
        errno = 0;
        n = strtol(argv[i + 1], &end, 10);
        if (errno != 0 || end == argv[i + 1] || *end != '\0' || n < 1 || n > MAX_RUNS) {
            fputs("measure: -n takes 1 to 101\n", stderr);
            return 2;
        }
        i += 2;
    }
    if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
        fputs("usage: measure [-n N] -- COMMAND [ARG...]\n", stderr);
        return 2;
    }
    for (r = 0; r < n; r++) {
        if (run_once(argv + i + 1, &walls[r], &rsss[r]) != 0) {
            return 1;
        }
    }
    qsort(walls, (size_t)n, sizeof(walls[0]), cmp_u64);
    qsort(rsss, (size_t)n, sizeof(rsss[0]), cmp_u64);
    printf("%llu %llu %llu %llu\n", (unsigned long long)walls[n / 2],
           (unsigned long long)rsss[n / 2], (unsigned long long)walls[0],
           (unsigned long long)walls[n - 1]);
    return 0;
}
