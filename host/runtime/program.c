/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * program.c - kernel sources and compiled programs. Sources are embedded at
 * build time (cmake/embed.cmake) or read from $WINSUM_KERNEL_DIR. Programs
 * are compiled lazily by the backend (ws_backend program_*), one per file
 * and options (all its kernels from one build), and cached: per context in
 * memory, and on disk as the backend's binaries keyed by device, driver,
 * source hash and options, written by atomic rename. A disk entry is
 * trusted only if only this user can have written it (ws_cache_open,
 * ws_cache_read: as ssh judges its keys) and its stored key and checksum
 * match; anything else is rebuilt and overwritten.
 */
#include "program.h"
#include "backend.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ws_embedded_kernel {
    const char *name;
    const char *source;
    size_t length;
};
extern const struct ws_embedded_kernel ws_embedded_kernels[];

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_builds;

long winsum_program_builds(void)
{
    pthread_mutex_lock(&g_lock);
    long n = g_builds;
    pthread_mutex_unlock(&g_lock);
    return n;
}

static uint64_t fnv1a(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_SEED 0xcbf29ce484222325ull

/* Reads a whole regular file. Opened without blocking, so that a FIFO is
 * refused (fstat) rather than waited on; NULL with errno set otherwise. */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0) {
        /* errno set */
    } else if (!S_ISREG(sb.st_mode)) {
        errno = EINVAL;
    } else if ((uint64_t)sb.st_size >= SIZE_MAX / 2 || !(buf = malloc((size_t)sb.st_size + 1))) {
        errno = ENOMEM;
    } else {
        size_t n = (size_t)sb.st_size, got = 0;
        while (got < n) {
            ssize_t k = read(fd, buf + got, n - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            got += (size_t)k;
        }
        if (got != n) { /* read error, or the file shrank */
            free(buf);
            buf = NULL;
            errno = EIO;
        } else {
            buf[n] = 0;
            *len = n;
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

/* The source of kernels/<file> alone: malloc'd copy. */
static winsum_status load_one(winsum_context *ctx, const char *file, char **src, size_t *len)
{
    const char *dir = getenv("WINSUM_KERNEL_DIR");
#ifdef WINSUM_KERNEL_SOURCE_DIR
    if (!dir || !*dir) dir = WINSUM_KERNEL_SOURCE_DIR;
#endif
    if (dir && *dir) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", dir, file);
        if (n < 0 || (size_t)n >= sizeof path)
            return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                           "WINSUM_KERNEL_DIR is %zu characters long: %s/%s does not fit in "
                           "PATH_MAX (%d)",
                           strlen(dir), "WINSUM_KERNEL_DIR", file, PATH_MAX);
        *src = read_file(path, len);
        if (!*src)
            return ws_fail(&ctx->err, WINSUM_ERR_IO, "cannot read kernel source %s: %s", path,
                           errno == EINVAL ? "not a regular file" : strerror(errno));
        return WINSUM_OK;
    }
    for (const struct ws_embedded_kernel *k = ws_embedded_kernels; k->name; k++)
        if (strcmp(k->name, file) == 0) {
            *src = malloc(k->length + 1);
            if (!*src) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
            memcpy(*src, k->source, k->length + 1);
            *len = k->length;
            return WINSUM_OK;
        }
    return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "no embedded kernel source %s", file);
}

/* What is built for kernels/<file>: prelude.cl (the element types), then
 * the file, its line numbers restarted so that build logs point into it. */
static winsum_status load_source(winsum_context *ctx, const char *file, char **src, size_t *len)
{
    char *pre = NULL, *body = NULL;
    size_t npre = 0, nbody = 0;
    winsum_status st = load_one(ctx, "prelude.cl", &pre, &npre);
    if (!st) st = load_one(ctx, file, &body, &nbody);
    if (!st) {
        static const char mark[] = "\n#line 1\n";
        *len = npre + sizeof mark - 1 + nbody;
        *src = malloc(*len + 1);
        if (!*src) {
            st = ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
        } else {
            memcpy(*src, pre, npre);
            memcpy(*src + npre, mark, sizeof mark - 1);
            memcpy(*src + npre + sizeof mark - 1, body, nbody + 1);
        }
    }
    free(pre);
    free(body);
    return st;
}

