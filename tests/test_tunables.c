/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* test_tunables.c - the families' tunable parameters as named, per-device
 * data (params.h): each family's are read by name; a value the tuner's
 * storage holds (here gemv's lane counts, written as the tuner writes) comes
 * back in a new context and reaches the plans (the gemv step's lanes), whose
 * results still match the host; a bad or unknown named value, or a file of
 * the earlier format (a line of bare GETT values), is judged as before; the
 * override variable wins over the file. */
#include "params.h"
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static winsum_context *fresh(void)
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) return NULL;
    return ctx;
}

static int get(winsum_context *ctx, const char *family, const char *name)
{
    int v = -1;
    CHECK_MSG(ws_tunable_get(ctx, family, name, &v) == 0, "%s %s is not a parameter", family, name);
    return v;
}

static void write_tune_file(winsum_context *ctx, const char *text)
{
    char name[64], path[400];
    ws_params_file_name(ctx, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
    chmod(path, 0644);
}

/* C[b,m] = sum_k A[b,m,k] x[b,k] through the planner: the describe line of
 * its gemv step into desc; 1 when the result matches the host's. */
static int gemv_einsum(winsum_context *ctx, char *desc, size_t len)
{
    enum { B = 3, M = 37, K = 20 };
    static float a[B * M * K], x[B * K], c[B * M];
    double got[B * M], want[B * M];
    for (int i = 0; i < B * M * K; i++) a[i] = (float)((i * 7919) % 13) / 13.0f - 0.5f;
    for (int i = 0; i < B * K; i++) x[i] = (float)((i * 31) % 7) / 7.0f - 0.5f;
    for (int b = 0; b < B; b++)
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int k = 0; k < K; k++) s += (double)a[(b * M + m) * K + k] * x[b * K + k];
            want[b * M + m] = s;
        }
    winsum_buffer buf[3] = {{0}};
    const size_t bytes[3] = {sizeof a, sizeof x, sizeof c};
    const void *src[3] = {a, x, NULL};
    int ok = 1;
    for (int i = 0; i < 3 && ok; i++) {
        ok = winsum_buffer_alloc(ctx, bytes[i], &buf[i]) == WINSUM_OK;
        if (ok && src[i]) ok = winsum_buffer_write(ctx, &buf[i], 0, src[i], bytes[i]) == WINSUM_OK;
    }
    const int64_t sa[3] = {B, M, K}, sx[2] = {B, K}, sc[2] = {B, M};
    winsum_view v[3];
    if (ok) {
        v[0] = winsum_view_contiguous(&buf[0], WINSUM_F32, 3, sa);
        v[1] = winsum_view_contiguous(&buf[1], WINSUM_F32, 2, sx);
        v[2] = winsum_view_contiguous(&buf[2], WINSUM_F32, 2, sc);
        winsum_plan *plan = NULL;
        ok = winsum_plan_create(ctx, &plan, "bmk,bk->bm", 2, v, &v[2]) == WINSUM_OK;
        if (ok) {
            const char *d = winsum_plan_describe(plan);
            const char *g = strstr(d, "gemv ");
            snprintf(desc, len, "%s", g ? g : d);
            ok = winsum_plan_execute(plan, NULL, NULL, 1.0, 0.0, NULL) == WINSUM_OK &&
                 winsum_buffer_read(ctx, &buf[2], 0, c, sizeof c) == WINSUM_OK;
            winsum_plan_destroy(plan);
        }
    }
    for (int i = 0; i < B * M && ok; i++) got[i] = c[i];
    if (ok) ok = tu_max_err(got, want, B * M, 1.0) < 1e-5;
    for (int i = 0; i < 3; i++)
        if (buf[i].mem) winsum_buffer_free(ctx, &buf[i]);
    return ok;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/winsum-tunables-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("mkdtemp failed\n");
        return 1;
    }
    setenv("WINSUM_CACHE_DIR", dir, 1);
    unsetenv("WINSUM_GETT");
    unsetenv("WINSUM_GEMV");
    winsum_context *ctx = fresh();
    if (!ctx) {
        printf("skipped: no OpenCL device\n");
        rmdir(dir);
        return 0;
    }
    /* by name: every family's parameters, unknown ones refused */
    const ws_tunable_set *gemv = ws_tunable_find("gemv"), *gett = ws_tunable_find("gett");
    CHECK(gemv && gett);
    int v = 0;
    CHECK(ws_tunable_get(ctx, "gemv", "no_such", &v) == -1);
    CHECK(ws_tunable_get(ctx, "no_family", "mr", &v) == -1);
    const int rows0 = get(ctx, "gemv", "vl_rows"), dots0 = get(ctx, "gemv", "vl_dots");
    CHECK_MSG(rows0 == (ctx->cpu_like ? 256 : 4), "gemv vl_rows default %d", rows0);
    char desc[600];
    CHECK_MSG(gemv_einsum(ctx, desc, sizeof desc), "gemv einsum with the defaults: %s", desc);
    CHECK_MSG(strstr(desc, "gemv ") != NULL, "the step is gemv's: %s", desc);
    char gett_text[96];
    snprintf(gett_text, sizeof gett_text, "%s", winsum_tuning_params(ctx));

    /* the tuner's write: new values in use, then the storage */
    if (gemv) {
        int w[WS_MAX_TUNABLES];
        memcpy(w, ws_tuned(ctx, gemv), (size_t)gemv->n * sizeof(int));
        w[ws_tunable_index(gemv, "vl_rows")] = 32;
        w[ws_tunable_index(gemv, "vl_dots")] = 8;
        char why[400];
        CHECK(ws_tunables_invalid(ctx, gemv, w, why, sizeof why) == NULL);
        ws_tunables_use(ctx, gemv, w);
    }
    CHECK_STATUS(ws_tunables_store(ctx, "# test_tunables\n"), WINSUM_OK);
    winsum_context_destroy(ctx);

    /* ... read back by a new context, and used by its plans */
    ctx = fresh();
    CHECK(ctx != NULL);
    if (!ctx) return tu_finish("test_tunables");
    CHECK_MSG(get(ctx, "gemv", "vl_rows") == 32 && get(ctx, "gemv", "vl_dots") == 8,
              "gemv read back: vl_rows %d, vl_dots %d", get(ctx, "gemv", "vl_rows"),
              get(ctx, "gemv", "vl_dots"));
    CHECK_MSG(!strcmp(winsum_tuning_params(ctx), gett_text), "gett kept: %s vs %s",
              winsum_tuning_params(ctx), gett_text);
    CHECK_MSG(!strncmp(winsum_tuning_source(ctx), "tuned (", 7), "source: %s",
              winsum_tuning_source(ctx));
    CHECK_MSG(gemv_einsum(ctx, desc, sizeof desc), "gemv einsum with tuned lanes: %s", desc);
    CHECK_MSG(strstr(desc, "lanes 32 along M") || strstr(desc, "lanes 8 along K"),
              "the tuned lanes reach the step: %s", desc);
    winsum_context_destroy(ctx);

    /* a value out of range, an unknown name: the line is ignored with why */
    ctx = fresh();
    write_tune_file(ctx, "gemv vl_rows=0\n");
    winsum_context_destroy(ctx);
    ctx = fresh();
    CHECK_MSG(get(ctx, "gemv", "vl_rows") == rows0 &&
                  strstr(winsum_tuning_source(ctx), "ignored: vl_rows = 0 is outside 1..1024"),
              "vl_rows=0: %d, %s", get(ctx, "gemv", "vl_rows"), winsum_tuning_source(ctx));
    write_tune_file(ctx, "gemv vl_rows=64 bogus=3\n");
    winsum_context_destroy(ctx);
    ctx = fresh();
    CHECK_MSG(get(ctx, "gemv", "vl_rows") == rows0 &&
                  strstr(winsum_tuning_source(ctx), "'bogus' is not name=value"),
              "bogus: %d, %s", get(ctx, "gemv", "vl_rows"), winsum_tuning_source(ctx));
    /* a named line sets only what it names; the earlier format is GETT's */
    write_tune_file(ctx, "# old\n1,1,4,16,32,32,64,16\ngemv rowb=4\n");
    winsum_context_destroy(ctx);
    ctx = fresh();
    CHECK_MSG(!strcmp(winsum_tuning_params(ctx), "1,1,4,16,32,32,64,16") &&
                  get(ctx, "gemv", "rowb") == 4 && get(ctx, "gemv", "vl_dots") == dots0,
              "old format: %s (%s), rowb %d", winsum_tuning_params(ctx), winsum_tuning_source(ctx),
              get(ctx, "gemv", "rowb"));
    winsum_context_destroy(ctx);
    /* the override wins over the file */
    setenv("WINSUM_GETT", "1,1,8,32,64,64,256,16", 1);
    ctx = fresh();
    CHECK_MSG(!strcmp(winsum_tuning_params(ctx), "1,1,8,32,64,64,256,16") &&
                  !strncmp(winsum_tuning_source(ctx), "WINSUM_GETT", 11),
              "override: %s (%s)", winsum_tuning_params(ctx), winsum_tuning_source(ctx));
    winsum_context_destroy(ctx);
    unsetenv("WINSUM_GETT");

    char name[64], path[400];
    ctx = fresh();
    ws_params_file_name(ctx, name, sizeof name);
    winsum_context_destroy(ctx);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    /* the program cache's entries */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return tu_finish("test_tunables");
}
