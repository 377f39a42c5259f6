/* SPDX-License-Identifier: MIT */
/*
 * The TUI's colour themes: eleven, cycled with `t`, chosen in the settings,
 * saved in the preferences. A theme maps each role (title, border, ok, ...)
 * to a foreground and background, in 256 colours with an 8-colour fallback.
 * "monochrome" uses no colour at all (NO_COLOR selects it): every mark a
 * colour carries is also carried by an attribute (bold, underline, reverse)
 * or a character, so nothing is lost without colour.
 */
#ifndef XFR_TUI_TUI_THEME_H
#define XFR_TUI_TUI_THEME_H

#include <stdbool.h>

enum tui_role {
	TUI_R_NORMAL,
	TUI_R_TITLE,
	TUI_R_BORDER,
	TUI_R_LABEL,
	TUI_R_VALUE,
	TUI_R_OK,
	TUI_R_WARN,
	TUI_R_BAD,
	TUI_R_GRAPH,
	TUI_R_ACCENT,
	TUI_R_N,
};

#define TUI_THEME_MONO 4 /* index of "monochrome" */

unsigned tui_theme_count(void);
const char *tui_theme_name(unsigned i);
/* Index of a theme by name or alias ("mono", "tokyo", "hacker", ...); -1 when unknown. */
int tui_theme_find(const char *name);

/* Colour pairs for theme i (after start_color; nothing without colours). */
void tui_theme_apply(unsigned i);
/* The curses attribute of a role under the applied theme. */
int tui_theme_attr(enum tui_role role);

#endif /* XFR_TUI_TUI_THEME_H */
