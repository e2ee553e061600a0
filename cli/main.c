/*
 * cli.c - `winsum`, the library's command-line tool: einsum contractions and
 * convolutions over .npy files, on an OpenCL device or the reference backend.
 *
 *   winsum devices | version | --help
 *   winsum einsum SUBSCRIPTS A.npy [B.npy ...] -o OUT.npy [--alpha X]
 *   winsum conv forward|backward-data|backward-weight|backward-bias|transpose ...
 *   winsum tune ...                      (tune.c)
 * The benchmark is a tool of its own, winsum-bench (bench/).
 *
 * The tool uses only the public API (winsum.h) plus the .npy reader and
 * writer of internal.h. Every command reads its inputs, computes fully, reads
 * the result back and only then writes the output file (ws_npy_write renames
 * a finished temporary), so a failure never leaves an output behind. Any
 * failure prints exactly one line on stderr, "winsum CMD: what: why", and
 * exits 1 (bad input, compute error) or 2 (usage error).
 */
#include "args.h"
#include "cli.h"
#include "npy.h"
#include "winsum.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

#define MAX_OPERANDS 32 /* einsum operands the CLI takes */

#define ENV_HEAD   "\nenvironment:\n"
#define ENV_DEVICE "  WINSUM_DEVICE      the default device: an index, a name substring, or ref\n"
#define ENV_CACHE                                                                \
    "  WINSUM_CACHE_DIR   where compiled programs and tuning results are kept\n" \
    "                     (default ~/.cache/winsum; off: no disk cache)\n"
#define ENV_GETT \
    "  WINSUM_GETT        tile parameters wgm,wgn,mr,nr,mc,nc,kc,vw (overrides tuning)\n"
#define ENV_KERNEL "  WINSUM_KERNEL_DIR  load kernels/*.cl from this folder (kernel work)\n"
#define ENV_ALL    ENV_HEAD ENV_DEVICE ENV_CACHE ENV_GETT ENV_KERNEL

#define COMMON_HELP                                                                         \
    "  --backend opencl|ref|auto   auto (default): OpenCL when a device exists, else ref\n" \
    "  --device INDEX|SUBSTRING    an index from `winsum devices`, or part of its name\n"   \
    "  -o, --output FILE           the output .npy, in the widest input dtype\n"            \
    "                              (float16 < float32 < float64, as numpy promotes)\n"      \
    "  -h, --help                  this text\n"

#define CONV_OPTIONS_HELP                                                                    \
    "  --stride S[,S..]            per spatial axis; one value applies to every axis\n"      \
    "  --padding P[,P..] | LO:HI[,LO:HI..] | same\n"                                         \
    "                              symmetric, asymmetric, or TensorFlow's same\n"            \
    "  --dilation D[,D..]          per spatial axis\n"                                       \
    "  --groups G                  channel groups (G = C: depthwise)\n"                      \
    "  --layout nchw|nhwc          (N, C, spatial...) or (N, spatial..., C); default nchw\n" \
    "\n"                                                                                     \
    "Layouts: X and Y follow --layout; the weight is (O, C/G, k...) in every layout,\n"      \
    "also NHWC. Shapes on the command line are given in the layout's order. The\n"           \
    "number of spatial axes (1 to 3) follows from the input's rank (rank - 2).\n"

#define ARRAYS_HELP                                                                     \
    "\nArrays are float16/float32/float64 .npy files, C or Fortran order. float16 is\n" \
    "storage: sums run in float32 and each output is rounded once. On error winsum\n"   \
    "prints one line on stderr, writes no output and exits 1 (2 for usage errors).\n"

static const char usage_text[] =
    "Usage: winsum COMMAND [ARGS]\n"
    "Einsum contractions and convolutions over .npy files, on an OpenCL device or\n"
    "the reference backend.\n"
    "\n"
    "Commands:\n"
    "  winsum devices                  list the OpenCL devices and the reference backend\n"
    "  winsum version                  print the version (also: winsum --version)\n"
    "  winsum einsum SUBSCRIPTS A.npy [B.npy ...] -o OUT.npy [--alpha X]\n"
    "  winsum conv forward         --input X.npy --weight W.npy [--bias B.npy] OPTIONS -o Y.npy\n"
    "  winsum conv backward-data   --grad-output GY.npy --weight W.npy --input-shape N,C,H,W\n"
    "                              OPTIONS -o GX.npy\n"
    "  winsum conv backward-weight --input X.npy --grad-output GY.npy --weight-shape O,C/G,KH,KW\n"
    "                              OPTIONS -o GW.npy\n"
    "  winsum conv backward-bias   --grad-output GY.npy [OPTIONS] -o GB.npy\n"
    "  winsum conv transpose       --input X.npy --weight W.npy OPTIONS\n"
    "                              [--output-padding P[,P..]] -o Y.npy\n"
    "  winsum tune [--device D] [--quick] [--max-candidates N] [--quiet]\n"
    "`winsum COMMAND --help` (and `winsum conv SUBCOMMAND --help`) describes each.\n"
    "Options take their value as `--opt value` or `--opt=value`. The benchmark and the\n"
    "one-layer driver are a tool of their own: winsum-bench.\n"
    "\n"
    "Convolution OPTIONS:\n" CONV_OPTIONS_HELP "\n"
    "Every computing command:\n" COMMON_HELP ARRAYS_HELP "\n"
    "Examples:\n"
    "  winsum einsum 'ij,jk->ik' a.npy b.npy -o c.npy\n"
    "  winsum conv forward --input x.npy --weight w.npy --stride 2 --padding 1 -o y.npy\n"
    "  winsum tune --quick\n" ENV_ALL;

