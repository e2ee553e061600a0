/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * driver.c - the one-layer driver of `winsum-bench`: one convolution or one
 * einsum of the caller's shapes, timed on winsum beside CLBlast, OpenBLAS
 * and the reference backend where they apply, checked against the
 * reference, with winsum's plan.
 *
 *   winsum-bench conv forward|backward-data|backward-weight
 *       --input-shape N,C,H,W --weight-shape O,C/G,KH,KW [--stride S[,S..]]
 *       [--padding P[,P..]|LO:HI[,LO:HI..]|same] [--dilation D[,D..]] [--groups G]
 *       [--dtype f32|f64|f16] [--layout nchw|nhwc] [--reps R] [--device D] [--quiet]
 *   winsum-bench einsum SUBSCRIPTS --shapes 64x32,32x16 [--strides 32x1,16x1]
 *       [--dtype f32|f64|f16] [--reps R] [--device D] [--quiet]
 *
 * Each run prints its case as a `winsum-bench ...` line in a canonical form
 * (every option, lists shortened to one value when all are equal); that
 * line, run again, gives the same case and prints the same line. This is
 * the syntax the library's call trace replays.
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

#define DRIVER_ENV                                                                         \
    "\nenvironment:\n"                                                                     \
    "  WINSUM_DEVICE      the default device: an index or a name substring\n"              \
    "  WINSUM_CACHE_DIR   compiled-program and tuning cache (default ~/.cache/winsum;\n"   \
    "                     off: none)\n"                                                    \
    "  WINSUM_PROGRAM_CACHE  on: programs there too where the driver keeps its own\n"      \
    "  WINSUM_GETT        tile parameters wgm,wgn,mr,nr,mc,nc,kc,vw (overrides tuning)\n"  \
    "  WINSUM_CONV_IMPL   pointwise|direct|depthwise|einsum|gemv: the convolution "        \
    "implementation\n"                                                                     \
    "                     tried first (conv prints the one that ran)\n"                    \
    "  WINSUM_KERNEL_DIR  load kernels/*.cl from this folder (kernel work)\n"              \
    "  POCL_AFFINITY      PoCL's workers pinned; unset, winsum sets 1 when this process\n" \
    "                     may use every CPU (0: PoCL's default; the header says which)\n"

#define DRIVER_COMMON                                                                        \
    "  --dtype f32|f64|f16       default f32; f16: float16 storage, float32 sums\n"          \
    "                            (CLBlast and OpenBLAS: n/a)\n"                              \
    "  --reps R                  timed calls after one warm-up, 1..64 (default 5; median)\n" \
    "  --device INDEX|SUBSTRING  the OpenCL device (see winsum devices)\n"                   \
    "  --quiet                   no progress lines (drawn only on a terminal anyway)\n"      \
    "  -h, --help                this text\n"                                                \
    "Options take their value as `--opt value` or `--opt=value`. Exit code: 0, 1 when\n"     \
    "the check fails or a winsum call fails, 2 on a usage error.\n"

#define CONV_OPTS_HELP                                                                        \
    "  --input-shape N,C,H,W     X's shape in the layout's order (1 to 3 spatial axes)\n"     \
    "  --weight-shape O,C/G,KH,KW  the weight is (O, C/G, k...) in every layout, also NHWC\n" \
    "  --stride S[,S..]          per spatial axis; one value applies to every axis\n"         \
    "  --padding P[,P..] | LO:HI[,LO:HI..] | same\n"                                          \
    "  --dilation D[,D..]        per spatial axis\n"                                          \
    "  --groups G                channel groups (G = C: depthwise)\n"                         \
    "  --layout nchw|nhwc        X and Y: (N, C, spatial...) or (N, spatial..., C)\n"

