/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_conv.c - convolutions on OpenCL against the reference backend: a grid
 * over 1-D/2-D/3-D, strides 1-3, dilations 1-2, symmetric / asymmetric /
 * "same" padding, groups 1, 2 and depthwise, NCHW and NHWC, kernels 1..7,
 * batch 1 and 3, float32, float64 and float16, for forward (with bias), backward-data,
 * backward-weight and backward-bias; the adjoint identities; a finite
 * difference check; device memory accounting; and bad descriptors.
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tensor {
    int rank;
    int64_t shape[5];
    winsum_dtype dt;
    double *h; /* values as doubles */
    size_t n;
} tensor;

static winsum_context *CL, *REF;
static uint64_t RNG;

static tensor make(int rank, const int64_t *shape, winsum_dtype dt, int fill)
{
    tensor t;
    memset(&t, 0, sizeof t);
    t.rank = rank;
    t.dt = dt;
    t.n = 1;
    for (int i = 0; i < rank; i++) {
        t.shape[i] = shape[i];
        t.n *= (size_t)shape[i];
    }
    t.h = calloc(t.n + 1, sizeof(double));
    for (size_t i = 0; i < t.n && fill; i++) t.h[i] = tu_uniform(&RNG);
    return t;
}

/* a buffer of ctx's kind with t's values in t's dtype, plus a view */
typedef struct dev {
    winsum_buffer b;
    winsum_view v;
} dev;

static void upload(winsum_context *ctx, const tensor *t, dev *d)
{
    size_t es = winsum_dtype_size(t->dt), bytes = t->n * es;
    void *tmp = malloc(bytes + 8);
    for (size_t i = 0; i < t->n; i++) {
        if (t->dt == WINSUM_F32) ((float *)tmp)[i] = (float)t->h[i];
        else if (t->dt == WINSUM_F16) ((uint16_t *)tmp)[i] = winsum_f16_from_double(t->h[i]);
        else ((double *)tmp)[i] = t->h[i];
    }
    winsum_buffer_alloc(ctx, bytes, &d->b);
    winsum_buffer_write(ctx, &d->b, 0, tmp, bytes);
    d->v = winsum_view_contiguous(&d->b, t->dt, t->rank, t->shape);
    free(tmp);
}

static void download(winsum_context *ctx, dev *d, tensor *t)
{
    size_t es = winsum_dtype_size(t->dt), bytes = t->n * es;
    void *tmp = malloc(bytes + 8);
    winsum_buffer_read(ctx, &d->b, 0, tmp, bytes);
    for (size_t i = 0; i < t->n; i++)
        t->h[i] = t->dt == WINSUM_F32   ? ((float *)tmp)[i]
                  : t->dt == WINSUM_F16 ? winsum_f16_to_double(((uint16_t *)tmp)[i])
                                        : ((double *)tmp)[i];
    free(tmp);
}

enum { FWD, BWD_DATA, BWD_WEIGHT, BWD_BIAS };
static const char *opname[] = {"forward", "backward-data", "backward-weight", "backward-bias"};

/* runs op on ctx; a, b are the two inputs (x/gy/w as the op needs), out
 * receives the result (its initial values count with beta) */
static winsum_status run(winsum_context *ctx, int op, const winsum_conv_desc *desc, const tensor *a,
                         const tensor *b, const tensor *bias, tensor *out, double alpha,
                         double beta)
{
    dev da, db, dbias, dout;
    upload(ctx, a, &da);
    if (b) upload(ctx, b, &db);
    if (bias) upload(ctx, bias, &dbias);
    upload(ctx, out, &dout);
    winsum_status st;
    switch (op) {
    case FWD:
        st = winsum_conv_forward(ctx, desc, &da.v, &db.v, bias ? &dbias.v : NULL, &dout.v, alpha,
                                 beta);
        break;
    case BWD_DATA:
        st = winsum_conv_backward_data(ctx, desc, &da.v, &db.v, &dout.v, alpha, beta);
        break;
    case BWD_WEIGHT:
        st = winsum_conv_backward_weight(ctx, desc, &da.v, &db.v, &dout.v, alpha, beta);
        break;
    default: st = winsum_conv_backward_bias(ctx, desc, &da.v, &dout.v, alpha, beta); break;
    }
    if (st) fprintf(stderr, "  %s: %s\n", winsum_status_string(st), winsum_last_error(ctx));
    download(ctx, &dout, out);
    winsum_buffer_free(ctx, &da.b);
    if (b) winsum_buffer_free(ctx, &db.b);
    if (bias) winsum_buffer_free(ctx, &dbias.b);
    winsum_buffer_free(ctx, &dout.b);
    return st;
}

typedef struct cfg {
    int ns, layout, n, c, o, groups, k[3], in[3], s[3], d[3], lo[3], hi[3], same;
    winsum_dtype dt;
} cfg;

