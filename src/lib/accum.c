/*
 * accum.c - calib_accum, the streaming interface: rows arrive in batches
 * and the metrics can be read at any time.
 *
 * Every row goes through ci_row_finish(), as in calib_preds_from_arrays(),
 * and every sum is a compensated sum taken in row order, the order
 * calib_metrics_compute() uses.  A row therefore contributes the same
 * doubles in the same order however the rows are split into batches, so
 * the result does not depend on the split, and it equals
 * calib_metrics_compute() on calib_preds_from_arrays() of all the rows.
 *
 * Equal-width binning keeps only sums: M bins, K x M classwise cells and
 * the weighted sums of the row terms.  Equal-mass binning has to sort the
 * scores, and another library's convention (calib_metric_options
 * .convention) has its own bin edges and arithmetic, so both keep each
 * row's few numbers (and the probabilities, for the classwise ECE), as
 * calib_preds does, and hand them to calib_metrics_compute().
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "summary.h"

/* One bin's compensated sums, as ci_bin_arrays() keeps them. */
typedef struct acc_bin {
	ci_sum w, s, o;
	size_t count;
} acc_bin;

/* Rows kept for equal-mass binning. */
typedef struct acc_rows {
	size_t n, cap;
	double *score, *weight, *nll, *brier, *entropy, *probs;
	uint8_t *outcome;
	int32_t *label, *pred;
} acc_rows;

struct calib_accum {
	int k;
	calib_read_options ro;
	calib_metric_options mo;
	ci_layout L;
	size_t n;               /* rows added */
	size_t given;           /* rows given, ignored labels included */
	int keep_rows;          /* equal-mass or a convention: keep the rows */
	int any_weight;         /* some batch had weights */
	/* equal-width: running sums */
	acc_bin *bin;
	calib_classwise_acc cw;
	/* Exact classwise cells and total weight, as calib_read() and
	 * summaries keep them, so the classwise ECE is the same doubles. */
	ci_cwx cwx;
	ci_xsum Wx;
	ci_sum W;               /* sum of all weights, zero ones included */
	ci_sum acc, sc, oc, nl, br, en, den; /* as row_means_compute() */
	int inf;                /* an infinite clipped NLL term was seen */
	/* equal-mass: the rows */
	acc_rows rows;
	/* per-batch scratch */
	ci_row *brow;
	double *bprobs;
	size_t bcap;
	double *x, *work;
};

void
calib_accum_free(calib_accum *a)
{
	acc_rows *R;

	if (a == NULL)
		return;
	R = &a->rows;
	free(R->score);
	free(R->weight);
	free(R->nll);
	free(R->brier);
	free(R->entropy);
	free(R->probs);
	free(R->outcome);
	free(R->label);
	free(R->pred);
	free(a->bin);
	ci_classwise_free(&a->cw);
	ci_cwx_free(&a->cwx);
	ci_layout_release(&a->L);
	free(a->brow);
	free(a->bprobs);
	free(a->x);
	free(a->work);
	free(a);
}

/* The metrics result_width() gives from running sums. */
static const char *const accum_sums[] = { "accuracy", "mean_confidence",
    "overconfidence", "ece", "mce", "rmsce", "classwise_ece", "oe", "nll",
    "brier", "brier_per_class", "entropy" };

/*
 * Does the selection ask only for what the sums give?  Any other metric
 * (smooth ECE, the equal-mass and resampling estimators) needs the rows,
 * so they are kept, and the result is calib_metrics_compute()'s.
 */
static int
accum_sums_suffice(calib_metric_set want)
{
	calib_metric_set have = 0;
	size_t i;

	for (i = 0; i < sizeof(accum_sums) / sizeof(accum_sums[0]); i++) {
		int id = calib_metric_lookup(accum_sums[i]);
		if (id >= 0)
			have |= (calib_metric_set)1 << id;
	}
	return (want & ~have) == 0;
}

