// SPDX-License-Identifier: MIT
/*
 * The server's options (xfr serve): their setters, which cli.c's option table
 * (cli_opts) names. Like every setter they return NULL or the reason the
 * value is refused; the caller prints the one-line error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_sec.h"
#include "cli/config_file.h"
#include "metrics/push.h"
#include "base/log.h"
#include "base/net.h"
#include "units.h"
#include "util.h"

#include "cli/cli_priv.h"

/* serve's limits: the largest values the options take */
#define MAX_PENDING_MAX	      100000
#define MAX_PAUSE_MAX	      86400 /* s */
#define MAX_TOTAL_STREAMS_MAX 1000000
#define MAX_TESTS_MAX	      10000

const char *cli_set_prometheus(struct cli_state *st, const char *arg)
{
	return cli_parse_port(arg, &st->cfg->prometheus_port);
}

const char *cli_set_prometheus_bind(struct cli_state *st, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strlen(arg) >= sizeof(st->cfg->prometheus_bind) ||
	    (inet_pton(AF_INET, arg, &a4) != 1 && inet_pton(AF_INET6, arg, &a6) != 1))
		return "not an IP address (127.0.0.1, ::1, 0.0.0.0 for every address)";
	strcpy(st->cfg->prometheus_bind, arg);
	return NULL;
}

const char *cli_set_no_mdns(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->no_mdns = true;
	return NULL;
}

const char *cli_set_push_gateway(struct cli_state *st, const char *arg)
{
	if (!metrics_push_url_ok(arg))
		return "not a URL (http://HOST:9091 or https://...)";
	strcpy(st->cfg->push_gateway, arg);
	return NULL;
}

/* --timestamps / --no-timestamps: the last one given wins. */
const char *cli_set_log_ts_on(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->log_ts = XFR_LOG_TS_ON;
	return NULL;
}

const char *cli_set_log_ts_off(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->log_ts = XFR_LOG_TS_OFF;
	return NULL;
}

const char *cli_set_max_duration(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = cli_dur_ms(arg, &ms);

	if (why)
		return why;
	if (ms < 1000)
		return "must be at least 1 s";
	if ((ms + 500) / 1000 > UINT32_MAX)
		return "too large";
	st->cfg->max_duration_s = (uint32_t)((ms + 500) / 1000);
	return NULL;
}

/* A count in [min, max]; range is the error when it is outside. */
static const char *set_count(uint32_t *out, const char *arg, uint64_t min, uint64_t max,
			     const char *range)
{
	uint64_t v;
	int err = units_parse_uint(arg, min, max, &v);

	if (err == -EINVAL)
		return "not a number";
	if (err)
		return range;
	*out = (uint32_t)v;
	return NULL;
}

/* A count where 0 switches the limit off. */
static const char *set_limit(uint32_t *out, const char *arg, uint64_t max, const char *range)
{
	return set_count(out, arg, 0, max, range);
}

const char *cli_set_max_tests(struct cli_state *st, const char *arg)
{
	return set_count(&st->cfg->max_tests, arg, 1, MAX_TESTS_MAX, "must be between 1 and 10000");
}

/* ---- who may test (cli_sec.c) ---- */

const char *cli_set_psk(struct cli_state *st, const char *arg)
{
	st->psk_set = true;
	return st->psk_file_set ? NULL : clisec_psk(st->cfg, arg);
}

const char *cli_set_psk_file(struct cli_state *st, const char *arg)
{
	st->psk_file_set = true;
	return clisec_psk_file(st->cfg, arg, st->why, sizeof(st->why));
}

const char *cli_set_allow(struct cli_state *st, const char *arg)
{
	return clisec_rule(st->cfg, arg, 1, st->why, sizeof(st->why));
}

const char *cli_set_deny(struct cli_state *st, const char *arg)
{
	return clisec_rule(st->cfg, arg, 0, st->why, sizeof(st->why));
}

const char *cli_set_acl_file(struct cli_state *st, const char *arg)
{
	return clisec_acl_file(st->cfg, arg, st->why, sizeof(st->why));
}

const char *cli_set_preset(struct cli_state *st, const char *arg)
{
	st->preset = arg;
	return NULL;
}

const char *cli_set_preset_file(struct cli_state *st, const char *arg)
{
	st->preset_file = arg;
	return NULL;
}

const char *cli_set_rate_limit(struct cli_state *st, const char *arg)
{
	st->rate_limit_set = true;
	return set_limit(&st->cfg->rate_limit, arg, MAX_TESTS_MAX,
			 "must be between 0 (no limit) and 10000");
}

const char *cli_set_max_pending_ip(struct cli_state *st, const char *arg)
{
	return set_limit(&st->cfg->max_pending_ip, arg, MAX_PENDING_MAX,
			 "must be between 0 (no limit) and 100000");
}

/*
 * The reference's --rate-limit-window ages its idle per-address entries. Ours
 * ages what the server remembers of an address, its authentication failures:
 * a window without one forgets them, and no back-off outlasts the window
 * (server/guard.h, docs/SECURITY.md).
 */
const char *cli_set_rate_limit_window(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = cli_dur_ms(arg, &ms);

	if (why)
		return why;
	if (ms < 1000 || ms > 86400000)
		return "must be between 1 s and 24 h";
	st->cfg->rate_limit_window_ms = ms;
	return NULL;
}

const char *cli_set_max_pause(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = cli_dur_ms(arg, &ms);

	if (why)
		return why;
	if ((ms + 500) / 1000 > MAX_PAUSE_MAX)
		return "must be at most 24 h";
	st->cfg->max_pause_s = (uint32_t)((ms + 500) / 1000);
	return NULL;
}

const char *cli_set_max_streams(struct cli_state *st, const char *arg)
{
	return set_count(&st->cfg->max_streams, arg, 1, XFR_MAX_STREAMS,
			 "must be between 1 and 128");
}

const char *cli_set_max_total_streams(struct cli_state *st, const char *arg)
{
	return set_count(&st->cfg->max_streams_total, arg, 1, MAX_TOTAL_STREAMS_MAX,
			 "must be between 1 and 1000000");
}

const char *cli_set_max_bandwidth(struct cli_state *st, const char *arg)
{
	int err = units_parse_rate(arg, &st->cfg->max_bandwidth);

	if (err == -ERANGE)
		return "too large";
	if (err)
		return "not a rate (examples: 100M, 1.5G; 0 = no cap)";
	return NULL;
}

const char *cli_set_max_memory(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int err = units_parse_size(arg, &v);

	if (err == -ERANGE)
		return "too large";
	if (err)
		return "not a size (examples: 512M, 2G)";
	if (v < (1u << 20))
		return "must be at least 1M";
	st->cfg->max_memory = v;
	return NULL;
}

/* "LO-HI": the per-stream ports of older clients come from this range. */
const char *cli_set_data_port_range(struct cli_state *st, const char *arg)
{
	const char *dash = strchr(arg, '-');
	char lo[8];
	uint16_t a, b;

	if (!dash || dash == arg || (size_t)(dash - arg) >= sizeof(lo))
		return "not a range (example: 40000-40999)";
	memcpy(lo, arg, (size_t)(dash - arg));
	lo[dash - arg] = '\0';
	if (net_parse_port(lo, &a) || net_parse_port(dash + 1, &b))
		return "ports must be between 1 and 65535 (example: 40000-40999)";
	if (a > b)
		return "the first port is above the last";
	st->cfg->data_port_lo = a;
	st->cfg->data_port_hi = b;
	return NULL;
}

/* ---- the config file's own options (load_config reads the file) ---- */