static void shapes(const cfg *c, winsum_conv_desc *desc, int64_t *xs, int64_t *ws, int64_t *ys,
                   int *ok)
{
    winsum_conv_desc_init(desc);
    desc->nspatial = c->ns;
    desc->groups = c->groups;
    desc->layout = c->layout ? WINSUM_LAYOUT_NHWC : WINSUM_LAYOUT_NCHW;
    desc->pad_same = c->same;
    int rank = c->ns + 2;
    xs[0] = c->n;
    xs[c->layout ? rank - 1 : 1] = c->c;
    ws[0] = c->o;
    ws[1] = c->c / c->groups;
    for (int i = 0; i < c->ns; i++) {
        desc->stride[i] = c->s[i];
        desc->dilation[i] = c->d[i];
        desc->pad_lo[i] = c->lo[i];
        desc->pad_hi[i] = c->hi[i];
        xs[c->layout ? 1 + i : 2 + i] = c->in[i];
        ws[2 + i] = c->k[i];
    }
    *ok = winsum_conv_output_shape(desc, rank, xs, ws, ys, NULL, 0) == WINSUM_OK;
}

static double dot(const tensor *a, const tensor *b)
{
    double s = 0;
    for (size_t i = 0; i < a->n; i++) s += a->h[i] * b->h[i];
    return s;
}

/* A direct loop nest over output, channel and taps: the textbook forward
 * convolution, independent of views and einsum, with bias. */
static void direct_forward(const cfg *c, const winsum_conv_desc *desc, const tensor *x,
                           const tensor *w, const tensor *bias, tensor *y)
{
    int ns = c->ns, rank = ns + 2, ca = c->layout ? rank - 1 : 1;
    int64_t out[3] = {1, 1, 1}, lo[3] = {0, 0, 0};
    for (int i = 0; i < ns; i++) {
        out[i] = y->shape[c->layout ? 1 + i : 2 + i];
        int64_t span = c->d[i] * (c->k[i] - 1) + 1, in = c->in[i];
        if (desc->pad_same) {
            int64_t o = (in + c->s[i] - 1) / c->s[i], total = (o - 1) * c->s[i] + span - in;
            lo[i] = total > 0 ? total / 2 : 0;
        } else {
            lo[i] = c->lo[i];
        }
    }
    int64_t xst[5], yst[5];
    xst[rank - 1] = yst[rank - 1] = 1;
    for (int i = rank - 2; i >= 0; i--) {
        xst[i] = xst[i + 1] * x->shape[i + 1];
        yst[i] = yst[i + 1] * y->shape[i + 1];
    }
    int cg = c->c / c->groups, og = c->o / c->groups;
    for (int n = 0; n < c->n; n++)
        for (int o = 0; o < c->o; o++)
            for (int64_t p0 = 0; p0 < out[0]; p0++)
                for (int64_t p1 = 0; p1 < out[1]; p1++)
                    for (int64_t p2 = 0; p2 < out[2]; p2++) {
                        int64_t pos[3] = {p0, p1, p2};
                        double sum = bias ? bias->h[o] : 0;
                        int grp = o / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int k0 = 0; k0 < (ns > 0 ? c->k[0] : 1); k0++)
                                for (int k1 = 0; k1 < (ns > 1 ? c->k[1] : 1); k1++)
                                    for (int k2 = 0; k2 < (ns > 2 ? c->k[2] : 1); k2++) {
                                        int kk[3] = {k0, k1, k2};
                                        int64_t xo = n * xst[0] + (grp * cg + ci) * xst[ca];
                                        int64_t wo = ((int64_t)o * cg + ci);
                                        int inside = 1;
                                        for (int i = 0; i < ns; i++) {
                                            int64_t h = pos[i] * c->s[i] - lo[i] + kk[i] * c->d[i];
                                            if (h < 0 || h >= c->in[i]) inside = 0;
                                            xo += h * xst[c->layout ? 1 + i : 2 + i];
                                            wo = wo * c->k[i] + kk[i];
                                        }
                                        if (inside) sum += x->h[xo] * w->h[wo];
                                    }
                        int64_t yo = n * yst[0] + o * yst[ca];
                        for (int i = 0; i < ns; i++) yo += pos[i] * yst[c->layout ? 1 + i : 2 + i];
                        y->h[yo] = sum;
                    }
}