uint64_t ws_hash64(const void *data, size_t n) { return fnv1a(data, n, FNV_SEED); }

/* The longest cache folder path: room is left for "/", an entry name
 * (16 hex digits and ".bin", or "tune-" 16 hex ".txt") and a temporary
 * suffix (".tmp.PID.SERIAL"), so that no path built from it is cut. */
#define CACHE_DIR_MAX (PATH_MAX - 128)

int ws_cache_env_check(char *why, size_t whylen)
{
    const char *d = getenv("WINSUM_CACHE_DIR");
    size_t n = d ? strlen(d) : 0;
    if (n <= CACHE_DIR_MAX) return 0;
    snprintf(why, whylen,
             "WINSUM_CACHE_DIR is %zu characters long; the cache folder may have at most %d "
             "(PATH_MAX %d, less room for its file names)",
             n, CACHE_DIR_MAX, PATH_MAX);
    return -1;
}

/* "off: why" (or "on: DIR") into ctx->cache_info; returns -1 */
static int cache_off(winsum_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int cache_off(winsum_context *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    memcpy(ctx->cache_info, "off: ", 6);
    vsnprintf(ctx->cache_info + 5, sizeof ctx->cache_info - 5, fmt, ap);
    va_end(ap);
    return -1;
}

/* Why a file or folder that sb describes may have been written by someone
 * else (as ssh judges its keys); NULL when only this user can have. */
static const char *untrusted(const struct stat *sb, char *why, size_t whylen)
{
    if (sb->st_uid != geteuid()) {
        snprintf(why, whylen, "owned by uid %ld, not by this user (uid %ld)", (long)sb->st_uid,
                 (long)geteuid());
        return why;
    }
    if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, whylen, "writable by group or others (mode %04o)",
                 (unsigned)(sb->st_mode & 07777));
        return why;
    }
    return NULL;
}

int ws_cache_open(winsum_context *ctx, char *buf, size_t len)
{
    const char *d = getenv("WINSUM_CACHE_DIR"), *what = "WINSUM_CACHE_DIR";
    int n;
    if (d && strcmp(d, "off") == 0) {
        cache_off(ctx, "WINSUM_CACHE_DIR=off");
        return -2;
    }
    if (d && *d) n = snprintf(buf, len, "%s", d);
    else if ((d = getenv("XDG_CACHE_HOME")) && *d)
        n = snprintf(buf, len, "%s/winsum", d), what = "$XDG_CACHE_HOME/winsum";
    else if ((d = getenv("HOME")) && *d)
        n = snprintf(buf, len, "%s/.cache/winsum", d), what = "$HOME/.cache/winsum";
    else return cache_off(ctx, "none of WINSUM_CACHE_DIR, XDG_CACHE_HOME and HOME is set");
    if (n < 0 || (size_t)n >= len || n > CACHE_DIR_MAX)
        return cache_off(ctx, "%s is %lld characters long; the cache folder may have at most %d",
                         what, (long long)(n < 0 ? 0 : n), CACHE_DIR_MAX);
    /* create the folder and its parents, ignoring "exists"; the folder itself
     * only for this user */
    char tmp[PATH_MAX];
    memcpy(tmp, buf, (size_t)n + 1);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0700);
    int fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return cache_off(ctx, "cannot open the cache folder %s: %s", buf, strerror(errno));
    struct stat sb;
    char why[128];
    const char *bad = fstat(fd, &sb) != 0 ? strerror(errno) : untrusted(&sb, why, sizeof why);
    if (bad) {
        close(fd);
        return cache_off(ctx, "the cache folder %s is %s: others could have written its entries",
                         buf, bad);
    }
    snprintf(ctx->cache_info, sizeof ctx->cache_info, "on: %s", buf);
    return fd;
}

