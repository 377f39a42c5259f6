/* SPDX-License-Identifier: MIT */
/*
 * struct xfr_config: everything the command line, the environment (and later the
 * config file) decided. Filled once by cli_parse(), read-only afterwards.
 */
#ifndef XFR_BASE_CONFIG_H
#define XFR_BASE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define XFR_VERSION	      "0.1.0"
#define XFR_DEFAULT_PORT      5201
#define XFR_MAX_STREAMS	      128
#define XFR_DEFAULT_DURATION  10   /* seconds */
#define XFR_MAX_DURATION      3600 /* server hard cap, seconds */
#define XFR_DEFAULT_MAX_TESTS 100
#define XFR_DEFAULT_TCP_LEN                                                                        \
	(1024 * 1024) /* send() with 1 MiB writes: +30 % over 128K (docs/ENGINES.md) */
#define XFR_DEFAULT_UDP_LEN  1400
#define XFR_DEFAULT_UDP_RATE 1000000000ULL
#define XFR_MAX_CPUS	     256
#define XFR_MAX_WINDOW	     (512ULL * 1024 * 1024)

/* serve's budgets for a public address (docs/xfr.1, "LIMITS") */
#define XFR_DEFAULT_RATE_LIMIT	      8		   /* tests at a time per client address */
#define XFR_DEFAULT_PENDING_PER_IP    8		   /* unidentified connections per client address */
#define XFR_DEFAULT_RATE_WINDOW_MS    900000	   /* auth failures remembered: 15 min */
#define XFR_DEFAULT_MAX_PAUSE_S	      60	   /* paused time a test may add to its duration */
#define XFR_DEFAULT_MAX_STREAMS_TOTAL 1024	   /* streams over all running tests */
#define XFR_DEFAULT_MAX_MEMORY	      (1ull << 30) /* test buffers, at most (and a quarter of RAM) */

/*
 * [[presets]] of the config file (docs/CONFIG.md): named server policies, read and
 * checked by cli/config_file.c, applied by the server's access control (--preset).
 */
#define XFR_MAX_PRESETS	       16
#define XFR_PRESET_MAX_CLIENTS 16
#define XFR_PRESET_NAME_MAX    64
#define XFR_CIDR_MAX	       50 /* INET6_ADDRSTRLEN + "/128" */

struct xfr_preset {
	char name[XFR_PRESET_NAME_MAX];
	uint64_t bandwidth_limit; /* bits/s per test; 0 = none */
	uint32_t max_duration_s;  /* 0 = none */
	uint32_t nclients;	  /* allowed_clients: 0 = no extra allowlist */
	char allowed_clients[XFR_PRESET_MAX_CLIENTS][XFR_CIDR_MAX]; /* "ADDR" or "ADDR/LEN" */
};

enum xfr_mode {
	XFR_MODE_CLIENT,
	XFR_MODE_SERVE,
	XFR_MODE_DOCTOR, /* xfr doctor: what this host supports */
};

enum xfr_proto {
	XFR_PROTO_TCP,
	XFR_PROTO_UDP,
	XFR_PROTO_QUIC,
};

enum xfr_dir {
	XFR_DIR_UPLOAD,	  /* client sends */
	XFR_DIR_DOWNLOAD, /* -R: server sends */
	XFR_DIR_BIDIR,
};

enum xfr_format {
	XFR_FMT_PLAIN,
	XFR_FMT_JSON,
	XFR_FMT_JSON_STREAM,
	XFR_FMT_CSV,
};

enum xfr_ts_format {
	XFR_TS_RELATIVE, /* seconds since the test started, "%.3f" */
	XFR_TS_ISO8601,	 /* UTC, 2026-11-26T23:40:01.123Z */
	XFR_TS_UNIX,	 /* epoch seconds, "%.3f" */
};

enum xfr_family {
	XFR_AF_ANY,
	XFR_AF_INET,
	XFR_AF_INET6,
};

enum xfr_payload {
	XFR_PAYLOAD_RANDOM,
	XFR_PAYLOAD_ZEROS,
};

enum xfr_zerocopy {
	XFR_ZC_AUTO,	 /* TCP senders measure send() and sendfile() and keep the faster */
	XFR_ZC_OFF,	 /* --no-zerocopy: plain send() */
	XFR_ZC_SENDFILE, /* -Z / --zerocopy=sendfile: sendfile(2) from a memfd, warn if impossible */
	XFR_ZC_MSG,	 /* --zerocopy=msg: MSG_ZEROCOPY with completion reaping */
};

/* --engine: the data plane (docs/ENGINES.md). */
enum xfr_engine_req {
	XFR_ENGINE_SOCKET, /* sockets only (client default) */
	XFR_ENGINE_AUTO,   /* XDP where interface, privileges and kernel allow, else sockets */
	XFR_ENGINE_XDP,	   /* XDP receiver + in-kernel live-frames generator */
	XFR_ENGINE_AFXDP,  /* XDP receiver redirecting to AF_XDP + AF_XDP TX generator */
};

