/*
 * reader-csv.c - CSV prediction files (optionally gzip-compressed).
 *
 * Parsing is the whole cost of evaluating a CSV file, so this reader is
 * built for throughput without giving up exactness:
 *
 *  - The bytes after the header are cut into blocks of about CI_BLOCK bytes,
 *    each ending at the first record end at or after that size.  The cut
 *    depends on the content only, never on how the bytes were read, so the
 *    blocks - and every sum built from them in order - are the same for any
 *    thread count.
 *  - Blocks are parsed in parallel.  A plain row (unquoted numeric fields)
 *    takes a fast path: fields are scanned in place and short decimals are
 *    converted exactly without strtod (fastnum.h).  Anything else - quotes,
 *    blanks, long numbers, or any error - goes to libcsv and strtod, which
 *    also produce every error message.  reference_parser sends every row
 *    there, which the differential tests use.
 *  - Results are merged in block order; the first error in file order wins.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <fnmatch.h>
#include <strings.h>

#include "internal.h"
#include "fastnum.h"
#include "reader.h"
#include "summary.h"

/* Target block size: 1 MiB, or what configure --with-block-size says
 * (small blocks put block boundaries everywhere in small test files). */
#ifdef CALIB_BLOCK_BYTES
#define CI_BLOCK ((size_t)CALIB_BLOCK_BYTES)
#else
#define CI_BLOCK ((size_t)1 << 20)
#endif
/* Bytes asked of the input at a time: never more than a block, so the
 * bytes carried over to the next block stay small. */
#define CI_CHUNK (CI_BLOCK < CI_READ ? CI_BLOCK : (size_t)CI_READ)
#define CI_BATCH_PER_THREAD 3 /* blocks parsed per thread between merges */

/* ---- parsing context ---------------------------------------------- */

typedef struct rd_ctx {
	const char *file;
	const calib_read_options *o;
	ci_layout L;
	char delim;
	int blanks;        /* --delimiter space: runs of blanks separate */
	int ncols;
	int *col_role;     /* class index, CI_COL_LABEL, _WEIGHT or _SKIP */
	char **col_names;
	int *class_col;    /* class index -> 0-based column */
	int id_col;        /* 0-based column of the row id, or -1 */
	int deferred;      /* labels from another file: rows kept raw */
	int keep_ids;      /* CALIB_KEEP_IDS with an id column */
	int keep_probs, keep_logits, cw_bins;
	int no_terms;      /* CALIB_OMIT_ROW_TERMS: no nll, brier, entropy */
	size_t max_record;
	/* calib_summarize(): rows go into per-thread exact sums only */
	int summary;
	/* Poisson bootstrap replicates of a summary: rows are kept per
	 * block, and their replicate counts, which depend on the row's
	 * global position, are added in file order by merge_block(). */
	int reps;
	unsigned long seed;
	uint64_t first_row;
	uint64_t *rows_done;
	ci_acc *rep;
} rd_ctx;

/* Labels that are no class index: a row dropped by --ignore-label, and
 * (--positive) the one label other than the positive one. */
enum { CI_LABEL_DROP = -2, CI_LABEL_OTHER = -3 };

/* Per-thread scratch. */
typedef struct rd_scratch {
	double *x, *work, *probs;
	struct csv_parser csv;
	int csv_ready;
	char *fbuf;        /* field text, NUL-separated */
	size_t flen, fcap;
	size_t *foff;      /* start of each field in fbuf */
	size_t *fsize;
	int nfields, fieldcap, nrecords;
	int oom;
	/* Exact sums are order-free, so each thread keeps its own whatever
	 * blocks it parsed: classwise cells, and in summary mode the
	 * top-label sums. */
	ci_cwx cwx;
	ci_acc acc;
} rd_scratch;

typedef struct rd_block {
	char *buf;                /* the data: mem, or the mapped file */
	size_t len;
	char *mem;                /* owned, cap bytes */
	size_t cap;
	int mapped;               /* buf is in the read-only mapping */
	ci_rows r;
	size_t tied, renorm, zero, dropped;
	int overflow;             /* cut inside a record over max_record */
	unsigned long nlines;
	/* rows failing the sum check: counted, the first kept */
	size_t sum_fail;
	double sum_maxdev, sum_first;
	unsigned long sum_line;
	/* CALIB_KEEP_IDS: the kept rows' ids, NUL-separated */
	char *ids;
	size_t ids_len, ids_cap;
	size_t *id_off, id_rows;
	/* --positive: the other label, as first seen in the block */
	char other[128];
	size_t other_len;
	unsigned long other_line;
	int other_set;
	/* merge_block(): where its rows go in the whole (copied by
	 * copy_rows(), after the batch's blocks are merged) */
	size_t copy_at;
	int copy;
	/* first problem in the block, if any */
	int failed;
	calib_status err_status;
	unsigned long err_line;   /* 0-based within the block */
	int err_col;              /* 0-based column, -1 for the whole row */
	char err_msg[512];
} rd_block;

