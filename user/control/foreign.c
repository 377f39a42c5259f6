// SPDX-License-Identifier: MIT
/*
 * What a non-xfr peer's first bytes say about it. iperf3's server reads a
 * 37-byte cookie, then writes one signed state byte: PARAM_EXCHANGE (9) when
 * it will run the test, ACCESS_DENIED (-1) when it is busy with another
 * client, SERVER_ERROR (-2) when it failed. Anything else is shown as text
 * (printable bytes, others escaped) so the user can recognise it.
 */
#include <stdio.h>
#include <string.h>

#include "control/foreign.h"

#define IPERF3_PARAM_EXCHANGE 9
#define IPERF3_ACCESS_DENIED  0xff
#define IPERF3_SERVER_ERROR   0xfe
#define SHOW_MAX	      40 /* bytes of a foreign greeting shown */

bool foreign_bytes(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\r' || buf[i] == '\n')
			continue;
		return buf[i] != '{';
	}
	return false;
}

/* The bytes as text: printable ASCII as is, the rest as \xNN, at most SHOW_MAX. */
static void show(const unsigned char *b, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	int n;

	for (i = 0; i < len && i < SHOW_MAX && o + 5 < outlen; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\')
			out[o++] = (char)b[i];
		else if (b[i] == '\r' || b[i] == '\n')
			break; /* the first line is enough */
		else if ((n = snprintf(out + o, outlen - o, "\\x%02x", b[i])) > 0)
			o += (size_t)n;
	}
	if (o >= outlen)
		o = outlen - 1;
	out[o] = '\0';
}

void foreign_describe(const char *buf, size_t len, char *out, size_t outlen)
{
	const unsigned char *b = (const unsigned char *)buf;
	char text[4 * SHOW_MAX + 8];

	if (!outlen)
		return;
	if (len == 1 && b[0] == IPERF3_PARAM_EXCHANGE) {
		snprintf(out, outlen, "iperf3?");
		return;
	}
	if (len == 1 && b[0] == IPERF3_ACCESS_DENIED) {
		snprintf(out, outlen, "iperf3, busy with another test?");
		return;
	}
	if (len == 1 && b[0] == IPERF3_SERVER_ERROR) {
		snprintf(out, outlen, "iperf3, which reported an error?");
		return;
	}
	show(b, len, text, sizeof(text));
	snprintf(out, outlen, "it sent \"%s%s\"", text, len > SHOW_MAX ? "..." : "");
}
