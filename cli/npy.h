/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * npy.h - the .npy reader and writer of the command-line tools (not part of
 * the library): float16/32/64, C or Fortran order, little-endian.
 */
#ifndef WINSUM_NPY_H
#define WINSUM_NPY_H

#include "internal.h"

typedef struct ws_npy {
    winsum_dtype dtype;
    int ndim;
    int64_t shape[WINSUM_MAX_DIMS];
    int64_t strides[WINSUM_MAX_DIMS]; /* elements; Fortran order gives column-major */
    int fortran;
    void *data; /* malloc'd, `bytes` long */
    size_t bytes;
} ws_npy;

/* Reads float32/float64 .npy (format 1.0, 2.0, 3.0; C or Fortran order,
 * little-endian). Anything else is WINSUM_ERR_FORMAT with a message. */
winsum_status ws_npy_read(const char *path, ws_npy *arr, ws_error *e);
void ws_npy_free(ws_npy *arr);
/* Writes a C-ordered array: to path.tmp.PID then rename, so a failure never
 * leaves a partial file at path. */
winsum_status ws_npy_write(const char *path, winsum_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, ws_error *e);

#endif
