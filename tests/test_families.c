/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_families.c - every kernel family's argument list (host/einsum,
 * ws_families) matches its kernel's signature in kernels/<file>: the same
 * number of parameters, in the same order, with the same types and names
 * as written in the .cl file (whitespace aside). exec_opencl sets the
 * arguments from that list alone, so a parameter added, removed, renamed
 * or moved on one side only fails here rather than computing garbage.
 * Also: each value's size fits its OpenCL type (int 4 bytes, long4 32,
 * a pointer a cl_mem, REAL alpha or beta), and each family says which
 * steps it accepts.
 */
#include "params.h"
#include "layer.h"
#include "testutil.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

/* Blanks out comments (keeping the length). */
static void strip_comments(char *s)
{
    for (char *p = s; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            char *e = strstr(p + 2, "*/");
            char *end = e ? e + 2 : p + strlen(p);
            memset(p, ' ', (size_t)(end - p));
            p = end - 1;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n') *p++ = ' ';
            if (!*p) break;
        }
    }
}

/* Collapses runs of whitespace into one space, trims both ends, in place. */
static char *normalise(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (isspace((unsigned char)*r)) {
            if (w > s && w[-1] != ' ') *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    while (w > s && w[-1] == ' ') w--;
    *w = 0;
    return s;
}

/* The parameter list of `__kernel ... void name(...)` in src (a copy, or
 * NULL when the kernel is not there). */
static char *kernel_params(const char *src, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *k = strstr(src, "__kernel"); k; k = strstr(k + 1, "__kernel")) {
        const char *v = strstr(k, "void");
        if (!v) return NULL;
        const char *p = v + 4;
        while (isspace((unsigned char)*p)) p++;
        if (strncmp(p, name, nlen) != 0) continue;
        p += nlen;
        while (isspace((unsigned char)*p)) p++;
        if (*p != '(') continue;
        const char *open = p + 1;
        int depth = 1;
        for (p = open; *p && depth; p++) depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (depth) return NULL;
        size_t len = (size_t)(p - 1 - open);
        char *out = malloc(len + 1);
        memcpy(out, open, len);
        out[len] = 0;
        return out;
    }
    return NULL;
}

/* The size a host value must have for an OpenCL parameter type (without
 * its qualifiers), 0 when the test does not know the type. */
static size_t cl_size(const char *type)
{
    static const struct {
        const char *name;
        size_t size;
    } sizes[] = {{"int", 4},   {"uint", 4},   {"long", 8},  {"ulong", 8},
                 {"int4", 16}, {"long4", 32}, {"float", 4}, {"double", 8}};
    if (strncmp(type, "const ", 6) == 0) type += 6;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (strcmp(type, sizes[i].name) == 0) return sizes[i].size;
    return 0;
}

/* One kernel of family f (its own, or one it launches first) against the
 * argument list args. */
