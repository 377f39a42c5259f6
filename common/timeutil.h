/* SPDX-License-Identifier: MIT */
/* Clocks: CLOCK_MONOTONIC for every duration, CLOCK_REALTIME only for printing. */
#ifndef XFR_COMMON_TIMEUTIL_H
#define XFR_COMMON_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

static inline uint64_t time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Milliseconds, signed: deadlines minus now go negative once they have passed. */
static inline int64_t time_mono_ms(void)
{
	return (int64_t)(time_mono_ns() / NSEC_PER_MSEC);
}

/* Sleep ns; a signal ends it early (callers loop and re-check their state). */
static inline void time_sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / NSEC_PER_SEC),
			      .tv_nsec = (long)(ns % NSEC_PER_SEC)};

	nanosleep(&ts, NULL);
}

static inline uint64_t time_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

#endif
