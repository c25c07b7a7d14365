/*
 * t-classwise.c - the classwise estimators computed together
 * (ci_classwise_all(): one sort per class, classes over threads) against
 * the per-estimator routines, to the bit, for several thread counts; and
 * the per-class sort against a comparison sort by (score, row).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "../src/lib/internal.h"
#include "tap.h"

static uint64_t rng_state = 88172645463325252ULL;

static double
unif(void)
{
	/* xorshift64: the test needs varied rows, not good randomness */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

/*
 * n rows of k classes of one of several kinds: 0 continuous softmax rows,
 * 1 scores rounded to 2 decimals (long runs of ties), 2 scores a few ulps
 * apart (rows that share the sort's 32-bit prefix: short and long runs
 * that the prefix alone does not order), 3 mostly exact 0 (or -0) and 1.
 */
static calib_preds *
make(size_t n, int k, int kind, int weighted)
{
	double *x = malloc((n ? n : 1) * (size_t)k * sizeof(double));
	double *w = weighted ? malloc((n ? n : 1) * sizeof(double)) : NULL;
	int32_t *y = malloc((n ? n : 1) * sizeof(int32_t));
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		double s = 0;
		for (j = 0; j < k; j++) {
			double v;
			switch (kind) {
			case 0:
				v = exp(4 * unif());
				break;
			case 1:
				v = round(unif() * 100) / 100 + 0.01;
				break;
			case 2:
				/* 0.25 + up to 2000 ulps, or a ulp-spaced
				 * cluster of 20 */
				v = 0.25 + ldexp(floor(unif() * (j ? 2000 : 20)),
				    -54);
				break;
			default:
				/* -0 too: the bin edges keep a run's first
				 * zero */
				v = unif() < 0.5 ? 1 : unif() < 0.5 ? -0.0 :
				    0;
				break;
			}
			x[i * (size_t)k + (size_t)j] = v;
			s += v;
		}
		if (!(s > 0)) {
			x[i * (size_t)k] = 1;
			s = 1;
		}
		/* kind 2 keeps its close values: the last class takes the
		 * rest */
		if (kind == 2) {
			double r = 0;
			for (j = 0; j < k - 1; j++)
				r += x[i * (size_t)k + (size_t)j] /= 4;
			x[i * (size_t)k + (size_t)(k - 1)] = 1 - r;
		} else {
			double r = 0;
			for (j = 0; j < k - 1; j++)
				r += x[i * (size_t)k + (size_t)j] /= s;
			x[i * (size_t)k + (size_t)(k - 1)] = r < 1 ? 1 - r : 0;
		}
		y[i] = (int32_t)(unif() * k);
		if (w)
			w[i] = unif() < 0.1 ? 0 : 0.5 + unif();
	}
	calib_read_options_init(&o);
	o.keep = CALIB_KEEP_PROBS;
	o.sum_tol = 1e-3;
	if (calib_preds_from_arrays("t", n, k, x, y, w, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays failed: %s", err.message);
	free(x);
	free(w);
	free(y);
	return p;
}

static int
same(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int
cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

static int
cmp_row(const void *x, const void *y, void *ctx)
{
	const double *s = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	if (s[a] != s[b])
		return s[a] < s[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/* Each class's sort equals qsort by (score, row). */
static void
check_sort(const calib_preds *p, const char *what)
{
	size_t n = p->n, i, bad = 0;
	size_t *ord = malloc((n ? n : 1) * sizeof(size_t));
	size_t *ref = malloc((n ? n : 1) * sizeof(size_t));
	double *sv = malloc((n ? n : 1) * sizeof(double));
	double *col = malloc((n ? n : 1) * sizeof(double));
	uint8_t *sh = malloc(n ? n : 1);
	int k;

	for (k = 0; k < p->k; k++) {
		if (ci_class_sorted(p, k, ord, sv, sh) != 0) {
			bad++;
			break;
		}
		for (i = 0; i < n; i++) {
			col[i] = p->probs[i * (size_t)p->k + (size_t)k];
			ref[i] = i;
		}
		qsort_r(ref, n, sizeof(*ref), cmp_row, col);
		for (i = 0; i < n; i++)
			if (ord[i] != ref[i] || sv[i] != col[ref[i]] ||
			    sh[i] != (p->label[ref[i]] == k))
				bad++;
		/* without the rows: the values from the sort's words */
		{
			ci_sort_scratch sc;
			uint8_t *h2 = malloc(n ? n : 1);
			sc.a = malloc((n ? n : 1) * sizeof(uint64_t));
			sc.b = malloc((n ? n : 1) * sizeof(uint64_t));
			sc.run = NULL;
			sc.run_cap = 0;
			if (h2 == NULL || sc.a == NULL || sc.b == NULL ||
			    ci_prefix_sort(n, p->probs + k, (size_t)p->k,
			    p->label, k, NULL, &sc, sv, h2, NULL) != 0)
				bad++;
			else
				for (i = 0; i < n; i++)
					if (sv[i] != col[ref[i]] || h2[i] !=
					    (p->label[ref[i]] == k))
						bad++;
			free(h2);
			free(sc.a);
			free(sc.b);
			free(sc.run);
		}
		/* and the top-label order's routine on the column */
		{
			size_t *o = ci_score_order_values(n, col, sv);
			if (o == NULL)
				bad++;
			for (i = 0; o != NULL && i < n; i++)
				if (o[i] != ref[i] || sv[i] != col[ref[i]])
					bad++;
			free(o);
		}
	}
	ok(bad == 0, "%s: every class sorted by (score, row), with and "
	    "without rows, and as a top-label column (%zu wrong)",
	    what, bad);
	free(ord);
	free(ref);
	free(sv);
	free(col);
	free(sh);
}

/* ci_classwise_all() against the estimators one at a time. */
static void
check_all(const calib_preds *p, int m, double thr, const char *what)
{
	ci_class_orders c;
	double deb, ace, tace, ece;
	int threads[] = { 1, 2, 3, 8 }, t, good = 1;

	if (ci_class_orders_build(p, 0, &c) != 0) {
		ok(0, "%s: out of memory", what);
		return;
	}
	ci_classwise_debiased(p, &c, NULL, m, &deb);
	ci_ace(p, &c, NULL, m, -1, &ace);
	ci_ace(p, &c, NULL, m, thr, &tace);
	ci_classwise_ece_mass(p, &c, NULL, m, &ece);
	ci_class_orders_free(&c);
	for (t = 0; t < 4; t++) {
		ci_cw_values v;
		unsigned want;
		/* all four, and each alone */
		for (want = 0; want < 5; want++) {
			unsigned wm = want == 4 ? CI_CW_DEBIASED | CI_CW_ACE |
			    CI_CW_TACE | CI_CW_ECE : 1u << want;
			if (ci_classwise_all(p, wm, m, thr, threads[t], &v) !=
			    CALIB_OK) {
				good = 0;
				continue;
			}
			if ((wm & CI_CW_DEBIASED && !same(v.debiased, deb)) ||
			    (wm & CI_CW_ACE && !same(v.ace, ace)) ||
			    (wm & CI_CW_TACE && !same(v.tace, tace)) ||
			    (wm & CI_CW_ECE && !same(v.ece, ece))) {
				diag("%s, %d threads, want %u: %.17g %.17g "
				    "%.17g %.17g against %.17g %.17g %.17g "
				    "%.17g", what, threads[t], wm, v.debiased,
				    v.ace, v.tace, v.ece, deb, ace, tace, ece);
				good = 0;
			}
		}
	}
	ok(good, "%s: together equals one at a time, to the bit, on 1-8 "
	    "threads (%.6g %.6g %.6g %.6g)", what, deb, ace, tace, ece);
}

/*
 * Unweighted rows take a counting shortcut in the equal-mass tables (no
 * value compares before the next cut); rows of weight 1 take the general
 * loop.  The same rows both ways give the same estimates, to the bit.
 */
static void
check_unit_weights(const calib_preds *p, int m, double thr, const char *what)
{
	const unsigned want = CI_CW_DEBIASED | CI_CW_ACE | CI_CW_TACE |
	    CI_CW_ECE;
	double *ones = malloc((p->n ? p->n : 1) * sizeof(double));
	calib_read_options o;
	calib_preds *q = NULL;
	calib_error err;
	ci_cw_values a, b;
	size_t i;

	for (i = 0; i < p->n; i++)
		ones[i] = 1;
	calib_read_options_init(&o);
	o.keep = CALIB_KEEP_PROBS;
	o.sum_tol = 1e-3;
	if (ones == NULL || calib_preds_from_arrays("t", p->n, p->k, p->probs,
	    p->label, ones, &o, &q, &err) != CALIB_OK ||
	    ci_classwise_all(p, want, m, thr, 1, &a) != CALIB_OK ||
	    ci_classwise_all(q, want, m, thr, 1, &b) != CALIB_OK) {
		ok(0, "%s: weights of 1 computed", what);
	} else {
		ok(same(a.debiased, b.debiased) && same(a.ace, b.ace) &&
		    same(a.tace, b.tace) && same(a.ece, b.ece),
		    "%s: unweighted equals weights of 1, to the bit (%.17g "
		    "%.17g %.17g %.17g / %.17g %.17g %.17g %.17g)", what,
		    a.debiased, a.ace, a.tace, a.ece, b.debiased, b.ace,
		    b.tace, b.ece);
	}
	calib_preds_free(q);
	free(ones);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The calibration test's replicates: each from its own stream, so the
 * p-value does not depend on the threads; on calibrated data it is
 * uniform (KS distance below the 0.1 % critical value 1.95 / sqrt(200)),
 * weighted or not, with strata both wide (dense scores near 1) and narrow.
 */
static void
check_test(void)
{
	enum { N = 4000, SEEDS = 200 };
	double *s = malloc(N * sizeof(double)), *w = malloc(N * sizeof(double));
	uint8_t *o = malloc(N);
	double pv[2][SEEDS];
	int sd, i, wt, t, same_all = 1, distinct = 1;
	unsigned long prev = 0;

	for (wt = 0; wt < 2; wt++) {
		double D = 0;
		for (sd = 0; sd < SEEDS; sd++) {
			for (i = 0; i < N; i++) {
				/* half dense near 1, half spread */
				s[i] = i % 2 ? 0.95 + 0.05 * unif() : unif();
				o[i] = unif() < s[i];
				w[i] = 1;
			}
			ci_calibration_test(N, s, o, wt ? w : NULL, NULL, NULL,
			    15, sd % 2 ? CALIB_BIN_MASS : CALIB_BIN_WIDTH, 99,
			    (unsigned long)sd + 1, 1, &pv[wt][sd]);
			if (sd < 5)
				for (t = 2; t <= 8; t *= 2) {
					double v;
					ci_calibration_test(N, s, o, wt ? w :
					    NULL, NULL, NULL, 15, sd % 2 ?
					    CALIB_BIN_MASS : CALIB_BIN_WIDTH, 99,
					    (unsigned long)sd + 1, t, &v);
					if (!same(v, pv[wt][sd]))
						same_all = 0;
				}
		}
		qsort(pv[wt], SEEDS, sizeof(double), cmp_d);
		for (sd = 0; sd < SEEDS; sd++) {
			double hi = (sd + 1.0) / SEEDS - pv[wt][sd];
			double lo = pv[wt][sd] - (double)sd / SEEDS;
			if (hi > D)
				D = hi;
			if (lo > D)
				D = lo;
		}
		ok(D < 0.138, "calibration test%s: p-values of calibrated "
		    "data uniform, KS D = %.4f over %d seeds", wt ?
		    " (weighted rows)" : "", D, SEEDS);
	}
	ok(same_all, "calibration test: the same p-value on 1, 2, 4 and 8 "
	    "threads");
	/* replicate streams: no two of the first 10000 share a seed */
	{
		unsigned long *rs = malloc(10000 * sizeof(*rs));
		for (i = 0; i < 10000; i++)
			rs[i] = ci_test_replicate_seed(1, i);
		qsort(rs, 10000, sizeof(*rs), cmp_ul);
		for (i = 1; i < 10000; i++)
			if (rs[i] == rs[i - 1])
				distinct = 0;
		prev = ci_test_replicate_seed(2, 0);
		free(rs);
	}
	ok(distinct && prev != ci_test_replicate_seed(1, 0),
	    "replicate seeds differ by replicate and by seed");
	free(s);
	free(w);
	free(o);
}

int
main(void)
{
	static const size_t sizes[] = { 1, 7, 300, 5000, 70000 };
	static const char *kinds[] = { "continuous", "2 decimals",
	    "ulps apart", "0 and 1" };
	int kind, si, weighted;

	for (kind = 0; kind < 4; kind++)
		for (si = 0; si < 5; si++)
			for (weighted = 0; weighted < 2; weighted++) {
				char what[128];
				int k = si % 2 ? 3 : 10;
				calib_preds *p = make(sizes[si], k, kind,
				    weighted);
				snprintf(what, sizeof(what), "%s, %zu x %d%s",
				    kinds[kind], sizes[si], k, weighted ?
				    ", weighted" : "");
				if (p == NULL) {
					ok(0, "%s: built", what);
					continue;
				}
				if (!weighted) {
					check_sort(p, what);
					check_unit_weights(p, si == 0 ? 1 : 15,
					    kind == 1 ? 0.25 : 1e-3, what);
				}
				/* the TACE threshold on a tied value too */
				check_all(p, si == 0 ? 1 : 15, kind == 1 ? 0.25 :
				    1e-3, what);
				calib_preds_free(p);
			}
	check_test();
	return done_testing();
}