static void
block_fail(rd_block *B, calib_status st, unsigned long line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
block_fail(rd_block *B, calib_status st, unsigned long line, int col,
    const char *fmt, ...)
{
	va_list ap;

	B->failed = 1;
	B->err_status = st;
	B->err_line = line;
	B->err_col = col;
	va_start(ap, fmt);
	vsnprintf(B->err_msg, sizeof(B->err_msg), fmt, ap);
	va_end(ap);
}

/* ---- libcsv callbacks --------------------------------------------- */

static void
cb_field(void *s, size_t len, void *data)
{
	rd_scratch *S = data;

	if (S->oom)
		return;
	if (S->nfields == S->fieldcap) {
		int nc = S->fieldcap ? S->fieldcap * 2 : 64;
		if (ci_grow((void **)&S->foff, (size_t)nc, sizeof(size_t)) ||
		    ci_grow((void **)&S->fsize, (size_t)nc, sizeof(size_t))) {
			S->oom = 1;
			return;
		}
		S->fieldcap = nc;
	}
	if (S->flen + len + 1 > S->fcap) {
		size_t nc = S->fcap ? S->fcap : 1024;
		while (nc < S->flen + len + 1)
			nc *= 2;
		if (ci_grow((void **)&S->fbuf, nc, 1)) {
			S->oom = 1;
			return;
		}
		S->fcap = nc;
	}
	if (len > 0)
		memcpy(S->fbuf + S->flen, s, len);
	S->fbuf[S->flen + len] = '\0';
	S->foff[S->nfields] = S->flen;
	S->fsize[S->nfields] = len;
	S->flen += len + 1;
	S->nfields++;
}

static void
cb_row(int c, void *data)
{
	rd_scratch *S = data;

	(void)c;
	S->nrecords++;
}

/* Split one record with libcsv.  Returns 0, or -1 with a message. */
static int
csv_split(rd_scratch *S, char delim, const char *rec, size_t len, char *msg,
    size_t msgsize)
{
	if (!S->csv_ready) {
		if (csv_init(&S->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
			snprintf(msg, msgsize, "out of memory");
			S->oom = 1;
			return -1;
		}
		S->csv_ready = 1;
	}
	csv_set_delim(&S->csv, (unsigned char)delim);
	S->nfields = 0;
	S->flen = 0;
	S->nrecords = 0;
	if (csv_parse(&S->csv, rec, len, cb_field, cb_row, S) != len ||
	    csv_fini(&S->csv, cb_field, cb_row, S) != 0) {
		int e = csv_error(&S->csv);
		snprintf(msg, msgsize, "malformed CSV: %s",
		    e == CSV_EPARSE ? "a quote inside an unquoted field, "
		    "text after a closing quote, or an unterminated quoted "
		    "field" : csv_strerror(e));
		/* csv_fini resets the parser only on success. */
		csv_free(&S->csv);
		S->csv_ready = 0;
		return -1;
	}
	if (S->oom) {
		snprintf(msg, msgsize, "out of memory");
		return -1;
	}
	return 0;
}

static void
scratch_free(rd_scratch *S)
{
	free(S->x);
	free(S->work);
	free(S->probs);
	if (S->csv_ready)
		csv_free(&S->csv);
	free(S->fbuf);
	free(S->foff);
	free(S->fsize);
	ci_cwx_free(&S->cwx);
	ci_acc_free(&S->acc);
	memset(S, 0, sizeof(*S));
}

static int
scratch_init(rd_scratch *S, int k)
{
	memset(S, 0, sizeof(*S));
	S->x = malloc((size_t)(k + 2) * sizeof(double));
	S->work = malloc((size_t)(2 * k + 4) * sizeof(double));
	S->probs = malloc((size_t)(k + 2) * sizeof(double));
	return S->x && S->work && S->probs ? 0 : -1;
}

/* ---- rows --------------------------------------------------------- */

/*
 * Class index of a label field, or -1 when it names no class.  Besides
 * class indices and names, an integral number such as 5.0 or
 * 5.000000000000000000e+00 (np.savetxt) is the index 5 when indices are
 * labels; CI_LABEL_DROP is --ignore-label's value, CI_LABEL_OTHER any
 * label but the --positive one.
 */
static int
csv_label(const rd_ctx *C, const char *s, size_t len)
{
	const calib_read_options *o = C->o;
	int idx;
	double d;

	if (o->positive != NULL && C->L.single_column) {
		if (strlen(o->positive) == len && memcmp(s, o->positive,
		    len) == 0)
			return 1;
		if (len == 0)
			return -1;
		return CI_LABEL_OTHER;
	}
	idx = ci_label_lookup(&C->L, s, len);
	if (idx >= 0)
		return idx;
	if (ci_parse_number(s, len, &d) != CI_NUM_OK || d != floor(d))
		return -1;
	if (o->ignore_label_set && d == (double)o->ignore_label)
		return CI_LABEL_DROP;
	if (C->L.integer_labels && d >= 0 && d < C->L.k)
		return (int)d;
	return -1;
}

/* "-inf" and its spellings: a masked class in a logit file. */
static int
is_minus_inf(const char *s, size_t len)
{
	return (len == 4 && strncasecmp(s, "-inf", 4) == 0) ||
	    (len == 9 && strncasecmp(s, "-infinity", 9) == 0);
}

/* The end of the field at p: the next delimiter or line end (not past
 * e). */
static const char *
field_end(const char *p, const char *e, char delim)
{
	while (p < e && *p != delim && *p != '\n' && *p != '\r')
		p++;
	return p;
}

/*
 * The fast path: a plain row of unquoted fields starting at s, in a block
 * that ends at e (where parse_block() put a terminator byte).  The row's
 * end is found while its fields are read, not searched for first: returns
 * the line end (the '\n', the '\r' of a "\r\n", or e) with the values
 * filled in, or NULL to send the row to the reference path, which finds
 * and words any error.
 */
static const char *
fast_row(const rd_ctx *C, const char *s, const char *e, double *x,
    int32_t *label, double *weight)
{
	const char delim = C->delim;
	const char *p = s;
	int c;

	for (c = 0; c < C->ncols; c++) {
		int role = C->col_role[c];
		if (role == CI_COL_LABEL || role == CI_COL_SKIP) {
			const char *fe = field_end(p, e, delim);
			int idx;
			if (role == CI_COL_LABEL) {
				/* libcsv unquotes and trims blanks: a label
				 * so written is for the reference path */
				if (fe == p || *p == ' ' || *p == '\t' ||
				    fe[-1] == ' ' || fe[-1] == '\t' ||
				    memchr(p, '"', (size_t)(fe - p)) != NULL)
					return NULL;
				/* a one-digit class index, as most files
				 * write it: what csv_label() gives, without
				 * its calls */
				if (fe - p == 1 && C->L.integer_labels &&
				    C->o->positive == NULL &&
				    (unsigned)(*p - '0') < 10 &&
				    *p - '0' < C->L.k)
					idx = *p - '0';
				else
					idx = csv_label(C, p, (size_t)(fe - p));
				if (idx < 0 && idx != CI_LABEL_DROP)
					return NULL;
				*label = idx;
			} else if (fe > p && memchr(p, '"', (size_t)(fe - p)) !=
			    NULL) {
				/* a quoted field may hold the delimiter or a
				 * newline, and field_end() would stop there:
				 * in the last column, at a newline that does
				 * not end the record */
				return NULL;
			}
			p = fe;
		} else {
			double v;
			/* every scan stops at a line end or at the block's
			 * terminator, *e */
			const char *stop = ci_scan_number_nt(p, e, &v);
			if (stop == NULL || (stop != e && *stop != delim &&
			    *stop != '\n' && *stop != '\r')) {
				/* Long or unusual but possibly valid: convert
				 * this field alone with strtod. */
				const char *fe = field_end(p, e, delim);
				if (ci_parse_number(p, (size_t)(fe - p), &v) !=
				    CI_NUM_OK)
					return NULL;
				stop = fe;
			}
			if (role >= 0)
				x[role] = v;
			else
				*weight = v;
			p = stop;
		}
		if (c + 1 < C->ncols) {
			if (p >= e || *p != delim)
				return NULL;
			p++;
		}
	}
	/* the line end, as parse_block() finds it: '\n', or one '\r'
	 * before '\n' or the block's end, or the block's end */
	if (p == e || *p == '\n' || (*p == '\r' && (p + 1 == e ||
	    p[1] == '\n')))
		return p;
	return NULL;
}

static const char *
num_problem(ci_num_status st)
{
	switch (st) {
	case CI_NUM_NONFINITE:
		return "NaN and infinity are not allowed (expected a finite "
		    "number)";
	case CI_NUM_RANGE:
		return "too large for a double (expected a finite number)";
	case CI_NUM_NOMEM:
		return "out of memory";
	default:
		return "expected a decimal number";
	}
}

/*
 * The reference path: libcsv splits the record, strtod converts.  On a
 * problem, fills the block's error and returns 0.
 */
static int
slow_row(const rd_ctx *C, rd_scratch *S, rd_block *B, unsigned long line,
    const char *rec, size_t len, double *x, int32_t *label, double *weight)
{
	char msg[256], shown[200];
	int c;

	if (csv_split(S, C->delim, rec, len, msg, sizeof(msg)) != 0) {
		block_fail(B, S->oom ? CALIB_E_NOMEM : CALIB_E_FORMAT, line, -1,
		    "%s", msg);
		return 0;
	}
	if (S->nrecords == 0 || (S->nrecords == 1 && S->nfields == 0)) {
		/* libcsv drops the blanks of unquoted fields */
		block_fail(B, CALIB_E_FORMAT, line, -1, "blank line (expected "
		    "%d fields)", C->ncols);
		return 0;
	}
	if (S->nrecords > 1) {
		block_fail(B, CALIB_E_FORMAT, line, -1, "a carriage return "
		    "inside the row splits it (expected %d fields on one "
		    "line; lines end in LF or CRLF)", C->ncols);
		return 0;
	}
	if (S->nfields != C->ncols) {
		block_fail(B, CALIB_E_FORMAT, line, -1,
		    "expected %d fields as in the header, found %d",
		    C->ncols, S->nfields);
		return 0;
	}
	for (c = 0; c < C->ncols; c++) {
		const char *f = S->fbuf + S->foff[c];
		size_t fl = S->fsize[c];
		int role = C->col_role[c];
		ci_quote_text(shown, sizeof(shown), f, fl);
		if (role == CI_COL_SKIP)
			continue;
		if (role == CI_COL_LABEL) {
			int idx = csv_label(C, f, fl);
			double d;
			if (idx == CI_LABEL_OTHER) {
				if (!B->other_set) {
					B->other_set = 1;
					B->other_len = fl < sizeof(B->other) ?
					    fl : sizeof(B->other);
					memcpy(B->other, f, B->other_len);
					B->other_line = line;
				}
				if (fl != B->other_len ||
				    memcmp(f, B->other, fl) != 0) {
					char other[200];
					ci_quote_text(other, sizeof(other),
					    B->other, B->other_len);
					block_fail(B, CALIB_E_FORMAT, line, c,
					    "a third label '%s' (a binary file "
					    "has two: '%s', the --positive one, "
					    "and '%s')", shown, C->o->positive,
					    other);
					return 0;
				}
				idx = 0;
			}
			if (idx < 0 && idx != CI_LABEL_DROP && fl >= 3 &&
			    memcmp(f, "\xEF\xBB\xBF", 3) == 0) {
				block_fail(B, CALIB_E_FORMAT, line, c,
				    "label '%s' starts with a UTF-8 "
				    "byte-order mark (a second file appended "
				    "to this one?)", shown);
				return 0;
			}
			if (idx < 0 && idx != CI_LABEL_DROP &&
			    ci_parse_number(f, fl, &d) == CI_NUM_OK &&
			    d < 0 && d == floor(d) && !C->o->ignore_label_set) {
				block_fail(B, CALIB_E_FORMAT, line, c,
				    "label '%s' is negative (expected a class "
				    "index 0..%d; to drop rows with this "
				    "label, give --ignore-label %s)", shown,
				    C->L.k - 1, shown);
				return 0;
			}
			if (idx < 0 && idx != CI_LABEL_DROP) {
				if (C->L.single_column &&
				    C->o->positive == NULL &&
				    ci_parse_number(f, fl, &d) != CI_NUM_OK)
					block_fail(B, CALIB_E_FORMAT, line, c,
					    "unknown label '%s' (expected 0 or "
					    "1; for named labels say which is "
					    "the positive class with --positive "
					    "NAME)", shown);
				else if (C->L.integer_labels)
					block_fail(B, CALIB_E_FORMAT, line, c,
					    "unknown label '%s' (expected a "
					    "class index 0..%d or a class name "
					    "such as '%s')", shown, C->L.k - 1,
					    C->L.class_names[C->L.k - 1]);
				else
					block_fail(B, CALIB_E_FORMAT, line, c,
					    "unknown label '%s' (expected one "
					    "of the class names, e.g. '%s' or "
					    "'%s')", shown, C->L.class_names[0],
					    C->L.class_names[C->L.k - 1]);
				return 0;
			}
			*label = idx;
		} else {
			double v = 0;
			ci_num_status st;
			if (fl == 0) {
				block_fail(B, CALIB_E_FORMAT, line, c,
				    "empty field (expected a number)");
				return 0;
			}
			st = ci_parse_number(f, fl, &v);
			if (st == CI_NUM_NONFINITE && role >= 0 &&
			    C->L.kind == CALIB_SCORES_LOGITS &&
			    is_minus_inf(f, fl)) {
				/* A masked class: probability 0. */
				v = -INFINITY;
				st = CI_NUM_OK;
			}
			if (st != CI_NUM_OK) {
				block_fail(B, st == CI_NUM_NOMEM ?
				    CALIB_E_NOMEM : CALIB_E_FORMAT, line, c,
				    "'%s': %s%s", shown, num_problem(st),
				    st == CI_NUM_NONFINITE && role >= 0 &&
				    is_minus_inf(f, fl) ? " (-inf masks a "
				    "class in a logit file: give --logits)" :
				    "");
				return 0;
			}
			if (role >= 0)
				x[role] = v;
			else
				*weight = v;
		}
	}
	return 1;
}

static int
emit_row(const rd_ctx *C, rd_scratch *S, rd_block *B, unsigned long line,
    double *x, int32_t label, double weight)
{
	const int k = C->L.k;
	ci_rows *r = &B->r;
	ci_row row;
	ci_row_problem pb;
	double *probs, *logits;

	if (C->L.has_weight && !(weight >= 0)) {
		int wc;
		for (wc = 0; C->col_role[wc] != CI_COL_WEIGHT; wc++)
			;
		block_fail(B, CALIB_E_FORMAT, line, wc,
		    "negative weight %.17g (expected a number >= 0)", weight);
		return 0;
	}
	if (label == CI_LABEL_DROP) {
		B->dropped++;
		return 1;
	}
	/* A summary without replicates keeps no rows (nor probabilities:
	 * keep_probs and keep_logits are off). */
	if ((!C->summary || C->reps > 0) && ci_rows_reserve(r, r->n + 1, k,
	    C->L.has_weight || C->reps > 0, C->keep_probs, C->keep_logits) !=
	    0) {
		block_fail(B, CALIB_E_NOMEM, line, -1, "out of memory");
		return 0;
	}
	if (C->deferred) {
		/* The labels come later (another file): keep the raw
		 * scores for ci_build(). */
		memcpy(r->probs + r->n * (size_t)k, x,
		    (size_t)(C->L.single_column ? 1 : k) * sizeof(double));
		if (C->L.has_weight)
			r->weight[r->n] = weight;
		r->n++;
		return 1;
	}
	/* Classwise sums go into the thread's exact cells (emit below, from
	 * row.p), so the probabilities are kept only when asked for. */
	probs = C->keep_probs ? r->probs + r->n * (size_t)k : NULL;
	logits = C->keep_logits ? r->logits + r->n * (size_t)k : NULL;
	if (ci_row_finish(&C->L, C->o, x, label, weight, &row, probs, logits,
	    S->work, &pb) != 0) {
		if (!isnan(pb.sum)) {
			/* Counted, so the report can say how many rows and
			 * how far off; the row is not kept. */
			double dev = fabs(pb.sum - 1);
			if (B->sum_fail++ == 0) {
				B->sum_line = line;
				B->sum_first = pb.sum;
			}
			if (dev > B->sum_maxdev)
				B->sum_maxdev = dev;
			return 1;
		}
		block_fail(B, CALIB_E_FORMAT, line,
		    pb.cls < 0 ? -1 : C->class_col[pb.cls], "%s", pb.message);
		return 0;
	}
	if (C->summary) {
		ci_acc_row(&S->acc, row.score, row.outcome,
		    row.pred == row.label, weight, row.nll, row.brier,
		    row.entropy);
		if (C->reps > 0) {
			r->score[r->n] = row.score;
			r->outcome[r->n] = row.outcome;
			r->label[r->n] = row.label;
			r->pred[r->n] = row.pred;
			r->weight[r->n] = weight;
			r->nll[r->n] = row.nll;
			r->brier[r->n] = row.brier;
			r->entropy[r->n] = row.entropy;
			r->n++;
		}
	} else {
		r->score[r->n] = row.score;
		r->outcome[r->n] = row.outcome;
		r->label[r->n] = row.label;
		r->pred[r->n] = row.pred;
		if (C->L.has_weight)
			r->weight[r->n] = weight;
		if (!C->no_terms) {
			r->nll[r->n] = row.nll;
			r->brier[r->n] = row.brier;
			r->entropy[r->n] = row.entropy;
		}
		r->n++;
	}
	B->tied += (size_t)row.tied;
	B->renorm += (size_t)row.renormalized;
	B->zero += row.zero_prob && weight > 0;
	if (C->cw_bins > 0) {
		ci_cwx_add(&S->cwx, row.p, label, weight);
		if (S->cwx.oom) {
			block_fail(B, CALIB_E_NOMEM, line, -1, "out of memory");
			return 0;
		}
	}
	return 1;
}

/* End of the record starting at s: the first newline outside quotes. */
static const char *
record_end(const char *s, const char *e)
{
	int inq = 0;

	for (; s < e; s++) {
		if (*s == '"')
			inq = !inq;
		else if (*s == '\n' && !inq)
			return s;
	}
	return NULL;
}

static unsigned long
count_newlines(const char *s, const char *e)
{
	unsigned long n = 0;

	while (s < e && (s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		n++;
		s++;
	}
	return n;
}

/*
 * --delimiter space (np.savetxt's default): runs of blanks separate
 * fields, and blanks at either end of a line are not fields.  The text is
 * rewritten in place to single spaces, which the parsers then split on;
 * line ends stay, so line numbers do not change.  Returns the new length.
 */
static size_t
squeeze_text(char *buf, size_t len)
{
	size_t i, o = 0;
	int inq = 0, at_start = 1, pending = 0;

	for (i = 0; i < len; i++) {
		char ch = buf[i];
		if (!inq && (ch == ' ' || ch == '\t')) {
			if (!at_start)
				pending = 1;
			continue;
		}
		if (!inq && (ch == '\n' || ch == '\r')) {
			pending = 0;
			at_start = ch == '\n';
			buf[o++] = ch;
			continue;
		}
		if (pending)
			buf[o++] = ' ';
		pending = 0;
		at_start = 0;
		if (ch == '"')
			inq = !inq;
		buf[o++] = ch;
	}
	return o;
}

static void
squeeze_blanks(rd_block *B)
{
	B->len = squeeze_text(B->buf, B->len);
}

/*
 * The id field of the record starting at s, without its quotes (a doubled
 * quote inside stays doubled).  Found again from the text: only errors
 * and CALIB_KEEP_IDS need it, so the parsers never carry it.
 */
static int
id_field(const rd_ctx *C, const char *s, const char *e, const char **fa,
    const char **fb)
{
	const char *a = s;
	int field = 0, inq = 0;

	for (; s < e; s++) {
		if (*s == '"')
			inq = !inq;
		else if (!inq && (*s == C->delim || *s == '\n' || *s == '\r')) {
			if (field == C->id_col)
				break;
			if (*s != C->delim)
				return -1;
			field++;
			a = s + 1;
		}
	}
	if (field != C->id_col)
		return -1;
	if (s > a + 1 && *a == '"' && s[-1] == '"') {
		a++;
		s--;
	}
	*fa = a;
	*fb = s;
	return 0;
}

/* Append the id of the record at [s, e) for the row just kept. */
static int
keep_id(const rd_ctx *C, rd_block *B, const char *s, const char *e)
{
	const char *a = s, *b = s;
	size_t n;

	if (id_field(C, s, e, &a, &b) != 0)
		a = b = s;
	n = (size_t)(b - a);
	if (B->ids_len + n + 1 > B->ids_cap) {
		size_t nc = B->ids_cap ? B->ids_cap * 2 : 4096;
		while (nc < B->ids_len + n + 1)
			nc *= 2;
		if (ci_grow((void **)&B->ids, nc, 1) != 0)
			return -1;
		B->ids_cap = nc;
	}
	if (B->r.n > B->id_rows) {
		size_t nr = B->id_rows ? B->id_rows * 2 : 1024;
		while (nr < B->r.n)
			nr *= 2;
		if (ci_grow((void **)&B->id_off, nr, sizeof(size_t)) != 0)
			return -1;
		B->id_rows = nr;
	}
	B->id_off[B->r.n - 1] = B->ids_len;
	memcpy(B->ids + B->ids_len, a, n);
	B->ids[B->ids_len + n] = '\0';
	B->ids_len += n + 1;
	return 0;
}

static void
parse_block(const rd_ctx *C, rd_scratch *S, rd_block *B)
{
	const char *buf = B->buf, *end = B->buf + B->len;
	const char *s = buf;
	unsigned long line = 0;
	double weight = 1.0;
	int32_t label = 0;

	B->r.n = 0;
	B->ids_len = 0;
	B->tied = B->renorm = B->zero = B->dropped = 0;
	B->sum_fail = 0;
	B->sum_maxdev = 0;
	B->other_set = 0;
	B->failed = 0;
	if (C->blanks) {
		squeeze_blanks(B);
		end = B->buf + B->len;
	}
	/* The byte after the data exists (fill_block()) and is no longer
	 * needed (what followed the cut is carried over): a terminator there
	 * lets fast_row() scan numbers without testing the line end. */
	if (!B->mapped)
		B->buf[B->len] = '\0';
	while (s < end) {
		const char *nl, *e, *next, *le = NULL;
		unsigned long span = 1;

		weight = 1.0;
		if (!C->o->reference_parser &&
		    (le = fast_row(C, s, end, S->x, &label, &weight)) != NULL) {
			/* e at the '\n' (or the block's end), as below */
			e = le < end && *le == '\r' ? le + 1 : le;
			next = e < end ? e + 1 : end;
			if ((size_t)(e - s) > C->max_record)
				le = NULL; /* worded below */
		}
		if (le == NULL) {
			/* The reference path: the line first, then its
			 * fields, with every problem worded. */
			nl = memchr(s, '\n', (size_t)(end - s));
			e = nl ? nl : end;
			next = nl ? nl + 1 : end;
			le = e;
			if (le > s && le[-1] == '\r')
				le--;
			if (le == s) {
				block_fail(B, CALIB_E_FORMAT, line, -1,
				    "empty line (expected %d fields)", C->ncols);
				break;
			}
			if ((size_t)(e - s) > C->max_record) {
				block_fail(B, CALIB_E_FORMAT, line, -1, "a line "
				    "of more than %zu bytes (expected a line "
				    "end; --max-record-bytes raises the limit)",
				    C->max_record);
				break;
			}
			weight = 1.0;
			if (memchr(s, '"', (size_t)(e - s)) != NULL) {
				/* A quoted field may hold newlines. */
				const char *re = record_end(s, end);
				e = re ? re : end;
				next = re ? re + 1 : end;
				le = e;
				if (le > s && le[-1] == '\r')
					le--;
				if ((size_t)(e - s) > C->max_record) {
					block_fail(B, CALIB_E_FORMAT, line, -1,
					    "a quoted field opened on this line "
					    "is not closed within %zu bytes (a "
					    "stray quote? --max-record-bytes "
					    "raises the limit)", C->max_record);
					break;
				}
				span = count_newlines(s, e) + 1;
			}
			if (!slow_row(C, S, B, line, s, (size_t)(le - s), S->x,
			    &label, &weight))
				break;
		}
		{
			size_t kept = B->r.n;
			if (!emit_row(C, S, B, line, S->x, label, weight))
				break;
			if (C->keep_ids && B->r.n > kept &&
			    keep_id(C, B, s, e) != 0) {
				block_fail(B, CALIB_E_NOMEM, line, -1,
				    "out of memory");
				break;
			}
		}
		line += span;
		s = next;
	}
	B->nlines = line;
}

/* ---- header ------------------------------------------------------- */

static char
detect_delimiter(const char *s, size_t len)
{
	size_t i, n[3] = { 0, 0, 0 };
	int inq = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			inq = !inq;
		else if (!inq && s[i] == ',')
			n[0]++;
		else if (!inq && s[i] == '\t')
			n[1]++;
		else if (!inq && s[i] == ';')
			n[2]++;
	}
	if (n[1] > n[0] && n[1] >= n[2])
		return '\t';
	if (n[2] > n[0] && n[2] > n[1])
		return ';';
	/* No comma, tab or semicolon: blanks separate (np.savetxt). */
	if (n[0] == 0 && memchr(s, ' ', len) != NULL)
		return ' ';
	return ',';
}

/* Is column name nm dropped by --ignore-col? */
static int
ignored(const calib_read_options *o, const char *nm)
{
	int i;

	for (i = 0; i < o->nignore_cols; i++)
		if (fnmatch(o->ignore_cols[i], nm, 0) == 0)
			return 1;
	return 0;
}

static int
has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}



static int
cmp_name_index(const void *a, const void *b, void *names)
{
	int x = *(const int *)a, y = *(const int *)b;
	int r = strcmp(((char **)names)[x], ((char **)names)[y]);

	return r != 0 ? r : (x > y) - (x < y);
}

/*
 * The first column (in file order) whose name an earlier column has:
 * *dup and *first, or *dup = -1.  Sorting keeps it O(K log K) for files
 * with 100,000 columns.  -1 if out of memory.
 */
static int
find_duplicate(char **names, int n, int *dup, int *first)
{
	int *ix = malloc((size_t)(n > 0 ? n : 1) * sizeof(int)), i;

	*dup = *first = -1;
	if (ix == NULL)
		return -1;
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, (size_t)n, sizeof(int), cmp_name_index, names);
	/* in a run of equal names the indices ascend: the run's second
	 * is its first repeat, its first the column repeated */
	for (i = 1; i < n; i++)
		if (strcmp(names[ix[i]], names[ix[i - 1]]) == 0 &&
		    (i == 1 || strcmp(names[ix[i - 1]], names[ix[i - 2]]) != 0) &&
		    (*dup < 0 || ix[i] < *dup)) {
			*dup = ix[i];
			*first = ix[i - 1];
		}
	free(ix);
	return 0;
}

