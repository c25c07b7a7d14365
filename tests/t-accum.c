/*
 * t-accum.c - the streaming interface: a small case worked out by hand;
 * every batch split gives the same bits as one batch and as
 * calib_metrics_compute() on calib_preds_from_arrays(); float scores and
 * int64 labels; a bad row rejects its batch and nothing else; the version.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "calib.h"
#include "tap.h"

/* Same bits, NaN equal to NaN. */
static int
same(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

/* Every metric of a equals that of b to the bit; names the first that
 * does not. */
static const char *
differs(const calib_metrics *a, const calib_metrics *b)
{
	int i;

	if (a->n != b->n)
		return "n";
	if (a->bins != b->bins)
		return "bins";
	if (a->computed != b->computed)
		return "computed";
	for (i = 0; i < calib_metric_count(); i++) {
		double x = calib_metrics_value(a, i);
		double y = calib_metrics_value(b, i);
		if (!same(x, y)) {
			diag("  %s: %.17g against %.17g",
			    calib_metric_info_get(i)->name, x, y);
			return calib_metric_info_get(i)->name;
		}
	}
	return NULL;
}

/* A reproducible stream of uniforms (64-bit LCG, top 53 bits). */
static uint64_t lcg = 12345;
static double
unif(void)
{
	lcg = lcg * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (double)(lcg >> 11) / 9007199254740992.0;
}

enum { N = 1000, K = 4 };
static double X[N * K], Wt[N];
static int32_t Y[N];

static void
make_data(void)
{
	size_t i;
	int c;

	for (i = 0; i < N; i++) {
		double s = 0;
		for (c = 0; c < K; c++) {
			/* skewed, so the bins fill unevenly */
			X[i * K + c] = pow(unif(), 3);
			s += X[i * K + c];
		}
		for (c = 0; c < K; c++)
			X[i * K + c] /= s;
		Y[i] = (int32_t)(unif() * K);
		/* some zero weights, and rows tied at 1/K */
		Wt[i] = i % 17 == 0 ? 0 : 0.5 + unif();
		if (i % 101 == 0)
			for (c = 0; c < K; c++)
				X[i * K + c] = 1.0 / K;
	}
}

/* The metrics of rows split into batches of `size` (0: random sizes). */
static int
stream(const calib_read_options *ro, const calib_metric_options *mo,
    const double *w, size_t size, calib_metrics *out)
{
	calib_accum *a;
	calib_error err;
	size_t i = 0;

	if (calib_accum_create(K, ro, mo, &a, &err) != CALIB_OK) {
		diag("create: %s", err.message);
		return -1;
	}
	while (i < N) {
		size_t n = size ? size : 1 + (size_t)(unif() * 97);
		if (n > N - i)
			n = N - i;
		if (calib_accum_add(a, n, X + i * K, CALIB_FLOAT64, Y + i,
		    CALIB_INT32, w ? w + i : NULL, &err) != CALIB_OK) {
			diag("add: %s", err.message);
			calib_accum_free(a);
			return -1;
		}
		i += n;
	}
	calib_accum_result(a, out, NULL);
	calib_accum_free(a);
	return 0;
}

static void
test_by_hand(void)
{
	/* Top-label confidences 0.8 (right), 0.7 (right), 0.6 (wrong),
	 * 0.9 (wrong): one row in each of the 15 bins 12, 11, 9 and 14, so
	 * ECE = (0.2 + 0.3 + 0.6 + 0.9) / 4 = 0.5 and MCE = 0.9; accuracy
	 * 1/2; mean confidence 3.0 / 4 = 0.75; Brier, per row
	 * 2 (1 - p_y)^2: 2 (0.04 + 0.09 + 0.36 + 0.81) / 4 = 0.65. */
	const float x[] = { 0.8f, 0.2f, 0.3f, 0.7f, 0.4f, 0.6f, 0.9f, 0.1f };
	const int64_t y[] = { 0, 1, 0, 1 };
	calib_accum *a;
	calib_metrics m;
	calib_error err;

	ok(calib_accum_create(2, NULL, NULL, &a, &err) == CALIB_OK,
	    "create with the default options");
	calib_accum_result(a, &m, &err);
	ok(m.n == 0 && isnan(m.ece) && isnan(m.accuracy),
	    "before any row: n 0, metrics NaN");
	ok(calib_accum_add(a, 1, x, CALIB_FLOAT32, y, CALIB_INT64, NULL,
	    &err) == CALIB_OK, "add one row of float scores, int64 labels");
	calib_accum_result(a, &m, &err);
	near(m.ece, 0.2, 1e-7, "after one row, ECE = |1 - 0.8|");
	ok(calib_accum_add(a, 3, x + 2, CALIB_FLOAT32, y + 1,
	    CALIB_INT64, NULL, &err) == CALIB_OK, "add three more");
	calib_accum_result(a, &m, &err);
	is_int((long long)m.n, 4, "4 rows");
	near(m.ece, 0.5, 1e-7, "ECE 0.5 by hand");
	near(m.mce, 0.9, 1e-7, "MCE 0.9 by hand");
	near(m.accuracy, 0.5, 0, "accuracy 1/2");
	near(m.mean_confidence, 0.75, 1e-7, "mean confidence 0.75");
	near(m.brier, 0.65, 1e-7, "Brier 0.65 by hand");
	calib_accum_free(a);
}

static void
test_splits(calib_binning binning, const char *what)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 64, 999, N, 0 };
	calib_read_options ro;
	calib_metric_options mo;
	calib_metrics one, ref, m;
	calib_preds *p = NULL;
	calib_error err;
	int w, s;

	calib_read_options_init(&ro);
	calib_metric_options_init(&mo);
	mo.binning = binning;
	mo.bins = 10;
	ro.classwise_bins = 10;
	if (binning == CALIB_BIN_MASS)
		ro.keep = CALIB_KEEP_PROBS;
	for (w = 0; w < 2; w++) {
		const double *wp = w ? Wt : NULL;
		const char *d;
		if (stream(&ro, &mo, wp, N, &one) != 0) {
			ok(0, "%s: one batch", what);
			continue;
		}
		if (calib_preds_from_arrays("t", N, K, X, Y, wp, &ro, &p,
		    &err) != CALIB_OK || calib_metrics_compute(p, &mo, NULL,
		    &ref) != CALIB_OK) {
			ok(0, "%s: reference", what);
			calib_preds_free(p);
			continue;
		}
		calib_preds_free(p);
		d = differs(&one, &ref);
		ok(d == NULL, "%s%s: one batch = calib_metrics_compute() of "
		    "calib_preds_from_arrays(), every metric to the bit%s%s",
		    what, w ? ", weighted" : "", d ? "; differs: " : "",
		    d ? d : "");
		ok(!isnan(one.classwise_ece) && !isnan(one.ece) &&
		    !isnan(one.nll), "%s%s: the metrics are defined", what,
		    w ? ", weighted" : "");
		for (s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); s++) {
			if (stream(&ro, &mo, wp, sizes[s], &m) != 0) {
				ok(0, "%s: batches of %zu", what, sizes[s]);
				continue;
			}
			d = differs(&m, &one);
			if (sizes[s])
				ok(d == NULL, "%s%s: batches of %zu rows give "
				    "the same bits", what, w ? ", weighted" : "",
				    sizes[s]);
			else
				ok(d == NULL, "%s%s: batches of random sizes "
				    "give the same bits", what,
				    w ? ", weighted" : "");
		}
	}
}

