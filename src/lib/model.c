/*
 * model.c - model files: a fitted recalibration map as versioned,
 * human-readable text, and back.  The format is documented in the README
 * ("Model files"); the parser is as strict as the prediction reader:
 * every line is checked and nothing is silently ignored.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "recal-map.h"

#define CI_MODEL_VERSION 1
/* Model files are read whole; past this size they are refused (1 GiB holds
 * tens of millions of isotonic steps). */
#define CI_MODEL_MAX_FILE ((size_t)1 << 30)
#define CI_MAX_BINS 1000000
/* Isotonic steps are bounded by the validation rows only; the bound here
 * just keeps a corrupt count from asking for absurd memory. */
#define CI_MAX_STEPS (1L << 30)

/* ---- writing ------------------------------------------------------ */

typedef struct strbuf {
	char *s;
	size_t len, cap;
	int oom;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t nc = b->cap ? b->cap * 2 : 4096;
			char *ns;
			while (nc - b->len <= (size_t)n)
				nc *= 2;
			ns = realloc(b->s, nc);
			if (ns == NULL) {
				b->oom = 1;
				return;
			}
			b->s = ns;
			b->cap = nc;
		}
	}
}

/*
 * A class name on one line: backslash, control bytes and spaces at either
 * end are escaped, so a name read back is the name written even after an
 * editor trims trailing blanks.
 */
static void
sb_name(strbuf *b, const char *nm)
{
	size_t len = strlen(nm), i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)nm[i];
		if (c == '\\')
			sb_printf(b, "\\\\");
		else if (c < 0x20 || c == 0x7f ||
		    (c == ' ' && (i == 0 || i == len - 1)))
			sb_printf(b, "\\x%02x", c);
		else
			sb_printf(b, "%c", c);
	}
}

static void
sb_value(strbuf *b, double weight, double value)
{
	if (weight > 0)
		sb_printf(b, " %.17g %.17g\n", weight, value);
	else
		sb_printf(b, " 0 identity\n");
}

