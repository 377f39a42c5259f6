// SPDX-License-Identifier: MIT
/*
 * The printers as sinks of the run's events (see output.h). A printer writes
 * into a memory stream; each event's bytes become one unit of an
 * asynchronous writer, so formatting happens on the run loop (microseconds)
 * and only the writer's thread ever waits for the reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/awriter.h"
#include "base/log.h"
#include "units.h"
#include "output/printers.h"

#define SINK_QUEUE_MAX (1u << 20) /* bytes of rows waiting for a slow reader */

struct printer_sink {
	struct xfr_sink sink;
	struct output *out;
	struct awriter *w;
	char *buf; /* the current event's bytes (the memory stream's target) */
	size_t len, cap;
	int err;	  /* first error: writing, or a printer's */
	uint64_t dropped; /* interval rows dropped, as last said */
	bool said_drop;
};

static ssize_t mem_write(void *cookie, const char *data, size_t n)
{
	struct printer_sink *p = cookie;

	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (cap < p->len + n)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b) {
			errno = ENOMEM;
			return -1;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return (ssize_t)n;
}

static void sink_fail(struct printer_sink *p, int err)
{
	if (p->err)
		return;
	p->err = err;
	pr_err("cannot write results: %s", strerror(-err));
}

/* Hand the event's bytes to the writer. Rows may be dropped; the rest may not. */
static void commit(struct printer_sink *p, bool droppable)
{
	int err = output_flush(p->out->f);

	if (!err && p->len)
		err = awriter_put(p->w, p->buf, p->len, droppable);
	p->len = 0;
	if (err == -ENOBUFS) {
		if (!p->said_drop)
			pr_warn("output: the reader is not keeping up; dropping interval rows "
				"(the summary is kept)");
		p->said_drop = true;
		return;
	}
	if (err)
		sink_fail(p, err);
}

static void printer_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct printer_sink *p = s->priv;
	const struct output_ops *ops = p->out->ops;
	int err = 0;

	if (p->err)
		return;
	switch (ev->type) {
	case XFR_EV_TEST_START:
		err = ops->start(p->out, ev->res);
		break;
	case XFR_EV_INTERVAL:
		if (!p->out->opts.rows || ev->iv->omitted)
			return;
		err = ops->interval(p->out, ev->res, ev->iv);
		break;
	case XFR_EV_TEST_END:
		err = ops->end(p->out, ev->res);
		break;
	case XFR_EV_ERROR:
		err = ops->error(p->out, ev->text);
		break;
	case XFR_EV_NOTICE:
		return;
	}
	if (err)
		sink_fail(p, err);
	else
		commit(p, ev->type == XFR_EV_INTERVAL);
}

static int printer_flush(struct xfr_sink *s)
{
	struct printer_sink *p = s->priv;
	uint64_t dropped = awriter_dropped(p->w);
	int err = awriter_flush(p->w);

	if (err)
		sink_fail(p, err);
	if (dropped > p->dropped)
		pr_warn("output: %llu interval row%s dropped: the reader was too slow",
			(unsigned long long)dropped, dropped == 1 ? "" : "s");
	p->dropped = dropped;
	return p->err;
}

static void printer_free(struct xfr_sink *s)
{
	struct printer_sink *p = s->priv;

	awriter_free(p->w);
	if (p->out && p->out->f)
		fclose(p->out->f);
	output_free(p->out);
	free(p->buf);
	free(p);
}

static const struct xfr_sink_ops printer_sink_ops = {
	.name = "printer",
	.event = printer_event,
	.flush = printer_flush,
	.free = printer_free,
};

struct xfr_sink *output_sink_new(enum xfr_format fmt, int fd, const struct output_opts *opts)
{
	cookie_io_functions_t io = {.write = mem_write};
	struct printer_sink *p = calloc(1, sizeof(*p));
	FILE *f;

	if (!p)
		return NULL;
	p->sink = (struct xfr_sink){.ops = &printer_sink_ops, .priv = p};
	f = fopencookie(p, "w", io);
	p->w = awriter_new(fd, SINK_QUEUE_MAX);
	p->out = f ? output_new(fmt, f, opts) : NULL;
	if (!p->out || !p->w) {
		int err = errno;

		if (!p->out && f)
			fclose(f);
		awriter_free(p->w);
		output_free(p->out);
		free(p);
		errno = err ? err : ENOMEM;
		return NULL;
	}
	return &p->sink;
}

/* ---- -o FILE ---- */

struct file_sink {
	struct xfr_sink sink;
	char *path;
	const struct xfr_result *res; /* the end's, until flushed */
};

static void file_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct file_sink *fs = s->priv;

	if (ev->type == XFR_EV_TEST_END)
		fs->res = ev->res;
}

static int file_flush(struct xfr_sink *s)
{
	struct file_sink *fs = s->priv;
	int err = 0;
	FILE *f;

	if (!fs->res)
		return 0;
	f = fopen(fs->path, "w");
	if (!f || output_json_document(f, fs->res) < 0)
		err = errno ? -errno : -EIO;
	if (f && fclose(f) && !err)
		err = errno ? -errno : -EIO;
	if (err)
		pr_err("cannot write %s: %s", fs->path, strerror(-err));
	fs->res = NULL;
	return err;
}

static void file_free(struct xfr_sink *s)
{
	struct file_sink *fs = s->priv;

	free(fs->path);
	free(fs);
}

static const struct xfr_sink_ops file_sink_ops = {
	.name = "file",
	.event = file_event,
	.flush = file_flush,
	.free = file_free,
};

struct xfr_sink *output_file_sink_new(const char *path)
{
	struct file_sink *fs = calloc(1, sizeof(*fs));

	if (!fs || !(fs->path = strdup(path))) {
		free(fs);
		return NULL;
	}
	fs->sink = (struct xfr_sink){.ops = &file_sink_ops, .priv = fs};
	return &fs->sink;
}

/* ---- the log: notices (both roles) ---- */

static void log_notice(const struct xfr_event *ev)
{
	const char *id = ev->res ? ev->res->id : "";

	switch (ev->notice) {
	case XFR_NOTICE_ENGINE:
		if (ev->role == XFR_ROLE_CLIENT)
			pr_info("%s", ev->text);
		else
			pr_info("%s: test %s: %s", ev->peer, id, ev->text);
		return;
	case XFR_NOTICE_SINK_LOSS:
	case XFR_NOTICE_PEER:
		pr_warn("%s", ev->text);
		return;
	case XFR_NOTICE_REFUSED:
	case XFR_NOTICE_AUTH:
		return; /* logged where it happened, rate-limited */
	default:
		/* Figures the summary shows anyway: a client says them at debug level. */
		if (ev->role == XFR_ROLE_CLIENT)
			pr_debug("%s: %s", xfr_notice_name(ev->notice), ev->text);
		else
			pr_info("%s: test %s: %s", ev->peer, id, ev->text);
	}
}

static void log_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	(void)s;
	/* the server's start and end lines: server/srvlog.c */
	if (ev->type == XFR_EV_NOTICE)
		log_notice(ev);
}

static void log_free(struct xfr_sink *s)
{
	free(s);
}

static const struct xfr_sink_ops log_sink_ops = {
	.name = "log",
	.event = log_event,
	.free = log_free,
};

struct xfr_sink *output_log_sink_new(void)
{
	struct xfr_sink *s = calloc(1, sizeof(*s));

	if (s)
		*s = (struct xfr_sink){.ops = &log_sink_ops, .priv = s};
	return s;
}
