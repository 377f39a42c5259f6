// SPDX-License-Identifier: MIT
/*
 * One QUIC connection on its own thread (see quic_conn.h); its send path is
 * quic_tx.c.
 *
 * The loop: read every datagram the socket holds (UDP GRO: one recvmsg can
 * carry many), write until ngtcp2 has nothing more (batched into UDP_SEGMENT
 * sends of up to 64 packets or 64 KiB), then sleep in ppoll until the socket,
 * the engine's wake eventfd, the pacing credit or ngtcp2_conn_get_expiry(),
 * re-read after every write. Nothing spins: a stream blocked by flow control
 * is written again only after the peer's MAX_STREAM_DATA/MAX_DATA.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "base/log.h"
#include "base/netinfo.h"
#include "wire.h"
#include "quic/engine_quic.h"
#include "quic/quic.h"
#include "quic/quic_tls.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define QC_BUF		    (64u * 1024 + 2048u) /* one GSO batch (quic_tx.c) and a packet */
#define QC_RX_ROUNDS	    16 /* recvmsg calls per loop turn, so sending is not starved */
#define QC_WINDOW	    (16u * 1024 * 1024)	 /* initial windows: >= BDP of 10 Gbit/s x 10 ms */
#define QC_MAX_WINDOW	    (64u * 1024 * 1024)	 /* auto-tuning ceiling */
#define QC_TIMEOUT_NS	    (10ull * 1000000000) /* handshake and idle timeout */
#define QC_SOCKBUF	    (4 * 1024 * 1024)
#define QC_LOCAL_PKT	    32752u /* two per GSO send (quic_tx.c: at most 65507 bytes) */
#define QC_LOOPBACK_IFINDEX 1	   /* the loopback device, in every network namespace */
#define QC_KEEPALIVE_NS	    (QC_TIMEOUT_NS / 2) /* the server's keep-alive PINGs */

/* QC_TIMEOUT_NS, or what a unit test set (quic_conn_set_timeout_ms) */
static uint64_t qc_timeout_ns = QC_TIMEOUT_NS;

static char qc_timeout_words[24] = "10 s"; /* as the error lines say it */

void quic_conn_set_timeout_ms(uint32_t ms)
{
	qc_timeout_ns = ms ? (uint64_t)ms * 1000000 : QC_TIMEOUT_NS;
	snprintf(qc_timeout_words, sizeof(qc_timeout_words), "%g s", (double)qc_timeout_ns / 1e9);
}

uint64_t quic_conn_timeout_ns(void)
{
	return qc_timeout_ns;
}

uint64_t quic_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void quic_conn_fail(struct quic_conn *c, int err, const char *fmt, const char *arg)
{
	if (c->err)
		return;
	c->err = err;
	snprintf(c->why, sizeof(c->why), fmt, arg);
}

static uint64_t now_ns(void)
{
	return quic_now_ns();
}

static void qc_fail(struct quic_conn *c, int err, const char *fmt, const char *arg)
{
	quic_conn_fail(c, err, fmt, arg);
}

static struct eng_gate *gate(struct quic_conn *c)
{
	return &c->eng->gate;
}

static ngtcp2_path path_of(struct quic_conn *c)
{
	return (ngtcp2_path){
		.local = {.addr = (ngtcp2_sockaddr *)&c->local, .addrlen = c->local_len},
		.remote = {.addr = (ngtcp2_sockaddr *)&c->remote, .addrlen = c->remote_len},
	};
}

/* ------------------------------------------------------------- callbacks */

static void cb_rand(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, dest, len) < 0)
		memset(dest, 0, len); /* gnutls_rnd fails only when its DRBG is broken */
}

static int cb_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud)
{
	(void)conn;
	(void)ud;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) < 0 ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN) < 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	cid->datalen = cidlen;
	return 0;
}

/* The socketpair takes what it can of the control stream; the peer gets that much credit back. */
static int ctl_flush(struct quic_conn *c)
{
	ssize_t n = quic_ctl_push(&c->ctl);

	if (n < 0) {
		qc_fail(c, (int)-n, "the control channel broke: %s", strerror((int)-n));
		return -1;
	}
	if (n > 0) {
		ngtcp2_conn_extend_max_stream_offset(c->conn, c->ctl.sid, (uint64_t)n);
		ngtcp2_conn_extend_max_offset(c->conn, (uint64_t)n);
	}
	return 0;
}