/* float scores and int64 labels are the double and int32 ones widened. */
static void
test_types(void)
{
	static float xf[N * K];
	static int64_t y64[N];
	static double xd[N * K];
	static float wf[N];
	static double wd[N];
	calib_accum *a, *b;
	calib_metrics ma, mb;
	calib_error err;
	size_t i;

	for (i = 0; i < N * K; i++) {
		xf[i] = (float)X[i];
		xd[i] = (double)xf[i];
	}
	for (i = 0; i < N; i++) {
		y64[i] = Y[i];
		wf[i] = (float)Wt[i];
		wd[i] = (double)wf[i];
	}
	calib_accum_create(K, NULL, NULL, &a, &err);
	calib_accum_create(K, NULL, NULL, &b, &err);
	ok(calib_accum_add(a, N, xf, CALIB_FLOAT32, y64, CALIB_INT64, wf,
	    &err) == CALIB_OK, "float scores and weights, int64 labels");
	calib_accum_add(b, N, xd, CALIB_FLOAT64, Y, CALIB_INT32, wd, &err);
	calib_accum_result(a, &ma, &err);
	calib_accum_result(b, &mb, &err);
	ok(differs(&ma, &mb) == NULL, "... give the bits of the same values "
	    "as double and int32");
	calib_accum_free(a);
	calib_accum_free(b);
}

