/*
 * convention.c - other libraries' binning and arithmetic, as a record of
 * independent choices (calib_convention), so calib can reproduce their
 * numbers and show which rows make them differ.  The rules are documented
 * at the types in calib.h; the README's conventions table says which
 * version of each library they were read from.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const calib_convention_names[] = {
	"calib", "torchmetrics", "netcal", "sklearn", "relplot", "kumar",
	"tfp", NULL
};

const char *const calib_convention_choices[] = {
	"edges", "closure", "top", "arith", "mass", "clip", "nll-clip",
	"nll-renorm", "brier", NULL
};

static const char *const edges_names[] = {
	"exact", "i/M", "linspace", "linspace32", "floor", "floor-width", NULL
};
static const char *const closure_names[] = { "right", "left", NULL };
static const char *const top_names[] = { "last", "extra", NULL };
static const char *const arith_names[] = { "double", "float32", NULL };
static const char *const mass_names[] = {
	"calib", "array-split", "midpoint", "percentile", NULL
};
static const char *const renorm_names[] = { "no", "yes", NULL };
static const char *const brier_names[] = { "sum", "binary", NULL };

/* numpy.finfo(float64).eps, which netcal clips with and scikit-learn's
 * log_loss uses for float64 input. */
#define NP_EPS DBL_EPSILON

struct preset {
	const char *name;
	calib_edges edges;
	calib_closure closure;
	calib_top top;
	calib_arith arith;
	calib_mass mass;
	double clip, nll_clip;
	int nll_renorm;
	calib_brier_form brier;
};

/* One row per library; the README's table says where each came from. */
static const struct preset presets[] = {
	{ "calib", CALIB_EDGES_EXACT, CALIB_CLOSURE_RIGHT, CALIB_TOP_LAST,
	  CALIB_ARITH_DOUBLE, CALIB_MASS_CALIB, 0, 0, 0, CALIB_BRIER_SUM },
	{ "torchmetrics", CALIB_EDGES_LINSPACE32, CALIB_CLOSURE_LEFT,
	  CALIB_TOP_EXTRA, CALIB_ARITH_FLOAT32, CALIB_MASS_CALIB, 0, 0, 0,
	  CALIB_BRIER_SUM },
	{ "netcal", CALIB_EDGES_LINSPACE, CALIB_CLOSURE_LEFT, CALIB_TOP_LAST,
	  CALIB_ARITH_DOUBLE, CALIB_MASS_PERCENTILE, NP_EPS, 0, 0,
	  CALIB_BRIER_SUM },
	{ "sklearn", CALIB_EDGES_LINSPACE, CALIB_CLOSURE_RIGHT, CALIB_TOP_LAST,
	  CALIB_ARITH_DOUBLE, CALIB_MASS_PERCENTILE, 0, NP_EPS, 1,
	  CALIB_BRIER_BINARY },
	{ "relplot", CALIB_EDGES_FLOOR_WIDTH, CALIB_CLOSURE_LEFT,
	  CALIB_TOP_EXTRA, CALIB_ARITH_DOUBLE, CALIB_MASS_CALIB, 0, 0, 0,
	  CALIB_BRIER_SUM },
	{ "kumar", CALIB_EDGES_I_OVER_M, CALIB_CLOSURE_RIGHT, CALIB_TOP_LAST,
	  CALIB_ARITH_DOUBLE, CALIB_MASS_MIDPOINT, 0, 0, 0, CALIB_BRIER_SUM },
	{ "tfp", CALIB_EDGES_FLOOR, CALIB_CLOSURE_LEFT, CALIB_TOP_LAST,
	  CALIB_ARITH_FLOAT32, CALIB_MASS_CALIB, 0, 0, 0, CALIB_BRIER_SUM },
};

static void
from_preset(const struct preset *q, calib_convention *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", q->name);
	c->edges = q->edges;
	c->closure = q->closure;
	c->top = q->top;
	c->arith = q->arith;
	c->mass = q->mass;
	c->clip = q->clip;
	c->nll_clip = q->nll_clip;
	c->nll_renorm = q->nll_renorm;
	c->brier = q->brier;
}

void
calib_convention_init(calib_convention *c)
{
	from_preset(&presets[0], c);
}

calib_status
calib_convention_preset(const char *name, calib_convention *c)
{
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0) {
			from_preset(&presets[i], c);
			return CALIB_OK;
		}
	return CALIB_E_ARG;
}