static const char devices_help[] =
    "Usage: winsum devices [--backend opencl|ref|auto] [--device INDEX|SUBSTRING]\n"
    "Lists the OpenCL devices of every platform, in the order --device INDEX counts\n"
    "them, and the reference backend. For each: whether it is a GPU, its global\n"
    "memory, its largest single allocation, its compute units and the dtypes winsum\n"
    "computes in on it (f64 needs cl_khr_fp64; f16 is storage with float32 sums).\n"
    "The device marked * (default) is the one a command picks with the same\n"
    "--backend/--device options: $WINSUM_DEVICE, else the first GPU, else the first\n"
    "device.\n"
    "\n"
    "Options:\n"
    "  --backend opencl|ref|auto   mark what this backend choice picks\n"
    "  --device INDEX|SUBSTRING    mark what this device choice picks\n"
    "  -h, --help                  this text\n"
    "\n"
    "Example:\n"
    "  winsum devices\n"
    "  WINSUM_DEVICE=ref winsum devices\n" ENV_HEAD ENV_DEVICE;

static const char version_help[] =
    "Usage: winsum version   (or winsum --version)\n"
    "Prints \"winsum X.Y.Z\", the version of the library the tool is built with.\n"
    "\n"
    "Example:\n"
    "  winsum version\n";

static const char einsum_help[] =
    "Usage: winsum einsum SUBSCRIPTS A.npy [B.npy ...] -o OUT.npy [--alpha X] [OPTIONS]\n"
    "Computes numpy.einsum(SUBSCRIPTS, A, B, ...) times alpha and writes it to OUT.npy.\n"
    "SUBSCRIPTS follow numpy: explicit ('ij,jk->ik') or implicit ('ij,jk'), with\n"
    "repeated labels (diagonals, 'ii->i') and ellipses ('...ij,...jk->...ik').\n"
    "\n"
    "Options:\n"
    "  --alpha X                   scale the result (default 1)\n" COMMON_HELP ARRAYS_HELP "\n"
    "Examples:\n"
    "  winsum einsum 'ij,jk->ik' a.npy b.npy -o c.npy\n"
    "  winsum einsum 'bii->b' batch.npy -o traces.npy --backend ref\n"
    "  winsum einsum 'ij->' a.npy --alpha=-2 --output s.npy\n" ENV_ALL;

static const char conv_help[] =
    "Usage: winsum conv SUBCOMMAND ARGS\n"
    "Convolutions over .npy files, 1-D to 3-D, NCHW or NHWC:\n"
    "  winsum conv forward         --input X.npy --weight W.npy [--bias B.npy] OPTIONS -o Y.npy\n"
    "  winsum conv backward-data   --grad-output GY.npy --weight W.npy --input-shape N,C,H,W\n"
    "                              OPTIONS -o GX.npy\n"
    "  winsum conv backward-weight --input X.npy --grad-output GY.npy --weight-shape O,C/G,KH,KW\n"
    "                              OPTIONS -o GW.npy\n"
    "  winsum conv backward-bias   --grad-output GY.npy [OPTIONS] -o GB.npy\n"
    "  winsum conv transpose       --input X.npy --weight W.npy OPTIONS\n"
    "                              [--output-padding P[,P..]] -o Y.npy\n"
    "`winsum conv SUBCOMMAND --help` describes each.\n"
    "\n"
    "OPTIONS:\n" CONV_OPTIONS_HELP "\n" COMMON_HELP ARRAYS_HELP "\n"
    "Example:\n"
    "  winsum conv forward --input x.npy --weight w.npy --bias b.npy --stride 2 --padding 1 -o "
    "y.npy\n" ENV_ALL;

/* ------------------------------------------------------------- messages */

/* Prints "who: <formatted>" as one line on stderr (newlines in messages,
 * e.g. build logs, become "; ") and returns code. */
static int report(int code, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int report(int code, const char *who, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = 0;
    fprintf(stderr, "%s: ", who);
    for (const char *p = line; *p; p++) {
        if (*p == '\n') fputs("; ", stderr);
        else if (*p != '\r') fputc(*p, stderr);
    }
    fputc('\n', stderr);
    return code;
}

/* A library failure: "who: WINSUM_ERR_X: message". */
static int report_status(const char *who, winsum_status st, const char *msg)
{
    if (msg && *msg) return report(EXIT_INPUT, who, "%s: %s", winsum_status_string(st), msg);
    return report(EXIT_INPUT, who, "%s", winsum_status_string(st));
}

/* ------------------------------------------------------ argument parsing */

/* Options every command takes (see args.h for the grammar). */
typedef struct common_opts {
    const char *backend, *device, *output;
} common_opts;

#define COMMON_OPTIONS(c)                                                                         \
    {"--backend", WS_OPT_STRING, &(c).backend, 0, 0},                                             \
        {"--device", WS_OPT_STRING, &(c).device, 0, 0}, {"-o", WS_OPT_STRING, &(c).output, 0, 0}, \
    {                                                                                             \
        "--output", WS_OPT_STRING, &(c).output, 0, 0                                              \
    }
#define OPTS_END                      \
    {                                 \
        NULL, WS_OPT_FLAG, NULL, 0, 0 \
    }

/* The help text of a command on stdout; exit 0. */
static int help(const char *text) { return fputs(text, stdout) == EOF; }

/* A decimal integer >= 0 spanning [s, end). */
static int parse_count(const char *s, const char *end, int64_t *v)
{
    if (s == end || *s < '0' || *s > '9') return -1;
    int64_t r = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') return -1;
        if (r > (INT64_MAX - 9) / 10) return -1;
        r = r * 10 + (*s - '0');
    }
    *v = r;
    return 0;
}

/* A comma-separated list of integers >= 0 (at most max). With hi != NULL an
 * entry may be "LO:HI"; a plain entry sets hi = lo. Returns the count, or -1
 * for a malformed list. */
static int parse_list(const char *s, int max, int64_t *lo, int64_t *hi)
{
    int n = 0;
    for (;;) {
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        if (n == max) return -1;
        const char *colon = memchr(s, ':', (size_t)(end - s));
        if (colon && !hi) return -1;
        if (colon) {
            if (parse_count(s, colon, &lo[n]) || parse_count(colon + 1, end, &hi[n])) return -1;
        } else {
            if (parse_count(s, end, &lo[n])) return -1;
            if (hi) hi[n] = lo[n];
        }
        n++;
        if (!*end) return n;
        s = end + 1;
    }
}

