/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_npy.c - the .npy reader and writer (cli/npy.c): round trips, hand-
 * built headers of every version and layout, Fortran order, one file per
 * rejection rule, failed writes that leave nothing behind, truncation and
 * random-mutation fuzzing, and interchange with numpy when python3 has it.
 * Files live in a fresh mkdtemp directory that is removed at the end.
 */
#include "npy.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];

static const char *path_of(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

/* A file with the given version bytes, a length field (u16 for major 1,
 * u32 otherwise) holding lenfield (or hlen when lenfield is 0), the hlen
 * header bytes exactly as given, then n data bytes. */
static const char *make_npy_len(const char *name, int major, int minor, const char *hdr,
                                size_t hlen, uint32_t lenfield, const void *data, size_t n)
{
    static unsigned char buf[8192];
    size_t pre = major == 1 ? 10 : 12;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = (unsigned char)minor;
    uint32_t len = lenfield ? lenfield : (uint32_t)hlen;
    for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (unsigned char)(len >> (8 * i));
    memcpy(buf + pre, hdr, hlen);
    if (n) memcpy(buf + pre + hlen, data, n);
    const char *path = path_of(name);
    write_bytes(path, buf, pre + hlen + n);
    return path;
}

static const char *make_npy(const char *name, int major, int minor, const char *hdr, size_t hlen,
                            const void *data, size_t n)
{
    return make_npy_len(name, major, minor, hdr, hlen, 0, data, n);
}

static const char *make_v1(const char *name, const char *hdr, const void *data, size_t n)
{
    return make_npy(name, 1, 0, hdr, strlen(hdr), data, n);
}

static const float F6[6] = {0, 1, 2, 3, 4, 5};

/* Expects ws_npy_read to fail with `code`, a message naming the path and an
 * empty array afterwards. */
static void expect_fail(const char *path, winsum_status code, const char *what)
{
    ws_npy a;
    ws_error e = {0};
    winsum_status st = ws_npy_read(path, &a, &e);
    CHECK_MSG(st == code && strstr(e.msg, path) && a.data == NULL && a.bytes == 0,
              "%s: got %s (%s), expected %s", what, winsum_status_string(st), e.msg,
              winsum_status_string(code));
    ws_npy_free(&a);
}

static int64_t numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

/* Writes an array of the given shape with values 0.5*k, reads it back and
 * checks everything, including numpy's 64-byte header alignment. */
static void round_trip(winsum_dtype dt, int ndim, const int64_t *shape)
{
    int64_t n = numel(ndim, shape);
    size_t es = winsum_dtype_size(dt);
    void *buf = malloc((size_t)n * es + 1);
    for (int64_t k = 0; k < n; k++) {
        if (dt == WINSUM_F32) ((float *)buf)[k] = 0.5f * (float)k;
        else if (dt == WINSUM_F16) ((uint16_t *)buf)[k] = winsum_f16_from_double(0.5 * (double)k);
        else ((double *)buf)[k] = 0.5 * (double)k;
    }
    const char *path = path_of("rt.npy");
    ws_error e = {0};
    ws_npy a;
    winsum_status st = ws_npy_write(path, dt, ndim, shape, buf, &e);
    CHECK_MSG(st == WINSUM_OK, "write ndim %d: %s", ndim, e.msg);
    st = ws_npy_read(path, &a, &e);
    CHECK_MSG(st == WINSUM_OK, "read ndim %d: %s", ndim, e.msg);
    int ok = st == WINSUM_OK && a.dtype == dt && a.ndim == ndim && !a.fortran &&
             a.bytes == (size_t)n * es && a.data != NULL;
    int64_t s = 1;
    for (int i = ndim - 1; ok && i >= 0; i--) {
        ok = a.shape[i] == shape[i] && a.strides[i] == s;
        s *= shape[i] ? shape[i] : 1;
    }
    if (ok && n) ok = memcmp(a.data, buf, (size_t)n * es) == 0;
    CHECK_MSG(ok, "round trip dtype %d ndim %d", (int)dt, ndim);
    ws_npy_free(&a);

    unsigned char pre[10];
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(pre, 1, 10, f) : 0;
    unsigned hlen = pre[8] | (unsigned)pre[9] << 8;
    int nl = 0;
    if (got == 10 && fseek(f, 10 + (long)hlen - 1, SEEK_SET) == 0) nl = fgetc(f) == '\n';
    if (f) fclose(f);
    CHECK_MSG(got == 10 && pre[6] == 1 && pre[7] == 0 && (10 + hlen) % 64 == 0 && nl,
              "header layout ndim %d", ndim);
    free(buf);
}

static void test_round_trips(void)
{
    static const int64_t s2[] = {2, 3}, s1[] = {5}, s0z[] = {0, 3}, s3z[] = {2, 0, 4},
                         s4[] = {2, 3, 4, 5}, s11[] = {1, 1, 1, 1};
    int64_t big[WINSUM_MAX_DIMS];
    for (int i = 0; i < WINSUM_MAX_DIMS; i++) big[i] = 1;
    big[3] = 2;
    for (int dt = 0; dt < 3; dt++) {
        round_trip((winsum_dtype)dt, 2, s2);
        round_trip((winsum_dtype)dt, 1, s1);
        round_trip((winsum_dtype)dt, 0, NULL); /* 0-d */
        round_trip((winsum_dtype)dt, 2, s0z);  /* zero-size */
        round_trip((winsum_dtype)dt, 3, s3z);
        round_trip((winsum_dtype)dt, 4, s4);
        round_trip((winsum_dtype)dt, 4, s11);
    }
    round_trip(WINSUM_F32, WINSUM_MAX_DIMS, big);

    /* Overwriting replaces the file; no temp file is left behind. */
    ws_error e = {0};
    ws_npy a;
    const double one = 1.0, two = 2.0;
    const char *path = path_of("over.npy");
    CHECK_STATUS(ws_npy_write(path, WINSUM_F64, 0, NULL, &one, &e), WINSUM_OK);
    CHECK_STATUS(ws_npy_write(path, WINSUM_F64, 0, NULL, &two, &e), WINSUM_OK);
    CHECK(ws_npy_read(path, &a, &e) == WINSUM_OK && a.ndim == 0 && a.bytes == 8 &&
          *(double *)a.data == 2.0);
    ws_npy_free(&a);
    int tmp_left = 0;
    DIR *d = opendir(g_dir);
    for (struct dirent *de; d && (de = readdir(d));) tmp_left += strstr(de->d_name, ".tmp.") != 0;
    if (d) closedir(d);
    CHECK(tmp_left == 0);
}

/* Hand-built headers that must be accepted. */
static void test_accepted_headers(void)
{
    static const struct {
        const char *hdr;
        winsum_dtype dt;
        int ndim;
        int64_t d0, d1;
    } ok[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", WINSUM_F32, 2, 2, 3},
        {"{'shape':(2,3),'fortran_order':False,'descr':'<f4'}", WINSUM_F32, 2, 2, 3},
        {" {\t\"descr\" : \"=f4\" ,\n 'shape' : ( 2 , 3 , ) , 'fortran_order' : False }   \n",
         WINSUM_F32, 2, 2, 3},
        {"{'descr': '|f4', 'fortran_order': False, 'shape': (6,)}", WINSUM_F32, 1, 6, 0},
        {"{'descr': 'f4', 'fortran_order': False, 'shape': (6L,), }", WINSUM_F32, 1, 6, 0},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 1), }", WINSUM_F64, 2, 3, 1},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (3, 4), }", WINSUM_F16, 2, 3, 4},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t bytes = 24; /* every shape above is 6 floats, 3 doubles or 12 halves */
        const char *path = make_v1("acc.npy", ok[i].hdr, F6, bytes);
        ws_npy a;
        ws_error e = {0};
        winsum_status st = ws_npy_read(path, &a, &e);
        CHECK_MSG(st == WINSUM_OK && a.dtype == ok[i].dt && a.ndim == ok[i].ndim &&
                      a.shape[0] == ok[i].d0 && (a.ndim < 2 || a.shape[1] == ok[i].d1) &&
                      a.bytes == bytes && memcmp(a.data, F6, bytes) == 0,
                  "header %zu: %s %s", i, winsum_status_string(st), e.msg);
        ws_npy_free(&a);
    }

    /* Versions 2.0 and 3.0: u32 header length. */
    const char *h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }      \n";
    for (int v = 2; v <= 3; v++) {
        const char *path = make_npy(v == 2 ? "v2.npy" : "v3.npy", v, 0, h, strlen(h), F6, 24);
        ws_npy a;
        ws_error e = {0};
        winsum_status st = ws_npy_read(path, &a, &e);
        CHECK_MSG(st == WINSUM_OK && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 &&
                      memcmp(a.data, F6, 24) == 0,
                  "version %d.0: %s", v, e.msg);
        ws_npy_free(&a);
    }
    /* 3.0 is utf-8: a non-ASCII character in trailing whitespace is still
     * "text after the dict" -> rejected, but plain ASCII reads fine above. */

    /* 0-d and zero-size, hand-built. */
    const double pi = 3.25;
    ws_npy a;
    ws_error e = {0};
    const char *path =
        make_v1("0d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': ()}", &pi, 8);
    CHECK(ws_npy_read(path, &a, &e) == WINSUM_OK && a.ndim == 0 && a.bytes == 8 &&
          *(double *)a.data == 3.25);
    ws_npy_free(&a);
    path = make_v1("z.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 0, 2)}", NULL, 0);
    CHECK(ws_npy_read(path, &a, &e) == WINSUM_OK && a.ndim == 3 && a.bytes == 0 && a.data != NULL &&
          a.fortran && a.strides[0] == 1 && a.strides[1] == 3 && a.strides[2] == 3);
    ws_npy_free(&a);
}

