/*
 * json-writer.h - the one JSON writer behind every JSON output of calib
 * (metrics, bins and curves, compare, check, explain).  The idea is git's
 * json-writer.h: the caller says what comes next (an object, a key, a
 * value) and the writer puts the commas, the colons, the quotes and the
 * indentation, so no output builds its own punctuation.
 *
 * The writer streams to a FILE and keeps no text, only the nesting.  A
 * value at the top level (depth 0) is followed by a newline, so a series
 * of top-level objects is JSON Lines.  Compact output (what calib writes)
 * has no other white space; pretty output puts each member or element on
 * its own line, indented by two spaces per level, with ": " after keys.
 *
 * Text: strings and keys are written as valid UTF-8 whatever they hold -
 * '"' and '\\' escaped, \n \t \r by name, other C0 controls and DEL as
 * \u00XX, a byte that starts no valid UTF-8 sequence (cli_utf8_len) as
 * \ufffd, counted by cli_replaced_add() so cli_out_commit() warns.
 * Numbers: cli_fmt_number(), the shortest text that reads back as the same
 * double, and null for NaN and infinities, which JSON cannot hold.
 *
 * The calls must form a valid document (a key before each member's value,
 * no key inside an array, ends matching begins, at most JW_MAX_DEPTH
 * levels); a misuse is a bug in calib and stops it with an assertion.
 */
#ifndef CALIB_JSON_WRITER_H
#define CALIB_JSON_WRITER_H

#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *fp;
	int pretty;
	int depth;                /* open containers */
	int want_value;           /* a key was written; its value is next */
	/* per open container: 1 for an array, and whether it has an element */
	unsigned char array[JW_MAX_DEPTH], used[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, FILE *fp, int pretty);

void jw_object_begin(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w);
void jw_array_end(struct jw *w);
/* The key of the next member of the innermost object. */
void jw_key(struct jw *w, const char *key);

/* Values: an array element, a member's value after jw_key(), or a
 * top-level value. */
void jw_string(struct jw *w, const char *s);     /* NULL: null */
void jw_number(struct jw *w, double v);          /* non-finite: null */
void jw_int(struct jw *w, intmax_t v);
void jw_uint(struct jw *w, uintmax_t v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);

/* jw_key() and the value in one call. */
void jw_string_member(struct jw *w, const char *key, const char *s);
void jw_number_member(struct jw *w, const char *key, double v);
void jw_int_member(struct jw *w, const char *key, intmax_t v);
void jw_uint_member(struct jw *w, const char *key, uintmax_t v);
void jw_bool_member(struct jw *w, const char *key, int v);
void jw_null_member(struct jw *w, const char *key);
void jw_object_member(struct jw *w, const char *key);  /* then members */
void jw_array_member(struct jw *w, const char *key);   /* then elements */

#endif
