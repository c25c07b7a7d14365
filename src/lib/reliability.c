/*
 * reliability.c - the uncertainty behind a reliability diagram: an interval
 * for each bin's observed frequency and the consistency band a calibrated
 * model would fill.  Formulas and sources are at the prototypes in calib.h.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "internal.h"
#include "exactsum.h"

/* Tail probabilities below this are dropped by the Poisson-binomial
 * recursion (see calib.h for the error bound). */
#define PB_TRIM 1e-30

calib_status
calib_bin_interval(double x, double n, double level, calib_interval method,
    double *lo, double *hi)
{
	double alpha, p, z, z2, den, mid, half, l, h;

	*lo = *hi = NAN;
	if (!(n > 0) || !isfinite(n) || !(x >= 0) || !(x <= n) ||
	    !(level > 0 && level < 1))
		return CALIB_E_ARG;
	alpha = 1 - level;
	p = x / n;
	switch (method) {
	case CALIB_INTERVAL_WILSON:
		z = gsl_cdf_ugaussian_Qinv(alpha / 2);
		if (!isfinite(z))
			return CALIB_E_NUMERIC;
		z2 = z * z;
		den = 1 + z2 / n;
		mid = (p + z2 / (2 * n)) / den;
		half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den;
		/* At x = 0 (x = n) the bound is 0 (1) in exact arithmetic;
		 * say so rather than print -1e-17. */
		l = x == 0 ? 0 : mid - half;
		h = x == n ? 1 : mid + half;
		break;
	case CALIB_INTERVAL_CLOPPER_PEARSON:
		l = x == 0 ? 0 : gsl_cdf_beta_Pinv(alpha / 2, x, n - x + 1);
		h = x == n ? 1 : gsl_cdf_beta_Qinv(alpha / 2, x + 1, n - x);
		break;
	default:
		return CALIB_E_ARG;
	}
	if (!isfinite(l) || !isfinite(h))
		return CALIB_E_NUMERIC;
	*lo = l < 0 ? 0 : l;
	*hi = h > 1 ? 1 : h;
	return CALIB_OK;
}

/*
 * The Poisson-binomial probabilities of the number of successes among n
 * independent Bernoulli(p_i), into f[0..n].  Only f[*a..*b] can be
 * non-zero; the rest is zeroed.  The window holds the values >= PB_TRIM,
 * which the distribution's log-concavity keeps contiguous, so each step
 * costs the window's width, about 23 standard deviations.
 */
void
ci_poisson_binomial(size_t n, const double *p, double *f, size_t *a,
    size_t *b)
{
	size_t lo = 0, hi = 0, i, x;

	f[0] = 1;
	for (i = 0; i < n; i++) {
		const double s = p[i], t = 1 - s;
		f[hi + 1] = f[hi] * s;
		for (x = hi; x > lo; x--)
			f[x] = f[x] * t + f[x - 1] * s;
		f[lo] *= t;
		hi++;
		while (lo < hi && f[lo] < PB_TRIM)
			lo++;
		while (hi > lo && f[hi] < PB_TRIM)
			hi--;
	}
	memset(f, 0, lo * sizeof(*f));
	if (hi < n)
		memset(f + hi + 1, 0, (n - hi) * sizeof(*f));
	*a = lo;
	*b = hi;
}

/*
 * Quantiles of a distribution on 0..n given by f[a..b]: the smallest x with
 * P(X <= x) >= q for q = alpha/2, and for q = 1 - alpha/2 the smallest x
 * with P(X > x) <= alpha/2, summed from the right so that a level near 1
 * does not lose its digits in 1 - q.
 */
static void
pmf_quantiles(const double *f, size_t a, size_t b, double alpha, size_t *ql,
    size_t *qh)
{
	ci_sum c = { 0, 0 }, t = { 0, 0 };
	size_t x;

	x = a;
	ci_sum_add(&c, f[x]);
	while (ci_sum_get(&c) < alpha / 2 && x < b)
		ci_sum_add(&c, f[++x]);
	*ql = x;
	x = b;
	while (x > a && ci_sum_get(&t) + f[x] <= alpha / 2)
		ci_sum_add(&t, f[x--]);
	*qh = x;
}

