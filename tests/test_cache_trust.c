/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_cache_trust.c - the disk cache trusts only what its user alone can
 * have written. A checksum stops accidents, not a writer: an entry whose
 * binary was cut in half, with its length and checksum recomputed, crashed
 * PoCL inside clCreateProgramWithBinary. Such an entry must not be loaded
 * when the folder is writable by group or others, when the file is owned by
 * another user, writable by others or a symbolic link; a FIFO entry must not
 * block. A too long WINSUM_CACHE_DIR is refused at context creation instead
 * of being silently truncated. Each run is a child process (a crash or a
 * hang is a failure, not the end of the test).
 */
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* host/runtime/program.c's hash of the entry's binary (FNV-1a, 64 bits) */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

typedef struct result {
    int ok;         /* the child ran the einsum and got the right values */
    long builds;    /* programs built from source */
    int pocl;       /* the device is PoCL's */
    char info[600]; /* winsum_cache_info, winsum_tuning_source */
} result;

/* The child: one einsum with WINSUM_CACHE_DIR=dir; prints "OK BUILDS POCL
 * INFO" on fd 1. winsum stores programs also where the driver keeps its own
 * (WINSUM_PROGRAM_CACHE=on), unless pocl_dir names a folder for PoCL's
 * cache: then as by default (host/runtime/program.c). */
static int child(const char *dir, const char *pocl_dir)
{
    alarm(120);
    setenv("WINSUM_CACHE_DIR", dir, 1);
    if (pocl_dir) {
        unsetenv("WINSUM_PROGRAM_CACHE");
        setenv("POCL_KERNEL_CACHE", "1", 1);
        setenv("POCL_CACHE_DIR", pocl_dir, 1);
    } else {
        setenv("WINSUM_PROGRAM_CACHE", "on", 1);
    }
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL)) {
        printf("0 -1 %s", winsum_last_error(NULL));
        return 1;
    }
    long before = winsum_program_builds();
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {1, -1, 2}, c[2] = {0, 0};
    winsum_buffer A, B, C;
    int64_t sa[2] = {2, 3}, sb[1] = {3}, sc[1] = {2};
    winsum_buffer_alloc(ctx, sizeof a, &A);
    winsum_buffer_alloc(ctx, sizeof b, &B);
    winsum_buffer_alloc(ctx, sizeof c, &C);
    winsum_buffer_write(ctx, &A, 0, a, sizeof a);
    winsum_buffer_write(ctx, &B, 0, b, sizeof b);
    winsum_view ops[2] = {winsum_view_contiguous(&A, WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&B, WINSUM_F32, 1, sb)};
    winsum_view out = winsum_view_contiguous(&C, WINSUM_F32, 1, sc);
    winsum_status st = winsum_einsum(ctx, "ij,j->i", 2, ops, &out, 1, 0);
    winsum_buffer_read(ctx, &C, 0, c, sizeof c);
    printf("%d %ld %d %s | %s", st == WINSUM_OK && c[0] == 5 && c[1] == 11,
           winsum_program_builds() - before,
           strstr(winsum_context_device_name(ctx), "Portable Computing Language") != NULL,
           winsum_cache_info(ctx), winsum_tuning_source(ctx));
    winsum_buffer_free(ctx, &A);
    winsum_buffer_free(ctx, &B);
    winsum_buffer_free(ctx, &C);
    winsum_context_destroy(ctx);
    return 0;
}

/* Runs the child in a new process (exec: OpenCL does not survive fork); a
 * crash, a hang (alarm) or a wrong value is ok = 0. */
static result run_child_pocl(const char *dir, const char *pocl_dir)
{
    result r = {0, -1, 0, ""};
    int fds[2];
    if (pipe(fds) != 0) return r;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        execl("/proc/self/exe", "test_cache_trust", "--child", dir, pocl_dir, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[700] = "";
    size_t got = 0;
    ssize_t k;
    while (got < sizeof line - 1 && (k = read(fds[0], line + got, sizeof line - 1 - got)) > 0)
        got += (size_t)k;
    line[got] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "child killed by signal %d (%s)\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? "hung" : "crashed");
        return r;
    }
    int n = 0;
    if (sscanf(line, "%d %ld %d %n", &r.ok, &r.builds, &r.pocl, &n) >= 3)
        snprintf(r.info, sizeof r.info, "%s", line + n);
    if (WEXITSTATUS(status) != 0) r.ok = 0;
    return r;
}

static result run_child(const char *dir) { return run_child_pocl(dir, NULL); }

/* Applies fn to every "*.bin" entry of dir; the number it succeeded on. */
static int each_entry(const char *dir, int (*fn)(const char *path))
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".bin") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += fn(path) == 0;
    }
    if (d) closedir(d);
    return n;
}

