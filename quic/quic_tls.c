// SPDX-License-Identifier: MIT
/*
 * TLS for the QUIC engine: credentials, sessions, the kept self-signed
 * certificate and fingerprint pinning. See quic_tls.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "quic/quic_tls.h"

/* ngtcp2's own GnuTLS examples use the same string: TLS 1.3 only, no compat mode. */
static const char prio[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
			   "+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:"
			   "+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:"
			   "%DISABLE_TLS13_COMPAT_MODE";

static gnutls_certificate_credentials_t srv_cred;
static gnutls_certificate_credentials_t cli_cred;
static pthread_once_t cli_once = PTHREAD_ONCE_INIT;

/* Per client session: what to check, and why the check failed ("" = it did not). */
struct qtls_verify {
	char want[QUIC_FPR_LEN]; /* --quic-verify; "" = no pin */
	bool ca;		 /* --quic-ca: the chain (and name) against its roots */
	char name[256];		 /* the name the certificate must carry; "" = any */
	char err[200];
};

bool quic_tls_pin_parse(const char *in, char out[QUIC_FPR_LEN])
{
	size_t n = 0;

	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (n == QUIC_FPR_LEN - 1 || !strchr("0123456789abcdefABCDEF", *in))
			return false;
		out[n++] = (char)(*in | 0x20); /* digits are unchanged, letters lowercased */
	}
	out[n] = '\0';
	return n == QUIC_FPR_LEN - 1;
}

static int fpr_of(const gnutls_datum_t *der, char *fpr)
{
	unsigned char md[32];
	size_t mdlen = sizeof(md);

	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, der, md, &mdlen) < 0 || mdlen != 32)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++)
		snprintf(fpr + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* ------------------------------------------------------------------ server */

static int write_pem(const char *path, const gnutls_datum_t *d, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, d->data, d->size);
	if (n != (ssize_t)d->size) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		unlink(path);
		return (int)n;
	}
	return close(fd) ? -errno : 0;
}

/* A new ECDSA P-256 self-signed certificate for "xfr", valid ten years, as PEM files. */
static int create_cert(const char *cert, const char *key, char *why, size_t whylen)
{
	gnutls_x509_privkey_t pk = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = {0}, cpem = {0};
	unsigned char serial[16];
	time_t now = time(NULL);
	int err = -EINVAL;

	if (gnutls_x509_privkey_init(&pk) < 0 || gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_privkey_generate(pk, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		goto out;
	serial[0] &= 0x7f; /* a positive serial */
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 10 * 365 * 86400L) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "xfr", 3) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "xfr", 3,
						 GNUTLS_FSAN_SET) < 0 ||
	    gnutls_x509_crt_set_key(crt, pk) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, pk, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_privkey_export2(pk, GNUTLS_X509_FMT_PEM, &kpem) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem) < 0)
		goto out;
	err = write_pem(key, &kpem, 0600);
	if (err) {
		snprintf(why, whylen, "cannot create %s: %s", key, strerror(-err));
		goto out;
	}
	err = write_pem(cert, &cpem, 0644);
	if (err) {
		unlink(key);
		snprintf(why, whylen, "cannot create %s: %s", cert, strerror(-err));
	}
out:
	if (err == -EINVAL)
		snprintf(why, whylen, "cannot generate a QUIC certificate with GnuTLS");
	gnutls_free(kpem.data);
	gnutls_free(cpem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	return err;
}

static int default_paths(const char *dir, char *cert, char *key, size_t len, char *why,
			 size_t whylen)
{
	char part[4096];

	/* mkdir -p: ~/.config may not exist yet */
	snprintf(part, sizeof(part), "%s", dir);
	for (char *sl = strchr(part + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
		*sl = '\0';
		mkdir(part, 0700); /* an existing part is fine; the last mkdir says what failed */
		*sl = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = -errno;

		snprintf(why, whylen, "cannot create %s: %s (give --quic-cert and --quic-key)", dir,
			 strerror(errno));
		return err;
	}
	snprintf(cert, len, "%s/quic-cert.pem", dir);
	snprintf(key, len, "%s/quic-key.pem", dir);
	return 0;
}

int quic_tls_server_load(const char *dir, const char *cert, const char *key, char *fpr, char *why,
			 size_t whylen)
{
	char cbuf[4096], kbuf[4096];
	gnutls_datum_t der;
	int err, rc;

	if (!cert) {
		err = default_paths(dir, cbuf, kbuf, sizeof(cbuf), why, whylen);
		if (err)
			return err;
		cert = cbuf;
		key = kbuf;
		if (access(cert, F_OK) && access(key, F_OK)) {
			err = create_cert(cert, key, why, whylen);
			if (err)
				return err;
		}
	}
	if (gnutls_certificate_allocate_credentials(&srv_cred) < 0)
		return -ENOMEM;
	rc = gnutls_certificate_set_x509_key_file2(srv_cred, cert, key, GNUTLS_X509_FMT_PEM, NULL,
						   0);
	if (rc < 0) {
		snprintf(why, whylen, "QUIC certificate %s / key %s: %s", cert, key,
			 gnutls_strerror(rc));
		goto fail;
	}
	rc = gnutls_certificate_get_crt_raw(srv_cred, 0, 0, &der);
	if (rc < 0 || fpr_of(&der, fpr)) {
		snprintf(why, whylen, "QUIC certificate %s: cannot read it back", cert);
		goto fail;
	}
	return 0;
fail:
	gnutls_certificate_free_credentials(srv_cred);
	srv_cred = NULL;
	return -EINVAL;
}

bool quic_tls_server_ready(void)
{
	return srv_cred != NULL;
}

/* ------------------------------------------------------------------ sessions */

static int set_alpn(gnutls_session_t s)
{
	gnutls_datum_t alpn = {.data = (unsigned char *)QUIC_ALPN, .size = sizeof(QUIC_ALPN) - 1};

	return gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY);
}

