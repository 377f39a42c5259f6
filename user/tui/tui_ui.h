/* SPDX-License-Identifier: MIT */
/*
 * The client TUI's own state beside the view model: what is open (help,
 * settings, streams or history), the preferences in force, the settings
 * modal's fields. The renderer (tui_draw.h) reads it; the controller (tui.c)
 * changes it on keys. Pure apart from nothing: no curses here.
 */
#ifndef XFR_TUI_TUI_UI_H
#define XFR_TUI_TUI_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "tui/tui_prefs.h"

/* The settings modal's rows, in order. */
enum tui_set_field {
	TUI_SET_THEME,
	TUI_SET_TIMESTAMP,
	TUI_SET_UNITS,
	TUI_SET_STREAMS,
	TUI_SET_PROTO,
	TUI_SET_DURATION,
	TUI_SET_DIR,
	TUI_SET_BITRATE,
	TUI_SET_APPLY, /* "Apply & Restart" */
	TUI_SET_N,
};

struct tui_settings {
	unsigned row; /* the selected field */
	struct tui_prefs prefs;
	uint32_t streams;
	enum xfr_proto proto;
	uint32_t duration_s;
	enum xfr_dir dir;
	uint64_t bitrate;
};

struct tui_ui {
	struct tui_prefs prefs;
	bool utf8;	   /* the terminal's locale is UTF-8: arrows, blocks */
	bool show_streams; /* `d`: the lower panel shows per-stream bars, else the history */
	bool help;
	bool settings_open;
	bool json_summary; /* `j`: JSON instead of the plain summary on exit */
	bool cancelling;   /* q / Ctrl+C: waiting for the server's result */
	struct tui_settings set;
	char note[96]; /* one line for the footer ("preferences saved", an error) */
};

/* The modal opened on the current settings. */
void tui_settings_open(struct tui_settings *s, const struct tui_prefs *p,
		       const struct xfr_config *cfg);
/* Left (-1) or right (+1) on the selected field. */
void tui_settings_step(struct tui_settings *s, int delta);
/* The field's label and its value as text. */
const char *tui_settings_label(enum tui_set_field f);
char *tui_settings_value(const struct tui_settings *s, enum tui_set_field f, char *buf, size_t len);
/* The test fields into cfg (a restart runs with it), with the CLI's defaults for them. */
void tui_settings_apply(const struct tui_settings *s, struct xfr_config *cfg);

#endif /* XFR_TUI_TUI_UI_H */
