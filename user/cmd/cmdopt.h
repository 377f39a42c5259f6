/* SPDX-License-Identifier: MIT */
/*
 * The argument loop of a small subcommand (xfr diff, xfr discover): one
 * long option with a value, --help/-h, then operands. Layer: cmd.
 */
#ifndef XFR_CMD_CMDOPT_H
#define XFR_CMD_CMDOPT_H

#include <stdio.h>

struct cmd_opts {
	const char *cmd;   /* "diff": names the subcommand in error lines */
	const char *usage; /* "usage: xfr diff ..." */
	const char *opt;   /* the long option's name, without "--" */
	/* the option's value: 0, or -1 after printing its one-line error on err */
	int (*set)(const char *val, void *ctx, FILE *err);
	void (*help)(FILE *out);  /* prints --help's text */
	int operands;		  /* exactly this many operands */
	const char *operands_are; /* "BASELINE and CURRENT", for the error line */
};

/*
 * Parse argv (argv[0] is the subcommand). Returns 0 with the operands at
 * argv[optind..], 1 after --help, -1 after a one-line error on err.
 */
int cmd_opts_parse(const struct cmd_opts *o, int argc, char **argv, void *ctx, FILE *out,
		   FILE *err);

#endif