static void
test_errors(void)
{
	const double good[] = { 0.9, 0.1, 0.2, 0.8 };
	const double bad[] = { 0.5, 0.5, 0.7, 0.7 };
	const double nan_row[] = { NAN, 1 };
	const int32_t y[] = { 0, 1 }, y_bad[] = { 0, 2 };
	const double w_bad[] = { 1, -1 };
	calib_read_options ro;
	calib_metric_options mo;
	calib_accum *a;
	calib_metrics before, after;
	calib_error err;

	ok(calib_accum_create(1, NULL, NULL, &a, &err) == CALIB_E_ARG &&
	    a == NULL, "one class is refused");
	calib_metric_options_init(&mo);
	mo.bins = 0;
	ok(calib_accum_create(2, NULL, &mo, &a, &err) == CALIB_E_ARG,
	    "zero bins are refused");
	calib_read_options_init(&ro);
	ro.temperature = -1;
	ok(calib_accum_create(2, &ro, NULL, &a, &err) == CALIB_E_ARG,
	    "a negative temperature is refused");

	calib_accum_create(2, NULL, NULL, &a, &err);
	calib_accum_add(a, 2, good, CALIB_FLOAT64, y, CALIB_INT32, NULL,
	    &err);
	calib_accum_result(a, &before, &err);
	ok(calib_accum_add(a, 2, bad, CALIB_FLOAT64, y, CALIB_INT32, NULL,
	    &err) == CALIB_E_FORMAT, "a row summing to 1.4 is refused");
	is_int((long long)err.line, 4, "its number counts the earlier batch");
	ok(strstr(err.message, "sum") != NULL, "the message says why: %s",
	    err.message);
	calib_accum_result(a, &after, &err);
	ok(differs(&before, &after) == NULL && after.n == 2,
	    "the failed batch added nothing, not even its good first row");
	ok(calib_accum_add(a, 2, good, CALIB_FLOAT64, y_bad, CALIB_INT32,
	    NULL, &err) == CALIB_E_FORMAT && err.line == 4,
	    "a label out of range is refused (row 4)");
	ok(calib_accum_add(a, 2, good, CALIB_FLOAT64, y, CALIB_INT32,
	    w_bad, &err) == CALIB_E_FORMAT, "a negative weight is refused");
	ok(calib_accum_add(a, 1, nan_row, CALIB_FLOAT64, y, CALIB_INT32,
	    NULL, &err) == CALIB_E_FORMAT && err.column == 1,
	    "a NaN score is refused, column 1");
	ok(calib_accum_add(a, 2, good, CALIB_INT32, y, CALIB_INT32,
	    NULL, &err) == CALIB_E_ARG, "integer scores are refused");
	ok(calib_accum_add(a, 0, NULL, CALIB_FLOAT64, NULL, CALIB_INT32,
	    NULL, &err) == CALIB_OK, "an empty batch is fine");
	calib_accum_free(a);
	calib_accum_free(NULL);
	ok(1, "calib_accum_free(NULL) is harmless");
}

/* ignore_label drops rows (-100 as PyTorch writes it), as
 * calib_preds_from_arrays2() does; row numbers still count them. */
static void
test_ignore(void)
{
	static float xf[N * K];
	static int64_t y64[N];
	calib_read_options ro;
	calib_metric_options mo;
	calib_metrics m, ref;
	calib_preds *p = NULL;
	calib_accum *a;
	calib_error err;
	size_t i, dropped = 0;
	const float bad[] = { 0.5f, 0.5f, 0.5f, 0.6f };
	const int64_t lab[] = { 0 };

	for (i = 0; i < N * K; i++)
		xf[i] = (float)X[i];
	for (i = 0; i < N; i++) {
		y64[i] = i % 13 == 5 ? -100 : Y[i];
		dropped += i % 13 == 5;
	}
	calib_read_options_init(&ro);
	calib_metric_options_init(&mo);
	ro.ignore_label_set = 1;
	ro.ignore_label = -100;
	calib_accum_create(K, &ro, &mo, &a, &err);
	for (i = 0; i < N; i += 100)
		calib_accum_add(a, 100, xf + i * K, CALIB_FLOAT32, y64 + i,
		    CALIB_INT64, NULL, &err);
	calib_accum_result(a, &m, &err);
	if (calib_preds_from_arrays2("t", N, K, xf, CALIB_FLOAT32, y64,
	    CALIB_INT64, NULL, &ro, &p, &err) != CALIB_OK ||
	    calib_metrics_compute(p, &mo, NULL, &ref) != CALIB_OK) {
		ok(0, "ignore_label reference: %s", err.message);
		calib_preds_free(p);
		calib_accum_free(a);
		return;
	}
	calib_preds_free(p);
	is_int((long long)m.n, (long long)(N - dropped),
	    "ignore_label -100: %zu rows dropped", dropped);
	ok(differs(&m, &ref) == NULL, "... the same bits as "
	    "calib_preds_from_arrays2() with the same option");
	/* Row 1001 is bad; the row numbers include the dropped rows. */
	ok(calib_accum_add(a, 1, bad, CALIB_FLOAT32, lab, CALIB_INT64, NULL,
	    &err) == CALIB_E_FORMAT && err.line == N + 1,
	    "a bad row after them is row %d", N + 1);
	calib_accum_free(a);
}

