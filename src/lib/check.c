/*
 * check.c - assertions on metrics, the policy behind calib check.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
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
