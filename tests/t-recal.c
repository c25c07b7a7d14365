/*
 * t-recal.c - recalibration: every method against a known optimum, a hand
 * computation or an independent method; degenerate inputs fail cleanly;
 * model files round-trip; applying a map while reading and afterwards
 * give the same doubles.
 *
 * Most "known optimum" cases use expected counts: each distinct score
 * vector appears once per label, weighted by the probability the true map
 * gives that label.  The weighted NLL is then the cross-entropy between
 * the true map and the fitted one, minimised exactly at the true map
 * (Gibbs' inequality), so a correct fit recovers it to rounding error.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "calib.h"
#include "tap.h"

#define MAXN 4096

static calib_preds *
make(size_t n, int k, const double *x, const int32_t *y, const double *w,
    calib_score_kind kind)
{
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;

	calib_read_options_init(&o);
	o.kind = kind;
	o.keep = CALIB_KEEP_LOGITS | CALIB_KEEP_PROBS;
	if (calib_preds_from_arrays("t", n, k, x, y, w, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays failed: %s", err.message);
	return p;
}

static calib_model *
fit(const calib_preds *p, calib_method method, calib_status *st,
    calib_error *err)
{
	calib_fit_options fo;
	calib_model *m = NULL;

	calib_fit_options_init(&fo);
	fo.method = method;
	*st = calib_fit(p, &fo, &m, err);
	return m;
}

/* p recalibrated by m, with probabilities kept. */
static calib_preds *
apply(const calib_preds *p, const calib_model *m)
{
	calib_read_options o;
	calib_preds *q = NULL;
	calib_error err;

	calib_read_options_init(&o);
	o.keep = CALIB_KEEP_PROBS;
	if (calib_preds_recalibrate(p, m, &o, &q, &err) != CALIB_OK)
		diag("recalibrate failed: %s", err.message);
	return q;
}

static calib_model *
parse(const char *text)
{
	calib_model *m = NULL;
	calib_error err;

	if (calib_model_parse(text, strlen(text), "t.calib", &m, &err) !=
	    CALIB_OK)
		diag("parse failed: line %lu: %s", err.line, err.message);
	return m;
}

/* The weighted NLL of p under a model given as text. */
static double
nll_of(const calib_preds *p, const char *text)
{
	calib_model *m = parse(text);
	calib_preds *q;
	double v;

	if (m == NULL)
		return NAN;
	q = apply(p, m);
	v = q ? calib_nll(q, 0, NULL) : NAN;
	calib_preds_free(q);
	calib_model_free(m);
	return v;
}

static double
param(const calib_model *m, const char *name)
{
	double v = NAN;

	if (m == NULL || calib_model_get(m, name, &v) != CALIB_OK)
		return NAN;
	return v;
}

static void
softmax(const double *z, int k, double *q)
{
	double m = z[0], s = 0;
	int i;

	for (i = 1; i < k; i++)
		if (z[i] > m)
			m = z[i];
	for (i = 0; i < k; i++)
		s += (q[i] = exp(z[i] - m));
	for (i = 0; i < k; i++)
		q[i] /= s;
}

static double
sigmoid(double x)
{
	return 1 / (1 + exp(-x));
}

/* ---- temperature scaling ------------------------------------------ */

static const double Z3[][3] = {
	{ 2.0, 0.5, -1.0 }, { -0.3, 1.7, 0.2 }, { 0.1, -2.2, 3.1 },
	{ 1.2, 1.0, 0.9 }, { -1.5, 0.0, 0.7 }, { 4.0, -1.0, 1.5 },
};
#define NZ (sizeof(Z3) / sizeof(Z3[0]))

/* Expected counts of softmax(z / T) over the Z3 vectors, as logits or
 * as probabilities softmax(z). */
static calib_preds *
expected_temperature(double T, int as_probs)
{
	double x[NZ * 9], w[NZ * 9], q[3], zt[3];
	int32_t y[NZ * 9];
	size_t j, n = 0;
	int c, d;

	for (j = 0; j < NZ; j++) {
		for (d = 0; d < 3; d++)
			zt[d] = Z3[j][d] / T;
		softmax(zt, 3, q);
		for (c = 0; c < 3; c++) {
			if (as_probs)
				softmax(Z3[j], 3, x + 3 * n);
			else
				memcpy(x + 3 * n, Z3[j], sizeof(Z3[j]));
			y[n] = c;
			w[n] = q[c];
			n++;
		}
	}
	return make(n, 3, x, y, w, as_probs ? CALIB_SCORES_PROBS :
	    CALIB_SCORES_LOGITS);
}

static void
test_temperature_exact(void)
{
	static const double Ts[] = { 0.4, 1.0, 1.7, 6.5 };
	calib_preds *p;
	calib_model *m;
	calib_status st;
	calib_error err;
	double T, T2, t0;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(Ts) / sizeof(Ts[0]); i++) {
		p = expected_temperature(Ts[i], 0);
		m = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
		T = param(m, "temperature");
		near(T, Ts[i], 1e-12 * Ts[i], "expected counts from T = %g: "
		    "the fit recovers it", Ts[i]);
		st = calib_fit_temperature(p, &T2, &err);
		ok(st == CALIB_OK && T2 == T, "calib_fit_temperature gives "
		    "the model's T");
		calib_model_free(m);
		calib_preds_free(p);

		/* Probabilities: ln p = z - lse(z), the same up to rounding. */
		p = expected_temperature(Ts[i], 1);
		m = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
		near(param(m, "temperature"), Ts[i], 1e-10 * Ts[i],
		    "same from probabilities (ln p as the logits)");
		calib_model_free(m);
		calib_preds_free(p);
	}

	/* Optimality seen through the metrics: the NLL of the recalibrated
	 * rows is no lower a hair either side of the fitted T. */
	p = expected_temperature(2.3, 0);
	m = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
	t0 = param(m, "temperature");
	snprintf(text, sizeof(text), "calib-model 1\nmethod temperature\n"
	    "classes 3\nclass 0\nclass 1\nclass 2\ntemperature %.17g\n", t0);
	{
		double f0 = nll_of(p, text), f1, f2;
		snprintf(text, sizeof(text), "calib-model 1\nmethod "
		    "temperature\nclasses 3\nclass 0\nclass 1\nclass 2\n"
		    "temperature %.17g\n", t0 * (1 + 1e-5));
		f1 = nll_of(p, text);
		snprintf(text, sizeof(text), "calib-model 1\nmethod "
		    "temperature\nclasses 3\nclass 0\nclass 1\nclass 2\n"
		    "temperature %.17g\n", t0 * (1 - 1e-5));
		f2 = nll_of(p, text);
		ok(f0 <= f1 && f0 <= f2, "NLL at T is below NLL at "
		    "T(1 +- 1e-5) (%.17g, %.17g, %.17g)", f0, f1, f2);
	}
	calib_model_free(m);
	calib_preds_free(p);
}

/* Labels drawn from softmax(z / T0): the estimate is near T0 and its NLL
 * is no worse than T0's. */