static void test_fortran(void)
{
    /* A 2x3 array a[i][j] = 10*i + j stored column-major. */
    const float col[6] = {0, 10, 1, 11, 2, 12};
    const char *path =
        make_v1("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", col, 24);
    ws_npy a;
    ws_error e = {0};
    CHECK_STATUS(ws_npy_read(path, &a, &e), WINSUM_OK);
    CHECK(a.fortran == 1 && a.ndim == 2 && a.strides[0] == 1 && a.strides[1] == 2);
    int ok = a.data != NULL;
    for (int i = 0; ok && i < 2; i++)
        for (int j = 0; j < 3; j++)
            ok &= ((float *)a.data)[i * a.strides[0] + j * a.strides[1]] == (float)(10 * i + j);
    CHECK(ok);
    CHECK(a.data && memcmp(a.data, col, 24) == 0); /* kept as is, not transposed */
    ws_npy_free(&a);

    double d24[24];
    for (int k = 0; k < 24; k++) d24[k] = k;
    path = make_v1("f3.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", d24,
                   sizeof d24);
    CHECK(ws_npy_read(path, &a, &e) == WINSUM_OK && a.strides[0] == 1 && a.strides[1] == 2 &&
          a.strides[2] == 6);
    ws_npy_free(&a);
    path = make_v1("c3.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }", d24,
                   sizeof d24);
    CHECK(ws_npy_read(path, &a, &e) == WINSUM_OK && !a.fortran && a.strides[0] == 12 &&
          a.strides[1] == 4 && a.strides[2] == 1);
    ws_npy_free(&a);
}

