/*
 * metrics.c - the unbinned metrics and the all-in-one calib_metrics_compute().
 * Formulas and sources are documented at the prototypes in calib.h.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "summary.h"

void
calib_metric_options_init(calib_metric_options *o)
{
	memset(o, 0, sizeof(*o));
	o->bins = 15;
	o->binning = CALIB_BIN_WIDTH;
	o->nll_clip = 0;
	o->select = calib_metric_default_set();
	o->smece_sigma = 0;
	o->tace_threshold = 1e-3;
	o->test_resamples = 1000;
	o->test_seed = 1;
	o->skce_bandwidth = 0;
}

/*
 * Every unbinned metric is a weighted mean of a per-row term.  They are
 * summed in one pass, so the weighting and bootstrap multiplicity live in
 * one place.  Rows with zero effective weight are skipped, so an infinite
 * term there (a zero-weight row with p_y = 0) cannot poison the mean.
 */
typedef ci_row_means row_means;

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
	/* the row terms may not have been built (CALIB_OMIT_ROW_TERMS) */
	const int terms = p->nll != NULL && p->brier != NULL &&
	    p->entropy != NULL;
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
		ci_sum_add(&den, w);
		if (!terms)
			continue;
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
		if (!terms)
			out->nll = out->brier = out->entropy = NAN;
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

/* ---- the evaluation of a selection -------------------------------- */

/*
 * What several metrics share is computed once per evaluation, on first
 * use: the bin table and the row means.
 */
void
ci_eval_init(ci_eval *e, const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult, const ci_cells *cells)
{
	memset(e, 0, sizeof(*e));
	e->p = p;
	e->o = o;
	e->mult = mult;
	e->k = p ? p->k : 0;
	e->threads = 1;
	if (cells != NULL && (o->binning != CALIB_BIN_WIDTH ||
	    cells->m != o->bins || cells->conv !=
	    (calib_convention_is_default(o->convention) ? NULL :
	    o->convention)))
		cells = NULL;
	e->cells = cells;
}

void
ci_eval_release(ci_eval *e)
{
	if (e->have_bins)
		calib_bins_release(&e->bins);
	e->have_bins = 0;
	if (e->own_acc != NULL) {
		ci_acc_free(e->own_acc);
		free(e->own_acc);
	}
	e->own_acc = NULL;
	if (e->own_order)
		free(e->order);
	e->order = NULL;
	e->own_order = 0;
	if (e->own_cls) {
		ci_class_orders_free(e->cls);
		free(e->cls);
	}
	e->cls = NULL;
	e->own_cls = 0;
}

/* The exact sums when every row counts once and the bins are equal-width;
 * NULL otherwise (a bootstrap resample, equal-mass bins) or when out of
 * memory (*st says which). */
static const ci_acc *
eval_acc(ci_eval *e, calib_status *st)
{
	*st = CALIB_OK;
	if (e->acc != NULL || e->mult != NULL ||
	    e->o->binning != CALIB_BIN_WIDTH || e->p == NULL ||
	    !calib_convention_is_default(e->o->convention))
		return e->acc;
	e->own_acc = malloc(sizeof(*e->own_acc));
	if (e->own_acc == NULL ||
	    ci_acc_init(e->own_acc, e->o->bins, e->o->nll_clip) != 0) {
		free(e->own_acc);
		e->own_acc = NULL;
		*st = CALIB_E_NOMEM;
		return NULL;
	}
	ci_acc_add_preds(e->own_acc, e->p);
	e->acc = e->own_acc;
	return e->acc;
}

/* Forget the values of the last rows, keep what the rows share (the
 * sorted orders): the next replicate of a bootstrap. */
void
ci_eval_reset(ci_eval *e, const uint32_t *mult)
{
	if (e->have_bins)
		calib_bins_release(&e->bins);
	e->have_bins = 0;
	e->have_means = 0;
	e->have_smece = 0;
	e->have_corp = 0;
	e->have_sweep = 0;
	e->have_skce = 0;
	e->have_cw = 0;
	/* exact sums of all rows are not those of a resample */
	if (e->own_acc != NULL) {
		ci_acc_free(e->own_acc);
		free(e->own_acc);
		e->own_acc = NULL;
		e->acc = NULL;
	}
	e->mult = mult;
}

