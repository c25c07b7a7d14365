/*
 * estimators.c - calibration estimators beyond the binned ECE: UCE,
 * top-label Brier, debiased l2 (top-label and classwise), ACE and TACE.
 * Definitions and sources at the prototypes in calib.h.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

double
calib_uce(const calib_bins *b)
{
	ci_sum e = { 0, 0 };
	int j;

	if (b == NULL || !(b->total_weight > 0))
		return NAN;
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		if (x->weight > 0) {
			double conf = x->sum_score / x->weight;
			double acc = x->sum_outcome / x->weight;
			if (acc > conf)
				ci_sum_add(&e, x->weight * (1 - conf) *
				    (acc - conf));
		}
	}
	return ci_sum_get(&e) / b->total_weight;
}

double
calib_brier_top_label(const calib_preds *p, const uint32_t *mult)
{
	ci_sum num = { 0, 0 }, den = { 0, 0 };
	size_t i;

	if (p == NULL)
		return NAN;
	for (i = 0; i < p->n; i++) {
		double w = (p->weight ? p->weight[i] : 1.0) *
		    (mult ? mult[i] : 1);
		double d = p->score[i] - (p->outcome[i] ? 1.0 : 0.0);
		if (w == 0)
			continue;
		ci_sum_add(&num, w * d * d);
		ci_sum_add(&den, w);
	}
	return ci_sum_get(&den) > 0 ? ci_sum_get(&num) / ci_sum_get(&den) :
	    NAN;
}

/* The bracket D of calib_debiased_l2() from an equal-mass table. */
double
ci_debiased_sum(const calib_bins *b)
{
	ci_sum d = { 0, 0 };
	int j;

	if (!(b->total_weight > 0))
		return NAN;
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		double acc, conf, neff;
		if (x->count < 2 || !(x->weight > 0) || !(x->sum_w2 > 0))
			continue;
		neff = x->weight * x->weight / x->sum_w2;
		if (!(neff > 1))
			continue;
		acc = x->sum_outcome / x->weight;
		conf = x->sum_score / x->weight;
		ci_sum_add(&d, x->weight * ((acc - conf) * (acc - conf) -
		    acc * (1 - acc) / (neff - 1)));
	}
	return ci_sum_get(&d) / b->total_weight;
}

calib_status
ci_debiased_l2(size_t n, const double *s, const uint8_t *o, const double *w,
    const uint32_t *mult, const size_t *order, int m, double *out)
{
	calib_bins b;
	calib_status st;
	double d;

	*out = NAN;
	st = ci_bin_arrays(n, s, o, w, mult, m, CALIB_BIN_MASS, NULL, order,
	    &b);
	if (st != CALIB_OK)
		return st;
	d = ci_debiased_sum(&b);
	calib_bins_release(&b);
	*out = isnan(d) ? NAN : sqrt(d > 0 ? d : 0);
	return CALIB_OK;
}

calib_status
calib_debiased_l2(const calib_preds *p, int m, const uint32_t *mult,
    double *out)
{
	if (p == NULL || out == NULL || m < 1)
		return CALIB_E_ARG;
	return ci_debiased_l2(p->n, p->score, p->outcome, p->weight, mult,
	    NULL, m, out);
}

/* ---- per-class columns ---------------------------------------------- */

void
ci_class_orders_free(ci_class_orders *c)
{
	if (c == NULL)
		return;
	if (c->own_order)
		free(c->order);
	free(c->col);
	free(c->hit);
	memset(c, 0, sizeof(*c));
}

/*
 * For each class, the rows sorted by p_ik, and scratch for one column.
 * Built once and reused by every replicate of a bootstrap.
 */
int
ci_class_orders_build(const calib_preds *p, int with_order,
    ci_class_orders *c)
{
	size_t n = p->n, i;
	int k;

	memset(c, 0, sizeof(*c));
	c->k = p->k;
	c->n = n;
	c->col = malloc((n ? n : 1) * sizeof(double));
	c->hit = malloc(n ? n : 1);
	if (c->col == NULL || c->hit == NULL)
		goto fail;
	if (!with_order)
		return 0;
	c->order = malloc((n ? n : 1) * (size_t)p->k * sizeof(size_t));
	if (c->order == NULL)
		goto fail;
	c->own_order = 1;
	for (k = 0; k < p->k; k++) {
		size_t *o;
		for (i = 0; i < n; i++)
			c->col[i] = p->probs[i * (size_t)p->k + (size_t)k];
		o = ci_score_order(n, c->col);
		if (o == NULL)
			goto fail;
		memcpy(c->order + (size_t)k * n, o, n * sizeof(size_t));
		free(o);
	}
	return 0;
fail:
	ci_class_orders_free(c);
	return -1;
}