/* One file per rejection rule. */
static void test_rejected(void)
{
    ws_npy a;
    ws_error e = {0};
    const char *missing = path_of("does-not-exist.npy");
    CHECK_STATUS(ws_npy_read(missing, &a, &e), WINSUM_ERR_IO);
    CHECK(strstr(e.msg, missing) && strstr(e.msg, strerror(ENOENT)));
    expect_fail(g_dir, WINSUM_ERR_IO, "directory");
    CHECK_STATUS(ws_npy_read(NULL, &a, &e), WINSUM_ERR_ARGUMENT);

    write_bytes(path_of("empty.npy"), "", 0);
    expect_fail(path_of("empty.npy"), WINSUM_ERR_FORMAT, "empty file");
    write_bytes(path_of("magic.npy"), "\x93NUMPZ\x01\x00\x00\x00", 10);
    expect_fail(path_of("magic.npy"), WINSUM_ERR_FORMAT, "bad magic");
    write_bytes(path_of("short.npy"), "\x93NUM", 4);
    expect_fail(path_of("short.npy"), WINSUM_ERR_FORMAT, "short magic");
    write_bytes(path_of("nover.npy"), "\x93NUMPY\x01", 7);
    expect_fail(path_of("nover.npy"), WINSUM_ERR_FORMAT, "no version byte");
    write_bytes(path_of("nolen.npy"), "\x93NUMPY\x02\x00\x10\x00", 10);
    expect_fail(path_of("nolen.npy"), WINSUM_ERR_FORMAT, "2.0 without u32 length");

    const char *good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    static const int bad_versions[][2] = {{4, 0}, {1, 1}, {0, 0}, {2, 5}, {255, 0}};
    for (int i = 0; i < 5; i++) {
        const char *p =
            make_npy("ver.npy", bad_versions[i][0], bad_versions[i][1], good, strlen(good), F6, 24);
        expect_fail(p, WINSUM_ERR_FORMAT, "bad version");
    }
    /* header length beyond the end of file */
    expect_fail(make_npy_len("trunch.npy", 1, 0, good, strlen(good), strlen(good) + 100, F6, 0),
                WINSUM_ERR_FORMAT, "truncated header");
    expect_fail(make_npy_len("trunch2.npy", 2, 0, good, strlen(good), 0xfffffff0u, F6, 24),
                WINSUM_ERR_FORMAT, "huge header length");

    static const struct {
        const char *hdr, *why;
    } bad[] = {
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", "big-endian"},
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", "big-endian f8"},
        {"{'descr': '<i4', 'fortran_order': False, 'shape': (6,), }", "int32"},
        {"{'descr': '>f2', 'fortran_order': False, 'shape': (12,), }", "big-endian f2"},
        {"{'descr': '|b1', 'fortran_order': False, 'shape': (24,), }", "bool"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", "complex64"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", "object"},
        {"{'descr': 'O', 'fortran_order': False, 'shape': (3,), }", "object bare"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", "structured"},
        {"{'descr': '', 'fortran_order': False, 'shape': (6,), }", "empty descr"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), ", "missing }"},
        {"{'descr': '<f4', 'fortran_order': False}", "missing shape"},
        {"{'descr': '<f4', 'shape': (6,)}", "missing fortran_order"},
        {"{'fortran_order': False, 'shape': (6,)}", "missing descr"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", "extra key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", "dup key"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", "fortran_order 0"},
        {"{'descr': '<f4', 'fortran_order': Truth, 'shape': (6,), }", "fortran_order Truth"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", "shape list"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", "shape (6)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3), }", "double comma"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", "no comma"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (6,), }", "unterminated string"},
        {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (6,), }", "escape"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } x", "text after dict"},
        {"'descr': '<f4', 'fortran_order': False, 'shape': (6,)", "not a dict"},
        {"", "empty header"},
        {"{descr: '<f4', 'fortran_order': False, 'shape': (6,), }", "unquoted key"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (6,), }", "no colon"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", "negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "negative 2nd"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6.0,), }", "float dim"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6e0,), }", "exp dim"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (0x6,), }", "hex dim"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': ('6',), }", "string dim"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
         "dim overflows int64"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
         "product overflow"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }",
         "product overflow with a zero dim (numpy rejects too)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", "data too long"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", "data truncated"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", "data truncated f8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_fail(make_v1("bad.npy", bad[i].hdr, F6, 24), WINSUM_ERR_FORMAT, bad[i].why);

    /* NUL and non-ASCII bytes inside the header */
    const char nul[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (6,),\0}";
    expect_fail(make_npy("nul.npy", 1, 0, nul, sizeof nul - 1, F6, 24), WINSUM_ERR_FORMAT,
                "NUL in header");
    const char nul2[] = "{'descr': '\0f4', 'fortran_order': False, 'shape': (6,), }";
    expect_fail(make_npy("nul2.npy", 1, 0, nul2, sizeof nul2 - 1, F6, 24), WINSUM_ERR_FORMAT,
                "NUL in descr");
    const char *u8 = "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } \xc3\xa9";
    expect_fail(make_npy("utf8.npy", 3, 0, u8, strlen(u8), F6, 24), WINSUM_ERR_FORMAT,
                "utf-8 text after dict");

    /* ndim > WINSUM_MAX_DIMS */
    char many[512] = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (int i = 0; i <= WINSUM_MAX_DIMS; i++) strcat(many, "1, ");
    strcat(many, "), }");
    expect_fail(make_v1("many.npy", many, F6, 4), WINSUM_ERR_FORMAT, "33 dims");

    /* Messages say what is wrong. */
    make_v1("msg.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", F6, 24);
    ws_npy_read(path_of("msg.npy"), &a, &e);
    CHECK(strstr(e.msg, "big-endian") != NULL);
    make_v1("msg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", F6, 24);
    ws_npy_read(path_of("msg.npy"), &a, &e);
    CHECK(strstr(e.msg, "trailing") != NULL);
    make_v1("msg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", F6, 24);
    ws_npy_read(path_of("msg.npy"), &a, &e);
    CHECK(strstr(e.msg, "truncated") != NULL);
}