static int ctl_data(struct quic_conn *c, const uint8_t *data, size_t len, bool fin)
{
	if (quic_ctl_recv(&c->ctl, data, len, fin)) {
		qc_fail(c, EPROTO, "the peer overran the control stream's window%s", "");
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	return ctl_flush(c) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

/* The peer acknowledged our control bytes: they leave the ring. */
static int cb_acked(ngtcp2_conn *conn, int64_t sid, uint64_t off, uint64_t len, void *ud, void *sud)
{
	struct quic_conn *c = ud;

	(void)conn;
	(void)off;
	(void)sud;
	if (c->link && sid == c->ctl.sid)
		quic_ctl_acked(&c->ctl, (size_t)len);
	return 0;
}

/* The peer's one stream toward us: anything else is refused. */
static int cb_stream_open(ngtcp2_conn *conn, int64_t sid, void *ud)
{
	struct quic_conn *c = ud;

	(void)conn;
	if (c->link && c->server && sid == 0 && c->ctl.sid < 0) {
		c->ctl.sid = sid; /* the control stream (reference §2.1) */
		return 0;
	}
	if (c->link)
		return quic_data_open_peer(c, sid) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
	if (!c->recv || c->rx_sid >= 0 || !(sid & 2)) {
		qc_fail(c, EPROTO, "the peer opened %s stream this test has no use for",
			sid & 2 ? "a second" : "a bidirectional");
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	c->rx_sid = sid;
	return 0;
}

static int cb_recv_data(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t off,
			const uint8_t *data, size_t len, void *ud, void *sud)
{
	struct quic_conn *c = ud;

	(void)off;
	(void)data;
	(void)sud;
	if (c->link && sid == c->ctl.sid)
		return ctl_data(c, data, len, flags & NGTCP2_STREAM_DATA_FLAG_FIN);
	if (c->link)
		return quic_data_recv(c, sid, len, flags & NGTCP2_STREAM_DATA_FLAG_FIN)
			       ? NGTCP2_ERR_CALLBACK_FAILURE
			       : 0;
	if (sid != c->rx_sid) {
		qc_fail(c, EPROTO, "the peer sent data on a stream it did not open%s", "");
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	ENG_ADD(c->rx_bytes, len);
	ENG_ADD(c->rx_calls, 1);
	/* Give the credit straight back: the receiver only counts. */
	ngtcp2_conn_extend_max_stream_offset(conn, sid, len);
	ngtcp2_conn_extend_max_offset(conn, len);
	if (flags & NGTCP2_STREAM_DATA_FLAG_FIN)
		c->rx_done = true;
	return 0;
}

static int cb_extend_stream(ngtcp2_conn *conn, int64_t sid, uint64_t max, void *ud, void *sud)
{
	struct quic_conn *c = ud;

	(void)conn;
	(void)max;
	(void)sud;
	if (sid == c->tx_sid)
		c->tx_blocked = false;
	else if (c->link && sid == c->ctl.sid)
		c->ctl.blocked = false;
	else if (c->link)
		quic_data_extend(c, sid);
	return 0;
}

static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t code, void *ud,
			   void *sud)
{
	struct quic_conn *c = ud;

	(void)conn;
	(void)flags;
	(void)code;
	(void)sud;
	if (sid == c->tx_sid)
		c->tx_done = true;
	else if (sid == c->rx_sid)
		c->rx_done = true;
	else if (c->link && sid == c->ctl.sid)
		c->ctl.closed = true;
	else if (c->link)
		quic_data_closed(c, sid);
	return 0;
}

static int cb_handshake_done(ngtcp2_conn *conn, void *ud)
{
	struct quic_conn *c = ud;

	(void)conn;
	c->hs_ns = now_ns() - c->t0_ns;
	ENG_STORE(c->st.handshake_ns, c->hs_ns ? c->hs_ns : 1);
	return 0;
}

/* The client's data waits for this: 1-RTT packets that reach a server still
 * in its handshake are dropped beyond a few, and read as loss. */
static int cb_handshake_confirmed(ngtcp2_conn *conn, void *ud)
{
	(void)conn;
	((struct quic_conn *)ud)->confirmed = true;
	return 0;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct quic_conn *)ref->user_data)->conn;
}

static void callbacks(ngtcp2_callbacks *cb, bool server)
{
	memset(cb, 0, sizeof(*cb));
	if (server) {
		cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	} else {
		cb->client_initial = ngtcp2_crypto_client_initial_cb;
		cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	}
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->rand = cb_rand;
	cb->get_new_connection_id = cb_new_cid;
	cb->stream_open = cb_stream_open;
	cb->recv_stream_data = cb_recv_data;
	cb->extend_max_stream_data = cb_extend_stream;
	cb->stream_close = cb_stream_close;
	cb->acked_stream_data_offset = cb_acked;
	cb->handshake_completed = cb_handshake_done;
	cb->handshake_confirmed = cb_handshake_confirmed;
}

static const struct {
	const char *name;
	ngtcp2_cc_algo algo;
} algos[] = {{"reno", NGTCP2_CC_ALGO_RENO},
	     {"cubic", NGTCP2_CC_ALGO_CUBIC},
	     {"bbr", NGTCP2_CC_ALGO_BBR},
	     {"bbr2", NGTCP2_CC_ALGO_BBR2}};

bool quic_cc_known(const char *name)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (!strcmp(name, algos[i].name))
			return true;
	return false;
}

