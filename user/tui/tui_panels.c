// SPDX-License-Identifier: MIT
/* The configuration and real-time stats panels (tui_draw.h). */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui/tui_panels.h"
#include "tui/tui_fmt.h"

#define LABEL_W 11

/* "Label:" then the value in its attribute; returns the value's column. */
static int row(const struct tui_rect *r, int i, const char *label)
{
	int lw = r->w >= 40 ? LABEL_W : 0;

	if (i >= r->h)
		return -1;
	if (lw)
		tui_put(r->y + i, r->x, lw, tui_theme_attr(TUI_R_LABEL), label);
	return r->x + lw;
}

void tui_draw_config(const struct tui_rect *box, const struct tui_view *v, const struct tui_ui *ui)
{
	struct tui_rect r = tui_box(box, "Configuration");
	char b[32], c[32];
	int i = 0, w = r.w - 9;

	(void)ui;
	if (!r.h)
		return;
	tui_put(r.y + i, r.x, 9, tui_theme_attr(TUI_R_LABEL), "Target");
	tui_putf(r.y + i++, r.x + 9, w, tui_theme_attr(TUI_R_VALUE), "%s:%u", v->host, v->port);
	tui_put(r.y + i, r.x, 9, tui_theme_attr(TUI_R_LABEL), "Test");
	tui_putf(r.y + i++, r.x + 9, w, tui_theme_attr(TUI_R_VALUE), "%s %s, %u stream%s",
		 xfr_proto_name(v->proto), xfr_dir_name(v->dir), v->streams,
		 v->streams == 1 ? "" : "s");
	tui_put(r.y + i, r.x, 9, tui_theme_attr(TUI_R_LABEL), "Length");
	if (v->bytes_req)
		tui_fmt_bytes(b, sizeof(b), (double)v->bytes_req, ui->prefs.units);
	else if (v->duration_req_s)
		snprintf(b, sizeof(b), "%u s", v->duration_req_s);
	else
		snprintf(b, sizeof(b), "until stopped");
	if (v->bitrate_req)
		tui_fmt_rate(c, sizeof(c), (double)v->bitrate_req, ui->prefs.units);
	else
		snprintf(c, sizeof(c), "unlimited");
	tui_putf(r.y + i++, r.x + 9, w, tui_theme_attr(TUI_R_VALUE), "%s at %s", b, c);
	if (i < r.h) {
		tui_put(r.y + i, r.x, 9, tui_theme_attr(TUI_R_LABEL), "Engine");
		tui_put(r.y + i++, r.x + 9, w, tui_theme_attr(TUI_R_VALUE), v->engine);
	}
	if (i < r.h) {
		tui_put(r.y + i, r.x, 9, tui_theme_attr(TUI_R_LABEL), "Server");
		tui_put(r.y + i++, r.x + 9, w, tui_theme_attr(TUI_R_VALUE),
			v->server_version[0] ? v->server_version : "?");
	}
}

static void stat_rate(const struct tui_rect *r, int i, const struct tui_view *v,
		      const struct tui_ui *ui)
{
	char a[32], b[32];
	int x = row(r, i, "Throughput"), va = tui_theme_attr(TUI_R_VALUE) | (int)A_BOLD;

	if (x < 0)
		return;
	tui_fmt_rate(a, sizeof(a), v->rate_up, ui->prefs.units);
	tui_fmt_rate(b, sizeof(b), v->rate_down, ui->prefs.units);
	if (v->dir == XFR_DIR_BIDIR)
		tui_putf(r->y + i, x, r->x + r->w - x, va, "%s %s / %s %s", tui_glyph_up(ui), a,
			 tui_glyph_down(ui), b);
	else
		tui_putf(r->y + i, x, r->x + r->w - x, va, "%s %s",
			 v->dir == XFR_DIR_DOWNLOAD ? tui_glyph_down(ui) : tui_glyph_up(ui),
			 v->dir == XFR_DIR_DOWNLOAD ? b : a);
}