calib_status
ci_eval_borrow(ci_eval *e, const ci_eval *src)
{
	e->order = src->order;
	e->own_order = 0;
	e->smece_hint = src->smece_hint;
	if (src->cls != NULL && e->cls == NULL) {
		e->cls = calloc(1, sizeof(*e->cls));
		if (e->cls == NULL || ci_class_orders_build(e->p, 0,
		    e->cls) != 0) {
			free(e->cls);
			e->cls = NULL;
			return CALIB_E_NOMEM;
		}
		e->own_cls = 1;
		e->cls->order = src->cls->order;
		e->cls->scol = src->cls->scol;
		e->cls->shit = src->cls->shit;
		e->cls->own_order = 0;
	}
	return CALIB_OK;
}

static calib_status
eval_order(ci_eval *e, const size_t **order)
{
	if (e->order == NULL) {
		e->order = ci_score_order(e->p->n, e->p->score);
		if (e->order == NULL)
			return CALIB_E_NOMEM;
		e->own_order = 1;
	}
	*order = e->order;
	return CALIB_OK;
}

/* Per-class columns; sorted only when they will be reused. */
static calib_status
eval_cls(ci_eval *e, ci_class_orders **c)
{
	if (e->cls == NULL) {
		e->cls = calloc(1, sizeof(*e->cls));
		if (e->cls == NULL)
			return CALIB_E_NOMEM;
		e->own_cls = 1;
		if (ci_class_orders_build(e->p, e->keep_orders, e->cls) != 0) {
			free(e->cls);
			e->cls = NULL;
			e->own_cls = 0;
			return CALIB_E_NOMEM;
		}
	}
	*c = e->cls;
	return CALIB_OK;
}

static calib_status
eval_bins(ci_eval *e, const calib_bins **b)
{
	calib_status st;

	if (!e->have_bins) {
		const ci_acc *a = NULL;
		const size_t *order = NULL;
		if (e->cells != NULL && e->cells->conv != NULL)
			st = ci_conv_bins_cached(e->p, e->cells, e->mult,
			    &e->bins);
		else if (!calib_convention_is_default(e->o->convention))
			st = ci_conv_bin_arrays(e->p->n, e->p->score,
			    e->p->outcome, e->p->weight, e->mult, e->o->bins,
			    e->o->binning, e->o->convention, NULL, &e->bins);
		else if ((a = eval_acc(e, &st)) != NULL)
			st = ci_acc_bins(a, &e->bins);
		else if (st == CALIB_OK) {
			if (e->o->binning == CALIB_BIN_MASS && e->keep_orders &&
			    (st = eval_order(e, &order)) != CALIB_OK)
				return st;
			st = e->cells ? ci_bins_cached(e->p, e->cells, e->mult,
			    &e->bins) : ci_bin_arrays(e->p->n, e->p->score,
			    e->p->outcome, e->p->weight, e->mult, e->o->bins,
			    e->o->binning, NULL, order, &e->bins);
		}
		if (st != CALIB_OK)
			return st;
		e->have_bins = 1;
	}
	*b = &e->bins;
	return CALIB_OK;
}

static const row_means *
eval_means(ci_eval *e)
{
	if (!e->have_means) {
		calib_status st;
		const ci_acc *a = eval_acc(e, &st);
		if (a != NULL)
			ci_acc_means(a, &e->means);
		else if (st == CALIB_OK)
			row_means_compute(e->p, e->mult, e->o->nll_clip,
			    &e->means);
		else /* out of memory: every mean unknown */
			e->means.accuracy = e->means.score = e->means.outcome =
			    e->means.nll = e->means.brier = e->means.entropy =
			    NAN;
		e->have_means = 1;
	}
	return &e->means;
}

/* One function per metric; each is given the shared evaluation. */
#define BINNED(fn, metric) \
	static calib_status \
	fn(ci_eval *e, double *v) \
	{ \
		const calib_bins *b; \
		calib_status st = eval_bins(e, &b); \
		if (st == CALIB_OK) \
			*v = metric(b); \
		return st; \
	}
BINNED(m_ece, calib_ece)
BINNED(m_mce, calib_mce)
BINNED(m_rmsce, calib_rmsce)
BINNED(m_oe, calib_oe)
BINNED(m_uce, calib_uce)
#undef BINNED

#define MEAN(fn, expr) \
	static calib_status \
	fn(ci_eval *e, double *v) \
	{ \
		const row_means *r = eval_means(e); \
		*v = (expr); \
		return CALIB_OK; \
	}
