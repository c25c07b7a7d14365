/*
 * t-metrics.c - every metric against values worked out by hand.
 * The arithmetic is written next to each expectation.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "tap.h"

static calib_preds *
make(size_t n, int k, const double *x, const int32_t *y, const double *w,
    const calib_read_options *o)
{
	calib_preds *p = NULL;
	calib_error err;

	if (calib_preds_from_arrays("t", n, k, x, y, w, o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays failed: %s", err.message);
	return p;
}

static calib_metrics
metrics(const calib_preds *p, int bins, calib_binning binning, double clip)
{
	calib_metric_options mo;
	calib_metrics m;

	calib_metric_options_init(&mo);
	mo.bins = bins;
	mo.binning = binning;
	mo.nll_clip = clip;
	memset(&m, 0, sizeof(m));
	if (calib_metrics_compute(p, &mo, NULL, &m) != CALIB_OK)
		diag("metrics failed");
	return m;
}

/*
 * Five rows, three classes, M = 5 bins (0,.2] (.2,.4] (.4,.6] (.6,.8] (.8,1]:
 *   row  p                   y  yhat  c     correct  bin
 *   1    .9   .05  .05       0  0     .9    1        5
 *   2    .85  .1   .05       1  0     .85   0        5
 *   3    .3   .5   .2        1  1     .5    1        3
 *   4    .45  .35  .2        2  0     .45   0        3
 *   5    .2   .7   .1        1  1     .7    1        4
 */
static const double A[] = {
	.9, .05, .05,
	.85, .1, .05,
	.3, .5, .2,
	.45, .35, .2,
	.2, .7, .1,
};
static const int32_t Ay[] = { 0, 1, 1, 2, 1 };

static void
test_multiclass(void)
{
	calib_read_options o;
	calib_preds *p;
	calib_metrics m;
	double ent;

	calib_read_options_init(&o);
	o.classwise_bins = 5;
	p = make(5, 3, A, Ay, NULL, &o);
	m = metrics(p, 5, CALIB_BIN_WIDTH, 0);
	is_int((long long)m.n, 5, "n");
	is_int(m.classes, 3, "K");
	/* 3 of 5 correct */
	near(m.accuracy, 0.6, 1e-15, "accuracy = 3/5");
	/* (.9 + .85 + .5 + .45 + .7) / 5 = 3.4 / 5 */
	near(m.mean_confidence, 0.68, 1e-15, "mean confidence = 3.4/5");
	near(m.overconfidence, 0.08, 1e-15, "overconfidence = .68 - .6");
	/* bin 5: conf .875 acc .5 gap .375 (2 rows); bin 3: conf .475 acc .5
	 * gap .025 (2 rows); bin 4: conf .7 acc 1 gap .3 (1 row)
	 * ECE = (2*.375 + 2*.025 + .3) / 5 = 1.1 / 5 */
	near(m.ece, 0.22, 1e-15, "ECE = 1.1/5");
	near(m.mce, 0.375, 1e-15, "MCE = .375");
	/* RMSCE = sqrt((2*.140625 + 2*.000625 + .09) / 5) = sqrt(.0745) */
	near(m.rmsce, sqrt(0.0745), 1e-15, "RMSCE = sqrt(.0745)");
	/* OE: only bin 5 has conf > acc: (2/5) * .875 * .375 = .13125 */
	near(m.oe, 0.13125, 1e-15, "OE = .13125");
	/* NLL = -ln(.9 * .1 * .5 * .2 * .7) / 5 = -ln(.0063) / 5 */
	near(m.nll, -log(0.0063) / 5, 1e-14, "NLL = -ln(.0063)/5");
	/* Brier rows: .015, 1.535, .38, .965, .14; sum 3.035 */
	near(m.brier, 3.035 / 5, 1e-15, "Brier = 3.035/5");
	near(m.brier_per_class, 3.035 / 15, 1e-15, "Brier/K = 3.035/15");
	ent = -(0.9 * log(0.9) + 2 * 0.05 * log(0.05)) -
	    (0.85 * log(0.85) + 0.1 * log(0.1) + 0.05 * log(0.05)) -
	    (0.3 * log(0.3) + 0.5 * log(0.5) + 0.2 * log(0.2)) -
	    (0.45 * log(0.45) + 0.35 * log(0.35) + 0.2 * log(0.2)) -
	    (0.2 * log(0.2) + 0.7 * log(0.7) + 0.1 * log(0.1));
	near(m.entropy, ent / 5, 1e-15, "entropy = mean of -sum p ln p");
	/* Classwise, M = 5 (the double 0.2 lies above 1/5, so in bin 2):
	 *  class 0: scores .9 .85 | .3 .2 | .45, outcomes 1 0 | 0 0 | 0
	 *    |1 - 1.75| + |0 - .5| + |0 - .45| = 1.7
	 *  class 1: .05 .1 | .35 | .5 | .7, outcomes 0 1 | 0 | 1 | 1
	 *    |1 - .15| + .35 + .5 + .3 = 2.0
	 *  class 2: .05 .05 .1 | .2 .2, outcomes 0 0 0 | 0 1
	 *    .2 + |1 - .4| = .8
	 *  cwECE = (1.7 + 2.0 + .8) / 5 / 3 = .3 */
	near(m.classwise_ece, 0.3, 1e-15, "classwise ECE = .3 (streamed sums)");
	calib_preds_free(p);

	/* The same from the kept probability matrix. */
	o.keep = CALIB_KEEP_PROBS;
	p = make(5, 3, A, Ay, NULL, &o);
	m = metrics(p, 5, CALIB_BIN_WIDTH, 0);
	near(m.classwise_ece, 0.3, 1e-15, "classwise ECE = .3 (matrix)");
	calib_preds_free(p);
}

