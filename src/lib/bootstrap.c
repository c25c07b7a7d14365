/*
 * bootstrap.c - paired runs: checking that rows pair up, the paired
 * bootstrap over rows, and percentile intervals.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "internal.h"
#include "summary.h"

void
calib_bootstrap_options_init(calib_bootstrap_options *o)
{
	memset(o, 0, sizeof(*o));
	o->replicates = 1000;
	o->seed = 20191206;
	calib_metric_options_init(&o->metric);
}

calib_status
calib_preds_check_paired(const calib_preds *a, const calib_preds *b,
    calib_error *err)
{
	size_t i;

	if (a->n != b->n)
		return ci_error_set(err, CALIB_E_MISMATCH, b->source, 0, 0,
		    NULL, "has %zu rows but '%s' has %zu (rows are paired by "
		    "position, so both must hold the same test examples)",
		    b->n, a->source, a->n);
	if (a->k != b->k)
		return ci_error_set(err, CALIB_E_MISMATCH, b->source, 0, 0,
		    NULL, "has %d classes but '%s' has %d", b->k, a->source,
		    a->k);
	for (i = 0; i < a->n; i++)
		if (a->label[i] != b->label[i])
			return ci_error_set(err, CALIB_E_MISMATCH, b->source,
			    0, 0, NULL, "row %zu has label %s but row %zu "
			    "of '%s' has %s (rows are paired by position: are "
			    "the files in the same test order?)", i + 1,
			    b->class_names[b->label[i]], i + 1, a->source,
			    a->class_names[a->label[i]]);
	if ((a->weight == NULL) != (b->weight == NULL))
		return ci_error_set(err, CALIB_E_MISMATCH, b->source, 0, 0,
		    NULL, "%s a weight column but '%s' %s (paired runs need "
		    "the same weights)", b->weight ? "has" : "has no",
		    a->source, a->weight ? "has" : "has none");
	if (a->weight != NULL)
		for (i = 0; i < a->n; i++)
			if (a->weight[i] != b->weight[i])
				return ci_error_set(err, CALIB_E_MISMATCH,
				    b->source, 0, 0, NULL, "row %zu has "
				    "weight %.17g but row %zu of '%s' has %.17g "
				    "(paired runs need the same weights)", i + 1,
				    b->weight[i], i + 1, a->source, a->weight[i]);
	return CALIB_OK;
}

void
calib_bootstrap_release(calib_bootstrap *b)
{
	if (b == NULL)
		return;
	free(b->point);
	free(b->rep);
	memset(b, 0, sizeof(*b));
}

/*
 * Poisson replicates: row i counts calib_poisson_count(seed, first_row + i,
 * j) times; each replicate's metrics come from exact sums through the
 * evaluation summaries use, so summaries of shards give the same values.
 */
static calib_status
poisson_replicates(const calib_preds *const *runs, int nruns,
    const calib_bootstrap_options *o, calib_bootstrap *out, calib_error *err)
{
	const int B = o->replicates;
	uint32_t *cnt;
	size_t n = runs[0]->n, i;
	calib_status st = CALIB_OK;
	int r, j;

	if (o->metric.binning != CALIB_BIN_WIDTH)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "the Poisson bootstrap sums over equal-width bins only "
		    "(use --binning width, or the multinomial bootstrap)");
	if ((cnt = malloc((n ? n : 1) * sizeof(*cnt))) == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
		    "out of memory");
	for (j = 0; j < B && st == CALIB_OK; j++) {
		/* One draw per row and replicate, shared by every run: the
		 * pairing. */
		for (i = 0; i < n; i++)
			cnt[i] = calib_poisson_count(o->seed, o->first_row + i,
			    (uint32_t)j);
		for (r = 0; r < nruns && st == CALIB_OK; r++) {
			const calib_preds *p = runs[r];
			ci_acc a;
			if (ci_acc_init(&a, o->metric.bins,
			    o->metric.nll_clip) != 0) {
				st = ci_error_set(err, CALIB_E_NOMEM, NULL, 0,
				    0, NULL, "out of memory");
				break;
			}
			for (i = 0; i < n; i++)
				if (cnt[i] > 0)
					ci_acc_row_mult(&a, p->score[i],
					    p->outcome[i], p->pred[i] ==
					    p->label[i], p->weight ?
					    p->weight[i] : 1.0, cnt[i],
					    p->nll ? p->nll[i] : NAN,
					    p->brier ? p->brier[i] : NAN,
					    p->entropy ? p->entropy[i] : NAN);
			st = ci_summary_eval(&a, p->k, NULL, &o->metric,
			    &out->rep[(size_t)r * (size_t)B + (size_t)j],
			    p->source, err);
			ci_acc_free(&a);
		}
	}
	free(cnt);
	return st;
}

