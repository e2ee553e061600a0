/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * network.c - the network suites: every distinct convolution of a network
 * at 224x224, each with the number of times it occurs, run forward,
 * backward-data and backward-weight by winsum and torch at batch 8
 * (--quick: batch 1, one timed call per layer). The report sums count x
 * median over the layers (print_networks in report.c).
 */
#include "bench.h"

#include <string.h>

typedef struct net_layer {
    conv_layer l;
    int count;
} net_layer;

/* ResNet-50 as torchvision builds it (v1.5: a block's stride is on its 3x3
 * convolution), 224x224: conv1, then stages conv2_x..conv5_x of 3, 4, 6, 3
 * bottlenecks (1x1 reduce, 3x3, 1x1 expand; the first block of each stage
 * with a 1x1 projection shortcut, strided from conv3_x on). 23 distinct
 * convolutions, 53 in all. */
static const net_layer resnet50[] = {
    {{"conv1_7x7s2_3to64_224", 3, 64, 224, 7, 2, 3, 1}, 1},
    /* conv2_x at 56x56: 64-64-256, 3 blocks */
    {{"c2_1x1_64to64_56", 64, 64, 56, 1, 1, 0, 1}, 1},
    {{"c2_3x3_64_56", 64, 64, 56, 3, 1, 1, 1}, 3},
    {{"c2_1x1_64to256_56", 64, 256, 56, 1, 1, 0, 1}, 4}, /* 3 expand + the projection */
    {{"c2_1x1_256to64_56", 256, 64, 56, 1, 1, 0, 1}, 2},
    /* conv3_x: 128-128-512, 4 blocks, 56 -> 28 */
    {{"c3_1x1_256to128_56", 256, 128, 56, 1, 1, 0, 1}, 1},
    {{"c3_3x3s2_128_56", 128, 128, 56, 3, 2, 1, 1}, 1},
    {{"c3_proj1x1s2_256to512_56", 256, 512, 56, 1, 2, 0, 1}, 1},
    {{"c3_1x1_128to512_28", 128, 512, 28, 1, 1, 0, 1}, 4},
    {{"c3_1x1_512to128_28", 512, 128, 28, 1, 1, 0, 1}, 3},
    {{"c3_3x3_128_28", 128, 128, 28, 3, 1, 1, 1}, 3},
    /* conv4_x: 256-256-1024, 6 blocks, 28 -> 14 */
    {{"c4_1x1_512to256_28", 512, 256, 28, 1, 1, 0, 1}, 1},
    {{"c4_3x3s2_256_28", 256, 256, 28, 3, 2, 1, 1}, 1},
    {{"c4_proj1x1s2_512to1024_28", 512, 1024, 28, 1, 2, 0, 1}, 1},
    {{"c4_1x1_256to1024_14", 256, 1024, 14, 1, 1, 0, 1}, 6},
    {{"c4_1x1_1024to256_14", 1024, 256, 14, 1, 1, 0, 1}, 5},
    {{"c4_3x3_256_14", 256, 256, 14, 3, 1, 1, 1}, 5},
    /* conv5_x: 512-512-2048, 3 blocks, 14 -> 7 */
    {{"c5_1x1_1024to512_14", 1024, 512, 14, 1, 1, 0, 1}, 1},
    {{"c5_3x3s2_512_14", 512, 512, 14, 3, 2, 1, 1}, 1},
    {{"c5_proj1x1s2_1024to2048_14", 1024, 2048, 14, 1, 2, 0, 1}, 1},
    {{"c5_1x1_512to2048_7", 512, 2048, 7, 1, 1, 0, 1}, 3},
    {{"c5_1x1_2048to512_7", 2048, 512, 7, 1, 1, 0, 1}, 2},
    {{"c5_3x3_512_7", 512, 512, 7, 3, 1, 1, 1}, 2},
};

/* MobileNetV2, width 1.0, 224x224, per table 2 of Sandler et al. (2018):
 * 17 inverted-residual blocks (t, c, n, s) = (1,16,1,1) (6,24,2,2)
 * (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), each a 1x1
 * expansion (none when t = 1), a depthwise 3x3 (stride s on a group's first
 * block) and a 1x1 projection; then the final 1x1 320 -> 1280. The first
 * layer, a full 3x3/2 convolution 3 -> 32, is neither depthwise nor
 * pointwise and is left out. 29 distinct layers, 51 in all (17 depthwise,
 * 34 pointwise). */