static int grid_case(const cfg *c, int *compared)
{
    winsum_conv_desc desc;
    int64_t xs[5], wsh[5], ys[5];
    int ok, rank = c->ns + 2;
    shapes(c, &desc, xs, wsh, ys, &ok);
    if (!ok) return 0;
    tensor x = make(rank, xs, c->dt, 1), w = make(rank, wsh, c->dt, 1),
           gy = make(rank, ys, c->dt, 1);
    int64_t bs[1] = {c->o};
    tensor bias = make(1, bs, c->dt, 1);
    double kfwd = (double)(c->c / c->groups), kbw = c->n;
    for (int i = 0; i < c->ns; i++) kfwd *= c->k[i];
    for (int i = 0; i < c->ns; i++) kbw *= ys[c->layout ? 1 + i : 2 + i];
    /* float16: inputs are exact halves, sums in float (double on the
     * reference), each output rounded once: a half ulp of the largest
     * output (2^-11 relative) plus float accumulation */
    double eps = c->dt == WINSUM_F32 ? 2e-6 : c->dt == WINSUM_F16 ? 1e-3 : 1e-14;
    for (int op = 0; op < 4; op++) {
        const tensor *a = op == BWD_DATA || op == BWD_BIAS ? &gy : &x;
        const tensor *b = op == FWD ? &w : op == BWD_DATA ? &w : op == BWD_WEIGHT ? &gy : NULL;
        const tensor *shape_src = op == FWD          ? &gy
                                  : op == BWD_DATA   ? &x
                                  : op == BWD_WEIGHT ? &w
                                                     : &bias;
        double beta = (op & 1) ? 0.5 : 0.0, alpha = op == BWD_WEIGHT ? -1.25 : 1.0;
        tensor r = make(shape_src->rank, shape_src->shape, c->dt, 1);
        tensor o = make(shape_src->rank, shape_src->shape, c->dt, 0);
        memcpy(o.h, r.h, r.n * sizeof(double));
        winsum_status s1 = run(REF, op, &desc, a, b, op == FWD ? &bias : NULL, &r, alpha, beta);
        winsum_status s2 = run(CL, op, &desc, a, b, op == FWD ? &bias : NULL, &o, alpha, beta);
        double k = op == FWD          ? kfwd
                   : op == BWD_WEIGHT ? kbw
                   : op == BWD_BIAS   ? kbw
                                      : (double)c->o / c->groups * kfwd / (c->c / c->groups);
        double worst = 0;
        for (size_t i = 0; i < r.n; i++) {
            double d = fabs(r.h[i] - o.h[i]);
            if (!(d <= worst)) worst = d; /* NaN counts */
        }
        double tol = eps * (k + 8) * 4;
        CHECK_MSG(
            s1 == WINSUM_OK && s2 == WINSUM_OK && worst <= tol,
            "%s %dd %s s%d d%d pad %d:%d%s g%d k%d n%d c%d o%d %s: ref %s cl %s err %g tol %g",
            opname[op], c->ns, c->layout ? "nhwc" : "nchw", c->s[0], c->d[0], c->lo[0], c->hi[0],
            c->same ? " same" : "", c->groups, c->k[0], c->n, c->c, c->o,
            c->dt == WINSUM_F32   ? "f32"
            : c->dt == WINSUM_F16 ? "f16"
                                  : "f64",
            winsum_status_string(s1), winsum_status_string(s2), worst, tol);
        (*compared)++;
        free(r.h);
        free(o.h);
    }
    /* the reference backend against the textbook loop nest */
    {
        tensor yr = make(rank, ys, c->dt, 0), yd = make(rank, ys, c->dt, 0);
        run(REF, FWD, &desc, &x, &w, &bias, &yr, 1, 0);
        direct_forward(c, &desc, &x, &w, &bias, &yd);
        double worst = 0;
        for (size_t i = 0; i < yr.n; i++)
            if (!(fabs(yr.h[i] - yd.h[i]) <= worst)) worst = fabs(yr.h[i] - yd.h[i]);
        CHECK_MSG(worst <= eps * (kfwd + 8) * 4,
                  "reference forward vs direct loop %dd s%d d%d g%d %s: %g", c->ns, c->s[0],
                  c->d[0], c->groups, c->layout ? "nhwc" : "nchw", worst);
        free(yr.h);
        free(yd.h);
    }
    /* adjoint identities on the OpenCL backend, in float64 */
    {
        x.dt = w.dt = gy.dt = WINSUM_F64;
        tensor y = make(rank, ys, WINSUM_F64, 0), gx = make(rank, xs, WINSUM_F64, 0),
               gw = make(rank, wsh, WINSUM_F64, 0);
        run(CL, FWD, &desc, &x, &w, NULL, &y, 1, 0);
        run(CL, BWD_DATA, &desc, &gy, &w, NULL, &gx, 1, 0);
        run(CL, BWD_WEIGHT, &desc, &x, &gy, NULL, &gw, 1, 0);
        double a1 = dot(&y, &gy), a2 = dot(&x, &gx), a3 = dot(&w, &gw);
        double scale = 1e-12 * (double)(y.n + x.n + w.n) * (kfwd + 1);
        CHECK_MSG(fabs(a1 - a2) <= scale && fabs(a1 - a3) <= scale,
                  "adjoint %dd s%d d%d g%d: <y,gy>=%.15g <x,gx>=%.15g <w,gw>=%.15g", c->ns, c->s[0],
                  c->d[0], c->groups, a1, a2, a3);
        free(y.h);
        free(gx.h);
        free(gw.h);
    }
    free(x.h);
    free(w.h);
    free(gy.h);
    free(bias.h);
    return 1;
}

