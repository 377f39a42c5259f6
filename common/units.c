// SPDX-License-Identifier: MIT
/*
 * Quantities on the command line and in reports. Numbers are parsed by hand
 * (digits, an optional fraction, a suffix) rather than with strtod so that
 * nothing depends on the locale, "-1" or " 1" never sneak through, and the
 * result is exact: 1.5G is 1500000000, not 1499999999.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"
#include "util.h"

#define RATE_MAX (1ULL << 63)

/* A non-negative decimal number split into whole part and fraction. */
struct decimal {
	uint64_t whole;
	uint64_t frac; /* fraction digits as an integer ... */
	uint64_t den;  /* ... over this power of ten (1 = no fraction) */
};

/*
 * Parse [0-9]+(\.[0-9]+)? or \.[0-9]+ at s; *end points past it. Fraction
 * digits beyond the 18th are dropped (all results round down anyway).
 */
static int parse_decimal(const char *s, struct decimal *d, const char **end)
{
	bool digits = false;

	d->whole = 0;
	d->frac = 0;
	d->den = 1;
	for (; isdigit((unsigned char)*s); s++) {
		if (__builtin_mul_overflow(d->whole, 10, &d->whole) ||
		    __builtin_add_overflow(d->whole, (uint64_t)(*s - '0'), &d->whole))
			return -ERANGE;
		digits = true;
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++) {
			if (d->den < 1000000000000000000ULL) {
				d->frac = d->frac * 10 + (uint64_t)(*s - '0');
				d->den *= 10;
			}
		}
		digits = true;
	}
	if (!digits)
		return -EINVAL;
	*end = s;
	return 0;
}

/* whole*mult + frac*mult/den, rounded down; -ERANGE above max. */
static int scale_decimal(const struct decimal *d, uint64_t mult, uint64_t max, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)d->whole * mult;

	v += (unsigned __int128)d->frac * mult / d->den;
	if (v > max)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

/* K, M, G, T (any case) as powers of base; 0 for anything else. */
static uint64_t suffix_mult(char c, uint64_t base)
{
	static const char suffixes[] = "KMGT";
	const char *p = c ? strchr(suffixes, toupper((unsigned char)c)) : NULL;
	uint64_t mult = 1;

	if (!p)
		return 0;
	for (long i = 0; i <= p - suffixes; i++)
		mult *= base;
	return mult;
}

int units_parse_rate(const char *s, uint64_t *bps)
{
	struct decimal d;
	const char *end;
	uint64_t mult = 1;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_decimal(s, &d, &end);
	if (err)
		return err;
	if (*end) {
		mult = suffix_mult(*end, 1000);
		if (!mult || end[1])
			return -EINVAL;
	}
	return scale_decimal(&d, mult, RATE_MAX, bps);
}

int units_parse_size(const char *s, uint64_t *bytes)
{
	struct decimal d;
	const char *end;
	uint64_t mult = 1;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_decimal(s, &d, &end);
	if (err)
		return err;
	if (*end && *end != 'b' && *end != 'B') {
		mult = suffix_mult(*end, 1024);
		if (!mult)
			return -EINVAL;
		end++;
		if (*end == 'i' || *end == 'I') {
			end++;
			if (*end != 'b' && *end != 'B')
				return -EINVAL;
		}
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	return scale_decimal(&d, mult, UINT64_MAX, bytes);
}

/*
 * The suffixes the reference tool's humantime parser takes for the same
 * quantities (it also has us/ns and weeks, months, years, which no option
 * here needs). Case does not matter, except that a lone "M" is refused: it is
 * a month to humantime and mega to every other xfr option, never minutes.
 */
static const struct {
	const char *name;
	uint64_t ms;
} dur_suffixes[] = {
	{"", 1000},	   {"ms", 1},	       {"msec", 1},	   {"msecs", 1},
	{"s", 1000},	   {"sec", 1000},      {"secs", 1000},	   {"second", 1000},
	{"seconds", 1000}, {"m", 60000},       {"min", 60000},	   {"mins", 60000},
	{"minute", 60000}, {"minutes", 60000}, {"h", 3600000},	   {"hr", 3600000},
	{"hrs", 3600000},  {"hour", 3600000},  {"hours", 3600000}, {"d", 86400000},
	{"day", 86400000}, {"days", 86400000},
};

int units_parse_duration_ms(const char *s, uint64_t *ms)
{
	struct decimal d;
	const char *end;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_decimal(s, &d, &end);
	if (err)
		return err;
	if (!strcmp(end, "M"))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(dur_suffixes); i++) {
		if (!strcasecmp(end, dur_suffixes[i].name))
			return scale_decimal(&d, dur_suffixes[i].ms, UINT64_MAX, ms);
	}
	return -EINVAL;
}

/*
 * Name to DSCP code point (RFC 2474, 2597, 3246, 5865). VA is 44 as RFC 5865
 * says; the reference tool maps it to TOS 172 (DSCP 43), which is a slip.
 */
static int dscp_by_name(const char *s)
{
	static const struct {
		const char *name;
		int dscp;
	} names[] = {
		{"CS0", 0},   {"CS1", 8},   {"CS2", 16},  {"CS3", 24},	{"CS4", 32},  {"CS5", 40},
		{"CS6", 48},  {"CS7", 56},  {"AF11", 10}, {"AF12", 12}, {"AF13", 14}, {"AF21", 18},
		{"AF22", 20}, {"AF23", 22}, {"AF31", 26}, {"AF32", 28}, {"AF33", 30}, {"AF41", 34},
		{"AF42", 36}, {"AF43", 38}, {"EF", 46},	  {"VA", 44},
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcasecmp(s, names[i].name))
			return names[i].dscp;
	}
	return -1;
}

int units_parse_dscp(const char *s, int *tos)
{
	uint64_t v;
	int dscp, err;

	if (!s)
		return -EINVAL;
	if (isdigit((unsigned char)*s)) {
		err = units_parse_uint(s, 0, 255, &v);
		if (err)
			return err;
		*tos = (int)v;
		return 0;
	}
	dscp = dscp_by_name(s);
	if (dscp < 0)
		return -EINVAL;
	*tos = dscp << 2;
	return 0;
}

int units_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	struct decimal d;
	const char *end;
	int err;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	err = parse_decimal(s, &d, &end);
	if (err == -ERANGE)
		return err;
	if (err || *end || d.den != 1)
		return -EINVAL;
	if (d.whole < min || d.whole > max)
		return -ERANGE;
	*out = d.whole;
	return 0;
}

char *units_fmt_rate(double bps, char *buf, size_t len)
{
	static const char *const units[] = {"bit/s",  "kbit/s", "Mbit/s",
					    "Gbit/s", "Tbit/s", "Pbit/s"};
	size_t u = 0;
	double v = bps;

	if (!isfinite(v) || v <= 0) {
		snprintf(buf, len, "0 bit/s");
		return buf;
	}
	/* 999.7 Mbit/s would print as "1000 Mbit/s": step up before rounding does. */
	while (v >= 999.5 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0 || v >= 99.95)
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else if (v >= 9.995)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

char *units_fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

double units_mbps(uint64_t bytes, double secs)
{
	if (!(secs > 0))
		return 0;
	return (double)bytes * 8 / 1e6 / secs;
}