char *ws_cache_read(int dirfd, const char *name, size_t max, size_t *len, char *why, size_t whylen)
{
    /* O_NOFOLLOW: a link is refused (ELOOP); O_NONBLOCK: a FIFO is not
     * waited on, and fstat then refuses it */
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, whylen, "%s", e == ELOOP ? "a symbolic link" : strerror(e));
        errno = e;
        return NULL;
    }
    struct stat sb;
    char *buf = NULL;
    const char *bad = NULL;
    if (fstat(fd, &sb) != 0) bad = strerror(errno);
    else if (!S_ISREG(sb.st_mode)) bad = "not a regular file";
    else if (!(bad = untrusted(&sb, why, whylen)) && (uint64_t)sb.st_size > max)
        bad = "larger than any entry winsum writes";
    if (!bad) {
        size_t n = (size_t)sb.st_size, got = 0;
        buf = malloc(n + 1);
        while (buf && got < n) {
            ssize_t k = read(fd, buf + got, n - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            got += (size_t)k;
        }
        if (!buf) bad = "out of host memory";
        else if (got != n) bad = "shorter than its size (read error)";
        else {
            buf[n] = 0;
            *len = n;
        }
    }
    close(fd);
    if (bad) {
        if (bad != why) snprintf(why, whylen, "%s", bad);
        free(buf);
        errno = EPERM;
        return NULL;
    }
    return buf;
}

int ws_cache_write(int dirfd, const char *name, const void *data, size_t len)
{
    /* unique per process and thread: concurrent writers never share a file */
    static _Atomic long serial;
    char tmp[NAME_MAX + 1];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%ld", name, (long)getpid(), (long)++serial);
    if (n < 0 || (size_t)n >= sizeof tmp) return -1;
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, p + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        done += (size_t)k;
    }
    int ok = done == len;
    ok = (close(fd) == 0) && ok;
    if (!ok || renameat(dirfd, tmp, dirfd, name) != 0) {
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    return 0;
}

/* The largest disk entry read back (a device binary with its key). */
#define ENTRY_MAX ((size_t)1 << 30)

/* Disk entry: "WSPROG1\n", u64 key length, key text, u64 binary length,
 * binary, u64 fnv1a(binary). The file must pass ws_cache_read's checks: the
 * checksum stops accidents, the ownership checks stop other writers. NULL on
 * a miss; a refused file is named in ctx->cache_info. */
static unsigned char *disk_load(winsum_context *ctx, int dirfd, const char *name,
                                const char *key_text, size_t *bin_len)
{
    size_t n = 0;
    char why[160];
    char *raw = ws_cache_read(dirfd, name, ENTRY_MAX, &n, why, sizeof why);
    if (!raw) {
        if (errno != ENOENT) {
            size_t at = strlen(ctx->cache_info);
            snprintf(ctx->cache_info + at, sizeof ctx->cache_info - at,
                     "; entry %s refused (%s) and rebuilt", name, why);
        }
        return NULL;
    }
    unsigned char *out = NULL;
    size_t klen = strlen(key_text), pos = 8;
    uint64_t v;
    if (n < 8 || memcmp(raw, "WSPROG1\n", 8) != 0) goto done;
    if (n - pos < 8) goto done;
    memcpy(&v, raw + pos, 8);
    pos += 8;
    if (v != klen || n - pos < klen || memcmp(raw + pos, key_text, klen) != 0) goto done;
    pos += klen;
    if (n - pos < 8) goto done;
    memcpy(&v, raw + pos, 8);
    pos += 8;
    if (v == 0 || n - pos < 8 || v != n - pos - 8) goto done;
    uint64_t sum;
    memcpy(&sum, raw + pos + v, 8);
    if (sum != fnv1a(raw + pos, v, FNV_SEED)) goto done;
    out = malloc(v);
    if (out) {
        memcpy(out, raw + pos, v);
        *bin_len = v;
    }
done:
    free(raw);
    return out;
}

static void disk_store(int dirfd, const char *name, const char *key_text, const unsigned char *bin,
                       size_t bin_len)
{
    uint64_t klen = strlen(key_text), blen = bin_len, sum = fnv1a(bin, bin_len, FNV_SEED);
    size_t total = 8 + 8 + klen + 8 + bin_len + 8;
    unsigned char *e = malloc(total), *p = e;
    if (!e) return;
    memcpy(p, "WSPROG1\n", 8), p += 8;
    memcpy(p, &klen, 8), p += 8;
    memcpy(p, key_text, klen), p += klen;
    memcpy(p, &blen, 8), p += 8;
    memcpy(p, bin, bin_len), p += bin_len;
    memcpy(p, &sum, 8);
    ws_cache_write(dirfd, name, e, total);
    free(e);
}