static void
test_weights(void)
{
	/* Weight 2 on row 1 equals repeating it:
	 * bin 5: .9 .9 .85 -> |2 - 2.65| = .65; bin 3: .05; bin 4: .3
	 * ECE = 1.0 / 6 */
	double w[5] = { 2, 1, 1, 1, 1 };
	double Ad[18];
	int32_t yd[6];
	calib_read_options o;
	calib_preds *p, *q;
	calib_metrics a, b;
	int i;

	calib_read_options_init(&o);
	o.classwise_bins = 5;
	p = make(5, 3, A, Ay, w, &o);
	memcpy(Ad, A, 3 * sizeof(double));
	memcpy(Ad + 3, A, sizeof(A));
	yd[0] = Ay[0];
	memcpy(yd + 1, Ay, sizeof(Ay));
	q = make(6, 3, Ad, yd, NULL, &o);
	a = metrics(p, 5, CALIB_BIN_WIDTH, 0);
	b = metrics(q, 5, CALIB_BIN_WIDTH, 0);
	ok(a.computed == calib_metric_default_set(), "the default set");
	near(a.ece, 1.0 / 6, 1e-15, "weighted ECE = 1/6");
	near(a.accuracy, 4.0 / 6, 1e-15, "weighted accuracy = 4/6");
	for (i = 0; i < calib_metric_count(); i++) {
		const calib_metric_info *mi = calib_metric_info_get(i);
		/* equal-mass bins are cut by row counts, so for them a
		 * weight is not a repeated row */
		if (!(a.computed >> i & 1) || strstr(mi->name, "debiased") ||
		    strstr(mi->name, "ace"))
			continue;
		near(calib_metrics_value(&a, i), calib_metrics_value(&b, i),
		    1e-14, "weight 2 == repeated row: %s", mi->name);
	}
	calib_preds_free(p);
	calib_preds_free(q);

	/* Zero weight removes a row entirely, even one with p_y = 0. */
	{
		double x[6] = { 0.8, 0.2, 1.0, 0.0 };
		int32_t y[2] = { 0, 1 };
		double ww[2] = { 1, 0 };
		calib_metrics m;
		p = make(2, 2, x, y, ww, &o);
		m = metrics(p, 10, CALIB_BIN_WIDTH, 0);
		near(m.nll, -log(0.8), 1e-15, "zero-weight row with p_y = 0 "
		    "does not make NLL infinite");
		near(m.ece, 0.2, 1e-15, "zero-weight row leaves ECE = |1 - .8|");
		calib_preds_free(p);
	}
}

