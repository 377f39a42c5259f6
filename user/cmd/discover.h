/* SPDX-License-Identifier: MIT */
/*
 * `xfr discover [--timeout DUR]`: browse mDNS for _xfr._tcp servers and list
 * them, one line each: ADDRESS:PORT (HOST) xfr/VERSION (docs/DISCOVERY.md).
 */
#ifndef XFR_CMD_DISCOVER_H
#define XFR_CMD_DISCOVER_H

#include <stdio.h>

#define DISCOVER_DEFAULT_MS 5000
#define DISCOVER_MAX	    64 /* servers listed at most */

/* argv[0] is "discover". 0 (listed, maybe none), 1 (cannot browse), 2 (bad arguments). */
int discover_main(int argc, char **argv, FILE *out, FILE *err);

#endif
