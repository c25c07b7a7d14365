/*
 * calib.h - libcalib, exact calibration metrics for classifier predictions.
 *
 * libcalib reads saved prediction files (CSV, optionally gzip-compressed),
 * validates them, and computes calibration metrics: expected calibration
 * error and its relatives, classwise ECE, overconfidence error, negative
 * log-likelihood, Brier score and predictive entropy.
 *
 * Data flows one way:
 *
 *   calib_read()            file -> validated calib_preds
 *   calib_bins_compute()    calib_preds -> calib_bins (the reliability table)
 *   calib_ece() & co.       calib_bins -> one number each
 *   calib_metrics_compute() calib_preds -> every metric at once
 *
 * Conventions that hold for the whole API:
 *
 *   - Functions that can fail return a calib_status; CALIB_OK is 0.  When a
 *     calib_error pointer is passed (it may be NULL) it is filled with the
 *     file, line, column and a message naming what was expected.
 *   - The library never prints and never exits.
 *   - Objects returned through a pointer-to-pointer are owned by the caller
 *     and released with the matching *_free(); every *_free() accepts NULL.
 *     Structs filled in place are released with the matching *_release(),
 *     which leaves them zeroed so a second release is harmless.
 *   - GSL's default error handler aborts.  libcalib checks every GSL status
 *     it receives, but does not change the process-wide handler: programs
 *     should call gsl_set_error_handler_off() once at start-up.
 *
 * Notation used in the metric documentation below: for row i, p_i is the
 * predicted probability vector over K classes, y_i the true class,
 * yhat_i = argmax_k p_ik (lowest index on ties) the prediction,
 * c_i = p_i,yhat_i the top-label confidence, w_i the sample weight (1 when
 * the file has no weight column), and W = sum_i w_i.  Binned metrics work on
 * a score s_i and an outcome o_i in {0,1}: for top-label calibration (the
 * default) s_i = c_i and o_i = [yhat_i = y_i]; for one-vs-rest calibration of
 * class k (and for the "positive-class" meaning of binary ECE, k = 1)
 * s_i = p_ik and o_i = [y_i = k].
 */
#ifndef CALIB_H
#define CALIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CALIB_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Status and errors                                                   */
/* ------------------------------------------------------------------ */

typedef enum calib_status {
	CALIB_OK = 0,
	CALIB_E_NOMEM,    /* memory allocation failed */
	CALIB_E_IO,       /* a file could not be opened, read or written */
	CALIB_E_FORMAT,   /* input is not a valid prediction file */
	CALIB_E_ARG,      /* an argument or option value is invalid */
	CALIB_E_MISMATCH, /* two inputs that must agree do not */
	CALIB_E_NUMERIC   /* a computation has no finite answer */
} calib_status;

/*
 * Where and why an operation failed.  line and column are 1-based and 0 when
 * they do not apply; column counts fields in the CSV row.  column_name is the
 * header name of that column when known.  message says what was found and
 * what was expected, without the location (the caller adds it).
 */
typedef struct calib_error {
	calib_status status;
	char file[512];
	unsigned long line;
	unsigned column;
	char column_name[128];
	char message[512];
} calib_error;

/* A static, lower-case description of a status code. */
const char *calib_strerror(calib_status status);

/* The library's version string, e.g. "0.1.0". */
const char *calib_version(void);

/* ------------------------------------------------------------------ */
/* Reading prediction files                                            */
/* ------------------------------------------------------------------ */

/* What the score columns of a file hold. */
typedef enum calib_score_kind {
	CALIB_SCORES_AUTO = 0, /* from the header: logit_* / p_* / prob_* */
	CALIB_SCORES_PROBS,    /* probabilities, validated and used as given */
	CALIB_SCORES_LOGITS    /* logits, turned into probabilities by softmax */
} calib_score_kind;

/* Which (score, outcome) pairs the binned metrics look at. */
#define CALIB_TARGET_TOP (-1) /* top-label: s = c_i, o = [yhat_i = y_i] */

