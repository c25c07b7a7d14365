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
 *   calib_fit()             calib_preds -> calib_model (recalibration map),
 *                           applied by calib_read() or
 *                           calib_preds_recalibrate()
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

/* A fitted recalibration map; see "Recalibration" below. */
typedef struct calib_model calib_model;

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
	/* A recalibration map applied to every row before anything is
	 * computed from it (see calib_fit()), or NULL (default).  The file
	 * must have the model's classes, in the same order and with the same
	 * names (calib_preds_from_arrays() checks the count only); otherwise
	 * calib_read() fails with CALIB_E_MISMATCH.  Cannot be combined with
	 * a temperature other than 1.  The model is only read, and must stay
	 * valid until the call returns. */
	const calib_model *calibrate;
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
	int calibrated;         /* 1 when a calib_model was applied */

	double *score;          /* s_i (see the notation at the top) */
	uint8_t *outcome;       /* o_i */
	int32_t *label;         /* y_i */
	int32_t *pred;          /* yhat_i */
	double *weight;         /* w_i, or NULL when the file has no weights */
	double *nll;            /* -ln p_i,y_i; +inf when p_i,y_i = 0 */
	double *brier;          /* sum_k (p_ik - [y_i = k])^2 */
	double *entropy;        /* -sum_k p_ik ln p_ik (0 ln 0 = 0), nats */
	double *probs;          /* n x k, row-major; NULL unless kept */
	double *logits;         /* n x k, row-major; NULL unless kept: the
	                         * file's own logits (ln p for probability
	                         * files), before any temperature or model */
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
/* Recalibration                                                       */
/* ------------------------------------------------------------------ */

