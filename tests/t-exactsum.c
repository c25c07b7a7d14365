/*
 * t-exactsum.c - the exact accumulator against an independent method
 * (Shewchuk's exact partials with a correctly rounded total, the algorithm
 * of Python's math.fsum), sums known by hand, order and split invariance,
 * and the byte form.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../src/lib/exactsum.h"

/*
 * Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
 * geometric predicates", 1997: a list of non-overlapping partials whose
 * exact sum is the sum of the inputs, then rounded to nearest-even with
 * the half-way correction fsum uses.  Inputs must not overflow.
 */
static double
fsum_ref(const double *x, size_t n)
{
	double *p = malloc((n + 1) * sizeof(double)), hi = 0, lo = 0;
	size_t i, j, np = 0;

	for (i = 0; i < n; i++) {
		double v = x[i];
		size_t k = 0;
		for (j = 0; j < np; j++) {
			double y = p[j], h, l;
			if (fabs(v) < fabs(y)) {
				double t = v;
				v = y;
				y = t;
			}
			h = v + y;
			l = y - (h - v);
			if (l != 0)
				p[k++] = l;
			v = h;
		}
		np = k;
		p[np++] = v;
	}
	if (np > 0) {
		size_t m = np;
		hi = p[--m];
		while (m > 0) {
			double v = hi, y = p[--m];
			hi = v + y;
			lo = y - (hi - v);
			if (lo != 0)
				break;
		}
		/* Round half-even correctly when the rest tips a tie. */
		if (m > 0 && ((lo < 0 && p[m - 1] < 0) ||
		    (lo > 0 && p[m - 1] > 0))) {
			double y = lo * 2, v = hi + y;
			if (y == v - hi)
				hi = v;
		}
	}
	free(p);
	return hi;
}

static double
xsum_of(const double *x, size_t n)
{
	ci_xsum a;
	size_t i;

	ci_xsum_init(&a);
	for (i = 0; i < n; i++)
		ci_xsum_add(&a, x[i]);
	return ci_xsum_round(&a);
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A double with a random sign, mantissa and exponent in [lo, hi]. */
static double
rand_double(int lo, int hi)
{
	double m = (double)(next() >> 11) / 9007199254740992.0 + 0.5;
	int e = lo + (int)(next() % (uint64_t)(hi - lo + 1));
	return ldexp(next() & 1 ? -m : m, e);
}

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

int
main(void)
{
	double x[4096], y[4096];
	int t, i;



	/* By hand. */
	{
		double v[] = { 1e308, 1.0, -1e308 };
		ok(xsum_of(v, 3) == 1.0, "1e308 + 1 - 1e308 = 1 exactly");
	}
	{
		/* ten copies of 0.1 = 1.000000000000000055511151231257827,
		 * nearer to 1 than to 1 + 2^-52 */
		for (i = 0; i < 10; i++)
			x[i] = 0.1;
		ok(xsum_of(x, 10) == 1.0, "ten 0.1 round to 1 (plain "
		    "summation gives 0.9999999999999999)");
	}
	{
		double v[] = { 4.9406564584124654e-324, 4.9406564584124654e-324,
		    -4.9406564584124654e-324 };
		ok(xsum_of(v, 3) == 4.9406564584124654e-324,
		    "subnormals are exact");
	}
	{
		double v[] = { DBL_MAX, DBL_MAX, -DBL_MAX };
		ok(xsum_of(v, 3) == DBL_MAX, "DBL_MAX + DBL_MAX - DBL_MAX "
		    "(no overflow on the way)");
		ok(isinf(xsum_of(v, 2)), "DBL_MAX + DBL_MAX rounds to inf");
	}
	{
		/* 1 + 2^-53 is a tie, to even: 1; 1 + 2^-53 + 2^-106 is past
		 * the tie: 1 + 2^-52. */
		double v[] = { 1.0, ldexp(1, -53), ldexp(1, -106) };
		ok(xsum_of(v, 2) == 1.0, "a tie rounds to even");
		ok(xsum_of(v, 3) == 1.0 + ldexp(1, -52), "a sticky bit breaks "
		    "the tie");
	}
	{
		ci_xsum a;
		ci_xsum_init(&a);
		ok(xsum_of(x, 0) == 0.0 && ci_xsum_is_zero(&a), "empty sum");
	}

	/* Against fsum: wide and narrow exponent ranges, cancellation. */
	{
		int bad = 0;
		for (t = 0; t < 300; t++) {
			int n = 1 + (int)(next() % 4000);
			int lo = t % 3 == 0 ? -1074 : t % 3 == 1 ? -60 : -30;
			int hi = t % 3 == 0 ? 1000 : t % 3 == 1 ? 10 : 3;
			for (i = 0; i < n; i++)
				x[i] = rand_double(lo, hi);
			if (!same_bits(xsum_of(x, (size_t)n), fsum_ref(x,
			    (size_t)n)))
				bad++;
		}
		ok(bad == 0, "300 random sums equal the correctly rounded "
		    "reference (%d differ)", bad);
	}

	/* Order and split invariance. */
	{
		int n = 4000, bad = 0;
		for (i = 0; i < n; i++)
			x[i] = rand_double(-40, 5);
		for (t = 0; t < 50; t++) {
			ci_xsum a, b;
			int cut = (int)(next() % (uint64_t)n), j;
			memcpy(y, x, (size_t)n * sizeof(double));
			for (j = n - 1; j > 0; j--) {
				int k = (int)(next() % (uint64_t)(j + 1));
				double tmp = y[j];
				y[j] = y[k];
				y[k] = tmp;
			}
			ci_xsum_init(&a);
			ci_xsum_init(&b);
			for (j = 0; j < cut; j++)
				ci_xsum_add(&a, y[j]);
			for (j = cut; j < n; j++)
				ci_xsum_add(&b, y[j]);
			ci_xsum_merge(&b, &a);
			if (!same_bits(ci_xsum_round(&b), xsum_of(x,
			    (size_t)n)))
				bad++;
		}
		ok(bad == 0, "shuffled and split sums merge to the same "
		    "double (%d differ)", bad);
	}

	/* Byte form. */
	{
		unsigned char buf[CI_XSUM_MAX_BYTES];
		ci_xsum a, b;
		size_t len, used;
		ci_xsum_init(&a);
		for (i = 0; i < 3000; i++)
			ci_xsum_add(&a, rand_double(-1074, 1000));
		len = ci_xsum_encode(&a, buf);
		used = ci_xsum_decode(&b, buf, buf + len);
		ok(used == len && same_bits(ci_xsum_round(&a),
		    ci_xsum_round(&b)), "encode then decode keeps the sum");
		ok(ci_xsum_decode(&b, buf, buf + len - 1) == 0,
		    "a truncated sum is refused");
		buf[2] = 0xff; /* first digit's high byte: out of range */
		ok(ci_xsum_decode(&b, buf, buf + len) == 0 || buf[0] + buf[1] ==
		    CI_XSUM_DIGITS, "a digit out of range is refused");
		ci_xsum_init(&a);
		len = ci_xsum_encode(&a, buf);
		ok(len == 2 && ci_xsum_decode(&b, buf, buf + len) == 2 &&
		    ci_xsum_is_zero(&b), "zero is two bytes");
	}
	{
		/* Negative totals. */
		double v[] = { -3.5, 1.25, -0.125 };
		ok(xsum_of(v, 3) == -2.375, "negative sums");
	}
	return done_testing();
}
