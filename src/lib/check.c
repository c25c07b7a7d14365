/*
 * check.c - assertions on metrics, the policy behind calib check.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

calib_status
calib_assertion_parse(const char *kind, const char *spec, calib_assertion *a,
    calib_error *err)
{
	static const char *const kinds[] = { "max", "min", "max-increase",
	    "max-decrease" };
	const char *eq;
	char names[1200], *end;
	size_t i, o = 0, len;

	memset(a, 0, sizeof(*a));
	if (kind[0] == '-' && kind[1] == '-')
		kind += 2;
	for (i = 0; i < 4; i++)
		if (strcmp(kind, kinds[i]) == 0)
			break;
	if (i == 4)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "unknown assertion '%s' (expected max, min, max-increase "
		    "or max-decrease)", kind);
	a->kind = (calib_assert_kind)i;
	eq = strchr(spec, '=');
	if (eq == NULL || eq == spec)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "'%s' is not METRIC=VALUE", spec);
	len = (size_t)(eq - spec);
	for (i = 0; i < (size_t)calib_metric_count(); i++) {
		const char *nm = calib_metric_info_get((int)i)->name;
		if (strlen(nm) == len && strncmp(nm, spec, len) == 0)
			break;
	}
	if (i == (size_t)calib_metric_count()) {
		size_t j;
		names[0] = '\0';
		for (j = 0; j < (size_t)calib_metric_count() &&
		    o < sizeof(names); j++)
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s%s", j ? ", " : "",
			    calib_metric_info_get((int)j)->name);
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "unknown metric '%.*s' (valid names: %s)", (int)len, spec,
		    names);
	}
	snprintf(a->metric, sizeof(a->metric), "%s",
	    calib_metric_info_get((int)i)->name);
	errno = 0;
	a->bound = strtod(eq + 1, &end);
	if (end == eq + 1 || *end != '\0' || errno == ERANGE ||
	    !isfinite(a->bound))
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "bound '%s' of %s is not a finite number", eq + 1,
		    a->metric);
	if (a->kind >= CALIB_ASSERT_MAX_INCREASE && a->bound < 0)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "bound %g of %s %s must be >= 0", a->bound, kind, a->metric);
	return CALIB_OK;
}

int
calib_assertion_holds(const calib_assertion *a, double value, double lo,
    double hi, int strict)
{
	double b = a->bound;
	int interval = !isnan(lo) && !isnan(hi);

	switch (a->kind) {
	case CALIB_ASSERT_MAX:
	case CALIB_ASSERT_MAX_INCREASE:
		if (!interval)
			return value <= b;
		return strict ? hi <= b : lo <= b;
	case CALIB_ASSERT_MIN:
		if (!interval)
			return value >= b;
		return strict ? lo >= b : hi >= b;
	case CALIB_ASSERT_MAX_DECREASE:
		/* q = metric - baseline; a decrease of at most b is q >= -b */
		if (!interval)
			return value >= -b;
		return strict ? lo >= -b : hi >= -b;
	}
	return 0;
}

