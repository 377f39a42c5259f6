// SPDX-License-Identifier: MIT
/*
 * --help and --completions, generated from the option table (cli.c's
 * cli_opts, reached through cli_state): client, server and shared sections,
 * so the help, the completions and getopt never drift apart.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/completions.h"
#include "control/proto.h"

#include "cli/cli_priv.h"

/* units_parse_duration_ms's grammar, in full (the help's DUR line) */
#define DUR_UNITS_LONG                                                                             \
	"a number of seconds, or a number and a unit: ms, s/sec/secs, m/min/mins,\n"               \
	"h/hr/hour/hours, d/day/days (500ms, 1.5s, 10mins, 2h; M is not minutes)"

static void help_line(FILE *out, const struct cli_opt *o)
{
	char lhs[64];
	int n;

	if (o->short_name)
		n = snprintf(lhs, sizeof(lhs), "-%c, --%s", o->short_name, o->name);
	else
		n = snprintf(lhs, sizeof(lhs), "    --%s", o->name);
	if (o->has_arg == required_argument)
		snprintf(lhs + n, sizeof(lhs) - (size_t)n, " %s", o->metavar);
	else if (o->has_arg == optional_argument)
		snprintf(lhs + n, sizeof(lhs) - (size_t)n, "[=%s]", o->metavar);
	if (strlen(lhs) > 26)
		fprintf(out, "  %s\n  %-26s  %s\n", lhs, "", o->help);
	else
		fprintf(out, "  %-26s  %s\n", lhs, o->help);
}

/* One --help section: the options whose commands (M_CLIENT/M_SERVE bits) are exactly mask. */
static void help_section(const struct cli_state *st, FILE *out, const char *title,
			 unsigned int mask)
{
	fprintf(out, "\n%s:\n", title);
	for (size_t i = 0; i < st->nopts; i++) {
		if (st->opts[i].help && (st->opts[i].mode & M_BOTH) == mask)
			help_line(out, &st->opts[i]);
	}
}

void cli_print_help(struct cli_state *st, unsigned int mode)
{
	FILE *out = st->out;

	if (mode == M_DOCTOR) {
		fprintf(out, "Usage: xfr doctor [--iface NAME] [--json]\n\n"
			     "Print what this host supports for the kernel data plane: kernel and\n"
			     "BTF, capabilities, XDP and AF_XDP per interface, and the engine\n"
			     "--engine auto would pick.\n\nOptions:\n");
		for (size_t i = 0; i < st->nopts; i++) {
			if (st->opts[i].help && cli_in_mode(&st->opts[i], M_DOCTOR))
				help_line(out, &st->opts[i]);
		}
		return;
	}
	if (mode == M_SERVE) {
		fprintf(out,
			"Usage: xfr serve [OPTIONS]\n\nRun the xfr server (control protocol %s).\n",
			PROTO_VERSION);
	} else {
		fprintf(out,
			"Usage: xfr [OPTIONS] HOST\n"
			"       xfr serve [OPTIONS]\n"
			"       xfr doctor [--iface NAME] [--json]\n"
			"       xfr diff BASELINE CURRENT [--threshold PCT]\n"
			"       xfr discover [--timeout DUR]\n\n"
			"Measure TCP or UDP throughput between this host and an xfr server on HOST,\n"
			"on sockets or on the kernel's XDP and AF_XDP data planes (--engine).\n");
		help_section(st, out, "Client options", M_CLIENT);
	}
	help_section(st, out, "Server options", M_SERVE);
	help_section(st, out, "Shared options", M_BOTH);
	fprintf(out, "\nDUR: " DUR_UNITS_LONG ".\n");
	if (mode == M_SERVE)
		fprintf(out, "\nEnvironment: XFR_PORT applies when -p is not given.\n");
	else
		fprintf(out,
			"\nEnvironment: XFR_PORT, XFR_DURATION, XFR_BYTES and XFR_TIMESTAMP_FORMAT\n"
			"apply when the matching option is not given.\n");
	fprintf(out, "XFR_LOG_LEVEL and XFR_LOG_FILE as well; all of them over the config file\n"
		     "(--config, XFR_CONFIG, ~/.config/xfr/config.toml: docs/CONFIG.md).\n");
}

/* The option table as completions.c wants it; the script goes to out. */
const char *cli_show_completions(struct cli_state *st, const char *arg)
{
	struct compl_opt opts[CLI_MAX_OPTS];
	size_t n = 0;

	for (size_t i = 0; i < st->nopts; i++) {
		const struct cli_opt *o = &st->opts[i];

		if (!o->help)
			continue;
		opts[n++] = (struct compl_opt){o->name, o->short_name, o->help,
					       o->has_arg == required_argument,
					       (o->mode & M_CLIENT ? COMPL_CLIENT : 0) |
						       (o->mode & M_SERVE ? COMPL_SERVE : 0) |
						       (o->mode & M_DOCTOR ? COMPL_DOCTOR : 0)};
	}
	if (completions_print(st->out, arg, opts, n))
		return "unknown shell (use bash, zsh or fish)";
	st->done = true;
	return NULL;
}
