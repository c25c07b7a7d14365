/*
 * recal.c - fitting each recalibration method on validation predictions,
 * into the map object of recal-map.h.  Formulas, sources and the
 * conditions under which a fit fails are documented at the prototypes in
 * calib.h.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include "internal.h"
#include "recal-map.h"

void
calib_fit_options_init(calib_fit_options *o)
{
	memset(o, 0, sizeof(*o));
	o->method = CALIB_METHOD_TEMPERATURE;
	o->bins = 15;
	o->binning = CALIB_BIN_WIDTH;
}

/* ---- fitting: shared pieces --------------------------------------- */

static double
row_weight(const calib_preds *p, size_t i)
{
	return p->weight ? p->weight[i] : 1.0;
}

static calib_status
check_fit_input(const calib_preds *p, calib_error *err)
{
	if (p == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no predictions to fit on");
	if (p->logits == NULL)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "fitting needs the logits: read the file with "
		    "CALIB_KEEP_LOGITS");
	if (p->temperature != 1 || p->calibrated)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "fit on uncalibrated predictions (this set was read with "
		    "a temperature or a calibration model)");
	return CALIB_OK;
}

/* The first row with weight whose true class has probability 0, or n. */
static size_t
impossible_row(const calib_preds *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (row_weight(p, i) > 0 &&
		    p->logits[i * (size_t)p->k + (size_t)p->label[i]] ==
		    -INFINITY)
			return i;
	return p->n;
}

static calib_status
impossible_error(const calib_preds *p, size_t i, const char *method,
    calib_error *err)
{
	return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
	    "data row %zu gives its true class probability 0, so the NLL is "
	    "infinite for every %s fit", i + 1, method);
}

/*
 * sum_i w_i (max_k z_ik - z_iy) / W: the slope of the temperature NLL in
 * beta = 1/T as beta -> infinity.  Zero means every row's true class has
 * the largest logit.
 */
static double
margin_limit(const calib_preds *p)
{
	ci_sum s = { 0, 0 };
	size_t i;
	int c;

	for (i = 0; i < p->n; i++) {
		const double *z = p->logits + i * (size_t)p->k;
		double w = row_weight(p, i), m = z[0];
		if (w == 0)
			continue;
		for (c = 1; c < p->k; c++)
			if (z[c] > m)
				m = z[c];
		ci_sum_add(&s, w * (m - z[p->label[i]]));
	}
	return ci_sum_get(&s) / p->total_weight;
}

/* 1 when some row with weight has two different finite logits; classes
 * with probability 0 stay at 0 under every temperature. */
static int
any_spread(const calib_preds *p)
{
	size_t i;
	int c;

	for (i = 0; i < p->n; i++) {
		const double *z = p->logits + i * (size_t)p->k;
		double first = -INFINITY;
		if (row_weight(p, i) == 0)
			continue;
		for (c = 0; c < p->k; c++) {
			if (z[c] == -INFINITY)
				continue;
			if (first == -INFINITY)
				first = z[c];
			else if (z[c] != first)
				return 1;
		}
	}
	return 0;
}

/* ---- temperature scaling ------------------------------------------ */

/*
 * First and second derivative in beta of the mean NLL of softmax(beta z):
 *   d1 = sum_i w_i (E_q[z_i] - z_iy) / W,   d2 = sum_i w_i Var_q[z_i] / W.
 * At beta = 0, q is uniform over the classes with finite logits.
 */
static void
temp_derivs(const calib_preds *p, double beta, double *work, double *d1,
    double *d2)
{
	const int k = p->k;
	ci_sum s1 = { 0, 0 }, s2 = { 0, 0 };
	size_t i;
	int c;

	for (i = 0; i < p->n; i++) {
		const double *z = p->logits + i * (size_t)k;
		double w = row_weight(p, i), m = -INFINITY, S = 0, mean = 0;
		double var = 0;
		if (w == 0)
			continue;
		for (c = 0; c < k; c++)
			if (z[c] > m)
				m = z[c];
		for (c = 0; c < k; c++) {
			work[c] = z[c] == -INFINITY ? 0 :
			    exp(beta * (z[c] - m));
			S += work[c];
		}
		for (c = 0; c < k; c++)
			if (work[c] > 0)
				mean += work[c] * (z[c] - m);
		mean /= S;
		for (c = 0; c < k; c++)
			if (work[c] > 0) {
				double d = z[c] - m - mean;
				var += work[c] * d * d;
			}
		var /= S;
		ci_sum_add(&s1, w * (mean - (z[p->label[i]] - m)));
		ci_sum_add(&s2, w * var);
	}
	*d1 = ci_sum_get(&s1) / p->total_weight;
	*d2 = ci_sum_get(&s2) / p->total_weight;
}

