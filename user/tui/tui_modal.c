// SPDX-License-Identifier: MIT
/* Overlays: the PAUSED banner, help, the settings modal (tui_draw.h). */
#include <curses.h>
#include <stdio.h>

#include "tui/tui_panels.h"

/* A centred box w x h, clipped to the screen; returns the inside. */
static struct tui_rect centred(int rows, int cols, int h, int w, const char *title)
{
	struct tui_rect r;

	if (w > cols)
		w = cols;
	if (h > rows - 1)
		h = rows - 1;
	r = (struct tui_rect){(rows - h) / 2, (cols - w) / 2, h, w};
	tui_clear(&r, tui_theme_attr(TUI_R_NORMAL));
	return tui_box(&r, title);
}

static void draw_help(int rows, int cols)
{
	static const char *const lines[] = {
		"p       pause / resume the traffic",
		"r       restart the test",
		"s       settings (arrows or hjkl, Enter)",
		"t       next theme",
		"d       streams / history",
		"j       summary as JSON on exit",
		"? F1    this help",
		"q       cancel: the server's summary",
		"Ctrl+C  twice: quit at once",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0]));
	struct tui_rect in = centred(rows, cols, n + 2, 46, "Help (any key closes)");

	for (int i = 0; i < n && i < in.h; i++)
		tui_put(in.y + i, in.x + 1, in.w - 1, tui_theme_attr(TUI_R_VALUE), lines[i]);
}

static void draw_settings(const struct tui_ui *ui, int rows, int cols)
{
	struct tui_rect in = centred(rows, cols, TUI_SET_N + 4, 44, "Settings (Esc closes)");
	bool gaps = in.h >= TUI_SET_N + 2; /* a blank row before the test's fields and Apply */
	char val[48];

	for (int i = 0; i < TUI_SET_N && i < in.h; i++) {
		int sel = (unsigned)i == ui->set.row;
		int y = in.y + i + (gaps ? (i >= TUI_SET_STREAMS) + (i == TUI_SET_APPLY) : 0);
		int a = sel ? tui_theme_attr(TUI_R_TITLE) | (int)A_REVERSE
			    : tui_theme_attr(TUI_R_VALUE);

		if (y >= in.y + in.h)
			break;
		if (i == TUI_SET_APPLY) {
			tui_putf(y, in.x + 1, in.w - 2, a, "[ %s ]",
				 tui_settings_label(TUI_SET_APPLY));
			continue;
		}
		tui_putf(y, in.x + 1, in.w - 2, a, "%c %-10s < %s >", sel ? '>' : ' ',
			 tui_settings_label((enum tui_set_field)i),
			 tui_settings_value(&ui->set, (enum tui_set_field)i, val, sizeof(val)));
	}
}

void tui_draw_modal(const struct tui_view *v, const struct tui_ui *ui, int rows, int cols)
{
	if (ui->settings_open) {
		draw_settings(ui, rows, cols);
	} else if (ui->help) {
		draw_help(rows, cols);
	} else if (v->paused && v->state == TUI_ST_RUNNING) {
		struct tui_rect in = centred(rows, cols, 3, 30, NULL);

		tui_put(in.y, in.x + (in.w - 20) / 2, in.w,
			tui_theme_attr(TUI_R_WARN) | (int)A_BOLD, "PAUSED (p resumes)");
	}
}