/* BBR2 unless asked otherwise: the fastest and steadiest here (quic/README.md). */
static ngtcp2_cc_algo cc_algo(const char *name)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (!strcmp(name, algos[i].name))
			return algos[i].algo;
	return NGTCP2_CC_ALGO_BBR2;
}

static void trace(void *ud, const char *fmt, ...)
{
	va_list ap;

	(void)ud;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void config(struct quic_conn *c, ngtcp2_settings *s, ngtcp2_transport_params *tp)
{
	ngtcp2_settings_default(s);
	s->initial_ts = c->t0_ns;
	s->cc_algo = cc_algo(c->eng->p.quic_cc);
	s->max_window = QC_MAX_WINDOW;
	s->max_stream_window = QC_MAX_WINDOW;
	s->handshake_timeout = qc_timeout_ns;
	if (getenv("XFR_QUIC_TRACE")) /* ngtcp2's own trace on stderr: ~10x slower */
		s->log_printf = trace;
	ngtcp2_transport_params_default(tp);
	tp->initial_max_streams_bidi = 0;
	tp->initial_max_streams_uni = c->recv ? 1 : 0;
	tp->initial_max_stream_data_uni = c->recv ? QC_WINDOW : 0;
	tp->initial_max_data = c->recv ? QC_WINDOW : 0;
	if (c->link) {
		/* stream 0 (control) and -P bidirectional streams from the client, -P uni either way */
		tp->initial_max_streams_bidi = c->server ? 1 + XFR_MAX_STREAMS : 0;
		tp->initial_max_streams_uni = XFR_MAX_STREAMS;
		tp->initial_max_stream_data_bidi_remote = c->server ? QC_WINDOW : 0;
		tp->initial_max_stream_data_bidi_local = c->server ? 0 : QC_WINDOW;
		tp->initial_max_stream_data_uni = QC_WINDOW;
		tp->initial_max_data = QC_WINDOW;
	}
	tp->max_idle_timeout = qc_timeout_ns;
	if (c->local_pkt) { /* see local_pkt() */
		s->max_tx_udp_payload_size = c->local_pkt;
		s->no_tx_udp_payload_size_shaping = 1;
		s->no_pmtud = 1;
	}
}

/* ------------------------------------------------------------------- setup */

static int tls_session(struct quic_conn *c)
{
	const char *pin = c->eng->p.quic_pin[0] ? c->eng->p.quic_pin : NULL;

	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	c->tls = c->server ? quic_tls_server_new(&c->ref)
			   : quic_tls_client_new(&c->ref, pin, c->eng->p.quic_ca != NULL,
						 c->eng->p.quic_name);
	if (!c->tls) {
		qc_fail(c, errno, "cannot set up TLS for QUIC: %s", strerror(errno));
		return -1;
	}
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
	return 0;
}

static int conn_client(struct quic_conn *c)
{
	ngtcp2_callbacks cb;
	ngtcp2_settings s;
	ngtcp2_transport_params tp;
	ngtcp2_cid dcid = {.datalen = 18}, scid = {.datalen = 16};
	ngtcp2_path path = path_of(c);
	int rv;

	cb_rand(dcid.data, dcid.datalen, NULL);
	cb_rand(scid.data, scid.datalen, NULL);
	callbacks(&cb, false);
	config(c, &s, &tp);
	rv = ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &s,
				    &tp, NULL, c);
	if (rv) {
		qc_fail(c, ENOMEM, "cannot create a QUIC connection: %s", ngtcp2_strerror(rv));
		return -1;
	}
	return tls_session(c);
}

