/* SPDX-License-Identifier: MIT */
/*
 * The config file (docs/CONFIG.md): $XDG_CONFIG_HOME/xfr/config.toml, or
 * ~/.config/xfr/config.toml, or --config FILE / XFR_CONFIG. Its [client] and
 * [server] keys are the long options of the command line (with '_' for '-')
 * and feed the same option table; [[presets]] become struct xfr_preset.
 * Every error is one line "xfr: FILE:LINE:COL: what was expected".
 */
#ifndef XFR_CLI_CONFIG_FILE_H
#define XFR_CLI_CONFIG_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "base/config.h"
#include "base/toml.h"

#define CONFIG_FILE_VERSION 1	      /* the version this xfr writes and reads */
#define CONFIG_FILE_MAX	    (1 << 20) /* bytes */

struct config_file {
	char path[4096];
	bool present; /* false: no file at the default path (not an error) */
	struct toml_doc doc;
};

/*
 * Called for each key of a section: opt is the long option the key names
 * (aliases and '_' already mapped), v its value. Returns NULL or the reason
 * the value is wrong ("must be between 1 and 128").
 */
typedef const char *(*config_file_fn)(void *ctx, const char *opt, const struct toml_value *v);

/*
 * The path to read: explicit (--config) if not NULL, else $XFR_CONFIG, else
 * the XDG default. *required is true unless it is the default path.
 */
int config_file_path(const char *explicit_path, char *buf, size_t len, bool *required);

/*
 * Read and parse path, check its version, its tables and its [[presets]]
 * (into presets/npresets). 0 (cf->present false when an optional file is
 * absent) or -EINVAL after one line on err.
 */
int config_file_open(struct config_file *cf, const char *path, bool required,
		     struct xfr_preset *presets, uint32_t *npresets, FILE *err);

/* fn on each key of [section] in file order; stops at the first reason, printed on err. */
int config_file_each(const struct config_file *cf, const char *section, config_file_fn fn,
		     void *ctx, FILE *err);

void config_file_close(struct config_file *cf);

#endif
