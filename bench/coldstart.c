/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * coldstart.c - the coldstart suite: the cost of the first calls of kernels
 * the process has not built: one convolution layer forward, backward-data
 * and backward-weight (3x3 s1 p1, 16->16 channels, 8x8, batch 1, float32;
 * WINSUM_COLDSTART_LAYER=depthwise: the same with 16 groups; =direct: 64->64
 * channels on 28x28, a layer the direct kernels take), as the first
 * winsum calls of a fresh child process of this executable
 * (`winsum-bench --coldstart-child`). The runs, in order: winsum's
 * (WINSUM_CACHE_DIR) and PoCL's (POCL_CACHE_DIR, its kernel cache as the
 * driver's default) caches in empty folders (a new user's first process),
 * the same folders again (a second process: PoCL keeps the programs and
 * their native code), and nothing kept (WINSUM_CACHE_DIR=off,
 * POCL_KERNEL_CACHE=0: what every process pays then). The
 * child times the first call of each direction (plan + build or load + run
 * + finish; "first call" is their sum: one layer's forward + backward), a
 * second call of each, and the median of COLD_STEADY_CALLS more; it checks
 * every result against the reference backend. WINSUM_CONV_IMPL, when set,
 * reaches the child (the cost per implementation family).
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const conv_layer cold_layer = {"conv3x3_s1_16x8x8", 16, 16, 8, 3, 1, 1, 1};
static const conv_layer cold_depthwise = {"dw3x3_s1_16x8x8", 16, 16, 8, 3, 1, 1, 16};
static const conv_layer cold_direct = {"conv3x3_s1_64x28x28", 64, 64, 28, 3, 1, 1, 1};

/* The layer WINSUM_COLDSTART_LAYER picks (the child's and the report's). */
static const conv_layer *cold_pick(void)
{
    const char *which = getenv("WINSUM_COLDSTART_LAYER");
    return which && !strcmp(which, "depthwise") ? &cold_depthwise
           : which && !strcmp(which, "direct")  ? &cold_direct
                                                : &cold_layer;
}

const char *coldstart_layer_text(void)
{
    static char text[128];
    const conv_layer *l = cold_pick();
    snprintf(text, sizeof text, "%lldx%lld s%lld p%lld %lld->%lld channels%s %lldx%lld",
             (long long)l->k, (long long)l->k, (long long)l->stride, (long long)l->pad,
             (long long)l->c, (long long)l->o, l->groups > 1 ? " depthwise" : "", (long long)l->hw,
             (long long)l->hw);
    return text;
}

const cold_run cold_runs[COLD_RUNS] = {{"first_call_cold", "cold (empty caches)", 0},
                                       {"first_call_disk_cache", "disk caches (2nd process)", 0},
                                       {"first_call_cache_off", "no cache (winsum's, PoCL's)", 1}};

/* CPU time of the whole process (every thread: PoCL compiles in-process) */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* The child: one line "coldstart-child context_ms=.. first_ms=.. ..." on
 * stdout (after the fields the parent reads: each direction's first call,
 * builds, and the process CPU time of the first calls), errors on stderr;
 * 0 when it worked. */
int coldstart_child(const char *device)
{
    bench *b = calloc(1, sizeof *b);
    if (!b) return fputs("winsum-bench --coldstart-child: out of memory\n", stderr), 1;
    b->dtype = WINSUM_F32;
    b->esz = sizeof(float);
    b->reps = 1;
    const conv_layer *l = cold_pick();
    double t0 = now_ms();
    winsum_status st = winsum_context_create(&b->ctx, WINSUM_BACKEND_OPENCL, device);
    double context_ms = now_ms() - t0;
    if (!st) st = winsum_context_create(&b->ref, WINSUM_BACKEND_REF, NULL);
    if (st) {
        fprintf(stderr, "winsum-bench --coldstart-child: winsum_context_create: %s: %s\n",
                winsum_status_string(st), winsum_last_error(NULL));
        winsum_context_destroy(b->ctx);
        free(b);
        return 1;
    }
    row *r = new_row(b, "coldstart", l->name, l->name, conv_op_suffix[OP_FWD]);
    size_t most = 0;
    for (int t = 0; t < 3; t++)
        if (conv_elems(l, t, 1) > most) most = conv_elems(l, t, 1);
    void *host[3], *got = malloc(most * sizeof(float)), *want = malloc(most * sizeof(float));
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    for (int t = 0; t < 3; t++) host[t] = random_data(b, conv_elems(l, t, 1));
    int ok = host[0] && host[1] && host[2] && got && want;
    for (int t = 0; t < 3 && ok; t++)
        ok = !dev_upload(b, l->name, host[t], conv_elems(l, t, 1), &dev[t]);
    double first = 0, second = 0, steady = 0, op_first[NOPS] = {0}, op_cpu[NOPS] = {0}, cpu = 0;
    long builds = 0, op_builds[NOPS] = {0};
    int check = ok ? 1 : -1;
    char err[1024] = "";
    for (int op = 0; op < NOPS && ok; op++) {
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        conv_call a = {b->ctx, op, {0}, {{0}}};
        conv_desc(l, &a.desc);
        conv_views(l, 1, WINSUM_F32, bufs, a.v);
        long builds0 = winsum_program_builds();
        double c0 = cpu_ms(), s0 = now_ms();
        ok = !run_conv(&a, err, sizeof err);
        op_first[op] = now_ms() - s0;
        op_cpu[op] = cpu_ms() - c0;
        cpu += op_cpu[op];
        first += op_first[op];
        op_builds[op] = winsum_program_builds() - builds0;
        builds += op_builds[op];
        s0 = now_ms();
        ok = ok && !run_conv(&a, err, sizeof err);
        second += now_ms() - s0;
        double med = 0;
        ok = ok && !measure(run_conv, &a, 0, COLD_STEADY_CALLS, &med, err, sizeof err);
        steady += med;
        if (!ok) {
            fprintf(stderr, "winsum-bench --coldstart-child: %s %s: %s\n", l->name,
                    conv_op_suffix[op], err);
            break;
        }
        const int out = conv_op_output[op];
        int c = -1;
        if (!dev_download(b, r, &dev[out], got, conv_elems(l, out, 1)) &&
            !conv_reference(b, r, l, op, host, want))
            c = bench_compare(l->name, WINSUM_F32, "winsum vs reference", got, want,
                              conv_elems(l, out, 1), conv_reduction(l, op, 1));
        if (c < check) check = c;
        /* the next direction reads the tensor this one wrote: keep the
         * inputs the reference saw */
        st = winsum_buffer_write(b->ctx, &dev[out], 0, host[out], conv_elems(l, out, 1) * b->esz);
        if (st) {
            fprintf(stderr, "winsum-bench --coldstart-child: winsum_buffer_write: %s\n",
                    winsum_last_error(b->ctx));
            ok = 0;
        }
    }
    ok = ok && check >= 0 && !b->ws_errors;
    if (ok)
        printf(
            "coldstart-child context_ms=%.4f first_ms=%.4f second_ms=%.4f steady_ms=%.4f "
            "builds=%ld check=%d layer=%s fwd_ms=%.1f bwd_data_ms=%.1f bwd_weight_ms=%.1f "
            "builds_fwd=%ld builds_bwd_data=%ld builds_bwd_weight=%ld cpu_ms=%.1f cpu_fwd_ms=%.1f "
            "cpu_bwd_data_ms=%.1f cpu_bwd_weight_ms=%.1f\n",
            context_ms, first, second, steady, builds, check, l->name, op_first[OP_FWD],
            op_first[OP_BWD_DATA], op_first[OP_BWD_WEIGHT], op_builds[OP_FWD],
            op_builds[OP_BWD_DATA], op_builds[OP_BWD_WEIGHT], cpu, op_cpu[OP_FWD],
            op_cpu[OP_BWD_DATA], op_cpu[OP_BWD_WEIGHT]);
    for (int t = 0; t < 3; t++) {
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
        free(host[t]);
    }
    free(got);
    free(want);
    winsum_context_destroy(b->ref);
    winsum_context_destroy(b->ctx);
    free(b);
    return ok ? 0 : 1;
}

/* Removes folder `path` and everything under it (no links followed). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[PATH_MAX];
            struct stat st;
            int len = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            if (len < 0 || (size_t)len >= sizeof sub) continue; /* never a cut name */
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(sub);
            else unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Runs the child with this process's environment, less winsum's and PoCL's
 * cache settings, plus WINSUM_CACHE_DIR=dir/winsum and POCL_CACHE_DIR=
 * dir/pocl, or (off) WINSUM_CACHE_DIR=off and POCL_KERNEL_CACHE=0; its line
 * parsed into res. */
static int cold_spawn(const bench *b, const char *dir, int off, cold_result *res, char *err,
                      size_t n)
{
    char exe[PATH_MAX];
    if (self_exe_path(exe, sizeof exe))
        return snprintf(err, n, "readlink /proc/self/exe: %s", strerror(errno)), -1;
    char a0[] = "winsum-bench", a2[] = "--coldstart-child", a3[] = "--device";
    char *argv[] = {a0, a2, b->device ? a3 : NULL, (char *)b->device, NULL};
    /* the environment: ours without the cache variables, then ours */
    static const char *const drop[] = {
        "WINSUM_CACHE_DIR=", "WINSUM_PROGRAM_CACHE=", "POCL_KERNEL_CACHE=", "POCL_CACHE_DIR="};
    size_t nenv = 0;
    while (environ[nenv]) nenv++;
    char **envp = calloc(nenv + 4, sizeof *envp), cache_var[PATH_MAX + 32], pocl_dir[PATH_MAX + 32],
         pocl_off[] = "POCL_KERNEL_CACHE=0";
    if (!envp) return snprintf(err, n, "out of host memory"), -1;
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++) {
        int keep = 1;
        for (size_t d = 0; d < sizeof drop / sizeof *drop; d++)
            if (!strncmp(environ[i], drop[d], strlen(drop[d]))) keep = 0;
        if (keep) envp[k++] = environ[i];
    }
    if (off) snprintf(cache_var, sizeof cache_var, "WINSUM_CACHE_DIR=off");
    else snprintf(cache_var, sizeof cache_var, "WINSUM_CACHE_DIR=%s/winsum", dir);
    snprintf(pocl_dir, sizeof pocl_dir, "POCL_CACHE_DIR=%s/pocl", dir);
    envp[k++] = cache_var;
    envp[k++] = pocl_dir;
    if (off) envp[k++] = pocl_off;
    envp[k] = NULL;

    int fd[2];
    if (pipe(fd)) {
        free(envp);
        return snprintf(err, n, "pipe: %s", strerror(errno)), -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    pid_t pid;
    int e = posix_spawn(&pid, exe, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(fd[1]);
    if (e) {
        close(fd[0]);
        return snprintf(err, n, "posix_spawn %s: %s", exe, strerror(e)), -1;
    }
    char out[4096];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd[0], out + used, sizeof out - 1 - used);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        used += (size_t)got;
        if (used == sizeof out - 1) break;
    }
    out[used] = 0;
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return snprintf(err, n, "the child %s bench --coldstart-child %s (see its messages above)",
                        exe, WIFEXITED(status) ? "failed" : "was killed"),
               -1;
    const char *line = strstr(out, "coldstart-child ");
    if (!line || sscanf(line,
                        "coldstart-child context_ms=%lf first_ms=%lf second_ms=%lf "
                        "steady_ms=%lf builds=%ld check=%d",
                        &res->context_ms, &res->first_ms, &res->second_ms, &res->steady_ms,
                        &res->builds, &res->check) != 6)
        return snprintf(err, n, "the child printed no result line: '%.200s'", out), -1;
    return 0;
}