static calib_status
fit_temperature(const calib_preds *p, double *T, calib_error *err)
{
	double *work, lo = 0, hi = 1, x, d1, d2;
	size_t bad;
	int it;

	if ((bad = impossible_row(p)) < p->n)
		return impossible_error(p, bad, "temperature", err);
	if (!any_spread(p))
		return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0,
		    NULL, "the logits are equal within every validation row, "
		    "so the NLL does not depend on T");
	if (!(margin_limit(p) > 0))
		return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0,
		    NULL, "every validation row gives its true class the "
		    "largest logit (ties included): the NLL keeps falling as "
		    "T -> 0, so temperature scaling has no finite optimum");
	work = malloc((size_t)p->k * sizeof(double));
	if (work == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	temp_derivs(p, 0, work, &d1, &d2);
	if (!(d1 < 0)) {
		free(work);
		return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0,
		    NULL, "the NLL keeps falling as T -> infinity (the true "
		    "class's logit is on average no larger than the row "
		    "mean), so temperature scaling has no finite optimum");
	}
	/* The derivative rises from d1(0) < 0 to a positive limit: find a
	 * bracket [lo, hi] with d1(lo) < 0 <= d1(hi). */
	for (;;) {
		temp_derivs(p, hi, work, &d1, &d2);
		if (d1 >= 0)
			break;
		lo = hi;
		hi *= 2;
		if (hi > 1e300) {
			free(work);
			return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0,
			    0, NULL, "temperature scaling found no optimum "
			    "above T = 1e-300");
		}
	}
	/* Newton on beta, falling back to bisection whenever a step would
	 * leave the bracket.  The objective is convex in beta, so the
	 * derivative is monotone and the bracket always holds the root. */
	x = hi;
	for (it = 0; it < 200; it++) {
		double nx;
		if (it > 0)
			temp_derivs(p, x, work, &d1, &d2);
		if (d1 == 0)
			break;
		if (d1 < 0)
			lo = x;
		else
			hi = x;
		nx = d2 > 0 ? x - d1 / d2 : 0;
		if (!(nx > lo && nx < hi))
			nx = lo + (hi - lo) / 2;
		if (fabs(nx - x) <= 2 * DBL_EPSILON * x) {
			x = nx;
			break;
		}
		x = nx;
		if (hi - lo <= 2 * DBL_EPSILON * hi)
			break;
	}
	free(work);
	if (!(x > 0) || !isfinite(1 / x))
		return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
		    "temperature scaling did not converge");
	*T = 1 / x;
	return CALIB_OK;
}

calib_status
calib_fit_temperature(const calib_preds *p, double *temperature,
    calib_error *err)
{
	calib_status st;

	if ((st = check_fit_input(p, err)) != CALIB_OK)
		return st;
	if (temperature == NULL)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "no place for the temperature");
	return fit_temperature(p, temperature, err);
}

/* ---- vector scaling ----------------------------------------------- */

/*
 * Parameters: w_0..w_{K-1}, then b_1..b_{K-1} (b_0 = 0), each multiplied
 * by a scale dw_k or db_k: the square root of the diagonal of the Hessian
 * at the start.  Logits of probability files reach -30 and below, so the
 * NLL is far steeper in some w_k than in the biases, and BFGS, which
 * starts from the identity, needs several times the iterations without
 * this.
 */
typedef struct vec_ctx {
	const calib_preds *p;
	double *a, *q;          /* k each: one row's scaled logits, softmax */
	double *w, *b, *gw, *gb; /* k each: parameters and gradient */
	double *dw, *db;        /* k each: parameter scales */
} vec_ctx;

