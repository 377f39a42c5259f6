/* SPDX-License-Identifier: MIT */
/*
 * The TUI's display preferences, kept in $XDG_CONFIG_HOME/xfr/prefs.toml
 * (~/.config/xfr/prefs.toml): theme, timestamp format, units. A small strict
 * reader of its own, private to the TUI until the general TOML config parser
 * replaces it: `key = "value"` lines, `#` comments and blank lines; any other
 * line is an error (the file is then ignored, with the line said once);
 * unknown keys are skipped so newer files still load.
 */
#ifndef XFR_TUI_TUI_PREFS_H
#define XFR_TUI_TUI_PREFS_H

#include <stddef.h>

#include "base/config.h"
#include "tui/tui_fmt.h"

struct tui_prefs {
	unsigned theme;
	enum xfr_ts_format ts_format;
	enum tui_units units;
};

/* The file's path into buf; -ENOENT when neither XDG_CONFIG_HOME nor HOME is set. */
int tui_prefs_path(char *buf, size_t len);
/*
 * Parse text into p (fields not in the text keep their value). 0, or
 * -EINVAL with the line number and what was wrong in why.
 */
int tui_prefs_parse(struct tui_prefs *p, const char *text, char *why, size_t whylen);
/* Read the file at path into p: 0, -ENOENT (p untouched), -EINVAL (why says), -errno. */
int tui_prefs_load(struct tui_prefs *p, const char *path, char *why, size_t whylen);
/* Write p to path (directories made, written to a temporary file and renamed). 0 or -errno. */
int tui_prefs_save(const struct tui_prefs *p, const char *path);

#endif /* XFR_TUI_TUI_PREFS_H */