static void
test_temperature_sampled(void)
{
	enum { N = 20000, K = 5 };
	const double T0 = 2.5;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *x = malloc(N * K * sizeof(double)), q[K], zt[K];
	int32_t *y = malloc(N * sizeof(int32_t));
	calib_preds *p;
	calib_model *m;
	calib_status st;
	calib_error err;
	char text[512];
	double T;
	size_t i;
	int c;

	gsl_rng_set(r, 6);
	for (i = 0; i < N; i++) {
		double u = gsl_rng_uniform(r), acc = 0;
		for (c = 0; c < K; c++) {
			x[i * K + c] = gsl_ran_gaussian(r, 4.0);
			zt[c] = x[i * K + c] / T0;
		}
		softmax(zt, K, q);
		for (c = 0; c < K - 1; c++) {
			acc += q[c];
			if (u < acc)
				break;
		}
		y[i] = c;
	}
	p = make(N, K, x, y, NULL, CALIB_SCORES_LOGITS);
	m = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
	T = param(m, "temperature");
	near(T, T0, 0.05, "20000 rows drawn from T = 2.5: T = %.4f", T);
	snprintf(text, sizeof(text), "calib-model 1\nmethod temperature\n"
	    "classes 5\nclass 0\nclass 1\nclass 2\nclass 3\nclass 4\n"
	    "temperature %.17g\n", T0);
	{
		calib_preds *q1 = apply(p, m);
		ok(q1 && calib_nll(q1, 0, NULL) <= nll_of(p, text),
		    "fitted NLL <= NLL at the true T");
		calib_preds_free(q1);
	}
	calib_model_free(m);

	/* Vector scaling contains temperature scaling (w = 1/T, b = 0):
	 * its optimum can only be lower. */
	{
		calib_model *v = fit(p, CALIB_METHOD_VECTOR, &st, &err);
		calib_model *t = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
		calib_preds *qv = v ? apply(p, v) : NULL;
		calib_preds *qt = t ? apply(p, t) : NULL;
		ok(qv && qt && calib_nll(qv, 0, NULL) <= calib_nll(qt, 0, NULL),
		    "vector scaling's NLL <= temperature scaling's");
		calib_preds_free(qv);
		calib_preds_free(qt);
		calib_model_free(v);
		calib_model_free(t);
	}
	calib_preds_free(p);
	free(x);
	free(y);
	gsl_rng_free(r);
}

static void
test_temperature_degenerate(void)
{
	/* Every row right with a margin: NLL falls all the way to T = 0. */
	static const double right[] = { 3, 1, 0, 0, 2, 1, 1, 0, 4 };
	static const int32_t ry[] = { 0, 1, 2 };
	/* Constant logits in every row. */
	static const double flat[] = { 1, 1, 1, 2, 2, 2 };
	static const int32_t fy[] = { 0, 2 };
	/* One class only, some rows wrong. */
	static const double one[] = { 3, 1, 0, 2, 0, 1, 0, 2, 1 };
	static const int32_t oy[] = { 0, 0, 0 };
	/* Constant confidences: every row a permutation of one vector. */
	static const double perm[] = { 2, 1, 0, 0, 2, 1, 1, 0, 2, 2, 0, 1 };
	static const int32_t py[] = { 0, 0, 2, 0 };
	/* A probability of exactly 0 for the true class. */
	static const double zero[] = { 0.5, 0.5, 0, 1, 0, 0 };
	static const int32_t zy[] = { 2, 0 };
	calib_preds *p;
	calib_model *m;
	calib_status st;
	calib_error err;
	double T;

	p = make(3, 3, right, ry, NULL, CALIB_SCORES_LOGITS);
	m = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
	ok(st == CALIB_E_NUMERIC && m == NULL &&
	    strstr(err.message, "T -> 0") != NULL,
	    "all correct: fails, no finite optimum (%s)", err.message);
	m = fit(p, CALIB_METHOD_VECTOR, &st, &err);
	ok(st == CALIB_E_NUMERIC && m == NULL, "all correct: vector scaling "
	    "fails too (%s)", err.message);
	calib_preds_free(p);

	p = make(2, 3, flat, fy, NULL, CALIB_SCORES_LOGITS);
	m = fit(p, CALIB_METHOD_TEMPERATURE, &st, &err);
	ok(st == CALIB_E_NUMERIC && strstr(err.message, "does not depend on "
	    "T") != NULL, "constant logits: fails, T not identified (%s)",
	    err.message);
	calib_preds_free(p);

	p = make(3, 3, one, oy, NULL, CALIB_SCORES_LOGITS);
	st = calib_fit_temperature(p, &T, &err);
	ok(st == CALIB_OK && isfinite(T) && T > 0,
	    "one class only, some wrong: fits, T = %g", T);
	m = fit(p, CALIB_METHOD_VECTOR, &st, &err);
	ok(st == CALIB_E_NUMERIC && strstr(err.message, "class '1'") != NULL,
	    "one class only: vector scaling names the missing class (%s)",
	    err.message);
	calib_preds_free(p);

	p = make(4, 3, perm, py, NULL, CALIB_SCORES_LOGITS);
	st = calib_fit_temperature(p, &T, &err);
	ok(st == CALIB_OK && isfinite(T) && T > 0,
	    "constant confidences: fits, T = %g", T);
	calib_preds_free(p);

	p = make(2, 3, zero, zy, NULL, CALIB_SCORES_PROBS);
	st = calib_fit_temperature(p, &T, &err);
	ok(st == CALIB_E_NUMERIC && strstr(err.message, "data row 1") != NULL,
	    "true class with probability 0: fails naming the row (%s)",
	    err.message);
	calib_preds_free(p);

	/* Not read with its logits. */
	{
		calib_read_options o;
		calib_read_options_init(&o);
		o.kind = CALIB_SCORES_LOGITS;
		p = NULL;
		calib_preds_from_arrays("t", 3, 3, one, oy, NULL, &o, &p, &err);
		st = calib_fit_temperature(p, &T, &err);
		ok(st == CALIB_E_ARG && strstr(err.message,
		    "CALIB_KEEP_LOGITS") != NULL, "no logits kept: says so");
		calib_preds_free(p);
	}
}

/* ---- vector scaling ----------------------------------------------- */