static void
vec_eval(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
	vec_ctx *V = params;
	const calib_preds *p = V->p;
	const int k = p->k;
	ci_sum F = { 0, 0 };
	size_t i;
	int c;

	/* Plain arrays in the inner loops: gsl_vector_get() checks its
	 * index on every call. */
	for (c = 0; c < k; c++) {
		V->w[c] = gsl_vector_get(x, (size_t)c) / V->dw[c];
		V->b[c] = c > 0 ? gsl_vector_get(x, (size_t)(k + c - 1)) /
		    V->db[c] : 0;
		V->gw[c] = V->gb[c] = 0;
	}
	for (i = 0; i < p->n; i++) {
		const double *z = p->logits + i * (size_t)k;
		double w = row_weight(p, i), lse;
		int y = p->label[i], top;
		if (w == 0)
			continue;
		for (c = 0; c < k; c++)
			V->a[c] = z[c] == -INFINITY ? -INFINITY :
			    V->w[c] * z[c] + V->b[c];
		lse = ci_softmax(V->a, k, V->q, &top, NULL);
		ci_sum_add(&F, w * (lse - (V->a[y] - V->a[top])));
		if (g == NULL)
			continue;
		for (c = 0; c < k; c++) {
			double r = w * (V->q[c] - (c == y));
			if (z[c] == -INFINITY)
				continue;
			V->gw[c] += r * z[c];
			V->gb[c] += r;
		}
	}
	if (f != NULL)
		*f = ci_sum_get(&F) / p->total_weight;
	if (g != NULL)
		for (c = 0; c < k; c++) {
			gsl_vector_set(g, (size_t)c, V->gw[c] /
			    p->total_weight / V->dw[c]);
			if (c > 0)
				gsl_vector_set(g, (size_t)(k + c - 1),
				    V->gb[c] / p->total_weight / V->db[c]);
		}
}

/* The scales: sqrt of the Hessian's diagonal at w = w0, b = 0. */
static void
vec_scales(vec_ctx *V, double w0)
{
	const calib_preds *p = V->p;
	const int k = p->k;
	size_t i;
	int c, top;

	for (c = 0; c < k; c++)
		V->dw[c] = V->db[c] = 0;
	for (i = 0; i < p->n; i++) {
		const double *z = p->logits + i * (size_t)k;
		double w = row_weight(p, i);
		if (w == 0)
			continue;
		for (c = 0; c < k; c++)
			V->a[c] = z[c] == -INFINITY ? -INFINITY : w0 * z[c];
		ci_softmax(V->a, k, V->q, &top, NULL);
		for (c = 0; c < k; c++) {
			double h = w * V->q[c] * (1 - V->q[c]);
			if (z[c] == -INFINITY)
				continue;
			V->dw[c] += h * z[c] * z[c];
			V->db[c] += h;
		}
	}
	for (c = 0; c < k; c++) {
		V->dw[c] = sqrt(V->dw[c] / p->total_weight);
		V->db[c] = sqrt(V->db[c] / p->total_weight);
		if (!(V->dw[c] > 1e-150) || !isfinite(V->dw[c]))
			V->dw[c] = 1;
		if (!(V->db[c] > 1e-150) || !isfinite(V->db[c]))
			V->db[c] = 1;
	}
}

static double
vec_f(const gsl_vector *x, void *params)
{
	double f;

	vec_eval(x, params, &f, NULL);
	return f;
}

static void
vec_df(const gsl_vector *x, void *params, gsl_vector *g)
{
	vec_eval(x, params, NULL, g);
}

static void
vec_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
	vec_eval(x, params, f, g);
}