MEAN(m_accuracy, r->accuracy)
MEAN(m_mean_confidence, r->score)
MEAN(m_overconfidence, r->score - r->outcome)
/* A convention may clip and renormalise the NLL, or ask for the binary
 * Brier form. */
MEAN(m_nll, e->o->convention != NULL && (e->o->convention->nll_clip > 0 ||
    e->o->convention->nll_renorm) ? ci_conv_nll(e->p, e->o, e->mult) :
    r->nll)
MEAN(m_brier, e->o->convention != NULL && e->o->convention->brier ==
    CALIB_BRIER_BINARY ? ci_conv_brier(e->p, e->mult, r->brier) : r->brier)
MEAN(m_brier_per_class, r->brier / e->k)
MEAN(m_entropy, r->entropy)
#undef MEAN

static calib_status
m_brier_top_label(ci_eval *e, double *v)
{
	calib_status st;
	const ci_acc *a = eval_acc(e, &st);

	if (st != CALIB_OK)
		return st;
	if (a != NULL) {
		/* exact sums: a summary and the one pass agree to the bit */
		double W = ci_xsum_round(&a->W);
		*v = W > 0 ? ci_xsum_round(&a->btl) / W : NAN;
		return CALIB_OK;
	}
	*v = calib_brier_top_label(e->p, e->mult);
	return CALIB_OK;
}

static calib_status
eval_smece(ci_eval *e)
{
	const size_t *order;
	calib_status st;

	if (e->have_smece)
		return CALIB_OK;
	if ((st = eval_order(e, &order)) != CALIB_OK)
		return st;
	st = ci_smece(e->p->n, e->p->score, e->p->outcome, e->p->weight,
	    e->mult, order, e->o->smece_sigma, e->smece_hint, e->threads,
	    &e->smece, &e->smece_sigma);
	/* a resample's fixed point is near this one: start there */
	if (st == CALIB_OK && e->smece_hint == 0 && e->smece_sigma > 0)
		e->smece_hint = e->smece_sigma;
	if (st == CALIB_OK)
		e->have_smece = 1;
	return st;
}

static calib_status
m_smece(ci_eval *e, double *v)
{
	calib_status st = eval_smece(e);

	*v = e->smece;
	return st;
}

static calib_status
m_smece_sigma(ci_eval *e, double *v)
{
	calib_status st = eval_smece(e);

	*v = e->smece_sigma;
	return st;
}

static calib_status
m_debiased_l2(ci_eval *e, double *v)
{
	const size_t *order;
	calib_status st = eval_order(e, &order);

	if (st != CALIB_OK)
		return st;
	return ci_debiased_l2(e->p->n, e->p->score, e->p->outcome,
	    e->p->weight, e->mult, order, e->o->bins, v);
}

static calib_status
eval_corp(ci_eval *e)
{
	const size_t *order;
	calib_status st;

	if (e->have_corp)
		return CALIB_OK;
	if ((st = eval_order(e, &order)) != CALIB_OK)
		return st;
	st = ci_corp(e->p->n, e->p->score, e->p->outcome, e->p->weight,
	    e->mult, order, 0, &e->corp);
	if (st == CALIB_OK)
		e->have_corp = 1;
	return st;
}

#define CORP(fn, field) \
	static calib_status \
	fn(ci_eval *e, double *v) \
	{ \
		calib_status st = eval_corp(e); \
		*v = e->corp.field; \
		return st; \
	}
CORP(m_corp_mcb, mcb)
CORP(m_corp_dsc, dsc)
CORP(m_corp_unc, unc)
#undef CORP

static calib_status
m_calibration_p_value(ci_eval *e, double *v)
{
	const size_t *order = NULL;
	calib_status st;

	if ((st = eval_order(e, &order)) != CALIB_OK)
		return st;
	return ci_calibration_test(e->p->n, e->p->score, e->p->outcome,
	    e->p->weight, e->mult, order, e->o->bins, e->o->binning,
	    e->o->test_resamples, e->o->test_seed, e->threads, v);
}

static calib_status
eval_sweep(ci_eval *e)
{
	const size_t *order;
	calib_status st;

	if (e->have_sweep)
		return CALIB_OK;
	if ((st = eval_order(e, &order)) != CALIB_OK)
		return st;
	st = ci_ece_sweep(e->p->n, e->p->score, e->p->outcome, e->p->weight,
	    e->mult, order, &e->sweep, &e->sweep_bins);
	if (st == CALIB_OK)
		e->have_sweep = 1;
	return st;
}