static void check_kernel(const ws_family *f, const char *kernel, const ws_family_arg *args,
                         int nargs)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/kernels/%s", WINSUM_SOURCE_DIR, f->file);
    char *src = read_text(path);
    CHECK_MSG(src != NULL, "%s: cannot read %s", f->name, path);
    if (!src) return;
    strip_comments(src);
    char *params = kernel_params(src, kernel);
    CHECK_MSG(params != NULL, "%s: no __kernel ... void %s( in %s", f->name, kernel, path);
    free(src);
    if (!params) return;

    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(params, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
        normalise(tok);
        /* the name is the trailing identifier, the type all before it */
        char *e = tok + strlen(tok);
        while (e > tok && (isalnum((unsigned char)e[-1]) || e[-1] == '_')) e--;
        const char *pname = e;
        char type[256];
        snprintf(type, sizeof type, "%.*s", (int)(e - tok), tok);
        normalise(type);
        if (n >= nargs) {
            CHECK_MSG(0, "%s: kernel parameter %d (%s %s) has no entry in the family's list",
                      f->name, n, type, pname);
            continue;
        }
        const ws_family_arg *a = &args[n];
        char want[256];
        snprintf(want, sizeof want, "%s", a->type);
        normalise(want);
        CHECK_MSG(strcmp(want, type) == 0 && strcmp(a->name, pname) == 0,
                  "%s: parameter %d is '%s %s' in %s, '%s %s' in the family's list", f->name, n,
                  type, pname, f->file, want, a->name);
        /* the value handed to clSetKernelArg fits the type */
        if (strchr(type, '*')) {
            CHECK_MSG(a->from <= WS_FROM_C || a->from == WS_FROM_STEP,
                      "%s: pointer parameter %s is not memory", f->name, a->name);
            CHECK_MSG(a->size == sizeof(cl_mem), "%s: %s is not a cl_mem", f->name, a->name);
        } else if (strcmp(type, "const REAL") == 0 || strcmp(type, "REAL") == 0) {
            CHECK_MSG(a->from == WS_FROM_ALPHA || a->from == WS_FROM_BETA,
                      "%s: REAL parameter %s is neither alpha nor beta", f->name, a->name);
        } else {
            size_t sz = cl_size(type);
            CHECK_MSG(sz != 0, "%s: %s has type '%s', unknown to this test", f->name, a->name,
                      type);
            CHECK_MSG(a->from == WS_FROM_STEP && a->size == sz,
                      "%s: %s (%s, %zu bytes) is set from %u bytes of ws_step", f->name, a->name,
                      type, sz, (unsigned)a->size);
        }
        if (a->from == WS_FROM_STEP)
            CHECK_MSG((size_t)a->offset + a->size <= sizeof(ws_step), "%s: %s lies outside ws_step",
                      f->name, a->name);
    }
    CHECK_MSG(n == nargs, "%s: %s(...) in %s has %d parameters, the family's list %d", f->name,
              kernel, f->file, n, nargs);
    printf("%-8s %s %s: %d parameters\n", f->name, f->file, kernel, n);
    free(params);
}

static void check_family(const ws_family *f)
{
    CHECK(f->accepts && f->build && f->describe);
    CHECK_MSG(f->npre >= 0 && f->npre <= WS_MAX_PRE && (f->npre == 0 || f->pre),
              "%s: %d kernels launched first (at most %d)", f->name, f->npre, WS_MAX_PRE);
    check_kernel(f, f->kernel, f->args, f->nargs);
    for (int i = 0; i < f->npre && i < WS_MAX_PRE; i++)
        check_kernel(f, f->pre[i].kernel, f->pre[i].args, f->pre[i].nargs);
}

/* A slot with the labels of `has` (a string of label ids '0'..), contiguous
 * in that order. */
static slot make_slot(const char *has, const int64_t *size)
{
    slot sl;
    memset(&sl, 0, sizeof sl);
    sl.op.dtype = WINSUM_F32;
    int64_t stride = 1;
    for (int i = (int)strlen(has) - 1; i >= 0; i--) {
        const int l = has[i] - '0';
        sl.op.has[l] = 1;
        sl.op.stride[l] = stride;
        stride *= size[l];
    }
    return sl;
}

/* The family the default order builds a two-operand step X, Y -> C with
 * (labels 0, 1, 2 of sizes 4, 5, 3) */
static const ws_family *first_family(const char *x, const char *y, const char *c)
{
    static const int64_t size[3] = {4, 5, 3};
    slot X = make_slot(x, size), Y = make_slot(y, size), C = make_slot(c, size);
    const ws_step_request r = {2, {&X, &Y}, &C, size, 3};
    for (const ws_family *const *f = ws_families; *f; f++)
        if ((*f)->accepts(NULL, &r)) return *f;
    return NULL;
}

/* GETT's rule for packing an operand once per launch (gett_pack_a/b), on a
 * CPU-like device with one work-item a work-group: a GEMM whose operands
 * several work-groups share packs both, into scratch the step owns and the
 * plan frees; WINSUM_GETT_PACK=off packs neither; an operand larger than
 * the small result it serves (a backward-weight's shape) is not packed. */
