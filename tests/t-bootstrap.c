/*
 * t-bootstrap.c - the paired bootstrap: every replicate equals the metrics
 * of the physically resampled rows, runs share each resample, a case whose
 * resampling distribution is known by hand gives the expected interval,
 * the quantile rule matches definition 7, and seeds reproduce.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "calib.h"
#include "tap.h"

static calib_preds *
make(const char *name, size_t n, int k, const double *x, const int32_t *y,
    unsigned keep)
{
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;

	calib_read_options_init(&o);
	o.keep = keep;
	if (calib_preds_from_arrays(name, n, k, x, y, NULL, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays: %s", err.message);
	return p;
}

/* The metrics of run p on the rows a multiplicity vector picks, computed
 * the slow, independent way: by building the resampled data set. */
static calib_metrics
resampled(const calib_preds *p, const double *x, const uint32_t *mult,
    const calib_metric_options *mo)
{
	size_t n = p->n, i, r = 0, j;
	int k = p->k;
	double *xr = malloc(n * (size_t)k * sizeof(double));
	int32_t *yr = malloc(n * sizeof(int32_t));
	calib_preds *q;
	calib_metrics m;

	for (i = 0; i < n; i++)
		for (j = 0; j < mult[i]; j++, r++) {
			memcpy(xr + r * (size_t)k, x + i * (size_t)k,
			    (size_t)k * sizeof(double));
			yr[r] = p->label[i];
		}
	q = make("resampled", r, k, xr, yr, CALIB_KEEP_PROBS);
	calib_metrics_compute(q, mo, NULL, &m);
	calib_preds_free(q);
	free(xr);
	free(yr);
	return m;
}

