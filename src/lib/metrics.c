/*
 * metrics.c - the unbinned metrics and the all-in-one calib_metrics_compute().
 * Formulas and sources are documented at the prototypes in calib.h.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "internal.h"
#include "summary.h"

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
 * Every unbinned metric is a weighted mean of a per-row term.  They are
 * summed in one pass, so the weighting and bootstrap multiplicity live in
 * one place.  Rows with zero effective weight are skipped, so an infinite
 * term there (a zero-weight row with p_y = 0) cannot poison the mean.
 */
typedef struct row_means {
	double accuracy, score, outcome, nll, brier, entropy;
} row_means;

static void
row_means_compute(const calib_preds *p, const uint32_t *mult, double clip,
    row_means *out)
{
	ci_sum acc = { 0, 0 }, sc = { 0, 0 }, oc = { 0, 0 }, nl = { 0, 0 };
	ci_sum br = { 0, 0 }, en = { 0, 0 }, den = { 0, 0 };
	/* Clipping p_y into [eps, 1 - eps] is clipping -ln p_y into
	 * [-ln(1 - eps), -ln eps]. */
	const double hi = clip > 0 ? -log(clip) : INFINITY;
	const double lo = clip > 0 ? -log1p(-clip) : 0;
	size_t i;
	int inf = 0;

	for (i = 0; i < p->n; i++) {
		double w = p->weight ? p->weight[i] : 1.0, v;
		if (mult != NULL)
			w *= mult[i];
		if (w == 0)
			continue;
		if (p->pred[i] == p->label[i])
			ci_sum_add(&acc, w);
		ci_sum_add(&sc, w * p->score[i]);
		if (p->outcome[i])
			ci_sum_add(&oc, w);
		v = p->nll[i];
		if (v > hi)
			v = hi;
		if (v < lo)
			v = lo;
		if (isinf(v))
			inf = 1;
		else
			ci_sum_add(&nl, w * v);
		ci_sum_add(&br, w * p->brier[i]);
		ci_sum_add(&en, w * p->entropy[i]);
		ci_sum_add(&den, w);
	}
	{
		double W = ci_sum_get(&den);
		if (!(W > 0)) {
			out->accuracy = out->score = out->outcome = NAN;
			out->nll = out->brier = out->entropy = NAN;
			return;
		}
		out->accuracy = ci_sum_get(&acc) / W;
		out->score = ci_sum_get(&sc) / W;
		out->outcome = ci_sum_get(&oc) / W;
		out->nll = inf ? INFINITY : ci_sum_get(&nl) / W;
		out->brier = ci_sum_get(&br) / W;
		out->entropy = ci_sum_get(&en) / W;
	}
}

double
calib_accuracy(const calib_preds *p, const uint32_t *mult)
{
	row_means r;

	row_means_compute(p, mult, 0, &r);
	return r.accuracy;
}

double
calib_mean_score(const calib_preds *p, const uint32_t *mult)
{
	row_means r;

	row_means_compute(p, mult, 0, &r);
	return r.score;
}

double
calib_mean_outcome(const calib_preds *p, const uint32_t *mult)
{
	row_means r;

	row_means_compute(p, mult, 0, &r);
	return r.outcome;
}

double
calib_nll(const calib_preds *p, double clip, const uint32_t *mult)
{
	row_means r;

	row_means_compute(p, mult, clip, &r);
	return r.nll;
}

double
calib_brier(const calib_preds *p, const uint32_t *mult)
{
	row_means r;

	row_means_compute(p, mult, 0, &r);
	return r.brier;
}

double
calib_entropy(const calib_preds *p, const uint32_t *mult)
{
	row_means r;

	row_means_compute(p, mult, 0, &r);
	return r.entropy;
}

/*
 * All rows, equal-width bins: the exact sums a summary holds, through the
 * routine summaries use, so one pass and merged shards agree to the bit.
 */
static calib_status
exact_metrics(const calib_preds *p, const calib_metric_options *o,
    calib_metrics *out)
{
	calib_classwise_acc cw, *cwp = NULL;
	calib_status st;
	ci_acc a;

	memset(&cw, 0, sizeof(cw));
	if (ci_acc_init(&a, o->bins, o->nll_clip) != 0)
		return CALIB_E_NOMEM;
	ci_acc_add_preds(&a, p);
	if (p->probs != NULL) {
		if (ci_classwise_alloc(&cw, p->k, o->bins) != 0 ||
		    ci_classwise_exact(p, &cw) != 0) {
			ci_classwise_free(&cw);
			ci_acc_free(&a);
			return CALIB_E_NOMEM;
		}
		cwp = &cw;
	} else if (p->classwise.bins == o->bins) {
		cwp = (calib_classwise_acc *)&p->classwise;
	}
	st = ci_acc_metrics(&a, p->k, cwp, out);
	if (cwp == &cw)
		ci_classwise_free(&cw);
	ci_acc_free(&a);
	return st;
}

calib_status
calib_metrics_compute(const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult, calib_metrics *out)
{
	return ci_metrics_compute(p, o, mult, NULL, out);
}

calib_status
ci_metrics_compute(const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult, const ci_cells *cells, calib_metrics *out)
{
	calib_bins b;
	calib_status st;
	row_means r;

	if (p == NULL || o == NULL || out == NULL || o->bins < 1 ||
	    !(o->nll_clip >= 0 && o->nll_clip < 0.5))
		return CALIB_E_ARG;
	memset(out, 0, sizeof(*out));
	if (mult == NULL && o->binning == CALIB_BIN_WIDTH)
		return exact_metrics(p, o, out);
	if (cells != NULL && (o->binning != CALIB_BIN_WIDTH ||
	    cells->m != o->bins))
		cells = NULL;
	st = cells ? ci_bins_cached(p, cells, mult, &b) :
	    calib_bins_compute(p, o->bins, o->binning, mult, &b);
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

	row_means_compute(p, mult, o->nll_clip, &r);
	out->accuracy = r.accuracy;
	out->mean_confidence = r.score;
	out->overconfidence = r.score - r.outcome;
	out->nll = r.nll;
	out->brier = r.brier;
	out->brier_per_class = r.brier / p->k;
	out->entropy = r.entropy;
	st = cells && cells->cls ? ci_classwise_cached(p, cells, mult,
	    &out->classwise_ece) : calib_classwise_ece(p, o->bins, o->binning,
	    mult, &out->classwise_ece);
	if (st == CALIB_E_NOMEM)
		return st;
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