static void
test_binary(void)
{
	/* p = P(class 1): .875 .75 .25 .625 .125, y = 1 0 0 1 1, M = 4.
	 * Dyadic values keep 1 - p exact. */
	double x[10] = { .125, .875, .25, .75, .75, .25, .375, .625, .875,
	    .125 };
	int32_t y[5] = { 1, 0, 0, 1, 1 };
	calib_read_options o;
	calib_preds *p;
	calib_metrics m;

	calib_read_options_init(&o);
	o.classwise_bins = 4;
	p = make(5, 2, x, y, NULL, &o);
	m = metrics(p, 4, CALIB_BIN_WIDTH, 0);
	/* top-label conf .875(1 ok) .75(1 x) .75(0 ok) .625(1 ok) .875(0 x)
	 * bin 4: |1 - 1.75| = .75; bin 3: .75 .75 .625 -> |2 - 2.125| = .125
	 * ECE = .875 / 5 */
	near(m.ece, 0.175, 1e-15, "binary top-label ECE = .875/5");
	near(m.accuracy, 0.6, 1e-15, "binary accuracy = 3/5");
	near(m.mean_confidence, 0.775, 1e-15, "binary mean confidence");
	/* Brier = mean of 2 (p - y)^2: (.03125 + 1.125 + .125 + .28125 +
	 * 1.53125) / 5 */
	near(m.brier, 3.09375 / 5, 1e-15, "binary Brier = 2 (p-y)^2");
	near(m.brier_per_class, 3.09375 / 10, 1e-15,
	    "binary Brier/K = mean (p-y)^2");
	calib_preds_free(p);

	o.target = 1;
	p = make(5, 2, x, y, NULL, &o);
	m = metrics(p, 4, CALIB_BIN_WIDTH, 0);
	/* positive: s = p, o = y
	 * bin 4: .875/1 -> .125; bin 3: .75/0 .625/1 -> |1 - 1.375| = .375;
	 * bin 1: .25/0 .125/1 -> |1 - .375| = .625;  ECE = 1.125 / 5 */
	near(m.ece, 0.225, 1e-15, "binary positive-class ECE = 1.125/5");
	near(m.mean_confidence, 0.525, 1e-15, "mean p = 2.625/5");
	near(m.overconfidence, 0.525 - 0.6, 1e-15,
	    "positive overconfidence = mean p - fraction of 1s");
	near(m.accuracy, 0.6, 1e-15, "accuracy unchanged by the meaning");
	calib_preds_free(p);
}

