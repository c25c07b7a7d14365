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

/*
 * The opened input: zlib's gzread inflates gzip (recognised by its magic
 * bytes) and passes other bytes through unchanged.
 */
typedef struct ci_input {
	gzFile gz;
	int eof;
} ci_input;

/* Append up to want bytes to buf; sets in->eof at the end of input. */
calib_status ci_input_read(ci_input *in, char *buf, size_t want,
    size_t *got, const char *shown, calib_error *err);

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

#endif /* CALIB_READER_H */
