// SPDX-License-Identifier: MIT
/* Retransmit spikes and loss bursts (see notable.h). */
#include "model/notable.h"

#include <stdio.h>

bool notable_retransmits(struct notable *n, const struct xfr_interval *iv, char *text, size_t len)
{
	struct xfr_flow sum;
	double mean;
	bool spike;

	result_sum(iv->flows, iv->nflows, RESULT_DIR_ALL, &sum);
	if (!sum.has_tcp)
		return false;
	mean = n->rtx_n ? (double)n->rtx_sum / n->rtx_n : 0;
	spike = n->rtx_n && sum.tcp.retransmits >= NOTABLE_RTX_MIN &&
		(double)sum.tcp.retransmits >= NOTABLE_RTX_FACTOR * (mean > 1 ? mean : 1);
	n->rtx_sum += sum.tcp.retransmits;
	n->rtx_n++;
	if (spike)
		snprintf(text, len,
			 "retransmit spike: %llu in %.2f-%.2f s (mean %.1f per interval before)",
			 (unsigned long long)sum.tcp.retransmits, iv->start_s, iv->end_s, mean);
	return spike;
}

bool notable_loss(struct notable *n, const struct xfr_interval *iv, char *text, size_t len)
{
	struct xfr_flow sum;
	bool was = n->in_loss;
	uint64_t seen;
	double pct;

	result_sum(iv->flows, iv->nflows, RESULT_DIR_ALL, &sum);
	if (!sum.has_udp_rx)
		return false;
	seen = sum.udp.packets_received + sum.udp.lost;
	pct = seen ? 100.0 * (double)sum.udp.lost / (double)seen : 0;
	n->in_loss = pct >= NOTABLE_LOSS_PCT && sum.udp.lost >= NOTABLE_LOSS_MIN;
	if (!n->in_loss || was)
		return false;
	snprintf(text, len, "loss burst: %llu of %llu datagrams (%.2f%%) lost in %.2f-%.2f s",
		 (unsigned long long)sum.udp.lost, (unsigned long long)seen, pct, iv->start_s,
		 iv->end_s);
	return true;
}