static const winsum_plan *gemm_plan(winsum_context *ctx, winsum_buffer *buf, const char *subs,
                                    const int64_t *sa, const int64_t *sb, const int64_t *sc,
                                    winsum_plan **plan)
{
    winsum_view ops[2] = {winsum_view_contiguous(&buf[0], WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&buf[1], WINSUM_F32, 2, sb)};
    winsum_view out = winsum_view_contiguous(&buf[2], WINSUM_F32, 2, sc);
    *plan = NULL;
    CHECK_STATUS(winsum_plan_create(ctx, plan, subs, 2, ops, &out), WINSUM_OK);
    return *plan;
}

static void packing_rule(void)
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("packing rule: skipped (no OpenCL device)\n");
        return;
    }
    int wgm = 0, wgn = 0;
    CHECK(ws_tunable_get(ctx, "gett", "wgm", &wgm) == 0 &&
          ws_tunable_get(ctx, "gett", "wgn", &wgn) == 0);
    if (!ctx->cpu_like || wgm * wgn != 1) {
        printf("packing rule: skipped (not a CPU-like device with one work-item a group)\n");
        winsum_context_destroy(ctx);
        return;
    }
    winsum_buffer buf[3] = {{0}};
    const size_t bytes[3] = {20000 * 200 * 4, 20000 * 64 * 4, 300 * 500 * 4};
    for (int i = 0; i < 3; i++)
        CHECK_STATUS(winsum_buffer_alloc(ctx, bytes[i], &buf[i]), WINSUM_OK);
    size_t before = 0, after = 0;
    winsum_memory_usage(ctx, &before, NULL);
    const int64_t a[2] = {300, 200}, b[2] = {200, 500}, c[2] = {300, 500};
    winsum_plan *p = NULL;
    unsetenv("WINSUM_GETT_PACK");
    if (gemm_plan(ctx, buf, "ij,jk->ik", a, b, c, &p)) {
        const ws_step *s = &p->steps[p->nsteps - 1];
        CHECK_MSG(strstr(p->describe, "A and B packed once") != NULL, "%s", p->describe);
        CHECK(s->pre_kernel[0] && s->pre_kernel[1] && s->scratch[0] && s->scratch[1]);
        size_t during = 0;
        winsum_memory_usage(ctx, &during, NULL);
        CHECK(during >= before + s->scratch_bytes[0] + s->scratch_bytes[1]);
        winsum_plan_destroy(p);
    }
    setenv("WINSUM_GETT_PACK", "off", 1);
    if (gemm_plan(ctx, buf, "ij,jk->ik", a, b, c, &p)) {
        const ws_step *s = &p->steps[p->nsteps - 1];
        CHECK_MSG(strstr(p->describe, "packed once") == NULL, "%s", p->describe);
        CHECK(!s->pre_kernel[0] && !s->pre_kernel[1] && !s->scratch[0] && !s->scratch[1]);
        winsum_plan_destroy(p);
    }
    unsetenv("WINSUM_GETT_PACK");
    /* K = 20000 summed into a 200 x 64 result: each operand is 100 times it */
    const int64_t x[2] = {20000, 200}, y[2] = {20000, 64}, w[2] = {200, 64};
    if (gemm_plan(ctx, buf, "ki,kj->ij", x, y, w, &p)) {
        CHECK_MSG(strstr(p->describe, "gett ") && !strstr(p->describe, "packed once"), "%s",
                  p->describe);
        winsum_plan_destroy(p);
    }
    winsum_memory_usage(ctx, &after, NULL);
    CHECK_MSG(after == before, "%zu bytes of device memory before the plans, %zu after", before,
              after);
    for (int i = 0; i < 3; i++) winsum_buffer_free(ctx, &buf[i]);
    winsum_context_destroy(ctx);
    printf("packing rule: checked\n");
}

