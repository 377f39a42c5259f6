// SPDX-License-Identifier: MIT
/*
 * What every printer shares: checked writes (a full disk or a closed pipe
 * must become an error, never a silent success), delivered-byte sums,
 * timestamps, UDP and kernel figures.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/printers.h"

static int output_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

int output_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int ret;

	errno = 0;
	va_start(ap, fmt);
	ret = vfprintf(f, fmt, ap);
	va_end(ap);
	if (ret < 0 || ferror(f))
		return output_errno();
	return 0;
}

int output_flush(FILE *f)
{
	errno = 0;
	if (fflush(f) || ferror(f))
		return output_errno();
	return 0;
}

uint64_t output_delivered(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		unsigned bit = flows[i].dir == XFR_FLOW_DOWN ? RESULT_DIR_DOWN : RESULT_DIR_UP;

		if (dir_mask & bit)
			sum += result_flow_bytes(&flows[i]);
	}
	return sum;
}

unsigned output_dirs(const struct xfr_flow *flows, uint32_t n)
{
	unsigned mask = 0;

	for (uint32_t i = 0; i < n; i++)
		mask |= flows[i].dir == XFR_FLOW_DOWN ? RESULT_DIR_DOWN : RESULT_DIR_UP;
	return mask;
}

double output_mbps(uint64_t bytes, double secs)
{
	if (!(secs > 0))
		return 0;
	return (double)bytes * 8 / 1e6 / secs;
}

char *output_iso8601(uint64_t wall_us, char *buf, size_t len)
{
	time_t sec = (time_t)(wall_us / 1000000);
	unsigned ms = (unsigned)(wall_us / 1000 % 1000);
	struct tm tm;
	char day[32];

	if (!gmtime_r(&sec, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "invalid-time");
		return buf;
	}
	snprintf(buf, len, "%s.%03uZ", day, ms);
	return buf;
}

char *output_timestamp(const struct xfr_result *r, const struct xfr_interval *iv,
		       enum xfr_ts_format fmt, char *buf, size_t len)
{
	(void)r;
	switch (fmt) {
	case XFR_TS_ISO8601:
		return output_iso8601(iv->wall_end_us, buf, len);
	case XFR_TS_UNIX:
		/* Integer maths: the same truncated milliseconds as the ISO form. */
		snprintf(buf, len, "%llu.%03llu", (unsigned long long)(iv->wall_end_us / 1000000),
			 (unsigned long long)(iv->wall_end_us / 1000 % 1000));
		return buf;
	case XFR_TS_RELATIVE:
		break;
	}
	snprintf(buf, len, "%.3f", iv->end_s);
	return buf;
}

bool output_is_udp(const struct xfr_result *r)
{
	return r->proto == XFR_PROTO_UDP;
}

const char *output_gso_iface(const struct xfr_result *r, unsigned mask, const struct xfr_flow *sum)
{
	int dir;

	if (mask == RESULT_DIR_ALL)
		mask = r->dir == XFR_DIR_BIDIR	    ? 0
		       : r->dir == XFR_DIR_DOWNLOAD ? RESULT_DIR_DOWN
						    : RESULT_DIR_UP;
	if (!mask || !output_is_udp(r) || !sum->udp.gso_sends)
		return NULL;
	dir = mask == RESULT_DIR_DOWN ? XFR_FLOW_DOWN : XFR_FLOW_UP;
	return r->gso_iface[dir][0] ? r->gso_iface[dir] : NULL;
}

double output_lost_percent(const struct xfr_udp_stats *u)
{
	uint64_t total = u->packets_received + u->lost;

	return total ? (double)u->lost * 100 / (double)total : 0;
}

uint64_t output_udp_sent(const struct xfr_flow *f)
{
	return f->has_udp_tx ? f->udp.packets_sent : f->udp.packets_received + f->udp.lost;
}

