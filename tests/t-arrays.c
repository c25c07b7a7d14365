/*
 * t-arrays.c - predictions from arrays: calib_preds_from_arrays2() with
 * the dtypes numpy and PyTorch produce against calib_preds_from_arrays(),
 * --ignore-label, -inf logits, and the chunked builder giving the same
 * bits for every thread count.  Also calib_read() on .npy files written
 * here byte by byte (so the format itself is tested without numpy).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib.h"
#include "tap.h"

static int
same_preds(const calib_preds *a, const calib_preds *b)
{
	size_t n = a->n;

	if (a->n != b->n || a->k != b->k)
		return 0;
	return memcmp(a->score, b->score, n * sizeof(double)) == 0 &&
	    memcmp(a->outcome, b->outcome, n) == 0 &&
	    memcmp(a->label, b->label, n * sizeof(int32_t)) == 0 &&
	    memcmp(a->pred, b->pred, n * sizeof(int32_t)) == 0 &&
	    memcmp(a->nll, b->nll, n * sizeof(double)) == 0 &&
	    memcmp(a->brier, b->brier, n * sizeof(double)) == 0 &&
	    memcmp(a->entropy, b->entropy, n * sizeof(double)) == 0 &&
	    a->total_weight == b->total_weight &&
	    a->tied_rows == b->tied_rows &&
	    (a->classwise.bins == 0 || (a->classwise.bins ==
	    b->classwise.bins && memcmp(a->classwise.sum_score,
	    b->classwise.sum_score, (size_t)a->k * (size_t)a->classwise.bins *
	    sizeof(double)) == 0 && memcmp(a->classwise.weight,
	    b->classwise.weight, (size_t)a->k * (size_t)a->classwise.bins *
	    sizeof(double)) == 0));
}

/* A little-endian version 1.0 .npy of n x k float32 (k = 0: 1-D). */
static int
write_npy_f32(const char *path, const float *v, size_t n, size_t k)
{
	char hdr[128];
	size_t hl, pad, i;
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		return -1;
	if (k > 0)
		snprintf(hdr, sizeof(hdr), "{'descr': '<f4', 'fortran_order': "
		    "False, 'shape': (%zu, %zu), }", n, k);
	else
		snprintf(hdr, sizeof(hdr), "{'descr': '<f4', 'fortran_order': "
		    "False, 'shape': (%zu,), }", n);
	hl = strlen(hdr) + 1;
	pad = (64 - (10 + hl) % 64) % 64;
	fwrite("\x93NUMPY\x01\x00", 1, 8, fp);
	fputc((int)((hl + pad) & 0xff), fp);
	fputc((int)((hl + pad) >> 8), fp);
	fputs(hdr, fp);
	for (i = 0; i < pad; i++)
		fputc(' ', fp);
	fputc('\n', fp);
	for (i = 0; i < n * (k ? k : 1); i++) {
		uint32_t b;
		memcpy(&b, &v[i], 4);
		fputc((int)(b & 0xff), fp);
		fputc((int)(b >> 8 & 0xff), fp);
		fputc((int)(b >> 16 & 0xff), fp);
		fputc((int)(b >> 24), fp);
	}
	return fclose(fp);
}

/* Every metric of a and b, bit for bit (NaN equals NaN). */
static int
same_metrics(const calib_metrics *a, const calib_metrics *b)
{
	int id;

	if (a->n != b->n || a->classes != b->classes || a->bins != b->bins ||
	    a->computed != b->computed)
		return 0;
	for (id = 0; id < calib_metric_count(); id++) {
		double x = calib_metrics_value(a, id), y = calib_metrics_value(b,
		    id);
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return 0;
	}
	return 1;
}

