/* SPDX-License-Identifier: MIT */
/*
 * `xfr diff BASELINE CURRENT [--threshold PCT]`: compare two JSON results
 * (--json, -o) and say whether CURRENT regressed (docs/DIFF.md).
 */
#ifndef XFR_CMD_DIFF_H
#define XFR_CMD_DIFF_H

#include <stdio.h>

#define DIFF_DEFAULT_THRESHOLD 5.0 /* percent */

enum diff_exit {
	DIFF_OK = 0,	     /* no regression */
	DIFF_REGRESSION = 1, /* a figure moved the wrong way by more than the threshold */
	DIFF_BAD_INPUT = 2,  /* bad arguments, or a file that is not an xfr result */
};

/* argv[0] is "diff". The comparison goes to out, one-line errors to err. */
enum diff_exit diff_main(int argc, char **argv, FILE *out, FILE *err);

#endif