calib_status
calib_model_format(const calib_model *m, char **text, calib_error *err)
{
	strbuf b = { NULL, 0, 0, 0 };
	int i;

	if (text != NULL)
		*text = NULL;
	if (m == NULL || text == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no model to format");
	sb_printf(&b, "calib-model %d\nmethod %s\nclasses %d\n",
	    CI_MODEL_VERSION, calib_method_name(m->method), m->k);
	for (i = 0; i < m->k; i++) {
		sb_printf(&b, "class ");
		sb_name(&b, m->class_names[i]);
		sb_printf(&b, "\n");
	}
	switch (m->method) {
	case CALIB_METHOD_TEMPERATURE:
		sb_printf(&b, "temperature %.17g\n", m->temperature);
		break;
	case CALIB_METHOD_VECTOR:
		sb_printf(&b, "weights");
		for (i = 0; i < m->k; i++)
			sb_printf(&b, " %.17g", m->w[i]);
		sb_printf(&b, "\nbiases");
		for (i = 0; i < m->k; i++)
			sb_printf(&b, " %.17g", m->b[i]);
		sb_printf(&b, "\n");
		break;
	case CALIB_METHOD_HISTOGRAM:
	case CALIB_METHOD_ISOTONIC:
		if (m->method == CALIB_METHOD_HISTOGRAM)
			sb_printf(&b, "binning %s\n", m->edge == NULL ?
			    "width" : "mass");
		if (m->edge == NULL) {
			sb_printf(&b, "bins %d\n", m->nsteps);
			for (i = 0; i < m->nsteps; i++) {
				sb_printf(&b, "bin %d", i + 1);
				sb_value(&b, m->weight[i], m->value[i]);
			}
		} else {
			sb_printf(&b, "steps %d\n", m->nsteps);
			for (i = 0; i < m->nsteps; i++) {
				sb_printf(&b, "step %.17g", m->edge[i]);
				sb_value(&b, m->weight[i], m->value[i]);
			}
		}
		break;
	case CALIB_METHOD_PLATT:
		sb_printf(&b, "a %.17g\nb %.17g\n", m->pa, m->pb);
		break;
	case CALIB_METHOD_BETA:
		sb_printf(&b, "a %.17g\nb %.17g\nc %.17g\n", m->pa, m->pb,
		    m->pc);
		break;
	}
	if (b.oom) {
		free(b.s);
		return ci_error_set(err, CALIB_E_NOMEM, NULL, 0, 0, NULL,
		    "out of memory");
	}
	*text = b.s;
	return CALIB_OK;
}

/* ---- reading ------------------------------------------------------ */

typedef struct parser {
	const char *src;
	const char *s, *end;      /* the rest of the text */
	unsigned long line;       /* number of the current line */
	const char *key;          /* the current line, split */
	size_t key_len;
	const char *rest;
	size_t rest_len;
	calib_error *err;
} parser;

/* Next line that is neither blank nor a comment; 0 at the end. */
static int
next_line(parser *P)
{
	while (P->s < P->end) {
		const char *e = memchr(P->s, '\n', (size_t)(P->end - P->s));
		const char *ln = P->s, *le = e ? e : P->end, *sp;

		P->s = e ? e + 1 : P->end;
		P->line++;
		/* Blanks at either end never matter: names escape theirs. */
		while (le > ln && (le[-1] == '\r' || le[-1] == ' ' ||
		    le[-1] == '\t'))
			le--;
		while (ln < le && (*ln == ' ' || *ln == '\t'))
			ln++;
		if (ln == le || *ln == '#')
			continue;
		for (sp = ln; sp < le && *sp != ' ' && *sp != '\t'; sp++)
			;
		P->key = ln;
		P->key_len = (size_t)(sp - ln);
		if (sp < le)
			sp++;
		P->rest = sp;
		P->rest_len = (size_t)(le - sp);
		return 1;
	}
	return 0;
}

static int
key_is(const parser *P, const char *k)
{
	return P->key_len == strlen(k) && memcmp(P->key, k, P->key_len) == 0;
}

static calib_status
fail(parser *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static calib_status
fail(parser *P, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ci_error_set(P->err, CALIB_E_FORMAT, P->src, P->line, 0, NULL,
	    "%s", msg);
}

/* The key of the current line, quoted for a message. */
static const char *
shown_key(const parser *P, char *buf, size_t size)
{
	ci_quote_text(buf, size, P->key, P->key_len);
	return buf;
}

/* Split the rest of the line into blank-separated fields. */
static int
fields(const parser *P, const char **f, size_t *len, int max)
{
	const char *s = P->rest, *e = P->rest + P->rest_len;
	int n = 0;

	while (s < e) {
		const char *t;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (s == e)
			break;
		for (t = s; t < e && *t != ' ' && *t != '\t'; t++)
			;
		if (n < max) {
			f[n] = s;
			len[n] = (size_t)(t - s);
		}
		n++;
		s = t;
	}
	return n;
}

static calib_status
number(parser *P, const char *s, size_t len, const char *what, double *v)
{
	char shown[64];

	if (ci_parse_number(s, len, v) != CI_NUM_OK || !isfinite(*v)) {
		ci_quote_text(shown, sizeof(shown), s, len);
		return fail(P, "%s: '%s' is not a finite decimal number", what,
		    shown);
	}
	return CALIB_OK;
}

/* A line holding exactly one number after its key. */
static calib_status
one_number(parser *P, const char *what, double *v)
{
	const char *f[2];
	size_t len[2];
	char kb[64];

	if (fields(P, f, len, 2) != 1)
		return fail(P, "expected '%s' and one number",
		    shown_key(P, kb, sizeof(kb)));
	return number(P, f[0], len[0], what, v);
}

static calib_status
one_count(parser *P, long lo, long hi, long *v)
{
	const char *f[2];
	size_t len[2];
	char kb[64];

	if (fields(P, f, len, 2) != 1 || !ci_parse_index(f[0], len[0], v) ||
	    *v < lo || *v > hi)
		return fail(P, "expected '%s' and a whole number from %ld to "
		    "%ld", shown_key(P, kb, sizeof(kb)), lo, hi);
	return CALIB_OK;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo sb_name(); NULL (with *bad set) on a malformed escape. */
static char *
unescape_name(const char *s, size_t len, int *bad)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	*bad = 0;
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\\') {
			out[o++] = '\\';
			i++;
		} else if (i + 3 < len && s[i + 1] == 'x' &&
		    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0 &&
		    (hexval(s[i + 2]) | hexval(s[i + 3])) != 0) {
			out[o++] = (char)(hexval(s[i + 2]) * 16 +
			    hexval(s[i + 3]));
			i += 3;
		} else {
			free(out);
			*bad = 1;
			return NULL;
		}
	}
	out[o] = '\0';
	return out;
}

