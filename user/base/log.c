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

#include "base/log.h"

static enum xfr_log_level log_level = XFR_LOG_INFO;

void log_set_level(enum xfr_log_level level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
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

void log_msg(enum xfr_log_level level, const char *fmt, ...)
{
	char small[512], *msg = small;
	va_list ap;
	size_t n;
	int len;

	if (level > log_get_level())
		return;

	va_start(ap, fmt);
	len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(small)) {
		msg = malloc((size_t)len + 1);
		if (!msg) {
			msg = small; /* print the truncated text rather than nothing */
		} else {
			va_start(ap, fmt);
			vsnprintf(msg, (size_t)len + 1, fmt, ap);
			va_end(ap);
		}
	}
	/* Callers may or may not end with "\n": always exactly one. */
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	fprintf(stderr, "%s%s\n", log_prefix(level), msg);
	if (msg != small)
		free(msg);
}
