/* SPDX-License-Identifier: MIT */
/*
 * The QUIC harnesses' server certificate: made once in a temporary directory,
 * loaded into memory (quic_tls_server_load), and the files removed, so that a
 * run leaves nothing in /tmp.
 */
#ifndef XFR_TESTS_FUZZ_FUZZ_QUIC_CERT_H
#define XFR_TESTS_FUZZ_FUZZ_QUIC_CERT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "quic/quic_tls.h"

static inline void fuzz_quic_cert(void)
{
	char dir[] = "/tmp/xfr-fuzz-quic-XXXXXX", fpr[QUIC_FPR_LEN], why[200], path[64];

	if (!mkdtemp(dir) || quic_tls_server_load(dir, NULL, NULL, fpr, why, sizeof(why)))
		fuzz_fail("cannot make the server's certificate");
	snprintf(path, sizeof(path), "%s/quic-cert.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/quic-key.pem", dir);
	unlink(path);
	rmdir(dir);
}

#endif
