/*
 * binning.c - reliability tables: which bin each score falls in, and the
 * per-bin sums every binned metric is computed from.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "summary.h"

int
calib_bin_index(double s, int m)
{
	return ci_bin_index(s, m);
}

int
ci_order_cmp(const void *a, const void *b)
{
	const ci_order_item *x = a, *y = b;

	if (x->s < y->s)
		return -1;
	if (x->s > y->s)
		return 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Per-bin compensated accumulators while binning. */
typedef struct bin_acc {
	ci_sum w, s, o;
	double w2;
	size_t count;
} bin_acc;

static void
acc_add(bin_acc *a, double s, uint8_t o, double w, uint32_t mult)
{
	double wm = w * mult;

	ci_sum_add(&a->w, wm);
	ci_sum_add(&a->s, wm * s);
	if (o)
		ci_sum_add(&a->o, wm);
	a->w2 += wm * w;
	a->count += mult;
}

static void
acc_store(const bin_acc *a, calib_bin *b)
{
	b->count = a->count;
	b->weight = ci_sum_get(&a->w);
	b->sum_score = ci_sum_get(&a->s);
	b->sum_outcome = ci_sum_get(&a->o);
	b->sum_w2 = a->w2;
}

/*
 * Bin n (score, outcome, weight) triples.  The one routine behind the
 * top-label table and each class of the classwise ECE.
 */
calib_status
ci_bin_arrays(size_t n, const double *score, const uint8_t *outcome,
    const double *weight, const uint32_t *mult, int m, calib_binning binning,
    const uint32_t *idx, const size_t *order, calib_bins *out)
{
	size_t i, total = 0;
	ci_sum W = { 0, 0 };

	memset(out, 0, sizeof(*out));
	if (m < 1)
		return CALIB_E_ARG;
	out->binning = binning;
	out->requested = m;
	out->bin = calloc((size_t)m, sizeof(*out->bin));
	if (out->bin == NULL)
		return CALIB_E_NOMEM;

	if (binning == CALIB_BIN_WIDTH) {
		bin_acc *acc = calloc((size_t)m, sizeof(*acc));
		int j;
		if (acc == NULL) {
			calib_bins_release(out);
			return CALIB_E_NOMEM;
		}
		for (i = 0; i < n; i++) {
			uint32_t c = mult ? mult[i] : 1;
			double w = weight ? weight[i] : 1.0;
			if (c == 0)
				continue;
			acc_add(&acc[idx ? idx[i] : (uint32_t)ci_bin_index(
			    score[i], m)], score[i], outcome[i], w, c);
		}
		for (j = 0; j < m; j++) {
			acc_store(&acc[j], &out->bin[j]);
			out->bin[j].lo = (double)j / m;
			out->bin[j].hi = (double)(j + 1) / m;
			total += acc[j].count;
			ci_sum_add(&W, out->bin[j].weight);
		}
		free(acc);
		out->m = m;
	} else {
		ci_order_item *ord;
		size_t cnt = 0, t_next, pos = 0, cum = 0;
		int j = 1, nb = 0;
		bin_acc cur;
		double lo = 0;

		for (i = 0; i < n; i++)
			if (!mult || mult[i])
				cnt++;
		ord = malloc((cnt ? cnt : 1) * sizeof(*ord));
		if (ord == NULL) {
			calib_bins_release(out);
			return CALIB_E_NOMEM;
		}
		if (order != NULL) {
			/* sorted once by the caller: keep its order */
			for (i = 0; i < n; i++) {
				size_t r = order[i];
				if (!mult || mult[r]) {
					ord[pos].s = score[r];
					ord[pos].i = r;
					pos++;
				}
			}
		} else {
			for (i = 0; i < n; i++)
				if (!mult || mult[i]) {
					ord[pos].s = score[i];
					ord[pos].i = i;
					pos++;
				}
			qsort(ord, cnt, sizeof(*ord), ci_order_cmp);
		}
		for (i = 0; i < cnt; i++)
			total += mult ? mult[ord[i].i] : 1;
		/* Cut targets floor(j * total / M); a target at 0 would make an
		 * empty first bin and is dropped. */
#define TARGET(j) ((size_t)(((unsigned long long)(j) * total) / (unsigned)m))
		while (j < m && TARGET(j) == 0)
			j++;
		t_next = j < m ? TARGET(j) : total;
		memset(&cur, 0, sizeof(cur));
		for (i = 0; i < cnt;) {
			double v = ord[i].s;
			/* A run of equal scores goes into one bin whole, so a cut
			 * target inside it moves to the run's end. */
			for (; i < cnt && ord[i].s == v; i++) {
				size_t r = ord[i].i;
				uint32_t c = mult ? mult[r] : 1;
				acc_add(&cur, v, outcome[r],
				    weight ? weight[r] : 1.0, c);
				cum += c;
			}
			if (i < cnt && j < m && t_next <= cum) {
				acc_store(&cur, &out->bin[nb]);
				out->bin[nb].lo = lo;
				out->bin[nb].hi = v;
				lo = v;
				ci_sum_add(&W, out->bin[nb].weight);
				nb++;
				memset(&cur, 0, sizeof(cur));
				while (j < m && TARGET(j) <= cum)
					j++;
				t_next = j < m ? TARGET(j) : total;
			}
		}
#undef TARGET
		if (cnt > 0) {
			acc_store(&cur, &out->bin[nb]);
			out->bin[nb].lo = lo;
			out->bin[nb].hi = ord[cnt - 1].s;
			ci_sum_add(&W, out->bin[nb].weight);
			nb++;
		}
		free(ord);
		out->m = nb;
	}
	out->n = total;
	out->total_weight = ci_sum_get(&W);
	return CALIB_OK;
}