static void grid(void)
{
    int compared = 0, cases = 0;
    for (int ns = 1; ns <= 3; ns++)
        for (int s = 1; s <= 3; s++)
            for (int d = 1; d <= 2; d++)
                for (int pm = 0; pm < 3; pm++)
                    for (int gm = 0; gm < 3; gm++)
                        for (int lay = 0; lay < 2; lay++) {
                            /* 3-D: a third of the grid, to keep the run short */
                            if (ns == 3 && (s + d + pm + gm + lay) % 3) continue;
                            cfg c;
                            memset(&c, 0, sizeof c);
                            c.ns = ns;
                            c.layout = lay;
                            c.n = tu_range(&RNG, 0, 1) ? 1 : 3;
                            int g = gm == 0 ? 1 : gm == 1 ? 2 : 4;
                            c.c = 4;
                            c.groups = g;
                            c.o = gm == 2 ? 4 : 6;
                            {
                                int r = (int)tu_range(&RNG, 0, 5);
                                c.dt = r == 0 ? WINSUM_F64 : r == 1 ? WINSUM_F16 : WINSUM_F32;
                            }
                            for (int i = 0; i < ns; i++) {
                                c.k[i] = (int)tu_range(&RNG, 1, ns == 3 ? 3 : ns == 2 ? 5 : 7);
                                c.in[i] = (int)tu_range(&RNG, ns == 3 ? 4 : 7, ns == 3 ? 6 : 11);
                                c.s[i] = s;
                                c.d[i] = d;
                                c.same = pm == 2;
                                c.lo[i] = pm == 0 ? c.k[i] / 2 : (int)tu_range(&RNG, 0, 2);
                                c.hi[i] = pm == 0 ? c.k[i] / 2 : (int)tu_range(&RNG, 0, 3);
                            }
                            cases += grid_case(&c, &compared);
                        }
    printf("grid: %d configurations, %d comparisons\n", cases, compared);
    CHECK(cases > 100);
}

/* dL/dw and dL/dx of L = <conv(x, w) + b, gy> by central differences */
static void finite_difference(void)
{
    cfg c = {.ns = 2,
             .n = 2,
             .c = 2,
             .o = 3,
             .groups = 1,
             .k = {3, 2},
             .in = {5, 6},
             .s = {2, 1},
             .d = {1, 2},
             .lo = {1, 0},
             .hi = {1, 1},
             .dt = WINSUM_F64};
    winsum_conv_desc desc;
    int64_t xs[5], wsh[5], ys[5];
    int ok;
    shapes(&c, &desc, xs, wsh, ys, &ok);
    CHECK(ok);
    tensor x = make(4, xs, c.dt, 1), w = make(4, wsh, c.dt, 1), gy = make(4, ys, c.dt, 1);
    int64_t bs[1] = {c.o};
    tensor b = make(1, bs, c.dt, 1), y = make(4, ys, c.dt, 0), gw = make(4, wsh, c.dt, 0),
           gx = make(4, xs, c.dt, 0), gb = make(1, bs, c.dt, 0);
    run(CL, BWD_WEIGHT, &desc, &x, &gy, NULL, &gw, 1, 0);
    run(CL, BWD_DATA, &desc, &gy, &w, NULL, &gx, 1, 0);
    run(CL, BWD_BIAS, &desc, &gy, NULL, NULL, &gb, 1, 0);
    double h = 1e-3;
    size_t wi = 7, xi = 29;
    double *targets[3] = {&w.h[wi], &x.h[xi], &b.h[1]};
    double grads[3] = {gw.h[wi], gx.h[xi], gb.h[1]};
    for (int t = 0; t < 3; t++) {
        double save = *targets[t], lp, lm;
        *targets[t] = save + h;
        run(CL, FWD, &desc, &x, &w, &b, &y, 1, 0);
        lp = dot(&y, &gy);
        *targets[t] = save - h;
        run(CL, FWD, &desc, &x, &w, &b, &y, 1, 0);
        lm = dot(&y, &gy);
        *targets[t] = save;
        double fd = (lp - lm) / (2 * h);
        CHECK_MSG(fabs(fd - grads[t]) <= 1e-8 * (1 + fabs(fd)),
                  "finite difference %d: %.12g vs %.12g", t, fd, grads[t]);
    }
    free(x.h), free(w.h), free(gy.h), free(b.h), free(y.h), free(gw.h), free(gx.h), free(gb.h);
}

