/*
 * t-reliability.c - per-bin intervals and consistency bands: the intervals
 * against closed forms and their defining equations, the Poisson-binomial
 * recursion against enumeration and the binomial, the bands against exact
 * quantiles worked out by hand, and the table against the fixtures.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "calib.h"
#include "../src/lib/internal.h"
#include "tap.h"

static void
test_wilson(void)
{
	const double z = 1.959963984540054; /* 0.975 quantile of N(0, 1) */
	double lo, hi, p, r;
	calib_status st;

	/* 7 of 10: both ends solve (p - q)^2 = z^2 q (1 - q) / n. */
	st = calib_bin_interval(7, 10, 0.95, CALIB_INTERVAL_WILSON, &lo, &hi);
	is_int(st, CALIB_OK, "Wilson 7/10");
	p = 0.7;
	r = (p - lo) * (p - lo) - z * z * lo * (1 - lo) / 10;
	near(r, 0, 1e-14, "Wilson lower end solves the score equation");
	r = (p - hi) * (p - hi) - z * z * hi * (1 - hi) / 10;
	near(r, 0, 1e-14, "Wilson upper end solves the score equation");
	/* Published (R's prop.test(7, 10, correct = FALSE)):
	 * 0.3967781 0.8922087 */
	near(lo, 0.3967781, 5e-8, "Wilson 7/10 lower = 0.3967781");
	near(hi, 0.8922087, 5e-8, "Wilson 7/10 upper = 0.8922087");

	/* 0 of n: the lower end is 0 and the upper end z^2 / (n + z^2). */
	st = calib_bin_interval(0, 12, 0.95, CALIB_INTERVAL_WILSON, &lo, &hi);
	ok(st == CALIB_OK && lo == 0, "Wilson 0/12 starts at exactly 0");
	near(hi, z * z / (12 + z * z), 1e-15, "Wilson 0/12 upper = z^2/(n+z^2)");
	st = calib_bin_interval(12, 12, 0.95, CALIB_INTERVAL_WILSON, &lo, &hi);
	ok(st == CALIB_OK && hi == 1, "Wilson 12/12 ends at exactly 1");
	near(lo, 12 / (12 + z * z), 1e-15, "Wilson 12/12 lower = n/(n+z^2)");

	/* A fractional (effective) count is accepted. */
	st = calib_bin_interval(1.2, 1.8, 0.95, CALIB_INTERVAL_WILSON, &lo,
	    &hi);
	ok(st == CALIB_OK && lo > 0 && lo < 2.0 / 3 && hi > 2.0 / 3 && hi < 1,
	    "Wilson for 1.2 of 1.8 effective trials brackets 2/3");
}

static void
test_clopper_pearson(void)
{
	double lo, hi;
	calib_status st;

	/* 0 of 10: P(X = 0) = (1 - hi)^10 = .025, so hi = 1 - .025^(1/10). */
	st = calib_bin_interval(0, 10, 0.95, CALIB_INTERVAL_CLOPPER_PEARSON,
	    &lo, &hi);
	ok(st == CALIB_OK && lo == 0, "Clopper-Pearson 0/10 starts at 0");
	near(hi, 1 - pow(0.025, 0.1), 1e-12, "Clopper-Pearson 0/10 upper = "
	    "1 - .025^(1/10)");
	st = calib_bin_interval(10, 10, 0.95, CALIB_INTERVAL_CLOPPER_PEARSON,
	    &lo, &hi);
	ok(st == CALIB_OK && hi == 1, "Clopper-Pearson 10/10 ends at 1");
	near(lo, pow(0.025, 0.1), 1e-12, "Clopper-Pearson 10/10 lower = "
	    ".025^(1/10)");

	/* 7 of 10: P(X >= 7 | lo) = .025 and P(X <= 7 | hi) = .025, checked
	 * with the binomial distribution function. */
	st = calib_bin_interval(7, 10, 0.95, CALIB_INTERVAL_CLOPPER_PEARSON,
	    &lo, &hi);
	is_int(st, CALIB_OK, "Clopper-Pearson 7/10");
	near(gsl_cdf_binomial_Q(6, lo, 10), 0.025, 1e-12,
	    "P(X >= 7 | lower end) = .025");
	near(gsl_cdf_binomial_P(7, hi, 10), 0.025, 1e-12,
	    "P(X <= 7 | upper end) = .025");
	/* Published (R's binom.test(7, 10)): 0.3475471 0.9332605 */
	near(lo, 0.3475471, 5e-8, "Clopper-Pearson 7/10 lower = 0.3475471");
	near(hi, 0.9332605, 5e-8, "Clopper-Pearson 7/10 upper = 0.9332605");
	{
		double wl, wh;
		calib_bin_interval(7, 10, 0.95, CALIB_INTERVAL_WILSON, &wl,
		    &wh);
		ok(lo < wl && hi > wh, "Clopper-Pearson is wider than Wilson");
	}
	/* 90 %: P(X >= 3 | lo) = .05 with n = 40 */
	st = calib_bin_interval(3, 40, 0.9, CALIB_INTERVAL_CLOPPER_PEARSON,
	    &lo, &hi);
	near(gsl_cdf_binomial_Q(2, lo, 40), 0.05, 1e-12, "level 0.9: lower "
	    "end leaves .05 above");
	near(gsl_cdf_binomial_P(3, hi, 40), 0.05, 1e-12, "level 0.9: upper "
	    "end leaves .05 below");
}

