// SPDX-License-Identifier: MIT
/* The TUI's bounded formatters, sparkline scaling and colour levels (tui_fmt.h). */
#include <math.h>
#include <stdio.h>

#include "tui/tui_fmt.h"

const char *tui_units_name(enum tui_units u)
{
	static const char *const names[] = {"auto", "bits", "bytes"};

	return u < TUI_UNITS_N ? names[u] : "auto";
}

/*
 * v scaled by 1000 until it is below 1000, three significant digits, then the
 * prefix. Past the last prefix the number is capped at "999" with a '+': the
 * width holds whatever comes in (NaN and negatives show as 0).
 */
static char *fmt_si(char *buf, size_t len, double v, const char *unit)
{
	static const char *const pre[] = {"", "k", "M", "G", "T", "P", "E"};
	unsigned i = 0;

	if (!(v > 0) || isnan(v))
		v = 0;
	while (v >= 999.5 && i + 1 < sizeof(pre) / sizeof(pre[0])) {
		v /= 1000;
		i++;
	}
	if (v >= 999.5)
		snprintf(buf, len, "999+ %s%s", pre[i], unit);
	else if (i == 0 && v == floor(v))
		snprintf(buf, len, "%.0f %s", v, unit);
	else if (v < 9.995)
		snprintf(buf, len, "%.2f %s%s", v, pre[i], unit);
	else if (v < 99.95)
		snprintf(buf, len, "%.1f %s%s", v, pre[i], unit);
	else
		snprintf(buf, len, "%.0f %s%s", v, pre[i], unit);
	return buf;
}

char *tui_fmt_rate(char *buf, size_t len, double bps, enum tui_units u)
{
	if (u == TUI_UNITS_BYTES)
		return fmt_si(buf, len, bps / 8, "B/s");
	return fmt_si(buf, len, bps, "bit/s");
}

char *tui_fmt_bytes(char *buf, size_t len, double bytes, enum tui_units u)
{
	if (u == TUI_UNITS_BITS)
		return fmt_si(buf, len, bytes * 8, "bit");
	return fmt_si(buf, len, bytes, "B");
}

char *tui_fmt_ms(char *buf, size_t len, double ms)
{
	if (!(ms > 0) || isnan(ms))
		snprintf(buf, len, "0 ms");
	else if (ms < 0.9995)
		snprintf(buf, len, "%.3f ms", ms);
	else if (ms < 99.95)
		snprintf(buf, len, "%.1f ms", ms);
	else if (ms < 999.5)
		snprintf(buf, len, "%.0f ms", ms);
	else if (ms < 99950)
		snprintf(buf, len, "%.2f s", ms / 1000);
	else if (ms < 99999.5 * 1000)
		snprintf(buf, len, "%.0f s", ms / 1000);
	else
		snprintf(buf, len, "99999+ s");
	return buf;
}

char *tui_fmt_count(char *buf, size_t len, uint64_t n)
{
	static const char *const pre[] = {"", "k", "M", "G"};
	double v = (double)n;
	unsigned i = 0;

	if (n < 100000) {
		snprintf(buf, len, "%llu", (unsigned long long)n);
		return buf;
	}
	while (v >= 999.5 && i + 1 < 4) {
		v /= 1000;
		i++;
	}
	if (v >= 999.5)
		snprintf(buf, len, "999G+");
	else
		snprintf(buf, len,
			 v < 9.995   ? "%.2f%s"
			 : v < 99.95 ? "%.1f%s"
				     : "%.0f%s",
			 v, pre[i]);
	return buf;
}

char *tui_fmt_secs(char *buf, size_t len, double s)
{
	unsigned long long t;

	if (!(s > 0) || isnan(s))
		s = 0;
	if (s < 3599.95) {
		snprintf(buf, len, s < 99.95 ? "%.1f s" : "%.0f s", s);
		return buf;
	}
	t = s >= 99999 * 3600.0 ? 99999ULL * 3600 : (unsigned long long)s;
	snprintf(buf, len, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

int tui_spark_level(double v, double peak, int rows)
{
	int max = 8 * rows, lvl;

	if (!(v > 0) || !(peak > 0) || rows <= 0)
		return 0;
	if (v >= peak)
		return max;
	lvl = (int)lround(v / peak * max);
	return lvl < 1 ? 1 : lvl;
}

enum tui_level tui_level_loss(double pct)
{
	return pct < 0.1 ? TUI_LVL_OK : pct < 1 ? TUI_LVL_WARN : TUI_LVL_BAD;
}

enum tui_level tui_level_rtt(double rtt_ms)
{
	return rtt_ms < 20 ? TUI_LVL_OK : rtt_ms < 100 ? TUI_LVL_WARN : TUI_LVL_BAD;
}

enum tui_level tui_level_jitter(double ms)
{
	return ms < 1 ? TUI_LVL_OK : ms < 10 ? TUI_LVL_WARN : TUI_LVL_BAD;
}

enum tui_level tui_level_retx(uint64_t retx, uint64_t bytes)
{
	double segs = (double)bytes / 1448;

	if (!retx)
		return TUI_LVL_OK;
	return segs > 0 && (double)retx / segs < 0.01 ? TUI_LVL_WARN : TUI_LVL_BAD;
}
