/* SPDX-License-Identifier: MIT */
/*
 * Recognising a peer that does not speak xfr's control protocol from the
 * first bytes it sent, so that a client pointed at the wrong port says what
 * it found (iperf3 on 5201, SSH, HTTP, ...) instead of waiting.
 */
#ifndef XFR_CONTROL_FOREIGN_H
#define XFR_CONTROL_FOREIGN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when @buf (the first @len bytes a peer sent) cannot begin an xfr
 * control message: every message is a JSON object on its own line, so the
 * first byte other than a space, CR or LF must be '{'. A tab is not skipped:
 * it is iperf3's PARAM_EXCHANGE state byte.
 */
bool foreign_bytes(const char *buf, size_t len);

/*
 * One phrase saying what the bytes look like, for "not an xfr server (...)":
 * "iperf3?", "iperf3, busy with another test?", "it sent \"SSH-2.0-...\"".
 */
void foreign_describe(const char *buf, size_t len, char *out, size_t outlen);

#endif
