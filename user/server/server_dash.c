// SPDX-License-Identifier: MIT
/*
 * serve --tui: the dashboard (tui/dash.h) as one more sink of the server's
 * events, its keys and refresh on the server's loop. q stops the server as
 * SIGTERM does. Without a terminal the server says so and serves without it.
 */
#include <errno.h>

#include "base/log.h"
#include "server/server_priv.h"
#include "tui/dash.h"

static void dash_stop(void *ctx)
{
	struct srv *s = ctx;

	s->stop = true;
}

int srv_dash_open(struct srv *s)
{
	struct xfr_sink *sink;
	char why[160];
	int err;

	if (!s->cfg->tui)
		return 0;
	s->dash = dash_new(s->cfg, why, sizeof(why));
	if (!s->dash) {
		pr_warn("--tui: %s: serving without the dashboard", why);
		return 0;
	}
	sink = dash_sink_new(s->dash);
	if (!sink || sinks_add(&s->sinks, sink))
		return -ENOMEM;
	err = dash_attach(s->dash, &s->loop, dash_stop, s);
	if (err)
		return err;
	pr_info("listening on port %u", s->cfg->port);
	return 0;
}

void srv_dash_close(struct srv *s)
{
	dash_free(s->dash, NULL); /* after loop_fini: its items are gone with it */
	s->dash = NULL;
}
