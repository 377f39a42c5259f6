/* SPDX-License-Identifier: MIT */
/*
 * Engine ops: the data plane behind one ops table. The control code (client.c,
 * server.c) creates and connects data sockets, hands them to an engine, and
 * samples it on its interval timer. It never branches on the transport beyond
 * choosing the engine.
 *
 * Life cycle: engine_new(ops) -> init(params) -> add_stream() per stream ->
 * start() -> sample() every interval / pause() / resume() -> stop() -> sample()
 * once more for the final counters -> destroy().
 *
 * Threads: each flow runs on its own thread; its counters live in a
 * cache-line-aligned struct written with relaxed atomics; sample() reads them
 * with a monotonic timestamp taken at the read. Counters are never reset.
 */
#ifndef XFR_ENGINE_ENGINE_H
#define XFR_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "model/sample.h"

struct engine_params {
	enum xfr_engine engine; /* the engine these are for (dataplane.c fills it) */
	enum xfr_proto proto;
	uint32_t streams;
	uint32_t length;  /* bytes per write; 0 = default (128 KiB TCP) */
	uint64_t bitrate; /* bits/s total across this side's sending flows; 0 = unlimited */
	/* bytes to send in total across this side's sending flows; 0 = none */
	uint64_t byte_budget;
	enum xfr_payload payload;
	enum xfr_zerocopy zerocopy;
	/* eventfd the engine writes 1 to when every flow has finished (budget sent,
	 * EOF received, or error); -1 = none */
	int done_fd;
	/* UDP */
	bool udp_feedback; /* receiving UDP flows send XFRF progress to the sender at 2 Hz */
	/* receiving UDP flows re-read before they sleep (the peer floods, -b 0); a paced
	 * peer's receivers sleep at once, which costs far less CPU per GB */
	bool rx_spin;
	bool udp_no_offload; /* do not try UDP_SEGMENT (GSO) / UDP_GRO */
	/* udp_auth_v1 (PSK sessions): XFRF carries a 16-byte HMAC-SHA256 under udp_key; the
	 * sender of a flow accepts no other */
	bool udp_auth;
	uint8_t udp_key[32];
	/* QUIC (engine_quic_ops) */
	char quic_pin[68]; /* client: the server certificate's SHA-256 (--quic-verify); "" = none */
	char quic_cc[16];  /* reno | cubic | bbr | bbr2; "" = bbr2 */
	const char *quic_ca; /* client: --quic-ca FILE (kept by the caller); NULL = none */
	const char
		*quic_name; /* client, with quic_ca: the name the certificate is for; NULL = any */
	/* all transports */
	uint32_t busy_poll_us; /* SO_BUSY_POLL on data sockets; 0 = off */
	const int *cpus;       /* --affinity: pin flow threads round-robin; NULL = no pinning */
	uint32_t ncpus;
	/* kernel data plane (engine_xdp_ops) */
	enum xfr_xdp_mode xdp_mode; /* resolved: DROP, PASS or REDIRECT */
	char iface[16];		    /* "" = the interface of each stream's route */
	uint32_t queues;	    /* AF_XDP sockets per side; 0 = one per stream */
	/* observers, any engine (engine_mon_new) */
	bool drop_reasons; /* kfree_skb reasons of this side's flows */
	bool bpf_tcp;	   /* per-flow TCP RTT/retransmits/delivered from BPF */
};

struct engine;

struct engine_ops {
	const char *name; /* "socket" */
	int (*init)(struct engine *e, const struct engine_params *p);
	/*
	 * Hand over a connected data socket for stream idx. send/recv say which
	 * directions this side runs on it (both for --bidir). The engine owns fd
	 * from here on, also on error. dir_send is the flow direction of what this
	 * side sends (UP on the client, DOWN on the server).
	 */
	int (*add_stream)(struct engine *e, uint32_t idx, int fd, bool send, bool recv,
			  enum xfr_flow_dir dir_send);
	int (*start)(struct engine *e);
	int (*sample)(struct engine *e, struct engine_sample *out);
	int (*pause)(struct engine *e);
	int (*resume)(struct engine *e);
	/* Stop every flow and join the threads. abortive: RST the sockets (time-bounded
	 * tests) instead of a graceful shutdown. Idempotent. */
	int (*stop)(struct engine *e, bool abortive);
	void (*destroy)(struct engine *e);
	/*
	 * Bytes this engine would take in this process for a test with @p (the
	 * engine kind and observer flags filled as dataplane_engine() fills them),
	 * this side sending (@send) and/or receiving (@recv) on every stream: its
	 * state, each flow's buffers (sized by the flow's rate, as the engine sizes
	 * them) and ENG_THREAD_MEM per flow thread. An upper bound of what the
	 * test adds to RSS, for a server's memory budget; kernel memory (socket
	 * buffers, BPF maps) is not in it. Pure: no allocation, no syscall.
	 */
	size_t (*mem_estimate)(const struct engine_params *p, bool send, bool recv);
};

/*
 * What one flow thread adds to RSS besides its buffers: the stack pages it
 * touches, its thread-local storage and its share of a malloc arena
 * (measured: ~50 KiB for a UDP sender at a low rate, its buffer aside).
 */
#define ENG_THREAD_MEM (64u * 1024)

#define ENGINE_WHY_MAX 160

struct engine {
	const struct engine_ops *ops;
	void *priv;
	/* why the last failing init/add_stream/start failed, one line; "" = only its -errno */
	char why[ENGINE_WHY_MAX];
	/*
	 * Set by start(): CLOCK_MONOTONIC when its flows were let go, the test
	 * clock's zero. 0: the run takes the instant it called start().
	 */
	uint64_t started_ns;
};

/*
 * The reason the last failing op (init, add_stream, start) gave, as one line
 * for the user ("veth1 already has an XDP program attached"), or NULL when
 * its -errno is all there is (also for a NULL engine). The engine does not
 * log it: the caller reports it once, and decides whether the peer hears it.
 */
const char *engine_last_error(const struct engine *e);

extern const struct engine_ops engine_sock_ops;
extern const struct engine_ops engine_xdp_ops;	/* engine_xdp.c: XDP/AF_XDP (UDP) */
extern const struct engine_ops engine_quic_ops; /* quic/engine_quic.c: QUIC (ngtcp2) */

/* True when @e is the XDP engine and its receiving flows end in XDP (drop, redirect). */
bool engine_xdp_sink(const struct engine *e);

/* Allocate an engine for ops; NULL with errno. */
struct engine *engine_new(const struct engine_ops *ops);

/* Wrap @inner: adds --drop-reasons (drop_reasons) and BPF TCP figures (bpf_tcp) of its flows
 * to its samples. Returns a new engine that owns inner, or NULL with errno and a one-line
 * reason in why when the BPF side cannot load. */
struct engine *engine_mon_new(struct engine *inner, bool drop_reasons, bool bpf_tcp, char *why,
			      size_t whylen);
/* What engine_mon_new() adds in this process (its state and loaded objects), in bytes. */
size_t engine_mon_mem_estimate(bool drop_reasons, bool bpf_tcp);

#endif
