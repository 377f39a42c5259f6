// SPDX-License-Identifier: MIT
/*
 * What a sending flow of the socket engine does between two writes, whatever
 * its transport. A leaf under the transport loops (engine_sock.c -> tcp, udp
 * -> here -> engine_rt), so that the loops never call back into the engine.
 */
#include "engine/sock/engine_sock_priv.h"
#include "timeutil.h"

/* Hot path when not paused or paced: two relaxed loads and a flag test. */
bool sock_tx_hold(struct sock_flow *f, uint64_t bytes)
{
	struct eng_gate *g = &f->eng->gate;
	uint64_t now, d;

	if (eng_gate_paused(g)) {
		eng_gate_wait(g, 0);
		return true;
	}
	if (eng_gate_resumed(g, &f->resume_gen) && f->upace)
		pacing_reset(&f->pace, time_mono_ns());
	if (!f->upace)
		return false;
	now = time_mono_ns();
	d = pacing_delay_ns(&f->pace, bytes, now);
	if (!d)
		return false;
	eng_gate_wait(g, d > UINT64_MAX - now ? UINT64_MAX : now + d);
	return true;
}
