/*
 * summary.h - exact, mergeable sums behind the sum-based metrics.
 *
 * Every mergeable metric and the equal-width reliability table are
 * functions of the sums in a ci_acc.  The single pass (calib_read() then
 * calib_metrics_compute()), the streaming pass (calib_summarize()) and
 * merged summaries all fill a ci_acc with exact sums of the same per-row
 * terms and then share one routine, ci_acc_metrics(), so they give the
 * same doubles whatever the split.
 */
#ifndef CALIB_SUMMARY_H
#define CALIB_SUMMARY_H

#include "internal.h"
#include "exactsum.h"

/* Sums of one classwise cell (class c, equal-width bin m). */
typedef struct ci_cwcell {
	ci_xsum w, s, o;
} ci_cwcell;

/* Classwise cells k x bins, allocated when first touched: with many
 * classes most cells stay empty. */
typedef struct ci_cwx {
	int k, bins;
	ci_cwcell **cell;
	int oom;
	/*
	 * Staging (ci_cwx_stage()): an unweighted row adds 1 to k cells'
	 * weight and p to their score sums, scattered over k cells of about
	 * 2 KiB.  Staged, the counts and the probabilities in [2^-11, 1) (as
	 * whole multiples of 2^-63, the small lane of ci_xsum) go into dense
	 * arrays of a few bytes per cell instead, and are added to the cells
	 * by ci_cwx_flush().  Everything reading the cells counts what is
	 * staged, so staging changes no result.
	 */
	uint64_t *sw, *so;    /* staged weight and outcome counts */
#ifdef CI_XSUM_FAST
	ci_xsum_i128 *ss;     /* staged score sums, in units of 2^-63 */
#endif
	uint64_t staged;      /* rows staged since the last flush */
} ci_cwx;

int ci_cwx_init(ci_cwx *c, int k, int bins);
void ci_cwx_free(ci_cwx *c);
/* Stage c's unweighted rows when its cells are few enough (a no-op
 * otherwise, or when out of memory). */
void ci_cwx_stage(ci_cwx *c);
/* Add the staged sums to the cells (c->oom when a cell cannot be had). */
void ci_cwx_flush(ci_cwx *c);
/* Flush, then stop staging. */
void ci_cwx_unstage(ci_cwx *c);
int ci_cwx_merge(ci_cwx *dst, const ci_cwx *src);
/* Add one row's k probabilities (label: its class). */
void ci_cwx_add(ci_cwx *c, const double *probs, int32_t label, double w);
/* Round every cell into acc (allocated by ci_classwise_alloc). */
void ci_cwx_round(const ci_cwx *c, calib_classwise_acc *acc);

/* The top-label sums: per equal-width bin and over all rows. */
typedef struct ci_acc {
	int bins;
	uint64_t *count;          /* rows per bin, zero weights included */
	ci_xsum *bw, *bs, *bo, *bw2; /* per bin: w, w s, w o, w^2 */
	uint64_t n;               /* rows */
	uint64_t nll_inf;         /* rows of positive weight, infinite term */
	uint64_t nan_terms;       /* rows without NLL, Brier and entropy
	                           * terms (top-label-only files) */
	ci_xsum W, acc, score, outcome, nll, brier, entropy;
	ci_xsum btl;              /* w (s - o)^2: the top-label Brier */
	double nll_lo, nll_hi;    /* the clip, as bounds on -ln p_y */
} ci_acc;

int ci_acc_init(ci_acc *a, int bins, double nll_clip);
void ci_acc_free(ci_acc *a);
void ci_acc_merge(ci_acc *dst, const ci_acc *src);

/* Add every row of p (mult 1). */
void ci_acc_add_preds(ci_acc *a, const calib_preds *p);
/* The classwise sums of p's probability matrix, exact then rounded into
 * acc (allocated for p->k classes); -1 when out of memory. */
int ci_classwise_exact(const calib_preds *p, calib_classwise_acc *acc);

/* A row counted m > 0 times (a bootstrap replicate): weight w m. */
static inline void
ci_acc_row_mult(ci_acc *a, double s, int outcome, int correct, double w,
    uint32_t m, double nll, double brier, double entropy)
{
	int b = ci_bin_index(s, a->bins);
	double wm = w * m, v;

	a->n += m;
	a->count[b] += m;
	ci_xsum_add(&a->bw[b], wm);
	ci_xsum_add(&a->bs[b], wm * s);
	if (outcome)
		ci_xsum_add(&a->bo[b], wm);
	ci_xsum_add(&a->bw2[b], wm * wm);
	if (wm == 0)
		return;
	if (correct)
		ci_xsum_add(&a->acc, wm);
	ci_xsum_add(&a->score, wm * s);
	if (outcome)
		ci_xsum_add(&a->outcome, wm);
	ci_xsum_add(&a->W, wm);
	v = s - (outcome ? 1.0 : 0.0);
	ci_xsum_add(&a->btl, wm * v * v);
	if (isnan(nll) || isnan(brier) || isnan(entropy)) {
		a->nan_terms++;
		return;
	}
	v = nll;
	if (v > a->nll_hi)
		v = a->nll_hi;
	if (v < a->nll_lo)
		v = a->nll_lo;
	if (isinf(v))
		a->nll_inf++;
	else
		ci_xsum_add(&a->nll, wm * v);
	ci_xsum_add(&a->brier, wm * brier);
	ci_xsum_add(&a->entropy, wm * entropy);
}

