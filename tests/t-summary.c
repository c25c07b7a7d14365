/*
 * t-summary.c - the Poisson counts and the summary parser: counts are a
 * function of (seed, row, replicate) with the Poisson(1) law; a summary
 * survives encoding, and every truncation and every single-byte change of
 * one is refused cleanly (a small exhaustive fuzz, run under ASan in CI);
 * a Poisson replicate holds exactly the sums of the resample it stands
 * for, each row physically repeated its count times.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "tap.h"
#include "calib.h"
#include "../src/lib/summary.h"

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A copy of the summary buf with its bins (which 0) or replicates
 * (which 1) field set to v and the checksum made right again: a file
 * that claims far more than its bytes hold. */
static unsigned char *
claim(const unsigned char *buf, size_t len, int which, uint32_t v)
{
	unsigned char *c = malloc(len);
	size_t at = 20, k, i;

	if (c == NULL)
		return NULL;
	memcpy(c, buf, len);
	k = get32(c + at);
	at += 4;
	for (i = 0; i < k; i++)
		at += 4 + get32(c + at);
	/* target 4, five flags, model CRC 4, three doubles: then bins and
	 * replicates (docs/calsum.md) */
	at += 4 + 5 + 4 + 24 + (which ? 4 : 0);
	put32(c + at, v);
	put32(c + len - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), c,
	    (uInt)(len - 4)));
	return c;
}

/* 1 when the exact sums a and b are equal (normalised digits are
 * canonical). */
static int
xsum_eq(const ci_xsum *a, const ci_xsum *b)
{
	ci_xsum x = *a, y = *b;

	ci_xsum_normalize(&x);
	ci_xsum_normalize(&y);
	return memcmp(x.d, y.d, sizeof(x.d)) == 0;
}

/* Where the sums of a and b differ, or NULL when every one is equal. */
static const char *
acc_diff(const ci_acc *a, const ci_acc *b)
{
	int j;

	if (a->bins != b->bins)
		return "bins";
	for (j = 0; j < a->bins; j++) {
		if (a->count[j] != b->count[j])
			return "bin count";
		if (!xsum_eq(&a->bw[j], &b->bw[j]))
			return "bin weight";
		if (!xsum_eq(&a->bs[j], &b->bs[j]))
			return "bin score sum";
		if (!xsum_eq(&a->bo[j], &b->bo[j]))
			return "bin outcome sum";
		if (!xsum_eq(&a->bw2[j], &b->bw2[j]))
			return "bin squared-weight sum";
	}
	if (a->n != b->n || a->nll_inf != b->nll_inf ||
	    a->nan_terms != b->nan_terms)
		return "row counts";
	if (!xsum_eq(&a->W, &b->W) || !xsum_eq(&a->acc, &b->acc) ||
	    !xsum_eq(&a->score, &b->score) ||
	    !xsum_eq(&a->outcome, &b->outcome))
		return "weight, accuracy, score or outcome sum";
	if (!xsum_eq(&a->nll, &b->nll) || !xsum_eq(&a->brier, &b->brier) ||
	    !xsum_eq(&a->entropy, &b->entropy) || !xsum_eq(&a->btl, &b->btl))
		return "NLL, Brier, entropy or top-label Brier sum";
	return NULL;
}

/*
 * Summarize a file of weighted rows with replicates, then, for each
 * replicate j, a file in which row i is written calib_poisson_count(seed,
 * i, j) times: replicate j's sums must be that file's sums exactly.  The
 * weights are not dyadic (w m s rounded once is not m copies of w s), and
 * a count of 2 or more shows the squared weights: m copies add m w^2, not
 * (w m)^2.  Rows with an infinite NLL count once per copy.
 */
