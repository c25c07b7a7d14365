/*
 * t-numparse.c - the fast number path against strtod, bit for bit, and the
 * strict grammar every field must match.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "../src/lib/internal.h"
#include "tap.h"

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* One string: if the fast path takes it, it must equal strtod exactly. */
static int
agrees(const char *s, int *fast_taken)
{
	double f = 0, r = 0;
	int took = ci_fast_number(s, s + strlen(s), &f);

	*fast_taken = took;
	if (!took)
		return 1;
	r = strtod(s, NULL);
	return same_bits(f, r);
}

int
main(void)
{
	static const struct {
		const char *s;
		ci_num_status want;
		double value; /* checked when want == CI_NUM_OK */
	} cases[] = {
		{ "0", CI_NUM_OK, 0.0 },
		{ "-0", CI_NUM_OK, -0.0 },
		{ "0.5", CI_NUM_OK, 0.5 },
		{ ".5", CI_NUM_OK, 0.5 },
		{ "5.", CI_NUM_OK, 5.0 },
		{ "+3", CI_NUM_OK, 3.0 },
		{ "1e5", CI_NUM_OK, 1e5 },
		{ "1E-5", CI_NUM_OK, 1e-5 },
		{ "1.23457e-05", CI_NUM_OK, 1.23457e-05 },
		{ "0.000123457", CI_NUM_OK, 0.000123457 },
		{ "0.30000000000000004", CI_NUM_OK, 0.30000000000000004 },
		{ "9007199254740993", CI_NUM_OK, 9007199254740993.0 },
		{ "1e23", CI_NUM_OK, 1e23 },
		{ "4.9e-324", CI_NUM_OK, 4.9e-324 },
		{ "1e-400", CI_NUM_OK, 0.0 },
		{ "1.7976931348623157e308", CI_NUM_OK, 1.7976931348623157e308 },
		{ "1e309", CI_NUM_RANGE, 0 },
		{ "nan", CI_NUM_NONFINITE, 0 },
		{ "NaN", CI_NUM_NONFINITE, 0 },
		{ "-inf", CI_NUM_NONFINITE, 0 },
		{ "Infinity", CI_NUM_NONFINITE, 0 },
		{ "0x10", CI_NUM_SYNTAX, 0 },
		{ "1e", CI_NUM_SYNTAX, 0 },
		{ "e5", CI_NUM_SYNTAX, 0 },
		{ "", CI_NUM_SYNTAX, 0 },
		{ ".", CI_NUM_SYNTAX, 0 },
		{ "-", CI_NUM_SYNTAX, 0 },
		{ " 1", CI_NUM_SYNTAX, 0 },
		{ "1 ", CI_NUM_SYNTAX, 0 },
		{ "--1", CI_NUM_SYNTAX, 0 },
		{ "1.2.3", CI_NUM_SYNTAX, 0 },
		{ "1,5", CI_NUM_SYNTAX, 0 },
		{ "abc", CI_NUM_SYNTAX, 0 },
	};
	size_t i;
	gsl_rng *rng;
	long n_fast = 0, n_total = 0, n_bad = 0;
	char buf[128];
	long idx;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = 12345;
		ci_num_status st = ci_parse_number(cases[i].s,
		    strlen(cases[i].s), &v);
		int taken = 0, agreed;
		is_int(st, cases[i].want, "parse '%s' status", cases[i].s);
		if (cases[i].want == CI_NUM_OK)
			ok(same_bits(v, cases[i].value),
			    "parse '%s' gives %.17g", cases[i].s, cases[i].value);
		agreed = agrees(cases[i].s, &taken);
		ok(agreed, "fast path on '%s' agrees with strtod (taken: %d)",
		    cases[i].s, taken);
		if (cases[i].want != CI_NUM_OK)
			ok(!taken, "fast path refuses '%s'", cases[i].s);
	}

	/* Printed doubles at every precision, as numpy and printf write them,
	 * plus raw random decimal strings. */
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 20261127);
	for (i = 0; i < 400000; i++) {
		double x;
		int prec = 1 + (int)gsl_rng_uniform_int(rng, 17), taken = 0;
		switch (i % 4) {
		case 0:
			x = gsl_rng_uniform(rng);
			break;
		case 1:
			x = pow(10, -12 * gsl_rng_uniform(rng));
			break;
		case 2:
			x = (gsl_rng_uniform(rng) - 0.5) * pow(10,
			    60 * gsl_rng_uniform(rng) - 30);
			break;
		default: {
			/* digits, a point somewhere, an exponent */
			int nd = 1 + (int)gsl_rng_uniform_int(rng, 22), j, o = 0;
			int point = (int)gsl_rng_uniform_int(rng, (unsigned long)nd + 1);
			for (j = 0; j < nd; j++) {
				if (j == point)
					buf[o++] = '.';
				buf[o++] = (char)('0' + gsl_rng_uniform_int(rng, 10));
			}
			if (gsl_rng_uniform(rng) < 0.5)
				o += snprintf(buf + o, sizeof(buf) - (size_t)o,
				    "e%d", (int)gsl_rng_uniform_int(rng, 61) - 30);
			buf[o] = '\0';
			x = 0;
			break;
		}
		}
		if (i % 4 != 3)
			snprintf(buf, sizeof(buf), "%.*g", prec, x);
		n_total++;
		if (!agrees(buf, &taken)) {
			n_bad++;
			if (n_bad < 5)
				diag("fast path disagrees on '%s'", buf);
		}
		n_fast += taken;
		/* ci_parse_number must give strtod's value too. */
		{
			double v;
			if (ci_parse_number(buf, strlen(buf), &v) != CI_NUM_OK ||
			    !same_bits(v, strtod(buf, NULL))) {
				n_bad++;
				if (n_bad < 5)
					diag("reference path wrong on '%s'", buf);
			}
		}
	}
	gsl_rng_free(rng);
	is_int(n_bad, 0, "fast and reference conversion equal strtod on %ld "
	    "random decimals", n_total);
	ok(n_fast > n_total / 2, "the fast path took %ld of %ld (it must "
	    "carry the common case)", n_fast, n_total);

	/* %.6g, the benchmark's format, must always be fast. */
	{
		long slow = 0;
		rng = gsl_rng_alloc(gsl_rng_mt19937);
		gsl_rng_set(rng, 7);
		for (i = 0; i < 100000; i++) {
			int taken;
			snprintf(buf, sizeof(buf), "%.6g",
			    gsl_rng_uniform(rng) * pow(10, -8 * gsl_rng_uniform(rng)));
			agrees(buf, &taken);
			slow += !taken;
		}
		gsl_rng_free(rng);
		is_int(slow, 0, "every %%.6g probability takes the fast path");
	}

	ok(ci_parse_index("42", 2, &idx) && idx == 42, "index '42'");
	/* an index is written one way: "007" is not 7 (issue 10) */
	ok(!ci_parse_index("007", 3, &idx), "index '007' refused");
	ok(!ci_parse_index("01", 2, &idx), "index '01' refused");
	ok(ci_parse_index("0", 1, &idx) && idx == 0, "index '0'");
	ok(!ci_parse_index("-1", 2, &idx), "index '-1' refused");
	ok(!ci_parse_index("1.0", 3, &idx), "index '1.0' refused");
	ok(!ci_parse_index("", 0, &idx), "empty index refused");
	ok(!ci_parse_index("1234567890", 10, &idx), "10-digit index refused");
	return done_testing();
}