static void stat_transfer(const struct tui_rect *r, int i, const struct tui_view *v,
			  const struct tui_ui *ui)
{
	char a[32], b[32];
	int x = row(r, i, "Transfer"), va = tui_theme_attr(TUI_R_VALUE);

	if (x < 0)
		return;
	tui_fmt_bytes(a, sizeof(a), (double)v->total_up, ui->prefs.units);
	tui_fmt_bytes(b, sizeof(b), (double)v->total_down, ui->prefs.units);
	if (v->dir == XFR_DIR_BIDIR)
		tui_putf(r->y + i, x, r->x + r->w - x, va, "%s %s / %s %s", tui_glyph_up(ui), a,
			 tui_glyph_down(ui), b);
	else
		tui_put(r->y + i, x, r->x + r->w - x, va, v->dir == XFR_DIR_DOWNLOAD ? b : a);
}

static void stat_progress(const struct tui_rect *r, int i, const struct tui_view *v,
			  const struct tui_ui *ui)
{
	double p = tui_view_progress(v);
	int x = row(r, i, "Progress"), w, fill;
	char t[32], d[32];

	if (x < 0)
		return;
	w = r->x + r->w - x;
	tui_fmt_secs(t, sizeof(t), v->elapsed_s);
	if (p < 0) {
		tui_putf(r->y + i, x, w, tui_theme_attr(TUI_R_VALUE), "%s (until stopped)", t);
		return;
	}
	if (v->bytes_req)
		tui_fmt_bytes(d, sizeof(d), (double)v->bytes_req, ui->prefs.units);
	else
		snprintf(d, sizeof(d), "%u s", v->duration_req_s);
	w -= 2 + 22; /* the bar, then " 100% 9999.9 s / 3600 s" */
	if (w > 30)
		w = 30;
	if (w >= 4) {
		fill = (int)(p * w + 0.5);
		for (int k = 0; k < w; k++)
			tui_put(r->y + i, x + k, 1,
				tui_theme_attr(k < fill ? TUI_R_GRAPH : TUI_R_BORDER),
				k < fill ? tui_glyph_block(ui, 8) : (ui->utf8 ? "░" : "."));
		x += w + 1;
	}
	tui_putf(r->y + i, x, r->x + r->w - x, tui_theme_attr(TUI_R_VALUE), "%3.0f%%  %s / %s",
		 p * 100, t, d);
}

static void stat_tcp(const struct tui_rect *r, int i, const struct tui_view *v,
		     const struct tui_ui *ui)
{
	char rtt[16], retx[16], cwnd[16];
	int x = row(r, i, "TCP"), end = r->x + r->w;

	if (x < 0)
		return;
	if (!v->has_tcp) {
		tui_put(r->y + i, x, end - x, tui_theme_attr(TUI_R_LABEL),
			"RTT -- Retr -- cwnd --");
		return;
	}
	tui_fmt_ms(rtt, sizeof(rtt), v->rtt_ms);
	tui_fmt_count(retx, sizeof(retx), v->retx_total);
	tui_fmt_bytes(cwnd, sizeof(cwnd), (double)v->cwnd_bytes, ui->prefs.units);
	x += tui_put(r->y + i, x, end - x, tui_theme_attr(TUI_R_LABEL), "RTT ");
	x += tui_put(r->y + i, x, end - x, tui_level_attr(tui_level_rtt(v->rtt_ms)), rtt);
	x += tui_put(r->y + i, x, end - x, tui_theme_attr(TUI_R_LABEL), " Retr ");
	x += tui_put(r->y + i, x, end - x, tui_level_attr(tui_level_retx(v->retx_iv, v->iv_bytes)),
		     retx);
	x += tui_put(r->y + i, x, end - x, tui_theme_attr(TUI_R_LABEL), " cwnd ");
	tui_put(r->y + i, x, end - x, tui_theme_attr(TUI_R_VALUE), cwnd);
}