const char drv_conv_help[] =
    "Usage: winsum-bench conv forward|backward-data|backward-weight\n"
    "                    --input-shape N,C,H,W --weight-shape O,C/G,KH,KW [OPTIONS]\n"
    "Times one convolution layer of your own: winsum on the whole batch, CLBlast on the\n"
    "same device (2-D, NCHW, square, groups 1, dilation 1), OpenBLAS running the im2col\n"
    "GEMM of the same M,N,K (groups 1) and the reference backend on batch 1, which\n"
    "checks winsum's result. `winsum-bench conv OP --help` describes each op.\n"
    "\n"
    "Options:\n" CONV_OPTS_HELP DRIVER_COMMON "\n"
    "Example:\n"
    "  winsum-bench conv forward --input-shape 8,64,56,56 --weight-shape 64,64,3,3 --padding "
    "1\n" DRIVER_ENV;

const char *const drv_conv_op_help[3] = {
    "Usage: winsum-bench conv forward --input-shape N,C,H,W --weight-shape O,C/G,KH,KW\n"
    "                    [OPTIONS]\n"
    "Times Y = conv(X, W) (winsum_conv_forward) on random data: GFLOP/s of winsum,\n"
    "CLBlast (convgemm), OpenBLAS (the im2col GEMM O x N*OH*OW x C*KH*KW) and the\n"
    "reference (batch 1), and the check of winsum against the reference.\n"
    "\n"
    "Options:\n" CONV_OPTS_HELP DRIVER_COMMON "\n"
    "Example:\n"
    "  winsum-bench conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --padding "
    "1\n" DRIVER_ENV,
    "Usage: winsum-bench conv backward-data --input-shape N,C,H,W --weight-shape O,C/G,KH,KW\n"
    "                    [OPTIONS]\n"
    "Times GX = d(loss)/dX (winsum_conv_backward_data) from random GY and W: GFLOP/s\n"
    "of winsum, CLBlast (GEMM + col2im per image), OpenBLAS (the GEMM C*KH*KW x\n"
    "N*OH*OW x O) and the reference (batch 1), and the check against the reference.\n"
    "\n"
    "Options:\n" CONV_OPTS_HELP DRIVER_COMMON "\n"
    "Example:\n"
    "  winsum-bench conv backward-data --input-shape 8,64,28,28 --weight-shape 64,64,3,3 \\\n"
    "      --stride 2 --padding 1\n" DRIVER_ENV,
    "Usage: winsum-bench conv backward-weight --input-shape N,C,H,W\n"
    "                    --weight-shape O,C/G,KH,KW [OPTIONS]\n"
    "Times GW = d(loss)/dW (winsum_conv_backward_weight) from random X and GY, summed\n"
    "over the batch: GFLOP/s of winsum, CLBlast (im2col + GEMM per image), OpenBLAS\n"
    "(the GEMM O x C*KH*KW x N*OH*OW) and the reference (batch 1, checked against\n"
    "winsum on batch 1).\n"
    "\n"
    "Options:\n" CONV_OPTS_HELP DRIVER_COMMON "\n"
    "Example:\n"
    "  winsum-bench conv backward-weight --input-shape 8,32,28,28 --weight-shape 32,1,3,3 \\\n"
    "      --groups 32 --padding 1 --layout nhwc\n" DRIVER_ENV};

const char drv_einsum_help[] =
    "Usage: winsum-bench einsum SUBSCRIPTS --shapes 64x32,32x16 [--strides 32x1,16x1]\n"
    "                    [OPTIONS]\n"
    "Times one einsum of your shapes (winsum_plan_create once, winsum_plan_execute\n"
    "timed) on random data, prints winsum's plan (winsum_plan_describe), and runs\n"
    "CLBlast and OpenBLAS where the einsum is a plain GEMM ('ab,bc->ac', contiguous)\n"
    "and the reference backend on the whole problem (up to 1 GFLOP), which checks\n"
    "winsum's result. GFLOP/s count 2 flops per point of the loop nest (one operand:\n"
    "1; n operands: 2(n-1)).\n"
    "\n"
    "Options:\n"
    "  --shapes S1,S2,..         each operand's shape, dimensions joined by x (64x32)\n"
    "  --strides T1,T2,..        each operand's strides in elements, joined by x\n"
    "                            (default: C-contiguous); the output is contiguous\n" DRIVER_COMMON
    "\n"
    "Examples:\n"
    "  winsum-bench einsum 'ij,jk->ik' --shapes 512x256,256x128\n"
    "  winsum-bench einsum 'bij,bjk->bik' --shapes 16x64x32,16x32x64 --dtype f64\n"
    "  winsum-bench einsum 'ij,jk->ik' --shapes 32x16,16x8 --strides 1x32,8x1\n" DRIVER_ENV;