/* Rewrites one entry with its binary cut in half, length and checksum
 * recomputed (host/runtime/program.c's format: "WSPROG1\n", u64 key length, key, u64
 * binary length, binary, u64 checksum); 0 when done. */
static int truncate_entry(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static unsigned char buf[64 << 20];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    uint64_t klen, blen;
    if (size < 24 || memcmp(buf, "WSPROG1\n", 8) != 0) return -1;
    memcpy(&klen, buf + 8, 8);
    if (16 + klen + 8 > size) return -1;
    memcpy(&blen, buf + 16 + klen, 8);
    unsigned char *bin = buf + 24 + klen;
    if (24 + klen + blen + 8 != size) return -1;
    uint64_t half = blen / 2, sum = fnv1a(bin, half);
    memcpy(buf + 16 + klen, &half, 8);
    memcpy(bin + half, &sum, 8);
    f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(buf, 1, 24 + klen + half + 8, f) == 24 + klen + half + 8;
    fclose(f);
    return ok ? 0 : -1;
}

/* Every "*.bin" entry of dir truncated so; how many. */
static int truncate_entries(const char *dir) { return each_entry(dir, truncate_entry); }

static int to_nobody(const char *path) { return chown(path, 65534, 65534); }
static int to_mine(const char *path) { return chown(path, geteuid(), getegid()); }
static int other_writable(const char *path) { return chmod(path, 0666); }
static int private_mode(const char *path) { return chmod(path, 0644); }

/* Moves each entry to dir/../stash-NAME and puts a symbolic link in its place. */
static const char *g_stash;
static int to_link(const char *path)
{
    char moved[4200];
    snprintf(moved, sizeof moved, "%s/%s", g_stash, strrchr(path, '/') + 1);
    if (rename(path, moved) != 0) return -1;
    return symlink(moved, path);
}

static int to_fifo(const char *path)
{
    if (unlink(path) != 0) return -1;
    return mkfifo(path, 0644);
}

static int is_fifo(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISFIFO(sb.st_mode) ? 0 : -1;
}

/* The number of entries in dir, . and .. aside. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* A fresh cache folder whose entries are self-consistent but truncated. */
static void fresh(char *dir, char *stash)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, stash);
    if (system(cmd)) {
    }
    CHECK(mkdir(dir, 0700) == 0 && mkdir(stash, 0700) == 0);
    result r = run_child(dir);
    CHECK_MSG(r.ok && r.builds >= 1, "a cold cache builds (ok %d, builds %ld)", r.ok, r.builds);
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds == 0, "a warm trusted cache loads (ok %d, builds %ld: %s)", r.ok,
              r.builds, r.info);
    CHECK(truncate_entries(dir) >= 1);
}

