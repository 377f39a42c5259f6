// SPDX-License-Identifier: MIT
/*
 * The gate at accept (server_priv.h): the ACL and the authentication
 * back-off, before a byte of the connection is read. A refused client hears
 * why in one error line; the log gets one line per address per minute, so a
 * denied flood cannot fill it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/acl.h"
#include "base/log.h"
#include "server/server_priv.h"
#include "timeutil.h"

int gate_init(struct srv *s)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = time_mono_ns();
	return guard_init(&s->guard, seed, s->cfg->rate_limit_window_ms * 1000000ULL);
}

void gate_fini(struct srv *s)
{
	guard_fini(&s->guard);
}

bool gate_allows(const struct srv *s, const struct net_addr *peer)
{
	const struct sockaddr *sa = (const struct sockaddr *)&peer->ss;

	/* --preset's allowed_clients narrow the ACL, never widen it */
	return acl_allows(s->cfg->acl, sa) &&
	       (!s->cfg->preset_acl || acl_allows(s->cfg->preset_acl, sa));
}

const char *gate_why_not(struct srv *s, const struct net_addr *peer, char *buf, size_t len);

/* Why peer may not connect now, or NULL. */
static const char *why_not(struct srv *s, const struct net_addr *peer, char *buf, size_t len)
{
	struct policy_key k;
	uint64_t wait;

	if (!gate_allows(s, peer))
		return "not allowed";
	if (!s->cfg->psk_len || !policy_key_of((const struct sockaddr *)&peer->ss, &k))
		return NULL;
	wait = guard_blocked(&s->guard, &k, time_mono_ns());
	if (!wait)
		return NULL;
	snprintf(buf, len, "authentication failed too often: retry in %llu s",
		 (unsigned long long)((wait + NSEC_PER_SEC - 1) / NSEC_PER_SEC));
	return buf;
}

/* Best effort: a one-line error to a peer we are about to drop . */
void gate_error_line(int fd, const char *msg)
{
	struct proto_msg m;
	size_t len;
	char *line;

	proto_msg_init(&m, MSG_ERROR);
	snprintf(m.text.text, sizeof(m.text.text), "%s", msg);
	line = proto_encode(&m, &len);
	if (line && send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pr_debug("error reply not sent: %s", strerror(errno));
	free(line);
	proto_msg_free(&m);
}

const char *gate_why_not(struct srv *s, const struct net_addr *peer, char *buf, size_t len)
{
	return why_not(s, peer, buf, len);
}

/* Tell a refused peer why, close it, and emit the refusal; *who gets its address. */
void gate_drop(struct srv *s, int fd, const struct net_addr *peer, const char *why, char *who,
	       size_t wholen)
{
	gate_error_line(fd, why);
	close(fd);
	net_addr_str(peer, who, wholen);
	sinks_emit(&s->sinks, &(struct xfr_event){.type = XFR_EV_NOTICE,
						  .role = XFR_ROLE_SERVER,
						  .notice = XFR_NOTICE_REFUSED,
						  .text = why,
						  .peer = who});
}

bool gate_refuses(struct srv *s, int fd, const struct net_addr *peer)
{
	char buf[PROTO_TEXT_MAX], who[64];
	const char *why = why_not(s, peer, buf, sizeof(buf));
	struct policy_key k;

	if (!why)
		return false;
	gate_drop(s, fd, peer, why, who, sizeof(who));
	if (!policy_key_of((const struct sockaddr *)&peer->ss, &k) ||
	    guard_log_now(&s->guard, &k, time_mono_ns()))
		pr_warn("%s: %s (refusals of this address are logged once a minute)", who, why);
	return true;
}
