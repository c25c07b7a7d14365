/*
 * readall.c - a whole small file (a model, a summary) into memory, with an
 * explicit size limit so /dev/zero or a hostile file cannot exhaust memory.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

calib_status
ci_read_all(const char *path, size_t max, const char *what, char **out,
    size_t *outlen, calib_error *err)
{
	const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	calib_status st = CALIB_OK;

	*out = NULL;
	*outlen = 0;
	if (fp == NULL)
		return ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
		    "cannot open: %s", strerror(errno));
	for (;;) {
		size_t got;
		if (cap - len < 4096) {
			size_t nc = cap ? cap * 2 : 65536;
			char *nb;
			if (cap > max) {
				st = ci_error_set(err, CALIB_E_FORMAT, shown, 0,
				    0, NULL, "%s larger than %zu bytes", what,
				    max);
				goto done;
			}
			if ((nb = realloc(buf, nc)) == NULL) {
				st = ci_error_set(err, CALIB_E_NOMEM, shown, 0,
				    0, NULL, "out of memory");
				goto done;
			}
			buf = nb;
			cap = nc;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		st = ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
		    "cannot read: %s", strerror(errno));
		goto done;
	}
	if (len > max) {
		st = ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%s larger than %zu bytes", what, max);
		goto done;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
done:
	if (fp != stdin)
		fclose(fp);
	free(buf);
	return st;
}
