/* SPDX-License-Identifier: MIT */
/* TCP_INFO sampling, reduced to the fields xfr reports. */
#ifndef XFR_ENGINE_TCPINFO_H
#define XFR_ENGINE_TCPINFO_H

#include <stdbool.h>
#include <stdint.h>

struct xfr_tcpinfo {
	uint32_t rtt_us;	 /* tcpi_rtt */
	uint32_t rttvar_us;	 /* tcpi_rttvar */
	uint32_t snd_cwnd;	 /* tcpi_snd_cwnd, segments */
	uint32_t snd_mss;	 /* tcpi_snd_mss, bytes */
	uint32_t pmtu;		 /* tcpi_pmtu */
	uint64_t total_retrans;	 /* tcpi_total_retrans, cumulative */
	uint64_t bytes_acked;	 /* tcpi_bytes_acked */
	uint64_t bytes_received; /* tcpi_bytes_received */
	uint64_t delivery_rate;	 /* tcpi_delivery_rate, bytes/s */
};

/* getsockopt(TCP_INFO); 0 or -errno. */
int tcpinfo_read(int fd, struct xfr_tcpinfo *ti);

#endif