static void
replicates_are_resamples(void)
{
	enum { N = 300, R = 6 };
	const unsigned long seed = 99;
	const char *rows = "t-summary-rows.csv", *rep = "t-summary-rep.csv";
	char line[N][96];
	calib_read_options ro;
	calib_metric_options mo;
	calib_summary_options so;
	calib_summary *s = NULL, *t = NULL;
	calib_error err;
	FILE *f;
	int i, j, multi = 0, bad = 0;
	const char *what = NULL;

	for (i = 0; i < N; i++) {
		/* three classes, weights 0.1 .. 2.9 and 0, some p_y = 0 */
		int a = (i * 37) % 101, b = (i * 53) % (101 - a);
		int y = (i * 7) % 3;
		double w = i % 29 == 0 ? 0 : 0.1 * (i % 29);
		if (i % 41 == 5) {
			a = 0;
			b = 0;
			y = 0;
		}
		snprintf(line[i], sizeof(line[i]), "%d,%.17g,%.2f,%.2f,%.2f\n",
		    y, w, a / 100.0, b / 100.0, (100 - a - b) / 100.0);
	}
	if ((f = fopen(rows, "w")) == NULL) {
		ok(0, "cannot write %s", rows);
		return;
	}
	fputs("label,weight,p_0,p_1,p_2\n", f);
	for (i = 0; i < N; i++)
		fputs(line[i], f);
	fclose(f);

	memset(&err, 0, sizeof(err));
	calib_read_options_init(&ro);
	calib_metric_options_init(&mo);
	calib_summary_options_init(&so);
	so.replicates = R;
	so.seed = seed;
	ok(calib_summarize_ext(rows, &ro, &mo, &so, &s, &err) == CALIB_OK,
	    "summarize %d weighted rows with %d replicates: %s", N, R,
	    err.message);
	if (s == NULL)
		return;
	for (j = 0; j < R; j++) {
		if ((f = fopen(rep, "w")) == NULL) {
			ok(0, "cannot write %s", rep);
			break;
		}
		fputs("label,weight,p_0,p_1,p_2\n", f);
		for (i = 0; i < N; i++) {
			uint32_t m = calib_poisson_count(seed, (uint64_t)i,
			    (uint32_t)j), k;
			multi += m >= 2;
			for (k = 0; k < m; k++)
				fputs(line[i], f);
		}
		fclose(f);
		t = NULL;
		if (calib_summarize_ext(rep, &ro, &mo, NULL, &t, &err) !=
		    CALIB_OK) {
			diag("replicate %d: %s", j, err.message);
			bad++;
			continue;
		}
		if ((what = acc_diff(&s->rep[j], &t->acc)) != NULL) {
			diag("replicate %d: %s differs", j, what);
			bad++;
		}
		calib_summary_free(t);
	}
	ok(bad == 0 && multi > 0, "each replicate's sums (squared weights "
	    "included) are exactly those of its rows physically repeated "
	    "(%d replicates, %d counts of 2 or more)", R, multi);
	calib_summary_free(s);
	remove(rows);
	remove(rep);
}

