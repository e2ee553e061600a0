/*
 * view.c - tensor views: constructors (contiguous, as_strided, convolution
 * windows with guards) and the checks made once per view: shapes, 64-bit
 * overflow, every reachable element inside its buffer, no self-overlap for
 * outputs, no aliasing between an output and an input.
 */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

winsum_buffer winsum_buffer_host(void *data, size_t bytes)
{
    winsum_buffer b;
    memset(&b, 0, sizeof b);
    b.where = WINSUM_HOST;
    b.host = data;
    b.bytes = bytes;
    return b;
}

winsum_view winsum_view_strided(const winsum_buffer *buffer, winsum_dtype dtype, int64_t offset,
                                int ndim, const int64_t *shape, const int64_t *strides)
{
    winsum_view v;
    memset(&v, 0, sizeof v);
    v.buffer = buffer;
    v.dtype = dtype;
    v.offset = offset;
    v.ndim = ndim;
    if (ndim > 0 && (!shape || !strides)) {
        v.ndim = -1; /* no shape: a view that every check refuses (ndim -1) */
        return v;
    }
    for (int i = 0; i < ndim && i < WINSUM_MAX_DIMS; i++) {
        v.shape[i] = shape[i];
        v.strides[i] = strides[i];
    }
    return v;
}

winsum_view winsum_view_contiguous(const winsum_buffer *buffer, winsum_dtype dtype, int ndim,
                                   const int64_t *shape)
{
    int64_t strides[WINSUM_MAX_DIMS];
    int64_t s = 1;
    if (!shape) return winsum_view_strided(buffer, dtype, 0, ndim, NULL, NULL);
    /* an axis of size 0 counts as 1; a stride past 2^63-1 is INT64_MAX
     * (an empty view has legal ones, (0, 2^40, 2^40); one with elements
     * is refused for its size) */
    for (int i = (ndim < WINSUM_MAX_DIMS ? ndim : WINSUM_MAX_DIMS) - 1; i >= 0; i--) {
        strides[i] = s;
        if (ws_mul_ovf(s, shape[i] > 0 ? shape[i] : 1, &s)) s = INT64_MAX;
    }
    return winsum_view_strided(buffer, dtype, 0, ndim, shape, strides);
}

int64_t ws_view_numel(const winsum_view *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[i] == 0) return 0; /* empty, whatever the other axes */
    for (int i = 0; i < v->ndim; i++)
        if (ws_mul_ovf(n, v->shape[i], &n)) return -1;
    return n;
}

/* shape and stride sanity shared by every check */
static winsum_status check_shape(const winsum_view *v, const char *name, ws_error *e)
{
    if (!v) return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: view is NULL", name);
    if (v->ndim < 0 || v->ndim > WINSUM_MAX_DIMS)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: ndim %d is outside 0..%d", name, v->ndim,
                       WINSUM_MAX_DIMS);
    if (v->dtype != WINSUM_F32 && v->dtype != WINSUM_F64 && v->dtype != WINSUM_F16)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: unknown dtype %d", name, (int)v->dtype);
    if (v->nguards < 0 || v->nguards > WINSUM_MAX_GUARDS)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: %d guards, at most %d", name, v->nguards,
                       WINSUM_MAX_GUARDS);
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[i] < 0)
            return ws_fail(e, WINSUM_ERR_SHAPE, "%s: axis %d has negative size %lld", name, i,
                           (long long)v->shape[i]);
    if (ws_view_numel(v) < 0)
        return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: the number of elements overflows 64 bits",
                       name);
    for (int g = 0; g < v->nguards; g++)
        if (v->guards[g].extent < 0)
            return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: guard %d has negative extent", name, g);
    return WINSUM_OK;
}

/* [lo, hi] of sum_i coef[i] * idx[i] over the axes in mask; 1 on overflow */
static int box_range(const winsum_view *v, const int64_t *coef, const uint8_t *mask, int64_t *lo,
                     int64_t *hi)
{
    *lo = *hi = 0;
    for (int i = 0; i < v->ndim; i++) {
        if (!mask[i] || v->shape[i] <= 1 || coef[i] == 0) continue;
        int64_t span;
        if (ws_mul_ovf(coef[i], v->shape[i] - 1, &span)) return 1;
        if (span > 0 ? ws_add_ovf(*hi, span, hi) : ws_add_ovf(*lo, span, lo)) return 1;
    }
    return 0;
}