static calib_status
m_ece_sweep(ci_eval *e, double *v)
{
	calib_status st = eval_sweep(e);

	*v = e->sweep;
	return st;
}

static calib_status
m_ece_sweep_bins(ci_eval *e, double *v)
{
	calib_status st = eval_sweep(e);

	*v = e->sweep_bins;
	return st;
}

static calib_status
eval_skce(ci_eval *e)
{
	calib_status st;

	if (e->have_skce)
		return CALIB_OK;
	e->skce = e->skce_p = NAN;
	if (e->p->probs == NULL)
		return CALIB_OK;
	st = ci_skce(e->p, e->mult, e->o->skce_bandwidth, &e->skce,
	    &e->skce_p);
	if (st == CALIB_OK)
		e->have_skce = 1;
	return st;
}

static calib_status
m_skce(ci_eval *e, double *v)
{
	calib_status st = eval_skce(e);

	*v = e->skce;
	return st;
}

static calib_status
m_skce_p_value(ci_eval *e, double *v)
{
	calib_status st = eval_skce(e);

	*v = e->skce_p;
	return st;
}

static unsigned cw_selected(const ci_eval *e);

/*
 * All rows, counted once, and no sorted columns to keep for a bootstrap:
 * the classwise estimators the selection asks for, all in one pass over
 * the classes (ci_classwise_all()), on the first of them.
 */
static int
cw_together(const ci_eval *e)
{
	return e->mult == NULL && !e->keep_orders && (e->cls == NULL ||
	    e->cls->scol == NULL);
}

static calib_status
eval_cw(ci_eval *e, unsigned which)
{
	calib_status st;

	if (e->have_cw)
		return CALIB_OK;
	st = ci_classwise_all(e->p, cw_selected(e) | which, e->o->bins,
	    e->o->tace_threshold, e->threads, &e->cwv);
	if (st == CALIB_OK)
		e->have_cw = 1;
	return st;
}

/* The classwise estimators need the matrix; without it they are NaN. */
#define CLASSWISE(fn, which, field, call) \
	static calib_status \
	fn(ci_eval *e, double *v) \
	{ \
		ci_class_orders *c; \
		calib_status st; \
		*v = NAN; \
		if (e->p->probs == NULL) \
			return CALIB_OK; \
		if (cw_together(e)) { \
			st = eval_cw(e, which); \
			*v = e->cwv.field; \
			return st; \
		} \
		if ((st = eval_cls(e, &c)) != CALIB_OK) \
			return st; \
		return call; \
	}
CLASSWISE(m_classwise_debiased_l2, CI_CW_DEBIASED, debiased,
    ci_classwise_debiased(e->p, c, e->mult, e->o->bins, v))
CLASSWISE(m_ace, CI_CW_ACE, ace, ci_ace(e->p, c, e->mult, e->o->bins, -1,
    v))
CLASSWISE(m_tace, CI_CW_TACE, tace, ci_ace(e->p, c, e->mult, e->o->bins,
    e->o->tace_threshold, v))
#undef CLASSWISE

static calib_status
m_classwise_ece(ci_eval *e, double *v)
{
	calib_status st;

	if (e->p == NULL) { /* a summary: its cells and total weight */
		*v = e->cw ? ci_classwise_mean(e->cw, e->k,
		    ci_xsum_round(&e->acc->W)) : NAN;
		return CALIB_OK;
	}
	if (e->cells != NULL && e->cells->conv != NULL && e->cells->cls)
		return ci_conv_classwise_cached(e->p, e->cells, e->mult, v);
	if (!calib_convention_is_default(e->o->convention))
		return ci_conv_classwise(e->p, e->o, e->mult, v);
	if (e->o->binning == CALIB_BIN_MASS && e->p->probs != NULL) {
		/* equal-mass: per class, from rows sorted once */
		ci_class_orders *c;
		if (cw_together(e)) {
			st = eval_cw(e, CI_CW_ECE);
			*v = e->cwv.ece;
			return st;
		}
		if ((st = eval_cls(e, &c)) != CALIB_OK)
			return st;
		return ci_classwise_ece_mass(e->p, c, e->mult, e->o->bins, v);
	}

	/* All rows: calib_classwise_ece() sums exactly. */
	st = e->cells && e->cells->cls && e->mult != NULL ?
	    ci_classwise_cached(e->p, e->cells, e->mult, v) :
	    calib_classwise_ece(e->p, e->o->bins, e->o->binning, e->mult, v);
	/* Without the matrix or the reader's sums it is simply not
	 * available: NaN, not an error. */
	return st == CALIB_E_NOMEM ? st : CALIB_OK;
}