static void
test_vector_exact(void)
{
	static const double w0[] = { 0.5, 1.5, 1.0 }, b0[] = { 0, 0.3, -0.2 };
	double x[NZ * 9], w[NZ * 9], q[3], a[3];
	int32_t y[NZ * 9];
	calib_preds *p, *qp;
	calib_model *m;
	calib_status st;
	calib_error err;
	char *text = NULL;
	size_t j, n = 0;
	int c;

	for (j = 0; j < NZ; j++) {
		for (c = 0; c < 3; c++)
			a[c] = w0[c] * Z3[j][c] + b0[c];
		softmax(a, 3, q);
		for (c = 0; c < 3; c++) {
			memcpy(x + 3 * n, Z3[j], sizeof(Z3[j]));
			y[n] = c;
			w[n] = q[c];
			n++;
		}
	}
	p = make(n, 3, x, y, w, CALIB_SCORES_LOGITS);
	m = fit(p, CALIB_METHOD_VECTOR, &st, &err);
	ok(st == CALIB_OK, "vector scaling fits expected counts");
	if (m != NULL && calib_model_format(m, &text, &err) == CALIB_OK) {
		double wf[3], bf[3];
		const char *s = strstr(text, "weights ");
		const char *t = strstr(text, "biases ");
		ok(s && t && sscanf(s, "weights %lf %lf %lf", &wf[0], &wf[1],
		    &wf[2]) == 3 && sscanf(t, "biases %lf %lf %lf", &bf[0],
		    &bf[1], &bf[2]) == 3, "model text has weights and biases");
		for (c = 0; c < 3; c++) {
			near(wf[c], w0[c], 1e-6, "w_%d recovered", c);
			near(bf[c], b0[c], 1e-6, "b_%d recovered", c);
		}
		free(text);
	}
	/* The recalibrated probabilities are the generating ones. */
	qp = m ? apply(p, m) : NULL;
	if (qp != NULL) {
		double worst = 0;
		for (j = 0; j < n; j += 3) {
			for (c = 0; c < 3; c++)
				a[c] = w0[c] * Z3[j / 3][c] + b0[c];
			softmax(a, 3, q);
			for (c = 0; c < 3; c++)
				if (fabs(qp->probs[j * 3 + c] - q[c]) > worst)
					worst = fabs(qp->probs[j * 3 + c] -
					    q[c]);
		}
		near(worst, 0, 1e-7, "recalibrated rows are "
		    "softmax(w o z + b)");
	}
	calib_preds_free(qp);
	calib_model_free(m);
	calib_preds_free(p);
}

/* ---- histogram binning -------------------------------------------- */

/* A binary set from P(class 1) values. */
static calib_preds *
binary(size_t n, const double *s, const int32_t *y, const double *w)
{
	double x[2 * 64];
	size_t i;

	for (i = 0; i < n; i++) {
		x[2 * i] = 1 - s[i];
		x[2 * i + 1] = s[i];
	}
	return make(n, 2, x, y, w, CALIB_SCORES_PROBS);
}

static void
test_histogram(void)
{
	/* M = 4 bins (0,.25] (.25,.5] (.5,.75] (.75,1]:
	 *   bin 1: .1/0 .2/1          -> 1/2
	 *   bin 2: empty               -> scores kept
	 *   bin 3: .55/1 .6/0 .7/1 .72/1 -> 3/4
	 *   bin 4: .9/1 .95/0         -> 1/2; with weight 3 on .95: 1/4 */
	static const double s[] = { .1, .2, .55, .6, .7, .72, .9, .95 };
	static const int32_t y[] = { 0, 1, 1, 0, 1, 1, 1, 0 };
	static const double w[] = { 1, 1, 1, 1, 1, 1, 1, 3 };
	static const double ts[] = { .3, .6, .99, .24, .05 };
	static const int32_t ty[] = { 0, 0, 0, 0, 0 };
	static const double want[] = { .3, .75, .5, .5, .5 };
	calib_fit_options fo;
	calib_preds *p, *t, *q;
	calib_model *m = NULL;
	calib_error err;
	calib_metrics mt;
	calib_metric_options mo;
	size_t i;

	calib_fit_options_init(&fo);
	fo.method = CALIB_METHOD_HISTOGRAM;
	fo.bins = 4;
	p = binary(8, s, y, NULL);
	ok(calib_fit(p, &fo, &m, &err) == CALIB_OK, "histogram fits");
	t = binary(5, ts, ty, NULL);
	q = m ? apply(t, m) : NULL;
	for (i = 0; q && i < 5; i++)
		near(q->probs[2 * i + 1], want[i], 1e-15,
		    "binary: p = %g -> %g", ts[i], want[i]);
	for (i = 0; q && i < 5; i++)
		near(q->probs[2 * i], 1 - want[i], 1e-15,
		    "binary: class 0 gets 1 - g");
	calib_preds_free(q);
	/* On its own validation set, with the same bins, histogram binning
	 * is perfectly calibrated: positive-class ECE 0. */
	q = m ? apply(p, m) : NULL;
	calib_metric_options_init(&mo);
	mo.bins = 4;
	if (q != NULL) {
		calib_read_options o;
		calib_preds *q2 = NULL;
		calib_read_options_init(&o);
		o.target = 1;
		calib_preds_recalibrate(p, m, &o, &q2, &err);
		calib_metrics_compute(q2, &mo, NULL, &mt);
		near(mt.ece, 0, 1e-15, "ECE 0 on the fitting set");
		calib_preds_free(q2);
	}
	calib_preds_free(q);
	calib_model_free(m);
	calib_preds_free(p);

	p = binary(8, s, y, w);
	calib_fit(p, &fo, &m, &err);
	q = m ? apply(t, m) : NULL;
	near(q ? q->probs[2 * 2 + 1] : NAN, .25, 1e-15,
	    "weights count: weight 3 on a wrong row gives bin 4 value 1/4");
	calib_preds_free(q);
	calib_model_free(m);
	calib_preds_free(p);
	calib_preds_free(t);

	/* Equal-mass, M = 4 over 8 rows: two rows a bin, upper edges .2 .6
	 * .72 .95, values 1/2 1/2 1 1/2. */
	fo.binning = CALIB_BIN_MASS;
	p = binary(8, s, y, NULL);
	calib_fit(p, &fo, &m, &err);
	{
		static const double ms[] = { .2, .21, .6, .65, .72, .8, 1 };
		static const double mw[] = { .5, .5, .5, 1, 1, .5, .5 };
		static const int32_t my[] = { 0, 0, 0, 0, 0, 0, 0 };
		t = binary(7, ms, my, NULL);
		q = m ? apply(t, m) : NULL;
		for (i = 0; q && i < 7; i++)
			near(q->probs[2 * i + 1], mw[i], 1e-15, "mass bins: "
			    "%g -> %g", ms[i], mw[i]);
		calib_preds_free(q);
		calib_preds_free(t);
	}
	calib_model_free(m);
	calib_preds_free(p);
}

/* K = 3, top-label: the top class gets g(c), the others share 1 - g(c)
 * in proportion. */