calib_status
calib_bins_compute(const calib_preds *p, int m, calib_binning binning,
    const uint32_t *mult, calib_bins *out)
{
	if (p == NULL || out == NULL)
		return CALIB_E_ARG;
	if (binning == CALIB_BIN_WIDTH && mult == NULL && m >= 1) {
		/* Exact sums, so the table is the one any summary of these
		 * rows gives. */
		ci_acc a;
		calib_status st;
		if (ci_acc_init(&a, m, 0) != 0)
			return CALIB_E_NOMEM;
		ci_acc_add_preds(&a, p);
		st = ci_acc_bins(&a, out);
		ci_acc_free(&a);
		return st;
	}
	return ci_bin_arrays(p->n, p->score, p->outcome, p->weight, mult, m,
	    binning, NULL, NULL, out);
}

calib_status
ci_bins_cached(const calib_preds *p, const ci_cells *cells,
    const uint32_t *mult, calib_bins *out)
{
	return ci_bin_arrays(p->n, p->score, p->outcome, p->weight, mult,
	    cells->m, CALIB_BIN_WIDTH, cells->top, NULL, out);
}

int
ci_cells_build(const calib_preds *p, int m, ci_cells *cells)
{
	size_t i, nk = p->n * (size_t)p->k;
	int c;

	memset(cells, 0, sizeof(*cells));
	cells->m = m;
	cells->top = malloc((p->n ? p->n : 1) * sizeof(uint32_t));
	if (cells->top == NULL)
		return -1;
	for (i = 0; i < p->n; i++)
		cells->top[i] = (uint32_t)ci_bin_index(p->score[i], m);
	if (p->probs != NULL) {
		cells->cls = malloc((nk ? nk : 1) * sizeof(uint32_t));
		if (cells->cls == NULL) {
			ci_cells_free(cells);
			return -1;
		}
		for (i = 0; i < p->n; i++)
			for (c = 0; c < p->k; c++)
				cells->cls[i * (size_t)p->k + (size_t)c] =
				    (uint32_t)c * (uint32_t)m + (uint32_t)
				    ci_bin_index(p->probs[i * (size_t)p->k +
				    (size_t)c], m);
	}
	return 0;
}

void
ci_cells_free(ci_cells *cells)
{
	free(cells->top);
	free(cells->cls);
	memset(cells, 0, sizeof(*cells));
}

double
ci_classwise_mean(const calib_classwise_acc *a, int k, double W)
{
	ci_sum total = { 0, 0 };
	size_t off;
	int c;

	for (c = 0; c < k; c++) {
		off = (size_t)c * (size_t)a->bins;
		ci_sum_add(&total, ci_ece_terms(a->weight + off,
		    a->sum_score + off, a->sum_outcome + off, a->bins, W));
	}
	return ci_sum_get(&total) / k;
}

