// SPDX-License-Identifier: MIT
/* The harness fuzz_quic_link's client and in-memory datagrams (see quic_peer.h). */
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fuzz/fuzz.h"
#include "fuzz/quic_peer.h"
#include "quic/quic_tls.h"

/* ------------------------------------------------------------ wrapped libc */

__thread bool qp_fake; /* this thread, while the harness drives: the harness's clock */
uint64_t qp_now;
int qp_srv_fd = -1;

int __real_clock_gettime(clockid_t id, struct timespec *ts);
ssize_t __real_sendmsg(int fd, const struct msghdr *m, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *m, int flags);

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	if (!qp_fake || id != CLOCK_MONOTONIC)
		return __real_clock_gettime(id, ts);
	ts->tv_sec = (time_t)(qp_now / 1000000000ull);
	ts->tv_nsec = (long)(qp_now % 1000000000ull);
	return 0;
}

struct qp_queue qp_to_srv, qp_to_cli;

void qp_push(struct qp_queue *q, const uint8_t *b, size_t n)
{
	struct qp_dgram *d;

	if (q->len == QP_QUEUE_MAX || !n)
		return; /* a full socket buffer drops */
	d = &q->d[(q->head + q->len) % QP_QUEUE_MAX];
	d->b = malloc(n);
	fuzz_assert(d->b != NULL, "out of memory");
	memcpy(d->b, b, n);
	d->n = n;
	q->len++;
}

bool qp_pop(struct qp_queue *q, struct qp_dgram *out)
{
	if (!q->len)
		return false;
	*out = q->d[q->head];
	q->head = (q->head + 1) % QP_QUEUE_MAX;
	q->len--;
	return true;
}

void qp_clear(struct qp_queue *q)
{
	struct qp_dgram d;

	while (qp_pop(q, &d))
		free(d.b);
	q->head = 0;
}

uint32_t qp_drop; /* the next datagrams toward the client are lost */

/* The server connection's sends: split as UDP_SEGMENT would, to the client. */
ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
	size_t gso = 0, len;
	const uint8_t *b;

	if (fd != qp_srv_fd || qp_srv_fd < 0)
		return __real_sendmsg(fd, m, flags);
	fuzz_assert(m->msg_iovlen == 1, "a QUIC send of more than one buffer");
	b = m->msg_iov[0].iov_base;
	len = m->msg_iov[0].iov_len;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR((struct msghdr *)m, cm))
		if (cm->cmsg_level == SOL_UDP)
			gso = *(const uint16_t *)(const void *)CMSG_DATA(cm);
	if (!gso || gso > len)
		gso = len;
	for (size_t off = 0; off < len; off += gso) {
		size_t n = len - off < gso ? len - off : gso;

		fuzz_assert(n <= 65527, "a datagram larger than UDP allows");
		if (qp_drop)
			qp_drop--;
		else
			qp_push(&qp_to_cli, b + off, n);
	}
	return (ssize_t)len;
}

/* The server connection's reads: the client's datagrams, one per call. */
ssize_t __wrap_recvmsg(int fd, struct msghdr *m, int flags)
{
	struct qp_dgram d;
	size_t n;

	if (fd != qp_srv_fd || qp_srv_fd < 0)
		return __real_recvmsg(fd, m, flags);
	if (!qp_pop(&qp_to_srv, &d)) {
		errno = EAGAIN;
		return -1;
	}
	n = d.n < m->msg_iov[0].iov_len ? d.n : m->msg_iov[0].iov_len;
	memcpy(m->msg_iov[0].iov_base, d.b, n);
	free(d.b);
	m->msg_controllen = 0;
	m->msg_flags = n < d.n ? MSG_TRUNC : 0;
	return (ssize_t)n;
}

/* ----------------------------------------------------------------- client */

struct qp_cli qp_cl;

static uint64_t rng_next(void)
{
	qp_cl.rng ^= qp_cl.rng << 13;
	qp_cl.rng ^= qp_cl.rng >> 7;
	qp_cl.rng ^= qp_cl.rng << 17;
	return qp_cl.rng;
}

static void cb_rand(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		dest[i] = (uint8_t)rng_next();
}

static int cb_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud)
{
	(void)conn;
	(void)ud;
	cb_rand(cid->data, cidlen, NULL);
	cb_rand(token, NGTCP2_STATELESS_RESET_TOKENLEN, NULL);
	cid->datalen = cidlen;
	return 0;
}

/* The server's data: counted by no one, credit straight back. */
static int cb_recv(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t off,
		   const uint8_t *data, size_t len, void *ud, void *sud)
{
	(void)flags;
	(void)off;
	(void)data;
	(void)ud;
	(void)sud;
	ngtcp2_conn_extend_max_stream_offset(conn, sid, len);
	ngtcp2_conn_extend_max_offset(conn, len);
	return 0;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct qp_cli *)ref->user_data)->conn;
}

ngtcp2_path qp_cli_path(void)
{
	return (ngtcp2_path){
		.local = {.addr = (ngtcp2_sockaddr *)&qp_cl.local, .addrlen = sizeof(qp_cl.local)},
		.remote = {.addr = (ngtcp2_sockaddr *)&qp_cl.remote,
			   .addrlen = sizeof(qp_cl.remote)},
	};
}

