// SPDX-License-Identifier: MIT
/*
 * Diagnostics to stderr. Each message is formatted first and written with a
 * single stdio call, which takes the stream lock, so lines from the stream
 * threads and the control thread never interleave mid-line.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "base/log.h"

static enum xfr_log_level log_level = XFR_LOG_INFO;
static bool log_stamps;

/*
 * --log-file: lines go to the file (always stamped), errors to stderr too.
 * Daily rotation (UTC): the first line of a new day renames PATH to
 * PATH.YYYY-MM-DD (the day it covered) and starts a new PATH. The lock
 * keeps rotation and writes of several threads apart.
 */
static struct {
	pthread_mutex_t lock;
	int fd;	  /* -1: no file */
	long day; /* days since the epoch that the open file covers */
	char path[4096];
} log_file = {PTHREAD_MUTEX_INITIALIZER, -1, 0, ""};

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

static long day_of(time_t t)
{
	return (long)(t / 86400);
}

static long today(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts))
		return log_file.day;
	return day_of(ts.tv_sec);
}

/* "~/x.log": HOME's. */
static int expand_home(const char *path, char *out, size_t len)
{
	const char *home = getenv("HOME");
	int n;

	if (!strncmp(path, "~/", 2) && home && *home)
		n = snprintf(out, len, "%s/%s", home, path + 2);
	else
		n = snprintf(out, len, "%s", path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Open (create) the log; refuse what is not a regular file, and stdout's file. */
static int open_log(const char *path, long *day, char *why, size_t len)
{
	struct stat sb, out;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0) {
		snprintf(why, len, "cannot open: %s", strerror(errno));
		return -errno;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(why, len, "not a regular file (logs never go to stdout or a device)");
		close(fd);
		return -EINVAL;
	}
	if (!fstat(STDOUT_FILENO, &out) && out.st_dev == sb.st_dev && out.st_ino == sb.st_ino) {
		snprintf(why, len, "is where stdout goes: results and logs stay apart");
		close(fd);
		return -EINVAL;
	}
	*day = sb.st_size ? day_of(sb.st_mtime) : today();
	return fd;
}

int log_set_file(const char *path, char *why, size_t len)
{
	char full[sizeof(log_file.path)];
	long day;
	int fd;

	if (expand_home(path, full, sizeof(full))) {
		snprintf(why, len, "path too long");
		return -ENAMETOOLONG;
	}
	fd = open_log(full, &day, why, len);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&log_file.lock);
	if (log_file.fd >= 0)
		close(log_file.fd);
	log_file.fd = fd;
	log_file.day = day;
	memcpy(log_file.path, full, sizeof(full));
	pthread_mutex_unlock(&log_file.lock);
	return 0;
}

void log_close_file(void)
{
	pthread_mutex_lock(&log_file.lock);
	if (log_file.fd >= 0)
		close(log_file.fd);
	log_file.fd = -1;
	pthread_mutex_unlock(&log_file.lock);
}

/* Under the lock: a new day renames the file to PATH.YYYY-MM-DD and opens a new one. */
static void rotate(long now)
{
	char old[sizeof(log_file.path) + 48], why[128];
	time_t t = (time_t)log_file.day * 86400;
	struct tm tm;
	long day;
	int fd;

	gmtime_r(&t, &tm);
	snprintf(old, sizeof(old), "%s.%04d-%02d-%02d", log_file.path, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday);
	if (rename(log_file.path, old)) {
		log_file.day = now; /* keep writing where we are; try again tomorrow */
		return;
	}
	fd = open_log(log_file.path, &day, why, sizeof(why));
	if (fd < 0) {
		log_file.day = now;
		return;
	}
	close(log_file.fd);
	log_file.fd = fd;
	log_file.day = now;
}

/* One line to the log file with its stamp; false when there is no file. */
static bool file_write(const char *prefix, const char *msg)
{
	char stamp[40], *line;
	struct timespec ts;
	struct tm tm;
	long now;
	bool ok;
	int n;

	pthread_mutex_lock(&log_file.lock);
	if (log_file.fd < 0) {
		pthread_mutex_unlock(&log_file.lock);
		return false;
	}
	stamp[0] = '\0';
	if (!clock_gettime(CLOCK_REALTIME, &ts) && gmtime_r(&ts.tv_sec, &tm)) {
		size_t k = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

		snprintf(stamp + k, sizeof(stamp) - k, ".%03ldZ ", ts.tv_nsec / 1000000);
	}
	n = asprintf(&line, "%s%s%s\n", stamp, prefix, msg);
	if (n < 0) {
		pthread_mutex_unlock(&log_file.lock);
		return false;
	}
	now = today();
	if (log_file.fd >= 0 && now != log_file.day)
		rotate(now);
	ok = log_file.fd >= 0 && write(log_file.fd, line, (size_t)n) == n;
	pthread_mutex_unlock(&log_file.lock);
	free(line);
	return ok; /* a failed write: the line goes to stderr instead */
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
	if (!file_write(log_prefix(level), msg) || level == XFR_LOG_ERROR) {
		log_stamp(stamp, sizeof(stamp));
		fprintf(stderr, "%s%s%s\n", stamp, log_prefix(level), msg);
	}
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
