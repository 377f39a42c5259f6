// SPDX-License-Identifier: MIT
/* The client's side of the PSK handshake (client_priv.h), as the reference's client.rs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "client/client_priv.h"
#include "control/auth.h"
#include "control/report.h"
#include "wire.h"

struct clnt_auth {
	char cn[AUTH_NONCE_HEX + 1];
	char *ch; /* our hello line, exactly, without '\n' */
	size_t chlen;
};

void clnt_auth_free(struct clnt *c)
{
	if (!c->auth)
		return;
	free(c->auth->ch);
	OPENSSL_cleanse(c->auth, sizeof(*c->auth));
	free(c->auth);
	c->auth = NULL;
}

int clnt_auth_send_hello(struct clnt *c)
{
	struct proto_msg m;
	size_t len;
	char *line;
	int err;

	proto_msg_init(&m, MSG_HELLO);
	proto_hello_fill(&m.hello, false, proto_caps_local(false, true) | CAP_QUIC);
	if (c->cfg->psk_len) {
		c->auth = calloc(1, sizeof(*c->auth));
		if (!c->auth || auth_nonce(c->auth->cn)) {
			proto_msg_free(&m);
			return -ENOMEM;
		}
		memcpy(m.hello.client_nonce, c->auth->cn, sizeof(c->auth->cn));
	}
	line = proto_encode(&m, &len);
	proto_msg_free(&m);
	if (!line)
		return -errno;
	err = ctrl_send_raw(&c->ctrl, line, len);
	if (c->auth) {
		c->auth->ch = line;
		c->auth->chlen = len - 1;
	} else {
		free(line);
	}
	return err ? err : ctrl_flush_wait(&c->ctrl, CLNT_HANDSHAKE_MS);
}

/* Whether the server's hello and ours agree on authentication; else one error. */
static int check_modes(struct clnt *c, const struct proto_hello *h)
{
	if (h->auth_nonce[0] && !c->cfg->psk_len) {
		clnt_error(c,
			   "the server requires a PSK: give it with --psk-file, --psk or XFR_PSK");
		return -EACCES;
	}
	if (!h->auth_nonce[0]) {
		clnt_error(c,
			   "--psk: the server (%s) did not ask for authentication; refusing to "
			   "run unprotected (a server without a key, or a downgrade on the path)",
			   c->res->server_version);
		return -EPROTO;
	}
	if (!(h->caps & CAP_PROTECTED_CONTROL_V1)) {
		clnt_error(c,
			   "--psk: the server (%s) does not support protected_control_v1; "
			   "refusing a PSK session",
			   c->res->server_version);
		return -EPROTO;
	}
	return 0;
}

static int answer(struct clnt *c, const char *sn)
{
	struct proto_msg m;
	int err;

	proto_msg_init(&m, MSG_AUTH_RESPONSE);
	err = auth_response(c->cfg->psk, c->cfg->psk_len, sn, m.text.text);
	if (!err)
		err = ctrl_send(&c->ctrl, &m);
	OPENSSL_cleanse(m.text.text, sizeof(m.text.text));
	proto_msg_free(&m);
	return err ? err : ctrl_flush_wait(&c->ctrl, CLNT_HANDSHAKE_MS);
}

/* auth_success or the server's refusal, within CLNT_HANDSHAKE_MS. */
static int outcome(struct clnt *c, struct proto_msg *m)
{
	char err[PROTO_TEXT_MAX], text[PROTO_TEXT_MAX];
	int rc = ctrl_recv_wait(&c->ctrl, m, CLNT_HANDSHAKE_MS, c->sigfd, err, sizeof(err));

	if (rc == -EINTR) {
		c->signals++;
		clnt_error(c, "interrupted");
		return rc;
	}
	if (rc) {
		clnt_error(c, "authentication: server: %s", err);
		return rc;
	}
	if (m->type == MSG_ERROR) {
		report_sanitize(text, sizeof(text), m->text.text);
		clnt_error(c, "authentication failed: the server says: %s", text);
		proto_msg_free(m);
		return -EACCES;
	}
	if (m->type != MSG_AUTH_SUCCESS) {
		clnt_error(c, "authentication: the server sent %s, expected auth_success",
			   proto_type_name(m->type));
		proto_msg_free(m);
		return -EPROTO;
	}
	return 0;
}