/* The engine that runs one side's data plane (what --engine resolved to). */
enum xfr_engine {
	XFR_ENG_SOCKET, /* TCP and UDP over sockets */
	XFR_ENG_XDP,	/* XDP receiver, in-kernel live-frames generator */
	XFR_ENG_AFXDP,	/* XDP receiver redirecting to AF_XDP, AF_XDP TX generator */
	XFR_ENG_QUIC,	/* QUIC (quic/): its own engine whatever --engine says */
};

/* --xdp-mode: what the XDP receiver does with a counted test packet. */
enum xfr_xdp_mode {
	XFR_XDP_MODE_DEFAULT,  /* drop for xdp, redirect for afxdp */
	XFR_XDP_MODE_DROP,     /* count-and-drop: the sink for floods */
	XFR_XDP_MODE_PASS,     /* count-and-pass: the socket still receives */
	XFR_XDP_MODE_REDIRECT, /* count, then redirect to AF_XDP sockets */
};

enum xfr_log_level {
	XFR_LOG_ERROR,
	XFR_LOG_WARN,
	XFR_LOG_INFO,
	XFR_LOG_DEBUG,
};

/*
 * The one vocabulary: each enum's names, in one table per enum (config.c).
 * name() never returns NULL ("?" for a value out of range); parse() returns
 * the value or -1. The wire (control/proto.c) and the command line use the
 * same tables.
 */
extern const char *const xfr_proto_names[];	 /* "tcp", "udp", "quic", NULL */
extern const char *const xfr_dir_names[];	 /* "upload", "download", "bidir", NULL */
extern const char *const xfr_engine_req_names[]; /* "socket", "auto", "xdp", "afxdp", NULL */
extern const char *const xfr_engine_names[];	 /* "socket", "xdp", "afxdp", "quic", NULL */
/* "", "drop", "pass", "redirect", NULL: DEFAULT is "" (the wire's absent value) */
extern const char *const xfr_xdp_mode_names[];

const char *xfr_proto_name(enum xfr_proto p);
int xfr_proto_parse(const char *s);
const char *xfr_dir_name(enum xfr_dir d);
const char *xfr_engine_req_name(enum xfr_engine_req r);
int xfr_engine_req_parse(const char *s);
const char *xfr_engine_name(enum xfr_engine e);
int xfr_engine_parse(const char *s);
const char *xfr_xdp_mode_name(enum xfr_xdp_mode m);
int xfr_xdp_mode_parse(const char *s);
/* Index of s in a NULL-terminated table, or -1. */
int xfr_name_index(const char *const *names, const char *s);

/* Bytes per write (TCP) or per datagram (UDP) when -l is not given. */
uint32_t xfr_default_length(enum xfr_proto p);

struct acl; /* base/acl.h */

struct xfr_config {
	enum xfr_mode mode;

	/* shared */
	uint16_t port;		      /* -p, XFR_PORT; default 5201 */
	enum xfr_family family;	      /* -4 / -6 */
	char bind[128];		      /* client --bind ADDR[:PORT] / server -B ADDR; "" = none */
	enum xfr_log_level log_level; /* --log-level, XFR_LOG_LEVEL */
	char log_file[4096];	      /* --log-file, XFR_LOG_FILE; "" = stderr */

	/* client: what to run */
	char host[256];	      /* positional HOST */
	uint32_t duration_s;  /* -t, XFR_DURATION; 0 = until stopped */
	bool duration_set;    /* -t given (else default 10, or none with -n) */
	uint64_t bytes;	      /* -n, XFR_BYTES: total budget across streams; 0 = none */
	enum xfr_proto proto; /* -u: UDP; TCP otherwise */
	enum xfr_dir dir;     /* -R / --bidir */
	uint32_t streams;     /* -P 1..128 */
	uint64_t bitrate;     /* -b bits/s total across streams; 0 = unlimited */
	bool bitrate_set;
	uint32_t length;	  /* -l write size (TCP) / datagram size (UDP); 0 = default */
	uint64_t window;	  /* -w SO_SNDBUF+SO_RCVBUF bytes; 0 = autotune */
	char congestion[16];	  /* --congestion; "" = system default */
	int tos;		  /* --dscp as a TOS byte; -1 = unset */
	bool nodelay;		  /* --tcp-nodelay */
	bool mptcp;		  /* --mptcp */
	uint16_t cport;		  /* --cport: first data source port; 0 = ephemeral */
	enum xfr_payload payload; /* --random (default) / --zeros */
	enum xfr_zerocopy zerocopy;
	uint32_t connect_timeout_ms; /* --connect-timeout; 0 = kernel default */
	int cpus[XFR_MAX_CPUS];	     /* --affinity LIST: pin stream threads round-robin */
	uint32_t ncpus;		     /* 0 = no pinning */
	uint32_t busy_poll_us;	     /* --busy-poll USEC: SO_BUSY_POLL on data sockets */
	bool probe_mtu;		     /* --probe-mtu: path-MTU probe instead of a throughput test */
	bool no_offload;	     /* --no-gso: no UDP_SEGMENT / UDP_GRO (for comparisons) */
	char quic_verify[68];	     /* -Q --quic-verify: the server's SHA-256, hex; "" = none */
	char quic_cc[16];	     /* -Q --congestion: reno, cubic, bbr, bbr2; "" = bbr2 */
	char quic_ca[1024];	     /* -Q --quic-ca FILE: verify against these roots; "" = none */

