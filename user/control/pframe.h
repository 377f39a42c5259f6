/* SPDX-License-Identifier: MIT */
/*
 * Protected control frames (protected_control_v1), byte-compatible with the
 * reference's src/control_crypto.rs:
 *
 *   [u32 BE length of what follows][u64 LE seq][ChaCha20-Poly1305 ciphertext][16-byte tag]
 *
 * nonce = seq (8 bytes LE) followed by 4 zero bytes; AAD = seq (8 LE) || direction
 * (0x00 client to server, 0x01 server to client). Each direction counts from 0
 * and a frame must carry exactly the next number: a replayed, dropped or
 * reordered frame fails. The plaintext is one compact JSON message without '\n'.
 */
#ifndef XFR_CONTROL_PFRAME_H
#define XFR_CONTROL_PFRAME_H

#include <stddef.h>
#include <stdint.h>

#define PFRAME_MAX	(1024 * 1024) /* payload (seq + ciphertext + tag) */
#define PFRAME_HDR	4
#define PFRAME_OVERHEAD (8 + 16)
#define PFRAME_C2S	0
#define PFRAME_S2C	1

/* One direction's key and counter. */
struct pframe {
	unsigned char key[32];
	uint64_t seq;
	uint8_t dir;
};

void pframe_init(struct pframe *p, const unsigned char key[32], uint8_t dir);
void pframe_wipe(struct pframe *p);

/*
 * Seal len bytes into a whole frame (length prefix included) in malloc'd
 * memory: *out, *outlen. 0, -EMSGSIZE, -ENOMEM or -EIO; the counter moves
 * only on success.
 */
int pframe_seal(struct pframe *p, const void *pt, size_t len, unsigned char **out, size_t *outlen);

/*
 * The payload length a buffered frame announces (buf holds >= PFRAME_HDR
 * bytes): 0 and *len, or -EMSGSIZE (why says which bound).
 */
int pframe_length(const unsigned char *buf, uint32_t *len, char *why, size_t whylen);

/*
 * Open one payload (the bytes after the length prefix) into pt (room for
 * len - PFRAME_OVERHEAD bytes): 0 and *ptlen, or -EBADMSG with why
 * ("sequence mismatch: expected 3, got 2", "authentication failed").
 */
int pframe_open(struct pframe *p, const unsigned char *payload, size_t len, unsigned char *pt,
		size_t *ptlen, char *why, size_t whylen);

#endif
