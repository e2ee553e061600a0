/*
 * params.h - tunable parameters as named, per-device data (params.c). Each
 * kernel family declares its parameters in its own file (a ws_tunable_set:
 * names, defaults, ranges, a check against its kernel and the device, the
 * devices measured), and the einsum layer lists the sets
 * (registered from families.c). The runtime knows them only as data: it
 * chooses each set's values per device at context creation, keeps them in
 * ctx->tunables, and reads and writes them by name for the tuner (tune/),
 * which stores them in the cache folder. Every change bumps
 * ctx->params_epoch.
 */
#ifndef WINSUM_PARAMS_H
#define WINSUM_PARAMS_H

#include "context.h"

/* One parameter: its name, its defaults on CPU-like and GPU-like devices,
 * and the range every value must lie in. */
typedef struct ws_tunable {
    const char *name;
    int cpu_default, gpu_default;
    int lo, hi;
} ws_tunable;

/* Values measured on a device (a substring of its name). */
typedef struct ws_tunable_device {
    const char *device;
    const int *values; /* in the order of the set's params */
} ws_tunable_device;

/* The tunable parameters of one kernel family, in its own file. */
typedef struct ws_tunable_set {
    const char *family; /* the name in the tuned file: "gett" */
    /* An override (NULL: none): the values in order, comma-separated, e.g.
     * WINSUM_GETT=1,1,8,32,96,128,256,16; one that does not fit is ignored
     * with the reason in the tuning source. */
    const char *env;
    const ws_tunable *params;
    int n;
    /* NULL when v (in range) fits the kernel and the device, else why not
     * (into why); NULL itself: any values in range fit */
    const char *(*invalid)(const winsum_context *ctx, const int *v, char *why, size_t n);
    /* Fits the defaults to the device (NULL: nothing to fit). */
    void (*fit)(const winsum_context *ctx, int *v);
    const ws_tunable_device *measured; /* NULL-terminated by .device; may be NULL */
} ws_tunable_set;

/* The sets, NULL-terminated: the layer that defines them (einsum,
 * families.c) registers its list when the library is loaded (the runtime
 * names no symbol of a layer above it). The first set's values and source
 * are winsum_tuning_params and winsum_tuning_source. */
void ws_tunables_register(const ws_tunable_set *const *sets);

/* The values of set in ctx (set->n of them, in its order). */
const int *ws_tuned(const winsum_context *ctx, const ws_tunable_set *set);
/* A value by family and name: 0 and *value, or -1 when there is no such
 * parameter. */
int ws_tunable_get(const winsum_context *ctx, const char *family, const char *name, int *value);
/* The set of a family, or NULL. */
const ws_tunable_set *ws_tunable_find(const char *family);
/* The index of a parameter in its set, or -1. */
int ws_tunable_index(const ws_tunable_set *set, const char *name);

/* NULL when v fits (each value in its range, then the set's own check),
 * else why not (into why). */
const char *ws_tunables_invalid(const winsum_context *ctx, const ws_tunable_set *set, const int *v,
                                char *why, size_t n);
/* Uses v from now on (the tuner's trials; no source named). */
void ws_tunables_use(winsum_context *ctx, const ws_tunable_set *set, const int *v);
/* Uses v from now on and names where it came from. */
void ws_tunables_set(winsum_context *ctx, const ws_tunable_set *set, const int *v,
                     const char *source);
/* "1,1,8,32,..." : the values of set in ctx, in order. */
void ws_tunables_text(const winsum_context *ctx, const ws_tunable_set *set, char *buf, size_t len);

/* Chooses every set's values, in order: its override variable, the tuned
 * file, the devices measured, the defaults fitted to the device; what is
 * not used is noted in ctx->tuning_source with why. */
void ws_choose_params(winsum_context *ctx);
/* The tuned-parameter file's name in the cache folder (keyed by device). */
void ws_params_file_name(const winsum_context *ctx, char *buf, size_t len);
/* Writes every set's values in ctx to the tuned file, one line a set
 * ("gett wgm=1 wgn=1 ..."), after the comment lines `comment` (each line
 * starting with '#'), and names it as the source. Without a trusted cache
 * folder the values stay this context's ("tuned (this context only; ...)").
 * WINSUM_ERR_IO when the file cannot be written. */
winsum_status ws_tunables_store(winsum_context *ctx, const char *comment);

#endif