static void
test_edges(void)
{
	calib_read_options o;
	calib_preds *p;
	calib_metrics m;

	calib_read_options_init(&o);
	{
		/* Exact 1.0 goes to the last bin; exact 0 to p_y gives an
		 * infinite NLL unless clipped. */
		double x[6] = { 1.0, 0.0, 0.0, 0.0, 1.0, 0.0 };
		int32_t y[2] = { 0, 0 };
		p = make(2, 3, x, y, NULL, &o);
		m = metrics(p, 10, CALIB_BIN_WIDTH, 0);
		near(m.ece, 0.5, 1e-15, "two rows at confidence 1.0, one right:"
		    " last bin, ECE = .5");
		near(m.mce, 0.5, 1e-15, "MCE = .5");
		ok(isinf(m.nll) && m.nll > 0, "p_y = 0 gives NLL = +inf");
		is_int((long long)p->zero_prob_rows, 1, "one zero-probability row");
		m = metrics(p, 10, CALIB_BIN_WIDTH, 1e-15);
		/* row 1: -ln(1 - 1e-15); row 2: -ln(1e-15) */
		near(m.nll, (-log1p(-1e-15) - log(1e-15)) / 2, 1e-12,
		    "clipped NLL = (-ln(1-eps) - ln eps)/2");
		near(m.entropy, 0, 0, "one-hot rows have zero entropy");
		calib_preds_free(p);
	}
	{
		/* Ties: lowest index wins; the row is counted. */
		double x[3] = { 0.4, 0.4, 0.2 };
		int32_t y[1] = { 1 };
		p = make(1, 3, x, y, NULL, &o);
		m = metrics(p, 15, CALIB_BIN_WIDTH, 0);
		is_int(p->pred[0], 0, "tie: class 0 predicted");
		is_int((long long)p->tied_rows, 1, "tie counted");
		near(m.accuracy, 0, 0, "tie resolved to the wrong class");
		near(m.ece, 0.4, 1e-15, "single row: ECE = |0 - .4|");
		near(m.mce, 0.4, 1e-15, "single row: MCE = ECE");
		near(m.rmsce, 0.4, 1e-15, "single row: RMSCE = ECE");
		/* OE = 1 * .4 * (.4 - 0) */
		near(m.oe, 0.16, 1e-15, "single row: OE = .4 * .4");
		calib_preds_free(p);
	}
	{
		/* Positive target with p exactly 0 lands in the first bin. */
		double x[4] = { 1.0, 0.0, 0.5, 0.5 };
		int32_t y[2] = { 1, 1 };
		o.target = 1;
		p = make(2, 2, x, y, NULL, &o);
		m = metrics(p, 10, CALIB_BIN_WIDTH, 0);
		/* bin 1: |1 - 0| = 1; bin 5 (0.5 = 5/10): |1 - .5| = .5 */
		near(m.ece, 0.75, 1e-15, "p = 0 in the first bin, .5 in (.4,.5]");
		calib_preds_free(p);
		o.target = CALIB_TARGET_TOP;
	}
	{
		/* Logits: softmax with the max subtracted survives huge
		 * values; NLL comes from the logits directly. */
		double z[3] = { 1000.0, 0.0, -1000.0 };
		int32_t y[1] = { 2 };
		o.kind = CALIB_SCORES_LOGITS;
		p = make(1, 3, z, y, NULL, &o);
		m = metrics(p, 15, CALIB_BIN_WIDTH, 0);
		near(m.mean_confidence, 1.0, 0, "logit 1000 gives confidence 1");
		near(m.nll, 2000.0, 1e-9, "NLL = 2000 although p_y underflows");
		is_int((long long)p->zero_prob_rows, 0,
		    "finite NLL is not a zero-probability row");
		calib_preds_free(p);
		/* Temperature divides the logits. softmax([2,0]/2) =
		 * [e/(e+1), 1/(e+1)] */
		{
			double z2[2] = { 2.0, 0.0 };
			int32_t y2[1] = { 0 };
			o.temperature = 2;
			p = make(1, 2, z2, y2, NULL, &o);
			near(p->score[0], exp(1) / (exp(1) + 1), 1e-15,
			    "temperature 2 halves the logits");
			near(p->nll[0], log1p(exp(-1)), 1e-15,
			    "NLL at temperature 2 = ln(1 + e^-1)");
			calib_preds_free(p);
		}
		o.temperature = 1;
		o.kind = CALIB_SCORES_AUTO;
	}
	{
		/* A probability row outside the tolerance is an error unless
		 * renormalizing, which is counted. */
		double x[2] = { 0.5, 0.4 };
		int32_t y[1] = { 0 };
		calib_error err;
		calib_status st;
		p = NULL;
		st = calib_preds_from_arrays("t", 1, 2, x, y, NULL, &o, &p,
		    &err);
		is_int(st, CALIB_E_FORMAT, "row summing to .9 rejected");
		ok(strstr(err.message, "sum to 0.9") != NULL,
		    "message names the sum: %s", err.message);
		o.renormalize = 1;
		st = calib_preds_from_arrays("t", 1, 2, x, y, NULL, &o, &p,
		    &err);
		is_int(st, CALIB_OK, "accepted with renormalize");
		is_int((long long)p->renormalized_rows, 1, "renormalized row "
		    "counted");
		near(p->score[0], 0.5 / 0.9, 1e-15, "confidence .5/.9");
		calib_preds_free(p);
		o.renormalize = 0;
	}
	{
		calib_metrics mm;
		double v;
		memset(&mm, 0, sizeof(mm));
		mm.oe = 0.5;
		ok(calib_metrics_get(&mm, "oe", &v) == CALIB_OK && v == 0.5,
		    "metric lookup by name");
		ok(calib_metrics_get(&mm, "nope", &v) == CALIB_E_ARG,
		    "unknown metric name refused");
	}
}

