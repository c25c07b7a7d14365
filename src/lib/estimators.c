/*
 * estimators.c - calibration estimators beyond the binned ECE: UCE,
 * top-label Brier, debiased l2 (top-label and classwise), ACE and TACE.
 * Definitions and sources at the prototypes in calib.h.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

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
	if (c->own_order) {
		free(c->order);
		free(c->scol);
		free(c->shit);
	}
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
	size_t n = p->n;
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
	c->scol = malloc((n ? n : 1) * (size_t)p->k * sizeof(double));
	c->shit = malloc((n ? n : 1) * (size_t)p->k);
	c->own_order = 1;
	if (c->order == NULL || c->scol == NULL || c->shit == NULL)
		goto fail;
	for (k = 0; k < p->k; k++)
		if (ci_class_sorted(p, k, c->order + (size_t)k * n, c->scol +
		    (size_t)k * n, c->shit + (size_t)k * n) != 0)
			goto fail;
	return 0;
fail:
	ci_class_orders_free(c);
	return -1;
}


/*
 * An equal-mass table from rows already in score order (values sv,
 * outcomes sh, row ids ord for weights and counts): the bins, sums and
 * cuts of ci_bin_arrays(), sum for sum, without gathering the rows again.
 * Rows with count 0 are absent, as there.
 */
static calib_status
mass_bins_sorted(size_t n, const double *sv, const uint8_t *sh,
    const size_t *ord, const double *w, const uint32_t *mult, int m,
    calib_bins *out)
{
	ci_sum bw = { 0, 0 }, bs = { 0, 0 }, bo = { 0, 0 }, W = { 0, 0 };
	unsigned long long total = 0, cum = 0, t_next;
	double w2 = 0, lo = 0, last = 0;
	size_t i, cnt = 0, first = 1, hits = 0;
	int j = 1, nb = 0;
	/* Every row once with weight 1: the weight, outcome and squared
	 * weight sums are counts, which the compensated sums would give
	 * exactly (below 2^53), so counting gives the same bits. */
	const int plain = w == NULL && mult == NULL;

	memset(out, 0, sizeof(*out));
	out->binning = CALIB_BIN_MASS;
	out->requested = m;
	out->bin = calloc((size_t)m, sizeof(*out->bin));
	if (out->bin == NULL)
		return CALIB_E_NOMEM;
	for (i = 0; i < n; i++)
		total += mult ? mult[ord[i]] : 1;
#define TARGET(j) (((unsigned long long)(j) * total) / (unsigned)m)
#define STORE() \
	do { \
		calib_bin *x = &out->bin[nb++]; \
		x->count = cnt; \
		x->weight = plain ? (double)cnt : ci_sum_get(&bw); \
		x->sum_score = ci_sum_get(&bs); \
		x->sum_outcome = plain ? (double)hits : ci_sum_get(&bo); \
		x->sum_w2 = plain ? (double)cnt : w2; \
		x->lo = lo; \
		x->hi = last; \
		lo = last; \
		ci_sum_add(&W, x->weight); \
		memset(&bw, 0, sizeof(bw)); \
		memset(&bs, 0, sizeof(bs)); \
		memset(&bo, 0, sizeof(bo)); \
		w2 = 0; \
		cnt = 0; \
		hits = 0; \
	} while (0)
	while (j < m && TARGET(j) == 0)
		j++;
	t_next = j < m ? TARGET(j) : total;
	if (plain) {
		/* Every row present, counting 1: a cut can only come once
		 * the count reaches the next target and the run of that
		 * row's value is over, so the rows up to the target go in
		 * without comparing values (on tied scores the compares
		 * mispredict).  The same sums in the same order as the
		 * general loop below. */
		for (i = 0; i < n;) {
			size_t stop = n, from = i;
			double v;
			if (j < m && t_next - cum < n - i)
				stop = i + (size_t)(t_next - cum);
			for (; i < stop; i++) {
				ci_sum_add(&bs, sv[i]);
				hits += sh[i];
			}
			/* the run's first value, as the general loop takes
			 * it (for the bin edges; it differs only as -0) */
			v = sv[i - 1];
			if (v == 0) {
				size_t r = i - 1;
				while (r > from && sv[r - 1] == 0)
					r--;
				v = sv[r];
			}
			for (; i < n && sv[i] == v; i++) {
				ci_sum_add(&bs, v);
				hits += sh[i];
			}
			cnt += i - from;
			cum += i - from;
			last = v;
			first = 0;
			if (i < n) {
				STORE();
				while (j < m && TARGET(j) <= cum)
					j++;
				t_next = j < m ? TARGET(j) : total;
			}
		}
	}
	for (i = plain ? n : 0; i < n;) {
		double v = sv[i];
		int present = 0;
		for (; i < n && sv[i] == v; i++) {
			uint32_t c = mult ? mult[ord[i]] : 1;
			double wm;
			if (c == 0)
				continue;
			wm = (w ? w[ord[i]] : 1.0) * c;
			ci_sum_add(&bw, wm);
			ci_sum_add(&bs, wm * v);
			if (sh[i])
				ci_sum_add(&bo, wm);
			w2 += wm * (w ? w[ord[i]] : 1.0);
			cnt += c;
			cum += c;
			present = 1;
		}
		if (!present)
			continue;
		last = v;
		first = 0;
		/* a cut only where present rows follow */
		if (j < m && t_next <= cum) {
			size_t k = i;
			while (k < n && (mult ? mult[ord[k]] : 1) == 0)
				k++;
			if (k < n) {
				STORE();
				while (j < m && TARGET(j) <= cum)
					j++;
				t_next = j < m ? TARGET(j) : total;
			}
		}
	}
	if (!first)
		STORE();
#undef STORE
#undef TARGET
	out->m = nb;
	out->n = (size_t)total;
	out->total_weight = ci_sum_get(&W);
	return CALIB_OK;
}

/*
 * Class k's column in the order of ci_score_order() (by score, ties by
 * row), with its outcomes and, for weighted rows, its row ids, by
 * ci_prefix_sort(); the scratch is one thread's.
 */
typedef struct cw_scratch {
	uint64_t *a, *b;
	double *col;            /* class k's scores in row order */
	double *sv;             /* ... in score order */
	uint8_t *sh;            /* [y = k] in score order */
	size_t *ord;            /* rows in score order (weighted rows) */
	ci_order_item *run;     /* a long run of one prefix */
	size_t run_cap;
	int own_out;            /* sv, sh and ord are ours to free */
	/* cw_two(): the second column's words, both columns' digit counts
	 * (allocated on first use) */
	uint64_t *a2;
	size_t (*cnt)[2048];
} cw_scratch;