static void
test_interval_errors(void)
{
	double lo = 0, hi = 0;

	ok(calib_bin_interval(1, 0, 0.95, CALIB_INTERVAL_WILSON, &lo, &hi) ==
	    CALIB_E_ARG && isnan(lo) && isnan(hi), "n = 0 refused, NaN out");
	ok(calib_bin_interval(3, 2, 0.95, CALIB_INTERVAL_WILSON, &lo, &hi) ==
	    CALIB_E_ARG, "x > n refused");
	ok(calib_bin_interval(1, 2, 1, CALIB_INTERVAL_WILSON, &lo, &hi) ==
	    CALIB_E_ARG, "level 1 refused");
	ok(calib_bin_interval(1, 2, 0.95, (calib_interval)7, &lo, &hi) ==
	    CALIB_E_ARG, "unknown method refused");
}

static void
test_poisson_binomial(void)
{
	double p[10], f[11], g[11], big[3001], *s;
	size_t a, b, i, n = 10;
	unsigned mask;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double worst = 0, sum = 0, mean = 0, want_mean = 0;

	gsl_rng_set(rng, 7);
	for (i = 0; i < n; i++)
		p[i] = gsl_rng_uniform(rng);
	p[3] = 0;
	p[6] = 1;
	/* Enumerate all 2^10 outcomes. */
	memset(g, 0, sizeof(g));
	for (mask = 0; mask < 1u << n; mask++) {
		double pr = 1;
		int k = 0;
		for (i = 0; i < n; i++) {
			if (mask & (1u << i)) {
				pr *= p[i];
				k++;
			} else
				pr *= 1 - p[i];
		}
		g[k] += pr;
	}
	ci_poisson_binomial(n, p, f, &a, &b);
	for (i = 0; i <= n; i++)
		if (fabs(f[i] - g[i]) > worst)
			worst = fabs(f[i] - g[i]);
	near(worst, 0, 1e-15, "Poisson-binomial = enumeration of 2^10 "
	    "outcomes (with p = 0 and p = 1 rows)");
	ok(f[0] == 0 && f[10] == 0 && a >= 1 && b <= 9,
	    "impossible counts are exactly 0");

	/* Equal p: the binomial. */
	for (i = 0; i < n; i++)
		p[i] = 0.3;
	ci_poisson_binomial(n, p, f, &a, &b);
	worst = 0;
	for (i = 0; i <= n; i++)
		if (fabs(f[i] - gsl_ran_binomial_pdf((unsigned)i, 0.3, 10)) >
		    worst)
			worst = fabs(f[i] -
			    gsl_ran_binomial_pdf((unsigned)i, 0.3, 10));
	near(worst, 0, 1e-15, "equal p gives the binomial(10, .3)");

	/* 3000 rows: total mass 1 and mean sum p despite the trimming. */
	s = malloc(3000 * sizeof(*s));
	for (i = 0; i < 3000; i++) {
		s[i] = gsl_rng_uniform(rng);
		want_mean += s[i];
	}
	ci_poisson_binomial(3000, s, big, &a, &b);
	for (i = a; i <= b; i++) {
		sum += big[i];
		mean += (double)i * big[i];
	}
	near(sum, 1, 1e-12, "3000 rows: probabilities sum to 1");
	near(mean, want_mean, 1e-9, "3000 rows: mean = sum of p");
	ok(b - a < 800, "3000 rows: window of %zu values, not 3001", b - a + 1);
	free(s);
	gsl_rng_free(rng);
}

