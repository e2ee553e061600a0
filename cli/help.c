/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * help.c - the `winsum` tool's help texts: the overview, and each
 * subcommand's own usage, options, example and environment variables (also
 * the source of the manual page, through help2man).
 */
#include "cli.h"

#define ENV_HEAD   "\nenvironment:\n"
#define ENV_DEVICE "  WINSUM_DEVICE      the default device: an index, a name substring, or ref\n"
#define ENV_CACHE                                                                   \
    "  WINSUM_CACHE_DIR   where compiled programs and tuning results are kept\n"    \
    "                     (default ~/.cache/winsum; off: no disk cache)\n"          \
    "  WINSUM_PROGRAM_CACHE  on: keep programs there even where the driver keeps\n" \
    "                     its own (PoCL with its kernel cache on)\n"
#define ENV_GETT \
    "  WINSUM_GETT        tile parameters wgm,wgn,mr,nr,mc,nc,kc,vw (overrides tuning)\n"
#define ENV_KERNEL "  WINSUM_KERNEL_DIR  load kernels/*.cl from this folder (kernel work)\n"
#define ENV_VERBOSE                                                                   \
    "  WINSUM_VERBOSE     1: one line per computing call on stderr, with a command\n" \
    "                     that replays it; 2: each kernel's time too\n"               \
    "  WINSUM_VERBOSE_FILE  append those lines to this file instead of stderr\n"
#define ENV_CONV                                                                           \
    "  WINSUM_CONV_IMPL   pointwise|direct|depthwise|einsum|gemv: the convolution\n"       \
    "                     implementation tried first (WINSUM_VERBOSE=1 names what ran);\n" \
    "                     tuning knobs of each (WINSUM_DIRECT_BLOCK, ...): docs/cli.md\n"
#define ENV_POCL                                                                            \
    "  POCL_AFFINITY      PoCL's workers pinned one to a core; unset, winsum sets 1 when\n" \
    "                     this process may use every CPU (0: PoCL's default)\n"
#define ENV_ALL ENV_HEAD ENV_DEVICE ENV_CACHE ENV_GETT ENV_CONV ENV_KERNEL ENV_VERBOSE ENV_POCL

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

/* The usage lines of the conv subcommands (the overview and conv --help). */
#define CONV_USAGE                                                                                 \
    "  winsum conv forward         --input X.npy --weight W.npy [--bias B.npy] OPTIONS -o Y.npy\n" \
    "  winsum conv backward-data   --grad-output GY.npy --weight W.npy --input-shape N,C,H,W\n"    \
    "                              OPTIONS -o GX.npy\n"                                            \
    "  winsum conv backward-weight --input X.npy --grad-output GY.npy --weight-shape "             \
    "O,C/G,KH,KW\n"                                                                                \
    "                              OPTIONS -o GW.npy\n"                                            \
    "  winsum conv backward-bias   --grad-output GY.npy [OPTIONS] -o GB.npy\n"                     \
    "  winsum conv transpose       --input X.npy --weight W.npy OPTIONS\n"                         \
    "                              [--output-padding P[,P..]] -o Y.npy\n"

const char usage_text[] =
    "Usage: winsum COMMAND [ARGS]\n"
    "Einsum contractions and convolutions over .npy files, on an OpenCL device or\n"
    "the reference backend.\n"
    "\n"
    "Commands:\n"
    "  winsum devices                  list the OpenCL devices and the reference backend\n"
    "  winsum version                  print the version (also: winsum --version)\n"
    "  winsum einsum SUBSCRIPTS A.npy [B.npy ...] -o OUT.npy [--alpha X]\n" CONV_USAGE
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

const char devices_help[] =
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

const char version_help[] =
    "Usage: winsum version   (or winsum --version)\n"
    "Prints \"winsum X.Y.Z\", the version of the library the tool is built with.\n"
    "\n"
    "Example:\n"
    "  winsum version\n";

const char einsum_help[] =
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

const char conv_help[] =
    "Usage: winsum conv SUBCOMMAND ARGS\n"
    "Convolutions over .npy files, 1-D to 3-D, NCHW or NHWC:\n" CONV_USAGE
    "`winsum conv SUBCOMMAND --help` describes each.\n"
    "\n"
    "OPTIONS:\n" CONV_OPTIONS_HELP "\n" COMMON_HELP ARRAYS_HELP "\n"
    "Example:\n"
    "  winsum conv forward --input x.npy --weight w.npy --bias b.npy --stride 2 --padding 1 -o "
    "y.npy\n" ENV_ALL;

#define CONV_TAIL "\nOPTIONS:\n" CONV_OPTIONS_HELP "\n" COMMON_HELP ARRAYS_HELP

const char conv_forward_help[] =
    "Usage: winsum conv forward --input X.npy --weight W.npy [--bias B.npy] [OPTIONS] -o Y.npy\n"
    "Y = conv(X, W) + B (a cross-correlation, as in PyTorch and TensorFlow).\n"
    "X: (N, C, spatial...) (nchw) or (N, spatial..., C) (nhwc); W: (O, C/G, k...);\n"
    "B: (O,), optional; Y: (N, O, out...) in X's layout.\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv forward --input x.npy --weight w.npy --bias b.npy --stride 2 --padding 1 -o "
    "y.npy\n" ENV_ALL;

const char conv_backward_data_help[] =
    "Usage: winsum conv backward-data --grad-output GY.npy --weight W.npy --input-shape N,C,H,W\n"
    "                                 [OPTIONS] -o GX.npy\n"
    "GX = d(loss)/dX of the forward convolution, given GY = d(loss)/dY and W.\n"
    "--input-shape is X's shape (the output's), in the layout's order: strides > 1\n"
    "leave it ambiguous otherwise. W: (O, C/G, k...).\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv backward-data --grad-output gy.npy --weight w.npy --input-shape 8,64,56,56 \\\n"
    "      --padding 1 -o gx.npy\n" ENV_ALL;

const char conv_backward_weight_help[] =
    "Usage: winsum conv backward-weight --input X.npy --grad-output GY.npy\n"
    "                                   --weight-shape O,C/G,KH,KW [OPTIONS] -o GW.npy\n"
    "GW = d(loss)/dW of the forward convolution, given X and GY = d(loss)/dY, summed\n"
    "over the batch. --weight-shape is (O, C/G, k...) in every layout, also NHWC.\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv backward-weight --input x.npy --grad-output gy.npy --weight-shape 64,64,3,3 \\\n"
    "      --padding 1 -o gw.npy\n" ENV_ALL;

const char conv_backward_bias_help[] =
    "Usage: winsum conv backward-bias --grad-output GY.npy [OPTIONS] -o GB.npy\n"
    "GB = d(loss)/dB: GY summed over the batch and the spatial axes, shape (O,).\n"
    "Of the OPTIONS only --layout matters (it says where the channel axis is).\n" CONV_TAIL "\n"
    "Example:\n"
    "  winsum conv backward-bias --grad-output gy.npy --layout nhwc -o gb.npy\n" ENV_ALL;

const char conv_transpose_help[] =
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
