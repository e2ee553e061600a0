/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * cpu.c - the processor behind the device, named in every report with the
 * peak it implies: /proc/cpuinfo's model name (which on a virtual machine
 * may name no model: "AMD EPYC"), vendor, family, model and vector flags,
 * and the clock measured here, since the "cpu MHz" a hypervisor reports
 * can be a nominal figure below the clock the cores run at. The peak is
 * compute units (PoCL's threads) x flop/cycle/core x measured GHz.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* The value of the first "key : value" line of /proc/cpuinfo with this key. */
static int cpuinfo_value(const char *key, char *out, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    size_t klen = strlen(key);
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) ||
            (line[klen] != ' ' && line[klen] != '\t' && line[klen] != ':'))
            continue;
        const char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        v += strspn(v, " \t");
        snprintf(out, n, "%s", v);
        out[strcspn(out, "\n")] = 0;
        found = 0;
    }
    fclose(f);
    return found;
}

static int has_flag(const char *flags, const char *flag)
{
    size_t len = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)); p += len)
        if ((p == flags || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0)) return 1;
    return 0;
}

/* The clock of this core in GHz, from a chain of dependent register adds
 * (one cycle each on every x86-64 core of the last decade): the best of 50
 * runs of 2 million adds (about half a millisecond each, short enough that
 * most runs are not preempted on a busy machine). 0 where it cannot be
 * measured. */
static double measured_ghz(void)
{
#if defined(__x86_64__)
    double best = 0;
    for (int run = 0; run < 50; run++) {
        unsigned long x = 0, one = 1, iters = 200000;
        double t0 = now_ms();
        __asm__ volatile("1:\n\t"
                         "add %[one], %[x]\n\tadd %[one], %[x]\n\tadd %[one], %[x]\n\t"
                         "add %[one], %[x]\n\tadd %[one], %[x]\n\tadd %[one], %[x]\n\t"
                         "add %[one], %[x]\n\tadd %[one], %[x]\n\tadd %[one], %[x]\n\t"
                         "add %[one], %[x]\n\t"
                         "dec %[n]\n\tjnz 1b"
                         : [x] "+r"(x), [n] "+r"(iters)
                         : [one] "r"(one)
                         : "cc");
        double ms = now_ms() - t0;
        double ghz = ms > 0 ? 2e6 / ms / 1e6 : 0; /* cycles per ns */
        if (ghz > best) best = ghz;
    }
    return best;
#else
    return 0;
#endif
}

/* The device's compute units (PoCL's threads on a CPU), 0 when unknown. */
static int device_units(const bench *b)
{
    cl_device_id dev;
    cl_uint units = 0;
    if (clGetCommandQueueInfo(b->queue, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL) != CL_SUCCESS ||
        clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL) != CL_SUCCESS)
        return 0;
    return (int)units;
}

void cpu_describe(bench *b)
{
    b->units = device_units(b);
    char model[256] = "?", vendor[64] = "?", family[32] = "?", cpumodel[32] = "?", mhz[32] = "",
         flags[8192] = "";
    cpuinfo_value("model name", model, sizeof model);
    cpuinfo_value("vendor_id", vendor, sizeof vendor);
    cpuinfo_value("cpu family", family, sizeof family);
    cpuinfo_value("model", cpumodel, sizeof cpumodel);
    cpuinfo_value("cpu MHz", mhz, sizeof mhz);
    cpuinfo_value("flags", flags, sizeof flags);
    long fam = strtol(family, NULL, 10);
    int amd = !strcmp(vendor, "AuthenticAMD"), intel = !strcmp(vendor, "GenuineIntel");
    int avx512 = has_flag(flags, "avx512f"), avx2 = has_flag(flags, "avx2"),
        fma = has_flag(flags, "fma"), avx = has_flag(flags, "avx");
    /* float32 flop per cycle per core: two FMA pipes x lanes x 2 */
    int fpc;
    const char *why;
    if (amd && avx512 && fam == 0x19) {
        fpc = 32;
        why = "Zen 4 (family 0x19 with AVX-512): two 256-bit FMA pipes, AVX-512 as two halves";
    } else if (avx512 && (intel || (amd && fam >= 0x1a))) {
        fpc = 64;
        why = "two 512-bit FMA pipes";
    } else if (avx2 && fma) {
        fpc = 32;
        why = "two 256-bit FMA pipes";
    } else if (avx) {
        fpc = 16;
        why = "256-bit add and multiply";
    } else {
        fpc = 8;
        why = "128-bit add and multiply";
    }
    char flagtext[128] = "";
    static const char *const shown[] = {"avx512f", "avx512vl", "avx512_bf16", "avx2", "fma"};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (has_flag(flags, shown[i]))
            snprintf(flagtext + strlen(flagtext), sizeof flagtext - strlen(flagtext), "%s%s",
                     flagtext[0] ? " " : "", shown[i]);
    double ghz = measured_ghz(), reported = strtod(mhz, NULL) / 1e3;
    const char *clock = "measured: dependent adds";
    if (ghz <= 0) ghz = reported, clock = "cpu MHz of /proc/cpuinfo";
    snprintf(b->cpu_text, sizeof b->cpu_text,
             "%s (/proc/cpuinfo's model name%s); %s family %ld (0x%lx) model %s; %s; cpu MHz "
             "%s reported, %.2f GHz measured",
             model, strchr(model, ' ') && !strpbrk(model, "0123456789") ? ", no model number" : "",
             vendor, fam, (unsigned long)fam, cpumodel, flagtext[0] ? flagtext : "no AVX",
             mhz[0] ? mhz : "?", ghz);
    double peak32 = (double)b->units * fpc * ghz;
    int f64 = b->dtype == WINSUM_F64;
    b->peak_gflops = f64 ? peak32 / 2 : peak32;
    snprintf(b->peak_text, sizeof b->peak_text,
             "%d compute units x %d float32 flop/cycle x %.2f GHz = %.0f GFLOP/s float32, %.0f "
             "float64%s (flop/cycle: %s; GHz: %s)",
             b->units, fpc, ghz, peak32, peak32 / 2,
             b->dtype == WINSUM_F16 ? " (float16 storage: float32's)" : "", why, clock);
}
