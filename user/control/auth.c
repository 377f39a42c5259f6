// SPDX-License-Identifier: MIT
/* PSK challenge, key derivation and server proof (auth.h), on libcrypto. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "control/auth.h"
#include "wire.h"

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int auth_nonce(char out[AUTH_NONCE_HEX + 1])
{
	unsigned char b[AUTH_NONCE_HEX / 2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	hex(b, sizeof(b), out);
	return 0;
}

static int hmac_hex(const void *key, size_t keylen, const void *msg, size_t len,
		    char out[AUTH_MAC_HEX + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, len, mac, &maclen) || maclen != 32)
		return -EIO;
	hex(mac, maclen, out);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int auth_response(const char *psk, size_t psklen, const char *server_nonce,
		  char out[AUTH_MAC_HEX + 1])
{
	return hmac_hex(psk, psklen, server_nonce, strlen(server_nonce), out);
}

bool auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = alen != blen;
	size_t n = alen < blen ? alen : blen;

	/* Only the length is public: the contents are compared in constant time. */
	return !(diff | (unsigned char)(n ? CRYPTO_memcmp(a, b, n) != 0 : 0));
}

bool auth_response_ok(const char *psk, size_t psklen, const char *server_nonce,
		      const char *response)
{
	char want[AUTH_MAC_HEX + 1];
	bool ok;

	if (auth_response(psk, psklen, server_nonce, want))
		return false;
	ok = auth_equal(want, AUTH_MAC_HEX, response, strlen(response));
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* One HKDF-SHA256 extract-and-expand: the reference expands one PRK three times. */
static int hkdf(const unsigned char *salt, size_t saltlen, const char *ikm, size_t ikmlen,
		const char *info, unsigned char *out, size_t outlen)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	int ok;

	ok = p && EVP_PKEY_derive_init(p) > 0 && EVP_PKEY_CTX_set_hkdf_md(p, EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_salt(p, salt, (int)saltlen) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(p, (const unsigned char *)ikm, (int)ikmlen) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(p, (const unsigned char *)info, (int)strlen(info)) > 0 &&
	     EVP_PKEY_derive(p, out, &outlen) > 0 && outlen == AUTH_KEY_LEN;
	EVP_PKEY_CTX_free(p);
	return ok ? 0 : -EIO;
}

int auth_derive(const char *psk, size_t psklen, const char *client_nonce, const char *server_nonce,
		struct auth_keys *k)
{
	size_t cl = strlen(client_nonce), sl = strlen(server_nonce);
	unsigned char salt[2 * AUTH_NONCE_HEX];
	int err;

	if (cl > AUTH_NONCE_HEX || sl > AUTH_NONCE_HEX)
		return -EINVAL;
	memcpy(salt, client_nonce, cl);
	memcpy(salt + cl, server_nonce, sl);
	err = hkdf(salt, cl + sl, psk, psklen, "xfr-protected-control-c2s", k->c2s, AUTH_KEY_LEN);
	if (!err)
		err = hkdf(salt, cl + sl, psk, psklen, "xfr-protected-control-s2c", k->s2c,
			   AUTH_KEY_LEN);
	if (!err)
		err = hkdf(salt, cl + sl, psk, psklen, "xfr-protected-control-s2c-auth", k->auth,
			   AUTH_KEY_LEN);
	if (!err) /* ours: the MAC key of XFRF feedback in a PSK session (udp_auth_v1) */
		err = hkdf(salt, cl + sl, psk, psklen, "xfr-udp-auth-v1", k->udp, AUTH_KEY_LEN);
	if (err)
		auth_keys_wipe(k);
	return err;
}

void auth_keys_wipe(struct auth_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int auth_proof(const struct auth_keys *k, const char *client_hello, size_t chlen,
	       const char *server_hello, size_t shlen, char out[AUTH_MAC_HEX + 1])
{
	char *buf = malloc(chlen + shlen + 1);
	int err;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, client_hello, chlen);
	memcpy(buf + chlen, server_hello, shlen);
	err = hmac_hex(k->auth, sizeof(k->auth), buf, chlen + shlen, out);
	free(buf);
	return err;
}

int auth_udp_tag(const unsigned char key[AUTH_KEY_LEN], const void *msg, size_t len,
		 unsigned char tag[AUTH_UDP_TAG_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (!HMAC(EVP_sha256(), key, AUTH_KEY_LEN, msg, len, mac, &maclen) || maclen != 32)
		return -EIO;
	memcpy(tag, mac, AUTH_UDP_TAG_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

bool auth_udp_tag_ok(const unsigned char key[AUTH_KEY_LEN], const void *msg, size_t len)
{
	unsigned char want[AUTH_UDP_TAG_LEN];

	if (len < AUTH_UDP_TAG_LEN || auth_udp_tag(key, msg, len - AUTH_UDP_TAG_LEN, want))
		return false;
	return !CRYPTO_memcmp(want, (const unsigned char *)msg + len - AUTH_UDP_TAG_LEN,
			      AUTH_UDP_TAG_LEN);
}

/*
 * The reference's 24 bytes, then their tag: the kind (hello c->s, ack s->c),
 * the stream index and the token are all under the MAC, so a hello cannot be
 * reflected as an ack nor moved to another stream.
 */
int auth_udp_hello(const unsigned char key[AUTH_KEY_LEN], unsigned char kind, unsigned int stream,
		   const unsigned char token[16], unsigned char out[AUTH_UDP_HELLO_LEN])
{
	wire_hello_put(out, kind, (__u16)stream, token);
	return auth_udp_tag(key, out, XFR_HELLO_LEN, out + XFR_HELLO_LEN);
}
