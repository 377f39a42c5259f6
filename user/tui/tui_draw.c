// SPDX-License-Identifier: MIT
/* The client TUI's screen: title, footer, and the panels placed (tui_draw.h). */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui/tui_draw.h"
#include "tui/tui_fmt.h"

static const char *state_tag(const struct tui_view *v, const struct tui_ui *ui)
{
	if (v->state == TUI_ST_ERROR)
		return "ERROR";
	if (v->state == TUI_ST_DONE)
		return v->why[0] == 'c' ? "DONE" : "STOPPED";
	if (ui->cancelling)
		return "CANCELLING";
	if (v->paused)
		return "PAUSED";
	return v->state == TUI_ST_RUNNING ? "RUNNING" : "CONNECTING";
}

static void draw_title(const struct tui_rect *r, const struct tui_view *v, const struct tui_ui *ui)
{
	int a = tui_theme_attr(TUI_R_TITLE), x;
	char t[16];
	const char *tag = state_tag(v, ui);

	tui_clear(r, a);
	x = tui_putf(r->y, r->x, r->w, a | (int)A_BOLD, " xfr %s %s", ui->utf8 ? "→" : "->",
		     v->host[0] ? v->host : "...");
	tui_fmt_secs(t, sizeof(t), v->elapsed_s);
	if ((int)(strlen(tag) + strlen(t) + 5) < r->w - x)
		tui_putf(r->y, r->x + r->w - (int)(strlen(tag) + strlen(t) + 4), r->w, a,
			 "[%s] %s ", tag, t);
}

static void draw_footer(const struct tui_rect *r, const struct tui_view *v, const struct tui_ui *ui)
{
	const char *keys;
	int a = tui_theme_attr(TUI_R_LABEL), n;

	if (v->state == TUI_ST_DONE || v->state == TUI_ST_ERROR)
		keys = ui->json_summary ? "q exit  j summary: JSON  r restart  t theme  ? help"
					: "q exit  j summary: plain  r restart  t theme  ? help";
	else
		keys = "q quit  p pause  r restart  s settings  t theme  d streams  ? help";
	tui_clear(r, (int)A_NORMAL);
	/* a note wins over the key hints: right-aligned, the hints clipped before it */
	n = ui->note[0] ? (int)strlen(ui->note) + 2 : 0;
	if (n > r->w / 2 + r->w / 4)
		n = r->w / 2 + r->w / 4;
	if (n)
		tui_put(r->y, r->x + r->w - n, n - 1, tui_theme_attr(TUI_R_ACCENT) | (int)A_BOLD,
			ui->note);
	tui_put(r->y, r->x + 1, r->w - 2 - n, a, keys);
}

int tui_stats_rows(const struct tui_view *v)
{
	int n = 3; /* throughput, transfer, progress */

	if (v->proto == XFR_PROTO_UDP)
		n += 2; /* jitter, loss */
	else
		n += 1; /* rtt, retransmits, cwnd */
	if (v->has_xdp || v->drops.n)
		n += 2;
	return n;
}

void tui_draw(const struct tui_view *v, const struct tui_ui *ui)
{
	int rows = getmaxy(stdscr), cols = getmaxx(stdscr);
	struct tui_layout l;

	tui_layout(&l, rows, cols, tui_stats_rows(v));
	erase();
	if (l.title.h)
		draw_title(&l.title, v, ui);
	if (l.too_small) {
		tui_putf(rows > 1 ? 1 : 0, 0, cols, tui_theme_attr(TUI_R_WARN),
			 "terminal too small (%dx%d): %dx%d or larger", cols, rows, TUI_MIN_COLS,
			 TUI_MIN_ROWS);
		return;
	}
	if (l.config.h)
		tui_draw_config(&l.config, v, ui);
	tui_draw_stats(&l.stats, v, ui, l.config.h > 0);
	if (l.graph.h)
		tui_draw_graph(&l.graph, v, ui);
	if (l.lower.h)
		tui_draw_lower(&l.lower, v, ui);
	draw_footer(&l.footer, v, ui);
	tui_draw_modal(v, ui, rows, cols);
}
