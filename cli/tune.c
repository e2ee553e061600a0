/* tune.c - `winsum tune [--device N] [--quick] [--max-candidates N]`:
 * searches the contraction kernel's tile parameters on a device with a
 * progress bar, and stores the winner for that device in the cache folder. */
#include "cli.h"
#include "winsum.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bar(double f, const char *what, void *user)
{
    (void)user;
    int w = 30, n = (int)(f * w + 0.5);
    if (n > w) n = w;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%% %-60.60s", n, "##############################", w - n,
            "", f * 100, what);
    fflush(stderr);
}

int ws_cli_tune(int argc, char **argv)
{
    const char *device = NULL;
    int quick = 0, maxc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "--max-candidates") == 0 && i + 1 < argc)
            maxc = atoi(argv[++i]);
        else {
            fprintf(stderr, "winsum tune: unknown option '%s' (usage: winsum tune [--device N] "
                            "[--quick] [--max-candidates N])\n", argv[i]);
            return 2;
        }
    }
    winsum_context *ctx;
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, device);
    if (st) {
        fprintf(stderr, "winsum tune: %s: %s\n", winsum_status_string(st), winsum_last_error(NULL));
        return 1;
    }
    printf("device: %s\nstarting from: %s (%s)\n", winsum_context_device_name(ctx),
           winsum_tuning_params(ctx), winsum_tuning_source(ctx));
    fflush(stdout);
    st = winsum_tune(ctx, quick, maxc, bar, NULL);
    fprintf(stderr, "\n");
    if (st) {
        fprintf(stderr, "winsum tune: %s: %s\n", winsum_status_string(st), winsum_last_error(ctx));
        winsum_context_destroy(ctx);
        return 1;
    }
    printf("tile parameters (wgm,wgn,mr,nr,mc,nc,kc,vw): %s\nsource: %s\n",
           winsum_tuning_params(ctx), winsum_tuning_source(ctx));
    winsum_context_destroy(ctx);
    return 0;
}