calib_status
calib_accum_create(int k, const calib_read_options *ro,
    const calib_metric_options *mo, calib_accum **out, calib_error *err)
{
	calib_accum *a;
	calib_status st;
	int c;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || k < 2)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "need an output pointer and at least 2 classes");
	if (k > CALIB_ACCUM_MAX_CLASSES)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "%d classes is more than the %d supported", k,
		    CALIB_ACCUM_MAX_CLASSES);
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
		    "out of memory");
	if (ro != NULL)
		a->ro = *ro;
	else
		calib_read_options_init(&a->ro);
	if (mo != NULL)
		a->mo = *mo;
	else
		calib_metric_options_init(&a->mo);
	a->k = k;
	if ((st = ci_read_options_check(&a->ro, err)) != CALIB_OK)
		goto fail;
	if (a->mo.bins < 1 || a->mo.bins > CALIB_ACCUM_MAX_BINS ||
	    (a->mo.binning != CALIB_BIN_WIDTH &&
	    a->mo.binning != CALIB_BIN_MASS) ||
	    !(a->mo.nll_clip >= 0 && a->mo.nll_clip < 0.5)) {
		st = ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "metric options: bins must be 1..%d, binning width or "
		    "mass, and the NLL clip in [0, 0.5)", CALIB_ACCUM_MAX_BINS);
		goto fail;
	}
	if (a->ro.target >= k) {
		st = ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "class %d does not exist (%d classes)", a->ro.target, k);
		goto fail;
	}
	if (a->ro.calibrate != NULL && (st = ci_model_check_classes(
	    a->ro.calibrate, k, NULL, "<stream>", err)) != CALIB_OK)
		goto fail;
	a->L.k = k;
	a->L.kind = a->ro.kind == CALIB_SCORES_LOGITS ? CALIB_SCORES_LOGITS :
	    CALIB_SCORES_PROBS;
	a->L.integer_labels = 1;
	a->L.class_names = calloc((size_t)k, sizeof(char *));
	a->x = malloc((size_t)k * sizeof(double));
	a->work = malloc((size_t)(2 * k + 4) * sizeof(double));
	if (a->L.class_names == NULL || a->x == NULL || a->work == NULL)
		goto nomem;
	for (c = 0; c < k; c++) {
		char nm[24];
		snprintf(nm, sizeof(nm), "%d", c);
		if ((a->L.class_names[c] = strdup(nm)) == NULL)
			goto nomem;
	}
	a->keep_rows = a->mo.binning == CALIB_BIN_MASS ||
	    (a->mo.convention != NULL &&
	    !calib_convention_is_default(a->mo.convention)) ||
	    !accum_sums_suffice(a->mo.select ? a->mo.select :
	    calib_metric_default_set());
	if (!a->keep_rows) {
		a->bin = calloc((size_t)a->mo.bins, sizeof(*a->bin));
		if (a->bin == NULL ||
		    ci_classwise_alloc(&a->cw, k, a->mo.bins) != 0 ||
		    ci_cwx_init(&a->cwx, k, a->mo.bins) != 0)
			goto nomem;
		ci_xsum_init(&a->Wx);
	}
	*out = a;
	return CALIB_OK;

nomem:
	st = ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
	    "out of memory");
fail:
	calib_accum_free(a);
	return st;
}

static int
rows_grow(acc_rows *R, size_t want, int k)
{
	size_t cap = R->cap ? R->cap : 1024;
	void *p;

	if (want <= R->cap)
		return 0;
	while (cap < want) {
		if (cap > ((size_t)-1) / 2 / ((size_t)k * sizeof(double)))
			return -1;
		cap *= 2;
	}
#define GROW(f) do { \
		p = realloc(R->f, cap * sizeof(*R->f)); \
		if (p == NULL) \
			return -1; \
		R->f = p; \
	} while (0)
	GROW(score);
	GROW(weight);
	GROW(nll);
	GROW(brier);
	GROW(entropy);
	GROW(outcome);
	GROW(label);
	GROW(pred);
#undef GROW
	p = realloc(R->probs, cap * (size_t)k * sizeof(double));
	if (p == NULL)
		return -1;
	R->probs = p;
	R->cap = cap;
	return 0;
}

static double
value_at(const void *v, calib_dtype t, size_t i)
{
	return t == CALIB_FLOAT32 ? (double)((const float *)v)[i] :
	    ((const double *)v)[i];
}

