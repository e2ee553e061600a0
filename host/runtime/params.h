/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * params.h - the tile parameters of the GETT kernel as data (params.c):
 * chosen per device at context creation, checked against the kernel's
 * limits and the device's, and set by the tuner (tune/) through
 * ws_params_set. Every change bumps ctx->params_epoch.
 */
#ifndef WINSUM_PARAMS_H
#define WINSUM_PARAMS_H

#include "context.h"

/* Chooses ctx->gett: $WINSUM_GETT, the tuned file, the built-in table, the
 * defaults; what is not used is noted in ctx->tuning_source with why. */
void ws_choose_params(winsum_context *ctx);
/* NULL when p fits the kernel and the device, else why not (into why).
 * Every product is formed in 64 bits. */
const char *ws_params_invalid(const winsum_context *ctx, const ws_gett_params *p, char *why,
                              size_t n);
/* Uses p from now on and names where it came from (winsum_tuning_source). */
void ws_params_set(winsum_context *ctx, const ws_gett_params *p, const char *source);
/* Uses p from now on without naming a source: the tuner's trials. */
void ws_params_use(winsum_context *ctx, const ws_gett_params *p);
/* The tuned-parameter file's name in the cache folder (keyed by device). */
void ws_params_file_name(const winsum_context *ctx, char *buf, size_t len);

#endif