/* Type-1 quantiles of the binomial(n, p) from GSL's distribution function. */
static void
binomial_band(unsigned n, double p, double level, double *lo, double *hi)
{
	unsigned x;

	for (x = 0; gsl_cdf_binomial_P(x, p, n) < (1 - level) / 2; x++)
		;
	*lo = (double)x / n;
	for (x = 0; gsl_cdf_binomial_Q(x, p, n) > (1 - level) / 2; x++)
		;
	*hi = (double)x / n;
}

static void
test_band_exact(void)
{
	double s[200], lo, hi, wlo, whi, w[4];
	calib_status st;
	size_t i;

	/* Binomial(20, .7): F(9) = .0171 < .025 <= F(10) = .0480 and
	 * F(17) = .9645 < .975 <= F(18) = .9924, so the band is
	 * [10/20, 18/20]. */
	for (i = 0; i < 20; i++)
		s[i] = 0.7;
	st = calib_consistency_band(20, s, NULL, 0.95, CALIB_BAND_EXACT, 0, 0,
	    &lo, &hi);
	is_int(st, CALIB_OK, "exact band, 20 rows at .7");
	near(lo, 0.5, 0, "binomial(20, .7) band starts at 10/20");
	near(hi, 0.9, 0, "binomial(20, .7) band ends at 18/20");
	binomial_band(20, 0.7, 0.95, &wlo, &whi);
	ok(lo == wlo && hi == whi, "same as quantiles of GSL's binomial "
	    "distribution function");
	/* Other sizes and levels, against the binomial. */
	{
		static const unsigned ns[] = { 1, 3, 37, 150 };
		static const double ps[] = { .05, .5, .93, .999 };
		static const double lv[] = { .5, .9, .95, .99 };
		int bad = 0, k, j, l;
		for (k = 0; k < 4; k++)
			for (j = 0; j < 4; j++)
				for (l = 0; l < 4; l++) {
					for (i = 0; i < ns[k]; i++)
						s[i] = ps[j];
					calib_consistency_band(ns[k], s, NULL,
					    lv[l], CALIB_BAND_EXACT, 0, 0, &lo,
					    &hi);
					binomial_band(ns[k], ps[j], lv[l], &wlo,
					    &whi);
					if (lo != wlo || hi != whi) {
						bad++;
						diag("n %u p %g level %g: [%g, %g]"
						    " want [%g, %g]", ns[k],
						    ps[j], lv[l], lo, hi, wlo,
						    whi);
					}
				}
		is_int(bad, 0, "64 binomial cases: exact band = binomial "
		    "quantiles");
	}

	/* Unequal scores, worked by hand: s = .9, .85 (the top bin of the
	 * multiclass fixture).  P(X=0) = .1 * .15 = .015,
	 * P(X=1) = .9 * .15 + .1 * .85 = .22, P(X=2) = .765.
	 * Level .95: F(0) = .015 < .025 <= F(1), and P(X > 1) = .765 > .025,
	 * so [1/2, 2/2].  Level .5: F(1) = .235 < .25, so [2/2, 2/2]. */
	s[0] = 0.9;
	s[1] = 0.85;
	calib_consistency_band(2, s, NULL, 0.95, CALIB_BAND_EXACT, 0, 0, &lo,
	    &hi);
	ok(lo == 0.5 && hi == 1, "s = .9, .85 at 95 %%: [.5, 1] (got [%g, %g])",
	    lo, hi);
	calib_consistency_band(2, s, NULL, 0.5, CALIB_BAND_EXACT, 0, 0, &lo,
	    &hi);
	ok(lo == 1 && hi == 1, "s = .9, .85 at 50 %%: [1, 1] (got [%g, %g])",
	    lo, hi);

	/* Equal weights: the same band as no weights; zero weights drop
	 * the row. */
	w[0] = w[1] = 2.5;
	calib_consistency_band(2, s, w, 0.5, CALIB_BAND_AUTO, 0, 0, &lo, &hi);
	ok(lo == 1 && hi == 1, "equal weights: exact, same band");
	s[2] = 0.01;
	w[2] = 0;
	calib_consistency_band(3, s, w, 0.5, CALIB_BAND_EXACT, 0, 0, &lo, &hi);
	ok(lo == 1 && hi == 1, "a zero-weight row is left out");
	w[1] = 1;
	st = calib_consistency_band(2, s, w, 0.5, CALIB_BAND_EXACT, 0, 0, &lo,
	    &hi);
	ok(st == CALIB_E_ARG && isnan(lo), "exact with unequal weights "
	    "refused");
	st = calib_consistency_band(0, s, NULL, 0.5, CALIB_BAND_EXACT, 0, 0,
	    &lo, &hi);
	ok(st == CALIB_OK && isnan(lo) && isnan(hi), "empty bin: NaN band");
	s[0] = 1.5;
	ok(calib_consistency_band(1, s, NULL, 0.5, CALIB_BAND_EXACT, 0, 0,
	    &lo, &hi) == CALIB_E_ARG, "score outside [0, 1] refused");
}

