// SPDX-License-Identifier: MIT
/*
 * PSK authentication and protected frames (control/auth.h, control/pframe.h):
 * RFC 4231's HMAC-SHA256 vector through auth_response, and vectors computed
 * independently from the reference's algorithm (src/auth.rs,
 * src/control_crypto.rs) with Python's hmac/hashlib and the cryptography
 * package (HKDF, ChaCha20Poly1305); the generator is in docs/SECURITY.md.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/auth.h"
#include "control/pframe.h"

#define PSK "correct horse battery staple"
#define CN  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SN  "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static void unhex(const char *h, unsigned char *out, size_t *n)
{
	*n = strlen(h) / 2;
	for (size_t i = 0; i < *n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &b), 1);
		out[i] = (unsigned char)b;
	}
}

static void hexof(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* RFC 4231 test case 2: key "Jefe". */
static void test_hmac_rfc4231(void **state)
{
	char out[AUTH_MAC_HEX + 1];

	(void)state;
	assert_int_equal(auth_response("Jefe", 4, "what do ya want for nothing?", out), 0);
	assert_string_equal(out,
			    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_response(void **state)
{
	char out[AUTH_MAC_HEX + 1];
	const char *want = "c18f7306676a72ae1135a27194e1100745f07269615aaffe1d2ee785234a1bd5";

	(void)state;
	assert_int_equal(auth_response(PSK, strlen(PSK), SN, out), 0);
	assert_string_equal(out, want);
	assert_true(auth_response_ok(PSK, strlen(PSK), SN, want));
	assert_false(auth_response_ok("correct horse battery stapl", 27, SN, want));
	assert_false(auth_response_ok(PSK, strlen(PSK), SN, ""));
	assert_false(auth_response_ok(
		PSK, strlen(PSK), SN,
		"c18f7306676a72ae1135a27194e1100745f07269615aaffe1d2ee785234a1bd"));
	assert_false(
		auth_response_ok(PSK, strlen(PSK), SN,
				 "c18f7306676a72ae1135a27194e1100745f07269615aaffe1d2ee785234a1"
				 "bd500"));
}

static void test_keys_and_proof(void **state)
{
	const char *ch =
		"{\"type\":\"hello\",\"version\":\"1.1\",\"client\":\"xfr/0.9.25\","
		"\"capabilities\":[\"tcp\",\"protected_control_v1\"],\"client_nonce\":\"" CN "\"}";
	const char *sh = "{\"type\":\"hello\",\"version\":\"1.1\",\"server\":\"xfr/0.9.25\","
			 "\"capabilities\":[\"tcp\",\"protected_control_v1\"],\"auth\":{\"method\":"
			 "\"psk\",\"nonce\":\"" SN "\"}}";
	struct auth_keys k;
	char h[65], proof[AUTH_MAC_HEX + 1];

	(void)state;
	assert_int_equal(auth_derive(PSK, strlen(PSK), CN, SN, &k), 0);
	hexof(k.c2s, 32, h);
	assert_string_equal(h, "2e36b0ed80ab32aff507d0dfb182605d38617222e7dd7cbc395a04ff7c6ecf74");
	hexof(k.s2c, 32, h);
	assert_string_equal(h, "a8b32175a5386dfc6666c223a650485854d6ba397d87e658f71f48e16e85a78f");
	hexof(k.auth, 32, h);
	assert_string_equal(h, "ee65311e12076c6bf8de98357f54e36502ae5a4276e5215956bad8d3412a1801");
	hexof(k.udp, 32, h); /* ours (udp_auth_v1), same PRK */
	assert_string_equal(h, "f5c4bca623943c48168a8b409d5316039cf5b662f58fcfb253c49115afe62371");
	assert_int_equal(auth_proof(&k, ch, strlen(ch), sh, strlen(sh), proof), 0);
	assert_string_equal(proof,
			    "fa35dc97790e99fdfb85e84d67634c76bc51ae0f320d5d78c46b5e456c819b85");
	auth_keys_wipe(&k);
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(((unsigned char *)&k)[i], 0);
}

/*
 * udp_auth_v1's sealed single-port hello/ack (PROTOCOL.md §9.4), K_udp from
 * test_keys_and_proof. Computed independently:
 *   k = bytes.fromhex("f5c4bca6...afe62371"); tok = bytes(range(0x10, 0x20))
 *   m = b"\0XFR" + bytes([1, kind]) + (3).to_bytes(2, "big") + tok
 *   hmac.new(k, m, hashlib.sha256).hexdigest()[:32]
 *   kind 1 (hello) c0af0760b46f8e6059254fa8c87d8116, kind 2 (ack) ad6f0fd30866de62c9c66d1ba30f2e0a
 */
static void test_udp_hello(void **state)
{
	unsigned char key[32], tok[16], pkt[AUTH_UDP_HELLO_LEN], other[32];
	char h[2 * AUTH_UDP_HELLO_LEN + 1];
	size_t n;

	(void)state;
	unhex("f5c4bca623943c48168a8b409d5316039cf5b662f58fcfb253c49115afe62371", key, &n);
	for (int i = 0; i < 16; i++)
		tok[i] = (unsigned char)(0x10 + i);
	assert_int_equal(auth_udp_hello(key, 1, 3, tok, pkt), 0);
	hexof(pkt, sizeof(pkt), h);
	assert_string_equal(h, "0058465201010003101112131415161718191a1b1c1d1e1f"
			       "c0af0760b46f8e6059254fa8c87d8116");
	assert_true(auth_udp_tag_ok(key, pkt, sizeof(pkt)));
	assert_int_equal(auth_udp_hello(key, 2, 3, tok, pkt), 0);
	hexof(pkt + 24, 16, h);
	assert_string_equal(h, "ad6f0fd30866de62c9c66d1ba30f2e0a");
	assert_true(auth_udp_tag_ok(key, pkt, sizeof(pkt)));
	/* every flipped bit, in the 24 bytes or the tag, fails; so do another key and lengths */
	for (size_t i = 0; i < 8 * sizeof(pkt); i++) {
		pkt[i / 8] ^= (unsigned char)(1 << (i % 8));
		assert_false(auth_udp_tag_ok(key, pkt, sizeof(pkt)));
		pkt[i / 8] ^= (unsigned char)(1 << (i % 8));
	}
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	assert_false(auth_udp_tag_ok(other, pkt, sizeof(pkt)));
	assert_false(auth_udp_tag_ok(key, pkt, sizeof(pkt) - 1));
	assert_false(auth_udp_tag_ok(key, pkt, 15));
	assert_true(auth_udp_tag_ok(key, pkt, sizeof(pkt)));
}

static void test_equal(void **state)
{
	(void)state;
	assert_true(auth_equal("abc", 3, "abc", 3));
	assert_false(auth_equal("abc", 3, "abd", 3));
	assert_false(auth_equal("x", 1, "x\0", 2));
	assert_true(auth_equal("", 0, "", 0));
}

static void test_nonce(void **state)
{
	char a[AUTH_NONCE_HEX + 1], b[AUTH_NONCE_HEX + 1];

	(void)state;
	assert_int_equal(auth_nonce(a), 0);
	assert_int_equal(auth_nonce(b), 0);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	assert_string_not_equal(a, b);
}

static const char *F0 = "0000003100000000000000003a5df9f99d48c437b97b57bcbda9c27fdd81d5b4017731b6"
			"6f802aeb3cb782ff73124b6ac6ffcd62a3";
static const char *F1 = "00000035010000000000000031b2f9952da4c32c5ca40d092a75da9d73ba007886db7e0e"
			"50cf9dcffbd17a16ba1ba513919e00f1cf764b2f11";

static void keys(struct auth_keys *k)
{
	assert_int_equal(auth_derive(PSK, strlen(PSK), CN, SN, k), 0);
}

/* Seal matches the independent encoding byte for byte. */
static void test_seal(void **state)
{
	const char *pt = "{\"type\":\"pause\",\"id\":\"x\"}";
	struct auth_keys k;
	struct pframe p;
	unsigned char *f;
	size_t n;
	char h[256];

	(void)state;
	keys(&k);
	pframe_init(&p, k.c2s, PFRAME_C2S);
	assert_int_equal(pframe_seal(&p, pt, strlen(pt), &f, &n), 0);
	hexof(f, n, h);
	assert_string_equal(h, F0);
	assert_int_equal(p.seq, 1);
	free(f);
	pframe_wipe(&p);
	auth_keys_wipe(&k);
}

/* Open: the right frame, then a replay, a reordering, a flipped bit, a wrong direction. */
static void test_open(void **state)
{
	unsigned char f[128], pt[128];
	struct auth_keys k;
	struct pframe p;
	size_t n, ptlen;
	uint32_t len;
	char why[160];

	(void)state;
	keys(&k);
	unhex(F1, f, &n);
	assert_int_equal(pframe_length(f, &len, why, sizeof(why)), 0);
	assert_int_equal(len, n - 4);
	pframe_init(&p, k.s2c, PFRAME_S2C);
	/* seq 1 while 0 is expected: reordered (a frame was dropped) */
	assert_int_equal(pframe_open(&p, f + 4, len, pt, &ptlen, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "expected 0, got 1"));
	p.seq = 1;
	assert_int_equal(pframe_open(&p, f + 4, len, pt, &ptlen, why, sizeof(why)), 0);
	assert_int_equal(ptlen, strlen("{\"type\":\"cancelled\",\"id\":\"x\"}"));
	assert_memory_equal(pt, "{\"type\":\"cancelled\",\"id\":\"x\"}", ptlen);
	/* the same frame again: a replay */
	assert_int_equal(pframe_open(&p, f + 4, len, pt, &ptlen, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "replayed"));
	/* a flipped bit anywhere in the ciphertext or tag */
	p.seq = 1;
	for (size_t i = 12; i < n; i += 7) {
		f[i] ^= 0x10;
		assert_int_equal(pframe_open(&p, f + 4, len, pt, &ptlen, why, sizeof(why)),
				 -EBADMSG);
		assert_non_null(strstr(why, "authentication"));
		f[i] ^= 0x10;
	}
	/* the other direction's key or tag does not open it */
	pframe_init(&p, k.s2c, PFRAME_C2S);
	p.seq = 1;
	assert_int_equal(pframe_open(&p, f + 4, len, pt, &ptlen, why, sizeof(why)), -EBADMSG);
	pframe_init(&p, k.c2s, PFRAME_S2C);
	p.seq = 1;
	assert_int_equal(pframe_open(&p, f + 4, len, pt, &ptlen, why, sizeof(why)), -EBADMSG);
	auth_keys_wipe(&k);
}

static void test_lengths(void **state)
{
	unsigned char h[4] = {0, 0x10, 0, 1}, pt[1];
	struct pframe p = {0};
	unsigned char *f;
	size_t n;
	uint32_t len;
	char why[160];

	(void)state;
	assert_int_equal(pframe_length(h, &len, why, sizeof(why)), -EMSGSIZE);
	assert_non_null(strstr(why, "too large"));
	h[1] = 0;
	h[3] = 23;
	assert_int_equal(pframe_length(h, &len, why, sizeof(why)), -EMSGSIZE);
	assert_non_null(strstr(why, "too short"));
	h[1] = 0x10;
	h[3] = 0;
	assert_int_equal(pframe_length(h, &len, why, sizeof(why)), 0); /* exactly 1 MiB */
	assert_int_equal(pframe_open(&p, pt, 10, pt, &n, why, sizeof(why)), -EBADMSG);
	/* a message too large for a frame is refused before encryption */
	void *big = calloc(1, PFRAME_MAX);

	assert_non_null(big);
	assert_int_equal(pframe_seal(&p, big, PFRAME_MAX, &f, &n), -EMSGSIZE);
	assert_int_equal(p.seq, 0);
	free(big);
}

/*
 * The reference's own known-answer vectors (src/control_crypto.rs,
 * wire_bytes_match_v0_9_22_vectors, "captured from the v0.9.22 release
 * build"): keys, frames of seq 0 and 1 in both directions, the proof.
 */
static void check_payload(struct pframe *p, const char *pt, const char *want)
{
	unsigned char *f;
	size_t n;
	char h[256];

	assert_int_equal(pframe_seal(p, pt, strlen(pt), &f, &n), 0);
	hexof(f + 4, n - 4, h); /* the reference's seal() leaves the length prefix to its caller */
	assert_string_equal(h, want);
	free(f);
}

static void test_reference_vectors(void **state)
{
	const char *cn = "client-nonce-kat", *sn = "server-nonce-kat",
		   *psk = "correct horse battery";
	const char *ch = "{\"hello\":\"client\"}", *sh = "{\"hello\":\"server\"}";
	struct auth_keys k;
	struct pframe c2s, s2c;
	char h[65], proof[AUTH_MAC_HEX + 1];

	(void)state;
	assert_int_equal(auth_derive(psk, strlen(psk), cn, sn, &k), 0);
	hexof(k.c2s, 32, h);
	assert_string_equal(h, "3e61833962ee0b447fc147f1c83afa1daae4768684c4e5b31d199f9ea6f7b18e");
	hexof(k.s2c, 32, h);
	assert_string_equal(h, "bc87e8f6ad57215649232e7cc1fedb304f9a708fa1b1b0030f48fecf9b56f3e2");
	hexof(k.auth, 32, h);
	assert_string_equal(h, "6cd7aee3092250493d4213f51c9d6a5f84f2c99dfa910f526ee228ee1be25197");
	pframe_init(&c2s, k.c2s, PFRAME_C2S);
	pframe_init(&s2c, k.s2c, PFRAME_S2C);
	check_payload(
		&c2s, "{\"type\":\"ping\"}",
		"000000000000000023caf9761c0896387ca9f022e5601dd02bc58916daa52e20f61b266ef84de7");
	check_payload(&c2s, "second frame",
		      "0100000000000000209ac414bc87110901827d9df057b0073dcbb3d5d4f188cb972f644d");
	check_payload(
		&s2c, "{\"type\":\"ping\"}",
		"0000000000000000895afd8fe06575dfeed6bd15d61034a3c12240e3507b8c3733283b064eb593");
	assert_int_equal(auth_proof(&k, ch, strlen(ch), sh, strlen(sh), proof), 0);
	assert_string_equal(proof,
			    "c038a4929ae7dccb6b8ad3799cb00cf544878239e3a10b983b1e9d5458cbd2a3");
	auth_keys_wipe(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),   cmocka_unit_test(test_response),
		cmocka_unit_test(test_keys_and_proof), cmocka_unit_test(test_equal),
		cmocka_unit_test(test_udp_hello),      cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_seal),	       cmocka_unit_test(test_open),
		cmocka_unit_test(test_lengths),	       cmocka_unit_test(test_reference_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
