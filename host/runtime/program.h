/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * program.h - kernel programs (program.c): built lazily from the embedded
 * sources, cached per context in memory and per user on disk, where only
 * files this user alone can write are trusted.
 */
#ifndef WINSUM_PROGRAM_H
#define WINSUM_PROGRAM_H

#include "context.h"

/* The kernel `name` of kernels/<file> built with options; cached (what
 * backend.h's ws_kernel_get calls). */
winsum_status ws_get_kernel(winsum_context *ctx, const char *file, const char *name,
                            const char *options, struct ws_kernel_ **kernel);
/* At context free: every kernel and program of the cache. */
void ws_program_cache_free(winsum_context *ctx);

/* The disk cache folder (program.c), created and checked that only this user
 * can write it (owned by the effective uid, not writable by group or
 * others): an O_DIRECTORY descriptor, its path in buf; or -1 when the cache
 * is off or not trusted, -2 when WINSUM_CACHE_DIR=off. Sets ctx->cache_info. */
int ws_cache_open(winsum_context *ctx, char *buf, size_t len);
/* A file in the cache folder, trusted only when it is a regular file (not
 * a link, opened without blocking), owned by the effective uid and not
 * writable by group or others: its contents (NUL-terminated, malloc'd), or
 * NULL with errno ENOENT (absent) or the reason in why. */
char *ws_cache_read(int dirfd, const char *name, size_t max, size_t *len, char *why, size_t whylen);
/* Writes a cache file (mode 0644) by a unique temporary name and an atomic
 * rename; 0 on success. */
int ws_cache_write(int dirfd, const char *name, const void *data, size_t len);
/* 0 when $WINSUM_CACHE_DIR, if set, is short enough to hold the cache's
 * file names within PATH_MAX; else the reason in why. */
int ws_cache_env_check(char *why, size_t whylen);
uint64_t ws_hash64(const void *data, size_t n);

#endif