/* splitmix64's finaliser: decorrelates the seeds of neighbouring bins. */
unsigned long
ci_seed_mix(unsigned long seed, unsigned long index)
{
	uint64_t z = (uint64_t)seed + 0x9e3779b97f4a7c15ull * (index + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (unsigned long)(z ^ (z >> 31));
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The order statistic that is the type-1 q-quantile of r sorted values. */
static size_t
order_index(int r, double q)
{
	/* 1e-9 absorbs the rounding of q * r (0.975 * 2000 is
	 * 1950.0000000000002), which would otherwise skip a rank. */
	double k = ceil(q * r - 1e-9);

	if (k < 1)
		k = 1;
	if (k > r)
		k = r;
	return (size_t)k - 1;
}

static calib_status
band_exact(size_t n, const double *score, const double *weight,
    double level, double *lo, double *hi)
{
	double *s, *f;
	size_t i, m = 0, a, b, ql, qh;

	s = malloc((n ? n : 1) * sizeof(*s));
	f = malloc((n + 1) * sizeof(*f));
	if (s == NULL || f == NULL) {
		free(s);
		free(f);
		return CALIB_E_NOMEM;
	}
	for (i = 0; i < n; i++)
		if (weight == NULL || weight[i] > 0)
			s[m++] = score[i];
	if (m > 0) {
		ci_poisson_binomial(m, s, f, &a, &b);
		pmf_quantiles(f, a, b, 1 - level, &ql, &qh);
		*lo = (double)ql / (double)m;
		*hi = (double)qh / (double)m;
	}
	free(s);
	free(f);
	return CALIB_OK;
}

static calib_status
band_resample(size_t n, const double *score, const double *weight,
    double level, int resamples, unsigned long seed, double *lo, double *hi)
{
	gsl_rng *rng;
	double *rep, W = 0;
	ci_sum w = { 0, 0 };
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		ci_sum_add(&w, weight ? weight[i] : 1.0);
	W = ci_sum_get(&w);
	if (!(W > 0))
		return CALIB_OK;
	rep = malloc((size_t)resamples * sizeof(*rep));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (rep == NULL || rng == NULL) {
		free(rep);
		if (rng != NULL)
			gsl_rng_free(rng);
		return CALIB_E_NOMEM;
	}
	gsl_rng_set(rng, seed);
	for (r = 0; r < resamples; r++) {
		ci_sum hit = { 0, 0 };
		/* One uniform per row, zero-weight rows included, so a row's
		 * draw does not depend on the weights of the rows before it. */
		for (i = 0; i < n; i++)
			if (gsl_rng_uniform(rng) < score[i])
				ci_sum_add(&hit, weight ? weight[i] : 1.0);
		rep[r] = ci_sum_get(&hit) / W;
	}
	qsort(rep, (size_t)resamples, sizeof(*rep), cmp_double);
	*lo = rep[order_index(resamples, (1 - level) / 2)];
	*hi = rep[order_index(resamples, (1 + level) / 2)];
	free(rep);
	gsl_rng_free(rng);
	return CALIB_OK;
}

/* 1 when every positive weight is the same (or there are no weights). */
static int
equal_weights(size_t n, const double *weight)
{
	double first = 0;
	size_t i;

	if (weight == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if (!(weight[i] > 0))
			continue;
		if (first == 0)
			first = weight[i];
		else if (weight[i] != first)
			return 0;
	}
	return 1;
}

calib_status
calib_consistency_band(size_t n, const double *score, const double *weight,
    double level, calib_band method, int resamples, unsigned long seed,
    double *lo, double *hi)
{
	size_t i;
	int any = 0;

	*lo = *hi = NAN;
	if ((n > 0 && score == NULL) || !(level > 0 && level < 1))
		return CALIB_E_ARG;
	for (i = 0; i < n; i++) {
		if (!(score[i] >= 0 && score[i] <= 1))
			return CALIB_E_ARG;
		if (weight != NULL && !(weight[i] >= 0 && isfinite(weight[i])))
			return CALIB_E_ARG;
		if (weight == NULL || weight[i] > 0)
			any = 1;
	}
	if (method == CALIB_BAND_AUTO)
		method = equal_weights(n, weight) ? CALIB_BAND_EXACT :
		    CALIB_BAND_RESAMPLE;
	switch (method) {
	case CALIB_BAND_NONE:
		return CALIB_OK;
	case CALIB_BAND_EXACT:
		if (!equal_weights(n, weight))
			return CALIB_E_ARG;
		return any ? band_exact(n, score, weight, level, lo, hi) :
		    CALIB_OK;
	case CALIB_BAND_RESAMPLE:
		if (resamples < 1)
			return CALIB_E_ARG;
		return any ? band_resample(n, score, weight, level, resamples,
		    seed, lo, hi) : CALIB_OK;
	default:
		return CALIB_E_ARG;
	}
}

void
calib_reliability_options_init(calib_reliability_options *o)
{
	memset(o, 0, sizeof(*o));
	o->bins = 15;
	o->binning = CALIB_BIN_WIDTH;
	o->level = 0.95;
	o->interval = CALIB_INTERVAL_WILSON;
	o->band = CALIB_BAND_AUTO;
	o->resamples = 2000;
	o->seed = 1;
}

void
calib_reliability_release(calib_reliability *r)
{
	if (r == NULL)
		return;
	calib_bins_release(&r->table);
	free(r->u);
	memset(r, 0, sizeof(*r));
}

/*
 * The bin of each row, as calib_bins_compute() placed it.  Equal-mass bins
 * never split a run of equal scores, so bin m holds exactly the scores in
 * (hi_{m-1}, hi_m] and a binary search on the upper edges finds it.
 */
static int
row_bin(const calib_bins *t, double s)
{
	int l = 0, h = t->m - 1;

	if (t->binning == CALIB_BIN_WIDTH)
		return ci_bin_index(s, t->requested);
	while (l < h) {
		int mid = l + (h - l) / 2;
		if (s <= t->bin[mid].hi)
			h = mid;
		else
			l = mid + 1;
	}
	return l;
}

/*
 * The interval of one non-empty bin: x = acc(B_m) n_eff successes out of
 * the Kish effective size n_eff = W_m^2 / sum w_i^2 (w2, NaN for an
 * unweighted file, where n_eff is the count and x the correct rows).
 * Shared with summaries, whose w2 is the same exact sum rounded once.
 */
calib_status
ci_bin_uncertainty(const calib_bin *bin, double w2,
    const calib_reliability_options *o, calib_bin_uncertainty *u)
{
	double x, n_eff;

	u->n_eff = u->acc_lo = u->acc_hi = NAN;
	if (!(bin->weight > 0))
		return CALIB_OK;
	if (isnan(w2)) {
		n_eff = bin->weight;
		x = bin->sum_outcome;
	} else {
		n_eff = bin->weight * bin->weight / w2;
		x = bin->sum_outcome * (bin->weight / w2);
		if (x > n_eff)
			x = n_eff;
	}
	u->n_eff = n_eff;
	return calib_bin_interval(x, n_eff, o->level, o->interval,
	    &u->acc_lo, &u->acc_hi);
}

calib_status
calib_reliability_compute(const calib_preds *p,
    const calib_reliability_options *o, calib_reliability *out,
    calib_error *err)
{
	size_t *start = NULL, *fill = NULL, i;
	double *s = NULL, *w = NULL;
	ci_xsum *w2 = NULL;
	int32_t *rowbin = NULL;
	calib_band band;
	calib_status st;
	const char *src;
	int j, m;

	if (out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no table to fill");
	memset(out, 0, sizeof(*out));
	if (p == NULL || o == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no predictions or no options");
	src = p->source;
	if (o->bins < 1)
		return ci_error_set(err, CALIB_E_ARG, src, 0, 0, NULL,
		    "%d bins: expected at least 1", o->bins);
	if (!(o->level > 0 && o->level < 1))
		return ci_error_set(err, CALIB_E_ARG, src, 0, 0, NULL,
		    "level %g: expected a number strictly between 0 and 1",
		    o->level);
	if (o->interval != CALIB_INTERVAL_WILSON &&
	    o->interval != CALIB_INTERVAL_CLOPPER_PEARSON)
		return ci_error_set(err, CALIB_E_ARG, src, 0, 0, NULL,
		    "unknown interval method %d", (int)o->interval);
	band = o->band;
	if (band == CALIB_BAND_AUTO)
		band = equal_weights(p->n, p->weight) ? CALIB_BAND_EXACT :
		    CALIB_BAND_RESAMPLE;
	if (band == CALIB_BAND_EXACT && !equal_weights(p->n, p->weight))
		return ci_error_set(err, CALIB_E_ARG, src, 0, 0, NULL,
		    "the exact consistency band needs equal weights, and "
		    "this file's weights differ (resample instead)");
	if (band == CALIB_BAND_RESAMPLE && o->resamples < 1)
		return ci_error_set(err, CALIB_E_ARG, src, 0, 0, NULL,
		    "%d resamples: expected at least 1", o->resamples);
	if (band != CALIB_BAND_EXACT && band != CALIB_BAND_RESAMPLE &&
	    band != CALIB_BAND_NONE)
		return ci_error_set(err, CALIB_E_ARG, src, 0, 0, NULL,
		    "unknown band method %d", (int)o->band);

	if (!calib_convention_is_default(o->convention)) {
		/* Under a convention a row's bin is not a function of its
		 * score alone (ties split, clipping), so the binning says. */
		rowbin = malloc((p->n ? p->n : 1) * sizeof(*rowbin));
		st = rowbin == NULL ? CALIB_E_NOMEM : ci_conv_bin_arrays(p->n,
		    p->score, p->outcome, p->weight, NULL, o->bins, o->binning,
		    o->convention, rowbin, &out->table);
	} else {
		st = calib_bins_compute(p, o->bins, o->binning, NULL,
		    &out->table);
	}
	if (st != CALIB_OK) {
		free(rowbin);
		return ci_error_set(err, st, src, 0, 0, NULL, "%s",
		    calib_strerror(st));
	}
	m = out->table.m;
	if (o->convention != NULL)
		out->convention = *o->convention;
	else
		calib_convention_init(&out->convention);
	out->level = o->level;
	out->interval = o->interval;
	out->band = band;
	out->resamples = o->resamples;
	out->seed = o->seed;
	out->u = calloc((size_t)(m ? m : 1), sizeof(*out->u));

	/* Gather each bin's rows, in file order, by a counting sort. */
	start = calloc((size_t)m + 1, sizeof(*start));
	fill = calloc((size_t)m + 1, sizeof(*fill));
	s = malloc((p->n ? p->n : 1) * sizeof(*s));
	w = p->weight ? malloc((p->n ? p->n : 1) * sizeof(*w)) : NULL;
	w2 = malloc((size_t)(m ? m : 1) * sizeof(*w2));
	if (out->u == NULL || start == NULL || fill == NULL || s == NULL ||
	    (p->weight != NULL && w == NULL) || w2 == NULL) {
		st = CALIB_E_NOMEM;
		goto fail;
	}
	for (j = 0; j < m; j++)
		ci_xsum_init(&w2[j]);
	for (i = 0; i < p->n; i++)
		start[(rowbin ? rowbin[i] : row_bin(&out->table,
		    p->score[i])) + 1]++;
	for (j = 0; j < m; j++)
		start[j + 1] += start[j];
	memcpy(fill, start, ((size_t)m + 1) * sizeof(*fill));
	for (i = 0; i < p->n; i++) {
		int b = rowbin ? rowbin[i] : row_bin(&out->table,
		    p->score[i]);
		s[fill[b]] = p->score[i];
		if (w != NULL) {
			w[fill[b]] = p->weight[i];
			ci_xsum_add(&w2[b], p->weight[i] * p->weight[i]);
		}
		fill[b]++;
	}

	for (j = 0; j < m; j++) {
		const calib_bin *bin = &out->table.bin[j];
		calib_bin_uncertainty *u = &out->u[j];
		size_t cnt = start[j + 1] - start[j];

		u->n_eff = u->acc_lo = u->acc_hi = NAN;
		u->band_lo = u->band_hi = NAN;
		if (cnt != bin->count) {
			st = ci_error_set(err, CALIB_E_NUMERIC, src, 0, 0, NULL,
			    "bin %d: %zu rows gathered, %zu binned", j + 1,
			    cnt, bin->count);
			goto fail;
		}
		if (!(bin->weight > 0))
			continue;
		st = ci_bin_uncertainty(bin, w ? ci_xsum_round(&w2[j]) : NAN, o,
		    u);
		if (st != CALIB_OK) {
			ci_error_set(err, st, src, 0, 0, NULL, "bin %d: no "
			    "interval for its frequency in %g trials", j + 1,
			    u->n_eff);
			goto fail;
		}
		st = calib_consistency_band(cnt, s + start[j],
		    w ? w + start[j] : NULL, o->level, band, o->resamples,
		    ci_seed_mix(o->seed, (unsigned long)j), &u->band_lo,
		    &u->band_hi);
		if (st != CALIB_OK) {
			ci_error_set(err, st, src, 0, 0, NULL, "bin %d: no "
			    "consistency band: %s", j + 1, calib_strerror(st));
			goto fail;
		}
	}
	free(start);
	free(fill);
	free(s);
	free(w);
	free(w2);
	free(rowbin);
	return CALIB_OK;

fail:
	if (st == CALIB_E_NOMEM)
		ci_error_set(err, st, src, 0, 0, NULL, "out of memory");
	free(start);
	free(fill);
	free(s);
	free(w);
	free(w2);
	free(rowbin);
	calib_reliability_release(out);
	return st;
}
