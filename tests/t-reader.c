/*
 * t-reader.c - the differential test of the reader: the fast path and the
 * reference path (libcsv + strtod for every row), at several thread counts,
 * must give bit-identical results on every test file, on generated files
 * with every formatting quirk we accept, and on gzip copies; errors deep in
 * a file must report the same line whatever the thread count.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <zlib.h>

#include "calib.h"
#include "tap.h"

static int
same_array(const void *a, const void *b, size_t bytes)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a, b, bytes) == 0;
}

/* Everything the metrics can see must be equal to the bit. */
static const char *
differs(const calib_preds *a, const calib_preds *b)
{
	size_t n = a->n, nk = a->n * (size_t)a->k, cells;
	int i;

	if (a->n != b->n || a->k != b->k)
		return "row or class count";
	if (a->kind != b->kind || a->single_column != b->single_column)
		return "kind";
	for (i = 0; i < a->k; i++)
		if (strcmp(a->class_names[i], b->class_names[i]) != 0)
			return "class names";
	if (!same_array(a->score, b->score, n * sizeof(double)))
		return "scores";
	if (!same_array(a->outcome, b->outcome, n))
		return "outcomes";
	if (!same_array(a->label, b->label, n * sizeof(int32_t)))
		return "labels";
	if (!same_array(a->pred, b->pred, n * sizeof(int32_t)))
		return "predictions";
	if (!same_array(a->weight, b->weight, n * sizeof(double)))
		return "weights";
	if (!same_array(a->nll, b->nll, n * sizeof(double)) ||
	    !same_array(a->brier, b->brier, n * sizeof(double)) ||
	    !same_array(a->entropy, b->entropy, n * sizeof(double)))
		return "per-row terms";
	if (!same_array(a->probs, b->probs, nk * sizeof(double)) ||
	    !same_array(a->logits, b->logits, nk * sizeof(double)))
		return "kept matrices";
	if (a->classwise.bins != b->classwise.bins)
		return "classwise bins";
	cells = (size_t)a->k * (size_t)a->classwise.bins;
	if (!same_array(a->classwise.weight, b->classwise.weight,
	    cells * sizeof(double)) ||
	    !same_array(a->classwise.sum_score, b->classwise.sum_score,
	    cells * sizeof(double)) ||
	    !same_array(a->classwise.sum_outcome, b->classwise.sum_outcome,
	    cells * sizeof(double)))
		return "classwise sums";
	if (!same_array(&a->total_weight, &b->total_weight, sizeof(double)))
		return "total weight";
	if (a->tied_rows != b->tied_rows ||
	    a->renormalized_rows != b->renormalized_rows ||
	    a->zero_prob_rows != b->zero_prob_rows)
		return "counts";
	return NULL;
}

static calib_preds *
read_with(const char *path, const calib_read_options *base, int threads,
    int reference, calib_error *err)
{
	calib_read_options o = *base;
	calib_preds *p = NULL;

	o.threads = threads;
	o.reference_parser = reference;
	if (calib_read(path, &o, &p, err) != CALIB_OK)
		return NULL;
	return p;
}

static char tmpdir[256];

/*
 * Read path through a named pipe, which a child fills: a regular file is
 * mapped and parsed in place, a pipe is read in chunks and carried over
 * between blocks; both must see the same blocks.
 */
static calib_preds *
read_via_fifo(const char *path, const calib_read_options *base, int threads,
    calib_error *err)
{
	char fifo[512];
	calib_read_options o = *base;
	calib_preds *p = NULL;
	calib_status st;
	pid_t pid;

	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	unlink(fifo);
	if (mkfifo(fifo, 0600) != 0)
		return NULL;
	if ((pid = fork()) == 0) {
		FILE *in = fopen(path, "rb"), *out = fopen(fifo, "wb");
		char buf[65536];
		size_t n;
		signal(SIGPIPE, SIG_DFL);
		while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
			if (fwrite(buf, 1, n, out) != n)
				break;
		if (out != NULL)
			fclose(out);
		_exit(0);
	}
	o.threads = threads;
	st = calib_read(fifo, &o, &p, err);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	unlink(fifo);
	return st == CALIB_OK ? p : NULL;
}

