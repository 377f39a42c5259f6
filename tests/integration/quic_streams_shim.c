// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for test_quic.sh: a QUIC peer that opens fewer data streams
 * than its test asked for. With XT_QUIC_STREAMS=N the process's first N
 * ngtcp2_conn_open_uni_stream() calls go through and the rest are answered
 * NGTCP2_ERR_STREAM_ID_BLOCKED, which xfr takes as "wait for the peer's
 * MAX_STREAMS": an upload (or, in a server, a download) runs N streams where
 * test_start asked for more. xfr itself has no way to do this; only the test
 * build makes the shim (make unit).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include <ngtcp2/ngtcp2.h>

typedef int (*open_fn)(ngtcp2_conn *conn, int64_t *psid, void *ud);

int ngtcp2_conn_open_uni_stream(ngtcp2_conn *conn, int64_t *psid, void *ud)
{
	static unsigned opened;
	const char *max = getenv("XT_QUIC_STREAMS");
	open_fn real = (open_fn)dlsym(RTLD_NEXT, "ngtcp2_conn_open_uni_stream");
	int rv;

	if (!real)
		abort();
	if (max && __atomic_load_n(&opened, __ATOMIC_RELAXED) >= strtoul(max, NULL, 10))
		return NGTCP2_ERR_STREAM_ID_BLOCKED;
	rv = real(conn, psid, ud);
	if (!rv)
		__atomic_add_fetch(&opened, 1, __ATOMIC_RELAXED);
	return rv;
}