/* Decide what each column is.  Fills C->L, col_role and class_col. */
static calib_status
build_layout(rd_ctx *C, calib_error *err)
{
	const calib_read_options *o = C->o;
	const char *prefix = NULL;
	int c, j, weight_col = -1, single = -1, nclass = 0, conf = -1, corr = -1;
	calib_score_kind kind = CALIB_SCORES_AUTO;

	C->col_role = malloc((size_t)C->ncols * sizeof(int));
	if (C->col_role == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0, NULL,
		    "out of memory");
	if (find_duplicate(C->col_names, C->ncols, &c, &j) != 0)
		return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0, NULL,
		    "out of memory");
	if (c >= 0)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
		    (unsigned)c + 1, C->col_names[c], "duplicate column '%s' "
		    "(also column %d)", C->col_names[c], j + 1);
	/* A missing label column explains the rest of the header better
	 * than a complaint about whichever column holds the labels. */
	for (c = 0; c < C->ncols; c++) {
		if (strcmp(C->col_names[c], o->confidence_col) == 0)
			conf = c;
		if (strcmp(C->col_names[c], o->correct_col) == 0)
			corr = c;
	}
	for (c = 0; c < C->ncols; c++)
		if (strcmp(C->col_names[c], o->label_col) == 0)
			break;
	if (conf >= 0 && corr >= 0) {
		/* Top-label only: the two columns are the whole story. */
		if (c < C->ncols)
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
			    (unsigned)c + 1, o->label_col, "a '%s' column next "
			    "to '%s' and '%s' (a top-label-only file has no "
			    "labels; drop it with --ignore-col %s)",
			    o->label_col, o->confidence_col, o->correct_col,
			    o->label_col);
		if (o->labels_path != NULL || o->weights_path != NULL)
			return ci_error_set(err, CALIB_E_ARG, C->file, 0, 0,
			    NULL, "--labels and --weights do not apply to a "
			    "top-label-only file ('%s' and '%s' columns)",
			    o->confidence_col, o->correct_col);
		if (o->target != CALIB_TARGET_TOP)
			return ci_error_set(err, CALIB_E_ARG, C->file, 0, 0,
			    NULL, "a top-label-only file ('%s' and '%s') has "
			    "no per-class scores (expected the top-label "
			    "target)", o->confidence_col, o->correct_col);
		C->L.top_only = 1;
		c = -1;
	}
	if (c == C->ncols && o->labels_path == NULL) {
		char first[64];
		double v;
		ci_quote_text(first, sizeof(first), C->col_names[0],
		    strlen(C->col_names[0]));
		if (ci_parse_number(C->col_names[0], strlen(C->col_names[0]),
		    &v) == CI_NUM_OK)
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0,
			    NULL, "the first line holds numbers ('%s'), not "
			    "column names (expected a header such as 'label "
			    "p_0 p_1'; np.savetxt writes one with "
			    "header='label p_0 p_1', after '# ')", first);
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "no '%s' column in the header (expected the true labels "
		    "there; the first column is '%s'; name the label column "
		    "with --label-col, or give the labels in another file "
		    "with --labels)", o->label_col, first);
	}
	if (c < C->ncols && o->labels_path != NULL)
		return ci_error_set(err, CALIB_E_ARG, C->file, 1,
		    (unsigned)c + 1, o->label_col, "the file has a '%s' column "
		    "and --labels gives the labels too (expected one of them; "
		    "drop the column with --ignore-col %s)", o->label_col,
		    o->label_col);
	C->id_col = -1;
	for (c = 0; c < C->ncols; c++) {
		const char *nm = C->col_names[c], *pre = NULL;
		calib_score_kind ck = CALIB_SCORES_AUTO;
		long index;

		if (strcmp(nm, o->label_col) == 0) {
			C->col_role[c] = CI_COL_LABEL;
			continue;
		}
		/* pandas' index column: an empty first header field. */
		if ((c == 0 && nm[0] == '\0') ||
		    (o->id_col != NULL && strcmp(nm, o->id_col) == 0)) {
			if (C->id_col >= 0)
				return ci_error_set(err, CALIB_E_FORMAT,
				    C->file, 1, (unsigned)c + 1, nm, "a second "
				    "row id column (column %d is the first)",
				    C->id_col + 1);
			C->col_role[c] = CI_COL_SKIP;
			C->id_col = c;
			continue;
		}
		if (ignored(o, nm)) {
			C->col_role[c] = CI_COL_SKIP;
			continue;
		}
		if (C->L.top_only && (c == conf || c == corr)) {
			C->col_role[c] = c == conf ? 0 : 1;
			continue;
		}
		if (strcmp(nm, o->weight_col) == 0) {
			C->col_role[c] = CI_COL_WEIGHT;
			weight_col = c;
			continue;
		}
		if (o->score_col != NULL ? strcmp(nm, o->score_col) == 0 :
		    (strcmp(nm, "p") == 0 || strcmp(nm, "prob") == 0 ||
		    strcmp(nm, "logit") == 0)) {
			if (single >= 0)
				return ci_error_set(err, CALIB_E_FORMAT,
				    C->file, 1, (unsigned)c + 1, nm,
				    "second binary score column '%s' (column "
				    "%d is '%s'; a binary file has one)", nm,
				    single + 1, C->col_names[single]);
			single = c;
			C->col_role[c] = 0;
			kind = strcmp(nm, "logit") == 0 ? CALIB_SCORES_LOGITS :
			    CALIB_SCORES_PROBS;
			continue;
		}
		if (has_prefix(nm, "logit_")) {
			pre = "logit_";
			ck = CALIB_SCORES_LOGITS;
		} else if (has_prefix(nm, "prob_")) {
			pre = "prob_";
			ck = CALIB_SCORES_PROBS;
		} else if (has_prefix(nm, "p_")) {
			pre = "p_";
			ck = CALIB_SCORES_PROBS;
		} else if (ci_parse_index(nm, strlen(nm), &index)) {
			/* Numeric headers, as DataFrame(proba).to_csv()
			 * writes them: class columns when the user says
			 * what they hold, never guessed. */
			if (o->kind == CALIB_SCORES_AUTO)
				return ci_error_set(err, CALIB_E_FORMAT,
				    C->file, 1, (unsigned)c + 1, nm, "column "
				    "'%s' is a number, as pandas names class "
				    "columns: say what they hold with --probs "
				    "or --logits", nm);
			pre = "";
			ck = o->kind;
		} else {
			char q[64];
			ci_quote_text(q, sizeof(q), nm, strlen(nm));
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
			    (unsigned)c + 1, nm, "unexpected column '%s' "
			    "(expected '%s', '%s', score columns logit_NAME, "
			    "p_NAME or prob_NAME, or one binary score column "
			    "p, prob or logit; keep it as the row id with "
			    "--id-col %s, or drop it with --ignore-col %s)", q,
			    o->label_col, o->weight_col, q, q);
		}
		if (prefix != NULL && strcmp(prefix, pre) != 0)
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
			    (unsigned)c + 1, nm, "score columns mix the "
			    "prefixes '%s' and '%s' (expected one kind of "
			    "score)", prefix, pre);
		if (pre[0] != '\0' && nm[strlen(pre)] == '\0')
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
			    (unsigned)c + 1, nm, "score column '%s' has no "
			    "class name after the prefix", nm);
		prefix = pre;
		kind = ck;
		C->col_role[c] = nclass++;
	}
	if (C->L.top_only) {
		if (single >= 0 || nclass > 0)
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
			    0, NULL, "score columns next to '%s' and '%s' "
			    "(expected one or the other)", o->confidence_col,
			    o->correct_col);
		nclass = 2;
		kind = CALIB_SCORES_PROBS;
	}
	if (single >= 0 && nclass > 0)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
		    (unsigned)single + 1, C->col_names[single],
		    "binary score column '%s' next to per-class score columns "
		    "(expected one or the other)", C->col_names[single]);
	if (single < 0 && nclass == 0)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "no score columns (expected logit_NAME, p_NAME or "
		    "prob_NAME per class, or one binary column p, prob or "
		    "logit)");
	if (single < 0 && nclass < 2)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "only one score column (expected one per class, at least "
		    "2; a binary file has a single column named p)");

	C->L.single_column = single >= 0;
	C->L.k = single >= 0 ? 2 : nclass;
	C->L.has_weight = weight_col >= 0;
	C->L.kind = o->kind != CALIB_SCORES_AUTO ? o->kind : kind;
	C->L.class_names = calloc((size_t)C->L.k, sizeof(char *));
	C->class_col = malloc((size_t)C->L.k * sizeof(int));
	if (C->L.class_names == NULL || C->class_col == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0, NULL,
		    "out of memory");
	if (o->classes != NULL && o->nclasses != C->L.k && !C->L.top_only)
		return ci_error_set(err, CALIB_E_MISMATCH, C->file, 1, 0, NULL,
		    "%d class names given (--classes) for the file's %d "
		    "classes", o->nclasses, C->L.k);
	if (single >= 0) {
		C->L.class_names[0] = ci_strdup(o->classes ? o->classes[0] :
		    o->positive ? "" : "0");
		C->L.class_names[1] = ci_strdup(o->classes ? o->classes[1] :
		    o->positive ? o->positive : "1");
		C->class_col[0] = C->class_col[1] = single;
	} else if (C->L.top_only) {
		C->L.class_names[0] = ci_strdup(o->confidence_col);
		C->L.class_names[1] = ci_strdup(o->correct_col);
		C->class_col[0] = conf;
		C->class_col[1] = corr;
	} else if (o->classes != NULL) {
		for (c = 0; c < C->ncols; c++)
			if (C->col_role[c] >= 0) {
				C->L.class_names[C->col_role[c]] =
				    ci_strdup(o->classes[C->col_role[c]]);
				C->class_col[C->col_role[c]] = c;
			}
	} else {
		for (c = 0; c < C->ncols; c++)
			if (C->col_role[c] >= 0) {
				C->L.class_names[C->col_role[c]] =
				    ci_strdup(C->col_names[c] + strlen(prefix));
				C->class_col[C->col_role[c]] = c;
			}
	}
	for (j = 0; j < C->L.k; j++)
		if (C->L.class_names[j] == NULL)
			return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0,
			    NULL, "out of memory");
	if (ci_layout_build_names(&C->L) != 0)
		return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0, NULL,
		    "out of memory");
	if (o->target >= C->L.k)
		return ci_error_set(err, CALIB_E_ARG, C->file, 0, 0, NULL,
		    "class %d does not exist (the file has %d classes, "
		    "0..%d)", o->target, C->L.k, C->L.k - 1);
	return CALIB_OK;
}

