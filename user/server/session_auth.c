// SPDX-License-Identifier: MIT
/*
 * The server's side of the PSK handshake (control/auth.h), as the reference's
 * serve.rs: a client without protected_control_v1 or without a client_nonce
 * is refused before any challenge (no plaintext fallback); the proof covers
 * the exact bytes of both hellos, so stripping a capability is detected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "control/auth.h"
#include "quic/quic_tls.h"
#include "server/server_priv.h"
#include "timeutil.h"

struct srv_auth {
	char sn[AUTH_NONCE_HEX + 1]; /* our challenge */
	char cn[AUTH_NONCE_HEX + 1]; /* the client's nonce */
	char *ch, *sh;		     /* both hello lines, exactly, without '\n' */
	size_t chlen, shlen;
};

void srv_auth_free(struct srv_test *t)
{
	struct srv_auth *a = t->auth;

	if (!a)
		return;
	free(a->ch);
	free(a->sh);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
	t->auth = NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The client's hello as the reference keeps it: the line, trimmed. */
static char *copy_trimmed(const char *raw, size_t len, size_t *out)
{
	char *c;

	while (len && is_space(*raw)) {
		raw++;
		len--;
	}
	while (len && is_space(raw[len - 1]))
		len--;
	c = malloc(len + 1);
	if (c) {
		memcpy(c, raw, len);
		c[len] = '\0';
		*out = len;
	}
	return c;
}

/* Our hello with the challenge, encoded once: the bytes sent are the bytes proven. */
static int send_challenge(struct srv_test *t, struct srv_auth *a)
{
	struct proto_msg m;
	size_t len;
	char *line;
	int err;

	proto_msg_init(&m, MSG_HELLO);
	proto_hello_fill(&m.hello, true,
			 proto_caps_local(true, t->srv->udp_single_port) |
				 (quic_tls_server_ready() ? CAP_QUIC : 0)); /* as without a PSK */
	memcpy(m.hello.auth_nonce, a->sn, sizeof(a->sn));
	line = proto_encode(&m, &len);
	proto_msg_free(&m);
	if (!line)
		return -errno;
	a->sh = line;
	a->shlen = len - 1; /* without '\n' */
	err = ctrl_send_raw(&t->ctrl, line, len);
	line[len - 1] = '\0';
	return err;
}

int srv_auth_begin(struct srv_test *t, const struct proto_hello *h, const char *raw, size_t rawlen,
		   char *why, size_t len)
{
	struct srv_auth *a;
	int err;

	if (!(h->caps & CAP_PROTECTED_CONTROL_V1)) {
		snprintf(why, len, "PSK authentication requires protected_control_v1 capability");
		return -EPROTO;
	}
	if (!h->client_nonce[0]) {
		snprintf(
			why, len,
			"authentication required: this server needs a PSK (the client sent no client_nonce)");
		return -EPROTO;
	}
	a = t->auth = calloc(1, sizeof(*a));
	if (!a || !(a->ch = copy_trimmed(raw, rawlen, &a->chlen)) || auth_nonce(a->sn)) {
		snprintf(why, len, "server error: cannot start authentication");
		return -ENOMEM;
	}
	memcpy(a->cn, h->client_nonce, sizeof(a->cn));
	err = send_challenge(t, a);
	if (err) {
		snprintf(why, len, "control connection: %s", strerror(-err));
		return err;
	}
	t->state = TS_AUTH;
	/* a client answers at once: an unauthenticated peer holds a test slot 5 s, not 30 */
	t->deadline_ns = time_mono_ns() + SRV_FIRST_LINE_MS * NSEC_PER_MSEC;
	return 0;
}

static void key_of(const struct srv_test *t, struct policy_key *k)
{
	if (!policy_key_of((const struct sockaddr *)&t->peer.ss, k))
		memset(k, 0, sizeof(*k));
}

/* The right key: auth_success with the proof, in plaintext, then frames both ways. */
static int authenticated(struct srv_test *t, char *why, size_t len)
{
	const struct xfr_config *cfg = t->srv->cfg;
	struct srv_auth *a = t->auth;
	struct auth_keys k;
	struct proto_msg m;
	int err;

	err = auth_derive(cfg->psk, cfg->psk_len, a->cn, a->sn, &k);
	proto_msg_init(&m, MSG_AUTH_SUCCESS);
	if (!err)
		err = auth_proof(&k, a->ch, a->chlen, a->sh, a->shlen, m.text.text);
	if (!err)
		err = ctrl_send(&t->ctrl, &m);
	if (!err)
		err = ctrl_protect(&t->ctrl, &k, true);
	t->udp_auth = !err && (t->client_caps & CAP_UDP_AUTH_V1);
	if (t->udp_auth)
		memcpy(t->udp_key, k.udp, sizeof(t->udp_key));
	proto_msg_free(&m);
	auth_keys_wipe(&k);
	if (err) {
		snprintf(why, len, "server error: cannot complete authentication: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}

int srv_auth_answer(struct srv_test *t, const struct proto_msg *m, char *why, size_t len)
{
	const struct xfr_config *cfg = t->srv->cfg;
	struct policy_key key;
	uint64_t wait;
	int err;

	if (m->type != MSG_AUTH_RESPONSE) {
		snprintf(why, len, "expected auth_response, got %s", proto_type_name(m->type));
		return -EPROTO;
	}
	key_of(t, &key);
	if (!auth_response_ok(cfg->psk, cfg->psk_len, t->auth->sn, m->text.text)) {
		wait = guard_auth_failed(&t->srv->guard, &key, time_mono_ns());
		if (wait)
			pr_warn("%s: repeated authentication failures: refusing this address for %llu s",
				t->peer_str, (unsigned long long)(wait / NSEC_PER_SEC));
		snprintf(why, len, "authentication failed");
		sinks_emit(&t->srv->sinks, &(struct xfr_event){.type = XFR_EV_NOTICE,
							       .role = XFR_ROLE_SERVER,
							       .notice = XFR_NOTICE_AUTH,
							       .text = why,
							       .peer = t->peer_str});
		return -EACCES;
	}
	err = authenticated(t, why, len);
	srv_auth_free(t);
	if (err)
		return err;
	guard_auth_ok(&t->srv->guard, &key);
	t->state = TS_HELLO;
	t->deadline_ns = time_mono_ns() + SRV_HANDSHAKE_MS * NSEC_PER_MSEC;
	pr_info("%s: authenticated (PSK), control channel protected", t->peer_str);
	return 0;
}
