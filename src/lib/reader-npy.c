/*
 * reader-npy.c - NumPy .npy arrays: the header, element access, and bare
 * .npy score files.
 *
 * The format (numpy.lib.format, "NEP 1"): the magic "\x93NUMPY", a major
 * and a minor version byte, the header length (2 bytes little-endian in
 * version 1, 4 bytes in versions 2 and 3), then the header: a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (n, k), }
 * padded with spaces and ending in a newline (version 3 allows UTF-8 in
 * it).  The data follows, n * k elements in C or Fortran order.  An array
 * of Python objects ('|O') is a pickle; it is refused, never unpickled.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "reader.h"

static int
host_little(void)
{
	const uint16_t one = 1;
	unsigned char b;

	memcpy(&b, &one, 1);
	return b == 1;
}

int
ci_dtype_is_float(ci_dtype t)
{
	return t == CI_F16 || t == CI_F32 || t == CI_F64;
}

static size_t
dtype_size(ci_dtype t)
{
	switch (t) {
	case CI_I8: case CI_U8: case CI_BOOL:
		return 1;
	case CI_F16: case CI_I16: case CI_U16:
		return 2;
	case CI_F32: case CI_I32: case CI_U32:
		return 4;
	default:
		return 8;
	}
}

static void
load(const unsigned char *p, size_t size, int swap, void *out)
{
	unsigned char b[8];
	size_t i;

	if (!swap) {
		memcpy(out, p, size);
		return;
	}
	for (i = 0; i < size; i++)
		b[i] = p[size - 1 - i];
	memcpy(out, b, size);
}

/* IEEE binary16 to double, exactly (every half is a double). */
static double
half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f;
	unsigned m = h & 0x3ffu;
	double v;

	if (e == 0)
		v = ldexp((double)m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexp((double)(m | 0x400u), e - 25);
	return (h & 0x8000u) ? -v : v;
}

double
ci_view_get(const ci_view *v, size_t i, size_t j)
{
	const unsigned char *p = v->data + i * v->rs + j * v->cs;

	switch (v->type) {
	case CI_F16: { uint16_t x; load(p, 2, v->swap, &x);
		return half_to_double(x); }
	case CI_F32: { float x; load(p, 4, v->swap, &x); return x; }
	case CI_F64: { double x; load(p, 8, v->swap, &x); return x; }
	case CI_I8: return (double)(int8_t)p[0];
	case CI_U8: case CI_BOOL: return (double)p[0];
	case CI_I16: { int16_t x; load(p, 2, v->swap, &x); return x; }
	case CI_U16: { uint16_t x; load(p, 2, v->swap, &x); return x; }
	case CI_I32: { int32_t x; load(p, 4, v->swap, &x); return x; }
	case CI_U32: { uint32_t x; load(p, 4, v->swap, &x); return x; }
	case CI_I64: { int64_t x; load(p, 8, v->swap, &x);
		return (double)x; }
	case CI_U64: { uint64_t x; load(p, 8, v->swap, &x);
		return (double)x; }
	}
	return NAN;
}

int
ci_view_int(const ci_view *v, size_t i, int64_t *out)
{
	const unsigned char *p = v->data + i * v->rs;
	double d;

	switch (v->type) {
	case CI_I64: { int64_t x; load(p, 8, v->swap, &x); *out = x;
		return 0; }
	case CI_U64: { uint64_t x; load(p, 8, v->swap, &x);
		if (x > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)x; return 0; }
	default:
		break;
	}
	d = ci_view_get(v, i, 0);
	/* 2^63 itself is not an int64. */
	if (!(d == floor(d)) || !(fabs(d) < 9223372036854775808.0))
		return -1;
	*out = (int64_t)d;
	return 0;
}

/* ---- the header --------------------------------------------------- */

typedef struct hdr_scan {
	const char *s, *e;
} hdr_scan;

static void
skip_blanks(hdr_scan *h)
{
	while (h->s < h->e && (*h->s == ' ' || *h->s == '\t' ||
	    *h->s == '\n' || *h->s == '\r'))
		h->s++;
}

/* A quoted Python string; [*a, *b) gets its text (no escapes needed for
 * the keys and dtypes numpy writes). */
