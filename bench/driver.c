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
#include "args.h"
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* A reference call of more than this many flops is skipped (about 5 s). */
#define REF_MAX_FLOPS 1e9

#define DRIVER_ENV                                                                        \
    "\nenvironment:\n"                                                                    \
    "  WINSUM_DEVICE      the default device: an index or a name substring\n"             \
    "  WINSUM_CACHE_DIR   compiled-program and tuning cache (default ~/.cache/winsum;\n"  \
    "                     off: none)\n"                                                   \
    "  WINSUM_GETT        tile parameters wgm,wgn,mr,nr,mc,nc,kc,vw (overrides tuning)\n" \
    "  WINSUM_KERNEL_DIR  load kernels/*.cl from this folder (kernel work)\n"

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

static const char conv_help[] =
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

static const char *const conv_op_help[3] = {
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

static const char einsum_help[] =
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

/* The options every driver command takes. */
typedef struct drv_common {
    const char *dtype, *device;
    long long reps;
    int quiet;
} drv_common;

#define DRV_COMMON_OPTS(c)                                                                        \
    {"--dtype", WS_OPT_STRING, &(c).dtype, 0, 0}, {"--reps", WS_OPT_INT, &(c).reps, 1, MAX_REPS}, \
        {"--device", WS_OPT_STRING, &(c).device, 0, 0},                                           \
    {                                                                                             \
        "--quiet", WS_OPT_FLAG, &(c).quiet, 0, 0                                                  \
    }

/* The bench with its contexts (NULL after printing one line). */
static bench *drv_open(const char *who, const drv_common *c, winsum_dtype dt)
{
    bench *b = calloc(1, sizeof *b);
    if (!b) return fprintf(stderr, "%s: out of memory\n", who), NULL;
    b->reps = c->reps ? (int)c->reps : 5;
    b->dtype = dt;
    b->esz = winsum_dtype_size(dt);
    b->device = c->device;
    b->progress = !c->quiet && ws_stderr_is_tty();
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

static void drv_close(bench *b)
{
    winsum_context_destroy(b->ref);
    winsum_context_destroy(b->ctx);
    free(b);
}

/* The lines before the results. */
static void drv_header(const bench *b, const char *case_line)
{
    printf("case: %s\n", case_line);
    printf("device: %s\n", winsum_context_device_name(b->ctx));
    printf("tile parameters: %s, %s\n", winsum_tuning_params(b->ctx), winsum_tuning_source(b->ctx));
    printf("dtype %s; %d repetitions (median) after one warm-up call\n", dtype_csv(b->dtype),
           b->reps);
}

/* One line per backend, then the verdict; returns the exit code. */
static int drv_report(const bench *b, const row *r, const char *const why[NBACK])
{
    static const char *const label[NBACK] = {"winsum", "CLBlast", "OpenBLAS", "reference"};
    printf("\n%-10s %10s %10s  %s\n", "backend", "GFLOP/s", "ms", "check / note");
    for (int k = 0; k < NBACK; k++) {
        const cell *c = &r->c[k];
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
        printf("%-10s %10s %10s  %s%s%s\n", label[k], rate, ms, check,
               *check && why[k] && *why[k] ? "; " : "", why[k] ? why[k] : "");
    }
    int rc = b->mismatches || b->ws_errors ? 1 : 0;
    printf("\nresult: %s (%d mismatches, %d winsum errors, %d other errors)\n",
           b->mismatches  ? "MISMATCH"
           : b->ws_errors ? "winsum error"
                          : "ok",
           b->mismatches, b->ws_errors, b->other_errors);
    return rc;
}

/* ------------------------------------------------------------- parsing */

/* Integers >= lo separated by sep (at most max): the count, or -1. */
static int int_list(const char *s, char sep, int max, long long lo, int64_t *v)
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
static void list_text(const int64_t *v, int n, char *out, size_t len)
{
    int same = 1;
    for (int i = 1; i < n; i++) same &= v[i] == v[0];
    out[0] = 0;
    for (int i = 0; i < (same ? 1 : n); i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%lld", i ? "," : "", (long long)v[i]);
}

static void shape_text(const int64_t *v, int n, char sep, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t at = strlen(out);
        if (i && at + 1 < len) out[at++] = sep, out[at] = 0;
        snprintf(out + at, len - at, "%lld", (long long)v[i]);
    }
}

/* A per-axis option (1 or ns values) into v; 0, or 2 after a message. */
static int axis_opt(const char *who, const char *name, const char *s, int ns, long long lo,
                    int64_t *v)
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
static int padding_opt(const char *who, const char *s, int ns, winsum_conv_desc *d)
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

static void padding_text(const winsum_conv_desc *d, char *out, size_t len)
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

/* ---------------------------------------------------------- convolution */

static const char *const conv_op_name[NOPS] = {"forward", "backward-data", "backward-weight"};

/* The shapes of x, w, y with batch n (y's from the descriptor). */
typedef struct conv_case {
    int op, rank;
    winsum_conv_desc d;
    int64_t shape[3][WINSUM_MAX_DIMS];
} conv_case;

static size_t elems(const int64_t *s, int n)
{
    size_t e = 1;
    for (int i = 0; i < n; i++) e *= (size_t)s[i];
    return e;
}

static void conv_views_of(const conv_case *cc, int64_t batch, winsum_dtype dt,
                          const winsum_buffer *const buf[3], winsum_view v[3])
{
    for (int t = 0; t < 3; t++) {
        int64_t s[WINSUM_MAX_DIMS];
        memcpy(s, cc->shape[t], sizeof s);
        if (t != T_W) s[0] = batch;
        v[t] = winsum_view_contiguous(buf[t], dt, cc->rank, s);
    }
}

static int conv_driver(int argc, char **argv)
{
    char who[64] = "winsum-bench conv";
    if (argc < 2)
        return ws_args_error(who,
                             "missing op: forward, backward-data or backward-weight "
                             "(see %s --help)",
                             who);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return fputs(conv_help, stdout) == EOF;
    int op = -1;
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(argv[1], conv_op_name[i])) op = i;
    if (op < 0)
        return ws_args_error(who,
                             "unknown op '%s' (forward, backward-data, backward-weight; see "
                             "%s --help)",
                             argv[1], who);
    snprintf(who, sizeof who, "winsum-bench conv %s", conv_op_name[op]);
    drv_common c = {"f32", NULL, 0, 0};
    const char *xs = NULL, *wsh = NULL, *stride = NULL, *padding = NULL, *dilation = NULL,
               *layout = "nchw";
    long long groups = 1;
    ws_opt opts[] = {{"--input-shape", WS_OPT_STRING, &xs, 0, 0},
                     {"--weight-shape", WS_OPT_STRING, &wsh, 0, 0},
                     {"--stride", WS_OPT_STRING, &stride, 0, 0},
                     {"--padding", WS_OPT_STRING, &padding, 0, 0},
                     {"--dilation", WS_OPT_STRING, &dilation, 0, 0},
                     {"--groups", WS_OPT_INT, &groups, 1, 1LL << 31},
                     {"--layout", WS_OPT_STRING, &layout, 0, 0},
                     DRV_COMMON_OPTS(c),
                     {NULL, WS_OPT_FLAG, NULL, 0, 0}};
    ws_args a;
    if (ws_args_parse(who, argc - 2, argv + 2, opts, &a)) return WS_EXIT_USAGE;
    if (a.help) return fputs(conv_op_help[op], stdout) == EOF;
    if (a.npos)
        return ws_args_error(who, "unexpected argument '%s' (see %s --help)", a.pos[0], who);
    if (!xs) return ws_args_error(who, "missing --input-shape N,C,H,W");
    if (!wsh) return ws_args_error(who, "missing --weight-shape O,C/G,KH,KW");
    winsum_dtype dt;
    if (parse_dtype(c.dtype, &dt))
        return ws_args_error(who, "--dtype takes f32, f64 or f16, not '%s'", c.dtype);
    conv_case cc = {.op = op};
    winsum_conv_desc *d = &cc.d;
    winsum_conv_desc_init(d);
    if (!strcmp(layout, "nhwc")) d->layout = WINSUM_LAYOUT_NHWC;
    else if (strcmp(layout, "nchw"))
        return ws_args_error(who, "--layout takes nchw or nhwc, not '%s'", layout);
    int r = int_list(xs, ',', WINSUM_MAX_DIMS, 1, cc.shape[T_X]);
    if (r < 3 || r > 2 + WINSUM_MAX_SPATIAL)
        return ws_args_error(who,
                             "--input-shape takes 3 to %d integers >= 1 (N, C and 1 to %d "
                             "spatial sizes), not '%s'",
                             2 + WINSUM_MAX_SPATIAL, WINSUM_MAX_SPATIAL, xs);
    if (int_list(wsh, ',', WINSUM_MAX_DIMS, 1, cc.shape[T_W]) != r)
        return ws_args_error(who,
                             "--weight-shape takes %d integers >= 1 (O, C/G and %d kernel "
                             "sizes, the input's rank), not '%s'",
                             r, r - 2, wsh);
    cc.rank = r;
    int ns = d->nspatial = r - 2;
    d->groups = groups;
    if (stride && axis_opt(who, "--stride", stride, ns, 1, d->stride)) return WS_EXIT_USAGE;
    if (dilation && axis_opt(who, "--dilation", dilation, ns, 1, d->dilation)) return WS_EXIT_USAGE;
    if (padding && padding_opt(who, padding, ns, d)) return WS_EXIT_USAGE;
    char msg[512] = "";
    if (winsum_conv_output_shape(d, r, cc.shape[T_X], cc.shape[T_W], cc.shape[T_Y], msg,
                                 sizeof msg))
        return ws_args_error(who, "these shapes and options make no convolution: %s", msg);

    /* the canonical case line */
    char line[1024], t[3][128], st[64], pd[96], dl[64];
    shape_text(cc.shape[T_X], r, ',', t[T_X], sizeof t[T_X]);
    shape_text(cc.shape[T_W], r, ',', t[T_W], sizeof t[T_W]);
    shape_text(cc.shape[T_Y], r, ',', t[T_Y], sizeof t[T_Y]);
    list_text(d->stride, ns, st, sizeof st);
    list_text(d->dilation, ns, dl, sizeof dl);
    padding_text(d, pd, sizeof pd);
    snprintf(line, sizeof line,
             "winsum-bench conv %s --input-shape %s --weight-shape %s --stride %s --padding %s "
             "--dilation %s --groups %lld --dtype %s --layout %s",
             conv_op_name[op], t[T_X], t[T_W], st, pd, dl, (long long)d->groups,
             dt == WINSUM_F64   ? "f64"
             : dt == WINSUM_F16 ? "f16"
                                : "f32",
             layout);

    bench *b = drv_open(who, &c, dt);
    if (!b) return 1;
    drv_header(b, line);
    int nhwc = d->layout == WINSUM_LAYOUT_NHWC;
    const int64_t *x = cc.shape[T_X], *w = cc.shape[T_W], *y = cc.shape[T_Y];
    int64_t n = x[0], ch = x[nhwc ? r - 1 : 1], o = w[0], cg = w[1], outsp = 1, ksp = 1;
    for (int i = 0; i < ns; i++) outsp *= y[(nhwc ? 1 : 2) + i], ksp *= w[2 + i];
    double flops1 = 2.0 * (double)o * (double)outsp * (double)cg * (double)ksp;
    double flops = flops1 * (double)n;
    double k1 = op == OP_FWD        ? (double)(cg * ksp)
                : op == OP_BWD_DATA ? (double)(o / (d->groups ? d->groups : 1) * ksp)
                                    : (double)outsp;
    static const char *const tname[3] = {"X", "W", "Y"};
    int out = conv_op_output[op];
    printf("plan: %s with the descriptor %d-D, %s, stride %s, padding %s, dilation %s, groups "
           "%lld (the einsums a convolution runs are internal to the library)\n",
           op == OP_FWD        ? "winsum_conv_forward"
           : op == OP_BWD_DATA ? "winsum_conv_backward_data"
                               : "winsum_conv_backward_weight",
           ns, layout, st, pd, dl, (long long)d->groups);
    printf("tensors: X (%s), W (%s), Y (%s); writes %s; 2*N*O*OUT*(C/G)*K = %.4g MFLOP\n", t[T_X],
           t[T_W], t[T_Y], tname[out], flops / 1e6);
    fflush(stdout);

    row *rw = new_row(b, "driver", "conv", "conv", conv_op_suffix[op]);
    const char *why[NBACK] = {NULL, NULL, NULL, NULL};
    size_t e[3], e1[3];
    for (int i = 0; i < 3; i++)
        e[i] = elems(cc.shape[i], r), e1[i] = i == T_W ? e[i] : e[i] / (size_t)n;
    void *host[3] = {NULL, NULL, NULL}, *got = malloc(e[out] * b->esz),
         *got1 = malloc(e1[out] * b->esz), *want = malloc(e1[out] * b->esz),
         *other = malloc(e[out] * b->esz);
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    int ready = got && got1 && want && other;
    for (int i = 0; i < 3 && ready; i++) ready = (host[i] = random_data(b, e[i])) != NULL;
    if (!ready) cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], "malloc: out of host memory");
    for (int i = 0; i < 3 && ready; i++) ready = !dev_upload(b, "conv", host[i], e[i], &dev[i]);
    if (ready) {
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        conv_call call = {b->ctx, op, *d, {{0}}};
        conv_views_of(&cc, n, dt, bufs, call.v);
        progress(b, "  winsum ...\n");
        int ws_ok =
            !time_cell(b, rw, B_WINSUM, &rw->c[B_WINSUM], run_conv, &call, 1, b->reps, flops) &&
            !dev_download(b, rw, &dev[out], got, e[out]);
        int ws1_ok = ws_ok;
        if (ws_ok && op == OP_BWD_WEIGHT && n > 1) { /* winsum on batch 1, for the check */
            char err[1024];
            conv_views_of(&cc, 1, dt, bufs, call.v);
            if (run_conv(&call, err, sizeof err)) {
                cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], err);
                ws1_ok = 0;
            } else {
                ws1_ok = !dev_download(b, rw, &dev[out], got1, e1[out]);
            }
        } else if (ws_ok) {
            memcpy(got1, got, e1[out] * b->esz);
        }
        /* the reference on batch 1 */
        if (flops1 > REF_MAX_FLOPS) {
            rw->c[B_REF].state = CELL_SKIP;
            why[B_REF] = "skipped: batch 1 is over 1 GFLOP (about 5 s or more); unchecked";
        } else {
            progress(b, "  reference ...\n");
            winsum_buffer hb[3];
            const winsum_buffer *hp[3];
            for (int i = 0; i < 3; i++) {
                hb[i] = winsum_buffer_host(i == out ? want : host[i], e[i] * b->esz);
                if (i == out) hb[i].bytes = e1[i] * b->esz;
                hp[i] = &hb[i];
            }
            conv_call refcall = {b->ref, op, *d, {{0}}};
            conv_views_of(&cc, 1, dt, hp, refcall.v);
            why[B_REF] = "batch 1";
            if (!time_cell(b, rw, B_REF, &rw->c[B_REF], run_conv, &refcall, 0, 1, flops1) &&
                ws1_ok) {
                set_check(
                    b, &rw->c[B_WINSUM],
                    compare("conv", dt, "winsum vs reference (batch 1)", got1, want, e1[out], k1));
                why[B_WINSUM] = "vs the reference on batch 1";
            }
        }
        /* CLBlast: its convolution routines take one square 2-D NCHW layer */
        int square = ns == 2 && !nhwc && d->groups == 1 && x[2] == x[3] && w[2] == w[3] &&
                     d->stride[0] == d->stride[1] && !d->pad_same && d->pad_lo[0] == d->pad_lo[1] &&
                     d->pad_lo[0] == d->pad_hi[0] && d->pad_lo[1] == d->pad_hi[1] &&
                     d->dilation[0] == 1 && d->dilation[1] == 1;
        if (b->na_why[B_CLBLAST]) {
            rw->c[B_CLBLAST].state = CELL_NA;
            why[B_CLBLAST] = b->na_why[B_CLBLAST];
        } else if (!square) {
            rw->c[B_CLBLAST].state = CELL_NA;
            why[B_CLBLAST] = "its routines take 2-D NCHW, square, groups 1, dilation 1, symmetric "
                             "padding";
        } else {
            progress(b, "  CLBlast ...\n");
            conv_layer l = {"conv", ch, o, x[2], w[2], d->stride[0], d->pad_lo[0], 1};
            b->conv_batch = n;
            clblast_conv_cell(b, rw, &l, op, bufs, other, ws_ok ? got : NULL);
            if (rw->c[B_CLBLAST].state == CELL_NA) why[B_CLBLAST] = "not built in";
            else if (rw->c[B_CLBLAST].check >= 0) why[B_CLBLAST] = "vs winsum";
        }
        /* OpenBLAS: the im2col GEMM of the same M, N, K */
        if (d->groups != 1 || b->na_why[B_OPENBLAS]) {
            rw->c[B_OPENBLAS].state = CELL_NA;
            why[B_OPENBLAS] = b->na_why[B_OPENBLAS] ? b->na_why[B_OPENBLAS] : "groups > 1";
        } else {
            int64_t p = n * outsp, ckk = ch * ksp, m, nn, kk;
            if (op == OP_FWD) m = o, nn = p, kk = ckk;
            else if (op == OP_BWD_DATA) m = ckk, nn = p, kk = o;
            else m = o, nn = ckk, kk = p;
            static char gemm_why[96];
            progress(b, "  OpenBLAS ...\n");
            openblas_gemm_cell(b, rw, &rw->c[B_OPENBLAS], m, nn, kk);
            snprintf(gemm_why, sizeof gemm_why,
                     "the im2col GEMM %lldx%lldx%lld (MxNxK), not a "
                     "convolution",
                     (long long)m, (long long)nn, (long long)kk);
            why[B_OPENBLAS] = rw->c[B_OPENBLAS].state == CELL_NA ? "not built in" : gemm_why;
        }
    }
    int rc = drv_report(b, rw, why);
    for (int i = 0; i < 3; i++) {
        if (dev[i].mem) winsum_buffer_free(b->ctx, &dev[i]);
        free(host[i]);
    }
    free(got);
    free(got1);
    free(want);
    free(other);
    drv_close(b);
    return rc;
}

