/*
 * metrics.c - the unbinned metrics and the all-in-one calib_metrics_compute().
 * Formulas and sources are documented at the prototypes in calib.h.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "internal.h"

const char *const calib_metric_names[] = {
	"accuracy", "mean_confidence", "overconfidence", "ece", "mce", "rmsce",
	"classwise_ece", "oe", "nll", "brier", "brier_per_class", "entropy",
	NULL
};

void
calib_metric_options_init(calib_metric_options *o)
{
	memset(o, 0, sizeof(*o));
	o->bins = 15;
	o->binning = CALIB_BIN_WIDTH;
	o->nll_clip = 0;
}

/*
 * Weighted mean of one per-row quantity.  Every unbinned metric is one of
 * these, so the weighting and bootstrap multiplicity live in one place.
 * Rows with zero effective weight are skipped, so an infinite term there
 * (a zero-weight row with p_y = 0) cannot poison the mean.
 */
typedef double (*row_value)(const calib_preds *p, size_t i, const void *arg);

static double
weighted_mean(const calib_preds *p, const uint32_t *mult, row_value f,
    const void *arg)
{
	ci_sum num = { 0, 0 }, den = { 0, 0 };
	size_t i;
	int inf = 0;

	for (i = 0; i < p->n; i++) {
		double w = p->weight ? p->weight[i] : 1.0, v;
		if (mult != NULL)
			w *= mult[i];
		if (w == 0)
			continue;
		v = f(p, i, arg);
		if (isinf(v))
			inf = 1;
		else
			ci_sum_add(&num, w * v);
		ci_sum_add(&den, w);
	}
	if (!(ci_sum_get(&den) > 0))
		return NAN;
	return inf ? INFINITY : ci_sum_get(&num) / ci_sum_get(&den);
}

static double
v_correct(const calib_preds *p, size_t i, const void *arg)
{
	(void)arg;
	return p->pred[i] == p->label[i];
}

static double
v_score(const calib_preds *p, size_t i, const void *arg)
{
	(void)arg;
	return p->score[i];
}

static double
v_outcome(const calib_preds *p, size_t i, const void *arg)
{
	(void)arg;
	return p->outcome[i];
}

static double
v_nll(const calib_preds *p, size_t i, const void *arg)
{
	const double *clip = arg;
	double v = p->nll[i];

	/* Clipping p_y into [eps, 1 - eps] is clipping -ln p_y into
	 * [-ln(1 - eps), -ln eps]. */
	if (*clip > 0) {
		double hi = -log(*clip), lo = -log1p(-*clip);
		if (v > hi)
			v = hi;
		if (v < lo)
			v = lo;
	}
	return v;
}

static double
v_brier(const calib_preds *p, size_t i, const void *arg)
{
	(void)arg;
	return p->brier[i];
}

static double
v_entropy(const calib_preds *p, size_t i, const void *arg)
{
	(void)arg;
	return p->entropy[i];
}

double
calib_accuracy(const calib_preds *p, const uint32_t *mult)
{
	return weighted_mean(p, mult, v_correct, NULL);
}

double
calib_mean_score(const calib_preds *p, const uint32_t *mult)
{
	return weighted_mean(p, mult, v_score, NULL);
}

double
calib_mean_outcome(const calib_preds *p, const uint32_t *mult)
{
	return weighted_mean(p, mult, v_outcome, NULL);
}

double
calib_nll(const calib_preds *p, double clip, const uint32_t *mult)
{
	return weighted_mean(p, mult, v_nll, &clip);
}

double
calib_brier(const calib_preds *p, const uint32_t *mult)
{
	return weighted_mean(p, mult, v_brier, NULL);
}

double
calib_entropy(const calib_preds *p, const uint32_t *mult)
{
	return weighted_mean(p, mult, v_entropy, NULL);
}

calib_status
calib_metrics_compute(const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult, calib_metrics *out)
{
	calib_bins b;
	calib_status st;

	if (p == NULL || o == NULL || out == NULL || o->bins < 1 ||
	    !(o->nll_clip >= 0 && o->nll_clip < 0.5))
		return CALIB_E_ARG;
	memset(out, 0, sizeof(*out));
	st = calib_bins_compute(p, o->bins, o->binning, mult, &b);
	if (st != CALIB_OK)
		return st;
	out->n = b.n;
	out->classes = p->k;
	out->bins = b.m;
	out->binning = o->binning;
	out->ece = calib_ece(&b);
	out->mce = calib_mce(&b);
	out->rmsce = calib_rmsce(&b);
	out->oe = calib_oe(&b);
	calib_bins_release(&b);

	out->accuracy = calib_accuracy(p, mult);
	out->mean_confidence = calib_mean_score(p, mult);
	out->overconfidence = out->mean_confidence - calib_mean_outcome(p, mult);
	st = calib_classwise_ece(p, o->bins, o->binning, mult,
	    &out->classwise_ece);
	if (st == CALIB_E_NOMEM)
		return st;
	out->nll = calib_nll(p, o->nll_clip, mult);
	out->brier = calib_brier(p, mult);
	out->brier_per_class = out->brier / p->k;
	out->entropy = calib_entropy(p, mult);
	return CALIB_OK;
}

calib_status
calib_metrics_get(const calib_metrics *m, const char *name, double *value)
{
	const double *slot[] = {
		&m->accuracy, &m->mean_confidence, &m->overconfidence, &m->ece,
		&m->mce, &m->rmsce, &m->classwise_ece, &m->oe, &m->nll,
		&m->brier, &m->brier_per_class, &m->entropy
	};
	size_t i;

	for (i = 0; calib_metric_names[i] != NULL; i++)
		if (strcmp(calib_metric_names[i], name) == 0) {
			*value = *slot[i];
			return CALIB_OK;
		}
	return CALIB_E_ARG;
}
