/* SPDX-License-Identifier: MIT */
/*
 * Command line: one option table drives parsing and --help. Environment
 * overrides (XFR_PORT, XFR_DURATION, XFR_BYTES, XFR_TIMESTAMP_FORMAT) apply
 * where the flag was not given.
 */
#ifndef XFR_CLI_CLI_H
#define XFR_CLI_CLI_H

#include <stdio.h>

#include "base/config.h"

enum cli_status {
	CLI_RUN = 0,   /* config filled: run it */
	CLI_EXIT_OK,   /* --help / --version printed: exit 0 */
	CLI_EXIT_USAGE /* bad arguments: one-line error already printed to stderr, exit 2 */
};

/*
 * Parse argv (argv[0] is the program) into cfg. On a bad value prints exactly
 * one line "xfr: --parallel 0: must be between 1 and 128" to err and returns
 * CLI_EXIT_USAGE. Help and version text go to out.
 */
enum cli_status cli_parse(int argc, char **argv, struct xfr_config *cfg, FILE *out, FILE *err);

/* Defaults before parsing (also used by tests). */
void cli_defaults(struct xfr_config *cfg);

#endif