/* "WEIGHT VALUE" or "0 identity" at f[0], f[1]. */
static calib_status
step_value(parser *P, const char **f, const size_t *len, double *weight,
    double *value)
{
	calib_status st;

	if ((st = number(P, f[0], len[0], "weight", weight)) != CALIB_OK)
		return st;
	if (*weight < 0)
		return fail(P, "weight %.17g is negative (expected >= 0)",
		    *weight);
	if (len[1] == 8 && memcmp(f[1], "identity", 8) == 0) {
		if (*weight != 0)
			return fail(P, "'identity' is only for a step without "
			    "weight (this one has %.17g)", *weight);
		*value = 0;
		return CALIB_OK;
	}
	if (*weight == 0)
		return fail(P, "a step without weight must say 'identity' "
		    "(no validation rows to estimate a value from)");
	if ((st = number(P, f[1], len[1], "value", value)) != CALIB_OK)
		return st;
	if (!(*value >= 0 && *value <= 1))
		return fail(P, "value %.17g is outside [0, 1]", *value);
	return CALIB_OK;
}

static calib_status
parse_steps(parser *P, calib_model *M, int edges)
{
	const char *f[4];
	size_t len[4];
	long n, j;
	calib_status st;
	char kb[64];

	if (!next_line(P) || !key_is(P, edges ? "steps" : "bins"))
		return fail(P, "expected '%s N'", edges ? "steps" : "bins");
	if ((st = one_count(P, 1, edges ? CI_MAX_STEPS : CI_MAX_BINS, &n)) !=
	    CALIB_OK)
		return st;
	/* Memory follows the text, not a count it claims: each of the n
	 * lines takes at least "bin 1 1 1" (9 bytes) and a newline. */
	if ((unsigned long)n > (unsigned long)(P->end - P->s) / 10 + 1)
		return fail(P, "%ld %s announced, but the rest of the file "
		    "has room for at most %lu", n, edges ? "steps" : "bins",
		    (unsigned long)(P->end - P->s) / 10 + 1);
	if (ci_model_alloc_steps(M, (int)n, edges) != 0)
		return ci_error_set(P->err, CALIB_E_NOMEM, P->src, P->line, 0,
		    NULL, "out of memory");
	for (j = 0; j < n; j++) {
		if (!next_line(P) || !key_is(P, edges ? "step" : "bin"))
			return fail(P, "expected '%s' line %ld of %ld",
			    edges ? "step UPPER WEIGHT VALUE" :
			    "bin INDEX WEIGHT VALUE", j + 1, n);
		if (fields(P, f, len, 4) != 3)
			return fail(P, "expected '%s' and three fields",
			    shown_key(P, kb, sizeof(kb)));
		if (edges) {
			if ((st = number(P, f[0], len[0], "upper edge",
			    &M->edge[j])) != CALIB_OK)
				return st;
			if (!(M->edge[j] >= 0 && M->edge[j] <= 1))
				return fail(P, "upper edge %.17g is outside "
				    "[0, 1]", M->edge[j]);
			if (j > 0 && !(M->edge[j] > M->edge[j - 1]))
				return fail(P, "upper edge %.17g does not "
				    "exceed the one before (%.17g)",
				    M->edge[j], M->edge[j - 1]);
		} else {
			long idx;
			if (!ci_parse_index(f[0], len[0], &idx) ||
			    idx != j + 1)
				return fail(P, "expected bin %ld here", j + 1);
		}
		if ((st = step_value(P, f + 1, len + 1, &M->weight[j],
		    &M->value[j])) != CALIB_OK)
			return st;
	}
	return CALIB_OK;
}