static int
scan_string(hdr_scan *h, const char **a, const char **b)
{
	char q;

	skip_blanks(h);
	if (h->s >= h->e || (*h->s != '\'' && *h->s != '"'))
		return -1;
	q = *h->s++;
	*a = h->s;
	while (h->s < h->e && *h->s != q) {
		if (*h->s == '\\')
			return -1;
		h->s++;
	}
	if (h->s >= h->e)
		return -1;
	*b = h->s++;
	return 0;
}

static int
scan_char(hdr_scan *h, char c)
{
	skip_blanks(h);
	if (h->s < h->e && *h->s == c) {
		h->s++;
		return 0;
	}
	return -1;
}

static int
word_is(const char *a, const char *b, const char *w)
{
	return (size_t)(b - a) == strlen(w) && memcmp(a, w, (size_t)(b - a)) == 0;
}

typedef struct npy_header {
	char descr[32];
	int descr_list;        /* a structured dtype (a list of fields) */
	int fortran;
	int ndim;
	size_t shape[8];
	int have_descr, have_order, have_shape;
} npy_header;

/* Parse the dict; returns NULL or what is wrong. */
static const char *
parse_dict(const char *s, size_t len, npy_header *H)
{
	hdr_scan h = { s, s + len };

	memset(H, 0, sizeof(*H));
	if (scan_char(&h, '{') != 0)
		return "the header is not a Python dict";
	for (;;) {
		const char *a, *b;
		skip_blanks(&h);
		if (scan_char(&h, '}') == 0)
			break;
		if (scan_string(&h, &a, &b) != 0 || scan_char(&h, ':') != 0)
			return "the header dict has a key that is not a string";
		if (word_is(a, b, "descr")) {
			const char *da, *db;
			skip_blanks(&h);
			if (h.s < h.e && *h.s == '[') {
				H->descr_list = 1;
				return NULL;
			}
			if (scan_string(&h, &da, &db) != 0 ||
			    (size_t)(db - da) >= sizeof(H->descr))
				return "'descr' is not a dtype string";
			memcpy(H->descr, da, (size_t)(db - da));
			H->descr[db - da] = '\0';
			H->have_descr = 1;
		} else if (word_is(a, b, "fortran_order")) {
			skip_blanks(&h);
			if ((size_t)(h.e - h.s) >= 4 &&
			    memcmp(h.s, "True", 4) == 0) {
				H->fortran = 1;
				h.s += 4;
			} else if ((size_t)(h.e - h.s) >= 5 &&
			    memcmp(h.s, "False", 5) == 0) {
				H->fortran = 0;
				h.s += 5;
			} else {
				return "'fortran_order' is not True or False";
			}
			H->have_order = 1;
		} else if (word_is(a, b, "shape")) {
			if (scan_char(&h, '(') != 0)
				return "'shape' is not a tuple";
			for (;;) {
				size_t v = 0;
				int digits = 0;
				skip_blanks(&h);
				if (scan_char(&h, ')') == 0)
					break;
				while (h.s < h.e && *h.s >= '0' && *h.s <= '9') {
					if (v > (SIZE_MAX - 9) / 10)
						return "a dimension of 'shape' "
						    "is too large";
					v = v * 10 + (size_t)(*h.s - '0');
					h.s++;
					digits++;
				}
				if (digits == 0)
					return "'shape' holds something other "
					    "than whole numbers";
				if (H->ndim == 8)
					return "'shape' has too many dimensions";
				H->shape[H->ndim++] = v;
				if (scan_char(&h, ',') != 0) {
					if (scan_char(&h, ')') != 0)
						return "'shape' is not a tuple";
					break;
				}
			}
			H->have_shape = 1;
		} else {
			return "the header has a key other than 'descr', "
			    "'fortran_order' and 'shape'";
		}
		if (scan_char(&h, ',') != 0) {
			if (scan_char(&h, '}') != 0)
				return "the header dict is malformed";
			break;
		}
	}
	if (!H->have_descr || !H->have_order || !H->have_shape)
		return "the header lacks 'descr', 'fortran_order' or 'shape'";
	return NULL;
}

