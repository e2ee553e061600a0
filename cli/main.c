/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * main.c - `winsum`, the library's command-line tool: einsum contractions and
 * convolutions over .npy files, on an OpenCL device or the reference backend.
 *
 *   winsum devices | version | --help
 *   winsum einsum SUBSCRIPTS A.npy [B.npy ...] -o OUT.npy [--alpha X]
 *   winsum conv forward|backward-data|backward-weight|backward-bias|transpose ...
 *   winsum tune ...                      (tune.c)
 * Its files: main.c (devices, version, einsum, the dispatch), conv.c,
 * tune.c, common.c (reports, arguments, the job), help.c, npy.c; the
 * option grammar, shared with winsum-bench, is tools/common/args.c.
 * The benchmark is a tool of its own, winsum-bench (bench/).
 *
 * The tool uses only the public API (winsum.h) plus the .npy reader and
 * writer of internal.h. Every command reads its inputs, computes fully, reads
 * the result back and only then writes the output file (ws_npy_write renames
 * a finished temporary), so a failure never leaves an output behind. Any
 * failure prints exactly one line on stderr, "winsum CMD: what: why", and
 * exits 1 (bad input, compute error) or 2 (usage error).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