/* Class k's scores and outcomes into the scratch columns. */
static void
class_column(const calib_preds *p, ci_class_orders *c, int k)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		c->col[i] = p->probs[i * (size_t)p->k + (size_t)k];
		c->hit[i] = p->label[i] == k;
	}
}

calib_status
ci_classwise_debiased(const calib_preds *p, ci_class_orders *c,
    const uint32_t *mult, int m, double *out)
{
	ci_sum total = { 0, 0 };
	int k;

	*out = NAN;
	if (p->probs == NULL)
		return CALIB_E_ARG;
	for (k = 0; k < p->k; k++) {
		calib_bins b;
		calib_status st;
		double d;
		class_column(p, c, k);
		st = ci_bin_arrays(p->n, c->col, c->hit, p->weight, mult, m,
		    CALIB_BIN_MASS, NULL, c->order ? c->order + (size_t)k *
		    p->n : NULL, &b);
		if (st != CALIB_OK)
			return st;
		d = ci_debiased_sum(&b);
		calib_bins_release(&b);
		if (isnan(d))
			return CALIB_OK;
		ci_sum_add(&total, d > 0 ? d : 0);
	}
	*out = sqrt(ci_sum_get(&total) / p->k);
	return CALIB_OK;
}

calib_status
calib_classwise_debiased_l2(const calib_preds *p, int m,
    const uint32_t *mult, double *out)
{
	ci_class_orders c;
	calib_status st;

	if (p == NULL || out == NULL || m < 1)
		return CALIB_E_ARG;
	*out = NAN;
	if (p->probs == NULL)
		return CALIB_E_ARG;
	if (ci_class_orders_build(p, 0, &c) != 0)
		return CALIB_E_NOMEM;
	st = ci_classwise_debiased(p, &c, mult, m, out);
	ci_class_orders_free(&c);
	return st;
}

calib_status
ci_classwise_ece_mass(const calib_preds *p, ci_class_orders *c,
    const uint32_t *mult, int m, double *out)
{
	ci_sum total = { 0, 0 };
	int k;

	*out = NAN;
	for (k = 0; k < p->k; k++) {
		calib_bins b;
		calib_status st;
		class_column(p, c, k);
		st = ci_bin_arrays(p->n, c->col, c->hit, p->weight, mult, m,
		    CALIB_BIN_MASS, NULL, c->order ? c->order + (size_t)k *
		    p->n : NULL, &b);
		if (st != CALIB_OK)
			return st;
		ci_sum_add(&total, calib_ece(&b));
		calib_bins_release(&b);
	}
	*out = ci_sum_get(&total) / p->k;
	return CALIB_OK;
}

calib_status
ci_ace(const calib_preds *p, ci_class_orders *c, const uint32_t *mult,
    int ranges, double threshold, double *out)
{
	ci_sum total = { 0, 0 };
	size_t pairs = 0;
	uint32_t *keep = NULL;
	int k;

	*out = NAN;
	if (p->probs == NULL)
		return CALIB_E_ARG;
	if (threshold >= 0) {
		keep = malloc((p->n ? p->n : 1) * sizeof(*keep));
		if (keep == NULL)
			return CALIB_E_NOMEM;
	}
	for (k = 0; k < p->k; k++) {
		calib_bins b;
		calib_status st;
		size_t i;
		int j;
		class_column(p, c, k);
		if (keep != NULL)
			/* TACE: the predictions at or below the threshold
			 * are not there at all when the ranges are cut */
			for (i = 0; i < p->n; i++)
				keep[i] = c->col[i] > threshold ?
				    (mult ? mult[i] : 1) : 0;
		st = ci_bin_arrays(p->n, c->col, c->hit, p->weight,
		    keep ? keep : mult, ranges, CALIB_BIN_MASS, NULL,
		    c->order ? c->order + (size_t)k * p->n : NULL, &b);
		if (st != CALIB_OK) {
			free(keep);
			return st;
		}
		for (j = 0; j < b.m; j++)
			if (b.bin[j].weight > 0) {
				ci_sum_add(&total, fabs(b.bin[j].sum_outcome -
				    b.bin[j].sum_score) / b.bin[j].weight);
				pairs++;
			}
		calib_bins_release(&b);
	}
	free(keep);
	*out = pairs ? ci_sum_get(&total) / (double)pairs : NAN;
	return CALIB_OK;
}

calib_status
calib_ace(const calib_preds *p, int ranges, double threshold,
    const uint32_t *mult, double *out)
{
	ci_class_orders c;
	calib_status st;

	if (p == NULL || out == NULL || ranges < 1)
		return CALIB_E_ARG;
	*out = NAN;
	if (p->probs == NULL)
		return CALIB_E_ARG;
	if (ci_class_orders_build(p, 0, &c) != 0)
		return CALIB_E_NOMEM;
	st = ci_ace(p, &c, mult, ranges, threshold, out);
	ci_class_orders_free(&c);
	return st;
}