/* Bits for calib_read_options.keep: per-row data kept beyond the default. */
#define CALIB_KEEP_PROBS  0x1u /* the n x K probability matrix */
#define CALIB_KEEP_LOGITS 0x2u /* the n x K logit matrix (ln p for probability files) */

/*
 * Options for calib_read().  Always start from calib_read_options_init(),
 * which sets the documented defaults, then change what you need.
 */
typedef struct calib_read_options {
	/* Field delimiter: ',', '\t' or ';'.  0 (default) detects it from the
	 * header row: the most frequent of the three outside quotes. */
	char delimiter;
	/* Name of the true-label column.  Default "label". */
	const char *label_col;
	/* Name of the sample-weight column; the column is optional.  Default
	 * "weight". */
	const char *weight_col;
	/* Name of the single score column of a binary file, holding P(class 1)
	 * (or its logit).  NULL (default) accepts "p", "prob" or "logit". */
	const char *score_col;
	/* Override what the score columns hold.  Default CALIB_SCORES_AUTO:
	 * decided by the header prefixes, never by the values. */
	calib_score_kind kind;
	/* A probability row must sum to 1 within this tolerance.  Default 1e-4. */
	double sum_tol;
	/* Non-zero: rows outside sum_tol are divided by their sum instead of
	 * rejected; calib_preds.renormalized_rows counts them.  Default 0. */
	int renormalize;
	/* Logits are divided by this before the softmax; for probability files
	 * ln p serves as the logits.  Must be finite and > 0.  Default 1. */
	double temperature;
	/* CALIB_TARGET_TOP (default) or a class index k for one-vs-rest. */
	int target;
	/* CALIB_KEEP_* bits.  Default 0. */
	unsigned keep;
	/* When > 0 and CALIB_KEEP_PROBS is not set, the reader accumulates the
	 * per-class equal-width bin sums that calib_classwise_ece() needs for
	 * this many bins, so classwise ECE never needs the n x K matrix.
	 * Default 15. */
	int classwise_bins;
	/* Worker threads for parsing: 0 (default) uses the online CPUs, at most
	 * 8.  Results are bit-identical for every thread count. */
	int threads;
	/* Non-zero: parse every row with libcsv and strtod instead of the fast
	 * path.  Slower; results are bit-identical.  For differential tests. */
	int reference_parser;
} calib_read_options;

/* Fill *o with the defaults documented in calib_read_options. */
void calib_read_options_init(calib_read_options *o);

/*
 * Classwise bin sums, accumulated by the reader (see classwise_bins): for
 * class k and equal-width bin m, index [k * bins + m] holds the summed
 * weight, weighted sum of p_ik and weighted count of rows with y_i = k.
 */
typedef struct calib_classwise_acc {
	int bins;
	double *weight;
	double *sum_score;
	double *sum_outcome;
} calib_classwise_acc;

/*
 * Validated predictions: a few numbers per row, never the text.  Fields are
 * read-only for callers; release with calib_preds_free().
 */
typedef struct calib_preds {
	char *source;           /* file name as given; "<stdin>" for "-" */
	size_t n;               /* rows */
	int k;                  /* classes */
	char **class_names;     /* k names: the score columns' suffixes */
	calib_score_kind kind;  /* what the score columns held */
	int single_column;      /* 1 for a binary file with one score column */
	int target;             /* CALIB_TARGET_TOP or the one-vs-rest class */
	double temperature;     /* temperature that was applied */

	double *score;          /* s_i (see the notation at the top) */
	uint8_t *outcome;       /* o_i */
	int32_t *label;         /* y_i */
	int32_t *pred;          /* yhat_i */
	double *weight;         /* w_i, or NULL when the file has no weights */
	double *nll;            /* -ln p_i,y_i; +inf when p_i,y_i = 0 */
	double *brier;          /* sum_k (p_ik - [y_i = k])^2 */
	double *entropy;        /* -sum_k p_ik ln p_ik (0 ln 0 = 0), nats */
	double *probs;          /* n x k, row-major; NULL unless kept */
	double *logits;         /* n x k, row-major; NULL unless kept */
	calib_classwise_acc classwise; /* bins == 0 when not accumulated */

	double total_weight;      /* W */
	size_t tied_rows;         /* rows whose maximum is shared by classes */
	size_t renormalized_rows; /* rows divided by their sum */
	size_t zero_prob_rows;    /* rows with p_i,y_i = 0 (infinite NLL) */
} calib_preds;

