// SPDX-License-Identifier: MIT
/*
 * The throughput sparkline (two rows, peak shown, loss marked), and the lower
 * panel: per-stream bars or the history log (`d` switches) (tui_draw.h).
 */
#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "tui/tui_panels.h"
#include "tui/tui_fmt.h"

/*
 * Loss marks carry no hue only: an interval with loss under 1 % is
 * underlined, 1 % and over is reversed, on top of the warn/bad colour.
 */
static int loss_attr(double loss)
{
	if (loss <= 0)
		return tui_theme_attr(TUI_R_GRAPH);
	if (loss < 1)
		return tui_theme_attr(TUI_R_WARN) | (int)A_UNDERLINE;
	return tui_theme_attr(TUI_R_BAD) | (int)A_REVERSE;
}

void tui_draw_graph(const struct tui_rect *box, const struct tui_view *v, const struct tui_ui *ui)
{
	struct tui_rect r = tui_box(box, "Throughput");
	char pk[32];
	double peak = 0, rate, loss;
	int n;

	if (r.h < 2 || r.w < 1)
		return;
	n = r.w;
	for (int i = 0; i < n && tui_view_hist(v, (uint32_t)i, &rate, &loss); i++)
		if (rate > peak)
			peak = rate;
	for (int i = 0; i < n && tui_view_hist(v, (uint32_t)i, &rate, &loss); i++) {
		int lvl = tui_spark_level(rate, peak, 2), x = r.x + r.w - 1 - i,
		    a = loss_attr(loss);

		tui_put(r.y + 1, x, 1, a, tui_glyph_block(ui, lvl > 8 ? 8 : lvl));
		if (lvl > 8)
			tui_put(r.y, x, 1, a, tui_glyph_block(ui, lvl - 8));
	}
	if (box->w > 30 && v->nhist)
		tui_putf(box->y, box->x + box->w - 24, 22, tui_theme_attr(TUI_R_ACCENT),
			 " peak %s ", tui_fmt_rate(pk, sizeof(pk), peak, ui->prefs.units));
}

static void draw_streams(const struct tui_rect *r, const struct tui_view *v,
			 const struct tui_ui *ui)
{
	double max = 0;
	int bar_w = r->w - 6 - 12;
	char rate[32];

	for (uint32_t i = 0; i < v->nstream_rates; i++)
		if (v->stream_rate[i] > max)
			max = v->stream_rate[i];
	if (!v->nstream_rates) {
		tui_put(r->y, r->x, r->w, tui_theme_attr(TUI_R_LABEL), "no interval yet");
		return;
	}
	for (int i = 0; i < r->h && (uint32_t)i < v->nstream_rates; i++) {
		int fill = max > 0 ? (int)(v->stream_rate[i] / max * bar_w + 0.5) : 0;

		if (i == r->h - 1 && (uint32_t)i + 1 < v->nstream_rates) {
			tui_putf(r->y + i, r->x, r->w, tui_theme_attr(TUI_R_LABEL),
				 "... %u more streams", v->nstream_rates - (uint32_t)i);
			break;
		}
		tui_putf(r->y + i, r->x, 6, tui_theme_attr(TUI_R_LABEL), "#%-4d", i);
		for (int k = 0; k < fill && k < bar_w; k++)
			tui_put(r->y + i, r->x + 6 + k, 1, tui_theme_attr(TUI_R_GRAPH),
				tui_glyph_block(ui, 8));
		tui_put(r->y + i, r->x + r->w - 11, 11, tui_theme_attr(TUI_R_VALUE),
			tui_fmt_rate(rate, sizeof(rate), v->stream_rate[i], ui->prefs.units));
	}
}

/* A history line's time in the chosen format: test time, UTC clock time, or epoch seconds. */
static char *line_time(char *buf, size_t len, const struct tui_log_line *l, enum xfr_ts_format f)
{
	time_t secs = (time_t)(l->wall_us / 1000000);
	struct tm tm;

	if (f == XFR_TS_UNIX)
		snprintf(buf, len, "%llu", (unsigned long long)secs);
	else if (f == XFR_TS_ISO8601 && gmtime_r(&secs, &tm))
		strftime(buf, len, "%H:%M:%SZ", &tm);
	else
		tui_fmt_secs(buf, len, l->t);
	return buf;
}

/* The newest lines that fit, oldest at the top. */
static void draw_history(const struct tui_rect *r, const struct tui_view *v,
			 const struct tui_ui *ui)
{
	uint64_t kept = v->nlog < TUI_LOG ? v->nlog : TUI_LOG;
	uint64_t n = kept < (uint64_t)r->h ? kept : (uint64_t)r->h;

	for (uint64_t i = 0; i < n; i++) {
		const struct tui_log_line *l = &v->log[(v->nlog - n + i) % TUI_LOG];
		char t[32];
		int x = tui_putf(r->y + (int)i, r->x, 12, tui_theme_attr(TUI_R_LABEL), "%10s ",
				 line_time(t, sizeof(t), l, ui->prefs.ts_format));

		tui_put(r->y + (int)i, r->x + x, r->w - x, tui_theme_attr(TUI_R_NORMAL), l->text);
	}
}

void tui_draw_lower(const struct tui_rect *box, const struct tui_view *v, const struct tui_ui *ui)
{
	struct tui_rect r =
		tui_box(box, ui->show_streams ? "Streams (d: history)" : "History (d: streams)");

	if (!r.h)
		return;
	if (ui->show_streams)
		draw_streams(&r, v, ui);
	else
		draw_history(&r, v, ui);
}
