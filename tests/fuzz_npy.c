/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * fuzz_npy.c - libFuzzer target for the .npy reader (cli/npy.c, host/core/status.c).
 *
 * ws_npy_read only takes a path, so each input is written to a memfd (an
 * anonymous in-memory file, made once per process) and read back through
 * /proc/self/fd/N: no disk traffic and no temporary files left behind.
 *
 * Beyond "no crash": an error has a message and a status of IO, FORMAT or
 * MEMORY; a success has a float16/float32/float64 dtype, 0..32 dimensions, data
 * whose size is the product of the shape (all of it readable), strides of
 * C or Fortran order, and the data is exactly the file's last bytes. A
 * C-ordered success is written back with ws_npy_write (into a per-process
 * folder in /dev/shm when there is one) and read again: same dtype, shape
 * and bytes.
 */
#define _GNU_SOURCE
#include "npy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int mfd = -1;
static char mpath[64], wdir[256], wpath[300];

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_npy: invariant broken: %s\n", what);
    abort();
}

static void cleanup(void)
{
    if (wpath[0]) unlink(wpath);
    if (wdir[0]) rmdir(wdir);
}

static void setup(void)
{
    mfd = memfd_create("fuzz_npy", MFD_CLOEXEC);
    if (mfd < 0) {
        perror("memfd_create");
        exit(1);
    }
    snprintf(mpath, sizeof mpath, "/proc/self/fd/%d", mfd);
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(wdir, sizeof wdir, "%s/fuzz_npy.%ld", base ? base : "/tmp", (long)getpid());
    if (mkdir(wdir, 0700) != 0) wdir[0] = 0;
    else snprintf(wpath, sizeof wpath, "%s/a.npy", wdir);
    atexit(cleanup);
}

static void check_array(const ws_npy *a, const uint8_t *file, size_t size)
{
    if (a->dtype != WINSUM_F32 && a->dtype != WINSUM_F64 && a->dtype != WINSUM_F16) fail("dtype");
    if (a->ndim < 0 || a->ndim > WINSUM_MAX_DIMS) fail("ndim");
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] < 0) fail("negative size");
        if (__builtin_mul_overflow(n, a->shape[i], &n)) fail("element count overflows");
    }
    size_t es = winsum_dtype_size(a->dtype);
    if ((uint64_t)n * es != a->bytes) fail("bytes != product of the shape");
    if (!a->data) fail("NULL data");
    if (a->bytes > size || memcmp(a->data, file + size - a->bytes, a->bytes) != 0)
        fail("data are not the file's last bytes");
    /* strides: C or Fortran order over the non-zero sizes */
    int64_t s = 1;
    for (int k = 0; k < a->ndim; k++) {
        int i = a->fortran ? k : a->ndim - 1 - k;
        if (n && a->strides[i] != s) fail("strides");
        if (a->shape[i]) s *= a->shape[i];
    }
}

static void round_trip(const ws_npy *a)
{
    if (!wpath[0] || a->fortran) return;
    ws_error e;
    memset(&e, 0, sizeof e);
    if (ws_npy_write(wpath, a->dtype, a->ndim, a->shape, a->data, &e) != WINSUM_OK) {
        fprintf(stderr, "fuzz_npy: ws_npy_write failed: %s\n", e.msg);
        fail("ws_npy_write of a read array");
    }
    ws_npy b;
    if (ws_npy_read(wpath, &b, &e) != WINSUM_OK) {
        fprintf(stderr, "fuzz_npy: re-read failed: %s\n", e.msg);
        fail("ws_npy_read of what ws_npy_write wrote");
    }
    if (b.dtype != a->dtype || b.ndim != a->ndim || b.fortran ||
        memcmp(b.shape, a->shape, sizeof(int64_t) * (size_t)a->ndim) != 0 || b.bytes != a->bytes ||
        memcmp(b.data, a->data, a->bytes) != 0)
        fail("write then read gives another array");
    ws_npy_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mfd < 0) setup();
    if (ftruncate(mfd, 0) != 0 || pwrite(mfd, data, size, 0) != (ssize_t)size) fail("memfd write");
    ws_npy a;
    ws_error e;
    memset(&e, 0, sizeof e);
    winsum_status st = ws_npy_read(mpath, &a, &e);
    if (st != WINSUM_OK) {
        if (!e.msg[0]) fail("an error without a message");
        if (st != WINSUM_ERR_FORMAT && st != WINSUM_ERR_IO && st != WINSUM_ERR_MEMORY)
            fail("a status other than FORMAT, IO or MEMORY");
        if (a.data) fail("data left allocated after an error");
        return 0;
    }
    check_array(&a, data, size);
    round_trip(&a);
    ws_npy_free(&a);
    return 0;
}