/* Pass one: every row of the batch into scratch, nothing committed, so a
 * bad row leaves the accumulator as it was.  Rows with the ignored label
 * are left out; *kept says how many remain. */
static calib_status
batch_rows(calib_accum *a, size_t n, const void *scores, calib_dtype st,
    const void *labels, calib_dtype lt, const void *weights, size_t *kept,
    calib_error *err)
{
	const int k = a->k;
	size_t i, j = 0;
	int c;

	for (i = 0; i < n; i++) {
		ci_row_problem pb;
		unsigned long line = (unsigned long)(a->given + i + 1);
		double w = weights ? value_at(weights, st, i) : 1.0;
		long long y = lt == CALIB_INT64 ?
		    (long long)((const int64_t *)labels)[i] :
		    (long long)((const int32_t *)labels)[i];

		if (a->ro.ignore_label_set && y == (long long)a->ro.ignore_label)
			continue;
		for (c = 0; c < k; c++) {
			a->x[c] = value_at(scores, st, i * (size_t)k +
			    (size_t)c);
			if (!isfinite(a->x[c]))
				return ci_error_set(err, CALIB_E_FORMAT,
				    "<stream>", line, (unsigned)c + 1, NULL,
				    "score is not a finite number");
		}
		if (y < 0 || y >= k)
			return ci_error_set(err, CALIB_E_FORMAT, "<stream>",
			    line, 0, NULL, "label %lld out of range 0..%d", y,
			    k - 1);
		if (!(w >= 0) || isinf(w))
			return ci_error_set(err, CALIB_E_FORMAT, "<stream>",
			    line, 0, NULL, "weight %g is not a finite number "
			    ">= 0", w);
		if (ci_row_finish(&a->L, &a->ro, a->x, (int32_t)y, w,
		    &a->brow[j], a->bprobs + j * (size_t)k, NULL, a->work,
		    &pb) != 0)
			return ci_error_set(err, CALIB_E_FORMAT, "<stream>",
			    line, pb.cls < 0 ? 0 : (unsigned)pb.cls + 1, NULL,
			    "%s", pb.message);
		j++;
	}
	*kept = j;
	return CALIB_OK;
}

/* Pass two, equal-width: the sums calib_metrics_compute() would take. */
static void
commit_width(calib_accum *a, size_t n)
{
	const double hi = a->mo.nll_clip > 0 ? -log(a->mo.nll_clip) : INFINITY;
	const double lo = a->mo.nll_clip > 0 ? -log1p(-a->mo.nll_clip) : 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const ci_row *r = &a->brow[i];
		acc_bin *b = &a->bin[ci_bin_index(r->score, a->mo.bins)];
		double w = r->weight, v;

		/* the table: every row, zero weights included */
		ci_sum_add(&b->w, w);
		ci_sum_add(&b->s, w * r->score);
		if (r->outcome)
			ci_sum_add(&b->o, w);
		b->count++;
		ci_cwx_add(&a->cwx, a->bprobs + i * (size_t)a->k, r->label, w);
		ci_xsum_add(&a->Wx, w);
		ci_sum_add(&a->W, w);
		/* the row means skip zero weights */
		if (w == 0)
			continue;
		if (r->pred == r->label)
			ci_sum_add(&a->acc, w);
		ci_sum_add(&a->sc, w * r->score);
		if (r->outcome)
			ci_sum_add(&a->oc, w);
		v = r->nll;
		if (v > hi)
			v = hi;
		if (v < lo)
			v = lo;
		if (isinf(v))
			a->inf = 1;
		else
			ci_sum_add(&a->nl, w * v);
		ci_sum_add(&a->br, w * r->brier);
		ci_sum_add(&a->en, w * r->entropy);
		ci_sum_add(&a->den, w);
	}
}

