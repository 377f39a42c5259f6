// SPDX-License-Identifier: MIT
/* The argument loop of a small subcommand (cmdopt.h). */
#include <getopt.h>

#include "cmd/cmdopt.h"

int cmd_opts_parse(const struct cmd_opts *o, int argc, char **argv, void *ctx, FILE *out, FILE *err)
{
	const struct option longs[] = {
		{o->opt, required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		if (c == 'h') {
			o->help(out);
			return 1;
		}
		if (c == 'o' && o->set(optarg, ctx, err))
			return -1;
		if (c == ':' || c == '?') {
			fprintf(err, "xfr: %s: %s %s (%s)\n", o->cmd, argv[optind - 1],
				c == ':' ? "needs a value" : "is not an option", o->usage);
			return -1;
		}
	}
	if (argc - optind == o->operands)
		return 0;
	if (o->operands)
		fprintf(err, "xfr: %s: expected %s (%s)\n", o->cmd, o->operands_are, o->usage);
	else
		fprintf(err, "xfr: %s: unexpected argument '%s' (%s)\n", o->cmd, argv[optind],
			o->usage);
	return -1;
}