int main(int argc, char **argv)
{
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "--child") == 0)
        return child(argv[2], argc == 4 ? argv[3] : NULL);
    if (run_child("off").builds < 0) {
        printf("test_cache_trust: no OpenCL device: skipped\n");
        return tu_finish("test_cache_trust");
    }
    char root[] = "/tmp/winsum-trust-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char dir[4096], stash[4096];
    snprintf(dir, sizeof dir, "%s/cache", root);
    snprintf(stash, sizeof stash, "%s/stash", root);
    g_stash = stash;
    result r;
    char cmd[9000];

    /* the folder is writable by its group: no disk cache at all */
    fresh(dir, stash);
    CHECK(chmod(dir, 0770) == 0);
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds >= 1, "group-writable folder: not loaded (ok %d, builds %ld)", r.ok,
              r.builds);
    CHECK_MSG(strstr(r.info, "off") && strstr(r.info, "writable by group or others") &&
                  strstr(r.info, dir),
              "the reason is reported: %s", r.info);
    CHECK(chmod(dir, 01777) == 0); /* sticky does not help: others can add files */
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds >= 1, "world-writable folder: not loaded (ok %d, builds %ld)", r.ok,
              r.builds);

    /* entries that are writable by others, or links, are not loaded */
    fresh(dir, stash);
    CHECK(each_entry(dir, other_writable) >= 1);
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds >= 1, "entries writable by others: not loaded (ok %d, builds %ld)",
              r.ok, r.builds);
    fresh(dir, stash);
    CHECK(each_entry(dir, to_link) >= 1);
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds >= 1, "linked entries: not loaded (ok %d, builds %ld)", r.ok,
              r.builds);

    /* entries owned by another user (root can hand them to nobody) */
    fresh(dir, stash);
    if (each_entry(dir, to_nobody) >= 1) {
        r = run_child(dir);
        CHECK_MSG(r.ok && r.builds >= 1, "entries owned by nobody: not loaded (ok %d, builds %ld)",
                  r.ok, r.builds);
        /* and a folder owned by nobody, holding my entries */
        fresh(dir, stash);
        CHECK(each_entry(dir, to_mine) >= 1 && to_nobody(dir) == 0);
        r = run_child(dir);
        CHECK_MSG(r.ok && r.builds >= 1, "folder owned by nobody: not loaded (ok %d, builds %ld)",
                  r.ok, r.builds);
        CHECK_MSG(strstr(r.info, "owned by uid 65534"), "the reason is reported: %s", r.info);
    } else {
        printf("test_cache_trust: cannot chown (not root): the other-owner cases are skipped\n");
    }

    /* a FIFO entry does not block: a miss, then replaced by a real entry */
    fresh(dir, stash);
    CHECK(each_entry(dir, to_fifo) >= 1);
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds >= 1, "FIFO entries: a miss (ok %d, builds %ld)", r.ok, r.builds);
    CHECK(each_entry(dir, is_fifo) == 0);
    r = run_child(dir);
    CHECK_MSG(r.ok && r.builds == 0, "replaced by trusted entries (ok %d, builds %ld)", r.ok,
              r.builds);
    CHECK(each_entry(dir, private_mode) >= 1);

    /* the cache folder's report when all is well */
    CHECK_MSG(strncmp(r.info, "on: ", 4) == 0 && strstr(r.info, dir), "on: %s", r.info);

    /* PoCL with its own kernel cache on keeps the programs and their
     * native code itself: winsum stores none (fetching PoCL's binary would
     * compile every kernel of the program again), and a second process
     * builds from source, which PoCL's cache answers */
    if (r.pocl) {
        char pocl_dir[4200];
        snprintf(pocl_dir, sizeof pocl_dir, "%s/pocl", root);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -m 700 '%s'", dir, dir);
        CHECK(system(cmd) == 0);
        r = run_child_pocl(dir, pocl_dir);
        CHECK_MSG(r.ok && r.builds >= 1, "PoCL's cache on: built (ok %d, builds %ld)", r.ok,
                  r.builds);
        CHECK_MSG(each_entry(dir, private_mode) == 0, "PoCL's cache on: no entry stored");
        CHECK_MSG(count_entries(pocl_dir) >= 1, "PoCL's cache on: PoCL stored the program");
        r = run_child_pocl(dir, pocl_dir);
        CHECK_MSG(r.ok && r.builds >= 1 && each_entry(dir, private_mode) == 0,
                  "PoCL's cache on, 2nd process: ok %d, builds %ld", r.ok, r.builds);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", pocl_dir);
        CHECK(system(cmd) == 0);
    }

    /* WINSUM_CACHE_DIR longer than PATH_MAX: refused, nothing created */
    {
        size_t n = 5440;
        char *longdir = malloc(n + 1);
        size_t at = (size_t)snprintf(longdir, n + 1, "%s/long", root);
        for (; at < n; at++) longdir[at] = at % 200 == 0 ? '/' : 'a';
        longdir[n] = 0;
        setenv("WINSUM_CACHE_DIR", longdir, 1);
        winsum_context *ctx = NULL;
        winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL);
        CHECK_STATUS(st, WINSUM_ERR_ARGUMENT);
        CHECK_MSG(strstr(winsum_last_error(NULL), "WINSUM_CACHE_DIR") &&
                      strstr(winsum_last_error(NULL), "5440"),
                  "the message names the variable and its length: %s", winsum_last_error(NULL));
        winsum_context_destroy(ctx);
        CHECK_MSG(count_entries(root) == 2, "nothing created under %s", root);
        /* the same from XDG_CACHE_HOME (not an explicit setting): the disk
         * cache is off, with the reason, and the context works. (PoCL also
         * keeps its cache under XDG_CACHE_HOME, and fails to start with a
         * path that long: it is given its own folder.) */
        unsetenv("WINSUM_CACHE_DIR");
        setenv("POCL_CACHE_DIR", stash, 1);
        char *xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
        setenv("XDG_CACHE_HOME", longdir, 1);
        ctx = NULL;
        st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL);
        CHECK_STATUS(st, WINSUM_OK);
        CHECK_MSG(ctx && strncmp(winsum_cache_info(ctx), "off: ", 5) == 0 &&
                      strstr(winsum_cache_info(ctx), "characters"),
                  "off with the reason: %s", ctx ? winsum_cache_info(ctx) : "");
        CHECK_MSG(ctx && strstr(winsum_tuning_source(ctx), "disk cache off: "),
                  "the tuning source says so too: %s", ctx ? winsum_tuning_source(ctx) : "");
        winsum_context_destroy(ctx);
        CHECK_MSG(count_entries(root) == 2, "nothing created under %s", root);
        if (xdg) setenv("XDG_CACHE_HOME", xdg, 1);
        else unsetenv("XDG_CACHE_HOME");
        free(xdg);
        free(longdir);
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    return tu_finish("test_cache_trust");
}
