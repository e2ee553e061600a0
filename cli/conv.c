/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * conv.c - `winsum conv forward|backward-data|backward-weight|backward-bias|
 * transpose`: the options each subcommand needs, the descriptor from them,
 * and each computation over .npy files.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    int n = cli_parse_list(spec, WINSUM_MAX_SPATIAL, l, hi ? h : NULL);
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
        case ARG_OUTPUT_PADDING: bad = cli_parse_list(s, WINSUM_MAX_SPATIAL, l, NULL) < 0; break;
        case ARG_PADDING:
            bad = strcmp(s, "same") != 0 && cli_parse_list(s, WINSUM_MAX_SPATIAL, l, h) < 0;
            break;
        case ARG_GROUPS: bad = cli_parse_list(s, 1, l, NULL) < 0; break;
        case ARG_INPUT_SHAPE:
        case ARG_WEIGHT_SHAPE: bad = cli_parse_list(s, WINSUM_MAX_DIMS, l, NULL) < 0; break;
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
    if (cc->arg[ARG_GROUPS]) cli_parse_list(cc->arg[ARG_GROUPS], 1, &d->groups, NULL);
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
    int n = cli_parse_list(cc->arg[which], WINSUM_MAX_DIMS, shape, NULL);
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

int cmd_conv(int argc, char **argv)
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