/* --------------------------------------------------------------- einsum */

#define MAX_DRV_OPS 8

typedef struct drv_plan_call {
    winsum_context *ctx;
    winsum_plan *plan;
} drv_plan_call;

static int drv_run_plan(void *arg, char *err, size_t n)
{
    drv_plan_call *a = arg;
    return finish_call(a->ctx, winsum_plan_execute(a->plan, NULL, NULL, 1.0, 0.0, NULL),
                       "winsum_plan_execute", err, n);
}

/* The product of every label's size (ellipsis dimensions aligned from the
 * right), from the input terms of subs and the operands' shapes. */
static double loop_points(const char *subs, int nops, const int64_t shape[][WINSUM_MAX_DIMS],
                          const int *rank)
{
    int64_t size[128] = {0}, ell[WINSUM_MAX_DIMS] = {0};
    int nell = 0;
    const char *p = subs;
    for (int i = 0; i < nops; i++) {
        char term[64];
        size_t len = strcspn(p, ",-");
        if (len >= sizeof term) len = sizeof term - 1;
        memcpy(term, p, len);
        term[len] = 0;
        p += len;
        if (*p == ',') p++;
        const char *dots = strstr(term, "...");
        int letters = 0, before = 0;
        for (const char *q = term; *q; q++)
            if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) {
                letters++;
                if (!dots || q < dots) before++;
            }
        int ne = dots ? rank[i] - letters : 0;
        if (ne < 0) ne = 0;
        int axis = 0;
        for (const char *q = term; *q; q++) {
            if (q == dots) {
                for (int k = 0; k < ne; k++) { /* right-aligned: slot ne-1-k from the end */
                    int slot = ne - 1 - k;
                    if (shape[i][axis + k] > ell[slot]) ell[slot] = shape[i][axis + k];
                }
                if (ne > nell) nell = ne;
                axis += ne;
                q += 2;
                continue;
            }
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) || axis >= rank[i])
                continue;
            if (shape[i][axis] > size[(unsigned char)*q]) size[(unsigned char)*q] = shape[i][axis];
            axis++;
        }
        (void)before;
    }
    double pts = 1;
    for (int ch = 0; ch < 128; ch++)
        if (size[ch]) pts *= (double)size[ch];
    for (int k = 0; k < nell; k++) pts *= (double)(ell[k] ? ell[k] : 1);
    return pts;
}

