/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * baseline.c - `winsum-bench --baseline FILE.csv`: an earlier run's CSV (a
 * run on this machine, e.g. the last one in bench/results/) against which
 * each peer's figure of this run is checked. A peer (CLBlast, OpenBLAS,
 * torch, numpy) whose GFLOP/s in a case is below BASE_LOW times its figure
 * for the same suite, case and dtype in FILE is flagged: its cell shows
 * LOW, it is left out of the ratios, geometric means, network totals,
 * targets and the CSV, and a note gives both figures. Such a figure is a
 * peer that misbehaved in this run (torch's oneDNN collapsing from page
 * faults, OpenBLAS on the wrong core), not the peer's speed.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#define BASE_MAX_ROWS 4096
#define BASE_LOW      0.5

typedef struct base_row {
    char suite[24], csv_case[80], backend[16], dtype[12];
    double gflops;
} base_row;

static const char base_header[] = "suite,case,backend,dtype,gflops,median_ms,matches_reference";

/* Splits line (its newline removed) at commas into f[0..7]: the count. */
static int csv_fields(char *line, char *f[8])
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n == 8) return n + 1;
        f[n++] = p;
        p = strchr(p, ',');
        if (!p) return n;
        *p = 0;
    }
}

int baseline_read(bench *b, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "winsum-bench: --baseline: cannot read %s\n", path);
        return -1;
    }
    base_row *rows = calloc(BASE_MAX_ROWS, sizeof *rows);
    char line[512];
    int n = 0, lineno = 0, bad = 0;
    while (rows && !bad && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strcspn(line, "\r\n");
        bad = line[len] == 0 && !feof(f); /* longer than the buffer */
        line[len] = 0;
        if (lineno == 1) {
            bad = strcmp(line, base_header) != 0;
            continue;
        }
        char *fld[8], *end;
        if (bad || csv_fields(line, fld) != 7 || strlen(fld[0]) >= sizeof rows->suite ||
            strlen(fld[1]) >= sizeof rows->csv_case || strlen(fld[2]) >= sizeof rows->backend ||
            strlen(fld[3]) >= sizeof rows->dtype) {
            bad = 1;
            break;
        }
        if (!*fld[4]) continue; /* a latency row: no GFLOP/s */
        double g = strtod(fld[4], &end);
        if (*end || !(g >= 0)) {
            bad = 1;
            break;
        }
        if (n == BASE_MAX_ROWS) continue;
        base_row *r = &rows[n++];
        strcpy(r->suite, fld[0]);
        strcpy(r->csv_case, fld[1]);
        strcpy(r->backend, fld[2]);
        strcpy(r->dtype, fld[3]);
        r->gflops = g;
    }
    if (!rows || bad || lineno == 0) {
        fprintf(stderr,
                rows ? "winsum-bench: --baseline: %s:%d: not a winsum-bench CSV row (the header "
                       "is %s)\n"
                     : "winsum-bench: --baseline: %s:%d: out of memory%s\n",
                path, lineno, rows ? base_header : "");
        free(rows);
        fclose(f);
        return -1;
    }
    fclose(f);
    b->base = rows;
    b->nbase = n;
    b->base_path = path;
    return 0;
}

/* The baseline's GFLOP/s of backend k in row r; 0 when it has none. */
static double base_gflops(const bench *b, const row *r, int k)
{
    const base_row *rows = b->base;
    for (int i = 0; i < b->nbase; i++)
        if (!strcmp(rows[i].suite, r->suite) && !strcmp(rows[i].csv_case, r->csv_case) &&
            !strcmp(rows[i].backend, back_name[k]) && !strcmp(rows[i].dtype, dtype_csv(r->dtype)))
            return rows[i].gflops;
    return 0;
}

void baseline_check(bench *b)
{
    if (!b->base) return;
    static const int peers[] = {B_CLBLAST, B_OPENBLAS, B_TORCH, B_NUMPY};
    int compared = 0, flagged = 0;
    for (int i = 0; i < b->nrows; i++) {
        row *r = &b->rows[i];
        for (size_t j = 0; j < sizeof peers / sizeof peers[0]; j++) {
            cell *c = &r->c[peers[j]];
            double now = gflops(c), then = base_gflops(b, r, peers[j]);
            if (c->state != CELL_DONE || then <= 0) continue;
            compared++;
            if (now >= BASE_LOW * then) continue;
            c->state = CELL_LOW;
            flagged++;
            bench_note(
                b, "%s %s %s: %.2f GFLOP/s, under %.1fx its %.2f in the baseline: LOW, not quoted",
                r->suite, r->csv_case, back_name[peers[j]], now, BASE_LOW, then);
        }
    }
    bench_note(b, "baseline %s: %d peer figures compared, %d flagged LOW (under %.1fx)",
               b->base_path, compared, flagged, BASE_LOW);
}

void baseline_free(bench *b)
{
    free(b->base);
    b->base = NULL;
    b->nbase = 0;
}
