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
 * The one escaping rule for text that came from a file (see calib.h):
 * ci_error_set(), ci_quote_text() and the command's messages all use it.
 */
size_t
calib_escape_text(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *u = (const unsigned char *)src;
	size_t i = 0, o = 0, full = 0;
	int fits = size > 0;

	while (i < len) {
		unsigned char ch = u[i];
		size_t n = ch >= 0x80 ? utf8_len(u + i, len - i) : 1;
		char esc[12];
		const char *piece;
		size_t pl;

		if (ch < 0x20 || ch == 0x7f || n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
			piece = esc;
			pl = 4;
			n = 1;
		} else if (n == 2 && ch == 0xc2 && u[i + 1] < 0xa0) {
			/* C1 controls: U+009B is a CSI to many terminals */
			snprintf(esc, sizeof(esc), "\\u%04x", u[i + 1]);
			piece = esc;
			pl = 6;
		} else if (n == 3 && ch == 0xef && u[i + 1] == 0xbb &&
		    u[i + 2] == 0xbf) {
			/* a byte-order mark is invisible on a terminal */
			piece = "<U+FEFF>";
			pl = 8;
		} else {
			piece = (const char *)u + i;
			pl = n;
		}
		if (fits && o + pl < size) {
			memcpy(dst + o, piece, pl);
			o += pl;
		} else {
			fits = 0;
		}
		full += pl;
		i += n;
	}
	if (size > 0)
		dst[o] = '\0';
	return full;
}

/* Escape s in place (see calib_escape_text), cut to fit size. */
void
ci_escape_text(char *s, size_t size)
{
	char tmp[1024];

	if (size == 0)
		return;
	calib_escape_text(tmp, sizeof(tmp) < size ? sizeof(tmp) : size, s,
	    strnlen(s, size));
	memcpy(s, tmp, strlen(tmp) + 1);
}

/*
 * Copy a field into dst for an error message: at most its first 40 bytes
 * (whole characters), escaped, with "..." when cut, so a binary or
 * enormous field cannot garble the terminal or the message.
 */
void
ci_quote_text(char *dst, size_t size, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	const size_t max_shown = 40;
	size_t n = len, o;

	if (size == 0)
		return;
	if (n > max_shown) {
		n = max_shown;
		/* back to the start of a character */
		while (n > 0 && (u[n] & 0xc0) == 0x80)
			n--;
	}
	calib_escape_text(dst, size > 4 ? size - 3 : size, s, n);
	o = strlen(dst);
	if (n < len && o + 4 <= size)
		memcpy(dst + o, "...", 4);
}