/* Backward-weight of a 7x7 stride-2 layer with few output channels: a long
 * K (batch x image) and a small output make too few work-groups for the
 * cores, and the planner splits K along the batch (an intermediate per
 * image, summed by a unary step; see split_label in host/einsum/steps.c). The
 * grid's sizes are too small for that, so here is one, with alpha and
 * beta, against the reference. */
static void split_k(void)
{
    cfg c = {.ns = 2,
             .n = 8,
             .c = 3,
             .o = 16,
             .groups = 1,
             .k = {7, 7},
             .in = {128, 128},
             .s = {2, 2},
             .d = {1, 1},
             .lo = {3, 3},
             .hi = {3, 3},
             .dt = WINSUM_F32};
    winsum_conv_desc desc;
    int64_t xs[5], wsh[5], ys[5];
    int ok;
    shapes(&c, &desc, xs, wsh, ys, &ok);
    CHECK(ok);
    tensor x = make(4, xs, c.dt, 1), gy = make(4, ys, c.dt, 1), r = make(4, wsh, c.dt, 1),
           o = make(4, wsh, c.dt, 0);
    memcpy(o.h, r.h, r.n * sizeof(double));
    winsum_status s1 = run(REF, BWD_WEIGHT, &desc, &x, &gy, NULL, &r, -1.25, 0.5);
    winsum_status s2 = run(CL, BWD_WEIGHT, &desc, &x, &gy, NULL, &o, -1.25, 0.5);
    double worst = 0, k = (double)c.n * (double)ys[2] * (double)ys[3];
    for (size_t i = 0; i < r.n; i++)
        if (!(fabs(r.h[i] - o.h[i]) <= worst)) worst = fabs(r.h[i] - o.h[i]);
    printf("split K: backward-weight 7x7 s2 3->16 @128, K = %.0f: max error %g\n", k, worst);
    CHECK_MSG(s1 == WINSUM_OK && s2 == WINSUM_OK && worst <= 2e-6 * (k + 8) * 4,
              "split K: %s / %s, error %g", winsum_status_string(s1), winsum_status_string(s2),
              worst);
    free(x.h), free(gy.h), free(r.h), free(o.h);
}

/* The device memory a convolution allocates is tables, not im2col. */
static void accounting(void)
{
    cfg c = {.ns = 2,
             .n = 8,
             .c = 64,
             .o = 64,
             .groups = 1,
             .k = {3, 3},
             .in = {56, 56},
             .s = {1, 1},
             .d = {1, 1},
             .lo = {1, 1},
             .hi = {1, 1},
             .dt = WINSUM_F32};
    winsum_conv_desc desc;
    int64_t xs[5], wsh[5], ys[5];
    int ok;
    shapes(&c, &desc, xs, wsh, ys, &ok);
    tensor x = make(4, xs, c.dt, 1), w = make(4, wsh, c.dt, 1), gy = make(4, ys, c.dt, 1);
    double im2col = 8.0 * 64 * 9 * 56 * 56 * 4;
    const char *names[3] = {"forward", "backward-data", "backward-weight"};
    for (int op = 0; op < 3; op++) {
        /* a context of its own: scratch a context keeps between calls (the
         * direct implementation's weights) counts in the call that made it */
        winsum_context *ctx = NULL;
        CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
        if (!ctx) break;
        dev dx, dw, dgy;
        upload(ctx, &x, &dx);
        upload(ctx, &w, &dw);
        upload(ctx, &gy, &dgy);
        size_t before = 0, peak = 0;
        winsum_memory_usage(ctx, &before, NULL);
        winsum_memory_reset_peak(ctx);
        winsum_status st =
            op == 0   ? winsum_conv_forward(ctx, &desc, &dx.v, &dw.v, NULL, &dgy.v, 1, 0)
            : op == 1 ? winsum_conv_backward_data(ctx, &desc, &dgy.v, &dw.v, &dx.v, 1, 0)
                      : winsum_conv_backward_weight(ctx, &desc, &dx.v, &dgy.v, &dw.v, 1, 0);
        winsum_finish(ctx);
        winsum_memory_usage(ctx, NULL, &peak);
        double extra = (double)(peak - before);
        printf("%s (%s): %.0f bytes of device memory allocated (im2col would be %.0f)\n", names[op],
               winsum_conv_last_impl(ctx), extra, im2col);
        CHECK_MSG(st == WINSUM_OK && extra > 0 && extra < im2col / 50, "%s allocated %.0f bytes",
                  names[op], extra);
        winsum_buffer_free(ctx, &dx.b);
        winsum_buffer_free(ctx, &dw.b);
        winsum_buffer_free(ctx, &dgy.b);
        winsum_context_destroy(ctx);
    }
    free(x.h), free(w.h), free(gy.h);
}