/* A contraction whose large operand is contiguous along a label other than
 * the output's innermost (TCCG 7, `ecbfa,fd->abcde`: B contiguous along a,
 * C along e, with d between e and c in C), where GETT puts that label
 * second innermost in its N group (family_gett.c, contiguous_second):
 * the result equals a plain host loop, with several tiles along N and a
 * partial last one. */
static void contiguous_second_label(void)
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("contiguous second label: skipped (no OpenCL device)\n");
        return;
    }
    enum { E = 7, C = 5, B = 9, F = 6, A = 11, D = 3 };
    const int64_t sx[5] = {E, C, B, F, A}, sy[2] = {F, D}, sz[5] = {A, B, C, D, E};
    const size_t nx = (size_t)E * C * B * F * A, ny = (size_t)F * D, nz = (size_t)A * B * C * D * E;
    uint64_t rng = 19;
    double *hx = tu_randv(&rng, nx), *hy = tu_randv(&rng, ny), *hz = calloc(nz, sizeof *hz),
           *want = calloc(nz, sizeof *want);
    tu_buf x, y, z;
    tu_put(ctx, hx, nx, WINSUM_F32, 5, sx, NULL, &x);
    tu_put(ctx, hy, ny, WINSUM_F32, 2, sy, NULL, &y);
    tu_put(ctx, hz, nz, WINSUM_F32, 5, sz, NULL, &z);
    const winsum_view ops[2] = {x.v, y.v};
    CHECK_STATUS(winsum_einsum(ctx, "ecbfa,fd->abcde", 2, ops, &z.v, 1, 0), WINSUM_OK);
    tu_get(ctx, &z, hz, nz);
    for (int a = 0; a < A; a++)
        for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++)
                for (int d = 0; d < D; d++)
                    for (int e = 0; e < E; e++) {
                        double v = 0;
                        for (int f = 0; f < F; f++)
                            v += (double)(float)hx[(((e * C + c) * B + b) * F + f) * A + a] *
                                 (double)(float)hy[f * D + d];
                        want[(((a * B + b) * C + c) * D + d) * E + e] = v;
                    }
    double err = tu_max_err(hz, want, (int64_t)nz, 1.0);
    CHECK_MSG(err < 1e-5, "ecbfa,fd->abcde: max error %g", err);
    winsum_buffer_free(ctx, &x.b);
    winsum_buffer_free(ctx, &y.b);
    winsum_buffer_free(ctx, &z.b);
    free(hx);
    free(hy);
    free(hz);
    free(want);
    winsum_context_destroy(ctx);
    printf("contiguous second label: max error %g\n", err);
}

/* C contiguous along N only in short runs (TCCG 31, `dega,gfbc->abcdef`:
 * N is f, b, c and C runs along f alone, F long). Runs of at most 32 with
 * a quarter or less of padding (F = 12, 14, 29 in float32) are padded to
 * whole vectors and stored from registers as pieces (gett.cl CRUN: 8 + 4,
 * 8 + 4 + 2, 16 + 8 + 4 + 1), the plan says so (`padded`: 1 asks it of
 * float32); others (F = 20: 16 + 4) run by run. With alpha and beta, in
 * float32 and float64, M (225) not a multiple of the micro-tile, several
 * tiles along N and a partial last one, operands packed once; the result
 * equals a plain host loop. */