winsum_status ws_view_range(const winsum_view *v, int64_t *lo, int64_t *hi, int *empty,
                            const char *name, ws_error *e)
{
    winsum_status st = check_shape(v, name, e);
    if (st) return st;
    *empty = ws_view_numel(v) == 0;
    *lo = *hi = v->offset;
    if (*empty) return WINSUM_OK;

    /* The addresses of guarded-out elements are computed too (and never
     * read): the whole box must hold 64-bit numbers, not only what the
     * guards leave of it. */
    uint8_t all[WINSUM_MAX_DIMS];
    memset(all, 1, sizeof all);
    int64_t flo, fhi;
    if (box_range(v, v->strides, all, &flo, &fhi) || ws_add_ovf(v->offset, flo, &flo) ||
        ws_add_ovf(v->offset, fhi, &fhi))
        return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: element offsets overflow 64 bits", name);

    /* Axes covered by a guard whose coefficients are proportional to the
     * strides (address part = lambda * guard expression) are bounded by the
     * guard; all other axes by the box. Guards that overlap in axes, or are
     * not proportional, only narrow nothing (a conservative bound). */
    uint8_t used[WINSUM_MAX_DIMS] = {0}, rest[WINSUM_MAX_DIMS];
    int64_t acc_lo = v->offset, acc_hi = acc_lo;
    for (int g = 0; g < v->nguards; g++) {
        const winsum_guard *gd = &v->guards[g];
        uint8_t mask[WINSUM_MAX_DIMS] = {0};
        int ok = 1, have = 0;
        int64_t num = 0, den = 0; /* lambda = num / den */
        /* the whole mask, even once the guard is known not to be exact: the
         * all-guarded-out test below needs every axis the guard covers */
        for (int i = 0; i < v->ndim; i++) {
            if (v->shape[i] <= 1) continue;
            if (gd->coef[i] == 0) continue;
            if (used[i]) ok = 0;
            mask[i] = 1;
            if (!have) {
                num = v->strides[i];
                den = gd->coef[i];
                have = 1;
            } else {
                int64_t a, b;
                if (ws_mul_ovf(v->strides[i], den, &a) || ws_mul_ovf(num, gd->coef[i], &b) ||
                    a != b)
                    ok = 0;
            }
        }
        /* Guard expression range over its axes, intersected with [0, extent). */
        int64_t glo, ghi;
        if (box_range(v, gd->coef, mask, &glo, &ghi))
            return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: guard %d overflows 64 bits", name, g);
        int64_t elo, ehi;
        if (ws_mul_ovf(gd->offset, -1, &elo) || ws_add_ovf(elo, gd->extent - 1, &ehi))
            return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: guard %d: offset %lld overflows 64 bits",
                           name, g, (long long)gd->offset);
        /* Every path computes the guard's value at every index, guarded out
         * or not (the reference path as running sums, the kernels from
         * partial sums and by solving offset + i * coef < extent for i): the
         * values offset + [glo, ghi] and their spread ghi - glo must be
         * 64-bit numbers. Partial sums then are too (they lie between). */
        int64_t vlo, vhi, spread;
        if (ws_add_ovf(gd->offset, glo, &vlo) || ws_add_ovf(gd->offset, ghi, &vhi) ||
            ws_mul_ovf(glo, -1, &spread) || ws_add_ovf(ghi, spread, &spread))
            return ws_fail(e, WINSUM_ERR_OVERFLOW,
                           "%s: guard %d: its values (offset %lld plus %lld..%lld) overflow 64 "
                           "bits",
                           name, g, (long long)gd->offset, (long long)glo, (long long)ghi);
        if (glo > ehi || ghi < elo || gd->extent == 0) { /* every element guarded out */
            *empty = 1;
            *lo = *hi = v->offset;
            return WINSUM_OK;
        }
        /* INT64_MIN / -1 is not a 64-bit number (and UB in C): not exact */
        if (!ok || !have || (den == -1 && num == INT64_MIN) || num % den != 0) {
            /* not exact: the box bound of these axes is counted below */
            continue;
        }
        int64_t lambda = num / den;
        if (glo < elo) glo = elo;
        if (ghi > ehi) ghi = ehi;
        int64_t a, b;
        if (ws_mul_ovf(lambda, glo, &a) || ws_mul_ovf(lambda, ghi, &b))
            return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: guard %d overflows 64 bits", name, g);
        if (ws_add_ovf(acc_lo, a < b ? a : b, &acc_lo) ||
            ws_add_ovf(acc_hi, a < b ? b : a, &acc_hi))
            return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: offsets overflow 64 bits", name);
        for (int i = 0; i < v->ndim; i++)
            if (mask[i]) used[i] = 1;
    }
    for (int i = 0; i < v->ndim; i++) rest[i] = !used[i];
    int64_t blo, bhi;
    if (box_range(v, v->strides, rest, &blo, &bhi) || ws_add_ovf(acc_lo, blo, &acc_lo) ||
        ws_add_ovf(acc_hi, bhi, &acc_hi))
        return ws_fail(e, WINSUM_ERR_OVERFLOW, "%s: element offsets overflow 64 bits", name);
    *lo = acc_lo;
    *hi = acc_hi;
    return WINSUM_OK;
}

