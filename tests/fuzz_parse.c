/*
 * fuzz_parse.c - libFuzzer target for the einsum parser and the view checks
 * (host/parse.c, view.c, operand.c, status.c; no OpenCL).
 *
 * The first byte picks what the rest is:
 *   'P'  text: the subscripts on the first line, then one line per operand
 *        with its shape ("2,3"; an empty line is a 0-d operand), fed to
 *        ws_parse. When it parses, the IR is checked against the shapes
 *        (labels in range, output labels distinct, every axis size equal to
 *        its label's size or 1, diagonals equal) and formatted back.
 *   'V'  binary: a view (see read_view) fed to winsum_view_check and
 *        ws_view_range. When the check passes and the view is small, every
 *        element is enumerated: each one the guards let through must lie in
 *        the buffer, and for an output no two indices may share an element.
 *   'W'  binary: a base view and window parameters fed to
 *        winsum_view_window. When both the base and the window pass, every
 *        element of a small window that its guards let through must be an
 *        element of the base.
 *   'A'  binary: an input and an output view in one buffer that pass
 *        winsum_view_check, fed to ws_views_may_alias (as plan creation
 *        does); when it says "no" and the views are small, they must share
 *        no element.
 * Any other first byte is treated as 'P' on the whole input.
 * A broken invariant calls abort(), which libFuzzer reports as a crash.
 *
 * Binary numbers (read_i64): one byte b; b < 0xe0 gives b - 64; 0xe0..0xef
 * is followed by 8 little-endian bytes; 0xf0..0xff pick an edge value
 * (INT64_MIN, INT64_MAX, 2^31, 2^32, 2^62, ...). Past the end reads 0.
 */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL 4096 /* element counts enumerated by the oracles */

typedef struct reader {
    const uint8_t *p, *end;
} reader;

static int read_u8(reader *r) { return r->p < r->end ? *r->p++ : 0; }

static int64_t read_i64(reader *r)
{
    static const int64_t edge[16] = {INT64_MIN,
                                     INT64_MAX,
                                     INT64_MIN + 1,
                                     INT64_MAX - 1,
                                     (int64_t)1 << 31,
                                     ((int64_t)1 << 31) - 1,
                                     (int64_t)1 << 32,
                                     (int64_t)1 << 40,
                                     (int64_t)1 << 62,
                                     -((int64_t)1 << 62),
                                     INT64_MIN / 2,
                                     -((int64_t)1 << 31),
                                     1000,
                                     -1000,
                                     1 << 20,
                                     3037000500LL /* ~sqrt(2^63) */};
    int b = read_u8(r);
    if (b < 0xe0) return (int64_t)b - 64;
    if (b < 0xf0) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) v |= (uint64_t)read_u8(r) << (8 * i);
        return (int64_t)v;
    }
    return edge[b - 0xf0];
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_parse: invariant broken: %s\n", what);
    abort();
}

/* ---------------------------------------------------------------- parse */

