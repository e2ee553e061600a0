/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * parse.c - the einsum subscript parser: turns numpy subscripts plus the
 * operands' shapes into a ws_ir (numbered labels, their broadcast sizes, each
 * operand's per-axis labels and the output labels), and writes an IR back as
 * canonical subscripts.
 *
 * It follows numpy.einsum (1.24, the C implementation used when optimize is
 * off) in what it accepts and rejects:
 *   - letters a-z A-Z are labels; ' ' is ignored anywhere except inside '...'
 *     and '->'; any other character is an error (tabs included);
 *   - an operand's '...' covers ndim - (its letter count) axes, possibly 0;
 *     the broadcast dimensions are aligned to the right across operands;
 *   - a letter repeated within one operand is a diagonal and needs exactly
 *     equal sizes (no size-1 broadcasting there), while across operands a
 *     size-1 axis broadcasts against any size (0 included);
 *   - implicit output: the broadcast dimensions first, then the letters that
 *     occur exactly once in all inputs (counting repeats), in ASCII order;
 *   - explicit output: no letter twice, every letter from some input, '...'
 *     allowed even where no input has one (it then covers 0 dimensions) but
 *     required when the inputs do have broadcast dimensions.
 * Unlike numpy, winsum takes up to WS_MAX_OPS operands and all 52 letters in
 * one expression (numpy's iterator caps operands and labels at 32); only the
 * output is limited, to WINSUM_MAX_DIMS dimensions.
 *
 * Label numbering: letters get ids 0.. in order of first appearance in the
 * inputs (left to right), then the broadcast dimensions, leftmost first.
 */
#include "internal.h"
#include <stdio.h>
#include <string.h>

#define NLETTERS 52
/* Letters stored per term; an input term may name at most WINSUM_MAX_DIMS
 * and an output term at most 52 distinct letters, so anything longer is an
 * error that is found within the stored part. */
#define TERM_CAP 64

/* A letter's index in ASCII order: 'A'..'Z' -> 0..25, 'a'..'z' -> 26..51. */
static int letter_index(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
    return -1;
}

/* One comma-separated term (or the output) after tokenising. */
typedef struct term {
    const char *text; /* for messages */
    int text_len;
    int nletters;           /* all letters, even past TERM_CAP */
    char letters[TERM_CAP]; /* the first TERM_CAP of them */
    int ellipsis;           /* letters before the '...', or -1 if none */
} term;

/* Formats a character for a message: printable as itself, else as \xNN. */
static const char *show_char(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f) {
        buf[0] = c;
        buf[1] = 0;
    } else {
        static const char hex[] = "0123456789abcdef";
        buf[0] = '\\';
        buf[1] = 'x';
        buf[2] = hex[u >> 4];
        buf[3] = hex[u & 15];
        buf[4] = 0;
    }
    return buf;
}

/* Tokenises [p, end): letters, spaces and at most one '...'. The characters
 * have already been checked, so only the dots can be wrong here. `what`
 * names the term in messages ("operand 2", "the output"). */
static winsum_status tokenize_term(const char *p, const char *end, const char *what, term *t,
                                   ws_error *e)
{
    t->text = p;
    t->text_len = (int)(end - p);
    t->nletters = 0;
    t->ellipsis = -1;
    for (; p < end; p++) {
        if (*p == ' ') continue;
        if (*p == '.') {
            /* numpy wants exactly three adjacent dots, no spaces inside. */
            if (end - p < 3 || p[1] != '.' || p[2] != '.')
                return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                               "einsum subscripts '%.*s' of %s contain a '.' that is not part "
                               "of an ellipsis ('...')",
                               t->text_len, t->text, what);
            if (t->ellipsis >= 0)
                return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                               "einsum subscripts '%.*s' of %s contain more than one ellipsis "
                               "('...')",
                               t->text_len, t->text, what);
            t->ellipsis = t->nletters;
            p += 2;
            continue;
        }
        if (t->nletters < TERM_CAP) t->letters[t->nletters] = *p;
        t->nletters++;
    }
    return WINSUM_OK;
}