static void test_write_failures(void)
{
    ws_error e = {0};
    const int64_t shape[] = {2, 3}, neg[] = {2, -3};
    char path[256];
    snprintf(path, sizeof path, "%s/no-such-dir/out.npy", g_dir);
    CHECK_STATUS(ws_npy_write(path, WINSUM_F32, 2, shape, F6, &e), WINSUM_ERR_IO);
    CHECK(strstr(e.msg, path) != NULL);
    CHECK(!exists(path));
    const char *p = path_of("bad-args.npy");
    CHECK_STATUS(ws_npy_write(p, (winsum_dtype)7, 2, shape, F6, &e), WINSUM_ERR_DTYPE);
    CHECK_STATUS(ws_npy_write(p, WINSUM_F32, 2, neg, F6, &e), WINSUM_ERR_SHAPE);
    CHECK_STATUS(ws_npy_write(p, WINSUM_F32, WINSUM_MAX_DIMS + 1, shape, F6, &e),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(ws_npy_write(p, WINSUM_F32, 2, shape, NULL, &e), WINSUM_ERR_ARGUMENT);
    CHECK(!exists(p));
    /* A directory in the way of the rename: the temp file must go. */
    p = path_of("a-dir.npy");
    mkdir(p, 0700);
    CHECK_STATUS(ws_npy_write(p, WINSUM_F32, 2, shape, F6, &e), WINSUM_ERR_IO);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    CHECK(!exists(tmp) && strstr(e.msg, "rename") != NULL);
    rmdir(p);
}

/* Every prefix of a valid file is rejected; random byte mutations never
 * crash and either fail with FORMAT or give a consistent array. */
static void test_fuzz(void)
{
    const char *h = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }          \n";
    size_t hlen = strlen(h), total = 10 + hlen + 24;
    const char *src = make_v1("fz.npy", h, F6, 24);
    unsigned char orig[512];
    FILE *f = fopen(src, "rb");
    size_t got = f ? fread(orig, 1, sizeof orig, f) : 0;
    if (f) fclose(f);
    CHECK(got == total);

    int bad = 0;
    const char *p = path_of("fz2.npy");
    for (size_t n = 0; n < total; n++) {
        write_bytes(p, orig, n);
        ws_npy a;
        ws_error e = {0};
        if (ws_npy_read(p, &a, &e) != WINSUM_ERR_FORMAT) bad++;
        ws_npy_free(&a);
    }
    CHECK_MSG(bad == 0, "%d truncations not rejected", bad);

    uint64_t rng = tu_seed(12345);
    int inconsistent = 0, accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        unsigned char m[512];
        memcpy(m, orig, total);
        int flips = 1 + (int)tu_range(&rng, 0, 3);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)tu_range(&rng, 0, (int64_t)total - 1);
            /* mostly header bytes, and mostly "interesting" characters */
            static const char pick[] = "0123456789(),:{}' -L\"\n<>=|fFTrue";
            m[at] = tu_range(&rng, 0, 3) ? (unsigned char)pick[tu_range(&rng, 0, 31)]
                                         : (unsigned char)tu_rand(&rng);
        }
        size_t len = total - (size_t)(tu_range(&rng, 0, 4) == 0 ? tu_range(&rng, 0, 8) : 0);
        write_bytes(p, m, len);
        ws_npy a;
        ws_error e = {0};
        winsum_status st = ws_npy_read(p, &a, &e);
        if (st == WINSUM_OK) {
            accepted++;
            int64_t n = numel(a.ndim, a.shape);
            if ((size_t)n * winsum_dtype_size(a.dtype) != a.bytes || !a.data) inconsistent++;
        } else if (st != WINSUM_ERR_FORMAT || !strstr(e.msg, p)) {
            inconsistent++;
        }
        ws_npy_free(&a);
    }
    CHECK_MSG(inconsistent == 0, "%d mutated files gave odd results", inconsistent);
    printf("fuzz: %d of 3000 mutated files accepted\n", accepted);
}