static int parse_backend(const char *who, const char *s, winsum_backend *b)
{
    if (!s || strcmp(s, "auto") == 0) *b = WINSUM_BACKEND_AUTO;
    else if (strcmp(s, "opencl") == 0) *b = WINSUM_BACKEND_OPENCL;
    else if (strcmp(s, "ref") == 0) *b = WINSUM_BACKEND_REF;
    else return report(EXIT_USAGE, who, "unknown backend '%s' (opencl, ref or auto)", s);
    return 0;
}

/* ------------------------------------------------------------- the job */

#define MAX_ARRAYS (MAX_OPERANDS + 2)

/* What one computing command holds: the arrays it read, the context and the
 * buffers it made. job_free() releases everything. */
typedef struct job {
    const char *who;
    winsum_context *ctx;
    winsum_dtype dtype; /* of every operand after job_unify(), and the output */
    int narr;
    ws_npy arr[MAX_ARRAYS];
    int nbuf;
    winsum_buffer buf[MAX_ARRAYS + 1];
} job;

static void job_free(job *j)
{
    for (int i = 0; i < j->nbuf; i++) winsum_buffer_free(j->ctx, &j->buf[i]);
    for (int i = 0; i < j->narr; i++) ws_npy_free(&j->arr[i]);
    winsum_context_destroy(j->ctx);
    memset(j, 0, sizeof *j);
}

/* Reads a .npy file; returns its array, or NULL after reporting. */
static ws_npy *job_load(job *j, const char *path)
{
    if (j->narr == MAX_ARRAYS) {
        report(EXIT_INPUT, j->who, "too many arrays (at most %d)", MAX_ARRAYS);
        return NULL;
    }
    ws_npy *a = &j->arr[j->narr];
    ws_error e = {0};
    winsum_status st = ws_npy_read(path, a, &e);
    if (st) {
        report_status(j->who, st, e.msg);
        return NULL;
    }
    j->narr++;
    return a;
}

/* The output dtype is the widest of the inputs' (numpy's promotion among
 * float16 < float32 < float64); narrower inputs are converted element by
 * element (same layout, so the strides still hold). */
static int dtype_rank(winsum_dtype d) { return d == WINSUM_F16 ? 0 : d == WINSUM_F32 ? 1 : 2; }

static int job_unify(job *j)
{
    j->dtype = j->narr ? j->arr[0].dtype : WINSUM_F32;
    for (int i = 1; i < j->narr; i++)
        if (dtype_rank(j->arr[i].dtype) > dtype_rank(j->dtype)) j->dtype = j->arr[i].dtype;
    const size_t to = winsum_dtype_size(j->dtype);
    for (int i = 0; i < j->narr; i++) {
        ws_npy *a = &j->arr[i];
        if (a->dtype == j->dtype) continue;
        size_t n = a->bytes / winsum_dtype_size(a->dtype);
        void *d = malloc(n ? n * to : 1);
        if (!d) return report(EXIT_INPUT, j->who, "out of host memory");
        for (size_t k = 0; k < n; k++) /* widening: exact */
            ws_store_elem(d, j->dtype, (int64_t)k, ws_load_elem(a->data, a->dtype, (int64_t)k));
        free(a->data);
        a->data = d;
        a->bytes = n * to;
        a->dtype = j->dtype;
    }
    return 0;
}

/* Creates the context the options ask for. */
static int job_context(job *j, const common_opts *c)
{
    winsum_backend backend = WINSUM_BACKEND_AUTO;
    if (parse_backend(j->who, c->backend, &backend)) return EXIT_USAGE;
    winsum_status st = winsum_context_create(&j->ctx, backend, c->device);
    if (st == WINSUM_ERR_NO_DEVICE) {
        const char *spec = c->device ? c->device : getenv("WINSUM_DEVICE");
        if (spec && *spec)
            return report(EXIT_INPUT, j->who,
                          "%s: no OpenCL device matches '%s' (see winsum "
                          "devices)",
                          winsum_status_string(st), spec);
        return report_status(j->who, st, "no OpenCL device found (try --backend ref)");
    }
    if (st) return report_status(j->who, st, winsum_last_error(NULL));
    if (backend == WINSUM_BACKEND_AUTO && winsum_context_backend(j->ctx) == WINSUM_BACKEND_REF &&
        winsum_device_count() == 0)
        fprintf(stderr, "winsum: no OpenCL device, using the reference backend\n");
    if (!winsum_context_has_dtype(j->ctx, j->dtype))
        return report_status(j->who, WINSUM_ERR_DTYPE,
                             "the device has no float64 support (try --backend ref)");
    return 0;
}

static int job_fail(job *j, winsum_status st)
{
    return report_status(j->who, st, winsum_last_error(j->ctx));
}

static int job_check(job *j, winsum_status st) { return st ? job_fail(j, st) : 0; }

/* A new buffer of the context's kind, remembered for job_free(). */
static int job_buffer(job *j, size_t bytes, winsum_buffer **b)
{
    *b = &j->buf[j->nbuf];
    winsum_status st = winsum_buffer_alloc(j->ctx, bytes, *b);
    if (st) return job_fail(j, st);
    j->nbuf++;
    return 0;
}

/* Uploads a's raw bytes and makes a view with the file's strides (a Fortran
 * array stays column-major: a strided view, not a copy). */
static int job_upload(job *j, const ws_npy *a, winsum_view *v)
{
    winsum_buffer *b;
    int rc = job_buffer(j, a->bytes, &b);
    if (rc) return rc;
    winsum_status st = winsum_buffer_write(j->ctx, b, 0, a->data, a->bytes);
    if (st) return job_fail(j, st);
    *v = winsum_view_strided(b, a->dtype, 0, a->ndim, a->shape, a->strides);
    return 0;
}

/* A contiguous output buffer and view of the given shape. */
static int job_output(job *j, int ndim, const int64_t *shape, winsum_view *v)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0 || __builtin_mul_overflow(n, shape[i], &n))
            return report_status(j->who, WINSUM_ERR_OVERFLOW, "the output shape is too large");
    size_t esize = winsum_dtype_size(j->dtype);
    if ((uint64_t)n > SIZE_MAX / esize)
        return report_status(j->who, WINSUM_ERR_OVERFLOW, "the output shape is too large");
    winsum_buffer *b;
    int rc = job_buffer(j, (size_t)n * esize, &b);
    if (rc) return rc;
    *v = winsum_view_contiguous(b, j->dtype, ndim, shape);
    return 0;
}