/* Names a label for messages: "label 'j'" or "'...' dimension 2". */
static void label_name(const ws_ir *ir, int l, int first_ellipsis_id, char *buf, size_t len)
{
    if (ir->label_char[l]) snprintf(buf, len, "label '%c'", ir->label_char[l]);
    else snprintf(buf, len, "broadcast ('...') dimension %d", l - first_ellipsis_id);
}

/* First pass over the whole string: every character valid, '->' at most once
 * and well formed, no ',' in the output. Sets *arrow to the index of '-' in
 * '->' or -1, and *nterms to the number of input terms. */
static winsum_status check_syntax(const char *s, long *arrow, int *nterms, ws_error *e)
{
    char cb[8];
    *arrow = -1;
    *nterms = 1;
    for (long i = 0; s[i]; i++) {
        char c = s[i];
        if (letter_index(c) >= 0 || c == ' ' || c == '.') continue;
        if (c == ',') {
            if (*arrow >= 0)
                return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                               "einsum subscripts '%s': ',' in the output (after '->')", s);
            (*nterms)++;
            continue;
        }
        if (c == '-' && s[i + 1] == '>') {
            if (*arrow >= 0)
                return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                               "einsum subscripts '%s' contain '->' more than once", s);
            *arrow = i;
            i++;
            continue;
        }
        if (c == '-')
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "einsum subscripts '%s': '-' at position %ld is not part of a '->'", s,
                           i);
        if (c == '>')
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "einsum subscripts '%s': '>' at position %ld is not part of a '->'", s,
                           i);
        return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                       "einsum subscripts '%s': invalid character '%s' at position %ld "
                       "(subscripts must be letters, with ',', '->', '...' and spaces)",
                       s, show_char(c, cb), i);
    }
    return WINSUM_OK;
}

/* Size bookkeeping for one label: *size is the broadcast size so far (-1 =
 * none yet), *src_op and *src_axis where it came from. Returns 0, or 1 when the
 * sizes conflict. */
static int merge_size(int64_t *size, int *src_op, int *src_axis, int64_t s, int op, int axis)
{
    if (*size < 0 || (*size == 1 && s != 1)) {
        *size = s;
        *src_op = op;
        *src_axis = axis;
        return 0;
    }
    return !(s == *size || s == 1);
}