	/* kernel data plane (client and server) */
	enum xfr_engine_req engine; /* --engine; client default socket, server default auto */
	bool engine_set;
	char iface[16];	 /* --iface; "" = the interface of the route to the peer */
	uint32_t queues; /* --queues: AF_XDP sockets / generator threads; 0 = one per stream */
	enum xfr_xdp_mode xdp_mode; /* --xdp-mode */
	bool drop_reasons;	    /* --drop-reasons: kfree_skb reasons for the test's flows */

	/* client: how to report */
	uint32_t interval_ms;	      /* -i; default 1000; 0 = no interval rows */
	uint32_t omit_ms;	      /* --omit: hide rows ending at or before this */
	enum xfr_ts_format ts_format; /* --timestamp-format, XFR_TIMESTAMP_FORMAT */
	enum xfr_format format;	      /* --json / --json-stream / --csv / plain */
	bool quiet;		      /* -q: summary only */
	char output_file[4096];	      /* -o FILE: also write the JSON result there; "" = none */
	bool get_server_output;	      /* --get-server-output */
	bool no_tui;		      /* --no-tui: plain rows even on a terminal */
	bool tui;		      /* serve --tui: the live dashboard */

	/* server */
	bool one_off; /* --one-off */
	/* --timestamps / --no-timestamps: stamp log lines; auto = when stderr is not a terminal */
	enum xfr_log_ts { XFR_LOG_TS_AUTO, XFR_LOG_TS_ON, XFR_LOG_TS_OFF } log_ts;
	uint32_t max_duration_s; /* --max-duration; 0 = only the 3600 s hard cap */
	uint32_t max_tests;	 /* --max-tests; default 100 */
	char quic_cert[1024];	 /* --quic-cert PEM; "" = kept in the config directory */
	char quic_key[1024];	 /* --quic-key PEM, with --quic-cert */

	/* server: budgets and limits (server/admit.c) */
	uint32_t rate_limit;	 /* --rate-limit: tests at a time per client address; 0 = none */
	uint32_t max_pending_ip; /* --max-pending-per-ip: unidentified connections; 0 = none */
	/* --rate-limit-window: how long an address's auth failures are remembered (a window
	 * without one forgets them) and the longest back-off (server/guard.h) */
	uint64_t rate_limit_window_ms;
	uint32_t max_pause_s;	    /* --max-pause: paused time a test may add to its duration */
	uint32_t max_streams;	    /* --max-streams: per test, 1..128 */
	uint32_t max_streams_total; /* --max-total-streams: over all running tests */
	uint64_t max_bandwidth;	    /* --max-bandwidth: bits/s per test, each direction; 0 = none */
	uint64_t
		max_memory; /* --max-memory: bytes of test buffers in all; 0 = the host's default */
	uint16_t data_port_lo; /* --data-port-range LO-HI for per-stream ports; 0 = ephemeral */
	uint16_t data_port_hi;

	/* who may test (cli/cli_sec.c, docs/SECURITY.md); config keys psk, allow, deny, acl_file */
	char psk[1025];	  /* --psk, --psk-file, XFR_PSK: 1..1024 bytes; "" = none */
	uint32_t psk_len; /* 0 = no PSK */
	struct acl *acl;  /* server: --allow, --deny, --acl-file (base/acl.h); NULL = anyone */
	struct acl
		*preset_acl; /* server: --preset\'s allowed_clients, on top of acl; NULL = none */

	/* server: metrics (metrics/) */
	uint16_t prometheus_port; /* --prometheus PORT; 0 = no endpoint */
	char prometheus_bind[64]; /* --prometheus-bind; default 127.0.0.1 */
	char push_gateway[1024];  /* --push-gateway URL, XFR_PUSH_GATEWAY; "" = none */
	bool no_mdns;		  /* --no-mdns: do not announce _xfr._tcp.local. */

	/* config file (cli/config_file.c) */
	char config_path[4096]; /* the file that was read; "" = none */
	uint32_t npresets;
	struct xfr_preset presets[XFR_MAX_PRESETS];
};

#endif
