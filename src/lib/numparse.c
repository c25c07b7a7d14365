/*
 * numparse.c - decimal text to double, bit-identical to strtod.
 *
 * Parsing numbers is most of the cost of reading a prediction file, and
 * glibc's strtod spends about 70 ns on each.  Files written by numpy or
 * printf hold short decimals ("0.000123457", "1.23457e-05"); for those the
 * value is m * 10^e with m < 2^53 and |e| <= 22, both exactly representable,
 * so one correctly rounded IEEE multiplication or division yields the
 * correctly rounded result (W. D. Clinger, "How to read floating point
 * numbers accurately", PLDI 1990), the same double strtod returns.  Anything
 * else falls back to strtod.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "fastnum.h"

const double ci_pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

int
ci_fast_number(const char *s, const char *e, double *v)
{
	const char *stop = ci_scan_number(s, e, v);

	return stop != NULL && stop == e;
}

static int
is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

static int
looks_nonfinite(const char *s, size_t len)
{
	size_t i = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (len - i >= 3 && (strncasecmp(s + i, "nan", 3) == 0 ||
	    strncasecmp(s + i, "inf", 3) == 0))
		return 1;
	return 0;
}

ci_num_status
ci_parse_number(const char *s, size_t len, double *v)
{
	size_t i = 0, intd = 0, fracd = 0;
	char stackbuf[64], *buf = stackbuf, *end;
	double d;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && is_digit(s[i])) {
		i++;
		intd++;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && is_digit(s[i])) {
			i++;
			fracd++;
		}
	}
	if (intd + fracd == 0)
		return looks_nonfinite(s, len) ? CI_NUM_NONFINITE : CI_NUM_SYNTAX;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t ed = 0;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < len && is_digit(s[i])) {
			i++;
			ed++;
		}
		if (ed == 0)
			return CI_NUM_SYNTAX;
	}
	if (i != len)
		return CI_NUM_SYNTAX;
	if (len >= sizeof(stackbuf)) {
		buf = malloc(len + 1);
		if (buf == NULL)
			return CI_NUM_NOMEM;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (buf != stackbuf)
		free(buf);
	/* Underflow (ERANGE with a tiny result) is the correctly rounded
	 * value and is accepted; overflow is not a finite number. */
	if (isinf(d))
		return CI_NUM_RANGE;
	*v = d;
	return CI_NUM_OK;
}

int
ci_parse_index(const char *s, size_t len, long *v)
{
	long x = 0;
	size_t i;

	/* "01" is not index 1: an index is written one way only */
	if (len == 0 || len > 9 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return 0;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 1;
}
