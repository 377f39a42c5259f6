/* SPDX-License-Identifier: MIT */
/*
 * The control codec's own parts (proto.c: the message tables; proto_dec.c:
 * the decoder; proto_enc.c: the encoder). Layer: control.
 */
#ifndef XFR_CONTROL_PROTO_PRIV_H
#define XFR_CONTROL_PROTO_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/proto.h"
#include "base/config.h"

#define AT(base, off, type) ((type *)((char *)(base) + (off)))

/* Deeper input is refused before jansson sees it (its parser recurses). */
#define PROTO_MAX_DEPTH 32
#define DUMP_FLAGS	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
#define I64		((uint64_t)INT64_MAX) /* wire integers are int64 in jansson */
#define U32		((uint64_t)UINT32_MAX)
#define MIB		(1024ULL * 1024)
#define CAP_NAME_MAX	64
#define TYPE_PRINT_MAX	32
/*
 * Reals are written with 10 significant digits, which can round a value near
 * DBL_MAX up past it; bounding what we accept keeps every line we write
 * parseable. Rates are in Mbit/s: 1e15 is far beyond any link.
 */
#define DBL_FIELD_MAX 1e15
#define DBL_ANY_MAX   1e300

enum fkind {
	K_STR,	 /* UTF-8, no control characters, length min..max */
	K_SOFT,	 /* hello "client"/"server": K_STR plus from_server */
	K_ID,	 /* printable ASCII, length min..max */
	K_HEX,	 /* exactly max hex digits */
	K_CC,	 /* congestion name: [A-Za-z0-9_-] */
	K_TEXT,	 /* free text: truncated to max, control characters -> '?' */
	K_NAME,	 /* one of .names, kept as the string */
	K_PROTO, /* enum xfr_proto by name */
	K_DIR,	 /* enum xfr_dir by name */
	K_U64,
	K_U32,
	K_U16,
	K_DSCP, /* int, -1 = absent */
	K_BOOL,
	K_DBL,
	K_CAPS,	   /* hello capabilities */
	K_AUTH,	   /* hello auth {method, nonce} */
	K_PORTS,   /* test_ack data_ports */
	K_OBJ,	   /* nested object described by .sub */
	K_STREAMS, /* array of struct proto_stream; .has is the count's offset */
	K_JSON,	   /* any object, kept as serialized text (char *) */
	K_DROPS,   /* stream "drops_by_reason": {"rx": {REASON: n}, "tx": {...}} */
};

enum {
	F_REQ = 1, /* required on decode (null is a wrong type), always encoded */
	F_OUT = 2, /* optional on decode, always encoded */
	F_HAS = 4, /* presence flag (bool) at .has; else absent means zero/empty */
};

struct field {
	const char *name;
	unsigned char kind;
	unsigned char flags;
	size_t off;
	size_t has;
	uint64_t min, max; /* integers: value range; strings: length range */
	const struct field *sub;
	size_t nsub;
	const char *const *names; /* K_NAME: the values allowed, NULL-terminated */
};

struct dctx {
	json_t *obj;
	const char *prefix; /* "" or "streams[2]." for nested fields */
	char *err;
	size_t errlen;
};

#define FR(n, k, st, m, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_REQ, .off = offsetof(st, m), .min = lo, .max = hi \
	}
#define FO(n, k, st, m, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_OUT, .off = offsetof(st, m), .min = lo, .max = hi \
	}
#define FN(n, k, st, m, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .kind = k, .off = offsetof(st, m), .min = lo, .max = hi                 \
	}
#define FH(n, k, st, m, h, lo, hi)                                                                 \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_HAS, .off = offsetof(st, m),                      \
		.has = offsetof(st, h), .min = lo, .max = hi                                       \
	}
#define FOH(n, k, st, m, h, lo, hi)                                                                \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_OUT | F_HAS, .off = offsetof(st, m),              \
		.has = offsetof(st, h), .min = lo, .max = hi                                       \
	}
#define FNAME(n, st, m, list)                                                                      \
	{                                                                                          \
		.name = n, .kind = K_NAME, .off = offsetof(st, m), .names = list                   \
	}
#define FSUB(n, k, fl, st, m, h, tbl)                                                              \
	{                                                                                          \
		.name = n, .kind = k, .flags = fl, .off = offsetof(st, m), .has = h, .sub = tbl,   \
		.nsub = ARRAY_SIZE(tbl)                                                            \
	}

/* The wire names are config.h's tables; "" (default) is the absent xdp_mode. */
#define proto_names	 xfr_proto_names
#define dir_names	 xfr_dir_names
#define engine_req_names xfr_engine_req_names
#define engine_run_names xfr_engine_names
#define xdp_mode_names	 (xfr_xdp_mode_names + 1)

struct msg_desc {
	const char *name;
	const struct field *fields;
	size_t n;
};

/* proto.c: every message's field table, by type; the capability names by bit. */
extern const struct msg_desc pc_msgs[MSG__COUNT];
extern const char *const pc_cap_names[];
extern const size_t pc_ncap_names;
/* The bit of a capability's name; 0 for one we do not know (ignored). */
uint32_t pc_cap_bit(const char *name);

/* proto_dec.c, for the encoder too */
/* Upper bound of a real field: its own .max (percentages), else DBL_FIELD_MAX. */
double pc_dbl_max(const struct field *f);
/* The index of s[0..n) in a NULL-terminated name list, or -1. */
int pc_name_index(const char *const *names, const char *s, size_t n);
/* A kernel drop reason without its SKB_DROP_REASON_ prefix: [A-Z0-9_], 1..39 chars. */
bool pc_reason_ok(const char *s, size_t n);

#endif