/* Server: the first datagram that parses as a QUIC Initial opens the connection. */
static int conn_server(struct quic_conn *c, const uint8_t *pkt, size_t len)
{
	ngtcp2_callbacks cb;
	ngtcp2_settings s;
	ngtcp2_transport_params tp;
	ngtcp2_pkt_hd hd;
	ngtcp2_cid scid = {.datalen = 16};
	ngtcp2_path path = path_of(c);
	int rv;

	if (ngtcp2_accept(&hd, pkt, len) < 0) {
		ENG_ADD(c->st.garbage, 1);
		return 0; /* not an Initial: wait for one */
	}
	cb_rand(scid.data, scid.datalen, NULL);
	callbacks(&cb, true);
	config(c, &s, &tp);
	tp.original_dcid = hd.dcid; /* 0.12: no _present flag */
	rv = ngtcp2_conn_server_new(&c->conn, &hd.scid, &scid, &path, hd.version, &cb, &s, &tp,
				    NULL, c);
	if (rv) {
		qc_fail(c, ENOMEM, "cannot create a QUIC connection: %s", ngtcp2_strerror(rv));
		return -1;
	}
	if (c->link) /* as the reference's server: PINGs keep an idle control channel open */
		ngtcp2_conn_set_keep_alive_timeout(
			c->conn, qc_timeout_ns / 2); /* QC_KEEPALIVE_NS by default */
	return tls_session(c) ? -1 : 1;
}

/*
 * The peer is this host: the kernel routes it over the loopback device, so the
 * datagrams never leave the host and the route's MTU (loopback's, 65536) is
 * the path's. ngtcp2 0.12's PMTUD probes no further than 1444 bytes, and at that
 * size the per-packet cost (ngtcp2, the system calls, the ACKs) bounds a
 * loopback test at 4-8 Gbit/s; packets of QC_LOCAL_PKT took 1.0 CPU-s per GB
 * down to 0.6 on each side (quic/README.md). The peer's max_udp_payload_size
 * still applies (ngtcp2 takes the smaller). 0: any other path, ngtcp2's sizes.
 */
static size_t local_pkt(struct quic_conn *c)
{
	bool v6 = c->remote.ss_family == AF_INET6;
	struct netinfo_route r;
	socklen_t len = sizeof(int);
	int mtu = 0;
	size_t pkt;

	if (netinfo_route_get((const struct sockaddr *)&c->remote, &r) ||
	    r.ifindex != QC_LOOPBACK_IFINDEX)
		return 0;
	if (getsockopt(c->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &len))
		return 0;
	pkt = mtu > 48 ? (size_t)mtu - (v6 ? 48 : 28) : 0; /* IP and UDP headers */
	if (pkt > QC_LOCAL_PKT)
		pkt = QC_LOCAL_PKT;
	return pkt > QC_HANDSHAKE_PKT ? pkt : 0;
}

static void sock_setup(struct quic_conn *c)
{
	int one = 1, sz = QC_SOCKBUF;

	c->local_len = sizeof(c->local);
	c->remote_len = sizeof(c->remote);
	getsockname(c->fd, (struct sockaddr *)&c->local, &c->local_len);
	getpeername(c->fd, (struct sockaddr *)&c->remote, &c->remote_len);
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(c->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	c->gso = !c->eng->p.udp_no_offload;
	c->gro = !c->eng->p.udp_no_offload &&
		 !setsockopt(c->fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
	c->local_pkt = local_pkt(c);
}

/* ----------------------------------------------------------------- receive */

/* Why the connection ended, from what ngtcp2 said (rv) and what the peer sent. */
static void read_error(struct quic_conn *c, int rv)
{
	const char *verify = c->tls ? quic_tls_verify_error(c->tls) : "";
	char buf[64];

	if (rv == NGTCP2_ERR_CRYPTO && verify[0]) {
		qc_fail(c, EACCES, "%s", verify);
	} else if (rv == NGTCP2_ERR_CRYPTO) {
		snprintf(buf, sizeof(buf), "TLS handshake failed (alert %u)",
			 ngtcp2_conn_get_tls_alert(c->conn));
		qc_fail(c, EPROTO, "QUIC: %s", buf);
	} else if (!c->err) {
		qc_fail(c, EPROTO, "QUIC: %s", ngtcp2_strerror(rv));
	}
}

/* The peer closed: a clean close (NO_ERROR) ends our flows; anything else is an error. */
static int peer_closed(struct quic_conn *c)
{
	ngtcp2_connection_close_error cc;
	char buf[112];

	ngtcp2_conn_get_connection_close_error(c->conn, &cc);
	if (!cc.error_code)
		return 1;
	if (cc.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT &&
	    (cc.error_code & ~0xffull) == NGTCP2_CRYPTO_ERROR) {
		snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)(cc.error_code & 0xff),
			 (cc.error_code & 0xff) == 42 ? ", bad certificate" : "");
		qc_fail(c, EACCES, "the peer refused the TLS handshake (alert %s)", buf);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s code 0x%llx%s%.*s",
		 cc.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION ? "application"
										: "transport",
		 (unsigned long long)cc.error_code, cc.reasonlen ? ": " : "",
		 (int)(cc.reasonlen > 64 ? 64 : cc.reasonlen), (const char *)cc.reason);
	qc_fail(c, ECONNRESET, "the peer closed the QUIC connection (%s)", buf);
	return -1;
}