/* What a metric's function reads beyond its own work, so that a read and
 * an evaluation build only what the selection needs. */
#define NEED_PASS 1u   /* the one pass over the rows: top-label bin table
                        * or row means (eval_bins(), eval_means(),
                        * eval_acc()) */
#define NEED_TERMS 2u  /* the per-row NLL, Brier or entropy */

typedef struct ci_metric {
	calib_metric_info info;
	size_t offset;          /* of the value in calib_metrics */
	calib_status (*fn)(ci_eval *e, double *v);
	unsigned needs;         /* NEED_* bits */
} ci_metric;

#define F(field) offsetof(calib_metrics, field)
#define FR CALIB_UNIT_FRACTION
#define LO CALIB_DIR_LOWER
#define SUMS CALIB_DATA_SUMS
#define SORTED CALIB_DATA_SORTED

/* In report order.  The one list of metrics. */
static const ci_metric table[] = {
	{ { "accuracy", "accuracy", FR, CALIB_DIR_HIGHER, SUMS, 0, 1,
	    "mean_w [yhat = y]" }, F(accuracy), m_accuracy, NEED_PASS },
	{ { "mean_confidence", "mean confidence", FR, CALIB_DIR_NONE, SUMS,
	    0, 1, "mean_w s" }, F(mean_confidence),
	    m_mean_confidence, NEED_PASS },
	{ { "overconfidence", "overconfidence", FR, CALIB_DIR_SIGNED, SUMS,
	    0, 1, "mean_w s - mean_w o" }, F(overconfidence),
	    m_overconfidence, NEED_PASS },
	{ { "ece", "ECE", FR, LO, SUMS, 0, 1,
	    "sum_m (W_m/W) |acc_m - conf_m| over the bins" }, F(ece),
	    m_ece, NEED_PASS },
	{ { "mce", "MCE", FR, LO, SUMS, 0, 1,
	    "max_m |acc_m - conf_m|" }, F(mce), m_mce, NEED_PASS },
	{ { "rmsce", "RMSCE", FR, LO, SUMS, 0, 1,
	    "sqrt(sum_m (W_m/W) (acc_m - conf_m)^2)" }, F(rmsce),
	    m_rmsce, NEED_PASS },
	{ { "classwise_ece", "classwise ECE", FR, LO, SUMS, 0, 1,
	    "(1/K) sum_k ECE of p_k against [y = k]" }, F(classwise_ece),
	    m_classwise_ece, 0 },
	{ { "oe", "OE", FR, LO, SUMS, 0, 1,
	    "sum_m (W_m/W) conf_m max(conf_m - acc_m, 0)" }, F(oe),
	    m_oe, NEED_PASS },
	{ { "nll", "NLL", CALIB_UNIT_NATS, LO, SUMS, 0, 1,
	    "mean_w -ln p_y" }, F(nll), m_nll, NEED_PASS | NEED_TERMS },
	{ { "brier", "Brier", CALIB_UNIT_SCORE, LO, SUMS, 0, 1,
	    "mean_w sum_k (p_k - [y = k])^2" }, F(brier),
	    m_brier, NEED_PASS | NEED_TERMS },
	{ { "brier_per_class", "Brier per class", CALIB_UNIT_SCORE, LO, SUMS,
	    0, 1, "brier / K" }, F(brier_per_class),
	    m_brier_per_class, NEED_PASS | NEED_TERMS },
	{ { "entropy", "mean entropy", CALIB_UNIT_NATS, CALIB_DIR_NONE, SUMS,
	    0, 1, "mean_w -sum_k p_k ln p_k" }, F(entropy),
	    m_entropy, NEED_PASS | NEED_TERMS },
	{ { "uce", "UCE", FR, LO, SUMS, 0, 1,
	    "sum_m (W_m/W) (1 - conf_m) max(acc_m - conf_m, 0)" }, F(uce),
	    m_uce, NEED_PASS },
	{ { "brier_top_label", "top-label Brier", CALIB_UNIT_SCORE, LO, SUMS,
	    0, 1, "mean_w (s - o)^2" }, F(brier_top_label),
	    m_brier_top_label, NEED_PASS },
	{ { "smece", "smooth ECE", FR, LO, SORTED, 0, 0,
	    "(1/W) int |sum w (s - o) K_sigma(t, s)| dt at the fixed point "
	    "sigma = smECE" }, F(smece), m_smece, 0 },
	{ { "smece_sigma", "smooth ECE kernel width", FR, CALIB_DIR_NONE,
	    SORTED, 0, 0, "the sigma smece used" }, F(smece_sigma),
	    m_smece_sigma, 0 },
	{ { "debiased_l2", "debiased l2 CE", FR, LO, SORTED, 0, 0,
	    "sqrt(max(0, sum_b (W_b/W) [(acc_b - conf_b)^2 - "
	    "acc_b(1-acc_b)/(n_b-1)])), equal-mass bins" }, F(debiased_l2),
	    m_debiased_l2, 0 },
	{ { "classwise_debiased_l2", "classwise debiased l2 CE", FR, LO,
	    SORTED, 1, 0, "sqrt((1/K) sum_k max(0, D_k)), equal-mass bins per "
	    "class" }, F(classwise_debiased_l2), m_classwise_debiased_l2, 0 },
	{ { "ace", "ACE", FR, LO, SORTED, 1, 0,
	    "mean over classes and equal-mass ranges of |acc - conf|" },
	    F(ace), m_ace, 0 },
	{ { "tace", "TACE", FR, LO, SORTED, 1, 0,
	    "ACE over the predictions above --tace-threshold" }, F(tace),
	    m_tace, 0 },
	{ { "corp_mcb", "CORP miscalibration", CALIB_UNIT_SCORE, LO, SORTED,
	    0, 0, "Brier(s) - Brier(PAV(s)) of the top-label problem" },
	    F(corp_mcb), m_corp_mcb, 0 },
	{ { "corp_dsc", "CORP discrimination", CALIB_UNIT_SCORE,
	    CALIB_DIR_HIGHER, SORTED, 0, 0,
	    "Brier(mean o) - Brier(PAV(s))" }, F(corp_dsc), m_corp_dsc, 0 },
	{ { "corp_unc", "CORP uncertainty", CALIB_UNIT_SCORE, CALIB_DIR_NONE,
	    SORTED, 0, 0, "mean o (1 - mean o)" }, F(corp_unc), m_corp_unc, 0 },
	{ { "calibration_p_value", "calibration test p-value",
	    CALIB_UNIT_P_VALUE, CALIB_DIR_HIGHER, CALIB_DATA_ROWS, 0, 0,
	    "(1 + #{ECE* >= ECE}) / (R + 1), outcomes redrawn ~ Bernoulli(s)" },
	    F(calibration_p_value), m_calibration_p_value, 0 },
	{ { "ece_sweep", "ECE-sweep", FR, LO, SORTED, 0, 0,
	    "ECE on the most equal-mass bins with monotone accuracies "
	    "(first failure)" }, F(ece_sweep), m_ece_sweep, 0 },
	{ { "ece_sweep_bins", "ECE-sweep bins", CALIB_UNIT_COUNT,
	    CALIB_DIR_NONE, SORTED, 0, 0, "the bins ece_sweep used" },
	    F(ece_sweep_bins), m_ece_sweep_bins, 0 },
	{ { "skce", "SKCE", CALIB_UNIT_SCORE, LO, CALIB_DATA_ROWS, 1, 0,
	    "unbiased linear-time squared kernel calibration error, "
	    "Gaussian x white kernel" }, F(skce), m_skce, 0 },
	{ { "skce_p_value", "SKCE test p-value", CALIB_UNIT_P_VALUE,
	    CALIB_DIR_HIGHER, CALIB_DATA_ROWS, 1, 0,
	    "1 - Phi(SKCE / se), asymptotic" }, F(skce_p_value),
	    m_skce_p_value, 0 },
};
#undef F
#undef FR
#undef LO
#undef SUMS
#undef SORTED