/*
 * Read and validate a prediction file.
 *
 * path is a file name or "-" for standard input.  gzip input is recognised
 * by its magic bytes, whatever the name.  The file is CSV with a header row:
 *   - the true label in label_col ("label"): an integer class index 0..K-1
 *     or the name of a class (the suffix of its score column);
 *   - one score column per class, all with the same prefix: logit_NAME
 *     (logits), p_NAME or prob_NAME (probabilities); or, for a binary file,
 *     one column p / prob (P(class 1)) or logit (its logit), labels 0/1;
 *   - optionally weight_col ("weight"): finite non-negative sample weights.
 * A UTF-8 byte-order mark, CRLF line ends and quoted fields are accepted.
 *
 * Every value is checked; the first problem in file order is reported in
 * *err with its line and column, and nothing is returned.  On success *out
 * owns the data; release it with calib_preds_free().
 */
calib_status calib_read(const char *path, const calib_read_options *o,
    calib_preds **out, calib_error *err);

/*
 * Build predictions from memory, with the same validation and arithmetic as
 * calib_read(): scores is n x k row-major (probabilities or logits as kind
 * says; CALIB_SCORES_AUTO means probabilities), labels holds n class
 * indices, weights is NULL or n non-negative weights.  Rows are numbered
 * from 1 in error reports and source is used as the file name.
 */
calib_status calib_preds_from_arrays(const char *source, size_t n, int k,
    const double *scores, const int32_t *labels, const double *weights,
    const calib_read_options *o, calib_preds **out, calib_error *err);

/* Release predictions; accepts NULL. */
void calib_preds_free(calib_preds *p);

/* ------------------------------------------------------------------ */
/* Binning                                                             */
/* ------------------------------------------------------------------ */

typedef enum calib_binning {
	CALIB_BIN_WIDTH = 0, /* M equal-width bins ((m-1)/M, m/M] */
	CALIB_BIN_MASS       /* bins holding equal numbers of rows */
} calib_binning;

/*
 * Exact equal-width bin membership: the 0-based index m-1 of the bin
 * ((m-1)/M, m/M] that holds s, decided on the real value of s with no
 * rounded bin edges: s lands in bin m iff (m-1)/M < s <= m/M.  s = 0 goes to
 * the first bin and s = 1 to the last.  s must be in [0, 1].
 */
int calib_bin_index(double s, int m);

/* One bin of a reliability table. */
typedef struct calib_bin {
	double lo, hi;      /* the bin is (lo, hi]; the first also holds lo */
	size_t count;       /* rows in the bin (with bootstrap multiplicity) */
	double weight;      /* summed weight W_m */
	double sum_score;   /* sum of w_i s_i over the bin */
	double sum_outcome; /* sum of w_i o_i over the bin */
} calib_bin;

/*
 * A reliability table.  conf(B_m) = sum_score / weight is the mean score and
 * acc(B_m) = sum_outcome / weight the observed frequency; both are undefined
 * for an empty bin (weight 0), which every metric skips.
 */
typedef struct calib_bins {
	calib_binning binning;
	int requested;      /* M asked for */
	int m;              /* bins in the table (mass binning may give fewer) */
	calib_bin *bin;
	size_t n;           /* rows binned */
	double total_weight;
} calib_bins;

