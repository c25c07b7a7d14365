/*
 * reader.h - what the format readers share (private to libcalib).
 *
 * calib_read() (reader.c) opens the input, looks at its first bytes and
 * hands it to the reader of that format (reader-*.c).  Every reader turns
 * its rows into raw scores and hands each row to ci_row_finish() (row.c),
 * appends the results to a ci_rows and ends with ci_preds_finish(), so a
 * row gives the same doubles whatever format it came in.
 */
#ifndef CALIB_READER_H
#define CALIB_READER_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "internal.h"

#define CI_READ (1u << 18)    /* bytes asked of gzread at a time */
#define CI_MAX_THREADS 8

/*
 * Per-row results, appended in row order: growable arrays shared by blocks
 * and the final result.
 */
typedef struct ci_rows {
	size_t n, cap;
	double *score;
	uint8_t *outcome;
	int32_t *label, *pred;
	double *weight, *nll, *brier, *entropy, *probs, *logits;
	/* set before the first reserve: nll, brier and entropy are not
	 * built (CALIB_OMIT_ROW_TERMS) and stay NULL */
	int no_terms;
} ci_rows;

int ci_grow(void **a, size_t cap, size_t elem);
int ci_rows_reserve(ci_rows *r, size_t need, int k, int has_w, int kp,
    int kl);
void ci_rows_free(ci_rows *r);
char *ci_strdup(const char *s);

/* Worker threads for o->threads (0: the online CPUs), at most
 * CI_MAX_THREADS. */
int ci_thread_count(const calib_read_options *o);

/*
 * Move the rows and the layout's class names into P and total the weights.
 * file is the name used in messages.
 */
calib_status ci_preds_finish(ci_layout *L, const calib_read_options *o,
    const char *file, ci_rows *all, calib_preds *P, calib_error *err);
/* Mark P top-label-only: no classes (k = 0, no names). */
void ci_preds_top_only(calib_preds *P);

/*
 * The opened input: gzip (recognised by its magic bytes) is inflated,
 * member after member, and anything after the last member is an error;
 * other bytes are passed through unchanged.
 */
typedef struct ci_input {
	int fd;
	int gzip;
	z_stream zs;          /* next_in/avail_in: raw bytes not used yet */
	unsigned char *raw;
	int raw_eof;          /* read(2) returned 0 */
	int member_end;       /* a gzip member ended; look for the next */
	unsigned long long consumed; /* compressed bytes of earlier members */
	int eof;              /* no more bytes for the reader */
	int is_stdin;         /* the input is standard input */
} ci_input;

/*
 * Put up to want bytes in buf; *got is 0 only at the end of input, when
 * in->eof is set.
 */
calib_status ci_input_read(ci_input *in, char *buf, size_t want,
    size_t *got, const char *shown, calib_error *err);
void ci_input_close(ci_input *in);

/*
 * reader-csv.c: read a CSV file into P (whose source is set), or, when
 * sout is not NULL, only into the exact sums of a summary for smo's bins
 * and clip (*sout; P then only collects the counts and is discarded).  The first
 * head_len bytes of the input, already read to pick the format, are in
 * head (malloc'd, head_cap bytes); the reader takes them over.
 */
calib_status ci_read_csv(ci_input *in, const char *shown,
    const calib_read_options *o, char *head, size_t head_len,
    size_t head_cap, calib_preds *P, const calib_metric_options *smo,
    const calib_summary_options *so, calib_summary **sout,
    calib_error *err);

/* ---- arrays: NumPy files and memory -------------------------------- */

/* Element types of arrays read from NumPy files or passed in memory. */
typedef enum ci_dtype {
	CI_F16, CI_F32, CI_F64,
	CI_I8, CI_I16, CI_I32, CI_I64,
	CI_U8, CI_U16, CI_U32, CI_U64,
	CI_BOOL
} ci_dtype;

/* A 1-D or 2-D array in memory that someone else owns (a mapped file, an
 * inflated zip member, the caller's buffer).  Elements may be unaligned. */
typedef struct ci_view {
	const unsigned char *data;
	ci_dtype type;
	int swap;          /* byte order differs from the host's */
	int ndim;          /* 1 or 2 */
	size_t n, k;       /* rows; columns (1 for 1-D) */
	size_t rs, cs;     /* byte strides of a row and of a column */
} ci_view;

