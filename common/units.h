/* SPDX-License-Identifier: MIT */
/*
 * Parsing and printing of the quantities xfr deals in: rates, sizes, durations,
 * DSCP names. Pure functions, no allocation, shared by the CLI, the control
 * protocol and the printers.
 */
#ifndef XFR_COMMON_UNITS_H
#define XFR_COMMON_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Rate in bits/s: integer or decimal number with an optional decimal suffix
 * K=1e3, M=1e6, G=1e9, T=1e12 (case-insensitive), e.g. "100M", "1.5G", "0".
 * Returns 0 or -EINVAL (not a rate) / -ERANGE (over 2^63).
 */
int units_parse_rate(const char *s, uint64_t *bps);

/*
 * Size in bytes with binary suffixes K=1024, M=1024^2, G=1024^3, T=1024^4
 * (case-insensitive, optional trailing "B" or "iB"), e.g. "128K", "4M", "1500".
 * Decimal fractions allowed ("1.5M"); the result is rounded down to a byte.
 */
int units_parse_size(const char *s, uint64_t *bytes);

/*
 * Duration: a bare number means seconds ("10", "0.5"); otherwise a number
 * followed at once by one unit (any case): ms/msec/msecs, s/sec/secs/second/
 * seconds, m/min/mins/minute/minutes, h/hr/hrs/hour/hours, d/day/days
 * ("500ms", "10mins", "2h"). A lone "M" is refused (months to the reference
 * tool, mega elsewhere). Result in ms; 0, -EINVAL or -ERANGE.
 */
int units_parse_duration_ms(const char *s, uint64_t *ms);

/*
 * DSCP: a number 0..255 is the raw TOS byte (reference behaviour); a name
 * CS0..CS7, AF11..AF43, EF, VA (case-insensitive) is DSCP<<2.
 */
int units_parse_dscp(const char *s, int *tos);

/* Strict unsigned integer in [min, max], no suffix. */
int units_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Printing. All write a NUL-terminated string into buf and return buf.
 * units_fmt_rate: bits/s as "941 Mbit/s", "9.41 Gbit/s", "12.3 kbit/s" with 3
 * significant digits (iperf3's habit, decimal units).
 * units_fmt_bytes: binary units "1.15 GB", "300.00 MB", "512 B" (2 decimals
 * from KB up; KB/MB/GB/TB are powers of 1024, as the reference prints them).
 */
char *units_fmt_rate(double bps, char *buf, size_t len);
char *units_fmt_bytes(uint64_t bytes, char *buf, size_t len);

/* Megabits per second (1e6 bits) from bytes over seconds; 0 when secs <= 0. */
double units_mbps(uint64_t bytes, double secs);

#endif
