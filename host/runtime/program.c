/*
 * program.c - kernel sources and compiled programs. Sources are embedded at
 * build time (cmake/embed.cmake) or read from $WINSUM_KERNEL_DIR. Programs
 * are compiled lazily and cached: per context in memory, and on disk as
 * device binaries keyed by device, driver, source hash and options, written
 * by atomic rename. A disk entry is trusted only if its stored key and
 * checksum match; anything else is rebuilt and overwritten.
 */
#include "context.h"
#include <errno.h>
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

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = 0;
                *len = (size_t)n;
            }
        }
    }
    fclose(f);
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
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        *src = read_file(path, len);
        if (!*src)
            return ws_fail(&ctx->err, WINSUM_ERR_IO, "cannot read kernel source %s: %s", path,
                           strerror(errno));
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

/* The disk cache folder, or NULL when off. */
const char *ws_cache_dir(char *buf, size_t len)
{
    const char *d = getenv("WINSUM_CACHE_DIR");
    if (d && strcmp(d, "off") == 0) return NULL;
    if (d && *d) snprintf(buf, len, "%s", d);
    else if ((d = getenv("XDG_CACHE_HOME")) && *d) snprintf(buf, len, "%s/winsum", d);
    else if ((d = getenv("HOME")) && *d) snprintf(buf, len, "%s/.cache/winsum", d);
    else return NULL;
    /* create the folder and its parent, ignoring "exists" */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", buf);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
    return buf;
}

/* Disk entry: "WSPROG1\n", u64 key length, key text, u64 binary length,
 * binary, u64 fnv1a(binary). */
static unsigned char *disk_load(const char *path, const char *key_text, size_t *bin_len)
{
    size_t n = 0;
    char *raw = read_file(path, &n);
    if (!raw) return NULL;
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

static void disk_store(const char *path, const char *key_text, const unsigned char *bin,
                       size_t bin_len)
{
    /* unique per process and thread: concurrent writers never share a file */
    static _Atomic long serial;
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%ld", path, (long)getpid(), (long)++serial);
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    uint64_t klen = strlen(key_text), blen = bin_len, sum = fnv1a(bin, bin_len, FNV_SEED);
    int ok = fwrite("WSPROG1\n", 1, 8, f) == 8 && fwrite(&klen, 8, 1, f) == 1 &&
             fwrite(key_text, 1, klen, f) == klen && fwrite(&blen, 8, 1, f) == 1 &&
             fwrite(bin, 1, bin_len, f) == bin_len && fwrite(&sum, 8, 1, f) == 1;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

static winsum_status build(winsum_context *ctx, cl_program prog, const char *options,
                           const char *file)
{
    cl_int err = clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL);
    if (err == CL_SUCCESS) return WINSUM_OK;
    size_t loglen = 0;
    clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen);
    char *log = malloc(loglen + 1);
    if (log) {
        log[0] = 0;
        clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, loglen, log, NULL);
        log[loglen] = 0;
    }
    ws_fail(&ctx->err, WINSUM_ERR_BUILD, "kernel %s did not build (%s) with options '%s':\n%s",
            file, ws_cl_error_name(err), options, log ? log : "(no log)");
    free(log);
    return WINSUM_ERR_BUILD;
}

winsum_status ws_get_kernel(winsum_context *ctx, const char *file, const char *name,
                            const char *options, cl_kernel *kernel)
{
    char *src = NULL;
    size_t srclen = 0;
    winsum_status st = load_source(ctx, file, &src, &srclen);
    if (st) return st;
    char *key_text = malloc(strlen(ctx->cache_prefix) + strlen(file) + strlen(name) +
                            strlen(options) + 64);
    if (!key_text) {
        free(src);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    }
    sprintf(key_text, "%s\n%s:%s\n%s\n%016llx", ctx->cache_prefix, file, name, options,
            (unsigned long long)fnv1a(src, srclen, FNV_SEED));
    uint64_t key = fnv1a(key_text, strlen(key_text), FNV_SEED);

    for (int i = 0; i < ctx->nprograms; i++)
        if (ctx->programs[i].key == key && strcmp(ctx->programs[i].key_text, key_text) == 0) {
            *kernel = ctx->programs[i].kernel;
            free(src);
            free(key_text);
            return WINSUM_OK;
        }

    cl_program prog = NULL;
    cl_int err;
    if (ws_fault(WINSUM_FAULT_BUILD)) {
        st = ws_fail(&ctx->err, WINSUM_ERR_BUILD,
                     "kernel %s did not build (CL_BUILD_PROGRAM_FAILURE) with options '%s':\n"
                     "injected fault",
                     file, options);
        goto out;
    }
    char dirbuf[4096], path[4300];
    const char *dir = ws_cache_dir(dirbuf, sizeof dirbuf);
    if (dir) {
        snprintf(path, sizeof path, "%s/%016llx.bin", dir, (unsigned long long)key);
        size_t blen = 0;
        unsigned char *bin = disk_load(path, key_text, &blen);
        if (bin) {
            const unsigned char *bins[1] = {bin};
            cl_int bstatus;
            prog = clCreateProgramWithBinary(ctx->cl, 1, &ctx->device, &blen, bins, &bstatus, &err);
            if (prog && (bstatus != CL_SUCCESS ||
                         clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS)) {
                clReleaseProgram(prog);
                prog = NULL; /* stale: rebuild from source below */
            }
            free(bin);
        }
    }
    if (!prog) {
        const char *srcs[1] = {src};
        prog = clCreateProgramWithSource(ctx->cl, 1, srcs, &srclen, &err);
        if (!prog) {
            st = ws_cl_fail(ctx, err, "clCreateProgramWithSource", file);
            goto out;
        }
        pthread_mutex_lock(&g_lock);
        g_builds++;
        pthread_mutex_unlock(&g_lock);
        if ((st = build(ctx, prog, options, file))) {
            clReleaseProgram(prog);
            goto out;
        }
        if (dir) {
            size_t blen = 0;
            if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof blen, &blen, NULL) ==
                    CL_SUCCESS &&
                blen > 0) {
                unsigned char *bin = malloc(blen);
                unsigned char *bins[1] = {bin};
                if (bin && clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) ==
                               CL_SUCCESS)
                    disk_store(path, key_text, bin, blen);
                free(bin);
            }
        }
    }
    cl_kernel k = clCreateKernel(prog, name, &err);
    if (!k) {
        clReleaseProgram(prog);
        st = ws_cl_fail(ctx, err, "clCreateKernel", name);
        goto out;
    }
    if (ctx->nprograms == ctx->cap_programs) {
        int cap = ctx->cap_programs ? 2 * ctx->cap_programs : 16;
        ws_program_slot *p = realloc(ctx->programs, (size_t)cap * sizeof *p);
        if (!p) {
            clReleaseKernel(k);
            clReleaseProgram(prog);
            st = ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
            goto out;
        }
        ctx->programs = p;
        ctx->cap_programs = cap;
    }
    ws_program_slot *slot = &ctx->programs[ctx->nprograms++];
    slot->key = key;
    slot->key_text = key_text;
    key_text = NULL;
    slot->program = prog;
    slot->kernel = k;
    *kernel = k;
out:
    free(src);
    free(key_text);
    return st;
}