/* bad descriptors and shapes: an error naming the numbers, output untouched */
static void bad_input(void)
{
    cfg c = {.ns = 2,
             .n = 1,
             .c = 4,
             .o = 6,
             .groups = 1,
             .k = {3, 3},
             .in = {6, 6},
             .s = {1, 1},
             .d = {1, 1},
             .lo = {0, 0},
             .hi = {0, 0},
             .dt = WINSUM_F32};
    winsum_conv_desc desc;
    int64_t xs[5], wsh[5], ys[5];
    int ok;
    shapes(&c, &desc, xs, wsh, ys, &ok);
    tensor x = make(4, xs, c.dt, 1), w = make(4, wsh, c.dt, 1), y = make(4, ys, c.dt, 0);
    for (size_t i = 0; i < y.n; i++) y.h[i] = 777;
    struct {
        const char *what;
        int field;
    } cases[] = {{"groups 3 do not divide 4 channels", 0},
                 {"stride 0", 1},
                 {"dilation -1", 2},
                 {"kernel larger than padded input", 3},
                 {"wrong output shape", 4},
                 {"weight channels mismatch", 5},
                 {"rank 2 input", 6}};
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        winsum_conv_desc dd = desc;
        tensor xx = x, ww = w, yy = y;
        int64_t s2[5];
        if (cases[k].field == 0) dd.groups = 3;
        if (cases[k].field == 1) dd.stride[0] = 0;
        if (cases[k].field == 2) dd.dilation[1] = -1;
        if (cases[k].field == 3) dd.dilation[0] = 4;
        if (cases[k].field == 4) {
            memcpy(s2, ys, sizeof s2);
            s2[3] += 1;
            yy = make(4, s2, c.dt, 0);
            for (size_t i = 0; i < yy.n; i++) yy.h[i] = 777;
        }
        if (cases[k].field == 5) {
            memcpy(s2, wsh, sizeof s2);
            s2[1] = 3;
            ww = make(4, s2, c.dt, 1);
        }
        if (cases[k].field == 6) {
            xx.rank = 2;
        }
        winsum_status st = run(CL, FWD, &dd, &xx, &ww, NULL, &yy, 1, 0);
        int untouched = 1;
        for (size_t i = 0; i < yy.n; i++) untouched &= yy.h[i] == 777;
        CHECK_MSG(st == WINSUM_ERR_CONV && untouched, "%s: got %s, output %s", cases[k].what,
                  winsum_status_string(st), untouched ? "untouched" : "WRITTEN");
        printf("  refused (%s): %s\n", cases[k].what, winsum_last_error(CL));
        if (cases[k].field == 4) free(yy.h);
        if (cases[k].field == 5) free(ww.h);
    }
    free(x.h), free(w.h), free(y.h);
}

/* The transposed convolution, textbook form (NCHW, any groups): every
 * input element x[n, o, t...] spreads over y[n, c, t*s - lo + i*d ...]
 * through w[o, c', i...]. Independent of views, einsum and backward-data. */
static void direct_transpose(int ns, const winsum_conv_desc *desc, const tensor *x, const tensor *w,
                             tensor *y)
{
    int64_t G = desc->groups, O = x->shape[1], cg = w->shape[1], og = O / G;
    int64_t X[3] = {1, 1, 1}, Y[3] = {1, 1, 1}, K[3] = {1, 1, 1};
    for (int i = 0; i < ns; i++) {
        X[i] = x->shape[2 + i];
        Y[i] = y->shape[2 + i];
        K[i] = w->shape[2 + i];
    }
    memset(y->h, 0, y->n * sizeof(double));
    for (int64_t n = 0; n < x->shape[0]; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t c = 0; c < cg; c++)
                for (int64_t t0 = 0; t0 < X[0]; t0++)
                    for (int64_t t1 = 0; t1 < X[1]; t1++)
                        for (int64_t t2 = 0; t2 < X[2]; t2++)
                            for (int64_t k0 = 0; k0 < K[0]; k0++)
                                for (int64_t k1 = 0; k1 < K[1]; k1++)
                                    for (int64_t k2 = 0; k2 < K[2]; k2++) {
                                        int64_t t[3] = {t0, t1, t2}, k[3] = {k0, k1, k2};
                                        int64_t yo = n * (G * cg) + (o / og) * cg + c;
                                        int64_t xo = n * O + o, wo = o * cg + c;
                                        int inside = 1;
                                        for (int i = 0; i < ns; i++) {
                                            /* t*s: t is 0 whenever s is huge */
                                            int64_t p = t[i] * desc->stride[i] - desc->pad_lo[i] +
                                                        k[i] * desc->dilation[i];
                                            if (p < 0 || p >= Y[i]) inside = 0;
                                            yo = yo * Y[i] + p;
                                            xo = xo * X[i] + t[i];
                                            wo = wo * K[i] + k[i];
                                        }
                                        if (inside) y->h[yo] += x->h[xo] * w->h[wo];
                                    }
}

