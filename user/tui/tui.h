/* SPDX-License-Identifier: MIT */
/*
 * The client's live terminal UI: a sink of the run core's events (it never
 * runs the test itself) and a controller for the keys. The role (client/)
 * makes one TUI for the whole session, gives each test's sink list
 * tui_sink_new(), attaches it to each test's loop, and answers its requests
 * through struct tui_ops: pause/resume the traffic, cancel the test. A
 * restart (r, settings' Apply) is a cancel plus tui_want() == TUI_WANT_RESTART
 * with tui_config() as the next test's settings.
 *
 * While the TUI is up, stderr goes into a pipe read on the loop: the log's
 * lines show in the history panel and are written to the real stderr again
 * when the TUI closes, so no line is lost and none tears the screen.
 */
#ifndef XFR_TUI_TUI_H
#define XFR_TUI_TUI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "base/loop.h"
#include "model/event.h"

struct tui;

struct tui_ops {
	/* Pause (on) or resume the traffic: 0 or -errno (-EOPNOTSUPP: the server cannot). */
	int (*pause)(void *ctx, bool on);
	/* Cancel the test gracefully: the server's result still comes. */
	void (*cancel)(void *ctx);
};

enum tui_want {
	TUI_WANT_NONE,
	TUI_WANT_EXIT,	  /* q / Esc after the end */
	TUI_WANT_RESTART, /* r, or Apply & Restart: run tui_config() next */
};

/* Whether the client should run one: a terminal on stdout and stdin, plain output, no -q/--no-tui. */
bool tui_wanted(const struct xfr_config *cfg);
/* Take over the terminal. NULL with errno and a reason in why. */
struct tui *tui_new(const struct xfr_config *cfg, char *why, size_t whylen);
/* Give the terminal back (the summary can be printed after), replay the log lines. */
void tui_free(struct tui *t);

/* A sink feeding the TUI (it does not own the TUI). NULL with errno. */
struct xfr_sink *tui_sink_new(struct tui *t);
/* Keys, the screen's refresh and the log pipe as items of this test's loop. 0 or -errno. */
int tui_attach(struct tui *t, struct loop *l, const struct tui_ops *ops, void *ctx);
void tui_detach(struct tui *t, struct loop *l);

/* What the user asked for at the end. */
enum tui_want tui_want(const struct tui *t);
/* True when a test started under this TUI (else the error goes to stderr at once). */
bool tui_test_started(const struct tui *t);
/* The next test's settings (restart); the summary's format (`j`). */
const struct xfr_config *tui_config(const struct tui *t);
bool tui_json_summary(const struct tui *t);
/* Ctrl+C reached the role: show that the test is being cancelled. */
void tui_cancelling(struct tui *t);
/* A new test under the same TUI: clear the figures, keep the display settings. */
void tui_restart(struct tui *t);

#endif /* XFR_TUI_TUI_H */
