/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_einsum.c - the OpenCL engine against the reference path: seeded
 * random einsums (1-4 operands, up to 6 letters, diagonals, ellipsis,
 * size-0 and size-1 labels) over random layouts (permuted, negative,
 * zero and overlapping strides, offsets, padded window views), with random
 * alpha/beta in float32 and float64. Every output buffer has sentinels
 * around and between the view's elements, which must stay untouched.
 * WINSUM_TEST_SEED replays a run; WINSUM_TEST_CASES sets the count.
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 1234.5

typedef struct gen_op {
    int ndim;
    int64_t shape[WINSUM_MAX_DIMS], strides[WINSUM_MAX_DIMS];
    int64_t offset, cap;
    winsum_view view; /* host view, buffer filled later */
    double *data;     /* cap elements, as doubles */
} gen_op;

static void set_value(void *base, winsum_dtype dt, int64_t i, double v)
{
    if (dt == WINSUM_F32) ((float *)base)[i] = (float)v;
    else if (dt == WINSUM_F16) ((uint16_t *)base)[i] = winsum_f16_from_double(v);
    else ((double *)base)[i] = v;
}

static double get_value(const void *base, winsum_dtype dt, int64_t i)
{
    if (dt == WINSUM_F16) return winsum_f16_to_double(((const uint16_t *)base)[i]);
    return dt == WINSUM_F32 ? ((const float *)base)[i] : ((const double *)base)[i];
}

/* Random strided layout for shape: permuted contiguous with gaps, some
 * axes negative; for inputs also zero or overlapping strides. */