static void
test_mass_metrics(void)
{
	/* Equal-mass with M = 2 on the five multiclass rows:
	 * sorted confidences .45(x) .5(ok) | .7(ok) .85(x) .9(ok)
	 * (target floor(5/2) = 2).  bin 1: conf .475 acc .5 -> .05 total;
	 * bin 2: |2 - 2.45| = .45.  ECE = .5 / 5 */
	calib_read_options o;
	calib_preds *p;
	calib_metrics m;

	calib_read_options_init(&o);
	o.keep = CALIB_KEEP_PROBS;
	p = make(5, 3, A, Ay, NULL, &o);
	m = metrics(p, 2, CALIB_BIN_MASS, 0);
	is_int(m.bins, 2, "two equal-mass bins");
	near(m.ece, 0.1, 1e-15, "equal-mass ECE = .5/5");
	ok(!isnan(m.classwise_ece), "classwise ECE with mass bins from the "
	    "matrix");
	calib_preds_free(p);
}

/* The metric table: names unique and found, selections honoured. */
static void
test_table(void)
{
	calib_read_options o;
	calib_metric_options mo;
	calib_metric_set set;
	calib_metrics m;
	calib_error err;
	calib_preds *p;
	int i, j, n = calib_metric_count();

	ok(n >= 12 && n <= 64, "the table has %d metrics (at most 64)", n);
	for (i = 0; i < n; i++) {
		const calib_metric_info *a = calib_metric_info_get(i);
		ok(a != NULL && a->name != NULL && a->label != NULL &&
		    a->summary != NULL && calib_metric_lookup(a->name) == i,
		    "entry %d (%s) is complete and found by name", i,
		    a ? a->name : "?");
		for (j = 0; j < i; j++)
			if (strcmp(calib_metric_info_get(j)->name, a->name) == 0)
				break;
		ok(j == i, "name %s is unique", a->name);
	}
	ok(calib_metric_info_get(n) == NULL && calib_metric_info_get(-1) ==
	    NULL, "ids out of range give NULL");
	ok(calib_metric_lookup("nope") == -1, "unknown name gives -1");
	ok(calib_metric_info_get(calib_metric_lookup("overconfidence"))->
	    direction == CALIB_DIR_SIGNED, "overconfidence is signed");
	ok(calib_metric_info_get(calib_metric_lookup("nll"))->unit ==
	    CALIB_UNIT_NATS, "NLL is in nats");

	ok(calib_metric_select("all", &set, &err) == CALIB_OK &&
	    set == calib_metric_all_set(), "'all' selects every metric");
	ok(calib_metric_select("default", &set, &err) == CALIB_OK &&
	    set == calib_metric_default_set(), "'default' selects the default");
	ok(calib_metric_select(" nll , ece", &set, &err) == CALIB_OK &&
	    set == (((calib_metric_set)1 << calib_metric_lookup("nll")) |
	    ((calib_metric_set)1 << calib_metric_lookup("ece"))),
	    "a list with blanks");
	ok(calib_metric_select("ece,nope", &set, &err) == CALIB_E_ARG &&
	    strstr(err.message, "'nope'") != NULL && set == 0,
	    "unknown name refused: %s", err.message);
	ok(calib_metric_select("ece,,nll", &set, &err) == CALIB_E_ARG,
	    "empty name refused");

	calib_read_options_init(&o);
	p = make(5, 3, A, Ay, NULL, &o);
	calib_metric_options_init(&mo);
	mo.bins = 5;
	calib_metric_select("nll,ece", &mo.select, &err);
	calib_metrics_compute(p, &mo, NULL, &m);
	ok(m.computed == mo.select, "computed = selected");
	near(m.ece, 0.22, 1e-15, "selected ECE computed");
	ok(isnan(m.accuracy) && isnan(m.classwise_ece),
	    "unselected metrics are NaN");
	mo.select = 0;
	calib_metrics_compute(p, &mo, NULL, &m);
	ok(m.computed == calib_metric_default_set(), "select 0 = default");
	calib_preds_free(p);
}

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/*
 * calib_metric_read_keep(): the matrix when a metric needs it, and no row
 * terms when none uses them; a read without them gives every other metric
 * to the bit, and NaN (not garbage) for the NLL, Brier and entropy.
 */
