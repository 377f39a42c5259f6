/* SPDX-License-Identifier: MIT */
/*
 * TLS for the QUIC engine (GnuTLS 3.7 with ngtcp2's crypto helper): TLS 1.3
 * only, no middlebox-compatibility mode (RFC 9001 §8.4), ALPN "xfr".
 *
 * The server's certificate is self-signed (ECDSA P-256), created on first use
 * and kept as two PEM files so that its SHA-256 fingerprint stays the same
 * across restarts; clients pin it with --quic-verify.
 */
#ifndef XFR_QUIC_QUIC_TLS_H
#define XFR_QUIC_QUIC_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

#define QUIC_ALPN "xfr"
/* SHA-256 as 64 lowercase hex digits and the NUL */
#define QUIC_FPR_LEN 65

/*
 * Server: load the certificate and key from cert/key (PEM), creating both
 * (mode 0600 for the key) when neither exists; cert NULL = quic-cert.pem and
 * quic-key.pem in dir (created 0700 if missing). Fills fpr with the
 * certificate's SHA-256. 0 or -errno with one line in why. Call once, before
 * any QUIC test; the credentials live for the process.
 */
int quic_tls_server_load(const char *dir, const char *cert, const char *key, char *fpr, char *why,
			 size_t whylen);
/* True once quic_tls_server_load() succeeded. */
bool quic_tls_server_ready(void);

/*
 * Client, before any session: trust the CA certificates in file (PEM) for
 * --quic-ca. 0 or -errno with one line in why.
 */
int quic_tls_client_ca(const char *file, char *why, size_t whylen);

/*
 * A TLS session for one QUIC connection. ptr is the ngtcp2_crypto_conn_ref
 * the helper reads (gnutls_session_set_ptr). Client: pin = expected SHA-256
 * (hex, colons allowed) or NULL; ca: verify the chain against the roots of
 * quic_tls_client_ca() and, when name is not NULL, that the certificate is
 * for name. A failed check fails the handshake and quic_tls_verify_error()
 * says why. NULL with errno.
 */
gnutls_session_t quic_tls_client_new(void *ptr, const char *pin, bool ca, const char *name);
gnutls_session_t quic_tls_server_new(void *ptr);

/* Why the client refused the server's certificate ("" if it did not). */
const char *quic_tls_verify_error(gnutls_session_t s);
void quic_tls_free(gnutls_session_t s);

/* Normalise a --quic-verify value to 64 lowercase hex digits; false = not a SHA-256. */
bool quic_tls_pin_parse(const char *in, char out[QUIC_FPR_LEN]);

#endif
