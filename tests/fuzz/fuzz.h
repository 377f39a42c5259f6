/* SPDX-License-Identifier: MIT */
/* What the libFuzzer harnesses in tests/fuzz share (docs/FUZZING.md). */
#ifndef XFR_TESTS_FUZZ_FUZZ_H
#define XFR_TESTS_FUZZ_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* A broken property: say which, then crash so libFuzzer keeps the input. */
#define fuzz_fail(why)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__, why);                     \
		abort();                                                                           \
	} while (0)

#define fuzz_assert(cond, why)                                                                     \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(why);                                                            \
	} while (0)

#endif