/* y = conv_transpose(x, w) on both backends against the textbook loop. */
static void transpose_case(int ns, const winsum_conv_desc *desc, const int64_t *xs,
                           const int64_t *wsh, const char *what)
{
    int rank = ns + 2;
    int64_t ys[5];
    char msg[512] = "";
    winsum_status st = winsum_conv_transpose_output_shape(desc, rank, xs, wsh, ys, msg, sizeof msg);
    /* torch's rule: (x - 1) * s - lo - hi + d * (k - 1) + output_padding + 1 */
    int shape_ok = st == WINSUM_OK && ys[0] == xs[0] && ys[1] == wsh[1] * desc->groups;
    for (int i = 0; i < ns && shape_ok; i++)
        shape_ok = ys[2 + i] == (xs[2 + i] - 1) * desc->stride[i] - desc->pad_lo[i] -
                                    desc->pad_hi[i] + desc->dilation[i] * (wsh[2 + i] - 1) +
                                    desc->output_padding[i] + 1;
    CHECK_MSG(shape_ok, "%s: transpose shape: %s %s", what, winsum_status_string(st), msg);
    if (!shape_ok) return;
    tensor x = make(rank, xs, WINSUM_F64, 1), w = make(rank, wsh, WINSUM_F64, 1),
           want = make(rank, ys, WINSUM_F64, 0);
    direct_transpose(ns, desc, &x, &w, &want);
    winsum_context *ctxs[2] = {REF, CL};
    for (int b = 0; b < 2; b++) {
        tensor y = make(rank, ys, WINSUM_F64, 0);
        for (size_t i = 0; i < y.n; i++) y.h[i] = 777;
        dev dx, dw, dy;
        upload(ctxs[b], &x, &dx);
        upload(ctxs[b], &w, &dw);
        upload(ctxs[b], &y, &dy);
        st = winsum_conv_transpose(ctxs[b], desc, &dx.v, &dw.v, &dy.v, 1, 0);
        download(ctxs[b], &dy, &y);
        double worst = 0;
        for (size_t i = 0; i < y.n; i++)
            if (!(fabs(y.h[i] - want.h[i]) <= worst)) worst = fabs(y.h[i] - want.h[i]);
        CHECK_MSG(st == WINSUM_OK && worst <= 1e-12, "%s on %s: %s (%s), error %g", what,
                  b ? "opencl" : "ref", winsum_status_string(st),
                  st ? winsum_last_error(ctxs[b]) : "", worst);
        winsum_buffer_free(ctxs[b], &dx.b);
        winsum_buffer_free(ctxs[b], &dw.b);
        winsum_buffer_free(ctxs[b], &dy.b);
        free(y.h);
    }
    free(x.h), free(w.h), free(want.h);
}

/* Transposed convolutions: output padding under the stride or under the
 * dilation (torch accepts either: stride 1, dilation 2, output padding 1 is
 * length 7 for x of 4 and k of 2), random geometries, and strides of 2^32
 * and around it (one input position: every phase but the few the output
 * reaches is empty). */