static void
test_band_resample(void)
{
	double s[300], w[2], lo, hi, elo, ehi, lo2, hi2;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	size_t i;

	gsl_rng_set(rng, 11);
	for (i = 0; i < 300; i++)
		s[i] = 0.5 + 0.5 * gsl_rng_uniform(rng);
	calib_consistency_band(300, s, NULL, 0.95, CALIB_BAND_EXACT, 0, 0,
	    &elo, &ehi);
	calib_consistency_band(300, s, NULL, 0.95, CALIB_BAND_RESAMPLE, 20000,
	    5, &lo, &hi);
	diag("300 rows: exact [%.6f, %.6f], 20000 resamples [%.6f, %.6f]",
	    elo, ehi, lo, hi);
	ok(fabs(lo - elo) <= 1.0 / 300 + 1e-12 &&
	    fabs(hi - ehi) <= 1.0 / 300 + 1e-12,
	    "resampled band within one count of the exact band");
	calib_consistency_band(300, s, NULL, 0.95, CALIB_BAND_RESAMPLE, 20000,
	    5, &lo2, &hi2);
	ok(lo2 == lo && hi2 == hi, "same seed, same band");

	/* Two rows, weights 1 and 3, s = .5 each: A is 0, 1/4, 3/4 or 1 with
	 * probability 1/4 each.  Level .4 asks for the .3 and .7 quantiles:
	 * 1/4 and 3/4 (the distribution function jumps past .3 at 1/4 and past
	 * .7 at 3/4, each .05 away: 16 standard errors at 20000 draws). */
	s[0] = s[1] = 0.5;
	w[0] = 1;
	w[1] = 3;
	calib_consistency_band(2, s, w, 0.4, CALIB_BAND_AUTO, 20000, 3, &lo,
	    &hi);
	ok(lo == 0.25 && hi == 0.75, "weights 1 and 3: band [1/4, 3/4] "
	    "(got [%g, %g])", lo, hi);
	ok(calib_consistency_band(2, s, w, 0.4, CALIB_BAND_RESAMPLE, 0, 3,
	    &lo, &hi) == CALIB_E_ARG, "0 resamples refused");
	gsl_rng_free(rng);
}

static calib_preds *
read_fixture(const char *name, int target)
{
	char path[1024];
	const char *top = getenv("top_srcdir");
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".",
	    name);
	calib_read_options_init(&o);
	o.target = target;
	if (calib_read(path, &o, &p, &err) != CALIB_OK)
		diag("%s: %s", path, err.message);
	return p;
}