static void
test_read_keep(void)
{
	/* 40 rows of 3 classes, with ties, zeros and two weights */
	double x[40 * 3], w[40];
	int32_t y[40];
	const unsigned pk = CALIB_KEEP_PROBS, om = CALIB_OMIT_ROW_TERMS;
	calib_metric_set one;
	calib_read_options o;
	calib_preds *p, *q;
	int i, id, wt, bn, good = 1;

	ok(calib_metric_select("ace", &one, NULL) == CALIB_OK &&
	    calib_metric_read_keep(one) == (pk | om), "ace: the matrix, "
	    "no row terms");
	ok(calib_metric_select("ece,smece", &one, NULL) == CALIB_OK &&
	    calib_metric_read_keep(one) == om, "ece, smece: neither");
	ok(calib_metric_select("skce,entropy", &one, NULL) == CALIB_OK &&
	    calib_metric_read_keep(one) == pk, "skce, entropy: the matrix "
	    "and the row terms");
	ok(calib_metric_read_keep(0) == 0 &&
	    calib_metric_read_keep(calib_metric_default_set()) == 0,
	    "the default set (0 too): the row terms, no matrix");
	for (i = 0; i < 40; i++) {
		double a = (i % 5) / 8.0, b = (i % 3) / 8.0;
		x[3 * i] = a;
		x[3 * i + 1] = b;
		x[3 * i + 2] = 1 - a - b;
		y[i] = (int32_t)((i * 7) % 3);
		w[i] = i % 4 ? 1 : 2.5;
	}
	for (wt = 0; wt < 2; wt++) {
		calib_read_options_init(&o);
		o.keep = pk;
		p = make(40, 3, x, y, wt ? w : NULL, &o);
		o.keep = pk | om;
		q = make(40, 3, x, y, wt ? w : NULL, &o);
		if (p == NULL || q == NULL) {
			ok(0, "built");
			calib_preds_free(p);
			calib_preds_free(q);
			continue;
		}
		ok(p->nll != NULL && q->nll == NULL && q->brier == NULL &&
		    q->entropy == NULL && q->score != NULL && q->probs != NULL,
		    "CALIB_OMIT_ROW_TERMS: nll, brier and entropy not built%s",
		    wt ? " (weighted)" : "");
		for (bn = 0; bn < 2; bn++) {
			calib_metric_options mo;
			calib_metrics a, b;
			calib_metric_options_init(&mo);
			mo.bins = 4;
			mo.binning = bn ? CALIB_BIN_MASS : CALIB_BIN_WIDTH;
			mo.select = calib_metric_all_set();
			mo.test_resamples = 50;
			if (calib_metrics_compute(p, &mo, NULL, &a) !=
			    CALIB_OK || calib_metrics_compute(q, &mo, NULL,
			    &b) != CALIB_OK || a.n != b.n || a.bins != b.bins) {
				good = 0;
				continue;
			}
			for (id = 0; id < calib_metric_count(); id++) {
				const char *nm =
				    calib_metric_info_get(id)->name;
				double u = calib_metrics_value(&a, id);
				double v = calib_metrics_value(&b, id);
				int terms = !strcmp(nm, "nll") ||
				    !strcmp(nm, "brier") ||
				    !strcmp(nm, "brier_per_class") ||
				    !strcmp(nm, "entropy");
				if (terms ? !(!isnan(u) && isnan(v)) :
				    !same_bits(u, v)) {
					diag("%s: %.17g against %.17g", nm,
					    u, v);
					good = 0;
				}
			}
		}
		ok(isnan(calib_nll(q, 0, NULL)) &&
		    isnan(calib_brier(q, NULL)) &&
		    isnan(calib_entropy(q, NULL)) &&
		    same_bits(calib_accuracy(q, NULL), calib_accuracy(p, NULL)),
		    "the row-term means are NaN without the terms%s",
		    wt ? " (weighted)" : "");
		calib_preds_free(p);
		calib_preds_free(q);
	}
	ok(good, "without the row terms every other metric is the same, to "
	    "the bit (both binnings, weighted or not)");
}

int
main(void)
{
	test_table();
	test_multiclass();
	test_weights();
	test_binary();
	test_edges();
	test_mass_metrics();
	test_read_keep();
	return done_testing();
}