/* Read path every way; all must agree with one thread on the fast path. */
static void
check_file(const char *path, const calib_read_options *o, const char *what)
{
	static const struct {
		int threads, reference;
	} ways[] = { { 2, 0 }, { 3, 0 }, { 8, 0 }, { 1, 1 }, { 2, 1 } };
	calib_error err;
	calib_preds *base = read_with(path, o, 1, 0, &err);
	size_t i;

	if (!ok(base != NULL, "%s: read", what)) {
		diag("  %s:%lu:%u: %s", err.file, err.line, err.column,
		    err.message);
		return;
	}
	for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		calib_preds *p = read_with(path, o, ways[i].threads,
		    ways[i].reference, &err);
		const char *d = p ? differs(base, p) : "read failed";
		ok(d == NULL, "%s: %d thread%s, %s path identical%s%s", what,
		    ways[i].threads, ways[i].threads > 1 ? "s" : "",
		    ways[i].reference ? "reference" : "fast", d ? ": " : "",
		    d ? d : "");
		calib_preds_free(p);
	}
	{
		calib_preds *p = read_via_fifo(path, o, 2, &err);
		const char *d = p ? differs(base, p) : "read failed";
		if (!ok(d == NULL, "%s: read through a pipe, not mapped, "
		    "identical%s%s", what, d ? ": " : "", d ? d : "") &&
		    p == NULL)
			diag("  %s:%lu:%u: %s", err.file, err.line, err.column,
			    err.message);
		calib_preds_free(p);
	}
	calib_preds_free(base);
}

static void
gzip_copy(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb");
	gzFile out = gzopen(dst, "wb6");
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		gzwrite(out, buf, (unsigned)n);
	fclose(in);
	gzclose(out);
}

static void
path_in_tmp(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* Plain %.6g probabilities, large enough for several blocks and batches. */
static void
gen_plain(const char *path, gsl_rng *r, int rows, int k)
{
	FILE *f = fopen(path, "w");
	double *p = malloc((size_t)k * sizeof(double));
	int i, j;

	fprintf(f, "label");
	for (j = 0; j < k; j++)
		fprintf(f, ",p_%d", j);
	fputc('\n', f);
	for (i = 0; i < rows; i++) {
		double s = 0;
		for (j = 0; j < k; j++) {
			p[j] = -log(gsl_rng_uniform_pos(r));
			s += p[j];
		}
		fprintf(f, "%d", (int)gsl_rng_uniform_int(r, (unsigned long)k));
		for (j = 0; j < k; j++)
			fprintf(f, ",%.6g", p[j] / s);
		fputc('\n', f);
	}
	free(p);
	fclose(f);
}

/*
 * Every quirk the reader accepts, mixed row by row: BOM, CRLF, quoted
 * header names and fields, blanks around fields, long and exponent-form
 * numbers, a weight column, class names, and a class name holding a
 * newline so some records span two lines (and some of those straddle a
 * block boundary).
 */
static void
gen_messy(const char *path, gsl_rng *r, int rows, char delim)
{
	static const char *names[4] = { "cat", "dog", "a\"\"b", "x\ny" };
	static const char *labels[4] = { "cat", "dog", "\"a\"\"b\"", "\"x\ny\"" };
	FILE *f = fopen(path, "wb");
	int i, j;

	fputs("\xEF\xBB\xBF", f);
	fprintf(f, "\"label\"%c\"weight\"", delim);
	for (j = 0; j < 4; j++)
		fprintf(f, "%c\"p_%s\"", delim, names[j]);
	fputs("\r\n", f);
	for (i = 0; i < rows; i++) {
		double p[4], s = 0;
		int y = (int)gsl_rng_uniform_int(r, 4);
		for (j = 0; j < 4; j++) {
			p[j] = -log(gsl_rng_uniform_pos(r));
			s += p[j];
		}
		fputs(labels[y], f);
		fprintf(f, "%c%.3g", delim, 0.5 + gsl_rng_uniform(r));
		for (j = 0; j < 4; j++) {
			double v = p[j] / s;
			fputc(delim, f);
			switch (gsl_rng_uniform_int(r, 8)) {
			case 0:
				fprintf(f, "\"%.9g\"", v);
				break;
			case 1:
				fprintf(f, " %.9g ", v);
				break;
			case 2:
				fprintf(f, "%.25f", v);
				break;
			case 3:
				fprintf(f, "%.17e", v);
				break;
			case 4:
				fprintf(f, "%.17g", v);
				break;
			default:
				fprintf(f, "%.6g", v);
			}
		}
		fputs(i % 3 ? "\r\n" : "\n", f);
	}
	fclose(f);
}

/*
 * Labels and class names that quoting and blanks change (issue 10): a
 * class named 'a' and one named '"a"', one named ' b' (quoted, so the
 * blank stays) and one named 'b', and a label written quoted, padded or
 * bare.  CSV reads '"a"' as a, ' b' unquoted as b and '" b"' as ' b'; the
 * fast path must read them so too, or leave them to the reference path.
 */
static void
gen_quoted(const char *path, gsl_rng *r, int rows)
{
	static const char *const forms[4][4] = {
		{ "a", "\"a\"", " a", "a\t" },        /* class a */
		{ "\"\"\"a\"\"\"", "\"\"\"a\"\"\"", "\"\"\"a\"\"\"", " \"\"\"a\"\"\"" },
		{ "\" b\"", "\" b\"", "\" b\"", "\" b\"" },      /* class ' b' */
		{ "b", " b", "\"b\"", "b  " }          /* class b */
	};
	FILE *f = fopen(path, "w");
	int i, j;

	fputs("label,p_a,\"p_\"\"a\"\"\",\"p_ b\", p_b \n", f);
	for (i = 0; i < rows; i++) {
		double p[4], s = 0;
		int y = (int)gsl_rng_uniform_int(r, 4);
		for (j = 0; j < 4; j++) {
			p[j] = -log(gsl_rng_uniform_pos(r));
			s += p[j];
		}
		fputs(forms[y][gsl_rng_uniform_int(r, 4)], f);
		for (j = 0; j < 4; j++)
			fprintf(f, j == 2 && i % 5 == 0 ? ", %.6g " : ",%.6g",
			    p[j] / s);
		fputc('\n', f);
	}
	fclose(f);
}

/* Logits with class names as labels, semicolons, no final newline. */
static void
gen_logits(const char *path, gsl_rng *r, int rows)
{
	FILE *f = fopen(path, "w");
	int i, j;

	fputs("logit_ant;logit_bee;logit_cow;label", f);
	for (i = 0; i < rows; i++) {
		static const char *nm[3] = { "ant", "bee", "cow" };
		fputc('\n', f);
		for (j = 0; j < 3; j++)
			fprintf(f, "%.9g;", 8 * (gsl_rng_uniform(r) - 0.5));
		fputs(nm[gsl_rng_uniform_int(r, 3)], f);
	}
	fclose(f);
}

static void
check_dir(const char *dir, const calib_read_options *o)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];

	if (d == NULL) {
		diag("no directory %s", dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 4 || e->d_name[0] == '.')
			continue;
		if (strcmp(e->d_name + len - 4, ".csv") != 0 &&
		    (len < 7 || strcmp(e->d_name + len - 7, ".csv.gz") != 0))
			continue;
		/* Files named bad-* are meant to fail. */
		if (strncmp(e->d_name, "bad-", 4) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		check_file(path, o, e->d_name);
	}
	closedir(d);
}