/* Pass two, equal-mass: keep the rows. */
static void
commit_mass(calib_accum *a, size_t n)
{
	acc_rows *R = &a->rows;
	size_t i;

	for (i = 0; i < n; i++) {
		const ci_row *r = &a->brow[i];
		size_t j = R->n++;
		R->score[j] = r->score;
		R->outcome[j] = r->outcome;
		R->label[j] = r->label;
		R->pred[j] = r->pred;
		R->weight[j] = r->weight;
		R->nll[j] = r->nll;
		R->brier[j] = r->brier;
		R->entropy[j] = r->entropy;
		memcpy(R->probs + j * (size_t)a->k, a->bprobs + i * (size_t)a->k,
		    (size_t)a->k * sizeof(double));
	}
}

calib_status
calib_accum_add(calib_accum *a, size_t n, const void *scores,
    calib_dtype score_type, const void *labels, calib_dtype label_type,
    const void *weights, calib_error *err)
{
	calib_status st;
	size_t kept = 0;

	if (a == NULL || (n > 0 && (scores == NULL || labels == NULL)) ||
	    (score_type != CALIB_FLOAT64 && score_type != CALIB_FLOAT32) ||
	    (label_type != CALIB_INT32 && label_type != CALIB_INT64))
		return ci_error_set(err, CALIB_E_ARG, "<stream>", 0, 0, NULL,
		    "need an accumulator, scores of type double or float and "
		    "labels of type int32 or int64");
	if (n == 0)
		return CALIB_OK;
	/* The batch's scratch holds n x k doubles: refuse what cannot be
	 * addressed rather than wrap around. */
	if (n > CALIB_ACCUM_MAX_BATCH || a->given > (size_t)-1 / 2 - n ||
	    n > (size_t)-1 / (size_t)a->k / sizeof(double))
		return ci_error_set(err, CALIB_E_ARG, "<stream>", 0, 0, NULL,
		    "a batch holds at most %lu rows",
		    (unsigned long)CALIB_ACCUM_MAX_BATCH);
	if (n > a->bcap) {
		ci_row *r = realloc(a->brow, n * sizeof(*r));
		double *p;
		if (r == NULL)
			goto nomem;
		a->brow = r;
		p = realloc(a->bprobs, n * (size_t)a->k * sizeof(*p));
		if (p == NULL)
			goto nomem;
		a->bprobs = p;
		a->bcap = n;
	}
	if (a->keep_rows && rows_grow(&a->rows,
	    a->rows.n + n, a->k) != 0)
		goto nomem;
	st = batch_rows(a, n, scores, score_type, labels, label_type, weights,
	    &kept, err);
	if (st != CALIB_OK)
		return st;
	if (a->keep_rows)
		commit_mass(a, kept);
	else
		commit_width(a, kept);
	/* Row numbers in messages count every row given, kept or not. */
	a->given += n;
	a->n += kept;
	a->any_weight |= weights != NULL;
	return CALIB_OK;

nomem:
	return ci_error_set(err, CALIB_E_NOMEM, "<stream>", 0, 0, NULL,
	    "out of memory");
}

