/* SPDX-License-Identifier: MIT */
/*
 * Test frames for the kernel generators (live frames, AF_XDP TX): one template
 * per flow (Ethernet + IPv4/IPv6 + UDP + the xfr data header + payload), built
 * once with valid IP and UDP checksums for sequence 0 / timestamp 0; each packet
 * then gets its sequence and timestamp stamped and the UDP checksum patched
 * incrementally (RFC 1624), in user space (AF_XDP) or in BPF (live frames).
 */
#ifndef XFR_BASE_FRAME_H
#define XFR_BASE_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#define FRAME_MAX 9216 /* largest frame we build (jumbo MTU + Ethernet header) */
#define FRAME_MIN 60   /* Ethernet minimum without FCS: shorter frames are padded */

struct frame_spec {
	int family; /* AF_INET or AF_INET6 */
	uint8_t src_mac[6];
	uint8_t dst_mac[6]; /* next hop */
	uint8_t saddr[16];  /* network order; IPv4 in the first 4 bytes */
	uint8_t daddr[16];
	uint16_t sport; /* host order */
	uint16_t dport;
	uint32_t payload_len; /* UDP payload incl. the 16-byte xfr header: 16..(MTU - IP - UDP) */
	int tos;	      /* TOS / traffic class byte; -1 = 0 */
	bool zeros; /* payload after the header: zeros (else pseudo-random, fixed per template) */
};

struct frame_tmpl {
	uint8_t buf[FRAME_MAX];
	uint32_t len;	   /* frame bytes (padded to FRAME_MIN) */
	uint32_t l4_off;   /* UDP header offset */
	uint32_t data_off; /* xfr header offset (= l4_off + 8) */
	uint16_t csum0;	   /* UDP checksum field as built (seq 0, ts 0), network order */
};

/* Build @t from @s. 0, or -EINVAL (bad family, payload_len < 16 or frame > FRAME_MAX). */
int frame_build(const struct frame_spec *s, struct frame_tmpl *t);

/*
 * Write seq and ts_us (big-endian, wire.h layout) at data_off of @frame, a copy
 * of @t->buf, and set its UDP checksum from t->csum0 incrementally. The result
 * equals a full checksum over the stamped frame.
 */
void frame_stamp(const struct frame_tmpl *t, uint8_t *frame, uint64_t seq, uint64_t ts_us);

/* Full UDP checksum of a frame (for tests): network order, as it belongs in the header. */
uint16_t frame_udp_csum(const uint8_t *frame, uint32_t len);

#endif /* XFR_BASE_FRAME_H */