/* The numbers of a vector-scaling line: exactly k of them. */
static calib_status
k_numbers(parser *P, int k, double **out)
{
	const char **f = malloc((size_t)(k + 1) * sizeof(*f));
	size_t *len = malloc((size_t)(k + 1) * sizeof(*len));
	calib_status st = CALIB_OK;
	char kb[64];
	int n, i;

	if (f == NULL || len == NULL || (*out = malloc((size_t)k *
	    sizeof(double))) == NULL) {
		free(f);
		free(len);
		return ci_error_set(P->err, CALIB_E_NOMEM, P->src, P->line, 0,
		    NULL, "out of memory");
	}
	n = fields(P, f, len, k + 1);
	if (n != k)
		st = fail(P, "'%s' has %d numbers, expected one per class (%d)",
		    shown_key(P, kb, sizeof(kb)), n, k);
	for (i = 0; st == CALIB_OK && i < k; i++)
		st = number(P, f[i], len[i], shown_key(P, kb, sizeof(kb)),
		    &(*out)[i]);
	free(f);
	free(len);
	return st;
}

/*
 * Scalar parameters given as "key value" lines in any order, each once.
 * names[i] is stored in *slot[i]; nonneg[i] asks for >= 0.
 */
static calib_status
parse_scalars(parser *P, int n, const char *const *names, double *const *slot,
    const int *nonneg, const char *expect)
{
	int seen[3] = { 0, 0, 0 }, got = 0, i;
	calib_status st;
	char kb[64];

	while (got < n) {
		if (!next_line(P))
			return fail(P, "expected %s", expect);
		for (i = 0; i < n; i++)
			if (key_is(P, names[i]))
				break;
		if (i == n)
			return fail(P, "unexpected '%s' (expected %s)",
			    shown_key(P, kb, sizeof(kb)), expect);
		if (seen[i])
			return fail(P, "'%s' given twice", names[i]);
		if ((st = one_number(P, names[i], slot[i])) != CALIB_OK)
			return st;
		if (nonneg[i] && *slot[i] < 0)
			return fail(P, "%s = %.17g is negative (expected >= 0)",
			    names[i], *slot[i]);
		seen[i] = 1;
		got++;
	}
	return CALIB_OK;
}

/* Class indices by name, then index (qsort_r with the names). */
static int
cmp_class(const void *a, const void *b, void *names)
{
	long x = *(const long *)a, y = *(const long *)b;
	int r = strcmp(((char **)names)[x], ((char **)names)[y]);

	return r != 0 ? r : (x > y) - (x < y);
}

