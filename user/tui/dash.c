// SPDX-License-Identifier: MIT
/* The server dashboard's life and drawing (dash.h). */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "timeutil.h"
#include "tui/dash.h"
#include "tui/dash_view.h"
#include "tui/tui_capture.h"
#include "tui/tui_paint.h"
#include "tui/tui_prefs.h"
#include "tui/tui_term.h"

#define DASH_REFRESH_MS 250

struct dash {
	struct tui_term term; /* curses, never blocking the server's loop */
	const struct xfr_config *cfg;
	struct dash_view view;
	struct tui_ui ui; /* theme, glyphs, help */
	uint64_t t0_ns;
	bool dirty;
	struct tui_capture cap;
	struct loop_item key_it, tick_it, log_it;
	int tick_fd;
	void (*stop)(void *ctx);
	void *ctx;
};

static double now_s(const struct dash *d)
{
	return (double)(time_mono_ns() - d->t0_ns) / 1e9;
}

static void log_line(void *ctx, const char *line)
{
	struct dash *d = ctx;

	dash_view_log(&d->view, now_s(d), "%s", line);
	d->dirty = true;
}

static void draw_totals(struct dash *d, const struct tui_rect *box)
{
	struct tui_rect r = tui_box(box, "Totals");
	const struct dash_view *v = &d->view;
	char rate[32], bytes[32];
	int va = tui_theme_attr(TUI_R_VALUE);

	if (!r.h)
		return;
	tui_putf(r.y, r.x + 1, r.w - 1, va,
		 "Active %u   Started %llu   Completed %llu   Failed %llu", v->active,
		 (unsigned long long)v->started, (unsigned long long)v->completed,
		 (unsigned long long)v->failed);
	if (r.h < 2)
		return;
	tui_putf(r.y + 1, r.x + 1, r.w - 1, va, "Throughput %s   Transferred %s",
		 tui_fmt_rate(rate, sizeof(rate), dash_view_rate(v), d->ui.prefs.units),
		 tui_fmt_bytes(bytes, sizeof(bytes), (double)v->bytes, d->ui.prefs.units));
	if (r.h < 3)
		return;
	tui_putf(r.y + 2, r.x + 1, r.w - 1,
		 tui_level_attr(v->refused || v->auth_failed ? TUI_LVL_WARN : TUI_LVL_OK),
		 "Refused connections %llu   Auth failures %llu", (unsigned long long)v->refused,
		 (unsigned long long)v->auth_failed);
}

static void draw_tests(struct dash *d, const struct tui_rect *box)
{
	struct tui_rect r = tui_box(box, "Active tests");
	int y = 1, la = tui_theme_attr(TUI_R_LABEL), va = tui_theme_attr(TUI_R_VALUE);

	if (!r.h)
		return;
	tui_putf(r.y, r.x + 1, r.w - 1, la, "%-24s %-5s %-9s %7s %9s %12s", "Client", "Proto",
		 "Direction", "Streams", "Elapsed", "Throughput");
	for (int i = 0; i < DASH_TESTS && y < r.h; i++) {
		const struct dash_test *t = &d->view.t[i];
		char e[16], rate[32];

		if (!t->used)
			continue;
		tui_putf(r.y + y++, r.x + 1, r.w - 1, va, "%-24.24s %-5s %-9s %7u %9s %12s",
			 t->peer, xfr_proto_name(t->proto), xfr_dir_name(t->dir), t->streams,
			 tui_fmt_secs(e, sizeof(e), t->elapsed_s),
			 tui_fmt_rate(rate, sizeof(rate), t->rate_bps, d->ui.prefs.units));
	}
	if (y == 1)
		tui_put(r.y + 1, r.x + 1, r.w - 1, la, "no test running");
	if (d->view.overflow && r.h > 1)
		tui_putf(r.y + r.h - 1, r.x + 1, r.w - 1, la, "... and %u more", d->view.overflow);
}

static void draw_events(struct dash *d, const struct tui_rect *box)
{
	struct tui_rect r = tui_box(box, "Recent events");
	const struct dash_view *v = &d->view;
	uint64_t kept = v->nev < DASH_EVENTS ? v->nev : DASH_EVENTS;
	uint64_t n = kept < (uint64_t)(r.h > 0 ? r.h : 0) ? kept : (uint64_t)r.h;

	for (uint64_t i = 0; i < n; i++) {
		const struct tui_log_line *l = &v->ev[(v->nev - n + i) % DASH_EVENTS];
		char t[16];
		int x = tui_putf(r.y + (int)i, r.x, 10, tui_theme_attr(TUI_R_LABEL), "%8s ",
				 tui_fmt_secs(t, sizeof(t), l->t));

		tui_put(r.y + (int)i, r.x + x, r.w - x, tui_theme_attr(TUI_R_NORMAL), l->text);
	}
}