static void
test_histogram_multiclass(void)
{
	/* Fitting rows, M = 2 bins (0,.5] (.5,1]: confidences .4 (wrong),
	 * .45 (right), .8 (right), .9 (right), .6 (wrong) -> g = 1/2 and
	 * 2/3. */
	static const double x[] = {
		.4, .35, .25,   .45, .3, .25,   .8, .1, .1,
		.05, .9, .05,   .6, .3, .1,
	};
	static const int32_t y[] = { 1, 0, 0, 1, 2 };
	/* (.6 .3 .1): g = 2/3, rest .4 shared 3:1 -> (2/3, .25, 1/12).
	 * (.35 .2 .45): g(.45) = 1/2, the rest .55 shared 7:4.
	 * (1 0 0): no rest to share in proportion -> (2/3, 1/6, 1/6). */
	static const double t[] = { .6, .3, .1, .35, .2, .45, 1, 0, 0 };
	static const int32_t ty[] = { 0, 0, 0 };
	const double want[] = {
		2.0 / 3, .25, 1.0 / 12,   .35 / .55 * .5, .2 / .55 * .5, .5,
		2.0 / 3, 1.0 / 6, 1.0 / 6
	};
	calib_fit_options fo;
	calib_preds *p, *tp, *q;
	calib_model *m = NULL;
	calib_error err;
	int i;

	calib_fit_options_init(&fo);
	fo.method = CALIB_METHOD_HISTOGRAM;
	fo.bins = 2;
	p = make(5, 3, x, y, NULL, CALIB_SCORES_PROBS);
	ok(calib_fit(p, &fo, &m, &err) == CALIB_OK, "top-label histogram fits");
	tp = make(3, 3, t, ty, NULL, CALIB_SCORES_PROBS);
	q = m ? apply(tp, m) : NULL;
	for (i = 0; q && i < 9; i++)
		near(q->probs[i], want[i], 1e-15, "row %d class %d", i / 3,
		    i % 3);
	calib_preds_free(q);
	calib_model_free(m);

	/* g below a share moves the prediction: bin 1 all wrong, g = 0. */
	{
		static const double x2[] = { .45, .35, .2, .9, .05, .05 };
		static const int32_t y2[] = { 1, 0 };
		calib_preds *p2 = make(2, 3, x2, y2, NULL, CALIB_SCORES_PROBS);
		calib_fit(p2, &fo, &m, &err);
		q = m ? apply(p2, m) : NULL;
		ok(q && q->pred[0] == 1 && q->probs[0] == 0,
		    "g = 0: the runner-up becomes the prediction");
		near(q ? q->nll[0] : NAN, -log(.35 / .55), 1e-14,
		    "... with .35/.55 of the mass");
		calib_preds_free(q);
		calib_model_free(m);
		calib_preds_free(p2);
	}
	calib_preds_free(tp);
	calib_preds_free(p);
}

/* ---- isotonic regression ------------------------------------------ */

/*
 * An independent isotonic regression: the min-max formula
 *   g_i = max_{j <= i} min_{l >= i} avg(j..l)
 * over the distinct sorted scores (Barlow et al. 1972), O(n^3).
 */
static void
minmax_isotonic(size_t n, const double *sw, const double *swo, double *g)
{
	size_t i, j, l;

	for (i = 0; i < n; i++) {
		double best = -INFINITY;
		for (j = 0; j <= i; j++) {
			double mn = INFINITY, W = 0, O = 0;
			for (l = j; l < n; l++) {
				W += sw[l];
				O += swo[l];
				if (l >= i && O / W < mn)
					mn = O / W;
			}
			if (mn > best)
				best = mn;
		}
		g[i] = best;
	}
}

static void
test_isotonic(void)
{
	/* Hand case: PAV merges (.1 .2) to 1/2, (.3 .4) to 1/2, the equal
	 * neighbours to (.1-.4) 1/2, then .5 to (.1-.5) 2/5; (.6 .7) = 1.
	 * A second row at .6 with outcome 0 splits (.6) 1/2 from (.7) 1.
	 * Weight 4 on the first row: (.1 .2) 4/5, (.3 .4) 1/2, merged 5/7,
	 * with .5 5/8, with the two rows at .6 6/10; (.7) 1. */
	static const double s[] = { .1, .2, .3, .4, .5, .6, .7, .6 };
	static const int32_t y[] = { 1, 0, 1, 0, 0, 1, 1, 0 };
	static const double w[] = { 4, 1, 1, 1, 1, 1, 1, 1 };
	static const double ts[] = { .05, .1, .45, .5, .55, .6, .65, .7, .9 };
	static const int32_t ty[9];
	static const double want7[] = { .4, .4, .4, .4, 1, 1, 1, 1, 1 };
	static const double want8[] = { .4, .4, .4, .4, .5, .5, 1, 1, 1 };
	static const double wantw[] = { .6, .6, .6, .6, .6, .6, 1, 1, 1 };
	calib_preds *p, *t, *q;
	calib_model *m;
	calib_status st;
	calib_error err;
	char *text = NULL;
	size_t i;

	t = binary(9, ts, ty, NULL);
	p = binary(7, s, y, NULL);
	m = fit(p, CALIB_METHOD_ISOTONIC, &st, &err);
	q = m ? apply(t, m) : NULL;
	for (i = 0; q && i < 9; i++)
		near(q->probs[2 * i + 1], want7[i], 1e-15, "PAV, 7 rows: g(%g) "
		    "= %g", ts[i], want7[i]);
	if (m != NULL && calib_model_format(m, &text, &err) == CALIB_OK) {
		const char *st2 = strstr(text, "steps 2\n");
		double e1, w1, v1, e2, w2, v2;
		ok(st2 != NULL && sscanf(st2, "steps 2\nstep %lf %lf %lf\n"
		    "step %lf %lf %lf", &e1, &w1, &v1, &e2, &w2, &v2) == 6,
		    "two steps in the model text");
		if (st2 != NULL) {
			near(e1, .5, 1e-15, "step 1 ends at .5");
			near(w1, 5, 0, "step 1 holds 5 rows");
			near(v1, .4, 0, "step 1 value 2/5");
			near(e2, .7, 1e-15, "step 2 ends at .7");
			near(w2, 2, 0, "step 2 holds 2 rows");
			near(v2, 1, 0, "step 2 value 1");
		}
		free(text);
	}
	calib_preds_free(q);
	calib_model_free(m);
	calib_preds_free(p);

	p = binary(8, s, y, NULL);
	m = fit(p, CALIB_METHOD_ISOTONIC, &st, &err);
	q = m ? apply(t, m) : NULL;
	for (i = 0; q && i < 9; i++)
		near(q->probs[2 * i + 1], want8[i], 1e-15, "PAV with a tie at "
		    ".6: g(%g) = %g", ts[i], want8[i]);
	calib_preds_free(q);
	calib_model_free(m);
	calib_preds_free(p);

	p = binary(8, s, y, w);
	m = fit(p, CALIB_METHOD_ISOTONIC, &st, &err);
	q = m ? apply(t, m) : NULL;
	for (i = 0; q && i < 9; i++)
		near(q->probs[2 * i + 1], wantw[i], 1e-15, "weighted PAV: "
		    "g(%g) = %g", ts[i], wantw[i]);
	calib_preds_free(q);
	calib_model_free(m);
	calib_preds_free(p);
	calib_preds_free(t);
}