/*
 * Summaries of a .npy are summed straight from the mapped file, chunk by
 * chunk over the threads, never as a matrix in memory.  With more rows
 * than one round of chunks (64Ki rows each, two per thread), every thread
 * count must give the same summary bytes, the metrics the in-memory read
 * gives (calib_read() then calib_metrics_compute()), and the metrics of a
 * CSV holding the same doubles (float32 values printed with %.17g read
 * back exactly).  Rows 7 and 11 of every 1000 carry weight 0 and 2.5.
 */
static void
many_rows(const char *dir)
{
	enum { N = 300007, K = 5 };
	char sp[512], lp[512], wp[512], cp[512];
	float *v = malloc((size_t)N * K * sizeof(float));
	float *w = malloc((size_t)N * sizeof(float));
	unsigned char *enc[4] = { NULL, NULL, NULL, NULL };
	size_t elen[4] = { 0, 0, 0, 0 };
	calib_metrics m[4], mem, csv;
	calib_read_options o;
	calib_metric_options mo;
	calib_summary *s = NULL;
	calib_preds *p = NULL;
	calib_error err;
	FILE *lf, *cf;
	uint64_t r = 88172645463325252u;
	size_t i;
	int c, t, good = 1;

	snprintf(sp, sizeof(sp), "%s/many.npy", dir);
	snprintf(lp, sizeof(lp), "%s/many-y.txt", dir);
	snprintf(wp, sizeof(wp), "%s/many-w.npy", dir);
	snprintf(cp, sizeof(cp), "%s/many.csv", dir);
	lf = fopen(lp, "w");
	cf = fopen(cp, "w");
	if (v == NULL || w == NULL || lf == NULL || cf == NULL) {
		ok(0, "set up %d rows", N);
		goto out;
	}
	fputs("label,weight,p_a,p_b,p_c,p_d,p_e\n", cf);
	for (i = 0; i < (size_t)N; i++) {
		float raw[K], tot = 0;
		int y;
		for (c = 0; c < K; c++) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			/* a few exact zeros and ones, the rest spread out */
			raw[c] = (r % 97 == 0) ? 0.0f :
			    (float)((r >> 11) % 100000) * (1.0f + (float)c);
		}
		/* p_y > 0: a finite NLL sum */
		y = (int)((r >> 40) % K);
		if (raw[y] == 0)
			raw[y] = 3;
		for (c = 0; c < K; c++)
			tot += raw[c];
		w[i] = i % 1000 == 7 ? 0.0f : i % 1000 == 11 ? 2.5f : 1.0f;
		fprintf(lf, "%d\n", y);
		fprintf(cf, "%d,%.17g", y, (double)w[i]);
		for (c = 0; c < K; c++) {
			v[i * K + (size_t)c] = raw[c] / tot;
			fprintf(cf, ",%.17g", (double)v[i * K + (size_t)c]);
		}
		fputc('\n', cf);
	}
	if (fclose(lf) != 0 || fclose(cf) != 0 ||
	    write_npy_f32(sp, v, N, K) != 0 || write_npy_f32(wp, w, N, 0) != 0) {
		ok(0, "wrote %d rows", N);
		goto out;
	}
	calib_read_options_init(&o);
	calib_metric_options_init(&mo);
	o.kind = CALIB_SCORES_PROBS;
	o.labels_path = lp;
	o.weights_path = wp;
	for (t = 0; t < 4; t++) {
		o.threads = t == 3 ? 8 : t + 1;
		if (calib_summarize(sp, &o, &mo, &s, &err) != CALIB_OK ||
		    calib_summary_encode(s, &enc[t], &elen[t], &err) !=
		    CALIB_OK || calib_summary_metrics(s, &mo, &m[t], &err) !=
		    CALIB_OK) {
			good = 0;
			diag("threads %d: %s", o.threads, err.message);
		}
		calib_summary_free(s);
		s = NULL;
	}
	for (t = 1; t < 4 && good; t++)
		if (elen[t] != elen[0] || memcmp(enc[t], enc[0], elen[0]) != 0 ||
		    !same_metrics(&m[t], &m[0]))
			good = 0;
	ok(good && m[0].n == N, "%d x %d .npy summarized with 1, 2, 3 and 8 "
	    "threads: the same summary bytes and metrics", N, K);
	o.threads = 2;
	ok(calib_read(sp, &o, &p, &err) == CALIB_OK &&
	    calib_metrics_compute(p, &mo, NULL, &mem) == CALIB_OK &&
	    same_metrics(&mem, &m[0]), "... the metrics of the rows read into "
	    "memory");
	calib_preds_free(p);
	p = NULL;
	o.labels_path = o.weights_path = NULL;
	o.kind = CALIB_SCORES_AUTO;
	ok(calib_summarize(cp, &o, &mo, &s, &err) == CALIB_OK &&
	    calib_summary_metrics(s, &mo, &csv, &err) == CALIB_OK &&
	    same_metrics(&csv, &m[0]), "... and of a CSV of the same doubles");
	calib_summary_free(s);