/*
 * A recalibration map is fitted on one prediction set (a validation file)
 * and applied to another (a test file):
 *
 *   calib_fit()                 calib_preds (with logits) -> calib_model
 *   calib_model_format/parse()  calib_model <-> the text of a model file
 *   calib_read_options.calibrate, calib_preds_recalibrate()
 *                               apply a model to every row
 *
 * A model sees each row through its logits z_i (for probability files
 * z_ik = ln p_ik, so softmax(z_i) is p_i divided by its sum) and maps them
 * to a new probability vector q_i, from which every metric is computed as
 * usual.  A class with probability exactly 0 (z_ik = -inf) keeps
 * probability 0 under the scaling methods.  Every method minimises or
 * estimates on the row weights w_i.
 *
 * Methods, with s_i = max_k softmax(z_i)_k the top-label confidence and
 * o_i = [argmax_k z_ik = y_i] (lowest index on ties) for K > 2 classes, and
 * s_i = softmax(z_i)_1 = P(class 1), o_i = [y_i = 1] for K = 2:
 *
 * CALIB_METHOD_TEMPERATURE - Guo, Pleiss, Sun & Weinberger, "On calibration
 *   of modern neural networks", ICML 2017, sec. 4.2:
 *       q_i = softmax(z_i / T),
 *       T = argmin_{T > 0} sum_i w_i (-ln softmax(z_i / T)_{y_i}).
 *   The objective is convex in beta = 1/T (its second derivative is a
 *   weighted sum of variances of z_i under q_i), and is solved to full
 *   double precision by safeguarded Newton iteration on beta within a sign
 *   bracket of the derivative.  There is no finite optimum, and the fit
 *   fails with CALIB_E_NUMERIC, when every row gives its true class the
 *   largest logit (the NLL falls all the way to T = 0), or when the true
 *   class's logit is on average no larger than the row mean (the NLL
 *   falls all the way to T = infinity), or when a row gives its true
 *   class probability 0.
 *
 * CALIB_METHOD_VECTOR - vector scaling, Guo et al. 2017, sec. 4.2 (matrix
 *   scaling with a diagonal matrix):
 *       q_i = softmax(w o z_i + b)   (o: element-wise product),
 *   w and b in R^K minimising the same weighted NLL, with b_0 = 0 (adding
 *   a constant to every b_k leaves softmax unchanged).  Solved with GSL's
 *   gsl_multimin_fdfminimizer_vector_bfgs2 and analytic gradients, started
 *   from the fitted temperature (w = 1/T, b = 0), on parameters scaled by
 *   the square root of the Hessian's diagonal there.  It stops when the
 *   scaled gradient's norm is below 1e-10 or the line search stalls (near
 *   1e-8, where the NLL no longer resolves the decrease a step brings),
 *   and the fit is accepted when that norm is at most 1e-6.  Needs every
 *   class among the labels (otherwise its bias would tend to -infinity)
 *   and at least one row whose true class is not the largest logit.
 *
 * CALIB_METHOD_HISTOGRAM - histogram binning, Zadrozny & Elkan, "Obtaining
 *   calibrated probability estimates from decision trees and naive
 *   Bayesian classifiers", ICML 2001: the scores are binned (o->bins bins,
 *   o->binning as in calib_bins_compute()) and g(s) is the weighted mean
 *   of o_i in the bin of s.  Equal-width bins use calib_bin_index(); an
 *   equal-mass bin m covers (upper edge of m-1, upper edge of m], scores
 *   below the first edge falling in the first bin and above the last in
 *   the last.  A bin without validation weight leaves its scores as they
 *   are (g(s) = s): there is no evidence to move them.
 *
 * CALIB_METHOD_ISOTONIC - isotonic regression, Zadrozny & Elkan,
 *   "Transforming classifier scores into accurate multiclass probability
 *   estimates", KDD 2002: g is the non-decreasing step function minimising
 *   sum_i w_i (g(s_i) - o_i)^2, found by the pool-adjacent-violators
 *   algorithm (rows with equal scores are pooled first; neighbouring blocks
 *   with equal values are merged).  Each block holds the scores up to its
 *   largest one, so g(s) is the value of the first block whose largest
 *   score is >= s (the last block above all of them): the same
 *   (lo, hi] convention as the bins.
 *
 *   For both binning methods, K = 2: q_i = (1 - g(s_i), g(s_i)).  K > 2:
 *   the top class gets g(s_i) and the other classes share 1 - g(s_i) in
 *   proportion to their probabilities (equally when those are all 0), so
 *   q_i sums to 1 and NLL and Brier score stay defined.  A class whose new
 *   share exceeds g(s_i) becomes the prediction.  g can be 0 or 1 (a bin
 *   or block of all-wrong or all-right rows), which gives rows whose true
 *   class then gets probability 0 an infinite NLL (calib_nll() with clip
 *   bounds it).
 *
 * CALIB_METHOD_PLATT - Platt, "Probabilistic outputs for support vector
 *   machines and comparisons to regularized likelihood methods", 1999:
 *   logistic regression on the logit of the score, t_i = ln(s_i/(1-s_i)),
 *       g(s) = 1 / (1 + exp(-(a t + b))),
 *   (a, b) minimising the weighted cross-entropy against Platt's smoothed
 *   targets t+ = (N+ + 1)/(N+ + 2) for positives and t- = 1/(N- + 2) for
 *   negatives (N+, N-: the numbers of rows with non-zero weight), which
 *   keeps the optimum finite even when the scores separate the classes.
 *   K = 2 only.
 *
 * CALIB_METHOD_BETA - beta calibration, Kull, Silva Filho & Flach, "Beta
 *   calibration: a well-founded and easily implemented improvement on
 *   logistic calibration for binary classifiers", AISTATS 2017:
 *       g(s) = 1 / (1 + exp(-(c + a ln s - b ln(1 - s)))),  a, b >= 0,
 *   (a, b, c) the weighted maximum-likelihood fit under the constraint,
 *   solved exactly: Newton's method on the full model and on its faces
 *   a = 0, b = 0 and a = b = 0, keeping the best feasible candidate (the
 *   authors' betacal package refits with one feature dropped instead).
 *   K = 2 only.  Fails when only one class occurs or when every positive
 *   scores at least as high as every negative (no finite maximum).
 *
 *   For both binary methods s is first clipped into [eps, 1 - eps],
 *   eps = 2^-52 (DBL_EPSILON), as betacal does, so that probabilities of
 *   exactly 0 or 1 give finite features; for logit files t is computed from
 *   the logits directly.  With constant scores the slope is not identified
 *   and the map is the constant that fits best (a = 0, and b = 0 for beta).
 *
 * The K = 2 maps produce q_i = softmax(0, eta_i) for platt and beta, and
 * q_i = softmax(z_i / T) or softmax(w o z_i + b) for the scaling methods,
 * so the NLL of a recalibrated row is computed from logits and stays finite
 * where q_iy underflows.
 */