/*
 * The replicates run in batches: the main thread draws every resample of a
 * batch from the one generator, in order, then the workers evaluate them,
 * replicate j always by the same rule into rep[j], so the results do not
 * depend on the number of threads.  What the rows share between
 * replicates - equal-width bin indices, the rows sorted by score, per
 * class - is computed once, before the first batch, and only read after.
 */
typedef struct boot_job {
	const calib_preds *const *runs;
	int nruns;
	const calib_bootstrap_options *o;
	calib_bootstrap *out;
	ci_eval *ev;             /* nthreads x nruns */
	int nthreads;
	uint32_t *mult;          /* batch x n */
	size_t n;
	int first, count;        /* replicates of this batch */
	calib_status st;
} boot_job;

typedef struct boot_worker {
	boot_job *job;
	int t;
	calib_status st;
} boot_worker;

static void *
boot_main(void *arg)
{
	boot_worker *w = arg;
	boot_job *J = w->job;
	int b, r;

	w->st = CALIB_OK;
	for (b = w->t; b < J->count; b += J->nthreads) {
		const uint32_t *mult = J->mult + (size_t)b * J->n;
		int j = J->first + b;
		for (r = 0; r < J->nruns; r++) {
			ci_eval *e = &J->ev[(size_t)w->t * (size_t)J->nruns +
			    (size_t)r];
			calib_metrics *m = &J->out->rep[(size_t)r *
			    (size_t)J->o->replicates + (size_t)j];
			calib_status st;
			ci_eval_reset(e, mult);
			if ((st = ci_eval_metrics(e, m)) != CALIB_OK) {
				w->st = st;
				return NULL;
			}
		}
	}
	return NULL;
}