/*
 * Bin the rows of p by their score s_i.
 *
 * CALIB_BIN_WIDTH: M bins ((m-1)/M, m/M], membership by calib_bin_index().
 *
 * CALIB_BIN_MASS: rows sorted by s_i (stable) and cut after positions
 * floor(j n / M), j = 1..M-1, so each bin holds floor(n/M) or ceil(n/M) rows
 * (counts, not weights).  Equal scores are never split: a cut that falls
 * inside a run of equal scores moves forward to the end of the run, and cuts
 * that then coincide, or fall at the end, are dropped.  The table therefore
 * has at most M bins, fewer when ties or n < M require it; bins->m says how
 * many.  Bin m covers (largest score of bin m-1, largest score of bin m],
 * the first starting at 0.
 *
 * mult, when not NULL, gives each row a multiplicity (a bootstrap
 * resample): row i counts mult[i] times.  Release with calib_bins_release().
 */
calib_status calib_bins_compute(const calib_preds *p, int m,
    calib_binning binning, const uint32_t *mult, calib_bins *out);

/* Release a table filled by calib_bins_compute(); accepts a zeroed one. */
void calib_bins_release(calib_bins *b);

/* ------------------------------------------------------------------ */
/* Metrics                                                             */
/* ------------------------------------------------------------------ */

/*
 * Expected calibration error (l1), Guo, Pleiss, Sun & Weinberger, "On
 * calibration of modern neural networks", ICML 2017, eq. (3); Naeini, Cooper
 * & Hauskrecht, AAAI 2015:
 *     ECE = sum_m (W_m / W) |acc(B_m) - conf(B_m)|
 * over the non-empty bins of b.  With the default table (15 equal-width bins
 * on the top-label confidence) this is the ECE of Guo et al.
 */
double calib_ece(const calib_bins *b);

/*
 * Root-mean-square calibration error (l2), Kumar, Liang & Ma, "Verified
 * uncertainty calibration", NeurIPS 2019 (the plug-in l2 estimator):
 *     RMSCE = sqrt( sum_m (W_m / W) (acc(B_m) - conf(B_m))^2 )
 */
double calib_rmsce(const calib_bins *b);

/*
 * Maximum calibration error (max norm), Naeini et al. 2015; Guo et al. 2017
 * eq. (5):  MCE = max over non-empty bins m of |acc(B_m) - conf(B_m)|.
 */
double calib_mce(const calib_bins *b);

/*
 * Overconfidence error, Thulasidasan, Chennupati, Bilmes, Bhattacharya &
 * Michalak, "On mixup training", NeurIPS 2019, eq. (6):
 *     OE = sum_m (W_m / W) conf(B_m) max(conf(B_m) - acc(B_m), 0)
 */
double calib_oe(const calib_bins *b);

/*
 * Classwise ECE, Kull et al., "Beyond temperature scaling", NeurIPS 2019
 * (the "static calibration error" SCE of Nixon et al., "Measuring
 * calibration in deep learning", CVPR-W 2019):
 *     cwECE = (1/K) sum_k ECE_k
 * where ECE_k is the ECE of the scores p_ik against the outcomes [y_i = k]
 * over all rows, binned like the top-label ECE.  Needs CALIB_KEEP_PROBS, or
 * width binning with m equal to the classwise_bins the reader accumulated
 * (and no multiplicity).  Returns CALIB_E_ARG when neither is available.
 */
calib_status calib_classwise_ece(const calib_preds *p, int m,
    calib_binning binning, const uint32_t *mult, double *out);

/*
 * Negative log-likelihood, mean_w of -ln p_i,y_i (Quinonero-Candela et al.,
 * "Evaluating predictive uncertainty challenge", 2006).  clip = 0 leaves it
 * unclipped (an exact zero gives +inf); clip > 0 first clips p_i,y_i into
 * [clip, 1 - clip] as scikit-learn's log_loss does (it uses 1e-15).
 */
double calib_nll(const calib_preds *p, double clip, const uint32_t *mult);