#define NMETRICS ((int)(sizeof(table) / sizeof(table[0])))

/* Which of the classwise estimators ci_classwise_all() gives the
 * selection asks for: classwise ECE only where m_classwise_ece() would
 * take its equal-mass branch. */
static unsigned
cw_selected(const ci_eval *e)
{
	calib_metric_set want = e->o->select ? e->o->select :
	    calib_metric_default_set();
	unsigned w = 0;
	int i;

	for (i = 0; i < NMETRICS; i++) {
		if (!(want >> i & 1))
			continue;
		if (table[i].fn == m_classwise_debiased_l2)
			w |= CI_CW_DEBIASED;
		else if (table[i].fn == m_ace)
			w |= CI_CW_ACE;
		else if (table[i].fn == m_tace)
			w |= CI_CW_TACE;
		else if (table[i].fn == m_classwise_ece && e->p != NULL &&
		    !(e->cells != NULL && e->cells->conv != NULL &&
		    e->cells->cls) &&
		    calib_convention_is_default(e->o->convention) &&
		    e->o->binning == CALIB_BIN_MASS && e->p->probs != NULL)
			w |= CI_CW_ECE;
	}
	return w;
}

int
calib_metric_count(void)
{
	return NMETRICS;
}

const calib_metric_info *
calib_metric_info_get(int id)
{
	return id >= 0 && id < NMETRICS ? &table[id].info : NULL;
}