/* The driver keeps the programs it builds (and their native code) across
 * processes by itself: winsum stores and loads none of its own then, unless
 * WINSUM_PROGRAM_CACHE=on. */
static int keeps_programs(const winsum_context *ctx)
{
    const char *on = getenv("WINSUM_PROGRAM_CACHE");
    if (on && strcmp(on, "on") == 0) return 0;
    return ctx->be->program_cached && ctx->be->program_cached(ctx);
}

/* A new slot for kernel k of program prog (owned: the slot releases it);
 * on want of memory both are released. */
static winsum_status add_slot(winsum_context *ctx, uint64_t key, char *key_text, void *prog,
                              int owns, ws_kernel k)
{
    if (ctx->nprograms == ctx->cap_programs) {
        int cap = ctx->cap_programs ? 2 * ctx->cap_programs : 16;
        ws_program_slot *p = realloc(ctx->programs, (size_t)cap * sizeof *p);
        if (!p) {
            ctx->be->program_release(k, owns ? prog : NULL);
            return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
        }
        ctx->programs = p;
        ctx->cap_programs = cap;
    }
    ws_program_slot *slot = &ctx->programs[ctx->nprograms++];
    slot->key = key;
    slot->key_text = key_text;
    slot->program = prog;
    slot->owns_program = owns;
    slot->kernel = k;
    return WINSUM_OK;
}

void ws_program_cache_free(winsum_context *ctx)
{
    /* every kernel first: a program goes with the slot that owns it */
    for (int i = 0; i < ctx->nprograms; i++)
        ctx->be->program_release(ctx->programs[i].kernel, NULL);
    for (int i = 0; i < ctx->nprograms; i++) {
        if (ctx->programs[i].owns_program) ctx->be->program_release(NULL, ctx->programs[i].program);
        free(ctx->programs[i].key_text);
    }
    free(ctx->programs);
    ctx->programs = NULL;
    ctx->nprograms = ctx->cap_programs = 0;
}

/* Where kernel sources come from: a folder (WINSUM_KERNEL_DIR, or a build
 * with WINSUM_KERNELS_FROM_SOURCE) or the copies embedded in the library. */
static int sources_from_folder(void)
{
    const char *dir = getenv("WINSUM_KERNEL_DIR");
#ifdef WINSUM_KERNEL_SOURCE_DIR
    if (!dir || !*dir) dir = WINSUM_KERNEL_SOURCE_DIR;
#endif
    return dir && *dir;
}

/* The hash of what is built for an embedded kernels/<file> (prelude and
 * body), kept for the process: hashing and copying the source cost 35-50 us
 * a lookup on a 35-50 kB file, as much as a small layer's kernel, and an
 * embedded source never changes. 0 when not kept yet (or not embedded). */
#define N_HASHES 32
static struct {
    const char *name; /* ws_embedded_kernels' own string */
    uint64_t hash;
} g_hashes[N_HASHES];
static int g_nhashes;

static int embedded_hash(const char *file, uint64_t *hash)
{
    int found = 0;
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < g_nhashes && !found; i++)
        if (strcmp(g_hashes[i].name, file) == 0) *hash = g_hashes[i].hash, found = 1;
    pthread_mutex_unlock(&g_lock);
    return found;
}

static void keep_embedded_hash(const char *file, uint64_t hash)
{
    for (const struct ws_embedded_kernel *k = ws_embedded_kernels; k->name; k++)
        if (strcmp(k->name, file) == 0) {
            pthread_mutex_lock(&g_lock);
            int have = 0;
            for (int i = 0; i < g_nhashes; i++) have |= g_hashes[i].name == k->name;
            if (!have && g_nhashes < N_HASHES) {
                g_hashes[g_nhashes].name = k->name;
                g_hashes[g_nhashes++].hash = hash;
            }
            pthread_mutex_unlock(&g_lock);
            return;
        }
}

winsum_status ws_kernel_get(winsum_context *ctx, const char *file, const char *name,
                            const char *options, ws_kernel *kernel)
{
    return ws_get_kernel(ctx, file, name, options, kernel);
}

