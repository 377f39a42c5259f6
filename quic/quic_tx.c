// SPDX-License-Identifier: MIT
/*
 * The send path of a QUIC connection (quic_conn.c's thread): one packet per
 * ngtcp2_conn_writev_stream(), control bytes first, then data (one stream of
 * the per-stream layout, or the test's streams round-robin: quic_data.c);
 * consecutive packets into one buffer sent with UDP_SEGMENT.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "quic/engine_quic.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define QC_BATCH_MAX  65507u /* one GSO send: the largest UDP datagram */
#define QC_BATCH_PKTS 64u
#define QC_TX_BATCHES 8 /* GSO sends per turn, so ACKs are read while the window is open */

static struct eng_gate *gate(struct quic_conn *c)
{
	return &c->eng->gate;
}

/* Send len bytes of packets of gso bytes each (the last may be shorter). -EAGAIN: keep them. */
int quic_send_batch(struct quic_conn *c, const uint8_t *buf, size_t len, size_t gso)
{
	char ctl[CMSG_SPACE(sizeof(uint16_t))] = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t n;

	if (c->gso && len > gso) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		*(uint16_t *)(void *)CMSG_DATA(cm) = (uint16_t)gso;
	}
	do
		n = sendmsg(c->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		ENG_ADD(c->st.tx_dgrams, (len + gso - 1) / gso);
		if (msg.msg_control)
			ENG_ADD(c->st.gso_sends, 1);
		return 0;
	}
	if (errno == EAGAIN || errno == ENOBUFS)
		return -EAGAIN;
	if (msg.msg_control && (errno == EIO || errno == EINVAL)) {
		/* no GSO on this path: one datagram per packet from now on */
		c->gso = false;
		for (size_t off = 0; off < len; off += gso) {
			int err = quic_send_batch(c, buf + off, len - off < gso ? len - off : gso,
						  gso);

			if (err)
				return err; /* a partly sent batch: QUIC recovers the rest */
		}
		return 0;
	}
	if (errno == ECONNREFUSED)
		return 0; /* an ICMP error: loss for QUIC, the idle timer decides */
	return -errno;
}

/* Pacing credit toward -b (bytes of stream data), refilled per nanosecond. */
static uint64_t pace_credit(struct quic_conn *c, uint64_t now, uint64_t *next)
{
	uint64_t rate = c->eng->rate_per_conn, allowed;

	if (!rate)
		return UINT64_MAX;
	if (eng_gate_resumed(gate(c), &c->resume_gen) || !c->pace_t0) {
		c->pace_t0 = now;
		c->pace_sent = 0;
	}
	/* at least one packet of credit per run, so that slow rates still move */
	allowed = (uint64_t)((double)(now - c->pace_t0) * (double)rate / 1e9) + 1200;
	if (allowed > c->pace_sent)
		return allowed - c->pace_sent;
	*next = c->pace_t0 +
		(uint64_t)((double)(c->pace_sent - allowed + 1200) * 1e9 / (double)rate);
	return 0;
}

/*
 * What stream data the next packet may carry: 0 bytes and no FIN = none. Claims
 * from the -n budget as it goes; FIN once the budget is spent.
 */
static size_t data_room(struct quic_conn *c, uint64_t now, uint64_t *next, bool *fin)
{
	struct quic_eng *q = c->eng;
	uint64_t credit, room;

	*fin = false;
	if (!c->send || c->tx_sid < 0 || c->tx_fin || c->tx_blocked || eng_gate_paused(gate(c)))
		return 0;
	if (eng_gate_tx_stopped(gate(c))) {
		*fin = true;
		return 0;
	}
	if (!ngtcp2_conn_get_max_data_left(c->conn))
		return 0; /* connection-level blocking is not reported by ngtcp2 0.12 */
	credit = pace_credit(c, now, next);
	if (!credit)
		return 0;
	if (!c->pending)
		c->pending = eng_budget_claim(&q->budget, q->paylen);
	if (!c->pending) {
		*fin = true;
		return 0;
	}
	room = c->pending < credit ? c->pending : credit;
	return room < q->paylen ? (size_t)room : q->paylen;
}

/* Control bytes (or the control stream's FIN) wait to go, and may. */
static bool ctl_wants(struct quic_conn *c)
{
	const struct quic_ctl *q = &c->ctl;

	if (!c->link || q->sid < 0 || q->blocked || q->fin_sent)
		return false;
	if (q->len > q->sent)
		return ngtcp2_conn_get_max_data_left(c->conn) > 0;
	return q->app_eof;
}

/*
 * A packet with control bytes, which go before data. Sets *tried = false when
 * the control stream has nothing to send (or cannot), so data goes instead.
 */
static ngtcp2_ssize write_ctl(struct quic_conn *c, ngtcp2_path *path, uint8_t *buf, size_t max,
			      uint64_t now, bool *tried)
{
	ngtcp2_pkt_info pi;
	ngtcp2_vec v[2];
	ngtcp2_ssize n, data = -1;
	bool fin;
	size_t len;

	*tried = ctl_wants(c);
	if (!*tried)
		return 0;
	len = quic_ctl_unsent(&c->ctl, v, &fin);
	n = ngtcp2_conn_writev_stream(c->conn, path, &pi, buf, max, &data,
				      fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0, c->ctl.sid, v,
				      v[1].len ? 2 : 1, now);
	if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR) {
		c->ctl.blocked = n == NGTCP2_ERR_STREAM_DATA_BLOCKED;
		c->ctl.fin_sent = n == NGTCP2_ERR_STREAM_SHUT_WR;
		*tried = false;
		return 0;
	}
	if (n >= 0 && data >= 0)
		quic_ctl_sent(&c->ctl, (size_t)data, fin && (size_t)data == len);
	return n;
}