/* Reads the computed output back and writes it to path. */
static int job_save(job *j, const winsum_view *v, const char *path)
{
    size_t bytes = v->buffer->bytes;
    void *host = malloc(bytes ? bytes : 1);
    if (!host) return report(EXIT_INPUT, j->who, "out of host memory");
    winsum_status st = winsum_buffer_read(j->ctx, v->buffer, 0, host, bytes);
    if (st) {
        free(host);
        return job_fail(j, st);
    }
    ws_error e = {0};
    st = ws_npy_write(path, v->dtype, v->ndim, v->shape, host, &e);
    free(host);
    if (st) return report_status(j->who, st, e.msg);
    return 0;
}

/* ------------------------------------------------------------- devices */

/* What `winsum devices` shows of one OpenCL device. */
typedef struct dev_facts {
    cl_device_id id;
    cl_ulong mem, max_alloc;
    cl_uint units;
    char dtypes[16];
} dev_facts;

/* "12.5 GiB", "512 MiB" */
static void bytes_text(cl_ulong b, char *out, size_t n)
{
    if (b >= (cl_ulong)1 << 30) snprintf(out, n, "%.1f GiB", (double)b / (double)(1u << 30));
    else snprintf(out, n, "%.0f MiB", (double)b / (double)(1u << 20));
}

/* The dtypes a context computes in, "f32,f64,f16". */
static void dtypes_text(const winsum_context *ctx, char *out, size_t n)
{
    snprintf(out, n, "f32%s%s", winsum_context_has_dtype(ctx, WINSUM_F64) ? ",f64" : "",
             winsum_context_has_dtype(ctx, WINSUM_F16) ? ",f16" : "");
}

/* The OpenCL device of a context (NULL for the reference backend). */
static cl_device_id context_device(const winsum_context *ctx)
{
    cl_device_id id = NULL;
    cl_context cl = winsum_context_cl(ctx);
    if (!cl || clGetContextInfo(cl, CL_CONTEXT_DEVICES, sizeof id, &id, NULL) != CL_SUCCESS)
        return NULL;
    return id;
}

/* Device `index` through a context of its own: 0 when it could be opened. */
static int dev_facts_get(int index, dev_facts *f)
{
    memset(f, 0, sizeof *f);
    char spec[16];
    snprintf(spec, sizeof spec, "%d", index);
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, spec) != WINSUM_OK) return -1;
    f->id = context_device(ctx);
    dtypes_text(ctx, f->dtypes, sizeof f->dtypes);
    if (f->id) {
        clGetDeviceInfo(f->id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof f->mem, &f->mem, NULL);
        clGetDeviceInfo(f->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof f->max_alloc, &f->max_alloc,
                        NULL);
        clGetDeviceInfo(f->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof f->units, &f->units, NULL);
    }
    winsum_context_destroy(ctx);
    return 0;
}

static int cmd_devices(int argc, char **argv)
{
    const char *who = "winsum devices";
    common_opts c = {0};
    ws_opt opts[] = {{"--backend", WS_OPT_STRING, &c.backend, 0, 0},
                     {"--device", WS_OPT_STRING, &c.device, 0, 0},
                     OPTS_END};
    ws_args a;
    if (ws_args_parse(who, argc, argv, opts, &a)) return EXIT_USAGE;
    if (a.help) return help(devices_help);
    if (a.npos) return report(EXIT_USAGE, who, "unexpected argument '%s'", a.pos[0]);
    winsum_backend backend = WINSUM_BACKEND_AUTO;
    if (parse_backend(who, c.backend, &backend)) return EXIT_USAGE;

    /* the default: what a context made with these options picks (for no
     * options, what winsum_context_create(..., NULL) picks) */
    winsum_context *ctx = NULL;
    cl_device_id chosen = NULL;
    int is_ref_default = 0;
    char ref_dtypes[16] = "f32,f64,f16";
    /* what the default device uses: tile parameters and the disk cache */
    char tiles[5000] = "", cache[5000] = "";
    winsum_status st = winsum_context_create(&ctx, backend, c.device);
    /* a bad setting (WINSUM_CACHE_DIR too long) is an error; no device is
     * what the listing shows */
    if (st == WINSUM_ERR_ARGUMENT) return report_status(who, st, winsum_last_error(NULL));
    if (st == WINSUM_OK) {
        is_ref_default = winsum_context_backend(ctx) == WINSUM_BACKEND_REF;
        if (!is_ref_default) {
            chosen = context_device(ctx);
            snprintf(tiles, sizeof tiles, "%s, %s", winsum_tuning_params(ctx),
                     winsum_tuning_source(ctx));
            snprintf(cache, sizeof cache, "%s", winsum_cache_info(ctx));
        }
    }
    winsum_context_destroy(ctx);
    if (winsum_context_create(&ctx, WINSUM_BACKEND_REF, NULL) == WINSUM_OK)
        dtypes_text(ctx, ref_dtypes, sizeof ref_dtypes);
    winsum_context_destroy(ctx);

    int n = winsum_device_count();
    printf("  %-5s %-4s %10s %10s %5s  %-12s %s\n", "index", "gpu", "memory", "max alloc", "units",
           "dtypes", "device");
    for (int i = 0; i < n; i++) {
        char name[512], mem[32] = "?", alloc[32] = "?", units[16] = "?";
        int gpu = 0;
        if (winsum_device_info(i, name, sizeof name, &gpu) != WINSUM_OK) continue;
        dev_facts f;
        int known = dev_facts_get(i, &f) == 0 && f.id;
        if (known) {
            bytes_text(f.mem, mem, sizeof mem);
            bytes_text(f.max_alloc, alloc, sizeof alloc);
            snprintf(units, sizeof units, "%u", (unsigned)f.units);
        }
        int dflt = known && chosen && f.id == chosen;
        printf("%c %-5d %-4s %10s %10s %5s  %-12s %s%s\n", dflt ? '*' : ' ', i, gpu ? "yes" : "no",
               mem, alloc, units, known ? f.dtypes : "?", name, dflt ? "  (default)" : "");
    }
    printf("%c %-5s %-4s %10s %10s %5s  %-12s %s%s\n", is_ref_default ? '*' : ' ', "ref", "-",
           "host", "host", "-", ref_dtypes, "reference backend (C on the host, --backend ref)",
           is_ref_default ? "  (default)" : "");
    if (n == 0) printf("no OpenCL device found\n");
    if (tiles[0])
        printf("default device: tile parameters %s\ndefault device: disk cache %s\n", tiles, cache);
    return 0;
}