static void
cw_scratch_free(cw_scratch *s)
{
	free(s->a);
	free(s->b);
	free(s->col);
	if (s->own_out) {
		free(s->sv);
		free(s->sh);
		free(s->ord);
	}
	free(s->run);
	free(s->a2);
	free(s->cnt);
	memset(s, 0, sizeof(*s));
}

/* Scratch for columns of n rows; the sorted columns go to sv, sh and ord
 * when given (ord may stay NULL), else into arrays of its own (ord only
 * with_rows). */
static int
cw_scratch_init(cw_scratch *s, size_t n, int with_rows, double *sv,
    uint8_t *sh, size_t *ord)
{
	size_t m = n ? n : 1;

	memset(s, 0, sizeof(*s));
	s->a = malloc(m * sizeof(*s->a));
	s->b = malloc(m * sizeof(*s->b));
	/* the column in row order: only to look the values up by row */
	if (with_rows)
		s->col = malloc(m * sizeof(*s->col));
	if (sv != NULL) {
		s->sv = sv;
		s->sh = sh;
		s->ord = ord;
	} else {
		s->own_out = 1;
		s->sv = malloc(m * sizeof(*s->sv));
		s->sh = malloc(m);
		if (with_rows)
			s->ord = malloc(m * sizeof(*s->ord));
		if (s->sv == NULL || s->sh == NULL ||
		    (with_rows && s->ord == NULL)) {
			cw_scratch_free(s);
			return -1;
		}
	}
	if (s->a == NULL || s->b == NULL || (with_rows && s->col == NULL)) {
		cw_scratch_free(s);
		return -1;
	}
	return 0;
}

static int
class_sort_fast(const calib_preds *p, int k, cw_scratch *s)
{
	ci_sort_scratch sc;
	int rc;

	sc.a = s->a;
	sc.b = s->b;
	sc.run = s->run;
	sc.run_cap = s->run_cap;
	rc = ci_prefix_sort(p->n, p->probs + k, (size_t)p->k, p->label, k,
	    s->col, &sc, s->sv, s->sh, s->ord);
	s->run = sc.run;
	s->run_cap = sc.run_cap;
	return rc;
}

/* class_sort_fast(), or the general sort where it does not apply. */
static int
class_sort(const calib_preds *p, int k, cw_scratch *s)
{
	size_t *o, i;
	int rc = class_sort_fast(p, k, s);

	if (rc <= 0)
		return rc;
	if (s->col == NULL && (s->col = malloc((p->n ? p->n : 1) *
	    sizeof(*s->col))) == NULL)
		return -1;
	for (i = 0; i < p->n; i++)
		s->col[i] = p->probs[i * (size_t)p->k + (size_t)k];
	o = ci_score_order_values(p->n, s->col, s->sv);
	if (o == NULL)
		return -1;
	for (i = 0; i < p->n; i++) {
		s->sh[i] = p->label[o[i]] == k;
		if (s->ord != NULL)
			s->ord[i] = o[i];
	}
	free(o);
	return 0;
}

int
ci_class_sorted(const calib_preds *p, int k, size_t *ord, double *sv,
    uint8_t *sh)
{
	cw_scratch s;
	int rc;

	if (cw_scratch_init(&s, p->n, 1, sv, sh, ord) != 0)
		return -1;
	rc = class_sort(p, k, &s);
	cw_scratch_free(&s);
	return rc;
}

/* Class k's scores and outcomes in score order, sorted now, into the
 * scratch columns. */
static int
class_sorted_values(const calib_preds *p, ci_class_orders *c, int k,
    size_t **order)
{
	double *tmp = malloc((p->n ? p->n : 1) * sizeof(double));
	size_t i;

	if (tmp == NULL)
		return -1;
	for (i = 0; i < p->n; i++)
		tmp[i] = p->probs[i * (size_t)p->k + (size_t)k];
	*order = ci_score_order_values(p->n, tmp, c->col);
	free(tmp);
	if (*order == NULL)
		return -1;
	for (i = 0; i < p->n; i++)
		c->hit[i] = p->label[(*order)[i]] == k;
	return 0;
}

/*
 * The equal-mass table of class k (p_ik against [y_i = k]) from its rows
 * in score order: the shared sorted columns of a bootstrap, or sorted now.
 * thr >= 0 keeps only the predictions above it (TACE).
 */