static calib_status
fit_vector(const calib_preds *p, calib_model *M, calib_error *err)
{
	const int k = p->k;
	const size_t dim = (size_t)(2 * k - 1);
	gsl_multimin_fdfminimizer *s = NULL;
	gsl_multimin_function_fdf fn;
	gsl_vector *x = NULL;
	double *seen, T, gnorm, last;
	vec_ctx V;
	calib_error terr;
	calib_status st = CALIB_OK;
	size_t i, bad;
	int c, it, status, restarts;

	if ((bad = impossible_row(p)) < p->n)
		return impossible_error(p, bad, "vector scaling", err);
	if (!(margin_limit(p) > 0))
		return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0,
		    NULL, "every validation row gives its true class the "
		    "largest logit (ties included): the NLL keeps falling as "
		    "the scales grow, so vector scaling has no finite "
		    "optimum");
	seen = calloc((size_t)k, sizeof(double));
	if (seen == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	for (i = 0; i < p->n; i++)
		seen[p->label[i]] += row_weight(p, i);
	for (c = 0; c < k; c++)
		if (!(seen[c] > 0))
			break;
	free(seen);
	if (c < k)
		return ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0,
		    NULL, "class '%s' never occurs among the validation "
		    "labels, so its vector-scaling bias has no finite optimum "
		    "(it would go to -infinity)", p->class_names[c]);

	/* Temperature scaling is vector scaling with w = 1/T and b = 0: a
	 * start close to the optimum, when it exists. */
	if (fit_temperature(p, &T, &terr) != CALIB_OK)
		T = 1;
	memset(&V, 0, sizeof(V));
	V.p = p;
	V.a = malloc((size_t)k * 8 * sizeof(double));
	x = gsl_vector_alloc(dim);
	s = gsl_multimin_fdfminimizer_alloc(
	    gsl_multimin_fdfminimizer_vector_bfgs2, dim);
	if (V.a == NULL || x == NULL || s == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	V.q = V.a + k;
	V.w = V.a + 2 * k;
	V.b = V.a + 3 * k;
	V.gw = V.a + 4 * k;
	V.gb = V.a + 5 * k;
	V.dw = V.a + 6 * k;
	V.db = V.a + 7 * k;
	vec_scales(&V, 1 / T);
	for (c = 0; c < k; c++)
		gsl_vector_set(x, (size_t)c, V.dw[c] / T);
	for (c = 1; c < k; c++)
		gsl_vector_set(x, (size_t)(k + c - 1), 0);
	fn.n = dim;
	fn.f = vec_f;
	fn.df = vec_df;
	fn.fdf = vec_fdf;
	fn.params = &V;
	status = gsl_multimin_fdfminimizer_set(s, &fn, x, 0.01, 0.1);
	if (status != GSL_SUCCESS) {
		st = ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
		    "vector scaling: %s", gsl_strerror(status));
		goto done;
	}
	last = s->f;
	for (it = 0, restarts = 0; it < 20000; it++) {
		status = gsl_multimin_fdfminimizer_iterate(s);
		if (gsl_multimin_test_gradient(s->gradient, 1e-10) ==
		    GSL_SUCCESS)
			break;
		if (status == GSL_SUCCESS)
			continue;
		/* The line search stalls where the NLL no longer resolves
		 * the decrease a step would bring (near |g| ~ 1e-8); a fresh
		 * start from the current point often gains a little more. */
		if (!(s->f < last) || ++restarts > 20)
			break;
		last = s->f;
		gsl_vector_memcpy(x, s->x);
		if (gsl_multimin_fdfminimizer_set(s, &fn, x, 1e-4,
		    0.1) != GSL_SUCCESS)
			break;
	}
	/* BFGS stops when its line search makes no progress; accept that
	 * only where the gradient has all but vanished. */
	gnorm = gsl_blas_dnrm2(s->gradient);
	for (i = 0; i < dim; i++)
		if (!isfinite(gsl_vector_get(s->x, i)))
			break;
	if (i < dim || !isfinite(s->f) || !(gnorm <= 1e-6)) {
		st = ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
		    "vector scaling did not converge (gradient norm %g after "
		    "%d iterations); the NLL may have no finite minimum, as "
		    "when the labels are separable by the scaled logits",
		    gnorm, it);
		goto done;
	}
	M->w = malloc((size_t)k * sizeof(double));
	M->b = malloc((size_t)k * sizeof(double));
	if (M->w == NULL || M->b == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (c = 0; c < k; c++) {
		M->w[c] = gsl_vector_get(s->x, (size_t)c) / V.dw[c];
		M->b[c] = c > 0 ? gsl_vector_get(s->x, (size_t)(k + c - 1)) /
		    V.db[c] : 0;
	}
done:
	if (s != NULL)
		gsl_multimin_fdfminimizer_free(s);
	if (x != NULL)
		gsl_vector_free(x);
	free(V.a);
	return st;
}

/* ---- histogram binning and isotonic regression -------------------- */

/* s_i and o_i of every row as the binning maps see them. */
static calib_status
binning_scores(const calib_preds *p, double **s_out, uint8_t **o_out,
    calib_error *err)
{
	const int k = p->k;
	double *s = malloc((p->n ? p->n : 1) * sizeof(double));
	uint8_t *o = malloc(p->n ? p->n : 1);
	double *q = malloc((size_t)k * sizeof(double));
	size_t i;

	if (s == NULL || o == NULL || q == NULL) {
		free(s);
		free(o);
		free(q);
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	}
	for (i = 0; i < p->n; i++) {
		int top;
		ci_softmax(p->logits + i * (size_t)k, k, q, &top, NULL);
		s[i] = ci_model_score(k, q, top);
		o[i] = k == 2 ? p->label[i] == 1 : top == p->label[i];
	}
	free(q);
	*s_out = s;
	*o_out = o;
	return CALIB_OK;
}