/* The terms of one row: the same arithmetic as calib_bins_compute() and
 * the unbinned means, so every path sums the same doubles (w * 1 is w
 * exactly, so this is the multiplicity-1 case bit for bit). */
static inline void
ci_acc_row(ci_acc *a, double s, int outcome, int correct, double w,
    double nll, double brier, double entropy)
{
	int b;
	double v;

	if (w != 1.0 || isnan(nll) || isnan(brier) || isnan(entropy)) {
		ci_acc_row_mult(a, s, outcome, correct, w, 1, nll, brier,
		    entropy);
		return;
	}
	/* An unweighted row: the same terms (1 s is s, 1 v v is v v), the
	 * ones counted without testing each. */
	b = ci_bin_index(s, a->bins);
	a->n++;
	a->count[b]++;
	ci_xsum_add_one(&a->bw[b]);
	ci_xsum_add(&a->bs[b], s);
	if (outcome) {
		ci_xsum_add_one(&a->bo[b]);
		ci_xsum_add_one(&a->outcome);
	}
	ci_xsum_add_one(&a->bw2[b]);
	if (correct)
		ci_xsum_add_one(&a->acc);
	ci_xsum_add(&a->score, s);
	ci_xsum_add_one(&a->W);
	v = s - (outcome ? 1.0 : 0.0);
	ci_xsum_add(&a->btl, v * v);
	v = nll;
	if (v > a->nll_hi)
		v = a->nll_hi;
	if (v < a->nll_lo)
		v = a->nll_lo;
	if (isinf(v))
		a->nll_inf++;
	else
		ci_xsum_add(&a->nll, v);
	ci_xsum_add(&a->brier, brier);
	ci_xsum_add(&a->entropy, entropy);
}

/* Every replicate's sums for one row at global position row. */
void ci_acc_row_replicates(ci_acc *rep, int reps, unsigned long seed,
    uint64_t row, double s, int outcome, int correct, double w, double nll,
    double brier, double entropy);

/* The table of a: equal-width bins with the rounded sums. */
calib_status ci_acc_bins(const ci_acc *a, calib_bins *out);

/* The weighted row means of a (NaN when its weight is not positive). */
void ci_acc_means(const ci_acc *a, ci_row_means *out);

/*
 * The metrics o->select asks for from a and the rounded classwise cells cw
 * (NULL: classwise ECE is NaN), through the evaluation the single pass uses
 * (metrics.c).  A selected metric that needs the rows is refused
 * (CALIB_E_ARG, naming it); source names the summary in messages.
 */
calib_status ci_summary_eval(const ci_acc *a, int k,
    const calib_classwise_acc *cw, const calib_metric_options *o,
    calib_metrics *out, const char *source, calib_error *err);

/* What a summary was made with; merging needs all of it equal. */
typedef struct ci_settings {
	int k;
	char **class_names;
	int target;
	int kind;            /* calib_score_kind, resolved */
	int single_column;
	int has_weight;
	double temperature;
	int calibrated;
	uint32_t model_crc;  /* CRC-32 of the model's text, 0 without one */
	double sum_tol;
	int renormalize;
	int bins;
	double nll_clip;
	int reps;            /* Poisson bootstrap replicates kept */
	unsigned long seed;  /* their seed */
	int top_only;        /* a top-label-only file: no score vector */
	int ignore_label_set;
	long ignore_label;   /* rows with this label were dropped */
	int format;          /* 0 csv, 1 npy, 2 npz, 3 mixed: reported, not
	                      * compared */
} ci_settings;

/* The settings of a summary read with L, o, mo and so (class names
 * borrowed from L), and the checksum of o's model. */
void ci_summary_settings(ci_settings *t, const ci_layout *L,
    const calib_read_options *o, const calib_metric_options *mo,
    const calib_summary_options *so);
calib_status ci_summary_model(ci_settings *t, const calib_read_options *o,
    calib_error *err);
/* The summary of predictions already read (non-CSV formats): p must hold
 * the probability matrix unless the file is top-label-only. */
calib_status ci_summary_from_preds(const calib_preds *p,
    const calib_read_options *o, const calib_metric_options *mo,
    const calib_summary_options *so, calib_summary **out, calib_error *err);

struct calib_summary {
	char *source;
	ci_settings set;
	ci_acc acc;
	ci_cwx cw;
	uint64_t tied, renormalized, zero_prob, dropped;
	int index_column;    /* a reader note, not stored in the file */
	ci_acc *rep;         /* set.reps replicates' top-label sums */
};

calib_summary *ci_summary_new(const ci_settings *set, const char *source);

#endif /* CALIB_SUMMARY_H */