/* PAV against the min-max formula on random weighted sets with ties. */
static void
test_isotonic_random(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int rep, bad = 0;

	gsl_rng_set(r, 11);
	for (rep = 0; rep < 200; rep++) {
		enum { N = 40 };
		double s[N], w[N], sw[N], swo[N], g[N], ds[N], worst = 0;
		int32_t y[N];
		size_t i, j, nd = 0;
		calib_preds *p, *q;
		calib_model *m;
		calib_status st;
		calib_error err;

		for (i = 0; i < N; i++) {
			/* Few distinct values, so ties are common. */
			s[i] = (1 + gsl_rng_uniform_int(r, 15)) / 16.0;
			y[i] = gsl_rng_uniform(r) < s[i];
			w[i] = 0.5 + gsl_rng_uniform_int(r, 4);
		}
		p = binary(N, s, y, w);
		m = fit(p, CALIB_METHOD_ISOTONIC, &st, &err);
		/* Distinct scores in order with their sums. */
		for (i = 1; i <= 15; i++) {
			double v = i / 16.0, W = 0, O = 0;
			for (j = 0; j < N; j++)
				if (s[j] == v) {
					W += w[j];
					O += y[j] ? w[j] : 0;
				}
			if (W > 0) {
				ds[nd] = v;
				sw[nd] = W;
				swo[nd] = O;
				nd++;
			}
		}
		minmax_isotonic(nd, sw, swo, g);
		{
			int32_t ty[N];
			memset(ty, 0, sizeof(ty));
			calib_preds *t = binary(nd, ds, ty, NULL);
			q = m ? apply(t, m) : NULL;
			for (i = 0; q && i < nd; i++)
				if (fabs(q->probs[2 * i + 1] - g[i]) > worst)
					worst = fabs(q->probs[2 * i + 1] -
					    g[i]);
			if (q == NULL || worst > 1e-12)
				bad++;
			calib_preds_free(q);
			calib_preds_free(t);
		}
		calib_model_free(m);
		calib_preds_free(p);
	}
	ok(bad == 0, "PAV equals the min-max formula on 200 random weighted "
	    "sets with ties (%d differ)", bad);
	gsl_rng_free(r);
}

/* ---- platt and beta ----------------------------------------------- */

/* A binary set given by the logit of P(class 1). */
static calib_preds *
binary_logits(size_t n, const double *t, const int32_t *y, const double *w)
{
	double *x = malloc(2 * n * sizeof(double));
	calib_preds *p;
	size_t i;

	for (i = 0; i < n; i++) {
		x[2 * i] = 0;
		x[2 * i + 1] = t[i];
	}
	p = make(n, 2, x, y, w, CALIB_SCORES_LOGITS);
	free(x);
	return p;
}

static double
logit(double q)
{
	return log(q / (1 - q));
}

static void
test_platt(void)
{
	/* Two logits, -1 and 1: 3 positives and 7 negatives at -1, 8 and 2
	 * at +1.  Platt's targets t+ = 12/13, t- = 1/11, so the mean target
	 * is m1 = (3 t+ + 7 t-)/10 at -1 and m2 = (8 t+ + 2 t-)/10 at +1,
	 * and the optimum is sigma(-a + b) = m1, sigma(a + b) = m2. */
	double t[20], w[40], x[40];
	int32_t y[40];
	const double tp = 12.0 / 13, tn = 1.0 / 11;
	const double m1 = (3 * tp + 7 * tn) / 10, m2 = (8 * tp + 2 * tn) / 10;
	calib_preds *p;
	calib_model *m;
	calib_status st;
	calib_error err;
	size_t i, n;

	for (i = 0; i < 20; i++) {
		t[i] = i < 10 ? -1 : 1;
		y[i] = i < 10 ? i < 3 : i < 18;
	}
	p = binary_logits(20, t, y, NULL);
	m = fit(p, CALIB_METHOD_PLATT, &st, &err);
	near(param(m, "a"), (logit(m2) - logit(m1)) / 2, 1e-12,
	    "platt a from the two-point optimum");
	near(param(m, "b"), (logit(m2) + logit(m1)) / 2, 1e-12,
	    "platt b from the two-point optimum");
	calib_model_free(m);
	calib_preds_free(p);

	/* Generated from a = .8, b = -.3 as expected counts: 20 logits, a
	 * positive and a negative row at each, so t+ = 21/22, t- = 1/22;
	 * the positive weight q solves q t+ + (1 - q) t- = sigma(a t + b). */
	n = 0;
	for (i = 0; i < 20; i++) {
		double tt = -3 + 6.0 * i / 19, s = sigmoid(0.8 * tt - 0.3);
		double q = (s - 1.0 / 22) / (20.0 / 22);
		t[i] = tt;
		x[n] = tt;
		y[n] = 1;
		w[n++] = q;
		x[n] = tt;
		y[n] = 0;
		w[n++] = 1 - q;
	}
	p = binary_logits(n, x, y, w);
	m = fit(p, CALIB_METHOD_PLATT, &st, &err);
	near(param(m, "a"), 0.8, 1e-10, "platt recovers a = .8");
	near(param(m, "b"), -0.3, 1e-10, "platt recovers b = -.3");
	calib_model_free(m);
	calib_preds_free(p);

	/* Degenerate: separable, one class, constant scores - all fit. */
	{
		static const double st2[] = { -2, -1, 1, 2 };
		static const int32_t sy[] = { 0, 0, 1, 1 };
		static const int32_t oy[] = { 1, 1, 1, 1 };
		static const double ct[] = { .5, .5, .5, .5 };
		static const int32_t cy[] = { 1, 0, 1, 1 };
		p = binary_logits(4, st2, sy, NULL);
		m = fit(p, CALIB_METHOD_PLATT, &st, &err);
		ok(st == CALIB_OK && isfinite(param(m, "a")) &&
		    param(m, "a") > 0, "separable: finite fit thanks to "
		    "Platt's targets (a = %g)", param(m, "a"));
		calib_model_free(m);
		calib_preds_free(p);
		p = binary_logits(4, st2, oy, NULL);
		m = fit(p, CALIB_METHOD_PLATT, &st, &err);
		ok(st == CALIB_OK && isfinite(param(m, "b")),
		    "one class only: finite fit");
		calib_model_free(m);
		calib_preds_free(p);
		p = binary_logits(4, ct, cy, NULL);
		m = fit(p, CALIB_METHOD_PLATT, &st, &err);
		/* targets 4/5 x3 and 1/3: mean (12/5 + 1/3)/4 = 41/60 */
		ok(st == CALIB_OK && param(m, "a") == 0,
		    "constant scores: slope 0");
		near(param(m, "b"), logit(41.0 / 60), 1e-15,
		    "constant scores: b = logit of the mean target");
		calib_model_free(m);
		calib_preds_free(p);
	}
}

/* The beta map's NLL over a set, for an independent optimality check. */
static double
beta_nll(const calib_preds *p, double a, double b, double c)
{
	char text[512];

	snprintf(text, sizeof(text), "calib-model 1\nmethod beta\nclasses 2\n"
	    "class 0\nclass 1\na %.17g\nb %.17g\nc %.17g\n", a, b, c);
	return nll_of(p, text);
}

static calib_preds *
beta_expected(double a, double b, double c)
{
	double x[2 * 2 * 30], w[2 * 30];
	int32_t y[2 * 30];
	size_t i, n = 0;

	for (i = 0; i < 30; i++) {
		double s = (i + 0.5) / 30;
		double q = sigmoid(c + a * log(s) - b * log(1 - s));
		x[2 * n] = 1 - s;
		x[2 * n + 1] = s;
		y[n] = 1;
		w[n++] = q;
		x[2 * n] = 1 - s;
		x[2 * n + 1] = s;
		y[n] = 0;
		w[n++] = 1 - q;
	}
	return make(n, 2, x, y, w, CALIB_SCORES_PROBS);
}

