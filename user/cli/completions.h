/* SPDX-License-Identifier: MIT */
/*
 * `xfr --completions bash|zsh|fish`: a completion script generated from the
 * option table (cli.c hands its entries over), so it never lags the options.
 */
#ifndef XFR_CLI_COMPLETIONS_H
#define XFR_CLI_COMPLETIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define COMPL_CLIENT 1U
#define COMPL_SERVE  2U
#define COMPL_DOCTOR 4U

struct compl_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0 = none */
	const char *help;
	bool takes_value;
	unsigned modes; /* COMPL_* */
};

/* The script for shell, or -EINVAL for a shell we do not write for. */
int completions_print(FILE *out, const char *shell, const struct compl_opt *opts, size_t n);

#endif
