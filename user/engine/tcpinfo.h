/* SPDX-License-Identifier: MIT */
/* TCP_INFO sampling, reduced to the fields xfr reports. */
#ifndef XFR_ENGINE_TCPINFO_H
#define XFR_ENGINE_TCPINFO_H

#include "model/sample.h"

/* getsockopt(TCP_INFO); 0 or -errno. */
int tcpinfo_read(int fd, struct xfr_tcpinfo *ti);

#endif
