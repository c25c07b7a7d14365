/*
 * t-binning.c - exact equal-width membership, checked against integer
 * arithmetic on the doubles' binary expansions, and equal-mass tables
 * worked out by hand.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "calib.h"
#include "tap.h"

/*
 * Independent reference: s = mant * 2^(e-53) exactly, so
 * ceil(s * M) = ceil(mant * M / 2^(53-e)), computed in 128-bit integers.
 */
static int
ref_index(double s, int m)
{
	int e, sh;
	double f;
	unsigned __int128 mant, num, b;

	if (s <= 0)
		return 0;
	if (s >= 1)
		return m - 1;
	f = frexp(s, &e);
	mant = (unsigned __int128)ldexp(f, 53);
	sh = 53 - e;
	if (sh > 120)
		return 0;
	num = mant * (unsigned)m;
	b = (num + (((unsigned __int128)1 << sh) - 1)) >> sh;
	if (b < 1)
		b = 1;
	return (int)b - 1;
}

static calib_preds *
make_scores(size_t n, const double *s, const int32_t *y, const double *w)
{
	double *x = malloc(2 * n * sizeof(double));
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;
	size_t i;

	for (i = 0; i < n; i++) {
		x[2 * i] = 1 - s[i];
		x[2 * i + 1] = s[i];
	}
	calib_read_options_init(&o);
	o.target = 1; /* score = p_1 exactly as given */
	if (calib_preds_from_arrays("t", n, 2, x, y, w, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays: %s", err.message);
	free(x);
	return p;
}

static void
check_mass(const char *what, size_t n, const double *s, int m, int want_bins,
    const size_t *want_counts, const double *want_hi)
{
	int32_t *y = calloc(n, sizeof(int32_t));
	calib_preds *p = make_scores(n, s, y, NULL);
	calib_bins b;
	int j, good = 1;

	if (p == NULL || calib_bins_compute(p, m, CALIB_BIN_MASS, NULL, &b) !=
	    CALIB_OK) {
		ok(0, "%s: binned", what);
		free(y);
		calib_preds_free(p);
		return;
	}
	is_int(b.m, want_bins, "%s: %d bins", what, want_bins);
	for (j = 0; j < b.m && j < want_bins; j++) {
		if (b.bin[j].count != want_counts[j] ||
		    b.bin[j].hi != want_hi[j] ||
		    b.bin[j].lo != (j ? want_hi[j - 1] : 0.0))
			good = 0;
	}
	ok(good, "%s: counts and edges as worked out", what);
	calib_bins_release(&b);
	calib_preds_free(p);
	free(y);
}

int
main(void)
{
	static const int ms[] = { 1, 2, 3, 7, 10, 15, 20, 100, 1000 };
	gsl_rng *rng;
	long bad = 0, tried = 0;
	size_t i, j;

	/* The doubles nearest 0.2, 0.6 and 0.7 and their neighbours, M = 10.
	 * 0.2 is stored as 0.2000000000000000111 (above 2/10), 0.6 as
	 * 0.5999999999999999778 and 0.7 as 0.6999999999999999556 (both
	 * below), so on the real line they fall in (0.2, 0.3], (0.5, 0.6]
	 * and (0.6, 0.7]. */
	is_int(calib_bin_index(0.2, 10), 2, "0.2 (above 1/5) -> (0.2, 0.3]");
	is_int(calib_bin_index(nextafter(0.2, 0), 10), 1,
	    "the double below 0.2 -> (0.1, 0.2]");
	is_int(calib_bin_index(nextafter(0.2, 1), 10), 2,
	    "the double above 0.2 -> (0.2, 0.3]");
	is_int(calib_bin_index(0.6, 10), 5, "0.6 (below 3/5) -> (0.5, 0.6]");
	is_int(calib_bin_index(nextafter(0.6, 0), 10), 5,
	    "the double below 0.6 -> (0.5, 0.6]");
	is_int(calib_bin_index(nextafter(0.6, 1), 10), 6,
	    "the double above 0.6 -> (0.6, 0.7]");
	is_int(calib_bin_index(0.7, 10), 6, "0.7 (below 7/10) -> (0.6, 0.7]");
	is_int(calib_bin_index(nextafter(0.7, 0), 10), 6,
	    "the double below 0.7 -> (0.6, 0.7]");
	is_int(calib_bin_index(nextafter(0.7, 1), 10), 7,
	    "the double above 0.7 -> (0.7, 0.8]");
	/* Exactly representable edges belong to the lower bin. */
	is_int(calib_bin_index(0.5, 10), 4, "0.5 = 5/10 -> (0.4, 0.5]");
	is_int(calib_bin_index(0.25, 4), 0, "0.25 = 1/4 -> (0, 0.25]");
	is_int(calib_bin_index(0.75, 4), 2, "0.75 = 3/4 -> (0.5, 0.75]");
	is_int(calib_bin_index(nextafter(0.75, 1), 4), 3,
	    "just above 3/4 -> (0.75, 1]");
	is_int(calib_bin_index(0.0, 15), 0, "0 -> first bin");
	is_int(calib_bin_index(4.9e-324, 15), 0, "smallest denormal -> first");
	is_int(calib_bin_index(1.0, 15), 14, "1.0 -> last bin");
	is_int(calib_bin_index(nextafter(1.0, 0), 15), 14,
	    "just below 1 -> last bin");
	is_int(calib_bin_index(1.0 / 15, 15), 0,
	    "1.0/15 (stored below 1/15) -> first bin");
	is_int(calib_bin_index(nextafter(1.0 / 15, 1), 15), 1,
	    "the double above 1.0/15 -> second bin");
	is_int(calib_bin_index(0.3, 1), 0, "M = 1: one bin");

	/* Random doubles and doubles a few ulps around every edge k/M. */
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 42);
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		int m = ms[i];
		for (j = 0; j < 100000; j++) {
			double s = gsl_rng_uniform(rng);
			if (j % 2) {
				int k = (int)gsl_rng_uniform_int(rng,
				    (unsigned long)m + 1);
				int u = (int)gsl_rng_uniform_int(rng, 7) - 3;
				s = (double)k / m;
				for (; u > 0; u--)
					s = nextafter(s, 2);
				for (; u < 0; u++)
					s = nextafter(s, -1);
				if (s < 0 || s > 1)
					continue;
			}
			tried++;
			if (calib_bin_index(s, m) != ref_index(s, m)) {
				bad++;
				if (bad < 5)
					diag("M=%d s=%.17g: %d, reference %d", m,
					    s, calib_bin_index(s, m),
					    ref_index(s, m));
			}
		}
	}
	gsl_rng_free(rng);
	is_int(bad, 0, "bin index equals the exact integer reference on %ld "
	    "doubles", tried);

	/* Equal-mass tables. */
	{
		double s[10] = { 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65,
		    0.75, 0.85, 0.95 };
		size_t c[3] = { 3, 3, 4 };
		double hi[3] = { 0.25, 0.55, 0.95 };
		check_mass("10 distinct, M=3", 10, s, 3, 3, c, hi);
	}
	{
		/* Targets 3 and 6 both fall in the run of 0.3s (positions
		 * 3..6): the first moves to 6, the second coincides. */
		double s[10] = { 0.9, 0.3, 0.1, 0.3, 0.8, 0.3, 0.2, 0.3, 0.7,
		    0.9 };
		size_t c[2] = { 6, 4 };
		double hi[2] = { 0.3, 0.9 };
		check_mass("ties across both cuts, M=3", 10, s, 3, 2, c, hi);
	}
	{
		double s[3] = { 0.6, 0.9, 0.7 };
		size_t c[3] = { 1, 1, 1 };
		double hi[3] = { 0.6, 0.7, 0.9 };
		check_mass("n=3 < M=5", 3, s, 5, 3, c, hi);
	}
	{
		double s[4] = { 0.5, 0.5, 0.5, 0.5 };
		size_t c[1] = { 4 };
		double hi[1] = { 0.5 };
		check_mass("all equal, M=3", 4, s, 3, 1, c, hi);
	}
	{
		double s[7] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 };
		size_t c[2] = { 3, 4 };
		double hi[2] = { 0.3, 0.7 };
		check_mass("n=7, M=2", 7, s, 2, 2, c, hi);
	}

	/* A multiplicity vector bins like the physically repeated rows. */
	{
		double s[6] = { 0.15, 0.55, 0.55, 0.95, 0.35, 0.75 };
		int32_t y[6] = { 0, 1, 1, 1, 0, 1 };
		uint32_t mult[6] = { 2, 0, 1, 3, 1, 1 };
		double sd[8];
		int32_t yd[8];
		size_t nd = 0, r;
		int binning, good;
		calib_preds *p = make_scores(6, s, y, NULL), *q;
		for (r = 0; r < 6; r++)
			for (j = 0; j < mult[r]; j++) {
				sd[nd] = s[r];
				yd[nd] = y[r];
				nd++;
			}
		q = make_scores(nd, sd, yd, NULL);
		for (binning = 0; binning < 2; binning++) {
			calib_bins a, b;
			int k;
			calib_bins_compute(p, 4, (calib_binning)binning, mult, &a);
			calib_bins_compute(q, 4, (calib_binning)binning, NULL, &b);
			good = a.m == b.m && a.n == b.n && a.n == 8;
			for (k = 0; good && k < a.m; k++)
				good = a.bin[k].count == b.bin[k].count &&
				    fabs(a.bin[k].weight - b.bin[k].weight) < 1e-12 &&
				    fabs(a.bin[k].sum_score - b.bin[k].sum_score) < 1e-12 &&
				    fabs(a.bin[k].sum_outcome - b.bin[k].sum_outcome) < 1e-12 &&
				    a.bin[k].hi == b.bin[k].hi;
			ok(good, "multiplicities equal repeated rows (%s)",
			    binning ? "mass" : "width");
			near(calib_ece(&a), calib_ece(&b), 1e-15,
			    "ECE with multiplicities (%s)", binning ? "mass" :
			    "width");
			calib_bins_release(&a);
			calib_bins_release(&b);
		}
		calib_preds_free(p);
		calib_preds_free(q);
	}
	{
		calib_bins b;
		memset(&b, 0, sizeof(b));
		calib_bins_release(&b);
		calib_bins_release(NULL);
		ok(1, "releasing an empty table and NULL is harmless");
	}
	return done_testing();
}