/* numpy interchange, when /usr/bin/python3 has numpy. */
static void test_numpy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        printf("skipping numpy interchange: /usr/bin/python3 with numpy not found\n");
        return;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && /usr/bin/python3 -c '\n"
             "import numpy as np\n"
             "a = np.arange(12, dtype=np.float32).reshape(3, 4) / 4\n"
             "np.save(\"np_c.npy\", a)\n"
             "b = np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 1.5)\n"
             "np.save(\"np_f.npy\", b)\n"
             "np.save(\"np_0d.npy\", np.float64(-7.5))\n"
             "np.save(\"np_be.npy\", np.arange(3, dtype=\">f4\"))\n"
             "'",
             g_dir);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "python np.save failed (%d)", rc);
    if (rc != 0) return;

    ws_npy a;
    ws_error e = {0};
    CHECK_STATUS(ws_npy_read(path_of("np_c.npy"), &a, &e), WINSUM_OK);
    int ok = a.dtype == WINSUM_F32 && a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 4 &&
             !a.fortran && a.strides[0] == 4 && a.strides[1] == 1;
    for (int k = 0; ok && k < 12; k++) ok = ((float *)a.data)[k] == (float)k / 4;
    CHECK(ok);
    ws_npy_free(&a);

    CHECK_STATUS(ws_npy_read(path_of("np_f.npy"), &a, &e), WINSUM_OK);
    ok = a.dtype == WINSUM_F64 && a.ndim == 3 && a.fortran && a.strides[0] == 1 &&
         a.strides[1] == 2 && a.strides[2] == 6;
    for (int i = 0; ok && i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) {
                double v =
                    ((double *)a.data)[i * a.strides[0] + j * a.strides[1] + k * a.strides[2]];
                ok &= v == (i * 12 + j * 4 + k) * 1.5;
            }
    CHECK(ok);
    ws_npy_free(&a);

    CHECK(ws_npy_read(path_of("np_0d.npy"), &a, &e) == WINSUM_OK && a.ndim == 0 &&
          *(double *)a.data == -7.5);
    ws_npy_free(&a);
    expect_fail(path_of("np_be.npy"), WINSUM_ERR_FORMAT, "numpy big-endian");

    /* ...and numpy reads what we write. */
    const int64_t shape[] = {2, 3};
    CHECK_STATUS(ws_npy_write(path_of("ours.npy"), WINSUM_F32, 2, shape, F6, &e), WINSUM_OK);
    const double pi = 3.5;
    CHECK_STATUS(ws_npy_write(path_of("ours0.npy"), WINSUM_F64, 0, NULL, &pi, &e), WINSUM_OK);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && /usr/bin/python3 -c '\n"
             "import numpy as np\n"
             "a = np.load(\"ours.npy\")\n"
             "assert a.dtype == np.float32 and a.shape == (2, 3), a\n"
             "assert (a == np.arange(6).reshape(2, 3)).all()\n"
             "b = np.load(\"ours0.npy\")\n"
             "assert b.dtype == np.float64 and b.shape == () and b == 3.5\n"
             "'",
             g_dir);
    CHECK(system(cmd) == 0);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char p[512];
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (unlink(p) != 0) rmdir(p);
    }
    closedir(d);
    rmdir(dir);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/winsum_npy_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trips();
    test_accepted_headers();
    test_fortran();
    test_rejected();
    test_write_failures();
    test_fuzz();
    test_numpy();
    remove_dir(g_dir);
    return tu_finish("test_npy");
}
