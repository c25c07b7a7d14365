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
		ci_quote_text(err->column_name, sizeof(err->column_name),
		    column_name, strlen(column_name));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	/* Whatever text from a file went into the message, no raw bytes
	 * come out of it. */
	ci_escape_text(err->message, sizeof(err->message));
	ci_escape_text(err->file, sizeof(err->file));
	return status;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len < n)
		return 0;
	cp = s[0] & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	/* No overlong forms, surrogates or values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Escape, in place, control bytes and bytes that are not UTF-8 as \xNN
 * (text already escaped is left alone: it is plain ASCII).  The result is
 * cut at a character boundary to fit size.
 */
void
ci_escape_text(char *s, size_t size)
{
	char tmp[1024];
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strnlen(s, size), i = 0, o = 0;

	if (size == 0)
		return;
	while (i < len) {
		unsigned char ch = u[i];
		size_t n = ch >= 0x80 ? utf8_len(u + i, len - i) : 1;
		if (ch < 0x20 || ch == 0x7f || n == 0) {
			if (o + 5 > sizeof(tmp) - 1)
				break;
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o,
			    "\\x%02x", ch);
			i++;
		} else {
			if (o + n > sizeof(tmp) - 1)
				break;
			memcpy(tmp + o, u + i, n);
			o += n;
			i += n;
		}
	}
	if (o >= size) {
		/* Cut back to the start of a character. */
		o = size - 1;
		while (o > 0 && ((unsigned char)tmp[o] & 0xc0) == 0x80)
			o--;
	}
	memcpy(s, tmp, o);
	s[o] = '\0';
}

/*
 * Copy a field into dst for an error message, shortened and with control
 * bytes and bytes that are not UTF-8 escaped as \xNN, so a binary or
 * enormous field cannot garble the terminal.
 */
void
ci_quote_text(char *dst, size_t size, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, i;
	const size_t max_shown = 40;

	if (size == 0)
		return;
	for (i = 0; i < len && i < max_shown && o + 5 < size;) {
		unsigned char ch = u[i];
		size_t n = ch >= 0x80 ? utf8_len(u + i, len - i) : 1;
		if (ch < 0x20 || ch == 0x7f || n == 0) {
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", ch);
			i++;
		} else if (n == 3 && u[i] == 0xef && u[i + 1] == 0xbb &&
		    u[i + 2] == 0xbf && o + 9 < size) {
			/* a byte-order mark is invisible on a terminal */
			o += (size_t)snprintf(dst + o, size - o, "<U+FEFF>");
			i += 3;
		} else if (o + n + 1 < size) {
			memcpy(dst + o, u + i, n);
			o += n;
			i += n;
		} else {
			break;
		}
	}
	if (i < len && o + 4 < size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}