/* 'ab,bc->ac' with three distinct letters: a plain GEMM (m = a, k = b, n = c). */
static int is_gemm(const char *subs)
{
    return strlen(subs) == 9 && subs[2] == ',' && subs[5] == '-' && subs[6] == '>' &&
           subs[1] == subs[3] && subs[0] == subs[7] && subs[4] == subs[8] && subs[0] != subs[1] &&
           subs[1] != subs[4] && subs[0] != subs[4];
}

static int einsum_driver(int argc, char **argv)
{
    const char *who = "winsum-bench einsum";
    drv_common c = {"f32", NULL, 0, 0};
    const char *shapes = NULL, *strides = NULL;
    ws_opt opts[] = {{"--shapes", WS_OPT_STRING, &shapes, 0, 0},
                     {"--strides", WS_OPT_STRING, &strides, 0, 0},
                     DRV_COMMON_OPTS(c),
                     {NULL, WS_OPT_FLAG, NULL, 0, 0}};
    ws_args a;
    if (ws_args_parse(who, argc - 1, argv + 1, opts, &a)) return WS_EXIT_USAGE;
    if (a.help) return fputs(einsum_help, stdout) == EOF;
    if (a.npos < 1) return ws_args_error(who, "missing SUBSCRIPTS (see %s --help)", who);
    if (a.npos > 1)
        return ws_args_error(who, "unexpected argument '%s' (see %s --help)", a.pos[1], who);
    if (!shapes) return ws_args_error(who, "missing --shapes (e.g. --shapes 64x32,32x16)");
    winsum_dtype dt;
    if (parse_dtype(c.dtype, &dt))
        return ws_args_error(who, "--dtype takes f32, f64 or f16, not '%s'", c.dtype);
    const char *subs = a.pos[0];
    if (strlen(subs) > 200 || strchr(subs, '\''))
        return ws_args_error(who, "SUBSCRIPTS '%s' is not an einsum (letters, ',', '->', '...')",
                             subs);

    /* --shapes and --strides: operands separated by ',', dimensions by 'x' */
    int64_t shape[MAX_DRV_OPS][WINSUM_MAX_DIMS] = {{0}},
            stride[MAX_DRV_OPS][WINSUM_MAX_DIMS] = {{0}};
    int rank[MAX_DRV_OPS], nops = 0, nstr = 0;
    char buf[1024];
    for (int pass = 0; pass < 2; pass++) {
        const char *spec = pass ? strides : shapes, *name = pass ? "--strides" : "--shapes";
        if (!spec) continue;
        if (strlen(spec) >= sizeof buf) return ws_args_error(who, "%s is too long", name);
        strcpy(buf, spec);
        int n = 0;
        char *save = NULL;
        int empty = !*spec || spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,");
        for (char *tok = empty ? NULL : strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            if (n == MAX_DRV_OPS)
                return ws_args_error(who, "%s: at most %d operands", name, MAX_DRV_OPS);
            int k = int_list(tok, 'x', WINSUM_MAX_DIMS, pass ? 0 : 1, pass ? stride[n] : shape[n]);
            if (k < 0) {
                empty = 1;
                break;
            }
            if (pass && k != rank[n])
                return ws_args_error(who, "--strides: operand %d has %d strides but rank %d", n + 1,
                                     k, rank[n]);
            if (!pass) rank[n] = k;
            n++;
        }
        if (empty || !n)
            return ws_args_error(who,
                                 "%s takes each operand's %s as integers %s joined by x, the "
                                 "operands separated by commas (64x32,32x16), not '%s'",
                                 name, pass ? "strides" : "shape", pass ? ">= 0" : ">= 1", spec);
        if (pass) nstr = n;
        else nops = n;
    }
    if (strides && nstr != nops)
        return ws_args_error(who, "--strides has %d operands but --shapes has %d", nstr, nops);
    for (int i = 0; i < nops && !strides; i++) {
        int64_t s = 1;
        for (int k = rank[i] - 1; k >= 0; k--) stride[i][k] = s, s *= shape[i][k];
    }

    /* the canonical case line */
    char line[2048], shp[512] = "", str[512] = "";
    for (int i = 0; i < nops; i++) {
        char one[128];
        shape_text(shape[i], rank[i], 'x', one, sizeof one);
        snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%s%s", i ? "," : "", one);
        shape_text(stride[i], rank[i], 'x', one, sizeof one);
        snprintf(str + strlen(str), sizeof str - strlen(str), "%s%s", i ? "," : "", one);
    }
    snprintf(line, sizeof line, "winsum-bench einsum '%s' --shapes %s%s%s --dtype %s", subs, shp,
             strides ? " --strides " : "", strides ? str : "",
             dt == WINSUM_F64   ? "f64"
             : dt == WINSUM_F16 ? "f16"
                                : "f32");

    bench *b = drv_open(who, &c, dt);
    if (!b) return 1;
    drv_header(b, line);
    row *rw = new_row(b, "driver", "einsum", "einsum", subs);
    const char *why[NBACK] = {NULL, NULL, NULL, NULL};
    size_t extent[MAX_DRV_OPS];
    void *host[MAX_DRV_OPS] = {NULL};
    winsum_buffer dev[MAX_DRV_OPS + 1], hb[MAX_DRV_OPS + 1];
    winsum_view v[MAX_DRV_OPS + 1], hv[MAX_DRV_OPS + 1];
    memset(dev, 0, sizeof dev);
    winsum_plan *plan = NULL;
    void *got = NULL, *want = NULL;
    int ok = 1, outrank = 0;
    int64_t outshape[WINSUM_MAX_DIMS];
    size_t nout = 1;
    for (int i = 0; i < nops && ok; i++) {
        extent[i] = 1;
        for (int k = 0; k < rank[i]; k++) extent[i] += (size_t)((shape[i][k] - 1) * stride[i][k]);
        ok = (host[i] = random_data(b, extent[i])) != NULL &&
             !dev_upload(b, "einsum", host[i], extent[i], &dev[i]);
        if (ok) v[i] = winsum_view_strided(&dev[i], dt, 0, rank[i], shape[i], stride[i]);
    }
    if (ok) {
        winsum_status st = winsum_einsum_output_shape(b->ctx, subs, nops, v, &outrank, outshape);
        if (st) {
            fprintf(stderr, "%s: %s: %s\n", who, winsum_status_string(st),
                    winsum_last_error(b->ctx));
            b->ws_errors++;
            ok = 0;
        }
    }
    if (ok) {
        nout = elems(outshape, outrank);
        got = malloc(nout * b->esz);
        want = malloc(nout * b->esz);
        ok = got && want && !dev_upload(b, "einsum", NULL, nout, &dev[nops]);
        if (ok) v[nops] = winsum_view_contiguous(&dev[nops], dt, outrank, outshape);
    }
    if (ok) {
        winsum_status st = winsum_plan_create(b->ctx, &plan, subs, nops, v, &v[nops]);
        if (st) {
            char msg[1200];
            snprintf(msg, sizeof msg, "winsum_plan_create(\"%s\"): %s: %s", subs,
                     winsum_status_string(st), winsum_last_error(b->ctx));
            cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], msg);
            ok = 0;
        }
    }
    if (ok) {
        double pts = loop_points(subs, nops, shape, rank);
        double flops = pts * (nops > 1 ? 2.0 * (nops - 1) : 1.0),
               k = pts / (double)(nout ? nout : 1);
        char os[128];
        shape_text(outshape, outrank, 'x', os, sizeof os);
        printf("output: %s; %.0f loop points, %.4g MFLOP\n", outrank ? os : "scalar", pts,
               flops / 1e6);
        /* the plan, indented, without its closing newlines */
        char desc[4096];
        snprintf(desc, sizeof desc, "%s", winsum_plan_describe(plan));
        for (size_t l = strlen(desc); l && desc[l - 1] == '\n'; l--) desc[l - 1] = 0;
        printf("plan:\n");
        for (char *p = desc, *nl; p; p = nl ? nl + 1 : NULL) {
            nl = strchr(p, '\n');
            if (nl) *nl = 0;
            printf("  %s\n", p);
        }
        fflush(stdout);
        drv_plan_call pc = {b->ctx, plan};
        progress(b, "  winsum ...\n");
        int ws_ok =
            !time_cell(b, rw, B_WINSUM, &rw->c[B_WINSUM], drv_run_plan, &pc, 1, b->reps, flops) &&
            !dev_download(b, rw, &dev[nops], got, nout);
        /* the reference on the whole problem */
        if (flops > REF_MAX_FLOPS) {
            rw->c[B_REF].state = CELL_SKIP;
            why[B_REF] = "skipped: over 1 GFLOP (about 5 s or more); unchecked";
        } else {
            progress(b, "  reference ...\n");
            for (int i = 0; i < nops; i++) {
                hb[i] = winsum_buffer_host(host[i], extent[i] * b->esz);
                hv[i] = winsum_view_strided(&hb[i], dt, 0, rank[i], shape[i], stride[i]);
            }
            hb[nops] = winsum_buffer_host(want, nout * b->esz);
            hv[nops] = winsum_view_contiguous(&hb[nops], dt, outrank, outshape);
            double t0 = now_ms();
            winsum_status st = winsum_einsum(b->ref, subs, nops, hv, &hv[nops], 1.0, 0.0);
            double ms = now_ms() - t0;
            if (st) {
                char msg[1200];
                snprintf(msg, sizeof msg, "winsum_einsum [reference backend]: %s: %s",
                         winsum_status_string(st), winsum_last_error(b->ref));
                cell_fail(b, rw, B_REF, &rw->c[B_REF], msg);
            } else {
                rw->c[B_REF] = (cell){CELL_DONE, flops, ms, -1};
                why[B_REF] = "one call, the whole problem";
                if (ws_ok) {
                    set_check(b, &rw->c[B_WINSUM],
                              compare("einsum", dt, "winsum vs reference", got, want, nout, k));
                    why[B_WINSUM] = "vs the reference";
                }
            }
        }
        /* the peers: a plain contiguous GEMM only */
        if (nops == 2 && !strides && is_gemm(subs)) {
            int64_t m = shape[0][0], kk = shape[0][1], n = shape[1][1];
            if (b->na_why[B_CLBLAST]) {
                rw->c[B_CLBLAST].state = CELL_NA;
                why[B_CLBLAST] = b->na_why[B_CLBLAST];
            } else {
                progress(b, "  CLBlast ...\n");
                clblast_gemm_cell(b, rw, m, n, kk, host, ws_ok ? got : NULL);
                if (rw->c[B_CLBLAST].state == CELL_NA) why[B_CLBLAST] = "not built in";
                else if (rw->c[B_CLBLAST].check >= 0) why[B_CLBLAST] = "vs winsum";
            }
            if (b->na_why[B_OPENBLAS]) {
                rw->c[B_OPENBLAS].state = CELL_NA;
                why[B_OPENBLAS] = b->na_why[B_OPENBLAS];
            } else {
                progress(b, "  OpenBLAS ...\n");
                openblas_gemm_cell(b, rw, &rw->c[B_OPENBLAS], m, n, kk);
                why[B_OPENBLAS] =
                    rw->c[B_OPENBLAS].state == CELL_NA ? "not built in" : "on the host, unchecked";
            }
        } else {
            rw->c[B_CLBLAST].state = rw->c[B_OPENBLAS].state = CELL_NA;
            why[B_CLBLAST] = why[B_OPENBLAS] = "not a contiguous GEMM 'ab,bc->ac'";
        }
    }
    int rc = drv_report(b, rw, why);
    winsum_plan_destroy(plan);
    for (int i = 0; i <= nops; i++)
        if (dev[i].mem) winsum_buffer_free(b->ctx, &dev[i]);
    for (int i = 0; i < nops; i++) free(host[i]);
    free(got);
    free(want);
    drv_close(b);
    return rc;
}

int bench_driver(int argc, char **argv)
{
    if (!strcmp(argv[0], "conv")) return conv_driver(argc, argv);
    return einsum_driver(argc, argv);
}