int
main(void)
{
	enum { N = 40, K = 3, B = 60 };
	double xa[N * K], xb[N * K];
	int32_t y[N];
	calib_preds *a, *b, *runs[2];
	calib_bootstrap_options bo;
	calib_bootstrap bs, bs2;
	calib_error err;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	size_t i;
	int j, c, bad = 0;

	/* Two random runs on the same labels. */
	gsl_rng_set(rng, 3);
	for (i = 0; i < N; i++) {
		double sa = 0, sb = 0;
		y[i] = (int32_t)gsl_rng_uniform_int(rng, K);
		for (c = 0; c < K; c++) {
			xa[i * K + c] = gsl_rng_uniform_pos(rng);
			xb[i * K + c] = gsl_rng_uniform_pos(rng);
			sa += xa[i * K + c];
			sb += xb[i * K + c];
		}
		for (c = 0; c < K; c++) {
			xa[i * K + c] /= sa;
			xb[i * K + c] /= sb;
		}
	}
	a = make("a", N, K, xa, y, CALIB_KEEP_PROBS);
	b = make("b", N, K, xb, y, CALIB_KEEP_PROBS);
	runs[0] = a;
	runs[1] = b;
	calib_bootstrap_options_init(&bo);
	bo.replicates = B;
	bo.seed = 99;
	bo.metric.bins = 5;
	ok(calib_bootstrap_paired((const calib_preds *const *)runs, 2, &bo,
	    &bs, &err) == CALIB_OK, "bootstrap runs");

	/* Replay the documented draws: n uniform row indices per replicate
	 * from one mt19937 stream. */
	gsl_rng_set(rng, 99);
	for (j = 0; j < B; j++) {
		uint32_t mult[N];
		int r, q;
		memset(mult, 0, sizeof(mult));
		for (i = 0; i < N; i++)
			mult[gsl_rng_uniform_int(rng, N)]++;
		for (r = 0; r < 2; r++) {
			calib_metrics want = resampled(runs[r], r ? xb : xa,
			    mult, &bo.metric);
			const calib_metrics *got = &bs.rep[r * B + j];
			for (q = 0; q < calib_metric_count(); q++) {
				double g = calib_metrics_value(got, q);
				double w = calib_metrics_value(&want, q);
				if (!(got->computed >> q & 1))
					continue;
				if (!(fabs(g - w) <= 1e-12 * (1 + fabs(w)))) {
					if (bad++ < 5)
						diag("rep %d run %d %s: %.17g vs "
						    "%.17g", j, r,
						    calib_metric_info_get(q)->name,
						    g, w);
				}
			}
		}
	}
	is_int(bad, 0, "every replicate of both runs equals the metrics of "
	    "the same physically resampled rows (%d replicates)", B);

	/* Fixed seed: identical; another seed: different. */
	calib_bootstrap_paired((const calib_preds *const *)runs, 2, &bo, &bs2,
	    &err);
	ok(memcmp(bs.rep, bs2.rep, 2 * B * sizeof(calib_metrics)) == 0,
	    "the same seed reproduces every replicate bit for bit");
	calib_bootstrap_release(&bs2);
	bo.seed = 100;
	calib_bootstrap_paired((const calib_preds *const *)runs, 2, &bo, &bs2,
	    &err);
	ok(memcmp(bs.rep, bs2.rep, 2 * B * sizeof(calib_metrics)) != 0,
	    "another seed gives other replicates");
	calib_bootstrap_release(&bs2);
	calib_bootstrap_release(&bs);
	calib_bootstrap_release(&bs);
	ok(1, "releasing twice is harmless");

	/*
	 * A case known by hand.  Two rows; run A is right on row 1 only,
	 * run B on row 2 only.  A resample takes row 1 m times (m = 0, 1, 2
	 * with probabilities 1/4, 1/2, 1/4), so acc(B) - acc(A) = (2 - 2m)/2
	 * is -1, 0 or +1 with those probabilities.  The point difference is
	 * 0; the 95 % percentile interval is [-1, 1]; at level 0.4 (the .3
	 * and .7 quantiles) both ends are 0.
	 */
	{
		double pa[4] = { 0.9, 0.1, 0.9, 0.1 };
		double pb[4] = { 0.1, 0.9, 0.1, 0.9 };
		int32_t yy[2] = { 0, 1 };
		calib_preds *A = make("A", 2, 2, pa, yy, CALIB_KEEP_PROBS);
		calib_preds *Bp = make("B", 2, 2, pb, yy, CALIB_KEEP_PROBS);
		const calib_preds *rr[2] = { A, Bp };
		int count[3] = { 0, 0, 0 }, other = 0;
		double lo, hi;

		calib_bootstrap_options_init(&bo);
		bo.replicates = 4000;
		calib_bootstrap_paired(rr, 2, &bo, &bs, &err);
		for (j = 0; j < bo.replicates; j++) {
			double d = bs.rep[bo.replicates + j].accuracy -
			    bs.rep[j].accuracy;
			if (d == -1)
				count[0]++;
			else if (d == 0)
				count[1]++;
			else if (d == 1)
				count[2]++;
			else
				other++;
		}
		is_int(other, 0, "every replicate difference is -1, 0 or +1");
		/* 4000 draws: the standard deviation of a 1/4 share is 0.7 %,
		 * so 4 points is more than five of them. */
		ok(fabs(count[0] / 4000.0 - 0.25) < 0.04 &&
		    fabs(count[1] / 4000.0 - 0.5) < 0.04 &&
		    fabs(count[2] / 4000.0 - 0.25) < 0.04,
		    "shares %d/%d/%d match 1/4, 1/2, 1/4", count[0], count[1],
		    count[2]);
		calib_bootstrap_interval(&bs, "accuracy", 1, 0, 0.95, &lo, &hi);
		ok(lo == -1 && hi == 1, "95 %% interval of the difference is "
		    "[-1, 1] (got [%g, %g])", lo, hi);
		calib_bootstrap_interval(&bs, "accuracy", 1, 0, 0.4, &lo, &hi);
		ok(lo == 0 && hi == 0, "40 %% interval is [0, 0] (got [%g, %g])",
		    lo, hi);
		near(bs.point[1].accuracy - bs.point[0].accuracy, 0, 0,
		    "point difference 0");
		calib_bootstrap_release(&bs);
		calib_preds_free(A);
		calib_preds_free(Bp);
	}

	/* The quantile rule on known replicate values 1..100. */
	{
		calib_metrics pts[1], reps[100];
		calib_bootstrap fake;
		double lo, hi;
		memset(pts, 0, sizeof(pts));
		memset(reps, 0, sizeof(reps));
		for (j = 0; j < 100; j++)
			reps[j].ece = 100 - j; /* unsorted on purpose */
		fake.runs = 1;
		fake.replicates = 100;
		fake.point = pts;
		fake.rep = reps;
		calib_bootstrap_interval(&fake, "ece", 0, -1, 0.9, &lo, &hi);
		/* h = 99 * .05 = 4.95: 5 + .95 (6 - 5); h = 94.05: 95.05 */
		near(lo, 5.95, 1e-12, "0.05 quantile of 1..100 = 5.95");
		near(hi, 95.05, 1e-12, "0.95 quantile of 1..100 = 95.05");
		ok(calib_bootstrap_interval(&fake, "nope", 0, -1, 0.9, &lo,
		    &hi) == CALIB_E_ARG, "unknown metric refused");
		/* values 96..100 become infinite: the .95 quantile lies
		 * between 95 and the first infinity */
		for (j = 0; j < 5; j++)
			reps[j].ece = INFINITY;
		calib_bootstrap_interval(&fake, "ece", 0, -1, 0.9, &lo, &hi);
		ok(isinf(hi) && fabs(lo - 5.95) < 1e-12, "infinite replicates make an end "
		    "that touches them infinite, not the other");
	}

	/* Pairing checks. */
	{
		int32_t y2[N];
		calib_preds *c2, *c3;
		memcpy(y2, y, sizeof(y));
		y2[2] = (y2[2] + 1) % K;
		c2 = make("c", N, K, xb, y2, 0);
		ok(calib_preds_check_paired(a, c2, &err) == CALIB_E_MISMATCH &&
		    strstr(err.message, "row 3 has label") != NULL,
		    "a different label is caught at its row: %s", err.message);
		c3 = make("d", N - 1, K, xb, y, 0);
		ok(calib_preds_check_paired(a, c3, &err) == CALIB_E_MISMATCH &&
		    strstr(err.message, "has 39 rows") != NULL,
		    "a different row count is caught: %s", err.message);
		runs[1] = c2;
		ok(calib_bootstrap_paired((const calib_preds *const *)runs, 2,
		    &bo, &bs, &err) == CALIB_E_MISMATCH,
		    "the bootstrap refuses unpaired runs");
		calib_preds_free(c2);
		calib_preds_free(c3);
	}
	calib_preds_free(a);
	calib_preds_free(b);
	gsl_rng_free(rng);
	return done_testing();
}