calib_status
calib_bootstrap_paired(const calib_preds *const *runs, int nruns,
    const calib_bootstrap_options *o, calib_bootstrap *out, calib_error *err)
{
	gsl_rng *rng = NULL;
	uint32_t *mult = NULL;
	ci_cells *cells = NULL;
	ci_eval *ev = NULL;
	calib_status st = CALIB_OK;
	size_t n, i, batch = 1;
	int r, j, t, nthreads = 1, nev = 0;

	memset(out, 0, sizeof(*out));
	if (runs == NULL || nruns < 1 || o == NULL || o->replicates < 0)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "need at least one run and a replicate count >= 0");
	for (r = 1; r < nruns; r++)
		if ((st = calib_preds_check_paired(runs[0], runs[r], err)) !=
		    CALIB_OK)
			return st;
	n = runs[0]->n;
	out->runs = nruns;
	out->replicates = o->replicates;
	out->point = calloc((size_t)nruns, sizeof(*out->point));
	out->rep = calloc((size_t)nruns * (size_t)(o->replicates ? o->replicates : 1),
	    sizeof(*out->rep));
	if (o->replicates > 0) {
		nthreads = ci_team_size(o->threads, o->replicates);
		/* a batch of resamples in memory: at most about 64 MB of
		 * counts, and at least one per thread */
		batch = (size_t)16 * 1024 * 1024 / (n ? n : 1);
		if (batch > 256)
			batch = 256;
		if (batch < (size_t)nthreads)
			batch = (size_t)nthreads;
		mult = malloc((n ? n : 1) * batch * sizeof(*mult));
	}
	ev = calloc((size_t)nthreads * (size_t)nruns, sizeof(*ev));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (out->point == NULL || out->rep == NULL ||
	    (o->replicates > 0 && mult == NULL) || rng == NULL || ev == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	gsl_rng_set(rng, o->seed);
	/* Bin indices do not change between replicates: compute them once. */
	if (o->metric.binning == CALIB_BIN_WIDTH && o->replicates > 0) {
		cells = calloc((size_t)nruns, sizeof(*cells));
		if (cells == NULL) {
			st = ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		for (r = 0; r < nruns; r++)
			if ((calib_convention_is_default(o->metric.convention) ?
			    ci_cells_build(runs[r], o->metric.bins, &cells[r]) :
			    ci_conv_cells_build(runs[r], o->metric.bins,
			    o->metric.convention, &cells[r])) != 0) {
				st = ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0,
				    NULL, "out of memory");
				goto done;
			}
	}
	/* Thread 0's evaluations compute the point estimates and, with
	 * keep_orders, the sorted rows every other evaluation borrows. */
	for (t = 0; t < nthreads; t++)
		for (r = 0; r < nruns; r++) {
			ci_eval *e = &ev[(size_t)t * (size_t)nruns + (size_t)r];
			ci_eval_init(e, runs[r], &o->metric, NULL,
			    cells ? &cells[r] : NULL);
			e->keep_orders = o->replicates > 0;
			nev++;
		}
	for (r = 0; r < nruns; r++) {
		ci_eval *e0 = &ev[r];
		if ((st = ci_eval_metrics(e0, &out->point[r])) != CALIB_OK) {
			ci_error_set(err, st, runs[r]->source, 0, 0, NULL, "%s",
			    calib_strerror(st));
			goto done;
		}
		for (t = 1; t < nthreads; t++)
			if ((st = ci_eval_borrow(&ev[(size_t)t *
			    (size_t)nruns + (size_t)r], e0)) != CALIB_OK) {
				ci_error_set(err, st, NULL, 0, 0, NULL,
				    "out of memory");
				goto done;
			}
	}
	/* Poisson counts come from the counter-based generator, not from the
	 * batches of multinomial draws below. */
	if (o->method == CALIB_BOOTSTRAP_POISSON) {
		st = poisson_replicates(runs, nruns, o, out, err);
		goto done;
	}
	for (j = 0; j < o->replicates; j += (int)batch) {
		boot_job J;
		boot_worker W[CI_TEAM_MAX];
		int cnt = o->replicates - j < (int)batch ? o->replicates - j :
		    (int)batch, b;

		memset(mult, 0, n * (size_t)cnt * sizeof(*mult));
		/* n draws with replacement, as counts per row: the same
		 * resample for every run keeps the pairing. */
		for (b = 0; b < cnt; b++) {
			uint32_t *m = mult + (size_t)b * n;
			for (i = 0; i < n; i++)
				m[gsl_rng_uniform_int(rng, n)]++;
		}
		J.runs = runs;
		J.nruns = nruns;
		J.o = o;
		J.out = out;
		J.ev = ev;
		J.nthreads = nthreads;
		J.mult = mult;
		J.n = n;
		J.first = j;
		J.count = cnt;
		for (t = 0; t < nthreads; t++) {
			W[t].job = &J;
			W[t].t = t;
			W[t].st = CALIB_OK;
		}
		ci_team_run(boot_main, W, sizeof(W[0]), nthreads);
		for (t = 0; t < nthreads; t++)
			if (W[t].st != CALIB_OK) {
				st = W[t].st;
				ci_error_set(err, st, NULL, 0, 0, NULL, "%s",
				    calib_strerror(st));
				goto done;
			}
		if (o->progress != NULL)
			o->progress(o->progress_ctx, j + cnt, o->replicates);
	}

done:
	for (t = 0; t < nev; t++)
		ci_eval_release(&ev[t]);
	free(ev);
	if (cells != NULL)
		for (r = 0; r < nruns; r++)
			ci_cells_free(&cells[r]);
	free(cells);
	gsl_rng_free(rng);
	free(mult);
	if (st != CALIB_OK)
		calib_bootstrap_release(out);
	return st;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Hyndman & Fan definition 7 on sorted data: h = (n-1) q. */
static double
quantile7(const double *sorted, size_t n, double q)
{
	double h = (double)(n - 1) * q, f = floor(h);
	size_t lo = (size_t)f;

	if (lo + 1 >= n)
		return sorted[n - 1];
	if (h == f)
		return sorted[lo];
	/* Written so equal neighbours (including infinities) stay exact. */
	if (sorted[lo] == sorted[lo + 1])
		return sorted[lo];
	return sorted[lo] + (h - f) * (sorted[lo + 1] - sorted[lo]);
}

calib_status
calib_bootstrap_interval(const calib_bootstrap *b, const char *name, int run,
    int base, double level, double *lo, double *hi)
{
	double *v, x, y;
	int j;

	*lo = *hi = NAN;
	if (b == NULL || run < 0 || run >= b->runs || base >= b->runs ||
	    !(level > 0 && level < 1))
		return CALIB_E_ARG;
	if (calib_metrics_get(&b->point[run], name, &x) != CALIB_OK)
		return CALIB_E_ARG;
	if (b->replicates < 2)
		return CALIB_OK;
	v = malloc((size_t)b->replicates * sizeof(*v));
	if (v == NULL)
		return CALIB_E_NOMEM;
	for (j = 0; j < b->replicates; j++) {
		calib_metrics_get(&b->rep[(size_t)run * (size_t)b->replicates +
		    (size_t)j], name, &x);
		if (base >= 0) {
			calib_metrics_get(&b->rep[(size_t)base *
			    (size_t)b->replicates + (size_t)j], name, &y);
			/* inf - inf has no meaning as a difference */
			x = isinf(x) && isinf(y) ? NAN : x - y;
		}
		if (isnan(x)) {
			free(v);
			return CALIB_OK;
		}
		v[j] = x;
	}
	qsort(v, (size_t)b->replicates, sizeof(*v), cmp_double);
	*lo = quantile7(v, (size_t)b->replicates, (1 - level) / 2);
	*hi = quantile7(v, (size_t)b->replicates, (1 + level) / 2);
	free(v);
	return CALIB_OK;
}