/* ---- rules files -------------------------------------------------- */

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static calib_status rule_error(calib_error *err, const char *source,
    unsigned long line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static calib_status
rule_error(calib_error *err, const char *source, unsigned long line,
    size_t col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ci_error_set(err, CALIB_E_FORMAT, source, line,
	    (unsigned)(col >= 0xffffffu ? 0xffffffu : col + 1), NULL, "%s",
	    msg);
}

/* A length for "%.*s" in a message: at most 200 bytes of the text. */
static int
shown(size_t len)
{
	return (int)(len > 200 ? 200 : len);
}

/* One line of a rules file, [s, s + n) without its line end. */
static calib_status
rule_line(const char *s, size_t n, const char *source, unsigned long line,
    calib_rule *r, int *empty, calib_error *err)
{
	size_t i = 0, k0, k1, m0, m1, v0, v1;
	char *kind, *spec;
	calib_status st;

	*empty = 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			return rule_error(err, source, line, i, "a NUL byte "
			    "(a rules file is text)");
		else if (s[i] == '\r')
			return rule_error(err, source, line, i, "a carriage "
			    "return inside the line");
		else if (s[i] == '#')
			break;
	n = i;
	for (i = 0; i < n && blank(s[i]); i++)
		;
	if (i == n) {
		*empty = 1;
		return CALIB_OK;
	}
	for (k0 = i; i < n && !blank(s[i]); i++)
		;
	k1 = i;
	for (; i < n && blank(s[i]); i++)
		;
	if (i == n)
		return rule_error(err, source, line, k0, "'%.*s' has no "
		    "METRIC=VALUE (expected e.g. 'max ece=0.05')", shown(k1 - k0),
		    s + k0);
	/* "ece=0.05", "ece = 0.05" and "ece =0.05" all read the same */
	for (m0 = i; i < n && !blank(s[i]) && s[i] != '='; i++)
		;
	m1 = i;
	for (; i < n && blank(s[i]); i++)
		;
	if (i == n || s[i] != '=' || m1 == m0)
		return rule_error(err, source, line, m0, "'%.*s' is not "
		    "METRIC=VALUE", shown((i < n ? n : m1) - m0), s + m0);
	for (i++; i < n && blank(s[i]); i++)
		;
	for (v0 = i; i < n && !blank(s[i]); i++)
		;
	v1 = i;
	for (; i < n && blank(s[i]); i++)
		;
	if (v1 == v0)
		return rule_error(err, source, line, m0, "'%.*s' has no value "
		    "after '='", shown(m1 - m0), s + m0);
	if (i < n)
		return rule_error(err, source, line, i, "unexpected '%.*s' after "
		    "the bound (one METRIC=VALUE per line; a number has no "
		    "blanks)", shown(n - i), s + i);
	kind = malloc(k1 - k0 + 1);
	spec = malloc(m1 - m0 + v1 - v0 + 2);
	if (kind == NULL || spec == NULL) {
		free(kind);
		free(spec);
		return ci_error_set(err, CALIB_E_NOMEM, source, line, 0, NULL,
		    "out of memory");
	}
	memcpy(kind, s + k0, k1 - k0);
	kind[k1 - k0] = '\0';
	memcpy(spec, s + m0, m1 - m0);
	spec[m1 - m0] = '=';
	memcpy(spec + (m1 - m0) + 1, s + v0, v1 - v0);
	spec[m1 - m0 + 1 + v1 - v0] = '\0';
	st = calib_assertion_parse(kind, spec, &r->a, err);
	if (st != CALIB_OK && err != NULL) {
		/* the kind, the metric or the bound: point at the culprit */
		size_t col = strncmp(err->message, "unknown assertion", 17) ==
		    0 ? k0 : strncmp(err->message, "unknown metric", 14) == 0 ?
		    m0 : v0;
		err->status = CALIB_E_FORMAT;
		snprintf(err->file, sizeof(err->file), "%s", source ? source :
		    "");
		err->line = line;
		err->column = (unsigned)(col + 1);
	}
	free(kind);
	free(spec);
	r->line = line;
	return st == CALIB_OK ? CALIB_OK : CALIB_E_FORMAT;
}

calib_status
calib_rules_parse(const char *text, size_t len, const char *source,
    calib_rule **out, size_t *n, calib_error *err)
{
	calib_rule *rules = NULL, *nr;
	size_t cap = 0, count = 0, off = 0;
	unsigned long line = 0;
	calib_status st = CALIB_OK;

	if (out == NULL || n == NULL || (text == NULL && len > 0))
		return ci_error_set(err, CALIB_E_ARG, source, 0, 0, NULL,
		    "no rules or no place for them");
	*out = NULL;
	*n = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - text) : len, ll = end - off;
		calib_rule r;
		int empty;

		line++;
		if (ll > 0 && text[end - 1] == '\r')
			ll--;
		st = rule_line(text + off, ll, source, line, &r, &empty, err);
		if (st != CALIB_OK)
			break;
		if (!empty) {
			if (count == cap) {
				cap = cap ? 2 * cap : 8;
				nr = realloc(rules, cap * sizeof(*nr));
				if (nr == NULL) {
					st = ci_error_set(err, CALIB_E_NOMEM,
					    source, line, 0, NULL,
					    "out of memory");
					break;
				}
				rules = nr;
			}
			rules[count++] = r;
		}
		off = end + 1;
	}
	if (st != CALIB_OK) {
		free(rules);
		return st;
	}
	*out = rules;
	*n = count;
	return CALIB_OK;
}

void
calib_rules_free(calib_rule *rules)
{
	free(rules);
}
