/*
 * error.c - status texts and the error record every failing call fills.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *
calib_strerror(calib_status status)
{
	switch (status) {
	case CALIB_OK:
		return "success";
	case CALIB_E_NOMEM:
		return "out of memory";
	case CALIB_E_IO:
		return "input/output error";
	case CALIB_E_FORMAT:
		return "invalid prediction file";
	case CALIB_E_ARG:
		return "invalid argument";
	case CALIB_E_MISMATCH:
		return "inputs do not match";
	case CALIB_E_NUMERIC:
		return "numerical failure";
	}
	return "unknown status";
}

const char *
calib_version(void)
{
	return CALIB_VERSION;
}

calib_status
ci_error_set(calib_error *err, calib_status status, const char *file,
    unsigned long line, unsigned column, const char *column_name,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	memset(err, 0, sizeof(*err));
	err->status = status;
	if (file != NULL)
		snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	err->column = column;
	if (column_name != NULL)
		snprintf(err->column_name, sizeof(err->column_name), "%s",
		    column_name);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return status;
}

/*
 * Copy a field into dst for an error message, shortened and with control
 * bytes escaped, so a binary or enormous field cannot garble the terminal.
 */
void
ci_quote_text(char *dst, size_t size, const char *s, size_t len)
{
	size_t o = 0, i;
	const size_t max_shown = 40;

	if (size == 0)
		return;
	for (i = 0; i < len && i < max_shown && o + 5 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", ch);
		else if (ch == 0xef && i + 2 < len && (unsigned char)s[i + 1] ==
		    0xbb && (unsigned char)s[i + 2] == 0xbf && o + 8 < size) {
			/* a byte-order mark is invisible on a terminal */
			o += (size_t)snprintf(dst + o, size - o, "<U+FEFF>");
			i += 2;
		}
		else
			dst[o++] = (char)ch;
	}
	if (i < len && o + 4 < size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}
