/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * fault.c - fault injection for tests of the error paths (see
 * winsum_fault_inject): process-wide counters of device operations, and
 * the switch that makes the k-th one of a kind fail.
 */
#include "internal.h"
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counts[WINSUM_FAULT_KINDS_], fail_at[WINSUM_FAULT_KINDS_];

void winsum_fault_inject(winsum_fault kind, long k)
{
    if ((int)kind < 0 || kind >= WINSUM_FAULT_KINDS_) return;
    pthread_mutex_lock(&lock);
    fail_at[kind] = k > 0 ? counts[kind] + k : 0;
    pthread_mutex_unlock(&lock);
}

long winsum_fault_count(winsum_fault kind)
{
    if ((int)kind < 0 || kind >= WINSUM_FAULT_KINDS_) return 0;
    pthread_mutex_lock(&lock);
    long n = counts[kind];
    pthread_mutex_unlock(&lock);
    return n;
}

int ws_fault(winsum_fault kind)
{
    pthread_mutex_lock(&lock);
    long n = ++counts[kind];
    int fail = fail_at[kind] != 0 && n == fail_at[kind];
    if (fail) fail_at[kind] = 0;
    pthread_mutex_unlock(&lock);
    return fail;
}
