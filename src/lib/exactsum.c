/*
 * exactsum.c - carries, merging, rounding and the byte form of ci_xsum.
 * The layout and its limits are explained in exactsum.h.
 */
#include "config.h"

#include <math.h>

#include "exactsum.h"

#define DIGIT_MASK UINT64_C(0xffffffff)
#define TOP (CI_XSUM_DIGITS - 1)

#ifdef CI_XSUM_FAST
/* Add v 2^(off - 1075) to the digits, 32 bits at a time: each digit gets
 * less than 2^32, which the bound before propagation leaves room for. */
static void
fold(ci_xsum *a, ci_xsum_i128 v, int off)
{
	__extension__ unsigned __int128 mag = v < 0 ? -(unsigned __int128)v :
	    (unsigned __int128)v;
	int64_t sg = v < 0 ? -1 : 1;
	int ix = off / 32, sh = off % 32;

	a->d[ix] += sg * (int64_t)(((uint64_t)mag & (DIGIT_MASK >> sh)) << sh);
	mag >>= 32 - sh;
	while (mag != 0) {
		a->d[++ix] += sg * (int64_t)((uint64_t)mag & DIGIT_MASK);
		mag >>= 32;
	}
}
#endif

void
ci_xsum_normalize(ci_xsum *a)
{
	int i;

#ifdef CI_XSUM_FAST
	if (a->small != 0) {
		fold(a, a->small, 1075 - 63);
		a->small = 0;
	}
	if (a->big != 0) {
		fold(a, a->big, 1075 - 52);
		a->big = 0;
	}
#endif

	if (a->ones != 0) {
		/* 1 = 2^19 in units of digit 33 (2^(32*33 - 1075) = 2^-19). */
		uint64_t n = a->ones;
		a->d[33] += (int64_t)((n & 0x1fffu) << 19);
		a->d[34] += (int64_t)((n >> 13) & DIGIT_MASK);
		a->d[35] += (int64_t)(n >> 45);
		a->ones = 0;
	}
	for (i = 0; i < TOP; i++) {
		int64_t low = (int64_t)((uint64_t)a->d[i] & DIGIT_MASK);
		/* d - low is a multiple of 2^32 and |d| < 2^63 - 2^32, so
		 * the division is exact and cannot overflow. */
		int64_t carry = (a->d[i] - low) / (INT64_C(1) << 32);
		a->d[i] = low;
		a->d[i + 1] += carry;
	}
	a->left = CI_XSUM_BURST;
}

void
ci_xsum_merge(ci_xsum *dst, const ci_xsum *src)
{
	ci_xsum s = *src;
	int i;

	ci_xsum_normalize(&s);
	ci_xsum_normalize(dst);
	for (i = 0; i < CI_XSUM_DIGITS; i++)
		dst->d[i] += s.d[i];
	ci_xsum_normalize(dst);
}

int
ci_xsum_is_zero(const ci_xsum *a)
{
	ci_xsum s = *a;
	int i;

	ci_xsum_normalize(&s);
	for (i = 0; i < CI_XSUM_DIGITS; i++)
		if (s.d[i] != 0)
			return 0;
	return 1;
}

static uint64_t
digit(const ci_xsum *s, int i)
{
	return i >= 0 ? (uint64_t)s->d[i] : 0;
}

double
ci_xsum_round(const ci_xsum *a)
{
	ci_xsum s = *a;
	uint64_t T, mant, r, hd;
	int i, h, L, neg = 0, sticky = 0;
	double v;

	ci_xsum_normalize(&s);
	if (s.d[TOP] < 0) {
		/* Round the magnitude; nearest-even is symmetric. */
		for (i = 0; i < CI_XSUM_DIGITS; i++)
			s.d[i] = -s.d[i];
		ci_xsum_normalize(&s);
		neg = 1;
	}
	if (s.d[TOP] != 0)
		return neg ? -INFINITY : INFINITY; /* >= 2^(32*66-1075) */
	for (h = TOP - 1; h >= 0 && s.d[h] == 0; h--)
		;
	if (h < 0)
		return 0.0;
	/* V = d[h] 2^64 + d[h-1] 2^32 + d[h-2] in units of 2^(32(h-2)-1075);
	 * T = V >> L holds its 64 leading bits (bit 63 set). */
	hd = digit(&s, h);
	L = 64 - __builtin_clzll(hd);
	T = (hd << (64 - L)) | (digit(&s, h - 1) << (32 - L)) |
	    (digit(&s, h - 2) >> L);
	if ((digit(&s, h - 2) & ((UINT64_C(1) << L) - 1)) != 0)
		sticky = 1;
	for (i = h - 3; i >= 0 && !sticky; i--)
		if (s.d[i] != 0)
			sticky = 1;
	mant = T >> 11;
	r = T & 0x7ff;
	if (r > 0x400 || (r == 0x400 && (sticky || (mant & 1))))
		mant++;
	/* mant <= 2^53 is exact; ldexp scales exactly, or overflows to inf.
	 * A result in the subnormal range is a multiple of 2^-1074 below
	 * 2^-1022, so it had no bits to round and ldexp keeps it exact. */
	v = ldexp((double)mant, 11 + L + 32 * (h - 2) - 1075);
	return neg ? -v : v;
}

size_t
ci_xsum_encode(const ci_xsum *a, unsigned char *out)
{
	ci_xsum s = *a;
	int lo, hi, i, b;
	size_t n = 2;

	ci_xsum_normalize(&s);
	for (lo = 0; lo < CI_XSUM_DIGITS && s.d[lo] == 0; lo++)
		;
	if (lo == CI_XSUM_DIGITS) {
		out[0] = out[1] = 0;
		return 2;
	}
	for (hi = TOP; s.d[hi] == 0; hi--)
		;
	out[0] = (unsigned char)lo;
	out[1] = (unsigned char)(hi - lo + 1);
	for (i = lo; i <= hi; i++) {
		uint64_t u = (uint64_t)s.d[i];
		for (b = 7; b >= 0; b--)
			out[n++] = (unsigned char)(u >> (8 * b));
	}
	return n;
}

size_t
ci_xsum_decode(ci_xsum *a, const unsigned char *p, const unsigned char *end)
{
	unsigned lo, cnt, i;
	size_t n = 2;
	int b;

	ci_xsum_init(a);
	if (end - p < 2)
		return 0;
	lo = p[0];
	cnt = p[1];
	if (cnt == 0)
		return lo == 0 ? 2 : 0;
	if (lo + cnt > CI_XSUM_DIGITS || (size_t)(end - p) < 2 + 8 * (size_t)cnt)
		return 0;
	for (i = 0; i < cnt; i++) {
		uint64_t u = 0;
		int64_t d;
		for (b = 0; b < 8; b++)
			u = (u << 8) | p[n++];
		d = (int64_t)u;
		/* Normalised digits are in [0, 2^32); the top one holds the
		 * sign, and is kept far from overflow so merges stay safe. */
		if (lo + i < TOP ? u > DIGIT_MASK :
		    (d > (INT64_C(1) << 40) || d < -(INT64_C(1) << 40)))
			return 0;
		a->d[lo + i] = d;
	}
	if (a->d[lo] == 0 || a->d[lo + cnt - 1] == 0)
		return 0;
	return n;
}
