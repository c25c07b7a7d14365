/*
 * row.c - from one row's raw scores to the numbers the metrics need.
 *
 * The file reader and calib_preds_from_arrays() both end here, so a row
 * gives the same doubles however it arrived.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "recal-map.h"

static uint64_t
name_hash(const char *s, size_t len)
{
	uint64_t h = UINT64_C(1469598103934665603);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* A name that reads as a number to a person ("7", also "007"). */
static int
is_index_text(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/*
 * Class names are looked up once per row, so they go in a small hash table.
 * Labels may be indices when that cannot be confused with a name: either
 * the names are exactly "0".."K-1" in order, or no name looks like an index.
 */
int
ci_layout_build_names(ci_layout *L)
{
	size_t size = 16, i;
	int canonical = 1, any_index = 0;

	while (size < (size_t)L->k * 2)
		size *= 2;
	L->name_slots = malloc(size * sizeof(*L->name_slots));
	if (L->name_slots == NULL)
		return -1;
	for (i = 0; i < size; i++)
		L->name_slots[i] = -1;
	L->name_mask = size - 1;
	for (i = 0; i < (size_t)L->k; i++) {
		const char *nm = L->class_names[i];
		size_t len = strlen(nm), h = (size_t)name_hash(nm, len);
		char want[24];

		while (L->name_slots[h & L->name_mask] >= 0)
			h++;
		L->name_slots[h & L->name_mask] = (int)i;
		snprintf(want, sizeof(want), "%zu", i);
		if (strcmp(want, nm) != 0)
			canonical = 0;
		if (is_index_text(nm))
			any_index = 1;
	}
	L->integer_labels = canonical || !any_index;
	return 0;
}

/* Class index of a label field, or -1 when it names no class. */
int
ci_label_lookup(const ci_layout *L, const char *s, size_t len)
{
	long v;
	size_t h;

	if (L->integer_labels && ci_parse_index(s, len, &v))
		return v < L->k ? (int)v : -1;
	if (L->name_slots == NULL)
		return -1;
	for (h = (size_t)name_hash(s, len);; h++) {
		int c = L->name_slots[h & L->name_mask];
		if (c < 0)
			return -1;
		if (strlen(L->class_names[c]) == len &&
		    memcmp(L->class_names[c], s, len) == 0)
			return c;
	}
}

void
ci_layout_release(ci_layout *L)
{
	int i;

	if (L->class_names != NULL)
		for (i = 0; i < L->k; i++)
			free(L->class_names[i]);
	free(L->class_names);
	free(L->name_slots);
	memset(L, 0, sizeof(*L));
}

static int
argmax(const double *v, int k, int *tied)
{
	int best = 0, i, ties = 0;

	for (i = 1; i < k; i++) {
		if (v[i] > v[best]) {
			best = i;
			ties = 0;
		} else if (v[i] == v[best]) {
			ties = 1;
		}
	}
	*tied = ties;
	return best;
}

double
ci_softmax(const double *z, int k, double *p, int *top, int *tied)
{
	double m, S = 0;
	int i, t, tie;

	t = argmax(z, k, &tie);
	m = z[t];
	/* Every exp() is <= 1, so nothing overflows and the largest term is
	 * exactly 1. */
	for (i = 0; i < k; i++) {
		p[i] = exp(z[i] - m);
		S += p[i];
	}
	for (i = 0; i < k; i++)
		p[i] /= S;
	*top = t;
	if (tied != NULL)
		*tied = tie;
	return log(S);
}

/*
 * The checks of a row of probabilities used as given (no temperature, no
 * model): the range check, the plain sum and argmax() in one pass, with
 * the margin explained in ci_row_finish().  argmax without branches:
 * which class is larger is as good as random, and a mispredicted branch
 * costs more than the selects.  Returns -1 for a row that fails them: the
 * general path then finishes it or says what is wrong.
 */
static int
given_checks(int k, const calib_read_options *o, const double *x, int *top,
    int *tie)
{
	double plain, bv;
	int i, pred = 0, tied = 0;

	if (!(x[0] >= 0 && x[0] <= 1))
		return -1;
	plain = bv = x[0];
	for (i = 1; i < k; i++) {
		double v = x[i];
		int gt = v > bv;
		if (!(v >= 0 && v <= 1))
			return -1;
		plain += v;
		tied = gt ? 0 : (tied | (v == bv));
		pred = gt ? i : pred;
		bv = gt ? v : bv;
	}
	if (!(fabs(plain - 1) + 4.0 * k * DBL_EPSILON * plain <= o->sum_tol))
		return -1;
	*top = pred;
	*tie = tied;
	return 0;
}

/* What every row of probabilities used as given gets but the row terms. */
static void
given_row(int k, const calib_read_options *o, const double *x, int32_t label,
    double weight, int pred, int tied, double *probs, ci_row *r)
{
	if (probs != NULL)
		memcpy(probs, x, (size_t)k * sizeof(*probs));
	r->p = probs != NULL ? probs : x;
	r->label = label;
	r->pred = pred;
	r->weight = weight;
	r->tied = tied;
	r->renormalized = 0;
	r->zero_prob = !(x[label] > 0);
	if (o->target == CALIB_TARGET_TOP) {
		r->score = x[pred];
		r->outcome = pred == label;
	} else {
		r->score = x[o->target];
		r->outcome = label == o->target;
	}
}

/*
 * The common row: probabilities used as given that pass given_checks(),
 * finished by the same operations in the same order as the general path,
 * without its copies and tests.  Returns -1, having written nothing, for
 * any other row.
 */
static int
row_as_given(int k, const calib_read_options *o, const double *x,
    int32_t label, double weight, ci_row *r, double *probs, double *logits,
    double *lp)
{
	double ent = 0, brier = 0, d;
	int i, pred, tied;

	if (given_checks(k, o, x, &pred, &tied) != 0)
		return -1;
	/* The logs first, independent of one another, then the sums in the
	 * general path's order. */
	for (i = 0; i < k; i++)
		lp[i] = log(x[i]);
	for (i = 0; i < k; i++) {
		if (x[i] > 0)
			ent -= x[i] * lp[i];
		d = x[i] - (i == label ? 1.0 : 0.0);
		brier += d * d;
	}
	if (logits != NULL)
		for (i = 0; i < k; i++)
			logits[i] = lp[i];
	given_row(k, o, x, label, weight, pred, tied, probs, r);
	/* -ln p_y is finite for every p_y > 0, subnormals included */
	r->nll = r->zero_prob ? INFINITY : -lp[label];
	r->brier = brier;
	r->entropy = ent > 0 ? ent : 0;
	return 0;
}

/*
 * row_as_given() for a read that keeps neither the row terms
 * (CALIB_OMIT_ROW_TERMS) nor the logits: the same checks and top-label
 * numbers, without the logs, the entropy and the Brier term.  The NLL is
 * only told apart as infinite (p_y = 0) or not, for the count of such
 * rows.
 */
static int
row_no_terms(int k, const calib_read_options *o, const double *x,
    int32_t label, double weight, ci_row *r, double *probs)
{
	int pred, tied;

	if (given_checks(k, o, x, &pred, &tied) != 0)
		return -1;
	given_row(k, o, x, label, weight, pred, tied, probs, r);
	r->nll = r->zero_prob ? INFINITY : NAN;
	r->brier = r->entropy = NAN;
	return 0;
}

int
ci_row_finish(const ci_layout *L, const calib_read_options *o, double *x,
    int32_t label, double weight, ci_row *r, double *probs, double *logits,
    double *work, ci_row_problem *pb)
{
	const int k = L->k;
	const double T = o->temperature;
	const calib_model *M = o->calibrate;
	double *p = work, *z = work + k;
	double nll, ent, d, brier = 0;
	int i, pred, tied, from_probs, as_given = 0;

	pb->sum = NAN;
	if (L->no_terms && logits == NULL && !L->top_only &&
	    !L->single_column && L->kind == CALIB_SCORES_PROBS && T == 1 &&
	    M == NULL && row_no_terms(k, o, x, label, weight, r, probs) == 0)
		return 0;
	if (!L->top_only && !L->single_column &&
	    L->kind == CALIB_SCORES_PROBS && T == 1 && M == NULL &&
	    row_as_given(k, o, x, label, weight, r, probs, logits, work) == 0)
		return 0;
	memset(r, 0, sizeof(*r));
	if (L->top_only) {
		/* Only the top label's confidence and correctness: the
		 * per-row terms of the full vector do not exist. */
		if (!(x[0] >= 0 && x[0] <= 1)) {
			pb->cls = 0;
			snprintf(pb->message, sizeof(pb->message),
			    "confidence %.17g is outside [0, 1]", x[0]);
			return -1;
		}
		if (x[1] != 0 && x[1] != 1) {
			pb->cls = 1;
			snprintf(pb->message, sizeof(pb->message),
			    "correct is %.17g (expected 0 or 1)", x[1]);
			return -1;
		}
		r->score = x[0];
		r->outcome = x[1] == 1;
		r->label = 0;
		r->pred = x[1] == 1 ? 0 : 1;
		r->weight = weight;
		r->nll = r->brier = r->entropy = NAN;
		return 0;
	}
	if (L->single_column) {
		double v = x[0];
		if (L->kind == CALIB_SCORES_PROBS) {
			if (!(v >= 0 && v <= 1)) {
				pb->cls = 0;
				snprintf(pb->message, sizeof(pb->message),
				    "probability %.17g is outside [0, 1]", v);
				return -1;
			}
			p[0] = 1 - v;
			p[1] = v;
		} else {
			z[0] = 0;
			z[1] = v;
		}
	} else if (L->kind == CALIB_SCORES_PROBS) {
		ci_sum s = { 0, 0 };
		double sum, plain = 0;
		for (i = 0; i < k; i++) {
			if (!(x[i] >= 0 && x[i] <= 1)) {
				pb->cls = i;
				snprintf(pb->message, sizeof(pb->message),
				    "probability %.17g is outside [0, 1]", x[i]);
				return -1;
			}
			plain += x[i];
		}
		/* The plain sum of k terms in [0, 1] is within (k - 1) u
		 * plain of the exact one and the compensated sum within
		 * 2 u of it, so a row passing with a 4 k eps margin passes
		 * the compensated check too, whose value is then unused.
		 * Only the rest pay for the compensated sum. */
		if (fabs(plain - 1) + 4.0 * k * DBL_EPSILON * plain <=
		    o->sum_tol)
			sum = 1;
		else {
			for (i = 0; i < k; i++)
				ci_sum_add(&s, x[i]);
			sum = ci_sum_get(&s);
		}
		if (fabs(sum - 1) > o->sum_tol) {
			if (!o->renormalize || !(sum > 0)) {
				pb->cls = -1;
				snprintf(pb->message, sizeof(pb->message),
				    "probabilities sum to %.17g, expected 1 "
				    "within %g%s", sum, o->sum_tol,
				    o->renormalize ? " (a zero row cannot be "
				    "renormalized)" : " (give --renormalize to "
				    "rescale, or --sum-tol X)");
				if (!o->renormalize)
					pb->sum = sum;
				return -1;
			}
			for (i = 0; i < k; i++)
				p[i] = x[i] / sum;
			r->renormalized = 1;
		} else {
			memcpy(p, x, (size_t)k * sizeof(*p));
		}
	} else {
		int any = 0;
		for (i = 0; i < k; i++)
			any |= x[i] > -INFINITY;
		if (!any) {
			/* -inf masks a class; with every class masked the
			 * softmax has no answer. */
			pb->cls = -1;
			snprintf(pb->message, sizeof(pb->message), "every "
			    "logit is -inf (expected at least one finite "
			    "logit; -inf masks a class)");
			return -1;
		}
		memcpy(z, x, (size_t)k * sizeof(*z));
	}

	if (L->kind == CALIB_SCORES_PROBS && T == 1 && M == NULL) {
		/* Probabilities used as given: no exp/log round trip. */
		from_probs = as_given = 1;
	} else {
		if (L->kind == CALIB_SCORES_PROBS)
			for (i = 0; i < k; i++)
				z[i] = log(p[i]);
		if (logits != NULL)
			memcpy(logits, z, (size_t)k * sizeof(*z));
		if (M != NULL && !ci_model_maps_logits(M)) {
			int top;
			ci_softmax(z, k, p, &top, NULL);
			ci_model_probs(M, p, top);
			from_probs = 1;
		} else {
			if (M != NULL)
				ci_model_logits(M, z);
			else if (T != 1)
				ci_divide_logits(z, k, T);
			/* A tiny temperature can overflow a logit to +inf,
			 * and inf - inf would poison the softmax. */
			for (i = 0; i < k; i++)
				if (z[i] > DBL_MAX)
					z[i] = DBL_MAX;
			from_probs = 0;
		}
	}
	if (from_probs) {
		double lp, lpy = -INFINITY;
		pred = argmax(p, k, &tied);
		/* One log() per class serves the entropy, ln p_y and the kept
		 * logits alike (log() is most of a row's cost). */
		ent = 0;
		for (i = 0; i < k; i++) {
			lp = log(p[i]);
			if (i == label)
				lpy = lp;
			if (as_given && logits != NULL)
				logits[i] = lp;
			if (p[i] > 0)
				ent -= p[i] * lp;
			d = p[i] - (i == label ? 1.0 : 0.0);
			brier += d * d;
		}
		nll = p[label] > 0 ? -lpy : INFINITY;
	} else {
		double m, lse, zy;
		lse = ci_softmax(z, k, p, &pred, &tied);
		m = z[pred];
		/* ln p_y from the logits directly: stays finite where p_y
		 * itself underflows to 0. */
		zy = z[label] - m;
		nll = isinf(zy) ? INFINITY : lse - zy;
		ent = lse;
		for (i = 0; i < k; i++) {
			if (p[i] > 0)
				ent -= p[i] * (z[i] - m);
			d = p[i] - (i == label ? 1.0 : 0.0);
			brier += d * d;
		}
	}
	if (probs != NULL)
		memcpy(probs, p, (size_t)k * sizeof(*p));
	r->p = probs != NULL ? probs : p;

	r->label = label;
	r->pred = pred;
	r->weight = weight;
	r->tied = tied;
	r->nll = nll;
	r->zero_prob = isinf(nll);
	r->brier = brier;
	r->entropy = ent > 0 ? ent : 0;
	if (o->target == CALIB_TARGET_TOP) {
		r->score = p[pred];
		r->outcome = pred == label;
	} else {
		r->score = p[o->target];
		r->outcome = label == o->target;
	}
	return 0;
}