/* ---- driver ------------------------------------------------------- */

typedef struct rd_pool {
	const rd_ctx *C;
	rd_block *blocks;
	int nblocks;
	atomic_int next;
} rd_pool;

typedef struct rd_worker {
	rd_pool *pool;
	rd_scratch *S;
} rd_worker;

static void *
worker_main(void *arg)
{
	rd_worker *w = arg;
	int i;

	while ((i = atomic_fetch_add(&w->pool->next, 1)) < w->pool->nblocks)
		parse_block(w->pool->C, w->S, &w->pool->blocks[i]);
	return NULL;
}



/*
 * Where a block is cut: the first record end (a newline outside quotes) at
 * or after CI_BLOCK bytes.  The scan resumes where it stopped, so reading
 * a long record costs time linear in its length; rec_start follows the
 * start of the record in progress, to bound its length.
 */
typedef struct rd_cut {
	size_t pos, rec_start;
	int inq;
} rd_cut;

static size_t
find_cut(const char *buf, size_t len, rd_cut *sc)
{
	while (sc->pos < len) {
		const char *q = memchr(buf + sc->pos, '"', len - sc->pos);
		size_t stop = q ? (size_t)(q - buf) : len;
		if (!sc->inq && stop > sc->pos) {
			size_t from = sc->pos > CI_BLOCK - 1 ? sc->pos :
			    CI_BLOCK - 1;
			const char *nl;
			if (from < stop && (nl = memchr(buf + from, '\n',
			    stop - from)) != NULL) {
				sc->pos = (size_t)(nl - buf) + 1;
				return sc->pos;
			}
			nl = memrchr(buf + sc->pos, '\n', (from < stop ? from :
			    stop) - sc->pos);
			if (nl != NULL)
				sc->rec_start = (size_t)(nl - buf) + 1;
		}
		if (q == NULL) {
			sc->pos = len;
			break;
		}
		sc->inq = !sc->inq;
		sc->pos = stop + 1;
	}
	return 0;
}

