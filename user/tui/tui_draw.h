/* SPDX-License-Identifier: MIT */
/*
 * The client TUI's renderer: the view model and the UI state onto curses'
 * stdscr at its current size (tui_layout.h decides where). Every piece of
 * text goes through tui_put(), which clips it to its field and to the screen
 * and draws only printable characters, so nothing is drawn out of bounds and
 * no byte from a peer reaches the terminal as a control.
 */
#ifndef XFR_TUI_TUI_DRAW_H
#define XFR_TUI_TUI_DRAW_H

#include "tui/tui_layout.h"
#include "tui/tui_panels.h"
#include "tui/tui_ui.h"
#include "tui/tui_view.h"

/* The whole screen (erase, draw; the caller refreshes). */
void tui_draw(const struct tui_view *v, const struct tui_ui *ui);

/* Rows the stats panel needs for this view (TCP, UDP and XDP add some). */
int tui_stats_rows(const struct tui_view *v);

#endif /* XFR_TUI_TUI_DRAW_H */
