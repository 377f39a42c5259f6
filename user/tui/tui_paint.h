/* SPDX-License-Identifier: MIT */
/*
 * Drawing primitives of the TUI panels on curses' stdscr. Every piece of text
 * goes through tui_put(), which clips it to its field and to the screen and
 * draws only printable characters (anything else becomes '?'), so nothing is
 * drawn out of bounds and no byte from a peer reaches the terminal as a control.
 */
#ifndef XFR_TUI_TUI_PAINT_H
#define XFR_TUI_TUI_PAINT_H

#include "tui/tui_fmt.h"
#include "tui/tui_layout.h"
#include "tui/tui_theme.h"
#include "tui/tui_ui.h"

/* UTF-8 s at (y, x), at most w columns, clipped to the screen; returns the columns drawn. */
int tui_put(int y, int x, int w, int attr, const char *s);
/* printf into a field of w columns. */
int tui_putf(int y, int x, int w, int attr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A box around r with a title; returns the inside. */
struct tui_rect tui_box(const struct tui_rect *r, const char *title);
/* Blank a rect (for overlays). */
void tui_clear(const struct tui_rect *r, int attr);
/* The role of a colour level. */
int tui_level_attr(enum tui_level l);

/* Glyphs: UTF-8 where the locale allows, else ASCII. */
const char *tui_glyph_up(const struct tui_ui *ui);
const char *tui_glyph_down(const struct tui_ui *ui);
/* The eighths block for level 1..8 (0: a blank). */
const char *tui_glyph_block(const struct tui_ui *ui, int eighths);

#endif /* XFR_TUI_TUI_PAINT_H */