static void check_ir(const ws_ir *ir, int nops, const winsum_view *ops)
{
    if (ir->nops != nops) fail("ir.nops");
    if (ir->nlabels < 0 || ir->nlabels > WS_MAX_LABELS) fail("nlabels out of range");
    if (ir->out_ndim < 0 || ir->out_ndim > WINSUM_MAX_DIMS) fail("out_ndim out of range");
    for (int l = 0; l < ir->nlabels; l++)
        if (ir->size[l] < 0) fail("negative label size");
    int seen[WS_MAX_LABELS] = {0};
    for (int a = 0; a < ir->out_ndim; a++) {
        int l = ir->out_label[a];
        if (l < 0 || l >= ir->nlabels) fail("output label out of range");
        if (seen[l]++) fail("output label repeated");
    }
    for (int k = 0; k < nops; k++) {
        if (ir->op_ndim[k] != ops[k].ndim) fail("op_ndim differs from the view");
        for (int a = 0; a < ops[k].ndim; a++) {
            int l = ir->op_label[k][a];
            if (l < 0 || l >= ir->nlabels) fail("operand label out of range");
            int64_t s = ops[k].shape[a];
            if (s != ir->size[l] && s != 1) fail("axis size neither the label size nor 1");
            for (int b = 0; b < a; b++)
                if (ir->op_label[k][b] == l && ops[k].shape[b] != s)
                    fail("diagonal of unequal sizes accepted");
        }
    }
    /* every label of size > 1 is the size of some axis that carries it */
    for (int l = 0; l < ir->nlabels; l++) {
        if (ir->size[l] <= 1) continue;
        int found = 0;
        for (int k = 0; k < nops && !found; k++)
            for (int a = 0; a < ops[k].ndim && !found; a++)
                found = ir->op_label[k][a] == l && ops[k].shape[a] == ir->size[l];
        if (!found) fail("label size from nowhere");
    }
    char small[7], big[1024];
    ws_ir_format(ir, small, sizeof small);
    ws_ir_format(ir, big, sizeof big);
    if (strlen(small) >= sizeof small || strncmp(small, big, strlen(small)) != 0)
        fail("ws_ir_format truncation");
    /* the normalised operands the planners consume */
    for (int k = -1; k < nops; k++) {
        winsum_view v;
        memset(&v, 0, sizeof v);
        if (k >= 0) v = ops[k];
        else {
            v.ndim = ir->out_ndim;
            for (int a = 0; a < v.ndim; a++) v.shape[a] = ir->size[ir->out_label[a]];
        }
        for (int a = 0; a < v.ndim; a++) v.strides[a] = a + 1;
        ws_operand op;
        ws_operand_from_view(ir, k, &v, &op);
        for (int a = 0; a < v.ndim; a++) {
            int l = k >= 0 ? ir->op_label[k][a] : ir->out_label[a];
            if (!op.has[l]) fail("ws_operand lost a label");
        }
    }
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
    /* lines: subscripts, then shapes */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    char *nl = memchr(text, '\n', size);
    winsum_view ops[WS_MAX_OPS + 2];
    memset(ops, 0, sizeof ops);
    int nops = 0;
    if (nl) {
        *nl = 0;
        char *line = nl + 1, *end = text + size;
        while (line <= end && nops < WS_MAX_OPS + 2) {
            char *e = memchr(line, '\n', (size_t)(end - line));
            if (!e) e = end;
            *e = 0;
            winsum_view *v = &ops[nops++];
            char *p = line;
            while (*p && v->ndim < WINSUM_MAX_DIMS + 1) {
                char *q;
                long long x = strtoll(p, &q, 0);
                if (q == p) break;
                if (v->ndim < WINSUM_MAX_DIMS) v->shape[v->ndim] = x;
                v->ndim++;
                p = q;
                if (*p == ',') p++;
            }
            line = e + 1;
        }
    }
    /* the subscripts alone, in an allocation of their own exact size, so
     * that any read past the terminator is caught */
    size_t n = strlen(text);
    char *subs = malloc(n + 1);
    memcpy(subs, text, n + 1);
    ws_ir *ir = malloc(sizeof *ir), *ir2 = malloc(sizeof *ir2);
    ws_error e;
    memset(&e, 0, sizeof e);
    winsum_status st = ws_parse(subs, nops, ops, ir, &e);
    if (st == WINSUM_OK) {
        check_ir(ir, nops, ops);
    } else {
        if (st >= WINSUM_STATUS_COUNT_) fail("unknown status");
        if (!e.msg[0]) fail("an error without a message");
        if (st != WINSUM_ERR_ARGUMENT && st != WINSUM_ERR_SUBSCRIPTS && st != WINSUM_ERR_SHAPE)
            fail("ws_parse returned a status outside ARGUMENT/SUBSCRIPTS/SHAPE");
    }
    /* deterministic, and no message sink is fine too */
    if (ws_parse(subs, nops, ops, ir2, NULL) != st) fail("ws_parse not deterministic");
    if (st == WINSUM_OK && memcmp(ir, ir2, sizeof *ir) != 0) fail("ws_parse IR not deterministic");
    free(ir);
    free(ir2);
    free(subs);
    free(text);
}

/* ---------------------------------------------------------------- views */

/* A view from the reader: ndim (0..33), dtype (0..3; 3 is not a dtype),
 * offset, buffer bytes, shape[], strides[], nguards (0..5), guards. */
