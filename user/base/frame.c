// SPDX-License-Identifier: MIT
/*
 * Frame templates for the kernel generators (see frame.h). Layout, no VLAN and
 * no IP options:
 *
 *   [0..14)  Ethernet: dst MAC, src MAC, EtherType 0x0800 / 0x86dd
 *   [14..)   IPv4 (20 bytes: ihl 5, DF, TTL 64, id 0) or IPv6 (40 bytes, hop limit 64)
 *   then     UDP (8 bytes), the xfr data header (seq u64 BE, ts u64 BE, wire.h), payload
 *   then     zero padding up to FRAME_MIN (not part of the IP packet)
 *
 * Checksums are ones-complement sums of big-endian 16-bit words (RFC 1071);
 * the UDP checksum covers the pseudo header (RFC 768 / RFC 8200 §8.1).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "base/frame.h"
#include "wire.h"

#define ETH_HLEN_      14
#define ETH_P_IPV4_    0x0800
#define ETH_P_IPV6_    0x86dd
#define IPV4_HLEN      20
#define IPV6_HLEN      40
#define UDP_HLEN       8
#define IPPROTO_UDP_   17
#define IPV4_DF	       0x4000
#define IP_TTL_DEFAULT 64
#define FILL_SEED      0x9e3779b97f4a7c15ULL /* any fixed non-zero value */

/* Adds the big-endian 16-bit words of @p to @sum (an odd last byte is padded with zero). */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Folds the carries back in (end-around carry): a 16-bit ones-complement sum. */
static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * UDP checksum (host order) over the pseudo header and @udp_len bytes of UDP
 * header + data at @udp, whose checksum field is taken as zero. A computed 0 is
 * sent as 0xffff: 0 means "no checksum" (RFC 768) and is not allowed over IPv6.
 */
static uint16_t udp_csum(int family, const uint8_t *ip, const uint8_t *udp, uint32_t udp_len)
{
	uint64_t sum = IPPROTO_UDP_ + udp_len;
	uint16_t c;

	if (family == AF_INET)
		sum = csum_add(sum, ip + 12, 8); /* saddr, daddr */
	else
		sum = csum_add(sum, ip + 8, 32);
	sum = csum_add(sum, udp, 6);
	sum = csum_add(sum, udp + 8, udp_len - 8);
	c = (uint16_t)~csum_fold(sum);
	return c ? c : 0xffff;
}

static void fill_payload(uint8_t *p, uint32_t len, bool zeros)
{
	uint64_t x = FILL_SEED;
	uint32_t i;

	if (zeros) {
		memset(p, 0, len);
		return;
	}
	/* xorshift64: the same bytes for every template, cheap and not compressible. */
	for (i = 0; i < len; i++) {
		if (!(i & 7)) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		p[i] = (uint8_t)(x >> ((i & 7) * 8));
	}
}

/* IPv4 header of a UDP packet of @ip_len bytes. */
static void put_ipv4(uint8_t *ip, const struct frame_spec *s, uint32_t ip_len, uint8_t tos)
{
	ip[0] = 0x45; /* version 4, ihl 5 */
	ip[1] = tos;
	wire_put_be16(ip + 2, (uint16_t)ip_len);
	wire_put_be16(ip + 4, 0); /* id: DF is set, nothing gets fragmented */
	wire_put_be16(ip + 6, IPV4_DF);
	ip[8] = IP_TTL_DEFAULT;
	ip[9] = IPPROTO_UDP_;
	wire_put_be16(ip + 10, 0);
	memcpy(ip + 12, s->saddr, 4);
	memcpy(ip + 16, s->daddr, 4);
	wire_put_be16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, IPV4_HLEN)));
}

/* IPv6 header: version 6, traffic class @tos, flow label 0. */
static void put_ipv6(uint8_t *ip, const struct frame_spec *s, uint32_t udp_len, uint8_t tos)
{
	wire_put_be32(ip, 6u << 28 | (uint32_t)tos << 20);
	wire_put_be16(ip + 4, (uint16_t)udp_len);
	ip[6] = IPPROTO_UDP_;
	ip[7] = IP_TTL_DEFAULT;
	memcpy(ip + 8, s->saddr, 16);
	memcpy(ip + 24, s->daddr, 16);
}

