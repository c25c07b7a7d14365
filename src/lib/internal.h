/*
 * internal.h - libcalib's private interfaces, grouped by source file.
 * Names here start with ci_ and are not exported from libcalib.so.
 */
#ifndef CALIB_INTERNAL_H
#define CALIB_INTERNAL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "calib.h"

/* error.c */
calib_status ci_error_set(calib_error *err, calib_status status,
    const char *file, unsigned long line, unsigned column,
    const char *column_name, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void ci_quote_text(char *dst, size_t size, const char *s, size_t len);
void ci_escape_text(char *s, size_t size);

/* numparse.c */

/* Outcome of converting one field. */
typedef enum ci_num_status {
	CI_NUM_OK = 0,
	CI_NUM_SYNTAX,   /* not a decimal number */
	CI_NUM_NONFINITE, /* spelled like NaN or infinity */
	CI_NUM_RANGE,    /* decimal, but overflows a double */
	CI_NUM_NOMEM
} ci_num_status;

/*
 * Fast path: converts [s, e) when it is a plain decimal with at most 19
 * significant digits and a decimal exponent within +-22, where one IEEE
 * multiplication or division is exact-then-rounded (Clinger 1990), giving
 * the same double strtod does.  Returns 0 when it does not apply (including
 * malformed text); the caller then uses ci_parse_number().
 */
int ci_fast_number(const char *s, const char *e, double *v);

/*
 * Reference conversion: the strict grammar
 *   [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
 * then strtod.  No surrounding blanks, no hex, no NaN or infinity.
 */
ci_num_status ci_parse_number(const char *s, size_t len, double *v);

/* Parses a canonical non-negative integer (digits only, no leading zero
 * unless it is "0", < 10^9). */
int ci_parse_index(const char *s, size_t len, long *v);

/* reader.c: the checks calib_read() applies to its options */
calib_status ci_read_options_check(const calib_read_options *o,
    calib_error *err);

/* row.c: the arithmetic shared by the file reader and calib_preds_from_arrays */

/* Column roles of a prediction file. */
enum { CI_COL_LABEL = -1, CI_COL_WEIGHT = -2,
	CI_COL_SKIP = -3 /* a row id or an ignored column */ };

/* What every row needs to know, fixed once the header is read. */
typedef struct ci_layout {
	int k;                   /* classes */
	int single_column;       /* one score column holding P(class 1) */
	calib_score_kind kind;   /* resolved: PROBS or LOGITS */
	int has_weight;
	int integer_labels;      /* labels may be given as indices */
	int top_only;            /* x[0] confidence, x[1] correct (0/1) */
	int no_terms;            /* the row terms are not kept
	                          * (CALIB_OMIT_ROW_TERMS): rows need not
	                          * compute them */
	char **class_names;      /* k names */
	/* open-addressing table of class names -> index */
	int *name_slots;
	size_t name_mask;
} ci_layout;

/* Result of finishing one row. */
typedef struct ci_row {
	double score;
	uint8_t outcome;
	int32_t label;
	int32_t pred;
	double weight;
	double nll, brier, entropy;
	int tied, renormalized, zero_prob;
	/* The row's k probabilities: probs when given, else x itself (used
	 * as given) or the work area; valid until either changes.  NULL for
	 * a top-label-only row. */
	const double *p;
} ci_row;

/* Problem found while finishing a row: which score column (0-based class,
 * or -1 for the row as a whole) and why. */
typedef struct ci_row_problem {
	int cls;
	double sum;     /* the row's sum when it failed the sum check, else NaN */
	char message[256];
} ci_row_problem;

int ci_layout_build_names(ci_layout *L);
int ci_label_lookup(const ci_layout *L, const char *s, size_t len);
void ci_layout_release(ci_layout *L);

/*
 * Turn the raw scores x[0..k) (single_column: x[0] only) of one row into
 * probabilities and the per-row terms.  probs and logits receive k values
 * when not NULL (r->p points at the probabilities either way).  Returns 0,
 * or -1 with *pb filled.
 */
int ci_row_finish(const ci_layout *L, const calib_read_options *o,
    double *x, int32_t label, double weight, ci_row *r, double *probs,
    double *logits, double *work, ci_row_problem *pb);

/*
 * Softmax of z[0..k) into p, with the maximum subtracted; -inf entries get
 * probability 0.  Returns ln sum_k exp(z_k - max); *top receives the index
 * of the maximum (lowest on ties) and *tied (when not NULL) whether it is
 * shared.  The reader's logit path uses it too, so a model fitted on
 * stored logits sees the same doubles as one applied while reading.
 */
double ci_softmax(const double *z, int k, double *p, int *top, int *tied);

/* recal-map.c (the map and its use are private to recal-map.h): check a
 * model against a file's classes; fills err on mismatch. */
calib_status ci_model_check_classes(const calib_model *m, int k,
    char *const *names, const char *file, calib_error *err);

/* readall.c: the whole file at path ("-": standard input) into *out
 * (malloc'd, *outlen bytes), refused past max bytes; what names the kind
 * of file in that message. */
calib_status ci_read_all(const char *path, size_t max, const char *what,
    char **out, size_t *outlen, calib_error *err);

/* binning.c */

/* A score and its row, sorted by ci_order_cmp(): by score, then by row, so
 * qsort() gives the stable order every equal-mass layout starts from. */
typedef struct ci_order_item {
	double s;
	size_t i;
} ci_order_item;
int ci_order_cmp(const void *a, const void *b);

/* The routine behind calib_bins_compute(), on plain arrays; idx, when not
 * NULL, holds precomputed equal-width bin indices (ci_cells); order, when
 * not NULL, the rows sorted by (score, index) for equal-mass bins, so a
 * resample need not sort again. */
calib_status ci_bin_arrays(size_t n, const double *score,
    const uint8_t *outcome, const double *weight, const uint32_t *mult,
    int m, calib_binning binning, const uint32_t *idx, const size_t *order,
    calib_bins *out);

/*
 * calib_bin_index(), inlined into the hot loops.  ceil(s * M) decides the
 * bin, but s * M is rounded: for s = 0.7 and M = 10 the double product is
 * exactly 7 while the real product 0.69999999999999995559 * 10 is just
 * below it, and for other s the rounding goes the other way.  fma() gives
 * the rounding error of the product exactly, which settles every case
 * without rounded bin edges such as 0.30000000000000004.
 */
static inline int
ci_bin_index(double s, int m)
{
	double M = (double)m, prod;
	long t;

	if (!(s > 0))
		return 0;
	if (s >= 1)
		return m - 1;
	prod = s * M;
	/* 0 < prod <= M: truncation is the floor (and, unlike floor() and
	 * fma() on baseline x86-64, needs no library call). */
	t = (long)prod;
	/* Rounding is monotonic and integers up to M are representable, so a
	 * non-integral rounded product has the same ceiling, t + 1, as the
	 * real one (and is below M: bin t); an integral one, t >= 1, is
	 * exceeded exactly when the error is positive (bin t, else t - 1;
	 * for prod = M the error is negative, as s < 1). */
	if ((double)t != prod)
		return (int)t;
	return (int)t - (fma(s, M, -prod) <= 0);
}

/* convention.c */

/*
 * ci_bin_arrays() under a convention c that is not calib's (see
 * calib_bins_compute_conv()).  row_bin, when not NULL, receives each
 * row's bin (n entries), for the tables that gather rows per bin.
 */
calib_status ci_conv_bin_arrays(size_t n, const double *score,
    const uint8_t *outcome, const double *weight, const uint32_t *mult,
    int m, calib_binning binning, const calib_convention *c,
    int32_t *row_bin, calib_bins *out);
/* The binned metrics of a float32 table, in float32 (calib_bins.float32). */
double ci_f32_ece(const calib_bins *b);
double ci_f32_rmsce(const calib_bins *b);
double ci_f32_mce(const calib_bins *b);
double ci_f32_oe(const calib_bins *b);
/* The metrics a convention o->convention changes beyond the bin table:
 * classwise ECE with every class column binned under it (NaN without the
 * matrix), the NLL with its clipping and renormalisation, and the binary
 * Brier form (given the sum form). */
calib_status ci_conv_classwise(const calib_preds *p,
    const calib_metric_options *o, const uint32_t *mult, double *out);
double ci_conv_nll(const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult);
double ci_conv_brier(const calib_preds *p, const uint32_t *mult,
    double sum_form);
/* The bootstrap's cache under a convention: every row's (and, with the
 * matrix, every cell's) equal-width bin, computed once; the cached
 * versions give the same doubles as the uncached ones. */
struct ci_cells;
int ci_conv_cells_build(const calib_preds *p, int m,
    const calib_convention *c, struct ci_cells *cells);
calib_status ci_conv_bins_cached(const calib_preds *p,
    const struct ci_cells *cells, const uint32_t *mult, calib_bins *out);
calib_status ci_conv_classwise_cached(const calib_preds *p,
    const struct ci_cells *cells, const uint32_t *mult, double *out);

/* Equal-width bin indices cached for repeated evaluation (the bootstrap):
 * top[i] is row i's bin, cls[i*k + c] the classwise cell c*m + bin. */
typedef struct ci_cells {
	int m;
	uint32_t *top;
	uint32_t *cls;   /* NULL without the probability matrix */
	/* Built by ci_conv_cells_build() for this convention (NULL: calib's
	 * bins); then cls[i*k + c] = c*nb + bin, nb = m or m + 1. */
	const calib_convention *conv;
	int nb;
} ci_cells;

int ci_cells_build(const calib_preds *p, int m, ci_cells *cells);
void ci_cells_free(ci_cells *cells);
calib_status ci_bins_cached(const calib_preds *p, const ci_cells *cells,
    const uint32_t *mult, calib_bins *out);
calib_status ci_classwise_cached(const calib_preds *p, const ci_cells *cells,
    const uint32_t *mult, double *out);

/* metrics.c: calib_metrics_compute(), optionally from cached cells */
void ci_metrics_mask(calib_metrics *m, calib_metric_set want,
    calib_metric_set have);
calib_status ci_metrics_compute(const calib_preds *p,
    const calib_metric_options *o, const uint32_t *mult,
    const ci_cells *cells, calib_metrics *out);

/* smooth.c */
/* Rows sorted by (score, index); NULL when out of memory. */
size_t *ci_score_order(size_t n, const double *s);
/* The same, and the scores in that order into sorted (n values, or NULL);
 * sorted may not be s. */
size_t *ci_score_order_values(size_t n, const double *s, double *sorted);
/*
 * The same order by a shorter radix sort, for scores in [0, 2) and fewer
 * than 2^31 rows (else 1: sort another way; -1 when out of memory): the
 * n scores x[i * stride], into sv in (score, row) order (-0.0 as 0) with
 * their rows into ord and [label == k] into sh (each may be NULL but sv;
 * label NULL: sh all 0).  With ord, col (n, or NULL) receives the scores
 * in row order, so the sorted values are gathered from a compact array;
 * without, the values need no gathering and col is not used.  a and b in
 * the scratch hold n words each; run grows.
 */
typedef struct ci_sort_scratch {
	uint64_t *a, *b;
	ci_order_item *run;
	size_t run_cap;
} ci_sort_scratch;
int ci_prefix_sort(size_t n, const double *x, size_t stride,
    const int32_t *label, int k, double *col, ci_sort_scratch *sc,
    double *sv, uint8_t *sh, size_t *ord);
/*
 * The same for two columns k1 and k2 of the n x stride matrix x (label
 * not NULL, no rows wanted), in two steps: ci_prefix_load2() reads both
 * in one sweep over the rows (half the strided reads of two sorts) into
 * the words a1, a2 and their digit counts cnt1, cnt2 (3 x 2048 each),
 * and returns 1 when a value is not this sort's key (then sort another
 * way); ci_prefix_sort_loaded() then sorts one column's words (a, with n
 * words of scratch b, a and b both free afterwards) into sv and sh as
 * ci_prefix_sort() does.
 */
int ci_prefix_load2(size_t n, const double *x, size_t stride,
    const int32_t *label, int k1, int k2, uint64_t *a1, uint64_t *a2,
    size_t (*cnt1)[2048], size_t (*cnt2)[2048]);
int ci_prefix_sort_loaded(size_t n, uint64_t *a, uint64_t *b,
    size_t (*cnt)[2048], ci_sort_scratch *sc, double *sv, uint8_t *sh);
/* threads: workers for each width's pass over the rows (the same bits
 * for any count); 1 inside a bootstrap's already parallel replicates. */
calib_status ci_smece(size_t n, const double *s, const uint8_t *o,
    const double *w, const uint32_t *mult, const size_t *order, double sigma,
    double hint, int threads, double *value, double *sigma_used);

/* estimators.c */
/* Per-class sorted rows (order: K blocks of n, or NULL) and scratch
 * columns for the classwise estimators. */
typedef struct ci_class_orders {
	int k;
	size_t n;
	size_t *order;
	int own_order;           /* 0: borrowed from another evaluation */
	/* with order: class k's scores and outcomes in its sorted order,
	 * contiguous (K blocks of n), so a resample reads them in a stream */
	double *scol;
	uint8_t *shit;
	double *col;
	uint8_t *hit;
} ci_class_orders;

/* Class k's rows in ci_score_order()'s order (by p_ik, ties by row) into
 * ord, its scores in that order into sv and [y = k] into sh (n each);
 * -1 when out of memory. */
int ci_class_sorted(const calib_preds *p, int k, size_t *ord, double *sv,
    uint8_t *sh);
int ci_class_orders_build(const calib_preds *p, int with_order,
    ci_class_orders *c);
void ci_class_orders_free(ci_class_orders *c);
double ci_debiased_sum(const calib_bins *b);
calib_status ci_debiased_l2(size_t n, const double *s, const uint8_t *o,
    const double *w, const uint32_t *mult, const size_t *order, int m,
    double *out);
calib_status ci_classwise_debiased(const calib_preds *p, ci_class_orders *c,
    const uint32_t *mult, int m, double *out);
calib_status ci_classwise_ece_mass(const calib_preds *p, ci_class_orders *c,
    const uint32_t *mult, int m, double *out);
calib_status ci_ace(const calib_preds *p, ci_class_orders *c,
    const uint32_t *mult, int ranges, double threshold, double *out);

/* The classwise estimators of all rows (no multiplicities) in one go:
 * CI_CW_* says which; the others are NaN.  Equal to
 * ci_classwise_debiased(), ci_ace() (threshold thr for TACE) and the
 * equal-mass classwise ECE to the bit, for any thread count (0: the
 * online CPUs, at most 8). */
#define CI_CW_DEBIASED 1u
#define CI_CW_ACE 2u
#define CI_CW_TACE 4u
#define CI_CW_ECE 8u
typedef struct ci_cw_values {
	double debiased, ace, tace, ece;
} ci_cw_values;
calib_status ci_classwise_all(const calib_preds *p, unsigned want, int m,
    double thr, int threads, ci_cw_values *out);

calib_status ci_corp(size_t n, const double *s, const uint8_t *o,
    const double *w, const uint32_t *mult, const size_t *order, int curve,
    calib_corp *out);

calib_status ci_calibration_test(size_t n, const double *s, const uint8_t *o,
    const double *w, const uint32_t *mult, const size_t *order, int m,
    calib_binning binning, int resamples, unsigned long seed, int threads,
    double *out);
/* The 32-bit seed of replicate r's gsl_rng_mt19937 stream. */
unsigned long ci_test_replicate_seed(unsigned long seed, int r);

/* ECE-sweep looks at b = 1 .. this many bins at most. */
#define CI_SWEEP_MAX 10000
calib_status ci_ece_sweep(size_t n, const double *s, const uint8_t *o,
    const double *w, const uint32_t *mult, const size_t *order, double *ece,
    double *bins);
calib_status ci_skce(const calib_preds *p, const uint32_t *mult,
    double bandwidth, double *skce, double *p_value);

/* The weighted row means every unbinned metric is one of. */
typedef struct ci_row_means {
	double accuracy, score, outcome, nll, brier, entropy;
} ci_row_means;

/*
 * One evaluation of a metric selection on one (resampled) set of rows:
 * what several metrics share is computed on first use and kept here.
 */
struct ci_acc;
typedef struct ci_eval {
	const calib_preds *p;    /* NULL when evaluating a summary */
	const calib_metric_options *o;
	const uint32_t *mult;
	const ci_cells *cells;   /* NULL, or cached equal-width cells */
	int k;                   /* classes */
	/* All rows, equal-width bins: the exact sums (summary.h), built from
	 * p on first use or given by a summary, so one pass and merged
	 * shards agree to the bit. */
	const struct ci_acc *acc;
	struct ci_acc *own_acc;
	const calib_classwise_acc *cw; /* a summary's rounded cells */
	int have_bins;
	calib_bins bins;
	int have_means;
	ci_row_means means;
	int have_smece;
	double smece, smece_sigma;
	int have_sweep;
	double sweep, sweep_bins;
	int have_skce;
	double skce, skce_p;
	int have_corp;
	calib_corp corp;
	double smece_hint;       /* where to look for the fixed point (0:
	                          * no idea); kept across replicates */
	/* Sorted rows, kept across the replicates of a bootstrap: set by the
	 * caller (shared, not freed) or built on first use (owned). */
	size_t *order;
	int own_order;
	ci_class_orders *cls;
	int own_cls;
	int keep_orders;         /* sort even what one evaluation would not:
	                          * the orders will be reused */
	int threads;             /* for ci_classwise_all() (1 but in
	                          * ci_metrics_compute()) */
	int have_cw;
	ci_cw_values cwv;
} ci_eval;

void ci_eval_init(ci_eval *e, const calib_preds *p,
    const calib_metric_options *o, const uint32_t *mult,
    const ci_cells *cells);
void ci_eval_release(ci_eval *e);
void ci_eval_reset(ci_eval *e, const uint32_t *mult);
/* Let e read the sorted rows src has built (src must outlive e). */
calib_status ci_eval_borrow(ci_eval *e, const ci_eval *src);
/* Fill *out with the metrics e->o->select asks for. */
calib_status ci_eval_metrics(ci_eval *e, calib_metrics *out);

void ci_classwise_add(calib_classwise_acc *acc, int k, const double *probs,
    int32_t label, double weight);
int ci_classwise_alloc(calib_classwise_acc *acc, int k, int bins);
/*
 * The classwise bin sums are 3 doubles per class and bin, held once per
 * read whatever the thread count; CI_CLASSWISE_MAX_BYTES bounds them.
 * ci_classwise_budget() returns CALIB_OK or CALIB_E_ARG with a message
 * giving the largest bin count that fits k classes.
 */
#define CI_CLASSWISE_MAX_BYTES ((size_t)256 << 20)
calib_status ci_classwise_budget(int k, int bins, const char *file,
    calib_error *err);
void ci_classwise_free(calib_classwise_acc *acc);
void ci_classwise_merge(calib_classwise_acc *dst, const calib_classwise_acc *src,
    int k);
/* (1/K) sum_k ECE_k of rounded classwise sums over total weight W. */
double ci_classwise_mean(const calib_classwise_acc *a, int k, double W);
double ci_ece_terms(const double *weight, const double *sum_score,
    const double *sum_outcome, int m, double total);

/* reliability.c */

/* The interval of one bin of a table (w2: the bin's sum of squared
 * weights, NaN for an unweighted file); NaN for an empty bin. */
calib_status ci_bin_uncertainty(const calib_bin *bin, double w2,
    const calib_reliability_options *o, calib_bin_uncertainty *u);

/*
 * Poisson-binomial probabilities of the number of successes among n
 * independent Bernoulli(p[i]) into f[0..n] (n + 1 entries); only f[*a..*b]
 * is non-zero (tails below 1e-30 are dropped as the recursion runs).
 */
void ci_poisson_binomial(size_t n, const double *p, double *f, size_t *a,
    size_t *b);
/* A well-mixed seed for stream `index` of a run seeded with `seed`. */
unsigned long ci_seed_mix(unsigned long seed, unsigned long index);

/* sum.c: Neumaier-compensated sums, so long sums do not drift with n */
typedef struct ci_sum {
	double s, c;
} ci_sum;

static inline void
ci_sum_add(ci_sum *a, double x)
{
	double t = a->s + x;

	/* Past DBL_MAX the sum is +-inf (or NaN for inf - inf); the
	 * compensation would be inf - inf and turn an overflow into NaN. */
	if (!isfinite(t)) {
		a->s = t;
		return;
	}
	/* Neumaier's variant also catches |x| > |s|. */
	if ((a->s >= 0 ? a->s : -a->s) >= (x >= 0 ? x : -x))
		a->c += (a->s - t) + x;
	else
		a->c += (x - t) + a->s;
	a->s = t;
}

static inline double
ci_sum_get(const ci_sum *a)
{
	return isfinite(a->s) ? a->s + a->c : a->s;
}

/* Teams of threads (team.c).  At most CI_TEAM_MAX workers: callers keep
 * per-worker state in arrays of that size. */
#define CI_TEAM_MAX 8
/* Workers for items units of work: asked (<= 0: the online CPUs), at most
 * CI_TEAM_MAX and items, at least 1. */
int ci_team_size(int asked, long items);
/* fn(&workers[t]) for t = 0..n-1 (workers is an array of n records of
 * size bytes): worker 0 on this thread, the others on new threads; the
 * share of a thread that cannot be created is done here.  Returns when
 * every share is done. */
void ci_team_run(void *(*fn)(void *), void *workers, size_t size, int n);

#endif /* CALIB_INTERNAL_H */
