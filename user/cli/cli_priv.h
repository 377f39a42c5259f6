/* SPDX-License-Identifier: MIT */
/*
 * The command line's own parts (cli.c: the option table, its setters, help
 * and getopt; cli_rules.c: environment and cross-option rules, the finish
 * of each command; cli_file.c: the config file's keys as options). Layer: cli.
 */
#ifndef XFR_CLI_CLI_PRIV_H
#define XFR_CLI_CLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/target.h"

#define USAGE_LINE "usage: xfr [OPTIONS] HOST, xfr serve [OPTIONS]"

/*
 * Which commands take an option. It also decides the --help section: client
 * only, server only, or shared (M_BOTH).
 */
#define M_CLIENT 1U
#define M_SERVE	 2U
#define M_DOCTOR 4U
#define M_BOTH	 (M_CLIENT | M_SERVE)

#define CLI_MAX_OPTS 128 /* entries of cli_opts, at most */

/* Everything seen while parsing that the config itself does not record. */
struct cli_state {
	struct xfr_config *cfg;
	FILE *out, *err;
	bool done; /* --help / --version printed */
	bool time_set, bytes_set, port_set, ts_set;
	bool reverse, bidir, json, json_stream, csv;
	bool v4, v6, random, zeros, zc_on, zc_off;
	bool nodelay, quiet, get_server_output, one_off;
	bool no_tui, tui;
	bool udp, probe_mtu, no_gso, length_set, congestion_set, parallel_set;
	bool drop_reasons, xdp_mode_set;
	bool rate_limit_set;
	bool psk_set, psk_file_set;	  /* --psk, --psk-file (the file wins) */
	const char *preset, *preset_file; /* --preset NAME [--preset-file FILE] */
	struct cli_target target;	  /* HOST taken apart */
	char why[400];			  /* reasons that need formatting */
	/* the config file (load_config): --config, --no-config, options given as flags */
	const char *config_arg;
	bool no_config;
	bool seen[CLI_MAX_OPTS];
	bool quic, cc_quic_only;    /* -Q; --congestion names a QUIC-only algorithm */
	const struct cli_opt *opts; /* cli.c's table, for the rules and the config file */
	size_t nopts;
};

struct cli_opt {
	const char *name;  /* long name */
	char short_name;   /* 0 = long only */
	int has_arg;	   /* getopt's no_argument / required_argument / optional_argument */
	unsigned int mode; /* M_CLIENT, M_SERVE, M_DOCTOR */
	const char *metavar;
	const char *help;  /* NULL: taken but not listed (serve refuses it with a reason) */
	const char *label; /* name in error lines when not "--name" */
	const char *(*handler)(struct cli_state *st, const char *arg);
	size_t flag; /* no handler: offset of the bool in cli_state to set */
};

/* A plain switch: sets a bool in cli_state, applied by cli_apply_flags(). */
#define FLAG(field) NULL, offsetof(struct cli_state, field)

static inline bool cli_in_mode(const struct cli_opt *o, unsigned int mode)
{
	return (o->mode & mode) != 0;
}

/* cli_rules.c */
/* ngtcp2 0.12's congestion controllers (-Q --congestion). */
bool cli_quic_cc_name(const char *s);
/* The family of a --bind spec (net_parse_bind's grammar); *port = 0 when absent. */
int cli_bind_family(const char *spec, int *family, uint16_t *port);
/*
 * VAR's value through the handler of the option named opt unless the flag
 * was given; -EINVAL after its error line.
 */
int cli_apply_env(struct cli_state *st, const char *var, bool flag_given, const char *opt,
		  FILE *err);
/* XFR_LOG_LEVEL and XFR_LOG_FILE, where the flags did not decide (both commands). */
int cli_apply_log_env(struct cli_state *st, FILE *err);
/* Switches into the config; conflicts between them are checked after. */
void cli_apply_flags(struct cli_state *st);
int cli_check_quic(struct cli_state *st, FILE *err);
int cli_finish_client(struct cli_state *st, int argc, char **argv, FILE *err);
int cli_finish_server(struct cli_state *st, int argc, char **argv, FILE *err);
int cli_finish_doctor(struct cli_state *st, int argc, char **argv, FILE *err);

/* cli_file.c */
/* The option of that long name was given as a flag. */
bool cli_seen_name(const struct cli_state *st, const char *name);
/* Read the config file (--config, XFR_CONFIG or the default) into st. */
int cli_load_config(struct cli_state *st, unsigned int mode, FILE *err);

#endif
