/*
 * t-writers.c - the CLI's two writers of machine-readable text, each against
 * text written out by hand: the JSON writer (src/cli/json-writer.h) -
 * commas and nesting, empty containers, JSON Lines at the top level, the
 * pretty layout, the escaping of untrusted text and the number rule - and
 * the CSV field writer, cli_csv_field().
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cli/cli.h"
#include "../src/cli/json-writer.h"
#include "tap.h"

/* The writer on a memory stream; done() returns what it wrote. */
static FILE *mem;
static char *text;
static size_t len;

static struct jw *
start(int pretty)
{
	static struct jw w;

	free(text);
	text = NULL;
	mem = open_memstream(&text, &len);
	if (mem == NULL) {
		perror("open_memstream");
		exit(99);
	}
	jw_init(&w, mem, pretty);
	return &w;
}

static const char *
done(void)
{
	fclose(mem);
	return text;
}

static void
nesting(void)
{
	struct jw *w = start(0);

	jw_object_begin(w);
	jw_string_member(w, "a", "x");
	jw_int_member(w, "b", -3);
	jw_array_member(w, "c");
	jw_int(w, 1);
	jw_object_begin(w);
	jw_null_member(w, "d");
	jw_bool_member(w, "e", 1);
	jw_bool_member(w, "f", 0);
	jw_object_end(w);
	jw_array_begin(w);
	jw_array_end(w);
	jw_object_begin(w);
	jw_object_end(w);
	jw_array_end(w);
	jw_object_member(w, "g");
	jw_object_end(w);
	jw_array_member(w, "h");
	jw_array_end(w);
	jw_uint_member(w, "i", 7);
	jw_object_end(w);
	is_str(done(), "{\"a\":\"x\",\"b\":-3,\"c\":[1,{\"d\":null,\"e\":true,"
	    "\"f\":false},[],{}],\"g\":{},\"h\":[],\"i\":7}\n",
	    "compact: a comma between entries only, empty containers, "
	    "a newline after the top-level value");

	w = start(0);
	jw_object_begin(w);
	jw_object_end(w);
	jw_object_begin(w);
	jw_int_member(w, "n", 1);
	jw_object_end(w);
	jw_array_begin(w);
	jw_array_end(w);
	jw_number(w, 2.5);
	is_str(done(), "{}\n{\"n\":1}\n[]\n2.5\n",
	    "top-level values one per line (JSON Lines), none joined by a "
	    "comma");

	/* the depth limit itself */
	{
		int i;
		w = start(0);
		for (i = 0; i < JW_MAX_DEPTH; i++)
			jw_array_begin(w);
		for (i = 0; i < JW_MAX_DEPTH; i++)
			jw_array_end(w);
		done();
		ok(len == 2 * JW_MAX_DEPTH + 1 && text[0] == '[' &&
		    text[JW_MAX_DEPTH - 1] == '[' &&
		    text[JW_MAX_DEPTH] == ']' && text[2 * JW_MAX_DEPTH] == '\n',
		    "%d nested arrays, the most it takes", JW_MAX_DEPTH);
	}
}

static void
pretty(void)
{
	struct jw *w = start(1);

	jw_object_begin(w);
	jw_string_member(w, "a", "x");
	jw_array_member(w, "b");
	jw_int(w, 1);
	jw_object_begin(w);
	jw_number_member(w, "c", 0.5);
	jw_object_end(w);
	jw_array_end(w);
	jw_object_member(w, "e");
	jw_object_end(w);
	jw_array_member(w, "f");
	jw_array_end(w);
	jw_object_end(w);
	is_str(done(),
	    "{\n"
	    "  \"a\": \"x\",\n"
	    "  \"b\": [\n"
	    "    1,\n"
	    "    {\n"
	    "      \"c\": 0.5\n"
	    "    }\n"
	    "  ],\n"
	    "  \"e\": {},\n"
	    "  \"f\": []\n"
	    "}\n",
	    "pretty: one entry a line, two spaces a level, empty containers "
	    "closed on their line");
}

