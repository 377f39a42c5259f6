/* SPDX-License-Identifier: MIT */
/*
 * The TUI's figures as text that fits its fields, and the colour level of a
 * figure. Pure: no curses. Every formatter bounds its output (the widths are
 * in the comments) whatever the value, so a PB transfer, a Tbit/s rate or a
 * jitter of minutes never pushes a panel's layout around.
 */
#ifndef XFR_TUI_TUI_FMT_H
#define XFR_TUI_TUI_FMT_H

#include <stddef.h>
#include <stdint.h>

enum tui_units {
	TUI_UNITS_AUTO,	 /* bits per second, bytes for amounts (the plain printer's habit) */
	TUI_UNITS_BITS,	 /* rates and amounts in bits */
	TUI_UNITS_BYTES, /* rates and amounts in bytes */
	TUI_UNITS_N,
};

/* "auto", "bits", "bytes" */
const char *tui_units_name(enum tui_units u);

/* A rate (bits/s) in at most 11 columns: "9.41 Gbit/s", "112 MB/s", "0 bit/s". */
char *tui_fmt_rate(char *buf, size_t len, double bps, enum tui_units u);
/* An amount of bytes in at most 9 columns: "1.23 GB", "18.4 EB", "12.0 Gbit". */
char *tui_fmt_bytes(char *buf, size_t len, double bytes, enum tui_units u);
/* Milliseconds in at most 9 columns: "0.042 ms", "12.3 ms", "4.56 s", "99999 s". */
char *tui_fmt_ms(char *buf, size_t len, double ms);
/* A count in at most 7 columns: "12", "12345", "1.23M", "999G+" */
char *tui_fmt_count(char *buf, size_t len, uint64_t n);
/* Seconds as "12.0 s", "1:02:03" past an hour, at most 11 columns. */
char *tui_fmt_secs(char *buf, size_t len, double s);

/* ---- the sparkline ---- */

/* Eighths of a cell a value takes in a graph rows high, scaled to peak:
 * 0 only for v <= 0 (a small rate is never drawn as nothing), at most 8 * rows. */
int tui_spark_level(double v, double peak, int rows);

/* ---- colour levels ---- */
enum tui_level { TUI_LVL_NONE, TUI_LVL_OK, TUI_LVL_WARN, TUI_LVL_BAD };

/* Loss in percent: < 0.1 ok, < 1 warn, else bad (the reference's marks). */
enum tui_level tui_level_loss(double pct);
/* Smoothed RTT: < 20 ms ok, < 100 ms warn, else bad. */
enum tui_level tui_level_rtt(double rtt_ms);
/* UDP jitter: < 1 ms ok, < 10 ms warn, else bad. */
enum tui_level tui_level_jitter(double ms);
/* Retransmitted segments against the segments a byte count makes (1448-byte
 * MSS): none ok, < 1 % warn, else bad. */
enum tui_level tui_level_retx(uint64_t retx, uint64_t bytes);

#endif /* XFR_TUI_TUI_FMT_H */
