// SPDX-License-Identifier: MIT
/* Panel placement for the client TUI (tui_layout.h). */
#include <string.h>

#include "tui/tui_layout.h"

static struct tui_rect rect(int y, int x, int h, int w)
{
	if (h <= 0 || w <= 0)
		return (struct tui_rect){.y = y, .x = x};
	return (struct tui_rect){.y = y, .x = x, .h = h, .w = w};
}

/* Full size: config and stats side by side, the graph, the rest for the lower panel. */
static void layout_full(struct tui_layout *l, int rows, int cols, int stats_rows)
{
	int top = stats_rows + 2 < 7 ? 7 : stats_rows + 2, y = 1;
	int cfg_w = cols * 2 / 5 < 30 ? 30 : cols * 2 / 5;

	if (cfg_w > cols - 46) /* the stats' widest row: bidir rates */
		cfg_w = cols - 46;

	l->boxed = true;
	l->config = rect(y, 0, top, cfg_w);
	l->stats = rect(y, cfg_w, top, cols - cfg_w);
	y += top;
	l->graph = rect(y, 0, 4, cols);
	y += 4;
	l->lower = rect(y, 0, rows - 1 - y, cols);
}

/* Small: bare stats rows under the title, the graph if two rows are left. */
static void layout_compact(struct tui_layout *l, int rows, int cols, int stats_rows)
{
	int avail = rows - 2, n = stats_rows < avail ? stats_rows : avail;

	l->stats = rect(1, 0, n, cols);
	if (avail - n >= 4) {
		l->graph = rect(1 + n, 0, 4, cols);
		l->boxed = true;
		if (avail - n - 4 >= 3)
			l->lower = rect(5 + n, 0, avail - n - 4, cols);
	}
}

void tui_layout(struct tui_layout *l, int rows, int cols, int stats_rows)
{
	int top;

	memset(l, 0, sizeof(*l));
	if (rows < 1 || cols < 1)
		return;
	l->title = rect(0, 0, 1, cols);
	if (rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS) {
		l->too_small = true;
		return;
	}
	l->footer = rect(rows - 1, 0, 1, cols);
	top = stats_rows + 2 < 7 ? 7 : stats_rows + 2;
	if (rows >= 22 && cols >= 80 && rows - 1 - (1 + top + 4) >= 3)
		layout_full(l, rows, cols, stats_rows);
	else
		layout_compact(l, rows, cols, stats_rows);
}

bool tui_rect_inside(const struct tui_rect *r, int rows, int cols)
{
	if (!r->h || !r->w)
		return true;
	return r->y >= 0 && r->x >= 0 && r->y + r->h <= rows && r->x + r->w <= cols;
}

bool tui_rect_overlap(const struct tui_rect *a, const struct tui_rect *b)
{
	if (!a->h || !a->w || !b->h || !b->w)
		return false;
	return a->y < b->y + b->h && b->y < a->y + a->h && a->x < b->x + b->w && b->x < a->x + a->w;
}