static void short_c_runs(const int F, const int padded)
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("short C runs: skipped (no OpenCL device)\n");
        return;
    }
    enum { A = 5, B = 9, C = 8, D = 9, E = 5, G = 5 };
    const int64_t sx[4] = {D, E, G, A}, sy[4] = {G, F, B, C}, sz[6] = {A, B, C, D, E, F};
    const size_t nx = (size_t)D * E * G * A, ny = (size_t)G * F * B * C,
                 nz = (size_t)A * B * C * D * E * F;
    const double alpha = 0.5, beta = -1.25;
    uint64_t rng = 23;
    double *hx = tu_randv(&rng, nx), *hy = tu_randv(&rng, ny), *hz0 = tu_randv(&rng, nz),
           *hz = calloc(nz, sizeof *hz), *want = calloc(nz, sizeof *want);
    const winsum_dtype dts[2] = {WINSUM_F32, WINSUM_F64};
    for (int t = 0; t < 2; t++) {
        const int f32 = dts[t] == WINSUM_F32;
        tu_buf x, y, z;
        tu_put(ctx, hx, nx, dts[t], 4, sx, NULL, &x);
        tu_put(ctx, hy, ny, dts[t], 4, sy, NULL, &y);
        tu_put(ctx, hz0, nz, dts[t], 6, sz, NULL, &z);
        const winsum_view ops[2] = {x.v, y.v};
        winsum_plan *plan = NULL;
        CHECK_STATUS(winsum_plan_create(ctx, &plan, "dega,gfbc->abcdef", 2, ops, &z.v), WINSUM_OK);
        if (plan) {
            const char *d = winsum_plan_describe(plan);
            CHECK_MSG(!padded || !f32 || strstr(d, "padded"), "F %d: C's runs not padded: %s", F,
                      d);
            CHECK_MSG(padded || !f32 || !strstr(d, "padded"), "F %d: C's runs padded: %s", F, d);
            CHECK_STATUS(winsum_plan_execute(plan, NULL, NULL, alpha, beta, NULL), WINSUM_OK);
            winsum_plan_destroy(plan);
        }
        tu_get(ctx, &z, hz, nz);
        size_t at = 0;
        for (int a = 0; a < A; a++)
            for (int b = 0; b < B; b++)
                for (int c = 0; c < C; c++)
                    for (int d = 0; d < D; d++)
                        for (int e = 0; e < E; e++)
                            for (int f = 0; f < F; f++, at++) {
                                double v = 0;
                                for (int g = 0; g < G; g++) {
                                    double p = hx[((d * E + e) * G + g) * A + a],
                                           q = hy[((g * F + f) * B + b) * C + c];
                                    v += f32 ? (double)(float)p * (double)(float)q : p * q;
                                }
                                const double z0 = f32 ? (double)(float)hz0[at] : hz0[at];
                                want[at] = alpha * v + beta * z0;
                            }
        double err = tu_max_err(hz, want, (int64_t)nz, 1.0);
        CHECK_MSG(err < (f32 ? 1e-5 : 1e-12), "dega,gfbc->abcdef (F %d, %s): max error %g", F,
                  f32 ? "f32" : "f64", err);
        printf("short C runs (F %d, %s): max error %g\n", F, f32 ? "f32" : "f64", err);
        winsum_buffer_free(ctx, &x.b);
        winsum_buffer_free(ctx, &y.b);
        winsum_buffer_free(ctx, &z.b);
    }
    free(hx);
    free(hy);
    free(hz0);
    free(hz);
    free(want);
    winsum_context_destroy(ctx);
}

/* One case of the skinny path: x (4-D, labels xl) times y (2-D, c and e)
 * into z = abcd, e summed, against a host loop; `skinny` asks that the
 * plan says it took gett_skinny. Sizes in n['a'..'e']. */
