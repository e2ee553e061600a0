/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * npy.c - reading and writing numpy .npy files holding float32/float64
 * arrays (format versions 1.0, 2.0 and 3.0; C or Fortran order).
 *
 * The reader treats every file as hostile: each length is checked against
 * the real file size before anything is allocated, the header dict is parsed
 * with a bounds-checked cursor (never with str* functions, since the header
 * may hold NUL bytes), and anything it does not fully understand is
 * WINSUM_ERR_FORMAT with a message that names the file.
 *
 * The writer produces what numpy.save produces (minus numpy's optional
 * "growth" spaces): a version 1.0 header (2.0 when it would not fit) padded
 * with spaces and a '\n' to a multiple of 64 bytes, then the raw data. It
 * writes to path.tmp.PID and renames, so a failure never leaves a partial
 * file at path.
 */
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* Our headers are under 1 KiB even at WINSUM_MAX_DIMS; only structured
 * dtypes (which we reject anyway) need big ones. The cap keeps a lying
 * header length from costing a big allocation. */
#define NPY_MAX_HEADER (1u << 20)

/* ------------------------------------------------------------ helpers */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static uint32_t load_le(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void store_le(unsigned char *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Reads exactly n bytes; returns the count read (short at end of file) or
 * -1 with errno set on a read error. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, (const char *)buf + done, n - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

/* ------------------------------------------------------ header parsing */

/* A cursor over the header text. Every access goes through peek(), which
 * returns -1 past the end, so no path can read beyond the buffer. */
typedef struct cursor {
    const char *base;
    size_t pos, len;
    const char *path;
    ws_error *e;
} cursor;

static int peek(const cursor *c) { return c->pos < c->len ? (unsigned char)c->base[c->pos] : -1; }

static void skip_ws(cursor *c)
{
    for (;;) {
        int ch = peek(c);
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' && ch != '\f' && ch != '\v') return;
        c->pos++;
    }
}

static int is_ident_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.';
}

static winsum_status malformed(const cursor *c, const char *what)
{
    return ws_fail(c->e, WINSUM_ERR_FORMAT, "%s: malformed .npy header: %s at header offset %zu",
                   c->path, what, c->pos);
}

/* A quoted Python string without escapes; sets (*s, *n) to its contents. */
static winsum_status parse_string(cursor *c, const char **s, size_t *n)
{
    int q = peek(c);
    if (q != '\'' && q != '"') return malformed(c, "expected a quoted string");
    c->pos++;
    size_t start = c->pos;
    for (;;) {
        int ch = peek(c);
        if (ch < 0 || ch == '\n') return malformed(c, "unterminated string");
        if (ch == '\\') return malformed(c, "escape sequence in string");
        if (ch == q) break;
        c->pos++;
    }
    *s = c->base + start;
    *n = c->pos - start;
    c->pos++; /* closing quote */
    return WINSUM_OK;
}

static int span_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* 'descr': only float16/float32/float64 in host byte order. numpy itself reads
 * '<f4', '=f4', '|f4' and 'f4' all as little-endian float32 here. */
static winsum_status parse_descr(cursor *c, winsum_dtype *dtype)
{
    if (peek(c) == '[')
        return ws_fail(c->e, WINSUM_ERR_FORMAT,
                       "%s: structured dtype (list descr) is not supported; only float16, "
                       "float32 and float64",
                       c->path);
    const char *s;
    size_t n;
    winsum_status st = parse_string(c, &s, &n);
    if (st) return st;
    int order = n > 0 && s[0] && strchr("<>=|", s[0]) ? s[0] : 0;
    const char *code = order ? s + 1 : s;
    size_t ncode = order ? n - 1 : n;
    int nonnative = order == (host_is_little_endian() ? '>' : '<');
    if (span_is(code, ncode, "f2") || span_is(code, ncode, "f4") || span_is(code, ncode, "f8")) {
        if (nonnative)
            return ws_fail(c->e, WINSUM_ERR_FORMAT,
                           "%s: dtype '%.*s' has non-native (%s) byte order; only "
                           "little-endian '<f2'/'<f4'/'<f8' is supported",
                           c->path, (int)n, s, order == '>' ? "big-endian" : "little-endian");
        *dtype = code[1] == '2' ? WINSUM_F16 : code[1] == '4' ? WINSUM_F32 : WINSUM_F64;
        return WINSUM_OK;
    }
    if (span_is(code, ncode, "O"))
        return ws_fail(c->e, WINSUM_ERR_FORMAT,
                       "%s: object arrays (dtype 'O', pickled data) are not supported", c->path);
    return ws_fail(c->e, WINSUM_ERR_FORMAT,
                   "%s: unsupported dtype '%.*s'; only float16 '<f2', float32 '<f4' and "
                   "float64 '<f8'",
                   c->path, (int)(n > 40 ? 40 : n), s);
}

static winsum_status parse_bool(cursor *c, int *v)
{
    size_t start = c->pos;
    while (is_ident_char(peek(c))) c->pos++;
    const char *s = c->base + start;
    size_t n = c->pos - start;
    if (span_is(s, n, "True")) *v = 1;
    else if (span_is(s, n, "False")) *v = 0;
    else {
        c->pos = start;
        return malformed(c, "'fortran_order' must be True or False");
    }
    return WINSUM_OK;
}

/* A non-negative decimal integer (with the 'L' suffix Python 2 wrote). */
static winsum_status parse_dim(cursor *c, int64_t *v)
{
    if (peek(c) == '+') c->pos++;
    if (peek(c) == '-') {
        return ws_fail(c->e, WINSUM_ERR_FORMAT,
                       "%s: negative dimension in .npy shape at header offset %zu", c->path,
                       c->pos);
    }
    if (!(peek(c) >= '0' && peek(c) <= '9')) return malformed(c, "expected an integer in shape");
    int64_t x = 0;
    while (peek(c) >= '0' && peek(c) <= '9') {
        if (ws_mul_ovf(x, 10, &x) || ws_add_ovf(x, peek(c) - '0', &x))
            return ws_fail(c->e, WINSUM_ERR_FORMAT,
                           "%s: dimension too large in .npy shape at header offset %zu", c->path,
                           c->pos);
        c->pos++;
    }
    if (peek(c) == 'L' || peek(c) == 'l') c->pos++;
    if (is_ident_char(peek(c)))
        return ws_fail(c->e, WINSUM_ERR_FORMAT,
                       "%s: non-integer dimension in .npy shape at header offset %zu", c->path,
                       c->pos);
    *v = x;
    return WINSUM_OK;
}

/* A Python tuple of ints: (), (3,), (2, 3), (2, 3,). "(3)" is an int in
 * Python, not a tuple, and numpy rejects it; so do we. */
static winsum_status parse_shape(cursor *c, int *ndim, int64_t *shape)
{
    if (peek(c) != '(') return malformed(c, "'shape' must be a tuple");
    c->pos++;
    skip_ws(c);
    int n = 0, comma = 0;
    while (peek(c) != ')') {
        if (n == WINSUM_MAX_DIMS)
            return ws_fail(c->e, WINSUM_ERR_FORMAT,
                           "%s: .npy shape has more than WINSUM_MAX_DIMS (%d) dimensions", c->path,
                           WINSUM_MAX_DIMS);
        winsum_status st = parse_dim(c, &shape[n++]);
        if (st) return st;
        skip_ws(c);
        comma = peek(c) == ',';
        if (comma) {
            c->pos++;
            skip_ws(c);
        } else if (peek(c) != ')') {
            return malformed(c, "expected ',' or ')' in shape");
        }
    }
    if (n == 1 && !comma) return malformed(c, "one-element shape needs a trailing comma, '(n,)'");
    c->pos++; /* ')' */
    *ndim = n;
    return WINSUM_OK;
}

/* The header dict: exactly the keys descr, fortran_order and shape, in any
 * order, each once, with an optional trailing comma; then only whitespace. */
static winsum_status parse_header(cursor *c, ws_npy *arr)
{
    int seen_descr = 0, seen_fortran = 0, seen_shape = 0;
    winsum_status st;
    skip_ws(c);
    if (peek(c) != '{') return malformed(c, "expected '{'");
    c->pos++;
    for (;;) {
        skip_ws(c);
        if (peek(c) == '}') break;
        const char *key;
        size_t nkey;
        if ((st = parse_string(c, &key, &nkey))) return st;
        skip_ws(c);
        if (peek(c) != ':') return malformed(c, "expected ':'");
        c->pos++;
        skip_ws(c);
        int *seen;
        if (span_is(key, nkey, "descr")) {
            seen = &seen_descr;
            st = parse_descr(c, &arr->dtype);
        } else if (span_is(key, nkey, "fortran_order")) {
            seen = &seen_fortran;
            st = parse_bool(c, &arr->fortran);
        } else if (span_is(key, nkey, "shape")) {
            seen = &seen_shape;
            st = parse_shape(c, &arr->ndim, arr->shape);
        } else {
            return ws_fail(c->e, WINSUM_ERR_FORMAT,
                           "%s: unexpected key '%.*s' in .npy header (expected 'descr', "
                           "'fortran_order', 'shape')",
                           c->path, (int)(nkey > 40 ? 40 : nkey), key);
        }
        if (st) return st;
        if (*seen)
            return ws_fail(c->e, WINSUM_ERR_FORMAT, "%s: duplicate key '%.*s' in .npy header",
                           c->path, (int)nkey, key);
        *seen = 1;
        skip_ws(c);
        if (peek(c) == ',') c->pos++;
        else if (peek(c) != '}') return malformed(c, "expected ',' or '}'");
    }
    c->pos++; /* '}' */
    skip_ws(c);
    if (c->pos != c->len) return malformed(c, "unexpected text after the dict");
    if (!seen_descr || !seen_fortran || !seen_shape)
        return ws_fail(c->e, WINSUM_ERR_FORMAT, "%s: .npy header lacks the %s key", c->path,
                       !seen_descr     ? "'descr'"
                       : !seen_fortran ? "'fortran_order'"
                                       : "'shape'");
    return WINSUM_OK;
}

/* --------------------------------------------------------------- read */

/* Fills strides and returns the data size in bytes, or -1 when the
 * product overflows. As numpy does, zero dimensions are left out of the
 * overflow check (so (0, 2^40, 2^40) fails, like in numpy), which also
 * guarantees that every stride fits. */
static int64_t layout(ws_npy *arr)
{
    int64_t prod = (int64_t)winsum_dtype_size(arr->dtype), zero = 0;
    for (int i = 0; i < arr->ndim; i++) {
        if (arr->shape[i] == 0) zero = 1;
        else if (ws_mul_ovf(prod, arr->shape[i], &prod)) return -1;
    }
    int64_t s = 1;
    for (int k = 0; k < arr->ndim; k++) {
        int i = arr->fortran ? k : arr->ndim - 1 - k; /* fastest axis first */
        arr->strides[i] = s;
        if (arr->shape[i]) s *= arr->shape[i];
    }
    return zero ? 0 : prod;
}

static winsum_status read_fd(int fd, const char *path, ws_npy *arr, ws_error *e)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return ws_fail(e, WINSUM_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return ws_fail(e, WINSUM_ERR_IO, "%s: not a regular file (%s)", path,
                       S_ISDIR(sb.st_mode)    ? "a directory"
                       : S_ISFIFO(sb.st_mode) ? "a FIFO"
                       : S_ISSOCK(sb.st_mode) ? "a socket"
                                              : "a device");
    int64_t fsize = (int64_t)sb.st_size;

    unsigned char pre[12];
    ssize_t got = read_full(fd, pre, fsize < 12 ? (size_t)fsize : 12);
    if (got < 0) return ws_fail(e, WINSUM_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if (got < NPY_MAGIC_LEN || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return ws_fail(e, WINSUM_ERR_FORMAT, "%s: not a .npy file (bad magic string)", path);
    if (got < 8) return ws_fail(e, WINSUM_ERR_FORMAT, "%s: truncated .npy header", path);
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return ws_fail(e, WINSUM_ERR_FORMAT,
                       "%s: unsupported .npy format version %d.%d (supported: 1.0, 2.0, 3.0)", path,
                       major, minor);
    int lenbytes = major == 1 ? 2 : 4;
    int64_t prefix = 8 + lenbytes;
    if (got < prefix) return ws_fail(e, WINSUM_ERR_FORMAT, "%s: truncated .npy header", path);
    uint32_t hlen = load_le(pre + 8, lenbytes);
    /* We read 12 bytes; a 1.0 header starts at 10. */
    if (lseek(fd, (off_t)prefix, SEEK_SET) < 0)
        return ws_fail(e, WINSUM_ERR_IO, "%s: seek error: %s", path, strerror(errno));
    if ((int64_t)hlen > fsize - prefix)
        return ws_fail(e, WINSUM_ERR_FORMAT,
                       "%s: truncated .npy header: it says %u bytes, the file has %lld after "
                       "the prefix",
                       path, hlen, (long long)(fsize - prefix));
    if (hlen > NPY_MAX_HEADER)
        return ws_fail(e, WINSUM_ERR_FORMAT, "%s: .npy header of %u bytes is too long", path, hlen);

    char *hdr = malloc(hlen ? hlen : 1);
    if (!hdr) return ws_fail(e, WINSUM_ERR_MEMORY, "%s: out of memory for the header", path);
    got = read_full(fd, hdr, hlen);
    winsum_status st = WINSUM_OK;
    if (got < 0) st = ws_fail(e, WINSUM_ERR_IO, "%s: read error: %s", path, strerror(errno));
    else if ((size_t)got < hlen)
        st = ws_fail(e, WINSUM_ERR_FORMAT, "%s: truncated .npy header", path);
    else {
        /* Versions 1.0/2.0 are latin-1, 3.0 utf-8: both are byte-compatible
         * with ASCII for everything we accept, and any non-ASCII byte can
         * only sit in a string we then reject. */
        cursor c = {hdr, 0, hlen, path, e};
        st = parse_header(&c, arr);
    }
    free(hdr);
    if (st) return st;

    int64_t nbytes = layout(arr);
    if (nbytes < 0 || (uint64_t)nbytes > SIZE_MAX)
        return ws_fail(e, WINSUM_ERR_FORMAT,
                       "%s: .npy shape's element count overflows 64-bit sizes", path);
    int64_t avail = fsize - prefix - (int64_t)hlen;
    if (avail < nbytes)
        return ws_fail(e, WINSUM_ERR_FORMAT,
                       "%s: truncated .npy data: the header says %lld bytes, the file has %lld",
                       path, (long long)nbytes, (long long)avail);
    /* numpy.load ignores bytes after the data (it reads `count` items with
     * fromfile, which lets several arrays share one open stream). We read
     * one array per path, so extra bytes mean the header lies about the
     * size or arrays we would silently drop: we reject them. */
    if (avail > nbytes)
        return ws_fail(e, WINSUM_ERR_FORMAT,
                       "%s: .npy header lies about the size: %lld trailing bytes after the "
                       "%lld bytes of data",
                       path, (long long)(avail - nbytes), (long long)nbytes);

    arr->bytes = (size_t)nbytes;
    arr->data = malloc(arr->bytes ? arr->bytes : 1); /* non-NULL even when empty */
    if (!arr->data)
        return ws_fail(e, WINSUM_ERR_MEMORY, "%s: out of memory for %zu bytes of data", path,
                       arr->bytes);
    got = read_full(fd, arr->data, arr->bytes);
    if (got < 0) return ws_fail(e, WINSUM_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if ((size_t)got < arr->bytes) /* the file shrank under us */
        return ws_fail(e, WINSUM_ERR_FORMAT, "%s: truncated .npy data", path);
    return WINSUM_OK;
}

winsum_status ws_npy_read(const char *path, ws_npy *arr, ws_error *e)
{
    if (!arr || !path)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "ws_npy_read: NULL %s", path ? "array" : "path");
    memset(arr, 0, sizeof *arr);
    /* O_NONBLOCK: a FIFO (or a device) opens at once, and read_fd refuses
     * it, instead of blocking here until a writer comes */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ws_fail(e, WINSUM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    winsum_status st = read_fd(fd, path, arr, e);
    close(fd);
    if (st) ws_npy_free(arr);
    return st;
}

void ws_npy_free(ws_npy *arr)
{
    if (!arr) return;
    free(arr->data);
    memset(arr, 0, sizeof *arr);
}

/* -------------------------------------------------------------- write */

/* Builds prefix + header (numpy's layout) into buf; returns its length. */
static size_t build_header(winsum_dtype dtype, int ndim, const int64_t *shape, char *buf,
                           size_t cap)
{
    char dict[1024];
    size_t n = (size_t)snprintf(dict, sizeof dict,
                                "{'descr': '%s', 'fortran_order': False, "
                                "'shape': (",
                                dtype == WINSUM_F32   ? "<f4"
                                : dtype == WINSUM_F16 ? "<f2"
                                                      : "<f8");
    for (int i = 0; i < ndim; i++)
        n +=
            (size_t)snprintf(dict + n, sizeof dict - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", ndim == 1 ? "," : "");
    /* As numpy's _wrap_header: pad with 1..64 spaces, then '\n', so that
     * prefix + header is a multiple of 64; version 2.0 only when the length
     * does not fit version 1.0's u16 (never at WINSUM_MAX_DIMS, but cheap). */
    int version = 1;
    size_t prefix = 10, hlen = n + 1;
    size_t pad = 64 - (prefix + hlen) % 64;
    if (hlen + pad > 0xffff) {
        version = 2;
        prefix = 12;
        pad = 64 - (prefix + hlen) % 64;
    }
    size_t total = prefix + hlen + pad;
    if (total > cap) return 0;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = (char)version;
    buf[7] = 0;
    store_le((unsigned char *)buf + 8, (uint32_t)(hlen + pad), version == 1 ? 2 : 4);
    memcpy(buf + prefix, dict, n);
    memset(buf + prefix + n, ' ', pad);
    buf[total - 1] = '\n';
    return total;
}

winsum_status ws_npy_write(const char *path, winsum_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, ws_error *e)
{
    if (!path) return ws_fail(e, WINSUM_ERR_ARGUMENT, "ws_npy_write: NULL path");
    if (dtype != WINSUM_F32 && dtype != WINSUM_F64 && dtype != WINSUM_F16)
        return ws_fail(e, WINSUM_ERR_DTYPE,
                       "%s: .npy writing supports float16, float32 and float64 only", path);
    if (ndim < 0 || ndim > WINSUM_MAX_DIMS || (ndim > 0 && !shape))
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: bad ndim %d or NULL shape", path, ndim);
    int64_t nbytes = (int64_t)winsum_dtype_size(dtype);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return ws_fail(e, WINSUM_ERR_SHAPE, "%s: negative size %lld on axis %d", path,
                           (long long)shape[i], i);
        if (ws_mul_ovf(nbytes, shape[i], &nbytes))
            return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: array size overflows", path);
    }
    if (nbytes > 0 && !data) return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: NULL data", path);

    char hdr[2048];
    size_t hsize = build_header(dtype, ndim, shape, hdr, sizeof hdr);
    if (!hsize) return ws_fail(e, WINSUM_ERR_IO, "%s: .npy header too long", path);

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) return ws_fail(e, WINSUM_ERR_MEMORY, "%s: out of memory", path);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());

    /* O_EXCL: never clobber (or follow a link at) someone else's temp file. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        winsum_status st = ws_fail(e, WINSUM_ERR_IO, "%s: cannot create temporary file %s: %s",
                                   path, tmp, strerror(errno));
        free(tmp);
        return st;
    }
    const char *what = NULL; /* the step that failed */
    if (write_full(fd, hdr, hsize) != 0 || write_full(fd, data, (size_t)nbytes) != 0)
        what = "write";
    else if (fsync(fd) != 0) what = "fsync";
    int err = errno;
    if (close(fd) != 0 && !what) {
        what = "close";
        err = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "rename";
        err = errno;
    }
    winsum_status st = WINSUM_OK;
    if (what) {
        unlink(tmp);
        st = ws_fail(e, WINSUM_ERR_IO, "%s: %s of %s failed: %s", path, what, tmp, strerror(err));
    }
    free(tmp);
    return st;
}