/* Server: the connection a forged Initial opened goes; the thread waits on. */
static void drop_conn(struct quic_conn *c)
{
	ngtcp2_conn_del(c->conn);
	c->conn = NULL;
	quic_tls_free(c->tls);
	c->tls = NULL;
	c->err = 0;
	c->why[0] = '\0';
}

/* One packet. 0 = go on, 1 = the peer closed cleanly, -1 = the connection is over. */
static int rx_one(struct quic_conn *c, const uint8_t *pkt, size_t len, uint64_t now)
{
	ngtcp2_path path = path_of(c);
	ngtcp2_pkt_info pi = {0};
	bool fresh = false;
	int rv;

	if (len == XFR_HELLO_LEN && !memcmp(pkt, "\0XFR", 4))
		return 0; /* a single-port hello/ack repeated */
	if (!c->conn) {
		rv = conn_server(c, pkt, len);
		if (rv <= 0)
			return rv;
		fresh = true;
	}
	rv = ngtcp2_conn_read_pkt(c->conn, &path, &pi, pkt, len, now);
	if (!rv)
		return 0;
	if (fresh) { /* an Initial in shape only: forget it, wait for the client's */
		drop_conn(c);
		ENG_ADD(c->st.garbage, 1);
		return 0;
	}
	if (rv == NGTCP2_ERR_DRAINING)
		return peer_closed(c);
	if (rv == NGTCP2_ERR_DISCARD_PKT) {
		ENG_ADD(c->st.garbage, 1);
		return 0;
	}
	read_error(c, rv);
	return rv == NGTCP2_ERR_DROP_CONN ? -2 : -1;
}

static uint32_t rxq_ovfl(struct msghdr *m, size_t *gro)
{
	uint32_t drops = UINT32_MAX;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO)
			*gro = (size_t) * (int *)(void *)CMSG_DATA(cm);
		else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
			drops = *(uint32_t *)(void *)CMSG_DATA(cm);
	}
	return drops;
}

/* Read what the socket holds (bounded per turn). As rx_one. */
static int rx(struct quic_conn *c, uint64_t now)
{
	char ctl[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = {.iov_base = c->rxbuf, .iov_len = QC_BUF};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	size_t seg;
	uint32_t drops;
	ssize_t n;
	int rv;

	for (int k = 0; k < QC_RX_ROUNDS; k++) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == ECONNREFUSED))
			return 0; /* refused: ICMP for a datagram of ours, loss to QUIC */
		if (n < 0) {
			qc_fail(c, errno, "cannot read the QUIC socket: %s", strerror(errno));
			return -1;
		}
		now = now_ns(); /* the batch's arrival, for ngtcp2's RTT and ACK delay */
		seg = (size_t)n;
		drops = rxq_ovfl(&msg, &seg);
		if (drops != UINT32_MAX)
			ENG_STORE(c->st.rcvbuf_drops, drops);
		for (size_t off = 0; off < (size_t)n && seg; off += seg) {
			size_t len = (size_t)n - off < seg ? (size_t)n - off : seg;

			ENG_ADD(c->st.rx_dgrams, 1);
			rv = rx_one(c, c->rxbuf + off, len, now);
			if (rv)
				return rv;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ close */

/* Send our CONNECTION_CLOSE once: NO_ERROR, or the error that ended us. */
static void close_conn(struct quic_conn *c, int liberr)
{
	ngtcp2_connection_close_error cc;
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (!c->conn || ngtcp2_conn_is_in_closing_period(c->conn) ||
	    ngtcp2_conn_is_in_draining_period(c->conn))
		return;
	ngtcp2_connection_close_error_default(&cc);
	if (liberr)
		ngtcp2_connection_close_error_set_transport_error_liberr(&cc, liberr, NULL, 0);
	else if (ngtcp2_conn_get_tls_alert(
			 c->conn)) /* our TLS refused: tell the peer which alert */
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
			&cc, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
	else if (c->err)
		ngtcp2_connection_close_error_set_application_error(
			&cc, 1, (const uint8_t *)c->why, strlen(c->why) > 64 ? 64 : strlen(c->why));
	ngtcp2_path_storage_zero(&ps);
	n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, &pi, c->txbuf, QC_BUF, &cc,
					       now_ns());
	if (n > 0)
		quic_send_batch(c, c->txbuf, (size_t)n, (size_t)n);
}

