/*
 * differs.h - what the reader fuzz targets compare: every value of two
 * calib_preds that the metrics can see, to the bit.
 */
#ifndef CALIB_FUZZ_DIFFERS_H
#define CALIB_FUZZ_DIFFERS_H

#include <string.h>

#include "calib.h"

static int
same(const void *a, const void *b, size_t bytes)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a, b, bytes) == 0;
}

/* What differs between two results, or NULL: every bit the metrics see. */
static const char *
fuzz_differs(const calib_preds *a, const calib_preds *b)
{
	size_t n = a->n, nk = a->n * (size_t)a->k, cells;
	int i;

	if (a->n != b->n || a->k != b->k || a->kind != b->kind ||
	    a->single_column != b->single_column)
		return "shape";
	for (i = 0; i < a->k; i++)
		if (strcmp(a->class_names[i], b->class_names[i]) != 0)
			return "class names";
	if (!same(a->score, b->score, n * sizeof(double)) ||
	    !same(a->outcome, b->outcome, n) ||
	    !same(a->label, b->label, n * sizeof(int32_t)) ||
	    !same(a->pred, b->pred, n * sizeof(int32_t)) ||
	    !same(a->weight, b->weight, n * sizeof(double)))
		return "per-row values";
	if (!same(a->nll, b->nll, n * sizeof(double)) ||
	    !same(a->brier, b->brier, n * sizeof(double)) ||
	    !same(a->entropy, b->entropy, n * sizeof(double)))
		return "per-row terms";
	if (!same(a->probs, b->probs, nk * sizeof(double)) ||
	    !same(a->logits, b->logits, nk * sizeof(double)))
		return "kept matrices";
	cells = (size_t)a->k * (size_t)a->classwise.bins;
	if (a->classwise.bins != b->classwise.bins ||
	    !same(a->classwise.weight, b->classwise.weight,
	    cells * sizeof(double)) ||
	    !same(a->classwise.sum_score, b->classwise.sum_score,
	    cells * sizeof(double)) ||
	    !same(a->classwise.sum_outcome, b->classwise.sum_outcome,
	    cells * sizeof(double)))
		return "classwise sums";
	if (!same(&a->total_weight, &b->total_weight, sizeof(double)) ||
	    a->tied_rows != b->tied_rows ||
	    a->renormalized_rows != b->renormalized_rows ||
	    a->zero_prob_rows != b->zero_prob_rows ||
	    a->dropped_rows != b->dropped_rows || a->top_only != b->top_only)
		return "totals";
	return NULL;
}

#endif /* CALIB_FUZZ_DIFFERS_H */
