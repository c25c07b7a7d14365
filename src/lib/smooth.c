/*
 * smooth.c - smooth ECE (Blasiok & Nakkiran, ICLR 2024) and the smoothed
 * reliability curve.  Definitions at calib_smece() in calib.h.
 *
 * The integrand is R(t) = (1/W) sum_i a_i K(t, s_i), a sum of reflected
 * Gaussians.  Evaluating it row by row costs O(n) per point; instead the
 * rows are gathered into bins of width h <= sigma/4 and each bin keeps the
 * Taylor moments of its rows about its centre c:
 *     phi((t - c) - d) = phi(t - c) sum_m (d/sigma)^m / m! He_m(x),
 *     x = (t - c)/sigma, d = s - c, |d/sigma| <= 1/8,
 * (He_m: probabilists' Hermite polynomials, the generating function
 * exp(x u - u^2/2) = sum_m He_m(x) u^m / m!).  With 12 terms the series is
 * exact to about 1e-14 relative, so R is evaluated in O(bins near t), not
 * by binning the scores onto a grid: no value is moved.  The reflections
 * of a bin about 0 and 1 are bins too (a reflection negates d).
 *
 * The integral of |R| over [0, 1] is taken panel by panel (width sigma/2,
 * 16-point Gauss-Legendre); where R changes sign between the nodes of a
 * panel the root is found and each side integrated on its own, so the
 * kink of |R| never sits inside a quadrature rule.  (Two roots closer
 * than the node spacing, sigma/40 or less, are a dip of |R| that small
 * the rule integrates it to well within 1e-6 relative.)
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SM_P 12            /* Taylor terms per bin */
#define SM_REACH 10.0      /* phi(10) = 7.7e-23: the kernel's reach in sigmas */

typedef struct sm_bin {
	double c;          /* centre (an image's centre for reflections) */
	double A[SM_P];    /* sum a_i (d_i/sigma)^m / m! */
} sm_bin;

typedef struct sm_sum {
	double sigma, h, reach;
	size_t nb;
	sm_bin *bin;       /* sorted by c */
} sm_sum;

static int
bin_cmp(const void *x, const void *y)
{
	const sm_bin *a = x, *b = y;

	return (a->c > b->c) - (a->c < b->c);
}

/* Rows of one worker's share of sm_build(): whole bins, in order. */
typedef struct sm_part {
	const double *s, *coef;
	const size_t *order;
	size_t from, to;           /* positions in score order */
	double sigma;
	size_t N;
	sm_bin *bin;               /* its bins, in order */
	size_t nb;
	long first, last;          /* their bin numbers */
	int rc;
} sm_part;

static long
sm_bin_of(double s, size_t N)
{
	long b = (long)floor(s * (double)N);

	if (b >= (long)N)
		b = (long)N - 1;
	return b < 0 ? 0 : b;
}

static void *
sm_part_run(void *arg)
{
	sm_part *P = arg;
	size_t j, nb = 0;
	long prev = -1;
	sm_bin *base = malloc((P->to > P->from ? P->to - P->from : 1) *
	    sizeof(*base));

	P->bin = base;
	P->nb = 0;
	P->rc = base == NULL ? -1 : 0;
	for (j = P->from; base != NULL && j < P->to; j++) {
		size_t r = P->order ? P->order[j] : j;
		double a = P->coef[r], d, u, t;
		long b;
		int m;

		if (a == 0)
			continue;
		b = sm_bin_of(P->s[r], P->N);
		if (b != prev || nb == 0) {
			/* rows come in score order, so a bin's rows are
			 * adjacent */
			if (nb > 0 && b < prev) {
				P->rc = -2;
				return NULL;
			}
			memset(&base[nb], 0, sizeof(base[nb]));
			base[nb].c = ((double)b + 0.5) / (double)P->N;
			if (nb == 0)
				P->first = b;
			nb++;
			prev = b;
		}
		d = P->s[r] - base[nb - 1].c;
		u = d / P->sigma;
		t = a;
		for (m = 0; m < SM_P; m++) {
			base[nb - 1].A[m] += t;
			t *= u / (m + 1);
		}
	}
	P->nb = nb;
	P->last = prev;
	return NULL;
}

/* Rows per worker below which sm_build() stays on one thread. */
#define SM_PART_MIN 65536