/* An error at a known line after multi-line records, across blocks. */
static void
check_error_line(gsl_rng *r)
{
	char path[512];
	FILE *f;
	int i, t, good = 1;
	unsigned long want = 0, line = 1;

	path_in_tmp(path, sizeof(path), "late-error.csv");
	f = fopen(path, "w");
	fputs("label,p_a,\"p_b\nc\"\n", f);
	line = 2; /* lines used so far: the header takes two */
	for (i = 0; i < 60000; i++) {
		double v = gsl_rng_uniform(r);
		if (i == 50000) {
			/* a good row, then the bad one */
			want = line + 2;
			fprintf(f, "a,0.5,0.5\n");
			fprintf(f, "a,0.5,abc\n");
			line += 2;
			continue;
		}
		if (i % 7 == 0) {
			fprintf(f, "\"b\nc\",%.6g,%.6g\n", v, 1 - v);
			line += 2;
		} else {
			fprintf(f, "a,%.6g,%.6g\n", v, 1 - v);
			line += 1;
		}
	}
	fclose(f);
	for (t = 1; t <= 5; t++) {
		calib_read_options o;
		calib_error err;
		calib_preds *p = NULL;
		calib_status st;
		calib_read_options_init(&o);
		o.threads = t >= 4 ? 2 : t;
		o.reference_parser = t == 4;
		memset(&err, 0, sizeof(err));
		if (t == 5) {
			/* the same through a pipe (not mapped) */
			p = read_via_fifo(path, &o, 2, &err);
			st = p == NULL ? err.status : CALIB_OK;
		} else {
			st = calib_read(path, &o, &p, &err);
		}
		if (st != CALIB_E_FORMAT ||
		    err.line != want || err.column != 3) {
			good = 0;
			diag("threads %d ref %d: line %lu col %u (want %lu:3): %s",
			    o.threads, o.reference_parser, err.line, err.column,
			    want, err.message);
		}
		calib_preds_free(p);
	}
	ok(good, "an error at line %lu after multi-line records is reported "
	    "there for every thread count, both paths, mapped or piped",
	    want);
}

