// SPDX-License-Identifier: MIT
/* TCP_INFO reduced to what xfr reports (see tcpinfo.h). */
#include "engine/tcpinfo.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

/* Older kernels return a shorter struct: a field counts only if it was filled. */
#define TI_HAS(len, field)                                                                         \
	((len) >= offsetof(struct tcp_info, field) + sizeof(((struct tcp_info *)0)->field))

int tcpinfo_read(int fd, struct xfr_tcpinfo *ti)
{
	struct tcp_info k;
	socklen_t len = sizeof(k);

	memset(&k, 0, sizeof(k));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &k, &len) < 0)
		return -errno;
	memset(ti, 0, sizeof(*ti));
	ti->rtt_us = k.tcpi_rtt;
	ti->rttvar_us = k.tcpi_rttvar;
	ti->snd_cwnd = k.tcpi_snd_cwnd;
	ti->snd_mss = k.tcpi_snd_mss;
	ti->pmtu = k.tcpi_pmtu;
	ti->total_retrans = k.tcpi_total_retrans;
	if (TI_HAS(len, tcpi_bytes_acked))
		ti->bytes_acked = k.tcpi_bytes_acked;
	if (TI_HAS(len, tcpi_bytes_received))
		ti->bytes_received = k.tcpi_bytes_received;
	if (TI_HAS(len, tcpi_delivery_rate))
		ti->delivery_rate = k.tcpi_delivery_rate;
	return 0;
}