/* Classwise ECE from cached cells: the bootstrap's inner loop. */
calib_status
ci_classwise_cached(const calib_preds *p, const ci_cells *cells,
    const uint32_t *mult, double *out)
{
	calib_classwise_acc a;
	ci_sum W = { 0, 0 };
	const int k = p->k, m = cells->m;
	size_t i;
	int c;

	*out = NAN;
	if (cells->cls == NULL)
		return CALIB_E_ARG;
	if (ci_classwise_alloc(&a, k, m) != 0)
		return CALIB_E_NOMEM;
	for (i = 0; i < p->n; i++) {
		const uint32_t *cell = cells->cls + i * (size_t)k;
		const double *pr = p->probs + i * (size_t)k;
		double w = p->weight ? p->weight[i] : 1.0;
		if (mult != NULL)
			w *= mult[i];
		if (w == 0)
			continue;
		for (c = 0; c < k; c++) {
			a.weight[cell[c]] += w;
			a.sum_score[cell[c]] += w * pr[c];
		}
		a.sum_outcome[cell[p->label[i]]] += w;
		ci_sum_add(&W, w);
	}
	*out = ci_classwise_mean(&a, k, ci_sum_get(&W));
	ci_classwise_free(&a);
	return CALIB_OK;
}

void
calib_bins_release(calib_bins *b)
{
	if (b == NULL)
		return;
	free(b->bin);
	memset(b, 0, sizeof(*b));
}

/* sum_m |O_m - S_m| / W, the ECE written without per-bin divisions. */
double
ci_ece_terms(const double *weight, const double *sum_score,
    const double *sum_outcome, int m, double total)
{
	ci_sum e = { 0, 0 };
	int j;

	for (j = 0; j < m; j++)
		if (weight[j] > 0)
			ci_sum_add(&e, fabs(sum_outcome[j] - sum_score[j]));
	return total > 0 ? ci_sum_get(&e) / total : NAN;
}

double
calib_ece(const calib_bins *b)
{
	ci_sum e = { 0, 0 };
	int j;

	if (b == NULL || !(b->total_weight > 0))
		return NAN;
	if (b->float32)
		return ci_f32_ece(b);
	for (j = 0; j < b->m; j++)
		if (b->bin[j].weight > 0)
			ci_sum_add(&e, fabs(b->bin[j].sum_outcome -
			    b->bin[j].sum_score));
	return ci_sum_get(&e) / b->total_weight;
}

double
calib_rmsce(const calib_bins *b)
{
	ci_sum e = { 0, 0 };
	int j;

	if (b == NULL || !(b->total_weight > 0))
		return NAN;
	if (b->float32)
		return ci_f32_rmsce(b);
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		if (x->weight > 0) {
			double gap = (x->sum_outcome - x->sum_score) / x->weight;
			ci_sum_add(&e, x->weight * gap * gap);
		}
	}
	return sqrt(ci_sum_get(&e) / b->total_weight);
}

double
calib_mce(const calib_bins *b)
{
	double mx = 0;
	int j, any = 0;

	if (b == NULL)
		return NAN;
	if (b->float32)
		return ci_f32_mce(b);
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		if (x->weight > 0) {
			double gap = fabs(x->sum_outcome / x->weight -
			    x->sum_score / x->weight);
			if (gap > mx)
				mx = gap;
			any = 1;
		}
	}
	return any ? mx : NAN;
}

double
calib_oe(const calib_bins *b)
{
	ci_sum e = { 0, 0 };
	int j;

	if (b == NULL || !(b->total_weight > 0))
		return NAN;
	if (b->float32)
		return ci_f32_oe(b);
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		if (x->weight > 0) {
			double conf = x->sum_score / x->weight;
			double acc = x->sum_outcome / x->weight;
			if (conf > acc)
				ci_sum_add(&e, x->weight * conf * (conf - acc));
		}
	}
	return ci_sum_get(&e) / b->total_weight;
}

/* ---- classwise ---------------------------------------------------- */

calib_status
ci_classwise_budget(int k, int bins, const char *file, calib_error *err)
{
	const size_t per_bin = 3 * sizeof(double) * (size_t)k;
	size_t most = CI_CLASSWISE_MAX_BYTES / per_bin;

	if (k < 1 || bins < 1 || (size_t)bins <= most)
		return CALIB_OK;
	return ci_error_set(err, CALIB_E_ARG, file, 0, 0, NULL, "%d bins for "
	    "%d classes need %.1f MiB of classwise bin sums (3 numbers per "
	    "class and bin), over the %zu MiB calib allows; use at most %zu "
	    "bins", bins, k, (double)per_bin * bins / 1048576.0,
	    CI_CLASSWISE_MAX_BYTES >> 20, most);
}