static const net_layer mobilenetv2[] = {
    /* depthwise 3x3, pad 1 */
    {{"dw3x3_32_112", 32, 32, 112, 3, 1, 1, 32}, 1},
    {{"dw3x3s2_96_112", 96, 96, 112, 3, 2, 1, 96}, 1},
    {{"dw3x3_144_56", 144, 144, 56, 3, 1, 1, 144}, 1},
    {{"dw3x3s2_144_56", 144, 144, 56, 3, 2, 1, 144}, 1},
    {{"dw3x3_192_28", 192, 192, 28, 3, 1, 1, 192}, 2},
    {{"dw3x3s2_192_28", 192, 192, 28, 3, 2, 1, 192}, 1},
    {{"dw3x3_384_14", 384, 384, 14, 3, 1, 1, 384}, 4},
    {{"dw3x3_576_14", 576, 576, 14, 3, 1, 1, 576}, 2},
    {{"dw3x3s2_576_14", 576, 576, 14, 3, 2, 1, 576}, 1},
    {{"dw3x3_960_7", 960, 960, 7, 3, 1, 1, 960}, 3},
    /* pointwise 1x1: expansions and projections */
    {{"pw_32to16_112", 32, 16, 112, 1, 1, 0, 1}, 1},
    {{"pw_16to96_112", 16, 96, 112, 1, 1, 0, 1}, 1},
    {{"pw_96to24_56", 96, 24, 56, 1, 1, 0, 1}, 1},
    {{"pw_24to144_56", 24, 144, 56, 1, 1, 0, 1}, 2},
    {{"pw_144to24_56", 144, 24, 56, 1, 1, 0, 1}, 1},
    {{"pw_144to32_28", 144, 32, 28, 1, 1, 0, 1}, 1},
    {{"pw_32to192_28", 32, 192, 28, 1, 1, 0, 1}, 3},
    {{"pw_192to32_28", 192, 32, 28, 1, 1, 0, 1}, 2},
    {{"pw_192to64_14", 192, 64, 14, 1, 1, 0, 1}, 1},
    {{"pw_64to384_14", 64, 384, 14, 1, 1, 0, 1}, 4},
    {{"pw_384to64_14", 384, 64, 14, 1, 1, 0, 1}, 3},
    {{"pw_384to96_14", 384, 96, 14, 1, 1, 0, 1}, 1},
    {{"pw_96to576_14", 96, 576, 14, 1, 1, 0, 1}, 3},
    {{"pw_576to96_14", 576, 96, 14, 1, 1, 0, 1}, 2},
    {{"pw_576to160_7", 576, 160, 7, 1, 1, 0, 1}, 1},
    {{"pw_160to960_7", 160, 960, 7, 1, 1, 0, 1}, 3},
    {{"pw_960to160_7", 960, 160, 7, 1, 1, 0, 1}, 2},
    {{"pw_960to320_7", 960, 320, 7, 1, 1, 0, 1}, 1},
    {{"pw_320to1280_7", 320, 1280, 7, 1, 1, 0, 1}, 1},
};

void suite_network(bench *b, const char *name)
{
    static const int ops[] = {OP_FWD, OP_BWD_DATA, OP_BWD_WEIGHT};
    const net_layer *layers = resnet50;
    int nlayers = (int)(sizeof resnet50 / sizeof resnet50[0]);
    if (!strcmp(name, "mobilenetv2")) {
        layers = mobilenetv2;
        nlayers = (int)(sizeof mobilenetv2 / sizeof mobilenetv2[0]);
    }
    int64_t n = b->quick ? 1 : 8;
    int total = 0;
    for (int i = 0; i < nlayers; i++) total += layers[i].count;
    progress(b, "%s: %d distinct convolutions, %d in all, batch %lld\n", name, nlayers, total,
             (long long)n);
    for (int i = 0; i < nlayers; i++)
        conv_layer_bench(b, name, &layers[i].l, ops, 3, n, layers[i].count);
    bench_note(
        b,
        "%s: %d distinct convolutions (%d in all) at batch %lld, %d timed call%s per op; each "
        "op checked once vs the reference on a batch-1 variant of at most %.0f MFLOP (spatial "
        "size cut); torch unchecked",
        name, nlayers, total, (long long)n, b->quick ? 1 : b->reps, b->quick ? "" : "s",
        CHECK_MAX_FLOPS / 1e6);
}