int ci_dtype_is_float(ci_dtype t);
/* Element (i, j) as a double (exact for every type but 64-bit integers
 * beyond 2^53, which no score needs). */
double ci_view_get(const ci_view *v, size_t i, size_t j);
/* Element (i, 0) as an integer: 0, or -1 when it is not integral (NaN,
 * 5.5, beyond int64). */
int ci_view_int(const ci_view *v, size_t i, int64_t *out);

/*
 * A summary asked of a reader (calib_summarize()): the metric options
 * giving the bins and the clip, the bootstrap options (NULL: none) and
 * where the summary goes.
 */
typedef struct ci_sumreq {
	const calib_metric_options *mo;
	const calib_summary_options *so;
	calib_summary **out;
} ci_sumreq;

/* What a binary-format reader hands to ci_build(). */
typedef struct ci_table {
	ci_view scores;          /* n x K scores, or n: P(class 1) or its logit */
	const ci_view *labels;   /* n labels (class indices), or NULL ... */
	const int32_t *label_idx; /* ... n resolved labels (-1: dropped) */
	const ci_view *weights;  /* n weights, or NULL */
	const ci_view *correct;  /* top-label-only: n values 0/1; scores
	                          * holds the confidences */
	int from_logits;         /* -inf scores are ln 0 (recalibration) */
	unsigned long first_line; /* added to the row index in messages */
	const ci_sumreq *sum;    /* not NULL: only the summary's exact sums
	                          * are kept, in *sum->out, and P gets no
	                          * rows (see ci_build()) */
} ci_table;

/*
 * Rows of t through ci_row_finish() into P.  L gives k, single_column,
 * kind and the class names (ci_layout_build_names() done); ci_build()
 * takes the names over.  With t->sum (and no bootstrap replicates, whose
 * counts follow the kept rows' global order) the rows are summed into
 * per-chunk exact sums instead and never stored: memory stays bounded by
 * the chunks, whatever the number of rows.  P's format must be set.
 */
calib_status ci_build(const char *shown, const ci_table *t, ci_layout *L,
    const calib_read_options *o, calib_preds *P, calib_error *err);

/* Class names for L: o->classes when given (the count must be L->k), else
 * "0".."K-1"; then the lookup table. */
calib_status ci_layout_default_names(ci_layout *L,
    const calib_read_options *o, const char *shown, calib_error *err);

/* The whole input in memory: mapped when it is a plain regular file,
 * otherwise read (and inflated) into a buffer. */
typedef struct ci_blob {
	unsigned char *data;
	size_t len;
	int mapped;
} ci_blob;

void ci_blob_free(ci_blob *b);

/* reader-npy.c: a .npy image to a view.  what names it in messages
 * ("" for a plain file, or "member 'x' of"). */
calib_status ci_npy_view(const unsigned char *buf, size_t len,
    const char *shown, const char *what, ci_view *v, calib_error *err);
/* Errors of ci_build() on an array: "row N, class K: ..." instead of a
 * line and column. */
void ci_error_by_row(calib_error *err);
/* Read a bare .npy file (the blob) into P. */
calib_status ci_read_npy(ci_blob *b, const char *shown,
    const calib_read_options *o, const ci_sumreq *sum, calib_preds *P,
    calib_error *err);

/* The layout of a scores view: K classes, or one binary column. */
calib_status ci_npz_layout(const ci_view *s, const char *shown,
    const char *what, const calib_read_options *o, calib_score_kind kind,
    ci_layout *L, calib_error *err);

/* reader-zip.c: read a .npz file (the blob) into P (sum: see ci_table). */
calib_status ci_read_npz(ci_blob *b, const char *shown,
    const calib_read_options *o, const ci_sumreq *sum, calib_preds *P,
    calib_error *err);

/*
 * reader.c: the labels (or weights) kept in another file, as a view of
 * n values.  *owned is what to free afterwards (the blob or a converted
 * buffer).  Label text is resolved against L's class names when L is not
 * NULL (then the view holds int64 class indices).
 */
calib_status ci_side_file(const char *path, int weights, const ci_layout *L,
    const calib_read_options *o, ci_view *v, ci_blob *owned,
    calib_error *err);

#endif /* CALIB_READER_H */