int
calib_metric_lookup(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NMETRICS; i++)
		if (strcmp(table[i].info.name, name) == 0)
			return i;
	return -1;
}

calib_metric_set
calib_metric_default_set(void)
{
	calib_metric_set s = 0;
	int i;

	for (i = 0; i < NMETRICS; i++)
		if (table[i].info.is_default)
			s |= (calib_metric_set)1 << i;
	return s;
}

/*
 * Keep the metrics of want that are also in have, NaN for the rest, and
 * record them in m->computed: for callers that fill calib_metrics
 * themselves (calib_accum), so a selection means the same there.
 */
void
ci_metrics_mask(calib_metrics *m, calib_metric_set want,
    calib_metric_set have)
{
	int i;

	m->computed = 0;
	for (i = 0; i < NMETRICS; i++) {
		if ((want & have) >> i & 1)
			m->computed |= (calib_metric_set)1 << i;
		else
			*(double *)(void *)((char *)m + table[i].offset) = NAN;
	}
}

calib_metric_set
calib_metric_all_set(void)
{
	return NMETRICS >= 64 ? ~(calib_metric_set)0 :
	    ((calib_metric_set)1 << NMETRICS) - 1;
}

calib_status
calib_metric_select(const char *list, calib_metric_set *set,
    calib_error *err)
{
	char names[1200];
	const char *s = list, *e;
	size_t o = 0;
	int i;

	*set = 0;
	if (list == NULL)
		list = s = "";
	if (strcmp(list, "all") == 0) {
		*set = calib_metric_all_set();
		return CALIB_OK;
	}
	if (strcmp(list, "default") == 0) {
		*set = calib_metric_default_set();
		return CALIB_OK;
	}
	for (;;) {
		size_t len;
		while (*s == ' ' || *s == '\t')
			s++;
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		len = (size_t)(e - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		for (i = 0; i < NMETRICS; i++)
			if (strlen(table[i].info.name) == len &&
			    strncmp(table[i].info.name, s, len) == 0)
				break;
		/* "default" inside a list adds the default set, so a few
		 * costly metrics can be asked for on top of it. */
		if (i == NMETRICS && len == 7 && strncmp(s, "default", 7) == 0)
			*set |= calib_metric_default_set();
		else if (i == NMETRICS)
			break;
		else
			*set |= (calib_metric_set)1 << i;
		if (*e == '\0')
			return CALIB_OK;
		s = e + 1;
	}
	names[0] = '\0';
	for (i = 0; i < NMETRICS && o < sizeof(names); i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
		    i ? ", " : "", table[i].info.name);
	*set = 0;
	if (e == s)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "empty metric name in '%s' (expected all, default or a "
		    "comma-separated list of: %s)", list, names);
	return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
	    "unknown metric '%.*s' (expected all, default or a comma-separated "
	    "list of: %s)", (int)(e - s), s, names);
}

double
calib_metrics_value(const calib_metrics *m, int id)
{
	if (m == NULL || id < 0 || id >= NMETRICS)
		return NAN;
	return *(const double *)(const void *)((const char *)m +
	    table[id].offset);
}

calib_status
calib_metrics_get(const calib_metrics *m, const char *name, double *value)
{
	int id = calib_metric_lookup(name);

	if (id < 0)
		return CALIB_E_ARG;
	*value = calib_metrics_value(m, id);
	return CALIB_OK;
}

