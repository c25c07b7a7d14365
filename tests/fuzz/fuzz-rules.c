/*
 * fuzz-rules.c - libFuzzer target for the rules-file parser
 * (calib_rules_parse).  Every input either fails with an error that has a
 * line and a message, or gives rules that, written out one per line and
 * parsed again, are the same rules on consecutive lines.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "max", "min", "max-increase",
	    "max-decrease" };
	calib_rule *r = NULL, *r2 = NULL;
	calib_error err;
	size_t n, n2, i, cap, len = 0;
	char *text;

	memset(&err, 0, sizeof(err));
	if (calib_rules_parse((const char *)data, size, "fuzz", &r, &n, &err) !=
	    CALIB_OK) {
		FUZZ_ASSERT(r == NULL && err.line > 0 && err.column > 0 &&
		    err.message[0] != '\0');
		return 0;
	}
	cap = n * 80 + 1;
	text = malloc(cap);
	FUZZ_ASSERT(text != NULL);
	text[0] = '\0';
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(r[i].a.kind >= CALIB_ASSERT_MAX &&
		    r[i].a.kind <= CALIB_ASSERT_MAX_DECREASE);
		FUZZ_ASSERT(i == 0 || r[i].line > r[i - 1].line);
		len += (size_t)snprintf(text + len, cap - len, "%s %s=%.17g\n",
		    kinds[r[i].a.kind], r[i].a.metric, r[i].a.bound);
	}
	FUZZ_ASSERT(calib_rules_parse(text, len, "again", &r2, &n2, &err) ==
	    CALIB_OK);
	FUZZ_ASSERT(n2 == n);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(r2[i].a.kind == r[i].a.kind);
		FUZZ_ASSERT(strcmp(r2[i].a.metric, r[i].a.metric) == 0);
		FUZZ_ASSERT(r2[i].a.bound == r[i].a.bound);
		FUZZ_ASSERT(r2[i].line == i + 1);
	}
	calib_rules_free(r);
	calib_rules_free(r2);
	free(text);
	return 0;
}