static calib_status
class_table(const calib_preds *p, ci_class_orders *c, int k,
    const uint32_t *mult, double thr, int m, calib_bins *b)
{
	const double *sv;
	const uint8_t *sh;
	const size_t *ord;
	size_t *own = NULL, i;
	uint32_t *keep = NULL;
	calib_status st;

	if (c->scol != NULL) {
		sv = c->scol + (size_t)k * p->n;
		sh = c->shit + (size_t)k * p->n;
		ord = c->order + (size_t)k * p->n;
	} else {
		if (class_sorted_values(p, c, k, &own) != 0)
			return CALIB_E_NOMEM;
		sv = c->col;
		sh = c->hit;
		ord = own;
	}
	if (thr >= 0) {
		/* the predictions at or below the threshold are not there
		 * at all when the ranges are cut */
		keep = malloc((p->n ? p->n : 1) * sizeof(*keep));
		if (keep == NULL) {
			free(own);
			return CALIB_E_NOMEM;
		}
		for (i = 0; i < p->n; i++)
			keep[ord[i]] = sv[i] > thr ? (mult ? mult[ord[i]] : 1) :
			    0;
	}
	st = mass_bins_sorted(p->n, sv, sh, ord, p->weight, keep ? keep : mult,
	    m, b);
	free(keep);
	free(own);
	return st;
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
		if ((st = class_table(p, c, k, mult, -1, m, &b)) != CALIB_OK)
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

/*
 * The ECE of equal-mass bins over rows already in score order (scores sv,
 * outcomes sh, row ids ord for the weights and counts): the arithmetic of
 * ci_bin_arrays() and calib_ece(), sum for sum, without building the
 * table.
 */
static double
mass_ece_sorted(size_t n, const double *sv, const uint8_t *sh,
    const size_t *ord, const double *w, const uint32_t *mult, int m,
    unsigned long long total)
{
	ci_sum bw = { 0, 0 }, bs = { 0, 0 }, bo = { 0, 0 }, W = { 0, 0 };
	ci_sum e = { 0, 0 };
	unsigned long long cum = 0, t_next, nw = 0, no = 0;
	size_t i;
	int j = 1;

#define TARGET(j) (((unsigned long long)(j) * total) / (unsigned)m)
	/* Without weights the bin weight and outcome sums add whole counts,
	 * which the compensated sums would give exactly (below 2^53): they
	 * are counted, the same numbers for less work. */
#define BW() (w ? ci_sum_get(&bw) : (double)nw)
#define BO() (w ? ci_sum_get(&bo) : (double)no)
	while (j < m && TARGET(j) == 0)
		j++;
	t_next = j < m ? TARGET(j) : total;
	for (i = 0; i < n;) {
		double v = sv[i];
		if (w == NULL)
			for (; i < n && sv[i] == v; i++) {
				uint32_t c = mult ? mult[ord[i]] : 1;
				ci_sum_add(&bs, (double)c * v);
				nw += c;
				no += sh[i] ? c : 0;
				cum += c;
			}
		for (; i < n && sv[i] == v; i++) {
			/* no branch on c == 0 (a third of a resample's
			 * rows, at random): adding an exact 0 leaves a
			 * compensated sum as it was */
			uint32_t c = mult ? mult[ord[i]] : 1;
			double wm = w[ord[i]] * c;
			ci_sum_add(&bw, wm);
			ci_sum_add(&bs, wm * v);
			ci_sum_add(&bo, sh[i] ? wm : 0.0);
			cum += c;
		}
		if (i < n && j < m && t_next <= cum) {
			double bwv = BW();
			ci_sum_add(&W, bwv);
			if (bwv > 0)
				ci_sum_add(&e, fabs(BO() - ci_sum_get(&bs)));
			memset(&bw, 0, sizeof(bw));
			memset(&bs, 0, sizeof(bs));
			memset(&bo, 0, sizeof(bo));
			nw = no = 0;
			while (j < m && TARGET(j) <= cum)
				j++;
			t_next = j < m ? TARGET(j) : total;
		}
	}
#undef TARGET
	{
		double bwv = BW();
		ci_sum_add(&W, bwv);
		if (bwv > 0)
			ci_sum_add(&e, fabs(BO() - ci_sum_get(&bs)));
	}
#undef BW
#undef BO
	return ci_sum_get(&W) > 0 ? ci_sum_get(&e) / ci_sum_get(&W) : NAN;
}

calib_status
ci_classwise_ece_mass(const calib_preds *p, ci_class_orders *c,
    const uint32_t *mult, int m, double *out)
{
	ci_sum total = { 0, 0 };
	int k;

	*out = NAN;
	if (c->scol != NULL) {
		/* every class holds every row: one count for all */
		unsigned long long rows = 0;
		size_t i;
		for (i = 0; i < p->n; i++)
			rows += mult ? mult[i] : 1;
		for (k = 0; k < p->k; k++)
			ci_sum_add(&total, mass_ece_sorted(p->n, c->scol +
			    (size_t)k * p->n, c->shit + (size_t)k * p->n,
			    c->order + (size_t)k * p->n, p->weight, mult, m,
			    rows));
		*out = ci_sum_get(&total) / p->k;
		return CALIB_OK;
	}
	for (k = 0; k < p->k; k++) {
		calib_bins b;
		calib_status st;
		if ((st = class_table(p, c, k, mult, -1, m, &b)) != CALIB_OK)
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
	int k;

	*out = NAN;
	if (p->probs == NULL)
		return CALIB_E_ARG;
	for (k = 0; k < p->k; k++) {
		calib_bins b;
		calib_status st;
		int j;
		if ((st = class_table(p, c, k, mult, threshold, ranges, &b)) !=
		    CALIB_OK)
			return st;
		for (j = 0; j < b.m; j++)
			if (b.bin[j].weight > 0) {
				ci_sum_add(&total, fabs(b.bin[j].sum_outcome -
				    b.bin[j].sum_score) / b.bin[j].weight);
				pairs++;
			}
		calib_bins_release(&b);
	}
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

/*
 * The classwise estimators of one evaluation of all rows, together: each
 * class is sorted once and gives every table the estimators asked for,
 * and the classes are spread over threads.  Each class's numbers are
 * kept and then summed in class order, the order of ci_classwise_debiased()
 * and ci_ace(), so the results are theirs to the bit whatever the thread
 * count.  Classes go in chunks so that the kept numbers stay bounded.
 */
#define CW_CHUNK 64

typedef struct cw_class {
	calib_status st;
	double d, ece;          /* ci_debiased_sum(), calib_ece() */
	double *gap, *tgap;     /* |O - S| / W of the occupied ranges */
	int ngap, ntgap;
} cw_class;

typedef struct cw_job {
	const calib_preds *p;
	unsigned want;
	int m;
	double thr;
	int k0, k1, nthreads;
	cw_class *cls;          /* k1 - k0 */
} cw_job;

typedef struct cw_worker {
	cw_job *job;
	int t;
	cw_scratch s;
} cw_worker;

static int
cw_gaps(const calib_bins *b, double *gap)
{
	int j, n = 0;

	for (j = 0; j < b->m; j++)
		if (b->bin[j].weight > 0)
			gap[n++] = fabs(b->bin[j].sum_outcome -
			    b->bin[j].sum_score) / b->bin[j].weight;
	return n;
}

/* The tables of one class from its sorted column in s. */
static void
cw_tables(const cw_job *J, cw_scratch *s, cw_class *r)
{
	const calib_preds *p = J->p;
	calib_bins b;

	if (J->want & (CI_CW_DEBIASED | CI_CW_ACE | CI_CW_ECE)) {
		r->st = mass_bins_sorted(p->n, s->sv, s->sh, s->ord, p->weight,
		    NULL, J->m, &b);
		if (r->st != CALIB_OK)
			return;
		if (J->want & CI_CW_DEBIASED)
			r->d = ci_debiased_sum(&b);
		if (J->want & CI_CW_ECE)
			r->ece = calib_ece(&b);
		if (J->want & CI_CW_ACE)
			r->ngap = cw_gaps(&b, r->gap);
		calib_bins_release(&b);
	}
	if (J->want & CI_CW_TACE) {
		/* the rows above the threshold are a suffix of the sorted
		 * column; the others are not there at all (as with a
		 * multiplicity of 0) */
		size_t lo = 0, hi = p->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->sv[mid] > J->thr)
				hi = mid;
			else
				lo = mid + 1;
		}
		r->st = mass_bins_sorted(p->n - lo, s->sv + lo, s->sh + lo,
		    s->ord ? s->ord + lo : NULL, p->weight, NULL, J->m, &b);
		if (r->st != CALIB_OK)
			return;
		r->ntgap = cw_gaps(&b, r->tgap);
		calib_bins_release(&b);
	}
}

static void
cw_one(const cw_job *J, cw_scratch *s, int k, cw_class *r)
{
	if (class_sort(J->p, k, s) != 0) {
		r->st = CALIB_E_NOMEM;
		return;
	}
	cw_tables(J, s, r);
}

/*
 * Two classes of an unweighted file: both columns are read in one sweep
 * over the rows (the strided reads of the matrix are most of a column's
 * first pass), then sorted one after the other: the same order, so the
 * same tables, as cw_one() on each.
 */
static void
cw_two(const cw_job *J, cw_scratch *s, int k1, int k2, cw_class *r1,
    cw_class *r2)
{
	const calib_preds *p = J->p;
	const size_t n = p->n;
	ci_sort_scratch sc;
	int rc;

	if (s->a2 == NULL) {
		s->a2 = malloc((n ? n : 1) * sizeof(*s->a2));
		s->cnt = malloc(6 * sizeof(*s->cnt));
	}
	if (s->a2 == NULL || s->cnt == NULL || ci_prefix_load2(n, p->probs,
	    (size_t)p->k, p->label, k1, k2, s->a, s->a2, s->cnt,
	    s->cnt + 3) != 0) {
		/* out of memory for the second column, or values the
		 * prefix sort does not take: one at a time */
		cw_one(J, s, k1, r1);
		cw_one(J, s, k2, r2);
		return;
	}
	sc.a = s->a;
	sc.b = s->b;
	sc.run = s->run;
	sc.run_cap = s->run_cap;
	rc = ci_prefix_sort_loaded(n, s->a, s->b, s->cnt, &sc, s->sv, s->sh);
	s->run = sc.run;
	s->run_cap = sc.run_cap;
	if (rc != 0) {
		r1->st = r2->st = CALIB_E_NOMEM;
		return;
	}
	cw_tables(J, s, r1);
	rc = ci_prefix_sort_loaded(n, s->a2, s->b, s->cnt + 3, &sc, s->sv,
	    s->sh);
	s->run = sc.run;
	s->run_cap = sc.run_cap;
	if (rc != 0) {
		r2->st = CALIB_E_NOMEM;
		return;
	}
	cw_tables(J, s, r2);
}

static void *
cw_main(void *arg)
{
	cw_worker *w = arg;
	cw_job *J = w->job;
	int k;

	for (k = J->k0 + w->t; k < J->k1; k += J->nthreads) {
		int k2 = k + J->nthreads;
		/* unweighted rows: the words hold the values, so two
		 * columns fit the scratch */
		if (k2 < J->k1 && J->p->weight == NULL) {
			cw_two(J, &w->s, k, k2, &J->cls[k - J->k0],
			    &J->cls[k2 - J->k0]);
			k = k2;
		} else {
			cw_one(J, &w->s, k, &J->cls[k - J->k0]);
		}
	}
	return NULL;
}

calib_status
ci_classwise_all(const calib_preds *p, unsigned want, int m, double thr,
    int threads, ci_cw_values *out)
{
	ci_sum deb = { 0, 0 }, ace = { 0, 0 }, tace = { 0, 0 }, ece = { 0, 0 };
	size_t pairs = 0, tpairs = 0;
	int deb_nan = 0, nt, t, k0, i;
	cw_worker W[CI_TEAM_MAX];
	cw_class *cls = NULL;
	double *gaps = NULL;
	calib_status st = CALIB_OK;
	cw_job J;

	out->debiased = out->ace = out->tace = out->ece = NAN;
	if (p->probs == NULL || m < 1)
		return CALIB_E_ARG;
	nt = ci_team_size(threads, p->k);
	memset(W, 0, sizeof(W));
	cls = calloc(CW_CHUNK, sizeof(*cls));
	gaps = malloc((size_t)CW_CHUNK * 2 * (size_t)m * sizeof(*gaps));
	if (cls == NULL || gaps == NULL)
		goto nomem;
	for (t = 0; t < nt; t++)
		if (cw_scratch_init(&W[t].s, p->n, p->weight != NULL, NULL,
		    NULL, NULL) != 0)
			goto nomem;
	J.p = p;
	J.want = want;
	J.m = m;
	J.thr = thr;
	J.cls = cls;
	for (k0 = 0; k0 < p->k; k0 += CW_CHUNK) {
		J.k0 = k0;
		J.k1 = p->k - k0 < CW_CHUNK ? p->k : k0 + CW_CHUNK;
		J.nthreads = nt;
		for (i = 0; i < J.k1 - k0; i++) {
			memset(&cls[i], 0, sizeof(cls[i]));
			cls[i].gap = gaps + (size_t)i * 2 * (size_t)m;
			cls[i].tgap = cls[i].gap + m;
		}
		for (t = 0; t < nt; t++) {
			W[t].job = &J;
			W[t].t = t;
		}
		ci_team_run(cw_main, W, sizeof(W[0]), nt);
		for (i = 0; i < J.k1 - k0; i++) {
			const cw_class *r = &cls[i];
			int j;
			if (r->st != CALIB_OK) {
				st = r->st;
				goto done;
			}
			if (want & CI_CW_DEBIASED && !deb_nan) {
				if (isnan(r->d))
					deb_nan = 1;
				else
					ci_sum_add(&deb, r->d > 0 ? r->d : 0);
			}
			if (want & CI_CW_ECE)
				ci_sum_add(&ece, r->ece);
			for (j = 0; j < r->ngap; j++)
				ci_sum_add(&ace, r->gap[j]);
			pairs += (size_t)r->ngap;
			for (j = 0; j < r->ntgap; j++)
				ci_sum_add(&tace, r->tgap[j]);
			tpairs += (size_t)r->ntgap;
		}
	}
	if (want & CI_CW_DEBIASED && !deb_nan)
		out->debiased = sqrt(ci_sum_get(&deb) / p->k);
	if (want & CI_CW_ECE)
		out->ece = ci_sum_get(&ece) / p->k;
	if (want & CI_CW_ACE && pairs)
		out->ace = ci_sum_get(&ace) / (double)pairs;
	if (want & CI_CW_TACE && tpairs)
		out->tace = ci_sum_get(&tace) / (double)tpairs;
	goto done;
nomem:
	st = CALIB_E_NOMEM;
done:
	for (t = 0; t < 8; t++)
		cw_scratch_free(&W[t].s);
	free(cls);
	free(gaps);
	return st;
}

/* ---- CORP decomposition -------------------------------------------- */

void
calib_corp_release(calib_corp *c)
{
	if (c == NULL)
		return;
	free(c->lo);
	free(c->hi);
	free(c->cep);
	free(c->weight);
	free(c->count);
	memset(c, 0, sizeof(*c));
}

/*
 * Pool-adjacent-violators on the rows in score order, rows with equal
 * scores pooled first (they must get one value), with weights w mult.
 * Blocks are kept on a stack: weight, sum of w o, first and last score,
 * rows.
 */
typedef struct pav_block {
	double w, so, lo, hi;
	size_t count;
} pav_block;

calib_status
ci_corp(size_t n, const double *s, const uint8_t *o, const double *w,
    const uint32_t *mult, const size_t *order, int curve, calib_corp *out)
{
	pav_block *st = malloc((n ? n : 1) * sizeof(*st));
	size_t top = 0, j, b;
	ci_sum W = { 0, 0 }, O = { 0, 0 }, bs = { 0, 0 }, bsr = { 0, 0 };
	double ybar;

	memset(out, 0, sizeof(*out));
	out->mcb = out->dsc = out->unc = out->brier = NAN;
	if (st == NULL)
		return CALIB_E_NOMEM;
	for (j = 0; j < n; j++) {
		size_t r = order[j];
		double wi = (w ? w[r] : 1.0) * (mult ? mult[r] : 1), oi;
		if (wi == 0)
			continue;
		oi = o[r] ? 1.0 : 0.0;
		ci_sum_add(&W, wi);
		ci_sum_add(&O, wi * oi);
		ci_sum_add(&bs, wi * (s[r] - oi) * (s[r] - oi));
		if (top > 0 && st[top - 1].hi == s[r]) {
			/* an equal score joins the block that holds it */
			pav_block *x = &st[top - 1];
			x->w += wi;
			x->so += wi * oi;
			x->count += mult ? mult[r] : 1;
		} else {
			pav_block *x = &st[top++];
			x->w = wi;
			x->so = wi * oi;
			x->lo = x->hi = s[r];
			x->count = mult ? mult[r] : 1;
		}
		/* merge while the last two blocks violate monotonicity */
		while (top > 1 && st[top - 2].so / st[top - 2].w >=
		    st[top - 1].so / st[top - 1].w) {
			pav_block *a = &st[top - 2], *c = &st[top - 1];
			/* equal neighbours are merged too: one value, one
			 * block */
			a->w += c->w;
			a->so += c->so;
			a->count += c->count;
			a->hi = c->hi;
			top--;
		}
		/* a run of equal scores may still be growing: only the
		 * newest block can take more rows, which the loop allows */
	}
	if (!(ci_sum_get(&W) > 0)) {
		free(st);
		return CALIB_OK;
	}
	ybar = ci_sum_get(&O) / ci_sum_get(&W);
	/* Brier score of the recalibrated forecasts: within a block of
	 * value v = so / w, sum w (v - o)^2 = so (1 - v) ... = w v (1 - v). */
	for (b = 0; b < top; b++) {
		double v = st[b].so / st[b].w;
		ci_sum_add(&bsr, st[b].w * v * (1 - v));
	}
	out->brier = ci_sum_get(&bs) / ci_sum_get(&W);
	out->unc = ybar * (1 - ybar);
	{
		double rc = ci_sum_get(&bsr) / ci_sum_get(&W);
		out->mcb = out->brier - rc;
		out->dsc = out->unc - rc;
	}
	out->blocks = top;
	if (curve) {
		out->lo = malloc((top ? top : 1) * sizeof(double));
		out->hi = malloc((top ? top : 1) * sizeof(double));
		out->cep = malloc((top ? top : 1) * sizeof(double));
		out->weight = malloc((top ? top : 1) * sizeof(double));
		out->count = malloc((top ? top : 1) * sizeof(size_t));
		if (!out->lo || !out->hi || !out->cep || !out->weight ||
		    !out->count) {
			free(st);
			calib_corp_release(out);
			return CALIB_E_NOMEM;
		}
		for (b = 0; b < top; b++) {
			out->lo[b] = st[b].lo;
			out->hi[b] = st[b].hi;
			out->cep[b] = st[b].so / st[b].w;
			out->weight[b] = st[b].w;
			out->count[b] = st[b].count;
		}
	}
	free(st);
	return CALIB_OK;
}

calib_status
calib_corp_compute(const calib_preds *p, const uint32_t *mult, int curve,
    calib_corp *out)
{
	size_t *order;
	calib_status st;

	if (p == NULL || out == NULL)
		return CALIB_E_ARG;
	order = ci_score_order(p->n, p->score);
	if (order == NULL)
		return CALIB_E_NOMEM;
	st = ci_corp(p->n, p->score, p->outcome, p->weight, mult, order,
	    curve, out);
	free(order);
	return st;
}

/* ---- calibration test by consistency resampling -------------------- */

/* Row i's bin in table b (bin m covers (hi[m-1], hi[m]]). */
static int
bin_of(const calib_bins *b, double s)
{
	int lo = 0, hi = b->m - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (s <= b->bin[mid].hi)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * Unweighted rows: a bin's number of successes, sum_i Bernoulli(s_i), is
 * drawn exactly by thinning, stratum by stratum.  The bin's rows, sorted
 * by score, are cut into strata; in a stratum with scores in [s_lo, s_hi]
 * every row is a candidate with probability s_hi (their number N1 ~
 * Binomial(n, s_hi), a uniformly random subset); each candidate is marked
 * with probability q = 1 - s_lo/s_hi (M ~ Binomial(N1, q), a uniformly
 * random subset of the rows, drawn by Floyd's algorithm); a marked row
 * fails with probability (1 - s_i/s_hi)/q.  Row i then succeeds with
 * probability s_hi - s_hi q (1 - s_i/s_hi)/q = s_i, independently of the
 * others, and the count is N1 minus the failures.  The work per stratum
 * is two binomial draws plus about n (s_hi - s_lo) marked rows, so a
 * stratum grows until it expects STRATUM_MARKS marked rows (a binomial
 * draw costs several uniform ones) or holds STRATUM_MAX rows: wide
 * strata where the scores are dense, narrow ones where they are spread.
 * A replicate costs far less than a pass over the rows.
 */
#define STRATUM_MAX 65536
#define STRATUM_MARKS 4.0

/* The strata of the rows in score order, shared by every replicate. */
typedef struct ct_strata {
	size_t total, ns;       /* rows (with multiplicity), strata */
	double *val;            /* the scores, in strata */
	size_t *sst;            /* stratum g's rows: sst[g] .. sst[g+1] */
	double *slo, *shi;
	size_t *bfirst;         /* bin j's strata: bfirst[j] .. bfirst[j+1] */
} ct_strata;

static void
ct_strata_free(ct_strata *t)
{
	free(t->val);
	free(t->sst);
	free(t->slo);
	free(t->shi);
	free(t->bfirst);
}

static calib_status
ct_strata_build(size_t n, const double *s, const uint32_t *mult,
    const uint32_t *idx, const size_t *order, int nb, ct_strata *T)
{
	size_t i, k = 0, inb = 0, cap;
	int cur = -1;

	memset(T, 0, sizeof(*T));
	for (i = 0; i < n; i++)
		T->total += mult ? mult[i] : 1;
	/* a stratum starts a bin, follows a full one, or follows one of at
	 * least STRATUM_MARKS rows (as s_hi - s_lo <= 1) */
	cap = T->total / (size_t)STRATUM_MARKS + T->total / STRATUM_MAX +
	    (size_t)nb + 2;
	T->val = malloc((T->total ? T->total : 1) * sizeof(double));
	T->sst = malloc(cap * sizeof(size_t));
	T->slo = malloc(cap * sizeof(double));
	T->shi = malloc(cap * sizeof(double));
	T->bfirst = malloc(((size_t)nb + 1) * sizeof(size_t));
	if (T->val == NULL || T->sst == NULL || T->slo == NULL ||
	    T->shi == NULL || T->bfirst == NULL) {
		ct_strata_free(T);
		return CALIB_E_NOMEM;
	}
	/* rows in score order are in bin order too: bins hold score ranges */
	for (i = 0; i < n; i++) {
		size_t rr = order[i];
		uint32_t c = mult ? mult[rr] : 1, t;
		for (t = 0; t < c; t++) {
			double v = s[rr];
			if ((int)idx[rr] != cur) {
				while (cur < (int)idx[rr])
					T->bfirst[++cur] = T->ns;
				inb = 0;
			}
			if (inb == 0 || inb == STRATUM_MAX ||
			    (double)(inb + 1) * (v - T->slo[T->ns - 1]) >
			    STRATUM_MARKS) {
				T->sst[T->ns] = k;
				T->slo[T->ns] = v;
				T->ns++;
				inb = 0;
			}
			T->shi[T->ns - 1] = v;
			T->val[k++] = v;
			inb++;
		}
	}
	while (cur < nb)
		T->bfirst[++cur] = T->ns;
	T->sst[T->ns] = k;
	return CALIB_OK;
}

/* One replicate's sum_j |O_j - S_j| by thinning (mark: total zeros,
 * left zero; picked: STRATUM_MAX + 1). */
static double
ct_thinned(const ct_strata *T, int nb, const double *S, gsl_rng *rng,
    uint8_t *mark, size_t *picked)
{
	double e = 0;
	int j;

	for (j = 0; j < nb; j++) {
		size_t g, x = 0;
		for (g = T->bfirst[j]; g < T->bfirst[j + 1]; g++) {
			size_t nm = T->sst[g + 1] - T->sst[g], n1, m, t;
			double q, hi = T->shi[g];
			const double *v = T->val + T->sst[g];
			uint8_t *mk = mark + T->sst[g];
			if (!(hi > 0))
				continue;
			n1 = gsl_ran_binomial(rng, hi, (unsigned)nm);
			q = 1 - T->slo[g] / hi;
			m = q > 0 && n1 > 0 ? gsl_ran_binomial(rng, q,
			    (unsigned)n1) : 0;
			x += n1;
			/* Floyd: m distinct rows of nm, uniformly */
			for (t = nm - m; t < nm; t++) {
				size_t u = (size_t)gsl_rng_uniform_int(rng,
				    (unsigned long)t + 1);
				size_t pick = mk[u] ? t : u;
				mk[pick] = 1;
				picked[t - (nm - m)] = pick;
				if (gsl_rng_uniform(rng) * q < 1 - v[pick] / hi)
					x--;
			}
			for (t = 0; t < m; t++)
				mk[picked[t]] = 0;
		}
		if (T->bfirst[j + 1] > T->bfirst[j])
			e += fabs((double)x - S[j]);
	}
	return e;
}

/* Weighted rows: every outcome drawn as [U < s_i], rows in file order. */
static double
ct_weighted(size_t n, const double *s, const double *w, const uint32_t *mult,
    const uint32_t *idx, int nb, const double *S, gsl_rng *rng, double *O)
{
	double e = 0;
	size_t i;
	int j;

	memset(O, 0, (size_t)nb * sizeof(double));
	for (i = 0; i < n; i++) {
		uint32_t c = mult ? mult[i] : 1, k;
		/* a row resampled c times draws c outcomes */
		for (k = 0; k < c; k++)
			if (gsl_rng_uniform(rng) < s[i])
				O[idx[i]] += w[i];
	}
	for (j = 0; j < nb; j++)
		e += fabs(O[j] - S[j]);
	return e;
}

/* splitmix64's output function: replicate r's seed from (seed, r). */
static uint64_t
ct_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned long
ci_test_replicate_seed(unsigned long seed, int r)
{
	uint64_t z = ct_mix(ct_mix((uint64_t)seed + 0x9e3779b97f4a7c15ULL) +
	    (uint64_t)r);
	/* gsl_rng_mt19937 reads 32 bits of its seed */
	return (unsigned long)(z >> 32);
}

typedef struct ct_job {
	size_t n;
	const double *s, *w, *S;
	const uint32_t *mult, *idx;
	const ct_strata *T;
	int nb, resamples, nthreads;
	unsigned long seed;
	double obs;
} ct_job;

typedef struct ct_worker {
	const ct_job *J;
	int t;
	calib_status st;
	long ge;
} ct_worker;

static void *
ct_main(void *arg)
{
	ct_worker *W = arg;
	const ct_job *J = W->J;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	uint8_t *mark = NULL;
	size_t *picked = NULL;
	double *O = NULL;
	int r;

	if (J->w == NULL) {
		mark = calloc(J->T->total ? J->T->total : 1, 1);
		picked = malloc((STRATUM_MAX + 1) * sizeof(size_t));
	} else
		O = malloc(((size_t)J->nb + 1) * sizeof(double));
	if (rng == NULL || (J->w == NULL && (mark == NULL || picked == NULL)) ||
	    (J->w != NULL && O == NULL)) {
		W->st = CALIB_E_NOMEM;
		goto done;
	}
	for (r = W->t; r < J->resamples; r += J->nthreads) {
		double e;
		gsl_rng_set(rng, ci_test_replicate_seed(J->seed, r));
		e = J->w == NULL ? ct_thinned(J->T, J->nb, J->S, rng, mark,
		    picked) : ct_weighted(J->n, J->s, J->w, J->mult, J->idx,
		    J->nb, J->S, rng, O);
		if (e >= J->obs)
			W->ge++;
	}
done:
	gsl_rng_free(rng);
	free(mark);
	free(picked);
	free(O);
	return NULL;
}

calib_status
ci_calibration_test(size_t n, const double *s, const uint8_t *o,
    const double *w, const uint32_t *mult, const size_t *order, int m,
    calib_binning binning, int resamples, unsigned long seed, int threads,
    double *out)
{
	calib_bins b;
	calib_status st;
	uint32_t *idx = NULL;
	double *O = NULL, *S = NULL, obs, W;
	size_t i, *own = NULL;
	ct_strata T;
	ct_worker Wk[CI_TEAM_MAX];
	ct_job J;
	long ge = 0;
	int j, t, nt;

	*out = NAN;
	memset(&T, 0, sizeof(T));
	if (resamples < 1 || m < 1)
		return CALIB_E_ARG;
	st = ci_bin_arrays(n, s, o, w, mult, m, binning, NULL, order, &b);
	if (st != CALIB_OK)
		return st;
	idx = malloc((n ? n : 1) * sizeof(*idx));
	O = calloc((size_t)b.m + 1, sizeof(double));
	S = calloc((size_t)b.m + 1, sizeof(double));
	if (idx == NULL || O == NULL || S == NULL) {
		st = CALIB_E_NOMEM;
		goto done;
	}
	W = b.total_weight;
	if (!(W > 0))
		goto done;
	for (i = 0; i < n; i++) {
		double wi = (w ? w[i] : 1.0) * (mult ? mult[i] : 1);
		idx[i] = binning == CALIB_BIN_WIDTH ?
		    (uint32_t)ci_bin_index(s[i], m) : (uint32_t)bin_of(&b,
		    s[i]);
		S[idx[i]] += wi * s[i];
		O[idx[i]] += o[i] ? wi : 0;
	}
	/* The observed statistic by the same sums the replicates use, so
	 * that an equal replicate compares equal. */
	obs = 0;
	for (j = 0; j < b.m; j++)
		obs += fabs(O[j] - S[j]);
	if (w == NULL) {
		if (order == NULL) {
			own = ci_score_order(n, s);
			if (own == NULL) {
				st = CALIB_E_NOMEM;
				goto done;
			}
			order = own;
		}
		if ((st = ct_strata_build(n, s, mult, idx, order, b.m, &T)) !=
		    CALIB_OK)
			goto done;
	}
	/* Replicate r draws from its own stream, seeded by (seed, r), so the
	 * replicates can go to any thread and the p-value is the same. */
	J.n = n;
	J.s = s;
	J.w = w;
	J.S = S;
	J.mult = mult;
	J.idx = idx;
	J.T = &T;
	J.nb = b.m;
	J.resamples = resamples;
	J.seed = seed;
	J.obs = obs;
	nt = ci_team_size(threads, resamples);
	J.nthreads = nt;
	memset(Wk, 0, sizeof(Wk));
	for (t = 0; t < nt; t++) {
		Wk[t].J = &J;
		Wk[t].t = t;
	}
	ci_team_run(ct_main, Wk, sizeof(Wk[0]), nt);
	for (t = 0; t < nt; t++) {
		if (Wk[t].st != CALIB_OK && st == CALIB_OK)
			st = Wk[t].st;
		ge += Wk[t].ge;
	}
	if (st == CALIB_OK)
		*out = (double)(ge + 1) / (double)(resamples + 1);
done:
	ct_strata_free(&T);
	free(own);
	free(idx);
	free(O);
	free(S);
	calib_bins_release(&b);
	return st;
}

calib_status
calib_calibration_test(const calib_preds *p, int bins, calib_binning binning,
    int resamples, unsigned long seed, const uint32_t *mult, double *p_value)
{
	if (p == NULL || p_value == NULL)
		return CALIB_E_ARG;
	return ci_calibration_test(p->n, p->score, p->outcome, p->weight, mult,
	    NULL, bins, binning, resamples, seed, 0, p_value);
}

/* ---- ECE-sweep ------------------------------------------------------ */

/*
 * The equal-mass tables for b = 1, 2, ... are found from prefix sums over
 * the runs of equal scores, so each b costs O(b log runs), not a pass
 * over the rows: cut j of b goes after the first run whose cumulative
 * count reaches floor(j total / b), exactly calib_bins_compute()'s rule.
 */
calib_status
ci_ece_sweep(size_t n, const double *s, const uint8_t *o, const double *w,
    const uint32_t *mult, const size_t *order, double *ece, double *bins)
{
	size_t nr = 0, j, *cut = NULL;
	double *C = NULL, *W = NULL, *O = NULL;
	unsigned long long total;
	calib_status st = CALIB_OK;
	size_t b, best = 1;

	*ece = *bins = NAN;
	C = malloc((n + 1) * sizeof(double));
	W = malloc((n + 1) * sizeof(double));
	O = malloc((n + 1) * sizeof(double));
	cut = malloc((n + 1) * sizeof(size_t));
	if (C == NULL || W == NULL || O == NULL || cut == NULL) {
		st = CALIB_E_NOMEM;
		goto done;
	}
	/* prefix sums per run; index r + 1 holds the sums through run r */
	C[0] = W[0] = O[0] = 0;
	for (j = 0; j < n; j++) {
		size_t r = order[j];
		uint32_t c = mult ? mult[r] : 1;
		double wi = (w ? w[r] : 1.0) * c;
		if (c == 0)
			continue;
		if (nr == 0 || s[r] != s[order[cut[nr - 1]]]) {
			nr++;
			C[nr] = C[nr - 1];
			W[nr] = W[nr - 1];
			O[nr] = O[nr - 1];
			cut[nr - 1] = j;     /* a row of run nr - 1 */
		}
		C[nr] += c;
		W[nr] += wi;
		if (o[r])
			O[nr] += wi;
	}
	if (nr == 0 || !(W[nr] > 0))
		goto done;
	total = (unsigned long long)C[nr];
	/* b = 1 is always monotone; try b = 2, 3, ... until the first
	 * table whose bin accuracies decrease */
	for (b = 2; b <= nr && b <= CI_SWEEP_MAX; b++) {
		size_t prev = 0, nb = 0, k;
		double last = -INFINITY;
		int mono = 1;
		for (k = 1; k <= b; k++) {
			size_t end;
			if (k < b) {
				unsigned long long t = (unsigned long long)k *
				    total / b;
				size_t lo = prev + 1, hi = nr;
				if (t == 0)
					continue;
				/* first run r (1-based end) with C[r] >= t */
				while (lo < hi) {
					size_t mid = lo + (hi - lo) / 2;
					if (C[mid] >= (double)t)
						hi = mid;
					else
						lo = mid + 1;
				}
				end = lo;
				if (end >= nr)
					continue;
			} else
				end = nr;
			if (end <= prev)
				continue;
			if (W[end] - W[prev] > 0) {
				double acc = (O[end] - O[prev]) /
				    (W[end] - W[prev]);
				if (acc < last - 1e-12)
					mono = 0;
				last = acc;
			}
			prev = end;
			nb++;
		}
		if (!mono)
			break;
		best = b;
	}
	{
		calib_bins t;
		st = ci_bin_arrays(n, s, o, w, mult, (int)best, CALIB_BIN_MASS,
		    NULL, order, &t);
		if (st == CALIB_OK) {
			*ece = calib_ece(&t);
			*bins = t.m;
			calib_bins_release(&t);
		}
	}
done:
	free(C);
	free(W);
	free(O);
	free(cut);
	return st;
}

calib_status
calib_ece_sweep(const calib_preds *p, const uint32_t *mult, double *ece,
    int *bins)
{
	size_t *order;
	calib_status st;
	double e, b;

	if (p == NULL)
		return CALIB_E_ARG;
	order = ci_score_order(p->n, p->score);
	if (order == NULL)
		return CALIB_E_NOMEM;
	st = ci_ece_sweep(p->n, p->score, p->outcome, p->weight, mult, order,
	    &e, &b);
	free(order);
	if (ece != NULL)
		*ece = e;
	if (bins != NULL)
		*bins = isnan(b) ? 0 : (int)b;
	return st;
}

/* ---- SKCE ----------------------------------------------------------- */

static int
cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * The rows of a resample in file order, row i repeated mult[i] times,
 * are paired consecutively: (1st, 2nd), (3rd, 4th), ...
 */
calib_status
ci_skce(const calib_preds *p, const uint32_t *mult, double bandwidth,
    double *skce, double *p_value)
{
	const int k = p->k;
	ci_sum sum = { 0, 0 }, wsum = { 0, 0 };
	double *d2 = NULL, *v = NULL, *hw = NULL, *h, mean, var = 0, w2 = 0;
	double gamma, W;
	size_t cap = 0, m = 0, i, prev = 0, j;
	int c, have = 0;
	calib_status st = CALIB_OK;

	*skce = *p_value = NAN;
	if (p->probs == NULL)
		return CALIB_E_ARG;
	for (i = 0; i < p->n; i++)
		cap += mult ? mult[i] : 1;
	cap /= 2;
	d2 = malloc((cap ? cap : 1) * sizeof(double));
	v = malloc((cap ? cap : 1) * sizeof(double));
	hw = malloc((cap ? cap : 1) * sizeof(double));
	if (d2 == NULL || v == NULL || hw == NULL) {
		st = CALIB_E_NOMEM;
		goto done;
	}
	for (i = 0; i < p->n; i++) {
		uint32_t cnt = mult ? mult[i] : 1, t;
		for (t = 0; t < cnt; t++) {
			const double *a, *b;
			int ya, yb;
			double dd = 0, dot = 0;
			if (!have) {
				prev = i;
				have = 1;
				continue;
			}
			have = 0;
			a = p->probs + prev * (size_t)k;
			b = p->probs + i * (size_t)k;
			ya = p->label[prev];
			yb = p->label[i];
			for (c = 0; c < k; c++) {
				double d = a[c] - b[c];
				dd += d * d;
				dot += a[c] * b[c];
			}
			d2[m] = dd;
			/* (e_ya - a) . (e_yb - b) */
			v[m] = (ya == yb) - a[yb] - b[ya] + dot;
			hw[m] = p->weight ? p->weight[prev] * p->weight[i] : 1.0;
			m++;
		}
	}
	if (m == 0)
		goto done;
	if (!(bandwidth > 0)) {
		/* median heuristic over the pairs' distances */
		double *tmp = malloc(m * sizeof(double));
		if (tmp == NULL) {
			st = CALIB_E_NOMEM;
			goto done;
		}
		memcpy(tmp, d2, m * sizeof(double));
		qsort(tmp, m, sizeof(double), cmp_dbl);
		bandwidth = sqrt(m % 2 ? tmp[m / 2] : (tmp[m / 2 - 1] +
		    tmp[m / 2]) / 2);
		free(tmp);
		if (!(bandwidth > 0))
			bandwidth = 1;
	}
	gamma = 1 / (2 * bandwidth * bandwidth);
	h = d2;                      /* overwritten in place */
	for (j = 0; j < m; j++) {
		h[j] = exp(-gamma * d2[j]) * v[j];
		ci_sum_add(&sum, hw[j] * h[j]);
		ci_sum_add(&wsum, hw[j]);
		w2 += hw[j] * hw[j];
	}
	W = ci_sum_get(&wsum);
	if (!(W > 0))
		goto done;
	mean = ci_sum_get(&sum) / W;
	*skce = mean;
	if (m >= 2) {
		double neff = W * W / w2;
		for (j = 0; j < m; j++)
			var += hw[j] * (h[j] - mean) * (h[j] - mean);
		var /= W;
		if (neff > 1 && var > 0)
			*p_value = gsl_cdf_ugaussian_Q(mean /
			    sqrt(var / (neff - 1)));
		else if (neff > 1)
			*p_value = mean > 0 ? 0 : 1;
	}
done:
	free(d2);
	free(v);
	free(hw);
	return st;
}

calib_status
calib_skce(const calib_preds *p, double bandwidth, const uint32_t *mult,
    double *skce, double *p_value)
{
	double val, pv;
	calib_status st;

	if (p == NULL || !(bandwidth >= 0))
		return CALIB_E_ARG;
	st = ci_skce(p, mult, bandwidth, &val, &pv);
	if (skce != NULL)
		*skce = val;
	if (p_value != NULL)
		*p_value = pv;
	return st;
}