int
main(void)
{
	calib_summary *s = NULL, *d = NULL;
	calib_read_options ro;
	calib_metric_options mo;
	calib_summary_options so;
	calib_error err;
	unsigned char *buf = NULL, *enc2 = NULL;
	size_t len = 0, len2 = 0, i;
	const char *dir = getenv("top_srcdir");
	char path[1024];
	int bad_trunc = 0, bad_flip = 0, accepted = 0;

	/* Poisson(1): P(0) = e^-1, mean 1, variance 1 (1e6 draws: the
	 * standard errors are 5e-4, 1e-3 and 1.4e-3). */
	{
		double sum = 0, sum2 = 0, zeros = 0;
		const int n = 1000000;
		int k;
		for (k = 0; k < n; k++) {
			uint32_t c = calib_poisson_count(42, (uint64_t)k, 7);
			sum += c;
			sum2 += (double)c * c;
			zeros += c == 0;
		}
		near(zeros / n, exp(-1), 0.003, "P(0) = 1/e");
		near(sum / n, 1, 0.005, "mean 1");
		near(sum2 / n - (sum / n) * (sum / n), 1, 0.008, "variance 1");
	}
	ok(calib_poisson_count(1, 123456789, 3) ==
	    calib_poisson_count(1, 123456789, 3), "a count depends only on "
	    "its key");
	{
		int same = 0, k;
		for (k = 0; k < 1000; k++)
			same += calib_poisson_count(1, (uint64_t)k, 0) ==
			    calib_poisson_count(2, (uint64_t)k, 0);
		/* P(equal) for two independent Poisson(1) = sum p_k^2 = 0.308 */
		ok(same > 250 && same < 370, "other seeds give other counts "
		    "(%d of 1000 equal, about 308 expected)", same);
	}

	replicates_are_resamples();

	/* ro->keep is ignored, CALIB_OMIT_ROW_TERMS too: arrays with
	 * replicates (summarized from the rows in memory) keep every sum */
	{
		calib_summary *a = NULL, *b = NULL;
		const char *what = "summarize failed";
		int r;
		snprintf(path, sizeof(path), "%s/tests/data/npy/eval.npz",
		    dir ? dir : ".");
		calib_metric_options_init(&mo);
		calib_summary_options_init(&so);
		so.replicates = 4;
		calib_read_options_init(&ro);
		if (calib_summarize_ext(path, &ro, &mo, &so, &a, &err) ==
		    CALIB_OK) {
			ro.keep = CALIB_OMIT_ROW_TERMS;
			if (calib_summarize_ext(path, &ro, &mo, &so, &b, &err) ==
			    CALIB_OK)
				what = acc_diff(&a->acc, &b->acc);
			for (r = 0; what == NULL && r < so.replicates; r++)
				what = acc_diff(&a->rep[r], &b->rep[r]);
			if (what == NULL) {
				calib_metrics m;
				if (calib_summary_metrics(b, &mo, &m, &err) !=
				    CALIB_OK || !(m.nll > 0) ||
				    !(m.entropy > 0) || !(m.brier > 0))
					what = "no NLL, Brier or entropy";
			}
		}
		ok(what == NULL, "summarizing eval.npz with replicates and "
		    "CALIB_OMIT_ROW_TERMS keeps every sum%s%s",
		    what ? ": " : "", what ? what : "");
		calib_summary_free(a);
		calib_summary_free(b);
	}

	snprintf(path, sizeof(path), "%s/tests/data/weighted.csv",
	    dir ? dir : ".");
	calib_read_options_init(&ro);
	calib_metric_options_init(&mo);
	calib_summary_options_init(&so);
	so.replicates = 3;
	ok(calib_summarize_ext(path, &ro, &mo, &so, &s, &err) == CALIB_OK,
	    "summarize weighted.csv with 3 replicates");
	if (s == NULL)
		return done_testing();
	ok(calib_summary_encode(s, &buf, &len, &err) == CALIB_OK, "encode");
	ok(calib_summary_decode(buf, len, "x", &d, &err) == CALIB_OK &&
	    calib_summary_encode(d, &enc2, &len2, &err) == CALIB_OK &&
	    len2 == len && memcmp(buf, enc2, len) == 0,
	    "decode then encode gives the same bytes");
	calib_summary_free(d);
	free(enc2);

	for (i = 0; i < len; i++) {
		d = NULL;
		if (calib_summary_decode(buf, i, "x", &d, &err) != CALIB_E_FORMAT
		    || d != NULL)
			bad_trunc++;
		calib_summary_free(d);
	}
	ok(bad_trunc == 0, "every truncation (%zu lengths) is refused",
	    len);
	for (i = 0; i < len; i++) {
		unsigned char save = buf[i];
		int bit;
		for (bit = 0; bit < 8; bit++) {
			calib_status st;
			d = NULL;
			buf[i] = (unsigned char)(save ^ (1u << bit));
			st = calib_summary_decode(buf, len, "x", &d, &err);
			if (st == CALIB_OK)
				accepted++;
			else if (st != CALIB_E_FORMAT || d != NULL ||
			    err.message[0] == '\0')
				bad_flip++;
			calib_summary_free(d);
		}
		buf[i] = save;
	}
	ok(bad_flip == 0 && accepted == 0, "every one-bit change (%zu) is "
	    "refused with a message (%d accepted)", len * 8, accepted);

	/* Found by fuzzing: a few hundred bytes claiming 100,000 replicates
	 * of 1,000,000 bins made the decoder allocate them before finding
	 * the file short. */
	{
		static const struct {
			int which;
			uint32_t v;
		} lie[] = { { 1, 100000 }, { 0, 1000000 }, { 0, 200 } };
		int bad = 0;
		for (i = 0; i < sizeof(lie) / sizeof(lie[0]); i++) {
			unsigned char *c = claim(buf, len, lie[i].which,
			    lie[i].v);
			d = NULL;
			if (c == NULL || calib_summary_decode(c, len, "x", &d,
			    &err) != CALIB_E_FORMAT || d != NULL ||
			    strstr(err.message, "fewer bytes left than the "
			    "bins and replicates need") == NULL) {
				diag("claim %zu: %s", i, c ? err.message :
				    "no memory");
				bad++;
			}
			calib_summary_free(d);
			free(c);
		}
		ok(bad == 0, "a summary claiming more bins or replicates than "
		    "its bytes can hold is refused before they are allocated");
		{
			unsigned char *c = claim(buf, len, 1, 3);
			ok(c != NULL && calib_summary_decode(c, len, "x", &d,
			    &err) == CALIB_OK, "the same surgery keeping its "
			    "values gives the summary back");
			calib_summary_free(d);
			free(c);
		}
	}

	/* Found by reading the merge for the fuzz target's third check: a
	 * merge whose counts pass 2^64 or whose sums pass the stored
	 * form's top digit gave a summary that wrapped or could not be read
	 * back.  Now refused, dst untouched. */
	{
		calib_summary *big = calib_summary_dup(s), *two = NULL;
		unsigned char *e = NULL;
		size_t elen = 0;
		calib_status st;
		uint64_t n0 = s->acc.n;
		big->acc.n = UINT64_MAX - 1;
		st = calib_summary_merge(big, s, &err);
		ok(st == CALIB_E_NUMERIC && strstr(err.message, "row count") &&
		    big->acc.n == UINT64_MAX - 1, "a merge past 2^64 rows is "
		    "refused: %s", err.message);
		big->acc.n = n0;
		ci_xsum_normalize(&big->acc.W);
		big->acc.W.d[CI_XSUM_DIGITS - 1] = CI_XSUM_TOP_LIMIT / 2;
		ok(calib_summary_encode(big, &e, &elen, &err) == CALIB_OK &&
		    calib_summary_decode(e, elen, "big", &two, &err) ==
		    CALIB_OK, "a total weight of 2^1076 is stored and read");
		st = two ? calib_summary_merge(two, two, &err) : CALIB_E_ARG;
		ok(st == CALIB_E_NUMERIC && strstr(err.message,
		    "sum over all rows") && strstr(err.message, "2^1077"),
		    "merged with itself it would not be readable: refused: %s",
		    err.message);
		calib_summary_free(two);
		free(e);
		big->acc.W.d[CI_XSUM_DIGITS - 1] = CI_XSUM_TOP_LIMIT / 4;
		two = calib_summary_dup(big);
		e = NULL;
		ok(two != NULL && calib_summary_merge(two, big, &err) ==
		    CALIB_OK && calib_summary_encode(two, &e, &elen, &err) ==
		    CALIB_OK && (calib_summary_free(two), two = NULL,
		    calib_summary_decode(e, elen, "x", &two, &err)) == CALIB_OK,
		    "2^1075 merged with itself is read back");
		calib_summary_free(two);
		calib_summary_free(big);
		free(e);
	}
	free(buf);
	calib_summary_free(s);
	return done_testing();
}