/* ------------------------------------------------------------- version */

static int cmd_version(int argc, char **argv)
{
    const char *who = "winsum version";
    ws_opt opts[] = {OPTS_END};
    ws_args a;
    if (ws_args_parse(who, argc, argv, opts, &a)) return EXIT_USAGE;
    if (a.help) return help(version_help);
    if (a.npos) return report(EXIT_USAGE, who, "unexpected argument '%s'", a.pos[0]);
    printf("winsum %s\n", winsum_version_string());
    return 0;
}

/* -------------------------------------------------------------- einsum */

static int cmd_einsum(int argc, char **argv)
{
    const char *who = "winsum einsum";
    common_opts c = {0};
    double alpha = 1.0;
    ws_opt opts[] = {COMMON_OPTIONS(c), {"--alpha", WS_OPT_DOUBLE, &alpha, 0, 0}, OPTS_END};
    ws_args a;
    if (ws_args_parse(who, argc, argv, opts, &a)) return EXIT_USAGE;
    if (a.help) return help(einsum_help);
    if (a.npos < 1) return report(EXIT_USAGE, who, "missing SUBSCRIPTS (see winsum einsum --help)");
    if (a.npos < 2) return report(EXIT_USAGE, who, "missing input .npy files");
    if (a.npos - 1 > MAX_OPERANDS)
        return report(EXIT_USAGE, who, "too many operands (at most %d)", MAX_OPERANDS);
    if (!c.output) return report(EXIT_USAGE, who, "missing -o OUT.npy");
    winsum_backend backend = WINSUM_BACKEND_AUTO;
    if (parse_backend(who, c.backend, &backend)) return EXIT_USAGE;

    const char *subscripts = a.pos[0];
    int nops = a.npos - 1;
    job j = {.who = who};
    winsum_view ops[MAX_OPERANDS], out;
    int rc = 0;
    for (int i = 0; i < nops && !rc; i++)
        if (!job_load(&j, a.pos[1 + i])) rc = EXIT_INPUT;
    if (!rc) rc = job_unify(&j);
    if (!rc) rc = job_context(&j, &c);
    for (int i = 0; i < nops && !rc; i++) rc = job_upload(&j, &j.arr[i], &ops[i]);
    if (!rc) {
        int ndim = 0;
        int64_t shape[WINSUM_MAX_DIMS];
        rc = job_check(&j, winsum_einsum_output_shape(j.ctx, subscripts, nops, ops, &ndim, shape));
        if (!rc) rc = job_output(&j, ndim, shape, &out);
    }
    if (!rc) rc = job_check(&j, winsum_einsum(j.ctx, subscripts, nops, ops, &out, alpha, 0.0));
    if (!rc) rc = job_save(&j, &out, c.output);
    job_free(&j);
    return rc;
}

/* ---------------------------------------------------------- convolution */

/* The options of the conv commands besides the common ones. */
enum conv_arg {
    ARG_INPUT,
    ARG_WEIGHT,
    ARG_BIAS,
    ARG_GRAD_OUTPUT,
    ARG_INPUT_SHAPE,
    ARG_WEIGHT_SHAPE,
    ARG_STRIDE,
    ARG_PADDING,
    ARG_DILATION,
    ARG_GROUPS,
    ARG_LAYOUT,
    ARG_OUTPUT_PADDING,
    NARG
};
static const char *const conv_arg_name[NARG] = {
    "--input",  "--weight",  "--bias",     "--grad-output", "--input-shape", "--weight-shape",
    "--stride", "--padding", "--dilation", "--groups",      "--layout",      "--output-padding"};

#define BIT(a) (1u << (a))
#define GEOMETRY \
    (BIT(ARG_STRIDE) | BIT(ARG_PADDING) | BIT(ARG_DILATION) | BIT(ARG_GROUPS) | BIT(ARG_LAYOUT))

/* A parsed conv command: its name for messages and its option values. */
typedef struct conv_cmd {
    char who[64];
    common_opts c;
    const char *arg[NARG];
} conv_cmd;

/* Loads one array; *out is set on success. */
static int load(job *j, const char *path, ws_npy **out)
{
    *out = job_load(j, path);
    return *out ? 0 : EXIT_INPUT;
}

/* Checks that an array has the rank the others give. */
static int same_rank(const char *who, const char *what, const ws_npy *a, int rank)
{
    if (a->ndim == rank) return 0;
    return report(EXIT_INPUT, who, "%s: %s has rank %d but the input has rank %d",
                  winsum_status_string(WINSUM_ERR_SHAPE), what, a->ndim, rank);
}

/* A status with a message from a shape function. */
static int shape_check(const char *who, winsum_status st, const char *msg)
{
    return st ? report_status(who, st, msg) : 0;
}

/* Expands a per-axis list option into lo[0..ns-1] (and hi, for padding);
 * one value applies to every axis. */
static int axis_list(const conv_cmd *cc, int which, int ns, int64_t *lo, int64_t *hi)
{
    const char *spec = cc->arg[which];
    int64_t l[WINSUM_MAX_SPATIAL], h[WINSUM_MAX_SPATIAL];
    int n = parse_list(spec, WINSUM_MAX_SPATIAL, l, hi ? h : NULL);
    if (n < 0) return report(EXIT_USAGE, cc->who, "bad %s value '%s'", conv_arg_name[which], spec);
    if (n != 1 && n != ns)
        return report(EXIT_USAGE, cc->who,
                      "%s has %d values but there are %d spatial axes (give 1 or %d)",
                      conv_arg_name[which], n, ns, ns);
    for (int i = 0; i < ns; i++) {
        lo[i] = l[n == 1 ? 0 : i];
        if (hi) hi[i] = h[n == 1 ? 0 : i];
    }
    return 0;
}