static calib_status
fit_histogram(const calib_preds *p, int bins, calib_binning binning,
    calib_model *M, calib_error *err)
{
	double *s;
	uint8_t *o;
	calib_status st;
	size_t i;
	int j;

	if ((st = binning_scores(p, &s, &o, err)) != CALIB_OK)
		return st;
	M->binning = binning;
	if (binning == CALIB_BIN_WIDTH) {
		ci_sum *sw = calloc((size_t)bins, sizeof(ci_sum));
		ci_sum *so = calloc((size_t)bins, sizeof(ci_sum));
		if (sw == NULL || so == NULL ||
		    ci_model_alloc_steps(M, bins, 0) != 0) {
			free(sw);
			free(so);
			st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0,
			    NULL, "out of memory");
			goto done;
		}
		for (i = 0; i < p->n; i++) {
			double w = row_weight(p, i);
			j = ci_bin_index(s[i], bins);
			ci_sum_add(&sw[j], w);
			if (o[i])
				ci_sum_add(&so[j], w);
		}
		for (j = 0; j < bins; j++) {
			M->weight[j] = ci_sum_get(&sw[j]);
			if (M->weight[j] > 0)
				M->value[j] = ci_sum_get(&so[j]) / M->weight[j];
		}
		free(sw);
		free(so);
	} else {
		calib_bins b;
		st = ci_bin_arrays(p->n, s, o, p->weight, NULL, bins,
		    CALIB_BIN_MASS, NULL, NULL, &b);
		if (st != CALIB_OK || ci_model_alloc_steps(M, b.m, 1) != 0) {
			calib_bins_release(&b);
			st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0,
			    NULL, "out of memory");
			goto done;
		}
		for (j = 0; j < b.m; j++) {
			M->edge[j] = b.bin[j].hi;
			M->weight[j] = b.bin[j].weight;
			if (M->weight[j] > 0)
				M->value[j] = b.bin[j].sum_outcome /
				    b.bin[j].weight;
		}
		calib_bins_release(&b);
	}
	for (j = 0; j < M->nsteps; j++)
		if (M->value[j] > 1)
			M->value[j] = 1;
done:
	free(s);
	free(o);
	return st;
}

typedef struct pav_point {
	double s, w, wo;
} pav_point;

static int
pav_cmp(const void *a, const void *b)
{
	const pav_point *x = a, *y = b;

	return (x->s > y->s) - (x->s < y->s);
}