int
calib_convention_is_default(const calib_convention *c)
{
	return c == NULL || (c->edges == CALIB_EDGES_EXACT &&
	    c->closure == CALIB_CLOSURE_RIGHT && c->top == CALIB_TOP_LAST &&
	    c->arith == CALIB_ARITH_DOUBLE && c->mass == CALIB_MASS_CALIB &&
	    c->clip == 0 && c->nll_clip == 0 && !c->nll_renorm &&
	    c->brier == CALIB_BRIER_SUM);
}

/* The index of value in a NULL-terminated name list, or -1. */
static int
lookup(const char *const *names, const char *value)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], value) == 0)
			return i;
	return -1;
}

static const char *const *
choice_names(int choice)
{
	switch (choice) {
	case 0: return edges_names;
	case 1: return closure_names;
	case 2: return top_names;
	case 3: return arith_names;
	case 4: return mass_names;
	case 7: return renorm_names;
	case 8: return brier_names;
	}
	return NULL;
}

calib_status
calib_convention_set(calib_convention *c, const char *choice,
    const char *value, calib_error *err)
{
	const char *const *names;
	int ch = lookup(calib_convention_choices, choice), v;

	if (ch < 0)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "'%s' is not a convention choice", choice);
	names = choice_names(ch);
	if (names == NULL) {
		char *end;
		double x = strtod(value, &end);
		if (end == value || *end != '\0' || !(x >= 0 && x < 0.5))
			return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
			    "%s: '%s' is not a number in [0, 0.5)", choice,
			    value);
		if (ch == 5)
			c->clip = x;
		else
			c->nll_clip = x;
		c->hand |= 1u << ch;
		return CALIB_OK;
	}
	v = lookup(names, value);
	if (v < 0) {
		char list[256];
		size_t n = 0;
		int i;
		list[0] = '\0';
		for (i = 0; names[i] != NULL && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n,
			    "%s%s", i ? (names[i + 1] ? ", " : " or ") : "",
			    names[i]);
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "%s: '%s' is not %s", choice, value, list);
	}
	switch (ch) {
	case 0: c->edges = (calib_edges)v; break;
	case 1: c->closure = (calib_closure)v; break;
	case 2: c->top = (calib_top)v; break;
	case 3: c->arith = (calib_arith)v; break;
	case 4: c->mass = (calib_mass)v; break;
	case 7: c->nll_renorm = v; break;
	case 8: c->brier = (calib_brier_form)v; break;
	}
	c->hand |= 1u << ch;
	return CALIB_OK;
}

calib_status
calib_convention_get(const calib_convention *c, const char *choice,
    char *buf, size_t size)
{
	int ch = lookup(calib_convention_choices, choice), v = 0;

	if (ch < 0 || size == 0)
		return CALIB_E_ARG;
	switch (ch) {
	case 0: v = (int)c->edges; break;
	case 1: v = (int)c->closure; break;
	case 2: v = (int)c->top; break;
	case 3: v = (int)c->arith; break;
	case 4: v = (int)c->mass; break;
	case 5: snprintf(buf, size, "%.17g", c->clip); return CALIB_OK;
	case 6: snprintf(buf, size, "%.17g", c->nll_clip); return CALIB_OK;
	case 7: v = c->nll_renorm != 0; break;
	case 8: v = (int)c->brier; break;
	}
	snprintf(buf, size, "%s", choice_names(ch)[v]);
	return CALIB_OK;
}

/* ---- which bin ------------------------------------------------------ */

/* The score as the convention sees it: clipped, then rounded to float. */
static double
prep(const calib_convention *c, double s)
{
	if (c->clip > 0) {
		if (s < c->clip)
			s = c->clip;
		if (s > 1 - c->clip)
			s = 1 - c->clip;
	}
	if (c->arith == CALIB_ARITH_FLOAT32)
		s = (double)(float)s;
	return s;
}

/*
 * Edge j (0..m) of the kinds that have edges.  torch's CPU linspace kernel
 * computes start + step * j for the first half and end - step * (steps - j
 * - 1) for the rest, all in float, so that both ends are exact.
 */
static double
edge(const calib_convention *c, int j, int m)
{
	switch (c->edges) {
	case CALIB_EDGES_LINSPACE:
		return j == m ? 1.0 : (double)j * (1.0 / m);
	case CALIB_EDGES_LINSPACE32: {
		float step = 1.0f / (float)m, e;
		int halfway = (m + 1) / 2;
		if (j < halfway)
			e = 0.0f + step * (float)j;
		else
			e = 1.0f - step * (float)(m - j);
		return (double)e;
	}
	case CALIB_EDGES_FLOOR_WIDTH:
		return (double)j * (1.0 / m);
	default:
		return (double)j / m;
	}
}

