/*
 * recal-map.c - the fitted recalibration map (calib_model): the object,
 * its accessors, and applying it to one row, which is all the reader
 * needs to recalibrate while reading.  Fitting a map is recal.c's; its
 * file format is model.c's.  Formulas and sources are documented at the
 * prototypes in calib.h.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "recal-map.h"

static const char *const method_names[] = {
	"temperature", "vector", "histogram", "isotonic", "platt", "beta"
};
#define N_METHODS (sizeof(method_names) / sizeof(method_names[0]))

const char *
calib_method_name(calib_method m)
{
	return (unsigned)m < N_METHODS ? method_names[m] : NULL;
}

calib_status
calib_method_from_name(const char *name, calib_method *out)
{
	size_t i;

	if (name == NULL)
		return CALIB_E_ARG;
	for (i = 0; i < N_METHODS; i++)
		if (strcmp(name, method_names[i]) == 0) {
			*out = (calib_method)i;
			return CALIB_OK;
		}
	return CALIB_E_ARG;
}

/* ---- the model object --------------------------------------------- */

calib_model *
ci_model_new(calib_method method, int k, char *const *class_names)
{
	calib_model *m;
	int i;

	if (k < 2)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->method = method;
	m->k = k;
	m->temperature = 1;
	m->class_names = calloc((size_t)k, sizeof(char *));
	if (m->class_names == NULL) {
		calib_model_free(m);
		return NULL;
	}
	for (i = 0; i < k; i++) {
		char buf[24];
		const char *nm = class_names ? class_names[i] : NULL;
		if (nm == NULL) {
			snprintf(buf, sizeof(buf), "%d", i);
			nm = buf;
		}
		m->class_names[i] = strdup(nm);
		if (m->class_names[i] == NULL) {
			calib_model_free(m);
			return NULL;
		}
	}
	return m;
}

int
ci_model_alloc_steps(calib_model *m, int nsteps, int with_edges)
{
	m->nsteps = nsteps;
	m->value = calloc((size_t)nsteps, sizeof(double));
	m->weight = calloc((size_t)nsteps, sizeof(double));
	if (with_edges)
		m->edge = calloc((size_t)nsteps, sizeof(double));
	return m->value && m->weight && (!with_edges || m->edge) ? 0 : -1;
}

void
calib_model_free(calib_model *m)
{
	int i;

	if (m == NULL)
		return;
	if (m->class_names != NULL)
		for (i = 0; i < m->k; i++)
			free(m->class_names[i]);
	free(m->class_names);
	free(m->source);
	free(m->w);
	free(m->b);
	free(m->edge);
	free(m->value);
	free(m->weight);
	free(m);
}

calib_method
calib_model_method(const calib_model *m)
{
	return m->method;
}

int
calib_model_classes(const calib_model *m)
{
	return m->k;
}

const char *
calib_model_class_name(const calib_model *m, int k)
{
	return m != NULL && k >= 0 && k < m->k ? m->class_names[k] : NULL;
}

calib_status
calib_model_get(const calib_model *m, const char *name, double *value)
{
	if (m == NULL || name == NULL || value == NULL)
		return CALIB_E_ARG;
	if (m->method == CALIB_METHOD_TEMPERATURE &&
	    strcmp(name, "temperature") == 0)
		*value = m->temperature;
	else if ((m->method == CALIB_METHOD_PLATT ||
	    m->method == CALIB_METHOD_BETA) && strcmp(name, "a") == 0)
		*value = m->pa;
	else if ((m->method == CALIB_METHOD_PLATT ||
	    m->method == CALIB_METHOD_BETA) && strcmp(name, "b") == 0)
		*value = m->pb;
	else if (m->method == CALIB_METHOD_BETA && strcmp(name, "c") == 0)
		*value = m->pc;
	else
		return CALIB_E_ARG;
	return CALIB_OK;
}