/* '<f4' -> type and byte order; returns NULL or what is wrong. */
static const char *
parse_descr(const char *d, ci_dtype *t, int *swap)
{
	char order = d[0], kind;
	int size;
	char *end;
	long v;

	if (order != '<' && order != '>' && order != '|' && order != '=')
		return "unsupported";
	kind = d[1];
	if (kind == 'O')
		return "object";
	v = strtol(d + 2, &end, 10);
	if (end == d + 2 || *end != '\0' || v < 1 || v > 16)
		return "unsupported";
	size = (int)v;
	switch (kind) {
	case 'f':
		*t = size == 2 ? CI_F16 : size == 4 ? CI_F32 : size == 8 ?
		    CI_F64 : (ci_dtype)-1;
		break;
	case 'i':
		*t = size == 1 ? CI_I8 : size == 2 ? CI_I16 : size == 4 ?
		    CI_I32 : size == 8 ? CI_I64 : (ci_dtype)-1;
		break;
	case 'u':
		*t = size == 1 ? CI_U8 : size == 2 ? CI_U16 : size == 4 ?
		    CI_U32 : size == 8 ? CI_U64 : (ci_dtype)-1;
		break;
	case 'b':
		*t = size == 1 ? CI_BOOL : (ci_dtype)-1;
		break;
	default:
		return "unsupported";
	}
	if ((int)*t < 0)
		return "unsupported";
	*swap = size > 1 && ((order == '<' && !host_little()) ||
	    (order == '>' && host_little()));
	return NULL;
}

calib_status
ci_npy_view(const unsigned char *buf, size_t len, const char *shown,
    const char *what, ci_view *v, calib_error *err)
{
	npy_header H;
	size_t hlen, start, need, isz, i, count = 1;
	const char *why;
	char quoted[64];
	int major, minor;

	memset(v, 0, sizeof(*v));
	if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%snot a NumPy .npy array (no \\x93NUMPY magic)", what);
	major = buf[6];
	minor = buf[7];
	if (major == 1) {
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
		start = 10;
	} else if (major == 2 || major == 3) {
		if (len < 12)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "%struncated .npy header", what);
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8 |
		    (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
		start = 12;
	} else {
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%sNumPy format version %d.%d is not supported (expected "
		    "1.0, 2.0 or 3.0)", what, major, minor);
	}
	if (hlen > len - start)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%struncated .npy file: the header is %zu bytes, the file "
		    "has %zu after the magic", what, hlen, len - start);
	why = parse_dict((const char *)buf + start, hlen, &H);
	if (why != NULL)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%sunreadable .npy header: %s", what, why);
	if (H.descr_list)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%sa structured array (record dtype) is not supported "
		    "(expected a plain numeric array; save e.g. arr['logits'] "
		    "on its own)", what);
	ci_quote_text(quoted, sizeof(quoted), H.descr, strlen(H.descr));
	why = parse_descr(H.descr, &v->type, &v->swap);
	if (why != NULL && strcmp(why, "object") == 0)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%san object array (dtype '%s') holds pickled Python "
		    "objects, which calib never unpickles (expected numbers: "
		    "save np.asarray(x, dtype=np.float32))", what, quoted);
	if (why != NULL)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%sdtype '%s' is not supported (expected float16, float32 "
		    "or float64 scores, integer labels, or bool)", what, quoted);
	if (H.ndim < 1 || H.ndim > 2)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%san array with %d dimensions (expected 1: one value per "
		    "row, or 2: rows x classes)", what, H.ndim);
	isz = dtype_size(v->type);
	for (i = 0; i < (size_t)H.ndim; i++) {
		if (H.shape[i] != 0 && count > SIZE_MAX / H.shape[i])
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "%sthe shape is too large", what);
		count *= H.shape[i];
	}
	if (count > SIZE_MAX / isz)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%sthe shape is too large", what);
	need = count * isz;
	start += hlen;
	if (len - start < need) {
		char shape[64];
		if (H.ndim == 2)
			snprintf(shape, sizeof(shape), "(%zu, %zu)", H.shape[0],
			    H.shape[1]);
		else
			snprintf(shape, sizeof(shape), "(%zu,)", H.shape[0]);
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%struncated .npy file: shape %s of %zu-byte elements "
		    "needs %zu bytes of data, the file has %zu", what, shape,
		    isz, need, len - start);
	}
	v->data = buf + start;
	v->ndim = H.ndim;
	v->n = H.shape[0];
	v->k = H.ndim == 2 ? H.shape[1] : 1;
	if (H.ndim == 1 || !H.fortran) {
		v->cs = isz;
		v->rs = isz * v->k;
	} else {
		v->rs = isz;
		v->cs = isz * v->n;
	}
	return CALIB_OK;
}

