/* SPDX-License-Identifier: MIT */
/* Logging to stderr or a log file: results never go through here. */
#ifndef XFR_BASE_LOG_H
#define XFR_BASE_LOG_H

#include <stddef.h>

#include "base/config.h"

void log_set_level(enum xfr_log_level level);
/*
 * Stamp every line with the wall-clock time, ISO 8601 in UTC with
 * milliseconds ("2024-05-01T12:00:00.123Z ", the reference's iso8601 form):
 * for logs kept by a service manager or a file. Off by default.
 */
void log_set_timestamps(bool on);
/*
 * --log-file: every line goes to path ("~/" is HOME's) with its UTC stamp,
 * errors to stderr as well; a new UTC day renames it to path.YYYY-MM-DD
 * first. Refuses what is not a regular file and the file stdout goes to.
 * 0, or -errno with one line for the user in why.
 */
int log_set_file(const char *path, char *why, size_t len);
void log_close_file(void);

/* Prefix "xfr: " for errors, "xfr: warning: " for warnings, plain for info/debug. */
void log_msg(enum xfr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Route libbpf's and libxdp's messages through log_msg, one level down
 * (their warnings show at info, the rest at debug). Once, early in main().
 */
void log_libs_init(void);

#define pr_err(...)   log_msg(XFR_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(XFR_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(XFR_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(XFR_LOG_DEBUG, __VA_ARGS__)

#endif
