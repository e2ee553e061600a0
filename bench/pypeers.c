/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * pypeers.c - the Python peers: PyTorch's CPU convolutions and
 * numpy.einsum(optimize=True) / torch.einsum, through peers.py (found like
 * tccg-odd.txt: <exe dir>/../share/winsum, else the source tree's bench/).
 * The script is started once per run (posix_spawn, two pipes) on as many
 * threads as the device has compute units (PoCL's threads); each case is
 * one request line (shapes, dtype, repetitions) and one answer line (the
 * median in ms, or n/a or err with the reason). Its stderr goes to a
 * temporary file, shown only when it dies. Without python3, torch or numpy,
 * or peers.py, the peer's cells are n/a with the reason.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The longest wait for one answer: a ResNet-50 layer at batch 8, warm-up
 * and 64 repetitions, on a busy machine. */
#define PY_START_MS  120e3
#define PY_ANSWER_MS 600e3

static const char *const py_peer_name[2] = {"torch", "numpy"};
static int py_backend(int i) { return i ? B_NUMPY : B_TORCH; }

/* Both peers n/a with the reason (a composed string, copied). */
static void py_all_na(bench *b, const char *fmt, const char *arg)
{
    for (int i = 0; i < 2; i++) {
        int k = py_backend(i);
        if (b->na_why[k]) continue;
        snprintf(b->na_buf[k], sizeof b->na_buf[k], fmt, arg);
        b->na_why[k] = b->na_buf[k];
    }
}

/* Ends the child (it was asked to quit, or it is stuck) and shows its
 * stderr when `show`. */
static void py_end(bench *b, int show)
{
    if (b->py_in >= 0) close(b->py_in);
    if (b->py_out >= 0) close(b->py_out);
    b->py_in = b->py_out = -1;
    if (b->py_pid > 0) {
        int status;
        pid_t pid = (pid_t)b->py_pid;
        /* a child that does not leave within a second of EOF is killed */
        for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
            nanosleep(&(struct timespec){0, 10000000}, NULL);
        if (waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    b->py_pid = 0;
    if (b->py_err) {
        if (show) {
            char line[512];
            rewind(b->py_err);
            while (fgets(line, sizeof line, b->py_err))
                fprintf(stderr, "winsum-bench: peers.py: %s", line);
        }
        fclose(b->py_err);
        b->py_err = NULL;
    }
}

/* The next line from the child into line (no newline). 0, or -1 when it
 * closed its stdout or said nothing for timeout_ms. */
static int py_readline(bench *b, char *line, size_t n, double timeout_ms)
{
    double end = now_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(b->py_buf, '\n', b->py_len);
        if (nl) {
            size_t len = (size_t)(nl - b->py_buf);
            size_t keep = len < n ? len : n - 1;
            memcpy(line, b->py_buf, keep);
            line[keep] = 0;
            b->py_len -= len + 1;
            memmove(b->py_buf, nl + 1, b->py_len);
            return 0;
        }
        if (b->py_len == sizeof b->py_buf) b->py_len = 0; /* an overlong line: dropped */
        double left = end - now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {b->py_out, POLLIN, 0};
        int r = poll(&p, 1, (int)(left < INT_MAX ? left : INT_MAX));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t got = read(b->py_out, b->py_buf + b->py_len, sizeof b->py_buf - b->py_len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        b->py_len += (size_t)got;
    }
}

static int py_write(bench *b, const char *s)
{
    size_t len = strlen(s);
    while (len) {
        ssize_t w = write(b->py_in, s, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* pipe(2) with both ends closed on exec (pipe2 is not POSIX). */
static int cloexec_pipe(int fd[2])
{
    if (pipe(fd)) return -1;
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* glibc's malloc settings for the peer process: oneDNN's reorders in
 * torch's CPU convolutions allocate and free buffers of several MB on
 * every call; with glibc's defaults each one comes back as fresh pages
 * (mmap'd, or the heap trimmed after the free), so every call faults them
 * in again (12,500 minor faults a call on a 1x1 backward-data layer at
 * batch 8 here) and some layers collapse to ~10 GFLOP/s. A fixed mmap
 * threshold of 32 MiB (glibc's largest) keeps such buffers in the heap,
 * and a trim threshold and top pad this large keep the heap's pages. */
const char *const peer_malloc_env[PEER_NMALLOC] = {"MALLOC_MMAP_THRESHOLD_=33554432",
                                                   "MALLOC_TRIM_THRESHOLD_=1073741824",
                                                   "MALLOC_TOP_PAD_=268435456"};

/* The environment of peers.py (malloc'd array of environ's strings, NULL
 * when out of memory): environ without peer_unset_vars and with
 * peer_malloc_env in place of any value of those variables. */
static char **peer_environ(void)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = malloc((n + PEER_NMALLOC + 1) * sizeof *env);
    if (!env) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int drop = 0;
        for (int j = 0; j < PEER_NUNSET + PEER_NMALLOC; j++) {
            const char *name =
                j < PEER_NUNSET ? peer_unset_vars[j] : peer_malloc_env[j - PEER_NUNSET];
            size_t len = strcspn(name, "=");
            drop |= !strncmp(environ[i], name, len) && environ[i][len] == '=';
        }
        if (!drop) env[k++] = environ[i];
    }
    for (int j = 0; j < PEER_NMALLOC; j++) env[k++] = (char *)peer_malloc_env[j];
    env[k] = NULL;
    return env;
}

void pypeers_start(bench *b)
{
    b->py_in = b->py_out = -1;
    b->py_pid = 0;
    if (b->dtype == WINSUM_F16) {
        /* torch 1.13's CPU convolutions have no half kernels ("slow_conv2d_cpu"
         * not implemented for 'Half'); numpy's half einsum has no BLAS path */
        b->na_why[B_TORCH] = "torch has no float16 CPU convolution (slow_conv2d_cpu is not "
                             "implemented for Half) and its half einsum is not a BLAS peer";
        b->na_why[B_NUMPY] = "numpy's float16 einsum has no BLAS path (it loops in C over "
                             "halves): not a peer";
        return;
    }
    const char *py = getenv("WINSUM_BENCH_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    if (find_bench_file("peers.py", WINSUM_BENCH_SOURCE_DIR, b->py_path, sizeof b->py_path)) {
        py_all_na(b, "peers.py not found in <exe dir>/../share/winsum or %s",
                  WINSUM_BENCH_SOURCE_DIR);
        return;
    }
    b->py_script = b->py_path;
    /* a peer that dies must not kill the bench with SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    int in[2], out[2];
    if (cloexec_pipe(in)) {
        py_all_na(b, "pipe: %s", strerror(errno));
        return;
    }
    if (cloexec_pipe(out)) {
        py_all_na(b, "pipe: %s", strerror(errno));
        close(in[0]), close(in[1]);
        return;
    }
    b->py_err = tmpfile();
    char threads[16];
    snprintf(threads, sizeof threads, "%d", b->units > 0 ? b->units : 0);
    char *argv[] = {(char *)py, b->py_path, threads, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    if (b->py_err) posix_spawn_file_actions_adddup2(&fa, fileno(b->py_err), STDERR_FILENO);
    else posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    char **envp = peer_environ();
    int rc = !envp             ? ENOMEM
             : strchr(py, '/') ? posix_spawn(&pid, py, &fa, NULL, argv, envp)
                               : posix_spawnp(&pid, py, &fa, NULL, argv, envp);
    free(envp);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    b->py_in = in[1];
    b->py_out = out[0];
    if (rc) {
        char why[200];
        snprintf(why, sizeof why, "cannot start %.100s: %.80s", py, strerror(rc));
        py_all_na(b, "%s", why);
        py_end(b, 0);
        return;
    }
    b->py_pid = pid;
    /* "peer NAME ok VERSION" / "peer NAME n/a REASON" lines, then "ready" */
    char line[512];
    for (;;) {
        if (py_readline(b, line, sizeof line, PY_START_MS)) {
            char why[200];
            snprintf(why, sizeof why, "%.100s peers.py did not start (see its stderr above)", py);
            py_end(b, 1); /* its stderr first: the line below points at it */
            fprintf(stderr, "winsum-bench: %s\n", why);
            py_all_na(b, "%s", why);
            b->other_errors++;
            return;
        }
        if (!strcmp(line, "ready")) break;
        if (!strncmp(line, "info ", 5) && b->py_ninfo < PY_MAX_INFO) {
            snprintf(b->py_info[b->py_ninfo++], sizeof b->py_info[0], "%.150s", line + 5);
            continue;
        }
        char name[16], state[8];
        int used = 0;
        if (sscanf(line, "peer %15s %7s %n", name, state, &used) < 2) continue;
        for (int i = 0; i < 2; i++) {
            int k = py_backend(i);
            if (strcmp(name, py_peer_name[i])) continue;
            if (!strcmp(state, "ok")) {
                snprintf(b->py_version[k], sizeof b->py_version[k], "%s", line + used);
            } else {
                snprintf(b->na_buf[k], sizeof b->na_buf[k], "%s under %s: %s", py_peer_name[i], py,
                         line + used);
                b->na_why[k] = b->na_buf[k];
            }
        }
    }
    if (b->na_why[B_TORCH] && b->na_why[B_NUMPY]) py_end(b, 0); /* nothing to ask it */
}

void pypeers_stop(bench *b)
{
    if (b->py_pid > 0 && b->py_in >= 0) py_write(b, "quit\n");
    py_end(b, 0);
}

void pypeers_print(const bench *b)
{
    for (int i = 0; i < b->py_ninfo && !(b->na_why[B_TORCH] && b->na_why[B_NUMPY]); i++)
        bench_printf("peers.py %s\n", b->py_info[i]);
    for (int i = 0; i < 2; i++) {
        int k = py_backend(i);
        if (b->na_why[k]) bench_printf("%s: n/a (%s)\n", py_peer_name[i], b->na_why[k]);
        else
            bench_printf("%s: %s %s in %s on %d threads (the device's compute units)\n",
                         py_peer_name[i], py_peer_name[i], b->py_version[k],
                         b->py_script ? b->py_script : "peers.py", b->units);
    }
}

/* Sends one request and reads its answer into cell c of row r. */
static void py_request(bench *b, row *r, int backend, const char *req, double flops)
{
    cell *c = &r->c[backend];
    c->flops = flops;
    c->check = -1;
    if (b->na_why[backend] || b->py_pid <= 0) {
        c->state = CELL_NA;
        return;
    }
    char line[1024];
    if (py_write(b, req) || py_readline(b, line, sizeof line, PY_ANSWER_MS)) {
        char why[200];
        snprintf(why, sizeof why, "peers.py stopped answering at %.60s", r->csv_case);
        py_end(b, 1);
        cell_fail(b, r, backend, c, why);
        py_all_na(b, "%s", why);
        return;
    }
    if (!strncmp(line, "ok ", 3)) {
        char *end;
        double ms = strtod(line + 3, &end);
        if (end != line + 3 && ms > 0) {
            c->state = CELL_DONE;
            c->ms = ms;
            return;
        }
    }
    if (!strncmp(line, "n/a", 3)) {
        c->state = CELL_NA;
        bench_note(b, "%s: %s n/a: %.180s", r->csv_case, back_name[backend], line + 3);
        return;
    }
    cell_fail(b, r, backend, c, !strncmp(line, "err ", 4) ? line + 4 : line);
}

static const char *py_dtype(winsum_dtype dt) { return dt == WINSUM_F64 ? "float64" : "float32"; }

void torch_conv_cell(bench *b, row *r, const conv_layer *l, int op, int64_t n, int reps)
{
    char req[512];
    snprintf(req, sizeof req,
             "conv %s %s %d X=%lld,%lld,%lld,%lld W=%lld,%lld,%lld,%lld STRIDE=%lld,%lld "
             "PAD=%lld,%lld GROUPS=%lld\n",
             conv_op_suffix[op], py_dtype(b->dtype), reps, (long long)n, (long long)l->c,
             (long long)l->hw, (long long)l->hw, (long long)l->o, (long long)(l->c / l->groups),
             (long long)l->k, (long long)l->k, (long long)l->stride, (long long)l->stride,
             (long long)l->pad, (long long)l->pad, (long long)l->groups);
    py_request(b, r, B_TORCH, req, conv_flops(l, n));
}

void py_einsum_cell(bench *b, row *r, int backend, const char *subs, const char *shape_a,
                    const char *shape_b, double flops)
{
    char req[512];
    snprintf(req, sizeof req, "einsum %s %s %d %s %s %s\n", back_name[backend], py_dtype(b->dtype),
             b->reps, subs, shape_a, shape_b);
    py_request(b, r, backend, req, flops);
}