out:
	for (t = 0; t < 4; t++)
		free(enc[t]);
	free(v);
	free(w);
	unlink(sp);
	unlink(lp);
	unlink(wp);
	unlink(cp);
}

/*
 * Damaged NumPy files: every fixture with bytes flipped, truncated or
 * zeroed at deterministic positions must read or fail cleanly (under
 * ASan/UBSan in CI: no crash, no overread), and never with a raw byte in
 * the message.
 */
static void
mutations(const char *dir, const char *tmp)
{
	static const char *const files[] = { "eval.npz", "eval-deflated.npz",
	    "logits-f16.npy", "logits-f64-be-fortran.npy", "top.npz",
	    "logits-v3.npy" };
	char path[512], out[512], labels[512];
	size_t f;
	int bad = 0, tried = 0;
	FILE *lf;

	if (snprintf(labels, sizeof(labels), "%s/y6.txt", tmp) >=
	    (int)sizeof(labels) || (lf = fopen(labels, "w")) == NULL)
		return;
	fputs("2\n1\n1\n2\n0\n0\n", lf);
	fclose(lf);

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		unsigned char *buf;
		size_t len, pos;
		FILE *fp;
		if (snprintf(path, sizeof(path), "%s/%s", dir, files[f]) >=
		    (int)sizeof(path))
			return;
		fp = fopen(path, "rb");
		if (fp == NULL)
			continue;
		buf = malloc(1 << 16);
		len = fread(buf, 1, 1 << 16, fp);
		fclose(fp);
		if (snprintf(out, sizeof(out), "%s/mutant", tmp) >=
		    (int)sizeof(out))
			return;
		for (pos = 0; pos < len; pos += len / 97 + 1) {
			int kind;
			for (kind = 0; kind < 3; kind++) {
				calib_read_options o;
				calib_preds *p = NULL;
				calib_error err;
				calib_status st;
				const char *m;
				unsigned char save = buf[pos];
				size_t wlen = kind == 2 ? pos : len;
				if (kind == 0)
					buf[pos] ^= 0x5a;
				else if (kind == 1)
					buf[pos] = 0xff;
				fp = fopen(out, "wb");
				fwrite(buf, 1, wlen, fp);
				fclose(fp);
				buf[pos] = save;
				calib_read_options_init(&o);
				o.kind = CALIB_SCORES_LOGITS;
				o.labels_path = strstr(files[f], ".npy") ?
				    labels : NULL;
				st = calib_read(out, &o, &p, &err);
				tried++;
				if (st != CALIB_OK && st != CALIB_E_FORMAT &&
				    st != CALIB_E_ARG && st != CALIB_E_MISMATCH)
					bad++;
				for (m = err.message; st != CALIB_OK && *m; m++)
					if ((unsigned char)*m < 0x20)
						bad++;
				calib_preds_free(p);
			}
		}
		free(buf);
	}
	unlink(labels);
	ok(tried > 1000 && bad == 0, "%d damaged .npy and .npz files read "
	    "or fail cleanly", tried);
}

