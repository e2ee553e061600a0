/* cli.h - the subcommands of the `winsum` tool that live in files of their own. */
#ifndef WINSUM_CLI_H
#define WINSUM_CLI_H

/* `winsum tune ...`: argv[0] is "tune". */
int ws_cli_tune(int argc, char **argv);

#endif
