// SPDX-License-Identifier: MIT
/* The settings modal's fields: stepping through values, applying them (tui_ui.h). */
#include <stdio.h>

#include "tui/tui_theme.h"
#include "tui/tui_ui.h"

static const uint32_t stream_steps[] = {1, 2, 4, 8, 16, 32, 64, 128};
static const uint32_t duration_steps[] = {5, 10, 30, 60, 120, 300, 0};
static const uint64_t bitrate_steps[] = {0,	    1000000,	   10000000,
					 100000000, 1000000000ULL, 10000000000ULL};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The index of v among steps (the next larger one when v is between two). */
static unsigned find_u64(const uint64_t *steps, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (steps[i] >= v)
			return i;
	return n - 1;
}

static unsigned find_u32(const uint32_t *steps, unsigned n, uint32_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (steps[i] >= v || (!steps[i] && !v))
			return i;
	return n - 1;
}

void tui_settings_open(struct tui_settings *s, const struct tui_prefs *p,
		       const struct xfr_config *cfg)
{
	s->row = 0;
	s->prefs = *p;
	s->streams = cfg->streams;
	s->proto = cfg->proto == XFR_PROTO_UDP ? XFR_PROTO_UDP : XFR_PROTO_TCP;
	s->duration_s = cfg->duration_s;
	s->dir = cfg->dir;
	s->bitrate = cfg->bitrate;
}

/* (i + d) mod n for a small step d. */
static unsigned wrap(unsigned i, int d, unsigned n)
{
	return (unsigned)(((int)i + d + (int)n) % (int)n);
}

void tui_settings_step(struct tui_settings *s, int d)
{
	switch ((enum tui_set_field)s->row) {
	case TUI_SET_THEME:
		s->prefs.theme = wrap(s->prefs.theme, d, tui_theme_count());
		break;
	case TUI_SET_TIMESTAMP:
		s->prefs.ts_format = (enum xfr_ts_format)wrap(s->prefs.ts_format, d, 3);
		break;
	case TUI_SET_UNITS:
		s->prefs.units = (enum tui_units)wrap(s->prefs.units, d, TUI_UNITS_N);
		break;
	case TUI_SET_STREAMS:
		s->streams = stream_steps[wrap(find_u32(stream_steps, N(stream_steps), s->streams),
					       d, N(stream_steps))];
		break;
	case TUI_SET_PROTO:
		s->proto = s->proto == XFR_PROTO_UDP ? XFR_PROTO_TCP : XFR_PROTO_UDP;
		break;
	case TUI_SET_DURATION:
		s->duration_s = duration_steps[wrap(
			find_u32(duration_steps, N(duration_steps), s->duration_s), d,
			N(duration_steps))];
		break;
	case TUI_SET_DIR:
		s->dir = (enum xfr_dir)wrap(s->dir, d, 3);
		break;
	case TUI_SET_BITRATE:
		s->bitrate =
			bitrate_steps[wrap(find_u64(bitrate_steps, N(bitrate_steps), s->bitrate), d,
					   N(bitrate_steps))];
		break;
	default:
		break;
	}
}

const char *tui_settings_label(enum tui_set_field f)
{
	static const char *const labels[] = {"Theme",	  "Timestamp", "Units",
					     "Streams",	  "Protocol",  "Duration",
					     "Direction", "Bitrate",   "Apply & Restart"};

	return f < TUI_SET_N ? labels[f] : "";
}

static char *fmt_bitrate(char *buf, size_t len, uint64_t b)
{
	if (!b)
		snprintf(buf, len, "unlimited");
	else if (b % 1000000000ULL == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(b / 1000000000ULL));
	else if (b % 1000000 == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(b / 1000000));
	else
		snprintf(buf, len, "%llu", (unsigned long long)b);
	return buf;
}

char *tui_settings_value(const struct tui_settings *s, enum tui_set_field f, char *buf, size_t len)
{
	static const char *const ts[] = {"relative", "iso8601", "unix"};

	buf[0] = '\0';
	switch (f) {
	case TUI_SET_THEME:
		snprintf(buf, len, "%s", tui_theme_name(s->prefs.theme));
		break;
	case TUI_SET_TIMESTAMP:
		snprintf(buf, len, "%s", ts[s->prefs.ts_format < 3 ? s->prefs.ts_format : 0]);
		break;
	case TUI_SET_UNITS:
		snprintf(buf, len, "%s", tui_units_name(s->prefs.units));
		break;
	case TUI_SET_STREAMS:
		snprintf(buf, len, "%u", s->streams);
		break;
	case TUI_SET_PROTO:
		snprintf(buf, len, "%s", s->proto == XFR_PROTO_UDP ? "UDP" : "TCP");
		break;
	case TUI_SET_DURATION:
		if (s->duration_s)
			snprintf(buf, len, "%u s", s->duration_s);
		else
			snprintf(buf, len, "until stopped");
		break;
	case TUI_SET_DIR:
		snprintf(buf, len, "%s", xfr_dir_name(s->dir));
		break;
	case TUI_SET_BITRATE:
		fmt_bitrate(buf, len, s->bitrate);
		break;
	default:
		break;
	}
	return buf;
}

/*
 * The test fields into cfg, with what the option checks (cli/) would have
 * done for the same flags: UDP gets its default rate when none is set (an
 * unpaced UDP flood is never a default), a protocol change its own datagram
 * or write size, and UDP drops the TCP-only options.
 */
void tui_settings_apply(const struct tui_settings *s, struct xfr_config *cfg)
{
	if (cfg->proto != s->proto) {
		cfg->length = xfr_default_length(s->proto);
		if (s->proto == XFR_PROTO_UDP) {
			cfg->mptcp = false;
			cfg->nodelay = false;
			cfg->congestion[0] = '\0';
		}
	}
	cfg->streams = s->streams;
	cfg->proto = s->proto;
	cfg->duration_s = s->duration_s;
	cfg->duration_set = true;
	cfg->dir = s->dir;
	cfg->bitrate = s->bitrate;
	cfg->bitrate_set = s->bitrate != 0;
	if (s->proto == XFR_PROTO_UDP && !s->bitrate) {
		cfg->bitrate = XFR_DEFAULT_UDP_RATE;
		cfg->bitrate_set = true;
	}
	cfg->ts_format = s->prefs.ts_format;
}