/*
 * Brier score, Brier, "Verification of forecasts expressed in terms of
 * probability", Monthly Weather Review 1950:
 *     BS = mean_w of sum_k (p_ik - [y_i = k])^2, in [0, 2].
 * Divide by K for the per-class form some papers report.
 */
double calib_brier(const calib_preds *p, const uint32_t *mult);

/* Mean predictive entropy in nats, mean_w of -sum_k p_ik ln p_ik. */
double calib_entropy(const calib_preds *p, const uint32_t *mult);

/* Accuracy, mean_w of [yhat_i = y_i]. */
double calib_accuracy(const calib_preds *p, const uint32_t *mult);

/* Mean score, mean_w of s_i (the mean confidence for top-label). */
double calib_mean_score(const calib_preds *p, const uint32_t *mult);

/* Observed frequency, mean_w of o_i (the accuracy for top-label). */
double calib_mean_outcome(const calib_preds *p, const uint32_t *mult);

/* Options for calib_metrics_compute(); start from calib_metric_options_init(). */
typedef struct calib_metric_options {
	int bins;              /* M, default 15 */
	calib_binning binning; /* default CALIB_BIN_WIDTH */
	double nll_clip;       /* default 0: unclipped */
} calib_metric_options;

void calib_metric_options_init(calib_metric_options *o);

/* Every metric of one prediction set. */
typedef struct calib_metrics {
	size_t n;
	int classes;
	int bins;                /* bins actually used (see CALIB_BIN_MASS) */
	calib_binning binning;
	double accuracy;
	double mean_confidence;  /* mean score, calib_mean_score() */
	double overconfidence;   /* mean score - mean outcome (signed) */
	double ece, mce, rmsce, oe;
	double classwise_ece;    /* NaN when not computable (see above) */
	double nll;
	double brier;
	double brier_per_class;  /* brier / K */
	double entropy;
} calib_metrics;

/*
 * Compute every metric of p at once (mult as in calib_bins_compute()).
 * overconfidence is calib_mean_score() - calib_mean_outcome(): for top-label
 * calibration, mean confidence - accuracy.
 */
calib_status calib_metrics_compute(const calib_preds *p,
    const calib_metric_options *o, const uint32_t *mult, calib_metrics *out);

/*
 * The metric names used by reports and by calib check, in report order,
 * terminated by NULL: "accuracy", "mean_confidence", "overconfidence", "ece",
 * "mce", "rmsce", "classwise_ece", "oe", "nll", "brier", "brier_per_class",
 * "entropy".
 */
extern const char *const calib_metric_names[];

/* The value of the metric called name in m; CALIB_E_ARG if unknown. */
calib_status calib_metrics_get(const calib_metrics *m, const char *name,
    double *value);

/* ------------------------------------------------------------------ */
/* Paired runs and the bootstrap                                       */
/* ------------------------------------------------------------------ */

/*
 * Check that b can be paired with a row by row: the same number of rows and
 * classes, the same label in every row, and the same weights.  Rows are
 * paired by position, so a different test order is a user error to catch,
 * not to average over.  On a mismatch returns CALIB_E_MISMATCH, with
 * err->file naming b and the message naming the first differing data row
 * (counted from 1 after the header) and what differs.
 */
calib_status calib_preds_check_paired(const calib_preds *a,
    const calib_preds *b, calib_error *err);

/* Options for calib_bootstrap_paired(); start from
 * calib_bootstrap_options_init(). */
typedef struct calib_bootstrap_options {
	int replicates;          /* B, default 1000 */
	unsigned long seed;      /* gsl_rng_mt19937 seed, default 20191206 */
	calib_metric_options metric;
} calib_bootstrap_options;

void calib_bootstrap_options_init(calib_bootstrap_options *o);

/*
 * Replicate metrics of several runs on the same rows.  rep holds
 * runs x replicates entries: the metrics of run r on replicate j are
 * rep[r * replicates + j].  point holds each run's metrics on all rows.
 */