/* ----------------------------------------------------------- the setting */

/* The bench with its contexts (NULL after printing one line). */
bench *drv_open(const char *who, const drv_common *c, winsum_dtype dt)
{
    bench *b = calloc(1, sizeof *b);
    if (!b) return fprintf(stderr, "%s: out of memory\n", who), NULL;
    b->reps = c->reps ? (int)c->reps : 5;
    b->dtype = dt;
    b->esz = winsum_dtype_size(dt);
    b->device = c->device;
    b->progress = !c->quiet && ws_stderr_is_tty();
    openblas_load(); /* before PoCL's threads start */
    winsum_status st = winsum_context_create(&b->ctx, WINSUM_BACKEND_OPENCL, c->device);
    if (st) {
        fprintf(stderr, "%s: winsum_context_create(OpenCL, %s): %s: %s\n", who,
                c->device ? c->device : "default device", winsum_status_string(st),
                winsum_last_error(NULL));
        free(b);
        return NULL;
    }
    st = winsum_context_create(&b->ref, WINSUM_BACKEND_REF, NULL);
    if (st) {
        fprintf(stderr, "%s: winsum_context_create(reference): %s\n", who,
                winsum_status_string(st));
        winsum_context_destroy(b->ctx);
        free(b);
        return NULL;
    }
    b->cl = winsum_context_cl(b->ctx);
    b->queue = winsum_context_queue(b->ctx);
    peers_init(b);
    return b;
}

void drv_close(bench *b)
{
    winsum_context_destroy(b->ref);
    winsum_context_destroy(b->ctx);
    free(b);
}

/* The lines before the results. */
void drv_header(const bench *b, const char *case_line)
{
    printf("case: %s\n", case_line);
    printf("device: %s\n", winsum_context_device_name(b->ctx));
    if (pocl_workers_text(winsum_context_device_name(b->ctx)))
        printf("%s\n", pocl_workers_text(winsum_context_device_name(b->ctx)));
    printf("tile parameters: %s, %s\n", winsum_tuning_params(b->ctx), winsum_tuning_source(b->ctx));
    printf("dtype %s; %d repetitions (median) after one warm-up call\n", dtype_csv(b->dtype),
           b->reps);
    if (!b->na_why[B_OPENBLAS] && openblas_text()) printf("OpenBLAS: %s\n", openblas_text());
}

/* The table's names of the backends (back_name is the CSV's). */
static const char *const drv_label[NBACK] = {
    [B_WINSUM] = "winsum", [B_CLBLAST] = "CLBlast", [B_OPENBLAS] = "OpenBLAS",
    [B_REF] = "reference", [B_TORCH] = "torch",     [B_NUMPY] = "numpy"};

/* One line per backend the driver ran or gave a reason for (winsum's
 * always), then the verdict; returns the exit code: 1 when winsum did not
 * run (why[B_WINSUM] says why), failed or mismatched. */
