/*
 * summary.c - mergeable summaries: exact sums, their metrics, merging and
 * the byte format (docs/calsum.md).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <sys/stat.h>
#include <unistd.h>

#include "summary.h"

/* Explicit limits of the format (docs/calsum.md). */
#define SUM_MAX_K 10000000
#define SUM_MAX_NAME 65535
#define SUM_MAX_BINS 1000000
#define SUM_MAX_FILE (UINT64_C(1) << 30) /* 1 GiB: one crc32() call */
#define SUM_HEADER 20                    /* magic, version, length */
#define SUM_MAX_REPS 100000

/* ---- classwise cells ---------------------------------------------- */

int
ci_cwx_init(ci_cwx *c, int k, int bins)
{
	memset(c, 0, sizeof(*c));
	c->k = k;
	c->bins = bins;
	c->cell = calloc((size_t)k * (size_t)bins + 1, sizeof(*c->cell));
	return c->cell == NULL ? -1 : 0;
}

void
ci_cwx_free(ci_cwx *c)
{
	size_t i, n = (size_t)c->k * (size_t)c->bins;

	if (c->cell != NULL)
		for (i = 0; i < n; i++)
			free(c->cell[i]);
	free(c->cell);
	free(c->sw);
	free(c->so);
#ifdef CI_XSUM_FAST
	free(c->ss);
#endif
	memset(c, 0, sizeof(*c));
}

/* Cells staged at most: 32 bytes each, so at most 1 MiB per ci_cwx. */
#define CWX_STAGE_MAX ((size_t)1 << 15)
/* Rows staged between flushes: the score sums stay below 2^93. */
#define CWX_STAGE_ROWS (UINT64_C(1) << 30)

void
ci_cwx_stage(ci_cwx *c)
{
#ifdef CI_XSUM_FAST
	size_t n = (size_t)c->k * (size_t)c->bins;

	if (c->sw != NULL || n == 0 || n > CWX_STAGE_MAX)
		return;
	c->sw = calloc(n, sizeof(*c->sw));
	c->so = calloc(n, sizeof(*c->so));
	c->ss = calloc(n, sizeof(*c->ss));
	if (c->sw == NULL || c->so == NULL || c->ss == NULL) {
		free(c->sw);
		free(c->so);
		free(c->ss);
		c->sw = c->so = NULL;
		c->ss = NULL;
	}
#else
	(void)c;
#endif
}

static ci_cwcell *
cell_get(ci_cwx *c, size_t i)
{
	if (c->cell[i] == NULL) {
		ci_cwcell *x = malloc(sizeof(*x));
		if (x == NULL) {
			c->oom = 1;
			return NULL;
		}
		ci_xsum_init(&x->w);
		ci_xsum_init(&x->s);
		ci_xsum_init(&x->o);
		c->cell[i] = x;
	}
	return c->cell[i];
}

/* Add staged cell i of src to x. */
static void
add_staged(ci_cwcell *x, const ci_cwx *src, size_t i)
{
	ci_xsum_add_count(&x->w, src->sw[i]);
	ci_xsum_add_count(&x->o, src->so[i]);
#ifdef CI_XSUM_FAST
	if (src->ss[i] != 0)
		ci_xsum_add_small(&x->s, src->ss[i]);
#endif
}

void
ci_cwx_flush(ci_cwx *c)
{
	size_t i, n = (size_t)c->k * (size_t)c->bins;
	ci_cwcell *x;

	if (c->sw == NULL || c->staged == 0)
		return;
	for (i = 0; i < n; i++) {
		/* a staged score implies a staged weight */
		if (c->sw[i] == 0 && c->so[i] == 0)
			continue;
		if ((x = c->cell[i]) == NULL && (x = cell_get(c, i)) == NULL)
			return;
		add_staged(x, c, i);
		c->sw[i] = c->so[i] = 0;
#ifdef CI_XSUM_FAST
		c->ss[i] = 0;
#endif
	}
	c->staged = 0;
}

void
ci_cwx_unstage(ci_cwx *c)
{
	ci_cwx_flush(c);
	free(c->sw);
	free(c->so);
	c->sw = c->so = NULL;
#ifdef CI_XSUM_FAST
	free(c->ss);
	c->ss = NULL;
#endif
}

void
ci_cwx_add(ci_cwx *c, const double *probs, int32_t label, double w)
{
	const int m = c->bins, K = c->k;
	ci_cwcell **row = c->cell, *x;
	int k;

	/* The cells exist after the first rows: look them up inline, and
	 * keep the label's outcome out of the loop. */
#ifdef CI_XSUM_FAST
	if (w == 1.0 && c->sw != NULL) {
		size_t base = 0, i;
		for (k = 0; k < K; k++, base += (size_t)m) {
			double p = probs[k];
			i = base + (size_t)ci_bin_index(p, m);
			c->sw[i]++;
			if (p >= 0x1p-11 && p < 1.0) {
				c->ss[i] += (int64_t)(p * 0x1p63);
			} else {
				if ((x = c->cell[i]) == NULL &&
				    (x = cell_get(c, i)) == NULL)
					return;
				ci_xsum_add(&x->s, p);
			}
		}
		if (label >= 0 && label < K)
			c->so[(size_t)label * (size_t)m +
			    (size_t)ci_bin_index(probs[label], m)]++;
		if (++c->staged >= CWX_STAGE_ROWS)
			ci_cwx_flush(c);
		return;
	}
#endif
	if (w == 1.0) {
		/* Unweighted rows (w p is p): most files. */
		for (k = 0; k < K; k++, row += m) {
			double p = probs[k];
			if ((x = row[ci_bin_index(p, m)]) == NULL &&
			    (x = cell_get(c, (size_t)(row - c->cell) +
			    (size_t)ci_bin_index(p, m))) == NULL)
				return;
			ci_xsum_add_one(&x->w);
			ci_xsum_add(&x->s, p);
		}
	} else {
		for (k = 0; k < K; k++, row += m) {
			double p = probs[k];
			if ((x = row[ci_bin_index(p, m)]) == NULL &&
			    (x = cell_get(c, (size_t)(row - c->cell) +
			    (size_t)ci_bin_index(p, m))) == NULL)
				return;
			ci_xsum_add(&x->w, w);
			ci_xsum_add(&x->s, w * p);
		}
	}
	if (label >= 0 && label < K) {
		size_t i = (size_t)label * (size_t)m +
		    (size_t)ci_bin_index(probs[label], m);
		if ((x = c->cell[i]) == NULL && (x = cell_get(c, i)) == NULL)
			return;
		ci_xsum_add(&x->o, w);
	}
}

int
ci_cwx_merge(ci_cwx *dst, const ci_cwx *src)
{
	size_t i, n = (size_t)src->k * (size_t)src->bins;

	if (src->oom)
		dst->oom = 1;
	for (i = 0; i < n; i++) {
		ci_cwcell *x;
		int staged = src->sw != NULL && src->staged > 0 &&
		    (src->sw[i] != 0 || src->so[i] != 0);
		if (src->cell[i] == NULL && !staged)
			continue;
		if ((x = cell_get(dst, i)) == NULL)
			return -1;
		if (src->cell[i] != NULL) {
			ci_xsum_merge(&x->w, &src->cell[i]->w);
			ci_xsum_merge(&x->s, &src->cell[i]->s);
			ci_xsum_merge(&x->o, &src->cell[i]->o);
		}
		if (staged)
			add_staged(x, src, i);
	}
	return dst->oom ? -1 : 0;
}

