/*
 * json-writer.c - the JSON writer (json-writer.h): punctuation, layout,
 * the escaping of untrusted text and the number rule, in one place.
 */
#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "json-writer.h"

void
jw_init(struct jw *w, FILE *fp, int pretty)
{
	w->fp = fp;
	w->pretty = pretty;
	w->depth = 0;
	w->want_value = 0;
}

static void
new_line(struct jw *w)
{
	int i;

	fputc('\n', w->fp);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->fp);
}

/* Before a key, or a value that no key announced: the comma after the
 * container's previous entry, and the line break of pretty output. */
static void
before(struct jw *w, int is_key)
{
	int d = w->depth - 1;

	if (w->want_value) {
		assert(!is_key);
		w->want_value = 0;
		return;
	}
	if (d < 0) {
		assert(!is_key);
		return;
	}
	/* an object takes keys (each then its value), an array only values */
	assert(is_key == !w->array[d]);
	if (w->used[d])
		fputc(',', w->fp);
	w->used[d] = 1;
	if (w->pretty)
		new_line(w);
}

/* After a complete value: at the top level, the end of its line. */
static void
after(struct jw *w)
{
	if (w->depth == 0)
		fputc('\n', w->fp);
}

static void
open_container(struct jw *w, int array)
{
	before(w, 0);
	assert(w->depth < JW_MAX_DEPTH);
	fputc(array ? '[' : '{', w->fp);
	w->array[w->depth] = (unsigned char)array;
	w->used[w->depth] = 0;
	w->depth++;
}

static void
close_container(struct jw *w, int array)
{
	assert(w->depth > 0 && w->array[w->depth - 1] == array &&
	    !w->want_value);
	w->depth--;
	/* an empty container stays "{}" or "[]" on one line */
	if (w->pretty && w->used[w->depth])
		new_line(w);
	fputc(array ? ']' : '}', w->fp);
	after(w);
}

void
jw_object_begin(struct jw *w)
{
	open_container(w, 0);
}

void
jw_object_end(struct jw *w)
{
	close_container(w, 0);
}

void
jw_array_begin(struct jw *w)
{
	open_container(w, 1);
}

void
jw_array_end(struct jw *w)
{
	close_container(w, 1);
}

/* The string literal: valid UTF-8 whatever s holds (json-writer.h). */
static void
put_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;
		size_t n = cli_utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", fp);
			cli_replaced_add(1);
			s++;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fwrite(s, 1, n, fp);
		s += n;
	}
	fputc('"', fp);
}

void
jw_key(struct jw *w, const char *key)
{
	before(w, 1);
	put_string(w->fp, key);
	fputs(w->pretty ? ": " : ":", w->fp);
	w->want_value = 1;
}

void
jw_string(struct jw *w, const char *s)
{
	if (s == NULL) {
		jw_null(w);
		return;
	}
	before(w, 0);
	put_string(w->fp, s);
	after(w);
}

void
jw_number(struct jw *w, double v)
{
	char buf[40];

	cli_fmt_number(buf, sizeof(buf), v);
	before(w, 0);
	fputs(buf, w->fp);
	after(w);
}

void
jw_int(struct jw *w, intmax_t v)
{
	before(w, 0);
	fprintf(w->fp, "%" PRIdMAX, v);
	after(w);
}

void
jw_uint(struct jw *w, uintmax_t v)
{
	before(w, 0);
	fprintf(w->fp, "%" PRIuMAX, v);
	after(w);
}

void
jw_bool(struct jw *w, int v)
{
	before(w, 0);
	fputs(v ? "true" : "false", w->fp);
	after(w);
}

void
jw_null(struct jw *w)
{
	before(w, 0);
	fputs("null", w->fp);
	after(w);
}

void
jw_string_member(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_string(w, s);
}

void
jw_number_member(struct jw *w, const char *key, double v)
{
	jw_key(w, key);
	jw_number(w, v);
}

void
jw_int_member(struct jw *w, const char *key, intmax_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void
jw_uint_member(struct jw *w, const char *key, uintmax_t v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

void
jw_bool_member(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void
jw_null_member(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_null(w);
}

void
jw_object_member(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_object_begin(w);
}

void
jw_array_member(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_array_begin(w);
}