static void read_view(reader *r, winsum_view *v, winsum_buffer *b)
{
    memset(v, 0, sizeof *v);
    v->ndim = read_u8(r) % (WINSUM_MAX_DIMS + 2);
    if (v->ndim > WINSUM_MAX_DIMS && (read_u8(r) & 1)) v->ndim = -1;
    v->dtype = (winsum_dtype)(read_u8(r) % 4);
    v->offset = read_i64(r);
    int64_t bytes = read_i64(r);
    b->bytes = bytes < 0 ? (size_t) - (bytes + 1) : (size_t)bytes;
    int nd = v->ndim < 0 ? 0 : v->ndim > WINSUM_MAX_DIMS ? WINSUM_MAX_DIMS : v->ndim;
    for (int i = 0; i < nd; i++) v->shape[i] = read_i64(r);
    for (int i = 0; i < nd; i++) v->strides[i] = read_i64(r);
    v->nguards = read_u8(r) % (WINSUM_MAX_GUARDS + 2);
    int ng = v->nguards > WINSUM_MAX_GUARDS ? WINSUM_MAX_GUARDS : v->nguards;
    for (int g = 0; g < ng; g++) {
        for (int i = 0; i < nd; i++) v->guards[g].coef[i] = read_i64(r);
        v->guards[g].offset = read_i64(r);
        v->guards[g].extent = read_i64(r);
    }
    v->buffer = b;
}

/* Calls f(ctx, address) for every element of v that its guards let
 * through; returns 0 when v has more than SMALL elements (or arithmetic
 * would overflow), without calling f. */
static int each_element(const winsum_view *v, void (*f)(void *, int64_t), void *ctx)
{
    int64_t numel = 1;
    for (int i = 0; i < v->ndim; i++) {
        if (__builtin_mul_overflow(numel, v->shape[i], &numel) || numel > SMALL) return 0;
    }
    int64_t idx[WINSUM_MAX_DIMS] = {0};
    for (int64_t k = 0; k < numel; k++) {
        __int128 addr = v->offset;
        for (int i = 0; i < v->ndim; i++) addr += (__int128)v->strides[i] * idx[i];
        int pass = 1;
        for (int g = 0; g < v->nguards && pass; g++) {
            __int128 x = v->guards[g].offset;
            for (int i = 0; i < v->ndim; i++) x += (__int128)v->guards[g].coef[i] * idx[i];
            pass = x >= 0 && x < v->guards[g].extent;
        }
        if (pass) {
            if (addr < INT64_MIN || addr > INT64_MAX) fail("a checked view's address overflows");
            f(ctx, (int64_t)addr);
        }
        for (int d = v->ndim - 1; d >= 0; d--) {
            if (++idx[d] < v->shape[d]) break;
            idx[d] = 0;
        }
    }
    return 1;
}

typedef struct addr_set {
    int64_t *a;
    int n;
    int64_t cap; /* buffer elements, for the bounds oracle */
} addr_set;

static void collect(void *ctx, int64_t addr)
{
    addr_set *s = ctx;
    s->a[s->n++] = addr;
}

static int cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Sorted addresses of v's (guarded) elements; 0 when v is too big. */
static int addresses(const winsum_view *v, addr_set *s)
{
    s->a = malloc(sizeof(int64_t) * SMALL);
    s->n = 0;
    if (!each_element(v, collect, s)) {
        free(s->a);
        s->a = NULL;
        return 0;
    }
    qsort(s->a, (size_t)s->n, sizeof(int64_t), cmp64);
    return 1;
}

static int64_t capacity(const winsum_view *v)
{
    size_t es = winsum_dtype_size(v->dtype);
    return es ? (int64_t)(v->buffer->bytes / es) : 0;
}

