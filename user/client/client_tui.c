// SPDX-License-Identifier: MIT
/*
 * Controls of a running test: the TUI (user/tui/) attached to the test's
 * loop, and pause/resume without it. Pausing is the real thing: the server
 * is told (`pause` / `resume`, when it advertised pause_resume), and our own
 * run core stops its senders and its clock (dataplane/run.h: paused time is
 * not test time).
 *
 * Without the TUI a test pauses on SIGUSR1 and resumes on SIGUSR2
 * (`kill -USR1 PID`), and, when stdin is a terminal, `p` toggles it (the
 * terminal is put in single-key mode, no echo, for the test only; Ctrl+C
 * stays a signal).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "client/client_priv.h"

int clnt_pause_signals(struct clnt *c)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	c->usr_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return c->usr_fd < 0 ? -errno : 0;
}

/* The give-up timer waits while paused: re-armed for what is left of the test. */
static void rearm_give_up(struct clnt *c, bool paused)
{
	double left = (double)c->req.duration_secs - run_secs(c->run);

	if (!c->give_up_it.added || !c->req.duration_secs)
		return;
	if (paused) {
		timerfd_arm_ms(c->give_up_it.fd, 0, 0);
		return;
	}
	timerfd_arm_ms(c->give_up_it.fd,
		       (uint64_t)(left > 0 ? left * 1000 : 0) + CLNT_RESULT_GRACE_MS, 0);
}

int clnt_pause(struct clnt *c, bool on)
{
	int err;

	if (!c->run || c->got_result || c->signals)
		return -EAGAIN;
	if (!(c->server_caps & CAP_PAUSE_RESUME))
		return -EOPNOTSUPP;
	if (run_paused(c->run) == on)
		return 0;
	err = clnt_send_simple(c, on ? MSG_PAUSE : MSG_RESUME, NULL);
	if (err)
		return err;
	if (on)
		run_pause(c->run);
	else
		run_resume(c->run);
	rearm_give_up(c, on);
	return 0;
}

/* Pause or resume from a signal or a key: said on stderr (the TUI shows its own). */
static void pause_said(struct clnt *c, bool on, const char *how)
{
	int err = clnt_pause(c, on);

	if (err == -EOPNOTSUPP)
		pr_warn("%s: the server cannot pause tests (no pause_resume capability)", how);
	else if (err && err != -EAGAIN)
		pr_warn("%s: %s", how, strerror(-err));
	else if (!err && !c->tui)
		pr_info("%s (%s)",
			on ? "paused: the traffic stops, and the test's clock" : "resumed",
			on ? (c->keys_on ? "p or SIGUSR2 resumes" : "SIGUSR2 resumes") : how);
}

static void on_usr(struct loop_item *it, uint32_t events)
{
	struct clnt *c = it->ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(it->fd, &si, sizeof(si)) == sizeof(si))
		pause_said(c, si.ssi_signo == SIGUSR1,
			   si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
}

static void on_key(struct loop_item *it, uint32_t events)
{
	struct clnt *c = it->ctx;
	char buf[32];
	ssize_t n = read(it->fd, buf, sizeof(buf));

	(void)events;
	if (n <= 0) { /* stdin closed: no more keys */
		loop_del(&c->loop, it);
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 'p' || buf[i] == 'P')
			pause_said(c, !run_paused(c->run), "key p");
}

/* Plain mode with a terminal on stdin: single keys, no echo, for this test. */
static int keys_on(struct clnt *c)
{
	struct termios raw;
	int err;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &c->tio))
		return 0;
	raw = c->tio;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		return 0; /* keys are a convenience: the signals still work */
	c->keys_on = true;
	err = loop_add(&c->loop, &c->key_it, STDIN_FILENO, EPOLLIN, on_key, c);
	if (err) {
		tcsetattr(STDIN_FILENO, TCSANOW, &c->tio);
		c->keys_on = false;
	}
	return err;
}

static int tui_pause(void *ctx, bool on)
{
	return clnt_pause(ctx, on);
}

static void tui_cancel(void *ctx)
{
	struct clnt *c = ctx;

	if (c->signals || c->got_result)
		return;
	c->signals = 1; /* as a first Ctrl+C: the server's result still comes */
	c->exit_code = 0;
	c->res->interrupted = true;
	clnt_send_simple(c, MSG_CANCEL, "User requested cancellation");
	if (c->give_up_it.added)
		timerfd_arm_ms(c->give_up_it.fd, CLNT_CANCEL_WAIT_MS, 0);
}

static const struct tui_ops clnt_tui_ops = {
	.pause = tui_pause,
	.cancel = tui_cancel,
};

int clnt_controls_attach(struct clnt *c)
{
	int err;

	if (c->usr_fd >= 0 && (err = loop_add(&c->loop, &c->usr_it, c->usr_fd, EPOLLIN, on_usr, c)))
		return err;
	if (c->tui)
		return tui_attach(c->tui, &c->loop, &clnt_tui_ops, c);
	return keys_on(c);
}

void clnt_controls_detach(struct clnt *c)
{
	loop_del(&c->loop, &c->usr_it);
	if (c->usr_fd >= 0 && !c->usr_it.added) {
		close(c->usr_fd);
		c->usr_fd = -1;
	}
	if (c->tui)
		tui_detach(c->tui, &c->loop);
	if (c->keys_on) {
		loop_del(&c->loop, &c->key_it);
		tcsetattr(STDIN_FILENO, TCSANOW, &c->tio);
		c->keys_on = false;
	}
}

void clnt_tui_wait(struct clnt *c)
{
	/* a test cancelled (q, Ctrl+C) or ended by an error leaves at once, with its summary */
	if (!c->tui || !tui_test_started(c->tui) || c->signals || c->stop < 0)
		return;
	loop_del(&c->loop, &c->ctrl_it); /* nothing more from the server */
	if (c->give_up_it.added)
		timerfd_arm_ms(c->give_up_it.fd, 0, 0);
	while (tui_want(c->tui) == TUI_WANT_NONE && !c->tui_quit)
		if (loop_run_once(&c->loop, -1) < 0)
			break;
}
