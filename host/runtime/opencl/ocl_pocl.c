/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ocl_pocl.c - the one PoCL setting winsum applies for its users:
 * POCL_AFFINITY=1, PoCL's worker threads pinned one to a core.
 *
 * Unpinned, PoCL 3.1's workers are woken on the core of the thread that
 * enqueued and one of them often sits a whole call out, so a process runs
 * at one core's speed (bimodal timings, docs/performance.md). PoCL reads
 * POCL_AFFINITY once, when it starts its workers, and then pins worker i to
 * CPU i: not to the i-th CPU this process may use. Pinning is safe only
 * when the process may run on CPUs 0..n-1 and those are all the online
 * CPUs (no taskset, no cpuset smaller than the machine; elsewhere PoCL
 * would pin outside the mask, or abort on a CPU the cpuset forbids), and
 * when POCL_PTHREAD_MIN_THREADS does not ask for more workers than CPUs.
 * The setting is made before winsum's first clGetPlatformIDs, under the
 * enumeration lock, and never over a value the environment already has
 * (POCL_AFFINITY=0 keeps PoCL's own default).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET */
#include "ocl.h"
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

static int pocl_pinned_by_winsum;

int ws_pocl_pin_decision(const unsigned char *allowed, int len, long online,
                         const char *pocl_affinity, const char *pocl_min_threads)
{
    if (pocl_affinity || pocl_min_threads) return 0; /* the user's choice */
    if (online < 2 || online > len) return 0;
    for (int i = 0; i < len; i++)
        if ((allowed[i] != 0) != (i < online)) return 0;
    return 1;
}

void ws_pocl_defaults(void)
{
#ifdef __linux__
    static int done;
    if (done) return;
    done = 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return;
    unsigned char allowed[CPU_SETSIZE];
    for (int i = 0; i < CPU_SETSIZE; i++) allowed[i] = CPU_ISSET(i, &set) ? 1 : 0;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (ws_pocl_pin_decision(allowed, CPU_SETSIZE, online, getenv("POCL_AFFINITY"),
                             getenv("POCL_PTHREAD_MIN_THREADS")) &&
        setenv("POCL_AFFINITY", "1", 0) == 0)
        pocl_pinned_by_winsum = 1;
#endif
}

int ws_pocl_pinned_by_winsum(void) { return pocl_pinned_by_winsum; }