/* One packet into buf; 0 = nothing more to write now, <0 = a fatal ngtcp2 error. */
static ngtcp2_ssize write_one(struct quic_conn *c, uint8_t *buf, size_t max, uint64_t now,
			      uint64_t *next)
{
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	ngtcp2_vec v;
	ngtcp2_ssize n, data = -1;
	bool fin;
	size_t room;
	uint32_t flags;
	bool tried;

	ngtcp2_path_storage_zero(&ps);
	n = write_ctl(c, &ps.path, buf, max, now, &tried);
	if (tried)
		return n;
	if (c->link) {
		n = quic_data_write(c, &ps.path, buf, max, now, next, &tried);
		if (tried)
			return n;
		return ngtcp2_conn_writev_stream(c->conn, &ps.path, &pi, buf, max, NULL, 0, -1,
						 NULL, 0, now);
	}
	for (;;) {
		room = data_room(c, now, next, &fin);
		v = (ngtcp2_vec){.base = c->eng->payload, .len = room};
		flags = fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0;
		n = ngtcp2_conn_writev_stream(c->conn, &ps.path, &pi, buf, max, &data, flags,
					      room || fin ? c->tx_sid : -1, &v, 1, now);
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
			c->tx_blocked = true;
			continue;
		}
		if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
			c->tx_fin = true;
			continue;
		}
		break;
	}
	if (n < 0)
		return n;
	if (data > 0) {
		c->pending -= (uint64_t)data;
		c->pace_sent += (uint64_t)data;
		ENG_ADD(c->tx_bytes, (uint64_t)data);
		ENG_ADD(c->tx_calls, 1);
	}
	if (fin && data >= 0)
		c->tx_fin = true;
	return n;
}

/* Write until ngtcp2 has nothing more, in GSO batches. 0, or -errno / ngtcp2 error < 0. */
int quic_tx(struct quic_conn *c, uint64_t now, uint64_t *next)
{
	size_t maxpkt = ngtcp2_conn_get_max_tx_udp_payload_size(c->conn);
	size_t pmtu = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn);
	size_t npk = ngtcp2_conn_get_send_quantum(c->conn) / maxpkt, n = 0, off = 0, gso = 0;

	if (maxpkt > QC_HANDSHAKE_PKT && !ngtcp2_conn_get_handshake_completed(c->conn))
		maxpkt = QC_HANDSHAKE_PKT; /* large local packets only once the handshake is done */
	unsigned int batches = 0;
	ngtcp2_ssize w;
	int err = 0;

	if (c->txlen) { /* the batch EAGAIN left */
		err = quic_send_batch(c, c->txbuf, c->txlen, c->gso_size);
		if (err)
			return err == -EAGAIN ? 0 : err;
		c->txlen = 0;
	}
	npk = !c->gso || npk < 1 ? 1 : npk > QC_BATCH_PKTS ? QC_BATCH_PKTS : npk;
	for (;;) {
		w = write_one(c, c->txbuf + off, maxpkt, now, next);
		if (w < 0)
			return (int)w;
		if (w > 0 && n && (size_t)w > gso) {
			/* larger than the batch's segments (an ACK opened it): the batch goes first */
			err = quic_send_batch(c, c->txbuf, off, gso);
			if (err)
				goto held; /* the new packet is dropped: QUIC declares it lost */
			memmove(c->txbuf, c->txbuf + off, (size_t)w);
			off = n = 0;
		}
		if (w > 0) {
			gso = n ? gso : (size_t)w;
			off += (size_t)w;
			n++;
		}
		/* out it goes: nothing more, a short packet, full, or a PMTU probe */
		if (!w || (size_t)w < gso || n == npk || gso > pmtu ||
		    off + maxpkt > QC_BATCH_MAX) {
			err = off ? quic_send_batch(c, c->txbuf, off, gso) : 0;
			if (err)
				goto held;
			off = n = 0;
			now = quic_now_ns(); /* packets carry their real send time */
			/*
			 * Pacing per batch, as ngtcp2's own examples do: its next send time
			 * is this batch's length at the pacing rate. Once per call (8 batches)
			 * the debt could pass ngtcp2's 1 ms allowance and the thread slept
			 * until the full debt was due: 3-5 Gbit/s on loopback where it can do
			 * more.
			 */
			ngtcp2_conn_update_pkt_tx_time(c->conn, now);
			if (!w)
				break;
			if (++batches == QC_TX_BATCHES) {
				*next = now; /* more to write: read the ACKs first, then go on */
				break;
			}
		}
	}
	ngtcp2_conn_update_pkt_tx_time(c->conn, now);
	return 0;
held:
	if (err != -EAGAIN)
		return err;
	c->txlen = off;
	c->gso_size = gso;
	ngtcp2_conn_update_pkt_tx_time(c->conn, now);
	return 0;
}
