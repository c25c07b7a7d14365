/*
 * t-hostile.c - regression tests, at the library level, for what fuzzing
 * found (issue 10): compensated sums that overflow, logits divided by a
 * tiny temperature, the rules parser.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/internal.h"
#include "../src/lib/recal-map.h"
#include "tap.h"

static void
test_sum_overflow(void)
{
	ci_sum s = { 0, 0 };

	/* 1e308 + 1e308 is past DBL_MAX: +inf, not inf - inf = NaN */
	ci_sum_add(&s, 1e308);
	ci_sum_add(&s, 1e308);
	ok(isinf(ci_sum_get(&s)) && ci_sum_get(&s) > 0,
	    "1e308 + 1e308 sums to +inf");
	ci_sum_add(&s, 1);
	ok(isinf(ci_sum_get(&s)) && ci_sum_get(&s) > 0,
	    "and stays +inf when more is added");
	s.s = s.c = 0;
	ci_sum_add(&s, 1e308);
	ci_sum_add(&s, -1e308);
	ci_sum_add(&s, 1e308);
	near(ci_sum_get(&s), 1e308, 0, "no overflow: 1e308 - 1e308 + 1e308");
}

static void
test_tiny_temperature(void)
{
	double z[3] = { -5, -6, -7 }, p[3];
	int top, tied;

	/* -5 / 2.3e-308 overflows: shifted first, (z - max) / T */
	ci_divide_logits(z, 3, 2.3e-308);
	ok(z[0] == 0 && z[1] == -1 / 2.3e-308 && z[2] == -2 / 2.3e-308,
	    "tiny T: logits shifted by the top one, then divided");
	ci_softmax(z, 3, p, &top, &tied);
	ok(p[0] == 1 && p[1] == 0 && p[2] == 0 && top == 0,
	    "tiny T: the softmax is one-hot on the top class");
	z[0] = 4;
	z[1] = 2;
	z[2] = 2;
	ci_divide_logits(z, 3, 2);
	ok(z[0] == 2 && z[1] == 1 && z[2] == 1,
	    "ordinary T: plain division, bit for bit");
	z[0] = 1;
	z[1] = -INFINITY;
	ci_divide_logits(z, 2, 1e-310);
	ok(z[0] == 0 && z[1] == -INFINITY,
	    "a probability-0 class (logit -inf) stays -inf");
}

static calib_status
rules(const char *text, calib_rule **r, size_t *n, calib_error *err)
{
	return calib_rules_parse(text, strlen(text), "r.txt", r, n, err);
}

static void
test_rules(void)
{
	calib_rule *r = NULL;
	calib_error err;
	size_t n = 0;
	char *longspec;
	size_t i;

	ok(rules("# c\n\nmax ece=0.05\r\n  --min accuracy = 0.5 # x\n"
	    "max-increase nll =0.01\nmax-decrease brier= 2", &r, &n, &err) ==
	    CALIB_OK && n == 4, "four rules in every spelling");
	if (n == 4) {
		ok(r[0].a.kind == CALIB_ASSERT_MAX && strcmp(r[0].a.metric,
		    "ece") == 0 && r[0].a.bound == 0.05 && r[0].line == 3,
		    "max ece=0.05 on line 3");
		ok(r[1].a.kind == CALIB_ASSERT_MIN && r[1].a.bound == 0.5 &&
		    r[1].line == 4, "--min accuracy = 0.5 on line 4");
		ok(r[3].a.kind == CALIB_ASSERT_MAX_DECREASE &&
		    r[3].a.bound == 2 && r[3].line == 6,
		    "a last line without a newline");
	}
	calib_rules_free(r);

	ok(rules("max ece=0.05\nmin accuracy=0.5 9\n", &r, &n, &err) ==
	    CALIB_E_FORMAT && r == NULL && err.line == 2 && err.column == 18,
	    "'min accuracy=0.5 9' is refused at line 2, column 18");
	is_str(err.message, "unexpected '9' after the bound (one METRIC=VALUE "
	    "per line; a number has no blanks)", "... saying why");
	ok(calib_rules_parse("max ece=0.5\0min accuracy=1\n", 27, "r.txt", &r,
	    &n, &err) == CALIB_E_FORMAT && err.line == 1 && err.column == 12,
	    "a NUL byte is refused where it is");
	ok(rules("max ece=0.5\rmin accuracy=0.9\n", &r, &n, &err) ==
	    CALIB_E_FORMAT && err.column == 12, "a bare CR is refused");
	ok(rules("max ecee=0.5\n", &r, &n, &err) == CALIB_E_FORMAT &&
	    err.column == 5 && strncmp(err.message, "unknown metric 'ecee'",
	    21) == 0, "an unknown metric is pointed at");
	ok(rules("max ece=abc\n", &r, &n, &err) == CALIB_E_FORMAT &&
	    err.column == 9, "a bad bound is pointed at");
	ok(rules("max =1\n", &r, &n, &err) == CALIB_E_FORMAT &&
	    err.column == 5, "no metric before '='");
	ok(rules("max ece=\n", &r, &n, &err) == CALIB_E_FORMAT,
	    "no value after '='");

	/* 5e-6 as "0.000...0005e294" with 300 zeros: no 255-byte limit */
	longspec = malloc(400);
	if (longspec != NULL) {
		strcpy(longspec, "max ece=0.");
		for (i = 0; i < 299; i++)
			strcat(longspec, "0");
		strcat(longspec, "5e294\n");
		ok(rules(longspec, &r, &n, &err) == CALIB_OK && n == 1 &&
		    fabs(r[0].a.bound - 5e-6) < 1e-20,
		    "a %zu-byte rule is read whole: bound %g", strlen(longspec),
		    n == 1 ? r[0].a.bound : NAN);
		calib_rules_free(r);
		free(longspec);
	}
	ok(rules("", &r, &n, &err) == CALIB_OK && n == 0 && r == NULL,
	    "an empty file has no rules");
}

static void
test_escape(void)
{
	char buf[64];
	size_t n;

	n = calib_escape_text(buf, sizeof(buf), "a\033[2Jb", 6);
	is_str(buf, "a\\x1b[2Jb", "ESC as \\x1b");
	ok(n == strlen(buf), "the length needed is returned");
	calib_escape_text(buf, sizeof(buf), "\302\233x", 3);
	is_str(buf, "\\u009bx", "C1 CSI (U+009B) as \\u009b");
	calib_escape_text(buf, sizeof(buf), "\357\273\277label", 8);
	is_str(buf, "<U+FEFF>label", "a byte-order mark made visible");
	calib_escape_text(buf, sizeof(buf), "caf\303\251 \377", 7);
	is_str(buf, "caf\303\251 \\xff", "UTF-8 kept, a stray byte escaped");
	n = calib_escape_text(buf, 6, "ab\303\251cd", 6);
	is_str(buf, "ab\303\251c", "cut to fit, at a character boundary");
	ok(n == 6, "... and the full length still returned");
	n = calib_escape_text(buf, 4, "ab\nc", 4);
	is_str(buf, "ab", "an escape that does not fit is left out whole");
	ok(calib_escape_text(NULL, 0, "x\ty", 3) == 6,
	    "a NULL buffer only measures");
}

int
main(void)
{
	test_sum_overflow();
	test_tiny_temperature();
	test_rules();
	test_escape();
	return done_testing();
}
