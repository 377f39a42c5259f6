/* SPDX-License-Identifier: MIT */
/* Private to user/tui/: the client TUI's state, shared by tui.c and tui_keys.c. */
#ifndef XFR_TUI_TUI_PRIV_H
#define XFR_TUI_TUI_PRIV_H

#include <curses.h>

#include "tui/tui.h"
#include "tui/tui_capture.h"
#include "tui/tui_term.h"
#include "tui/tui_ui.h"
#include "tui/tui_view.h"

#define TUI_REFRESH_MS 100 /* redraw (when something changed) and size check */
#define TUI_NOTE_TICKS 40  /* a footer note shows for 4 s */

struct tui {
	struct tui_term term;	/* curses, never blocking the loop */
	struct xfr_config cfg;	/* this test's settings (the client reads them) */
	struct xfr_config next; /* the settings modal's: the next test's on a restart */
	struct tui_view view;
	struct tui_ui ui;
	char prefs_path[4096]; /* "" = nowhere to save */
	bool no_color;	       /* NO_COLOR: monochrome unless the user picks a theme */
	bool started;
	bool dirty;
	enum tui_want want;
	char shown_note[96]; /* the footer's note, cleared after TUI_NOTE_TICKS */
	int note_ticks;

	const struct tui_ops *ops;
	void *ctx;
	struct loop_item key_it, tick_it, log_it;
	int tick_fd;

	struct tui_capture cap; /* stderr while the TUI is up */
};

/* tui_keys.c: one key. */
void tui_key(struct tui *t, int ch);
/* tui.c: draw now if anything changed (or always with force). */
void tui_redraw(struct tui *t, bool force);

#endif /* XFR_TUI_TUI_PRIV_H */