static void
strings(void)
{
	struct jw *w;
	size_t n;

	cli_replaced_take();
	w = start(0);
	jw_array_begin(w);
	jw_string(w, "q\"b\\s/");
	jw_string(w, "\n\t\r\b\f");
	jw_string(w, "\x01\x1f\x7f" " ~");
	jw_string(w, "");
	jw_string(w, NULL);
	jw_array_end(w);
	is_str(done(), "[\"q\\\"b\\\\s/\",\"\\n\\t\\r\\u0008\\u000c\","
	    "\"\\u0001\\u001f\\u007f ~\",\"\",null]\n",
	    "quote and backslash escaped, \\n \\t \\r by name, other controls "
	    "and DEL as \\u00XX, '/' as is, NULL as null");
	is_int((long long)cli_replaced_take(), 0,
	    "valid text: nothing replaced");

	/* é (2 bytes), € (3), U+1F600 (4), U+10FFFF (the last) pass as is */
	w = start(0);
	jw_string(w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	is_str(done(), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"
	    "\"\n", "valid UTF-8 of every length written as is");
	is_int((long long)cli_replaced_take(), 0, "and nothing counted");

	/* Each byte that starts no valid sequence is one U+FFFD: a lone
	 * continuation byte, 0xff, a truncated sequence, an overlong NUL, a
	 * surrogate and a code point past U+10FFFF. */
	w = start(0);
	jw_object_begin(w);
	jw_string_member(w, "k\xff", "a\x80" "b\xff" "c\xc3" "d\xc0\x80"
	    "e\xed\xa0\x80" "f\xf4\x90\x80\x80");
	jw_object_end(w);
	is_str(done(), "{\"k\\ufffd\":\"a\\ufffdb\\ufffdc\\ufffdd\\ufffd"
	    "\\ufffde\\ufffd\\ufffd\\ufffdf\\ufffd\\ufffd\\ufffd\\ufffd\"}\n",
	    "bytes that are not UTF-8, in keys too, become \\ufffd one by one");
	n = cli_replaced_take();
	is_int((long long)n, 1 + 1 + 1 + 1 + 2 + 3 + 4,
	    "each replaced byte counted for the warning");
}

static void
numbers(void)
{
	static const double v[] = { 0.1, 1.0 / 3, 1e300, -2.5e-7, 5e-324,
	    DBL_MAX, 123456789012345678.0 };
	struct jw *w = start(0);
	char *end;
	const char *s;
	size_t i;
	int all = 1;

	jw_array_begin(w);
	jw_number(w, 0);
	jw_number(w, -0.0);
	jw_number(w, 1);
	jw_number(w, 0.1);
	jw_number(w, 1.0 / 3);
	jw_number(w, 1e300);
	jw_number(w, NAN);
	jw_number(w, INFINITY);
	jw_number(w, -INFINITY);
	jw_int(w, INTMAX_MIN);
	jw_uint(w, UINTMAX_MAX);
	jw_array_end(w);
	is_str(done(), "[0,-0,1,0.1,0.3333333333333333,1e+300,null,null,null,"
	    "-9223372036854775808,18446744073709551615]\n",
	    "shortest round-trip text, null for NaN and infinities, integers "
	    "in full");

	/* the text reads back as the same double (the rule, independently
	 * of how it is produced) */
	w = start(0);
	jw_array_begin(w);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		jw_number(w, v[i]);
	jw_array_end(w);
	s = done() + 1;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		double back = strtod(s, &end);
		if (back != v[i] || (*end != ',' && *end != ']'))
			all = 0;
		s = end + 1;
	}
	ok(all, "every number reads back with strtod as the same double");
}

static void
csv(void)
{
	FILE *fp;

	start(0);
	fp = mem;
	cli_csv_field(fp, "", "plain name.csv", ',');
	fputc('|', fp);
	cli_csv_field(fp, "p_", "cat", ',');
	fputc('|', fp);
	cli_csv_field(fp, "p_", "a,b", ',');
	fputc('|', fp);
	cli_csv_field(fp, "", "say \"hi\"", ',');
	fputc('|', fp);
	cli_csv_field(fp, "", "two\nlines\r", ',');
	fputc('|', fp);
	cli_csv_field(fp, "", "tab\there", ',');
	fputc('|', fp);
	cli_csv_field(fp, "", "tab\there", '\t');
	fputc('|', fp);
	cli_csv_field(fp, "", "a,b", '\t');
	fputc('|', fp);
	cli_csv_field(fp, "", "", ',');
	is_str(done(), "plain name.csv|p_cat|\"p_a,b\"|\"say \"\"hi\"\"\"|"
	    "\"two\nlines\r\"|tab\there|\"tab\there\"|a,b|",
	    "CSV: quoted (prefix inside) only when the field holds the "
	    "delimiter, a quote or a line end; quotes doubled");
}

int
main(void)
{
	nesting();
	pretty();
	strings();
	numbers();
	csv();
	free(text);
	return done_testing();
}