/* The exact floor(s * M) for s in [0, 1): the number of j in 1..M with
 * j/M <= s, decided with fma() as ci_bin_index() does. */
static int
exact_floor(double s, int m)
{
	double M = (double)m, prod = s * M, err = fma(s, M, -prod);
	double f = floor(prod);

	if (prod == f && err < 0)
		f -= 1;
	return f < 0 ? 0 : (int)f;
}

/* Does edge e count as below score s under the closure? */
static int
below(const calib_convention *c, double e, double s)
{
	return c->closure == CALIB_CLOSURE_RIGHT ? e < s : e <= s;
}

/* Bin before the top rule: 0..m, m meaning "at or above the top edge". */
static int
natural_bin(const calib_convention *c, double s, int m)
{
	int lo, hi;

	switch (c->edges) {
	case CALIB_EDGES_EXACT:
		if (c->closure == CALIB_CLOSURE_RIGHT)
			return ci_bin_index(s, m);
		return s >= 1 ? m : exact_floor(s, m);
	case CALIB_EDGES_FLOOR:
		if (c->arith == CALIB_ARITH_FLOAT32)
			return (int)floorf((float)s * (float)m);
		return (int)floor(s * m);
	case CALIB_EDGES_FLOOR_WIDTH:
		/* relplot: (f / bin_size).astype(int), bin_size = 1.0 / M */
		return (int)(s / (1.0 / m));
	default:
		break;
	}
	/* Edges 1..m are monotone: count those below s (right-closed, the
	 * last edge not counted: numpy.searchsorted(edges[1:-1], s)) or at
	 * or below it (left-closed: bisect_right on edges[1:]).  Every edge
	 * is within a few ulps of j/M, so floor(s M) is the count or next to
	 * it, and two or three edges settle it. */
	hi = c->closure == CALIB_CLOSURE_RIGHT ? m - 1 : m;
	lo = (int)(s * m);
	if (lo > hi)
		lo = hi;
	if (lo < 0)
		lo = 0;
	while (lo < hi && below(c, edge(c, lo + 1, m), s))
		lo++;
	while (lo > 0 && !below(c, edge(c, lo, m), s))
		lo--;
	return lo;
}

/* calib_convention_bin() on a score already through prep(). */
static int
conv_bin(const calib_convention *c, double s, int m)
{
	int b = natural_bin(c, s, m);

	if (b < 0)
		b = 0;
	if (b >= m)
		b = c->top == CALIB_TOP_EXTRA ? m : m - 1;
	return b;
}

int
calib_convention_bin(const calib_convention *c, double s, int m)
{
	if (c == NULL)
		return ci_bin_index(s, m);
	return conv_bin(c, prep(c, s), m);
}

double
calib_convention_edge(const calib_convention *c, int j, int m)
{
	calib_convention def;

	if (m < 1 || j < 0 || j > m)
		return NAN;
	if (c == NULL) {
		calib_convention_init(&def);
		c = &def;
	}
	if (c->edges == CALIB_EDGES_EXACT || c->edges == CALIB_EDGES_FLOOR)
		return (double)j / m;
	return edge(c, j, m);
}

/* ---- tables ----------------------------------------------------------- */

typedef ci_order_item entry;

/*
 * numpy.percentile(sorted, q100) with the default linear method as numpy
 * >= 1.22 computes it: q = q100 / 100, virtual index (n - 1) q, and the
 * interpolation a + (b - a) t, or b - (b - a)(1 - t) when t >= 0.5.
 */
