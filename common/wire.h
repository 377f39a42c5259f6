/* SPDX-License-Identifier: MIT */
/*
 * UDP wire formats of protocol 1.1 (docs/PROTOCOL.md). All multi-byte fields
 * are big-endian. Header-only, no libc, fixed-size types only: the XDP programs
 * (bpf/xdp_count.bpf.c, bpf/xdp_gen.bpf.c) include it too.
 *
 * Data datagram:  [0..8) sequence u64 (per stream, from 0)
 *                 [8..16) timestamp u64, microseconds since the sender's stream start
 *                 then payload (random or zeros); whole datagram 16..65507 bytes.
 * XFRF feedback:  36 bytes, receiver -> sender on the data socket, 2 Hz, upload mode:
 *                 "XFRF" | ver 1 | kind 1 | flags u16 0 | stream_id u16 | reserved u16 0 |
 *                 elapsed_ms u64 | packets_received u64 | packets_lost u64   (cumulative)
 * Hello / ack:    24 bytes: "\0XFR" | ver 1 | kind 1 = hello, 2 = ack | stream_index u16 |
 *                 token 16 bytes (the test's udp_token, hex-decoded)
 * MTU probe:      "XFRP" | ver 1 | kind 1 probe, 2 ack, 3 echo | flags u16 0 | seq u32 |
 *                 declared_size u16 | reserved u16 0 | padding to declared_size (ack: 16 bytes)
 */
#ifndef XFR_COMMON_WIRE_H
#define XFR_COMMON_WIRE_H

#include <linux/types.h>

#define XFR_UDP_HDR_LEN	    16
#define XFR_UDP_MAX_PAYLOAD 65507 /* IPv4 */
#define XFR_FEEDBACK_LEN    36
#define XFR_HELLO_LEN	    24
#define XFR_PROBE_HDR_LEN   16
#define XFR_TOKEN_LEN	    16

#define XFR_HELLO_KIND_HELLO 1
#define XFR_HELLO_KIND_ACK   2
#define XFR_PROBE_KIND_PROBE 1
#define XFR_PROBE_KIND_ACK   2
#define XFR_PROBE_KIND_ECHO  3

static inline void wire_put_be64(unsigned char *p, __u64 v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static inline __u64 wire_get_be64(const unsigned char *p)
{
	__u64 v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void wire_put_be32(unsigned char *p, __u32 v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline __u32 wire_get_be32(const unsigned char *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void wire_put_be16(unsigned char *p, __u16 v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static inline __u16 wire_get_be16(const unsigned char *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Data header. */
static inline void wire_data_put(unsigned char *p, __u64 seq, __u64 ts_us)
{
	wire_put_be64(p, seq);
	wire_put_be64(p + 8, ts_us);
}

struct wire_feedback {
	__u16 stream_id;
	__u64 elapsed_ms;
	__u64 packets_received;
	__u64 packets_lost;
};

static inline void wire_feedback_put(unsigned char *p, const struct wire_feedback *f)
{
	p[0] = 'X', p[1] = 'F', p[2] = 'R', p[3] = 'F';
	p[4] = 1;
	p[5] = 1;
	wire_put_be16(p + 6, 0);
	wire_put_be16(p + 8, f->stream_id);
	wire_put_be16(p + 10, 0);
	wire_put_be64(p + 12, f->elapsed_ms);
	wire_put_be64(p + 20, f->packets_received);
	wire_put_be64(p + 28, f->packets_lost);
}

/* Length first, then magic, version and kind: 1 = a feedback packet. */
static inline int wire_feedback_get(const unsigned char *p, __u32 len, struct wire_feedback *f)
{
	if (len != XFR_FEEDBACK_LEN || p[0] != 'X' || p[1] != 'F' || p[2] != 'R' || p[3] != 'F' ||
	    p[4] != 1 || p[5] != 1)
		return 0;
	f->stream_id = wire_get_be16(p + 8);
	f->elapsed_ms = wire_get_be64(p + 12);
	f->packets_received = wire_get_be64(p + 20);
	f->packets_lost = wire_get_be64(p + 28);
	return 1;
}

static inline void wire_hello_put(unsigned char *p, __u8 kind, __u16 stream,
				  const unsigned char token[XFR_TOKEN_LEN])
{
	p[0] = 0, p[1] = 'X', p[2] = 'F', p[3] = 'R';
	p[4] = 1;
	p[5] = kind;
	wire_put_be16(p + 6, stream);
	for (int i = 0; i < XFR_TOKEN_LEN; i++)
		p[8 + i] = token[i];
}

/* 1 = a hello/ack of the given kind (stream and token filled), 0 = not one. */
static inline int wire_hello_get(const unsigned char *p, __u32 len, __u8 kind, __u16 *stream,
				 unsigned char token[XFR_TOKEN_LEN])
{
	if (len != XFR_HELLO_LEN || p[0] != 0 || p[1] != 'X' || p[2] != 'F' || p[3] != 'R' ||
	    p[4] != 1 || p[5] != kind)
		return 0;
	*stream = wire_get_be16(p + 6);
	for (int i = 0; i < XFR_TOKEN_LEN; i++)
		token[i] = p[8 + i];
	return 1;
}

#endif
