/* SPDX-License-Identifier: MIT */
/*
 * Debian 12's libmdnsd-dev (0.12) installs headers that include the
 * library's own build-time "config.h", which it does not ship. This stands
 * in for it, and only for the objects that include <libmdnsd/mdnsd.h>
 * (Makefile: MDNS_OBJS).
 */
#ifndef XFR_MDNSD_COMPAT_CONFIG_H
#define XFR_MDNSD_COMPAT_CONFIG_H

#define HAVE_NETINET_IN_H 1
#define HAVE_SYS_SOCKET_H 1

#endif