static void fuzz_view(reader *r)
{
    static char dummy[16];
    winsum_buffer b = winsum_buffer_host(dummy, 0);
    winsum_view v;
    read_view(r, &v, &b);
    int is_output = read_u8(r) & 1;
    char msg[256];
    winsum_status st = winsum_view_check(&v, "v", is_output, msg, sizeof msg);
    if (st != WINSUM_OK && !msg[0]) fail("view check error without a message");
    ws_error e;
    memset(&e, 0, sizeof e);
    int64_t lo = 0, hi = 0;
    int empty = 0;
    winsum_status st2 = ws_view_range(&v, &lo, &hi, &empty, "v", &e);
    if (st == WINSUM_OK && st2 != WINSUM_OK) fail("view_check passes but ws_view_range fails");
    if (st2 == WINSUM_OK && !empty && lo > hi) fail("ws_view_range lo > hi");
    if (st != WINSUM_OK) return;
    addr_set s;
    if (!addresses(&v, &s)) return;
    int64_t cap = capacity(&v);
    for (int i = 0; i < s.n; i++) {
        if (s.a[i] < 0 || s.a[i] >= cap) fail("a checked view reaches outside its buffer");
        if (!empty && (s.a[i] < lo || s.a[i] > hi)) fail("an element outside ws_view_range");
        if (is_output && i > 0 && s.a[i] == s.a[i - 1])
            fail("a checked output view maps two indices to one element");
    }
    free(s.a);
}

static void fuzz_window(reader *r)
{
    static char dummy[16];
    winsum_buffer b = winsum_buffer_host(dummy, 0);
    winsum_view base, win;
    read_view(r, &base, &b);
    int ns = read_u8(r) % 5; /* 0..4: 0 and 4 are errors */
    int axes[4];
    int64_t k[4], s[4], d[4], lo[4], hi[4];
    for (int i = 0; i < 4; i++) {
        axes[i] = read_u8(r) % 36 - 1;
        k[i] = read_i64(r);
        s[i] = read_i64(r);
        d[i] = read_i64(r);
        lo[i] = read_i64(r);
        hi[i] = read_i64(r);
    }
    char msg[256];
    winsum_status st = winsum_view_window(&base, ns, axes, k, s, d, lo, hi, &win, msg, sizeof msg);
    if (st != WINSUM_OK) {
        if (!msg[0]) fail("window error without a message");
        return;
    }
    if (win.ndim < 0 || win.ndim > WINSUM_MAX_DIMS) fail("window ndim out of range");
    if (win.nguards < 0 || win.nguards > WINSUM_MAX_GUARDS) fail("window nguards out of range");
    if (winsum_view_check(&base, "base", 0, msg, sizeof msg) != WINSUM_OK) return;
    /* every element of the window its guards let through is a base element */
    addr_set bs, ws;
    if (!addresses(&base, &bs)) return;
    if (addresses(&win, &ws)) {
        for (int i = 0; i < ws.n; i++)
            if (!bsearch(&ws.a[i], bs.a, (size_t)bs.n, sizeof(int64_t), cmp64))
                fail("a window element that is no element of its base");
        free(ws.a);
    }
    free(bs.a);
}

static void fuzz_alias(reader *r)
{
    static char dummy[16];
    winsum_buffer b = winsum_buffer_host(dummy, 0);
    winsum_view x, y;
    read_view(r, &x, &b);
    winsum_buffer b2 = b;
    read_view(r, &y, &b2);
    y.buffer = &b; /* the same memory */
    /* as the library calls it: on views that passed their checks */
    char msg[256];
    if (winsum_view_check(&x, "x", 0, msg, sizeof msg) != WINSUM_OK ||
        winsum_view_check(&y, "y", 1, msg, sizeof msg) != WINSUM_OK)
        return;
    if (ws_views_may_alias(&x, &y, NULL)) return;
    if (x.dtype != y.dtype) return; /* byte ranges: the oracle below counts elements */
    addr_set xs, ys;
    if (!addresses(&x, &xs)) return;
    if (addresses(&y, &ys)) {
        for (int i = 0; i < ys.n; i++)
            if (bsearch(&ys.a[i], xs.a, (size_t)xs.n, sizeof(int64_t), cmp64))
                fail("ws_views_may_alias says no, but the views share an element");
        free(ys.a);
    }
    free(xs.a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    reader r = {data + 1, data + size};
    switch (data[0]) {
    case 'P': fuzz_parse(data + 1, size - 1); break;
    case 'V': fuzz_view(&r); break;
    case 'W': fuzz_window(&r); break;
    case 'A': fuzz_alias(&r); break;
    default: fuzz_parse(data, size); break;
    }
    return 0;
}