static void
test_beta(void)
{
	calib_preds *p;
	calib_model *m;
	calib_status st;
	calib_error err;
	double a, b, c, f0, h = 1e-4;

	p = beta_expected(1.5, 0.7, -0.4);
	m = fit(p, CALIB_METHOD_BETA, &st, &err);
	near(param(m, "a"), 1.5, 1e-9, "beta recovers a = 1.5");
	near(param(m, "b"), 0.7, 1e-9, "beta recovers b = .7");
	near(param(m, "c"), -0.4, 1e-9, "beta recovers c = -.4");
	calib_model_free(m);
	calib_preds_free(p);

	/* Generated with a < 0: the constrained optimum sits on a face.
	 * Check it by the NLL itself: no feasible nudge lowers it. */
	p = beta_expected(-0.5, 1.2, 0.3);
	m = fit(p, CALIB_METHOD_BETA, &st, &err);
	a = param(m, "a");
	b = param(m, "b");
	c = param(m, "c");
	ok(st == CALIB_OK && a >= 0 && b >= 0, "a, b >= 0 (a = %g, b = %g)",
	    a, b);
	ok(a == 0 || b == 0, "the optimum is on a face of the constraint");
	f0 = beta_nll(p, a, b, c);
	ok(f0 <= beta_nll(p, a + h, b, c) && f0 <= beta_nll(p, a, b + h, c) &&
	    f0 <= beta_nll(p, a, b, c + h) && f0 <= beta_nll(p, a, b, c - h) &&
	    (a == 0 || f0 <= beta_nll(p, a - h, b, c)) &&
	    (b == 0 || f0 <= beta_nll(p, a, b - h, c)),
	    "no feasible nudge of a, b or c lowers the NLL");
	calib_model_free(m);
	calib_preds_free(p);

	/* Degenerate inputs. */
	{
		static const double s4[] = { .2, .4, .6, .8 };
		static const int32_t sep[] = { 0, 0, 1, 1 };
		static const int32_t one[] = { 0, 0, 0, 0 };
		static const int32_t tie[] = { 0, 1, 0, 1 };
		static const double cs[] = { .3, .3, .3, .3 };
		static const double ex[] = { 0, 1, .5, 1 };
		static const int32_t exy[] = { 0, 1, 1, 0 };
		p = binary(4, s4, sep, NULL);
		m = fit(p, CALIB_METHOD_BETA, &st, &err);
		ok(st == CALIB_E_NUMERIC && m == NULL &&
		    strstr(err.message, "separate") != NULL,
		    "separable scores: fails (%s)", err.message);
		calib_preds_free(p);
		p = binary(4, s4, one, NULL);
		m = fit(p, CALIB_METHOD_BETA, &st, &err);
		ok(st == CALIB_E_NUMERIC && strstr(err.message,
		    "only class '0'") != NULL, "one class only: fails (%s)",
		    err.message);
		calib_preds_free(p);
		p = binary(4, cs, tie, NULL);
		m = fit(p, CALIB_METHOD_BETA, &st, &err);
		ok(st == CALIB_OK && param(m, "a") == 0 && param(m, "b") == 0 &&
		    param(m, "c") == 0, "constant scores: the constant map, "
		    "here c = logit(1/2) = 0");
		calib_model_free(m);
		calib_preds_free(p);
		/* p exactly 0 and 1 are clipped, so the fit is finite. */
		p = binary(4, ex, exy, NULL);
		m = fit(p, CALIB_METHOD_BETA, &st, &err);
		ok(st == CALIB_OK && isfinite(param(m, "a")) &&
		    isfinite(param(m, "c")), "p = 0 and p = 1: finite fit");
		calib_model_free(m);
		m = fit(p, CALIB_METHOD_PLATT, &st, &err);
		ok(st == CALIB_OK && isfinite(param(m, "a")),
		    "p = 0 and p = 1: finite platt fit");
		calib_model_free(m);
		calib_preds_free(p);
	}

	/* Binary methods on a 3-class set. */
	{
		static const double x[] = { .5, .3, .2, .1, .8, .1 };
		static const int32_t y[] = { 0, 2 };
		p = make(2, 3, x, y, NULL, CALIB_SCORES_PROBS);
		m = fit(p, CALIB_METHOD_PLATT, &st, &err);
		ok(st == CALIB_E_ARG && strstr(err.message, "2-class") != NULL,
		    "platt on 3 classes: %s", err.message);
		m = fit(p, CALIB_METHOD_BETA, &st, &err);
		ok(st == CALIB_E_ARG, "beta on 3 classes refused");
		calib_preds_free(p);
	}
}

/* Histogram and isotonic on degenerate sets: they always fit. */
static void
test_binning_degenerate(void)
{
	static const double right[] = { .9, .05, .05, .1, .8, .1 };
	static const int32_t ry[] = { 0, 1 };
	static const double flat[] = { .5, .3, .2, .5, .3, .2, .5, .3, .2 };
	static const int32_t fy[] = { 0, 1, 2 };
	calib_method methods[] = { CALIB_METHOD_HISTOGRAM,
	    CALIB_METHOD_ISOTONIC };
	int i;

	for (i = 0; i < 2; i++) {
		calib_preds *p, *q;
		calib_model *m;
		calib_status st;
		calib_error err;
		p = make(2, 3, right, ry, NULL, CALIB_SCORES_PROBS);
		m = fit(p, methods[i], &st, &err);
		q = m ? apply(p, m) : NULL;
		ok(q && q->probs[0] == 1 && q->probs[4] == 1,
		    "%s, all correct: confidence 1", calib_method_name(
		    methods[i]));
		calib_preds_free(q);
		calib_model_free(m);
		calib_preds_free(p);
		/* Constant confidence .5, one of three right: g = 1/3. */
		p = make(3, 3, flat, fy, NULL, CALIB_SCORES_PROBS);
		m = fit(p, methods[i], &st, &err);
		q = m ? apply(p, m) : NULL;
		near(q ? q->score[1] : NAN, 0.4, 1e-15, "%s, constant "
		    "confidence: g = 1/3, so the runner-up .3/.5 of 2/3 wins",
		    calib_method_name(methods[i]));
		calib_preds_free(q);
		calib_model_free(m);
		calib_preds_free(p);
	}
}

/*
 * Every method on every degenerate set: it fits, with only finite numbers
 * in its model, or fails with CALIB_E_NUMERIC and a reason; a fitted map
 * never yields a NaN.
 */