/*
 * Whether the len bytes at buf make a whole block: the cut (*cut) is
 * found, or the record in progress is over C->max_record bytes (B is
 * marked overflowing).  Called as the bytes grow by CI_CHUNK steps, by the
 * read path and the mapped path alike, so both cut in the same places.
 */
static int
block_done(const rd_ctx *C, const char *buf, size_t len, rd_cut *sc,
    size_t *cut, rd_block *B)
{
	if (len < CI_BLOCK)
		return 0;
	if ((*cut = find_cut(buf, len, sc)) > 0)
		return 1;
	if (len - sc->rec_start > C->max_record) {
		B->overflow = 1;
		return 1;
	}
	return 0;
}

/*
 * Fill block B from the carry-over bytes and the input, ending it at the
 * first record end at or after CI_BLOCK bytes (or at the end of input).
 * The bytes after the cut become the next carry-over.  A record in
 * progress over C->max_record bytes ends the block there, with
 * B->overflow set: parse_block() then reports it with its line.
 */
static calib_status
fill_block(const rd_ctx *C, ci_input *in, rd_block *B, char **carry,
    size_t *carry_len, size_t *carry_cap, calib_error *err)
{
	rd_cut sc = { 0, 0, 0 };
	size_t cut = 0;

	B->len = 0;
	B->overflow = 0;
	B->mapped = 0;
	/* One byte more than the data, always: parse_block() puts a
	 * terminator after the last line there. */
	if (B->cap < *carry_len + CI_CHUNK + 1) {
		size_t nc = B->cap ? B->cap : CI_BLOCK + CI_CHUNK + 1;
		while (nc < *carry_len + CI_CHUNK + 1)
			nc *= 2;
		if (ci_grow((void **)&B->mem, nc, 1))
			return ci_error_set(err, CALIB_E_NOMEM, C->file, 0, 0,
			    NULL, "out of memory");
		B->cap = nc;
	}
	B->buf = B->mem;
	memcpy(B->buf, *carry, *carry_len);
	B->len = *carry_len;
	for (;;) {
		size_t got;
		calib_status st;
		if (block_done(C, B->buf, B->len, &sc, &cut, B) || in->eof)
			break;
		if (B->cap - B->len < CI_CHUNK + 1) {
			if (ci_grow((void **)&B->mem, B->cap * 2, 1))
				return ci_error_set(err, CALIB_E_NOMEM, C->file,
				    0, 0, NULL, "out of memory");
			B->cap *= 2;
			B->buf = B->mem;
		}
		st = ci_input_read(in, B->buf + B->len, CI_CHUNK, &got,
		    C->file, err);
		if (st != CALIB_OK)
			return st;
		B->len += got;
	}
	if (cut == 0)
		cut = B->len;
	*carry_len = B->len - cut;
	if (*carry_len > *carry_cap) {
		if (ci_grow((void **)carry, *carry_len, 1))
			return ci_error_set(err, CALIB_E_NOMEM, C->file, 0, 0,
			    NULL, "out of memory");
		*carry_cap = *carry_len;
	}
	memcpy(*carry, B->buf + cut, *carry_len);
	B->len = cut;
	return CALIB_OK;
}

/*
 * A plain regular file is mapped and its blocks parsed in place: no read(2)
 * copies, and no reading between batches while the other threads wait.
 * The blocks are cut where fill_block() cuts them (block_done() sees the
 * bytes grow by the same CI_CHUNK steps), so every sum is the same as when
 * the file is read.  A block ending in '\n' is used where it lies: the
 * parser stops at that '\n' and needs no terminator after it.  The file's
 * last bytes without a line end, and a record cut for being too long, are
 * copied to B->mem, which has room for the terminator.
 */
typedef struct rd_map {
	const char *data;         /* the block data: file bytes from base */
	size_t len, pos;
	void *base;               /* the mapping, base_len bytes */
	size_t base_len;
	size_t released;          /* bytes from base given back */
} rd_map;

/*
 * The pages before M->pos have been parsed and merged: unmap them from
 * the process (the page cache keeps them), so that its resident size
 * stays at a batch of blocks rather than growing to the whole file.
 */
static void
map_release(rd_map *M)
{
#ifdef MADV_DONTNEED
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = (uintptr_t)M->base + M->released;
	uintptr_t to = (uintptr_t)(M->data + M->pos);

	if (page == 0 || (page & (page - 1)) != 0)
		return;
	to &= ~(page - 1);
	if (to > from && madvise((void *)from, to - from, MADV_DONTNEED) == 0)
		M->released = to - (uintptr_t)M->base;
#else
	(void)M;
#endif
}

static calib_status
map_block(const rd_ctx *C, rd_map *M, rd_block *B, calib_error *err)
{
	const char *buf = M->data + M->pos;
	const size_t avail = M->len - M->pos;
	rd_cut sc = { 0, 0, 0 };
	size_t len = 0, cut = 0;

	B->overflow = 0;
	while (!block_done(C, buf, len, &sc, &cut, B) && len < avail)
		len += avail - len < CI_CHUNK ? avail - len : CI_CHUNK;
	if (cut == 0)
		cut = len;
	M->pos += cut;
	B->len = cut;
	if (cut > 0 && buf[cut - 1] == '\n' && !B->overflow) {
		/* read-only: parse_block() writes no terminator here */
		B->buf = (char *)(uintptr_t)buf;
		B->mapped = 1;
		return CALIB_OK;
	}
	if (B->cap < cut + 1) {
		if (ci_grow((void **)&B->mem, cut + 1, 1))
			return ci_error_set(err, CALIB_E_NOMEM, C->file, 0, 0,
			    NULL, "out of memory");
		B->cap = cut + 1;
	}
	memcpy(B->mem, buf, cut);
	B->buf = B->mem;
	B->mapped = 0;
	return CALIB_OK;
}

