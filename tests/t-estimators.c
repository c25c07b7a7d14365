/*
 * t-estimators.c - the estimators beyond the binned ECE against values
 * worked out by hand, invariants, and (smooth ECE) an independent
 * adaptive quadrature of the defining integral.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "tap.h"

static calib_preds *
make(size_t n, int k, const double *x, const int32_t *y, const double *w,
    unsigned keep)
{
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;

	calib_read_options_init(&o);
	o.keep = keep;
	if (calib_preds_from_arrays("t", n, k, x, y, w, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays failed: %s", err.message);
	return p;
}

/* Binary rows with P(class 1) = q[i]: top-label score max(q, 1-q). */
static calib_preds *
make_binary_pos(size_t n, const double *q, const int32_t *y,
    const double *w)
{
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;
	double *x = malloc(2 * n * sizeof(double));
	size_t i;

	for (i = 0; i < n; i++) {
		x[2 * i] = 1 - q[i];
		x[2 * i + 1] = q[i];
	}
	calib_read_options_init(&o);
	o.target = 1;
	if (calib_preds_from_arrays("t", n, 2, x, y, w, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays failed: %s", err.message);
	free(x);
	return p;
}

/* ---- smooth ECE by direct quadrature -------------------------------- */

struct direct {
	size_t n;
	const double *s, *a;
	double sigma, W;
};

/* R(t) summed row by row over the explicit images s + 2k and -s + 2k. */
static double
direct_R(const struct direct *D, double t)
{
	double total = 0, c = 1 / (D->sigma * sqrt(2 * M_PI));
	size_t i;
	int k;

	for (i = 0; i < D->n; i++)
		for (k = -6; k <= 6; k++) {
			double u1 = (t - D->s[i] - 2 * k) / D->sigma;
			double u2 = (t + D->s[i] - 2 * k) / D->sigma;
			total += D->a[i] * c * (exp(-u1 * u1 / 2) +
			    exp(-u2 * u2 / 2));
		}
	return total / D->W;
}

/* Adaptive Simpson on |R|: an independent quadrature. */
static double
simpson(const struct direct *D, double a, double b, double fa, double fm,
    double fb, double whole, double tol, int depth)
{
	double m = (a + b) / 2, lm = (a + m) / 2, rm = (m + b) / 2;
	double flm = fabs(direct_R(D, lm)), frm = fabs(direct_R(D, rm));
	double left = (m - a) / 6 * (fa + 4 * flm + fm);
	double right = (b - m) / 6 * (fm + 4 * frm + fb);

	if (depth <= 0 || fabs(left + right - whole) <= 15 * tol)
		return left + right + (left + right - whole) / 15;
	return simpson(D, a, m, fa, flm, fm, left, tol / 2, depth - 1) +
	    simpson(D, m, b, fm, frm, fb, right, tol / 2, depth - 1);
}

static double
direct_smece(const struct direct *D)
{
	/* start from 64 panels so no narrow feature is skipped */
	double total = 0;
	int q;

	for (q = 0; q < 64; q++) {
		double a = q / 64.0, b = (q + 1) / 64.0, m = (a + b) / 2;
		double fa = fabs(direct_R(D, a)), fb = fabs(direct_R(D, b));
		double fm = fabs(direct_R(D, m));
		total += simpson(D, a, b, fa, fm, fb, (b - a) / 6 * (fa +
		    4 * fm + fb), 1e-14, 40);
	}
	return total;
}

static double
lcg(uint64_t *st)
{
	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*st >> 11) / 9007199254740992.0;
}

static void
test_smece(void)
{
	enum { N = 40 };
	double q[N], s[N], a[N], v, su, v2;
	int32_t y[N];
	uint64_t st = 12345;
	calib_preds *p;
	size_t i;
	int j;
	static const double sigmas[] = { 0.01, 0.05, 0.2, 0.7 };

	/* One row: K has mass 1 on [0, 1], so smECE_sigma = |s - o| for
	 * every sigma, and the fixed point is sigma* = |s - o|. */
	{
		double x[2] = { 0.3, 0.7 };
		int32_t yy[1] = { 1 };
		p = make_binary_pos(1, x + 1, yy, NULL);
		calib_smece(p, 0.05, NULL, &v, &su);
		near(v, 0.3, 1e-12, "one row: smECE_0.05 = |.7 - 1|");
		calib_smece(p, 0.9, NULL, &v, &su);
		near(v, 0.3, 1e-12, "one row: smECE_0.9 = |.7 - 1|");
		calib_smece(p, 0, NULL, &v, &su);
		near(v, 0.3, 1e-9, "one row: smECE = .3");
		near(su, 0.3, 1e-9, "one row: sigma* = .3");
		calib_preds_free(p);
		(void)x;
	}

	/* No underconfident region: every residual s - o >= 0 (all
	 * outcomes 0), so |R| = R and smECE_sigma = mean(s) - mean(o). */
	for (i = 0; i < N; i++) {
		q[i] = 0.05 + 0.9 * lcg(&st);
		y[i] = 0;
	}
	p = make_binary_pos(N, q, y, NULL);
	for (i = 0, v2 = 0; i < N; i++)
		v2 += q[i];
	v2 /= N;
	calib_smece(p, 0.03, NULL, &v, &su);
	near(v, v2, 1e-12, "no underconfidence: smECE_0.03 = mean(s) - mean(o)");
	calib_smece(p, 0, NULL, &v, &su);
	near(v, v2, 1e-9, "no underconfidence: smECE = mean(s) - mean(o)");
	calib_preds_free(p);

	/* Random rows, outcomes drawn from a miscalibrated curve, against
	 * adaptive Simpson on the row-by-row kernel sum. */
	for (i = 0; i < N; i++) {
		q[i] = lcg(&st);
		if (i % 7 == 0)
			q[i] = 1.0;       /* scores at the boundary */
		if (i % 11 == 0)
			q[i] = 0.0;
		/* a curve that crosses the diagonal: R changes sign */
		y[i] = lcg(&st) < q[i] + 0.35 * sin(4 * M_PI * q[i]) ? 1 : 0;
	}
	p = make_binary_pos(N, q, y, NULL);
	for (i = 0; i < N; i++) {
		s[i] = p->score[i];
		a[i] = s[i] - p->outcome[i];
	}
	for (j = 0; j < 4; j++) {
		struct direct D = { N, s, a, sigmas[j], N };
		double want = direct_smece(&D);
		calib_smece(p, sigmas[j], NULL, &v, &su);
		near(v, want, 1e-9 * want, "smECE_%g = %.12g by adaptive "
		    "Simpson (got %.12g)", sigmas[j], want, v);
	}
	calib_smece(p, 0, NULL, &v, &su);
	near(v, su, 1e-9, "fixed point: smECE = sigma* (%.10g)", v);
	{
		struct direct D = { N, s, a, su, N };
		double want = direct_smece(&D);
		near(v, want, 1e-9 * want, "smECE at sigma* by quadrature");
	}
	/* Smoothing never increases the L1 norm. */
	{
		double prev = INFINITY;
		int mono = 1;
		for (j = 1; j <= 20; j++) {
			calib_smece(p, j / 20.0, NULL, &v, &su);
			if (v > prev + 1e-13)
				mono = 0;
			prev = v;
		}
		ok(mono, "smECE_sigma does not increase with sigma");
	}
	/* The curve integrates back to the value. */
	{
		calib_smooth_curve c;
		double sum = 0, mass = 0;
		calib_smece(p, 0, NULL, &v, &su);
		ok(calib_smooth_curve_compute(p, 0, 4001, &c) == CALIB_OK,
		    "smooth curve computed");
		near(c.sigma, su, 0, "the curve uses sigma*");
		for (j = 0; j + 1 < c.points; j++) {
			double h = c.t[j + 1] - c.t[j];
			sum += h / 2 * (fabs(c.conf[j] - c.acc[j]) * c.density[j] +
			    fabs(c.conf[j + 1] - c.acc[j + 1]) *
			    c.density[j + 1]);
			mass += h / 2 * (c.density[j] + c.density[j + 1]);
		}
		near(mass, 1, 1e-5, "density integrates to 1");
		near(sum, v, 1e-5, "int |conf - acc| density = smECE");
		calib_smooth_curve_release(&c);
	}
	calib_preds_free(p);

	/* Weight 2 on a row equals the row twice. */
	{
		double qq[4] = { .2, .6, .9, .6 }, ww[3] = { 1, 2, 1 };
		int32_t yy[4] = { 0, 1, 0, 1 };
		calib_preds *p1 = make_binary_pos(3, qq, yy, ww);
		calib_preds *p2 = make_binary_pos(4, qq, yy, NULL);
		calib_smece(p1, 0, NULL, &v, &su);
		calib_smece(p2, 0, NULL, &v2, &su);
		near(v, v2, 1e-12, "weight 2 == the row twice");
		calib_preds_free(p1);
		calib_preds_free(p2);
	}
}

/* ---- debiased l2 --------------------------------------------------- */

static void
test_debiased(void)
{
	/* Two equal-mass bins of four rows (M = 2):
	 *   bin 1: scores .1 .1 .2 .2, outcomes 0 0 0 0: conf .15, acc 0,
	 *          gap^2 = .0225, variance term 0
	 *   bin 2: scores .8 .8 .9 .9, outcomes 1 1 1 1: conf .85, acc 1,
	 *          gap^2 = .0225, variance term 0
	 * D = .0225, debiased = .15 */
	double q[8] = { .1, .1, .2, .2, .8, .8, .9, .9 };
	int32_t y[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
	calib_preds *p;
	double v;

	p = make_binary_pos(8, q, y, NULL);
	ok(calib_debiased_l2(p, 2, NULL, &v) == CALIB_OK, "debiased runs");
	near(v, 0.15, 1e-15, "debiased l2 = sqrt(.0225)");
	calib_preds_free(p);

	/* bin 2 outcomes 1 1 1 0: acc .75, gap^2 = .01, variance
	 * .75 * .25 / 3 = .0625: term -.0525; D = (.0225 - .0525)/2 < 0 */
	y[7] = 0;
	p = make_binary_pos(8, q, y, NULL);
	calib_debiased_l2(p, 2, NULL, &v);
	near(v, 0, 0, "negative bracket clipped to 0");
	calib_preds_free(p);

	/* bin 1: .1 .1 .2 .2 with outcomes 0 0 0 1: acc .25, conf .15:
	 *   .01 - .25*.75/3 = -.0525
	 * bin 2: .8 .8 .9 .9 all 1 except none: gap^2 .0225
	 * Use 3 bins of 8/3 rows to test the cut instead: M = 1 gives
	 * one bin: conf .5, acc 5/8: gap^2 = .015625, variance
	 * (5/8)(3/8)/7 = .0334821...; D < 0 -> 0. */
	y[7] = 1;
	y[3] = 1;
	p = make_binary_pos(8, q, y, NULL);
	calib_debiased_l2(p, 1, NULL, &v);
	near(v, 0, 0, "one bin, negative bracket -> 0");
	/* M = 2: (-.0525 + .0225) / 2 = -.015 -> 0 */
	calib_debiased_l2(p, 2, NULL, &v);
	near(v, 0, 0, "two bins, negative bracket -> 0");
	calib_preds_free(p);

	/* A bin with one row contributes 0: M = 8 on eight distinct
	 * scores leaves every bin a single row. */
	{
		double q2[8] = { .1, .15, .2, .25, .8, .85, .9, .95 };
		int32_t y2[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
		p = make_binary_pos(8, q2, y2, NULL);
		calib_debiased_l2(p, 8, NULL, &v);
		near(v, 0, 0, "single-row bins contribute nothing");
		calib_preds_free(p);
	}

	/* Weights: Kish n_eff.  One bin (M = 1), scores .5 .5 .5, outcomes
	 * 1 0 1, weights 2 1 1: W = 4, acc = 3/4, conf = .5, gap^2 =
	 * .0625; n_eff = 16 / 6 = 8/3; variance (3/16) / (5/3) = .1125;
	 * D = -.05 -> 0.  With outcomes 1 1 1: acc 1, D = .25 -> .5 */
	{
		double q3[3] = { .5, .5, .5 }, w3[3] = { 2, 1, 1 };
		int32_t y3[3] = { 1, 1, 1 };
		p = make_binary_pos(3, q3, y3, w3);
		calib_debiased_l2(p, 1, NULL, &v);
		near(v, 0.5, 1e-15, "weighted, no variance: .5");
		calib_preds_free(p);
	}

	/* Classwise: K = 2, the two classes are mirror images, so
	 * D_0 = D_1 and the classwise value equals the positive-class one:
	 * with the first data set, .15. */
	{
		double x[16];
		int32_t yy[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
		int i;
		for (i = 0; i < 8; i++) {
			x[2 * i] = 1 - q[i];
			x[2 * i + 1] = q[i];
		}
		p = make(8, 2, x, yy, NULL, CALIB_KEEP_PROBS);
		ok(calib_classwise_debiased_l2(p, 2, NULL, &v) == CALIB_OK,
		    "classwise debiased runs");
		near(v, 0.15, 1e-15, "classwise debiased (mirror classes)");
		calib_preds_free(p);
		p = make(8, 2, x, yy, NULL, 0);
		ok(calib_classwise_debiased_l2(p, 2, NULL, &v) == CALIB_E_ARG,
		    "classwise debiased needs the matrix");
		calib_preds_free(p);
	}
}

/* ---- ACE / TACE, UCE, top-label Brier ------------------------------ */

/* The five-row example of t-metrics.c. */
static const double A[] = {
	.9, .05, .05,
	.85, .1, .05,
	.3, .5, .2,
	.45, .35, .2,
	.2, .7, .1,
};
static const int32_t Ay[] = { 0, 1, 1, 2, 1 };

static void
test_ace_uce_brier(void)
{
	calib_preds *p = make(5, 3, A, Ay, NULL, CALIB_KEEP_PROBS);
	calib_bins b;
	double v;

	/* R = 1 range per class: |mean [y = k] - mean p_k|:
	 * class 0: |.2 - 2.7/5| = .34; class 1: |.6 - 1.7/5| = .26;
	 * class 2: |.2 - .6/5| = .08.  ACE = .68 / 3 */
	ok(calib_ace(p, 1, -1, NULL, &v) == CALIB_OK, "ACE runs");
	near(v, 0.68 / 3, 1e-15, "ACE, one range per class = .68/3");
	/* TACE at .06: class 1 drops row 1 (.05): p .1 .5 .35 .7, y 1 1 2 1:
	 * |.75 - .4125| = .3375; class 2 drops rows 1, 2: p .2 .2 .1, y
	 * 1 2 1: |1/3 - .5/3| = 1/6; class 0 keeps all: .34 */
	calib_ace(p, 1, 0.06, NULL, &v);
	near(v, (0.34 + 0.3375 + 1.0 / 6) / 3, 1e-15,
	    "TACE drops predictions at or below the threshold");
	/* R = 2 for class 0: sorted .2(y1) .3(y1) | .45(y2) .85(y1) .9(y0):
	 * |0 - .25| + |1/3 - 2.2/3| = .25 + .4; class 1: .05(y0) .1(y1) |
	 * .35(y2) .5(y1) .7(y1): |.5 - .075| + |2/3 - 1.55/3| = .425 + .15;
	 * class 2: .05 .05 .1 .2 .2 - ties: cut after 2 -> .05 .05 (y0 y1)
	 * | .1 .2 .2 (y1 y1 y2): |0 - .05| + |1/3 - .5/3| = .05 + 1/6.
	 * ACE = (.65 + .575 + .05 + 1/6) / 6 */
	calib_ace(p, 2, -1, NULL, &v);
	near(v, (0.65 + 0.575 + 0.05 + 1.0 / 6) / 6, 1e-15,
	    "ACE, two equal-mass ranges per class");

	/* UCE with M = 5: bin 3 (.5 ok, .45 x): conf .475 < acc .5:
	 * (2/5)(.525)(.025) = .00525; bin 4 (.7 ok): (1/5)(.3)(.3) = .018;
	 * bin 5 (.9 ok, .85 x) is overconfident: 0.  UCE = .02325 */
	calib_bins_compute(p, 5, CALIB_BIN_WIDTH, NULL, &b);
	near(calib_uce(&b), 0.02325, 1e-15, "UCE = .00525 + .018");
	calib_bins_release(&b);

	/* Top-label Brier: (.1^2 + .85^2 + .5^2 + .45^2 + .3^2) / 5 */
	near(calib_brier_top_label(p, NULL), 1.275 / 5, 1e-15,
	    "top-label Brier = 1.275/5");
	calib_preds_free(p);

	/* Every L1 estimator equals mean(conf) - acc when no bin is
	 * underconfident: every row wrong. */
	{
		double x[8] = { .7, .3, .2, .8, .9, .1, .4, .6 };
		int32_t y[4] = { 1, 0, 1, 0 };
		calib_metric_options mo;
		calib_metrics m;
		calib_error err;
		p = make(4, 2, x, y, NULL, CALIB_KEEP_PROBS);
		calib_metric_options_init(&mo);
		calib_metric_select("ece,smece,uce,overconfidence", &mo.select,
		    &err);
		calib_metrics_compute(p, &mo, NULL, &m);
		near(m.ece, m.overconfidence, 1e-15, "ECE = mean conf - acc");
		near(m.smece, m.overconfidence, 1e-9, "smECE = mean conf - acc");
		near(m.uce, 0, 0, "UCE = 0");
		calib_preds_free(p);
	}
}

/*
 * Smooth ECE splits each width's pass over the rows between threads at
 * changes of its grid bin: 300,000 rows (several shares) with scores on a
 * coarse grid (long runs of one bin, so the split must walk past them),
 * weighted and not, fixed width and fixed point, must give the same bits
 * on 1, 2, 3 and 8 threads.
 */
static void
test_smece_threads(void)
{
	enum { N = 300000 };
	double *x = malloc(2 * N * sizeof(double));
	double *w = malloc(N * sizeof(double));
	int32_t *y = malloc(N * sizeof(int32_t));
	uint64_t st = 777;
	size_t i;
	int pass, t, good = 1;
	static const int threads[] = { 2, 3, 8 };

	for (i = 0; i < N; i++) {
		double u, q;
		st = st * 6364136223846793005ULL + 1442695040888963407ULL;
		u = (double)(st >> 11) * 0x1p-53;
		/* three quarters on 64 grid values, the rest anywhere */
		q = i % 4 ? 0.5 + floor(u * 64) / 128 : 0.5 + u / 2;
		x[2 * i] = 1 - q;
		x[2 * i + 1] = q;
		st = st * 6364136223846793005ULL + 1442695040888963407ULL;
		y[i] = (double)(st >> 11) * 0x1p-53 < q * q ? 1 : 0;
		w[i] = 0.5 + (double)(i % 7);
	}
	for (pass = 0; pass < 4; pass++) {
		calib_preds *p = make(N, 2, x, y, pass & 1 ? w : NULL, 0);
		calib_metric_options mo;
		calib_metrics m1, mt;
		calib_error err;
		if (p == NULL) {
			good = 0;
			continue;
		}
		calib_metric_options_init(&mo);
		calib_metric_select("smece,smece_sigma", &mo.select, &err);
		mo.smece_sigma = pass & 2 ? 0.03 : 0;
		mo.threads = 1;
		calib_metrics_compute(p, &mo, NULL, &m1);
		for (t = 0; t < 3; t++) {
			mo.threads = threads[t];
			calib_metrics_compute(p, &mo, NULL, &mt);
			if (memcmp(&m1.smece, &mt.smece, sizeof(double)) != 0 ||
			    memcmp(&m1.smece_sigma, &mt.smece_sigma,
			    sizeof(double)) != 0 || !(m1.smece > 0)) {
				good = 0;
				diag("pass %d, %d threads: %.17g (sigma %.17g) "
				    "against %.17g (%.17g)", pass, threads[t],
				    mt.smece, mt.smece_sigma, m1.smece,
				    m1.smece_sigma);
			}
		}
		calib_preds_free(p);
	}
	ok(good, "smooth ECE and its sigma: the same bits on 1, 2, 3 and 8 "
	    "threads (300,000 rows, runs of one bin, weighted and not, fixed "
	    "and solved width)");
	free(x);
	free(w);
	free(y);
}

/* ---- CORP ----------------------------------------------------------- */

/* Isotonic regression by the min-max formula (Barlow et al. 1972): the
 * value at run r is max over a <= r of min over b >= r of the mean of
 * runs a..b.  O(R^3), independent of PAV. */
static double
minmax_brier(size_t n, const double *s, const int *o)
{
	double total = 0;
	size_t r, a, b, i;

	for (r = 0; r < n; r++) {
		double best = -INFINITY;
		for (a = 0; a <= r; a++) {
			double mn = INFINITY;
			for (b = r; b < n; b++) {
				double sum = 0;
				for (i = a; i <= b; i++)
					sum += o[i];
				if (sum / (b - a + 1) < mn)
					mn = sum / (b - a + 1);
			}
			if (mn > best)
				best = mn;
		}
		total += (best - o[r]) * (best - o[r]);
	}
	(void)s;
	return total / n;
}

static void
test_corp(void)
{
	double q[4] = { .2, .4, .6, .8 };
	int32_t y[4] = { 0, 1, 0, 1 };
	calib_preds *p = make_binary_pos(4, q, y, NULL);
	calib_corp c;
	enum { N = 50 };
	double qs[N], bs = 0, mean = 0;
	int32_t ys[N];
	int os[N];
	uint64_t st = 99;
	size_t i;

	/* PAV: 0 | (1, 0) -> .5 | 1.  Brier (.04 + .36 + .36 + .04)/4 = .2;
	 * recalibrated 2 * .25 / 4 = .125; UNC = .25;
	 * MCB = .075, DSC = .125 */
	ok(calib_corp_compute(p, NULL, 1, &c) == CALIB_OK, "CORP runs");
	near(c.brier, 0.2, 1e-15, "Brier .2");
	near(c.mcb, 0.075, 1e-15, "MCB .075");
	near(c.dsc, 0.125, 1e-15, "DSC .125");
	near(c.unc, 0.25, 1e-15, "UNC .25");
	is_int((long long)c.blocks, 3, "three PAV blocks");
	ok(c.blocks == 3 && c.cep[0] == 0 && c.cep[1] == 0.5 &&
	    c.cep[2] == 1 && c.lo[1] == 0.4 && c.hi[1] == 0.6 &&
	    c.count[1] == 2, "blocks 0 | [.4, .6] .5 | 1");
	calib_corp_release(&c);
	calib_preds_free(p);

	/* Sorted distinct scores against the min-max formula. */
	for (i = 0; i < N; i++) {
		qs[i] = (i + 0.5) / N;
		ys[i] = os[i] = lcg(&st) < qs[i] * qs[i] ? 1 : 0;
		bs += (qs[i] - os[i]) * (qs[i] - os[i]);
		mean += os[i];
	}
	bs /= N;
	mean /= N;
	p = make_binary_pos(N, qs, ys, NULL);
	calib_corp_compute(p, NULL, 0, &c);
	near(c.mcb, bs - minmax_brier(N, qs, os), 1e-14,
	    "MCB against the min-max isotonic regression");
	near(c.unc, mean * (1 - mean), 1e-15, "UNC = obar (1 - obar)");
	near(c.mcb - c.dsc + c.unc, c.brier, 1e-15, "BS = MCB - DSC + UNC");
	ok(c.mcb >= 0 && c.dsc >= 0, "MCB, DSC >= 0");
	calib_corp_release(&c);
	calib_preds_free(p);
}

/* ---- calibration test p-value -------------------------------------- */

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
test_p_value(void)
{
	enum { N = 100, SEEDS = 200 };
	double q[N], pv[SEEDS], D = 0, v;
	int32_t y[N];
	uint64_t st = 2024;
	calib_preds *p;
	int sd, i;

	/* Calibrated data: y ~ Bernoulli(q).  The p-values must look
	 * uniform: Kolmogorov-Smirnov distance below the 0.1 % critical
	 * value 1.95 / sqrt(200) = .138. */
	for (sd = 0; sd < SEEDS; sd++) {
		for (i = 0; i < N; i++) {
			q[i] = lcg(&st);
			y[i] = lcg(&st) < q[i] ? 1 : 0;
		}
		p = make_binary_pos(N, q, y, NULL);
		calib_calibration_test(p, 10, CALIB_BIN_WIDTH, 199,
		    (unsigned long)sd + 1, NULL, &pv[sd]);
		calib_preds_free(p);
	}
	qsort(pv, SEEDS, sizeof(double), cmp_d);
	for (sd = 0; sd < SEEDS; sd++) {
		double hi = (sd + 1.0) / SEEDS - pv[sd], lo = pv[sd] -
		    (double)sd / SEEDS;
		if (hi > D)
			D = hi;
		if (lo > D)
			D = lo;
	}
	ok(D < 0.138, "p-values of calibrated data uniform: KS D = %.4f over "
	    "%d seeds", D, SEEDS);

	/* Miscalibrated: scores .9, outcomes at .5: no replicate reaches the
	 * observed ECE, so p = 1 / (R + 1). */
	for (i = 0; i < N; i++) {
		q[i] = 0.9;
		y[i] = i % 2;
	}
	p = make_binary_pos(N, q, y, NULL);
	calib_calibration_test(p, 10, CALIB_BIN_WIDTH, 199, 7, NULL, &v);
	near(v, 1.0 / 200, 1e-15, "strong miscalibration: p = 1/(R+1)");
	calib_calibration_test(p, 10, CALIB_BIN_MASS, 199, 7, NULL, &v);
	near(v, 1.0 / 200, 1e-15, "the same with equal-mass bins");
	calib_preds_free(p);
	/* Outcomes equal to the scores (0 or 1): ECE 0, every replicate
	 * is >= 0: p = 1. */
	for (i = 0; i < N; i++) {
		q[i] = i % 2;
		y[i] = i % 2;
	}
	p = make_binary_pos(N, q, y, NULL);
	calib_calibration_test(p, 10, CALIB_BIN_WIDTH, 99, 7, NULL, &v);
	near(v, 1, 0, "perfect 0/1 forecasts: p = 1");
	calib_preds_free(p);
}

/* ---- ECE-sweep ------------------------------------------------------ */

static void
test_sweep(void)
{
	/* scores .1 .. .6, outcomes 0 0 1 0 1 1:
	 * b = 2: acc 1/3, 2/3; b = 3: 0, .5, 1 (monotone);
	 * b = 4: cuts after 1, 3, 4 rows: 0, .5, 0, 1 - fails, so b* = 3:
	 * ECE = (2 * .15 + 2 * .15 + 2 * .45) / 6 = .25 */
	double q[6] = { .1, .2, .3, .4, .5, .6 }, e;
	int32_t y[6] = { 0, 0, 1, 0, 1, 1 };
	calib_preds *p = make_binary_pos(6, q, y, NULL);
	enum { N = 300 };
	double qs[N];
	int32_t ys[N];
	uint64_t st = 5;
	int b, i, want = 1;

	ok(calib_ece_sweep(p, NULL, &e, &b) == CALIB_OK, "sweep runs");
	is_int(b, 3, "first failure at 4 bins: 3 bins");
	near(e, 0.25, 1e-15, "ECE-sweep = .25");
	calib_preds_free(p);

	/* Against calib_bins_compute() table by table. */
	for (i = 0; i < N; i++) {
		qs[i] = lcg(&st);
		ys[i] = lcg(&st) < 0.2 + 0.6 * qs[i] ? 1 : 0;
	}
	p = make_binary_pos(N, qs, ys, NULL);
	for (b = 2; b <= N; b++) {
		calib_bins t;
		double last = -1;
		int j, mono = 1;
		calib_bins_compute(p, b, CALIB_BIN_MASS, NULL, &t);
		for (j = 0; j < t.m; j++) {
			double acc = t.bin[j].sum_outcome / t.bin[j].weight;
			if (acc < last - 1e-12)
				mono = 0;
			last = acc;
		}
		calib_bins_release(&t);
		if (!mono)
			break;
		want = b;
	}
	calib_ece_sweep(p, NULL, &e, &b);
	is_int(b, want, "the same bin count as table-by-table (%d)", want);
	{
		calib_bins t;
		calib_bins_compute(p, want, CALIB_BIN_MASS, NULL, &t);
		near(e, calib_ece(&t), 0, "the ECE of that table");
		calib_bins_release(&t);
	}
	calib_preds_free(p);
}

/* ---- SKCE ----------------------------------------------------------- */

static void
test_skce(void)
{
	/* p1 = (.8, .2), y = 0; p2 = (.6, .4), y = 1; nu = 1:
	 * |p1 - p2|^2 = .08, k = exp(-.04);
	 * (e0 - p1) . (e1 - p2) = 0 - p1[1] - p2[0] + p1 . p2
	 *   = -.2 - .6 + .56 = -.24 */
	double x[4] = { .8, .2, .6, .4 }, v, pv;
	int32_t y[2] = { 0, 1 };
	calib_preds *p = make(2, 2, x, y, NULL, CALIB_KEEP_PROBS);
	enum { N = 400, SEEDS = 200 };
	double xs[3 * N], pvs[SEEDS], D = 0, msum = 0;
	int32_t ys[N];
	uint64_t st = 77;
	int sd, i;

	ok(calib_skce(p, 1, NULL, &v, &pv) == CALIB_OK, "SKCE runs");
	near(v, -0.24 * exp(-0.04), 1e-15, "SKCE of one pair by hand");
	calib_preds_free(p);
	p = make(2, 2, x, y, NULL, 0);
	ok(calib_skce(p, 1, NULL, &v, &pv) == CALIB_E_ARG,
	    "SKCE needs the matrix");
	calib_preds_free(p);

	/* Calibrated 3-class data (y drawn from p): unbiased, and the
	 * asymptotic p-values roughly uniform (KS at 0.1 %). */
	for (sd = 0; sd < SEEDS; sd++) {
		for (i = 0; i < N; i++) {
			double a = lcg(&st), b = lcg(&st), c = lcg(&st), t,
			    u = lcg(&st);
			t = a + b + c;
			xs[3 * i] = a / t;
			xs[3 * i + 1] = b / t;
			xs[3 * i + 2] = c / t;
			ys[i] = u < xs[3 * i] ? 0 : u < xs[3 * i] +
			    xs[3 * i + 1] ? 1 : 2;
		}
		p = make(N, 3, xs, ys, NULL, CALIB_KEEP_PROBS);
		calib_skce(p, 0, NULL, &v, &pvs[sd]);
		msum += v;
		calib_preds_free(p);
	}
	qsort(pvs, SEEDS, sizeof(double), cmp_d);
	for (sd = 0; sd < SEEDS; sd++) {
		double hi = (sd + 1.0) / SEEDS - pvs[sd], lo = pvs[sd] -
		    (double)sd / SEEDS;
		if (hi > D)
			D = hi;
		if (lo > D)
			D = lo;
	}
	ok(D < 0.138, "SKCE p-values of calibrated data: KS D = %.4f", D);
	ok(fabs(msum / SEEDS) < 0.005, "SKCE of calibrated data averages "
	    "to about 0 (%.5f)", msum / SEEDS);
	/* Overconfident: y drawn from a flattened p. */
	for (i = 0; i < N; i++) {
		double u = lcg(&st);
		xs[3 * i] = 0.9;
		xs[3 * i + 1] = 0.05;
		xs[3 * i + 2] = 0.05;
		ys[i] = u < 0.4 ? 0 : u < 0.7 ? 1 : 2;
	}
	p = make(N, 3, xs, ys, NULL, CALIB_KEEP_PROBS);
	calib_skce(p, 0, NULL, &v, &pv);
	ok(v > 0 && pv < 1e-6, "miscalibration detected: SKCE %.4f, p %.2g",
	    v, pv);
	calib_preds_free(p);
}

int
main(void)
{
	test_smece();
	test_smece_threads();
	test_debiased();
	test_ace_uce_brier();
	test_corp();
	test_p_value();
	test_sweep();
	test_skce();
	return done_testing();
}
