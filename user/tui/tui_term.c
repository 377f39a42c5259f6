// SPDX-License-Identifier: MIT
/* A full-screen view's terminal that never blocks the loop (tui_term.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/awriter.h"
#include "tui/tui_term.h"

#define TERM_QUEUE (512 * 1024) /* frames queued for the terminal, at most */
#define TERM_PIPE  (1 << 20)	/* holds any frame: curses must never wait on it */
/* The screen curses draws on, at most: a full repaint of 400x150 cells with
 * colours stays well inside the pipe, whatever size the terminal claims. */
#define TERM_MAX_COLS 400
#define TERM_MAX_ROWS 150

/* No echo, single keys; Ctrl+C stays a signal (the roles' cancel path). */
static int set_modes(struct tui_term *t)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &t->saved))
		return -errno;
	raw = t->saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		return -errno;
	t->modes_set = true;
	return 0;
}

/* Everything curses wrote since the last call. */
static char *drain(struct tui_term *t, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t k;

	fflush(t->out);
	while (buf && (k = read(t->rd, buf + n, cap - n)) > 0) {
		n += (size_t)k;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
	}
	*len = n;
	return buf;
}

int tui_term_open(struct tui_term *t, char *why, size_t whylen)
{
	int p[2], err;

	memset(t, 0, sizeof(*t));
	t->rd = -1;
	if (pipe2(p, O_CLOEXEC)) {
		err = -errno;
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return err;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	t->rd = p[0];
	if (fcntl(p[1], F_SETPIPE_SZ, TERM_PIPE) < TERM_PIPE) {
		snprintf(why, whylen,
			 "cannot make a %d-byte pipe for the frames (fs.pipe-max-size)", TERM_PIPE);
		close(p[1]);
		tui_term_close(t);
		return -ENOBUFS;
	}
	t->out = fdopen(p[1], "w");
	t->w = awriter_new(STDOUT_FILENO, TERM_QUEUE);
	if (!t->out || !t->w) {
		err = -errno;
		if (!t->out)
			close(p[1]);
		snprintf(why, whylen, "%s", strerror(errno));
		tui_term_close(t);
		return err;
	}
	t->scr = newterm(NULL, t->out, stdin);
	if (!t->scr) {
		snprintf(why, whylen, "the terminal (TERM=%s) is not known to curses",
			 getenv("TERM") ? getenv("TERM") : "");
		tui_term_close(t);
		return -ENOTTY;
	}
	set_term(t->scr);
	err = set_modes(t);
	if (err) {
		snprintf(why, whylen, "cannot set the terminal's modes: %s", strerror(-err));
		tui_term_close(t);
		return err;
	}
	t->rows = t->cols = 0; /* the first size check resizes curses to the terminal */
	tui_term_resized(t);
	return 0;
}

void tui_term_frame(struct tui_term *t)
{
	size_t len;
	char *buf = drain(t, &len);

	if (buf && len && awriter_put(t->w, buf, len, true) == -ENOBUFS)
		clearok(curscr, TRUE); /* the terminal missed a frame: the next one is whole */
	free(buf);
}

bool tui_term_resized(struct tui_term *t)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
		return false;
	if (ws.ws_row == t->rows && ws.ws_col == t->cols)
		return false;
	t->rows = ws.ws_row;
	t->cols = ws.ws_col;
	resizeterm(t->rows < TERM_MAX_ROWS ? t->rows : TERM_MAX_ROWS,
		   t->cols < TERM_MAX_COLS ? t->cols : TERM_MAX_COLS);
	return true;
}

void tui_term_close(struct tui_term *t)
{
	size_t len;
	char *buf;

	if (t->scr) {
		endwin();
		buf = drain(t, &len);
		if (buf && len)
			awriter_put(t->w, buf, len,
				    false); /* the screen given back: never dropped */
		free(buf);
	}
	if (t->w)
		awriter_free(t->w); /* waits for the last bytes */
	if (t->scr)
		delscreen(t->scr);
	if (t->out)
		fclose(t->out);
	if (t->rd >= 0)
		close(t->rd);
	if (t->modes_set)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	*t = (struct tui_term){.rd = -1};
}
