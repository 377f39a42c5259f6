// SPDX-License-Identifier: MIT
/* stderr through a pipe while a full-screen view is up (tui_capture.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "tui/tui_capture.h"

int tui_capture_start(struct tui_capture *c, void (*line)(void *, const char *), void *ctx)
{
	int p[2], err;

	*c = (struct tui_capture){.saved = -1, .rd = -1, .line = line, .ctx = ctx};
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	c->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (c->saved < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		err = -errno;
		if (c->saved >= 0)
			close(c->saved);
		c->saved = -1;
		close(p[0]);
		close(p[1]);
		return err;
	}
	close(p[1]);
	c->rd = p[0];
	return 0;
}

static void keep(struct tui_capture *c)
{
	c->partial[c->npartial] = '\0';
	c->npartial = 0;
	if (c->nreplay < TUI_REPLAY)
		snprintf(c->replay[c->nreplay++], sizeof(c->replay[0]), "%s", c->partial);
	else
		c->lost++;
	if (c->line)
		c->line(c->ctx, c->partial);
}

void tui_capture_read(struct tui_capture *c)
{
	char buf[1024];
	ssize_t n;

	if (c->rd < 0)
		return;
	while ((n = read(c->rd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				keep(c);
				continue;
			}
			if (c->npartial == sizeof(c->partial) - 1)
				keep(c);
			c->partial[c->npartial++] = buf[i];
		}
}

void tui_capture_stop(struct tui_capture *c)
{
	if (c->saved < 0)
		return;
	tui_capture_read(c);
	if (c->npartial)
		keep(c);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->rd);
	c->saved = c->rd = -1;
	for (unsigned i = 0; i < c->nreplay; i++)
		fprintf(stderr, "%s\n", c->replay[i]);
	if (c->lost)
		fprintf(stderr, "xfr: %u more log lines were not kept while the screen was up\n",
			c->lost);
}