/*
 * Map the rest of in (a plain regular file, not squeezed for blanks) from
 * where the carry-over bytes start, and check that the mapping holds
 * them.  Returns 0 with *M set, or -1: the file is then read as before.
 */
static int
map_input(const rd_ctx *C, ci_input *in, const char *carry,
    size_t carry_len, rd_map *M)
{
	struct stat sb;
	off_t at;
	size_t start;
	void *m;

	memset(M, 0, sizeof(*M));
	if (in->gzip || in->is_stdin || C->blanks ||
	    fstat(in->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uintmax_t)sb.st_size > SIZE_MAX ||
	    (at = lseek(in->fd, 0, SEEK_CUR)) < 0)
		return -1;
	/* the next byte the reader takes is at - avail_in (bytes read to
	 * look for a magic number and not yet handed out); the carry-over
	 * comes before it */
	if ((uintmax_t)at > (uintmax_t)sb.st_size ||
	    (size_t)at < in->zs.avail_in + carry_len)
		return -1;
	start = (size_t)at - in->zs.avail_in - carry_len;
	if ((size_t)sb.st_size == start)
		return -1;
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, in->fd,
	    0);
	if (m == MAP_FAILED)
		return -1;
	if (memcmp((const char *)m + start, carry, carry_len) != 0) {
		/* the file changed under us: read it as it comes */
		munmap(m, (size_t)sb.st_size);
		return -1;
	}
	(void)posix_madvise(m, (size_t)sb.st_size, POSIX_MADV_SEQUENTIAL);
	M->base = m;
	M->base_len = (size_t)sb.st_size;
	M->data = (const char *)m + start;
	M->len = (size_t)sb.st_size - start;
	M->pos = 0;
	return 0;
}

/* What merging blocks adds up beyond the rows. */
typedef struct rd_totals {
	size_t sum_fail, dropped;
	double sum_maxdev, sum_first;
	unsigned long sum_line;
	int partial;             /* stopped before the end by an error */
	char other[128];
	size_t other_len;
	int other_set;
	/* CALIB_KEEP_IDS: every kept row's id */
	char *ids;
	size_t ids_len, ids_cap;
	size_t *id_off, id_rows;
} rd_totals;

/* " (row id 'x')" for the record on line `line` of block B when the file
 * has an id column, else "". */
static void
row_id(const rd_ctx *C, const rd_block *B, unsigned long line, char *out,
    size_t size)
{
	const char *s = B->buf, *e = B->buf + B->len, *a, *b;
	unsigned long l = 0;
	char shown[64];

	out[0] = '\0';
	if (C->id_col < 0)
		return;
	while (l < line && s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		if (nl == NULL)
			return;
		s = nl + 1;
		l++;
	}
	if (id_field(C, s, e, &a, &b) != 0)
		return;
	ci_quote_text(shown, sizeof(shown), a, (size_t)(b - a));
	snprintf(out, size, " (row id '%s')", shown);
}

/* Rows failed the sum check: how many, how far, and the flags. */
static calib_status
sum_report(const rd_ctx *C, const rd_totals *tot, calib_error *err)
{
	return ci_error_set(err, CALIB_E_FORMAT, C->file, tot->sum_line, 0,
	    NULL, "probabilities sum to %.17g, expected 1 within %g; %s%zu "
	    "row%s fail%s the sum check, the largest deviation is %.3g: give "
	    "--renormalize to rescale such rows, or --sum-tol X to accept "
	    "sums within X", tot->sum_first, C->o->sum_tol,
	    tot->partial ? "at least " : "", tot->sum_fail,
	    tot->sum_fail == 1 ? "" : "s", tot->sum_fail == 1 ? "s" : "",
	    tot->sum_maxdev);
}

static calib_status
merge_block(const rd_ctx *C, rd_block *B, calib_preds *P, ci_rows *all,
    unsigned long first_line, rd_totals *tot, calib_error *err)
{
	const int k = C->L.k;
	size_t n = B->r.n, at = all->n;

	if (B->sum_fail > 0) {
		if (tot->sum_fail == 0) {
			tot->sum_line = first_line + B->sum_line;
			tot->sum_first = B->sum_first;
		}
		tot->sum_fail += B->sum_fail;
		if (B->sum_maxdev > tot->sum_maxdev)
			tot->sum_maxdev = B->sum_maxdev;
	}
	if (B->failed && tot->sum_fail > 0) {
		/* The sum failures come first in the file. */
		tot->partial = 1;
		return sum_report(C, tot, err);
	}
	if (B->other_set) {
		if (!tot->other_set) {
			memcpy(tot->other, B->other, B->other_len);
			tot->other_len = B->other_len;
			tot->other_set = 1;
		} else if (tot->other_len != B->other_len ||
		    memcmp(tot->other, B->other, B->other_len) != 0) {
			char a[200], b[200];
			ci_quote_text(a, sizeof(a), B->other, B->other_len);
			ci_quote_text(b, sizeof(b), tot->other, tot->other_len);
			return ci_error_set(err, CALIB_E_FORMAT, C->file,
			    first_line + B->other_line, 0, NULL, "a third "
			    "label '%s' (a binary file has two: '%s', the "
			    "--positive one, and '%s')", a, C->o->positive, b);
		}
	}
	tot->dropped += B->dropped;
	if (B->failed) {
		int col = B->err_col;
		char id[80];
		row_id(C, B, B->err_line, id, sizeof(id));
		return ci_error_set(err, B->err_status, C->file,
		    first_line + B->err_line, col < 0 ? 0 : (unsigned)col + 1,
		    col < 0 ? NULL : C->col_names[col], "%s%s", B->err_msg, id);
	}
	if (C->summary) {
		/* Rows are kept only for their replicate counts, which need
		 * the global position: blocks arrive here in file order. */
		size_t i;
		for (i = 0; i < n; i++)
			ci_acc_row_replicates(C->rep, C->reps, C->seed,
			    C->first_row + *C->rows_done + i, B->r.score[i],
			    B->r.outcome[i], B->r.pred[i] == B->r.label[i],
			    B->r.weight[i], B->r.nll[i], B->r.brier[i],
			    B->r.entropy[i]);
		*C->rows_done += n;
		goto counts;
	}
	if (n == 0)
		/* Every row dropped or failing the sum check: nothing to
		 * copy (and no arrays to copy from). */
		goto counts;
	if (ci_rows_reserve(all, at + n, k, C->L.has_weight, C->keep_probs,
	    C->keep_logits) != 0)
		return ci_error_set(err, CALIB_E_NOMEM, C->file, 0, 0, NULL,
		    "out of memory");
	B->copy_at = at;
	B->copy = 1;
	if (C->keep_ids) {
		size_t i;
		if (tot->ids_len + B->ids_len > tot->ids_cap) {
			size_t nc = tot->ids_cap ? tot->ids_cap : 1u << 16;
			while (nc < tot->ids_len + B->ids_len)
				nc *= 2;
			if (ci_grow((void **)&tot->ids, nc, 1) != 0)
				return ci_error_set(err, CALIB_E_NOMEM, C->file,
				    0, 0, NULL, "out of memory");
			tot->ids_cap = nc;
		}
		if (at + n > tot->id_rows) {
			size_t nr = tot->id_rows ? tot->id_rows : 1024;
			while (nr < at + n)
				nr *= 2;
			if (ci_grow((void **)&tot->id_off, nr,
			    sizeof(size_t)) != 0)
				return ci_error_set(err, CALIB_E_NOMEM, C->file,
				    0, 0, NULL, "out of memory");
			tot->id_rows = nr;
		}
		memcpy(tot->ids + tot->ids_len, B->ids, B->ids_len);
		for (i = 0; i < n; i++)
			tot->id_off[at + i] = tot->ids_len + B->id_off[i];
		tot->ids_len += B->ids_len;
	}
	all->n += n;
counts:
	P->tied_rows += B->tied;
	P->renormalized_rows += B->renorm;
	P->zero_prob_rows += B->zero;
	return CALIB_OK;
}

/* Block B's rows into the whole at the place merge_block() gave them. */
static void
copy_block(const rd_ctx *C, rd_block *B, ci_rows *all)
{
	const int k = C->L.k;
	const size_t n = B->r.n, at = B->copy_at;

	if (!B->copy)
		return;
	B->copy = 0;
	memcpy(all->score + at, B->r.score, n * sizeof(double));
	memcpy(all->outcome + at, B->r.outcome, n);
	memcpy(all->label + at, B->r.label, n * sizeof(int32_t));
	memcpy(all->pred + at, B->r.pred, n * sizeof(int32_t));
	if (C->L.has_weight)
		memcpy(all->weight + at, B->r.weight, n * sizeof(double));
	if (!C->no_terms) {
		memcpy(all->nll + at, B->r.nll, n * sizeof(double));
		memcpy(all->brier + at, B->r.brier, n * sizeof(double));
		memcpy(all->entropy + at, B->r.entropy, n * sizeof(double));
	}
	if (C->keep_probs)
		memcpy(all->probs + at * (size_t)k, B->r.probs,
		    n * (size_t)k * sizeof(double));
	if (C->keep_logits)
		memcpy(all->logits + at * (size_t)k, B->r.logits,
		    n * (size_t)k * sizeof(double));
}

/*
 * The copies of a batch's merged blocks, spread over the threads: the
 * whole's pages are touched for the first time here, which costs more
 * than the copy itself, and one thread alone made it the read's serial
 * part.  Each block goes to its own place, so the order does not matter.
 */
typedef struct rd_copy {
	const rd_ctx *C;
	rd_block *blocks;
	int nblocks;
	ci_rows *all;
	atomic_int next;
} rd_copy;

typedef struct rd_copier {
	rd_copy *job;
} rd_copier;

static void *
copy_main(void *arg)
{
	rd_copy *J = ((rd_copier *)arg)->job;
	int i;

	while ((i = atomic_fetch_add(&J->next, 1)) < J->nblocks)
		copy_block(J->C, &J->blocks[i], J->all);
	return NULL;
}

