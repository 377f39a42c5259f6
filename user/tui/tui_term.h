/* SPDX-License-Identifier: MIT */
/*
 * The terminal of a full-screen view, without ever blocking the loop: curses
 * writes each frame into a pipe (never full: a frame is far below its size),
 * the frame is handed whole to a bounded asynchronous writer (base/awriter.h)
 * whose thread writes it to the terminal. A terminal that stops reading
 * (Ctrl+S, a stalled ssh) loses frames, never the run loop's time; the next
 * frame after a lost one is a full repaint. The terminal's modes (no echo,
 * single keys, Ctrl+C still a signal) are set and restored here, on stdin,
 * since curses' own output is not the terminal.
 */
#ifndef XFR_TUI_TUI_TERM_H
#define XFR_TUI_TUI_TERM_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <termios.h>

struct awriter;

struct tui_term {
	SCREEN *scr;
	FILE *out; /* curses' output: the pipe's write end */
	int rd;	   /* the pipe's read end */
	struct awriter *w;
	struct termios saved;
	bool modes_set;
	int rows, cols;
};

/* Curses on a pipe, the writer thread, the terminal's modes. 0 or -errno, why says. */
int tui_term_open(struct tui_term *t, char *why, size_t whylen);
/* After doupdate(): hand the frame to the writer (dropped, and counted, when it is behind). */
void tui_term_frame(struct tui_term *t);
/* True (once) when the terminal's size changed: curses is resized, redraw everything. */
bool tui_term_resized(struct tui_term *t);
/* endwin, the last bytes written (this waits), modes restored, all freed. Idempotent. */
void tui_term_close(struct tui_term *t);

#endif /* XFR_TUI_TUI_TERM_H */
