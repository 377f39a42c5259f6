/* SPDX-License-Identifier: MIT */
/* xfr serve: the multi-client server. */
#ifndef XFR_SERVER_SERVER_H
#define XFR_SERVER_SERVER_H

#include "base/config.h"

/* Runs until SIGINT/SIGTERM (or one test with --one-off). Returns the exit code. */
int server_run(const struct xfr_config *cfg);

#endif
