// SPDX-License-Identifier: MIT
/* The client TUI's keys (tui.h): each key does what the help says, or says why not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tui/tui_priv.h"
#include "tui/tui_theme.h"

#define KEY_ESC 27

static void save_prefs(struct tui *t)
{
	int err;

	if (!t->prefs_path[0])
		return;
	err = tui_prefs_save(&t->ui.prefs, t->prefs_path);
	if (err)
		snprintf(t->ui.note, sizeof(t->ui.note), "preferences not saved: %s",
			 strerror(-err));
}

static bool running(const struct tui *t)
{
	return t->view.state == TUI_ST_RUNNING || t->view.state == TUI_ST_CONNECTING;
}

static void note(struct tui *t, const char *s)
{
	snprintf(t->ui.note, sizeof(t->ui.note), "%s", s);
}

static void key_pause(struct tui *t)
{
	bool on = !t->view.paused;
	int err;

	if (t->view.state != TUI_ST_RUNNING || t->ui.cancelling || !t->ops) {
		note(t, "nothing to pause: the test is not running");
		return;
	}
	err = t->ops->pause(t->ctx, on);
	if (err == -EOPNOTSUPP) {
		note(t, "the server cannot pause tests");
		return;
	}
	if (err) {
		snprintf(t->ui.note, sizeof(t->ui.note), "pause: %s", strerror(-err));
		return;
	}
	t->view.paused = on;
	t->ui.note[0] = '\0';
	tui_view_log(&t->view, on ? "paused" : "resumed");
}

/* End the test (if it runs) and leave with what, once it has ended. */
static void leave(struct tui *t, enum tui_want want)
{
	t->want = want;
	if (running(t) && t->ops && !t->ui.cancelling) {
		t->ui.cancelling = true;
		note(t, want == TUI_WANT_RESTART ? "restarting: waiting for the server's result"
						 : "cancelling: waiting for the server's result");
		t->ops->cancel(t->ctx);
	}
}

static void apply_theme(struct tui *t, unsigned theme)
{
	t->ui.prefs.theme = theme;
	tui_theme_apply(theme);
	save_prefs(t);
}

static void key_settings(struct tui *t, int ch)
{
	struct tui_settings *s = &t->ui.set;

	switch (ch) {
	case KEY_ESC:
	case 's':
	case 'q':
		t->ui.settings_open = false;
		break;
	case KEY_UP:
	case 'k':
		s->row = (s->row + TUI_SET_N - 1) % TUI_SET_N;
		break;
	case KEY_DOWN:
	case 'j':
	case '\t':
		s->row = (s->row + 1) % TUI_SET_N;
		break;
	case KEY_LEFT:
	case 'h':
		tui_settings_step(s, -1);
		break;
	case KEY_RIGHT:
	case 'l':
	case ' ':
		tui_settings_step(s, 1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (s->row != TUI_SET_APPLY) {
			tui_settings_step(s, 1);
			break;
		}
		t->ui.settings_open = false;
		t->ui.prefs = s->prefs;
		apply_theme(t, s->prefs.theme);
		tui_settings_apply(s, &t->next);
		leave(t, TUI_WANT_RESTART);
		break;
	}
	/* display settings show at once */
	if (s->row <= TUI_SET_UNITS && t->ui.settings_open) {
		t->ui.prefs.units = s->prefs.units;
		t->ui.prefs.ts_format = s->prefs.ts_format;
		if (t->ui.prefs.theme != s->prefs.theme) {
			t->ui.prefs.theme = s->prefs.theme;
			tui_theme_apply(s->prefs.theme);
		}
	}
}

void tui_key(struct tui *t, int ch)
{
	bool over = t->view.state == TUI_ST_DONE || t->view.state == TUI_ST_ERROR;

	if (t->ui.settings_open) {
		key_settings(t, ch);
		return;
	}
	if (t->ui.help) { /* any key closes the help */
		t->ui.help = false;
		return;
	}
	switch (ch) {
	case 'p':
	case 'P':
		key_pause(t);
		break;
	case 'r':
	case 'R':
		leave(t, TUI_WANT_RESTART);
		break;
	case 's':
	case 'S':
		tui_settings_open(&t->ui.set, &t->ui.prefs, &t->next);
		t->ui.settings_open = true;
		break;
	case 't':
	case 'T':
		apply_theme(t, (t->ui.prefs.theme + 1) % tui_theme_count());
		snprintf(t->ui.note, sizeof(t->ui.note), "theme: %s",
			 tui_theme_name(t->ui.prefs.theme));
		break;
	case 'd':
	case 'D':
		t->ui.show_streams = !t->ui.show_streams;
		break;
	case '?':
	case KEY_F(1):
		t->ui.help = true;
		break;
	case 'j':
	case 'J':
		t->ui.json_summary = !t->ui.json_summary;
		note(t, t->ui.json_summary ? "summary on exit: JSON" : "summary on exit: plain");
		break;
	case 'q':
	case 'Q':
		leave(t, TUI_WANT_EXIT);
		break;
	case KEY_ESC:
		if (over)
			t->want = TUI_WANT_EXIT;
		break;
	}
}