winsum_status ws_get_kernel(winsum_context *ctx, const char *file, const char *name,
                            const char *options, ws_kernel *kernel)
{
    const ws_backend *be = ctx->be;
    *kernel = NULL;
    if (!be->kernels)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "%s (%s): the %s backend runs no kernels",
                       name, file, be->title);
    char *src = NULL;
    size_t srclen = 0;
    winsum_status st = WINSUM_OK;
    uint64_t shash = 0;
    const int folder = sources_from_folder();
    if (folder || !embedded_hash(file, &shash)) {
        if ((st = load_source(ctx, file, &src, &srclen))) return st;
        shash = fnv1a(src, srclen, FNV_SEED);
        if (!folder) keep_embedded_hash(file, shash);
    }
    /* A program is keyed by device, file, options and source: every kernel
     * of it (GETT's packing kernels, the direct family's reorder) comes from
     * one build. A kernel's slot is the program's key and its name; slots of
     * one program share it (the first owns it). */
    const size_t klen = strlen(ctx->cache_prefix) + strlen(file) + strlen(options) + 64;
    char *key_text = malloc(klen + strlen(name) + 4);
    if (!key_text) {
        free(src);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    }
    int plen = sprintf(key_text, "%s\n%s\n%s\n%016llx", ctx->cache_prefix, file, options,
                       (unsigned long long)shash);
    const uint64_t pkey = fnv1a(key_text, (size_t)plen, FNV_SEED);
    sprintf(key_text + plen, "\n:%s", name);
    uint64_t key = fnv1a(key_text, strlen(key_text), FNV_SEED);

    void *prog = NULL;
    int owns = 1;
    for (int i = 0; i < ctx->nprograms; i++) {
        const ws_program_slot *ps = &ctx->programs[i];
        if (ps->key == key && strcmp(ps->key_text, key_text) == 0) {
            *kernel = ps->kernel;
            free(src);
            free(key_text);
            return WINSUM_OK;
        }
        if (!prog && strncmp(ps->key_text, key_text, (size_t)plen) == 0 &&
            ps->key_text[plen] == '\n')
            prog = ps->program;
    }
    int dirfd = -1;
    if (prog) { /* built for another kernel of the file */
        owns = 0;
        goto kernel;
    }
    if (ws_fault(WINSUM_FAULT_BUILD)) {
        st = ws_fail(&ctx->err, WINSUM_ERR_BUILD,
                     "kernel %s did not build (CL_BUILD_PROGRAM_FAILURE) with options '%s':\n"
                     "injected fault",
                     file, options);
        goto out;
    }
    char dirbuf[PATH_MAX], entry[32];
    dirfd = keeps_programs(ctx) ? -1 : ws_cache_open(ctx, dirbuf, sizeof dirbuf);
    snprintf(entry, sizeof entry, "%016llx.bin", (unsigned long long)pkey);
    if (dirfd >= 0) {
        size_t blen = 0;
        key_text[plen] = 0; /* the entry is the program's */
        unsigned char *bin = disk_load(ctx, dirfd, entry, key_text, &blen);
        key_text[plen] = '\n';
        if (bin) {
            if (be->program_load(ctx, bin, blen, options, &prog)) prog = NULL; /* stale: rebuild */
            free(bin);
        }
    }
    if (!prog) {
        if (!src && (st = load_source(ctx, file, &src, &srclen))) goto out;
        pthread_mutex_lock(&g_lock);
        g_builds++;
        pthread_mutex_unlock(&g_lock);
        if ((st = be->program_build(ctx, file, src, srclen, options, &prog))) goto out;
        if (dirfd >= 0) {
            size_t blen = 0;
            unsigned char *bin = be->program_binary(prog, &blen);
            if (bin) {
                key_text[plen] = 0;
                disk_store(dirfd, entry, key_text, bin, blen);
                key_text[plen] = '\n';
            }
            free(bin);
        }
    }
kernel:;
    ws_kernel k = NULL;
    if ((st = be->program_kernel(ctx, prog, name, &k))) {
        if (owns) be->program_release(NULL, prog);
        goto out;
    }
    if ((st = add_slot(ctx, key, key_text, prog, owns, k))) goto out;
    key_text = NULL;
    *kernel = k;
out:
    if (dirfd >= 0) close(dirfd);
    free(src);
    free(key_text);
    return st;
}

const char *winsum_cache_info(const winsum_context *ctx)
{
    if (!ctx) return "";
    return ctx->be->kernels ? ctx->cache_info : "off: the reference backend builds no programs";
}
