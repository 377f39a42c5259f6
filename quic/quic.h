/* SPDX-License-Identifier: MIT */
/*
 * The QUIC engine's public surface beyond its ops (engine_quic_ops in
 * engine/engine.h) and TLS set-up (quic/quic_tls.h).
 */
#ifndef XFR_QUIC_QUIC_H
#define XFR_QUIC_QUIC_H

#include <stdbool.h>

/* ngtcp2 0.12's congestion controllers: reno, cubic, bbr, bbr2. */
bool quic_cc_known(const char *name);

#endif
