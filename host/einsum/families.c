/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * families.c - the table of kernel families and the choice of a family for
 * a step. A family (layer.h: ws_family) is a .cl kernel with its argument
 * list, a predicate saying which steps it can compute, a builder and a
 * describe line; each lives in family_<name>.c. A new family is its .cl
 * file, its family_<name>.c and one line below; a caller that wants it for
 * some shapes (a convolution: a depthwise kernel) passes ws_step_build a
 * list in order of preference, and the first family that accepts the step
 * builds it. A family's step state is its own struct (ws_step.state), and
 * its tunable parameters a ws_tunable_set in its file, listed below.
 */
#include "layer.h"
#include "params.h"
#include <limits.h>
#include <stdio.h>
#include <string.h>

const ws_family *const ws_families[] = {
    &ws_family_gemv, /* before GETT: the steps with N == 1, whose GETT tiles are padding */
    &ws_family_gett,
    &ws_family_unary,
    NULL,
};

/* The families' tunable parameters (params.h), the first being the one
 * winsum_tuning_params reports (GETT's tile). */
static const ws_tunable_set *const tunable_sets[] = {
    &ws_gett_tunables,
    &ws_gemv_tunables,
    NULL,
};

/* given to the runtime when the library is loaded, before any context */
__attribute__((constructor)) static void register_tunables(void)
{
    ws_tunables_register(tunable_sets);
}

winsum_status ws_step_build(winsum_plan *p, ws_step *s, const ws_step_request *r,
                            const ws_family *const *prefer)
{
    for (const ws_family *const *f = prefer ? prefer : ws_families; *f; f++) {
        if (!(*f)->accepts(p, r)) continue;
        s->family = *f;
        memset(s->state, 0, sizeof s->state);
        winsum_status st = (*f)->build(p, s, r);
        if (st) return st;
        size_t len = strlen(p->describe);
        (*f)->describe(s, p->describe + len, sizeof p->describe - len);
        return WINSUM_OK;
    }
    return ws_fail(&p->ctx->err, WINSUM_ERR_UNSUPPORTED,
                   "einsum: no kernel family computes a step of %d inputs", r->ninputs);
}

winsum_status ws_check_int(winsum_context *ctx, int64_t v, const char *what)
{
    if (v < 0 || v > INT_MAX) /* negative: a product that wrapped */
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "einsum: the %s size %lld is outside 0..2^31-1, what a kernel indexes", what,
                       (long long)v);
    return WINSUM_OK;
}

const char *ws_real_opt(winsum_dtype d)
{
    return d == WINSUM_F64 ? " -DWS_FP64" : d == WINSUM_F16 ? " -DWS_FP16" : "";
}

const char *ws_src_name(ws_src s, char *buf)
{
    if (s.kind == SRC_INPUT) sprintf(buf, "op%d", s.index);
    else if (s.kind == SRC_INTER) sprintf(buf, "t%d", s.index);
    else strcpy(buf, "out");
    return buf;
}
