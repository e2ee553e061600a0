/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_pocl_env.c - the PoCL setting winsum applies (ocl_pocl.c):
 * POCL_AFFINITY=1 only where PoCL's "worker i on CPU i" stays inside what
 * the process may use, and never over the user's own value. The rule on
 * made-up CPU masks, then in child processes: with the environment unset,
 * set to 0, and with the process limited to one CPU (as taskset would).
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include "opencl/ocl.h"
#include "testutil.h"
#include "winsum.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int decide(const char *cpus, long online, const char *aff, const char *min)
{
    unsigned char m[64] = {0};
    for (const char *c = cpus; *c; c++) m[*c - '0'] = 1;
    return ws_pocl_pin_decision(m, 64, online, aff, min);
}

static void rule(void)
{
    CHECK(decide("01", 2, NULL, NULL) == 1);
    CHECK(decide("0123", 4, NULL, NULL) == 1);
    CHECK(decide("1", 2, NULL, NULL) == 0);    /* taskset -c 1 */
    CHECK(decide("23", 4, NULL, NULL) == 0);   /* a cpuset without CPU 0 */
    CHECK(decide("01", 4, NULL, NULL) == 0);   /* half the machine */
    CHECK(decide("013", 4, NULL, NULL) == 0);  /* a hole */
    CHECK(decide("0123", 3, NULL, NULL) == 0); /* more allowed than online */
    CHECK(decide("0", 1, NULL, NULL) == 0);    /* one CPU: nothing to pin */
    CHECK(decide("01", 2, "0", NULL) == 0);    /* the user's choice stays */
    CHECK(decide("01", 2, "1", NULL) == 0);    /* already set */
    CHECK(decide("01", 2, NULL, "4") == 0);    /* more workers than CPUs */
    CHECK(decide("01", 100, NULL, NULL) == 0); /* online beyond the mask */
}

/* In a child: the environment and CPU mask given, then an OpenCL context.
 * Exit 0 when POCL_AFFINITY afterwards is `want` (NULL: unset), 1 when
 * not, 77 without an OpenCL device. */
static int child(const char *preset, int one_cpu, int expect_pinned)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (preset) setenv("POCL_AFFINITY", preset, 1);
        else unsetenv("POCL_AFFINITY");
        if (one_cpu) {
            cpu_set_t s;
            CPU_ZERO(&s);
            CPU_SET(1, &s);
            if (sched_setaffinity(0, sizeof s, &s)) _exit(78);
        }
        winsum_context *ctx = NULL;
        if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL)) _exit(77);
        const char *v = getenv("POCL_AFFINITY");
        int ok = preset          ? (v && !strcmp(v, preset))
                 : expect_pinned ? (v && !strcmp(v, "1"))
                                 : v == NULL;
        if (!ok) fprintf(stderr, "POCL_AFFINITY after: %s\n", v ? v : "(unset)");
        if (ok && expect_pinned != ws_pocl_pinned_by_winsum()) ok = 0;
        winsum_context_destroy(ctx);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

int main(void)
{
    rule();
    /* what this machine's own mask allows */
    cpu_set_t s;
    CPU_ZERO(&s);
    CHECK(sched_getaffinity(0, sizeof s, &s) == 0);
    unsigned char m[CPU_SETSIZE];
    for (int i = 0; i < CPU_SETSIZE; i++) m[i] = CPU_ISSET(i, &s) ? 1 : 0;
    int here = ws_pocl_pin_decision(m, CPU_SETSIZE, sysconf(_SC_NPROCESSORS_ONLN), NULL, NULL);
    int r = child(NULL, 0, here);
    if (r == 77) {
        printf("skip the child processes: no OpenCL device\n");
        return tu_finish("test_pocl_env");
    }
    CHECK_MSG(r == 0, "unset: child returned %d (expected pinned %d)", r, here);
    CHECK_MSG(child("0", 0, 0) == 0, "POCL_AFFINITY=0 was changed");
    if (here && CPU_ISSET(1, &s)) {
        r = child(NULL, 1, 0);
        CHECK_MSG(r == 0, "one CPU: child returned %d (expected not pinned)", r);
    }
    printf("this machine: %s\n", here ? "pinned" : "not pinned");
    return tu_finish("test_pocl_env");
}
