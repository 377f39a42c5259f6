/* SPDX-License-Identifier: MIT */
/* xfr HOST: one test against a server. */
#ifndef XFR_CLIENT_CLIENT_H
#define XFR_CLIENT_CLIENT_H

#include "base/config.h"

/* Returns the exit code: 0, 1 (error), 2 (-o FILE cannot be opened), 130/143 (interrupted). */
int client_run(const struct xfr_config *cfg);

#endif