/* 1 when no two indices of v (no guards) share an element. Exact: a
 * sufficient ordering test first, then a bitmap for small views; views too
 * large for the bitmap that fail the ordering test are reported as
 * overlapping (conservative). */
static int no_self_overlap(const winsum_view *v, int64_t lo, int64_t hi)
{
    int idx[WINSUM_MAX_DIMS], n = 0;
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[i] > 1) {
            if (v->strides[i] == 0) return 0;
            idx[n++] = i;
        }
    /* sort axes by |stride| */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && llabs(v->strides[idx[b]]) < llabs(v->strides[idx[b - 1]]); b--) {
            int t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
        }
    int64_t span = 0;
    int ordered = 1;
    for (int a = 0; a < n && ordered; a++) {
        int64_t s = llabs(v->strides[idx[a]]);
        if (s <= span) ordered = 0;
        else span += s * (v->shape[idx[a]] - 1);
    }
    if (ordered) return 1;
    int64_t numel = ws_view_numel(v), range = hi - lo + 1;
    if (numel > range) return 0;
    if (range > ((int64_t)1 << 27)) return 0;
    uint8_t *seen = calloc((size_t)(range + 7) / 8, 1);
    if (!seen) return 0;
    int64_t cnt[WINSUM_MAX_DIMS] = {0}, off = v->offset - lo;
    int result = 1;
    for (int64_t k = 0; k < numel; k++) {
        if (seen[off >> 3] & (1u << (off & 7))) {
            result = 0;
            break;
        }
        seen[off >> 3] |= (uint8_t)(1u << (off & 7));
        for (int d = v->ndim - 1; d >= 0; d--) {
            if (++cnt[d] < v->shape[d]) {
                off += v->strides[d];
                break;
            }
            off -= v->strides[d] * (v->shape[d] - 1);
            cnt[d] = 0;
        }
    }
    free(seen);
    return result;
}

winsum_status ws_buffer_check_fields(const winsum_buffer *b, const char *name, ws_error *e)
{
    if (!b) return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: the view has no buffer", name);
    if (b->where != WINSUM_HOST && b->where != WINSUM_DEVICE)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: buffer kind %d is neither host nor device",
                       name, (int)b->where);
    if (b->where == WINSUM_HOST && !b->host && b->bytes)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: host buffer pointer is NULL", name);
    if (b->where == WINSUM_DEVICE && !b->mem)
        return ws_fail(e, WINSUM_ERR_ARGUMENT,
                       "%s: device buffer (mem: a cl_mem on OpenCL) is NULL", name);
    return WINSUM_OK;
}

winsum_status ws_view_check(const winsum_view *v, const char *name, int is_output, ws_error *e)
{
    int64_t lo, hi;
    int empty;
    winsum_status st = ws_view_range(v, &lo, &hi, &empty, name, e);
    if (st) return st;
    const winsum_buffer *b = v->buffer;
    if ((st = ws_buffer_check_fields(b, name, e))) return st;
    if (is_output && v->nguards)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: an output view cannot have guards", name);
    if (empty) return WINSUM_OK;
    int64_t cap = (int64_t)(b->bytes / winsum_dtype_size(v->dtype));
    if (lo < 0 || hi >= cap)
        return ws_fail(e, WINSUM_ERR_BOUNDS,
                       "%s: the view reaches elements %lld..%lld but its buffer holds %lld "
                       "elements (offset %lld)",
                       name, (long long)lo, (long long)hi, (long long)cap, (long long)v->offset);
    if (is_output && !no_self_overlap(v, lo, hi))
        return ws_fail(e, WINSUM_ERR_OVERLAP,
                       "%s: the output view maps two indices to one element (zero or "
                       "overlapping strides)",
                       name);
    return WINSUM_OK;
}