/* The proof over both hellos, then frames both ways. */
static int verify(struct clnt *c, const char *proof, const char *sh, size_t shlen, const char *sn)
{
	char want[AUTH_MAC_HEX + 1];
	struct auth_keys k;
	int err;

	if (!proof[0]) {
		clnt_error(c, "authentication: the server sent no server_proof; refusing the "
			      "session (an old server, or a downgrade on the path)");
		return -EPROTO;
	}
	err = auth_derive(c->cfg->psk, c->cfg->psk_len, c->auth->cn, sn, &k);
	if (!err)
		err = auth_proof(&k, c->auth->ch, c->auth->chlen, sh, shlen, want);
	if (!err && !auth_equal(want, AUTH_MAC_HEX, proof, strlen(proof))) {
		clnt_error(c, "authentication: the server's proof is wrong: it does not hold the "
			      "key, or the handshake was tampered with");
		err = -EACCES;
	} else if (!err) {
		err = ctrl_protect(&c->ctrl, &k, false);
		c->udp_auth = !err && (c->server_caps & CAP_UDP_AUTH_V1);
		if (c->udp_auth)
			memcpy(c->udp_key, k.udp, sizeof(c->udp_key));
	} else {
		clnt_error(c, "authentication: cannot derive the session keys");
	}
	auth_keys_wipe(&k);
	OPENSSL_cleanse(want, sizeof(want));
	return err;
}

int clnt_auth(struct clnt *c, const struct proto_hello *h, const char *raw, size_t rawlen)
{
	struct proto_msg *m;
	char sn[AUTH_NONCE_HEX + 1], *sh;
	int err;

	if (!c->cfg->psk_len && !h->auth_nonce[0])
		return 0;
	err = check_modes(c, h);
	if (err)
		return err;
	sh = malloc(rawlen + 1);
	m = malloc(sizeof(*m));
	err = sh && m ? 0 : -ENOMEM;
	if (err)
		clnt_error(c, "authentication: out of memory");
	if (!err) {
		memcpy(sh, raw, rawlen); /* the next read may move the buffer */
		memcpy(sn, h->auth_nonce, sizeof(sn));
		err = answer(c, sn);
		if (err)
			clnt_error(c, "authentication: cannot send: %s", strerror(-err));
	}
	if (!err)
		err = outcome(c, m);
	if (!err) {
		err = verify(c, m->text.text, sh, rawlen, sn);
		proto_msg_free(m);
	}
	if (!err)
		pr_debug("authenticated; control channel protected");
	free(sh);
	free(m);
	clnt_auth_free(c);
	return err;
}

int clnt_udp_hello(const struct clnt *c, uint32_t i, const unsigned char *token, unsigned char *out)
{
	if (!c->udp_auth) {
		wire_hello_put(out, XFR_HELLO_KIND_HELLO, (uint16_t)i, token);
		return XFR_HELLO_LEN;
	}
	if (auth_udp_hello(c->udp_key, XFR_HELLO_KIND_HELLO, i, token, out))
		return -EIO;
	return AUTH_UDP_HELLO_LEN;
}

/* In a udp_auth_v1 session a 24-byte ack, or one with a wrong tag, is somebody else's. */
bool clnt_udp_ack_ok(const struct clnt *c, uint32_t i, const unsigned char *token,
		     const unsigned char *in, size_t n)
{
	unsigned char got[XFR_TOKEN_LEN];
	uint16_t idx;

	if (n != (c->udp_auth ? AUTH_UDP_HELLO_LEN : XFR_HELLO_LEN) ||
	    !wire_hello_get(in, XFR_HELLO_LEN, XFR_HELLO_KIND_ACK, &idx, got) || idx != i ||
	    CRYPTO_memcmp(got, token, XFR_TOKEN_LEN))
		return false;
	return !c->udp_auth || auth_udp_tag_ok(c->udp_key, in, n);
}
