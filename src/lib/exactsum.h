/*
 * exactsum.h - exact, order-independent sums of doubles.
 *
 * A ci_xsum holds the exact sum of the doubles added to it, as a long
 * fixed-point number (a Kulisch accumulator, after Kulisch & Miranker,
 * "The arithmetic of the digital computer", SIAM Review 28, 1986) cut into
 * 32-bit digits, in the "small superaccumulator" layout of Neal, "Fast
 * exact summation using small and large superaccumulators", arXiv:1505.05571
 * (2015).  Digit i has weight 2^(32 i - 1075), so every finite double - from
 * the smallest subnormal 2^-1074 up to DBL_MAX - is a whole number of digits
 * once shifted.  Digits live in signed 64-bit words, so an addition only
 * adds two words and carries are propagated every CI_XSUM_BURST additions
 * (each word then has room for 2^10 more 53-bit addends).
 *
 * The sum is exact, so it does not depend on the order of the additions, on
 * how the rows were cut into blocks, threads, files or machines, or on the
 * order summaries are merged in; it is rounded to a double once, to
 * nearest-even, when it is read.  That is what makes merged summaries give
 * the same digits as one pass.
 *
 * Only finite values may be added: the callers keep infinite terms apart
 * (an infinite NLL is counted, not summed).
 */
#ifndef CALIB_EXACTSUM_H
#define CALIB_EXACTSUM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/*
 * Two fast lanes take nearly every addend here (probabilities, NLL,
 * Brier and entropy terms): a double of magnitude in [2^-11, 1) is a whole
 * multiple of 2^-63 below 2^63, and one in [1, 2^11) a whole multiple of
 * 2^-52 below 2^63, so the hardware's double-to-int64 conversion of x 2^63
 * (or x 2^52) is exact, and it is added to a 128-bit integer: a multiply,
 * a conversion and two additions, against the digit split.  The lanes are
 * folded into the digits when carries are propagated (1023 additions stay
 * below 2^73).  Other values, and compilers without a 128-bit integer
 * type, take the digits directly.
 */
#ifdef __SIZEOF_INT128__
#define CI_XSUM_FAST 1
__extension__ typedef __int128 ci_xsum_i128;
#endif

/* Digits 0..64 take every finite double (exponent field >> 5 is at most
 * 63, and an addend spans two digits); 65 and 66 absorb the carries of up
 * to 2^64 addends of DBL_MAX. */
#define CI_XSUM_DIGITS 67
/* Additions between carry propagations: |word| < 2^32 + 1023 * 2^53 <
 * 2^63 before each propagation. */
#define CI_XSUM_BURST 1023

typedef struct ci_xsum {
	/* What nearly every addition touches comes first, in one cache
	 * line; the digits are rarely touched between propagations. */
#ifdef CI_XSUM_FAST
	ci_xsum_i128 small; /* |x| in [2^-11, 1), in units of 2^-63 */
	ci_xsum_i128 big;   /* |x| in [1, 2^11), in units of 2^-52 */
#endif
	/* Additions of exactly 1 (every weight of an unweighted file, every
	 * count-like sum) are only counted, and folded into the digits when
	 * carries are propagated: that halves the cost of a typical row. */
	uint64_t ones;
	int32_t left; /* additions allowed before the next propagation */
	int64_t d[CI_XSUM_DIGITS];
} ci_xsum;

static inline void
ci_xsum_init(ci_xsum *a)
{
	memset(a, 0, sizeof(*a));
	a->left = CI_XSUM_BURST;
}

/* Propagate carries: afterwards every digit but the last is in
 * [0, 2^32) and the last holds the sign.  Defined in exactsum.c. */
void ci_xsum_normalize(ci_xsum *a);

/* Inlined where it is called: a call would cost as much as the addition. */
#if defined(__GNUC__)
#define CI_XSUM_INLINE static inline __attribute__((always_inline))
#else
#define CI_XSUM_INLINE static inline
#endif

/* Add the finite double x exactly. */
CI_XSUM_INLINE void
ci_xsum_add(ci_xsum *a, double x)
{
	uint64_t u, m, lo, hi;
	unsigned e, sh, ix;

	if (x == 1.0) {
		a->ones++;
		return;
	}
#ifdef CI_XSUM_FAST
	{
		double ax = fabs(x);
		if (ax >= 0x1p-11 && ax < 1.0) {
			a->small += (int64_t)(x * 0x1p63);
			if (--a->left <= 0)
				ci_xsum_normalize(a);
			return;
		}
		if (ax >= 1.0 && ax < 0x1p11) {
			a->big += (int64_t)(x * 0x1p52);
			if (--a->left <= 0)
				ci_xsum_normalize(a);
			return;
		}
	}
#endif
	if (x == 0)
		return;
	memcpy(&u, &x, sizeof(u));
	e = (unsigned)(u >> 52) & 0x7ffu;
	m = u & ((UINT64_C(1) << 52) - 1);
	if (e != 0)
		m |= UINT64_C(1) << 52;
	else
		e = 1; /* subnormals: m * 2^(1 - 1075) */
	/* x = m * 2^(e - 1075) = (m << sh) * 2^(32 ix - 1075) */
	sh = e & 31u;
	ix = e >> 5;
	lo = (m & (UINT64_C(0xffffffff) >> sh)) << sh;
	hi = m >> (32 - sh);
	if (u >> 63) {
		a->d[ix] -= (int64_t)lo;
		a->d[ix + 1] -= (int64_t)hi;
	} else {
		a->d[ix] += (int64_t)lo;
		a->d[ix + 1] += (int64_t)hi;
	}
	if (--a->left <= 0)
		ci_xsum_normalize(a);
}

/* Add exactly 1 (what ci_xsum_add(a, 1.0) does, without the test). */
static inline void
ci_xsum_add_one(ci_xsum *a)
{
	a->ones++;
}

/* Add n ones exactly. */
static inline void
ci_xsum_add_count(ci_xsum *a, uint64_t n)
{
	a->ones += n;
}

#ifdef CI_XSUM_FAST
/* Add v 2^-63 exactly, for |v| < 2^100: what the small lane sums. */
static inline void
ci_xsum_add_small(ci_xsum *a, ci_xsum_i128 v)
{
	a->small += v;
	ci_xsum_normalize(a);
}
#endif

/* dst += src, exactly. */
void ci_xsum_merge(ci_xsum *dst, const ci_xsum *src);

/* The exact sum rounded to the nearest double (ties to even); +-inf when
 * it is beyond the double range. */
double ci_xsum_round(const ci_xsum *a);

/* 1 when the sum is exactly zero. */
int ci_xsum_is_zero(const ci_xsum *a);

/*
 * Serialised form, big-endian and independent of the host: one byte, the
 * first digit stored (lo), one byte, the number of digits stored (cnt),
 * then cnt signed 64-bit digits of the normalised sum.  Zero digits at
 * either end are not stored; zero is "0 0".  Returns the bytes written
 * (at most CI_XSUM_MAX_BYTES) to out.
 */
#define CI_XSUM_MAX_BYTES (2 + 8 * CI_XSUM_DIGITS)
size_t ci_xsum_encode(const ci_xsum *a, unsigned char *out);
/*
 * Read one sum from [p, end).  Returns the bytes used, or 0 when the bytes
 * are truncated or not a normalised sum (a digit out of range, digits past
 * the last, a stored zero at either end).
 */
size_t ci_xsum_decode(ci_xsum *a, const unsigned char *p,
    const unsigned char *end);

#endif /* CALIB_EXACTSUM_H */