winsum_status winsum_view_check(const winsum_view *view, const char *name, int is_output, char *msg,
                                size_t msg_len)
{
    ws_error e = {0};
    winsum_status st = ws_view_check(view, name ? name : "view", is_output, &e);
    if (st) ws_error_copy(&e, msg, msg_len);
    return st;
}

int ws_views_may_alias(const winsum_view *a, const winsum_view *b, ws_mem_base_fn device_base)
{
    if (!a->buffer || !b->buffer) return 0;
    if (a->buffer->where != b->buffer->where) return 0;
    int64_t alo, ahi, blo, bhi;
    int ae, be;
    if (ws_view_range(a, &alo, &ahi, &ae, "", NULL) || ws_view_range(b, &blo, &bhi, &be, "", NULL))
        return 1;
    if (ae || be) return 0;
    /* compare byte ranges, relative to each buffer's start */
    int64_t sa = (int64_t)winsum_dtype_size(a->dtype), sb = (int64_t)winsum_dtype_size(b->dtype);
    int64_t a0, a1, b0, b1, ba = 0, bb = 0;
    if (a->buffer->where == WINSUM_HOST) {
        ba = (int64_t)(intptr_t)a->buffer->host;
        bb = (int64_t)(intptr_t)b->buffer->host;
    } else {
        const void *pa = NULL, *pb = NULL;
        if (!device_base || device_base(a->buffer->mem, &pa, &ba) ||
            device_base(b->buffer->mem, &pb, &bb))
            return 1;           /* cannot tell: assume they do */
        if (pa != pb) return 0; /* different allocations */
    }
    /* byte ranges in one address space (an OpenCL sub-buffer's is its parent's) */
    if (ws_mul_ovf(alo, sa, &a0) || ws_mul_ovf(ahi + 1, sa, &a1) || ws_mul_ovf(blo, sb, &b0) ||
        ws_mul_ovf(bhi + 1, sb, &b1) || ws_add_ovf(a0, ba, &a0) || ws_add_ovf(a1, ba, &a1) ||
        ws_add_ovf(b0, bb, &b0) || ws_add_ovf(b1, bb, &b1))
        return 1;
    return a0 < b1 && b0 < a1;
}

