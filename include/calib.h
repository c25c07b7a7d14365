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
 *   calib_reliability_compute() calib_preds -> the table with an interval
 *                           and a consistency band per bin
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
	 * The sums take 24 bytes per class and bin, once whatever the thread
	 * count; more than 256 MiB of them (e.g. 100 classes and 111,849
	 * bins) is a CALIB_E_ARG error giving the largest bin count that
	 * fits.  Default 15. */
	int classwise_bins;
	/* Worker threads for parsing: 0 (default) uses the online CPUs, at most
	 * 8.  Results are bit-identical for every thread count. */
	int threads;
	/* Non-zero: parse every row with libcsv and strtod instead of the fast
	 * path.  Slower; results are bit-identical.  For differential tests. */
	int reference_parser;

	/* ---- added in 0.2: NumPy input and how real files are laid out ---- */

	/* The true labels from a separate file: a .npy array, a text file
	 * with one label per line, or a CSV file whose label_col holds them.
	 * Its length must equal the number of score rows.  NULL (default): the
	 * labels are in the scores file. */
	const char *labels_path;
	/* Sample weights from a separate file, read like labels_path (a CSV
	 * file gives its weight_col).  NULL (default). */
	const char *weights_path;
	/* .npz members to read (without ".npy").  NULL (default): scores from
	 * "logits" (logits) or "probs", "probabilities", "scores"
	 * (probabilities); labels from "labels", "targets", "y_true" or "y";
	 * weights from "weights" or "sample_weight" when present. */
	const char *scores_key;
	const char *labels_key;
	const char *weights_key;
	/* Names of the classes of a file that has none (NumPy files, numeric
	 * CSV headers): nclasses names, which must equal K.  NULL (default):
	 * "0".."K-1". */
	const char *const *classes;
	int nclasses;
	/* Binary file with one score column: the label naming class 1 (its
	 * score is P(class 1)); the other label seen is class 0.  NULL
	 * (default): labels are 0/1 (or the class names). */
	const char *positive;
	/* Non-zero: rows whose label is ignore_label (e.g. -100) are dropped
	 * and counted in calib_preds.dropped_rows.  Default 0. */
	int ignore_label_set;
	long ignore_label;
	/* CSV: a column kept as the row id (named in messages).  NULL
	 * (default): none; pandas' unnamed index column (an empty first header
	 * field) is taken as the id column whenever present. */
	const char *id_col;
	/* CSV: columns to drop, by name or glob (fnmatch(3)); nignore_cols
	 * patterns.  Default none. */
	const char *const *ignore_cols;
	int nignore_cols;
	/* Top-label-only files: the columns (CSV) or members (.npz) holding
	 * the top label's confidence and whether it was right (0/1), used
	 * when the file has no score columns.  Defaults "confidence" and
	 * "correct". */
	const char *confidence_col;
	const char *correct_col;

	/* The longest record (the header or a row, quoted newlines included)
	 * accepted, in bytes; a longer one is a CALIB_E_FORMAT error naming
	 * its line, so neither a file without line ends (/dev/zero, a gzip
	 * bomb) nor an unterminated quote is read to its end.  Default
	 * CALIB_MAX_RECORD_BYTES; at least 1024. */
	size_t max_record_bytes;
} calib_read_options;

/* The default calib_read_options.max_record_bytes: 64 MiB. */
#define CALIB_MAX_RECORD_BYTES ((size_t)64 << 20)

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
	/* added in 0.2 */
	size_t dropped_rows;      /* rows dropped by ignore_label */
	const char *format;       /* "csv", "npy" or "npz" (static) */
	double sum_tol;           /* the sum tolerance rows were checked with */
	/* 1: a top-label-only file (confidence and correctness, no score
	 * vector).  k is 0, label[i] is 0 and pred[i] is 0 when right, 1
	 * when wrong; nll, brier and entropy are NaN, and so are the metrics
	 * that need the full vector (classwise ECE, NLL, Brier, entropy). */
	int top_only;
	int index_column;         /* 1: the CSV's first column, unnamed, was
	                           * taken as the row id (pandas' index) */
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

/* Element types of calib_preds_from_arrays2(): what numpy and PyTorch
 * produce. */
typedef enum calib_dtype {
	CALIB_FLOAT64 = 0,
	CALIB_FLOAT32,
	CALIB_INT32,
	CALIB_INT64
} calib_dtype;