static void
copy_blocks(const rd_ctx *C, rd_block *blocks, int nb, ci_rows *all, int T)
{
	rd_copier w[CI_MAX_THREADS];
	rd_copy J;
	int t;

	J.C = C;
	J.blocks = blocks;
	J.nblocks = nb;
	J.all = all;
	atomic_init(&J.next, 0);
	if (T > nb)
		T = nb;
	if (T > CI_TEAM_MAX)
		T = CI_TEAM_MAX;
	if (T < 1)
		T = 1;
	for (t = 0; t < T; t++)
		w[t].job = &J;
	ci_team_run(copy_main, w, sizeof(w[0]), T);
}

static void
ctx_release(rd_ctx *C)
{
	int c;

	ci_layout_release(&C->L);
	if (C->col_names != NULL)
		for (c = 0; c < C->ncols; c++)
			free(C->col_names[c]);
	free(C->col_names);
	free(C->col_role);
	free(C->class_col);
}


/*
 * Read the header record; leaves the bytes after it in the carry-over.
 * Each byte is looked at once, however the header arrives, and the header
 * may not be longer than a record: a file without line ends (/dev/zero, a
 * gzip bomb) fails early, on its first NUL byte or at the limit.
 */
static calib_status
read_header(rd_ctx *C, ci_input *in, rd_scratch *S, char **carry,
    size_t *carry_len, size_t *carry_cap, unsigned long *header_lines,
    calib_error *err)
{
	const char *e = NULL;
	char msg[256];
	size_t off = 0, hl, rest, pos = 0;
	unsigned long line = 1;
	int c, inq = 0;

	for (;;) {
		size_t got;
		calib_status st;
		for (; pos < *carry_len && e == NULL; pos++) {
			char ch = (*carry)[pos];
			if (ch == '\0')
				return ci_error_set(err, CALIB_E_FORMAT,
				    C->file, line, 0, NULL, "a NUL byte in the "
				    "header, at byte %zu (expected text: column "
				    "names such as 'label,p_0,p_1')", pos + 1);
			if (ch == '"') {
				inq = !inq;
			} else if (ch == '\n') {
				if (!inq)
					e = *carry + pos;
				else
					line++;
			} else if (ch == '\r' && !inq) {
				if (pos + 1 == *carry_len && !in->eof)
					break; /* the next byte decides */
				if (pos + 1 < *carry_len &&
				    (*carry)[pos + 1] != '\n')
					return ci_error_set(err, CALIB_E_FORMAT,
					    C->file, line, 0, NULL, "a carriage "
					    "return not followed by a newline in "
					    "the header, at byte %zu (lines end "
					    "in LF or CRLF; a file with CR line "
					    "ends can be converted with "
					    "tr '\\r' '\\n')", pos + 1);
			}
		}
		if (e != NULL || in->eof)
			break;
		if (*carry_len > C->max_record)
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0,
			    NULL, "no end of the header line in the first %zu "
			    "bytes (is this a CSV file? --max-record-bytes "
			    "raises the limit)", C->max_record);
		if (*carry_cap - *carry_len < CI_CHUNK) {
			size_t nc = *carry_cap ? *carry_cap * 2 : CI_CHUNK * 2;
			/* The carry-over may start small (the bytes read
			 * to pick the format). */
			while (nc - *carry_len < CI_CHUNK)
				nc *= 2;
			if (ci_grow((void **)carry, nc, 1))
				return ci_error_set(err, CALIB_E_NOMEM, C->file,
				    0, 0, NULL, "out of memory");
			*carry_cap = nc;
		}
		st = ci_input_read(in, *carry + *carry_len, CI_CHUNK, &got,
		    C->file, err);
		if (st != CALIB_OK)
			return st;
		*carry_len += got;
	}
	/* the same words whichever way the bytes arrived */
	if ((e ? (size_t)(e - *carry) : *carry_len) > C->max_record)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "no end of the header line in the first %zu bytes (is "
		    "this a CSV file? --max-record-bytes raises the limit)",
		    C->max_record);
	if (*carry_len >= 3 && memcmp(*carry, "\xEF\xBB\xBF", 3) == 0)
		off = 3;
	hl = (e ? (size_t)(e - *carry) : *carry_len) - off;
	if (hl > 0 && (*carry)[off + hl - 1] == '\r')
		hl--;
	if (*carry_len == off || (hl == 0 && e == NULL))
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "empty file (expected a header row such as "
		    "'label,p_0,p_1')");
	if (hl == 0)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "empty header line (expected column names such as "
		    "'label,p_0,p_1')");
	{
		/* np.savetxt(header=...) writes the header after "# ". */
		const char *h = *carry + off;
		size_t skip = 0, n;
		char *copy;
		if (hl >= 2 && h[0] == '#' && (h[1] == ' ' || h[1] == '\t'))
			for (skip = 1; skip < hl && (h[skip] == ' ' ||
			    h[skip] == '\t'); skip++)
				;
		C->delim = C->o->delimiter ? C->o->delimiter :
		    detect_delimiter(h + skip, hl - skip);
		C->blanks = C->delim == ' ';
		copy = malloc(hl - skip + 1);
		if (copy == NULL)
			return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0,
			    NULL, "out of memory");
		memcpy(copy, h + skip, hl - skip);
		n = C->blanks ? squeeze_text(copy, hl - skip) : hl - skip;
		if (csv_split(S, C->delim, copy, n, msg, sizeof(msg)) != 0) {
			free(copy);
			return ci_error_set(err, S->oom ? CALIB_E_NOMEM :
			    CALIB_E_FORMAT, C->file, 1, 0, NULL, "header: %s",
			    msg);
		}
		free(copy);
	}
	if (S->nfields == 0 || S->nrecords != 1)
		return ci_error_set(err, CALIB_E_FORMAT, C->file, 1, 0, NULL,
		    "the header line holds only blanks (expected column names "
		    "such as 'label,p_0,p_1')");
	C->ncols = S->nfields;
	C->col_names = calloc((size_t)C->ncols, sizeof(char *));
	if (C->col_names == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0, NULL,
		    "out of memory");
	for (c = 0; c < C->ncols; c++) {
		C->col_names[c] = ci_strdup(S->fbuf + S->foff[c]);
		if (C->col_names[c] == NULL)
			return ci_error_set(err, CALIB_E_NOMEM, C->file, 1, 0,
			    NULL, "out of memory");
		/* An empty first name is pandas' index column. */
		if (S->fsize[c] == 0 && (c > 0 || C->ncols == 1))
			return ci_error_set(err, CALIB_E_FORMAT, C->file, 1,
			    (unsigned)c + 1, NULL, "empty column name");
	}
	*header_lines = count_newlines(*carry, *carry + off + hl) + 1;
	rest = e ? (size_t)(e - *carry) + 1 : *carry_len;
	memmove(*carry, *carry + rest, *carry_len - rest);
	*carry_len -= rest;
	return CALIB_OK;
}