/* Client: the leaf certificate hashes to the pin, and/or verifies against --quic-ca. */
static int verify_peer(gnutls_session_t s)
{
	struct qtls_verify *v = gnutls_db_get_ptr(s);
	const gnutls_datum_t *crt;
	unsigned int n = 0, status = 0;
	gnutls_datum_t text = {0};
	char got[QUIC_FPR_LEN];

	if (!v)
		return 0;
	crt = gnutls_certificate_get_peers(s, &n);
	if (!crt || !n || fpr_of(&crt[0], got)) {
		snprintf(v->err, sizeof(v->err), "the server sent no certificate");
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	if (v->want[0] && strcmp(got, v->want)) {
		snprintf(v->err, sizeof(v->err),
			 "the server's certificate (SHA-256 %s) does not match --quic-verify", got);
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	if (!v->ca)
		return 0;
	if (gnutls_certificate_verify_peers3(s, v->name[0] ? v->name : NULL, &status) < 0 ||
	    status) {
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text,
								 0) < 0)
			text.data = NULL;
		snprintf(v->err, sizeof(v->err),
			 "the server's certificate does not verify against --quic-ca: %s",
			 text.data ? (const char *)text.data : "verification failed");
		gnutls_free(text.data);
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	return 0;
}

static void cli_cred_init(void)
{
	if (gnutls_certificate_allocate_credentials(&cli_cred) < 0)
		cli_cred = NULL;
}

static gnutls_session_t session_new(unsigned int flags, void *ptr)
{
	gnutls_session_t s;

	if (gnutls_init(&s, flags | GNUTLS_NO_END_OF_EARLY_DATA) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (gnutls_priority_set_direct(s, prio, NULL) < 0 || set_alpn(s) < 0)
		goto fail;
	if (flags & GNUTLS_SERVER) {
		if (ngtcp2_crypto_gnutls_configure_server_session(s) ||
		    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, srv_cred) < 0)
			goto fail;
	} else if (ngtcp2_crypto_gnutls_configure_client_session(s) ||
		   gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cli_cred) < 0 ||
		   gnutls_server_name_set(s, GNUTLS_NAME_DNS, "xfr", 3) < 0) {
		goto fail;
	}
	gnutls_session_set_ptr(s, ptr);
	return s;
fail:
	gnutls_deinit(s);
	errno = EINVAL;
	return NULL;
}

int quic_tls_client_ca(const char *file, char *why, size_t whylen)
{
	int rc;

	pthread_once(&cli_once, cli_cred_init);
	if (!cli_cred)
		return -ENOMEM;
	rc = gnutls_certificate_set_x509_trust_file(cli_cred, file, GNUTLS_X509_FMT_PEM);
	if (rc <= 0) {
		snprintf(why, whylen, "--quic-ca %s: %s", file,
			 rc ? gnutls_strerror(rc) : "no certificate in it");
		return -EINVAL;
	}
	return 0;
}

gnutls_session_t quic_tls_client_new(void *ptr, const char *pin, bool ca, const char *name)
{
	struct qtls_verify *v;
	gnutls_session_t s;

	pthread_once(&cli_once, cli_cred_init);
	v = calloc(1, sizeof(*v));
	if (!cli_cred || !v) {
		free(v);
		errno = ENOMEM;
		return NULL;
	}
	if (pin && !quic_tls_pin_parse(pin, v->want)) {
		free(v);
		errno = EINVAL;
		return NULL;
	}
	v->ca = ca;
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "");
	s = session_new(GNUTLS_CLIENT, ptr);
	if (!s) {
		free(v);
		return NULL;
	}
	gnutls_db_set_ptr(s, v);
	gnutls_session_set_verify_function(s, verify_peer);
	return s;
}

gnutls_session_t quic_tls_server_new(void *ptr)
{
	if (!srv_cred) {
		errno = ENOKEY;
		return NULL;
	}
	return session_new(GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET, ptr);
}

const char *quic_tls_verify_error(gnutls_session_t s)
{
	struct qtls_verify *v = s ? gnutls_db_get_ptr(s) : NULL;

	return v ? v->err : "";
}

void quic_tls_free(gnutls_session_t s)
{
	if (!s)
		return;
	free(gnutls_db_get_ptr(s));
	gnutls_deinit(s);
}