static void draw(struct dash *d)
{
	int rows = getmaxy(stdscr), cols = getmaxx(stdscr), a = tui_theme_attr(TUI_R_TITLE);
	int tests_h = rows >= 20 ? rows / 2 - 3 : 4;
	struct tui_rect title = {0, 0, 1, cols}, totals = {1, 0, 5, cols};
	struct tui_rect tests = {6, 0, tests_h, cols}, events = {6 + tests_h, 0, 0, cols};
	char up[16];

	erase();
	tui_clear(&title, a);
	tui_putf(0, 0, cols, a, " xfr serve  port %u  uptime %s", d->cfg->port,
		 tui_fmt_secs(up, sizeof(up), now_s(d)));
	if (rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS) {
		tui_putf(1, 0, cols, tui_theme_attr(TUI_R_WARN), "terminal too small (%dx%d)", cols,
			 rows);
		return;
	}
	events.h = rows - 1 - events.y;
	draw_totals(d, &totals);
	draw_tests(d, &tests);
	if (events.h >= 3)
		draw_events(d, &events);
	tui_put(rows - 1, 1, cols - 2, tui_theme_attr(TUI_R_LABEL),
		d->ui.help ? "q stop the server (as SIGTERM)  t next theme  any key closes this"
			   : "q quit  t theme  ? help");
}

static void redraw(struct dash *d, bool force)
{
	if (tui_term_resized(&d->term))
		force = true;
	if (!force && !d->dirty)
		return;
	d->dirty = false;
	draw(d);
	wnoutrefresh(stdscr);
	doupdate();
	tui_term_frame(&d->term);
}

struct dash *dash_new(const struct xfr_config *cfg, char *why, size_t whylen)
{
	struct dash *d;
	const char *nc = getenv("NO_COLOR");
	char path[4096], pw[160];
	int err;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		snprintf(why, whylen, "stdin and stdout must be a terminal");
		errno = ENOTTY;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cfg = cfg;
	d->t0_ns = time_mono_ns();
	d->tick_fd = -1;
	d->cap.saved = d->cap.rd = -1;
	d->term.rd = -1;
	setlocale(LC_CTYPE, "");
	d->ui.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (!tui_prefs_path(path, sizeof(path)))
		tui_prefs_load(&d->ui.prefs, path, pw, sizeof(pw));
	if (nc && nc[0])
		d->ui.prefs.theme = TUI_THEME_MONO;
	err = tui_term_open(&d->term, why, whylen);
	if (err) {
		free(d);
		errno = -err;
		return NULL;
	}
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	tui_theme_apply(d->ui.prefs.theme);
	err = tui_capture_start(&d->cap, log_line, d);
	if (err) {
		snprintf(why, whylen, "cannot redirect stderr: %s", strerror(-err));
		dash_free(d, NULL);
		errno = -err;
		return NULL;
	}
	redraw(d, true);
	return d;
}

static void sink_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct dash *d = s->priv;

	dash_view_event(&d->view, ev, now_s(d));
	d->dirty = true;
}

static void sink_free(struct xfr_sink *s)
{
	free(s);
}

static const struct xfr_sink_ops dash_sink_ops = {
	.name = "dashboard",
	.event = sink_event,
	.free = sink_free,
};

struct xfr_sink *dash_sink_new(struct dash *d)
{
	struct xfr_sink *s = malloc(sizeof(*s));

	if (s)
		*s = (struct xfr_sink){.ops = &dash_sink_ops, .priv = d};
	return s;
}

static void on_keys(struct loop_item *it, uint32_t events)
{
	struct dash *d = it->ctx;
	int ch;

	(void)events;
	while ((ch = getch()) != ERR) {
		if (ch == KEY_RESIZE)
			continue;
		d->dirty = true;
		if (d->ui.help) {
			d->ui.help = false;
		} else if (ch == 'q' || ch == 'Q') {
			dash_view_log(&d->view, now_s(d), "q: stopping the server");
			d->stop(d->ctx);
		} else if (ch == 't' || ch == 'T') {
			d->ui.prefs.theme = (d->ui.prefs.theme + 1) % tui_theme_count();
			tui_theme_apply(d->ui.prefs.theme);
			dash_view_log(&d->view, now_s(d), "theme: %s",
				      tui_theme_name(d->ui.prefs.theme));
		} else if (ch == '?') {
			d->ui.help = true;
		}
	}
	redraw(d, false);
}

static void on_tick(struct loop_item *it, uint32_t events)
{
	(void)events;
	timerfd_take(it->fd);
	redraw(it->ctx, true); /* the uptime moves */
}

static void on_log(struct loop_item *it, uint32_t events)
{
	(void)events;
	tui_capture_read(&((struct dash *)it->ctx)->cap);
}

int dash_attach(struct dash *d, struct loop *l, void (*stop)(void *ctx), void *ctx)
{
	int err;

	d->stop = stop;
	d->ctx = ctx;
	d->tick_fd = timerfd_open();
	if (d->tick_fd < 0)
		return d->tick_fd;
	err = timerfd_arm_ms(d->tick_fd, DASH_REFRESH_MS, DASH_REFRESH_MS);
	if (!err)
		err = loop_add(l, &d->tick_it, d->tick_fd, EPOLLIN, on_tick, d);
	if (!err)
		err = loop_add(l, &d->key_it, STDIN_FILENO, EPOLLIN, on_keys, d);
	if (!err)
		err = loop_add(l, &d->log_it, d->cap.rd, EPOLLIN, on_log, d);
	return err;
}

void dash_free(struct dash *d, struct loop *l)
{
	if (!d)
		return;
	if (l) {
		loop_del(l, &d->tick_it);
		loop_del(l, &d->key_it);
		loop_del(l, &d->log_it);
	}
	tui_term_close(&d->term);
	tui_capture_stop(&d->cap);
	if (d->tick_fd >= 0)
		close(d->tick_fd);
	free(d);
}
