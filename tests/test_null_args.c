/*
 * test_null_args.c - every function of include/winsum.h with NULL for each
 * pointer argument, in turn: it must either do what the header documents
 * for NULL or return WINSUM_ERR_ARGUMENT; never crash. Where a context is
 * given, the refusal must leave a message in it (winsum_last_error), not the
 * previous error's. Runs on the reference backend and, when there is one, on
 * an OpenCL device.
 */
#include "testutil.h"
#include <stdlib.h>
#include <string.h>

/* A known error in ctx, so that a later refusal is seen to write its own. */
static char stale[4096];
static void prime(winsum_context *ctx)
{
    winsum_buffer b;
    char byte[8];
    CHECK_STATUS(winsum_buffer_alloc(ctx, 4, &b), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_read(ctx, &b, 0, byte, 8), WINSUM_ERR_BOUNDS);
    winsum_buffer_free(ctx, &b);
    snprintf(stale, sizeof stale, "%s", winsum_last_error(ctx));
    CHECK(stale[0] != 0);
}

/* st must be WINSUM_ERR_ARGUMENT with a fresh message in ctx (if any) */
static void refused(winsum_context *ctx, winsum_status st, const char *call)
{
    CHECK_MSG(st == WINSUM_ERR_ARGUMENT, "%s: got %s, expected WINSUM_ERR_ARGUMENT", call,
              winsum_status_string(st));
    if (!ctx) return;
    const char *m = winsum_last_error(ctx);
    CHECK_MSG(m && m[0] && strcmp(m, stale) != 0, "%s: no message of its own (\"%s\")", call,
              m ? m : "(null)");
    if (m && m[0] && strcmp(m, stale) != 0) printf("  %-34s %s\n", call, m);
}