/* Another library's convention: the rows are kept and binned its way. */
static void
test_convention(void)
{
	static const char *const presets[] = { "torchmetrics", "netcal" };
	calib_convention c;
	calib_read_options ro;
	calib_metric_options mo;
	calib_metrics m, ref;
	calib_preds *p = NULL;
	calib_error err;
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		if (calib_convention_preset(presets[i], &c) != CALIB_OK) {
			ok(0, "preset %s exists", presets[i]);
			continue;
		}
		calib_read_options_init(&ro);
		calib_metric_options_init(&mo);
		ro.keep = CALIB_KEEP_PROBS;
		mo.convention = &c;
		if (stream(&ro, &mo, Wt, 29, &m) != 0 ||
		    calib_preds_from_arrays("t", N, K, X, Y, Wt, &ro, &p,
		    &err) != CALIB_OK || calib_metrics_compute(p, &mo, NULL,
		    &ref) != CALIB_OK) {
			ok(0, "convention %s", presets[i]);
			calib_preds_free(p);
			continue;
		}
		calib_preds_free(p);
		ok(differs(&m, &ref) == NULL, "the %s convention: the bits "
		    "calib_metrics_compute() gives", presets[i]);
	}
}

/* A metric selection means the same as for calib_metrics_compute(). */
static void
test_select(void)
{
	calib_metric_options mo;
	calib_read_options ro;
	calib_metrics m, ref;
	calib_preds *p = NULL;
	calib_error err;
	int ece = calib_metric_lookup("ece"), nll = calib_metric_lookup("nll");

	calib_metric_options_init(&mo);
	calib_read_options_init(&ro);
	mo.select = ((calib_metric_set)1 << ece) | ((calib_metric_set)1 << nll);
	if (stream(&ro, &mo, Wt, 37, &m) != 0 ||
	    calib_preds_from_arrays("t", N, K, X, Y, Wt, &ro, &p, &err) !=
	    CALIB_OK || calib_metrics_compute(p, &mo, NULL, &ref) !=
	    CALIB_OK) {
		ok(0, "selection");
		calib_preds_free(p);
		return;
	}
	calib_preds_free(p);
	ok(m.computed == mo.select, "only the selected metrics are computed");
	ok(isnan(m.accuracy) && !isnan(m.ece) && !isnan(m.nll),
	    "the others are NaN");
	ok(differs(&m, &ref) == NULL, "same bits as calib_metrics_compute()");
}

static void
test_version(void)
{
	char want[64];

	snprintf(want, sizeof(want), "%d.%d.%d", CALIB_VERSION_MAJOR,
	    CALIB_VERSION_MINOR, CALIB_VERSION_PATCH);
	is_str(CALIB_VERSION, want, "CALIB_VERSION is MAJOR.MINOR.PATCH");
	is_str(calib_version(), CALIB_VERSION, "calib_version() is the "
	    "headers' version");
	is_str(calib_version(), PACKAGE_VERSION, "... and configure's");
	ok(CALIB_VERSION_NUMBER == CALIB_VERSION_MAJOR * 1000000L +
	    CALIB_VERSION_MINOR * 1000L + CALIB_VERSION_PATCH,
	    "CALIB_VERSION_NUMBER encodes it");
}

int
main(void)
{
	gsl_set_error_handler_off();
	make_data();
	test_by_hand();
	test_splits(CALIB_BIN_WIDTH, "equal-width");
	test_splits(CALIB_BIN_MASS, "equal-mass");
	test_types();
	test_errors();
	test_select();
	test_ignore();
	test_convention();
	test_version();
	return done_testing();
}