static void random_layout(uint64_t *rng, gen_op *g, int is_output)
{
    int perm[WINSUM_MAX_DIMS];
    for (int i = 0; i < g->ndim; i++) perm[i] = i;
    for (int i = g->ndim - 1; i > 0; i--) {
        int j = (int)tu_range(rng, 0, i), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    int64_t s = tu_range(rng, 1, 2);
    for (int k = g->ndim - 1; k >= 0; k--) {
        int a = perm[k];
        g->strides[a] = s;
        s *= (g->shape[a] > 0 ? g->shape[a] : 1) + (tu_range(rng, 0, 3) == 0);
    }
    if (!is_output) {
        int mode = (int)tu_range(rng, 0, 5);
        if (mode == 0 && g->ndim > 0) g->strides[tu_range(rng, 0, g->ndim - 1)] = 0;
        if (mode == 1 && g->ndim > 1) /* overlapping windows */
            for (int a = 0; a < g->ndim; a++) g->strides[a] = tu_range(rng, 1, 3);
    }
    for (int a = 0; a < g->ndim; a++)
        if (tu_range(rng, 0, 3) == 0) g->strides[a] = -g->strides[a];
    /* offset so that the lowest element is at a small positive index */
    int64_t lo = 0, hi = 0;
    for (int a = 0; a < g->ndim; a++) {
        if (g->shape[a] <= 1) continue;
        int64_t span = g->strides[a] * (g->shape[a] - 1);
        if (span < 0) lo += span;
        else hi += span;
    }
    int64_t pad = tu_range(rng, 0, 4);
    g->offset = pad - lo;
    g->cap = g->offset + hi + 1 + tu_range(rng, 0, 4);
}

typedef struct testcase {
    char subs[256];
    int nops;
    gen_op ops[4];
} testcase;

static const char letters[] = "abcdeXY";

/* Builds subscripts and operand shapes. */
static void random_case(uint64_t *rng, testcase *tc, int big)
{
    /* big: fewer, larger labels, so that whole micro-tiles and K blocks occur */
    int nl = big ? (int)tu_range(rng, 2, 4) : (int)tu_range(rng, 0, 6);
    int64_t size[8];
    for (int l = 0; l < nl; l++) {
        int r = (int)tu_range(rng, 0, 19);
        size[l] = big      ? tu_range(rng, 9, 70)
                  : r == 0 ? 0
                  : r < 4  ? 1
                           : tu_range(rng, 2, r < 16 ? 7 : 40);
    }
    int use_ell = tu_range(rng, 0, 4) == 0;
    int nell = use_ell ? (int)tu_range(rng, 0, 2) : 0;
    int64_t esize[2] = {tu_range(rng, 1, 4), tu_range(rng, 2, 3)};
    tc->nops = (int)tu_range(rng, 1, 4);
    int used[8] = {0};
    char *p = tc->subs;
    for (int o = 0; o < tc->nops; o++) {
        gen_op *g = &tc->ops[o];
        memset(g, 0, sizeof *g);
        if (o) *p++ = ',';
        int n = nl ? (int)tu_range(rng, 0, nl < 4 ? nl : 4) : 0;
        int ell_here = use_ell && tu_range(rng, 0, 2) > 0;
        int ell_pos = ell_here ? (int)tu_range(rng, 0, n) : -1;
        for (int k = 0; k <= n; k++) {
            if (k == ell_pos) {
                memcpy(p, "...", 3);
                p += 3;
                int take = (int)tu_range(rng, 0, nell);
                for (int e = nell - take; e < nell; e++)
                    g->shape[g->ndim++] = tu_range(rng, 0, 3) == 0 ? 1 : esize[e];
            }
            if (k == n) break;
            int l = (int)tu_range(rng, 0, nl - 1);
            used[l] = 1;
            *p++ = letters[l];
            g->shape[g->ndim++] = (size[l] > 1 && tu_range(rng, 0, 9) == 0) ? 1 : size[l];
        }
    }
    if (tu_range(rng, 0, 9) < 7) {
        /* explicit output: a random subset of the used labels */
        memcpy(p, "->", 2);
        p += 2;
        if (use_ell && tu_range(rng, 0, 1)) {
            memcpy(p, "...", 3);
            p += 3;
        }
        for (int l = 0; l < nl; l++)
            if (used[l] && tu_range(rng, 0, 1)) *p++ = letters[l];
        if (use_ell && p[-1] != '.' && strstr(tc->subs, "->...") == NULL) {
            memcpy(p, "...", 3);
            p += 3;
        }
    }
    *p = 0;
}

/* float16: each output (and intermediate) is rounded to half once, 2^-11
 * relative, and rounding errors of intermediates are summed again */
static double tol_for(winsum_dtype dt, double k)
{
    return (dt == WINSUM_F32 ? 3e-6 : dt == WINSUM_F16 ? 1e-3 : 1e-13) * (k + 8);
}

/* Window views (guards) through every kernel: unary (sums, copies,
 * diagonals), gett and dot, f32 and f64, against the reference. */
static void window_cases(winsum_context *cl, winsum_context *ref, uint64_t *rng)
{
    static const char *exprs[] = {"xyij->xy",    "xyij->ij",      "xyij->xyij",  "xyij->",
                                  "xyii->xy",    "xyij,ij->xy",   "xyij,xy->ij", "xyij,xyij->",
                                  "xyij,j->xyi", "xyij,ijk->kxy", "xxij,ij->x"};
    int n = 0;
    for (int c = 0; c < 120; c++) {
        const char *e = exprs[c % (int)(sizeof exprs / sizeof exprs[0])];
        winsum_dtype dt = c % 3 ? WINSUM_F32 : WINSUM_F64;
        size_t es = winsum_dtype_size(dt);
        int64_t k[2], st[2], dl[2], lo[2], hi[2], in[2];
        for (int d = 0; d < 2; d++) {
            k[d] = tu_range(rng, 1, 4);
            st[d] = tu_range(rng, 1, 3);
            dl[d] = tu_range(rng, 1, 2);
            lo[d] = tu_range(rng, 0, 3);
            hi[d] = tu_range(rng, 0, 3);
            in[d] = tu_range(rng, 1, 12);
        }
        if (strstr(e, "ii") || strstr(e, "xx")) { /* diagonals need equal sizes */
            k[1] = k[0], st[1] = st[0], dl[1] = dl[0], lo[1] = lo[0], hi[1] = hi[0], in[1] = in[0];
        }
        int64_t cap = in[0] * in[1] + 2, bst[2] = {in[1], 1};
        double *img = malloc((size_t)cap * 8);
        void *hx = malloc((size_t)cap * es);
        for (int64_t i = 0; i < cap; i++) set_value(hx, dt, i, tu_uniform(rng));
        winsum_buffer hb = winsum_buffer_host(hx, (size_t)cap * es), db;
        winsum_view base = winsum_view_strided(&hb, dt, 1, 2, in, bst), win;
        int axes[2] = {0, 1};
        if (winsum_view_window(&base, 2, axes, k, st, dl, lo, hi, &win, NULL, 0) != WINSUM_OK) {
            free(img);
            free(hx);
            continue;
        }
        /* the second operand, if any: labels after the comma */
        const char *comma = strchr(e, ','), *arrow = strstr(e, "->");
        int nops = comma ? 2 : 1;
        int64_t bshape[8] = {0};
        int brank = 0;
        int64_t lsize[128] = {0};
        lsize['x'] = win.shape[0], lsize['y'] = win.shape[1], lsize['i'] = win.shape[2],
        lsize['j'] = win.shape[3], lsize['k'] = 3;
        if (comma)
            for (const char *q = comma + 1; q < arrow; q++) bshape[brank++] = lsize[(int)*q];
        int64_t bn = 1;
        for (int a = 0; a < brank; a++) bn *= bshape[a];
        void *hbv = malloc((size_t)(bn + 1) * es);
        for (int64_t i = 0; i < bn; i++) set_value(hbv, dt, i, tu_uniform(rng));
        winsum_buffer hbb = winsum_buffer_host(hbv, (size_t)bn * es), dbb;
        winsum_view ops[2] = {win, winsum_view_contiguous(&hbb, dt, brank, bshape)};
        int ond = 0;
        int64_t osh[8];
        if (winsum_einsum_output_shape(ref, e, nops, ops, &ond, osh) != WINSUM_OK) {
            CHECK_MSG(0, "%s: output shape", e);
            free(img), free(hx), free(hbv);
            continue;
        }
        int64_t on = 1;
        for (int a = 0; a < ond; a++) on *= osh[a];
        void *o1 = calloc((size_t)on + 1, es), *o2 = calloc((size_t)on + 1, es);
        winsum_buffer ho = winsum_buffer_host(o1, (size_t)on * es), dob;
        winsum_view ov = winsum_view_contiguous(&ho, dt, ond, osh);
        winsum_status s1 = winsum_einsum(ref, e, nops, ops, &ov, 1, 0);
        /* device copies */
        winsum_buffer_alloc(cl, hb.bytes, &db);
        winsum_buffer_write(cl, &db, 0, hx, hb.bytes);
        winsum_buffer_alloc(cl, hbb.bytes + 8, &dbb);
        winsum_buffer_write(cl, &dbb, 0, hbv, hbb.bytes);
        winsum_buffer_alloc(cl, ho.bytes + 8, &dob);
        winsum_view dops[2] = {ops[0], ops[1]}, dov = ov;
        dops[0].buffer = &db;
        dops[1].buffer = &dbb;
        dov.buffer = &dob;
        winsum_status s2 = winsum_einsum(cl, e, nops, dops, &dov, 1, 0);
        winsum_buffer_read(cl, &dob, 0, o2, ho.bytes);
        double worst = 0, scale = 1;
        for (int64_t i = 0; i < on; i++) {
            double a = get_value(o1, dt, i), b = get_value(o2, dt, i);
            if (fabs(a) > scale) scale = fabs(a);
            if (!(fabs(a - b) <= worst)) worst = fabs(a - b);
        }
        CHECK_MSG(s1 == WINSUM_OK && s2 == WINSUM_OK && worst <= tol_for(dt, 200) * scale,
                  "window case %d '%s' k%lldx%lld s%lld d%lld pad %lld:%lld in %lldx%lld: %s/%s "
                  "error %g",
                  c, e, (long long)k[0], (long long)k[1], (long long)st[0], (long long)dl[0],
                  (long long)lo[0], (long long)hi[0], (long long)in[0], (long long)in[1],
                  winsum_status_string(s1), winsum_status_string(s2), worst);
        n++;
        winsum_buffer_free(cl, &db);
        winsum_buffer_free(cl, &dbb);
        winsum_buffer_free(cl, &dob);
        free(img), free(hx), free(hbv), free(o1), free(o2);
    }
    printf("%d window-view cases compared\n", n);
    CHECK(n > 100);
}

int main(void)
{
    uint64_t rng = tu_seed(20261125);
    const char *nc = getenv("WINSUM_TEST_CASES");
    int ncases = nc ? atoi(nc) : 400;
    winsum_context *cl = NULL, *ref = NULL;
    CHECK_STATUS(winsum_context_create(&ref, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    winsum_status st = winsum_context_create(&cl, WINSUM_BACKEND_OPENCL, NULL);
    if (st != WINSUM_OK) {
        printf("no OpenCL device (%s): this test needs one (make test installs PoCL)\n",
               winsum_status_string(st));
        CHECK(0);
        return tu_finish("test_einsum");
    }
    tu_print_tiles(cl);
    int ran = 0, invalid = 0, windows = 0;
    for (int c = 0; c < ncases; c++) {
        testcase tc;
        random_case(&rng, &tc, c % 8 == 7);
        int dr = (int)tu_range(&rng, 0, 5);
        winsum_dtype dt = dr == 0 ? WINSUM_F64 : dr == 1 ? WINSUM_F16 : WINSUM_F32;
        winsum_buffer hb[4], db[4];
        void *host[4];
        for (int o = 0; o < tc.nops; o++) {
            gen_op *g = &tc.ops[o];
            random_layout(&rng, g, 0);
            size_t bytes = (size_t)g->cap * winsum_dtype_size(dt);
            host[o] = malloc(bytes + 8);
            for (int64_t i = 0; i < g->cap; i++) set_value(host[o], dt, i, tu_uniform(&rng));
            hb[o] = winsum_buffer_host(host[o], bytes);
            g->view = winsum_view_strided(&hb[o], dt, g->offset, g->ndim, g->shape, g->strides);
        }
        /* a 4-d operand, one time in three, becomes a padded window view of a 2-d
         * image with the same shape (guards, and with repeated labels, diagonals of
         * guarded views) */
        winsum_view views[4];
        for (int o = 0; o < tc.nops; o++) {
            views[o] = tc.ops[o].view;
            gen_op *g = &tc.ops[o];
            if (g->ndim != 4 || tu_range(&rng, 0, 2)) continue;
            int ok = 1;
            for (int a = 0; a < 4; a++) ok &= g->shape[a] >= 1;
            if (!ok) continue;
            int64_t st2[2], dl[2], lo[2], hi[2], in[2], kern[2] = {g->shape[2], g->shape[3]};
            for (int d = 0; d < 2; d++) {
                st2[d] = tu_range(&rng, 1, 2);
                dl[d] = tu_range(&rng, 1, 2);
                lo[d] = tu_range(&rng, 0, 2);
                hi[d] = tu_range(&rng, 0, 2);
                int64_t span = (g->shape[d] - 1) * st2[d] + dl[d] * (kern[d] - 1) + 1;
                in[d] = span - lo[d] - hi[d];
                if (in[d] < 1) lo[d] = hi[d] = 0, in[d] = span;
            }
            int64_t cap = in[0] * in[1] + 3;
            free(host[o]);
            host[o] = malloc((size_t)cap * winsum_dtype_size(dt) + 8);
            for (int64_t i = 0; i < cap; i++) set_value(host[o], dt, i, tu_uniform(&rng));
            hb[o] = winsum_buffer_host(host[o], (size_t)cap * winsum_dtype_size(dt));
            int64_t bst[2] = {in[1], 1};
            winsum_view base = winsum_view_strided(&hb[o], dt, 2, 2, in, bst);
            int axes[2] = {0, 1};
            winsum_view w;
            if (winsum_view_window(&base, 2, axes, kern, st2, dl, lo, hi, &w, NULL, 0) ==
                    WINSUM_OK &&
                w.shape[0] == g->shape[0] && w.shape[1] == g->shape[1]) {
                views[o] = w;
                windows++;
            }
        }
        int ndim = 0;
        int64_t oshape[WINSUM_MAX_DIMS];
        st = winsum_einsum_output_shape(ref, tc.subs, tc.nops, views, &ndim, oshape);
        if (st != WINSUM_OK) { /* e.g. an implicit output with leftover ellipsis */
            invalid++;
            for (int o = 0; o < tc.nops; o++) free(host[o]);
            continue;
        }
        gen_op out;
        memset(&out, 0, sizeof out);
        out.ndim = ndim;
        memcpy(out.shape, oshape, sizeof(int64_t) * (size_t)ndim);
        random_layout(&rng, &out, 1);
        size_t obytes = (size_t)out.cap * winsum_dtype_size(dt);
        void *oref = malloc(obytes + 8), *ocl = malloc(obytes + 8);
        for (int64_t i = 0; i < out.cap; i++) set_value(oref, dt, i, SENTINEL);
        /* initial values inside the view (beta) */
        int64_t numel = 1;
        for (int a = 0; a < ndim; a++) numel *= oshape[a];
        int64_t idx[WINSUM_MAX_DIMS] = {0}, off = out.offset;
        for (int64_t e = 0; e < numel; e++) {
            set_value(oref, dt, off, tu_uniform(&rng));
            for (int a = ndim - 1; a >= 0; a--) {
                if (++idx[a] < oshape[a]) {
                    off += out.strides[a];
                    break;
                }
                off -= out.strides[a] * (oshape[a] - 1);
                idx[a] = 0;
            }
        }
        memcpy(ocl, oref, obytes);
        winsum_buffer ohb = winsum_buffer_host(oref, obytes), odb;
        winsum_view ov = winsum_view_strided(&ohb, dt, out.offset, ndim, oshape, out.strides);
        double alpha = tu_range(&rng, 0, 3) ? 1.0 : tu_uniform(&rng) * 2;
        int br = (int)tu_range(&rng, 0, 3);
        double beta = br == 0 ? 0.0 : br == 1 ? 1.0 : tu_uniform(&rng);
        winsum_status sr = winsum_einsum(ref, tc.subs, tc.nops, views, &ov, alpha, beta);
        /* the same on the device */
        winsum_view dviews[4];
        for (int o = 0; o < tc.nops; o++) {
            CHECK_STATUS(winsum_buffer_alloc(cl, hb[o].bytes, &db[o]), WINSUM_OK);
            winsum_buffer_write(cl, &db[o], 0, host[o], hb[o].bytes);
            dviews[o] = views[o];
            dviews[o].buffer = &db[o];
        }
        CHECK_STATUS(winsum_buffer_alloc(cl, obytes, &odb), WINSUM_OK);
        winsum_buffer_write(cl, &odb, 0, ocl, obytes);
        winsum_view odv = ov;
        odv.buffer = &odb;
        winsum_status sc = winsum_einsum(cl, tc.subs, tc.nops, dviews, &odv, alpha, beta);
        winsum_buffer_read(cl, &odb, 0, ocl, obytes);
        CHECK_MSG(sr == sc, "case %d '%s': ref %s, opencl %s (%s)", c, tc.subs,
                  winsum_status_string(sr), winsum_status_string(sc), winsum_last_error(cl));
        if (sr == WINSUM_OK && sc == WINSUM_OK) {
            ran++;
            /* reduction length: product of sizes of labels not in the output */
            double k = 1;
            for (int o = 0; o < tc.nops; o++)
                for (int a = 0; a < tc.ops[o].ndim; a++) k *= tc.ops[o].shape[a] > 1 ? 1.5 : 1;
            double worst = 0, scale = 1;
            int64_t badi = -1;
            for (int64_t i = 0; i < out.cap; i++) {
                double r = get_value(oref, dt, i), v = get_value(ocl, dt, i);
                if (fabs(r) > scale) scale = fabs(r);
                double d = fabs(r - v);
                if (isnan(r) != isnan(v)) d = INFINITY;
                if (d > worst) worst = d, badi = i;
            }
            double tol = tol_for(dt, k) * scale * 4;
            CHECK_MSG(worst <= tol, "case %d '%s' %s alpha %g beta %g: max error %g > %g at %lld",
                      c, tc.subs,
                      dt == WINSUM_F32   ? "f32"
                      : dt == WINSUM_F16 ? "f16"
                                         : "f64",
                      alpha, beta, worst, tol, (long long)badi);
        } else if (sr != WINSUM_OK) {
            invalid++;
        }
        for (int o = 0; o < tc.nops; o++) {
            winsum_buffer_free(cl, &db[o]);
            free(host[o]);
        }
        winsum_buffer_free(cl, &odb);
        free(oref);
        free(ocl);
    }
    window_cases(cl, ref, &rng);
    printf("%d cases compared (%d operands were padded window views), %d refused by both "
           "backends alike\n",
           ran, windows, invalid);
    CHECK(ran > ncases / 2);
    CHECK(windows > 10);
    size_t cur = 0;
    winsum_context_destroy(cl);
    winsum_context_destroy(ref);
    (void)cur;
    return tu_finish("test_einsum");
}