calib_status
ci_read_csv(ci_input *in, const char *shown, const calib_read_options *opt,
    char *head, size_t head_len, size_t head_cap, calib_preds *P,
    const calib_metric_options *smo, const calib_summary_options *so,
    calib_summary **sout, calib_error *err)
{
	uint64_t rows_done = 0;
	ci_acc *rep = NULL;
	int nrep = 0;
	rd_ctx C;
	rd_scratch *S = NULL, H;
	rd_block *blocks = NULL;
	rd_worker *workers = NULL;
	pthread_t *tids = NULL;
	ci_rows all;
	char *carry = head;
	size_t carry_len = head_len, carry_cap = head_cap;
	unsigned long lines_done = 0, header_lines = 0;
	calib_status st;
	int T, nslots = 0, i, started = 0, mapped = 0;
	rd_totals tot;
	rd_map map;

	memset(&C, 0, sizeof(C));
	memset(&map, 0, sizeof(map));
	memset(&tot, 0, sizeof(tot));
	memset(&all, 0, sizeof(all));
	memset(&H, 0, sizeof(H));
	C.file = shown;
	C.o = opt;
	C.max_record = opt->max_record_bytes;
	T = ci_thread_count(opt);

	S = calloc((size_t)T, sizeof(*S));
	if (S == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	st = read_header(&C, in, &H, &carry, &carry_len, &carry_cap,
	    &lines_done, err);
	if (st != CALIB_OK)
		goto done;
	st = build_layout(&C, err);
	if (st != CALIB_OK)
		goto done;
	if (C.L.top_only && (opt->calibrate != NULL ||
	    opt->temperature != 1)) {
		st = ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL, "a "
		    "top-label-only file ('%s' and '%s') cannot be "
		    "recalibrated or tempered: that needs the score vector",
		    opt->confidence_col, opt->correct_col);
		goto done;
	}
	if (opt->calibrate != NULL) {
		st = ci_model_check_classes(opt->calibrate, C.L.k,
		    C.L.class_names, shown, err);
		if (st != CALIB_OK)
			goto done;
	}
	C.keep_probs = (opt->keep & CALIB_KEEP_PROBS) != 0 && !C.L.top_only;
	C.keep_logits = (opt->keep & CALIB_KEEP_LOGITS) != 0 &&
	    !C.L.top_only;
	C.cw_bins = C.keep_probs || C.L.top_only ? 0 : opt->classwise_bins;
	if (opt->labels_path != NULL || opt->weights_path != NULL) {
		if (opt->weights_path != NULL && C.L.has_weight) {
			st = ci_error_set(err, CALIB_E_ARG, shown, 1, 0, NULL,
			    "the file has a '%s' column and --weights gives "
			    "weights too (expected one of them)",
			    opt->weight_col);
			goto done;
		}
		if (opt->labels_path == NULL) {
			st = ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
			    "--weights with a CSV file needs --labels too "
			    "(or a '%s' column in the file)", opt->weight_col);
			goto done;
		}
		/* Rows are kept raw and finished by ci_build() once the
		 * labels are read. */
		C.deferred = 1;
		C.keep_probs = 1;
		C.keep_logits = 0;
		C.cw_bins = 0;
	}
	if (sout != NULL) {
		if (C.deferred) {
			st = ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
			    "labels or weights from another file cannot be "
			    "summarized as a stream");
			goto done;
		}
		C.summary = 1;
		C.keep_probs = C.keep_logits = 0;
		C.cw_bins = C.L.top_only ? 0 : smo->bins;
		C.reps = so != NULL ? so->replicates : 0;
		C.seed = so != NULL ? so->seed : 0;
		C.first_row = so != NULL ? so->first_row : 0;
		C.rows_done = &rows_done;
		if (C.reps > 0) {
			rep = calloc((size_t)C.reps, sizeof(*rep));
			if (rep == NULL) {
				st = ci_error_set(err, CALIB_E_NOMEM, shown, 0,
				    0, NULL, "out of memory");
				goto done;
			}
			for (nrep = 0; nrep < C.reps; nrep++)
				if (ci_acc_init(&rep[nrep], smo->bins,
				    smo->nll_clip) != 0) {
					st = ci_error_set(err, CALIB_E_NOMEM,
					    shown, 0, 0, NULL, "out of memory");
					goto done;
				}
		}
		C.rep = rep;
	}
	header_lines = lines_done;
	/* a summary's replicates need the row terms, whatever keep says */
	C.no_terms = (opt->keep & CALIB_OMIT_ROW_TERMS) != 0 && !C.summary;
	all.no_terms = C.no_terms;
	C.L.no_terms = C.no_terms;
	C.keep_ids = (opt->keep & CALIB_KEEP_IDS) != 0 && C.id_col >= 0 &&
	    !C.deferred;
	if ((C.summary ? C.cw_bins : opt->classwise_bins) > 0 &&
	    (st = ci_classwise_budget(C.L.k, C.summary ? C.cw_bins :
	    opt->classwise_bins, shown, err)) != CALIB_OK)
		goto done;
	for (i = 0; i < T; i++) {
		if (scratch_init(&S[i], C.L.k) != 0 || (C.cw_bins > 0 &&
		    ci_cwx_init(&S[i].cwx, C.L.k, C.cw_bins) != 0) ||
		    (C.summary && ci_acc_init(&S[i].acc, smo->bins,
		    smo->nll_clip) != 0)) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		if (C.cw_bins > 0)
			ci_cwx_stage(&S[i].cwx);
	}
	if (!C.summary && C.cw_bins > 0 && ci_classwise_alloc(&P->classwise,
	    C.L.k, C.cw_bins) != 0) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}

	nslots = T * CI_BATCH_PER_THREAD;
	blocks = calloc((size_t)nslots, sizeof(*blocks));
	workers = calloc((size_t)T, sizeof(*workers));
	tids = calloc((size_t)T, sizeof(*tids));
	if (blocks == NULL || workers == NULL || tids == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (i = 0; i < nslots; i++)
		blocks[i].r.no_terms = C.no_terms;

	mapped = map_input(&C, in, carry, carry_len, &map) == 0;
	while (mapped ? map.pos < map.len : carry_len > 0 || !in->eof) {
		rd_pool pool;
		int nb = 0;

		for (nb = 0; nb < nslots && (mapped ? map.pos < map.len :
		    carry_len > 0 || !in->eof); nb++) {
			st = mapped ? map_block(&C, &map, &blocks[nb], err) :
			    fill_block(&C, in, &blocks[nb], &carry, &carry_len,
			    &carry_cap, err);
			if (st != CALIB_OK)
				goto done;
			if (blocks[nb].len == 0)
				break;
			if (blocks[nb].overflow) {
				/* its last record is too long: an error,
				 * so read no further */
				nb++;
				break;
			}
		}
		if (nb == 0)
			break;
		pool.C = &C;
		pool.blocks = blocks;
		pool.nblocks = nb;
		atomic_init(&pool.next, 0);
		started = 0;
		for (i = 1; i < T && i < nb; i++) {
			workers[i].pool = &pool;
			workers[i].S = &S[i];
			if (pthread_create(&tids[i], NULL, worker_main,
			    &workers[i]) != 0)
				break;
			started = i;
		}
		workers[0].pool = &pool;
		workers[0].S = &S[0];
		worker_main(&workers[0]);
		for (i = 1; i <= started; i++)
			pthread_join(tids[i], NULL);
		for (i = 0; i < nb; i++) {
			st = merge_block(&C, &blocks[i], P, &all,
			    lines_done + 1, &tot, err);
			if (st != CALIB_OK)
				goto done;
			lines_done += blocks[i].nlines;
		}
		copy_blocks(&C, blocks, nb, &all, T);
		if (mapped)
			map_release(&map);
	}
	if (tot.sum_fail > 0) {
		st = sum_report(&C, &tot, err);
		goto done;
	}
	/* Exact sums: merging the threads' cells in any order gives the
	 * same values. */
	for (i = 1; i < T && C.cw_bins > 0; i++)
		if (ci_cwx_merge(&S[0].cwx, &S[i].cwx) != 0) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
	if (!C.summary && C.cw_bins > 0)
		ci_cwx_round(&S[0].cwx, &P->classwise);
	if (C.summary) {
		/* A shard may be empty or weigh nothing: only the merged
		 * whole has to hold rows (the metrics check). */
	} else if (all.n == 0 && tot.dropped > 0) {
		st = ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "no rows left after dropping %zu with label %ld "
		    "(--ignore-label)", tot.dropped, opt->ignore_label);
		goto done;
	}
	if (all.n == 0 && !C.summary) {
		st = ci_error_set(err, CALIB_E_FORMAT, shown, lines_done + 1, 0,
		    NULL, "no data rows after the header (expected one row "
		    "per example)");
		goto done;
	}
	if (opt->positive != NULL && C.L.single_column) {
		/* Class 0 is the other label the file holds. */
		char *nm = malloc(tot.other_set ? tot.other_len + 1 : 16);
		if (nm == NULL) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		if (tot.other_set) {
			memcpy(nm, tot.other, tot.other_len);
			nm[tot.other_len] = '\0';
		} else {
			snprintf(nm, 16, "other");
		}
		free(C.L.class_names[0]);
		C.L.class_names[0] = nm;
	}
	if (C.summary) {
		calib_summary *sm;
		ci_settings t;
		ci_summary_settings(&t, &C.L, opt, smo, so);
		if ((st = ci_summary_model(&t, opt, err)) != CALIB_OK)
			goto done;
		if ((sm = ci_summary_new(&t, shown)) == NULL) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		for (i = 0; i < T; i++)
			ci_acc_merge(&sm->acc, &S[i].acc);
		for (i = 0; i < C.reps; i++)
			ci_acc_merge(&sm->rep[i], &rep[i]);
		if (C.cw_bins > 0 && ci_cwx_merge(&sm->cw, &S[0].cwx) != 0) {
			calib_summary_free(sm);
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		sm->tied = P->tied_rows;
		sm->renormalized = P->renormalized_rows;
		sm->zero_prob = P->zero_prob_rows;
		sm->dropped = tot.dropped;
		sm->index_column = C.id_col == 0 && C.col_names[0][0] == '\0';
		*sout = sm;
		goto done;
	}
	if (C.deferred) {
		ci_table t;
		ci_view lv, wv;
		ci_blob lb, wb;
		memset(&t, 0, sizeof(t));
		memset(&wb, 0, sizeof(wb));
		t.scores.data = (const unsigned char *)all.probs;
		t.scores.type = CI_F64;
		t.scores.ndim = C.L.single_column ? 1 : 2;
		t.scores.n = all.n;
		t.scores.k = C.L.single_column ? 1 : (size_t)C.L.k;
		t.scores.cs = sizeof(double);
		t.scores.rs = (size_t)C.L.k * sizeof(double);
		t.first_line = header_lines;
		st = ci_side_file(opt->labels_path, 0, &C.L, opt, &lv, &lb,
		    err);
		if (st != CALIB_OK)
			goto done;
		t.labels = &lv;
		if (C.L.has_weight) {
			wv = t.scores;
			wv.data = (const unsigned char *)all.weight;
			wv.ndim = 1;
			wv.k = 1;
			wv.rs = sizeof(double);
			t.weights = &wv;
		} else if (opt->weights_path != NULL) {
			st = ci_side_file(opt->weights_path, 1, NULL, opt, &wv,
			    &wb, err);
			if (st != CALIB_OK) {
				ci_blob_free(&lb);
				goto done;
			}
			t.weights = &wv;
		}
		st = ci_build(shown, &t, &C.L, opt, P, err);
		if (st == CALIB_OK && C.id_col == 0 &&
		    C.col_names[0][0] == '\0')
			P->index_column = 1;
		ci_blob_free(&lb);
		ci_blob_free(&wb);
		goto done;
	}
	P->dropped_rows = tot.dropped;
	st = ci_preds_finish(&C.L, opt, shown, &all, P, err);
	if (st == CALIB_OK && C.keep_ids) {
		P->id_name = ci_strdup(C.col_names[C.id_col]);
		if (P->id_name == NULL)
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory");
		P->id_text = tot.ids;
		P->id_off = tot.id_off;
		tot.ids = NULL;
		tot.id_off = NULL;
		if (P->id_text == NULL && st == CALIB_OK) {
			/* Every id empty and no row: cannot happen (n > 0),
			 * but keep the pointers valid. */
			P->id_text = calloc(1, 1);
		}
	}
	if (st == CALIB_OK && C.L.top_only)
		ci_preds_top_only(P);
	if (st == CALIB_OK && C.id_col == 0 && C.col_names[0][0] == '\0')
		P->index_column = 1;

done:
	if (blocks != NULL)
		for (i = 0; i < nslots; i++) {
			free(blocks[i].mem);
			free(blocks[i].ids);
			free(blocks[i].id_off);
			ci_rows_free(&blocks[i].r);
		}
	free(blocks);
	if (map.base != NULL)
		munmap(map.base, map.base_len);
	free(workers);
	free(tids);
	if (S != NULL)
		for (i = 0; i < T; i++)
			scratch_free(&S[i]);
	free(S);
	scratch_free(&H);
	free(carry);
	free(tot.ids);
	free(tot.id_off);
	ci_rows_free(&all);
	ctx_release(&C);
	if (rep != NULL) {
		for (i = 0; i < nrep; i++)
			ci_acc_free(&rep[i]);
		free(rep);
	}
	return st;
}