/* ---- a bare .npy file of scores ------------------------------------ */

void
ci_error_by_row(calib_error *err)
{
	char where[64];
	size_t n, m;

	if (err == NULL || err->line == 0)
		return;
	/* An array has rows and classes, not lines and columns: name the
	 * element as numpy indexes it, from 0. */
	if (err->column > 0)
		snprintf(where, sizeof(where), "at [%lu, %u]: ", err->line - 1,
		    err->column - 1);
	else
		snprintf(where, sizeof(where), "at row [%lu]: ", err->line - 1);
	n = strlen(where);
	m = strlen(err->message);
	if (m + n >= sizeof(err->message))
		m = sizeof(err->message) - n - 1;
	memmove(err->message + n, err->message, m);
	memcpy(err->message, where, n);
	err->message[n + m] = '\0';
	err->line = 0;
	err->column = 0;
}

static const char *
dtype_name(ci_dtype t)
{
	static const char *const names[] = { "float16", "float32", "float64",
	    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
	    "uint64", "bool" };

	return names[t];
}

/* Lay out the scores view as K classes (or one binary column). */
static calib_status
score_layout(const ci_view *s, const char *shown, const char *what,
    const calib_read_options *o, calib_score_kind kind, ci_layout *L,
    calib_error *err)
{
	memset(L, 0, sizeof(*L));
	if (!ci_dtype_is_float(s->type))
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "%sscores are %s (expected float16, float32 or float64; "
		    "integers look like labels)", what, dtype_name(s->type));
	if (s->ndim == 1 || s->k == 1) {
		L->single_column = 1;
		L->k = 2;
	} else {
		if (s->k == 0 || s->k > 1000000)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "%san array of shape (%zu, %zu) (expected 2 "
			    "to 1000000 classes)", what, s->n, s->k);
		L->k = (int)s->k;
	}
	L->kind = kind;
	return ci_layout_default_names(L, o, shown, err);
}

calib_status
ci_read_npy(ci_blob *b, const char *shown, const calib_read_options *o,
    const ci_sumreq *sum, calib_preds *P, calib_error *err)
{
	ci_table t;
	ci_layout L;
	ci_view labels, weights;
	ci_blob lb = { 0 }, wb = { 0 };
	calib_status st;

	memset(&t, 0, sizeof(t));
	memset(&L, 0, sizeof(L));
	t.sum = sum;
	P->format = "npy";
	st = ci_npy_view(b->data, b->len, shown, "", &t.scores, err);
	if (st != CALIB_OK)
		return st;
	if (o->kind == CALIB_SCORES_AUTO)
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
		    "a .npy file has no column names to say what its scores "
		    "are: give --logits or --probs");
	if (o->labels_path == NULL)
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
		    "a .npy file of scores has no labels: give them with "
		    "--labels FILE (a .npy array, one label per line, or a "
		    "CSV column), or save scores and labels together with "
		    "np.savez");
	st = score_layout(&t.scores, shown, "", o, o->kind, &L, err);
	if (st != CALIB_OK)
		goto done;
	st = ci_side_file(o->labels_path, 0, &L, o, &labels, &lb, err);
	if (st != CALIB_OK)
		goto done;
	t.labels = &labels;
	if (o->weights_path != NULL) {
		st = ci_side_file(o->weights_path, 1, NULL, o, &weights, &wb,
		    err);
		if (st != CALIB_OK)
			goto done;
		t.weights = &weights;
	}
	st = ci_build(shown, &t, &L, o, P, err);
	if (st != CALIB_OK)
		ci_error_by_row(err);
done:
	ci_layout_release(&L);
	ci_blob_free(&lb);
	ci_blob_free(&wb);
	return st;
}

calib_status
ci_npz_layout(const ci_view *s, const char *shown, const char *what,
    const calib_read_options *o, calib_score_kind kind, ci_layout *L,
    calib_error *err)
{
	return score_layout(s, shown, what, o, kind, L, err);
}
