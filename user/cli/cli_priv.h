/* SPDX-License-Identifier: MIT */
/*
 * The command line's own parts (cli.c: the option table, the client's setters
 * and getopt; cli_serve.c: the server's setters; cli_value.c: value parsers
 * they share; cli_help.c: --help and --completions from the table;
 * cli_rules.c: environment and cross-option rules, the finish of each
 * command; cli_file.c: the config file's keys as options). Layer: cli.
 */
#ifndef XFR_CLI_CLI_PRIV_H
#define XFR_CLI_CLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/target.h"

/* units_parse_duration_ms's grammar, as the help and error lines say it */
#define DUR_UNITS "seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h"

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

/* cli_value.c: value parsers the setters share (NULL or the reason) */
const char *cli_dur_ms(const char *arg, uint64_t *ms);
const char *cli_parse_port(const char *arg, uint16_t *port);

/* cli_serve.c: the server's option setters, named by cli.c's table */
const char *cli_set_prometheus(struct cli_state *st, const char *arg);
const char *cli_set_prometheus_bind(struct cli_state *st, const char *arg);
const char *cli_set_no_mdns(struct cli_state *st, const char *arg);
const char *cli_set_push_gateway(struct cli_state *st, const char *arg);
const char *cli_set_log_ts_on(struct cli_state *st, const char *arg);
const char *cli_set_log_ts_off(struct cli_state *st, const char *arg);
const char *cli_set_max_duration(struct cli_state *st, const char *arg);
const char *cli_set_max_tests(struct cli_state *st, const char *arg);
const char *cli_set_psk(struct cli_state *st, const char *arg);
const char *cli_set_psk_file(struct cli_state *st, const char *arg);
const char *cli_set_allow(struct cli_state *st, const char *arg);
const char *cli_set_deny(struct cli_state *st, const char *arg);
const char *cli_set_acl_file(struct cli_state *st, const char *arg);
const char *cli_set_preset(struct cli_state *st, const char *arg);
const char *cli_set_preset_file(struct cli_state *st, const char *arg);
const char *cli_set_rate_limit(struct cli_state *st, const char *arg);
const char *cli_set_max_pending_ip(struct cli_state *st, const char *arg);
const char *cli_set_rate_limit_window(struct cli_state *st, const char *arg);
const char *cli_set_max_pause(struct cli_state *st, const char *arg);
const char *cli_set_max_streams(struct cli_state *st, const char *arg);
const char *cli_set_max_total_streams(struct cli_state *st, const char *arg);
const char *cli_set_max_bandwidth(struct cli_state *st, const char *arg);
const char *cli_set_max_memory(struct cli_state *st, const char *arg);
const char *cli_set_data_port_range(struct cli_state *st, const char *arg);

/* cli_help.c: --help for mode (M_CLIENT, M_SERVE, M_DOCTOR); --completions SHELL */
void cli_print_help(struct cli_state *st, unsigned int mode);
const char *cli_show_completions(struct cli_state *st, const char *arg);

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