/*
 * The moments of sum_i coef_i phi(t - s_i) for rows in score order, and of
 * every reflection that reaches [0, 1].  coef: the a_i; rows with mult 0
 * or coef 0 are skipped.  With threads > 1 the rows are split between
 * workers where the bin changes, so each bin is summed by one worker over
 * the same rows in the same order: the same bits for any thread count.
 */
static int
sm_build(size_t n, const double *s, const double *coef, const size_t *order,
    double sigma, int threads, sm_sum *out)
{
	sm_part part[CI_TEAM_MAX];
	size_t N, i, nb = 0, cap, j;
	sm_bin *base = NULL, *all = NULL;
	int k, kmax, sg, np, t, rc = 0;
	long lastb = -1;

	memset(out, 0, sizeof(*out));
	N = (size_t)ceil(4.0 / sigma);
	if (N < 1)
		N = 1;
	out->sigma = sigma;
	out->h = 1.0 / (double)N;
	out->reach = SM_REACH * sigma + out->h;
	np = ci_team_size(threads, (long)(n / SM_PART_MIN));
	for (t = 0; t < np; t++) {
		memset(&part[t], 0, sizeof(part[t]));
		part[t].s = s;
		part[t].coef = coef;
		part[t].order = order;
		part[t].sigma = sigma;
		part[t].N = N;
		part[t].to = n;
		if (t > 0) {
			/* from n t / np on, to the first change of bin */
			j = n / (size_t)np * (size_t)t;
			if (j < part[t - 1].from)
				j = part[t - 1].from;
			while (j > 0 && j < n && sm_bin_of(s[order ? order[j] :
			    j], N) == sm_bin_of(s[order ? order[j - 1] : j - 1],
			    N))
				j++;
			part[t].from = j;
			part[t - 1].to = j;
		}
	}
	ci_team_run(sm_part_run, part, sizeof(part[0]), np);
	for (t = 0; t < np; t++) {
		if (part[t].rc != 0 && rc == 0)
			rc = part[t].rc;
		nb += part[t].nb;
	}
	if (rc == 0)
		base = malloc((nb ? nb : 1) * sizeof(*base));
	if (rc == 0 && base == NULL)
		rc = -1;
	for (t = 0, i = 0; rc == 0 && t < np; t++) {
		if (part[t].nb == 0)
			continue;
		/* the bins of the shares follow one another (scores out of
		 * order are refused, as within a share) */
		if (i > 0 && part[t].first <= lastb) {
			rc = -2;
			break;
		}
		memcpy(base + i, part[t].bin, part[t].nb * sizeof(*base));
		i += part[t].nb;
		lastb = part[t].last;
	}
	for (t = 0; t < np; t++)
		free(part[t].bin);
	if (rc != 0) {
		free(base);
		return rc;
	}
	/* Images: s -> sg * s + 2k.  Keep those whose centre is within reach
	 * of [0, 1]. */
	kmax = (int)ceil((out->reach + 1) / 2) + 1;
	cap = nb * (size_t)(2 * (2 * kmax + 1));
	all = malloc((cap ? cap : 1) * sizeof(*all));
	if (all == NULL) {
		free(base);
		return -1;
	}
	i = 0;
	for (k = -kmax; k <= kmax; k++)
		for (sg = -1; sg <= 1; sg += 2)
			for (j = 0; j < nb; j++) {
				double c = sg * base[j].c + 2.0 * k;
				int m;
				if (c < -out->reach || c > 1 + out->reach)
					continue;
				all[i].c = c;
				for (m = 0; m < SM_P; m++)
					all[i].A[m] = (sg < 0 && (m & 1)) ?
					    -base[j].A[m] : base[j].A[m];
				i++;
			}
	free(base);
	qsort(all, i, sizeof(*all), bin_cmp);
	out->bin = all;
	out->nb = i;
	return 0;
}

static void
sm_free(sm_sum *S)
{
	free(S->bin);
	memset(S, 0, sizeof(*S));
}