typedef enum calib_method {
	CALIB_METHOD_TEMPERATURE = 0,
	CALIB_METHOD_VECTOR,
	CALIB_METHOD_HISTOGRAM,
	CALIB_METHOD_ISOTONIC,
	CALIB_METHOD_PLATT,
	CALIB_METHOD_BETA
} calib_method;

/* The method's name as written in model files: "temperature", "vector",
 * "histogram", "isotonic", "platt", "beta"; NULL for an unknown value. */
const char *calib_method_name(calib_method m);

/* The method called name; CALIB_E_ARG if there is none. */
calib_status calib_method_from_name(const char *name, calib_method *out);

/* Options for calib_fit(); start from calib_fit_options_init(). */
typedef struct calib_fit_options {
	calib_method method; /* default CALIB_METHOD_TEMPERATURE */
	int bins;            /* histogram: bins, 1..1000000, default 15 */
	calib_binning binning; /* histogram: default CALIB_BIN_WIDTH */
} calib_fit_options;

void calib_fit_options_init(calib_fit_options *o);

/*
 * Fit a recalibration map on p (the validation predictions).  p must have
 * been read with CALIB_KEEP_LOGITS, at temperature 1 and without a model
 * (CALIB_E_ARG otherwise).  The weights, labels and logits of p are used;
 * its target (top-label or one-vs-rest) is not.  Platt and beta need K = 2
 * (CALIB_E_ARG otherwise).  When the data admit no finite fit, the call
 * fails with CALIB_E_NUMERIC and err says why; it never returns a model
 * with a non-finite parameter.  On success *out owns the model; release it
 * with calib_model_free().
 */
calib_status calib_fit(const calib_preds *p, const calib_fit_options *o,
    calib_model **out, calib_error *err);

/*
 * Temperature scaling in one call: *temperature receives the T that
 * calib_fit() with CALIB_METHOD_TEMPERATURE finds.  Apply it by reading
 * the test file with calib_read_options.temperature = T, which gives the
 * same doubles as applying the model.
 */
calib_status calib_fit_temperature(const calib_preds *p, double *temperature,
    calib_error *err);

/* Release a model; accepts NULL. */
void calib_model_free(calib_model *m);

calib_method calib_model_method(const calib_model *m);

/* The number of classes the model was fitted on. */
int calib_model_classes(const calib_model *m);

/* The name of class k (0-based) the model was fitted on; NULL if out of
 * range.  The string belongs to the model. */
const char *calib_model_class_name(const calib_model *m, int k);

/*
 * A scalar parameter: "temperature" (temperature), "a" and "b" (platt),
 * "a", "b" and "c" (beta).  CALIB_E_ARG if the model has no such
 * parameter.
 */
calib_status calib_model_get(const calib_model *m, const char *name,
    double *value);

/*
 * The model as the text of a model file, version 1 (documented in the
 * README): a first line "calib-model 1", then one "key value" line each
 * for the method, the class count, every class name and the parameters,
 * numbers written with %.17g so they read back as the same doubles.  *text
 * is NUL-terminated; release it with free().
 */
calib_status calib_model_format(const calib_model *m, char **text,
    calib_error *err);

/*
 * Parse the text of a model file (len bytes; need not be NUL-terminated).
 * source names it in error reports, whose line is 1-based.  Every value is
 * checked; unknown keys, duplicate or missing ones, a different version, a
 * non-finite number or parameters outside their domain are errors
 * (CALIB_E_FORMAT).
 */
calib_status calib_model_parse(const char *text, size_t len,
    const char *source, calib_model **out, calib_error *err);

/* Read and parse the model file at path ("-" for standard input). */
calib_status calib_model_load(const char *path, calib_model **out,
    calib_error *err);

/*
 * Apply m to predictions already in memory: p must hold its logits
 * (CALIB_KEEP_LOGITS), which are the file's own, before any temperature or
 * model p was read with.  The result is what calib_read() with
 * o->calibrate = m gives for the same file, to the bit, and keeps p's
 * class names (checked against the model's, CALIB_E_MISMATCH), source and
 * single-column flag.  o supplies target, keep and classwise_bins (NULL:
 * the defaults); its temperature must be 1 and its calibrate is ignored.
 */
calib_status calib_preds_recalibrate(const calib_preds *p,
    const calib_model *m, const calib_read_options *o, calib_preds **out,
    calib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CALIB_H */
