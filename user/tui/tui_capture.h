/* SPDX-License-Identifier: MIT */
/*
 * stderr while a full-screen view is up: a pipe read on the loop, so log
 * lines never tear the screen. Each line goes to a callback (the history or
 * events panel) and is kept, to be written to the real stderr again when the
 * view closes: no line is lost.
 */
#ifndef XFR_TUI_TUI_CAPTURE_H
#define XFR_TUI_TUI_CAPTURE_H

#include <stddef.h>

#define TUI_REPLAY 64 /* lines kept for the real stderr */

struct tui_capture {
	int saved; /* the real stderr; -1 when not capturing */
	int rd;	   /* the pipe's read end (a loop item's fd) */
	char partial[256];
	size_t npartial;
	char replay[TUI_REPLAY][256];
	unsigned nreplay, lost;
	void (*line)(void *ctx, const char *line);
	void *ctx;
};

/* Point stderr at the pipe. 0 or -errno (nothing changed then). */
int tui_capture_start(struct tui_capture *c, void (*line)(void *, const char *), void *ctx);
/* Read what is there, line by line to the callback. */
void tui_capture_read(struct tui_capture *c);
/* stderr back, then the kept lines written to it. Idempotent. */
void tui_capture_stop(struct tui_capture *c);

#endif /* XFR_TUI_TUI_CAPTURE_H */
