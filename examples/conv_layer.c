/*
 * conv_layer.c - one convolution layer of a network, forward and backward,
 * as a training step computes it: y = conv(x, w) + bias, then from dL/dy the
 * gradients dL/dx (backward-data), dL/dw (backward-weight) and dL/dbias
 * (backward-bias). 3x3 kernels, stride 1, padding 1 ("same" size), NCHW;
 * the weight is (O, C/G, KH, KW) in every layout. Each result is read back
 * and checked against a direct loop over the same definition.
 *
 *   cc conv_layer.c $(pkg-config --cflags --libs winsum) -lm -o conv_layer
 *
 * It touches no OpenCL object, so it asks winsum.h not to include the
 * OpenCL interop header (winsum_ocl.h, and with it <CL/cl.h>).
 */
#define WINSUM_NO_OPENCL_HEADER
#include <winsum.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { NB = 2, C = 3, O = 4, H = 8, W = 8, KS = 3, PAD = 1 };

static int fail(winsum_context *ctx, const char *what, winsum_status st)
{
    fprintf(stderr, "%s: %s: %s\n", what, winsum_status_string(st), winsum_last_error(ctx));
    return 1;
}

/* input pixel (n, c, h, w), zero in the padding */
static double pixel(const float *x, int n, int c, int h, int w)
{
    if (h < 0 || h >= H || w < 0 || w >= W) return 0;
    return x[((n * C + c) * H + h) * W + w];
}

/* The three gradients and the output, directly from their definitions. */
static void direct(const float *x, const float *w, const float *bias, const float *gy, double *y,
                   double *gx, double *gw, double *gb)
{
    for (int i = 0; i < NB * C * H * W; i++) gx[i] = 0;
    for (int i = 0; i < O * C * KS * KS; i++) gw[i] = 0;
    for (int o = 0; o < O; o++) gb[o] = 0;
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < H; h++)
                for (int v = 0; v < W; v++) {
                    int yi = ((n * O + o) * H + h) * W + v;
                    double s = bias[o];
                    gb[o] += gy[yi];
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < KS; i++)
                            for (int j = 0; j < KS; j++) {
                                int wi = ((o * C + c) * KS + i) * KS + j, hh = h + i - PAD,
                                    vv = v + j - PAD;
                                s += w[wi] * pixel(x, n, c, hh, vv);
                                gw[wi] += gy[yi] * pixel(x, n, c, hh, vv);
                                if (hh >= 0 && hh < H && vv >= 0 && vv < W)
                                    gx[((n * C + c) * H + hh) * W + vv] += gy[yi] * w[wi];
                            }
                    y[yi] = s;
                }
}

static double max_diff(const float *got, const double *want, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++) worst = fmax(worst, fabs(got[i] - want[i]));
    return worst;
}

int main(void)
{
    static float x[NB * C * H * W], w[O * C * KS * KS], bias[O], gy[NB * O * H * W];
    static float y[NB * O * H * W], gx[NB * C * H * W], gw[O * C * KS * KS], gb[O];
    static double ry[NB * O * H * W], rgx[NB * C * H * W], rgw[O * C * KS * KS], rgb[O];
    for (int i = 0; i < NB * C * H * W; i++) x[i] = (float)((i * 37) % 17) / 8 - 1;
    for (int i = 0; i < O * C * KS * KS; i++) w[i] = (float)((i * 11) % 13) / 6 - 1;
    for (int i = 0; i < O; i++) bias[i] = 0.25f * (float)i;
    for (int i = 0; i < NB * O * H * W; i++) gy[i] = (float)((i * 7) % 19) / 9 - 1;
    direct(x, w, bias, gy, ry, rgx, rgw, rgb);

    winsum_context *ctx;
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_AUTO, NULL);
    if (st) return fail(NULL, "winsum_context_create", st);
    printf("device: %s\n", winsum_context_device_name(ctx));

    /* one device buffer per tensor */
    float *host[8] = {x, w, bias, gy, y, gx, gw, gb};
    const size_t bytes[8] = {sizeof x, sizeof w,  sizeof bias, sizeof gy,
                             sizeof y, sizeof gx, sizeof gw,   sizeof gb};
    winsum_buffer buf[8] = {{0}};
    int rc = 1;
#define CHECK(call)                   \
    if ((st = (call)) != WINSUM_OK) { \
        rc = fail(ctx, #call, st);    \
        goto done;                    \
    }
    for (int t = 0; t < 8; t++) {
        CHECK(winsum_buffer_alloc(ctx, bytes[t], &buf[t]));
        if (t < 4) CHECK(winsum_buffer_write(ctx, &buf[t], 0, host[t], bytes[t]));
    }
    const int64_t xs[4] = {NB, C, H, W}, ws[4] = {O, C, KS, KS}, bs[1] = {O}, ys[4] = {NB, O, H, W};
    winsum_view vx = winsum_view_contiguous(&buf[0], WINSUM_F32, 4, xs),
                vw = winsum_view_contiguous(&buf[1], WINSUM_F32, 4, ws),
                vb = winsum_view_contiguous(&buf[2], WINSUM_F32, 1, bs),
                vgy = winsum_view_contiguous(&buf[3], WINSUM_F32, 4, ys),
                vy = winsum_view_contiguous(&buf[4], WINSUM_F32, 4, ys),
                vgx = winsum_view_contiguous(&buf[5], WINSUM_F32, 4, xs),
                vgw = winsum_view_contiguous(&buf[6], WINSUM_F32, 4, ws),
                vgb = winsum_view_contiguous(&buf[7], WINSUM_F32, 1, bs);

    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc); /* stride 1, dilation 1, no padding, groups 1, NCHW */
    for (int d = 0; d < 2; d++) desc.pad_lo[d] = desc.pad_hi[d] = PAD;

    /* y = conv(x, w) + bias; then the gradients (alpha 1, beta 0: overwrite;
     * beta 1 would accumulate into the gradient buffers) */
    CHECK(winsum_conv_forward(ctx, &desc, &vx, &vw, &vb, &vy, 1.0, 0.0));
    CHECK(winsum_conv_backward_data(ctx, &desc, &vgy, &vw, &vgx, 1.0, 0.0));
    CHECK(winsum_conv_backward_weight(ctx, &desc, &vx, &vgy, &vgw, 1.0, 0.0));
    CHECK(winsum_conv_backward_bias(ctx, &desc, &vgy, &vgb, 1.0, 0.0));
    for (int t = 4; t < 8; t++) CHECK(winsum_buffer_read(ctx, &buf[t], 0, host[t], bytes[t]));

    double e[4] = {max_diff(y, ry, NB * O * H * W), max_diff(gx, rgx, NB * C * H * W),
                   max_diff(gw, rgw, O * C * KS * KS), max_diff(gb, rgb, O)};
    printf("largest error: forward %.2g, backward-data %.2g, backward-weight %.2g, "
           "backward-bias %.2g\n",
           e[0], e[1], e[2], e[3]);
    rc = 0;
    for (int i = 0; i < 4; i++) rc |= !(e[i] < 1e-3);
    if (rc) fprintf(stderr, "conv_layer: wrong result\n");
done:
    for (int t = 0; t < 8; t++) winsum_buffer_free(ctx, &buf[t]);
    winsum_context_destroy(ctx);
    return rc;
}
