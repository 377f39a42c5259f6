// SPDX-License-Identifier: MIT
/*
 * The config file as options (cli_priv.h): its keys are long options;
 * flag > environment > file > default.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_sec.h"
#include "cli/completions.h"
#include "cli/config_file.h"
#include "metrics/push.h"
#include "cli/target.h"
#include "base/log.h"
#include "base/net.h"
#include "control/proto.h"
#include "units.h"
#include "util.h"

#include "cli/cli_priv.h"

/* ---- the config file: keys are long options; flag > environment > file > default ---- */

struct file_ctx {
	struct cli_state *st;
	unsigned int mode; /* the section's command: M_CLIENT or M_SERVE */
	bool apply;	   /* false: the other command's section, checked only */
};

/* Options that only make sense on a command line. */
static bool cli_only(const struct cli_opt *o)
{
	static const char *const names[] = {"help", "version", "config", "no-config",
					    "completions"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(o->name, names[i]))
			return true;
	}
	return false;
}

static const struct cli_opt *find_long(const struct cli_state *st, const char *name,
				       unsigned int mode)
{
	for (size_t i = 0; i < st->nopts; i++) {
		const struct cli_opt *o = &st->opts[i];

		if (cli_in_mode(o, mode) && o->help && !cli_only(o) && !strcmp(o->name, name))
			return o;
	}
	return NULL;
}

bool cli_seen_name(const struct cli_state *st, const char *name)
{
	for (size_t i = 0; i < st->nopts; i++) {
		if (st->seen[i] && !strcmp(st->opts[i].name, name))
			return true;
	}
	return false;
}

/* Switches that exclude each other: one given as a flag overrides the file's other. */
static const char *const excl_groups[][4] = {
	{"reverse", "bidir"}, {"json", "json-stream", "csv"}, {"random", "zeros"},
	{"ipv4", "ipv6"},     {"zerocopy", "no-zerocopy"},    {"timestamps", "no-timestamps"},
};

/* The flags decided this setting: the option itself, an alias of it, or a rival switch. */
static bool decided_by_flags(const struct cli_state *st, const struct cli_opt *o)
{
	for (size_t i = 0; i < st->nopts; i++) {
		const struct cli_opt *p = &st->opts[i];

		if (st->seen[i] && (p == o || (o->handler && p->handler == o->handler) ||
				    (!o->handler && !p->handler && p->flag == o->flag)))
			return true;
	}
	for (size_t g = 0; g < ARRAY_SIZE(excl_groups); g++) {
		bool member = false, rival = false;

		for (size_t k = 0; k < 4 && excl_groups[g][k]; k++) {
			if (!strcmp(excl_groups[g][k], o->name))
				member = true;
			else if (cli_seen_name(st, excl_groups[g][k]))
				rival = true;
		}
		if (member && rival)
			return true;
	}
	return false;
}

/* The value against what the option takes; NULL when it fits. */
static const char *file_type(const struct cli_opt *o, const struct toml_value *v)
{
	if (o->has_arg == no_argument && v->type != TOML_BOOL)
		return "expected true or false";
	if (o->has_arg == required_argument && v->type == TOML_BOOL)
		return "expected a value (a string or a number), not true or false";
	if (o->has_arg == optional_argument && v->type != TOML_BOOL && v->type != TOML_STRING)
		return "expected true, false or a string";
	return NULL;
}

static const char *file_opt(void *ctx, const char *name, const struct toml_value *v)
{
	struct file_ctx *fc = ctx;
	struct cli_state *st = fc->st;
	const struct cli_opt *o = find_long(st, name, fc->mode);
	const char *why;

	if (!o)
		return fc->mode == M_SERVE
			       ? "unknown key (the keys are the long options of xfr serve --help)"
			       : "unknown key (the keys are the long options of xfr --help)";
	why = file_type(o, v);
	if (why || !fc->apply || decided_by_flags(st, o))
		return why;
	if (v->type == TOML_BOOL && !v->b)
		return NULL; /* false: the option is not given */
	if (!o->handler) {
		*(bool *)((char *)st + o->flag) = true;
		return NULL;
	}
	return o->handler(st, v->type == TOML_BOOL ? NULL : v->text);
}

/*
 * TCP settings from [client] do not apply to a UDP test asked for with -u:
 * the file is a set of defaults, not a command line (which would conflict).
 */
static void file_drop_tcp_only(struct cli_state *st, const struct cli_state *before,
			       bool mptcp_before)
{
	struct xfr_config *cfg = st->cfg;

	if (!st->udp && !st->probe_mtu)
		return;
	if (st->congestion_set && !before->congestion_set) {
		st->congestion_set = false;
		cfg->congestion[0] = '\0';
	}
	if (st->nodelay && !before->nodelay)
		st->nodelay = false;
	if (st->zc_on && !before->zc_on) {
		st->zc_on = false;
		cfg->zerocopy = XFR_ZC_AUTO;
	}
	if (cfg->mptcp && !mptcp_before)
		cfg->mptcp = false;
}

/*
 * Read the config file and apply the section of this command to what the
 * flags left unset. The environment comes after (finish_*), over the file:
 * the markers it reads (time_set, ...) are kept as the flags left them.
 */
int cli_load_config(struct cli_state *st, unsigned int mode, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	struct file_ctx cc = {st, M_CLIENT, mode == M_CLIENT};
	struct file_ctx sc = {st, M_SERVE, mode == M_SERVE};
	struct cli_state before = *st;
	struct config_file cf;
	bool required, mptcp = cfg->mptcp;
	int rc;

	if (st->no_config)
		return 0;
	if (config_file_path(st->config_arg, cfg->config_path, sizeof(cfg->config_path),
			     &required)) {
		fprintf(err, "xfr: config file path too long\n");
		return -EINVAL;
	}
	rc = config_file_open(&cf, cfg->config_path, required, cfg->presets, &cfg->npresets, err);
	if (rc)
		return rc;
	if (!cf.present) {
		cfg->config_path[0] = '\0';
		return 0;
	}
	rc = config_file_each(&cf, "client", file_opt, &cc, err)
		     ?: config_file_each(&cf, "server", file_opt, &sc, err);
	config_file_close(&cf);
	if (rc)
		return rc;
	if (st->bytes_set && !before.bytes_set && !st->time_set)
		cfg->duration_s = 0; /* a byte budget from the file, no time anywhere: no clock */
	st->time_set = before.time_set;
	st->bytes_set = before.bytes_set;
	st->port_set = before.port_set;
	st->ts_set = before.ts_set;
	file_drop_tcp_only(st, &before, mptcp);
	return 0;
}
