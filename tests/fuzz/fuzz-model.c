/*
 * fuzz-model.c - libFuzzer target for the model-file parser.  Every input
 * either fails with a located error or gives a model that (1) formats to a
 * text that parses back to a model formatting to the same text, and (2)
 * applied to rows of extreme logits gives finite probabilities in [0, 1]
 * summing to 1, and finite metrics apart from an infinite NLL.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "fuzz.h"

/* Logits a model must survive: huge, tiny, tied and ordinary. */
static const double logit_pool[] = {
	0, 1, -1, 2.5, -7, 700, -700, 1e300, -1e300, 1e-300, DBL_MAX / 2, -DBL_MAX,
	3, 3, 0.5
};

static void
apply_check(const calib_model *m)
{
	enum { ROWS = 9 };
	const int k = calib_model_classes(m);
	const size_t np = sizeof(logit_pool) / sizeof(*logit_pool);
	calib_read_options ro;
	calib_metric_options mo;
	calib_metrics met;
	calib_preds *p = NULL;
	calib_error err;
	double *z;
	const char *names[64];
	int32_t labels[ROWS];
	size_t i, c;

	if (k < 2 || k > 64)
		return;
	z = malloc((size_t)ROWS * (size_t)k * sizeof(*z));
	if (z == NULL)
		return;
	for (c = 0; c < (size_t)k; c++)
		names[c] = calib_model_class_name(m, (int)c);
	for (i = 0; i < ROWS; i++) {
		labels[i] = (int32_t)(i % (size_t)k);
		for (c = 0; c < (size_t)k; c++)
			z[i * (size_t)k + c] = logit_pool[(i * 7 + c * 3) % np];
	}
	calib_read_options_init(&ro);
	ro.kind = CALIB_SCORES_LOGITS;
	ro.keep = CALIB_KEEP_PROBS;
	ro.calibrate = m;
	/* the rows have the model's classes */
	ro.classes = names;
	ro.nclasses = k;
	if (calib_preds_from_arrays("fuzz", ROWS, k, z, labels, NULL, &ro, &p,
	    &err) != CALIB_OK) {
		/* a valid model on valid logits must apply */
		fprintf(stderr, "apply failed: %s\n", err.message);
		abort();
	}
	for (i = 0; i < ROWS; i++) {
		double sum = 0;
		for (c = 0; c < (size_t)k; c++) {
			double q = p->probs[i * (size_t)k + c];
			FUZZ_ASSERT(q >= 0 && q <= 1);
			sum += q;
		}
		FUZZ_ASSERT(fabs(sum - 1) < 1e-9);
		FUZZ_ASSERT(isfinite(p->score[i]) && isfinite(p->brier[i]) &&
		    isfinite(p->entropy[i]) && !isnan(p->nll[i]));
	}
	calib_metric_options_init(&mo);
	FUZZ_ASSERT(calib_metrics_compute(p, &mo, NULL, &met) == CALIB_OK);
	FUZZ_ASSERT(isfinite(met.ece) && isfinite(met.accuracy) &&
	    isfinite(met.brier) && !isnan(met.nll));
	calib_preds_free(p);
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	calib_model *m = NULL, *m2 = NULL;
	calib_error err;
	char *t1 = NULL, *t2 = NULL;

	if (calib_model_parse((const char *)data, size, "fuzz", &m, &err) !=
	    CALIB_OK) {
		FUZZ_ASSERT(m == NULL && err.status != CALIB_OK &&
		    err.message[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(calib_model_format(m, &t1, &err) == CALIB_OK);
	if (calib_model_parse(t1, strlen(t1), "fuzz-again", &m2, &err) !=
	    CALIB_OK) {
		fprintf(stderr, "formatted model does not parse: %s:%lu: %s\n%s",
		    err.file, err.line, err.message, t1);
		abort();
	}
	FUZZ_ASSERT(calib_model_format(m2, &t2, &err) == CALIB_OK);
	FUZZ_ASSERT(strcmp(t1, t2) == 0);
	apply_check(m);
	free(t1);
	free(t2);
	calib_model_free(m);
	calib_model_free(m2);
	return 0;
}