/* Syntax checks of the option values (usage errors), before any file is
 * read; list lengths are checked once the rank is known. */
static int conv_check_syntax(const conv_cmd *cc)
{
    int64_t l[WINSUM_MAX_DIMS], h[WINSUM_MAX_DIMS];
    for (int k = 0; k < NARG; k++) {
        const char *s = cc->arg[k];
        int bad = 0;
        if (!s) continue;
        switch (k) {
        case ARG_STRIDE:
        case ARG_DILATION:
        case ARG_OUTPUT_PADDING: bad = parse_list(s, WINSUM_MAX_SPATIAL, l, NULL) < 0; break;
        case ARG_PADDING:
            bad = strcmp(s, "same") != 0 && parse_list(s, WINSUM_MAX_SPATIAL, l, h) < 0;
            break;
        case ARG_GROUPS: bad = parse_list(s, 1, l, NULL) < 0; break;
        case ARG_INPUT_SHAPE:
        case ARG_WEIGHT_SHAPE: bad = parse_list(s, WINSUM_MAX_DIMS, l, NULL) < 0; break;
        case ARG_LAYOUT: bad = strcmp(s, "nchw") != 0 && strcmp(s, "nhwc") != 0; break;
        default: break;
        }
        if (bad) return report(EXIT_USAGE, cc->who, "bad %s value '%s'", conv_arg_name[k], s);
    }
    return 0;
}

/* A descriptor for arrays of the given rank, from the options. */
static int conv_desc(const conv_cmd *cc, int rank, winsum_conv_desc *d)
{
    winsum_conv_desc_init(d);
    int ns = rank - 2;
    if (ns < 1 || ns > WINSUM_MAX_SPATIAL)
        return report(EXIT_INPUT, cc->who,
                      "%s: the input has rank %d; a convolution needs rank 3 to %d (batch, "
                      "channels and 1 to %d spatial axes)",
                      winsum_status_string(WINSUM_ERR_CONV), rank, WINSUM_MAX_SPATIAL + 2,
                      WINSUM_MAX_SPATIAL);
    d->nspatial = ns;
    const char *layout = cc->arg[ARG_LAYOUT];
    d->layout = layout && strcmp(layout, "nhwc") == 0 ? WINSUM_LAYOUT_NHWC : WINSUM_LAYOUT_NCHW;
    if (cc->arg[ARG_GROUPS]) parse_list(cc->arg[ARG_GROUPS], 1, &d->groups, NULL);
    if (cc->arg[ARG_STRIDE] && axis_list(cc, ARG_STRIDE, ns, d->stride, NULL)) return EXIT_USAGE;
    if (cc->arg[ARG_DILATION] && axis_list(cc, ARG_DILATION, ns, d->dilation, NULL))
        return EXIT_USAGE;
    if (cc->arg[ARG_OUTPUT_PADDING] &&
        axis_list(cc, ARG_OUTPUT_PADDING, ns, d->output_padding, NULL))
        return EXIT_USAGE;
    const char *pad = cc->arg[ARG_PADDING];
    if (pad && strcmp(pad, "same") == 0) d->pad_same = 1;
    else if (pad && axis_list(cc, ARG_PADDING, ns, d->pad_lo, d->pad_hi)) return EXIT_USAGE;
    return 0;
}

/* A shape option (--input-shape, --weight-shape), which must have `rank`
 * entries. */
static int shape_arg(const conv_cmd *cc, int which, int rank, int64_t *shape)
{
    int n = parse_list(cc->arg[which], WINSUM_MAX_DIMS, shape, NULL);
    if (n != rank)
        return report(EXIT_USAGE, cc->who, "%s has %d entries but must have %d (the rank of %s)",
                      conv_arg_name[which], n, rank,
                      which == ARG_INPUT_SHAPE ? "--grad-output" : "--input");
    return 0;
}

/* y = conv(x, w) + bias */
static int conv_forward(conv_cmd *cc)
{
    job j = {.who = cc->who};
    ws_npy *x = NULL, *w = NULL, *b = NULL;
    winsum_view xv, wv, bv, yv;
    winsum_conv_desc d;
    int64_t ys[WINSUM_MAX_DIMS];
    char msg[1024] = "";
    int rc = load(&j, cc->arg[ARG_INPUT], &x);
    if (!rc) rc = load(&j, cc->arg[ARG_WEIGHT], &w);
    if (!rc && cc->arg[ARG_BIAS]) rc = load(&j, cc->arg[ARG_BIAS], &b);
    if (!rc) rc = job_unify(&j);
    if (!rc) rc = conv_desc(cc, x->ndim, &d);
    if (!rc) rc = same_rank(cc->who, "the weight", w, x->ndim);
    if (!rc)
        rc = shape_check(
            cc->who, winsum_conv_output_shape(&d, x->ndim, x->shape, w->shape, ys, msg, sizeof msg),
            msg);
    if (!rc) rc = job_context(&j, &cc->c);
    if (!rc) rc = job_upload(&j, x, &xv);
    if (!rc) rc = job_upload(&j, w, &wv);
    if (!rc && b) rc = job_upload(&j, b, &bv);
    if (!rc) rc = job_output(&j, x->ndim, ys, &yv);
    if (!rc)
        rc = job_check(&j, winsum_conv_forward(j.ctx, &d, &xv, &wv, b ? &bv : NULL, &yv, 1.0, 0.0));
    if (!rc) rc = job_save(&j, &yv, cc->c.output);
    job_free(&j);
    return rc;
}

/* The backward passes with two inputs and an output whose shape is an
 * option: out = fn(a, b), a from --ARG_A, b from --ARG_B (b_name in errors),
 * the output's shape from --ARG_SHAPE. */
typedef winsum_status (*conv_fn)(winsum_context *, const winsum_conv_desc *, const winsum_view *,
                                 const winsum_view *, const winsum_view *, double, double);

