/*
 * t-convention.c - conventions: which bin each library puts a score in,
 * worked out by hand from the doubles and floats involved; the equal-mass
 * layouts on a small file with ties; the choice tables; and that a
 * convention passed to one call leaves every other call as it was.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "tap.h"
#include "../src/lib/internal.h"

static calib_preds *
make_scores(size_t n, const double *s, const int32_t *y)
{
	double *x = malloc(2 * n * sizeof(double));
	calib_read_options o;
	calib_preds *p = NULL;
	calib_error err;
	size_t i;

	for (i = 0; i < n; i++) {
		x[2 * i] = 1 - s[i];
		x[2 * i + 1] = s[i];
	}
	calib_read_options_init(&o);
	o.target = 1; /* score = p_1 exactly as given */
	o.keep = CALIB_KEEP_PROBS;
	if (calib_preds_from_arrays("t", n, 2, x, y, NULL, &o, &p, &err) !=
	    CALIB_OK)
		diag("from_arrays: %s", err.message);
	free(x);
	return p;
}

/* 0-based bins of s among 10 under calib, torchmetrics, netcal, sklearn,
 * relplot, kumar and tfp. */
static void
check_bins(double s, const char *what, const int want[7])
{
	char got[64] = "", exp[64] = "";
	int k, good = 1;

	for (k = 0; calib_convention_names[k] != NULL; k++) {
		calib_convention c;
		int b;
		calib_convention_preset(calib_convention_names[k], &c);
		b = calib_convention_bin(&c, s, 10);
		good &= b == want[k];
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %d",
		    b);
		snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp), " %d",
		    want[k]);
	}
	ok(good, "%s:%s", what, got);
	if (!good)
		diag("wanted%s", exp);
}

static void
check_counts(const char *what, const calib_bins *b, int nb,
    const size_t *want)
{
	int j, good = b->m == nb;

	for (j = 0; good && j < nb; j++)
		good = b->bin[j].count == want[j];
	ok(good, "%s: %d bins with the expected counts", what, nb);
	if (!good)
		for (j = 0; j < b->m; j++)
			diag("bin %d: %zu", j, b->bin[j].count);
}