/* Equal-width: the table and the means from the running sums. */
static calib_status
result_width(const calib_accum *a, calib_metrics *m)
{
	calib_bins b;
	calib_preds view;
	ci_sum W = { 0, 0 };
	const int M = a->mo.bins;
	double D;
	int j;

	memset(&b, 0, sizeof(b));
	b.binning = CALIB_BIN_WIDTH;
	b.requested = b.m = M;
	b.bin = calloc((size_t)M, sizeof(*b.bin));
	if (b.bin == NULL)
		return CALIB_E_NOMEM;
	for (j = 0; j < M; j++) {
		b.bin[j].count = a->bin[j].count;
		b.bin[j].weight = ci_sum_get(&a->bin[j].w);
		b.bin[j].sum_score = ci_sum_get(&a->bin[j].s);
		b.bin[j].sum_outcome = ci_sum_get(&a->bin[j].o);
		b.bin[j].lo = (double)j / M;
		b.bin[j].hi = (double)(j + 1) / M;
		b.n += b.bin[j].count;
		ci_sum_add(&W, b.bin[j].weight);
	}
	b.total_weight = ci_sum_get(&W);
	m->n = b.n;
	m->bins = M;
	m->ece = calib_ece(&b);
	m->mce = calib_mce(&b);
	m->rmsce = calib_rmsce(&b);
	m->oe = calib_oe(&b);
	calib_bins_release(&b);

	D = ci_sum_get(&a->den);
	if (D > 0) {
		m->accuracy = ci_sum_get(&a->acc) / D;
		m->mean_confidence = ci_sum_get(&a->sc) / D;
		m->overconfidence = m->mean_confidence -
		    ci_sum_get(&a->oc) / D;
		m->nll = a->inf ? INFINITY : ci_sum_get(&a->nl) / D;
		m->brier = ci_sum_get(&a->br) / D;
		m->entropy = ci_sum_get(&a->en) / D;
	} else {
		m->accuracy = m->mean_confidence = m->overconfidence = NAN;
		m->nll = m->brier = m->entropy = NAN;
	}
	m->brier_per_class = m->brier / a->k;
	/* calib_classwise_ece() reads accumulated sums from a calib_preds
	 * without a probability matrix, which is what the reader leaves. */
	memset(&view, 0, sizeof(view));
	view.k = a->k;
	view.n = a->n;
	{
		calib_classwise_acc cwr;
		if (ci_classwise_alloc(&cwr, a->k, a->mo.bins) != 0) {
			m->classwise_ece = NAN;
		} else {
			ci_cwx_round(&a->cwx, &cwr);
			view.classwise = cwr;
			view.total_weight = ci_xsum_round(&a->Wx);
			if (!(view.total_weight > 0) ||
			    calib_classwise_ece(&view, M, CALIB_BIN_WIDTH,
			    NULL, &m->classwise_ece) != CALIB_OK)
				m->classwise_ece = NAN;
			ci_classwise_free(&cwr);
		}
	}
	/* The selection, among the metrics the sums above give. */
	{
		static const char *const sums[] = { "accuracy",
		    "mean_confidence", "overconfidence", "ece", "mce", "rmsce",
		    "classwise_ece", "oe", "nll", "brier", "brier_per_class",
		    "entropy" };
		calib_metric_set have = 0;
		size_t i;
		for (i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
			int id = calib_metric_lookup(sums[i]);
			if (id >= 0)
				have |= (calib_metric_set)1 << id;
		}
		ci_metrics_mask(m, a->mo.select ? a->mo.select :
		    calib_metric_default_set(), have);
	}
	return CALIB_OK;
}

calib_status
calib_accum_result(const calib_accum *a, calib_metrics *out,
    calib_error *err)
{
	calib_status st;

	if (a == NULL || out == NULL)
		return ci_error_set(err, CALIB_E_ARG, "<stream>", 0, 0, NULL,
		    "need an accumulator and a result");
	memset(out, 0, sizeof(*out));
	out->classes = a->k;
	out->binning = a->mo.binning;
	if (a->n == 0) {
		/* Nothing to average yet: every metric is undefined. */
		ci_metrics_mask(out, 0, 0);
		return CALIB_OK;
	}
	if (!a->keep_rows) {
		st = result_width(a, out);
	} else {
		calib_preds view;
		memset(&view, 0, sizeof(view));
		view.n = a->rows.n;
		view.k = a->k;
		view.target = a->ro.target;
		view.score = a->rows.score;
		view.outcome = a->rows.outcome;
		view.label = a->rows.label;
		view.pred = a->rows.pred;
		view.weight = a->rows.weight;
		view.nll = a->rows.nll;
		view.brier = a->rows.brier;
		view.entropy = a->rows.entropy;
		view.probs = a->rows.probs;
		{
			/* exact, as the reader's, so classwise ECE divides
			 * by the same W */
			ci_xsum W;
			size_t i;
			ci_xsum_init(&W);
			if (view.weight != NULL)
				for (i = 0; i < view.n; i++)
					ci_xsum_add(&W, view.weight[i]);
			else
				ci_xsum_add(&W, (double)view.n);
			view.total_weight = ci_xsum_round(&W);
		}
		st = calib_metrics_compute(&view, &a->mo, NULL, out);
	}
	if (st != CALIB_OK)
		return ci_error_set(err, st, "<stream>", 0, 0, NULL, "%s",
		    calib_strerror(st));
	return CALIB_OK;
}