static void
test_degenerate_sweep(void)
{
	static const struct {
		const char *name;
		int k;
		size_t n;
		double x[12];
		int32_t y[4];
	} sets[] = {
		{ "3 classes, one class only", 3, 4,
		    { .7, .2, .1, .2, .7, .1, .5, .3, .2, .1, .1, .8 },
		    { 0, 0, 0, 0 } },
		{ "3 classes, all correct", 3, 3,
		    { .7, .2, .1, .2, .7, .1, .1, .1, .8 }, { 0, 1, 2 } },
		{ "3 classes, constant confidence", 3, 3,
		    { .6, .3, .1, .6, .3, .1, .6, .3, .1 }, { 0, 1, 2 } },
		{ "3 classes, uniform rows", 3, 2,
		    { 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3 },
		    { 0, 1 } },
		{ "2 classes, one class only", 2, 3,
		    { .3, .7, .6, .4, .9, .1 }, { 1, 1, 1 } },
		{ "2 classes, all correct", 2, 4,
		    { .3, .7, .6, .4, .9, .1, .2, .8 }, { 1, 0, 0, 1 } },
		{ "2 classes, constant scores", 2, 3,
		    { .4, .6, .4, .6, .4, .6 }, { 1, 0, 1 } },
		{ "2 classes, p = 0 and 1", 2, 4,
		    { 1, 0, 0, 1, 1, 0, 0, 1 }, { 0, 1, 1, 0 } },
	};
	size_t i, j;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		calib_preds *p = make(sets[i].n, sets[i].k, sets[i].x,
		    sets[i].y, NULL, CALIB_SCORES_PROBS);
		for (j = 0; j <= CALIB_METHOD_BETA; j++) {
			calib_status st;
			calib_error err;
			calib_model *m;
			calib_preds *q;
			char *text = NULL;
			size_t r;
			int finite = 1;

			if (sets[i].k != 2 && (j == CALIB_METHOD_PLATT ||
			    j == CALIB_METHOD_BETA))
				continue;
			m = fit(p, (calib_method)j, &st, &err);
			if (m == NULL) {
				ok(st == CALIB_E_NUMERIC &&
				    err.message[0] != '\0',
				    "%s, %s: no fit (%s)", sets[i].name,
				    calib_method_name((calib_method)j),
				    err.message);
				continue;
			}
			calib_model_format(m, &text, &err);
			q = apply(p, m);
			for (r = 0; q && r < q->n; r++)
				if (isnan(q->score[r]) || isnan(q->nll[r]) ||
				    isnan(q->brier[r]))
					finite = 0;
			ok(text && !strstr(text, "nan") &&
			    !strstr(text, "inf") && q && finite,
			    "%s, %s: fits, no NaN anywhere", sets[i].name,
			    calib_method_name((calib_method)j));
			free(text);
			calib_preds_free(q);
			calib_model_free(m);
		}
		calib_preds_free(p);
	}
}

/* ---- model files -------------------------------------------------- */

