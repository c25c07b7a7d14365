/*
 * fuzz-arrays.c - libFuzzer target for the NumPy readers (.npy, and .npz
 * through the zip reader).  Input: a flags byte, a 16-bit little-endian
 * length m, m bytes of a labels file (none when m is 0: an .npz carries
 * its own), then the scores file.  The scores file is read plain (mapped)
 * and gzip-compressed (read and inflated), at 1 and 3 threads: every way
 * must give the same status and error, or bit-identical results.
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

static char dir[512], scores_path[600], gz_path[600], labels_path[600];

static void
remove_files(void)
{
	unlink(scores_path);
	unlink(gz_path);
	unlink(labels_path);
	rmdir(dir);
}

static void
make_paths(void)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "%s/calib-fuzz-XXXXXX", tmp && *tmp ?
	    tmp : "/tmp");
	FUZZ_ASSERT(mkdtemp(dir) != NULL);
	snprintf(scores_path, sizeof(scores_path), "%s/scores", dir);
	snprintf(gz_path, sizeof(gz_path), "%s/scores.gz", dir);
	snprintf(labels_path, sizeof(labels_path), "%s/labels", dir);
	atexit(remove_files);
}

static void
put(const char *path, const uint8_t *d, size_t n, int gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb1");
		FUZZ_ASSERT(g != NULL);
		FUZZ_ASSERT(n == 0 || gzwrite(g, d, (unsigned)n) == (int)n);
		FUZZ_ASSERT(gzclose(g) == Z_OK);
	} else {
		FILE *f = fopen(path, "wb");
		FUZZ_ASSERT(f != NULL);
		FUZZ_ASSERT(n == 0 || fwrite(d, 1, n, f) == n);
		FUZZ_ASSERT(fclose(f) == 0);
	}
}

/* calib_summarize() sums arrays straight from the mapped file in chunks
 * over the threads: 1 and 3 threads must agree on the status, the error
 * and, when it succeeds, every byte of the summary. */
static void
summarize_ways(calib_read_options *o)
{
	calib_metric_options mo;
	calib_summary *s[2] = { NULL, NULL };
	calib_error err[2];
	calib_status st[2];
	unsigned char *buf[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	int i;

	calib_metric_options_init(&mo);
	for (i = 0; i < 2; i++) {
		memset(&err[i], 0, sizeof(err[i]));
		o->threads = i == 0 ? 1 : 3;
		st[i] = calib_summarize(scores_path, o, &mo, &s[i], &err[i]);
		FUZZ_ASSERT((st[i] == CALIB_OK) == (s[i] != NULL));
		if (st[i] != CALIB_OK)
			FUZZ_ASSERT(err[i].message[0] != '\0');
		else
			FUZZ_ASSERT(calib_summary_encode(s[i], &buf[i],
			    &len[i], &err[i]) == CALIB_OK);
	}
	if (st[0] != st[1] || (st[0] != CALIB_OK &&
	    (err[0].line != err[1].line || err[0].column != err[1].column ||
	    strcmp(err[0].message, err[1].message) != 0))) {
		fprintf(stderr, "summarize: 1 and 3 threads disagree:\n"
		    "  %d %lu:%u %s\n  %d %lu:%u %s\n", st[0], err[0].line,
		    err[0].column, err[0].message, st[1], err[1].line,
		    err[1].column, err[1].message);
		abort();
	}
	if (st[0] == CALIB_OK && (len[0] != len[1] ||
	    memcmp(buf[0], buf[1], len[0]) != 0)) {
		fprintf(stderr, "summarize: 1 and 3 threads give different "
		    "summaries\n");
		abort();
	}
	for (i = 0; i < 2; i++) {
		free(buf[i]);
		calib_summary_free(s[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		int gz, threads;
	} ways[] = { { 0, 1 }, { 0, 3 }, { 1, 1 }, { 1, 3 } };
	calib_read_options o;
	calib_preds *base = NULL;
	calib_error berr;
	calib_status bst = CALIB_OK;
	size_t m, i;
	unsigned flags;

	if (size < 3)
		return 0;
	flags = data[0];
	m = (size_t)data[1] | (size_t)data[2] << 8;
	if (m > size - 3)
		return 0;
	make_paths();
	put(labels_path, data + 3, m, 0);
	put(scores_path, data + 3 + m, size - 3 - m, 0);
	put(gz_path, data + 3 + m, size - 3 - m, 1);

	calib_read_options_init(&o);
	if (m > 0)
		o.labels_path = labels_path;
	if (flags & 0x01)
		o.keep = CALIB_KEEP_PROBS | CALIB_KEEP_LOGITS;
	if (flags & 0x02)
		o.renormalize = 1;
	if (flags & 0x04)
		o.kind = (flags & 0x08) ? CALIB_SCORES_LOGITS :
		    CALIB_SCORES_PROBS;
	if (flags & 0x10)
		o.target = 1;
	if (flags & 0x20) {
		o.ignore_label_set = 1;
		o.ignore_label = -100;
	}

	for (i = 0; i < sizeof(ways) / sizeof(*ways); i++) {
		calib_preds *p = NULL;
		calib_error err;
		calib_status st;
		const char *d;

		memset(&err, 0, sizeof(err));
		o.threads = ways[i].threads;
		st = calib_read(ways[i].gz ? gz_path : scores_path, &o, &p,
		    &err);
		FUZZ_ASSERT((st == CALIB_OK) == (p != NULL));
		if (st != CALIB_OK)
			FUZZ_ASSERT(err.message[0] != '\0');
		if (i == 0) {
			bst = st;
			berr = err;
			base = p;
			continue;
		}
		if (st != bst || (st != CALIB_OK && (err.line != berr.line ||
		    err.column != berr.column ||
		    strcmp(err.message, berr.message) != 0))) {
			fprintf(stderr, "way %zu (gzip %d, threads %d) "
			    "disagrees:\n  %d %lu:%u %s\n  base %d %lu:%u %s\n",
			    i, ways[i].gz, ways[i].threads, st, err.line,
			    err.column, err.message, bst, berr.line,
			    berr.column, berr.message);
			abort();
		}
		if (st == CALIB_OK && (d = fuzz_differs(base, p)) != NULL) {
			fprintf(stderr, "way %zu (gzip %d, threads %d): %s "
			    "differ\n", i, ways[i].gz, ways[i].threads, d);
			abort();
		}
		calib_preds_free(p);
	}
	calib_preds_free(base);
	summarize_ways(&o);
	return 0;
}