static void stat_udp(const struct tui_rect *r, int i, const struct tui_view *v)
{
	char j[16], avg[16], lost[16];
	double a = tui_view_jitter_avg(v);
	int x = row(r, i, "Jitter"), end = r->x + r->w;

	if (x >= 0 && v->loss_known) {
		tui_fmt_ms(j, sizeof(j), v->jitter_ms);
		x += tui_put(r->y + i, x, end - x, tui_level_attr(tui_level_jitter(v->jitter_ms)),
			     j);
		if (a >= 0)
			tui_putf(r->y + i, x, end - x, tui_theme_attr(TUI_R_LABEL),
				 "  (10s avg: %s)", tui_fmt_ms(avg, sizeof(avg), a));
	} else if (x >= 0) {
		tui_put(r->y + i, x, end - x, tui_theme_attr(TUI_R_LABEL), "--");
	}
	x = row(r, i + 1, "Loss");
	if (x < 0)
		return;
	if (!v->loss_known) {
		tui_put(r->y + i + 1, x, end - x, tui_theme_attr(TUI_R_LABEL), "--%");
		return;
	}
	x += tui_putf(r->y + i + 1, x, end - x, tui_level_attr(tui_level_loss(v->loss_pct)),
		      "%.2f%%", v->loss_pct);
	tui_putf(r->y + i + 1, x, end - x, tui_theme_attr(TUI_R_LABEL), "  (%s lost in all)",
		 tui_fmt_count(lost, sizeof(lost), v->lost_total));
}

/* The kernel data plane: sent -> on the wire (counted by the receiver's XDP) -> socket,
 * and the largest drop reasons. */
static void stat_xdp(const struct tui_rect *r, int i, const struct tui_view *v,
		     const struct tui_ui *ui)
{
	const char *arrow = ui->utf8 ? "→" : ">";
	char a[16], b[16], c[16], line[256];
	int x = row(r, i, "Path"), end = r->x + r->w, n = 0;

	if (x >= 0 && v->xdp_sink)
		tui_putf(r->y + i, x, end - x, tui_theme_attr(TUI_R_VALUE),
			 "sent %s %s wire %s (XDP receives)",
			 tui_fmt_count(a, sizeof(a), v->xdp_sent), arrow,
			 tui_fmt_count(b, sizeof(b), v->xdp_xdp));
	else if (x >= 0)
		tui_putf(r->y + i, x, end - x, tui_theme_attr(TUI_R_VALUE),
			 "sent %s %s wire %s %s socket %s",
			 tui_fmt_count(a, sizeof(a), v->xdp_sent), arrow,
			 tui_fmt_count(b, sizeof(b), v->xdp_xdp), arrow,
			 tui_fmt_count(c, sizeof(c), v->xdp_socket));
	x = row(r, i + 1, "Drops");
	if (x < 0)
		return;
	line[0] = '\0';
	for (uint32_t k = 0; k < v->drops.n && k < TUI_TOP_DROPS; k++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %s", k ? ", " : "",
			      v->drops.d[k].reason,
			      tui_fmt_count(a, sizeof(a), v->drops.d[k].packets));
	tui_put(r->y + i + 1, x, end - x, tui_level_attr(v->drops.n ? TUI_LVL_WARN : TUI_LVL_OK),
		n ? line : "none");
}

void tui_draw_stats(const struct tui_rect *box, const struct tui_view *v, const struct tui_ui *ui,
		    bool boxed)
{
	struct tui_rect r = boxed ? tui_box(box, "Real-time Stats") : *box;
	int i = 0;

	if (!r.h)
		return;
	stat_rate(&r, i++, v, ui);
	stat_transfer(&r, i++, v, ui);
	stat_progress(&r, i++, v, ui);
	if (v->proto == XFR_PROTO_UDP) {
		stat_udp(&r, i, v);
		i += 2;
	} else {
		stat_tcp(&r, i++, v, ui);
	}
	if (v->has_xdp || v->drops.n)
		stat_xdp(&r, i, v, ui);
}