static void
test_model_text(void)
{
	static const char *const good[] = {
		"calib-model 1\nmethod temperature\nclasses 2\nclass a\n"
		"class b\ntemperature 2.5\n",
		"calib-model 1\nmethod vector\nclasses 2\nclass 0\nclass 1\n"
		"weights 0.5 1.25\nbiases 0 -0.75\n",
		"calib-model 1\nmethod histogram\nclasses 3\nclass x\nclass y\n"
		"class z\nbinning width\nbins 2\nbin 1 0 identity\n"
		"bin 2 4 0.75\n",
		"calib-model 1\nmethod histogram\nclasses 2\nclass 0\nclass 1\n"
		"binning mass\nsteps 2\nstep 0.25 3 0\nstep 0.75 1 1\n",
		"calib-model 1\nmethod isotonic\nclasses 2\nclass 0\nclass 1\n"
		"steps 1\nstep 0.5 2 0.5\n",
		"calib-model 1\nmethod platt\nclasses 2\nclass 0\nclass 1\n"
		"a 1.5\nb -0.25\n",
		"calib-model 1\nmethod beta\nclasses 2\nclass 0\nclass 1\n"
		"a 1.5\nb 0\nc -0.25\n",
		/* escapes: a leading blank, a tab, a backslash */
		"calib-model 1\nmethod temperature\nclasses 2\nclass \\x20a\n"
		"class b\\x09\\\\c\ntemperature 3\n",
	};
	static const struct {
		const char *text;
		unsigned long line;
		const char *msg;
	} bad[] = {
		{ "calib-model 2\nmethod temperature\n", 1,
		    "version 2 is not supported" },
		{ "# made by hand\n\nmethod temperature\n", 3,
		    "expected 'calib-model 1'" },
		{ "calib-model 1\nmethod cubic\n", 2,
		    "unknown method 'cubic'" },
		{ "calib-model 1\nmethod temperature\nclasses 1\n", 3,
		    "from 2 to" },
		{ "calib-model 1\nmethod temperature\nclasses 3\nclass a\n"
		    "class b\ntemperature 2\n", 6, "expected 'class NAME' "
		    "(class 3 of 3)" },
		{ "calib-model 1\nmethod temperature\nclasses 2\nclass a\n"
		    "class b\ntemperature -2\n", 6, "negative" },
		{ "calib-model 1\nmethod temperature\nclasses 2\nclass a\n"
		    "class b\ntemperature 0x10\n", 6, "'0x10' is not a finite "
		    "decimal number" },
		{ "calib-model 1\nmethod temperature\nclasses 2\nclass a\n"
		    "class b\ntemperature 2\ntemperature 3\n", 7,
		    "unexpected 'temperature'" },
		{ "calib-model 1\nmethod temperature\nclasses 2\nclass a\n"
		    "class b\n", 5, "expected 'temperature T'" },
		{ "calib-model 1\nmethod vector\nclasses 2\nclass a\nclass b\n"
		    "weights 1\nbiases 0 0\n", 6, "has 1 numbers, expected one "
		    "per class (2)" },
		{ "calib-model 1\nmethod histogram\nclasses 2\nclass a\n"
		    "class b\nbinning width\nbins 2\nbin 2 1 0.5\n", 8,
		    "expected bin 1 here" },
		{ "calib-model 1\nmethod histogram\nclasses 2\nclass a\n"
		    "class b\nbinning width\nbins 2\nbin 1 1 1.5\n", 8,
		    "value 1.5 is outside [0, 1]" },
		{ "calib-model 1\nmethod isotonic\nclasses 2\nclass a\n"
		    "class b\nsteps 2\nstep 0.5 1 0.5\nstep 0.5 1 0.5\n", 8,
		    "does not exceed" },
		{ "calib-model 1\nmethod isotonic\nclasses 2\nclass a\n"
		    "class b\nsteps 1\nstep 0.5 0 0.5\n", 7,
		    "must say 'identity'" },
		{ "calib-model 1\nmethod platt\nclasses 3\n", 3,
		    "platt calibration has 2 classes" },
		{ "calib-model 1\nmethod beta\nclasses 2\nclass a\nclass b\n"
		    "a 1\nb -1\nc 0\n", 7, "b = -1 is negative" },
		{ "calib-model 1\nmethod beta\nclasses 2\nclass a\nclass b\n"
		    "a 1\nc 0\nd 0\n", 8, "unexpected 'd' (expected 'a', 'b' "
		    "and 'c')" },
		{ "calib-model 1\nmethod temperature\nclasses 2\nclass a\n"
		    "class b\\q\n", 5, "malformed escape" },
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		calib_model *m = parse(good[i]);
		char *text = NULL;
		calib_error err;
		ok(m != NULL &&
		    calib_model_format(m, &text, &err) == CALIB_OK &&
		    strcmp(text, good[i]) == 0, "model %zu (%s) reads back and "
		    "writes the same text", i, m ? calib_method_name(
		    calib_model_method(m)) : "?");
		if (text && strcmp(text, good[i]) != 0)
			diag("wrote:\n%s", text);
		free(text);
		calib_model_free(m);
	}
	{
		calib_model *m = parse(good[7]);
		is_str(m ? calib_model_class_name(m, 0) : NULL, " a",
		    "escaped leading blank");
		is_str(m ? calib_model_class_name(m, 1) : NULL, "b\t\\c",
		    "escaped tab and backslash");
		calib_model_free(m);
	}
	{
		/* Comments, blank lines, CRLF and trailing blanks are fine. */
		const char *t = "# fitted by hand\r\ncalib-model 1\r\n\r\n"
		    "method temperature  \r\nclasses 2\r\n# the classes\r\n"
		    "class a\r\nclass b\r\ntemperature 2.5\r\n";
		calib_model *m = parse(t);
		near(param(m, "temperature"), 2.5, 0, "comments, blank lines "
		    "and CRLF");
		calib_model_free(m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		calib_model *m = NULL;
		calib_error err;
		calib_status st = calib_model_parse(bad[i].text,
		    strlen(bad[i].text), "bad.calib", &m, &err);
		ok(st == CALIB_E_FORMAT && m == NULL &&
		    err.line == bad[i].line &&
		    strstr(err.message, bad[i].msg) != NULL &&
		    strcmp(err.file, "bad.calib") == 0,
		    "malformed model %zu: line %lu, '%s'", i, bad[i].line,
		    bad[i].msg);
		if (st != CALIB_E_FORMAT || err.line != bad[i].line ||
		    strstr(err.message, bad[i].msg) == NULL)
			diag("got line %lu: %s", err.line, err.message);
		calib_model_free(m);
	}
}

/* ---- applying while reading, and afterwards ----------------------- */

static int
same(const double *a, const double *b, size_t n)
{
	return a != NULL && b != NULL && memcmp(a, b, n * sizeof(double)) == 0;
}

static void
test_pipeline(const char *srcdir)
{
	static const char *const files[] = {
		"multiclass.csv", "logits.csv", "weighted.csv", "binary.csv",
	};
	calib_method methods[] = {
		CALIB_METHOD_TEMPERATURE, CALIB_METHOD_VECTOR,
		CALIB_METHOD_HISTOGRAM, CALIB_METHOD_ISOTONIC,
		CALIB_METHOD_PLATT, CALIB_METHOD_BETA,
	};
	size_t f, j;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char path[1024];
		calib_read_options o;
		calib_preds *p = NULL;
		calib_error err;

		snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir,
		    files[f]);
		calib_read_options_init(&o);
		o.keep = CALIB_KEEP_LOGITS;
		if (calib_read(path, &o, &p, &err) != CALIB_OK) {
			ok(0, "read %s: %s", files[f], err.message);
			continue;
		}
		for (j = 0; j < sizeof(methods) / sizeof(methods[0]); j++) {
			calib_fit_options fo;
			calib_model *m = NULL;
			calib_preds *a = NULL, *b = NULL;
			calib_status st;
			size_t n = p->n, nk = p->n * (size_t)p->k;

			calib_fit_options_init(&fo);
			fo.method = methods[j];
			fo.bins = 2;
			st = calib_fit(p, &fo, &m, &err);
			if (st != CALIB_OK) {
				/* A tiny file may admit no fit; then it must
				 * say so, with a reason. */
				ok(m == NULL && err.message[0] != '\0',
				    "%s on %s: no fit, says '%s'",
				    calib_method_name(methods[j]), files[f],
				    err.message);
				continue;
			}
			calib_read_options_init(&o);
			o.keep = CALIB_KEEP_PROBS;
			o.calibrate = m;
			calib_read(path, &o, &a, &err);
			o.calibrate = NULL;
			calib_preds_recalibrate(p, m, &o, &b, &err);
			ok(a && b && a->calibrated &&
			    same(a->probs, b->probs, nk) &&
			    same(a->score, b->score, n) &&
			    same(a->nll, b->nll, n) &&
			    same(a->brier, b->brier, n) &&
			    same(a->entropy, b->entropy, n) &&
			    memcmp(a->pred, b->pred, n * sizeof(int32_t)) == 0,
			    "%s on %s: applied while reading == applied "
			    "afterwards, to the bit",
			    calib_method_name(methods[j]), files[f]);
			calib_preds_free(a);
			calib_preds_free(b);

			/* A temperature model is --temperature T. */
			if (methods[j] == CALIB_METHOD_TEMPERATURE) {
				calib_read_options_init(&o);
				o.calibrate = m;
				calib_read(path, &o, &a, &err);
				o.calibrate = NULL;
				o.temperature = param(m, "temperature");
				calib_read(path, &o, &b, &err);
				ok(a && b && same(a->score, b->score, n) &&
				    same(a->nll, b->nll, n) &&
				    same(a->brier, b->brier, n),
				    "temperature model == --temperature %.6g "
				    "on %s", o.temperature, files[f]);
				calib_preds_free(a);
				calib_preds_free(b);
			}
			calib_model_free(m);
		}
		calib_preds_free(p);
	}

	/* Mismatches: classes, names, temperature. */
	{
		char path[1024];
		calib_read_options o;
		calib_preds *p = NULL;
		calib_model *m;
		calib_error err;
		calib_status st;

		m = parse("calib-model 1\nmethod temperature\nclasses 2\n"
		    "class 0\nclass 1\ntemperature 2\n");
		snprintf(path, sizeof(path), "%s/tests/data/multiclass.csv",
		    srcdir);
		calib_read_options_init(&o);
		o.calibrate = m;
		st = calib_read(path, &o, &p, &err);
		ok(st == CALIB_E_MISMATCH && p == NULL &&
		    strstr(err.message, "3 classes, but calibration model "
		    "'t.calib' was fitted on 2") != NULL,
		    "2-class model on a 3-class file: %s", err.message);
		calib_model_free(m);

		m = parse("calib-model 1\nmethod temperature\nclasses 3\n"
		    "class cat\nclass dog\nclass cow\ntemperature 2\n");
		snprintf(path, sizeof(path), "%s/tests/data/named.tsv", srcdir);
		o.calibrate = m;
		st = calib_read(path, &o, &p, &err);
		ok(st == CALIB_E_MISMATCH && strstr(err.message, "class 2 is "
		    "'fox' here but 'cow'") != NULL, "class names differ: %s",
		    err.message);
		o.temperature = 2;
		snprintf(path, sizeof(path), "%s/tests/data/multiclass.csv",
		    srcdir);
		st = calib_read(path, &o, &p, &err);
		ok(st == CALIB_E_ARG && strstr(err.message, "cannot be "
		    "combined") != NULL, "temperature and model together "
		    "refused");
		calib_model_free(m);
	}
}

int
main(void)
{
	const char *srcdir = getenv("top_srcdir");

	gsl_set_error_handler_off();
	test_temperature_exact();
	test_temperature_sampled();
	test_temperature_degenerate();
	test_vector_exact();
	test_histogram();
	test_histogram_multiclass();
	test_isotonic();
	test_isotonic_random();
	test_platt();
	test_beta();
	test_binning_degenerate();
	test_degenerate_sweep();
	test_model_text();
	test_pipeline(srcdir ? srcdir : ".");
	return done_testing();
}