winsum_status ws_parse(const char *subscripts, int nops, const winsum_view *ops, ws_ir *ir,
                       ws_error *e)
{
    if (!subscripts || !ops || !ir)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "einsum: %s is NULL",
                       !subscripts ? "the subscripts string"
                       : !ops      ? "the operand array"
                                   : "the IR");
    if (nops < 1 || nops > WS_MAX_OPS)
        return ws_fail(e, WINSUM_ERR_ARGUMENT,
                       "einsum: %d operands given; between 1 and %d are supported", nops,
                       WS_MAX_OPS);
    for (int k = 0; k < nops; k++) {
        if (ops[k].ndim < 0 || ops[k].ndim > WINSUM_MAX_DIMS)
            return ws_fail(e, WINSUM_ERR_ARGUMENT,
                           "einsum: operand %d has %d dimensions; between 0 and %d are "
                           "supported",
                           k, ops[k].ndim, WINSUM_MAX_DIMS);
        for (int a = 0; a < ops[k].ndim; a++)
            if (ops[k].shape[a] < 0)
                return ws_fail(e, WINSUM_ERR_SHAPE,
                               "einsum: operand %d has a negative size %lld on axis %d", k,
                               (long long)ops[k].shape[a], a);
    }
    memset(ir, 0, sizeof *ir);

    /* Pass 1: characters, '->', number of terms. */
    long arrow;
    int nterms;
    winsum_status st = check_syntax(subscripts, &arrow, &nterms, e);
    if (st) return st;
    if (nterms != nops)
        return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                       "einsum subscripts '%s' have %d comma-separated input term%s but %d "
                       "operand%s %s given",
                       subscripts, nterms, nterms == 1 ? "" : "s", nops, nops == 1 ? "" : "s",
                       nops == 1 ? "was" : "were");

    /* Pass 2: tokenise each input term and match it to its operand's rank. */
    term terms[WS_MAX_OPS];
    const char *in_end = arrow >= 0 ? subscripts + arrow : subscripts + strlen(subscripts);
    const char *p = subscripts;
    int nb = 0; /* broadcast dimensions: the most any operand's '...' covers */
    for (int k = 0; k < nops; k++) {
        const char *q = p;
        while (q < in_end && *q != ',') q++;
        char what[32];
        snprintf(what, sizeof what, "operand %d", k);
        st = tokenize_term(p, q, what, &terms[k], e);
        if (st) return st;
        term *t = &terms[k];
        int nd = ops[k].ndim;
        if (t->nletters > nd)
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "einsum subscripts '%.*s' of operand %d name %d dimension%s but the "
                           "operand has %d",
                           t->text_len, t->text, k, t->nletters, t->nletters == 1 ? "" : "s", nd);
        if (t->ellipsis < 0 && t->nletters < nd)
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "operand %d has %d dimension%s but its einsum subscripts '%.*s' name "
                           "only %d and have no '...' to cover the rest",
                           k, nd, nd == 1 ? "" : "s", t->text_len, t->text, t->nletters);
        if (t->ellipsis >= 0 && nd - t->nletters > nb) nb = nd - t->nletters;
        p = q + 1;
    }

    /* Number the letters by first appearance, count their occurrences. */
    int letter_id[NLETTERS], count[NLETTERS] = {0};
    for (int i = 0; i < NLETTERS; i++) letter_id[i] = -1;
    int nl = 0;
    for (int k = 0; k < nops; k++)
        for (int j = 0; j < terms[k].nletters; j++) {
            int li = letter_index(terms[k].letters[j]);
            if (letter_id[li] < 0) {
                letter_id[li] = nl;
                ir->label_char[nl] = terms[k].letters[j];
                nl++;
            }
            count[li]++;
        }
    const int ell0 = nl; /* id of the leftmost broadcast dimension */
    ir->nops = nops;
    ir->nlabels = nl + nb;

    /* Each operand's axes: letters before '...', the covered broadcast
     * dimensions (right-aligned), letters after. */
    for (int k = 0; k < nops; k++) {
        const term *t = &terms[k];
        int nd = ops[k].ndim, covered = nd - t->nletters, a = 0;
        int before = t->ellipsis >= 0 ? t->ellipsis : t->nletters;
        for (int j = 0; j < before; j++)
            ir->op_label[k][a++] = letter_id[letter_index(t->letters[j])];
        for (int j = 0; j < covered; j++) ir->op_label[k][a++] = ell0 + nb - covered + j;
        for (int j = before; j < t->nletters; j++)
            ir->op_label[k][a++] = letter_id[letter_index(t->letters[j])];
        ir->op_ndim[k] = nd;
    }

    /* Output labels. */
    if (arrow >= 0) {
        term out;
        st = tokenize_term(subscripts + arrow + 2, subscripts + strlen(subscripts), "the output",
                           &out, e);
        if (st) return st;
        int seen[NLETTERS] = {0};
        int n = out.nletters < TERM_CAP ? out.nletters : TERM_CAP;
        for (int j = 0; j < n; j++) {
            int li = letter_index(out.letters[j]);
            if (seen[li]++)
                return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                               "einsum output subscripts '%.*s' name label '%c' more than once",
                               out.text_len, out.text, out.letters[j]);
            if (letter_id[li] < 0)
                return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                               "einsum output subscripts '%.*s' name label '%c', which no "
                               "input has",
                               out.text_len, out.text, out.letters[j]);
        }
        if (out.ellipsis < 0 && nb > 0)
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "einsum subscripts '%s': the inputs' '...' cover %d broadcast "
                           "dimension%s but the output has no '...' to receive them (numpy "
                           "does not sum over '...')",
                           subscripts, nb, nb == 1 ? "" : "s");
        int nout = out.nletters + (out.ellipsis >= 0 ? nb : 0);
        if (nout > WINSUM_MAX_DIMS)
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "einsum subscripts '%s' give the output %d dimensions; at most %d "
                           "are supported",
                           subscripts, nout, WINSUM_MAX_DIMS);
        int before = out.ellipsis >= 0 ? out.ellipsis : out.nletters;
        for (int j = 0; j < before; j++)
            ir->out_label[ir->out_ndim++] = letter_id[letter_index(out.letters[j])];
        if (out.ellipsis >= 0)
            for (int j = 0; j < nb; j++) ir->out_label[ir->out_ndim++] = ell0 + j;
        for (int j = before; j < out.nletters; j++)
            ir->out_label[ir->out_ndim++] = letter_id[letter_index(out.letters[j])];
    } else {
        /* Implicit: broadcast dimensions, then once-only letters in ASCII order. */
        int nout = nb;
        for (int li = 0; li < NLETTERS; li++) nout += count[li] == 1;
        if (nout > WINSUM_MAX_DIMS)
            return ws_fail(e, WINSUM_ERR_SUBSCRIPTS,
                           "einsum subscripts '%s' give the (implicit) output %d dimensions; "
                           "at most %d are supported",
                           subscripts, nout, WINSUM_MAX_DIMS);
        for (int j = 0; j < nb; j++) ir->out_label[ir->out_ndim++] = ell0 + j;
        for (int li = 0; li < NLETTERS; li++)
            if (count[li] == 1) ir->out_label[ir->out_ndim++] = letter_id[li];
    }

    /* Sizes: diagonals must agree exactly within an operand; across operands
     * a size-1 axis broadcasts. */
    int src_op[WS_MAX_LABELS], src_axis[WS_MAX_LABELS];
    for (int l = 0; l < ir->nlabels; l++) ir->size[l] = -1;
    for (int k = 0; k < nops; k++) {
        int first_axis[WS_MAX_LABELS];
        for (int l = 0; l < ir->nlabels; l++) first_axis[l] = -1;
        for (int a = 0; a < ir->op_ndim[k]; a++) {
            int l = ir->op_label[k][a];
            int64_t s = ops[k].shape[a];
            char name[48];
            if (first_axis[l] >= 0) {
                int64_t s0 = ops[k].shape[first_axis[l]];
                if (s0 != s)
                    return ws_fail(e, WINSUM_ERR_SHAPE,
                                   "einsum: operand %d repeats label '%c' on axes %d and %d "
                                   "with different sizes (%lld != %lld); a repeated label takes "
                                   "a diagonal, which needs equal sizes",
                                   k, ir->label_char[l], first_axis[l], a, (long long)s0,
                                   (long long)s);
                continue;
            }
            first_axis[l] = a;
            if (merge_size(&ir->size[l], &src_op[l], &src_axis[l], s, k, a)) {
                label_name(ir, l, ell0, name, sizeof name);
                return ws_fail(e, WINSUM_ERR_SHAPE,
                               "einsum '%s': %s has size %lld in operand %d (axis %d) but size "
                               "%lld in operand %d (axis %d); sizes must be equal or one of "
                               "them 1",
                               subscripts, name, (long long)ir->size[l], src_op[l], src_axis[l],
                               (long long)s, k, a);
            }
        }
    }
    return WINSUM_OK;
}

/* Appends c to buf if room remains (always keeping the terminator). */
static void put(char *buf, size_t len, size_t *pos, char c)
{
    if (*pos + 1 < len) buf[(*pos)++] = c;
    buf[*pos] = 0;
}

void ws_ir_format(const ws_ir *ir, char *buf, size_t len)
{
    if (!buf || !len) return;
    buf[0] = 0;
    if (!ir) return;
    size_t pos = 0;
    for (int k = 0; k < ir->nops; k++) {
        if (k) put(buf, len, &pos, ',');
        for (int a = 0; a < ir->op_ndim[k]; a++) {
            char c = ir->label_char[ir->op_label[k][a]];
            put(buf, len, &pos, c ? c : '.');
        }
    }
    put(buf, len, &pos, '-');
    put(buf, len, &pos, '>');
    for (int a = 0; a < ir->out_ndim; a++) {
        char c = ir->label_char[ir->out_label[a]];
        put(buf, len, &pos, c ? c : '.');
    }
}