int
ci_classwise_alloc(calib_classwise_acc *acc, int k, int bins)
{
	size_t cells = (size_t)k * (size_t)bins;

	acc->bins = bins;
	acc->weight = calloc(cells, sizeof(double));
	acc->sum_score = calloc(cells, sizeof(double));
	acc->sum_outcome = calloc(cells, sizeof(double));
	if (acc->weight == NULL || acc->sum_score == NULL ||
	    acc->sum_outcome == NULL) {
		ci_classwise_free(acc);
		return -1;
	}
	return 0;
}

void
ci_classwise_free(calib_classwise_acc *acc)
{
	free(acc->weight);
	free(acc->sum_score);
	free(acc->sum_outcome);
	memset(acc, 0, sizeof(*acc));
}

void
ci_classwise_add(calib_classwise_acc *acc, int k, const double *probs,
    int32_t label, double weight)
{
	const int m = acc->bins;
	int c;

	for (c = 0; c < k; c++) {
		size_t cell = (size_t)c * (size_t)m +
		    (size_t)ci_bin_index(probs[c], m);
		acc->weight[cell] += weight;
		acc->sum_score[cell] += weight * probs[c];
		if (c == label)
			acc->sum_outcome[cell] += weight;
	}
}

void
ci_classwise_merge(calib_classwise_acc *dst, const calib_classwise_acc *src,
    int k)
{
	size_t cells = (size_t)k * (size_t)dst->bins, i;

	for (i = 0; i < cells; i++) {
		dst->weight[i] += src->weight[i];
		dst->sum_score[i] += src->sum_score[i];
		dst->sum_outcome[i] += src->sum_outcome[i];
	}
}

calib_status
calib_classwise_ece(const calib_preds *p, int m, calib_binning binning,
    const uint32_t *mult, double *out)
{
	ci_sum total = { 0, 0 };
	int c;

	*out = NAN;
	if (p == NULL || m < 1)
		return CALIB_E_ARG;
	if (p->probs == NULL) {
		if (binning != CALIB_BIN_WIDTH || mult != NULL ||
		    p->classwise.bins != m)
			return CALIB_E_ARG;
		*out = ci_classwise_mean(&p->classwise, p->k, p->total_weight);
		return CALIB_OK;
	} else if (binning == CALIB_BIN_WIDTH && mult == NULL) {
		calib_classwise_acc a;
		if (ci_classwise_alloc(&a, p->k, m) != 0)
			return CALIB_E_NOMEM;
		if (ci_classwise_exact(p, &a) != 0) {
			ci_classwise_free(&a);
			return CALIB_E_NOMEM;
		}
		*out = ci_classwise_mean(&a, p->k, p->total_weight);
		ci_classwise_free(&a);
		return CALIB_OK;
	} else if (binning == CALIB_BIN_WIDTH) {
		/* One row-major pass over the matrix. */
		calib_classwise_acc a;
		ci_sum W = { 0, 0 };
		size_t i;
		if (ci_classwise_budget(p->k, m, NULL, NULL) != CALIB_OK)
			return CALIB_E_ARG;
		if (ci_classwise_alloc(&a, p->k, m) != 0)
			return CALIB_E_NOMEM;
		for (i = 0; i < p->n; i++) {
			double w = p->weight ? p->weight[i] : 1.0;
			if (mult != NULL)
				w *= mult[i];
			if (w == 0)
				continue;
			ci_classwise_add(&a, p->k, p->probs + i * (size_t)p->k,
			    p->label[i], w);
			ci_sum_add(&W, w);
		}
		*out = ci_classwise_mean(&a, p->k, ci_sum_get(&W));
		ci_classwise_free(&a);
		return CALIB_OK;
	} else {
		double *col = malloc((p->n ? p->n : 1) * sizeof(*col));
		uint8_t *hit = malloc(p->n ? p->n : 1);
		size_t i;
		if (col == NULL || hit == NULL) {
			free(col);
			free(hit);
			return CALIB_E_NOMEM;
		}
		for (c = 0; c < p->k; c++) {
			calib_bins b;
			calib_status st;
			for (i = 0; i < p->n; i++) {
				col[i] = p->probs[i * (size_t)p->k + (size_t)c];
				hit[i] = p->label[i] == c;
			}
			st = ci_bin_arrays(p->n, col, hit, p->weight, mult, m,
			    binning, NULL, NULL, &b);
			if (st != CALIB_OK) {
				free(col);
				free(hit);
				return st;
			}
			ci_sum_add(&total, calib_ece(&b));
			calib_bins_release(&b);
		}
		free(col);
		free(hit);
	}
	*out = ci_sum_get(&total) / p->k;
	return CALIB_OK;
}
