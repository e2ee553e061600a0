/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* test_parse.c - the einsum subscript parser (ws_parse, ws_ir_format) against
 * numpy 1.24's einsum: tables of valid expressions with their canonical form,
 * output shape and label count, every error with its status code, and a few
 * checks of label numbering, sizes and messages. The expected values were
 * taken from numpy.einsum on arrays of the same shapes. */
#include "internal.h"
#include "testutil.h"
#include <stdlib.h>
#include <string.h>

/* Fills ops[] from a shape spec: operands separated by '|', sizes by ','; an
 * empty operand is 0-d ("2,3|3,4", "|2", ""). Returns the operand count.
 * Only ndim and shape matter to the parser. */
static int make_ops(const char *spec, winsum_view *ops)
{
    int n = 0;
    const char *p = spec;
    memset(&ops[0], 0, sizeof ops[0]);
    for (;;) {
        if (*p == '|' || *p == 0) {
            n++;
            if (*p == 0) break;
            p++;
            memset(&ops[n], 0, sizeof ops[n]);
            continue;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        char *end;
        long long v = strtoll(p, &end, 10);
        ops[n].shape[ops[n].ndim++] = v;
        p = end;
    }
    return n;
}

/* A view of `ndim` axes, all of size `size`. */
static winsum_view same_sizes(int ndim, int64_t size)
{
    winsum_view v;
    memset(&v, 0, sizeof v);
    v.ndim = ndim;
    for (int i = 0; i < ndim && i < WINSUM_MAX_DIMS; i++) v.shape[i] = size;
    return v;
}

/* The output shape of an IR as "2,4" ("" for 0-d). */
static void out_shape(const ws_ir *ir, char *buf, size_t len)
{
    size_t pos = 0;
    buf[0] = 0;
    for (int a = 0; a < ir->out_ndim; a++)
        pos += (size_t)snprintf(buf + pos, len - pos, "%s%lld", a ? "," : "",
                                (long long)ir->size[ir->out_label[a]]);
}

typedef struct valid_case {
    const char *subs, *shapes; /* input */
    const char *canon;         /* ws_ir_format of the result */
    const char *out;           /* output shape */
    int nlabels;
} valid_case;

/* Each case was run through numpy.einsum(subs, *ones(shapes)) for `out`. */
static const valid_case valid[] = {
    {"ij,jk->ik", "2,3|3,4", "ij,jk->ik", "2,4", 3},
    {"ij,jk", "2,3|3,4", "ij,jk->ik", "2,4", 3},
    {"ij,jk,kl->il", "2,3|3,4|4,5", "ij,jk,kl->il", "2,5", 4},
    {"ba", "2,3", "ba->ab", "3,2", 2},
    {"Ba", "2,3", "Ba->Ba", "2,3", 2},
    {"aB", "2,3", "aB->Ba", "3,2", 2},
    {"Aa", "2,3", "Aa->Aa", "2,3", 2},
    {"bac", "3,2,4", "bac->abc", "2,3,4", 3},
    {"ZzAa", "1,2,3,4", "ZzAa->AZaz", "3,1,4,2", 4},
    {"ijk->", "2,3,4", "ijk->", "", 3},
    {"ab->ba", "2,3", "ab->ba", "3,2", 2},
    {"i j->j i", "2,3", "ij->ji", "3,2", 2},
    {" i j , j k -> i k ", "2,3|3,4", "ij,jk->ik", "2,4", 3},
    {"i -> i", "2", "i->i", "2", 1},
    /* size-1 broadcasting of letters */
    {"ij,jk->ik", "2,1|3,4", "ij,jk->ik", "2,4", 3},
    {"ij,jk->ik", "2,3|1,4", "ij,jk->ik", "2,4", 3},
    {"ij,ij->ij", "1,3|2,1", "ij,ij->ij", "2,3", 2},
    {"i,i", "0|1", "i,i->", "", 1},
    {"ij,j", "0,3|1", "ij,j->i", "0", 2},
    /* diagonals */
    {"ii", "3,3", "ii->", "", 1},
    {"ii->i", "3,3", "ii->i", "3", 1},
    {"iii->i", "2,2,2", "iii->i", "2", 1},
    {"iij", "2,2,3", "iij->j", "3", 2},
    {"iij,j", "2,2,3|3", "iij,j->", "", 2},
    {"ii,i", "1,1|3", "ii,i->", "", 1},
    {"ii,i", "3,3|1", "ii,i->", "", 1},
    {"ii", "0,0", "ii->", "", 1},
    {"iIi->", "2,3,2", "iIi->", "", 2},
    /* ellipsis */
    {"...ij,...jk", "5,2,3|3,4", ".ij,jk->.ik", "5,2,4", 4},
    {"...ij,...jk", "5,2,3|1,3,4", ".ij,.jk->.ik", "5,2,4", 4},
    {"...ij,...jk->...ik", "1,2,3|7,3,4", ".ij,.jk->.ik", "7,2,4", 4},
    {"...,...", "2,1,5|3,1", "...,..->...", "2,3,5", 3},
    {"...,...->...", "2,1|3", "..,.->..", "2,3", 2},
    {"...a,...a", "2,1,5|3,1", "..a,.a->..", "2,3", 3},
    {"a...,a...->a...", "2,3|2,1", "a.,a.->a.", "2,3", 2},
    {"ab,...->...", "2,3|4", "ab,.->.", "4", 3},
    {"...i->...", "2,3", ".i->.", "2", 2},
    {"i...->...", "2,3", "i.->.", "3", 2},
    {"i...", "2,3", "i.->.i", "3,2", 2},
    {"...i", "2,3", ".i->.i", "2,3", 2},
    {"...", "2,3", "..->..", "2,3", 2},
    {"...->...", "2,3", "..->..", "2,3", 2},
    {"...ij->ji...", "4,5,2,3", "..ij->ji..", "3,2,4,5", 4},
    {"i...i", "2,3,2", "i.i->.", "3", 2},
    {"ii...->i...", "2,2,5", "ii.->i.", "2,5", 2},
    {"...ii->...i", "5,2,2", ".ii->.i", "5,2", 2},
    {"j...i,i...j", "2,3,4|4,3,2", "j.i,i.j->.", "3", 3},
    {"...i->i", "3", "i->i", "3", 1},         /* '...' covering 0 dims */
    {"ij->...ij", "2,3", "ij->ij", "2,3", 2}, /* output '...' without input '...' */
    {"ij...->ij", "2,3", "ij->ij", "2,3", 2},
    {"ab->...ba", "2,3", "ab->ba", "3,2", 2},
    /* 0-d operands and full reductions */
    {"...", "", "->", "", 0},
    {"", "", "->", "", 0},
    {"->", "", "->", "", 0},
    {" ", "", "->", "", 0},
    {" , ", "|", ",->", "", 0},
    {",->", "|", ",->", "", 0},
    {"i->", "3", "i->", "", 1},
    {"i,,", "2||", "i,,->i", "2", 1},
    {"i,->i", "2|", "i,->i", "2", 1},
};

typedef struct error_case {
    const char *subs, *shapes;
    winsum_status code;
} error_case;

/* numpy raises ValueError on every one of these. */
static const error_case errors[] = {
    /* characters and '->' */
    {"i1", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i->1", "2", WINSUM_ERR_SUBSCRIPTS},
    {"\ti", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i\n", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i_j", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i\xc3\xa9", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i,j->i,j", "2|3", WINSUM_ERR_SUBSCRIPTS},
    {"i->->i", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i-->i", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->>i", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i-", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i- >i", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i>", "2", WINSUM_ERR_SUBSCRIPTS},
    {">i", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->i>", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->i-", "2", WINSUM_ERR_SUBSCRIPTS},
    /* dots */
    {"i..j", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i....j", "2,3,4", WINSUM_ERR_SUBSCRIPTS},
    {".i..", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i..", "2", WINSUM_ERR_SUBSCRIPTS},
    {". ..", "2", WINSUM_ERR_SUBSCRIPTS},
    {".. .", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i...j...", "2,3,4", WINSUM_ERR_SUBSCRIPTS},
    {"......", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->.", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->..", "2", WINSUM_ERR_SUBSCRIPTS},
    {"...i->......", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->...i...", "2", WINSUM_ERR_SUBSCRIPTS},
    /* term counts against operands and ranks */
    {"i,j", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i", "2|3", WINSUM_ERR_SUBSCRIPTS},
    {"i,j,", "2|3", WINSUM_ERR_SUBSCRIPTS},
    {"ij", "2", WINSUM_ERR_SUBSCRIPTS},
    {"...ij", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"", "2", WINSUM_ERR_SUBSCRIPTS},
    {",->", "2|", WINSUM_ERR_SUBSCRIPTS},
    {"i", "", WINSUM_ERR_SUBSCRIPTS},
    /* output */
    {"i->ii", "2", WINSUM_ERR_SUBSCRIPTS},
    {"ij->iji", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i->j", "2", WINSUM_ERR_SUBSCRIPTS},
    {"i->I", "2", WINSUM_ERR_SUBSCRIPTS},
    {"->i", "", WINSUM_ERR_SUBSCRIPTS},
    {"...i->i", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"i...->i", "2,3", WINSUM_ERR_SUBSCRIPTS},
    {"...->", "2,3", WINSUM_ERR_SUBSCRIPTS},
    /* sizes */
    {"ii", "2,3", WINSUM_ERR_SHAPE},
    {"ii", "1,3", WINSUM_ERR_SHAPE},
    {"ii", "3,1", WINSUM_ERR_SHAPE},
    {"ii->i", "1,3", WINSUM_ERR_SHAPE},
    {"i...i", "2,3,4", WINSUM_ERR_SHAPE},
    {"ij,jk->ik", "2,3|2,4", WINSUM_ERR_SHAPE},
    {"ij,jk->ik", "2,3|4,4", WINSUM_ERR_SHAPE},
    {"ij,ij->", "2,3|3,2", WINSUM_ERR_SHAPE},
    {"i,i", "0|2", WINSUM_ERR_SHAPE},
    {"i,i,i", "1|2|3", WINSUM_ERR_SHAPE},
    {"...ij,...jk", "5,2,3|7,3,4", WINSUM_ERR_SHAPE},
    {"...,...->...", "2,1|3,4", WINSUM_ERR_SHAPE},
    {"a...,a...->a...", "2,3|2,4", WINSUM_ERR_SHAPE},
};

static void test_valid_table(void)
{
    for (size_t c = 0; c < sizeof valid / sizeof valid[0]; c++) {
        const valid_case *v = &valid[c];
        winsum_view ops[WS_MAX_OPS];
        int n = make_ops(v->shapes, ops);
        ws_ir ir;
        ws_error e = {0};
        winsum_status st = ws_parse(v->subs, n, ops, &ir, &e);
        CHECK_MSG(st == WINSUM_OK, "'%s' %s: %s: %s", v->subs, v->shapes, winsum_status_string(st),
                  e.msg);
        if (st) continue;
        char canon[256], shape[256];
        ws_ir_format(&ir, canon, sizeof canon);
        out_shape(&ir, shape, sizeof shape);
        CHECK_MSG(strcmp(canon, v->canon) == 0, "'%s': canonical '%s', expected '%s'", v->subs,
                  canon, v->canon);
        CHECK_MSG(strcmp(shape, v->out) == 0, "'%s' %s: output shape (%s), expected (%s)", v->subs,
                  v->shapes, shape, v->out);
        CHECK_MSG(ir.nlabels == v->nlabels, "'%s': %d labels, expected %d", v->subs, ir.nlabels,
                  v->nlabels);
        /* Structural invariants of every IR. */
        int ok = ir.nops == n;
        for (int k = 0; k < n; k++) {
            ok &= ir.op_ndim[k] == ops[k].ndim;
            for (int a = 0; a < ir.op_ndim[k]; a++) {
                int l = ir.op_label[k][a];
                ok &= l >= 0 && l < ir.nlabels;
                /* every axis is the label's size or broadcasts (size 1) */
                if (l >= 0 && l < ir.nlabels)
                    ok &= ops[k].shape[a] == ir.size[l] || ops[k].shape[a] == 1;
            }
        }
        for (int a = 0; a < ir.out_ndim; a++) {
            ok &= ir.out_label[a] >= 0 && ir.out_label[a] < ir.nlabels;
            for (int b = 0; b < a; b++) ok &= ir.out_label[a] != ir.out_label[b];
        }
        CHECK_MSG(ok, "'%s': IR invariants", v->subs);
        /* Parsing the canonical form again gives the same IR, as long as
         * it has no '...' (which prints one '.' per dimension). */
        if (!strchr(canon, '.')) {
            ws_ir ir2;
            st = ws_parse(canon, n, ops, &ir2, &e);
            CHECK_MSG(st == WINSUM_OK && memcmp(&ir, &ir2, sizeof ir) == 0,
                      "'%s': reparsing '%s' differs", v->subs, canon);
        }
    }
}

static void test_error_table(void)
{
    for (size_t c = 0; c < sizeof errors / sizeof errors[0]; c++) {
        const error_case *x = &errors[c];
        winsum_view ops[WS_MAX_OPS];
        int n = make_ops(x->shapes, ops);
        ws_ir ir;
        ws_error e = {0};
        winsum_status st = ws_parse(x->subs, n, ops, &ir, &e);
        CHECK_MSG(st == x->code, "'%s' %s: got %s (%s), expected %s", x->subs, x->shapes,
                  winsum_status_string(st), e.msg, winsum_status_string(x->code));
        CHECK_MSG(e.status == st && e.msg[0], "'%s': error sink not filled", x->subs);
    }
}

static void test_arguments(void)
{
    winsum_view ops[WS_MAX_OPS + 1];
    ws_ir ir;
    ws_error e = {0};
    make_ops("2,3|3,4", ops);
    CHECK_STATUS(ws_parse(NULL, 2, ops, &ir, &e), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(ws_parse("ij,jk", 2, NULL, &ir, &e), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, NULL, &e), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(ws_parse("ij,jk", 0, ops, &ir, &e), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(ws_parse("ij,jk", -1, ops, &ir, &e), WINSUM_ERR_ARGUMENT);
    /* a NULL error sink is fine */
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, NULL, NULL), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, &ir, NULL), WINSUM_OK);
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, &ir, &e), WINSUM_OK);

    ops[1].ndim = -1;
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, &ir, &e), WINSUM_ERR_ARGUMENT);
    ops[1].ndim = WINSUM_MAX_DIMS + 1;
    CHECK_STATUS(ws_parse("ij,...", 2, ops, &ir, &e), WINSUM_ERR_ARGUMENT);
    make_ops("2,-3|3,4", ops);
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, &ir, &e), WINSUM_ERR_SHAPE);
    CHECK(strstr(e.msg, "operand 0") && strstr(e.msg, "-3"));

    /* WS_MAX_OPS operands are fine (numpy stops at 31), one more is not. */
    char subs[4 * WS_MAX_OPS + 8] = "";
    for (int k = 0; k < WS_MAX_OPS + 1; k++) {
        ops[k] = same_sizes(1, 2);
        strcat(subs, k ? ",i" : "i");
    }
    size_t len_max = strlen(subs) - 2; /* drop the last ",i" */
    subs[len_max] = 0;
    CHECK_STATUS(ws_parse(subs, WS_MAX_OPS, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.nops == WS_MAX_OPS && ir.nlabels == 1 && ir.out_ndim == 0);
    strcat(subs, ",i");
    CHECK_STATUS(ws_parse(subs, WS_MAX_OPS + 1, ops, &ir, &e), WINSUM_ERR_ARGUMENT);
}

/* Label numbering, sizes and the ellipsis ids, checked field by field. */
static void test_ir_fields(void)
{
    winsum_view ops[WS_MAX_OPS];
    ws_ir ir;
    ws_error e = {0};

    /* letters numbered by first appearance */
    make_ops("2,3|3,4", ops);
    CHECK_STATUS(ws_parse("ij,jk->ki", 2, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.nlabels == 3 && ir.label_char[0] == 'i' && ir.label_char[1] == 'j' &&
          ir.label_char[2] == 'k');
    CHECK(ir.size[0] == 2 && ir.size[1] == 3 && ir.size[2] == 4);
    CHECK(ir.op_label[0][0] == 0 && ir.op_label[0][1] == 1 && ir.op_label[1][0] == 1 &&
          ir.op_label[1][1] == 2);
    CHECK(ir.out_ndim == 2 && ir.out_label[0] == 2 && ir.out_label[1] == 0);

    /* ellipsis dims come after the letters, right-aligned per operand */
    make_ops("5,2,3|7,1,3,4", ops);
    CHECK_STATUS(ws_parse("...ij,...jk", 2, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.nlabels == 5 && ir.label_char[3] == 0 && ir.label_char[4] == 0);
    CHECK(ir.op_ndim[0] == 3 && ir.op_label[0][0] == 4 && ir.op_label[0][1] == 0);
    CHECK(ir.op_label[1][0] == 3 && ir.op_label[1][1] == 4 && ir.op_label[1][2] == 1);
    CHECK(ir.size[3] == 7 && ir.size[4] == 5);
    CHECK(ir.out_ndim == 4 && ir.out_label[0] == 3 && ir.out_label[1] == 4 &&
          ir.out_label[2] == 0 && ir.out_label[3] == 2);

    /* a repeated label stays repeated in op_label */
    make_ops("3,4,3", ops);
    CHECK_STATUS(ws_parse("iji->ij", 1, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.nlabels == 2 && ir.op_label[0][0] == 0 && ir.op_label[0][1] == 1 &&
          ir.op_label[0][2] == 0);

    /* a label only ever seen with size 1 has size 1; size 0 wins over 1 */
    make_ops("1,0|1", ops);
    CHECK_STATUS(ws_parse("ij,i->ij", 2, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.size[0] == 1 && ir.size[1] == 0);
    make_ops("1|0|1", ops);
    CHECK_STATUS(ws_parse("i,i,i", 3, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.size[0] == 0);
}

/* All 52 letters, and 52 letters plus 32 broadcast dimensions. */
static void test_letters(void)
{
    winsum_view ops[3];
    ws_ir ir;
    ws_error e = {0};
    const char *lower = "abcdefghijklmnopqrstuvwxyz", *upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char subs[256];

    ops[0] = same_sizes(26, 1);
    ops[1] = same_sizes(26, 2);
    snprintf(subs, sizeof subs, "%s,%s->zZ", lower, upper);
    CHECK_STATUS(ws_parse(subs, 2, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.nlabels == 52 && ir.label_char[0] == 'a' && ir.label_char[51] == 'Z');
    CHECK(ir.out_ndim == 2 && ir.out_label[0] == 25 && ir.out_label[1] == 51);
    CHECK(ir.size[25] == 1 && ir.size[51] == 2);
    /* implicit: 52 once-only letters make a 52-d output: too many */
    snprintf(subs, sizeof subs, "%s,%s", lower, upper);
    CHECK_STATUS(ws_parse(subs, 2, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    /* explicit output of 33 dims */
    snprintf(subs, sizeof subs, "%s,%s->%s%.7s", lower, upper, lower, upper);
    CHECK_STATUS(ws_parse(subs, 2, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    /* 32 is the most */
    snprintf(subs, sizeof subs, "%s,%s->%s%.6s", lower, upper, lower, upper);
    CHECK_STATUS(ws_parse(subs, 2, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.out_ndim == 32);
    /* ASCII order of the implicit output: uppercase first */
    ops[0] = same_sizes(4, 3);
    CHECK_STATUS(ws_parse("zaZA", 1, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.out_ndim == 4 && ir.label_char[ir.out_label[0]] == 'A' &&
          ir.label_char[ir.out_label[1]] == 'Z' && ir.label_char[ir.out_label[2]] == 'a' &&
          ir.label_char[ir.out_label[3]] == 'z');

    /* the most labels: 32 broadcast dims + 52 letters */
    ops[0] = same_sizes(WINSUM_MAX_DIMS, 1);
    ops[1] = same_sizes(26, 1);
    ops[2] = same_sizes(26, 1);
    snprintf(subs, sizeof subs, "...,%s,%s->...", lower, upper);
    CHECK_STATUS(ws_parse(subs, 3, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.nlabels == 52 + WINSUM_MAX_DIMS && ir.out_ndim == WINSUM_MAX_DIMS);
    /* ... plus one letter in the output is 33 dims */
    snprintf(subs, sizeof subs, "...,%s,%s->...a", lower, upper);
    CHECK_STATUS(ws_parse(subs, 3, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    /* implicitly too: '...' dims plus once-only letters */
    ops[0] = same_sizes(16, 1);
    ops[1] = same_sizes(17, 1);
    CHECK_STATUS(ws_parse("...,abcdefghijklmnopq", 2, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    ops[0] = same_sizes(15, 1);
    CHECK_STATUS(ws_parse("...,abcdefghijklmnopq", 2, ops, &ir, &e), WINSUM_OK);
    CHECK(ir.out_ndim == 32);
    /* a very long term is a clean error, not an overflow */
    ops[0] = same_sizes(2, 2);
    CHECK_STATUS(ws_parse("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                          "qrstuvwxyz",
                          1, ops, &ir, &e),
                 WINSUM_ERR_SUBSCRIPTS);
    ops[0] = same_sizes(1, 2);
    CHECK_STATUS(ws_parse("a->abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
                          "nopqrstuvwxyza",
                          1, ops, &ir, &e),
                 WINSUM_ERR_SUBSCRIPTS);
}

/* Messages name the operands, the label and the sizes. */
static void test_messages(void)
{
    winsum_view ops[WS_MAX_OPS];
    ws_ir ir;
    ws_error e = {0};

    make_ops("2,3|4,5", ops);
    CHECK_STATUS(ws_parse("ij,jk->ik", 2, ops, &ir, &e), WINSUM_ERR_SHAPE);
    CHECK_MSG(strstr(e.msg, "'j'") && strstr(e.msg, "operand 0") && strstr(e.msg, "operand 1") &&
                  strstr(e.msg, "3") && strstr(e.msg, "4"),
              "%s", e.msg);
    make_ops("2,3", ops);
    CHECK_STATUS(ws_parse("ii", 1, ops, &ir, &e), WINSUM_ERR_SHAPE);
    CHECK_MSG(strstr(e.msg, "'i'") && strstr(e.msg, "operand 0") && strstr(e.msg, "2 != 3"), "%s",
              e.msg);
    make_ops("2|3", ops);
    CHECK_STATUS(ws_parse("i,j", 1, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    CHECK_MSG(strstr(e.msg, "2 comma-separated") && strstr(e.msg, "1 operand"), "%s", e.msg);
    CHECK_STATUS(ws_parse("i->j", 1, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    CHECK_MSG(strstr(e.msg, "'j'"), "%s", e.msg);
    CHECK_STATUS(ws_parse("i#", 1, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    CHECK_MSG(strstr(e.msg, "'#'"), "%s", e.msg);
    CHECK_STATUS(ws_parse("i\t", 1, ops, &ir, &e), WINSUM_ERR_SUBSCRIPTS);
    CHECK_MSG(strstr(e.msg, "\\x09"), "%s", e.msg);
    make_ops("5,2,3|7,3,4", ops);
    CHECK_STATUS(ws_parse("...ij,...jk", 2, ops, &ir, &e), WINSUM_ERR_SHAPE);
    CHECK_MSG(strstr(e.msg, "'...'") && strstr(e.msg, "5") && strstr(e.msg, "7"), "%s", e.msg);
}

static void test_format(void)
{
    winsum_view ops[2];
    ws_ir ir;
    ws_error e = {0};
    char buf[64];
    make_ops("2,3|3,4", ops);
    CHECK_STATUS(ws_parse("ij,jk", 2, ops, &ir, &e), WINSUM_OK);
    ws_ir_format(&ir, buf, 4);
    CHECK(strcmp(buf, "ij,") == 0);
    ws_ir_format(&ir, buf, 1);
    CHECK(buf[0] == 0);
    memcpy(buf, "xyz", 4);
    ws_ir_format(&ir, buf, 0); /* writes nothing */
    CHECK(strcmp(buf, "xyz") == 0);
    ws_ir_format(&ir, buf, 10);
    CHECK(strcmp(buf, "ij,jk->ik") == 0);
    ws_ir_format(&ir, buf, 9);
    CHECK(strcmp(buf, "ij,jk->i") == 0);
}

int main(void)
{
    test_valid_table();
    test_error_table();
    test_arguments();
    test_ir_fields();
    test_letters();
    test_messages();
    test_format();
    return tu_finish("test_parse");
}