unsigned
calib_metric_read_keep(calib_metric_set select)
{
	calib_metric_set want = select ? select : calib_metric_default_set();
	unsigned keep = CALIB_OMIT_ROW_TERMS;
	int i;

	for (i = 0; i < NMETRICS; i++) {
		if (!(want >> i & 1))
			continue;
		if (table[i].info.needs_probs)
			keep |= CALIB_KEEP_PROBS;
		if (table[i].needs & NEED_TERMS)
			keep &= ~CALIB_OMIT_ROW_TERMS;
	}
	return keep;
}

int
calib_metric_set_merges(calib_metric_set select, calib_binning binning)
{
	calib_metric_set want = select ? select : calib_metric_default_set();
	int i;

	if (binning != CALIB_BIN_WIDTH)
		return 0;
	for (i = 0; i < NMETRICS; i++)
		if ((want >> i & 1) && table[i].info.data != CALIB_DATA_SUMS)
			return 0;
	return 1;
}

calib_status
ci_summary_eval(const ci_acc *a, int k, const calib_classwise_acc *cw,
    const calib_metric_options *o, calib_metrics *out, const char *source,
    calib_error *err)
{
	calib_metric_set want = o->select ? o->select :
	    calib_metric_default_set();
	ci_eval e;
	calib_status st;
	int i;

	for (i = 0; i < NMETRICS; i++)
		if ((want >> i & 1) && table[i].info.data != CALIB_DATA_SUMS)
			return ci_error_set(err, CALIB_E_ARG, source, 0, 0,
			    NULL, "%s needs the rows, and a summary keeps sums "
			    "only: run on the prediction files",
			    table[i].info.name);
	ci_eval_init(&e, NULL, o, NULL, NULL);
	e.k = k;
	e.acc = a;
	e.cw = cw;
	st = ci_eval_metrics(&e, out);
	ci_eval_release(&e);
	if (st != CALIB_OK)
		return ci_error_set(err, st, source, 0, 0, NULL, "%s",
		    calib_strerror(st));
	return CALIB_OK;
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
	ci_eval e;
	calib_status st;

	if (p == NULL || o == NULL || out == NULL)
		return CALIB_E_ARG;
	ci_eval_init(&e, p, o, mult, cells);
	e.threads = o->threads;
	st = ci_eval_metrics(&e, out);
	ci_eval_release(&e);
	return st;
}

calib_status
ci_eval_metrics(ci_eval *e, calib_metrics *out)
{
	const calib_metric_options *o = e->o;
	calib_metric_set want = o->select ? o->select :
	    calib_metric_default_set();
	const calib_bins *b;
	calib_status st;
	unsigned needs = 0;
	int i;

	if (o->bins < 1 || !(o->nll_clip >= 0 && o->nll_clip < 0.5) ||
	    !(o->smece_sigma >= 0 && o->smece_sigma <= 1) ||
	    !(o->tace_threshold >= 0 && o->tace_threshold < 1) ||
	    o->test_resamples < 1 || !(o->skce_bandwidth >= 0))
		return CALIB_E_ARG;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < NMETRICS; i++) {
		*(double *)(void *)((char *)out + table[i].offset) = NAN;
		if (want >> i & 1)
			needs |= table[i].needs;
	}
	if (!(needs & NEED_PASS) && e->p != NULL && e->acc == NULL &&
	    e->mult == NULL && o->binning == CALIB_BIN_WIDTH &&
	    calib_convention_is_default(o->convention)) {
		/* No metric needs the one pass, whose equal-width table
		 * holds every row once in o->bins bins: the header numbers
		 * without it (for the sorted estimators, a tenth of their
		 * time). */
		out->n = e->p->n;
		out->bins = o->bins;
	} else {
		/* The bin table also gives the header numbers (rows, bins
		 * used). */
		if ((st = eval_bins(e, &b)) != CALIB_OK)
			return st;
		out->n = b->n;
		out->bins = b->m;
	}
	out->classes = e->k;
	out->binning = o->binning;
	for (i = 0; i < NMETRICS; i++) {
		double v = NAN;
		if (!(want >> i & 1))
			continue;
		if ((st = table[i].fn(e, &v)) != CALIB_OK)
			return st;
		*(double *)(void *)((char *)out + table[i].offset) = v;
		out->computed |= (calib_metric_set)1 << i;
	}
	return CALIB_OK;
}