void qp_cli_new(uint64_t seed)
{
	ngtcp2_callbacks cb = {0};
	ngtcp2_settings s;
	ngtcp2_transport_params tp;
	ngtcp2_cid dcid = {.datalen = 18}, scid = {.datalen = 16};
	ngtcp2_path path;

	qp_cl.rng = seed | 1;
	qp_cl.local = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(40000)};
	qp_cl.remote = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(5201)};
	qp_cl.local.sin_addr.s_addr = qp_cl.remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	path = qp_cli_path();
	cb_rand(dcid.data, dcid.datalen, NULL);
	cb_rand(scid.data, scid.datalen, NULL);
	cb.client_initial = ngtcp2_crypto_client_initial_cb;
	cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
	cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb.encrypt = ngtcp2_crypto_encrypt_cb;
	cb.decrypt = ngtcp2_crypto_decrypt_cb;
	cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb.update_key = ngtcp2_crypto_update_key_cb;
	cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb.rand = cb_rand;
	cb.get_new_connection_id = cb_new_cid;
	cb.recv_stream_data = cb_recv;
	ngtcp2_settings_default(&s);
	s.initial_ts = qp_now;
	s.handshake_timeout = UINT64_MAX; /* the server's timeouts are under test, not ours */
	ngtcp2_transport_params_default(&tp);
	tp.initial_max_streams_bidi = 4;
	tp.initial_max_streams_uni = 16;
	tp.initial_max_stream_data_bidi_local = 256 * 1024;
	tp.initial_max_stream_data_bidi_remote = 256 * 1024;
	tp.initial_max_stream_data_uni = 256 * 1024;
	tp.initial_max_data = 1024 * 1024;
	tp.max_idle_timeout = 0;
	fuzz_assert(!ngtcp2_conn_client_new(&qp_cl.conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
					    &cb, &s, &tp, NULL, &qp_cl),
		    "cannot create the client");
	qp_cl.ref = (ngtcp2_crypto_conn_ref){.get_conn = get_conn, .user_data = &qp_cl};
	qp_cl.tls = quic_tls_client_new(&qp_cl.ref, NULL, false, NULL);
	fuzz_assert(qp_cl.tls != NULL, "cannot create the client's TLS session");
	ngtcp2_conn_set_tls_native_handle(qp_cl.conn, qp_cl.tls);
}

struct qp_chunk {
	struct qp_chunk *next;
	uint8_t b[];
};

void qp_cli_free(void)
{
	struct qp_chunk *k;

	ngtcp2_conn_del(qp_cl.conn);
	quic_tls_free(qp_cl.tls);
	while ((k = qp_cl.kept)) {
		qp_cl.kept = k->next;
		free(k);
	}
	memset(&qp_cl, 0, sizeof(qp_cl));
}

/* A packet of the client: to the server, and kept for the mutation ops. */
void qp_cli_out(const uint8_t *b, size_t n)
{
	uint32_t k = qp_cl.nsent++ % QP_SENT_KEEP;

	memcpy(qp_cl.sent[k], b, n);
	qp_cl.sent_len[k] = n;
	qp_push(&qp_to_srv, b, n);
}

/*
 * Write what the client has (sid -1: control frames, ACKs; else up to len
 * bytes of data on sid, FIN after them if fin). Bytes of data written.
 */
/* A copy of data that lives as long as the connection (NULL: past QP_KEEP_MAX). */
static const uint8_t *keep(const uint8_t *data, size_t len)
{
	struct qp_chunk *k;

	if (qp_cl.kept_len + len > QP_KEEP_MAX)
		return NULL;
	k = malloc(sizeof(*k) + len);
	fuzz_assert(k != NULL, "out of memory");
	memcpy(k->b, data, len);
	k->next = qp_cl.kept;
	qp_cl.kept = k;
	qp_cl.kept_len += len;
	return k->b;
}

size_t qp_cli_write(int64_t sid, const uint8_t *data, size_t len, bool fin)
{
	uint8_t buf[QP_PKT_MAX];
	ngtcp2_path path = qp_cli_path();
	ngtcp2_pkt_info pi;
	ngtcp2_vec v;
	ngtcp2_ssize n, taken;
	size_t done = 0;

	if (len && !(data = keep(data, len)))
		return 0;
	for (int k = 0; k < 256 && !qp_cl.dead; k++) {
		bool more = sid >= 0 && (done < len || fin);

		taken = -1;
		v = (ngtcp2_vec){.base = data ? (uint8_t *)data + done : NULL, .len = len - done};
		n = ngtcp2_conn_writev_stream(qp_cl.conn, &path, &pi, buf, sizeof(buf), &taken,
					      more && fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0,
					      more ? sid : -1, more ? &v : NULL, more ? 1 : 0,
					      qp_now);
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
		    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
			sid = -1; /* what else there is to send */
			continue;
		}
		if (n < 0 && sid >= 0 && !ngtcp2_err_is_fatal((int)n)) {
			sid = -1; /* a stream ngtcp2 will not write to now */
			continue;
		}
		if (n < 0) {
			qp_cl.dead = true;
			break;
		}
		if (taken >= 0 && more) {
			done += (size_t)taken;
			if (done == len && fin) { /* the FIN went with them */
				fin = false;
				sid = -1;
			}
		}
		if (!n)
			break;
		qp_cli_out(buf, (size_t)n);
	}
	if (!qp_cl.dead)
		ngtcp2_conn_update_pkt_tx_time(qp_cl.conn, qp_now);
	return done;
}

/* The server's datagrams into the client; its timers. */
void qp_cli_read(void)
{
	ngtcp2_path path = qp_cli_path();
	ngtcp2_pkt_info pi = {0};
	struct qp_dgram d;

	while (qp_pop(&qp_to_cli, &d)) {
		if (!qp_cl.dead &&
		    ngtcp2_conn_read_pkt(qp_cl.conn, &path, &pi, d.b, d.n, qp_now) < 0)
			qp_cl.dead = true;
		free(d.b);
	}
	if (!qp_cl.dead && ngtcp2_conn_get_expiry(qp_cl.conn) <= qp_now &&
	    ngtcp2_conn_handle_expiry(qp_cl.conn, qp_now))
		qp_cl.dead = true;
}