static void skinny_case(winsum_context *ctx, const char *subs, const char *xl, const char *yl,
                        const int64_t *n, int skinny)
{
    int64_t sx[4], sy[2], sz[4];
    size_t nx = 1, ny = 1, nz = 1;
    for (int i = 0; i < 4; i++) nx *= (size_t)(sx[i] = n[xl[i] - 'a']);
    for (int i = 0; i < 2; i++) ny *= (size_t)(sy[i] = n[yl[i] - 'a']);
    for (int i = 0; i < 4; i++) nz *= (size_t)(sz[i] = n[i]);
    const double alpha = 0.5, beta = -1.25;
    uint64_t rng = 29;
    double *hx = tu_randv(&rng, nx), *hy = tu_randv(&rng, ny), *hz0 = tu_randv(&rng, nz),
           *hz = calloc(nz, sizeof *hz), *want = calloc(nz, sizeof *want);
    const winsum_dtype dts[2] = {WINSUM_F32, WINSUM_F64};
    for (int t = 0; t < 2; t++) {
        const int f64 = dts[t] == WINSUM_F64;
        tu_buf x, y, z;
        tu_put(ctx, hx, nx, dts[t], 4, sx, NULL, &x);
        tu_put(ctx, hy, ny, dts[t], 2, sy, NULL, &y);
        tu_put(ctx, hz0, nz, dts[t], 4, sz, NULL, &z);
        const winsum_view ops[2] = {x.v, y.v};
        winsum_plan *plan = NULL;
        CHECK_STATUS(winsum_plan_create(ctx, &plan, subs, 2, ops, &z.v), WINSUM_OK);
        if (plan) {
            const char *d = winsum_plan_describe(plan);
            CHECK_MSG(!skinny || strstr(d, "skinny"), "%s: not the skinny path: %s", subs, d);
            CHECK_STATUS(winsum_plan_execute(plan, NULL, NULL, alpha, beta, NULL), WINSUM_OK);
            winsum_plan_destroy(plan);
        }
        tu_get(ctx, &z, hz, nz);
        /* the stored values, rounded as the dtype holds them */
#define RD(v) (f64 ? (v) : (double)(float)(v))
        int64_t i[5];
        size_t at = 0;
        for (i[0] = 0; i[0] < n[0]; i[0]++)
            for (i[1] = 0; i[1] < n[1]; i[1]++)
                for (i[2] = 0; i[2] < n[2]; i[2]++)
                    for (i[3] = 0; i[3] < n[3]; i[3]++, at++) {
                        double v = 0;
                        for (i[4] = 0; i[4] < n[4]; i[4]++) {
                            size_t ax = 0, ay = 0;
                            for (int q = 0; q < 4; q++) ax = ax * sx[q] + i[xl[q] - 'a'];
                            for (int q = 0; q < 2; q++) ay = ay * sy[q] + i[yl[q] - 'a'];
                            v += RD(hx[ax]) * RD(hy[ay]);
                        }
                        want[at] = alpha * v + beta * RD(hz0[at]);
                    }
#undef RD
        double err = tu_max_err(hz, want, (int64_t)nz, 1.0);
        CHECK_MSG(err < (f64 ? 1e-12 : 1e-5), "%s (%s): max error %g", subs, f64 ? "f64" : "f32",
                  err);
        printf("skinny %s (%s): max error %g\n", subs, f64 ? "f64" : "f32", err);
        winsum_buffer_free(ctx, &x.b);
        winsum_buffer_free(ctx, &y.b);
        winsum_buffer_free(ctx, &z.b);
    }
    free(hx);
    free(hy);
    free(hz0);
    free(hz);
    free(want);
}

/* GETT's skinny path (M <= 24 rows in registers, B streamed): by the rule
 * (N 9,810: runs of 109 along d in both B and C, vector loads and stores,
 * then 8-, 4- and 1-wide pieces), and forced (WINSUM_GETT_SKINNY=on) where
 * B runs along a, C along d (vectors along a, C stored element by element,
 * a chunk of 5 read as the 16 columns that end with it), where B's runs
 * (5) are shorter than a vector (one element a lane), and with d of 20
 * and K 33 (C stored along d through a transpose in local memory, pieces
 * 16 + 4). */
static void skinny_path(void)
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("skinny path: skipped (no OpenCL device)\n");
        return;
    }
    if (!ctx->cpu_like) {
        printf("skinny path: skipped (not a CPU-like device)\n");
        winsum_context_destroy(ctx);
        return;
    }
    const int64_t n1[5] = {10, 9, 5, 109, 5}; /* M 5 in all: two programs */
    skinny_case(ctx, "ebad,ce->abcd", "ebad", "ce", n1, 1);
    setenv("WINSUM_GETT_SKINNY", "on", 1);
    const int64_t n2[5] = {37, 3, 5, 7, 6};
    skinny_case(ctx, "dbea,ec->abcd", "dbea", "ec", n2, 1);
    const int64_t n3[5] = {5, 4, 5, 9, 7}; /* runs of B shorter than a vector */
    skinny_case(ctx, "dbea,ec->abcd", "dbea", "ec", n3, 1);
    const int64_t n4[5] = {37, 3, 5, 20, 33}; /* d >= 8, K >= 32: C through local memory */
    skinny_case(ctx, "dbea,ec->abcd", "dbea", "ec", n4, 1);
    unsetenv("WINSUM_GETT_SKINNY");
    winsum_context_destroy(ctx);
}