static int conv_two_inputs(conv_cmd *cc, int arg_a, int arg_b, const char *b_name, int arg_shape,
                           conv_fn fn)
{
    job j = {.who = cc->who};
    ws_npy *a = NULL, *b = NULL;
    winsum_view av, bv, ov;
    winsum_conv_desc d;
    int64_t os[WINSUM_MAX_DIMS];
    int rc = load(&j, cc->arg[arg_a], &a);
    if (!rc) rc = load(&j, cc->arg[arg_b], &b);
    if (!rc) rc = job_unify(&j);
    if (!rc) rc = conv_desc(cc, a->ndim, &d);
    if (!rc) rc = same_rank(cc->who, b_name, b, a->ndim);
    if (!rc) rc = shape_arg(cc, arg_shape, a->ndim, os);
    if (!rc) rc = job_context(&j, &cc->c);
    if (!rc) rc = job_upload(&j, a, &av);
    if (!rc) rc = job_upload(&j, b, &bv);
    if (!rc) rc = job_output(&j, a->ndim, os, &ov);
    if (!rc) rc = job_check(&j, fn(j.ctx, &d, &av, &bv, &ov, 1.0, 0.0));
    if (!rc) rc = job_save(&j, &ov, cc->c.output);
    job_free(&j);
    return rc;
}

/* gx = d(loss)/dx from gy and w; the shape of x is --input-shape */
static int conv_backward_data(conv_cmd *cc)
{
    return conv_two_inputs(cc, ARG_GRAD_OUTPUT, ARG_WEIGHT, "the weight", ARG_INPUT_SHAPE,
                           winsum_conv_backward_data);
}

/* gw = d(loss)/dw from x and gy; the shape of w is --weight-shape */
static int conv_backward_weight(conv_cmd *cc)
{
    return conv_two_inputs(cc, ARG_INPUT, ARG_GRAD_OUTPUT, "the output gradient", ARG_WEIGHT_SHAPE,
                           winsum_conv_backward_weight);
}

/* gb = gy summed over batch and space: shape (O,), O = gy's channel axis */
static int conv_backward_bias(conv_cmd *cc)
{
    job j = {.who = cc->who};
    ws_npy *gy = NULL;
    winsum_view gyv, gbv;
    winsum_conv_desc d = {0};
    int64_t gbs[1];
    int rc = load(&j, cc->arg[ARG_GRAD_OUTPUT], &gy);
    if (!rc) rc = job_unify(&j);
    if (!rc) rc = conv_desc(cc, gy->ndim, &d);
    if (!rc) {
        gbs[0] = gy->shape[d.layout == WINSUM_LAYOUT_NHWC ? gy->ndim - 1 : 1];
        rc = job_context(&j, &cc->c);
    }
    if (!rc) rc = job_upload(&j, gy, &gyv);
    if (!rc) rc = job_output(&j, 1, gbs, &gbv);
    if (!rc) rc = job_check(&j, winsum_conv_backward_bias(j.ctx, &d, &gyv, &gbv, 1.0, 0.0));
    if (!rc) rc = job_save(&j, &gbv, cc->c.output);
    job_free(&j);
    return rc;
}

/* y = conv_transpose(x, w), its size picked by --output-padding */
static int conv_transpose(conv_cmd *cc)
{
    job j = {.who = cc->who};
    ws_npy *x = NULL, *w = NULL;
    winsum_view xv, wv, yv;
    winsum_conv_desc d;
    int64_t ys[WINSUM_MAX_DIMS];
    char msg[1024] = "";
    int rc = load(&j, cc->arg[ARG_INPUT], &x);
    if (!rc) rc = load(&j, cc->arg[ARG_WEIGHT], &w);
    if (!rc) rc = job_unify(&j);
    if (!rc) rc = conv_desc(cc, x->ndim, &d);
    if (!rc) rc = same_rank(cc->who, "the weight", w, x->ndim);
    if (!rc)
        rc = shape_check(cc->who,
                         winsum_conv_transpose_output_shape(&d, x->ndim, x->shape, w->shape, ys,
                                                            msg, sizeof msg),
                         msg);
    if (!rc) rc = job_context(&j, &cc->c);
    if (!rc) rc = job_upload(&j, x, &xv);
    if (!rc) rc = job_upload(&j, w, &wv);
    if (!rc) rc = job_output(&j, x->ndim, ys, &yv);
    if (!rc) rc = job_check(&j, winsum_conv_transpose(j.ctx, &d, &xv, &wv, &yv, 1.0, 0.0));
    if (!rc) rc = job_save(&j, &yv, cc->c.output);
    job_free(&j);
    return rc;
}

#define CONV_TAIL "\nOPTIONS:\n" CONV_OPTIONS_HELP "\n" COMMON_HELP ARRAYS_HELP

static const char conv_forward_help[] =
    "Usage: winsum conv forward --input X.npy --weight W.npy [--bias B.npy] [OPTIONS] -o Y.npy\n"
    "Y = conv(X, W) + B (a cross-correlation, as in PyTorch and TensorFlow).\n"
    "X: (N, C, spatial...) (nchw) or (N, spatial..., C) (nhwc); W: (O, C/G, k...);\n"
    "B: (O,), optional; Y: (N, O, out...) in X's layout.\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv forward --input x.npy --weight w.npy --bias b.npy --stride 2 --padding 1 -o "
    "y.npy\n" ENV_ALL;

static const char conv_backward_data_help[] =
    "Usage: winsum conv backward-data --grad-output GY.npy --weight W.npy --input-shape N,C,H,W\n"
    "                                 [OPTIONS] -o GX.npy\n"
    "GX = d(loss)/dX of the forward convolution, given GY = d(loss)/dY and W.\n"
    "--input-shape is X's shape (the output's), in the layout's order: strides > 1\n"
    "leave it ambiguous otherwise. W: (O, C/G, k...).\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv backward-data --grad-output gy.npy --weight w.npy --input-shape 8,64,56,56 \\\n"
    "      --padding 1 -o gx.npy\n" ENV_ALL;

