/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * gett.cl - the generic strided tensor contraction (GETT) of winsum.
 *
 *   C[b, m, n] = alpha * sum_k A(b, m, k) * B(b, n, k) + beta * C[b, m, n]
 *
 * Every operand is read straight from its buffer through offset tables: the
 * host flattens each group of einsum labels (batch, M, N, K) and stores, for
 * every flat index, the element offset it adds. A(b,m,k) lives at
 *   A[a_off + tab[ta_b + b] + tab[ta_m + m] + tab[ta_k + k]]
 * so multi-label dimensions cost one table load, never div/mod. Guards
 * (padding) work the same way: guard g of A has value
 *   tab[ga_b + g*BATCH + b] + tab[ga_m + g*M + m] + tab[ga_k + g*K + k]
 * and the element reads as 0 unless 0 <= value < exta[g]. Guards are checked
 * only while a tile is packed, never in the multiply loop.
 *
 * Structure (BLIS/GETT): a work-group owns an MC x NC tile of C. For every
 * K block of KC it packs A (KC x MC, k-major) and B (KC x NC) into local
 * memory, then each work-item multiplies MR x NR micro-tiles out of the
 * packed tiles into registers.
 *  - GPU-like devices: WGM x WGN work-items, one micro-tile each (rows
 *    ly + i*WGM, cols lx + j*WGN), accumulators kept across K blocks,
 *    barriers around the cooperative packing.
 *  - CPU-like devices (PoCL): one work-item per work-group, no barrier; it
 *    walks all micro-tiles of its tile (the tiled path) and adds each K
 *    block's product into tiles of running sums in local memory. The
 *    micro-kernel uses VW-wide vectors along N.
 * Tuning parameters are build options with the defaults below.
 *
 * Packing once (CPU-like devices, PACKED): an operand reused by several
 * work-groups (A by every N block, B by every M block) is packed once per
 * launch by gett_pack_a / gett_pack_b, one work-group per K block of each
 * row block, into a scratch buffer the step owns (pa, pb: panels of KC x PA
 * or KC x PB in the layout the work-group would have packed, block after
 * block); the compute kernel then reads those panels in place and packs
 * only the other operand, as BLIS packs B once per K block for all M
 * blocks. Bit 0 of PACKED: A, bit 1: B.
 *
 * Summation (accuracy of long K): every K block is summed in fresh
 * accumulators (at most KC terms in sequence); the blocks add into a group
 * sum, G = ceil(sqrt(blocks)) blocks to a group, and the groups into the
 * total. A sum of K terms so rounds in chains of about KC + 2 sqrt(K / KC)
 * additions rather than K (K = 4e6, KC = 256: about 500 rather than 4e6).
 * The group sum and the total live in registers beside the accumulators
 * (PERSIST), or in two tiles in local memory (Cm, Ct: the tiled path, when
 * there is more than one K block, MULTI_KB). C is read (when beta != 0) and
 * written once, after the last block, as alpha * total + beta * C.
 *
 * Short runs of C (CRUN, CPAD; CPU-like devices): where C runs along N
 * only CRUN columns at a time (fewer than a micro-tile), the host pads each
 * run to CPAD columns (whole vectors; the padding's table entries repeat
 * the run's last column), so that each VW-vector of a micro-tile row holds
 * part of one run from its first lane, and stores it from its registers as
 * constant pieces; the sums of the padding are never stored.
 *
 * Storage and arithmetic (REAL, ELEM, LD, ST) come from prelude.cl. With
 * WS_FP16 every element of C is rounded to half once, from the float total.
 */
#ifndef WGM
#define WGM 1
#endif
#ifndef WGN
#define WGN 1
#endif
#ifndef MR
#define MR 8
#endif
#ifndef NR
#define NR 32
#endif
#ifndef MC
#define MC 64
#endif
#ifndef NC
#define NC 64
#endif
#ifndef KC
#define KC 256
#endif
#ifndef VW
#define VW 16
#endif
#ifndef NGA
#define NGA 0
#endif
#ifndef NGB
#define NGB 0
#endif
#ifndef PACKED
#define PACKED 0
#endif
#define PACKED_A (PACKED & 1)
#define PACKED_B (PACKED & 2)

#define WGS (WGM * WGN)
/* Row pitch of the packed tiles. On CPUs a power-of-two pitch maps the
 * column writes of packing onto a few cache sets; 16 more floats spread them
 * (and keep rows 64-byte aligned). */
#if WGS == 1
#define PAD 16
#else
#define PAD 0
#endif
#define PA (MC + PAD)
#define PB (NC + PAD)
/* GPU-like work-groups with one micro-tile per work-item: the running sums
 * live in registers. (With one work-item, the tiled path does as well: its
 * running sums cost one local-memory pass per K block.) */
#define PERSIST      (WGS > 1 && MC == WGM * MR && NC == WGN * NR)
#define TILES_M      (MC / (WGM * MR))
#define TILES_N      (NC / (WGN * NR))
#define VECTOR_MICRO (WGN == 1 && VW > 1 && NR % VW == 0)
/* more than one K block (the host passes 0 when K <= KC): the tiled path
 * keeps its group sums and totals in local memory */
#ifndef MULTI_KB
#define MULTI_KB 1
#endif
#define SUM_TILES (!PERSIST && MULTI_KB)
/* A kernel for a small problem (one K block, both operands packed in the
 * work-group, one work-item a group: in practice one tile): its code is
 * kept short, as its first launch's compilation is most of its cost */
#define SMALL_KERNEL (PACKED == 0 && !MULTI_KB && WGS == 1)

#define CAT_(a, b) a##b
#define CAT(a, b)  CAT_(a, b)
#define VREAL      CAT(REAL, VW)
#define VLOAD      CAT(vload, VW)
#define VSTORE     CAT(vstore, VW)
/* VW elements of C (storage) as REALs */
#ifdef WS_FP16
#define VLDC(i, p)    CAT(vload_half, VW)((i), (p))
#define VSTC(v, i, p) CAT(CAT(vstore_half, VW), _rte)((v), (i), (p))
#else
#define VLDC(i, p)    VLOAD((i), (p))
#define VSTC(v, i, p) VSTORE((v), (i), (p))
#endif
/* W elements of C (storage) as REALs, W a literal */
#ifdef WS_FP16
#define WLDC(W, p)    CAT(vload_half, W)(0, (p))
#define WSTC(W, v, p) CAT(CAT(vstore_half, W), _rte)((v), 0, (p))
#else
#define WLDC(W, p)    CAT(vload, W)(0, (p))
#define WSTC(W, v, p) CAT(vstore, W)((v), 0, (p))
#endif
/* the part of a run of C (len elements at c, sums at s) from q on that
 * pieces of W fill, as W-wide vectors */
#define STORE_PIECES(W)                                                  \
    for (; q + W <= len; q += W) {                                       \
        CAT(REAL, W) o = alpha * CAT(vload, W)(0, s + q);                \
        if (beta != 0) o = fma((CAT(REAL, W))(beta), WLDC(W, c + q), o); \
        WSTC(W, o, c + q);                                               \
    }

#ifdef CRUN
/* C's runs along N padded to CPAD columns (CRUN real ones; the host: CPAD
 * a multiple of VW, NR of CPAD): the first L lanes of v (L a constant once
 * unrolled) into C at c, as the whole vector or pieces of 8, 4, 2, 1
 * taken from registers */
#define PIECE(W, x, p)                                                 \
    do {                                                               \
        CAT(REAL, W) o_ = alpha * (x);                                 \
        if (beta != 0) o_ = fma((CAT(REAL, W))(beta), WLDC(W, p), o_); \
        WSTC(W, o_, p);                                                \
    } while (0)
__attribute__((always_inline)) inline void store_lanes(const VREAL v, const int L, __global ELEM *c,
                                                       const REAL alpha, const REAL beta)
{
    if (L >= VW) {
        PIECE(VW, v, c);
        return;
    }
#if VW == 16
    CAT(REAL, 8) r8;
    if (L & 8) {
        PIECE(8, v.lo, c);
        c += 8;
        r8 = v.hi;
    } else r8 = v.lo;
#elif VW == 8
    const CAT(REAL, 8) r8 = v;
#endif
#if VW >= 8
    CAT(REAL, 4) r4;
    if (L & 4) {
        PIECE(4, r8.lo, c);
        c += 4;
        r4 = r8.hi;
    } else r4 = r8.lo;
#else
    const CAT(REAL, 4) r4 = v;
#endif
    CAT(REAL, 2) r2;
    if (L & 2) {
        PIECE(2, r4.lo, c);
        c += 2;
        r2 = r4.hi;
    } else r2 = r4.lo;
    if (L & 1) {
        REAL o = alpha * r2.x;
        if (beta != 0) o = fma(beta, LD(c, 0), o);
        ST(c, 0, o);
    }
}
#endif

/* Folds s, the sum of K block kb, into the group sum m and the total t
 * (scalars or vectors; LM/SM, LT/ST_ load and store them): the group's
 * first block starts m, its last adds m into t (the first group's starts
 * t); at the last block t holds the whole sum. gfirst, glast, group0 and
 * last describe kb (see the kernel). */
#define FOLD(s, LM, SM, LT, ST_)  \
    do {                          \
        if (!gfirst) s += LM;     \
        if (!glast) {             \
            SM(s);                \
        } else {                  \
            if (!group0) s += LT; \
            ST_(s);               \
        }                         \
    } while (0)

/* Where the micro-tile of rows r0.. and columns c0.. starts in the packed
 * tiles, and the step from one k to the next: in local memory the tiles are
 * k-major with pitch PA / PB; the panels of gett_pack_a/b (PACKED, one
 * work-item a work-group) are cut into micro-panels, each MR (NR) wide and
 * contiguous over its KC rows, as BLIS packs them. */
#if PACKED_A
#define A_PANEL(r0) (As + ((r0) / MR) * (KC * MR))
#define A_PITCH     MR
#else
#define A_PANEL(r0) (As + (r0))
#define A_PITCH     PA
#endif
#if PACKED_B
#define B_PANEL(c0) (Bs + ((c0) / NR) * (KC * NR))
#define B_PITCH     NR
#else
#define B_PANEL(c0) (Bs + (c0))
#define B_PITCH     PB
#endif

/* The vector register block (VECTOR_MICRO): vacc[i][j] holds rows i*WGM
 * and the VW columns j*VW.. of a micro-tile whose A and B start at Ap and
 * Bp, one k every ap and bp elements. VZERO clears it; VMICRO adds the
 * product over the kc rows of a K block. Fully unrolled, so that vacc lives
 * in MR * NR / VW vector registers, never in memory; macros rather than
 * functions, so that nothing passes vacc by address. */
#define VZERO(vacc)                                \
    _Pragma("unroll") for (int i = 0; i < MR; i++) \
        _Pragma("unroll") for (int j = 0; j < NR / VW; j++) vacc[i][j] = (VREAL)(0)
#define VMICRO(vacc, Ap, ap, Bp, bp)                                         \
    for (int k = 0; k < kc; k++) {                                           \
        VREAL vb[NR / VW];                                                   \
        _Pragma("unroll") for (int j = 0; j < NR / VW; j++) vb[j] =          \
            VLOAD(0, (Bp) + k * (bp) + j * VW);                              \
        _Pragma("unroll") for (int i = 0; i < MR; i++)                       \
        {                                                                    \
            const VREAL va = (VREAL)((Ap)[k * (ap) + i * WGM]);              \
            _Pragma("unroll") for (int j = 0; j < NR / VW; j++) vacc[i][j] = \
                fma(va, vb[j], vacc[i][j]);                                  \
        }                                                                    \
    }

#if WGS > 1
#define SYNC() barrier(CLK_LOCAL_MEM_FENCE)
#else
#define SYNC()
#endif

/* Packs rows [r0, r0+R) x k [k0, k0+kc) of an operand into dst[KC][R],
 * zeros outside the operand and where a guard fails. The k-dependent parts
 * (offset, guard values) are loaded once per k; the r loop is the one the
 * compiler vectorises (and the one work-items share on GPUs). */
/* floor and ceiling of a / b for any signs */
inline long fdiv(const long a, const long b)
{
    const long q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline long cdiv(const long a, const long b) { return -fdiv(-a, b); }

/* Along a run, guard g has value v0[g] + i * c[g]: each guard passes on an
 * interval of i, so all pass on [*lo, *hi) within [0, len) (empty: lo == hi). */
__attribute__((always_inline)) inline void guard_interval(const int len, const int NG,
                                                          const long *v0, const long *c,
                                                          const long *ext, int *lo, int *hi)
{
    long a = 0, b = len - 1;
    for (int g = 0; g < NG; g++) {
        const long e = ext[g];
        if (c[g] == 0) {
            if (!((ulong)v0[g] < (ulong)e)) a = len;
        } else if (c[g] > 0) {
            a = max(a, cdiv(-v0[g], c[g]));
            b = min(b, fdiv(e - 1 - v0[g], c[g]));
        } else {
            a = max(a, cdiv(e - 1 - v0[g], c[g]));
            b = min(b, fdiv(v0[g], -c[g]));
        }
    }
    *lo = b < a ? len : (int)a;
    *hi = b < a ? len : (int)b + 1;
}

/* One run of len elements into out (every ostep-th element): zeros, the
 * elements [lo, hi) read from P at a0 + i * st, zeros. */
__attribute__((always_inline)) inline void copy_run(__local REAL *out, const int ostep,
                                                    __global const ELEM *restrict P, const long a0,
                                                    const long st, const int lo, const int hi,
                                                    const int len)
{
    for (int i = 0; i < lo; i++) out[i * ostep] = 0;
    if (st == 1) { /* contiguous: a plain vectorised copy */
        __global const ELEM *src = P + a0;
        for (int i = lo; i < hi; i++) out[i * ostep] = LD(src, i);
    } else {
        for (int i = lo; i < hi; i++) out[i * ostep] = LD(P, a0 + i * st);
    }
    for (int i = hi; i < len; i++) out[i * ostep] = 0;
}

/* Indices [i0, i0 + n) of one label group of an operand, into out (every
 * ostep-th element), as runs: along the group's innermost label (run values)
 * the address steps by st from off + (unit ? i : tab[t + i]) and guard g by
 * cg[g] from gbase[g] + tab[tg + g * ntab + i], so each run is one copy_run
 * with its guards solved as an interval. Indices at or past lim read as 0. */
__attribute__((always_inline)) inline void
copy_runs(__local REAL *out, const int ostep, __global const ELEM *restrict P, const long off,
          __global const long *restrict tab, const int t, const int unit, const int tg,
          const int ntab, const int NG, const long *gbase, const long *cg, const long *ext,
          const int run, const long st, const int i0, const int n, const int lim)
{
    int j = 0;
    while (j < n) {
        const int i = i0 + j;
        if (i >= lim) {
            for (; j < n; j++) out[j * ostep] = 0;
            break;
        }
        const int len = min(run - i % run, min(n - j, lim - i));
        const long a0 = off + (unit ? (long)i : tab[t + i]);
        long v0[4];
        for (int g = 0; g < NG; g++) v0[g] = gbase[g] + tab[tg + g * ntab + i];
        int lo, hi;
        guard_interval(len, NG, v0, cg, ext, &lo, &hi);
        copy_run(out + j * ostep, ostep, P, a0, st, lo, hi, len);
        j += len;
    }
}

/* Inlined, with its sizes and guard count as constants, except where the
 * kernel would hold two copies of it and the problem is small: a kernel
 * that packs both operands (PACKED 0, one work-item a work-group) in one K
 * block (MULTI_KB 0) calls one copy, which halves the native code PoCL
 * generates at the first launch (a 3x3 16->16 layer's backward-weight:
 * about 0.35 s of 0.8 s). (With several K blocks the call cost about 7% of
 * a backward-weight's speed: there it stays inlined.) */
#if SMALL_KERNEL
#define PACK_FN __attribute__((noinline))
#else
#define PACK_FN __attribute__((always_inline)) inline
#endif
PACK_FN void pack(__local REAL *dst, const int R, const int pitch, __global const ELEM *restrict P,
                  const long base, __global const long *restrict tab, const int t_r, const int t_k,
                  const int unit_r, const int unit_k, const int g_r, const int g_k, const int NG,
                  const long *gb, const long *ext, const long safe, const int inner, const long st,
                  const long *cg, const int kinner, const long kst, const long *kcg, const int r0,
                  const int k0, const int kc, const int nr, const int nk, const int lid)
{
#if WGS == 1
    /* rough cost per packed element: a run start costs about 16 elements,
     * a strided element twice a contiguous one */
    const float rcost = (st == 1 || st == -1 ? 1.0f : 2.0f) + 16.0f / min(inner, R);
    const float kcost = (kst == 1 || kst == -1 ? 1.0f : 2.0f) + 16.0f / min(kinner, max(kc, 1));
    const int krun = kinner >= 4 && (inner < 4 || kcost < rcost);
    if (krun) {
        /* Runs along K (its innermost label, kinner values, the address
         * stepping by kst): each row of the tile is a few strided copies, the
         * guards solved as one interval per run, written down a column of
         * dst. Best where K is contiguous in memory, or rows are short. */
        for (int rr = 0; rr < R; rr++) {
            const int r = r0 + rr;
            if (r >= nr) {
                for (int kk = 0; kk < kc; kk++) dst[kk * pitch + rr] = 0;
                continue;
            }
            const long roff = base + (unit_r ? (long)r : tab[t_r + r]);
            long gr[4];
            for (int g = 0; g < NG; g++) gr[g] = gb[g] + tab[g_r + g * nr + r];
            copy_runs(dst + rr, pitch, P, roff, tab, t_k, unit_k, g_k, nk, NG, gr, kcg, ext, kinner,
                      kst, k0, kc, nk);
        }
        return;
    }
    if (inner >= 4) {
        /* Runs: along the group's innermost label (inner values) the address
         * steps by st and guard g by cg[g], so each run of a tile row is one
         * strided (often contiguous) copy with arithmetic guards: no table
         * load per element, and loops that vectorise. */
        for (int kk = 0; kk < kc; kk++) {
            const int k = k0 + kk;
            __local REAL *row = dst + kk * pitch;
            const long koff = base + (unit_k ? (long)k : tab[t_k + k]);
            long gk[4];
            for (int g = 0; g < NG; g++) gk[g] = gb[g] + tab[g_k + g * nk + k];
            copy_runs(row, 1, P, koff, tab, t_r, unit_r, g_r, nr, NG, gk, cg, ext, inner, st, r0, R,
                      nr);
        }
        return;
    }
#endif
    for (int kk = 0; kk < kc; kk++) {
        const int k = k0 + kk;
        __local REAL *row = dst + kk * pitch;
        const long koff = base + (unit_k ? (long)k : tab[t_k + k]);
        long gk[4];
        for (int g = 0; g < NG; g++) gk[g] = gb[g] + tab[g_k + g * nk + k];
        if (NG > 0 && safe >= 0) {
            /* Guarded: a failing element loads from `safe` (an element the view
             * really has) and is then zeroed; no load is conditional, so the
             * loop vectorises into gathers. */
            for (int rr = lid; rr < R; rr += WGS) {
                const int r = min(r0 + rr, nr - 1);
                int ok = r0 + rr < nr;
                for (int g = 0; g < NG; g++)
                    ok &= (ulong)(gk[g] + tab[g_r + g * nr + r]) < (ulong)ext[g];
                const long at = koff + (unit_r ? (long)r : tab[t_r + r]);
                const REAL v = LD(P, ok ? at : safe);
                row[rr] = ok ? v : 0;
            }
            continue;
        }
        for (int rr = lid; rr < R; rr += WGS) {
            const int r = r0 + rr;
            REAL v = 0;
            if (r < nr) {
                int ok = 1;
                for (int g = 0; g < NG; g++)
                    ok &= (ulong)(gk[g] + tab[g_r + g * nr + r]) < (ulong)ext[g];
                if (ok) v = LD(P, koff + (unit_r ? (long)r : tab[t_r + r]));
            }
            row[rr] = v;
        }
    }
}

/* the value C gets from its old value c and the total v: c is read only
 * when beta != 0 */
#define UPDATE(c, v) (beta != 0 ? fma(beta, (c), alpha * (v)) : alpha * (v))
/* Writes an MR x NR tile of sums VALS into C, element (i, j) at row
 * m0 + R0 + i*WGM and column n0 + C0 + j*WGN, inside M x N: C is read (only
 * when beta != 0) and written once, so float16 is rounded once. */
#define STORE_C_TILE(VALS, R0, C0)                     \
    for (int i = 0; i < MR; i++) {                     \
        const int m = m0 + (R0) + i * WGM;             \
        if (m >= M) break;                             \
        const long cm = cb + tab[tc_m + m];            \
        for (int j = 0; j < NR; j++) {                 \
            const int n = n0 + (C0) + j * WGN;         \
            if (n >= N) break;                         \
            __global ELEM *c = C + cm + tab[tc_n + n]; \
            ST(c, 0, UPDATE(LD(c, 0), VALS[i][j]));    \
        }                                              \
    }

#ifdef SKINNY
/* The skinny path (CPU-like devices; the host picks it where M is at most
 * 24, N long, K at most KC and neither operand guarded: TCCG 1, 3, 5, 7,
 * M 14-17 x N 36,100-254,016): all SKINNY (= M) rows of C are held in
 * registers, each a vector of SV columns, and B is read once, straight
 * from its buffer, with no packing: SV columns a k, a vector load where B
 * runs contiguously along them (the host puts B's contiguous label
 * innermost), else one element a lane from offsets found once a chunk. A
 * (M x K, small) is copied into local memory once a work-group. Each
 * work-group owns SW columns, cut into chunks of SV that do not cross a
 * run of B (or, where B has none, of C); C is stored with vectors where
 * the chunk lies in one of its runs, else element by element. One K block
 * (K <= KC): the same chains of sums as gett's. Only this kernel is in
 * the program (its first launch compiles nothing else); a prefetch 64
 * elements ahead halved the stalls on B's loads (TCCG 5, K stride
 * 125,000). */
#ifdef WS_FP64
#define SV 8
#else
#define SV 16
#endif
#ifndef SW
#define SW 512
#endif
#ifndef SKINNY_PF
#define SKINNY_PF 64
#endif
#define SVREAL CAT(REAL, SV)
#ifdef WS_FP16
#define SVLD(p)    CAT(vload_half, SV)(0, (p))
#define SVST(v, p) CAT(CAT(vstore_half, SV), _rte)((v), 0, (p))
#else
#define SVLD(p)    CAT(vload, SV)(0, (p))
#define SVST(v, p) CAT(vstore, SV)((v), 0, (p))
#endif
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gett_skinny(__global const ELEM *restrict A, const long a_off, __global const ELEM *restrict B,
            const long b_off, __global ELEM *restrict C, const long c_off,
            __global const long *restrict tab, const int M, const int N, const int K,
            const int nbatch, const int ta_m, const int ta_k, const int ta_b, const int tb_n,
            const int tb_k, const int tb_b, const int tc_m, const int tc_n, const int tc_b,
            const int ga_m, const int ga_k, const int ga_b, const int gb_n, const int gb_k,
            const int gb_b, const long4 exta4, const long4 extb4, const REAL alpha, const REAL beta,
            const long a_safe, const long b_safe, const int a_inner, const long a_st,
            const long4 a_cg4, const int b_inner, const long b_st, const long4 b_cg4,
            const int a_kinner, const long a_kst, const long4 a_kcg4, const int b_kinner,
            const long b_kst, const long4 b_kcg4, const int unit_am, const int unit_ak,
            const int unit_bn, const int unit_bk, const int c_inner, const long c_st,
            __global const REAL *restrict pa, __global const REAL *restrict pb)
{
    __local REAL Ap[KC * SKINNY];
    __local long Bk[KC];
    const int b = get_group_id(2);
    const long cb = c_off + tab[tc_b + b];
    const long abase = a_off + tab[ta_b + b], bbase = b_off + tab[tb_b + b];
    for (int k = 0; k < K; k++) {
        const long ak = abase + (unit_ak ? (long)k : tab[ta_k + k]);
        for (int m = 0; m < SKINNY; m++)
            Ap[k * SKINNY + m] = LD(A, ak + (unit_am ? (long)m : tab[ta_m + m]));
        Bk[k] = unit_bk ? (long)k : tab[tb_k + k];
    }
#ifdef STE
    /* C contiguous along the second innermost N label (STE values), B along
     * the innermost (STA): a work-group owns all STE x STA columns of one
     * value of the others (SW = STE * STA); the sums go through local
     * memory, transposed, so that C is stored as vectors along its
     * contiguous label rather than element by element (TCCG 3, 7) */
    __local REAL T[SKINNY * SW];
    const int nb0 = get_group_id(0) * SW;
    for (int e = 0; e < STE; e++)
        for (int a0 = 0; a0 < STA; a0 += SV) {
            /* the last vector ends with the run (lanes it shares with the
             * one before get the same sums again) */
            const int as = min(a0, STA - SV), nb = nb0 + e * STA + as;
            __global const ELEM *restrict bp = B + bbase + (unit_bn ? (long)nb : tab[tb_n + nb]);
            const int np = (int)min((long)nb + SKINNY_PF, (long)N - 1);
            __global const ELEM *restrict pp = B + bbase + (unit_bn ? (long)np : tab[tb_n + np]);
            SVREAL acc[SKINNY];
            _Pragma("unroll") for (int m = 0; m < SKINNY; m++) acc[m] = (SVREAL)(0);
            for (int k = 0; k < K; k++) {
                __builtin_prefetch(pp + Bk[k]);
                const SVREAL x = SVLD(bp + Bk[k]);
                _Pragma("unroll") for (int m = 0; m < SKINNY; m++) acc[m] =
                    fma((SVREAL)(Ap[k * SKINNY + m]), x, acc[m]);
            }
            _Pragma("unroll") for (int m = 0; m < SKINNY; m++)
                CAT(vstore, SV)(acc[m], 0, T + (m * STE + e) * STA + as);
        }
    for (int m = 0; m < SKINNY; m++) {
        const long cm = cb + tab[tc_m + m];
        for (int a = 0; a < STA; a++) {
            /* a column of T (a gather; writing T by columns instead, as
             * single elements, was slower on TCCG 3 and faster on 7) */
            REAL col[STE];
            for (int e = 0; e < STE; e++) col[e] = T[(m * STE + e) * STA + a];
            __global ELEM *c = C + cm + tab[tc_n + nb0 + a];
            const REAL *s = col;
            const int len = STE;
            int q = 0;
            STORE_PIECES(16)
            STORE_PIECES(8)
            STORE_PIECES(4)
            for (; q < len; q++) ST(c, q, UPDATE(LD(c, q), s[q]));
        }
    }
#else
    const int n_end = (int)min((long)N, (long)get_group_id(0) * SW + SW);
    for (int n0 = get_group_id(0) * SW; n0 < n_end;) {
        int len = min(SV, n_end - n0);
        if (b_st == 1) len = min(len, b_inner - n0 % b_inner);
        else if (c_st == 1) len = min(len, c_inner - n0 % c_inner);
        SVREAL acc[SKINNY];
        _Pragma("unroll") for (int m = 0; m < SKINNY; m++) acc[m] = (SVREAL)(0);
        /* a chunk shorter than SV with SV columns of its run of B before
         * its end is read as those SV columns (the first sh of them done
         * already, and not stored again): vector loads still */
        const int sh = len < SV && b_st == 1 && n0 % b_inner >= SV - len ? SV - len : 0;
        if (len + sh == SV && b_st == 1) {
            /* B runs contiguously along the chunk: vector loads */
            const int nb = n0 - sh;
            __global const ELEM *restrict bp = B + bbase + (unit_bn ? (long)nb : tab[tb_n + nb]);
            /* the columns SKINNY_PF on, prefetched k by k: the next run of
             * B may lie far off (TCCG 7: a run of 28 columns, then 1 MB on) */
            const int np = (int)min((long)n0 + SKINNY_PF, (long)N - 1);
            __global const ELEM *restrict pp = B + bbase + (unit_bn ? (long)np : tab[tb_n + np]);
            for (int k = 0; k < K; k++) {
                __builtin_prefetch(pp + Bk[k]);
                const SVREAL x = SVLD(bp + Bk[k]);
                _Pragma("unroll") for (int m = 0; m < SKINNY; m++) acc[m] =
                    fma((SVREAL)(Ap[k * SKINNY + m]), x, acc[m]);
            }
        } else {
            /* one element a lane (lanes past len repeat the last column) */
            long bo[SV];
            _Pragma("unroll") for (int l = 0; l < SV; l++)
            {
                const int n = n0 + min(l, len - 1);
                bo[l] = bbase + (unit_bn ? (long)n : tab[tb_n + n]);
            }
            for (int k = 0; k < K; k++) {
                REAL xs[SV];
                const long bk = Bk[k];
                _Pragma("unroll") for (int l = 0; l < SV; l++) xs[l] = LD(B, bo[l] + bk);
                const SVREAL x = CAT(vload, SV)(0, xs);
                _Pragma("unroll") for (int m = 0; m < SKINNY; m++) acc[m] =
                    fma((SVREAL)(Ap[k * SKINNY + m]), x, acc[m]);
            }
        }
        const long cn = cb + tab[tc_n + n0];
        if (c_st == 1 && n0 % c_inner + len <= c_inner) {
            /* the chunk lies in one run of C */
            for (int m = 0; m < SKINNY; m++) {
                __global ELEM *c = C + cn + tab[tc_m + m];
                if (len == SV) {
                    SVREAL o = alpha * acc[m];
                    if (beta != 0) o = fma((SVREAL)(beta), SVLD(c), o);
                    SVST(o, c);
                    continue;
                }
                const REAL *s = (const REAL *)&acc[m] + sh;
                int q = 0;
                STORE_PIECES(8)
                STORE_PIECES(4)
                for (; q < len; q++) ST(c, q, UPDATE(LD(c, q), s[q]));
            }
        } else {
            long co[SV];
            for (int l = 0; l < len; l++) co[l] = cb + tab[tc_n + n0 + l];
            for (int m = 0; m < SKINNY; m++) {
                __global ELEM *c = C + tab[tc_m + m];
                const REAL *s = (const REAL *)&acc[m] + sh;
                /* plain stores: a scatter (vscatterqps) was 25-40% of TCCG 3's
                 * and 7's samples */
                _Pragma("clang loop vectorize(disable)") for (int l = 0; l < len; l++)
                    ST(c, co[l], UPDATE(LD(c, co[l]), s[l]));
            }
        }
        n0 += len;
    }
#endif
}
#else
__kernel __attribute__((reqd_work_group_size(WGN, WGM, 1))) void
gett(__global const ELEM *restrict A, const long a_off, __global const ELEM *restrict B,
     const long b_off, __global ELEM *restrict C, const long c_off,
     __global const long *restrict tab, const int M, const int N, const int K, const int nbatch,
     const int ta_m, const int ta_k, const int ta_b, const int tb_n, const int tb_k, const int tb_b,
     const int tc_m, const int tc_n, const int tc_b, const int ga_m, const int ga_k, const int ga_b,
     const int gb_n, const int gb_k, const int gb_b, const long4 exta4, const long4 extb4,
     const REAL alpha, const REAL beta, const long a_safe, const long b_safe, const int a_inner,
     const long a_st, const long4 a_cg4, const int b_inner, const long b_st, const long4 b_cg4,
     const int a_kinner, const long a_kst, const long4 a_kcg4, const int b_kinner, const long b_kst,
     const long4 b_kcg4, const int unit_am, const int unit_ak, const int unit_bn, const int unit_bk,
     const int c_inner, const long c_st, __global const REAL *restrict pa,
     __global const REAL *restrict pb)
{
#if !PACKED_A
    __local REAL As[KC * PA];
#endif
#if !PACKED_B
    __local REAL Bs[KC * PB];
#endif
#if SUM_TILES
    __local REAL Cm[MC * NC]; /* group sums */
    __local REAL Ct[MC * NC]; /* totals */
#endif
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int lid = ly * WGN + lx;
    const int n0 = get_group_id(0) * NC, m0 = get_group_id(1) * MC;
    const int b = get_group_id(2);
    const long exta[4] = {exta4.s0, exta4.s1, exta4.s2, exta4.s3};
    const long extb[4] = {extb4.s0, extb4.s1, extb4.s2, extb4.s3};
    const long a_cg[4] = {a_cg4.s0, a_cg4.s1, a_cg4.s2, a_cg4.s3};
    const long b_cg[4] = {b_cg4.s0, b_cg4.s1, b_cg4.s2, b_cg4.s3};
    const long a_kcg[4] = {a_kcg4.s0, a_kcg4.s1, a_kcg4.s2, a_kcg4.s3};
    const long b_kcg[4] = {b_kcg4.s0, b_kcg4.s1, b_kcg4.s2, b_kcg4.s3};
    const long cb = c_off + tab[tc_b + b];
    const long abase = a_off + tab[ta_b + b], bbase = b_off + tab[tb_b + b];
    long gab[4], gbb[4];
    for (int g = 0; g < NGA; g++) gab[g] = tab[ga_b + g * nbatch + b];
    for (int g = 0; g < NGB; g++) gbb[g] = tab[gb_b + g * nbatch + b];
    const int nkb = K > 0 ? (K + KC - 1) / KC : 1;
    /* blocks per group: ceil(sqrt(nkb)) */
    int G = (int)sqrt((float)nkb);
    while (G * G < nkb) G++;
    while (G > 1 && (G - 1) * (G - 1) >= nkb) G--;

#if PERSIST && VECTOR_MICRO
    VREAL vacc[MR][NR / VW], vmid[MR][NR / VW], vtot[MR][NR / VW];
#elif PERSIST
    REAL acc[MR][NR], mid[MR][NR], tot[MR][NR];
#endif
    for (int kb = 0; kb < nkb; kb++) {
        const int k0 = kb * KC;
        const int kc = min(KC, K - k0); /* rows of this K block (0 when K == 0) */
        const int gfirst = kb % G == 0, last = kb == nkb - 1;
        const int glast = last || kb % G == G - 1, group0 = kb < G;
#if PACKED_A
        /* this K block of this M block, packed by gett_pack_a */
        __global const REAL *restrict As =
            pa + (((long)b * get_num_groups(1) + get_group_id(1)) * nkb + kb) * (KC * MC);
#else
        pack(As, MC, PA, A, abase, tab, ta_m, ta_k, unit_am, unit_ak, ga_m, ga_k, NGA, gab, exta,
             a_safe, a_inner, a_st, a_cg, a_kinner, a_kst, a_kcg, m0, k0, kc, M, K, lid);
#endif
#if PACKED_B
        __global const REAL *restrict Bs =
            pb + (((long)b * get_num_groups(0) + get_group_id(0)) * nkb + kb) * (KC * NC);
#else
        pack(Bs, NC, PB, B, bbase, tab, tb_n, tb_k, unit_bn, unit_bk, gb_n, gb_k, NGB, gbb, extb,
             b_safe, b_inner, b_st, b_cg, b_kinner, b_kst, b_kcg, n0, k0, kc, N, K, lid);
#endif
        SYNC();
#if PERSIST && VECTOR_MICRO
        VZERO(vacc);
        VMICRO(vacc, As + ly, PA, Bs + lx, PB);
#define LM_     vmid[i][j]
#define SM_(v)  vmid[i][j] = (v)
#define LT_     vtot[i][j]
#define ST__(v) vtot[i][j] = (v)
        _Pragma("unroll") for (int i = 0; i < MR; i++)
            _Pragma("unroll") for (int j = 0; j < NR / VW; j++)
        {
            VREAL v = vacc[i][j];
            FOLD(v, LM_, SM_, LT_, ST__);
        }
        SYNC();
#elif PERSIST
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = 0;
        for (int k = 0; k < kc; k++) {
            REAL a[MR], bv[NR];
#pragma unroll
            for (int i = 0; i < MR; i++) a[i] = As[k * PA + ly + i * WGM];
#pragma unroll
            for (int j = 0; j < NR; j++) bv[j] = Bs[k * PB + lx + j * WGN];
#pragma unroll
            for (int i = 0; i < MR; i++)
#pragma unroll
                for (int j = 0; j < NR; j++) acc[i][j] = fma(a[i], bv[j], acc[i][j]);
        }
#define LM_     mid[i][j]
#define SM_(v)  mid[i][j] = (v)
#define LT_     tot[i][j]
#define ST__(v) tot[i][j] = (v)
#pragma unroll
        for (int i = 0; i < MR; i++)
#pragma unroll
            for (int j = 0; j < NR; j++) {
                REAL v = acc[i][j];
                FOLD(v, LM_, SM_, LT_, ST__);
            }
        SYNC();
#else
        /* many micro-tiles per work-item: each adds this K block into its
         * running sums, and writes C after the last */
        for (int t = 0; t < TILES_M * TILES_N; t++) {
#if PACKED_B && KC >= 128
            /* BLIS's order: a B micro-panel stays in L1 while the A
             * micro-panels stream past it (with a short K block the stores
             * of C weigh more, and they run along N in the other order) */
            const int tn = t / TILES_M, tm = t % TILES_M;
#else
            const int tm = t / TILES_N, tn = t % TILES_N;
#endif
            {
                if (m0 + tm * WGM * MR >= M) continue;
                const int r0 = tm * WGM * MR + ly, c0 = tn * WGN * NR + lx;
                if (n0 + c0 >= N) continue;
#if VECTOR_MICRO
                VREAL vacc[MR][NR / VW];
                VZERO(vacc);
                VMICRO(vacc, A_PANEL(r0), A_PITCH, B_PANEL(c0), B_PITCH);
#if SUM_TILES
#define LM_     VLOAD(0, Cm + at)
#define SM_(v)  VSTORE((v), 0, Cm + at)
#define LT_     VLOAD(0, Ct + at)
#define ST__(v) VSTORE((v), 0, Ct + at)
                _Pragma("unroll") for (int i = 0; i < MR; i++)
                    _Pragma("unroll") for (int j = 0; j < NR / VW; j++)
                {
                    const int at = (r0 + i * WGM) * NC + c0 + j * VW;
                    VREAL v = vacc[i][j];
                    FOLD(v, LM_, SM_, LT_, ST__);
                    vacc[i][j] = v;
                }
                if (!last) continue;
#endif
                const int ns = n0 + c0;
#ifdef CRUN
                {
                    /* vector j of each row: columns (j * VW) % CPAD.. of one
                     * padded run of C, CRUN of them real; the vectors past N
                     * (a multiple of CPAD) are left out */
                    const int nv = min(NR / VW, (N - ns) / VW);
                    long cn[NR / VW];
                    _Pragma("unroll") for (int j = 0; j < NR / VW; j++) cn[j] =
                        tab[tc_n + ns + min(j, nv - 1) * VW];
                    _Pragma("unroll") for (int i = 0; i < MR; i++)
                    {
                        const int m = m0 + r0 + i * WGM;
                        if (m < M) {
                            __global ELEM *c = C + cb + tab[tc_m + m];
                            _Pragma("unroll") for (int j = 0; j < NR / VW; j++) if (j < nv)
                                store_lanes(vacc[i][j], CRUN - (j * VW) % CPAD, c + cn[j], alpha,
                                            beta);
                        }
                    }
                    continue;
                }
#endif
                if (c_st == 1 && ns + NR <= N && ns % c_inner + NR <= c_inner) {
                    /* the micro-tile's rows lie in one contiguous run of C */
                    const long cn = tab[tc_n + ns];
                    for (int i = 0; i < MR; i++) {
                        const int m = m0 + r0 + i * WGM;
                        if (m >= M) break;
                        __global ELEM *c = C + cb + tab[tc_m + m] + cn;
                        for (int j = 0; j < NR / VW; j++) {
                            VREAL o = alpha * vacc[i][j];
                            if (beta != 0) o = fma((VREAL)(beta), VLDC(j, c), o);
                            VSTC(o, j, c);
                        }
                    }
                    continue;
                }
                if (!SMALL_KERNEL && c_st == 1) {
                    /* C's runs along N (c_inner long) are shorter than the
                     * micro-tile, and not padded (CRUN): each row is stored
                     * run by run, with contiguous stores rather than a
                     * scatter per element (TCCG 33, runs of 12, before
                     * CRUN: 64% of the kernel's samples were in that
                     * scatter) */
                    /* the runs of the micro-tile's columns, the same for
                     * every row: where each starts, its length, its offset
                     * in C (no division and no table load per row) */
                    int rj[NR], rl[NR], nrun = 0;
                    long ro[NR];
                    for (int j = 0, q = ns % c_inner; j < NR && ns + j < N; q = 0) {
                        const int len = min(NR - j, min(c_inner - q, N - ns - j));
                        rj[nrun] = j;
                        rl[nrun] = len;
                        ro[nrun++] = tab[tc_n + ns + j];
                        j += len;
                    }
                    for (int i = 0; i < MR; i++) {
                        const int m = m0 + r0 + i * WGM;
                        if (m >= M) break;
                        const long cm = cb + tab[tc_m + m];
                        for (int r = 0; r < nrun; r++) {
                            __global ELEM *c = C + cm + ro[r];
                            /* read in place: a copy of the sums into an
                             * array cost 10-25% of TCCG 31's samples */
                            const REAL *s = (const REAL *)vacc[i] + rj[r];
                            const int len = rl[r];
                            int q = 0;
                            STORE_PIECES(16)
                            STORE_PIECES(8)
                            STORE_PIECES(4)
                            for (; q < len; q++) ST(c, q, UPDATE(LD(c, q), s[q]));
                        }
                    }
                    continue;
                }
                /* spill to an array only here, so that vacc stays in registers */
                REAL sacc[MR][NR];
                for (int i = 0; i < MR; i++)
                    for (int j = 0; j < NR / VW; j++) VSTORE(vacc[i][j], j, sacc[i]);
#else
                REAL sacc[MR][NR];
                for (int i = 0; i < MR; i++)
                    for (int j = 0; j < NR; j++) sacc[i][j] = 0;
                for (int k = 0; k < kc; k++) {
                    REAL a[MR], bv[NR];
                    for (int i = 0; i < MR; i++) a[i] = A_PANEL(r0)[k * A_PITCH + i * WGM];
                    for (int j = 0; j < NR; j++) bv[j] = B_PANEL(c0)[k * B_PITCH + j * WGN];
                    for (int i = 0; i < MR; i++)
                        for (int j = 0; j < NR; j++) sacc[i][j] = fma(a[i], bv[j], sacc[i][j]);
                }
#if SUM_TILES
#define LM_     Cm[at]
#define SM_(v)  Cm[at] = (v)
#define LT_     Ct[at]
#define ST__(v) Ct[at] = (v)
                for (int i = 0; i < MR; i++)
                    for (int j = 0; j < NR; j++) {
                        const int at = (r0 + i * WGM) * NC + c0 + j * WGN;
                        REAL v = sacc[i][j];
                        FOLD(v, LM_, SM_, LT_, ST__);
                        sacc[i][j] = v;
                    }
                if (!last) continue;
#endif
#endif
                STORE_C_TILE(sacc, r0, c0)
            }
        }
        SYNC();
#endif
    }
#if PERSIST
    /* the totals into C */
#if VECTOR_MICRO
    REAL tot[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR / VW; j++) VSTORE(vtot[i][j], j, tot[i]);
#endif
    STORE_C_TILE(tot, ly, lx)
#endif
}

/* Micro-panels of width W (a multiple of 8; element (k, q) of the one that
 * holds row rr at out[(rr / W) * KC * W + k * W + rr % W]) of R rows from
 * r0, K block [k0, k0 + kc), straight from an unguarded operand whose K
 * runs (kinner long) step by one element: 8 rows x 8 k are read as vectors
 * along K and transposed in registers, where packing through local memory
 * wrote each row down a column (one 8-lane scatter per 8 elements). Rows
 * at or past nr are zeros. */
#ifdef WS_FP16
#define VL8(p) vload_half8(0, (p))
#else
#define VL8(p) vload8(0, (p))
#endif
#define R8      CAT(REAL, 8)
#define TCOL(s) (R8)(v0.s, v1.s, v2.s, v3.s, v4.s, v5.s, v6.s, v7.s)
__attribute__((always_inline)) inline void
pack_kt(__global REAL *restrict out, const int W, const int R, __global const ELEM *restrict P,
        const long base, __global const long *restrict tab, const int t_r, const int t_k,
        const int unit_r, const int unit_k, const int kinner, const int r0, const int k0,
        const int kc, const int nr)
{
    for (int rr = 0; rr < R; rr += 8) {
        __global REAL *restrict o = out + (rr / W) * (KC * W) + rr % W;
        long ro[8];
        for (int q = 0; q < 8; q++) {
            const int r = min(r0 + rr + q, nr - 1);
            ro[q] = base + (unit_r ? (long)r : tab[t_r + r]);
        }
        const int full = r0 + rr + 8 <= nr;
        int kk = 0;
        while (kk < kc) {
            const int k = k0 + kk;
            const long ko = unit_k ? (long)k : tab[t_k + k];
            if (full && kk + 8 <= kc && (unit_k || k % kinner + 8 <= kinner)) {
                const R8 v0 = VL8(P + ro[0] + ko), v1 = VL8(P + ro[1] + ko),
                         v2 = VL8(P + ro[2] + ko), v3 = VL8(P + ro[3] + ko),
                         v4 = VL8(P + ro[4] + ko), v5 = VL8(P + ro[5] + ko),
                         v6 = VL8(P + ro[6] + ko), v7 = VL8(P + ro[7] + ko);
                vstore8(TCOL(s0), 0, o + (kk + 0) * W);
                vstore8(TCOL(s1), 0, o + (kk + 1) * W);
                vstore8(TCOL(s2), 0, o + (kk + 2) * W);
                vstore8(TCOL(s3), 0, o + (kk + 3) * W);
                vstore8(TCOL(s4), 0, o + (kk + 4) * W);
                vstore8(TCOL(s5), 0, o + (kk + 5) * W);
                vstore8(TCOL(s6), 0, o + (kk + 6) * W);
                vstore8(TCOL(s7), 0, o + (kk + 7) * W);
                kk += 8;
                continue;
            }
            for (int q = 0; q < 8; q++) o[kk * W + q] = r0 + rr + q < nr ? LD(P, ro[q] + ko) : 0;
            kk++;
        }
    }
}

/* The packing kernels of PACKED (CPU-like devices: one work-item a
 * work-group): work-group (rb, kb, b) packs K block kb of row block rb of
 * batch b, exactly as gett would have packed it into local memory, and
 * copies it to its panel of the scratch buffer (row blocks of MC for A, NC
 * for B; panels in the order (b, rb, kb)). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gett_pack_a(__global const ELEM *restrict A, const long a_off, __global const long *restrict tab,
            const int M, const int K, const int nbatch, const int ta_m, const int ta_k,
            const int ta_b, const int ga_m, const int ga_k, const int ga_b, const long4 exta4,
            const long a_safe, const int a_inner, const long a_st, const long4 a_cg4,
            const int a_kinner, const long a_kst, const long4 a_kcg4, const int unit_am,
            const int unit_ak, __global REAL *restrict pa)
{
    __local REAL buf[KC * PA];
    const int rb = get_group_id(0), kb = get_group_id(1), b = get_group_id(2);
    const long ext[4] = {exta4.s0, exta4.s1, exta4.s2, exta4.s3};
    const long cg[4] = {a_cg4.s0, a_cg4.s1, a_cg4.s2, a_cg4.s3};
    const long kcg[4] = {a_kcg4.s0, a_kcg4.s1, a_kcg4.s2, a_kcg4.s3};
    long gb[4];
    for (int g = 0; g < NGA; g++) gb[g] = tab[ga_b + g * nbatch + b];
    const int k0 = kb * KC, kc = min(KC, K - k0);
    __global REAL *restrict out =
        pa + (((long)b * get_num_groups(0) + rb) * get_num_groups(1) + kb) * (KC * MC);
#if NGA == 0 && MR % 8 == 0
    /* K contiguous and the rows not: transposed in registers */
    if (a_kst == 1 && a_kinner >= 8 && (a_st != 1 || a_inner < 4)) {
        pack_kt(out, MR, MC, A, a_off + tab[ta_b + b], tab, ta_m, ta_k, unit_am, unit_ak, a_kinner,
                rb * MC, k0, kc, M);
        return;
    }
#endif
    pack(buf, MC, PA, A, a_off + tab[ta_b + b], tab, ta_m, ta_k, unit_am, unit_ak, ga_m, ga_k, NGA,
         gb, ext, a_safe, a_inner, a_st, cg, a_kinner, a_kst, kcg, rb * MC, k0, kc, M, K, 0);
    for (int t = 0; t < MC / MR; t++)
        for (int k = 0; k < kc; k++)
            for (int i = 0; i < MR; i++) out[(t * KC + k) * MR + i] = buf[k * PA + t * MR + i];
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gett_pack_b(__global const ELEM *restrict B, const long b_off, __global const long *restrict tab,
            const int N, const int K, const int nbatch, const int tb_n, const int tb_k,
            const int tb_b, const int gb_n, const int gb_k, const int gb_b, const long4 extb4,
            const long b_safe, const int b_inner, const long b_st, const long4 b_cg4,
            const int b_kinner, const long b_kst, const long4 b_kcg4, const int unit_bn,
            const int unit_bk, __global REAL *restrict pb)
{
    __local REAL buf[KC * PB];
    const int rb = get_group_id(0), kb = get_group_id(1), b = get_group_id(2);
    const long ext[4] = {extb4.s0, extb4.s1, extb4.s2, extb4.s3};
    const long cg[4] = {b_cg4.s0, b_cg4.s1, b_cg4.s2, b_cg4.s3};
    const long kcg[4] = {b_kcg4.s0, b_kcg4.s1, b_kcg4.s2, b_kcg4.s3};
    long gb[4];
    for (int g = 0; g < NGB; g++) gb[g] = tab[gb_b + g * nbatch + b];
    const int k0 = kb * KC, kc = min(KC, K - k0);
    __global REAL *restrict out =
        pb + (((long)b * get_num_groups(0) + rb) * get_num_groups(1) + kb) * (KC * NC);
#if NGB == 0 && NR % 8 == 0
    if (b_kst == 1 && b_kinner >= 8 && (b_st != 1 || b_inner < 4)) {
        pack_kt(out, NR, NC, B, b_off + tab[tb_b + b], tab, tb_n, tb_k, unit_bn, unit_bk, b_kinner,
                rb * NC, k0, kc, N);
        return;
    }
#endif
    pack(buf, NC, PB, B, b_off + tab[tb_b + b], tab, tb_n, tb_k, unit_bn, unit_bk, gb_n, gb_k, NGB,
         gb, ext, b_safe, b_inner, b_st, cg, b_kinner, b_kst, kcg, rb * NC, k0, kc, N, K, 0);
    for (int t = 0; t < NC / NR; t++)
        for (int k = 0; k < kc; k++)
            for (int j = 0; j < NR; j++) out[(t * KC + k) * NR + j] = buf[k * PB + t * NR + j];
}
#endif /* SKINNY */
