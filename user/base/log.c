// SPDX-License-Identifier: MIT
/*
 * Diagnostics to stderr. Each message is formatted first and written with a
 * single stdio call, which takes the stream lock, so lines from the stream
 * threads and the control thread never interleave mid-line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "base/log.h"

static enum xfr_log_level log_level = XFR_LOG_INFO;
static bool log_stamps;

void log_set_level(enum xfr_log_level level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void log_set_timestamps(bool on)
{
	__atomic_store_n(&log_stamps, on, __ATOMIC_RELAXED);
}

/* "2024-05-01T12:00:00.123Z " into buf (at least 32 bytes), or "" when off. */
static void log_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	buf[0] = '\0';
	if (!__atomic_load_n(&log_stamps, __ATOMIC_RELAXED) || clock_gettime(CLOCK_REALTIME, &ts) ||
	    !gmtime_r(&ts.tv_sec, &tm))
		return;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n)
		snprintf(buf + n, len - n, ".%03ldZ ", ts.tv_nsec / 1000000);
}

static enum xfr_log_level log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

static const char *log_prefix(enum xfr_log_level level)
{
	switch (level) {
	case XFR_LOG_ERROR:
		return "xfr: ";
	case XFR_LOG_WARN:
		return "xfr: warning: ";
	default:
		return "";
	}
}

/* log_msg with a va_list; @ap is left untouched (copied for each pass). */
static void log_vmsg(enum xfr_log_level level, const char *fmt, va_list ap)
{
	char small[512], *msg = small, stamp[40];
	va_list aq;
	size_t n;
	int len;

	if (level > log_get_level())
		return;

	va_copy(aq, ap);
	len = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(small)) {
		msg = malloc((size_t)len + 1);
		if (!msg) {
			msg = small; /* print the truncated text rather than nothing */
		} else {
			va_copy(aq, ap);
			vsnprintf(msg, (size_t)len + 1, fmt, aq);
			va_end(aq);
		}
	}
	/* Callers may or may not end with "\n": always exactly one. */
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_stamp(stamp, sizeof(stamp));
	fprintf(stderr, "%s%s%s\n", stamp, log_prefix(level), msg);
	if (msg != small)
		free(msg);
}

void log_msg(enum xfr_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/*
 * The libraries' own messages, one level down as xdp-tools does: what they
 * call a warning is often expected here (a probe that fails by design), and
 * the failure that matters is reported by our caller. WARN -> info, INFO ->
 * debug, DEBUG (every relocation and map) -> debug too. Their text keeps its
 * "libbpf: " / "libxdp: " prefix.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBBPF_WARN ? XFR_LOG_INFO : XFR_LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBXDP_WARN ? XFR_LOG_INFO : XFR_LOG_DEBUG, fmt, ap);
	return 0;
}

void log_libs_init(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