typedef struct calib_bootstrap {
	int runs;
	int replicates;
	calib_metrics *point;
	calib_metrics *rep;
} calib_bootstrap;

/*
 * Paired nonparametric bootstrap over rows (Efron & Tibshirani, "An
 * introduction to the bootstrap", 1993, ch. 6): each replicate draws n row
 * indices uniformly with replacement, once, and evaluates every run on that
 * same resample (as a multiplicity vector, see calib_bins_compute()), so
 * differences between runs keep their pairing.  The draws come from one
 * gsl_rng_mt19937 stream seeded with o->seed: the same inputs and seed give
 * the same replicates.  Every run must pass calib_preds_check_paired()
 * against runs[0].  Classwise ECE needs CALIB_KEEP_PROBS in each run;
 * without it the replicates hold NaN there.  Release with
 * calib_bootstrap_release().
 */
calib_status calib_bootstrap_paired(const calib_preds *const *runs, int nruns,
    const calib_bootstrap_options *o, calib_bootstrap *out, calib_error *err);

void calib_bootstrap_release(calib_bootstrap *b);

/*
 * Percentile interval (Efron & Tibshirani 1993, ch. 13) at level (e.g.
 * 0.95) for metric name of run, or, when base >= 0, for the paired
 * difference (run - base): the (1-level)/2 and (1+level)/2 quantiles of the
 * replicate values, by linear interpolation between order statistics
 * (Hyndman & Fan 1996, definition 7, numpy's default).  Infinite
 * replicates (an infinite NLL) sort beyond every finite one, and an end
 * interpolated next to one is infinite; a NaN replicate (a metric undefined
 * on some resample) makes both ends NaN.  With fewer than 2 replicates both
 * ends are NaN.  CALIB_E_ARG for an unknown name or run.
 */
calib_status calib_bootstrap_interval(const calib_bootstrap *b,
    const char *name, int run, int base, double level, double *lo,
    double *hi);

/* ------------------------------------------------------------------ */
/* Assertions for CI gates (calib check)                               */
/* ------------------------------------------------------------------ */

typedef enum calib_assert_kind {
	CALIB_ASSERT_MAX = 0,      /* metric <= bound */
	CALIB_ASSERT_MIN,          /* metric >= bound */
	CALIB_ASSERT_MAX_INCREASE, /* metric - baseline metric <= bound */
	CALIB_ASSERT_MAX_DECREASE  /* baseline metric - metric <= bound */
} calib_assert_kind;

/* One assertion, e.g. "max ece=0.05". */
typedef struct calib_assertion {
	calib_assert_kind kind;
	char metric[32];          /* one of calib_metric_names */
	double bound;             /* finite; >= 0 for the baseline kinds */
} calib_assertion;

/*
 * Parse one assertion.  kind is "max", "min", "max-increase" or
 * "max-decrease" (a leading "--" is accepted, so command-line spellings can
 * be pasted into a rules file); spec is "METRIC=VALUE".  On failure returns
 * CALIB_E_ARG with a message naming what was expected (the valid metric
 * names for an unknown metric); the caller adds the location.
 */
calib_status calib_assertion_parse(const char *kind, const char *spec,
    calib_assertion *a, calib_error *err);

/*
 * Does the assertion hold for the quantity q it constrains: the metric for
 * MAX and MIN; the difference (metric - baseline) for MAX_INCREASE and
 * MAX_DECREASE (so a decrease of d is q = -d)?
 *
 * Without an interval (lo or hi NaN) the point value decides.  With a
 * bootstrap interval [lo, hi] on q, the assertion fails only when the whole
 * interval is on the wrong side of the bound - the data show a violation
 * beyond noise - or, when strict, when any part of it is.  A value equal to
 * the bound holds.
 */
int calib_assertion_holds(const calib_assertion *a, double value, double lo,
    double hi, int strict);

#ifdef __cplusplus
}
#endif

#endif /* CALIB_H */