int drv_report(const bench *b, const row *r, const char *const why[NBACK])
{
    printf("\n%-10s %10s %10s  %s\n", "backend", "GFLOP/s", "ms", "check / note");
    for (int k = 0; k < NBACK; k++) {
        const cell *c = &r->c[k];
        if (k != B_WINSUM && c->state == CELL_EMPTY && !(why[k] && *why[k])) continue;
        char rate[32] = "-", ms[32] = "-";
        if (c->state == CELL_DONE) {
            snprintf(rate, sizeof rate, "%.2f", gflops(c));
            snprintf(ms, sizeof ms, "%.3f", c->ms);
        } else if (c->state == CELL_ERR) {
            snprintf(rate, sizeof rate, "err");
        } else if (c->state == CELL_NA) {
            snprintf(rate, sizeof rate, "n/a");
        }
        const char *check = c->check < 0 ? "" : c->check ? "ok" : "MISMATCH";
        const char *note = why[k] ? why[k] : "";
        if (k == B_WINSUM && c->state == CELL_EMPTY && !*note) note = "not run";
        printf("%-10s %10s %10s  %s%s%s\n", drv_label[k], rate, ms, check,
               *check && *note ? "; " : "", note);
    }
    int ran = r->c[B_WINSUM].state == CELL_DONE;
    int rc = b->mismatches || b->ws_errors || !ran ? 1 : 0;
    printf("\nresult: %s (%d mismatches, %d winsum errors, %d other errors)\n",
           b->mismatches  ? "MISMATCH"
           : b->ws_errors ? "winsum error"
           : !ran         ? "not run"
                          : "ok",
           b->mismatches, b->ws_errors, b->other_errors);
    return rc;
}

/* The largest buffer the device of b's queue allocates (0: unknown). */
static uint64_t drv_max_alloc(const bench *b)
{
    cl_device_id dev;
    cl_ulong max = 0;
    if (clGetCommandQueueInfo(b->queue, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL) != CL_SUCCESS ||
        clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max, &max, NULL) != CL_SUCCESS)
        return 0;
    return (uint64_t)max;
}

/* 0 when a tensor of `elems` elements of the bench's dtype fits in one
 * device buffer; else -1 after one line on stderr, with the reason in
 * *why (winsum's note: the driver then runs nothing). */
int drv_fits(bench *b, const char *who, const char *what, int64_t elems, const char **why)
{
    uint64_t max = drv_max_alloc(b);
    int64_t bytes;
    if (!ws_mul_ovf(elems, (int64_t)b->esz, &bytes) && (!max || (uint64_t)bytes <= max)) return 0;
    char *out = b->na_buf[B_WINSUM];
    snprintf(out, sizeof b->na_buf[B_WINSUM], "not run: %s needs %.3g GiB > max buffer %.3g GiB",
             what, (double)elems * (double)b->esz / 1073741824.0, (double)max / 1073741824.0);
    fprintf(stderr,
            "%s: %s (%lld elements; the device's largest buffer, CL_DEVICE_MAX_MEM_ALLOC_SIZE, "
            "is %llu bytes)\n",
            who, out, (long long)elems, (unsigned long long)max);
    *why = out;
    return -1;
}

/* ------------------------------------------------------------- parsing */

/* Integers >= lo separated by sep (at most max): the count, or -1. */
int int_list(const char *s, char sep, int max, long long lo, int64_t *v)
{
    int n = 0;
    for (;;) {
        const char *end = strchr(s, sep);
        if (!end) end = s + strlen(s);
        if (n == max || end == s) return -1;
        long long r = 0;
        for (const char *p = s; p < end; p++) {
            if (*p < '0' || *p > '9' || r > (1LL << 40)) return -1;
            r = r * 10 + (*p - '0');
        }
        if (r < lo) return -1;
        v[n++] = r;
        if (!*end) return n;
        s = end + 1;
    }
}

/* "v" when every one of v[0..n-1] is equal, else "v0,v1,.." (sep ','). */
void list_text(const int64_t *v, int n, char *out, size_t len)
{
    int same = 1;
    for (int i = 1; i < n; i++) same &= v[i] == v[0];
    out[0] = 0;
    for (int i = 0; i < (same ? 1 : n); i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%lld", i ? "," : "", (long long)v[i]);
}

void shape_text(const int64_t *v, int n, char sep, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t at = strlen(out);
        if (i && at + 1 < len) out[at++] = sep, out[at] = 0;
        snprintf(out + at, len - at, "%lld", (long long)v[i]);
    }
}

