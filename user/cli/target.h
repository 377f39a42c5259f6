/* SPDX-License-Identifier: MIT */
/*
 * The HOST argument of the client: a name or an address, optionally with a
 * port. Pure parsing, no lookups: what can be told from the text alone is
 * told here, before anything is sent.
 */
#ifndef XFR_CLI_TARGET_H
#define XFR_CLI_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

struct cli_target {
	char host[256];		/* name or address: no brackets, no port */
	uint16_t port;		/* 0 = none in the argument */
	enum xfr_family family; /* an address literal's family; XFR_AF_ANY for a name */
};

/*
 * Accepts HOST, NAME:PORT, V4, V4:PORT, V6 (also with %zone), [V6] and
 * [V6]:PORT. A bare IPv6 whose last group could be a port ("fd00::2:5201":
 * both fd00::2 port 5201 and the address fd00::2:5201) is refused as
 * ambiguous. Returns 0, or -EINVAL with one sentence for the user in why
 * (without the "xfr: " prefix).
 */
int cli_target_parse(const char *arg, struct cli_target *t, char *why, size_t len);

/* "IPv4" / "IPv6" */
const char *cli_family_name(enum xfr_family f);

#endif