/*
 * calib_preds_from_arrays() for other element types: scores is n x k
 * row-major of score_type (CALIB_FLOAT64 or CALIB_FLOAT32), labels n
 * values of label_type (CALIB_INT32 or CALIB_INT64).  Values are converted
 * exactly (every float32 is a double).  o->ignore_label drops rows as
 * calib_read() does.
 */
calib_status calib_preds_from_arrays2(const char *source, size_t n, int k,
    const void *scores, calib_dtype score_type, const void *labels,
    calib_dtype label_type, const double *weights,
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
	/* 1 when the sums are float32 sums (CALIB_ARITH_FLOAT32): the metrics
	 * of the table are then computed in float32 as well. */
	int float32;
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

struct calib_convention;

/*
 * calib_bins_compute() under a convention (see "Conventions" below; NULL
 * or the default gives calib_bins_compute()).  Width binning puts each
 * score in calib_convention_bin(); with CALIB_TOP_EXTRA the table has
 * m + 1 bins, the last [1, 1].  Mass binning follows c->mass.  bin[].lo
 * and hi are the convention's edges.  Under CALIB_ARITH_FLOAT32 the sums
 * are float sums in row order, and float32 is set.
 */
calib_status calib_bins_compute_conv(const calib_preds *p, int m,
    calib_binning binning, const struct calib_convention *c,
    const uint32_t *mult, calib_bins *out);

/* ------------------------------------------------------------------ */
/* Conventions: how other libraries bin and compute                    */
/* ------------------------------------------------------------------ */

/*
 * A convention is a record of independent choices that decide which bin a
 * score falls in and in which arithmetic the metrics are computed.  The
 * default ("calib") is the exact rule documented at calib_bin_index().  The
 * presets reproduce other libraries' numbers; the README's conventions
 * table names the version of each that was checked.  A convention is passed
 * per call (calib_metric_options.convention,
 * calib_reliability_options.convention, calib_bins_compute_conv()); there
 * is no global state.
 */

/* Where the M equal-width bin edges come from. */
typedef enum calib_edges {
	CALIB_EDGES_EXACT = 0,   /* the real numbers j/M, decided exactly */
	CALIB_EDGES_I_OVER_M,    /* the doubles j/M (j * 1.0 / M) */
	CALIB_EDGES_LINSPACE,    /* numpy.linspace(0, 1, M+1): j * (1.0/M) in
	                          * double, the last edge exactly 1 */
	CALIB_EDGES_LINSPACE32,  /* torch.linspace(0, 1, M+1) in float32:
	                          * step = 1/M in float, edge j = j * step for
	                          * j < (M+1)/2 (integer division), else
	                          * 1 - (M - j) * step, in float */
	CALIB_EDGES_FLOOR,       /* no edges: bin floor(s * M), the product
	                          * rounded in the convention's arithmetic */
	CALIB_EDGES_FLOOR_WIDTH  /* no edges: bin int(s / (1.0/M)) in double */
} calib_edges;

/* Which side of an edge a score exactly on it belongs to. */
typedef enum calib_closure {
	CALIB_CLOSURE_RIGHT = 0, /* (lo, hi]: an edge belongs to the bin below */
	CALIB_CLOSURE_LEFT       /* [lo, hi): an edge belongs to the bin above */
} calib_closure;

/* Where a score at or above the top edge goes (1.0 under [lo, hi)). */
typedef enum calib_top {
	CALIB_TOP_LAST = 0, /* into the last bin, M */
	CALIB_TOP_EXTRA     /* into an extra bin M+1 of its own, [1, 1] */
} calib_top;

/* The arithmetic of the binned sums and metrics. */
typedef enum calib_arith {
	CALIB_ARITH_DOUBLE = 0, /* double, compensated sums */
	CALIB_ARITH_FLOAT32     /* scores rounded to float, then float sums
	                         * in row order and float metric arithmetic */
} calib_arith;

/* How equal-mass bins are laid out (CALIB_BIN_MASS). */
typedef enum calib_mass {
	CALIB_MASS_CALIB = 0,    /* calib_bins_compute(): ties never split */
	CALIB_MASS_ARRAY_SPLIT,  /* numpy.array_split of the sorted scores:
	                          * the first n mod M parts one row longer;
	                          * ties may be split */
	CALIB_MASS_MIDPOINT,     /* Kumar et al.: array_split into min(M, n)
	                          * parts, edges at the midpoints between
	                          * neighbouring parts and 1.0, duplicates
	                          * dropped, bins (lo, hi] */
	CALIB_MASS_PERCENTILE    /* scikit-learn: numpy.percentile edges
	                          * (linear interpolation) at
	                          * linspace(0, 1, M+1) * 100, bins by the
	                          * closure, empty bins dropped */
} calib_mass;

/* The form of the Brier score. */
typedef enum calib_brier_form {
	CALIB_BRIER_SUM = 0, /* sum_k (p_ik - [y_i = k])^2, in [0, 2] */
	CALIB_BRIER_BINARY   /* 2-class files: (p_i1 - [y_i = 1])^2, half the
	                      * sum; other files: the sum */
} calib_brier_form;

typedef struct calib_convention {
	/* The preset it started from ("calib" after calib_convention_init()). */
	char name[16];
	calib_edges edges;
	calib_closure closure;
	calib_top top;
	calib_arith arith;
	calib_mass mass;
	/* > 0: scores are clipped into [clip, 1 - clip] before binning and
	 * averaging.  Default 0. */
	double clip;
	/* > 0: every probability of a row is clipped into [nll_clip,
	 * 1 - nll_clip] before the NLL (calib_metric_options.nll_clip, when
	 * > 0, takes precedence).  Default 0. */
	double nll_clip;
	/* Non-zero: after clipping, the NLL divides each row by its sum
	 * (needs CALIB_KEEP_PROBS; the NLL is NaN without it).  Default 0. */
	int nll_renorm;
	calib_brier_form brier;
	/* Bit i set: choice calib_convention_choices[i] was set by
	 * calib_convention_set() since the preset was loaded (reports list
	 * those as set by hand).  Not a choice itself. */
	unsigned hand;
} calib_convention;

/* Fill *c with the "calib" convention: exact edges, (lo, hi], double. */
void calib_convention_init(calib_convention *c);

/*
 * The presets, in the order calib explain shows them, NULL-terminated:
 * "calib", "torchmetrics", "netcal", "sklearn", "relplot", "kumar", "tfp".
 */
extern const char *const calib_convention_names[];

/* Fill *c with the preset called name; CALIB_E_ARG if there is none. */
calib_status calib_convention_preset(const char *name, calib_convention *c);

/*
 * The names of the individual choices, NULL-terminated: "edges", "closure",
 * "top", "arith", "mass", "clip", "nll-clip", "nll-renorm", "brier".
 */
extern const char *const calib_convention_choices[];

/*
 * Set one choice by name from its text: edges exact|i/M|linspace|
 * linspace32|floor|floor-width; closure right|left; top last|extra; arith
 * double|float32; mass calib|array-split|midpoint|percentile; clip and
 * nll-clip a number in [0, 0.5); nll-renorm yes|no; brier sum|binary.
 * CALIB_E_ARG with a message naming the accepted values otherwise.
 */
calib_status calib_convention_set(calib_convention *c, const char *choice,
    const char *value, calib_error *err);

/* The text of one choice as calib_convention_set() accepts it (numbers
 * with %.17g); CALIB_E_ARG for an unknown choice. */
calib_status calib_convention_get(const calib_convention *c,
    const char *choice, char *buf, size_t size);

/* 1 when c is NULL or makes exactly calib's choices. */
int calib_convention_is_default(const calib_convention *c);

/*
 * The 0-based equal-width bin of score s (in [0, 1]) among m under c:
 * 0..m-1, or m for the extra bin of CALIB_TOP_EXTRA.  The score is clipped
 * and rounded to float first when c says so.  NULL c: calib_bin_index().
 */
int calib_convention_bin(const calib_convention *c, double s, int m);

/*
 * Edge j (0..m) of the m equal-width bins under c: the double (or the
 * float32 value, for CALIB_EDGES_LINSPACE32) the library compares scores
 * with; j/M for CALIB_EDGES_EXACT and CALIB_EDGES_FLOOR, whose rules have
 * no rounded edges.  NaN when j is out of range.
 */
double calib_convention_edge(const calib_convention *c, int j, int m);

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

/*
 * The metric table.  Every metric calib knows is one entry of a table the
 * library owns: its name (also its JSON key, CSV column and the name
 * calib check and --metrics take), a label for prose, its unit, which
 * direction is better, what data it needs, and where calib_metrics holds
 * it.  Reports, comparisons and assertions iterate over this table, so a
 * metric added to it appears everywhere.  Ids are table positions, in
 * report order, 0 .. calib_metric_count() - 1; they are stable within one
 * version of the library only, so store names, not ids.
 */
typedef enum calib_metric_direction {
	CALIB_DIR_LOWER = 0, /* lower is better (an error, a loss) */
	CALIB_DIR_HIGHER,    /* higher is better (accuracy) */
	CALIB_DIR_SIGNED,    /* 0 is best; the sign says which side */
	CALIB_DIR_NONE       /* descriptive (mean confidence, entropy) */
} calib_metric_direction;

typedef enum calib_metric_unit {
	CALIB_UNIT_FRACTION = 0, /* a probability or a difference of them;
	                          * compare shows it in percentage points */
	CALIB_UNIT_NATS,         /* a log loss or an entropy */
	CALIB_UNIT_SCORE,        /* a proper score on its own scale (Brier) */
	CALIB_UNIT_COUNT         /* a number of bins */
} calib_metric_unit;

/* What a metric needs from the rows. */
typedef enum calib_metric_data {
	CALIB_DATA_SUMS = 0, /* weighted sums over rows or over equal-width
	                      * bins: mergeable across chunks of a file
	                      * (with --binning mass the binned ones need
	                      * sorted rows) */
	CALIB_DATA_SORTED,   /* the rows sorted by score */
	CALIB_DATA_ROWS      /* every row at once, in no particular order */
} calib_metric_data;

typedef struct calib_metric_info {
	const char *name;     /* "ece": key in every format, for --metrics
	                       * and calib check */
	const char *label;    /* "ECE": for prose */
	calib_metric_unit unit;
	calib_metric_direction direction;
	calib_metric_data data;
	int needs_probs;      /* needs the n x K matrix (CALIB_KEEP_PROBS) */
	int is_default;       /* computed when no selection is given */
	const char *summary;  /* how it is computed, in one line */
} calib_metric_info;

/* The number of metrics in the table. */
int calib_metric_count(void);

/* The entry of metric id; NULL when id is out of range. */
const calib_metric_info *calib_metric_info_get(int id);

/* The id of the metric called name, or -1. */
int calib_metric_lookup(const char *name);

/* A set of metrics: bit id is set for metric id (at most 64 metrics). */
typedef uint64_t calib_metric_set;

/* The metrics whose is_default is set. */
calib_metric_set calib_metric_default_set(void);

/* Every metric of the table. */
calib_metric_set calib_metric_all_set(void);

/*
 * Parse a selection: "all", "default", or a comma-separated list of names
 * (blanks around them are ignored), into *set.  CALIB_E_ARG for an unknown
 * name or an empty list, with a message listing the valid names.
 */
calib_status calib_metric_select(const char *list, calib_metric_set *set,
    calib_error *err);

/* Options for calib_metrics_compute(); start from calib_metric_options_init(). */
typedef struct calib_metric_options {
	int bins;              /* M, default 15 */
	calib_binning binning; /* default CALIB_BIN_WIDTH */
	double nll_clip;       /* default 0: unclipped */
	calib_metric_set select; /* which metrics to compute; default
	                          * calib_metric_default_set().  0 means the
	                          * default set too. */
	/* Binning and arithmetic choices (see "Conventions"); NULL (default)
	 * means calib's.  Only read during the call. */
	const struct calib_convention *convention;
} calib_metric_options;

void calib_metric_options_init(calib_metric_options *o);

/* Metrics of one prediction set. */
typedef struct calib_metrics {
	size_t n;
	int classes;
	int bins;                /* bins actually used (see CALIB_BIN_MASS) */
	calib_binning binning;
	calib_metric_set computed; /* the metrics computed; every other
	                            * value is NaN */
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
 * Compute the metrics o->select asks for (mult as in calib_bins_compute()),
 * each once, sharing the work they have in common (one bin table, one pass
 * for the row means).  overconfidence is calib_mean_score() -
 * calib_mean_outcome(): for top-label calibration, mean confidence -
 * accuracy.  A metric the data cannot give (classwise ECE without the
 * matrix or the reader's sums) is NaN but still counts as computed.
 */
calib_status calib_metrics_compute(const calib_preds *p,
    const calib_metric_options *o, const uint32_t *mult, calib_metrics *out);

/*
 * 1 when every metric of select (0: the default set) can be computed from
 * sums - its data is CALIB_DATA_SUMS - and binning is CALIB_BIN_WIDTH:
 * then calib_summarize() and summaries of shards give it (see "Mergeable
 * summaries").
 */
int calib_metric_set_merges(calib_metric_set select, calib_binning binning);

/* The value of metric id in m (NaN when id is out of range). */
double calib_metrics_value(const calib_metrics *m, int id);

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

/* How calib_bootstrap_paired() resamples. */
typedef enum calib_bootstrap_method {
	CALIB_BOOTSTRAP_MULTINOMIAL = 0, /* n draws with replacement */
	CALIB_BOOTSTRAP_POISSON          /* independent Poisson(1) counts */
} calib_bootstrap_method;

/* Options for calib_bootstrap_paired(); start from
 * calib_bootstrap_options_init(). */
typedef struct calib_bootstrap_options {
	int replicates;          /* B, default 1000 */
	unsigned long seed;      /* default 20191206 */
	calib_metric_options metric;
	calib_bootstrap_method method; /* default CALIB_BOOTSTRAP_MULTINOMIAL */
	uint64_t first_row;      /* Poisson: global position of row 0,
	                          * default 0 */
} calib_bootstrap_options;

/*
 * The Poisson bootstrap's count for the row at global position row (0 for
 * the first data row of the concatenated input) in replicate rep: a
 * Poisson(1) variate by inversion of its distribution function, from one
 * uniform of a counter-based generator keyed by (seed, row, rep) - the
 * SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014) applied to the three
 * keys in turn, so any row's count can be drawn on any machine without
 * drawing the others.
 */
uint32_t calib_poisson_count(unsigned long seed, uint64_t row, uint32_t rep);

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
 * CALIB_BOOTSTRAP_POISSON (Hanley & MacGibbon, "Creating non-parametric
 * bootstrap samples using Poisson frequencies", Computer Methods and
 * Programs in Biomedicine 83, 2006; Chamandy, Muralidharan, Najmi & Naik,
 * "Estimating uncertainty for massive data streams", Google, 2012): row i
 * counts calib_poisson_count(seed, first_row + i, j) times in replicate
 * j, independently of every other row, so a replicate's sums are sums
 * over rows and merge across shards; the metrics of a replicate come from
 * exact sums (as summaries keep them), so summaries of shards give the
 * same intervals as one pass over the same rows in the same order.  Unlike
 * the multinomial bootstrap, a replicate's size varies (Poisson with mean
 * n): for the large n this is meant for the intervals agree, for small n
 * they are slightly wider.  Equal-width bins only (CALIB_E_ARG
 * otherwise); classwise ECE has no Poisson replicates (NaN, so no
 * interval).
 *
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

/* One assertion of a rules file and the line (1-based) it is on. */
typedef struct calib_rule {
	calib_assertion a;
	unsigned long line;
} calib_rule;

/*
 * Parse the text of a rules file (len bytes; source names it in errors):
 * one assertion per line, "KIND METRIC=VALUE", with blanks allowed around
 * the '=', '#' starting a comment, blank lines skipped, and lines ending
 * in LF or CRLF.  Anything else after the value (as in "min
 * accuracy=0.5 9"), a NUL byte or a carriage return inside a line is a
 * CALIB_E_FORMAT error with the line and column; lines have no length
 * limit.  On success *out holds *n rules (NULL when there are none), to
 * release with calib_rules_free().
 */
calib_status calib_rules_parse(const char *text, size_t len,
    const char *source, calib_rule **out, size_t *n, calib_error *err);
void calib_rules_free(calib_rule *rules);
/* Uncertainty per bin: intervals and consistency bands                */
/* ------------------------------------------------------------------ */

/* How calib_bin_interval() brackets a bin's observed frequency. */
typedef enum calib_interval {
	CALIB_INTERVAL_WILSON = 0,      /* Wilson score interval */
	CALIB_INTERVAL_CLOPPER_PEARSON  /* exact (conservative) binomial */
} calib_interval;

/*
 * A two-sided interval at the given level (0 < level < 1, e.g. 0.95) for a
 * binomial proportion, from x successes in n trials (0 <= x <= n, n > 0).
 * x and n need not be integers, so a weighted bin can pass its Kish
 * effective size n_eff = W_m^2 / sum w_i^2 and x = acc(B_m) n_eff.
 * With z the (1 + level)/2 quantile of the standard normal and p = x/n:
 *
 *   CALIB_INTERVAL_WILSON (Wilson, "Probable inference, the law of
 *   succession, and statistical inference", JASA 22, 1927):
 *       (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
 *   the set of true proportions q the score test |p - q| <= z sqrt(q(1-q)/n)
 *   does not reject.  It stays inside [0, 1] and is not degenerate at
 *   x = 0 or x = n.
 *
 *   CALIB_INTERVAL_CLOPPER_PEARSON (Clopper & Pearson, "The use of
 *   confidence or fiducial limits illustrated in the case of the
 *   binomial", Biometrika 26, 1934):
 *       lo = B^-1(a/2; x, n-x+1),  hi = B^-1(1-a/2; x+1, n-x),  a = 1-level
 *   with B^-1 the beta quantile (GSL's gsl_cdf_beta_Pinv); lo = 0 when
 *   x = 0 and hi = 1 when x = n.  Coverage is at least the level for
 *   every true proportion, so it is wider than Wilson.
 *
 * On failure *lo and *hi are NaN: CALIB_E_ARG for arguments outside the
 * ranges above, CALIB_E_NUMERIC if GSL reports no answer.
 */
calib_status calib_bin_interval(double x, double n, double level,
    calib_interval method, double *lo, double *hi);

/* How calib_consistency_band() gets the band. */
typedef enum calib_band {
	CALIB_BAND_AUTO = 0, /* exact when the positive weights are equal,
				otherwise resampled */
	CALIB_BAND_EXACT,    /* the Poisson-binomial distribution */
	CALIB_BAND_RESAMPLE, /* seeded resampling of the outcomes */
	CALIB_BAND_NONE      /* not computed (the table's band is NaN) */
} calib_band;

/*
 * Consistency band for one bin (Broecker & Smith, "Increasing the
 * reliability of reliability diagrams", Weather and Forecasting 22, 2007):
 * the range of observed frequencies a perfectly calibrated model with these
 * scores would show in the bin at the given level.  If the model is
 * calibrated, outcome i is Bernoulli(s_i), independently, so the bin's
 * observed frequency is
 *     A = sum_i w_i O_i / sum_i w_i,   O_i ~ Bernoulli(s_i).
 * The band is [Q(a/2), Q(1 - a/2)], a = 1 - level, with the quantile
 * convention Q(q) = the smallest value v with P(A <= v) >= q (the
 * inverse of the distribution function, type 1 of Hyndman & Fan 1996), so
 * the band covers A with probability at least the level.  An observed
 * frequency outside it is evidence of miscalibration in that bin.
 *
 * Broecker & Smith's consistency resampling also redraws the scores from
 * the whole sample; this band holds the bin's scores fixed and redraws
 * only the outcomes, so it answers "could these very scores have produced
 * this frequency?" and can be computed exactly.
 *
 *   CALIB_BAND_EXACT: with equal positive weights A = X / n', where X, the
 *   number of successes among the n' rows of positive weight, has the
 *   Poisson-binomial distribution of the s_i.  Its probabilities come from
 *   the recursion f_j(x) = f_{j-1}(x)(1 - s_j) + f_{j-1}(x - 1) s_j, whose
 *   terms are all non-negative (no cancellation).  Values below 1e-30 at
 *   the tails are dropped as the recursion runs, so its cost is
 *   O(n sqrt(n)) rather than O(n^2), and every probability is off by less
 *   than n * 1e-30.  Rows with different positive weights: CALIB_E_ARG.
 *
 *   CALIB_BAND_RESAMPLE: resamples replicates of A, each drawing every
 *   O_i as [U_i < s_i] with U_i uniform from GSL's gsl_rng_mt19937 seeded
 *   with seed (rows in the order given).  The quantiles are the order
 *   statistics A_(ceil(q R)) of the R = resamples sorted replicates.  The
 *   same input and seed always give the same band.
 *
 *   CALIB_BAND_AUTO: EXACT when weight is NULL or all positive weights are
 *   equal, RESAMPLE otherwise.
 *
 * score holds n values in [0, 1]; weight is NULL or n non-negative weights.
 * When the bin has no positive weight *lo and *hi are NaN and the status is
 * CALIB_OK.  CALIB_BAND_NONE sets them to NaN.
 */
calib_status calib_consistency_band(size_t n, const double *score,
    const double *weight, double level, calib_band method, int resamples,
    unsigned long seed, double *lo, double *hi);

/* Options for calib_reliability_compute(); start from
 * calib_reliability_options_init(). */
typedef struct calib_reliability_options {
	int bins;                /* M, default 15 */
	calib_binning binning;   /* default CALIB_BIN_WIDTH */
	double level;            /* of the interval and the band, default 0.95 */
	calib_interval interval; /* default CALIB_INTERVAL_WILSON */
	calib_band band;         /* default CALIB_BAND_AUTO */
	int resamples;           /* for CALIB_BAND_RESAMPLE, default 2000 */
	unsigned long seed;      /* for CALIB_BAND_RESAMPLE, default 1 */
	/* Binning choices (see "Conventions"); NULL (default): calib's. */
	const struct calib_convention *convention;
} calib_reliability_options;

void calib_reliability_options_init(calib_reliability_options *o);

/* The uncertainty of one bin of a reliability table; NaN for empty bins. */
typedef struct calib_bin_uncertainty {
	double n_eff;            /* W_m^2 / sum w_i^2; the count when unweighted */
	double acc_lo, acc_hi;   /* interval for acc(B_m) */
	double band_lo, band_hi; /* consistency band around the bin's scores */
} calib_bin_uncertainty;

/* A reliability table with an interval and a band for every bin. */
typedef struct calib_reliability {
	calib_bins table;          /* as from calib_bins_compute() */
	calib_bin_uncertainty *u;  /* table.m entries, in bin order */
	double level;
	calib_interval interval;
	calib_band band;           /* as used: EXACT, RESAMPLE or NONE */
	int resamples;
	unsigned long seed;
	/* The convention the table was binned under ("calib" by default). */
	calib_convention convention;
} calib_reliability;

/*
 * Bin p as calib_bins_compute() does, then give every non-empty bin the
 * interval of its observed frequency (x = acc(B_m) n_eff out of n_eff;
 * x = the number of correct rows out of the count when unweighted) and its
 * consistency band.  CALIB_BAND_AUTO is decided for the whole file: EXACT
 * when it has no weights or all its positive weights are equal, RESAMPLE
 * otherwise.  For resampling, bin m (0-based) uses its own generator seeded
 * from (seed, m), so a bin's band does not depend on the other bins.
 * Release with calib_reliability_release().
 */
calib_status calib_reliability_compute(const calib_preds *p,
    const calib_reliability_options *o, calib_reliability *out,
    calib_error *err);

/* Release a table filled by calib_reliability_compute(); accepts a zeroed
 * one. */
void calib_reliability_release(calib_reliability *r);

/* ------------------------------------------------------------------ */
/* Mergeable summaries                                                 */
/* ------------------------------------------------------------------ */

/*
 * A summary holds everything the sum-based metrics and the equal-width
 * reliability table need, as exact sums: per bin the count, sum w_i,
 * sum w_i s_i, sum w_i o_i and sum w_i^2; over all rows sum w_i, the
 * weighted sums of [yhat_i = y_i], s_i, o_i, the (clipped) NLL term, the
 * Brier term and the entropy; per class and bin the classwise sums; the
 * row, tie, renormalisation and zero-probability counts; and the settings
 * it was made with (classes and their names, target, score kind, weight
 * column, temperature, model, sum tolerance, renormalisation, bins, NLL
 * clip).
 *
 * Each sum is kept exactly (a long fixed-point accumulator, see
 * src/lib/exactsum.h) and rounded to a double once, when a metric is read.
 * So summaries of any split of the rows, merged in any order, give the
 * same doubles as one pass over all rows - and as calib_read() followed by
 * calib_metrics_compute(), whatever the thread count.
 *
 * Only what is a sum merges: equal-mass bins, consistency bands, the
 * bootstrap's percentile intervals and recalibration fits need the rows
 * and are refused on summaries (CALIB_E_ARG, naming the alternative).
 *
 * The byte format (version 1: big-endian, CRC-32 checked) is documented in
 * docs/calsum.md.
 */
typedef struct calib_summary calib_summary;

/* The first 8 bytes of every summary file. */
#define CALIB_SUMMARY_MAGIC "\x89" "CALSUM\n"
#define CALIB_SUMMARY_VERSION 1

/*
 * Read the prediction file at path ("-": standard input) as calib_read()
 * would, validating every row the same way, but keep no row: only the
 * summary for mo's bins (mo->binning must be CALIB_BIN_WIDTH) and NLL clip
 * is built, so memory does not grow with the number of rows.  ro->keep is
 * ignored.  On success *out owns the summary; release with
 * calib_summary_free().
 */
calib_status calib_summarize(const char *path, const calib_read_options *ro,
    const calib_metric_options *mo, calib_summary **out, calib_error *err);

/* Poisson bootstrap replicates a summary keeps (see
 * CALIB_BOOTSTRAP_POISSON); start from calib_summary_options_init(). */
typedef struct calib_summary_options {
	int replicates;      /* 0 (default): none; at most 100000 */
	unsigned long seed;  /* default 20191206 */
	uint64_t first_row;  /* global position of the file's first data row
	                      * in the concatenation of every shard, default
	                      * 0: each row's replicate counts depend on it */
} calib_summary_options;

void calib_summary_options_init(calib_summary_options *o);

/*
 * calib_summarize() that also keeps so->replicates Poisson bootstrap
 * replicates of the top-label and unbinned sums (so NULL: none).  The
 * replicate counts of a row depend on its global position, so they are
 * added in file order, after parsing: the cost grows with rows times
 * replicates.  Replicates and seed are settings: merging needs them
 * equal.
 */
calib_status calib_summarize_ext(const char *path,
    const calib_read_options *ro, const calib_metric_options *mo,
    const calib_summary_options *so, calib_summary **out, calib_error *err);

/*
 * The Poisson bootstrap of summaries of paired runs (the same rows in the
 * same positions, each summary with the same replicates and seed): the
 * point and replicate metrics calib_bootstrap_paired() gives with
 * CALIB_BOOTSTRAP_POISSON on the rows, to the bit.  o's bins and clip must
 * be the summaries'.  Release with calib_bootstrap_release().
 */
calib_status calib_summary_bootstrap(const calib_summary *const *runs,
    int nruns, const calib_metric_options *o, calib_bootstrap *out,
    calib_error *err);

/*
 * Add src into dst.  Both must have been made with the same settings; on a
 * difference returns CALIB_E_MISMATCH with err->message naming the
 * setting and both values, err->file naming src.
 */
calib_status calib_summary_merge(calib_summary *dst, const calib_summary *src,
    calib_error *err);

/* A copy of s (NULL when out of memory). */
calib_summary *calib_summary_dup(const calib_summary *s);

/* Serialise s; *buf (release with free()) receives *len bytes. */
calib_status calib_summary_encode(const calib_summary *s, unsigned char **buf,
    size_t *len, calib_error *err);

/*
 * Parse len bytes of a summary file; source names it in messages.  Every
 * field is checked: magic, version, length, checksum, ranges, and that
 * nothing follows the end.  A truncated, corrupt or newer file gives
 * CALIB_E_FORMAT with a message saying which.
 */
calib_status calib_summary_decode(const unsigned char *buf, size_t len,
    const char *source, calib_summary **out, calib_error *err);

/* Read and decode the summary file at path ("-": standard input). */
calib_status calib_summary_load(const char *path, calib_summary **out,
    calib_error *err);

/* 1 when the file at path begins with CALIB_SUMMARY_MAGIC, 0 when it does
 * not or cannot be read ("-" is never sniffed: it gives 0). */
int calib_summary_sniff(const char *path);

void calib_summary_free(calib_summary *s);

/* Name the summary's source (used in merge messages), e.g. the file a part
 * read through a pipe came from.  CALIB_E_NOMEM or CALIB_OK. */
calib_status calib_summary_set_source(calib_summary *s, const char *source);

/* What a summary holds, for reports.  Strings belong to the summary. */
typedef struct calib_summary_info {
	const char *source;
	uint64_t n;
	int k;
	char *const *class_names;
	int target;             /* CALIB_TARGET_TOP or a class */
	calib_score_kind kind;
	int single_column;
	int has_weight;
	double temperature;
	int calibrated;
	int bins;
	double nll_clip;
	uint64_t tied_rows, renormalized_rows, zero_prob_rows;
	double total_weight;
	int replicates;         /* Poisson bootstrap replicates kept (0: none) */
	unsigned long seed;     /* their seed */
	double sum_tol;
	uint64_t dropped_rows;  /* rows dropped by ignore_label */
	int top_only;           /* top-label-only input (k = 0) */
	const char *format;     /* "csv", "npy", "npz", or "mixed" */
	int index_column;       /* read from a CSV whose unnamed first column
	                         * was taken as the row id (not stored) */
} calib_summary_info;

void calib_summary_get_info(const calib_summary *s, calib_summary_info *out);

/*
 * The metrics of a summary: the same values calib_metrics_compute() gives
 * on all its rows with o (o->bins, binning and nll_clip must be the
 * summary's: CALIB_E_MISMATCH otherwise, naming the setting).
 */
calib_status calib_summary_metrics(const calib_summary *s,
    const calib_metric_options *o, calib_metrics *out, calib_error *err);

/*
 * The reliability table of a summary, as calib_reliability_compute() gives
 * it on the rows: o->bins must be the summary's and o->binning width;
 * o->band must be CALIB_BAND_NONE (a band needs every score of a bin:
 * CALIB_E_ARG otherwise, saying so).
 */
calib_status calib_summary_reliability(const calib_summary *s,
    const calib_reliability_options *o, calib_reliability *out,
    calib_error *err);

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