int
main(void)
{
	calib_read_options o;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	char a[512], b[512], dir[1024];
	const char *tmp = getenv("TMPDIR");
	const char *src = getenv("top_srcdir");

	snprintf(tmpdir, sizeof(tmpdir), "%s/calib-t-reader-XXXXXX",
	    tmp ? tmp : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		skip_all("cannot make a temporary directory");
	gsl_rng_set(r, 1);
	calib_read_options_init(&o);

	path_in_tmp(a, sizeof(a), "plain.csv");
	gen_plain(a, r, 150000, 10);
	check_file(a, &o, "150000 x 10 %.6g");
	path_in_tmp(b, sizeof(b), "plain.csv.gz");
	gzip_copy(a, b);
	check_file(b, &o, "its gzip copy");
	{
		calib_error err;
		calib_preds *p = read_with(a, &o, 2, 0, &err);
		calib_preds *q = read_with(b, &o, 2, 0, &err);
		const char *d = p && q ? differs(p, q) : "read failed";
		ok(d == NULL, "gzip and plain give identical data%s%s",
		    d ? ": " : "", d ? d : "");
		calib_preds_free(p);
		calib_preds_free(q);
	}
	{
		calib_read_options ko = o;
		ko.keep = CALIB_KEEP_PROBS | CALIB_KEEP_LOGITS;
		ko.temperature = 1.7;
		check_file(a, &ko, "kept matrices, temperature 1.7");
	}
	/* Without the row terms: every way agrees, and everything else is
	 * what a full read gives (probabilities as given, which skip the
	 * logs; a temperature, which does not; kept logits) */
	{
		static const struct {
			double t;
			unsigned keep;
			const char *what;
		} ways[] = {
			{ 1, 0, "as given" },
			{ 1.7, 0, "temperature 1.7" },
			{ 1, CALIB_KEEP_LOGITS, "logits kept" },
		};
		size_t w;
		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			calib_read_options fo = o, oo;
			calib_preds *f, *g;
			calib_error err;
			char what[120];
			const char *d;
			fo.keep = CALIB_KEEP_PROBS | ways[w].keep;
			fo.temperature = ways[w].t;
			oo = fo;
			oo.keep |= CALIB_OMIT_ROW_TERMS;
			snprintf(what, sizeof(what), "no row terms, %s",
			    ways[w].what);
			check_file(a, &oo, what);
			f = read_with(a, &fo, 2, 0, &err);
			g = read_with(a, &oo, 2, 0, &err);
			if (f != NULL && g != NULL) {
				calib_preds h = *f;
				h.nll = h.brier = h.entropy = NULL;
				d = g->nll || g->brier || g->entropy ?
				    "terms built" : differs(&h, g);
			} else {
				d = "read failed";
			}
			ok(d == NULL, "%s: all but the terms as a full "
			    "read%s%s", what, d ? ": " : "", d ? d : "");
			calib_preds_free(f);
			calib_preds_free(g);
		}
	}

	path_in_tmp(a, sizeof(a), "messy-comma.csv");
	gen_messy(a, r, 60000, ',');
	check_file(a, &o, "messy, comma");
	path_in_tmp(a, sizeof(a), "messy-tab.tsv");
	gen_messy(a, r, 20000, '\t');
	check_file(a, &o, "messy, tab");
	{
		calib_read_options to = o;
		to.delimiter = '\t';
		check_file(a, &to, "messy, tab given");
	}

	path_in_tmp(a, sizeof(a), "logits.csv");
	gen_logits(a, r, 30000);
	check_file(a, &o, "logits with names, semicolons");
	{
		calib_read_options to = o;
		to.target = 2;
		to.keep = CALIB_KEEP_LOGITS;
		check_file(a, &to, "one-vs-rest class 2");
	}

	path_in_tmp(a, sizeof(a), "quoted-labels.csv");
	gen_quoted(a, r, 40000);
	check_file(a, &o, "quoted and padded labels and names");
	{
		/* the case the fast path once read as class '"a"' */
		calib_error err;
		calib_preds *p, *q;
		FILE *f;
		path_in_tmp(a, sizeof(a), "quote-label.csv");
		f = fopen(a, "w");
		fputs("label,\"p_\"\"a\"\"\",p_a\n\"a\",0.9,0.1\n", f);
		fclose(f);
		p = read_with(a, &o, 1, 0, &err);
		q = read_with(a, &o, 1, 1, &err);
		ok(p != NULL && q != NULL && p->label[0] == 1 &&
		    q->label[0] == 1, "'\"a\"' is the label a on both paths");
		calib_preds_free(p);
		calib_preds_free(q);
	}

	check_error_line(r);

	if (src != NULL) {
		snprintf(dir, sizeof(dir), "%s/tests/data", src);
		check_dir(dir, &o);
		snprintf(dir, sizeof(dir), "%s/../shared/data/real", src);
		if (access(dir, R_OK) == 0)
			check_dir(dir, &o);
		else
			diag("../shared/data/real absent: real files not read");
	}
	gsl_rng_free(r);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return done_testing();
}