int
main(void)
{
	enum { N = 150000, K = 4 };
	float *f = malloc((size_t)N * K * sizeof(float));
	double *d = malloc((size_t)N * K * sizeof(double));
	int64_t *y64 = malloc((size_t)N * sizeof(int64_t));
	int32_t *y32 = malloc((size_t)N * sizeof(int32_t));
	calib_read_options o;
	calib_preds *a = NULL, *b = NULL, *c = NULL;
	calib_error err;
	calib_status st;
	unsigned long s = 12345;
	size_t i;
	int j, t;
	char dir[] = "/tmp/calib-t-arrays.XXXXXX", path[64], lpath[64];

	if (f == NULL || d == NULL || y64 == NULL || y32 == NULL)
		return 99;
	for (i = 0; i < (size_t)N * K; i++) {
		s = s * 6364136223846793005ul + 1442695040888963407ul;
		f[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 8 - 4);
		d[i] = f[i];
	}
	for (i = 0; i < N; i++) {
		y32[i] = (int32_t)(i * 7 % K);
		y64[i] = y32[i];
	}
	calib_read_options_init(&o);
	o.kind = CALIB_SCORES_LOGITS;
	o.threads = 1;

	st = calib_preds_from_arrays("t", N, K, d, y32, NULL, &o, &a, &err);
	ok(st == CALIB_OK, "double scores, int32 labels");
	st = calib_preds_from_arrays2("t", N, K, f, CALIB_FLOAT32, y64,
	    CALIB_INT64, NULL, &o, &b, &err);
	ok(st == CALIB_OK, "float32 scores, int64 labels");
	ok(a && b && same_preds(a, b), "float32/int64 give the same bits as "
	    "double/int32 (every float32 is a double)");
	for (t = 2; t <= 3; t++) {
		o.threads = t;
		st = calib_preds_from_arrays2("t", N, K, f, CALIB_FLOAT32, y64,
		    CALIB_INT64, NULL, &o, &c, &err);
		ok(st == CALIB_OK && a && same_preds(a, c),
		    "%d threads over %d-row chunks: the same bits", t, N);
		calib_preds_free(c);
		c = NULL;
	}
	o.threads = 0;
	st = calib_preds_from_arrays2("t", N, K, f, CALIB_INT32, y64,
	    CALIB_INT64, NULL, &o, &c, &err);
	ok(st == CALIB_E_ARG, "int32 scores refused");
	st = calib_preds_from_arrays2("t", N, K, f, CALIB_FLOAT32, y64,
	    CALIB_FLOAT64, NULL, &o, &c, &err);
	ok(st == CALIB_E_ARG, "float labels refused by from_arrays2");

	/* --ignore-label: rows dropped, counted, the rest unchanged */
	{
		int64_t yi[4] = { 0, -100, 2, 1 };
		double z[12] = { 1, 0, 0, 5, 5, 5, 0, -INFINITY, 3, 0, 2, 1 };
		double z2[9] = { 1, 0, 0, 0, -INFINITY, 3, 0, 2, 1 };
		int32_t y2[3] = { 0, 2, 1 };
		calib_preds *p = NULL, *q = NULL;
		o.ignore_label_set = 1;
		o.ignore_label = -100;
		st = calib_preds_from_arrays2("t", 4, 3, z, CALIB_FLOAT64, yi,
		    CALIB_INT64, NULL, &o, &p, &err);
		ok(st == CALIB_OK && p->n == 3 && p->dropped_rows == 1,
		    "ignore_label -100 drops one row of four");
		o.ignore_label_set = 0;
		st = calib_preds_from_arrays("t", 3, 3, z2, y2, NULL, &o, &q,
		    &err);
		ok(st == CALIB_OK && p && same_preds(p, q),
		    "... leaving what the other three rows give");
		/* row 3: logits (0, -inf, 3): p = (1/(1+e^3), 0, e^3/(1+e^3)) */
		near(p ? p->score[1] : 0, exp(3) / (1 + exp(3)), 1e-15,
		    "-inf logit: probability 0, the rest a softmax");
		calib_preds_free(p);
		calib_preds_free(q);
		st = calib_preds_from_arrays2("t", 4, 3, z, CALIB_FLOAT64, yi,
		    CALIB_INT64, NULL, &o, &p, &err);
		ok(st == CALIB_E_FORMAT && err.line == 2 &&
		    strstr(err.message, "label -100 out of range 0..2 (to "
		    "drop rows with this label, give --ignore-label)") != NULL,
		    "without ignore_label: row 2 refused, the flag named");
	}

	/* .npy through calib_read(), written here byte by byte */
	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/s.npy", dir);
	snprintf(lpath, sizeof(lpath), "%s/y.txt", dir);
	{
		FILE *fp = fopen(lpath, "w");
		for (i = 0; i < 1000; i++)
			fprintf(fp, "%d\n", (int)y32[i]);
		fclose(fp);
	}
	ok(write_npy_f32(path, f, 1000, K) == 0, "wrote a 1000 x 4 float32 .npy");
	calib_read_options_init(&o);
	o.kind = CALIB_SCORES_LOGITS;
	o.labels_path = lpath;
	st = calib_read(path, &o, &c, &err);
	ok(st == CALIB_OK && c->n == 1000 && c->k == K &&
	    strcmp(c->format, "npy") == 0, "calib_read picks .npy by its magic");
	calib_preds_free(a);
	a = NULL;
	o.labels_path = NULL;
	st = calib_preds_from_arrays2("t", 1000, K, f, CALIB_FLOAT32, y64,
	    CALIB_INT64, NULL, &o, &a, &err);
	ok(st == CALIB_OK && c && same_preds(a, c),
	    ".npy + text labels == the same arrays from memory");
	calib_preds_free(c);
	c = NULL;
	o.labels_path = lpath;
	o.kind = CALIB_SCORES_AUTO;
	st = calib_read(path, &o, &c, &err);
	ok(st == CALIB_E_ARG && strstr(err.message, "--logits or --probs"),
	    "a bare .npy needs the meaning of its scores");
	/* 1-D: a binary file's P(class 1) */
	{
		float pr[4] = { 0.25f, 0.5f, 0.75f, 1.0f };
		o.kind = CALIB_SCORES_PROBS;
		ok(write_npy_f32(path, pr, 4, 0) == 0, "wrote a 1-D .npy");
		{
			FILE *fp = fopen(lpath, "w");
			fputs("0\n1\n1\n1\n", fp);
			fclose(fp);
		}
		st = calib_read(path, &o, &c, &err);
		ok(st == CALIB_OK && c->k == 2 && c->single_column &&
		    c->n == 4, "1-D scores: binary, K = 2");
		/* top-label confidences max(p, 1-p): .75 .5 .75 1 */
		near(c ? c->score[0] + c->score[1] + c->score[2] +
		    c->score[3] : 0, 3.0, 1e-15, "confidences max(p, 1 - p)");
		calib_preds_free(c);
		c = NULL;
	}
	{
		const char *top = getenv("top_srcdir");
		char npy[512], mut[96];
		if (snprintf(npy, sizeof(npy), "%s/tests/data/npy",
		    top ? top : "..") < (int)sizeof(npy))
			mutations(npy, dir);
		snprintf(mut, sizeof(mut), "%s/mutant", dir);
		unlink(mut);
	}
	many_rows(dir);
	for (j = 0; j < 2; j++) {
		const char *nm = j ? lpath : path;
		unlink(nm);
	}
	rmdir(dir);

	calib_preds_free(a);
	calib_preds_free(b);
	free(f);
	free(d);
	free(y64);
	free(y32);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