static calib_status
fit_isotonic(const calib_preds *p, calib_model *M, calib_error *err)
{
	pav_point *pt, *blk;
	double *s;
	uint8_t *o;
	calib_status st;
	size_t i, n = 0, nb = 0;

	if ((st = binning_scores(p, &s, &o, err)) != CALIB_OK)
		return st;
	pt = malloc((p->n ? p->n : 1) * sizeof(*pt));
	blk = malloc((p->n ? p->n : 1) * sizeof(*blk));
	if (pt == NULL || blk == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	/* Rows without weight carry no evidence and get no say. */
	for (i = 0; i < p->n; i++) {
		double w = row_weight(p, i);
		if (w > 0) {
			pt[n].s = s[i];
			pt[n].w = w;
			pt[n].wo = o[i] ? w : 0;
			n++;
		}
	}
	qsort(pt, n, sizeof(*pt), pav_cmp);
	for (i = 0; i < n;) {
		pav_point cur = pt[i];
		/* Equal scores must get equal values: pool them first. */
		for (i++; i < n && pt[i].s == cur.s; i++) {
			cur.w += pt[i].w;
			cur.wo += pt[i].wo;
		}
		blk[nb++] = cur;
		/* Pool while the block before has a mean >= this one's,
		 * compared without dividing. */
		while (nb >= 2 && blk[nb - 2].wo * blk[nb - 1].w >=
		    blk[nb - 1].wo * blk[nb - 2].w) {
			blk[nb - 2].w += blk[nb - 1].w;
			blk[nb - 2].wo += blk[nb - 1].wo;
			blk[nb - 2].s = blk[nb - 1].s;
			nb--;
		}
	}
	if (ci_model_alloc_steps(M, (int)nb, 1) != 0) {
		st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (i = 0; i < nb; i++) {
		double v = blk[i].wo / blk[i].w;
		M->edge[i] = blk[i].s;
		M->weight[i] = blk[i].w;
		M->value[i] = v > 1 ? 1 : v;
	}
done:
	free(pt);
	free(blk);
	free(s);
	free(o);
	return st;
}

/* ---- platt scaling and beta calibration ---------------------------- */

static double
softplus(double x)
{
	return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double
sigmoid(double x)
{
	return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

/* Weighted logistic regression with up to two features and an
 * intercept (the last parameter), against targets in [0, 1]. */
typedef struct lr_data {
	size_t n;
	int d;
	const double *x[2];
	const double *t, *w;
	double W;
} lr_data;

static double
lr_eta(const lr_data *D, const double *th, size_t i)
{
	double e = th[D->d];
	int j;

	for (j = 0; j < D->d; j++)
		e += th[j] * D->x[j][i];
	return e;
}

static double
lr_loss(const lr_data *D, const double *th)
{
	ci_sum L = { 0, 0 };
	size_t i;

	for (i = 0; i < D->n; i++) {
		double e = lr_eta(D, th, i);
		ci_sum_add(&L, D->w[i] * (D->t[i] * softplus(-e) +
		    (1 - D->t[i]) * softplus(e)));
	}
	return ci_sum_get(&L) / D->W;
}

/*
 * Solve H x = g for a symmetric positive definite H (n <= 3) by Cholesky
 * decomposition.  Written out rather than taken from GSL: a singular
 * Hessian is an expected outcome here (an unidentified parameter), and
 * GSL would report it through its process-wide error handler.
 */
static int
chol_solve(double *H, int n, const double *g, double *x)
{
	double dmax = 0, y[3];
	int i, j, c;

	for (i = 0; i < n; i++)
		if (H[i * n + i] > dmax)
			dmax = H[i * n + i];
	for (j = 0; j < n; j++) {
		double v = H[j * n + j];
		for (c = 0; c < j; c++)
			v -= H[j * n + c] * H[j * n + c];
		if (!(v > 1e-13 * dmax))
			return -1;
		H[j * n + j] = sqrt(v);
		for (i = j + 1; i < n; i++) {
			double u = H[i * n + j];
			for (c = 0; c < j; c++)
				u -= H[i * n + c] * H[j * n + c];
			H[i * n + j] = u / H[j * n + j];
		}
	}
	for (i = 0; i < n; i++) {
		double v = g[i];
		for (c = 0; c < i; c++)
			v -= H[i * n + c] * y[c];
		y[i] = v / H[i * n + i];
	}
	for (i = n - 1; i >= 0; i--) {
		double v = y[i];
		for (c = i + 1; c < n; c++)
			v -= H[c * n + i] * x[c];
		x[i] = v / H[i * n + i];
	}
	return 0;
}

/*
 * Newton's method with step halving.  The loss is convex, so a full step
 * is taken whenever it does not increase the loss, and convergence is
 * quadratic near the optimum.  Returns 0 at the optimum, -1 when the
 * Hessian is singular or the iterates run away (no finite optimum).
 */
static int
lr_newton(const lr_data *D, double *th, double *loss)
{
	const int np = D->d + 1;
	double L = lr_loss(D, th);
	int it;

	for (it = 0; it < 200; it++) {
		ci_sum g[3];
		double H[9], gv[3], step[3], nt[3], Ln = 0, t = 1, big = 0;
		double smax = 0;
		size_t i;
		int a, b, small;

		memset(g, 0, sizeof(g));
		memset(H, 0, sizeof(H));
		for (i = 0; i < D->n; i++) {
			double e = lr_eta(D, th, i), q = sigmoid(e);
			double r = D->w[i] * (q - D->t[i]);
			double h = D->w[i] * q * (1 - q), f[3];
			for (a = 0; a < D->d; a++)
				f[a] = D->x[a][i];
			f[D->d] = 1;
			for (a = 0; a < np; a++) {
				ci_sum_add(&g[a], r * f[a]);
				for (b = 0; b <= a; b++)
					H[a * np + b] += h * f[a] * f[b];
			}
		}
		for (a = 0; a < np; a++) {
			gv[a] = ci_sum_get(&g[a]) / D->W;
			for (b = 0; b <= a; b++) {
				H[a * np + b] /= D->W;
				H[b * np + a] = H[a * np + b];
			}
		}
		if (chol_solve(H, np, gv, step) != 0)
			return -1;
		for (a = 0; a < np; a++) {
			if (fabs(step[a]) > smax)
				smax = fabs(step[a]);
			if (fabs(th[a]) > big)
				big = fabs(th[a]);
		}
		if (!isfinite(smax))
			return -1;
		small = smax <= 1e-12 * (1 + big);
		for (;;) {
			for (a = 0; a < np; a++)
				nt[a] = th[a] - t * step[a];
			Ln = lr_loss(D, nt);
			if (Ln <= L || t < 1e-12)
				break;
			t /= 2;
		}
		if (!(Ln <= L)) {
			*loss = L;
			return small ? 0 : -1;
		}
		memcpy(th, nt, (size_t)np * sizeof(double));
		L = Ln;
		if (small) {
			*loss = L;
			return 0;
		}
	}
	return -1;
}

/* t_i, y_i and w_i of the rows with weight of a binary set. */
typedef struct bin_rows {
	size_t n;
	double *t, *y, *w;
	double npos, nneg;        /* rows */
	double wpos, W;           /* weights */
} bin_rows;

static void
bin_rows_free(bin_rows *B)
{
	free(B->t);
	free(B->y);
	free(B->w);
}

static calib_status
bin_rows_collect(const calib_preds *p, bin_rows *B, calib_error *err)
{
	size_t i, m = p->n ? p->n : 1;

	memset(B, 0, sizeof(*B));
	B->t = malloc(m * sizeof(double));
	B->y = malloc(m * sizeof(double));
	B->w = malloc(m * sizeof(double));
	if (B->t == NULL || B->y == NULL || B->w == NULL) {
		bin_rows_free(B);
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	}
	for (i = 0; i < p->n; i++) {
		double w = row_weight(p, i);
		if (w == 0)
			continue;
		B->t[B->n] = ci_binary_logit(p->logits + 2 * i);
		B->y[B->n] = p->label[i] == 1;
		B->w[B->n] = w;
		if (p->label[i] == 1) {
			B->npos++;
			B->wpos += w;
		} else {
			B->nneg++;
		}
		B->W += w;
		B->n++;
	}
	return CALIB_OK;
}

static int
all_equal(const double *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (v[i] != v[0])
			return 0;
	return 1;
}

static double
logit(double q)
{
	return log(q) - log1p(-q);
}

static calib_status
fit_platt(const calib_preds *p, calib_model *M, calib_error *err)
{
	bin_rows B;
	lr_data D;
	double *tg, tp, tn, mean = 0, th[2], loss;
	calib_status st;
	size_t i;

	if ((st = bin_rows_collect(p, &B, err)) != CALIB_OK)
		return st;
	tg = malloc((B.n ? B.n : 1) * sizeof(double));
	if (tg == NULL) {
		bin_rows_free(&B);
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	}
	tp = (B.npos + 1) / (B.npos + 2);
	tn = 1 / (B.nneg + 2);
	for (i = 0; i < B.n; i++) {
		tg[i] = B.y[i] ? tp : tn;
		mean += B.w[i] * tg[i];
	}
	mean /= B.W;
	/* With constant scores only a t + b is identified; the best
	 * constant is the mean target. */
	th[0] = 0;
	th[1] = logit(mean);
	if (!all_equal(B.t, B.n)) {
		D.n = B.n;
		D.d = 1;
		D.x[0] = B.t;
		D.t = tg;
		D.w = B.w;
		D.W = B.W;
		if (lr_newton(&D, th, &loss) != 0)
			st = ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0,
			    NULL, "platt scaling did not converge");
	}
	M->pa = th[0];
	M->pb = th[1];
	free(tg);
	bin_rows_free(&B);
	return st;
}

static calib_status
fit_beta(const calib_preds *p, calib_model *M, calib_error *err)
{
	bin_rows B;
	double *u = NULL, *v = NULL, tmin_pos = INFINITY, tmax_neg = -INFINITY;
	double best = INFINITY, rate;
	calib_status st;
	size_t i;
	int cand;

	if ((st = bin_rows_collect(p, &B, err)) != CALIB_OK)
		return st;
	if (B.npos == 0 || B.nneg == 0) {
		st = ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
		    "only class '%s' occurs among the validation labels: beta "
		    "calibration has no finite maximum-likelihood fit (it "
		    "needs both classes)", p->class_names[B.npos > 0]);
		goto done;
	}
	rate = B.wpos / B.W;
	M->pa = M->pb = 0;
	M->pc = logit(rate);
	if (all_equal(B.t, B.n))
		goto done;
	for (i = 0; i < B.n; i++) {
		if (B.y[i] && B.t[i] < tmin_pos)
			tmin_pos = B.t[i];
		if (!B.y[i] && B.t[i] > tmax_neg)
			tmax_neg = B.t[i];
	}
	if (tmax_neg <= tmin_pos) {
		st = ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
		    "the validation scores separate the classes (every "
		    "positive scores at least as high as every negative): "
		    "beta calibration would be a step, with no finite "
		    "parameters");
		goto done;
	}
	u = malloc(B.n * sizeof(double));
	v = malloc(B.n * sizeof(double));
	if (u == NULL || v == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (i = 0; i < B.n; i++) {
		u[i] = ci_log_sigmoid(B.t[i]);   /* ln s */
		v[i] = -ci_log_sigmoid(-B.t[i]); /* -ln(1 - s) */
	}
	/* The constrained optimum lies on one face of a, b >= 0 and is the
	 * unconstrained optimum there: try every face, keep the best
	 * feasible one.  A face whose fit runs away is infeasible, since
	 * the data are not separable by any non-decreasing map. */
	for (cand = 0; cand < 4; cand++) {
		lr_data D;
		double th[3], loss, a = 0, b = 0, c;
		D.n = B.n;
		D.t = B.y;
		D.w = B.w;
		D.W = B.W;
		switch (cand) {
		case 0:
			D.d = 2;
			D.x[0] = u;
			D.x[1] = v;
			break;
		case 1:
			D.d = 1;
			D.x[0] = u;
			break;
		case 2:
			D.d = 1;
			D.x[0] = v;
			break;
		default:
			D.d = 0;
			break;
		}
		memset(th, 0, sizeof(th));
		th[D.d] = logit(rate);
		if (lr_newton(&D, th, &loss) != 0)
			continue;
		c = th[D.d];
		if (cand == 0) {
			a = th[0];
			b = th[1];
		} else if (cand == 1) {
			a = th[0];
		} else if (cand == 2) {
			b = th[0];
		}
		if (a < 0 || b < 0 || !(loss < best))
			continue;
		best = loss;
		M->pa = a;
		M->pb = b;
		M->pc = c;
	}
done:
	free(u);
	free(v);
	bin_rows_free(&B);
	return st;
}

/* ---- the entry points --------------------------------------------- */

static int
model_finite(const calib_model *m)
{
	int i;

	if (!isfinite(m->temperature) || !isfinite(m->pa) ||
	    !isfinite(m->pb) || !isfinite(m->pc))
		return 0;
	for (i = 0; m->w != NULL && i < m->k; i++)
		if (!isfinite(m->w[i]) || !isfinite(m->b[i]))
			return 0;
	for (i = 0; i < m->nsteps; i++)
		if (!isfinite(m->value[i]) || !isfinite(m->weight[i]) ||
		    (m->edge != NULL && !isfinite(m->edge[i])))
			return 0;
	return 1;
}

calib_status
calib_fit(const calib_preds *p, const calib_fit_options *o,
    calib_model **out, calib_error *err)
{
	calib_fit_options defaults;
	calib_model *M;
	calib_status st;

	if (out != NULL)
		*out = NULL;
	if (o == NULL) {
		calib_fit_options_init(&defaults);
		o = &defaults;
	}
	if ((st = check_fit_input(p, err)) != CALIB_OK)
		return st;
	if (out == NULL || calib_method_name(o->method) == NULL)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "unknown recalibration method");
	if ((o->method == CALIB_METHOD_PLATT ||
	    o->method == CALIB_METHOD_BETA) && p->k != 2)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "%s calibration needs a 2-class file, this one has %d "
		    "classes", calib_method_name(o->method), p->k);
	if (o->method == CALIB_METHOD_HISTOGRAM && (o->bins < 1 ||
	    o->bins > 1000000 || (o->binning != CALIB_BIN_WIDTH &&
	    o->binning != CALIB_BIN_MASS)))
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "histogram binning needs 1 to 1000000 bins and width or "
		    "mass binning");
	M = ci_model_new(o->method, p->k, p->class_names);
	if (M == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	switch (o->method) {
	case CALIB_METHOD_TEMPERATURE:
		st = fit_temperature(p, &M->temperature, err);
		break;
	case CALIB_METHOD_VECTOR:
		st = fit_vector(p, M, err);
		break;
	case CALIB_METHOD_HISTOGRAM:
		st = fit_histogram(p, o->bins, o->binning, M, err);
		break;
	case CALIB_METHOD_ISOTONIC:
		st = fit_isotonic(p, M, err);
		break;
	case CALIB_METHOD_PLATT:
		st = fit_platt(p, M, err);
		break;
	case CALIB_METHOD_BETA:
		st = fit_beta(p, M, err);
		break;
	}
	if (st == CALIB_OK && !model_finite(M))
		st = ci_error_set(err, CALIB_E_NUMERIC, p->source, 0, 0, NULL,
		    "%s fit produced a non-finite parameter",
		    calib_method_name(o->method));
	if (st != CALIB_OK) {
		calib_model_free(M);
		return st;
	}
	*out = M;
	return CALIB_OK;
}