const char *output_mtu_verdict_name(enum xfr_mtu_verdict v)
{
	switch (v) {
	case XFR_MTU_PASS:
		return "Pass";
	case XFR_MTU_FAIL:
		return "Fail";
	case XFR_MTU_LOCAL_LIMIT:
		return "LocalLimit";
	case XFR_MTU_UNTESTED:
		break;
	}
	return "Untested";
}

uint64_t output_drops_total(const struct xfr_drops *d)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < d->n && i < XFR_MAX_DROP_REASONS; i++)
		sum += d->d[i].packets;
	return sum;
}

bool output_has_kernel(const struct xfr_flow *flows, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct xfr_flow *f = &flows[i];

		if (f->has_xdp || f->has_drops_rx || f->has_drops_tx || f->has_bpf_tcp)
			return true;
	}
	return false;
}

/* Room for every reason of every flow before the fold into "OTHER". */
struct drop_acc {
	uint32_t n;
	struct xfr_drop d[XFR_MAX_DROP_REASONS * 4];
};

static void drop_acc_add(struct drop_acc *a, const struct xfr_drops *d)
{
	for (uint32_t i = 0; i < d->n && i < XFR_MAX_DROP_REASONS; i++) {
		uint32_t j;

		for (j = 0; j < a->n && strcmp(a->d[j].reason, d->d[i].reason); j++)
			;
		if (j == a->n) {
			if (a->n == sizeof(a->d) / sizeof(a->d[0]))
				j = a->n - 1; /* beyond all room: counted with the last one */
			else
				a->d[a->n++] = (struct xfr_drop){.packets = 0};
			if (!a->d[j].reason[0])
				snprintf(a->d[j].reason, sizeof(a->d[j].reason), "%.39s",
					 d->d[i].reason);
		}
		a->d[j].packets += d->d[i].packets;
	}
}

static void bpf_add(struct xfr_bpf_tcp *acc, const struct xfr_bpf_tcp *b, double *rtt_sum)
{
	if (b->rtt_samples) {
		if (!acc->rtt_samples || b->rtt_min_us < acc->rtt_min_us)
			acc->rtt_min_us = b->rtt_min_us;
		if (b->rtt_max_us > acc->rtt_max_us)
			acc->rtt_max_us = b->rtt_max_us;
		*rtt_sum += (double)b->rtt_avg_us * (double)b->rtt_samples;
	}
	acc->rtt_samples += b->rtt_samples;
	acc->retransmits += b->retransmits;
	acc->delivered += b->delivered;
}

void output_kernel_sum(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask,
		       struct xfr_flow *sum)
{
	struct drop_acc rx = {0}, tx = {0};
	double rtt_sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct xfr_flow *f = &flows[i];
		unsigned bit = f->dir == XFR_FLOW_DOWN ? RESULT_DIR_DOWN : RESULT_DIR_UP;

		if (!(dir_mask & bit))
			continue;
		if (f->has_xdp) {
			sum->xdp_sink = sum->has_xdp ? sum->xdp_sink && f->xdp_sink : f->xdp_sink;
			sum->has_xdp = true;
			sum->xdp_packets += f->xdp_packets;
			sum->xdp_bytes += f->xdp_bytes;
		}
		if (f->has_drops_rx) {
			sum->has_drops_rx = true;
			drop_acc_add(&rx, &f->drops_rx);
		}
		if (f->has_drops_tx) {
			sum->has_drops_tx = true;
			drop_acc_add(&tx, &f->drops_tx);
		}
		if (f->has_bpf_tcp) {
			sum->has_bpf_tcp = true;
			bpf_add(&sum->bpf_tcp, &f->bpf_tcp, &rtt_sum);
		}
	}
	result_drops_fold(rx.d, rx.n, &sum->drops_rx);
	result_drops_fold(tx.d, tx.n, &sum->drops_tx);
	if (sum->bpf_tcp.rtt_samples)
		sum->bpf_tcp.rtt_avg_us =
			(uint32_t)(rtt_sum / (double)sum->bpf_tcp.rtt_samples + 0.5);
}
