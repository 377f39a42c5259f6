// SPDX-License-Identifier: MIT
/* Protected control frames (pframe.h): ChaCha20-Poly1305 through EVP. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "control/pframe.h"

void pframe_init(struct pframe *p, const unsigned char key[32], uint8_t dir)
{
	memcpy(p->key, key, sizeof(p->key));
	p->seq = 0;
	p->dir = dir;
}

void pframe_wipe(struct pframe *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}

static void le64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static void nonce_aad(const struct pframe *p, unsigned char nonce[12], unsigned char aad[9])
{
	memset(nonce, 0, 12);
	le64(nonce, p->seq);
	le64(aad, p->seq);
	aad[8] = p->dir;
}

/* One AEAD pass: encrypt (tag written) or decrypt (tag checked). */
static bool aead(const struct pframe *p, bool enc, const unsigned char *in, size_t len,
		 unsigned char *out, unsigned char tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char nonce[12], aad[9];
	int n = 0, fin = 0;
	bool ok;

	nonce_aad(p, nonce, aad);
	ok = c && EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, p->key, nonce, enc) == 1 &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1) &&
	     EVP_CipherUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 &&
	     EVP_CipherFinal_ex(c, out + n, &fin) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	return ok && (size_t)(n + fin) == len;
}

int pframe_seal(struct pframe *p, const void *pt, size_t len, unsigned char **out, size_t *outlen)
{
	size_t plen = len + PFRAME_OVERHEAD;
	unsigned char *f;

	if (plen > PFRAME_MAX)
		return -EMSGSIZE;
	if (p->seq == UINT64_MAX)
		return -EOVERFLOW;
	f = malloc(PFRAME_HDR + plen);
	if (!f)
		return -ENOMEM;
	f[0] = (unsigned char)(plen >> 24);
	f[1] = (unsigned char)(plen >> 16);
	f[2] = (unsigned char)(plen >> 8);
	f[3] = (unsigned char)plen;
	le64(f + 4, p->seq);
	if (!aead(p, true, pt, len, f + 12, f + 12 + len)) {
		free(f);
		return -EIO;
	}
	p->seq++;
	*out = f;
	*outlen = PFRAME_HDR + plen;
	return 0;
}

int pframe_length(const unsigned char *buf, uint32_t *len, char *why, size_t whylen)
{
	*len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (buf[0] == '{') {
		snprintf(why, whylen, "plaintext JSON where a protected frame was due");
		return -EMSGSIZE;
	}
	if (*len > PFRAME_MAX) {
		snprintf(why, whylen, "protected frame too large: %" PRIu32 " bytes (limit %d)",
			 *len, PFRAME_MAX);
		return -EMSGSIZE;
	}
	if (*len < PFRAME_OVERHEAD) {
		snprintf(why, whylen, "protected frame too short: %" PRIu32 " bytes", *len);
		return -EMSGSIZE;
	}
	return 0;
}

int pframe_open(struct pframe *p, const unsigned char *payload, size_t len, unsigned char *pt,
		size_t *ptlen, char *why, size_t whylen)
{
	unsigned char tag[16];
	uint64_t seq = 0;

	if (len < PFRAME_OVERHEAD || len > PFRAME_MAX) {
		snprintf(why, whylen, "protected frame of %zu bytes", len);
		return -EBADMSG;
	}
	for (int i = 7; i >= 0; i--)
		seq = seq << 8 | payload[i];
	if (seq != p->seq) {
		snprintf(why, whylen,
			 "protected frame out of sequence: expected %" PRIu64 ", got %" PRIu64
			 " (replayed or reordered)",
			 p->seq, seq);
		return -EBADMSG;
	}
	if (p->seq == UINT64_MAX) {
		snprintf(why, whylen, "protected frame sequence exhausted");
		return -EBADMSG;
	}
	memcpy(tag, payload + len - 16, 16);
	if (!aead(p, false, payload + 8, len - PFRAME_OVERHEAD, pt, tag)) {
		OPENSSL_cleanse(pt, len - PFRAME_OVERHEAD);
		snprintf(why, whylen,
			 "protected frame failed authentication (tampered or wrong key)");
		return -EBADMSG;
	}
	p->seq++;
	*ptlen = len - PFRAME_OVERHEAD;
	return 0;
}
