/*
 * internal.h - types and functions shared by winsum's host sources but not
 * part of the public API: the error sink, the einsum IR the parser produces,
 * the per-label normalised operand the planners and the reference path
 * consume.
 */
#ifndef WINSUM_INTERNAL_H
#define WINSUM_INTERNAL_H

#include "winsum.h"
#include <stdarg.h>
#include <stdint.h>

#define WS_MAX_OPS    32
#define WS_MAX_LABELS 96 /* 52 letters + up to WINSUM_MAX_DIMS ellipsis dims */

/* ------------------------------------------------------------- errors */

typedef struct ws_error {
    winsum_status status;
    char msg[4096];
    uint64_t owner; /* a context's error: its unique id, else 0 */
} ws_error;

/* Records status and a printf-style message in e (if not NULL); returns
 * status so that `return ws_fail(e, ...)` reads naturally. */
winsum_status ws_fail(ws_error *e, winsum_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A context's error sink (owner != 0) also keeps each thread's own last
 * message: ws_fail copies it into the calling thread's slot for that owner.
 * ws_thread_error returns that slot's message, NULL when this thread has no
 * error of that owner among the last few contexts it had errors in. */
const char *ws_thread_error(uint64_t owner);
/* Copies e's message into a caller's (msg, len) buffer, if any. */
void ws_error_copy(const ws_error *e, char *msg, size_t len);

/* 1 when this operation of the kind must fail (fault injection, fault.c). */
int ws_fault(winsum_fault kind);

/* checked 64-bit arithmetic: 0 on success, 1 on overflow */
int ws_mul_ovf(int64_t a, int64_t b, int64_t *r);

/* Element i of host memory p holding dtype d, as a double; and the store
 * back (float16 and float32 rounded to nearest even). */
static inline double ws_load_elem(const void *p, winsum_dtype d, int64_t i)
{
    if (d == WINSUM_F64) return ((const double *)p)[i];
    if (d == WINSUM_F16) return winsum_f16_to_double(((const uint16_t *)p)[i]);
    return ((const float *)p)[i];
}

static inline void ws_store_elem(void *p, winsum_dtype d, int64_t i, double v)
{
    if (d == WINSUM_F64) ((double *)p)[i] = v;
    else if (d == WINSUM_F16) ((uint16_t *)p)[i] = winsum_f16_from_double(v);
    else ((float *)p)[i] = (float)v;
}
int ws_add_ovf(int64_t a, int64_t b, int64_t *r);

/* ------------------------------------------------------------ einsum IR */

/* Result of parsing subscripts against operand shapes. Labels are numbered
 * 0..nlabels-1; a letter label has label_char set, an ellipsis (broadcast)
 * dimension has label_char 0. Repeated labels in one operand are kept as
 * repeated entries of op_label (diagonals). */
typedef struct ws_ir {
    int nops;
    int nlabels;
    char label_char[WS_MAX_LABELS];
    int64_t size[WS_MAX_LABELS]; /* the label's size after size-1 broadcasting */
    int op_ndim[WS_MAX_OPS];
    int op_label[WS_MAX_OPS][WINSUM_MAX_DIMS];
    int out_ndim;
    int out_label[WINSUM_MAX_DIMS];
} ws_ir;

/* Parses numpy einsum subscripts for nops operands with the given shapes
 * (views: only ndim and shape are read). Errors follow numpy.einsum:
 * WINSUM_ERR_SUBSCRIPTS for syntax and counts, WINSUM_ERR_SHAPE for sizes. */
winsum_status ws_parse(const char *subscripts, int nops, const winsum_view *ops, ws_ir *ir,
                       ws_error *e);

/* Writes the IR back as canonical subscripts ("ij,jk->ik"; ellipsis labels
 * printed as '.'), for messages and plan descriptions. */
void ws_ir_format(const ws_ir *ir, char *buf, size_t len);

/* ---------------------------------------------------- normalised operands */

typedef struct ws_lguard {
    int64_t coef[WS_MAX_LABELS];
    int64_t offset;
    int64_t extent;
} ws_lguard;

/* An operand expressed per label: element at label indices idx lives at
 * offset + sum_l stride[l] * idx[l]. has[l] says the label belongs to the
 * operand (a size-1 axis broadcast to the label size has stride 0).
 * Diagonals are already folded: a repeated label's strides and guard
 * coefficients are summed. */
typedef struct ws_operand {
    const winsum_buffer *buffer;
    winsum_dtype dtype;
    int64_t offset;
    uint8_t has[WS_MAX_LABELS];
    int64_t stride[WS_MAX_LABELS];
    int nguards;
    ws_lguard guard[WINSUM_MAX_GUARDS];
} ws_operand;

/* Operand `which` of ir (or the output when which == -1) from its view. */
void ws_operand_from_view(const ws_ir *ir, int which, const winsum_view *view, ws_operand *op);

/* ------------------------------------------------------------------ views */

/* Lowest and highest element index a view can touch (guards honoured where
 * they bound the address exactly, else the box bound). *empty is set when the
 * view has no element (a zero in its shape, or guards that exclude all). */
winsum_status ws_view_range(const winsum_view *v, int64_t *lo, int64_t *hi, int *empty,
                            const char *name, ws_error *e);
/* A buffer's own fields: present, a known kind, and a pointer or a device
 * buffer. */
winsum_status ws_buffer_check_fields(const winsum_buffer *b, const char *name, ws_error *e);
winsum_status ws_view_check(const winsum_view *v, const char *name, int is_output, ws_error *e);
/* The allocation a device buffer lives in and its byte offset there (a
 * backend's, backend.h); 1 when it cannot say. */
typedef int (*ws_mem_base_fn)(const void *mem, const void **root, int64_t *offset);
/* 1 when the element ranges of two views in the same memory intersect;
 * device buffers are compared with device_base (NULL: they may). */
int ws_views_may_alias(const winsum_view *a, const winsum_view *b, ws_mem_base_fn device_base);
int64_t ws_view_numel(const winsum_view *v);

/* ------------------------------------------------------------ scalars */

/* alpha and beta for an output of dtype dt (winsum.h): finite, and each 0 or
 * a normal number of the arithmetic type (float for float32 and float16,
 * double for float64). Else WINSUM_ERR_ARGUMENT, the message naming `who`
 * (the call), the scalar and its value. Both backends check, so that they
 * agree. */
winsum_status ws_check_scalars(double alpha, double beta, winsum_dtype dt, const char *who,
                               ws_error *e);

/* ------------------------------------------------------- reference path */

/* out = alpha * einsum + beta * out over host buffers, accumulating in
 * double. Operands have been validated. With beta == 0, out is not read. */
void ws_ref_einsum(const ws_ir *ir, const ws_operand *ops, const ws_operand *out, double alpha,
                   double beta);

#endif
