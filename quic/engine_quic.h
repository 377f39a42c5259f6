/* SPDX-License-Identifier: MIT */
/* The QUIC engine's private state, shared by engine_quic.c and quic_conn.c. */
#ifndef XFR_QUIC_ENGINE_QUIC_H
#define XFR_QUIC_ENGINE_QUIC_H

#include "engine/engine_rt.h"
#include "quic/quic_conn.h"

struct quic_eng {
	struct engine_params p;
	struct eng_budget budget;
	struct eng_gate gate;
	struct eng_done done;
	uint8_t *payload; /* what every sender writes */
	size_t paylen;
	uint64_t rate_per_conn; /* bytes/s; 0 = unlimited */
	bool pinned_warned, started;
	uint32_t nconns;
	struct quic_conn conns[XFR_MAX_STREAMS];
	pthread_t th[XFR_MAX_STREAMS];
	bool th_live[XFR_MAX_STREAMS];
	/* a test on a QUIC connection's streams (quic_link.c); conns[] only say the roles */
	struct quic_link *link;
	struct quic_conn *lc; /* its connection */
};

/* The thread of conn c ended: wake start() and count it out. */
void quic_eng_conn_exit(struct quic_eng *q, struct quic_conn *c);

#endif