/* M tiles other than the tuned one (family_gett.c cpu_tile_policy): a
 * large contraction with fewer tiles than two a core (TCCG 13's shape,
 * `acd,dbc->ab`, M 61 x N 40, K 7,000: M blocks evened out, 32 + 29 rows
 * rather than 48 + 13 or 64, a tile that is no power of two times the
 * micro-tile), and M = 128 (a ResNet 1x1 layer's channels: 128 rows in
 * one tile rather than 96 + 32; c of 1); the result
 * equals a host loop, alpha and beta applied. */
static void m_tile_case(const int A, const int B, const int C, const int D)
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("M tiles: skipped (no OpenCL device)\n");
        return;
    }
    const int64_t sx[3] = {A, C, D}, sy[3] = {D, B, C}, sz[2] = {A, B};
    const size_t nx = (size_t)A * C * D, ny = (size_t)D * B * C, nz = (size_t)A * B;
    const double alpha = 0.75, beta = 0.5;
    uint64_t rng = 31;
    double *hx = tu_randv(&rng, nx), *hy = tu_randv(&rng, ny), *hz0 = tu_randv(&rng, nz),
           *hz = calloc(nz, sizeof *hz), *want = calloc(nz, sizeof *want);
    tu_buf x, y, z;
    tu_put(ctx, hx, nx, WINSUM_F32, 3, sx, NULL, &x);
    tu_put(ctx, hy, ny, WINSUM_F32, 3, sy, NULL, &y);
    tu_put(ctx, hz0, nz, WINSUM_F32, 2, sz, NULL, &z);
    const winsum_view ops[2] = {x.v, y.v};
    CHECK_STATUS(winsum_einsum(ctx, "acd,dbc->ab", 2, ops, &z.v, alpha, beta), WINSUM_OK);
    tu_get(ctx, &z, hz, nz);
    for (int a = 0; a < A; a++)
        for (int b = 0; b < B; b++) {
            double v = 0;
            for (int c = 0; c < C; c++)
                for (int d = 0; d < D; d++)
                    v += (double)(float)hx[((size_t)a * C + c) * D + d] *
                         (double)(float)hy[((size_t)d * B + b) * C + c];
            want[(size_t)a * B + b] = alpha * v + beta * (double)(float)hz0[(size_t)a * B + b];
        }
    const double err = tu_max_err(hz, want, (int64_t)nz, 1.0);
    CHECK_MSG(err < 1e-4, "acd,dbc->ab (M %d): max error %g", A, err);
    printf("M tiles (M %d, N %d, K %d): max error %g\n", A, B, C * D, err);
    winsum_buffer_free(ctx, &x.b);
    winsum_buffer_free(ctx, &y.b);
    winsum_buffer_free(ctx, &z.b);
    free(hx);
    free(hy);
    free(hz0);
    free(hz);
    free(want);
    winsum_context_destroy(ctx);
}

static void m_tiles(void)
{
    m_tile_case(61, 40, 70, 100);
    m_tile_case(128, 75, 1, 300);
}

/* Every kernel of a file comes from one build per options (program.c):
 * GETT's packing kernels share the program of its main kernel; other
 * options are another program. */
