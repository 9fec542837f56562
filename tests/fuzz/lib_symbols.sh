# lib_symbols.sh LIB - the library imports no function that writes, locks,
# maps, deletes or changes a file, opens a network connection, runs a
# program, loads code, reads the environment or prints: its dynamic
# symbol table is the whole list of what it can ask of the system.
# Exit 77 (skipped) without nm.
LIB=$1
command -v nm >/dev/null 2>&1 || exit 77
syms=$(nm -D --undefined-only "$LIB" | awk '{ sub(/@.*/, "", $2); print $2 }') || exit 1
[ -n "$syms" ] || { echo "no imported symbols read from $LIB" >&2; exit 1; }
status=0
for bad in write pwrite pwrite64 writev pwritev ftruncate ftruncate64 truncate creat creat64 \
    fopen fopen64 fdopen freopen mmap mmap64 mprotect flock lockf lockf64 \
    unlink unlinkat remove rename renameat renameat2 mkdir mkdirat rmdir link linkat \
    symlink symlinkat chmod fchmod fchmodat chown fchown lchown utime utimes utimensat \
    futimens socket connect bind listen accept getaddrinfo gethostbyname \
    system popen fork vfork execve execv execvp execl execlp posix_spawn posix_spawnp \
    dlopen getenv secure_getenv printf fprintf puts fputs fwrite putchar perror exit _exit; do
    if printf '%s\n' "$syms" | grep -qx -- "$bad"; then
        echo "FAIL: $LIB imports $bad" >&2
        status=1
    fi
done
exit $status