#define REFUSED(ctx, expr)           \
    do {                             \
        if (ctx) prime(ctx);         \
        refused(ctx, (expr), #expr); \
    } while (0)

static void context_free_functions(void)
{
    /* no context at all */
    CHECK(winsum_status_string((winsum_status)-1) != NULL);
    CHECK(winsum_version_string() != NULL && winsum_version_number() > 0);
    CHECK(winsum_dtype_size((winsum_dtype)7) == 0);
    winsum_buffer hb = winsum_buffer_host(NULL, 0), db = winsum_buffer_device(NULL, 0);
    CHECK(hb.host == NULL && db.mem == NULL);
    /* a NULL shape or strides gives a view that every call refuses */
    winsum_view v = winsum_view_contiguous(NULL, WINSUM_F32, 2, NULL);
    CHECK(v.ndim == -1);
    int64_t shape[2] = {2, 3}, strides[2] = {3, 1};
    v = winsum_view_strided(NULL, WINSUM_F32, 0, 2, NULL, strides);
    CHECK(v.ndim == -1);
    v = winsum_view_strided(NULL, WINSUM_F32, 0, 2, shape, NULL);
    CHECK(v.ndim == -1);
    char msg[256];
    CHECK_STATUS(winsum_view_check(&v, "v", 0, msg, sizeof msg), WINSUM_ERR_ARGUMENT);
    v = winsum_view_strided(NULL, WINSUM_F32, 0, 0, NULL, NULL); /* a scalar needs neither */
    CHECK(v.ndim == 0);
    /* view checks */
    float data[6];
    winsum_buffer b = winsum_buffer_host(data, sizeof data);
    v = winsum_view_contiguous(&b, WINSUM_F32, 2, shape);
    CHECK_STATUS(winsum_view_check(NULL, "v", 0, msg, sizeof msg), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_check(&v, NULL, 0, NULL, 0), WINSUM_OK);
    winsum_view nb = v;
    nb.buffer = NULL;
    CHECK_STATUS(winsum_view_check(&nb, NULL, 1, NULL, 0), WINSUM_ERR_ARGUMENT);
    /* window views: each pointer */
    int ax[1] = {1};
    int64_t one[1] = {1}, zero[1] = {0};
    winsum_view w;
    const int *axp = ax;
    const int64_t *k = one, *s = one, *d = one, *lo = zero, *hi = zero;
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, s, d, lo, hi, &w, NULL, 0), WINSUM_OK);
    CHECK_STATUS(winsum_view_window(NULL, 1, axp, k, s, d, lo, hi, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, NULL, k, s, d, lo, hi, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, NULL, s, d, lo, hi, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, NULL, d, lo, hi, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, s, NULL, lo, hi, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, s, d, NULL, hi, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, s, d, lo, NULL, &w, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, s, d, lo, hi, NULL, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_view_window(&v, 1, axp, k, s, d, lo, hi, &w, NULL, 0), WINSUM_OK);
    /* devices */
    int n = winsum_device_count();
    CHECK(n >= 0);
    winsum_status st = winsum_device_info(0, NULL, 0, NULL);
    CHECK(st == (n > 0 ? WINSUM_OK : WINSUM_ERR_NO_DEVICE));
    CHECK(winsum_program_builds() >= 0);
    /* context creation */
    CHECK_STATUS(winsum_context_create(NULL, WINSUM_BACKEND_REF, NULL), WINSUM_ERR_ARGUMENT);
    CHECK(winsum_last_error(NULL)[0] != 0);
    winsum_context *c = (winsum_context *)&data; /* must be overwritten with NULL */
    CHECK_STATUS(winsum_context_create_cl(&c, NULL, NULL), WINSUM_ERR_ARGUMENT);
    CHECK(c == NULL);
    CHECK_STATUS(winsum_context_create_cl(NULL, NULL, NULL), WINSUM_ERR_ARGUMENT);
    winsum_context_destroy(NULL);
    /* the context's getters with NULL: documented values */
    CHECK(winsum_context_backend(NULL) == WINSUM_BACKEND_AUTO);
    CHECK(winsum_context_device_name(NULL) != NULL && winsum_context_device_name(NULL)[0] == 0);
    CHECK(winsum_context_cl(NULL) == NULL);
    CHECK(winsum_context_queue(NULL) == NULL);
    CHECK(winsum_context_has_dtype(NULL, WINSUM_F32) == 0);
    CHECK_STATUS(winsum_finish(NULL), WINSUM_ERR_ARGUMENT);
    cl_event ev = NULL;
    CHECK_STATUS(winsum_last_event(NULL, &ev), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_last_event(NULL, NULL), WINSUM_ERR_ARGUMENT);
    size_t cur = 7, peak = 7;
    winsum_memory_usage(NULL, &cur, &peak);
    CHECK(cur == 0 && peak == 0);
    winsum_memory_usage(NULL, NULL, NULL);
    winsum_memory_reset_peak(NULL);
    CHECK(winsum_tuning_source(NULL) != NULL && winsum_tuning_params(NULL) != NULL);
    CHECK(winsum_conv_last_impl(NULL) != NULL && !winsum_conv_last_impl(NULL)[0]);
    CHECK_STATUS(winsum_tune(NULL, 1, 1, NULL, NULL), WINSUM_ERR_ARGUMENT);
    /* buffers */
    winsum_buffer ab;
    CHECK_STATUS(winsum_buffer_alloc(NULL, 16, &ab), WINSUM_ERR_ARGUMENT);
    winsum_buffer_free(NULL, &ab);
    winsum_buffer_free(NULL, NULL);
    CHECK_STATUS(winsum_buffer_write(NULL, &b, 0, data, 4), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_buffer_read(NULL, &b, 0, data, 4), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_buffer_map_host(NULL, data, 4, &ab), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_buffer_unmap_host(NULL, &ab, 1), WINSUM_ERR_ARGUMENT);
    /* fault injection: no pointers; out-of-range kinds are ignored */
    winsum_fault_inject((winsum_fault)-1, 1);
    CHECK(winsum_fault_count((winsum_fault)99) == 0);
    /* plans and einsum without a context */
    winsum_plan *p = (winsum_plan *)&data;
    winsum_view o = winsum_view_contiguous(&b, WINSUM_F32, 0, NULL);
    CHECK_STATUS(winsum_plan_create(NULL, &p, "ij->", 1, &v, &o), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_plan_execute(NULL, NULL, NULL, 1, 0, NULL), WINSUM_ERR_ARGUMENT);
    winsum_plan_destroy(NULL);
    CHECK(winsum_plan_describe(NULL) != NULL);
    CHECK_STATUS(winsum_einsum(NULL, "ij->", 1, &v, &o, 1, 0), WINSUM_ERR_ARGUMENT);
    int ndim;
    int64_t oshape[WINSUM_MAX_DIMS];
    CHECK_STATUS(winsum_einsum_output_shape(NULL, "ij->", 1, &v, &ndim, oshape),
                 WINSUM_ERR_ARGUMENT);
    /* convolution helpers */
    winsum_conv_desc_init(NULL);
    winsum_conv_desc cd;
    winsum_conv_desc_init(&cd);
    int64_t xs[4] = {1, 2, 5, 5}, ws[4] = {3, 2, 3, 3}, ys[4];
    CHECK_STATUS(winsum_conv_output_shape(&cd, 4, xs, ws, ys, NULL, 0), WINSUM_OK);
    CHECK_STATUS(winsum_conv_output_shape(NULL, 4, xs, ws, ys, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_output_shape(&cd, 4, NULL, ws, ys, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_output_shape(&cd, 4, xs, NULL, ys, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_output_shape(&cd, 4, xs, ws, NULL, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    int64_t txs[4] = {1, 3, 3, 3};
    CHECK_STATUS(winsum_conv_transpose_output_shape(&cd, 4, txs, ws, ys, NULL, 0), WINSUM_OK);
    CHECK_STATUS(winsum_conv_transpose_output_shape(NULL, 4, txs, ws, ys, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_transpose_output_shape(&cd, 4, NULL, ws, ys, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_transpose_output_shape(&cd, 4, txs, NULL, ys, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_transpose_output_shape(&cd, 4, txs, ws, NULL, msg, sizeof msg),
                 WINSUM_ERR_ARGUMENT);
    winsum_view cv = winsum_view_contiguous(&b, WINSUM_F32, 4, xs);
    CHECK_STATUS(winsum_conv_forward(NULL, &cd, &cv, &cv, NULL, &cv, 1, 0), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_backward_data(NULL, &cd, &cv, &cv, &cv, 1, 0), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_backward_weight(NULL, &cd, &cv, &cv, &cv, 1, 0), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_backward_bias(NULL, &cd, &cv, &cv, 1, 0), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_conv_transpose(NULL, &cd, &cv, &cv, &cv, 1, 0), WINSUM_ERR_ARGUMENT);
}

static void with_context(winsum_context *ctx)
{
    printf("%s\n", winsum_context_device_name(ctx));
    /* getters */
    CHECK(winsum_last_error(ctx) != NULL);
    CHECK(winsum_tuning_source(ctx) != NULL && winsum_tuning_params(ctx) != NULL);
    winsum_memory_usage(ctx, NULL, NULL);
    size_t cur;
    winsum_memory_usage(ctx, &cur, NULL);
    /* buffers */
    REFUSED(ctx, winsum_buffer_alloc(ctx, 16, NULL));
    winsum_buffer_free(ctx, NULL);
    winsum_buffer b;
    CHECK_STATUS(winsum_buffer_alloc(ctx, 24 * 4, &b), WINSUM_OK);
    float data[24];
    for (int i = 0; i < 24; i++) data[i] = (float)i;
    REFUSED(ctx, winsum_buffer_write(ctx, NULL, 0, data, 4));
    REFUSED(ctx, winsum_buffer_write(ctx, &b, 0, NULL, 4));
    REFUSED(ctx, winsum_buffer_read(ctx, NULL, 0, data, 4));
    REFUSED(ctx, winsum_buffer_read(ctx, &b, 0, NULL, 4));
    CHECK_STATUS(winsum_buffer_write(ctx, &b, 0, NULL, 0), WINSUM_OK); /* nothing to copy */
    CHECK_STATUS(winsum_buffer_write(ctx, &b, 0, data, sizeof data), WINSUM_OK);
    /* a buffer struct whose memory pointer is NULL */
    winsum_buffer nh = winsum_buffer_host(NULL, 16), nd = winsum_buffer_device(NULL, 16);
    REFUSED(ctx, winsum_buffer_write(ctx, &nh, 0, data, 4));
    REFUSED(ctx, winsum_buffer_read(ctx, &nh, 0, data, 4));
    REFUSED(ctx, winsum_buffer_write(ctx, &nd, 0, data, 4));
    REFUSED(ctx, winsum_buffer_read(ctx, &nd, 0, data, 4));
    /* host memory mapped in place: NULL memory, no bytes, no buffer */
    winsum_buffer mb;
    REFUSED(ctx, winsum_buffer_map_host(ctx, NULL, 16, &mb));
    REFUSED(ctx, winsum_buffer_map_host(ctx, data, 0, &mb));
    REFUSED(ctx, winsum_buffer_map_host(ctx, data, 16, NULL));
    REFUSED(ctx, winsum_buffer_unmap_host(ctx, NULL, 1));
    REFUSED(ctx, winsum_buffer_unmap_host(ctx, &nd, 1));
    winsum_status mst = winsum_buffer_map_host(ctx, data, sizeof data, &mb);
    CHECK(mst == WINSUM_OK || mst == WINSUM_ERR_UNSUPPORTED);
    if (mst == WINSUM_OK) CHECK_STATUS(winsum_buffer_unmap_host(ctx, &mb, 1), WINSUM_OK);
    /* plans */
    int64_t shape[2] = {4, 6}, oshape1[1] = {4};
    winsum_buffer ob;
    CHECK_STATUS(winsum_buffer_alloc(ctx, 4 * 4, &ob), WINSUM_OK);
    winsum_view v = winsum_view_contiguous(&b, WINSUM_F32, 2, shape),
                o = winsum_view_contiguous(&ob, WINSUM_F32, 1, oshape1);
    winsum_plan *p = NULL;
    REFUSED(ctx, winsum_plan_create(ctx, NULL, "ij->i", 1, &v, &o));
    REFUSED(ctx, winsum_plan_create(ctx, &p, NULL, 1, &v, &o));
    CHECK(p == NULL);
    REFUSED(ctx, winsum_plan_create(ctx, &p, "ij->i", 1, NULL, &o));
    REFUSED(ctx, winsum_plan_create(ctx, &p, "ij->i", 1, &v, NULL));
    winsum_view nv = v;
    nv.buffer = NULL;
    REFUSED(ctx, winsum_plan_create(ctx, &p, "ij->i", 1, &nv, &o));
    winsum_view bad = winsum_view_contiguous(&b, WINSUM_F32, 2, NULL);
    REFUSED(ctx, winsum_plan_create(ctx, &p, "ij->i", 1, &bad, &o));
    CHECK(p == NULL);
    CHECK_STATUS(winsum_plan_create(ctx, &p, "ij->i", 1, &v, &o), WINSUM_OK);
    /* inputs, an input entry, output and event may all be NULL */
    const winsum_buffer *ins[1] = {NULL};
    CHECK_STATUS(winsum_plan_execute(p, NULL, NULL, 1, 0, NULL), WINSUM_OK);
    CHECK_STATUS(winsum_plan_execute(p, ins, NULL, 1, 0, NULL), WINSUM_OK);
    const winsum_buffer *nhs[1] = {&nh};
    REFUSED(ctx, winsum_plan_execute(p, nhs, NULL, 1, 0, NULL));
    REFUSED(ctx, winsum_plan_execute(p, NULL, &nh, 1, 0, NULL));
    float out[4];
    CHECK_STATUS(winsum_buffer_read(ctx, &ob, 0, out, sizeof out), WINSUM_OK);
    CHECK(out[0] == 15 && out[3] == 18 * 6 + 15);
    CHECK(winsum_plan_describe(p)[0] != 0);
    winsum_plan_destroy(p);
    /* the last call's event: only the pointer to receive it is needed */
    REFUSED(ctx, winsum_last_event(ctx, NULL));
    cl_event ev = NULL;
    CHECK_STATUS(winsum_last_event(ctx, &ev), WINSUM_OK);
    if (ev) clReleaseEvent(ev);
    /* einsum */
    REFUSED(ctx, winsum_einsum(ctx, NULL, 1, &v, &o, 1, 0));
    REFUSED(ctx, winsum_einsum(ctx, "ij->i", 1, NULL, &o, 1, 0));
    REFUSED(ctx, winsum_einsum(ctx, "ij->i", 1, &v, NULL, 1, 0));
    REFUSED(ctx, winsum_einsum(ctx, "ij->i", 1, &nv, &o, 1, 0));
    winsum_view no = o;
    no.buffer = NULL;
    REFUSED(ctx, winsum_einsum(ctx, "ij->i", 1, &v, &no, 1, 0));
    int ndim;
    int64_t os[WINSUM_MAX_DIMS];
    REFUSED(ctx, winsum_einsum_output_shape(ctx, NULL, 1, &v, &ndim, os));
    REFUSED(ctx, winsum_einsum_output_shape(ctx, "ij->i", 1, NULL, &ndim, os));
    REFUSED(ctx, winsum_einsum_output_shape(ctx, "ij->i", 1, &v, NULL, os));
    REFUSED(ctx, winsum_einsum_output_shape(ctx, "ij->i", 1, &v, &ndim, NULL));
    /* convolutions: desc and every view (bias may be NULL) */
    winsum_conv_desc cd;
    winsum_conv_desc_init(&cd);
    int64_t xs[3] = {1, 1, 6}, wsh[3] = {1, 1, 3}, ysh[3] = {1, 1, 4}, gbs[1] = {1};
    winsum_buffer yb;
    CHECK_STATUS(winsum_buffer_alloc(ctx, 16 * 4, &yb), WINSUM_OK);
    winsum_view x = winsum_view_contiguous(&b, WINSUM_F32, 3, xs),
                w = winsum_view_strided(&b, WINSUM_F32, 6, 3, wsh, (int64_t[]){3, 3, 1}),
                y = winsum_view_contiguous(&yb, WINSUM_F32, 3, ysh),
                gb = winsum_view_strided(&yb, WINSUM_F32, 8, 1, gbs, (int64_t[]){1});
    CHECK_STATUS(winsum_conv_forward(ctx, &cd, &x, &w, NULL, &y, 1, 0), WINSUM_OK);
    REFUSED(ctx, winsum_conv_forward(ctx, NULL, &x, &w, NULL, &y, 1, 0));
    REFUSED(ctx, winsum_conv_forward(ctx, &cd, NULL, &w, NULL, &y, 1, 0));
    REFUSED(ctx, winsum_conv_forward(ctx, &cd, &x, NULL, NULL, &y, 1, 0));
    REFUSED(ctx, winsum_conv_forward(ctx, &cd, &x, &w, NULL, NULL, 1, 0));
    winsum_view xn = x;
    xn.buffer = NULL;
    REFUSED(ctx, winsum_conv_forward(ctx, &cd, &xn, &w, NULL, &y, 1, 0));
    REFUSED(ctx, winsum_conv_backward_data(ctx, NULL, &y, &w, &x, 1, 0));
    REFUSED(ctx, winsum_conv_backward_data(ctx, &cd, NULL, &w, &x, 1, 0));
    REFUSED(ctx, winsum_conv_backward_data(ctx, &cd, &y, NULL, &x, 1, 0));
    REFUSED(ctx, winsum_conv_backward_data(ctx, &cd, &y, &w, NULL, 1, 0));
    REFUSED(ctx, winsum_conv_backward_weight(ctx, NULL, &x, &y, &w, 1, 0));
    REFUSED(ctx, winsum_conv_backward_weight(ctx, &cd, NULL, &y, &w, 1, 0));
    REFUSED(ctx, winsum_conv_backward_weight(ctx, &cd, &x, NULL, &w, 1, 0));
    REFUSED(ctx, winsum_conv_backward_weight(ctx, &cd, &x, &y, NULL, 1, 0));
    REFUSED(ctx, winsum_conv_backward_bias(ctx, NULL, &y, &gb, 1, 0));
    REFUSED(ctx, winsum_conv_backward_bias(ctx, &cd, NULL, &gb, 1, 0));
    REFUSED(ctx, winsum_conv_backward_bias(ctx, &cd, &y, NULL, 1, 0));
    REFUSED(ctx, winsum_conv_transpose(ctx, NULL, &y, &w, &x, 1, 0));
    REFUSED(ctx, winsum_conv_transpose(ctx, &cd, NULL, &w, &x, 1, 0));
    REFUSED(ctx, winsum_conv_transpose(ctx, &cd, &y, NULL, &x, 1, 0));
    REFUSED(ctx, winsum_conv_transpose(ctx, &cd, &y, &w, NULL, 1, 0));
    CHECK_STATUS(winsum_finish(ctx), WINSUM_OK);
    winsum_buffer_free(ctx, &yb);
    winsum_buffer_free(ctx, &ob);
    winsum_buffer_free(ctx, &b);
}

int main(void)
{
    context_free_functions();
    winsum_context *ctx;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    with_context(ctx);
    winsum_context_destroy(ctx);
    if (winsum_device_count() > 0) {
        CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
        with_context(ctx);
        winsum_context_destroy(ctx);
    } else {
        printf("no OpenCL device: the reference backend only\n");
    }
    return tu_finish("test_null_args");
}