/* ------------------------------------------------------------------- loop */

static void publish(struct quic_conn *c)
{
	ngtcp2_conn_stat cs;

	if (!c->conn)
		return;
	ngtcp2_conn_get_conn_stat(c->conn, &cs);
	ENG_STORE(c->st.srtt_ns, cs.smoothed_rtt);
	ENG_STORE(c->st.min_rtt_ns, cs.min_rtt == UINT64_MAX ? 0 : cs.min_rtt);
	ENG_STORE(c->st.rttvar_ns, cs.rttvar);
	ENG_STORE(c->st.cwnd, cs.cwnd);
	ENG_STORE(c->st.bytes_in_flight, cs.bytes_in_flight);
	ENG_STORE(c->st.pmtu, (uint64_t)ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn));
	if (c->link)
		quic_data_publish(c);
	/* per stream in 0.12, and 0 once the stream is closed: keep the highest seen */
	if (c->tx_sid >= 0) {
		uint64_t lost = ngtcp2_conn_get_stream_loss_count(c->conn, c->tx_sid);

		if (lost > c->st.lost)
			ENG_STORE(c->st.lost, lost);
	}
}

/* In a test's one connection the control stream decides: it ends once both ends closed it. */
static bool flows_done(const struct quic_conn *c)
{
	if (c->link && !c->ctl.closed && !(c->ctl.app_eof && c->ctl.sid < 0))
		return false;
	return (!c->send || c->tx_done) && (!c->recv || c->rx_done);
}

/* Sleep until the socket, a wake-up, the pacing credit or ngtcp2's expiry. */
static void wait_io(struct quic_conn *c, uint64_t deadline)
{
	struct pollfd pfd[3] = {
		{.fd = c->fd, .events = POLLIN | (c->txlen ? POLLOUT : 0)},
		{.fd = c->wake_fd, .events = POLLIN},
		{.fd = c->link ? c->ctl.fd : -1, .events = quic_ctl_events(&c->ctl)}};
	uint64_t now = now_ns(), left;
	struct timespec ts, *tsp = NULL;
	uint64_t v;

	if (deadline != UINT64_MAX) {
		left = deadline > now ? deadline - now : 0;
		ts.tv_sec = (time_t)(left / 1000000000ull);
		ts.tv_nsec = (long)(left % 1000000000ull);
		tsp = &ts;
	}
	if (!tsp || ts.tv_sec || ts.tv_nsec)
		c->st.sleeps++;
	if (!pfd[2].events)
		pfd[2].fd = -1;
	if (ppoll(pfd, 3, tsp, NULL) > 0 && (pfd[1].revents & POLLIN))
		if (read(c->wake_fd, &v, sizeof(v)) < 0)
			v = 0; /* another thread of this connection took it: nothing to do */
}

/* The client opens the control stream (id 0) once the handshake is complete. */
static int open_ctl(struct quic_conn *c)
{
	int rv;

	if (!c->link || c->server || c->ctl.sid >= 0 ||
	    !ngtcp2_conn_get_handshake_completed(c->conn))
		return 0;
	rv = ngtcp2_conn_open_bidi_stream(c->conn, &c->ctl.sid, NULL);
	if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED)
		return 0; /* the server's MAX_STREAMS is still to come */
	if (rv) {
		qc_fail(c, EPROTO, "cannot open the QUIC control stream: %s", ngtcp2_strerror(rv));
		return -1;
	}
	return 0;
}

/*
 * The control channel's turn: what the control code wrote goes into the ring,
 * what the peer sent out to it. The server closes a connection whose client
 * opened no control stream in time.
 */
