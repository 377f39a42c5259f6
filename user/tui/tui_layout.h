/* SPDX-License-Identifier: MIT */
/*
 * Where each panel of the client TUI goes at a given terminal size. Pure.
 * Panels that do not fit get a zero height and are not drawn; every rect is
 * inside the screen and no two overlap, down to the smallest size (the unit
 * tests walk every size from 1x1 to 200x60).
 *
 *  ≥ 80x22  title | configuration + stats side by side | graph | lower | footer
 *  ≥ 40x10  title | stats (compact, no config box) | graph when it fits | footer
 *  smaller  title and a "terminal too small" line
 */
#ifndef XFR_TUI_TUI_LAYOUT_H
#define XFR_TUI_TUI_LAYOUT_H

#include <stdbool.h>

struct tui_rect {
	int y, x, h, w; /* h == 0 or w == 0: not shown */
};

struct tui_layout {
	struct tui_rect title;	/* one row */
	struct tui_rect config; /* boxed */
	struct tui_rect stats;	/* boxed when there is room, else bare rows */
	struct tui_rect graph;	/* boxed: two graph rows */
	struct tui_rect lower;	/* boxed: streams or history */
	struct tui_rect footer; /* one row of key hints */
	bool boxed;		/* panels have borders */
	bool too_small;		/* below 40x10: only the title and a note */
};

#define TUI_MIN_COLS 40
#define TUI_MIN_ROWS 10

/* stats_rows: rows the stats panel wants inside its box (more for UDP, XDP). */
void tui_layout(struct tui_layout *l, int rows, int cols, int stats_rows);

/* True when r lies inside rows x cols (an empty rect always does). */
bool tui_rect_inside(const struct tui_rect *r, int rows, int cols);
/* True when both are shown and share a cell. */
bool tui_rect_overlap(const struct tui_rect *a, const struct tui_rect *b);

#endif /* XFR_TUI_TUI_LAYOUT_H */