/* First bin with centre >= x. */
static size_t
sm_lower(const sm_sum *S, double x)
{
	size_t lo = 0, hi = S->nb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (S->bin[mid].c < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* sum_i a_i K(t, s_i) */
static double
sm_eval(const sm_sum *S, double t)
{
	const double inv = 1.0 / S->sigma;
	const double norm = inv / sqrt(2 * M_PI);
	size_t j = sm_lower(S, t - S->reach);
	double total = 0;

	for (; j < S->nb && S->bin[j].c <= t + S->reach; j++) {
		const double *A = S->bin[j].A;
		double x = (t - S->bin[j].c) * inv;
		double he0 = 1, he1 = x, acc = A[0] + A[1] * x;
		int m;

		for (m = 2; m < SM_P; m++) {
			double he2 = x * he1 - (m - 1) * he0;
			acc += A[m] * he2;
			he0 = he1;
			he1 = he2;
		}
		total += acc * exp(-0.5 * x * x);
	}
	return total * norm;
}

/* 16-point Gauss-Legendre nodes and weights on [-1, 1] (positive half). */
static const double gl_x[8] = {
	0.0950125098376374401853193, 0.2816035507792589132304605,
	0.4580167776572273863424194, 0.6178762444026437484466718,
	0.7554044083550030338951012, 0.8656312023878317438804679,
	0.9445750230732325760779884, 0.9894009349916499325961542
};
static const double gl_w[8] = {
	0.1894506104550684962853967, 0.1826034150449235888667637,
	0.1691565193950025381893121, 0.1495959888165767320815017,
	0.1246289712555338720524763, 0.0951585116824927848099251,
	0.0622535239386478928628438, 0.0271524594117540948517806
};

static double
gl_abs(const sm_sum *S, double a, double b)
{
	double mid = (a + b) / 2, half = (b - a) / 2, sum = 0;
	int i;

	for (i = 0; i < 8; i++)
		sum += gl_w[i] * (fabs(sm_eval(S, mid - half * gl_x[i])) +
		    fabs(sm_eval(S, mid + half * gl_x[i])));
	return sum * half;
}

/* A root of R in [a, b] where R(a), R(b) have opposite signs: bisection
 * to the last bit (R is cheap and this is rare). */
static double
sm_root(const sm_sum *S, double a, double fa, double b)
{
	int it;

	for (it = 0; it < 200; it++) {
		double m = a + (b - a) / 2, fm;
		if (m <= a || m >= b)
			break;
		fm = sm_eval(S, m);
		if (fm == 0)
			return m;
		if ((fm < 0) == (fa < 0)) {
			a = m;
			fa = fm;
		} else
			b = m;
	}
	return a + (b - a) / 2;
}

/*
 * int_a^b |R(t)| dt for one panel.  The Gauss-Legendre nodes and the ends
 * are also where sign changes are looked for; when there is none, their
 * values are the answer.
 */
static double
panel_abs(const sm_sum *S, double a, double b)
{
	double x[18], f[18], total = 0, left, mid = (a + b) / 2,
	    half = (b - a) / 2, sum = 0;
	int i, change = 0;

	x[0] = a;
	x[17] = b;
	for (i = 0; i < 8; i++) {
		x[8 - i] = mid - half * gl_x[i];
		x[9 + i] = mid + half * gl_x[i];
	}
	for (i = 0; i < 18; i++) {
		f[i] = sm_eval(S, x[i]);
		if (i > 0 && ((f[i] < 0 && f[i - 1] > 0) ||
		    (f[i] > 0 && f[i - 1] < 0)))
			change = 1;
	}
	if (!change) {
		for (i = 0; i < 8; i++)
			sum += gl_w[i] * (fabs(f[8 - i]) + fabs(f[9 + i]));
		return sum * half;
	}
	left = a;
	for (i = 1; i < 18; i++)
		if ((f[i] < 0 && f[i - 1] > 0) || (f[i] > 0 && f[i - 1] < 0)) {
			double r = sm_root(S, x[i - 1], f[i - 1], x[i]);
			total += gl_abs(S, left, r);
			left = r;
		}
	return total + gl_abs(S, left, b);
}

/* int_0^1 |R(t)| dt, skipping panels no bin reaches. */
static double
sm_integral(const sm_sum *S)
{
	double width = S->sigma / 2, total = 0;
	size_t np, q;

	if (width > 0.05)
		width = 0.05;
	np = (size_t)ceil(1.0 / width);
	for (q = 0; q < np; q++) {
		double a = (double)q / (double)np, b = (double)(q + 1) /
		    (double)np;
		size_t j = sm_lower(S, a - S->reach);
		if (j >= S->nb || S->bin[j].c > b + S->reach)
			continue;
		total += panel_abs(S, a, b);
	}
	return total;
}

/* ---- the estimator ------------------------------------------------- */

typedef struct sm_data {
	size_t n;
	const double *s;
	const size_t *order;
	double *coef;          /* w_i mult_i (s_i - o_i) */
	double W;
	int threads;
} sm_data;

static int
sm_value(const sm_data *D, double sigma, double *v)
{
	sm_sum S;
	int rc = sm_build(D->n, D->s, D->coef, D->order, sigma, D->threads,
	    &S);

	if (rc != 0)
		return rc;
	*v = sm_integral(&S) / D->W;
	sm_free(&S);
	return 0;
}

static int
cmp_idx(const void *x, const void *y, void *ctx)
{
	const double *s = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	if (s[a] != s[b])
		return (s[a] > s[b]) - (s[a] < s[b]);
	return (a > b) - (a < b);
}

/*
 * Rows by (score, index).  Scores are in [0, 1], so the bits of a double
 * read as an unsigned integer sort in the same order as its value (a -0.0
 * is taken as 0): a stable least-significant-digit radix sort on 11-bit
 * digits of those bits (2048 buckets, few enough for the scatter to stay
 * in cache), started from the rows in index order, gives the order in six
 * linear passes, ties in index order.  Small inputs use qsort.
 */
typedef struct radix_item {
	uint64_t key;
	size_t row;
} radix_item;

/*
 * Scores in [0, 2) have bits 62 and 63 of their IEEE pattern at 0, and
 * bits 61..30 give a 32-bit prefix that orders as the value does.  Each
 * row becomes one 64-bit word, the prefix above, and below the outcome
 * (bit 0) and either the row (when the rows are wanted) or the value's
 * last 30 bits, which with the prefix give the value back without
 * looking it up.  Three stable passes on 11, 11 and 10 bits of the prefix
 * (8-byte words: a quarter of the traffic of six passes over 16-byte
 * items), started from the rows in order, put the rows in prefix order,
 * ties by row; the few rows that share a prefix are then put in (value,
 * row) order, ci_order_cmp()'s, by a stable sort on the value.
 */
/* Runs longer than this are sorted by qsort(), shorter ones by insertion. */
#define SHORT_RUN 32
#define LOW30 ((1u << 30) - 1)

/* The first pass: the words of column x (stride apart) into a, and the
 * digit counts; returns the OR of the values' bits. */
static uint64_t
prefix_words(size_t n, const double *x, size_t stride, const int32_t *label,
    int k, double *col, int rows, uint64_t *a, size_t cnt[3][2048])
{
	uint64_t any = 0;
	size_t i;

	memset(cnt, 0, 3 * sizeof(*cnt));
	for (i = 0; i < n; i++) {
		double v = x[i * stride];
		uint64_t bits, w;
		if (v == 0)
			v = 0.0;        /* -0.0 sorts as 0 */
		memcpy(&bits, &v, sizeof(bits));
		any |= bits;
		if (rows && col != NULL)
			col[i] = v;
		w = (bits >> 30) << 32 | (rows ? (uint64_t)i :
		    (bits & LOW30)) << 1 | (uint64_t)(label != NULL &&
		    label[i] == k);
		a[i] = w;
		cnt[0][(w >> 32) & 2047]++;
		cnt[1][(w >> 43) & 2047]++;
		cnt[2][(w >> 54) & 1023]++;
	}
	return any;
}

/* The rest of the sort, from the words in a (b: n words of scratch). */
static int
prefix_finish(size_t n, uint64_t *a, uint64_t *b, size_t cnt[3][2048],
    const double *val, size_t vs, int rows, ci_sort_scratch *sc, double *sv,
    uint8_t *sh, size_t *ord)
{
	size_t i, j;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		const int shift = 32 + 11 * pass;
		size_t *c = cnt[pass], sum = 0, d;
		uint64_t *t;
		if (n == 0 || c[(a[0] >> shift) & 2047] == n)
			continue;       /* one digit everywhere: nothing moves */
		for (d = 0; d < 2048; d++) {
			size_t y = c[d];
			c[d] = sum;
			sum += y;
		}
		for (i = 0; i < n; i++)
			b[c[(a[i] >> shift) & 2047]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < n; i++) {
		double v;
		if (rows) {
			size_t r = (size_t)((uint32_t)a[i] >> 1);
			/* the rows come at random: ask for a later one's
			 * score now */
			if (i + 16 < n)
				__builtin_prefetch(&val[(size_t)((uint32_t)
				    a[i + 16] >> 1) * vs]);
			v = val[r * vs];
			ord[i] = r;
		} else {
			uint64_t bits = (a[i] >> 32) << 30 |
			    (uint64_t)((uint32_t)a[i] >> 1);
			memcpy(&v, &bits, sizeof(v));
		}
		sv[i] = v == 0 ? 0.0 : v;
		if (sh != NULL)
			sh[i] = (uint8_t)(a[i] & 1);
	}
	/* Rows sharing a prefix are in row order; put them in value order,
	 * ties staying in row order. */
	for (i = 0; i < n; i = j) {
		uint64_t pre = a[i] >> 32;
		for (j = i + 1; j < n && a[j] >> 32 == pre; j++)
			;
		if (j - i < 2)
			continue;
		if (j - i <= SHORT_RUN) {
			size_t p, q;
			for (p = i + 1; p < j; p++) {
				double v = sv[p];
				uint64_t w = a[p];
				for (q = p; q > i && sv[q - 1] > v; q--) {
					sv[q] = sv[q - 1];
					a[q] = a[q - 1];
				}
				sv[q] = v;
				a[q] = w;
			}
			for (p = i; p < j; p++) {
				if (sh != NULL)
					sh[p] = (uint8_t)(a[p] & 1);
				if (rows)
					ord[p] = (size_t)((uint32_t)a[p] >> 1);
			}
		} else {
			/* by value, ties by place in the run, which is row
			 * order */
			size_t p, len = j - i;
			if (sc->run_cap < len) {
				ci_order_item *nr = realloc(sc->run,
				    len * sizeof(*nr));
				if (nr == NULL)
					return -1;
				sc->run = nr;
				sc->run_cap = len;
			}
			for (p = 0; p < len; p++) {
				sc->run[p].s = sv[i + p];
				sc->run[p].i = p;
			}
			qsort(sc->run, len, sizeof(*sc->run), ci_order_cmp);
			/* b is free now: the words of the run, reordered */
			for (p = 0; p < len; p++)
				b[p] = a[i + sc->run[p].i];
			for (p = 0; p < len; p++) {
				a[i + p] = b[p];
				sv[i + p] = sc->run[p].s;
				if (sh != NULL)
					sh[i + p] = (uint8_t)(b[p] & 1);
				if (rows)
					ord[i + p] = (size_t)((uint32_t)b[p] >>
					    1);
			}
		}
	}
	return 0;
}

int
ci_prefix_sort(size_t n, const double *x, size_t stride, const int32_t *label,
    int k, double *col, ci_sort_scratch *sc, double *sv, uint8_t *sh,
    size_t *ord)
{
	size_t cnt[3][2048];
	/* with rows the values are looked up; without, the words hold them */
	const int rows = ord != NULL;

	if (n >= ((size_t)1 << 31))
		return 1;
	/* NaN, negative or 2 and above: not this sort's keys */
	if (prefix_words(n, x, stride, label, k, col, rows, sc->a, cnt) >> 62)
		return 1;
	return prefix_finish(n, sc->a, sc->b, cnt, col ? col : x,
	    col ? 1 : stride, rows, sc, sv, sh, ord);
}

int
ci_prefix_load2(size_t n, const double *x, size_t stride, const int32_t *label,
    int k1, int k2, uint64_t *a1, uint64_t *a2, size_t (*cnt1)[2048],
    size_t (*cnt2)[2048])
{
	uint64_t any = 0;
	size_t i;

	if (n >= ((size_t)1 << 31))
		return 1;
	memset(cnt1, 0, 3 * sizeof(*cnt1));
	memset(cnt2, 0, 3 * sizeof(*cnt2));
	/* prefix_words() for two columns in one sweep over the rows */
	for (i = 0; i < n; i++) {
		double v1 = x[i * stride + (size_t)k1];
		double v2 = x[i * stride + (size_t)k2];
		uint64_t b1, b2, w1, w2;
		if (v1 == 0)
			v1 = 0.0;
		if (v2 == 0)
			v2 = 0.0;
		memcpy(&b1, &v1, sizeof(b1));
		memcpy(&b2, &v2, sizeof(b2));
		any |= b1 | b2;
		w1 = (b1 >> 30) << 32 | (b1 & LOW30) << 1 |
		    (uint64_t)(label[i] == k1);
		w2 = (b2 >> 30) << 32 | (b2 & LOW30) << 1 |
		    (uint64_t)(label[i] == k2);
		a1[i] = w1;
		a2[i] = w2;
		cnt1[0][(w1 >> 32) & 2047]++;
		cnt1[1][(w1 >> 43) & 2047]++;
		cnt1[2][(w1 >> 54) & 1023]++;
		cnt2[0][(w2 >> 32) & 2047]++;
		cnt2[1][(w2 >> 43) & 2047]++;
		cnt2[2][(w2 >> 54) & 1023]++;
	}
	return any >> 62 ? 1 : 0;
}

int
ci_prefix_sort_loaded(size_t n, uint64_t *a, uint64_t *b,
    size_t (*cnt)[2048], ci_sort_scratch *sc, double *sv, uint8_t *sh)
{
	return prefix_finish(n, a, b, cnt, NULL, 0, 0, sc, sv, sh, NULL);
}

size_t *
ci_score_order(size_t n, const double *s)
{
	return ci_score_order_values(n, s, NULL);
}

size_t *
ci_score_order_values(size_t n, const double *s, double *sorted)
{
	size_t *o = malloc((n ? n : 1) * sizeof(*o)), i;
	radix_item *a = NULL, *b = NULL;
	size_t *cnt = NULL;
	int pass;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		o[i] = i;
	if (n < 4096) {
		qsort_r(o, n, sizeof(*o), cmp_idx, (void *)s);
		if (sorted != NULL)
			for (i = 0; i < n; i++)
				sorted[i] = s[o[i]];
		return o;
	}
	{
		/* scores in [0, 2): three passes over 8-byte words */
		ci_sort_scratch sc;
		double *sv = sorted ? sorted : malloc(n * sizeof(*sv));
		int rc = -1;
		sc.a = malloc(n * sizeof(*sc.a));
		sc.b = malloc(n * sizeof(*sc.b));
		sc.run = NULL;
		sc.run_cap = 0;
		if (sv != NULL && sc.a != NULL && sc.b != NULL)
			rc = ci_prefix_sort(n, s, 1, NULL, 0, NULL, &sc, sv,
			    NULL, o);
		free(sc.a);
		free(sc.b);
		free(sc.run);
		if (sv != sorted)
			free(sv);
		if (rc == 0)
			return o;
		/* else as below (on -1, with less memory at hand) */
	}
	a = malloc(n * sizeof(*a));
	b = malloc(n * sizeof(*b));
	cnt = malloc(2048 * sizeof(*cnt));
	if (a == NULL || b == NULL || cnt == NULL) {
		free(a);
		free(b);
		free(cnt);
		/* fall back to the comparison sort, which needs no memory */
		qsort_r(o, n, sizeof(*o), cmp_idx, (void *)s);
		if (sorted != NULL)
			for (i = 0; i < n; i++)
				sorted[i] = s[o[i]];
		return o;
	}
	for (i = 0; i < n; i++) {
		double v = s[i] == 0 ? 0.0 : s[i];
		memcpy(&a[i].key, &v, sizeof(v));
		a[i].row = i;
	}
	for (pass = 0; pass < 6; pass++) {
		const int shift = 11 * pass;
		size_t sum = 0, d;
		radix_item *t;
		memset(cnt, 0, 2048 * sizeof(*cnt));
		for (i = 0; i < n; i++)
			cnt[(a[i].key >> shift) & 2047]++;
		if (cnt[(a[0].key >> shift) & 2047] == n)
			continue;       /* one digit everywhere: nothing moves */
		for (d = 0; d < 2048; d++) {
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[cnt[(a[i].key >> shift) & 2047]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < n; i++) {
		o[i] = a[i].row;
		/* the key is the value's bits (a -0.0 became +0.0) */
		if (sorted != NULL)
			memcpy(&sorted[i], &a[i].key, sizeof(double));
	}
	free(a);
	free(b);
	free(cnt);
	return o;
}

calib_status
ci_smece(size_t n, const double *s, const uint8_t *o, const double *w,
    const uint32_t *mult, const size_t *order, double sigma, double hint,
    int threads, double *value, double *sigma_used)
{
	sm_data D;
	ci_sum W = { 0, 0 };
	int any = 0, rc = 0;
	double lo, hi, glo, ghi;
	int it;

	*value = *sigma_used = NAN;
	if (!(sigma >= 0 && sigma <= 1))
		return CALIB_E_ARG;
	/* The rows that carry a residual, in score order, contiguous: every
	 * width tried streams through them once. */
	{
		double *cs = malloc((n ? n : 1) * sizeof(double));
		double *ss = malloc((n ? n : 1) * sizeof(double));
		ci_sum A = { 0, 0 };
		size_t j, m = 0;
		if (cs == NULL || ss == NULL) {
			free(cs);
			free(ss);
			return CALIB_E_NOMEM;
		}
		for (j = 0; j < n; j++) {
			size_t r = order ? order[j] : j;
			double wi = (w ? w[r] : 1.0) * (mult ? mult[r] : 1);
			double a = wi * (s[r] - (o[r] ? 1.0 : 0.0));
			ci_sum_add(&W, wi);
			if (a != 0) {
				cs[m] = a;
				ss[m] = s[r];
				ci_sum_add(&A, a);
				m++;
				any = 1;
			}
		}
		D.n = m;
		D.s = ss;
		D.order = NULL;
		D.coef = cs;
		D.W = ci_sum_get(&W);
		D.threads = threads;
		/* smECE_sigma >= |sum a| / W for every sigma (|int R| <=
		 * int |R|): where to start looking when nothing better is
		 * known */
		if (!(hint > 0) && D.W > 0)
			hint = fabs(ci_sum_get(&A)) / D.W;
	}
	if (!(D.W > 0)) {
		free(D.coef);
		free((double *)D.s);
		return CALIB_OK;
	}
	if (!any) {
		/* every score equals its outcome: no error at any width */
		*value = 0;
		*sigma_used = sigma > 0 ? sigma : 0;
		free(D.coef);
		free((double *)D.s);
		return CALIB_OK;
	}
	if (sigma > 0) {
		rc = sm_value(&D, sigma, value);
		*sigma_used = sigma;
		goto done;
	}
	/* g(sigma) = smECE_sigma - sigma is strictly decreasing (smoothing
	 * never increases the L1 norm): bracket its root, then bisect to
	 * 1e-12 (Illinois steps would be faster; bisection is certain). */
	if (hint > 1e-9 && hint < 1) {
		/* near a known fixed point (a resample's): widen by 1.25
		 * until the sign changes */
		double x = hint, gx;
		if ((rc = sm_value(&D, x, &gx)) != 0)
			goto done;
		gx -= x;
		if (gx >= 0) {
			lo = x;
			glo = gx;
			for (hi = x * 1.25;; hi *= 1.25) {
				if (hi >= 1)
					hi = 1;
				if ((rc = sm_value(&D, hi, &ghi)) != 0)
					goto done;
				ghi -= hi;
				if (ghi < 0 || hi == 1)
					break;
				lo = hi;
				glo = ghi;
			}
			if (ghi >= 0) {
				*value = *sigma_used = hi;
				goto done;
			}
		} else {
			hi = x;
			ghi = gx;
			for (lo = x / 1.25;; lo /= 1.25) {
				if ((rc = sm_value(&D, lo, &glo)) != 0)
					goto done;
				glo -= lo;
				if (glo >= 0)
					break;
				hi = lo;
				ghi = glo;
				if (lo < 1e-9) {
					*value = *sigma_used = lo;
					goto done;
				}
			}
		}
		goto refine;
	}
	hi = 1;
	if ((rc = sm_value(&D, hi, &ghi)) != 0)
		goto done;
	ghi -= hi;
	if (ghi >= 0) {
		*value = *sigma_used = hi;
		goto done;
	}
	lo = 0.5;
	for (;;) {
		if ((rc = sm_value(&D, lo, &glo)) != 0)
			goto done;
		glo -= lo;
		if (glo >= 0)
			break;
		hi = lo;
		ghi = glo;
		lo /= 2;
		if (lo < 1e-9) {
			/* below any width the fixed point can need on real
			 * data; report the value at the floor */
			*value = *sigma_used = lo;
			goto done;
		}
	}
refine:
	/* regula falsi (Illinois) keeps the bracket; stop at 1e-12 */
	{
		int side = 0;
		for (it = 0; it < 200 && hi - lo > 1e-12; it++) {
			double m = (lo * ghi - hi * glo) / (ghi - glo), gm;
			if (!(m > lo && m < hi))
				m = lo + (hi - lo) / 2;
			if ((rc = sm_value(&D, m, &gm)) != 0)
				goto done;
			gm -= m;
			if (gm == 0) {
				lo = hi = m;
				break;
			}
			if (gm > 0) {
				lo = m;
				glo = gm;
				if (side == 1)
					ghi /= 2;
				side = 1;
			} else {
				hi = m;
				ghi = gm;
				if (side == -1)
					glo /= 2;
				side = -1;
			}
		}
	}
	*sigma_used = lo + (hi - lo) / 2;
	rc = sm_value(&D, *sigma_used, value);
done:
	free(D.coef);
	free((double *)D.s);
	if (rc == -1)
		return CALIB_E_NOMEM;
	if (rc != 0)
		return CALIB_E_ARG;
	return CALIB_OK;
}

calib_status
calib_smece(const calib_preds *p, double sigma, const uint32_t *mult,
    double *value, double *sigma_used)
{
	size_t *order;
	calib_status st;
	double v, su;

	if (p == NULL)
		return CALIB_E_ARG;
	order = ci_score_order(p->n, p->score);
	if (order == NULL)
		return CALIB_E_NOMEM;
	st = ci_smece(p->n, p->score, p->outcome, p->weight, mult, order,
	    sigma, 0, 1, &v, &su);
	free(order);
	if (value != NULL)
		*value = v;
	if (sigma_used != NULL)
		*sigma_used = su;
	return st;
}

void
calib_smooth_curve_release(calib_smooth_curve *c)
{
	if (c == NULL)
		return;
	free(c->t);
	free(c->acc);
	free(c->conf);
	free(c->density);
	memset(c, 0, sizeof(*c));
}

calib_status
calib_smooth_curve_compute(const calib_preds *p, double sigma, int points,
    calib_smooth_curve *out)
{
	sm_sum Sw, So, Ss;
	double *cw = NULL, *co = NULL, *cs = NULL, v, su;
	size_t *order = NULL, i;
	calib_status st;
	int j, rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&Sw, 0, sizeof(Sw));
	memset(&So, 0, sizeof(So));
	memset(&Ss, 0, sizeof(Ss));
	if (p == NULL || points < 2 || points > 1000000 ||
	    !(sigma >= 0 && sigma <= 1))
		return CALIB_E_ARG;
	order = ci_score_order(p->n, p->score);
	if (order == NULL)
		return CALIB_E_NOMEM;
	st = ci_smece(p->n, p->score, p->outcome, p->weight, NULL, order,
	    sigma, 0, 1, &v, &su);
	if (st != CALIB_OK)
		goto done;
	out->smece = v;
	out->sigma = su;
	out->points = points;
	out->t = malloc((size_t)points * sizeof(double));
	out->acc = malloc((size_t)points * sizeof(double));
	out->conf = malloc((size_t)points * sizeof(double));
	out->density = malloc((size_t)points * sizeof(double));
	cw = malloc((p->n ? p->n : 1) * sizeof(double));
	co = malloc((p->n ? p->n : 1) * sizeof(double));
	cs = malloc((p->n ? p->n : 1) * sizeof(double));
	if (!out->t || !out->acc || !out->conf || !out->density || !cw ||
	    !co || !cs) {
		st = CALIB_E_NOMEM;
		goto done;
	}
	for (i = 0; i < p->n; i++) {
		double w = p->weight ? p->weight[i] : 1.0;
		cw[i] = w;
		co[i] = p->outcome[i] ? w : 0;
		cs[i] = w * p->score[i];
	}
	if (isnan(su) || !(su > 0)) {
		/* no rows with weight, or no error at all: nothing to smooth
		 * with; the curve is undefined */
		for (j = 0; j < points; j++) {
			out->t[j] = (double)j / (points - 1);
			out->acc[j] = out->conf[j] = out->density[j] = NAN;
		}
		goto done;
	}
	if ((rc = sm_build(p->n, p->score, cw, order, su, 1, &Sw)) != 0 ||
	    (rc = sm_build(p->n, p->score, co, order, su, 1, &So)) != 0 ||
	    (rc = sm_build(p->n, p->score, cs, order, su, 1, &Ss)) != 0) {
		st = rc == -1 ? CALIB_E_NOMEM : CALIB_E_ARG;
		goto done;
	}
	for (j = 0; j < points; j++) {
		double t = (double)j / (points - 1);
		double dw = sm_eval(&Sw, t);
		out->t[j] = t;
		out->density[j] = dw / p->total_weight;
		out->acc[j] = dw > 0 ? sm_eval(&So, t) / dw : NAN;
		out->conf[j] = dw > 0 ? sm_eval(&Ss, t) / dw : NAN;
	}
done:
	sm_free(&Sw);
	sm_free(&So);
	sm_free(&Ss);
	free(cw);
	free(co);
	free(cs);
	free(order);
	if (st != CALIB_OK)
		calib_smooth_curve_release(out);
	return st;
}