static int ctl_turn(struct quic_conn *c, uint64_t now, uint64_t *next)
{
	int err;

	if (!c->link)
		return 0;
	if (open_ctl(c))
		return -1;
	err = quic_ctl_pull(&c->ctl);
	if (err) {
		qc_fail(c, -err, "the control channel broke: %s", strerror(-err));
		return -1;
	}
	if (c->ctl.app_eof && !c->ctl_eof_ns)
		c->ctl_eof_ns = now;
	if (c->ctl_eof_ns && now >= c->ctl_eof_ns + qc_timeout_ns) {
		/* our end is done; a peer that keeps its own open (and answers PINGs) goes */
		pr_debug("QUIC: the peer kept the control stream open %s after ours ended",
			 qc_timeout_words);
		c->ctl.closed = true;
		return 0;
	}
	if (c->ctl_eof_ns && c->ctl_eof_ns + qc_timeout_ns < *next)
		*next = c->ctl_eof_ns + qc_timeout_ns;
	if (c->ctl.sid >= 0)
		return ctl_flush(c);
	if (c->server && now >= c->t0_ns + qc_timeout_ns) {
		qc_fail(c, ETIMEDOUT, "the client opened no control stream within %s",
			qc_timeout_words);
		return -1;
	}
	if (c->server && c->t0_ns + qc_timeout_ns < *next)
		*next = c->t0_ns + qc_timeout_ns;
	return 0;
}

/* The handshake is complete: a sender opens its one stream. */
static int open_stream(struct quic_conn *c)
{
	int rv;

	if (!c->send || c->tx_sid >= 0 || !ngtcp2_conn_get_handshake_completed(c->conn) ||
	    (!c->server && !c->confirmed))
		return 0;
	rv = ngtcp2_conn_open_uni_stream(c->conn, &c->tx_sid, NULL);
	if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED)
		return 0; /* the peer's MAX_STREAMS is still to come */
	if (rv) {
		qc_fail(c, EPROTO, "cannot open the QUIC data stream: %s", ngtcp2_strerror(rv));
		return -1;
	}
	return 0;
}

static void handshake_state(struct quic_conn *c)
{
	bool ok = c->conn && ngtcp2_conn_get_handshake_completed(c->conn);

	if (ok == c->handshaken && !c->err)
		return;
	ENG_STORE(c->handshaken, ok);
	if (c->err && !ok)
		ENG_STORE(c->hs_failed, true);
	eng_gate_kick(gate(c)); /* the client's start() waits for every handshake */
}

/*
 * The peer acknowledges nothing while we have bytes in flight: it went silent
 * even if its packets still reach us (a path that drops only our way). Only
 * acknowledgements lower bytes_in_flight (losses are declared from them too),
 * so a flat or growing figure for the idle timeout ends the connection. The
 * idle timer alone would not: the peer's own retransmissions restart it.
 */
static bool silent(struct quic_conn *c, uint64_t now, uint64_t *next)
{
	ngtcp2_conn_stat cs;

	ngtcp2_conn_get_conn_stat(c->conn, &cs);
	if (!cs.bytes_in_flight || cs.bytes_in_flight < c->inflight || !c->acked_ns)
		c->acked_ns = now;
	c->inflight = cs.bytes_in_flight;
	if (!cs.bytes_in_flight)
		return false;
	if (now - c->acked_ns >= qc_timeout_ns) {
		qc_fail(c, ETIMEDOUT, "the QUIC peer went silent (nothing acknowledged in %s)",
			qc_timeout_words);
		return true;
	}
	if (c->acked_ns + qc_timeout_ns < *next)
		*next = c->acked_ns + qc_timeout_ns;
	return false;
}

/* One turn: read, then write; 1 = ended cleanly, -1 = error (c->err set), 0 = go on. */
static int turn(struct quic_conn *c, uint64_t *deadline)
{
	uint64_t now = now_ns(), next = UINT64_MAX, exp;
	int rv;

	rv = rx(c, now);
	if (rv)
		return rv;
	if (!c->conn) { /* server, still waiting for the client's Initial */
		*deadline = c->t0_ns + qc_timeout_ns;
		if (now >= *deadline) {
			qc_fail(c, ETIMEDOUT, "no QUIC handshake from the client within %s",
				qc_timeout_words);
			return -1;
		}
		return 0;
	}
	now = now_ns(); /* after the reads: ngtcp2's clock never goes back */
	exp = ngtcp2_conn_get_expiry(c->conn);
	if (exp <= now) {
		rv = ngtcp2_conn_handle_expiry(c->conn, now);
		if (rv == NGTCP2_ERR_IDLE_CLOSE) {
			qc_fail(c, ETIMEDOUT, "the QUIC peer went silent (idle timeout %s)",
				qc_timeout_words);
			return -2;
		}
		if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
			qc_fail(c, ETIMEDOUT, "no QUIC handshake with the peer within %s",
				qc_timeout_words);
			return -2;
		}
		if (rv) {
			read_error(c, rv);
			return -1;
		}
	}
	handshake_state(c);
	if (open_stream(c) || ctl_turn(c, now, &next) || (c->link && quic_data_turn(c, now, &next)))
		return -1;
	rv = quic_tx(c, now, &next);
	if (rv) {
		if (rv > -4096 && rv < 0 && !c->err)
			qc_fail(c, -rv, "cannot send on the QUIC socket: %s", strerror(-rv));
		else
			read_error(c, rv);
		return -1;
	}
	publish(c);
	if (c->link && silent(c, now, &next))
		return -1;
	if (c->link)
		ENG_STORE(c->ctl_quiet, c->ctl.app_eof && !c->ctl.len);
	if (flows_done(c))
		return 1;
	exp = ngtcp2_conn_get_expiry(c->conn); /* re-read after every write */
	*deadline = exp < next ? exp : next;
	return 0;
}