/* A per-axis option (1 or ns values) into v; 0, or 2 after a message. */
int axis_opt(const char *who, const char *name, const char *s, int ns, long long lo, int64_t *v)
{
    int64_t t[WINSUM_MAX_SPATIAL];
    int n = int_list(s, ',', WINSUM_MAX_SPATIAL, lo, t);
    if (n < 0)
        return ws_args_error(who, "%s takes integers >= %lld separated by commas, not '%s'", name,
                             lo, s);
    if (n != 1 && n != ns)
        return ws_args_error(who, "%s has %d values but there are %d spatial axes (give 1 or %d)",
                             name, n, ns, ns);
    for (int i = 0; i < ns; i++) v[i] = t[n == 1 ? 0 : i];
    return 0;
}

/* --padding: P[,P..], LO:HI[,LO:HI..] or same. */
int padding_opt(const char *who, const char *s, int ns, winsum_conv_desc *d)
{
    if (!strcmp(s, "same")) {
        d->pad_same = 1;
        return 0;
    }
    int64_t lo[WINSUM_MAX_SPATIAL], hi[WINSUM_MAX_SPATIAL];
    int n = 0;
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        char one[64];
        if (n == WINSUM_MAX_SPATIAL || len == 0 || len >= sizeof one) goto bad;
        memcpy(one, p, len);
        one[len] = 0;
        char *colon = strchr(one, ':');
        if (colon) {
            *colon = 0;
            if (int_list(one, ',', 1, 0, &lo[n]) != 1 ||
                int_list(colon + 1, ',', 1, 0, &hi[n]) != 1)
                goto bad;
        } else {
            if (int_list(one, ',', 1, 0, &lo[n]) != 1) goto bad;
            hi[n] = lo[n];
        }
        n++;
        p += len;
        if (!*p) break;
        p++;
    }
    if (n != 1 && n != ns)
        return ws_args_error(who,
                             "--padding has %d values but there are %d spatial axes (give 1 "
                             "or %d)",
                             n, ns, ns);
    for (int i = 0; i < ns; i++)
        d->pad_lo[i] = lo[n == 1 ? 0 : i], d->pad_hi[i] = hi[n == 1 ? 0 : i];
    return 0;
bad:
    return ws_args_error(who,
                         "--padding takes P[,P..], LO:HI[,LO:HI..] or same (integers >= 0), "
                         "not '%s'",
                         s);
}

void padding_text(const winsum_conv_desc *d, char *out, size_t len)
{
    if (d->pad_same) {
        snprintf(out, len, "same");
        return;
    }
    int ns = d->nspatial, same = 1, sym = 1;
    for (int i = 0; i < ns; i++) {
        same &= d->pad_lo[i] == d->pad_lo[0] && d->pad_hi[i] == d->pad_hi[0];
        sym &= d->pad_lo[i] == d->pad_hi[i];
    }
    out[0] = 0;
    for (int i = 0; i < (same ? 1 : ns); i++) {
        if (sym)
            snprintf(out + strlen(out), len - strlen(out), "%s%lld", i ? "," : "",
                     (long long)d->pad_lo[i]);
        else
            snprintf(out + strlen(out), len - strlen(out), "%s%lld:%lld", i ? "," : "",
                     (long long)d->pad_lo[i], (long long)d->pad_hi[i]);
    }
}

/* The number of elements of a shape into *e: 0, or -1 when the product
 * overflows int64. */
int drv_elems(const int64_t *s, int n, int64_t *e)
{
    *e = 1;
    for (int i = 0; i < n; i++)
        if (ws_mul_ovf(*e, s[i], e)) return -1;
    return 0;
}
