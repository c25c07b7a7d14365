/*
 * fuzz.h - what the libFuzzer targets share: an assertion that survives
 * NDEBUG and says where it failed.
 */
#ifndef CALIB_FUZZ_H
#define CALIB_FUZZ_H

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(c) \
	do { \
		if (!(c)) { \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", \
			    __FILE__, __LINE__, #c); \
			abort(); \
		} \
	} while (0)

#endif /* CALIB_FUZZ_H */