static const char conv_backward_weight_help[] =
    "Usage: winsum conv backward-weight --input X.npy --grad-output GY.npy\n"
    "                                   --weight-shape O,C/G,KH,KW [OPTIONS] -o GW.npy\n"
    "GW = d(loss)/dW of the forward convolution, given X and GY = d(loss)/dY, summed\n"
    "over the batch. --weight-shape is (O, C/G, k...) in every layout, also NHWC.\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv backward-weight --input x.npy --grad-output gy.npy --weight-shape 64,64,3,3 \\\n"
    "      --padding 1 -o gw.npy\n" ENV_ALL;

static const char conv_backward_bias_help[] =
    "Usage: winsum conv backward-bias --grad-output GY.npy [OPTIONS] -o GB.npy\n"
    "GB = d(loss)/dB: GY summed over the batch and the spatial axes, shape (O,).\n"
    "Of the OPTIONS only --layout matters (it says where the channel axis is).\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv backward-bias --grad-output gy.npy --layout nhwc -o gb.npy\n" ENV_ALL;

static const char conv_transpose_help[] =
    "Usage: winsum conv transpose --input X.npy --weight W.npy [OPTIONS]\n"
    "                             [--output-padding P[,P..]] -o Y.npy\n"
    "Y = conv_transpose(X, W) (PyTorch's ConvTranspose): the backward-data of the\n"
    "convolution the OPTIONS describe. X has that convolution's output channels,\n"
    "W is (C_in, C_out/G, k...) = (X's channels, Y's channels / G, k...).\n"
    "--output-padding P[,P..] adds P (< stride or dilation) to the output's size at the\n"
    "high end of each axis; --padding same is refused (give explicit padding).\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv transpose --input y.npy --weight w.npy --stride 2 --output-padding 1 -o "
    "x.npy\n" ENV_ALL;

/* The conv subcommands: which options each needs and allows. */
static const struct conv_spec {
    const char *name;
    unsigned need, allow;
    int (*run)(conv_cmd *);
    const char *help;
} conv_specs[] = {
    {"forward", BIT(ARG_INPUT) | BIT(ARG_WEIGHT), BIT(ARG_BIAS) | GEOMETRY, conv_forward,
     conv_forward_help},
    {"backward-data", BIT(ARG_GRAD_OUTPUT) | BIT(ARG_WEIGHT) | BIT(ARG_INPUT_SHAPE), GEOMETRY,
     conv_backward_data, conv_backward_data_help},
    {"backward-weight", BIT(ARG_INPUT) | BIT(ARG_GRAD_OUTPUT) | BIT(ARG_WEIGHT_SHAPE), GEOMETRY,
     conv_backward_weight, conv_backward_weight_help},
    {"backward-bias", BIT(ARG_GRAD_OUTPUT), GEOMETRY, conv_backward_bias, conv_backward_bias_help},
    {"transpose", BIT(ARG_INPUT) | BIT(ARG_WEIGHT), GEOMETRY | BIT(ARG_OUTPUT_PADDING),
     conv_transpose, conv_transpose_help},
};

static int cmd_conv(int argc, char **argv)
{
    const char *who = "winsum conv";
    if (argc < 1) return report(EXIT_USAGE, who, "missing subcommand (see winsum conv --help)");
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) return help(conv_help);
    const struct conv_spec *spec = NULL;
    for (size_t i = 0; i < sizeof conv_specs / sizeof conv_specs[0]; i++)
        if (strcmp(argv[0], conv_specs[i].name) == 0) spec = &conv_specs[i];
    if (!spec)
        return report(EXIT_USAGE, who,
                      "unknown subcommand '%s' (forward, backward-data, backward-weight, "
                      "backward-bias, transpose; see winsum conv --help)",
                      argv[0]);

    conv_cmd cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.who, sizeof cc.who, "winsum conv %s", spec->name);
    ws_opt opts[4 + NARG + 1] = {COMMON_OPTIONS(cc.c)};
    int nopt = 4;
    for (int k = 0; k < NARG; k++)
        if ((spec->need | spec->allow) & BIT(k))
            opts[nopt++] = (ws_opt){conv_arg_name[k], WS_OPT_STRING, &cc.arg[k], 0, 0};
    opts[nopt] = (ws_opt)OPTS_END;
    ws_args a;
    if (ws_args_parse(cc.who, argc - 1, argv + 1, opts, &a)) return EXIT_USAGE;
    if (a.help) return help(spec->help);
    if (a.npos) return report(EXIT_USAGE, cc.who, "unexpected argument '%s'", a.pos[0]);
    for (int k = 0; k < NARG; k++)
        if ((spec->need & BIT(k)) && !cc.arg[k])
            return report(EXIT_USAGE, cc.who, "missing %s", conv_arg_name[k]);
    if (!cc.c.output) return report(EXIT_USAGE, cc.who, "missing -o OUT.npy");
    winsum_backend backend = WINSUM_BACKEND_AUTO;
    if (parse_backend(cc.who, cc.c.backend, &backend)) return EXIT_USAGE;
    if (conv_check_syntax(&cc)) return EXIT_USAGE;
    return spec->run(&cc);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    if (argc < 2) return report(EXIT_USAGE, "winsum", "missing command (see winsum --help)");
    const char *cmd = argv[1];
    int n = argc - 2;
    char **rest = argv + 2;
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0)
        return help(usage_text);
    if (strcmp(cmd, "--version") == 0) return cmd_version(0, rest);
    if (strcmp(cmd, "version") == 0) return cmd_version(n, rest);
    if (strcmp(cmd, "devices") == 0) return cmd_devices(n, rest);
    if (strcmp(cmd, "einsum") == 0) return cmd_einsum(n, rest);
    if (strcmp(cmd, "conv") == 0) return cmd_conv(n, rest);
    /* tune gets argv from its command name on, as main() would */
    if (strcmp(cmd, "tune") == 0) return ws_cli_tune(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return report(EXIT_USAGE, "winsum", "the benchmark is a tool of its own: winsum-bench");
    return report(EXIT_USAGE, "winsum", "unknown command '%s' (see winsum --help)", cmd);
}