static double
np_percentile(const entry *e, size_t n, double q100)
{
	double q = q100 / 100.0, v = (double)(n - 1) * q, prev, t, a, b, d;
	size_t pi, ni;

	if (v >= (double)(n - 1))
		return e[n - 1].s;
	if (v < 0)
		return e[0].s;
	prev = floor(v);
	pi = (size_t)prev;
	ni = pi + 1;
	t = v - prev;
	a = e[pi].s;
	b = e[ni].s;
	d = b - a;
	return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/* Sums of one bin in either arithmetic. */
typedef struct conv_acc {
	ci_sum w, s, o;
	float fw, fs, fo;
	size_t count;
} conv_acc;

static void
acc_add(conv_acc *a, int f32, double s, uint8_t o, double w, uint32_t mult)
{
	uint32_t k;

	a->count += mult;
	if (!f32) {
		double wm = w * mult;
		ci_sum_add(&a->w, wm);
		ci_sum_add(&a->s, wm * s);
		if (o)
			ci_sum_add(&a->o, wm);
		return;
	}
	/* float32 peers add each row in turn (scatter_add, segment sums). */
	for (k = 0; k < mult; k++) {
		float wf = (float)w;
		a->fw += wf;
		a->fs += wf * (float)s;
		if (o)
			a->fo += wf;
	}
}

static void
acc_store(const conv_acc *a, int f32, calib_bin *b)
{
	b->count = a->count;
	if (f32) {
		b->weight = a->fw;
		b->sum_score = a->fs;
		b->sum_outcome = a->fo;
	} else {
		b->weight = ci_sum_get(&a->w);
		b->sum_score = ci_sum_get(&a->s);
		b->sum_outcome = ci_sum_get(&a->o);
	}
}

/*
 * Mass layouts: the bin of every entry of the sorted, multiplicity-expanded
 * list e[0..n), the bins' edges into lo/hi, and their number.
 */
static calib_status
mass_layout(const calib_convention *c, const entry *e, size_t n, int m,
    int *bin, double **lo_out, double **hi_out, int *nb_out)
{
	double *lo = NULL, *hi = NULL;
	int nb = 0, j;
	size_t i, k;

	*lo_out = *hi_out = NULL;
	*nb_out = 0;
	if (c->mass == CALIB_MASS_ARRAY_SPLIT ||
	    c->mass == CALIB_MASS_MIDPOINT) {
		size_t parts = (size_t)m, q, r, pos = 0;
		double *edges;
		if (c->mass == CALIB_MASS_MIDPOINT && parts > n)
			parts = n;
		q = parts ? n / parts : 0;
		r = parts ? n % parts : 0;
		lo = malloc((parts ? parts : 1) * sizeof(*lo));
		hi = malloc((parts ? parts : 1) * sizeof(*hi));
		edges = malloc((parts ? parts : 1) * sizeof(*edges));
		if (lo == NULL || hi == NULL || edges == NULL) {
			free(lo);
			free(hi);
			free(edges);
			return CALIB_E_NOMEM;
		}
		/* numpy.array_split: the first n mod parts parts are one
		 * longer. */
		for (k = 0; k < parts; k++) {
			size_t len = q + (k < r);
			lo[k] = pos ? e[pos - 1].s : 0;
			for (i = pos; i < pos + len; i++)
				bin[i] = (int)k;
			pos += len;
			hi[k] = len ? e[pos - 1].s : lo[k];
		}
		if (c->mass == CALIB_MASS_ARRAY_SPLIT) {
			free(edges);
			*lo_out = lo;
			*hi_out = hi;
			*nb_out = (int)parts;
			return CALIB_OK;
		}
		/* Kumar et al.: midpoints between neighbouring parts, then
		 * 1.0, sorted and deduplicated; bisect_left on them. */
		pos = 0;
		for (k = 0; k + 1 < parts; k++) {
			pos += q + (k < r);
			edges[nb++] = (e[pos - 1].s + e[pos].s) / 2.0;
		}
		edges[nb++] = 1.0;
		{
			int w = 0;
			for (j = 0; j < nb; j++)
				if (w == 0 || edges[j] != edges[w - 1])
					edges[w++] = edges[j];
			nb = w;
		}
		for (i = 0; i < n; i++) {
			int l = 0, h = nb - 1;
			while (l < h) {
				int mid = l + (h - l) / 2;
				if (edges[mid] < e[i].s)
					l = mid + 1;
				else
					h = mid;
			}
			bin[i] = l;
		}
		for (j = 0; j < nb; j++) {
			lo[j] = j ? edges[j - 1] : 0;
			hi[j] = edges[j];
		}
		free(edges);
		*lo_out = lo;
		*hi_out = hi;
		*nb_out = nb;
		return CALIB_OK;
	}
	/* scikit-learn's strategy='quantile'. */
	{
		double *edges = malloc(((size_t)m + 1) * sizeof(*edges));
		size_t *cnt = calloc((size_t)m, sizeof(*cnt));
		int *map = malloc((size_t)m * sizeof(*map));
		lo = malloc((size_t)m * sizeof(*lo));
		hi = malloc((size_t)m * sizeof(*hi));
		if (edges == NULL || cnt == NULL || map == NULL || lo == NULL ||
		    hi == NULL) {
			free(edges);
			free(cnt);
			free(map);
			free(lo);
			free(hi);
			return CALIB_E_NOMEM;
		}
		for (j = 0; j <= m; j++) {
			double q = j == m ? 1.0 : (double)j * (1.0 / m);
			edges[j] = n ? np_percentile(e, n, q * 100) : q;
		}
		for (i = 0; i < n; i++) {
			/* searchsorted(edges[1:-1], s, side) */
			int l = 1, h = m - 1;
			while (l <= h) {
				int mid = l + (h - l) / 2;
				if (c->closure == CALIB_CLOSURE_RIGHT ?
				    edges[mid] < e[i].s : edges[mid] <= e[i].s)
					l = mid + 1;
				else
					h = mid - 1;
			}
			bin[i] = l - 1;
			cnt[l - 1]++;
		}
		/* Empty bins are dropped, as calibration_curve does. */
		for (j = 0; j < m; j++) {
			map[j] = -1;
			if (cnt[j] > 0) {
				map[j] = nb;
				lo[nb] = edges[j];
				hi[nb] = edges[j + 1];
				nb++;
			}
		}
		for (i = 0; i < n; i++)
			bin[i] = map[bin[i]];
		free(edges);
		free(cnt);
		free(map);
		*lo_out = lo;
		*hi_out = hi;
		*nb_out = nb;
		return CALIB_OK;
	}
}

/* The table's bins, row count and total weight from nb accumulators. */
static void
store_bins(const conv_acc *acc, int nb, int f32, calib_bins *out)
{
	ci_sum W = { 0, 0 };
	size_t total = 0;
	int j;

	for (j = 0; j < nb; j++) {
		acc_store(&acc[j], f32, &out->bin[j]);
		total += acc[j].count;
		ci_sum_add(&W, out->bin[j].weight);
	}
	out->m = nb;
	out->n = total;
	if (f32) {
		float t = 0;
		for (j = 0; j < nb; j++)
			t += (float)out->bin[j].weight;
		out->total_weight = t;
	} else {
		out->total_weight = ci_sum_get(&W);
	}
}

/* The equal-width edges of a table of nb = m or m + 1 bins. */
static void
width_edges(const calib_convention *c, int m, int nb, calib_bins *out)
{
	int j;

	for (j = 0; j < m; j++) {
		out->bin[j].lo = calib_convention_edge(c, j, m);
		out->bin[j].hi = calib_convention_edge(c, j + 1, m);
	}
	if (nb > m)
		out->bin[m].lo = out->bin[m].hi = 1;
}

calib_status
ci_conv_bin_arrays(size_t n, const double *score, const uint8_t *outcome,
    const double *weight, const uint32_t *mult, int m, calib_binning binning,
    const calib_convention *c, int32_t *row_bin, calib_bins *out)
{
	const int f32 = c->arith == CALIB_ARITH_FLOAT32;
	conv_acc *acc = NULL;
	size_t i;
	int j, nb;

	memset(out, 0, sizeof(*out));
	if (m < 1)
		return CALIB_E_ARG;
	out->binning = binning;
	out->requested = m;
	out->float32 = f32;

	if (binning == CALIB_BIN_WIDTH) {
		nb = m + (c->top == CALIB_TOP_EXTRA);
		acc = calloc((size_t)nb, sizeof(*acc));
		out->bin = calloc((size_t)nb, sizeof(*out->bin));
		if (acc == NULL || out->bin == NULL) {
			free(acc);
			calib_bins_release(out);
			return CALIB_E_NOMEM;
		}
		for (i = 0; i < n; i++) {
			uint32_t k = mult ? mult[i] : 1;
			double s = prep(c, score[i]);
			int b = conv_bin(c, s, m);
			if (row_bin != NULL)
				row_bin[i] = b;
			if (k == 0)
				continue;
			acc_add(&acc[b], f32, s, outcome[i],
			    weight ? weight[i] : 1.0, k);
		}
		width_edges(c, m, nb, out);
	} else if (c->mass == CALIB_MASS_CALIB) {
		calib_status st;
		double *ps = calloc(n ? n : 1, sizeof(*ps));
		if (ps == NULL)
			return CALIB_E_NOMEM;
		for (i = 0; i < n; i++)
			ps[i] = prep(c, score[i]);
		st = ci_bin_arrays(n, ps, outcome, weight, mult, m, binning,
		    NULL, NULL, out);
		if (st == CALIB_OK && row_bin != NULL)
			for (i = 0; i < n; i++) {
				int l = 0, h = out->m - 1;
				while (l < h) {
					int mid = l + (h - l) / 2;
					if (ps[i] <= out->bin[mid].hi)
						h = mid;
					else
						l = mid + 1;
				}
				row_bin[i] = l;
			}
		free(ps);
		return st;
	} else {
		entry *e;
		int *eb;
		double *lo, *hi;
		size_t cnt = 0, pos = 0;
		calib_status st;
		uint32_t k;

		for (i = 0; i < n; i++)
			cnt += mult ? mult[i] : 1;
		e = malloc((cnt ? cnt : 1) * sizeof(*e));
		eb = malloc((cnt ? cnt : 1) * sizeof(*eb));
		if (e == NULL || eb == NULL) {
			free(e);
			free(eb);
			return CALIB_E_NOMEM;
		}
		for (i = 0; i < n; i++)
			for (k = 0; k < (mult ? mult[i] : 1); k++) {
				e[pos].s = prep(c, score[i]);
				e[pos].i = i;
				pos++;
			}
		qsort(e, cnt, sizeof(*e), ci_order_cmp);
		st = mass_layout(c, e, cnt, m, eb, &lo, &hi, &nb);
		if (st == CALIB_OK) {
			acc = calloc((size_t)(nb ? nb : 1), sizeof(*acc));
			out->bin = calloc((size_t)(nb ? nb : 1),
			    sizeof(*out->bin));
			if (acc == NULL || out->bin == NULL)
				st = CALIB_E_NOMEM;
		}
		if (st != CALIB_OK) {
			/* mass_layout() leaves lo and hi NULL when it fails */
			free(e);
			free(eb);
			free(acc);
			free(lo);
			free(hi);
			calib_bins_release(out);
			return st;
		}
		for (i = 0; i < cnt; i++) {
			size_t r = e[i].i;
			acc_add(&acc[eb[i]], f32, e[i].s, outcome[r],
			    weight ? weight[r] : 1.0, 1);
			if (row_bin != NULL)
				row_bin[r] = eb[i];
		}
		for (j = 0; j < nb; j++) {
			out->bin[j].lo = lo[j];
			out->bin[j].hi = hi[j];
		}
		free(lo);
		free(hi);
		free(e);
		free(eb);
	}
	store_bins(acc, nb, f32, out);
	free(acc);
	return CALIB_OK;
}

/* ---- the bootstrap's cache ------------------------------------------- */

int
ci_conv_cells_build(const calib_preds *p, int m, const calib_convention *c,
    ci_cells *cells)
{
	size_t i, k = (size_t)p->k;
	int nb = m + (c->top == CALIB_TOP_EXTRA);

	memset(cells, 0, sizeof(*cells));
	cells->m = m;
	cells->conv = c;
	cells->nb = nb;
	cells->top = malloc((p->n ? p->n : 1) * sizeof(uint32_t));
	if (cells->top == NULL)
		return -1;
	for (i = 0; i < p->n; i++)
		cells->top[i] = (uint32_t)conv_bin(c, prep(c, p->score[i]), m);
	if (p->probs != NULL) {
		size_t nk = p->n * k, j;
		cells->cls = malloc((nk ? nk : 1) * sizeof(uint32_t));
		if (cells->cls == NULL) {
			ci_cells_free(cells);
			return -1;
		}
		for (j = 0; j < nk; j++)
			cells->cls[j] = (uint32_t)(j % k) * (uint32_t)nb +
			    (uint32_t)conv_bin(c, prep(c, p->probs[j]), m);
	}
	return 0;
}

calib_status
ci_conv_bins_cached(const calib_preds *p, const ci_cells *cells,
    const uint32_t *mult, calib_bins *out)
{
	const calib_convention *c = cells->conv;
	const int f32 = c->arith == CALIB_ARITH_FLOAT32, nb = cells->nb;
	conv_acc *acc;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->binning = CALIB_BIN_WIDTH;
	out->requested = cells->m;
	out->float32 = f32;
	acc = calloc((size_t)nb, sizeof(*acc));
	out->bin = calloc((size_t)nb, sizeof(*out->bin));
	if (acc == NULL || out->bin == NULL) {
		free(acc);
		calib_bins_release(out);
		return CALIB_E_NOMEM;
	}
	for (i = 0; i < p->n; i++) {
		uint32_t k = mult ? mult[i] : 1;
		if (k > 0)
			acc_add(&acc[cells->top[i]], f32, prep(c, p->score[i]),
			    p->outcome[i], p->weight ? p->weight[i] : 1.0, k);
	}
	width_edges(c, cells->m, nb, out);
	store_bins(acc, nb, f32, out);
	free(acc);
	return CALIB_OK;
}

/* ci_conv_classwise() from cached cells: every class's table gets its rows
 * in the same order, so the sums are the same doubles. */
calib_status
ci_conv_classwise_cached(const calib_preds *p, const ci_cells *cells,
    const uint32_t *mult, double *out)
{
	const calib_convention *c = cells->conv;
	const int f32 = c->arith == CALIB_ARITH_FLOAT32, nb = cells->nb;
	const size_t k = (size_t)p->k;
	ci_sum total = { 0, 0 };
	conv_acc *acc;
	calib_bins b;
	size_t i, j;

	*out = NAN;
	acc = calloc(k * (size_t)nb, sizeof(*acc));
	memset(&b, 0, sizeof(b));
	b.bin = calloc((size_t)nb, sizeof(*b.bin));
	if (acc == NULL || b.bin == NULL) {
		free(acc);
		free(b.bin);
		return CALIB_E_NOMEM;
	}
	for (i = 0; i < p->n; i++) {
		uint32_t cnt = mult ? mult[i] : 1;
		double w = p->weight ? p->weight[i] : 1.0;
		if (cnt == 0)
			continue;
		for (j = 0; j < k; j++)
			acc_add(&acc[cells->cls[i * k + j]], f32,
			    prep(c, p->probs[i * k + j]),
			    p->label[i] == (int32_t)j, w, cnt);
	}
	b.binning = CALIB_BIN_WIDTH;
	b.requested = cells->m;
	b.float32 = f32;
	for (j = 0; j < k; j++) {
		store_bins(acc + j * (size_t)nb, nb, f32, &b);
		ci_sum_add(&total, calib_ece(&b));
	}
	free(acc);
	free(b.bin);
	*out = ci_sum_get(&total) / p->k;
	return CALIB_OK;
}

calib_status
calib_bins_compute_conv(const calib_preds *p, int m, calib_binning binning,
    const calib_convention *c, const uint32_t *mult, calib_bins *out)
{
	if (calib_convention_is_default(c))
		return calib_bins_compute(p, m, binning, mult, out);
	if (p == NULL || out == NULL)
		return CALIB_E_ARG;
	return ci_conv_bin_arrays(p->n, p->score, p->outcome, p->weight, mult,
	    m, binning, c, NULL, out);
}

/* ---- float32 metrics ---------------------------------------------------
 *
 * torchmetrics and TensorFlow Probability compute, per bin, the mean
 * confidence and accuracy as float sums divided by the float count, the
 * bin's share as count / total, and then sum over the bins in float:
 *   ECE = sum |acc - conf| * share,  RMSCE = sqrt(sum (acc - conf)^2 share),
 *   MCE = max |acc - conf|  (empty bins give 0 - 0).
 */

typedef struct f32_bin {
	float conf, acc, share;
	int nonempty;
} f32_bin;

static f32_bin
f32_get(const calib_bins *b, int j)
{
	f32_bin r;
	float w = (float)b->bin[j].weight;

	r.nonempty = w > 0;
	r.conf = r.nonempty ? (float)b->bin[j].sum_score / w : 0.0f;
	r.acc = r.nonempty ? (float)b->bin[j].sum_outcome / w : 0.0f;
	r.share = w / (float)b->total_weight;
	return r;
}

double
ci_f32_ece(const calib_bins *b)
{
	float e = 0;
	int j;

	for (j = 0; j < b->m; j++) {
		f32_bin x = f32_get(b, j);
		e += fabsf(x.acc - x.conf) * x.share;
	}
	return e;
}

double
ci_f32_rmsce(const calib_bins *b)
{
	float e = 0;
	int j;

	for (j = 0; j < b->m; j++) {
		f32_bin x = f32_get(b, j);
		float d = x.acc - x.conf;
		e += d * d * x.share;
	}
	return e > 0 ? sqrtf(e) : 0.0f;
}

double
ci_f32_mce(const calib_bins *b)
{
	float mx = 0;
	int j, any = 0;

	for (j = 0; j < b->m; j++) {
		f32_bin x = f32_get(b, j);
		float d = fabsf(x.acc - x.conf);
		if (x.nonempty)
			any = 1;
		if (d > mx)
			mx = d;
	}
	return any ? mx : NAN;
}

double
ci_f32_oe(const calib_bins *b)
{
	float e = 0;
	int j;

	for (j = 0; j < b->m; j++) {
		f32_bin x = f32_get(b, j);
		if (x.conf > x.acc)
			e += x.conf * (x.conf - x.acc) * x.share;
	}
	return e;
}

/* ---- metrics under a convention ---------------------------------------- */

/* Classwise ECE: every class column binned under c (needs the matrix). */
calib_status
ci_conv_classwise(const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult, double *out)
{
	double *col;
	uint8_t *hit;
	ci_sum total = { 0, 0 };
	size_t i;
	int k;

	*out = NAN;
	if (p->probs == NULL)
		return CALIB_OK;
	col = malloc((p->n ? p->n : 1) * sizeof(*col));
	hit = malloc(p->n ? p->n : 1);
	if (col == NULL || hit == NULL) {
		free(col);
		free(hit);
		return CALIB_E_NOMEM;
	}
	for (k = 0; k < p->k; k++) {
		calib_bins b;
		calib_status st;
		for (i = 0; i < p->n; i++) {
			col[i] = p->probs[i * (size_t)p->k + (size_t)k];
			hit[i] = p->label[i] == k;
		}
		st = ci_conv_bin_arrays(p->n, col, hit, p->weight, mult,
		    o->bins, o->binning, o->convention, NULL, &b);
		if (st != CALIB_OK) {
			free(col);
			free(hit);
			return st;
		}
		ci_sum_add(&total, calib_ece(&b));
		calib_bins_release(&b);
	}
	free(col);
	free(hit);
	*out = ci_sum_get(&total) / p->k;
	return CALIB_OK;
}

/*
 * The NLL with the convention's clipping and renormalisation: scikit-learn's
 * log_loss clips every probability into [eps, 1 - eps] and divides the row
 * by its sum, so the loss of row i is -ln(clip(p_iy) / sum_k clip(p_ik)).
 */
double
ci_conv_nll(const calib_preds *p, const calib_metric_options *o,
    const uint32_t *mult)
{
	const calib_convention *c = o->convention;
	double eps = o->nll_clip > 0 ? o->nll_clip : c->nll_clip;
	ci_sum sum = { 0, 0 }, den = { 0, 0 };
	size_t i;
	int k, inf = 0;

	if (c->nll_renorm ? p->probs == NULL : p->nll == NULL)
		return NAN;
	for (i = 0; i < p->n; i++) {
		double w = p->weight ? p->weight[i] : 1.0, v;
		if (mult != NULL)
			w *= mult[i];
		if (w == 0)
			continue;
		if (c->nll_renorm) {
			const double *pr = p->probs + i * (size_t)p->k;
			double s = 0, py = 0;
			for (k = 0; k < p->k; k++) {
				double x = pr[k];
				if (eps > 0)
					x = x < eps ? eps : x > 1 - eps ?
					    1 - eps : x;
				s += x;
				if (k == p->label[i])
					py = x;
			}
			v = -log(py / s);
		} else {
			v = p->nll[i];
			if (eps > 0) {
				if (v > -log(eps))
					v = -log(eps);
				if (v < -log1p(-eps))
					v = -log1p(-eps);
			}
		}
		if (isinf(v))
			inf = 1;
		else
			ci_sum_add(&sum, w * v);
		ci_sum_add(&den, w);
	}
	if (!(ci_sum_get(&den) > 0))
		return NAN;
	return inf ? INFINITY : ci_sum_get(&sum) / ci_sum_get(&den);
}

/*
 * The binary Brier form of scikit-learn's brier_score_loss for a 2-class
 * file: mean_w (p_i1 - [y_i = 1])^2.  Without the matrix, half the sum
 * form, which is the same when the rows sum to 1.
 */
double
ci_conv_brier(const calib_preds *p, const uint32_t *mult, double sum_form)
{
	ci_sum sum = { 0, 0 }, den = { 0, 0 };
	size_t i;

	if (p->k != 2)
		return sum_form;
	if (p->probs == NULL)
		return sum_form / 2;
	for (i = 0; i < p->n; i++) {
		double w = p->weight ? p->weight[i] : 1.0, d;
		if (mult != NULL)
			w *= mult[i];
		if (w == 0)
			continue;
		d = p->probs[2 * i + 1] - (p->label[i] == 1);
		ci_sum_add(&sum, w * d * d);
		ci_sum_add(&den, w);
	}
	return ci_sum_get(&den) > 0 ? ci_sum_get(&sum) / ci_sum_get(&den) :
	    NAN;
}
