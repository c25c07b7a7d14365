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
#include "differs.h"

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
		if (st == CALIB_OK && (d = fuzz_differs(base, p)) != NULL) {
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