winsum_status winsum_view_window(const winsum_view *base, int nspatial, const int *spatial_axis,
                                 const int64_t *kernel, const int64_t *stride,
                                 const int64_t *dilation, const int64_t *pad_lo,
                                 const int64_t *pad_hi, winsum_view *out, char *msg, size_t msg_len)
{
    ws_error e = {0};
    winsum_status st = WINSUM_OK;
    if (!base || !out || !spatial_axis || !kernel || !stride || !dilation || !pad_lo || !pad_hi) {
        st = ws_fail(&e, WINSUM_ERR_ARGUMENT, "window view: NULL argument");
        goto done;
    }
    if ((st = check_shape(base, "window base", &e))) goto done;
    if (nspatial < 1 || base->ndim + nspatial > WINSUM_MAX_DIMS || nspatial > base->ndim) {
        st = ws_fail(&e, WINSUM_ERR_ARGUMENT, "window view: %d spatial axes on a %d-d view",
                     nspatial, base->ndim);
        goto done;
    }
    int is_spatial[WINSUM_MAX_DIMS] = {0};
    for (int d = 0; d < nspatial; d++) {
        int ax = spatial_axis[d];
        if (ax < 0 || ax >= base->ndim || is_spatial[ax]) {
            st = ws_fail(&e, WINSUM_ERR_ARGUMENT, "window view: bad or repeated spatial axis %d",
                         ax);
            goto done;
        }
        is_spatial[ax] = d + 1;
        if (kernel[d] < 1 || stride[d] < 1 || dilation[d] < 1 || pad_lo[d] < 0 || pad_hi[d] < 0) {
            st = ws_fail(&e, WINSUM_ERR_CONV,
                         "window view: spatial axis %d needs kernel >= 1, stride >= 1, dilation "
                         ">= 1, padding >= 0 (got kernel %lld stride %lld dilation %lld padding "
                         "%lld:%lld)",
                         d, (long long)kernel[d], (long long)stride[d], (long long)dilation[d],
                         (long long)pad_lo[d], (long long)pad_hi[d]);
            goto done;
        }
    }
    winsum_view w;
    memset(&w, 0, sizeof w);
    w.buffer = base->buffer;
    w.dtype = base->dtype;
    w.offset = base->offset;
    int map_out[WINSUM_MAX_DIMS], map_k[WINSUM_MAX_DIMS]; /* base axis -> new axes */
    int n = 0;
    for (int i = 0; i < base->ndim; i++)
        if (!is_spatial[i]) {
            w.shape[n] = base->shape[i];
            w.strides[n] = base->strides[i];
            map_out[i] = n;
            map_k[i] = -1;
            n++;
        }
    for (int d = 0; d < nspatial; d++) {
        int ax = spatial_axis[d];
        int64_t in = base->shape[ax], span, padded, t;
        if (ws_mul_ovf(dilation[d], kernel[d] - 1, &span) || ws_add_ovf(span, 1, &span) ||
            ws_add_ovf(in, pad_lo[d], &padded) || ws_add_ovf(padded, pad_hi[d], &padded) ||
            ws_mul_ovf(base->strides[ax], stride[d], &t) ||
            ws_mul_ovf(base->strides[ax], dilation[d], &t) ||
            ws_mul_ovf(pad_lo[d], base->strides[ax], &t) || ws_mul_ovf(t, -1, &t) ||
            ws_add_ovf(w.offset, t, &t)) {
            st = ws_fail(&e, WINSUM_ERR_OVERFLOW,
                         "window view: spatial axis %d: kernel %lld, stride %lld, dilation %lld, "
                         "padding %lld:%lld overflow 64-bit offsets",
                         d, (long long)kernel[d], (long long)stride[d], (long long)dilation[d],
                         (long long)pad_lo[d], (long long)pad_hi[d]);
            goto done;
        }
        if (padded < span) {
            st = ws_fail(&e, WINSUM_ERR_CONV,
                         "window view: spatial axis %d: the kernel spans %lld (kernel %lld, "
                         "dilation %lld) but the padded input is %lld (%lld + %lld + %lld)",
                         d, (long long)span, (long long)kernel[d], (long long)dilation[d],
                         (long long)padded, (long long)in, (long long)pad_lo[d],
                         (long long)pad_hi[d]);
            goto done;
        }
        int64_t o = (padded - span) / stride[d] + 1;
        map_out[ax] = n + d;
        map_k[ax] = n + nspatial + d;
        w.shape[n + d] = o;
        w.strides[n + d] = base->strides[ax] * stride[d];
        w.shape[n + nspatial + d] = kernel[d];
        w.strides[n + nspatial + d] = base->strides[ax] * dilation[d];
        w.offset -= pad_lo[d] * base->strides[ax];
    }
    w.ndim = n + 2 * nspatial;
    /* the base's own guards, carried over */
    for (int g = 0; g < base->nguards; g++) {
        winsum_guard *ng = &w.guards[w.nguards++];
        ng->offset = base->guards[g].offset;
        ng->extent = base->guards[g].extent;
        for (int i = 0; i < base->ndim; i++) {
            int64_t c = base->guards[g].coef[i], a, b, o;
            if (map_k[i] < 0) {
                ng->coef[map_out[i]] += c;
                continue;
            }
            int d = is_spatial[i] - 1;
            if (ws_mul_ovf(c, stride[d], &a) || ws_mul_ovf(c, dilation[d], &b) ||
                ws_mul_ovf(c, pad_lo[d], &o) || ws_mul_ovf(o, -1, &o) ||
                ws_add_ovf(ng->offset, o, &ng->offset)) {
                st = ws_fail(&e, WINSUM_ERR_OVERFLOW,
                             "window view: guard %d of the base overflows 64 bits", g);
                goto done;
            }
            ng->coef[map_out[i]] += a;
            ng->coef[map_k[i]] += b;
        }
    }
    for (int d = 0; d < nspatial; d++) {
        int ax = spatial_axis[d];
        /* no overflow: both terms are within the padded extent checked above */
        int64_t o = w.shape[n + d], last = (o - 1) * stride[d] + dilation[d] * (kernel[d] - 1);
        /* a guard only where a window can reach the padding */
        if (pad_lo[d] == 0 && last - pad_lo[d] < base->shape[ax]) continue;
        if (w.nguards >= WINSUM_MAX_GUARDS) {
            st = ws_fail(&e, WINSUM_ERR_UNSUPPORTED, "window view: more than %d guards",
                         WINSUM_MAX_GUARDS);
            goto done;
        }
        winsum_guard *ng = &w.guards[w.nguards++];
        ng->coef[n + d] = stride[d];
        ng->coef[n + nspatial + d] = dilation[d];
        ng->offset = -pad_lo[d];
        ng->extent = base->shape[ax];
    }
    *out = w; // cppcheck-suppress ctunullpointer ; out was checked above (goto done)
done:
    if (st) ws_error_copy(&e, msg, msg_len);
    return st;
}
