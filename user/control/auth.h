/* SPDX-License-Identifier: MIT */
/*
 * PSK authentication, byte-compatible with the reference (xfr 0.9.25,
 * src/auth.rs and src/control_crypto.rs; docs/PROTOCOL.md "PSK"):
 *
 *   nonces          32 random bytes, sent as 64 lowercase hex characters
 *   auth_response   hex(HMAC-SHA256(key = PSK, msg = server nonce hex))
 *   keys            HKDF-SHA256(salt = client nonce hex || server nonce hex, IKM = PSK)
 *                   K_c2s  = Expand("xfr-protected-control-c2s", 32)
 *                   K_s2c  = Expand("xfr-protected-control-s2c", 32)
 *                   K_auth = Expand("xfr-protected-control-s2c-auth", 32)
 *   server_proof    hex(HMAC-SHA256(K_auth, client hello line || server hello line)),
 *                   each line's exact bytes without its '\n'
 *
 * Ours (udp_auth_v1, PROTOCOL.md §9.3, §9.4): K_udp = Expand("xfr-udp-auth-v1", 32) from
 * the same PRK; a UDP tag is the first 16 bytes of HMAC-SHA256(K_udp, datagram).
 *
 * Everything secret lives in caller-owned structs that auth_keys_wipe() and
 * OPENSSL_cleanse clear; comparisons of MACs are constant-time.
 */
#ifndef XFR_CONTROL_AUTH_H
#define XFR_CONTROL_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_PSK_MAX   1024 /* bytes, as the reference */
#define AUTH_NONCE_HEX 64   /* 32 bytes */
#define AUTH_MAC_HEX   64   /* HMAC-SHA256 in hex */
#define AUTH_KEY_LEN   32

struct auth_keys {
	unsigned char c2s[AUTH_KEY_LEN];
	unsigned char s2c[AUTH_KEY_LEN];
	unsigned char auth[AUTH_KEY_LEN];
	unsigned char udp[AUTH_KEY_LEN]; /* ext, udp_auth_v1: Expand("xfr-udp-auth-v1", 32) */
};

/* 32 random bytes as 64 hex characters and a NUL. 0 or -EIO. */
int auth_nonce(char out[AUTH_NONCE_HEX + 1]);

/* The client's answer to a challenge. 0 or -EIO. */
int auth_response(const char *psk, size_t psklen, const char *server_nonce,
		  char out[AUTH_MAC_HEX + 1]);

/* The server's check of an answer, constant-time whatever its length. */
bool auth_response_ok(const char *psk, size_t psklen, const char *server_nonce,
		      const char *response);

/* The session's keys. 0 or -EIO. */
int auth_derive(const char *psk, size_t psklen, const char *client_nonce, const char *server_nonce,
		struct auth_keys *k);
void auth_keys_wipe(struct auth_keys *k);

/* The transcript MAC the server sends in auth_success. 0 or -EIO/-ENOMEM. */
int auth_proof(const struct auth_keys *k, const char *client_hello, size_t chlen,
	       const char *server_hello, size_t shlen, char out[AUTH_MAC_HEX + 1]);

/* udp_auth_v1: a single-port hello or ack (kind 1 or 2) of 24 bytes + its 16-byte tag. */
#define AUTH_UDP_TAG_LEN   16
#define AUTH_UDP_HELLO_LEN 40

/* The tag of msg under key. 0 or -EIO. */
int auth_udp_tag(const unsigned char key[AUTH_KEY_LEN], const void *msg, size_t len,
		 unsigned char tag[AUTH_UDP_TAG_LEN]);
/* msg's last 16 bytes are the tag of the bytes before them (compared in constant time). */
bool auth_udp_tag_ok(const unsigned char key[AUTH_KEY_LEN], const void *msg, size_t len);
/* A 40-byte sealed hello (kind 1) or ack (kind 2). 0 or -EIO. */
int auth_udp_hello(const unsigned char key[AUTH_KEY_LEN], unsigned char kind, unsigned int stream,
		   const unsigned char token[16], unsigned char out[AUTH_UDP_HELLO_LEN]);

/* Constant-time equality of two strings (a length mismatch is inequality). */
bool auth_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
