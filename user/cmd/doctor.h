/* SPDX-License-Identifier: MIT */
/*
 * `xfr doctor`: what this host supports for the kernel data plane: kernel and
 * BTF, capabilities, per-interface XDP modes and AF_XDP zero-copy, live frames,
 * and which engine --engine auto would pick (and why).
 */
#ifndef XFR_CMD_DOCTOR_H
#define XFR_CMD_DOCTOR_H

#include <stdio.h>

/* Print the report to @out; @iface limits it to one interface (NULL = all). Returns 0 or 1. */
int doctor_run(FILE *out, const char *iface, int json);

#endif /* XFR_CMD_DOCTOR_H */