void
ci_cwx_round(const ci_cwx *c, calib_classwise_acc *acc)
{
	size_t i, n = (size_t)c->k * (size_t)c->bins;

	for (i = 0; i < n; i++) {
		const ci_cwcell *x = c->cell[i];
		ci_cwcell t;
		if (c->sw != NULL && c->staged > 0 &&
		    (c->sw[i] != 0 || c->so[i] != 0)) {
			if (x != NULL) {
				t = *x;
			} else {
				ci_xsum_init(&t.w);
				ci_xsum_init(&t.s);
				ci_xsum_init(&t.o);
			}
			add_staged(&t, c, i);
			x = &t;
		}
		acc->weight[i] = x ? ci_xsum_round(&x->w) : 0;
		acc->sum_score[i] = x ? ci_xsum_round(&x->s) : 0;
		acc->sum_outcome[i] = x ? ci_xsum_round(&x->o) : 0;
	}
}

/* ---- the Poisson bootstrap ---------------------------------------- */

static uint64_t
mix64(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint32_t
calib_poisson_count(unsigned long seed, uint64_t row, uint32_t rep)
{
	uint64_t z = mix64(mix64(mix64((uint64_t)seed) ^ row) ^ rep);
	/* 53 random bits: u uniform on [0, 1). */
	double u = (double)(z >> 11) * (1.0 / 9007199254740992.0);
	double p = 0.36787944117144233; /* e^-1 = P(0) */
	double cdf = p;
	uint32_t k = 0;

	/* P(X > 30) < 1e-33: the loop always ends well before. */
	while (u >= cdf && k < 30) {
		k++;
		p /= k;
		cdf += p;
	}
	return k;
}

void
ci_acc_row_replicates(ci_acc *rep, int reps, unsigned long seed,
    uint64_t row, double s, int outcome, int correct, double w, double nll,
    double brier, double entropy)
{
	int j;

	for (j = 0; j < reps; j++) {
		uint32_t m = calib_poisson_count(seed, row, (uint32_t)j);
		if (m > 0)
			ci_acc_row_mult(&rep[j], s, outcome, correct, w, m, nll,
			    brier, entropy);
	}
}

/* ---- top-label sums ----------------------------------------------- */

int
ci_acc_init(ci_acc *a, int bins, double nll_clip)
{
	int j;

	memset(a, 0, sizeof(*a));
	a->bins = bins;
	a->count = calloc((size_t)bins, sizeof(*a->count));
	a->bw = malloc((size_t)bins * 4 * sizeof(ci_xsum));
	if (a->count == NULL || a->bw == NULL) {
		ci_acc_free(a);
		return -1;
	}
	a->bs = a->bw + bins;
	a->bo = a->bs + bins;
	a->bw2 = a->bo + bins;
	for (j = 0; j < 4 * bins; j++)
		ci_xsum_init(&a->bw[j]);
	ci_xsum_init(&a->W);
	ci_xsum_init(&a->acc);
	ci_xsum_init(&a->score);
	ci_xsum_init(&a->outcome);
	ci_xsum_init(&a->nll);
	ci_xsum_init(&a->brier);
	ci_xsum_init(&a->entropy);
	ci_xsum_init(&a->btl);
	/* Clipping p_y into [eps, 1 - eps] is clipping -ln p_y into
	 * [-ln(1 - eps), -ln eps]. */
	a->nll_hi = nll_clip > 0 ? -log(nll_clip) : INFINITY;
	a->nll_lo = nll_clip > 0 ? -log1p(-nll_clip) : 0;
	return 0;
}

void
ci_acc_free(ci_acc *a)
{
	free(a->count);
	free(a->bw);
	memset(a, 0, sizeof(*a));
}

void
ci_acc_merge(ci_acc *dst, const ci_acc *src)
{
	int j;

	for (j = 0; j < src->bins; j++) {
		dst->count[j] += src->count[j];
		ci_xsum_merge(&dst->bw[j], &src->bw[j]);
		ci_xsum_merge(&dst->bs[j], &src->bs[j]);
		ci_xsum_merge(&dst->bo[j], &src->bo[j]);
		ci_xsum_merge(&dst->bw2[j], &src->bw2[j]);
	}
	dst->n += src->n;
	dst->nll_inf += src->nll_inf;
	dst->nan_terms += src->nan_terms;
	ci_xsum_merge(&dst->W, &src->W);
	ci_xsum_merge(&dst->acc, &src->acc);
	ci_xsum_merge(&dst->score, &src->score);
	ci_xsum_merge(&dst->outcome, &src->outcome);
	ci_xsum_merge(&dst->nll, &src->nll);
	ci_xsum_merge(&dst->brier, &src->brier);
	ci_xsum_merge(&dst->entropy, &src->entropy);
	ci_xsum_merge(&dst->btl, &src->btl);
}

void
ci_acc_add_preds(ci_acc *a, const calib_preds *p)
{
	size_t i;

	/* Without the row terms (CALIB_OMIT_ROW_TERMS) they are undefined,
	 * as on a top-label-only file. */
	for (i = 0; i < p->n; i++)
		ci_acc_row(a, p->score[i], p->outcome[i],
		    p->pred[i] == p->label[i], p->weight ? p->weight[i] : 1.0,
		    p->nll ? p->nll[i] : NAN, p->brier ? p->brier[i] : NAN,
		    p->entropy ? p->entropy[i] : NAN);
}

int
ci_classwise_exact(const calib_preds *p, calib_classwise_acc *acc)
{
	ci_cwx c;
	size_t i;

	if (ci_cwx_init(&c, p->k, acc->bins) != 0)
		return -1;
	for (i = 0; i < p->n; i++)
		ci_cwx_add(&c, p->probs + i * (size_t)p->k, p->label[i],
		    p->weight ? p->weight[i] : 1.0);
	if (c.oom) {
		ci_cwx_free(&c);
		return -1;
	}
	ci_cwx_round(&c, acc);
	ci_cwx_free(&c);
	return 0;
}

calib_status
ci_acc_bins(const ci_acc *a, calib_bins *out)
{
	ci_sum W = { 0, 0 };
	const int m = a->bins;
	int j;

	memset(out, 0, sizeof(*out));
	out->binning = CALIB_BIN_WIDTH;
	out->requested = m;
	out->bin = calloc((size_t)m, sizeof(*out->bin));
	if (out->bin == NULL)
		return CALIB_E_NOMEM;
	for (j = 0; j < m; j++) {
		calib_bin *b = &out->bin[j];
		b->lo = (double)j / m;
		b->hi = (double)(j + 1) / m;
		b->count = (size_t)a->count[j];
		b->weight = ci_xsum_round(&a->bw[j]);
		b->sum_score = ci_xsum_round(&a->bs[j]);
		b->sum_outcome = ci_xsum_round(&a->bo[j]);
		out->n += b->count;
		ci_sum_add(&W, b->weight);
	}
	out->m = m;
	out->total_weight = ci_sum_get(&W);
	return CALIB_OK;
}

void
ci_acc_means(const ci_acc *a, ci_row_means *out)
{
	double W = ci_xsum_round(&a->W);

	if (!(W > 0)) {
		out->accuracy = out->score = out->outcome = NAN;
		out->nll = out->brier = out->entropy = NAN;
		return;
	}
	out->accuracy = ci_xsum_round(&a->acc) / W;
	out->score = ci_xsum_round(&a->score) / W;
	out->outcome = ci_xsum_round(&a->outcome) / W;
	out->nll = a->nll_inf ? INFINITY : ci_xsum_round(&a->nll) / W;
	out->brier = ci_xsum_round(&a->brier) / W;
	out->entropy = ci_xsum_round(&a->entropy) / W;
	if (a->nan_terms > 0) /* a row without them: undefined, as on rows */
		out->nll = out->brier = out->entropy = NAN;
}

/* ---- settings ----------------------------------------------------- */

static void
settings_release(ci_settings *s)
{
	int c;

	if (s->class_names != NULL)
		for (c = 0; c < s->k; c++)
			free(s->class_names[c]);
	free(s->class_names);
	s->class_names = NULL;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

calib_summary *
ci_summary_new(const ci_settings *set, const char *source)
{
	calib_summary *s = calloc(1, sizeof(*s));
	int c;

	if (s == NULL)
		return NULL;
	s->set = *set;
	s->set.class_names = calloc((size_t)set->k + 1, sizeof(char *));
	s->source = xstrdup(source ? source : "");
	if (s->set.class_names == NULL || s->source == NULL) {
		s->set.k = 0;
		calib_summary_free(s);
		return NULL;
	}
	for (c = 0; c < set->k; c++)
		if ((s->set.class_names[c] = xstrdup(set->class_names[c])) ==
		    NULL) {
			calib_summary_free(s);
			return NULL;
		}
	if (ci_acc_init(&s->acc, set->bins, set->nll_clip) != 0 ||
	    ci_cwx_init(&s->cw, set->k, set->bins) != 0) {
		calib_summary_free(s);
		return NULL;
	}
	if (set->reps > 0) {
		int j;
		s->rep = calloc((size_t)set->reps, sizeof(*s->rep));
		if (s->rep == NULL) {
			calib_summary_free(s);
			return NULL;
		}
		for (j = 0; j < set->reps; j++)
			if (ci_acc_init(&s->rep[j], set->bins,
			    set->nll_clip) != 0) {
				calib_summary_free(s);
				return NULL;
			}
	}
	return s;
}

void
calib_summary_free(calib_summary *s)
{
	if (s == NULL)
		return;
	if (s->rep != NULL) {
		int j;
		for (j = 0; j < s->set.reps; j++)
			ci_acc_free(&s->rep[j]);
		free(s->rep);
	}
	settings_release(&s->set);
	ci_acc_free(&s->acc);
	ci_cwx_free(&s->cw);
	free(s->source);
	free(s);
}

calib_status
calib_summary_set_source(calib_summary *s, const char *source)
{
	char *c = xstrdup(source ? source : "");

	if (c == NULL)
		return CALIB_E_NOMEM;
	free(s->source);
	s->source = c;
	return CALIB_OK;
}

calib_summary *
calib_summary_dup(const calib_summary *s)
{
	calib_summary *d = ci_summary_new(&s->set, s->source);

	if (d == NULL || calib_summary_merge(d, s, NULL) != CALIB_OK) {
		calib_summary_free(d);
		return NULL;
	}
	return d;
}

static const char *
target_text(int t, char *buf, size_t size)
{
	if (t == CALIB_TARGET_TOP)
		return "top-label";
	snprintf(buf, size, "class %d vs rest", t);
	return buf;
}

static const char *
kind_text(int kind)
{
	return kind == CALIB_SCORES_LOGITS ? "logits" : "probabilities";
}

/* Compare settings; 0 when equal, else -1 with err naming the first
 * difference. */
static int
settings_differ(const ci_settings *a, const char *an, const ci_settings *b,
    const char *bn, calib_error *err)
{
	char x[64], y[64];
	int c;

#define DIFF(...) \
	do { \
		ci_error_set(err, CALIB_E_MISMATCH, bn, 0, 0, NULL, \
		    __VA_ARGS__); \
		return -1; \
	} while (0)
	if (a->k != b->k)
		DIFF("classes differ: %d in '%s', %d here", a->k, an, b->k);
	for (c = 0; c < a->k; c++)
		if (strcmp(a->class_names[c], b->class_names[c]) != 0)
			DIFF("class %d is '%s' in '%s' but '%s' here", c,
			    a->class_names[c], an, b->class_names[c]);
	if (a->target != b->target)
		DIFF("target differs: %s in '%s', %s here",
		    target_text(a->target, x, sizeof(x)), an,
		    target_text(b->target, y, sizeof(y)));
	if (a->bins != b->bins)
		DIFF("bins differ: %d in '%s', %d here", a->bins, an, b->bins);
	if (a->nll_clip != b->nll_clip)
		DIFF("NLL clip differs: %.17g in '%s', %.17g here",
		    a->nll_clip, an, b->nll_clip);
	if (a->kind != b->kind)
		DIFF("score columns differ: %s in '%s', %s here",
		    kind_text(a->kind), an, kind_text(b->kind));
	if (a->single_column != b->single_column)
		DIFF("score layout differs: %s in '%s', %s here",
		    a->single_column ? "one score column" :
		    "one column per class", an, b->single_column ?
		    "one score column" : "one column per class");
	if (a->has_weight != b->has_weight)
		DIFF("weight column %s in '%s' but %s here",
		    a->has_weight ? "present" : "absent", an,
		    b->has_weight ? "present" : "absent");
	if (a->temperature != b->temperature)
		DIFF("temperature differs: %.17g in '%s', %.17g here",
		    a->temperature, an, b->temperature);
	if (a->calibrated != b->calibrated || a->model_crc != b->model_crc)
		DIFF("recalibration model differs: %s in '%s', %s here",
		    a->calibrated ? "a model" : "none", an,
		    b->calibrated ? (a->calibrated ? "another model" :
		    "a model") : "none");
	if (a->sum_tol != b->sum_tol)
		DIFF("sum tolerance differs: %.17g in '%s', %.17g here",
		    a->sum_tol, an, b->sum_tol);
	if (a->renormalize != b->renormalize)
		DIFF("renormalization differs: %s in '%s', %s here",
		    a->renormalize ? "on" : "off", an,
		    b->renormalize ? "on" : "off");
	if (a->reps != b->reps)
		DIFF("bootstrap replicates differ: %d in '%s', %d here",
		    a->reps, an, b->reps);
	if (a->reps > 0 && a->seed != b->seed)
		DIFF("bootstrap seed differs: %lu in '%s', %lu here",
		    a->seed, an, b->seed);
	if (a->top_only != b->top_only)
		DIFF("file kind differs: %s in '%s', %s here", a->top_only ?
		    "top-label only" : "score vectors", an, b->top_only ?
		    "top-label only" : "score vectors");
	if (a->ignore_label_set != b->ignore_label_set ||
	    (a->ignore_label_set && a->ignore_label != b->ignore_label))
		DIFF("--ignore-label differs in '%s' and here", an);
#undef DIFF
	return 0;
}

/* Where merging b into a would leave a count or a sum beyond what the
 * format stores, or NULL. */
static const char *
acc_overflow(const ci_acc *a, const ci_acc *b)
{
	int j;

	if (a->n > UINT64_MAX - b->n)
		return "row count";
	if (!ci_xsum_merge_fits(&a->W, &b->W) ||
	    !ci_xsum_merge_fits(&a->acc, &b->acc) ||
	    !ci_xsum_merge_fits(&a->score, &b->score) ||
	    !ci_xsum_merge_fits(&a->outcome, &b->outcome) ||
	    !ci_xsum_merge_fits(&a->nll, &b->nll) ||
	    !ci_xsum_merge_fits(&a->brier, &b->brier) ||
	    !ci_xsum_merge_fits(&a->entropy, &b->entropy) ||
	    !ci_xsum_merge_fits(&a->btl, &b->btl))
		return "sum over all rows";
	for (j = 0; j < a->bins; j++)
		if (!ci_xsum_merge_fits(&a->bw[j], &b->bw[j]) ||
		    !ci_xsum_merge_fits(&a->bs[j], &b->bs[j]) ||
		    !ci_xsum_merge_fits(&a->bo[j], &b->bo[j]) ||
		    !ci_xsum_merge_fits(&a->bw2[j], &b->bw2[j]))
			return "bin sum";
	return NULL;
}

static const char *
merge_overflow(const calib_summary *dst, const calib_summary *src)
{
	static const ci_xsum zero; /* a cell dst does not have yet */
	size_t i, n = (size_t)src->cw.k * (size_t)src->cw.bins;
	const char *what;
	int j;

	/* every other count is at most the row count */
	if (dst->dropped > UINT64_MAX - src->dropped)
		return "dropped-row count";
	if ((what = acc_overflow(&dst->acc, &src->acc)) != NULL)
		return what;
	for (j = 0; j < dst->set.reps; j++)
		if (acc_overflow(&dst->rep[j], &src->rep[j]) != NULL)
			return "bootstrap replicate";
	for (i = 0; i < n; i++) {
		const ci_cwcell *a = dst->cw.cell[i], *b = src->cw.cell[i];
		if (b != NULL && (!ci_xsum_merge_fits(a ? &a->w : &zero,
		    &b->w) || !ci_xsum_merge_fits(a ? &a->s : &zero, &b->s) ||
		    !ci_xsum_merge_fits(a ? &a->o : &zero, &b->o)))
			return "classwise sum";
	}
	return NULL;
}

calib_status
calib_summary_merge(calib_summary *dst, const calib_summary *src,
    calib_error *err)
{
	const char *over;

	if (dst == NULL || src == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no summary given");
	if (dst != src && settings_differ(&dst->set, dst->source, &src->set,
	    src->source, err) != 0)
		return CALIB_E_MISMATCH;
	if (dst == src) {
		calib_summary *c = calib_summary_dup(src);
		calib_status st;
		if (c == NULL)
			return ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0,
			    NULL, "out of memory");
		st = calib_summary_merge(dst, c, err);
		calib_summary_free(c);
		return st;
	}
	if ((over = merge_overflow(dst, src)) != NULL)
		return ci_error_set(err, CALIB_E_NUMERIC, src->source, 0, 0,
		    NULL, "merging it would take a %s beyond what a summary "
		    "holds (counts below 2^64, sums below 2^1077 in "
		    "magnitude)", over);
	ci_acc_merge(&dst->acc, &src->acc);
	{
		int j;
		for (j = 0; j < dst->set.reps; j++)
			ci_acc_merge(&dst->rep[j], &src->rep[j]);
	}
	if (ci_cwx_merge(&dst->cw, &src->cw) != 0)
		return ci_error_set(err, CALIB_E_NOMEM, src->source, 0, 0, NULL,
		    "out of memory");
	dst->tied += src->tied;
	dst->renormalized += src->renormalized;
	dst->zero_prob += src->zero_prob;
	dst->dropped += src->dropped;
	if (dst->set.format != src->set.format)
		dst->set.format = 3;
	return CALIB_OK;
}

void
calib_summary_get_info(const calib_summary *s, calib_summary_info *o)
{
	memset(o, 0, sizeof(*o));
	o->source = s->source;
	o->n = s->acc.n;
	o->k = s->set.k;
	o->class_names = s->set.class_names;
	o->target = s->set.target;
	o->kind = (calib_score_kind)s->set.kind;
	o->single_column = s->set.single_column;
	o->has_weight = s->set.has_weight;
	o->temperature = s->set.temperature;
	o->calibrated = s->set.calibrated;
	o->bins = s->set.bins;
	o->nll_clip = s->set.nll_clip;
	o->tied_rows = s->tied;
	o->renormalized_rows = s->renormalized;
	o->zero_prob_rows = s->zero_prob;
	o->total_weight = ci_xsum_round(&s->acc.W);
	o->replicates = s->set.reps;
	o->seed = s->set.seed;
	o->sum_tol = s->set.sum_tol;
	o->dropped_rows = s->dropped;
	o->top_only = s->set.top_only;
	o->index_column = s->index_column;
	o->format = s->set.format == 1 ? "npy" : s->set.format == 2 ? "npz" :
	    s->set.format == 3 ? "mixed" : "csv";
}

/* ---- metrics and tables ------------------------------------------- */

static calib_status
check_bins(const calib_summary *s, int bins, calib_binning binning,
    const calib_convention *conv, calib_error *err)
{
	if (!calib_convention_is_default(conv))
		return ci_error_set(err, CALIB_E_ARG, s->source, 0, 0, NULL,
		    "a summary keeps the sums of calib's own convention only "
		    "(drop --convention and its choices, or run on the "
		    "prediction files)");
	if (binning != CALIB_BIN_WIDTH)
		return ci_error_set(err, CALIB_E_ARG, s->source, 0, 0, NULL,
		    "equal-mass bins do not merge: a summary keeps sums for "
		    "equal-width bins only (run on the prediction files, or "
		    "use --binning width)");
	if (bins != s->set.bins)
		return ci_error_set(err, CALIB_E_MISMATCH, s->source, 0, 0,
		    NULL, "bins differ: the summary has %d, %d asked for "
		    "(summarize again with --bins %d)", s->set.bins, bins,
		    bins);
	return CALIB_OK;
}

calib_status
calib_summary_metrics(const calib_summary *s, const calib_metric_options *o,
    calib_metrics *out, calib_error *err)
{
	calib_classwise_acc cw;
	calib_status st;

	if (s == NULL || o == NULL || out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no summary given");
	if ((st = check_bins(s, o->bins, o->binning, o->convention, err)) !=
	    CALIB_OK)
		return st;
	if (o->nll_clip != s->set.nll_clip)
		return ci_error_set(err, CALIB_E_MISMATCH, s->source, 0, 0,
		    NULL, "NLL clip differs: the summary has %.17g, %.17g "
		    "asked for", s->set.nll_clip, o->nll_clip);
	if (ci_classwise_alloc(&cw, s->set.k, s->set.bins) != 0)
		return ci_error_set(err, CALIB_E_NOMEM, s->source, 0, 0, NULL,
		    "out of memory");
	ci_cwx_round(&s->cw, &cw);
	st = ci_summary_eval(&s->acc, s->set.k, s->set.top_only ? NULL : &cw,
	    o, out, s->source, err);
	ci_classwise_free(&cw);
	return st;
}

calib_status
calib_summary_reliability(const calib_summary *s,
    const calib_reliability_options *o, calib_reliability *out,
    calib_error *err)
{
	calib_status st;
	int j;

	if (out == NULL || s == NULL || o == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no summary or no table");
	memset(out, 0, sizeof(*out));
	if ((st = check_bins(s, o->bins, o->binning, o->convention, err)) !=
	    CALIB_OK)
		return st;
	if (o->band != CALIB_BAND_NONE)
		return ci_error_set(err, CALIB_E_ARG, s->source, 0, 0, NULL,
		    "a consistency band needs every score of a bin, and a "
		    "summary keeps sums only (use --band none, or run on the "
		    "prediction files)");
	if (!(o->level > 0 && o->level < 1))
		return ci_error_set(err, CALIB_E_ARG, s->source, 0, 0, NULL,
		    "level %g: expected a number strictly between 0 and 1",
		    o->level);
	if ((st = ci_acc_bins(&s->acc, &out->table)) != CALIB_OK)
		return ci_error_set(err, st, s->source, 0, 0, NULL,
		    "out of memory");
	out->level = o->level;
	out->interval = o->interval;
	out->band = CALIB_BAND_NONE;
	out->resamples = o->resamples;
	out->seed = o->seed;
	out->u = calloc((size_t)out->table.m, sizeof(*out->u));
	if (out->u == NULL) {
		calib_reliability_release(out);
		return ci_error_set(err, CALIB_E_NOMEM, s->source, 0, 0, NULL,
		    "out of memory");
	}
	for (j = 0; j < out->table.m; j++) {
		st = ci_bin_uncertainty(&out->table.bin[j],
		    s->set.has_weight ? ci_xsum_round(&s->acc.bw2[j]) : NAN,
		    o, &out->u[j]);
		if (st != CALIB_OK) {
			ci_error_set(err, st, s->source, 0, 0, NULL, "bin %d: no "
			    "interval", j + 1);
			calib_reliability_release(out);
			return st;
		}
		out->u[j].band_lo = out->u[j].band_hi = NAN;
	}
	return CALIB_OK;
}

/* ---- byte format -------------------------------------------------- */

typedef struct wbuf {
	unsigned char *p;
	size_t len, cap;
	int oom;
} wbuf;

static unsigned char *
wb_room(wbuf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->cap - b->len < n) {
		size_t nc = b->cap ? b->cap : 4096;
		unsigned char *q;
		while (nc - b->len < n)
			nc *= 2;
		q = realloc(b->p, nc);
		if (q == NULL) {
			b->oom = 1;
			return NULL;
		}
		b->p = q;
		b->cap = nc;
	}
	return b->p + b->len;
}

static void
wb_u(wbuf *b, uint64_t v, int bytes)
{
	unsigned char *q = wb_room(b, (size_t)bytes);
	int i;

	if (q == NULL)
		return;
	for (i = bytes - 1; i >= 0; i--)
		*q++ = (unsigned char)(v >> (8 * i));
	b->len += (size_t)bytes;
}

static void
wb_f64(wbuf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	wb_u(b, u, 8);
}

static void
wb_x(wbuf *b, const ci_xsum *x)
{
	unsigned char *q = wb_room(b, CI_XSUM_MAX_BYTES);

	if (q != NULL)
		b->len += ci_xsum_encode(x, q);
}

calib_status
calib_summary_encode(const calib_summary *s, unsigned char **buf,
    size_t *len, calib_error *err)
{
	wbuf b = { NULL, 0, 0, 0 };
	const ci_settings *t = &s->set;
	size_t i, n = (size_t)t->k * (size_t)t->bins, present = 0;
	int c, j;

	*buf = NULL;
	*len = 0;
	wb_room(&b, SUM_HEADER);
	if (!b.oom) {
		memcpy(b.p, CALIB_SUMMARY_MAGIC, 8);
		b.len = 8;
	}
	wb_u(&b, CALIB_SUMMARY_VERSION, 4);
	wb_u(&b, 0, 8); /* the length, filled in below */
	wb_u(&b, (uint64_t)t->k, 4);
	for (c = 0; c < t->k; c++) {
		size_t l = strlen(t->class_names[c]);
		unsigned char *q;
		wb_u(&b, l, 4);
		if ((q = wb_room(&b, l)) != NULL) {
			memcpy(q, t->class_names[c], l);
			b.len += l;
		}
	}
	wb_u(&b, (uint64_t)(uint32_t)t->target, 4);
	wb_u(&b, (uint64_t)t->kind, 1);
	wb_u(&b, (uint64_t)t->single_column, 1);
	wb_u(&b, (uint64_t)t->has_weight, 1);
	wb_u(&b, (uint64_t)t->renormalize, 1);
	wb_u(&b, (uint64_t)t->calibrated, 1);
	wb_u(&b, t->model_crc, 4);
	wb_f64(&b, t->temperature);
	wb_f64(&b, t->sum_tol);
	wb_f64(&b, t->nll_clip);
	wb_u(&b, (uint64_t)t->bins, 4);
	wb_u(&b, (uint64_t)t->reps, 4);
	wb_u(&b, (uint64_t)t->seed, 8);
	wb_u(&b, (uint64_t)t->top_only, 1);
	wb_u(&b, (uint64_t)t->ignore_label_set, 1);
	wb_u(&b, (uint64_t)(int64_t)t->ignore_label, 8);
	wb_u(&b, (uint64_t)t->format, 1);
	wb_u(&b, s->acc.n, 8);
	wb_u(&b, s->tied, 8);
	wb_u(&b, s->renormalized, 8);
	wb_u(&b, s->zero_prob, 8);
	wb_u(&b, s->acc.nll_inf, 8);
	wb_u(&b, s->acc.nan_terms, 8);
	wb_u(&b, s->dropped, 8);
	for (j = 0; j < t->bins; j++)
		wb_u(&b, s->acc.count[j], 8);
	wb_x(&b, &s->acc.W);
	wb_x(&b, &s->acc.acc);
	wb_x(&b, &s->acc.score);
	wb_x(&b, &s->acc.outcome);
	wb_x(&b, &s->acc.nll);
	wb_x(&b, &s->acc.brier);
	wb_x(&b, &s->acc.entropy);
	wb_x(&b, &s->acc.btl);
	for (j = 0; j < t->bins; j++) {
		wb_x(&b, &s->acc.bw[j]);
		wb_x(&b, &s->acc.bs[j]);
		wb_x(&b, &s->acc.bo[j]);
		wb_x(&b, &s->acc.bw2[j]);
	}
	for (i = 0; i < n; i++)
		present += s->cw.cell[i] != NULL;
	wb_u(&b, present, 8);
	for (i = 0; i < n; i++)
		if (s->cw.cell[i] != NULL) {
			wb_u(&b, i, 8);
			wb_x(&b, &s->cw.cell[i]->w);
			wb_x(&b, &s->cw.cell[i]->s);
			wb_x(&b, &s->cw.cell[i]->o);
		}
	for (c = 0; c < t->reps; c++) {
		const ci_acc *a = &s->rep[c];
		wb_u(&b, a->n, 8);
		wb_u(&b, a->nll_inf, 8);
		wb_u(&b, a->nan_terms, 8);
		for (j = 0; j < t->bins; j++)
			wb_u(&b, a->count[j], 8);
		wb_x(&b, &a->W);
		wb_x(&b, &a->acc);
		wb_x(&b, &a->score);
		wb_x(&b, &a->outcome);
		wb_x(&b, &a->nll);
		wb_x(&b, &a->brier);
		wb_x(&b, &a->entropy);
		wb_x(&b, &a->btl);
		for (j = 0; j < t->bins; j++) {
			wb_x(&b, &a->bw[j]);
			wb_x(&b, &a->bs[j]);
			wb_x(&b, &a->bo[j]);
			wb_x(&b, &a->bw2[j]);
		}
	}
	wb_room(&b, 4);
	if (b.oom) {
		free(b.p);
		return ci_error_set(err, CALIB_E_NOMEM, s->source, 0, 0, NULL,
		    "out of memory");
	}
	{
		uint64_t total = b.len + 4;
		unsigned long crc;
		for (j = 0; j < 8; j++)
			b.p[12 + j] = (unsigned char)(total >> (8 * (7 - j)));
		crc = crc32(0L, Z_NULL, 0);
		crc = crc32(crc, b.p, (uInt)b.len);
		wb_u(&b, crc, 4);
	}
	*buf = b.p;
	*len = b.len;
	return CALIB_OK;
}

typedef struct rbuf {
	const unsigned char *p, *start, *end;
	const char *what; /* the field being read, for messages */
	int bad;
} rbuf;

static uint64_t
rb_u(rbuf *r, int bytes, const char *what)
{
	uint64_t v = 0;
	int i;

	if (r->bad)
		return 0;
	if (r->end - r->p < bytes) {
		r->bad = 1;
		r->what = what;
		return 0;
	}
	for (i = 0; i < bytes; i++)
		v = (v << 8) | *r->p++;
	return v;
}

static double
rb_f64(rbuf *r, const char *what)
{
	uint64_t u = rb_u(r, 8, what);
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static void
rb_x(rbuf *r, ci_xsum *x, const char *what)
{
	size_t used;

	if (r->bad)
		return;
	used = ci_xsum_decode(x, r->p, r->end);
	if (used == 0) {
		r->bad = 1;
		r->what = what;
		return;
	}
	r->p += used;
}

/* A field out of range: mark and name it. */
static int
rb_fail(rbuf *r, const char *what)
{
	if (!r->bad) {
		r->bad = 1;
		r->what = what;
	}
	return -1;
}

calib_status
calib_summary_decode(const unsigned char *buf, size_t len,
    const char *source, calib_summary **out, calib_error *err)
{
	rbuf r;
	ci_settings t;
	calib_summary *s = NULL;
	uint64_t version, total, stored, cells, prev = 0, i, sum = 0;
	unsigned long crc;
	int c, j;
	const char *src = source ? source : "summary";

	*out = NULL;
	memset(&t, 0, sizeof(t));
	if (len < 8 || memcmp(buf, CALIB_SUMMARY_MAGIC, 8) != 0)
		return ci_error_set(err, CALIB_E_FORMAT, src, 0, 0, NULL,
		    "not a calib summary (it does not start with the "
		    "summary signature)");
	if (len < SUM_HEADER + 4)
		return ci_error_set(err, CALIB_E_FORMAT, src, 0, 0, NULL,
		    "truncated summary: %zu bytes, shorter than its header",
		    len);
	r.start = r.p = buf + 8;
	r.end = buf + len;
	r.bad = 0;
	r.what = NULL;
	version = rb_u(&r, 4, "version");
	total = rb_u(&r, 8, "length");
	if (version != CALIB_SUMMARY_VERSION)
		return ci_error_set(err, CALIB_E_FORMAT, src, 0, 0, NULL,
		    "summary format version %llu, this calib reads version %d",
		    (unsigned long long)version, CALIB_SUMMARY_VERSION);
	if (total != len)
		return ci_error_set(err, CALIB_E_FORMAT, src, 0, 0, NULL,
		    "%s summary: %zu bytes, its header says %llu",
		    total > len ? "truncated" : "overlong", len,
		    (unsigned long long)total);
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, buf, (uInt)(len - 4));
	stored = ((uint64_t)buf[len - 4] << 24) | ((uint64_t)buf[len - 3] << 16) |
	    ((uint64_t)buf[len - 2] << 8) | buf[len - 1];
	if (stored != crc)
		return ci_error_set(err, CALIB_E_FORMAT, src, 0, 0, NULL,
		    "checksum mismatch: the summary is corrupt (CRC-32 %08lx "
		    "stored, %08lx computed)", (unsigned long)stored, crc);
	r.end = buf + len - 4;

	t.k = (int)rb_u(&r, 4, "class count");
	/* 0 classes: a top-label-only file (checked with its flag below). */
	if (!r.bad && (t.k < 0 || t.k > SUM_MAX_K))
		rb_fail(&r, "class count");
	if (!r.bad && (t.class_names = calloc((size_t)t.k + 1,
	    sizeof(char *))) == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, src, 0, 0, NULL,
		    "out of memory");
	for (c = 0; c < t.k && !r.bad; c++) {
		uint64_t l = rb_u(&r, 4, "class name");
		if (r.bad)
			break;
		if (l < 1 || l > SUM_MAX_NAME || (uint64_t)(r.end - r.p) < l ||
		    memchr(r.p, '\0', (size_t)l) != NULL) {
			rb_fail(&r, "class name");
			break;
		}
		if ((t.class_names[c] = malloc((size_t)l + 1)) == NULL) {
			settings_release(&t);
			return ci_error_set(err, CALIB_E_NOMEM, src, 0, 0, NULL,
			    "out of memory");
		}
		memcpy(t.class_names[c], r.p, (size_t)l);
		t.class_names[c][l] = '\0';
		r.p += l;
	}
	t.target = (int)(int32_t)(uint32_t)rb_u(&r, 4, "target");
	if (!r.bad && (t.target < CALIB_TARGET_TOP ||
	    (t.target >= t.k && t.k > 0)))
		rb_fail(&r, "target");
	t.kind = (int)rb_u(&r, 1, "score kind");
	if (!r.bad && t.kind != CALIB_SCORES_PROBS &&
	    t.kind != CALIB_SCORES_LOGITS)
		rb_fail(&r, "score kind");
	t.single_column = (int)rb_u(&r, 1, "score layout");
	t.has_weight = (int)rb_u(&r, 1, "weight flag");
	t.renormalize = (int)rb_u(&r, 1, "renormalize flag");
	t.calibrated = (int)rb_u(&r, 1, "model flag");
	if (!r.bad && (t.single_column > 1 || t.has_weight > 1 ||
	    t.renormalize > 1 || t.calibrated > 1))
		rb_fail(&r, "flags");
	t.model_crc = (uint32_t)rb_u(&r, 4, "model checksum");
	t.temperature = rb_f64(&r, "temperature");
	t.sum_tol = rb_f64(&r, "sum tolerance");
	t.nll_clip = rb_f64(&r, "NLL clip");
	if (!r.bad && (!(t.temperature > 0) || isinf(t.temperature) ||
	    !(t.sum_tol >= 0) || isinf(t.sum_tol) ||
	    !(t.nll_clip >= 0 && t.nll_clip < 0.5)))
		rb_fail(&r, "temperature, sum tolerance or NLL clip");
	t.bins = (int)rb_u(&r, 4, "bins");
	if (!r.bad && (t.bins < 1 || t.bins > SUM_MAX_BINS))
		rb_fail(&r, "bins");
	{
		uint64_t reps = rb_u(&r, 4, "bootstrap replicates");
		if (!r.bad && reps > SUM_MAX_REPS)
			rb_fail(&r, "bootstrap replicates");
		t.reps = (int)reps;
	}
	t.seed = (unsigned long)rb_u(&r, 8, "bootstrap seed");
	t.top_only = (int)rb_u(&r, 1, "top-label-only flag");
	t.ignore_label_set = (int)rb_u(&r, 1, "ignore-label flag");
	t.ignore_label = (long)(int64_t)rb_u(&r, 8, "ignored label");
	t.format = (int)rb_u(&r, 1, "input format");
	if (!r.bad && t.format > 3)
		rb_fail(&r, "input format");
	if (!r.bad && (t.top_only > 1 || t.ignore_label_set > 1 ||
	    (t.k == 0) != (t.top_only == 1)))
		rb_fail(&r, "flags");
	if (!r.bad) {
		/* What the counts and sums below take at the least (a zero
		 * sum is 2 bytes): a short file must not make the decoder
		 * allocate the bins and replicates it claims, so memory
		 * stays proportional to the file's size. */
		uint64_t acc_min = 3 * 8 + 8 * 2 + (uint64_t)t.bins * (8 + 4 * 2);
		uint64_t need = 4 * 8 + acc_min + 8 + (uint64_t)t.reps * acc_min;
		if ((uint64_t)(r.end - r.p) < need)
			rb_fail(&r, "counts and sums (fewer bytes left than "
			    "the bins and replicates need)");
	}
	if (r.bad)
		goto bad;
	if ((s = ci_summary_new(&t, src)) == NULL) {
		settings_release(&t);
		return ci_error_set(err, CALIB_E_NOMEM, src, 0, 0, NULL,
		    "out of memory");
	}
	settings_release(&t);
	s->acc.n = rb_u(&r, 8, "row count");
	s->tied = rb_u(&r, 8, "tie count");
	s->renormalized = rb_u(&r, 8, "renormalized count");
	s->zero_prob = rb_u(&r, 8, "zero-probability count");
	s->acc.nll_inf = rb_u(&r, 8, "infinite-NLL count");
	s->acc.nan_terms = rb_u(&r, 8, "undefined-term count");
	s->dropped = rb_u(&r, 8, "dropped-row count");
	for (j = 0; j < s->set.bins; j++) {
		s->acc.count[j] = rb_u(&r, 8, "bin count");
		if (s->acc.count[j] > s->acc.n - sum)
			rb_fail(&r, "bin count");
		sum += s->acc.count[j];
	}
	if (!r.bad && (sum != s->acc.n || s->tied > s->acc.n ||
	    s->renormalized > s->acc.n || s->zero_prob > s->acc.n ||
	    s->acc.nll_inf > s->acc.n || s->acc.nan_terms > s->acc.n))
		rb_fail(&r, "row counts");
	rb_x(&r, &s->acc.W, "total weight");
	rb_x(&r, &s->acc.acc, "accuracy sum");
	rb_x(&r, &s->acc.score, "score sum");
	rb_x(&r, &s->acc.outcome, "outcome sum");
	rb_x(&r, &s->acc.nll, "NLL sum");
	rb_x(&r, &s->acc.brier, "Brier sum");
	rb_x(&r, &s->acc.entropy, "entropy sum");
	rb_x(&r, &s->acc.btl, "top-label Brier sum");
	for (j = 0; j < s->set.bins && !r.bad; j++) {
		rb_x(&r, &s->acc.bw[j], "bin weight");
		rb_x(&r, &s->acc.bs[j], "bin score sum");
		rb_x(&r, &s->acc.bo[j], "bin outcome sum");
		rb_x(&r, &s->acc.bw2[j], "bin squared-weight sum");
	}
	cells = rb_u(&r, 8, "classwise cell count");
	if (!r.bad && cells > (uint64_t)s->set.k * (uint64_t)s->set.bins)
		rb_fail(&r, "classwise cell count");
	for (i = 0; i < cells && !r.bad; i++) {
		uint64_t at = rb_u(&r, 8, "classwise cell index");
		ci_cwcell *x;
		if (r.bad)
			break;
		if (at >= (uint64_t)s->set.k * (uint64_t)s->set.bins ||
		    (i > 0 && at <= prev)) {
			rb_fail(&r, "classwise cell index");
			break;
		}
		prev = at;
		if ((x = cell_get(&s->cw, (size_t)at)) == NULL) {
			calib_summary_free(s);
			return ci_error_set(err, CALIB_E_NOMEM, src, 0, 0, NULL,
			    "out of memory");
		}
		rb_x(&r, &x->w, "classwise weight");
		rb_x(&r, &x->s, "classwise score sum");
		rb_x(&r, &x->o, "classwise outcome sum");
	}
	for (c = 0; c < s->set.reps && !r.bad; c++) {
		ci_acc *a = &s->rep[c];
		uint64_t tot = 0;
		a->n = rb_u(&r, 8, "replicate row count");
		a->nll_inf = rb_u(&r, 8, "replicate infinite-NLL count");
		a->nan_terms = rb_u(&r, 8, "replicate undefined-term count");
		for (j = 0; j < s->set.bins && !r.bad; j++) {
			a->count[j] = rb_u(&r, 8, "replicate bin count");
			if (a->count[j] > a->n - tot)
				rb_fail(&r, "replicate bin count");
			tot += a->count[j];
		}
		if (!r.bad && (tot != a->n || a->nll_inf > a->n ||
		    a->nan_terms > a->n))
			rb_fail(&r, "replicate row counts");
		rb_x(&r, &a->W, "replicate total weight");
		rb_x(&r, &a->acc, "replicate accuracy sum");
		rb_x(&r, &a->score, "replicate score sum");
		rb_x(&r, &a->outcome, "replicate outcome sum");
		rb_x(&r, &a->nll, "replicate NLL sum");
		rb_x(&r, &a->brier, "replicate Brier sum");
		rb_x(&r, &a->entropy, "replicate entropy sum");
		rb_x(&r, &a->btl, "replicate top-label Brier sum");
		for (j = 0; j < s->set.bins && !r.bad; j++) {
			rb_x(&r, &a->bw[j], "replicate bin weight");
			rb_x(&r, &a->bs[j], "replicate bin score sum");
			rb_x(&r, &a->bo[j], "replicate bin outcome sum");
			rb_x(&r, &a->bw2[j], "replicate bin squared weight");
		}
	}
	if (!r.bad && r.p != r.end)
		rb_fail(&r, "end of data (bytes left over)");
	if (r.bad)
		goto bad;
	*out = s;
	return CALIB_OK;
bad:
	{
		long at = (long)(r.p - buf);
		settings_release(&t);
		calib_summary_free(s);
		return ci_error_set(err, CALIB_E_FORMAT, src, 0, 0, NULL,
		    "corrupt summary: bad or missing %s near byte %ld",
		    r.what ? r.what : "field", at);
	}
}

calib_status
calib_summary_load(const char *path, calib_summary **out, calib_error *err)
{
	char *buf;
	size_t len;
	calib_status st;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no file given");
	if ((st = ci_read_all(path, (size_t)SUM_MAX_FILE, "summary", &buf,
	    &len, err)) != CALIB_OK)
		return st;
	st = calib_summary_decode((const unsigned char *)buf, len,
	    strcmp(path, "-") == 0 ? "<stdin>" : path, out, err);
	free(buf);
	return st;
}

int
calib_summary_sniff(const char *path)
{
	unsigned char m[8];
	struct stat sb;
	ssize_t r;
	size_t got = 0;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	/* Only a regular file can be looked at and then read again: a pipe
	 * (mkfifo, bash's <(...)) would lose the bytes read here, and the
	 * prediction reader would start in the middle of the file.  Not even
	 * opened: opening a FIFO's read end and closing it again would let
	 * its writer in, only to fail its first write. */
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	while (got < sizeof(m)) {
		r = read(fd, m + got, sizeof(m) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got == sizeof(m) && memcmp(m, CALIB_SUMMARY_MAGIC, 8) == 0;
}

/* ---- the Poisson bootstrap of summaries --------------------------- */

void
calib_summary_options_init(calib_summary_options *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 20191206;
}

calib_status
calib_summary_bootstrap(const calib_summary *const *runs, int nruns,
    const calib_metric_options *o, calib_bootstrap *out, calib_error *err)
{
	calib_status st;
	int r, j, reps;

	memset(out, 0, sizeof(*out));
	if (runs == NULL || nruns < 1 || o == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "need at least one summary");
	reps = runs[0]->set.reps;
	for (r = 1; r < nruns; r++)
		if (runs[r]->acc.n != runs[0]->acc.n) /* worded as on rows */
			return ci_error_set(err, CALIB_E_MISMATCH,
			    runs[r]->source, 0, 0, NULL, "has %llu rows but "
			    "'%s' has %llu (rows are paired by position, so "
			    "both must hold the same test examples)",
			    (unsigned long long)runs[r]->acc.n,
			    runs[0]->source,
			    (unsigned long long)runs[0]->acc.n);
		else if (runs[r]->set.reps != reps ||
		    runs[r]->set.seed != runs[0]->set.seed ||
		    runs[r]->acc.n != runs[0]->acc.n)
			return ci_error_set(err, CALIB_E_MISMATCH,
			    runs[r]->source, 0, 0, NULL, "cannot be paired "
			    "with '%s': %llu rows, %d replicates, seed %lu "
			    "against %llu rows, %d replicates, seed %lu",
			    runs[0]->source,
			    (unsigned long long)runs[r]->acc.n,
			    runs[r]->set.reps, runs[r]->set.seed,
			    (unsigned long long)runs[0]->acc.n, reps,
			    runs[0]->set.seed);
	out->runs = nruns;
	out->replicates = reps;
	out->point = calloc((size_t)nruns, sizeof(*out->point));
	out->rep = calloc((size_t)nruns * (size_t)(reps ? reps : 1),
	    sizeof(*out->rep));
	if (out->point == NULL || out->rep == NULL) {
		calib_bootstrap_release(out);
		return ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
		    "out of memory");
	}
	for (r = 0; r < nruns; r++) {
		if ((st = calib_summary_metrics(runs[r], o, &out->point[r],
		    err)) != CALIB_OK) {
			calib_bootstrap_release(out);
			return st;
		}
		for (j = 0; j < reps; j++)
			if ((st = ci_summary_eval(&runs[r]->rep[j],
			    runs[r]->set.k, NULL, o, &out->rep[(size_t)r *
			    (size_t)reps + (size_t)j], runs[r]->source, err)) !=
			    CALIB_OK) {
				calib_bootstrap_release(out);
				return st;
			}
	}
	return CALIB_OK;
}

/* ---- settings from a reader, and summaries of rows in memory ------- */

void
ci_summary_settings(ci_settings *t, const ci_layout *L,
    const calib_read_options *o, const calib_metric_options *mo,
    const calib_summary_options *so)
{
	memset(t, 0, sizeof(*t));
	t->k = L->k;
	t->class_names = L->class_names;
	t->target = o->target;
	t->kind = (int)L->kind;
	t->single_column = L->single_column;
	t->has_weight = L->has_weight;
	t->temperature = o->temperature;
	t->calibrated = o->calibrate != NULL;
	t->sum_tol = o->sum_tol;
	t->renormalize = o->renormalize != 0;
	t->bins = mo->bins;
	t->nll_clip = mo->nll_clip;
	t->reps = so ? so->replicates : 0;
	t->seed = t->reps > 0 ? so->seed : 0;
	t->top_only = L->top_only;
	if (t->top_only) { /* as calib_read() leaves it: no classes */
		t->k = 0;
		t->class_names = NULL;
		t->single_column = 0;
	}
	t->ignore_label_set = o->ignore_label_set != 0;
	t->ignore_label = o->ignore_label_set ? o->ignore_label : 0;
}

calib_status
ci_summary_model(ci_settings *t, const calib_read_options *o,
    calib_error *err)
{
	char *text = NULL;
	calib_status st;

	if (o->calibrate == NULL)
		return CALIB_OK;
	if ((st = calib_model_format(o->calibrate, &text, err)) != CALIB_OK)
		return st;
	t->model_crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0),
	    (const Bytef *)text, (uInt)strlen(text));
	free(text);
	return CALIB_OK;
}

calib_status
ci_summary_from_preds(const calib_preds *p, const calib_read_options *o,
    const calib_metric_options *mo, const calib_summary_options *so,
    calib_summary **out, calib_error *err)
{
	ci_layout L;
	ci_settings t;
	calib_summary *s;
	calib_status st;
	size_t i;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.k = p->k;
	L.class_names = p->class_names;
	L.kind = p->kind;
	L.single_column = p->single_column;
	L.has_weight = p->weight != NULL;
	L.top_only = p->top_only;
	ci_summary_settings(&t, &L, o, mo, so);
	t.target = p->target;
	t.format = p->format == NULL ? 0 : strcmp(p->format, "npy") == 0 ? 1 :
	    strcmp(p->format, "npz") == 0 ? 2 : 0;
	if ((st = ci_summary_model(&t, o, err)) != CALIB_OK)
		return st;
	if ((s = ci_summary_new(&t, p->source)) == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0, NULL,
		    "out of memory");
	ci_acc_add_preds(&s->acc, p);
	for (i = 0; i < p->n && t.reps > 0; i++)
		ci_acc_row_replicates(s->rep, t.reps, t.seed, so->first_row + i,
		    p->score[i], p->outcome[i], p->pred[i] == p->label[i],
		    p->weight ? p->weight[i] : 1.0, p->nll ? p->nll[i] : NAN,
		    p->brier ? p->brier[i] : NAN,
		    p->entropy ? p->entropy[i] : NAN);
	if (!p->top_only && p->probs != NULL) {
		for (i = 0; i < p->n; i++)
			ci_cwx_add(&s->cw, p->probs + i * (size_t)p->k,
			    p->label[i], p->weight ? p->weight[i] : 1.0);
		if (s->cw.oom) {
			calib_summary_free(s);
			return ci_error_set(err, CALIB_E_NOMEM, p->source, 0, 0,
			    NULL, "out of memory");
		}
	}
	s->tied = p->tied_rows;
	s->renormalized = p->renormalized_rows;
	s->zero_prob = p->zero_prob_rows;
	s->dropped = p->dropped_rows;
	s->index_column = p->index_column;
	*out = s;
	return CALIB_OK;
}