calib_status
ci_model_check_classes(const calib_model *m, int k, char *const *names,
    const char *file, calib_error *err)
{
	const char *src = m->source ? m->source : "the calibration model";
	int i;

	if (m->k != k)
		return ci_error_set(err, CALIB_E_MISMATCH, file, 0, 0, NULL,
		    "%d classes, but calibration model '%s' was fitted on %d "
		    "(a model applies only to files with its classes)", k,
		    src, m->k);
	if (names != NULL)
		for (i = 0; i < k; i++)
			if (strcmp(names[i], m->class_names[i]) != 0)
				return ci_error_set(err, CALIB_E_MISMATCH, file,
				    1, 0, NULL, "class %d is '%s' here but "
				    "'%s' in calibration model '%s' (expected "
				    "the same classes in the same order)", i,
				    names[i], m->class_names[i], src);
	return CALIB_OK;
}

/* ---- applying a map to one row ------------------------------------ */

int
ci_model_maps_logits(const calib_model *m)
{
	return m->method != CALIB_METHOD_HISTOGRAM &&
	    m->method != CALIB_METHOD_ISOTONIC;
}

double
ci_log_sigmoid(double t)
{
	return t >= 0 ? -log1p(exp(-t)) : t - log1p(exp(t));
}

double
ci_binary_logit(const double *z)
{
	/* s in [eps, 1 - eps] is t in [-L, L], L = ln((1 - eps) / eps);
	 * (1 - eps) / eps = 2^52 - 1 is exact. */
	const double L = log((1 - DBL_EPSILON) / DBL_EPSILON);
	double t = z[1] - z[0];

	if (t > L)
		t = L;
	else if (t < -L)
		t = -L;
	return t;
}

void
ci_divide_logits(double *z, int k, double T)
{
	double m = -INFINITY;
	int i, shift = 0;

	for (i = 0; i < k; i++) {
		if (isfinite(z[i]) && !isfinite(z[i] / T))
			shift = 1;
		if (z[i] > m)
			m = z[i];
	}
	if (!shift || !isfinite(m)) {
		for (i = 0; i < k; i++)
			z[i] /= T;
		return;
	}
	for (i = 0; i < k; i++)
		z[i] = (z[i] - m) / T;
}

void
ci_model_logits(const calib_model *m, double *z)
{
	const int k = m->k;
	double t;
	int i;

	switch (m->method) {
	case CALIB_METHOD_TEMPERATURE:
		ci_divide_logits(z, k, m->temperature);
		break;
	case CALIB_METHOD_VECTOR:
		/* A class with probability 0 stays impossible, whatever the
		 * sign of its scale. */
		for (i = 0; i < k; i++)
			if (z[i] != -INFINITY)
				z[i] = m->w[i] * z[i] + m->b[i];
		break;
	case CALIB_METHOD_PLATT:
		t = ci_binary_logit(z);
		z[0] = 0;
		z[1] = m->pa * t + m->pb;
		break;
	case CALIB_METHOD_BETA:
		t = ci_binary_logit(z);
		z[0] = 0;
		z[1] = m->pc + m->pa * ci_log_sigmoid(t) -
		    m->pb * ci_log_sigmoid(-t);
		break;
	default:
		break;
	}
}

double
ci_model_score(int k, const double *p, int top)
{
	return k == 2 ? p[1] : p[top];
}

/* The step of a binning map that holds s: (edge[j-1], edge[j]]. */
static int
step_index(const calib_model *m, double s)
{
	int lo = 0, hi = m->nsteps - 1;

	if (m->edge == NULL)
		return ci_bin_index(s, m->nsteps);
	if (!(s <= m->edge[hi]))
		return hi;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (s <= m->edge[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void
ci_model_probs(const calib_model *m, double *p, int top)
{
	const int k = m->k;
	double s = ci_model_score(k, p, top), g, rest = 0;
	int j = step_index(m, s), i;

	g = m->weight[j] > 0 ? m->value[j] : s;
	if (k == 2) {
		p[0] = 1 - g;
		p[1] = g;
		return;
	}
	/* The rest is summed rather than taken as 1 - s: a confidence of
	 * exactly 1.0 still leaves the other classes their proportions. */
	for (i = 0; i < k; i++)
		if (i != top)
			rest += p[i];
	for (i = 0; i < k; i++)
		if (i != top)
			p[i] = rest > 0 ? p[i] / rest * (1 - g) :
			    (1 - g) / (k - 1);
	p[top] = g;
}