static void one_build_per_options(void)
{
    setenv("WINSUM_CACHE_DIR", "off", 1); /* count builds, not disk loads */
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("one build per options: skipped (no OpenCL device)\n");
        unsetenv("WINSUM_CACHE_DIR");
        return;
    }
    const char *opts = "-DWGM=1 -DWGN=1 -DMR=8 -DNR=32 -DMC=64 -DNC=64 -DKC=64 -DVW=16 -DNGA=0 "
                       "-DNGB=0 -DMULTI_KB=1 -DPACKED=3";
    ws_kernel k[4] = {NULL, NULL, NULL, NULL};
    const long b0 = winsum_program_builds();
    CHECK_STATUS(ws_get_kernel(ctx, "gett.cl", "gett", opts, &k[0]), WINSUM_OK);
    CHECK_STATUS(ws_get_kernel(ctx, "gett.cl", "gett_pack_a", opts, &k[1]), WINSUM_OK);
    CHECK_STATUS(ws_get_kernel(ctx, "gett.cl", "gett_pack_b", opts, &k[2]), WINSUM_OK);
    CHECK_MSG(winsum_program_builds() - b0 == 1, "3 kernels of one file and options: %ld builds",
              winsum_program_builds() - b0);
    CHECK(k[0] && k[1] && k[2] && k[0] != k[1] && k[1] != k[2] && k[0] != k[2]);
    ws_kernel again = NULL;
    CHECK_STATUS(ws_get_kernel(ctx, "gett.cl", "gett_pack_a", opts, &again), WINSUM_OK);
    CHECK(again == k[1]);
    CHECK_STATUS(ws_get_kernel(ctx, "unary.cl", "unary", "-DNGA=0", &k[3]), WINSUM_OK);
    CHECK_MSG(winsum_program_builds() - b0 == 2, "another file: %ld builds",
              winsum_program_builds() - b0);
    CHECK(ws_get_kernel(ctx, "gett.cl", "no_such_kernel", opts, &again) != WINSUM_OK);
    winsum_context_destroy(ctx);
    unsetenv("WINSUM_CACHE_DIR");
}

int main(void)
{
    unsetenv("WINSUM_GEMV"); /* its "off" would turn the family away below */
    int nf = 0;
    for (const ws_family *const *f = ws_families; *f; f++, nf++) {
        check_family(*f);
        for (const ws_family *const *g = ws_families; g != f; g++)
            CHECK_MSG(strcmp((*g)->name, (*f)->name) != 0, "two families named %s", (*f)->name);
    }
    CHECK(nf >= 2);
    /* the steps each family takes: GETT two inputs, unary one */
    ws_step_request one = {.ninputs = 1}, two = {.ninputs = 2};
    CHECK(ws_family_gett.accepts(NULL, &two) && !ws_family_gett.accepts(NULL, &one));
    CHECK(ws_family_unary.accepts(NULL, &one) && !ws_family_unary.accepts(NULL, &two));
    /* gemv: the steps with no N labels (or no M labels), before GETT;
     * the others GETT's */
    CHECK(!ws_family_gemv.accepts(NULL, &one));
    CHECK(first_family("01", "1", "0") == &ws_family_gemv);    /* matrix x vector */
    CHECK(first_family("1", "01", "0") == &ws_family_gemv);    /* vector x matrix */
    CHECK(first_family("1", "1", "") == &ws_family_gemv);      /* a dot product */
    CHECK(first_family("01", "01", "0") == &ws_family_gemv);   /* batched dots */
    CHECK(first_family("012", "02", "01") == &ws_family_gemv); /* batch 0, M 1, K 2 */
    CHECK(first_family("01", "12", "02") == &ws_family_gett);  /* a GEMM */
    CHECK(first_family("01", "2", "012") == &ws_family_gett);  /* an outer product */
    setenv("WINSUM_GEMV", "off", 1);
    CHECK(first_family("01", "1", "0") == &ws_family_gett);
    unsetenv("WINSUM_GEMV");
    packing_rule();
    contiguous_second_label();
    short_c_runs(12, 1);
    short_c_runs(14, 1);
    short_c_runs(29, 1);
    short_c_runs(20, 0);
    skinny_path();
    m_tiles();
    one_build_per_options();
    return tu_finish("test_families");
}
