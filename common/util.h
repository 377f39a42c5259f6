/* SPDX-License-Identifier: MIT */
/* Tiny helpers for user space (not for BPF programs). */
#ifndef XFR_COMMON_UTIL_H
#define XFR_COMMON_UTIL_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* XFR_COMMON_UTIL_H */
