/*
 * fastnum.h - the inner loop of number parsing, inlined into the reader.
 * See numparse.c for why the result equals strtod's.
 */
#ifndef CALIB_FASTNUM_H
#define CALIB_FASTNUM_H

#include <float.h>
#include <stdint.h>

/* x87 evaluates in extended precision, which would double-round. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define CI_FAST_EXACT 1
#else
#define CI_FAST_EXACT 0
#endif

extern const double ci_pow10_exact[23];

/*
 * Scan a decimal number starting at p (not past e).  Returns the first byte
 * after it and sets *v, or NULL when the text there is not a number the
 * fast path can convert exactly (the caller falls back to strtod or to the
 * reference reader).  Stops at any byte that cannot continue a number, so
 * the caller checks what follows.
 */
static inline const char *
ci_scan_number_in(const char *p, const char *e, double *v, const int bounded)
{
	uint64_t m = 0;
	int nd = 0, exp10 = 0, any = 0, neg = 0;

	if (!CI_FAST_EXACT)
		return NULL;
	if ((!bounded || p < e) && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	/* nd counts the digits from the first nonzero one (leading zeros
	 * leave m at 0 and are not counted); with nd == 19 another digit
	 * could overflow m, so the text goes to the slow path.  While m is 0,
	 * nd is 0, so the test needs no m == 0 case. */
	{
		const char *ds = p;
		for (; (!bounded || p < e) && (unsigned)(*p - '0') < 10; p++) {
			if (nd == 19)
				return NULL;
			m = m * 10 + (unsigned)(*p - '0');
			nd += m != 0;
		}
		any = p > ds;
	}
	if ((!bounded || p < e) && *p == '.') {
		const char *fs = ++p;
		for (; (!bounded || p < e) && (unsigned)(*p - '0') < 10; p++) {
			if (nd == 19)
				return NULL;
			m = m * 10 + (unsigned)(*p - '0');
			nd += m != 0;
		}
		/* every fraction digit scales by 1/10 */
		exp10 = -(int)(p - fs);
		any |= p > fs;
	}
	if (!any)
		return NULL;
	if ((!bounded || p < e) && (*p == 'e' || *p == 'E')) {
		int eneg = 0, ev = 0, edig = 0;
		p++;
		if ((!bounded || p < e) && (*p == '-' || *p == '+')) {
			eneg = *p == '-';
			p++;
		}
		for (; (!bounded || p < e) && (unsigned)(*p - '0') < 10; p++, edig++) {
			if (ev > 10000)
				return NULL;
			ev = ev * 10 + (*p - '0');
		}
		if (edig == 0)
			return NULL;
		exp10 += eneg ? -ev : ev;
	}
	if (m == 0) {
		*v = neg ? -0.0 : 0.0;
		return p;
	}
	if (m > (UINT64_C(1) << 53) || exp10 < -22 || exp10 > 22)
		return NULL;
	{
		double d = (double)m;
		d = exp10 < 0 ? d / ci_pow10_exact[-exp10] :
		    d * ci_pow10_exact[exp10];
		*v = neg ? -d : d;
	}
	return p;
}

static inline const char *
ci_scan_number(const char *p, const char *e, double *v)
{
	return ci_scan_number_in(p, e, v, 1);
}

/*
 * ci_scan_number() for text known to be terminated: the byte at e exists
 * and is '\n', '\r' or '\0', none of which can continue a number, so
 * every scan stops at e at the latest without testing the bound (the CSV
 * reader's blocks guarantee it; see parse_block()).  Same results.
 */
static inline const char *
ci_scan_number_nt(const char *p, const char *e, double *v)
{
	return ci_scan_number_in(p, e, v, 0);
}

#endif /* CALIB_FASTNUM_H */