static void
test_table(void)
{
	calib_reliability_options o;
	calib_reliability r;
	calib_error err;
	calib_preds *p;
	double lo, hi;

	calib_reliability_options_init(&o);
	ok(o.bins == 15 && o.level == 0.95 && o.band == CALIB_BAND_AUTO &&
	    o.interval == CALIB_INTERVAL_WILSON && o.resamples == 2000,
	    "documented defaults");

	/* multiclass.csv, M = 5: bins 1 and 2 empty; bin 3 = rows 3, 4
	 * (.5 right, .45 wrong); bin 4 = row 5 (.7 right); bin 5 = rows 1, 2
	 * (.9 right, .85 wrong). */
	p = read_fixture("multiclass.csv", CALIB_TARGET_TOP);
	o.bins = 5;
	o.level = 0.5;
	is_int(calib_reliability_compute(p, &o, &r, &err), CALIB_OK,
	    "table of multiclass.csv");
	is_int(r.table.m, 5, "five bins");
	is_int(r.band, CALIB_BAND_EXACT, "no weights: exact band");
	ok(isnan(r.u[0].acc_lo) && isnan(r.u[0].band_lo) && isnan(r.u[1].n_eff),
	    "empty bins have no interval and no band");
	near(r.u[4].n_eff, 2, 0, "bin 5: 2 rows");
	calib_bin_interval(1, 2, 0.5, CALIB_INTERVAL_WILSON, &lo, &hi);
	ok(r.u[4].acc_lo == lo && r.u[4].acc_hi == hi, "bin 5: Wilson "
	    "interval of 1 of 2");
	/* Worked above: at 50 % the band of (.9, .85) is [1, 1], and the
	 * observed .5 lies outside it. */
	ok(r.u[4].band_lo == 1 && r.u[4].band_hi == 1, "bin 5: band [1, 1]");
	/* bin 3: P(X=0) = .5 * .55 = .275 >= .25, P(X=2) = .225 <= .25 and
	 * P(X=1) + P(X=2) = .725 > .25, so [0, 1/2] */
	ok(r.u[2].band_lo == 0 && r.u[2].band_hi == 0.5, "bin 3: band [0, .5] "
	    "(got [%g, %g])", r.u[2].band_lo, r.u[2].band_hi);
	calib_reliability_release(&r);
	calib_reliability_release(&r);
	ok(r.u == NULL && r.table.bin == NULL, "release twice is harmless");

	/* Equal-mass bins: rows are found in the bins the table made. */
	o.binning = CALIB_BIN_MASS;
	o.bins = 2;
	is_int(calib_reliability_compute(p, &o, &r, &err), CALIB_OK,
	    "equal-mass table");
	ok(r.table.m == 2 && r.u[0].n_eff == 2 && r.u[1].n_eff == 3,
	    "equal-mass bins of 2 and 3 rows");
	calib_reliability_release(&r);
	o.binning = CALIB_BIN_WIDTH;

	o.level = 1.5;
	ok(calib_reliability_compute(p, &o, &r, &err) == CALIB_E_ARG &&
	    strstr(err.message, "strictly between 0 and 1") != NULL,
	    "level 1.5 refused: %s", err.message);
	o.level = 0.95;
	calib_preds_free(p);

	/* weighted.csv: row 1 (.9, right) has weight 2.  Bin 5 holds
	 * weights 2 and 1: W = 3, sum w^2 = 5, n_eff = 9/5, x = 2 * 3/5. */
	p = read_fixture("weighted.csv", CALIB_TARGET_TOP);
	o.bins = 5;
	is_int(calib_reliability_compute(p, &o, &r, &err), CALIB_OK,
	    "weighted table");
	is_int(r.band, CALIB_BAND_RESAMPLE, "unequal weights: resampled band");
	near(r.u[4].n_eff, 1.8, 1e-15, "bin 5: Kish n_eff = 9/5");
	calib_bin_interval(1.2, 1.8, 0.95, CALIB_INTERVAL_WILSON, &lo, &hi);
	near(r.u[4].acc_lo, lo, 1e-15, "bin 5: interval of 1.2 of 1.8");
	calib_reliability_release(&r);
	o.band = CALIB_BAND_EXACT;
	ok(calib_reliability_compute(p, &o, &r, &err) == CALIB_E_ARG &&
	    strstr(err.message, "equal weights") != NULL,
	    "exact band on unequal weights refused: %s", err.message);
	o.band = CALIB_BAND_AUTO;
	calib_preds_free(p);

	/* One-vs-rest for class 2: scores .05 .05 .2 .2 .1, only row 4 has
	 * y = 2.  M = 5: bin 1 = .05 .05 .1 (none), bin 2 = .2 .2 (the double
	 * .2 lies above 1/5) with row 4. */
	p = read_fixture("multiclass.csv", 2);
	is_int(calib_reliability_compute(p, &o, &r, &err), CALIB_OK,
	    "class 2 table");
	ok(r.table.bin[0].count == 3 && r.table.bin[1].count == 2 &&
	    r.table.bin[2].count == 0, "class 2: 3 rows in bin 1, 2 in bin 2");
	near(r.table.bin[1].sum_outcome / r.table.bin[1].weight, 0.5, 0,
	    "class 2, bin 2: frequency 1/2");
	ok(r.u[0].acc_lo == 0, "class 2, bin 1: 0 of 3, interval from 0");
	calib_reliability_release(&r);
	calib_preds_free(p);
}

int
main(void)
{
	gsl_set_error_handler_off();
	test_wilson();
	test_clopper_pearson();
	test_interval_errors();
	test_poisson_binomial();
	test_band_exact();
	test_band_resample();
	test_table();
	return done_testing();
}
