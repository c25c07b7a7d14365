/*
 * fuzz-read.c - libFuzzer target for the CSV prediction reader.  The first
 * byte of an input picks reading options; the rest is the file.  Each
 * input is read six ways - the reference path (libcsv + strtod for every
 * row) and the fast path, at 1 to 5 threads, plain and gzip-compressed -
 * and all must agree: the same status, and either bit-identical results or
 * the same error at the same line and column with the same message.  Built
 * with --enable-fuzzing, the reader cuts 64-byte blocks, so every input of
 * a few lines crosses block boundaries.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "calib.h"
#include "fuzz.h"

static char plain_path[512], gz_path[512];

static void
remove_files(void)
{
	unlink(plain_path);
	unlink(gz_path);
}

static void
make_paths(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (plain_path[0] != '\0')
		return;
	snprintf(plain_path, sizeof(plain_path), "%s/calib-fuzz-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(plain_path);
	FUZZ_ASSERT(fd >= 0);
	close(fd);
	snprintf(gz_path, sizeof(gz_path), "%s.gz", plain_path);
	atexit(remove_files);
}

static void
write_files(const uint8_t *d, size_t n)
{
	FILE *f = fopen(plain_path, "wb");
	gzFile g;

	FUZZ_ASSERT(f != NULL);
	FUZZ_ASSERT(n == 0 || fwrite(d, 1, n, f) == n);
	FUZZ_ASSERT(fclose(f) == 0);
	g = gzopen(gz_path, "wb1");
	FUZZ_ASSERT(g != NULL);
	FUZZ_ASSERT(n == 0 || gzwrite(g, d, (unsigned)n) == (int)n);
	FUZZ_ASSERT(gzclose(g) == Z_OK);
}

static int
same(const void *a, const void *b, size_t bytes)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a, b, bytes) == 0;
}

/* What differs between two results, or NULL: every bit the metrics see. */
static const char *
differs(const calib_preds *a, const calib_preds *b)
{
	size_t n = a->n, nk = a->n * (size_t)a->k, cells;
	int i;

	if (a->n != b->n || a->k != b->k || a->kind != b->kind ||
	    a->single_column != b->single_column)
		return "shape";
	for (i = 0; i < a->k; i++)
		if (strcmp(a->class_names[i], b->class_names[i]) != 0)
			return "class names";
	if (!same(a->score, b->score, n * sizeof(double)) ||
	    !same(a->outcome, b->outcome, n) ||
	    !same(a->label, b->label, n * sizeof(int32_t)) ||
	    !same(a->pred, b->pred, n * sizeof(int32_t)) ||
	    !same(a->weight, b->weight, n * sizeof(double)))
		return "per-row values";
	if (!same(a->nll, b->nll, n * sizeof(double)) ||
	    !same(a->brier, b->brier, n * sizeof(double)) ||
	    !same(a->entropy, b->entropy, n * sizeof(double)))
		return "per-row terms";
	if (!same(a->probs, b->probs, nk * sizeof(double)) ||
	    !same(a->logits, b->logits, nk * sizeof(double)))
		return "kept matrices";
	cells = (size_t)a->k * (size_t)a->classwise.bins;
	if (a->classwise.bins != b->classwise.bins ||
	    !same(a->classwise.weight, b->classwise.weight,
	    cells * sizeof(double)) ||
	    !same(a->classwise.sum_score, b->classwise.sum_score,
	    cells * sizeof(double)) ||
	    !same(a->classwise.sum_outcome, b->classwise.sum_outcome,
	    cells * sizeof(double)))
		return "classwise sums";
	if (!same(&a->total_weight, &b->total_weight, sizeof(double)) ||
	    a->tied_rows != b->tied_rows ||
	    a->renormalized_rows != b->renormalized_rows ||
	    a->zero_prob_rows != b->zero_prob_rows)
		return "totals";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		int gz, reference, threads;
	} ways[] = {
		{ 0, 1, 1 }, { 0, 0, 1 }, { 0, 0, 2 }, { 0, 0, 5 },
		{ 1, 0, 3 }, { 1, 1, 2 }
	};
	calib_read_options o;
	calib_preds *base = NULL;
	calib_error berr;
	calib_status bst;
	unsigned flags;
	size_t i;

	if (size < 1)
		return 0;
	flags = data[0];
	make_paths();
	write_files(data + 1, size - 1);

	calib_read_options_init(&o);
	if (flags & 0x01)
		o.keep = CALIB_KEEP_PROBS | CALIB_KEEP_LOGITS;
	if (flags & 0x02)
		o.renormalize = 1;
	if (flags & 0x04)
		o.kind = (flags & 0x08) ? CALIB_SCORES_LOGITS :
		    CALIB_SCORES_PROBS;
	if (flags & 0x10)
		o.target = 1;
	if (flags & 0x20)
		o.classwise_bins = 3;
	if (flags & 0x40)
		o.max_record_bytes = 1024;
	if (flags & 0x80)
		o.temperature = 0.37;

	for (i = 0; i < sizeof(ways) / sizeof(*ways); i++) {
		calib_preds *p = NULL;
		calib_error err;
		calib_status st;
		const char *d;

		memset(&err, 0, sizeof(err));
		o.reference_parser = ways[i].reference;
		o.threads = ways[i].threads;
		st = calib_read(ways[i].gz ? gz_path : plain_path, &o, &p,
		    &err);
		if (i == 0) {
			bst = st;
			berr = err;
			base = p;
			FUZZ_ASSERT((st == CALIB_OK) == (p != NULL));
			if (st != CALIB_OK)
				FUZZ_ASSERT(err.message[0] != '\0');
			continue;
		}
		if (st != bst || (st != CALIB_OK && (err.line != berr.line ||
		    err.column != berr.column ||
		    strcmp(err.column_name, berr.column_name) != 0 ||
		    strcmp(err.message, berr.message) != 0))) {
			fprintf(stderr, "way %zu (gzip %d, reference %d, "
			    "threads %d) disagrees:\n  %d %lu:%u %s\n"
			    "  base %d %lu:%u %s\n", i, ways[i].gz,
			    ways[i].reference, ways[i].threads, st, err.line,
			    err.column, err.message, bst, berr.line,
			    berr.column, berr.message);
			abort();
		}
		if (st == CALIB_OK && (d = differs(base, p)) != NULL) {
			fprintf(stderr, "way %zu (gzip %d, reference %d, "
			    "threads %d): %s differ\n", i, ways[i].gz,
			    ways[i].reference, ways[i].threads, d);
			abort();
		}
		calib_preds_free(p);
	}
	calib_preds_free(base);
	return 0;
}
