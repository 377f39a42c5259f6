// SPDX-License-Identifier: MIT
/*
 * The client TUI's life: the terminal taken and given back, the sink that
 * feeds the view, the loop items (keys, the redraw tick, stderr's pipe).
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/log.h"
#include "tui/tui_draw.h"
#include "tui/tui_priv.h"

bool tui_wanted(const struct xfr_config *cfg)
{
	const char *term = getenv("TERM");

	return !cfg->no_tui && !cfg->quiet && cfg->format == XFR_FMT_PLAIN && !cfg->probe_mtu &&
	       cfg->interval_ms && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) && term &&
	       term[0] && strcmp(term, "dumb");
}

static void load_prefs(struct tui *t)
{
	char why[160];
	int err;

	t->ui.prefs = (struct tui_prefs){.ts_format = t->cfg.ts_format};
	if (tui_prefs_path(t->prefs_path, sizeof(t->prefs_path)))
		t->prefs_path[0] = '\0';
	else if ((err = tui_prefs_load(&t->ui.prefs, t->prefs_path, why, sizeof(why))) == -EINVAL)
		pr_warn("%s: %s: ignored", t->prefs_path, why);
	if (t->no_color)
		t->ui.prefs.theme = TUI_THEME_MONO;
}

static void log_line(void *ctx, const char *line)
{
	struct tui *t = ctx;

	tui_view_log(&t->view, "%s", line);
	t->dirty = true;
}

static bool locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

static int start_curses(struct tui *t, char *why, size_t whylen)
{
	int err = tui_term_open(&t->term, why, whylen);

	if (err)
		return err;
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	tui_theme_apply(t->ui.prefs.theme);
	return 0;
}

struct tui *tui_new(const struct xfr_config *cfg, char *why, size_t whylen)
{
	struct tui *t = calloc(1, sizeof(*t));
	const char *nc = getenv("NO_COLOR");
	int err;

	if (!t) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return NULL;
	}
	t->cfg = *cfg;
	t->next = *cfg;
	t->tick_fd = -1;
	t->cap.saved = t->cap.rd = -1;
	t->term.rd = -1; /* nothing of the terminal to close yet */
	t->no_color = nc && nc[0];
	setlocale(LC_CTYPE, "");
	t->ui.utf8 = locale_utf8();
	load_prefs(t);
	err = start_curses(t, why, whylen);
	if (!err && (err = tui_capture_start(&t->cap, log_line, t)))
		snprintf(why, whylen, "cannot redirect stderr: %s", strerror(-err));
	if (err) {
		tui_free(t);
		errno = -err;
		return NULL;
	}
	tui_redraw(t, true);
	return t;
}

void tui_free(struct tui *t)
{
	if (!t)
		return;
	tui_term_close(&t->term);
	tui_capture_stop(&t->cap);
	if (t->tick_fd >= 0)
		close(t->tick_fd);
	free(t);
}

/* ---- drawing ---- */

void tui_redraw(struct tui *t, bool force)
{
	if (!t->term.scr)
		return;
	if (tui_term_resized(&t->term)) /* a resize storm: only the last size counts */
		force = true;
	if (!force && !t->dirty)
		return;
	t->dirty = false;
	tui_draw(&t->view, &t->ui);
	wnoutrefresh(stdscr);
	doupdate();
	tui_term_frame(&t->term);
}

/* ---- the sink ---- */

static void sink_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct tui *t = s->priv;

	tui_view_event(&t->view, ev);
	if (ev->type == XFR_EV_TEST_START)
		t->started = true;
	if (ev->type == XFR_EV_TEST_END || ev->type == XFR_EV_ERROR) {
		t->ui.cancelling = false;
		t->ui.note[0] = '\0';
	}
	t->dirty = true;
	if (ev->type != XFR_EV_INTERVAL) /* the interval waits for the tick (10 Hz at most) */
		tui_redraw(t, false);
}

static int sink_flush(struct xfr_sink *s)
{
	tui_redraw(s->priv, false);
	return 0;
}

static void sink_free(struct xfr_sink *s)
{
	free(s);
}

static const struct xfr_sink_ops tui_sink_ops = {
	.name = "tui",
	.event = sink_event,
	.flush = sink_flush,
	.free = sink_free,
};

struct xfr_sink *tui_sink_new(struct tui *t)
{
	struct xfr_sink *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	*s = (struct xfr_sink){.ops = &tui_sink_ops, .priv = t};
	return s;
}

/* ---- loop items ---- */

static void on_keys(struct loop_item *it, uint32_t events)
{
	struct tui *t = it->ctx;
	int ch;

	(void)events;
	while ((ch = getch()) != ERR) {
		if (ch == KEY_RESIZE)
			continue; /* the tick reads the size itself */
		tui_key(t, ch);
		t->dirty = true;
	}
	tui_redraw(t, false);
}

static void on_tick(struct loop_item *it, uint32_t events)
{
	struct tui *t = it->ctx;

	(void)events;
	timerfd_take(it->fd);
	if (strcmp(t->ui.note, t->shown_note)) {
		snprintf(t->shown_note, sizeof(t->shown_note), "%s", t->ui.note);
		t->note_ticks = 0;
	} else if (t->ui.note[0] && ++t->note_ticks > TUI_NOTE_TICKS) {
		t->ui.note[0] = t->shown_note[0] = '\0';
		t->dirty = true;
	}
	tui_redraw(t, false);
}

static void on_log(struct loop_item *it, uint32_t events)
{
	(void)events;
	tui_capture_read(&((struct tui *)it->ctx)->cap);
}

int tui_attach(struct tui *t, struct loop *l, const struct tui_ops *ops, void *ctx)
{
	int err;

	t->ops = ops;
	t->ctx = ctx;
	if (t->tick_fd < 0 && (t->tick_fd = timerfd_open()) < 0)
		return t->tick_fd;
	err = timerfd_arm_ms(t->tick_fd, TUI_REFRESH_MS, TUI_REFRESH_MS);
	if (!err)
		err = loop_add(l, &t->tick_it, t->tick_fd, EPOLLIN, on_tick, t);
	if (!err)
		err = loop_add(l, &t->key_it, STDIN_FILENO, EPOLLIN, on_keys, t);
	if (!err)
		err = loop_add(l, &t->log_it, t->cap.rd, EPOLLIN, on_log, t);
	if (err)
		tui_detach(t, l);
	return err;
}

void tui_detach(struct tui *t, struct loop *l)
{
	loop_del(l, &t->tick_it);
	loop_del(l, &t->key_it);
	loop_del(l, &t->log_it);
	t->ops = NULL;
	t->ctx = NULL;
}

/* ---- for the role ---- */

enum tui_want tui_want(const struct tui *t)
{
	return t->want;
}

bool tui_test_started(const struct tui *t)
{
	return t->started;
}

const struct xfr_config *tui_config(const struct tui *t)
{
	return &t->cfg;
}

bool tui_json_summary(const struct tui *t)
{
	return t->ui.json_summary;
}

void tui_cancelling(struct tui *t)
{
	if (t->view.state != TUI_ST_RUNNING)
		return;
	t->ui.cancelling = true;
	snprintf(t->ui.note, sizeof(t->ui.note), "cancelling: Ctrl+C again quits at once");
	tui_redraw(t, true);
}

void tui_restart(struct tui *t)
{
	t->cfg = t->next;
	tui_view_reset(&t->view);
	t->ui.cancelling = false;
	t->ui.help = false;
	t->ui.note[0] = '\0';
	t->want = TUI_WANT_NONE;
	t->started = false;
	tui_view_log(&t->view, "restarting the test");
	tui_redraw(t, true);
}