void suite_coldstart(bench *b)
{
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    int len = snprintf(dir, sizeof dir, "%s/winsum-coldstart-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    b->cold_ran = 1;
    if (len < 0 || (size_t)len >= sizeof dir - 384) { /* room for the caches' file names */
        errno = ENAMETOOLONG;
        dir[0] = 0;
    }
    if (!dir[0] || !mkdtemp(dir)) {
        fprintf(stderr, "winsum-bench: coldstart: mkdtemp %s/winsum-coldstart-XXXXXX: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        for (int i = 0; i < COLD_RUNS; i++) b->cold[i].state = CELL_ERR, b->cold[i].check = -1;
        b->other_errors++;
        return;
    }
    for (int i = 0; i < COLD_RUNS; i++) {
        char err[PATH_MAX + 200];
        cold_result *res = &b->cold[i];
        progress(b, "  coldstart %s ...\n", cold_runs[i].csv);
        memset(res, 0, sizeof *res);
        res->check = -1;
        if (cold_spawn(b, dir, cold_runs[i].cache_off, res, err, sizeof err)) {
            fprintf(stderr, "winsum-bench: coldstart %s winsum: %s\n", cold_runs[i].csv, err);
            res->state = CELL_ERR;
            b->ws_errors++;
            continue;
        }
        res->state = CELL_DONE;
        if (!res->check) b->mismatches++;
    }
    remove_tree(dir);
}