static int conn_loop(struct quic_conn *c)
{
	uint64_t deadline = UINT64_MAX;
	int rv;

	if (!c->server && conn_client(c))
		return -1;
	for (;;) {
		if (eng_gate_stopped(gate(c)))
			return 1;
		c->st.turns++;
		rv = turn(c, &deadline);
		if (rv)
			return rv;
		wait_io(c, deadline);
	}
}

/*
 * A connection that failed after start() returned has no other way to the
 * user: flows carry only an errno. The server says it in its log (with the
 * peer); the client only for failures after the handshake (start() reports
 * the others, once).
 */
static void say_error(const struct quic_conn *c)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_storage *r = &c->remote;
	uint16_t port = 0;

	if (!c->err || (!c->server && !c->handshaken))
		return;
	if (r->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)r)->sin6_addr, addr,
			  sizeof(addr));
		port = ntohs(((const struct sockaddr_in6 *)r)->sin6_port);
	} else if (r->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)r)->sin_addr, addr, sizeof(addr));
		port = ntohs(((const struct sockaddr_in *)r)->sin_port);
	}
	if (c->link)
		pr_warn("QUIC connection with %s port %u: %s", addr, port, c->why);
	else
		pr_warn("QUIC stream %u with %s port %u: %s", c->idx, addr, port, c->why);
}

int quic_conn_begin(struct quic_conn *c)
{
	c->t0_ns = now_ns();
	sock_setup(c);
	return c->first ? rx_one(c, c->first, c->first_len, c->t0_ns) : 0;
}

int quic_conn_turn(struct quic_conn *c, uint64_t *deadline)
{
	return turn(c, deadline);
}

void quic_conn_end(struct quic_conn *c, int rv)
{
	if (rv == 1 && c->conn && ngtcp2_conn_is_in_draining_period(c->conn))
		c->tx_done = c->rx_done = true; /* the peer ended the test */
	if (rv != -2)
		close_conn(c, 0);
	publish(c);
	say_error(c);
	if (c->link) { /* what the peer said last reaches the control code, then EOF */
		quic_ctl_push(&c->ctl);
		shutdown(c->ctl.fd, SHUT_WR);
		quic_data_exit(c);
	}
	pr_debug(
		"quic stream %u: %s, sent %llu datagrams (%llu GSO sends), received %llu "
		"(%llu discarded, %llu socket drops), lost %llu, handshake %llu us, %llu turns, %llu sleeps",
		c->idx, c->err ? c->why : "ok", (unsigned long long)c->st.tx_dgrams,
		(unsigned long long)c->st.gso_sends, (unsigned long long)c->st.rx_dgrams,
		(unsigned long long)c->st.garbage, (unsigned long long)c->st.rcvbuf_drops,
		(unsigned long long)c->st.lost, (unsigned long long)(c->hs_ns / 1000),
		(unsigned long long)c->st.turns, (unsigned long long)c->st.sleeps);
	if (rv < 0)
		ENG_STORE(c->hs_failed, !c->handshaken);
	handshake_state(c);
	quic_eng_conn_exit(c->eng, c);
}

void *quic_conn_run(void *arg)
{
	struct quic_conn *c = arg;
	int rv = quic_conn_begin(c);

	if (!rv)
		rv = conn_loop(c);
	quic_conn_end(c, rv);
	return NULL;
}

int quic_conn_feed(struct quic_conn *c, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (!c->t0_ns)
		c->t0_ns = now;
	return rx_one(c, pkt, len, now);
}

void quic_conn_reset(struct quic_conn *c)
{
	if (c->conn)
		drop_conn(c);
	c->err = 0;
	c->why[0] = '\0';
	c->tx_sid = c->rx_sid = -1;
	c->tx_blocked = c->tx_fin = c->tx_done = c->rx_done = false;
	c->t0_ns = 0;
}
