/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* testutil.h - the tiny test harness every tests/test_*.c uses: CHECK
 * macros that count, a seeded RNG, sentinel-guarded buffers, and the closing
 * line "N passed, N failed" that CTest output shows. */
#ifndef WINSUM_TESTUTIL_H
#define WINSUM_TESTUTIL_H
#include "winsum.h"
#include <stdint.h>
#include <stdio.h>

extern long tu_passed, tu_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) tu_passed++;                                                       \
        else {                                                                       \
            tu_failed++;                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)
#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (cond) tu_passed++;                                                       \
        else {                                                                       \
            tu_failed++;                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fprintf(stderr, "\n");                                                   \
        }                                                                            \
    } while (0)
#define CHECK_STATUS(expr, expected)                                                   \
    do {                                                                               \
        winsum_status st_ = (expr);                                                    \
        CHECK_MSG(st_ == (expected), "got %s, expected %s", winsum_status_string(st_), \
                  winsum_status_string(expected));                                     \
    } while (0)

/* A cl_context of the test's own on the first device of the first platform
 * (the device in *dev), as an application that wraps its own OpenCL objects
 * makes it; NULL when there is no device. */
cl_context tu_own_cl_context(cl_device_id *dev);

/* Prints the context's device and GETT tile parameters; when WINSUM_GETT is
 * set (the GPU-family runs), checks that they are in effect, so that such a
 * run cannot silently test the default family instead. */
void tu_print_tiles(winsum_context *ctx);

/* Prints "N passed, N failed" and returns the exit code for main. */
int tu_finish(const char *name);

/* The set-up of the convolution tests that compare an implementation on
 * OpenCL with the reference: WINSUM_CONV_IMPL unset (the rules are under
 * test, not a preference), a reference context in *ref and an OpenCL one
 * in *cl. 0 when both exist; else a failed check, "no OpenCL device" and
 * the reason printed, *cl NULL (the caller returns tu_finish). */
int tu_conv_contexts(winsum_context **ref, winsum_context **cl);

/* xorshift RNG; tu_seed() reads WINSUM_TEST_SEED or uses the default and
 * prints the seed it uses. */
uint64_t tu_seed(uint64_t fallback);
uint64_t tu_rand(uint64_t *state);
double tu_uniform(uint64_t *state);                        /* [-1, 1) */
int64_t tu_range(uint64_t *state, int64_t lo, int64_t hi); /* [lo, hi] */

/* Max |a-b| / (scale) over n doubles; NaN-aware (NaN vs non-NaN is infinite). */
double tu_max_err(const double *a, const double *b, int64_t n, double scale);

/* A buffer and a view of it, for tests that move doubles in and out. */
typedef struct tu_buf {
    winsum_buffer b;
    winsum_view v;
} tu_buf;
/* n values of h in dt (float16, float32 or float64) into a new buffer of
 * ctx, viewed with shape (and strides, or contiguous when NULL); counts a
 * CHECK for the allocation and the write. */
void tu_put(winsum_context *ctx, const double *h, size_t n, winsum_dtype dt, int rank,
            const int64_t *shape, const int64_t *strides, tu_buf *o);
/* The first n elements of o's buffer, in o's dtype, into h as doubles. */
void tu_get(winsum_context *ctx, tu_buf *o, double *h, size_t n);
/* n (+1 spare) doubles uniform in [-1, 1), malloc'd. */
double *tu_randv(uint64_t *state, size_t n);

/* A convolution layer for tu_check_bwd_weight: ns spatial axes, batch n, c
 * input and o output channels in g groups, and per axis the input size,
 * kernel, stride, dilation and padding; x in every other element of a
 * buffer twice its size when strided; knob[i]: the value of the caller's
 * i-th tuning variable, or NULL (unset). */
#define TU_KNOBS 4
typedef struct tu_wlayer {
    const char *what;
    int ns;
    int64_t n, c, o, g, in[3], k[3], s[3], d[3], lo[3], hi[3];
    winsum_layout layout;
    winsum_dtype dt;
    double alpha, beta;
    int strided;
    const char *knob[TU_KNOBS];
} tu_wlayer;
/* Runs L's backward-weight on CL under WINSUM_CONV_IMPL=env (NULL: unset)
 * with the variables knob[i] (NULL: none) set to L->knob[i], and on REF;
 * checks that the weight gradients agree within the dtype's rounding over
 * the terms each sums, and that CL ran the implementation `want`. */
void tu_check_bwd_weight(winsum_context *CL, winsum_context *REF, uint64_t *rng, const tu_wlayer *L,
                         const char *const knob[TU_KNOBS], const char *env, const char *want);

#endif