static calib_status
parse_model(parser *P, calib_model **out)
{
	calib_model *M = NULL;
	calib_method method;
	calib_status st = CALIB_OK;
	char kb[64], mb[64];
	long v, k, i;
	unsigned long *class_line = NULL;

	if (!next_line(P) || !key_is(P, "calib-model"))
		return fail(P, "expected 'calib-model %d' (is this a calib "
		    "model file?)", CI_MODEL_VERSION);
	{
		const char *f[2];
		size_t len[2];
		if (fields(P, f, len, 2) != 1 || !ci_parse_index(f[0], len[0],
		    &v))
			return fail(P, "expected 'calib-model' and a version "
			    "number");
		if (v != CI_MODEL_VERSION)
			return fail(P, "model file version %ld is not "
			    "supported (this calib reads version %d)", v,
			    CI_MODEL_VERSION);
	}
	if (!next_line(P) || !key_is(P, "method"))
		return fail(P, "expected 'method NAME'");
	ci_quote_text(mb, sizeof(mb), P->rest, P->rest_len);
	{
		char name[32];
		if (P->rest_len >= sizeof(name))
			return fail(P, "unknown method '%s'", mb);
		memcpy(name, P->rest, P->rest_len);
		name[P->rest_len] = '\0';
		if (calib_method_from_name(name, &method) != CALIB_OK)
			return fail(P, "unknown method '%s' (expected "
			    "temperature, vector, histogram, isotonic, platt "
			    "or beta)", mb);
	}
	if (!next_line(P) || !key_is(P, "classes"))
		return fail(P, "expected 'classes K'");
	if ((st = one_count(P, 2, 1000000, &k)) != CALIB_OK)
		return st;
	if ((method == CALIB_METHOD_PLATT || method == CALIB_METHOD_BETA) &&
	    k != 2)
		return fail(P, "%s calibration has 2 classes, not %ld",
		    calib_method_name(method), k);
	/* each class needs a "class X" line (8 bytes with its newline) */
	if ((unsigned long)k > (unsigned long)(P->end - P->s) / 8 + 1)
		return fail(P, "%ld classes announced, but the rest of the file "
		    "has room for at most %lu", k,
		    (unsigned long)(P->end - P->s) / 8 + 1);
	M = ci_model_new(method, (int)k, NULL);
	if (M == NULL || (M->source = strdup(P->src)) == NULL) {
		calib_model_free(M);
		return ci_error_set(P->err, CALIB_E_NOMEM, P->src, P->line, 0,
		    NULL, "out of memory");
	}
	class_line = malloc((size_t)k * sizeof(*class_line));
	if (class_line == NULL) {
		st = ci_error_set(P->err, CALIB_E_NOMEM, P->src, P->line, 0,
		    NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < k; i++) {
		char *nm;
		int bad;
		if (!next_line(P) || !key_is(P, "class")) {
			st = fail(P, "expected 'class NAME' (class %ld of %ld)",
			    i + 1, k);
			goto done;
		}
		nm = unescape_name(P->rest, P->rest_len, &bad);
		if (nm == NULL || nm[0] == '\0') {
			free(nm);
			st = bad ? fail(P, "malformed escape in class name "
			    "(expected \\\\ or \\xHH)") : nm == NULL ?
			    ci_error_set(P->err, CALIB_E_NOMEM, P->src,
			    P->line, 0, NULL, "out of memory") :
			    fail(P, "empty class name");
			goto done;
		}
		free(M->class_names[i]);
		M->class_names[i] = nm;
		class_line[i] = P->line;
	}
	/* Two classes of one name match no file (whose columns are
	 * unique): refuse them here, naming the repeat's line. */
	{
		long *ix = malloc((size_t)k * sizeof(*ix)), j, dup = -1;
		if (ix == NULL) {
			st = ci_error_set(P->err, CALIB_E_NOMEM, P->src, P->line,
			    0, NULL, "out of memory");
			goto done;
		}
		for (j = 0; j < k; j++)
			ix[j] = j;
		qsort_r(ix, (size_t)k, sizeof(*ix), cmp_class, M->class_names);
		for (j = 1; j < k; j++)
			if (strcmp(M->class_names[ix[j]],
			    M->class_names[ix[j - 1]]) == 0 &&
			    (dup < 0 || ix[j] < dup))
				dup = ix[j];
		free(ix);
		if (dup >= 0) {
			char nm[200];
			const char *c = M->class_names[dup];
			ci_quote_text(nm, sizeof(nm), c, strlen(c));
			st = ci_error_set(P->err, CALIB_E_FORMAT, P->src,
			    class_line[dup], 0, NULL,
			    "class '%s' a second time (expected %ld different "
			    "class names)", nm, k);
			goto done;
		}
	}
	switch (method) {
	case CALIB_METHOD_TEMPERATURE: {
		static const char *const nm[] = { "temperature" };
		double *slot[] = { &M->temperature };
		static const int nn[] = { 1 };
		st = parse_scalars(P, 1, nm, slot, nn, "'temperature T'");
		if (st == CALIB_OK && !(M->temperature > 0))
			st = fail(P, "temperature must be > 0");
		break;
	}
	case CALIB_METHOD_VECTOR:
		if (!next_line(P) || !key_is(P, "weights")) {
			st = fail(P, "expected 'weights' and one number per "
			    "class");
			break;
		}
		if ((st = k_numbers(P, (int)k, &M->w)) != CALIB_OK)
			break;
		if (!next_line(P) || !key_is(P, "biases")) {
			st = fail(P, "expected 'biases' and one number per "
			    "class");
			break;
		}
		st = k_numbers(P, (int)k, &M->b);
		break;
	case CALIB_METHOD_HISTOGRAM:
		if (!next_line(P) || !key_is(P, "binning")) {
			st = fail(P, "expected 'binning width' or 'binning "
			    "mass'");
			break;
		}
		if (P->rest_len == 5 && memcmp(P->rest, "width", 5) == 0)
			st = parse_steps(P, M, 0);
		else if (P->rest_len == 4 && memcmp(P->rest, "mass", 4) == 0) {
			M->binning = CALIB_BIN_MASS;
			st = parse_steps(P, M, 1);
		} else {
			ci_quote_text(mb, sizeof(mb), P->rest, P->rest_len);
			st = fail(P, "binning '%s' is not width or mass", mb);
		}
		break;
	case CALIB_METHOD_ISOTONIC:
		st = parse_steps(P, M, 1);
		break;
	case CALIB_METHOD_PLATT: {
		static const char *const nm[] = { "a", "b" };
		double *slot[] = { &M->pa, &M->pb };
		static const int nn[] = { 0, 0 };
		st = parse_scalars(P, 2, nm, slot, nn, "'a' and 'b'");
		break;
	}
	case CALIB_METHOD_BETA: {
		static const char *const nm[] = { "a", "b", "c" };
		double *slot[] = { &M->pa, &M->pb, &M->pc };
		static const int nn[] = { 1, 1, 0 };
		st = parse_scalars(P, 3, nm, slot, nn, "'a', 'b' and 'c'");
		break;
	}
	}
	if (st == CALIB_OK && next_line(P))
		st = fail(P, "unexpected '%s' after the %s parameters",
		    shown_key(P, kb, sizeof(kb)), calib_method_name(method));
done:
	free(class_line);
	if (st != CALIB_OK) {
		calib_model_free(M);
		return st;
	}
	*out = M;
	return CALIB_OK;
}

calib_status
calib_model_parse(const char *text, size_t len, const char *source,
    calib_model **out, calib_error *err)
{
	parser P;

	if (out != NULL)
		*out = NULL;
	if (text == NULL || out == NULL)
		return ci_error_set(err, CALIB_E_ARG, source, 0, 0, NULL,
		    "no model text");
	memset(&P, 0, sizeof(P));
	P.src = source ? source : "<model>";
	P.s = text;
	P.end = text + len;
	P.err = err;
	if (memchr(text, '\0', len) != NULL)
		return ci_error_set(err, CALIB_E_FORMAT, P.src, 0, 0, NULL,
		    "a NUL byte: not a text file");
	return parse_model(&P, out);
}

calib_status
calib_model_load(const char *path, calib_model **out, calib_error *err)
{
	char *buf;
	size_t len;
	calib_status st;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no model file given");
	if ((st = ci_read_all(path, CI_MODEL_MAX_FILE, "model file", &buf,
	    &len, err)) != CALIB_OK)
		return st;
	if (len == 0)
		st = ci_error_set(err, CALIB_E_FORMAT, strcmp(path, "-") == 0 ?
		    "<stdin>" : path, 0, 0, NULL, "empty file (expected a "
		    "calib model, starting 'calib-model %d')", CI_MODEL_VERSION);
	else
		st = calib_model_parse(buf, len, strcmp(path, "-") == 0 ?
		    "<stdin>" : path, out, err);
	free(buf);
	return st;
}