static void transpose(void)
{
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    d.dilation[0] = 2;
    d.output_padding[0] = 1;
    transpose_case(1, &d, (const int64_t[]){1, 1, 4}, (const int64_t[]){1, 1, 2},
                   "s1 d2 op1 (torch: 7)");
    int64_t ys[3];
    CHECK(winsum_conv_transpose_output_shape(&d, 3, (const int64_t[]){1, 1, 4},
                                             (const int64_t[]){1, 1, 2}, ys, NULL,
                                             0) == WINSUM_OK &&
          ys[2] == 7);
    int cases = 0;
    for (int k = 0; k < 60; k++) {
        int ns = (int)tu_range(&RNG, 1, 2);
        winsum_conv_desc_init(&d);
        d.groups = tu_range(&RNG, 1, 2);
        int64_t xs[4] = {tu_range(&RNG, 1, 2), d.groups * tu_range(&RNG, 1, 2)}, wsh[4];
        wsh[0] = xs[1];
        wsh[1] = tu_range(&RNG, 1, 2);
        for (int i = 0; i < ns; i++) {
            d.stride[i] = tu_range(&RNG, 1, 3);
            d.dilation[i] = tu_range(&RNG, 1, 3);
            int64_t m = d.stride[i] > d.dilation[i] ? d.stride[i] : d.dilation[i];
            d.output_padding[i] = tu_range(&RNG, 0, m - 1);
            d.pad_lo[i] = tu_range(&RNG, 0, 2);
            d.pad_hi[i] = tu_range(&RNG, 0, 2);
            xs[2 + i] = tu_range(&RNG, 1, 6);
            wsh[2 + i] = tu_range(&RNG, 1, 4);
        }
        int64_t yy[4];
        if (winsum_conv_transpose_output_shape(&d, ns + 2, xs, wsh, yy, NULL, 0)) continue;
        char what[160];
        snprintf(what, sizeof what, "random %d: %dd g%lld s%lld d%lld op%lld pad %lld:%lld", k, ns,
                 (long long)d.groups, (long long)d.stride[0], (long long)d.dilation[0],
                 (long long)d.output_padding[0], (long long)d.pad_lo[0], (long long)d.pad_hi[0]);
        transpose_case(ns, &d, xs, wsh, what);
        cases++;
    }
    CHECK(cases >= 40);
    const int64_t huge[3][2] = {{(int64_t)1 << 32, (int64_t)1 << 32},
                                {((int64_t)1 << 32) + 1, ((int64_t)1 << 32) + 1},
                                {((int64_t)1 << 32) - 1, ((int64_t)1 << 32) + 1}};
    for (int h = 0; h < 3; h++) {
        winsum_conv_desc_init(&d);
        d.stride[0] = huge[h][0];
        d.stride[1] = huge[h][1];
        d.dilation[1] = 2;
        d.pad_lo[0] = 1;
        char what[96];
        snprintf(what, sizeof what, "strides %lld x %lld", (long long)huge[h][0],
                 (long long)huge[h][1]);
        transpose_case(2, &d, (const int64_t[]){2, 2, 1, 1}, (const int64_t[]){2, 3, 3, 3}, what);
    }
    /* (x - 1) * s overflows: refused, not computed (UBSan watched it) */
    winsum_conv_desc_init(&d);
    d.stride[0] = (int64_t)1 << 62;
    char msg[256] = "";
    winsum_status st = winsum_conv_transpose_output_shape(
        &d, 3, (const int64_t[]){1, 1, 3}, (const int64_t[]){1, 1, 1}, ys, msg, sizeof msg);
    CHECK_MSG(st == WINSUM_ERR_OVERFLOW, "(x-1)*s overflow: %s %s", winsum_status_string(st), msg);
    /* errors in the terms of the call: no "gradient" for a transpose */
    winsum_conv_desc_init(&d);
    tensor x = make(3, (const int64_t[]){1, 1, 4}, WINSUM_F32, 1),
           w = make(3, (const int64_t[]){1, 1, 2}, WINSUM_F32, 1),
           y = make(3, (const int64_t[]){1, 1, 6}, WINSUM_F32, 0); /* should be 5 */
    dev dx, dw, dy;
    upload(CL, &x, &dx);
    upload(CL, &w, &dw);
    upload(CL, &y, &dy);
    st = winsum_conv_transpose(CL, &d, &dx.v, &dw.v, &dy.v, 1, 0);
    CHECK_MSG(st == WINSUM_ERR_CONV && strstr(winsum_last_error(CL), "the output") &&
                  !strstr(winsum_last_error(CL), "gradient"),
              "transpose, wrong y: %s: %s", winsum_status_string(st), winsum_last_error(CL));
    dy.v.shape[2] = 5;
    dx.v.offset = 1; /* x reaches past its buffer */
    st = winsum_conv_transpose(CL, &d, &dx.v, &dw.v, &dy.v, 1, 0);
    CHECK_MSG(st == WINSUM_ERR_BOUNDS && strstr(winsum_last_error(CL), "the input") &&
                  !strstr(winsum_last_error(CL), "gradient"),
              "transpose, x out of bounds: %s: %s", winsum_status_string(st),
              winsum_last_error(CL));
    winsum_buffer_free(CL, &dx.b);
    winsum_buffer_free(CL, &dw.b);
    winsum_buffer_free(CL, &dy.b);
    free(x.h), free(w.h), free(y.h);
    printf("transpose: %d random geometries against the textbook loop\n", cases);
}

int main(void)
{
    RNG = tu_seed(4242);
    CHECK_STATUS(winsum_context_create(&REF, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    winsum_status st = winsum_context_create(&CL, WINSUM_BACKEND_OPENCL, NULL);
    if (st) {
        printf("no OpenCL device: %s\n", winsum_status_string(st));
        CHECK(0);
        return tu_finish("test_conv");
    }
    tu_print_tiles(CL);
    split_k();
    bad_input();
    transpose();
    finite_difference();
    accounting();
    grid();
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv");
}