static int spec_check(const struct frame_spec *s, uint32_t *ip_hlen)
{
	uint64_t frame;

	if (s->family == AF_INET)
		*ip_hlen = IPV4_HLEN;
	else if (s->family == AF_INET6)
		*ip_hlen = IPV6_HLEN;
	else
		return -EINVAL;
	if (s->payload_len < XFR_UDP_HDR_LEN || s->tos < -1 || s->tos > 255)
		return -EINVAL;
	frame = (uint64_t)ETH_HLEN_ + *ip_hlen + UDP_HLEN + s->payload_len;
	return frame > FRAME_MAX ? -EINVAL : 0;
}

int frame_build(const struct frame_spec *s, struct frame_tmpl *t)
{
	uint8_t tos, *ip = t->buf + ETH_HLEN_, *udp;
	uint32_t ip_hlen, udp_len, end;
	int err;

	err = spec_check(s, &ip_hlen);
	if (err)
		return err;
	tos = s->tos < 0 ? 0 : (uint8_t)s->tos;
	udp_len = UDP_HLEN + s->payload_len;
	memset(t->buf, 0, sizeof(t->buf));
	memcpy(t->buf, s->dst_mac, 6);
	memcpy(t->buf + 6, s->src_mac, 6);
	if (s->family == AF_INET) {
		wire_put_be16(t->buf + 12, ETH_P_IPV4_);
		put_ipv4(ip, s, ip_hlen + udp_len, tos);
	} else {
		wire_put_be16(t->buf + 12, ETH_P_IPV6_);
		put_ipv6(ip, s, udp_len, tos);
	}
	t->l4_off = ETH_HLEN_ + ip_hlen;
	t->data_off = t->l4_off + UDP_HLEN;
	udp = t->buf + t->l4_off;
	wire_put_be16(udp, s->sport);
	wire_put_be16(udp + 2, s->dport);
	wire_put_be16(udp + 4, (uint16_t)udp_len);
	/* The data header stays zero: sequence 0, timestamp 0. */
	fill_payload(t->buf + t->data_off + XFR_UDP_HDR_LEN, s->payload_len - XFR_UDP_HDR_LEN,
		     s->zeros);
	wire_put_be16(udp + 6, udp_csum(s->family, ip, udp, udp_len));
	memcpy(&t->csum0, udp + 6, sizeof(t->csum0));
	end = t->l4_off + udp_len;
	t->len = end < FRAME_MIN ? FRAME_MIN : end;
	return 0;
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The template's header words m are
 * all zero, and ~0 = 0xffff is a ones-complement zero, so HC' = ~(~HC + m').
 * A folded sum of non-zero words is never 0x0000, so ~sum is 0 only when the
 * true checksum is 0, which goes on the wire as 0xffff like in udp_csum().
 */
void frame_stamp(const struct frame_tmpl *t, uint8_t *frame, uint64_t seq, uint64_t ts_us)
{
	uint8_t *hdr = frame + t->data_off;
	uint16_t c;

	wire_data_put(hdr, seq, ts_us);
	c = (uint16_t)~csum_fold(csum_add((uint16_t)~wire_get_be16((const uint8_t *)&t->csum0), hdr,
					  XFR_UDP_HDR_LEN));
	wire_put_be16(frame + t->l4_off + 6, c ? c : 0xffff);
}

uint16_t frame_udp_csum(const uint8_t *frame, uint32_t len)
{
	const uint8_t *ip = frame + ETH_HLEN_, *udp;
	uint32_t ip_hlen, udp_len;
	uint16_t c;
	int family;

	if (len < ETH_HLEN_ + IPV4_HLEN + UDP_HLEN)
		return 0;
	if (wire_get_be16(frame + 12) == ETH_P_IPV4_) {
		family = AF_INET;
		ip_hlen = (ip[0] & 0x0f) * 4u;
	} else {
		family = AF_INET6;
		ip_hlen = IPV6_HLEN;
	}
	if (len < ETH_HLEN_ + ip_hlen + UDP_HLEN)
		return 0;
	udp = ip + ip_hlen;
	udp_len = wire_get_be16(udp + 4);
	if (udp_len < UDP_HLEN || udp_len > len - ETH_HLEN_ - ip_hlen)
		return 0;
	c = udp_csum(family, ip, udp, udp_len);
	wire_put_be16((uint8_t *)&c, c); /* network order, as it sits in the header */
	return c;
}