int
main(void)
{
	/* 10 bins.  The reasoning for each row is in tests/conventions.sh
	 * (rows of explain.csv) or here. */
	static const int b07[7] = { 6, 7, 6, 6, 6, 6, 7 };
	static const int b10[7] = { 9, 10, 9, 9, 10, 9, 9 };
	static const int b06[7] = { 6, 6, 6, 5, 6, 6, 6 };
	static const int b05[7] = { 4, 5, 5, 4, 5, 4, 5 };
	/* 3 * 0.1 = 0.30000000000000004 is numpy's linspace edge 3, so
	 * sklearn's (lo,hi] keeps it below; it is above the real 3/10 and the
	 * double 0.3; 0.30000000000000004 / 0.1 rounds up to
	 * 3.0000000000000004 (relplot: 3); its float is torch's edge 0.1f * 3
	 * and 10 * that float is 3 + 2^-23, which rounds to even, 3.0. */
	static const int b03p[7] = { 3, 3, 3, 2, 3, 3, 3 };
	/* 0.3 = 0.29999999999999998890 sits below every double edge 3, but
	 * rounds to the float 0.30000001192092896, which is torch's edge and
	 * whose product with 10 rounds to 3.0 (tfp). */
	static const int b03[7] = { 2, 3, 2, 2, 2, 2, 3 };
	static const double tie[5] = { 0.1, 0.2, 0.2, 0.2, 0.5 };
	static const int32_t ylab[5] = { 0, 1, 0, 1, 1 };
	calib_convention c;
	calib_preds *p;
	calib_bins b;
	calib_error err;
	char buf[64];
	int k;

	check_bins(0.7, "0.7", b07);
	check_bins(1.0, "1.0", b10);
	check_bins(0.6000000000000001, "0.6000000000000001", b06);
	check_bins(0.5, "0.5", b05);
	check_bins(0.30000000000000004, "0.30000000000000004", b03p);
	check_bins(0.3, "0.3", b03);
	ok(calib_convention_bin(NULL, 0.3, 10) == calib_bin_index(0.3, 10),
	    "NULL convention: calib_bin_index()");

	/* Edges as the libraries hold them. */
	calib_convention_preset("sklearn", &c);
	ok(calib_convention_edge(&c, 3, 10) == 0.30000000000000004,
	    "linspace edge 3 of 10 is 0.30000000000000004");
	ok(calib_convention_edge(&c, 10, 10) == 1.0,
	    "linspace's last edge is 1");
	calib_convention_preset("torchmetrics", &c);
	ok(calib_convention_edge(&c, 3, 10) == (double)0.3f,
	    "float32 linspace edge 3 of 10 is float(0.3)");
	ok(calib_convention_edge(&c, 6, 10) == (double)0.6f,
	    "float32 edge 6 of 10: 1 - 4 * 0.1f rounds to float(0.6)");
	ok(isnan(calib_convention_edge(&c, 11, 10)), "edge 11 of 10: NaN");

	/* Equal-mass layouts: 0.1, 0.2, 0.2, 0.2, 0.5 in 2 bins. */
	p = make_scores(5, tie, ylab);
	{
		static const size_t c41[2] = { 4, 1 }, c32[2] = { 3, 2 };
		static const size_t c14[2] = { 1, 4 };
		calib_convention_init(&c);
		c.mass = CALIB_MASS_ARRAY_SPLIT;
		calib_bins_compute_conv(p, 2, CALIB_BIN_MASS, &c, NULL, &b);
		check_counts("array-split splits the tie 3 + 2", &b, 2, c32);
		calib_bins_release(&b);
		c.mass = CALIB_MASS_MIDPOINT;
		calib_bins_compute_conv(p, 2, CALIB_BIN_MASS, &c, NULL, &b);
		check_counts("midpoint (0.2+0.2)/2 = 0.2, (lo,hi]: 4 + 1", &b,
		    2, c41);
		ok(b.bin[0].hi == 0.2 && b.bin[1].hi == 1.0,
		    "midpoint edges 0.2 and 1.0");
		calib_bins_release(&b);
		c.mass = CALIB_MASS_PERCENTILE;
		calib_bins_compute_conv(p, 2, CALIB_BIN_MASS, &c, NULL, &b);
		check_counts("percentile: median 0.2, (lo,hi]: 4 + 1", &b, 2,
		    c41);
		calib_bins_release(&b);
		c.closure = CALIB_CLOSURE_LEFT;
		calib_bins_compute_conv(p, 2, CALIB_BIN_MASS, &c, NULL, &b);
		check_counts("percentile, [lo,hi): 1 + 4", &b, 2, c14);
		calib_bins_release(&b);
		c.mass = CALIB_MASS_CALIB;
		c.closure = CALIB_CLOSURE_RIGHT;
		c.clip = 0.15;
		calib_bins_compute_conv(p, 2, CALIB_BIN_MASS, &c, NULL, &b);
		check_counts("calib's layout with clipping: ties whole, 4 + 1",
		    &b, 2, c41);
		near(b.bin[0].sum_score, 0.15 + 0.6, 1e-15,
		    "clipping raised 0.1 to 0.15 in the bin's sum");
		calib_bins_release(&b);
	}

	/* A convention is per call: default, convention, default again. */
	{
		calib_metric_options mo;
		calib_metrics m1, m2, m3;
		calib_bins b1, b2;
		calib_metric_options_init(&mo);
		ok(mo.convention == NULL, "metric options start without one");
		calib_metrics_compute(p, &mo, NULL, &m1);
		calib_convention_preset("torchmetrics", &c);
		mo.convention = &c;
		calib_metrics_compute(p, &mo, NULL, &m2);
		mo.convention = NULL;
		calib_metrics_compute(p, &mo, NULL, &m3);
		ok(memcmp(&m1, &m3, sizeof(m1)) == 0,
		    "metrics after a torchmetrics call are identical");
		ok(m2.bins == 16 && m1.bins == 15,
		    "torchmetrics: 15 bins and the extra one");
		calib_bins_compute(p, 10, CALIB_BIN_WIDTH, NULL, &b1);
		calib_convention_init(&c);
		calib_bins_compute_conv(p, 10, CALIB_BIN_WIDTH, &c, NULL, &b2);
		ok(b1.m == b2.m && memcmp(b1.bin, b2.bin, (size_t)b1.m *
		    sizeof(*b1.bin)) == 0 && !b2.float32,
		    "the calib convention gives calib_bins_compute()'s table");
		calib_bins_release(&b1);
		calib_bins_release(&b2);
	}
	calib_preds_free(p);

	/* The bootstrap's cached cells give the same doubles as binning
	 * every replicate afresh, under every preset. */
	{
		static const double v[] = { 0.3, 0.30000000000000004, 0.5,
		    0.6000000000000001, 0.7, 1.0, 0.65, 0.75, 0.4, 0.999 };
		enum { N = 60 };
		double x[3 * N];
		int32_t lab[N];
		uint32_t mult[N];
		unsigned long long r = 12345;
		calib_read_options ro;
		calib_preds *q = NULL;
		int i;
		for (i = 0; i < N; i++) {
			double c0 = v[i % 10];
			x[3 * i] = c0;
			x[3 * i + 1] = x[3 * i + 2] = (1 - c0) / 2;
			lab[i] = (i / 10) % 3;
			mult[i] = 0;
		}
		for (i = 0; i < N; i++) {
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			mult[(r >> 33) % N]++;
		}
		calib_read_options_init(&ro);
		ro.keep = CALIB_KEEP_PROBS;
		calib_preds_from_arrays("cells", N, 3, x, lab, NULL, &ro, &q,
		    &err);
		for (k = 0; q != NULL && calib_convention_names[k] != NULL;
		    k++) {
			calib_metric_options mo;
			calib_metrics a, b2;
			ci_cells cells;
			calib_convention_preset(calib_convention_names[k], &c);
			calib_metric_options_init(&mo);
			mo.bins = 10;
			mo.convention = &c;
			mo.select = calib_metric_all_set();
			if (calib_convention_is_default(&c))
				ci_cells_build(q, 10, &cells);
			else
				ci_conv_cells_build(q, 10, &c, &cells);
			ci_metrics_compute(q, &mo, mult, &cells, &a);
			ci_metrics_compute(q, &mo, mult, NULL, &b2);
			ok(memcmp(&a, &b2, sizeof(a)) == 0 && !isnan(a.ece) &&
			    !isnan(a.classwise_ece),
			    "%s: cached and fresh replicate metrics agree",
			    calib_convention_names[k]);
			ci_cells_free(&cells);
		}
		calib_preds_free(q);
	}

	/* The choice tables. */
	calib_convention_init(&c);
	ok(calib_convention_is_default(&c) && strcmp(c.name, "calib") == 0,
	    "init gives calib");
	for (k = 1; calib_convention_names[k] != NULL; k++) {
		calib_convention_preset(calib_convention_names[k], &c);
		ok(!calib_convention_is_default(&c), "%s is not calib's",
		    calib_convention_names[k]);
	}
	ok(calib_convention_preset("pytorch", &c) == CALIB_E_ARG,
	    "unknown preset refused");
	calib_convention_init(&c);
	ok(calib_convention_set(&c, "edges", "linspace32", &err) == CALIB_OK &&
	    c.edges == CALIB_EDGES_LINSPACE32, "set edges by name");
	ok(calib_convention_get(&c, "edges", buf, sizeof(buf)) == CALIB_OK &&
	    strcmp(buf, "linspace32") == 0, "and read it back");
	ok(calib_convention_set(&c, "clip", "2.220446049250313e-16", &err) ==
	    CALIB_OK && c.clip == 0x1p-52, "set clip by number");
	ok(c.hand == (1u << 0 | 1u << 5), "edges and clip marked as set by "
	    "hand");
	calib_convention_preset("kumar", &c);
	ok(c.hand == 0, "a preset clears the marks");
	ok(calib_convention_set(&c, "top", "middle", &err) == CALIB_E_ARG &&
	    strstr(err.message, "last or extra") != NULL,
	    "bad value: the message lists the choices");
	ok(calib_convention_set(&c, "colour", "red", &err) == CALIB_E_ARG,
	    "unknown choice refused");
	ok(calib_convention_get(&c, "colour", buf, sizeof(buf)) == CALIB_E_ARG,
	    "unknown choice not read");
	return done_testing();
}
