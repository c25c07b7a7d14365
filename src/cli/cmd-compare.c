/*
 * cmd-compare.c - calib compare: several runs on the same test set, side by
 * side, with paired-bootstrap intervals on their differences; or groups of
 * runs (seeds) with mean +- standard deviation and Welch intervals.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"
#include "json-writer.h"

enum { FMT_TEXT, FMT_JSON, FMT_MARKDOWN };
enum {
	OPT_NAMES = CLI_OPT_CMD_BASE,
	OPT_GROUP,
	OPT_BOOTSTRAP,
	OPT_SEED,
	OPT_CI_LEVEL,
	OPT_EPSILON,
	OPT_FIGURES,
	OPT_CALIBRATE_ON,
	OPT_CALIBRATE_METHOD,
	OPT_BOOT_METHOD,
	OPT_REFERENCE,
	OPT_ALL_PAIRS,
	OPT_DIGITS,
	OPT_PERCENT,
	OPT_SWEEP,
	OPT_SWEEP_METRICS
};

/*
 * What compare reports, in order: ids in the library's metric table.  The
 * default list is compare's own choice of rows; --metrics replaces it.
 */
static const char *const default_metrics[] = {
	"accuracy", "mean_confidence", "overconfidence", "ece", "mce", "oe",
	"classwise_ece", "nll", "brier", "entropy"
};
#define MAXM 64
static int M[MAXM];
static int NM;
#define INFO(j) calib_metric_info_get(M[j])
/* Shown in percentage points. */
#define PTS(j) (INFO(j)->unit == CALIB_UNIT_FRACTION)
#define SIGNED(j) (INFO(j)->direction == CALIB_DIR_SIGNED)

struct run {
	char *name;
	const char *file;
	calib_preds *p;
	calib_metrics m;
	char *recal;           /* "temperature 1.83 fitted on val.csv" */
};

struct group {
	char *name;
	int first, count;      /* runs[first .. first+count) */
	double mean[MAXM], sd[MAXM];
};

/* One difference between a run (or group) and the baseline. */
struct diff {
	double d, lo, hi;      /* lo/hi NaN without an interval */
};

struct ctx {
	struct cli_read r;
	struct run *runs;
	int nruns;
	struct group *groups;
	int ngroups;
	int boot_n;
	calib_bootstrap_method boot_method; /* --bootstrap-method */
	unsigned long seed;
	double level;
	double *eps;           /* per run, NaN when not given */
	const char *eps_arg;
	const char *figext;    /* "png", "svg" or "pdf" */
	const char *calibrate_on;
	calib_method method;
	struct cli_plot_opts po;
	calib_bootstrap boot;
	int have_boot;
	/* side[i]: overconfidence interval of run i (plain mode) */
	struct diff *side;
	/* The comparisons: pair[q] = { i, k } is run (or group) i against
	 * k, the difference i - k; every unit against the reference (the
	 * first unless --reference), or with --all-pairs every unit against
	 * every earlier one. */
	const char *reference;
	int all_pairs;
	/* The metric table in text and markdown: --digits significant
	 * digits (0: 4 decimals), --percent fractions as percentages. */
	int digits;
	int percent;
	int (*pair)[2];
	int npairs;
	/* cmp[q * NM + j]: comparison q, metric j */
	struct diff *cmp;
	/* --sweep NAME=V,...: the parameter's value per run (per group with
	 * --group), and the metrics drawn against it (library ids) */
	const char *sweep_arg;
	char sweep_name[33];
	double *sweep;
	int sweep_m[MAXM];
	int nsweep_m;
};

/* Runs, or groups when there are groups: what gets compared. */
static int
nunits(const struct ctx *C)
{
	return C->ngroups ? C->ngroups : C->nruns;
}

static const char *
unit_name(const struct ctx *C, int i)
{
	return C->ngroups ? C->groups[i].name : C->runs[i].name;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s compare [OPTIONS] A.csv B.csv [C.csv ...]\n"
	    "       %s compare [OPTIONS] --group NAME=F1,F2,... --group NAME=F1,...\n"
	    "\n"
	    "Compare runs evaluated on the same test set: each file holds one\n"
	    "run's predictions, rows paired by position (the labels must be\n"
	    "identical).  Every run is compared with the first, or with the\n"
	    "one --reference names, or with every other (--all-pairs).\n"
	    "\n"
	    "Comparison:\n"
	    "  -n, --names A,B,...    run names (default: file names without\n"
	    "                         directory and extension)\n"
	    "      --bootstrap N      paired bootstrap replicates (default 1000;\n"
	    "                         0 for no intervals)\n"
	    "      --seed S           bootstrap seed (default 20191206)\n"
	    "      --bootstrap-method M  multinomial (default) or poisson\n"
	    "                         (Poisson(1) counts per row: mergeable)\n"
	    "      --ci-level X       interval level (default 0.95)\n"
	    "      --reference NAME   compare every run (or group) with NAME\n"
	    "                         (default: the first)\n"
	    "      --all-pairs        compare every run (or group) with every\n"
	    "                         earlier one\n"
	    "      --group NAME=FILES several runs (seeds) per arm, comma-\n"
	    "                         separated; repeat per arm.  Reports mean\n"
	    "                         +- standard deviation over runs and Welch t\n"
	    "                         intervals on the difference of means\n"
	    "      --calibrate-on V[,V...] per run, a validation file to fit a\n"
	    "                         recalibration map on (or a model file from\n"
	    "                         calib fit): each run is shown before and\n"
	    "                         after it, as NAME and NAME+TS\n"
	    "      --calibrate-method M  the map fitted on validation files:\n"
	    "                         temperature (default), vector, histogram,\n"
	    "                         isotonic, platt, beta\n"
	    "      --epsilon E[,E...] label-smoothing strength of each run (or one\n"
	    "                         for all): marks 1-E+E/K and E/K in the\n"
	    "                         confidence histogram\n"
	    "      --sweep NAME=V,V,...  a numeric parameter's value for each run\n"
	    "                         (each group with --group): with -o, draws\n"
	    "                         sweep.EXT, each metric against it, with\n"
	    "                         its interval, and writes sweep.csv\n"
	    "      --sweep-metrics M,...  the metrics drawn (default ece,\n"
	    "                         overconfidence,accuracy,nll)\n"
	    "\n"
	    "Output:\n"
	    "  -f, --format FMT       text (default), json, markdown\n"
	    "      --digits N         significant digits of the metric table in\n"
	    "                         text and markdown, 1..17 (default: 4\n"
	    "                         decimals)\n"
	    "      --percent          fractions (accuracy, ECE, ...) in that table\n"
	    "                         as percentages\n"
	    "  -o, --output DIR       also write compare.txt, compare.json and\n"
	    "                         the figures reliability.png (the runs'\n"
	    "                         reliability diagrams side by side) and\n"
	    "                         confidence.png (their confidence\n"
	    "                         histograms overlaid) into DIR\n"
	    "      --figures EXT      png (default), svg, pdf or tex (LaTeX text\n"
	    "                         over a PDF, from gnuplot's cairolatex)\n"
	    "      --size WxH         figure size in pixels (points for PDF and\n"
	    "                         .tex; default 330 per run + 90 by 640 for\n"
	    "                         the diagrams, 760x540 for the histograms)\n"
	    "      --title TEXT       title above the figures\n"
	    "%s"
	    "      --gnuplot PATH     gnuplot binary to run (default "
	    CALIB_GNUPLOT ")\n"
	    "  -h, --help             show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error (including runs\n"
	    "whose labels differ), 3 figures not rendered (gnuplot missing).\n",
	    cli_progname, cli_progname, cli_plot_style_help, cli_metric_help,
	    cli_read_help);
}

static double
metric(const calib_metrics *m, int j)
{
	double v = NAN;

	v = calib_metrics_value(m, M[j]);
	return v;
}

/* ---- words ------------------------------------------------------- */

/* A value of the metric table (metric j): 4 decimals, or --digits
 * significant digits; fractions as percentages with --percent. */
static void
fmt_value(const struct ctx *C, char *buf, size_t size, double v, int j,
    int sign)
{
	int pct = C->percent && PTS(j);
	double x = pct ? 100 * v : v;

	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (isinf(v))
		snprintf(buf, size, "%sinf", v < 0 ? "-" : (sign ? "+" : ""));
	else if (C->digits > 0)
		snprintf(buf, size, sign ? "%+.*g%s" : "%.*g%s", C->digits, x,
		    pct ? "%" : "");
	else
		snprintf(buf, size, sign ? "%+.*f%s" : "%.*f%s", pct ? 2 : 4, x,
		    pct ? "%" : "");
}

static void
fmt_scaled(char *buf, size_t size, double v, int pts, int sign)
{
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (isinf(v))
		snprintf(buf, size, "%sinf", v < 0 ? "-" : (sign ? "+" : ""));
	else if (pts)
		snprintf(buf, size, sign ? "%+.2f" : "%.2f", 100 * v);
	else
		snprintf(buf, size, sign ? "%+.4f" : "%.4f", v);
}

/*
 * "ECE: smooth is lower by 3.40 points [2.90, 3.90] (95 % CI)".  The
 * interval is of the change in the direction named, so both ends are
 * positive when the difference is clear.
 */
static void
verdict(FILE *fp, int j, const char *who, const char *base,
    const struct diff *x, double level, const char *ci_kind)
{
	char a[32], b[32], c[32];
	const char *unit = PTS(j) ? " points" : "";

	if (isnan(x->lo) || isnan(x->hi)) {
		fmt_scaled(a, sizeof(a), x->d, PTS(j), 1);
		fprintf(fp, "  %s: %s - %s = %s%s (no interval)\n", INFO(j)->label,
		    who, base, a, unit);
	} else if (x->lo > 0) {
		fmt_scaled(a, sizeof(a), x->d, PTS(j), 0);
		fmt_scaled(b, sizeof(b), x->lo, PTS(j), 0);
		fmt_scaled(c, sizeof(c), x->hi, PTS(j), 0);
		fprintf(fp, "  %s: %s is higher by %s%s [%s, %s] (%g %% %s)\n",
		    INFO(j)->label, who, a, unit, b, c, 100 * level, ci_kind);
	} else if (x->hi < 0) {
		fmt_scaled(a, sizeof(a), -x->d, PTS(j), 0);
		fmt_scaled(b, sizeof(b), -x->hi, PTS(j), 0);
		fmt_scaled(c, sizeof(c), -x->lo, PTS(j), 0);
		fprintf(fp, "  %s: %s is lower by %s%s [%s, %s] (%g %% %s)\n",
		    INFO(j)->label, who, a, unit, b, c, 100 * level, ci_kind);
	} else {
		fmt_scaled(a, sizeof(a), x->d, PTS(j), 1);
		fmt_scaled(b, sizeof(b), x->lo, PTS(j), 1);
		fmt_scaled(c, sizeof(c), x->hi, PTS(j), 1);
		fprintf(fp, "  %s: no clear difference between %s and %s "
		    "(%s%s [%s, %s], %g %% %s)\n", INFO(j)->label, who, base, a,
		    unit, b, c, 100 * level, ci_kind);
	}
}

static const char *
verdict_word(const struct diff *x)
{
	if (isnan(x->lo) || isnan(x->hi))
		return "no interval";
	if (x->lo > 0)
		return "higher";
	if (x->hi < 0)
		return "lower";
	return "no clear difference";
}

static const char *
side_word(const struct diff *x)
{
	if (isnan(x->lo) || isnan(x->hi))
		return x->d > 0 ? "overconfident" : x->d < 0 ?
		    "underconfident" : "calibrated";
	if (x->lo > 0)
		return "overconfident";
	if (x->hi < 0)
		return "underconfident";
	return "neither";
}

/* Which side of the diagonal a run sits on. */
static void
side_line(FILE *fp, const struct run *ru, const struct diff *x, double level)
{
	const int top = ru->p->target == CALIB_TARGET_TOP;
	const char *conf = top ? "mean confidence" : "mean p";
	const char *acc = top ? "accuracy" : "the fraction of positives";
	char a[32], b[32], c[32];
	const char *w = side_word(x);
	int ci = !(isnan(x->lo) || isnan(x->hi));

	if (strcmp(w, "overconfident") == 0) {
		fmt_scaled(a, sizeof(a), x->d, 1, 0);
		fmt_scaled(b, sizeof(b), x->lo, 1, 0);
		fmt_scaled(c, sizeof(c), x->hi, 1, 0);
		fprintf(fp, "  %s: overconfident - %s exceeds %s by %s points",
		    ru->name, conf, acc, a);
	} else if (strcmp(w, "underconfident") == 0) {
		fmt_scaled(a, sizeof(a), -x->d, 1, 0);
		fmt_scaled(b, sizeof(b), -x->hi, 1, 0);
		fmt_scaled(c, sizeof(c), -x->lo, 1, 0);
		fprintf(fp, "  %s: underconfident - %s exceeds %s by %s points",
		    ru->name, acc, conf, a);
	} else {
		fmt_scaled(a, sizeof(a), x->d, 1, 1);
		fmt_scaled(b, sizeof(b), x->lo, 1, 1);
		fmt_scaled(c, sizeof(c), x->hi, 1, 1);
		fprintf(fp, "  %s: neither clearly over- nor underconfident - "
		    "%s - %s = %s points", ru->name, conf, acc, a);
	}
	if (ci)
		fprintf(fp, " [%s, %s] (%g %% CI)\n", b, c, 100 * level);
	else
		fprintf(fp, " (no interval)\n");
}

/* ---- statistics -------------------------------------------------- */

static void
group_stats(struct ctx *C, struct group *g)
{
	int j, i;

	for (j = 0; j < NM; j++) {
		double s = 0, ss = 0, mean;
		for (i = 0; i < g->count; i++)
			s += metric(&C->runs[g->first + i].m, j);
		mean = s / g->count;
		for (i = 0; i < g->count; i++) {
			double d = metric(&C->runs[g->first + i].m, j) - mean;
			ss += d * d;
		}
		g->mean[j] = mean;
		g->sd[j] = g->count > 1 ? sqrt(ss / (g->count - 1)) : NAN;
	}
}

/*
 * Welch's t interval for mean(b) - mean(a) (Welch, Biometrika 1947): the
 * runs in a group differ by training seed, so the spread over seeds is the
 * noise the difference must exceed.
 */
static struct diff
welch(const struct group *a, const struct group *b, int j, double level)
{
	struct diff x;
	double va = a->sd[j] * a->sd[j] / a->count;
	double vb = b->sd[j] * b->sd[j] / b->count;
	double se = sqrt(va + vb), df, t;

	x.d = b->mean[j] - a->mean[j];
	x.lo = x.hi = NAN;
	if (isnan(se) || isinf(x.d))
		return x;
	if (se == 0) {
		x.lo = x.hi = x.d;
		return x;
	}
	/* Welch-Satterthwaite degrees of freedom */
	df = (va + vb) * (va + vb) /
	    (va * va / (a->count - 1) + vb * vb / (b->count - 1));
	t = gsl_cdf_tdist_Pinv((1 + level) / 2, df);
	x.lo = x.d - t * se;
	x.hi = x.d + t * se;
	return x;
}

/* ---- output ------------------------------------------------------ */

static void
write_text_plain(FILE *fp, const struct ctx *C)
{
	const int lw = 16;
	char buf[32];
	int i, j, q, w = 12;

	for (i = 0; i < C->nruns; i++)
		if ((int)strlen(C->runs[i].name) > w)
			w = (int)strlen(C->runs[i].name);
	fprintf(fp, "# %d runs on the same %zu rows; %d %s bins; ", C->nruns,
	    C->runs[0].p->n, C->r.mo.bins, C->r.mo.binning ==
	    CALIB_BIN_WIDTH ? "equal-width" : "equal-mass");
	if (C->have_boot)
		fprintf(fp, "paired %sbootstrap, %d replicates, seed %lu, %g %% "
		    "intervals\n", C->boot_method == CALIB_BOOTSTRAP_POISSON ?
		    "Poisson " : "", C->boot_n, C->seed, 100 * C->level);
	else
		fprintf(fp, "no bootstrap\n");
	fprintf(fp, "%-*s", lw, "");
	for (i = 0; i < C->nruns; i++)
		fprintf(fp, "  %*s", w, C->runs[i].name);
	fputc('\n', fp);
	for (j = 0; j < NM; j++) {
		fprintf(fp, "%-*s", lw, INFO(j)->name);
		for (i = 0; i < C->nruns; i++) {
			double v = metric(&C->runs[i].m, j);
			if (isnan(v) && C->runs[i].p->top_only)
				/* '-': not computable from a top-label-only
				 * file, as calib metrics prints it. */
				snprintf(buf, sizeof(buf), "-");
			else
				fmt_value(C, buf, sizeof(buf), v, j, SIGNED(j));
			fprintf(fp, "  %*s", w, buf);
		}
		fputc('\n', fp);
	}
	for (i = 0; i < C->nruns; i++)
		if (C->runs[i].recal != NULL)
			break;
	if (i < C->nruns) {
		fprintf(fp, "\nRecalibration:\n");
		for (i = 0; i < C->nruns; i++)
			if (C->runs[i].recal != NULL)
				fprintf(fp, "  %s: %s\n", C->runs[i].name,
				    C->runs[i].recal);
	}
	fprintf(fp, "\nCalibration (mean confidence against accuracy):\n");
	for (i = 0; i < C->nruns; i++)
		side_line(fp, &C->runs[i], &C->side[i], C->level);
	for (q = 0; q < C->npairs; q++) {
		const char *a = C->runs[C->pair[q][0]].name;
		const char *b = C->runs[C->pair[q][1]].name;
		fprintf(fp, "\n%s against %s (difference %s - %s):\n", a, b, a,
		    b);
		for (j = 0; j < NM; j++)
			verdict(fp, j, a, b, &C->cmp[(size_t)q * NM + (size_t)j],
			    C->level, "CI");
	}
}

static void
write_text_groups(FILE *fp, const struct ctx *C)
{
	const int lw = 16;
	char buf[400], a[32], b[32];
	int g, j, q, w = 20;

	fprintf(fp, "# %d groups on the same %zu rows; %d %s bins; mean +- "
	    "standard deviation over runs; Welch t %g %% intervals\n",
	    C->ngroups, C->runs[0].p->n, C->r.mo.bins, C->r.mo.binning ==
	    CALIB_BIN_WIDTH ? "equal-width" : "equal-mass", 100 * C->level);
	fprintf(fp, "%-*s", lw, "");
	for (g = 0; g < C->ngroups; g++) {
		snprintf(buf, sizeof(buf), "%s (%d runs)", C->groups[g].name,
		    C->groups[g].count);
		fprintf(fp, "  %*s", w, buf);
	}
	fputc('\n', fp);
	for (j = 0; j < NM; j++) {
		fprintf(fp, "%-*s", lw, INFO(j)->name);
		for (g = 0; g < C->ngroups; g++) {
			const struct group *G = &C->groups[g];
			fmt_value(C, a, sizeof(a), G->mean[j], j, SIGNED(j));
			fmt_value(C, b, sizeof(b), G->sd[j], j, 0);
			snprintf(buf, sizeof(buf), "%s +- %s", a, b);
			fprintf(fp, "  %*s", w, buf);
		}
		fputc('\n', fp);
	}
	for (q = 0; q < C->npairs; q++) {
		const char *a1 = C->groups[C->pair[q][0]].name;
		const char *b1 = C->groups[C->pair[q][1]].name;
		fprintf(fp, "\n%s against %s (difference of means):\n", a1, b1);
		for (j = 0; j < NM; j++)
			verdict(fp, j, a1, b1, &C->cmp[(size_t)q * NM + (size_t)j],
			    C->level, "Welch CI over runs");
	}
}

static void
json_diff(struct jw *w, const struct diff *x)
{
	jw_object_begin(w);
	jw_number_member(w, "difference", x->d);
	jw_array_member(w, "ci");
	jw_number(w, x->lo);
	jw_number(w, x->hi);
	jw_array_end(w);
	jw_string_member(w, "verdict", verdict_word(x));
	jw_object_end(w);
}

/* Each metric's value in vals (NM of them, in INFO order) as members. */
static void
json_metrics(struct jw *w, const char *key, const double *vals)
{
	int j;

	jw_object_member(w, key);
	for (j = 0; j < NM; j++)
		jw_number_member(w, INFO(j)->name, vals[j]);
	jw_object_end(w);
}

static void
write_json(FILE *fp, const struct ctx *C)
{
	struct jw w;
	double v[MAXM];
	int i, j, g;

	jw_init(&w, fp, 0);
	jw_object_begin(&w);
	jw_string_member(&w, "version", PACKAGE_VERSION);
	jw_uint_member(&w, "rows", C->runs[0].p->n);
	jw_int_member(&w, "bins", C->r.mo.bins);
	jw_string_member(&w, "binning", C->r.mo.binning == CALIB_BIN_WIDTH ?
	    "width" : "mass");
	jw_number_member(&w, "ci_level", C->level);
	cli_json_convention(&w, C->r.mo.convention);
	if (C->ngroups == 0) {
		jw_string_member(&w, "interval", "paired bootstrap percentile");
		jw_int_member(&w, "bootstrap", C->have_boot ? C->boot_n : 0);
		jw_uint_member(&w, "seed", C->seed);
	} else {
		jw_string_member(&w, "interval", "Welch t over runs");
	}
	jw_array_member(&w, "runs");
	for (i = 0; i < C->nruns; i++) {
		struct cli_settings set;

		jw_object_begin(&w);
		jw_string_member(&w, "name", C->runs[i].name);
		jw_string_member(&w, "file", C->runs[i].file);
		jw_string_member(&w, "recalibration", C->runs[i].recal);
		for (j = 0; j < NM; j++)
			v[j] = metric(&C->runs[i].m, j);
		json_metrics(&w, "metrics", v);
		if (C->ngroups == 0) {
			jw_string_member(&w, "side", side_word(&C->side[i]));
			jw_array_member(&w, "overconfidence_ci");
			jw_number(&w, C->side[i].lo);
			jw_number(&w, C->side[i].hi);
			jw_array_end(&w);
		}
		cli_settings_get(&set, C->runs[i].p, C->r.mo.nll_clip);
		cli_settings_json(&w, &set, 0);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	if (C->ngroups > 0) {
		jw_array_member(&w, "groups");
		for (g = 0; g < C->ngroups; g++) {
			const struct group *G = &C->groups[g];
			jw_object_begin(&w);
			jw_string_member(&w, "name", G->name);
			jw_int_member(&w, "runs", G->count);
			json_metrics(&w, "mean", G->mean);
			json_metrics(&w, "sd", G->sd);
			jw_object_end(&w);
		}
		jw_array_end(&w);
	}
	jw_array_member(&w, "comparisons");
	for (i = 0; i < C->npairs; i++) {
		jw_object_begin(&w);
		jw_string_member(&w, "run", unit_name(C, C->pair[i][0]));
		jw_string_member(&w, "baseline", unit_name(C, C->pair[i][1]));
		jw_object_member(&w, "metrics");
		for (j = 0; j < NM; j++) {
			jw_key(&w, INFO(j)->name);
			json_diff(&w, &C->cmp[(size_t)i * NM + (size_t)j]);
		}
		jw_object_end(&w);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
}

static void
write_markdown(FILE *fp, const struct ctx *C)
{
	char a[32], b[32], c[32];
	int i, j, n = C->ngroups ? C->ngroups : C->nruns;

	fputs("| metric |", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, " %s |", C->ngroups ? C->groups[i].name :
		    C->runs[i].name);
	fputs("\n|---|", fp);
	for (i = 0; i < n; i++)
		fputs("---:|", fp);
	fputc('\n', fp);
	for (j = 0; j < NM; j++) {
		fprintf(fp, "| %s |", INFO(j)->label);
		for (i = 0; i < n; i++) {
			if (C->ngroups) {
				fmt_value(C, a, sizeof(a), C->groups[i].mean[j],
				    j, SIGNED(j));
				fmt_value(C, b, sizeof(b), C->groups[i].sd[j], j,
				    0);
				fprintf(fp, " %s ± %s |", a, b);
			} else {
				fmt_value(C, a, sizeof(a), metric(&C->runs[i].m,
				    j), j, SIGNED(j));
				fprintf(fp, " %s |", a);
			}
		}
		fputc('\n', fp);
	}
	if (C->npairs == 0)
		return;
	/* One reference: named once in the header; all pairs: per row. */
	if (C->all_pairs)
		fprintf(fp, "\n| difference | metric | change | %g %% "
		    "interval | verdict |\n|---|---|---:|---|---|\n",
		    100 * C->level);
	else
		fprintf(fp, "\n| difference against %s | metric | change | "
		    "%g %% interval | verdict |\n|---|---|---:|---|---|\n",
		    unit_name(C, C->pair[0][1]), 100 * C->level);
	for (i = 0; i < C->npairs; i++)
		for (j = 0; j < NM; j++) {
			const struct diff *x = &C->cmp[(size_t)i * NM +
			    (size_t)j];
			fmt_scaled(a, sizeof(a), x->d, PTS(j), 1);
			fmt_scaled(b, sizeof(b), x->lo, PTS(j), 1);
			fmt_scaled(c, sizeof(c), x->hi, PTS(j), 1);
			if (C->all_pairs)
				fprintf(fp, "| %s - %s |", unit_name(C,
				    C->pair[i][0]), unit_name(C, C->pair[i][1]));
			else
				fprintf(fp, "| %s |", unit_name(C,
				    C->pair[i][0]));
			fprintf(fp, " %s | %s%s | [%s, %s] | %s |\n",
			    INFO(j)->label, a, PTS(j) ? " pts" : "", b, c,
			    verdict_word(x));
		}
}

static void
write_format(FILE *fp, const struct ctx *C, int fmt)
{
	if (fmt == FMT_JSON)
		write_json(fp, C);
	else if (fmt == FMT_MARKDOWN)
		write_markdown(fp, C);
	else if (C->ngroups)
		write_text_groups(fp, C);
	else
		write_text_plain(fp, C);
}

/* Write DIR/NAME in one format, atomically. */
static int
write_file(const char *dir, const char *name, const struct ctx *C, int fmt)
{
	struct cli_out out;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cli_out_open(&out, path) != 0)
		return -1;
	write_format(out.fp, C, fmt);
	return cli_out_commit(&out);
}

/* ---- figures ----------------------------------------------------- */

/*
 * DIR/reliability.EXT and DIR/confidence.EXT from plots/compare-*.gp, one
 * bin table per run.  Returns CLI_OK, CLI_NO_RENDER or CLI_ERROR.
 */
static int
draw(const struct ctx *C, const char *dir, const char *script,
    const char *stem)
{
	calib_reliability_options ro;
	struct cli_plot *pl;
	char path[4096], var[32], tag[300];
	int i, rc = CLI_ERROR;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, stem, C->figext);
	pl = cli_plot_new(script, path);
	if (pl == NULL)
		return CLI_ERROR;
	calib_reliability_options_init(&ro);
	ro.bins = C->r.mo.bins;
	ro.binning = C->r.mo.binning;
	ro.convention = C->r.mo.convention;
	ro.level = C->level;
	for (i = 0; i < C->nruns; i++) {
		const struct run *ru = &C->runs[i];
		calib_reliability rel;
		calib_error err;
		FILE *fp;
		calib_status rs;

		cli_plot_protect(pl, ru->file);
		cli_progress_begin("intervals and bands");
		rs = calib_reliability_compute(ru->p, &ro, &rel, &err);
		cli_progress_end();
		if (rs != CALIB_OK) {
			cli_lib_error(&err);
			goto done;
		}
		snprintf(var, sizeof(var), "data%d", i + 1);
		snprintf(tag, sizeof(tag), "bins%d", i + 1);
		fp = cli_plot_data(pl, var, tag);
		if (fp != NULL)
			cli_table_write(fp, CLI_TABLE_CSV, ru->file, ru->p, &rel);
		calib_reliability_release(&rel);
		if (fp == NULL)
			goto done;
		snprintf(var, sizeof(var), "label%d", i + 1);
		cli_plot_set_string(pl, var, ru->name);
		snprintf(var, sizeof(var), "ece%d", i + 1);
		cli_plot_set_number(pl, var, ru->m.ece);
		snprintf(var, sizeof(var), "oe%d", i + 1);
		cli_plot_set_number(pl, var, ru->m.oe);
		snprintf(var, sizeof(var), "over%d", i + 1);
		cli_plot_set_number(pl, var, ru->m.overconfidence);
		snprintf(var, sizeof(var), "acc%d", i + 1);
		cli_plot_set_number(pl, var, ru->m.mean_confidence -
		    ru->m.overconfidence);
		snprintf(var, sizeof(var), "conf%d", i + 1);
		cli_plot_set_number(pl, var, ru->m.mean_confidence);
		if (C->eps != NULL && !isnan(C->eps[i])) {
			snprintf(var, sizeof(var), "eps%d", i + 1);
			cli_plot_set_number(pl, var, C->eps[i]);
		}
	}
	cli_plot_set_number(pl, "ndata", C->nruns);
	cli_plot_set_number(pl, "classes", C->runs[0].p->k);
	cli_plot_set_number(pl, "level", C->level);
	cli_plot_set_string(pl, "style", C->po.style ? C->po.style :
	    C->r.mo.binning == CALIB_BIN_MASS ? "points" : "bars");
	if (C->po.title != NULL)
		cli_plot_set_string(pl, "title", C->po.title);
	rc = cli_plot_render(pl, &C->po);
done:
	cli_plot_free(pl);
	return rc;
}

/* "0,0.05,0.1" (one per run) or "0.1" (for every run). */
static int
parse_eps(struct ctx *C)
{
	char *list, *tok, *save = NULL, *end;
	int i = 0;

	C->eps = malloc((size_t)C->nruns * sizeof(double));
	list = strdup(C->eps_arg);
	if (C->eps == NULL || list == NULL) {
		free(list);
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save), i++) {
		double v;
		errno = 0;
		v = strtod(tok, &end);
		if (end == tok || *end != '\0' || errno != 0 || !(v >= 0 &&
		    v < 1) || i >= C->nruns) {
			int rc = cli_usage_error("compare", i >= C->nruns ?
			    "--epsilon gives more values than there are runs" :
			    "--epsilon: '%s' is not a number in [0, 1)", tok);
			free(list);
			return rc;
		}
		C->eps[i] = v;
	}
	free(list);
	if (i == 1)
		for (; i < C->nruns; i++)
			C->eps[i] = C->eps[0];
	if (i != C->nruns)
		return cli_usage_error("compare", "--epsilon gives %d values "
		    "for %d runs (give one per run, or one for all)", i,
		    C->nruns);
	return CLI_OK;
}

/* ---- the parameter sweep ---------------------------------------- */

/* --sweep-metrics ece,nll: names from the library's metric table, in
 * the order given. */
static int
parse_sweep_metrics(struct ctx *C, const char *arg)
{
	char *list = strdup(arg), *tok, *save = NULL;
	int id, rc = CLI_OK;

	if (list == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	C->nsweep_m = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL && rc == CLI_OK;
	    tok = strtok_r(NULL, ",", &save)) {
		id = calib_metric_lookup(tok);
		if (id < 0) {
			calib_metric_set set;
			calib_error err;
			/* the library's message lists the valid names */
			calib_metric_select(tok, &set, &err);
			rc = cli_usage_error("compare", "--sweep-metrics: %s",
			    err.message);
		} else if (C->nsweep_m == MAXM)
			rc = cli_usage_error("compare", "--sweep-metrics: more "
			    "than %d names", MAXM);
		else
			C->sweep_m[C->nsweep_m++] = id;
	}
	free(list);
	if (rc == CLI_OK && C->nsweep_m == 0)
		rc = cli_usage_error("compare", "--sweep-metrics: no metric "
		    "named");
	return rc;
}

/* --sweep epsilon=0,0.05,0.1: one finite value per run (or group). */
static int
parse_sweep(struct ctx *C)
{
	const char *eq = strchr(C->sweep_arg, '=');
	int want = C->ngroups ? C->ngroups : C->nruns, i = 0, rc = CLI_OK;
	char *list, *tok, *save = NULL, *end;
	size_t len;

	len = eq ? (size_t)(eq - C->sweep_arg) : 0;
	if (eq == NULL || len == 0 || len >= sizeof(C->sweep_name) ||
	    strspn(C->sweep_arg, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != len)
		return cli_usage_error("compare", "--sweep: '%s' is not "
		    "NAME=V,V,... with a NAME of at most %zu letters, digits, "
		    "'_', '-' or '.'", C->sweep_arg, sizeof(C->sweep_name) - 1);
	memcpy(C->sweep_name, C->sweep_arg, len);
	C->sweep_name[len] = '\0';
	C->sweep = malloc((size_t)want * sizeof(double));
	list = strdup(eq + 1);
	if (C->sweep == NULL || list == NULL) {
		free(list);
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save), i++) {
		double v;
		if (i == want) {
			rc = cli_usage_error("compare", "--sweep gives more "
			    "values than there are %s (%d)", C->ngroups ?
			    "groups" : "runs", want);
			break;
		}
		errno = 0;
		v = strtod(tok, &end);
		if (end == tok || *end != '\0' || errno != 0 || !isfinite(v)) {
			rc = cli_usage_error("compare", "--sweep: '%s' is not "
			    "a finite number", tok);
			break;
		}
		C->sweep[i] = v;
	}
	free(list);
	if (rc == CLI_OK && C->nsweep_m == 0) {
		rc = parse_sweep_metrics(C, "ece,overconfidence,accuracy,nll");
	}
	if (rc == CLI_OK && i != want)
		rc = cli_usage_error("compare", "--sweep gives %d values for "
		    "%d %s (give one per %s)", i, want, C->ngroups ? "groups" :
		    "runs", C->ngroups ? "group" : "run");
	return rc;
}

/* One point of the sweep: a run, or a group of seeds. */
struct sweep_point {
	double value;
	int series;            /* 0 as trained, 1 recalibrated */
	int idx;               /* run or group */
};

static int
sweep_cmp(const void *a, const void *b)
{
	const struct sweep_point *x = a, *y = b;

	if (x->series != y->series)
		return x->series - y->series;
	return (x->value > y->value) - (x->value < y->value);
}

/*
 * Metric id at point P with its interval: a run's paired-bootstrap
 * percentile interval, or for a group of seeds the mean with Student's t
 * interval over its runs, mean +- t(n-1) sd / sqrt(n).
 */
static void
sweep_value(const struct ctx *C, const struct sweep_point *P, int id,
    double *v, double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (C->ngroups == 0) {
		*v = calib_metrics_value(&C->runs[P->idx].m, id);
		if (C->have_boot)
			calib_bootstrap_interval(&C->boot,
			    calib_metric_info_get(id)->name, P->idx, -1,
			    C->level, lo, hi);
	} else {
		const struct group *g = &C->groups[P->idx];
		double s = 0, ss = 0, sd, t;
		int i;
		for (i = 0; i < g->count; i++)
			s += calib_metrics_value(&C->runs[g->first + i].m, id);
		*v = s / g->count;
		for (i = 0; i < g->count; i++) {
			double d = calib_metrics_value(&C->runs[g->first +
			    i].m, id) - *v;
			ss += d * d;
		}
		sd = sqrt(ss / (g->count - 1));
		t = gsl_cdf_tdist_Pinv((1 + C->level) / 2, g->count - 1) *
		    sd / sqrt(g->count);
		if (isfinite(t)) {
			*lo = *v - t;
			*hi = *v + t;
		}
	}
}

/* ",v", with v empty when it is not finite. */
static void
put_number(FILE *fp, double v)
{
	char buf[40];

	fputc(',', fp);
	if (isfinite(v)) {
		cli_fmt_number(buf, sizeof(buf), v);
		fputs(buf, fp);
	}
}

/* sweep.csv: value, series, then each metric with its interval. */
static void
write_sweep_table(FILE *fp, const struct ctx *C, const struct sweep_point *P,
    int np)
{
	int i, k;

	/* The name comes last, so a quoted one cannot shift the numbers. */
	fprintf(fp, "%s,series", C->sweep_name);
	for (k = 0; k < C->nsweep_m; k++) {
		const char *nm = calib_metric_info_get(C->sweep_m[k])->name;
		fprintf(fp, ",%s,%s_lo,%s_hi", nm, nm, nm);
	}
	fputs(",name\n", fp);
	for (i = 0; i < np; i++) {
		const char *name = C->ngroups ? C->groups[P[i].idx].name :
		    C->runs[P[i].idx].name;
		char buf[64];
		cli_fmt_number(buf, sizeof(buf), P[i].value);
		fprintf(fp, "%s,%d", buf, P[i].series);
		for (k = 0; k < C->nsweep_m; k++) {
			double v, lo, hi;
			sweep_value(C, &P[i], C->sweep_m[k], &v, &lo, &hi);
			put_number(fp, v);
			put_number(fp, lo);
			put_number(fp, hi);
		}
		fputc(',', fp);
		cli_csv_field(fp, "", name, ',');
		fputc('\n', fp);
	}
}

/* DIR/sweep.csv and DIR/sweep.EXT from plots/compare-sweep.gp. */
static int
draw_sweep(const struct ctx *C, const char *dir)
{
	int n = C->ngroups ? C->ngroups : C->nruns, i, k, rc = CLI_ERROR;
	struct sweep_point *P = calloc((size_t)n, sizeof(*P));
	char path[4096], var[32], ivname[128];
	struct cli_plot *pl = NULL;
	struct cli_out out;
	FILE *fp;

	if (P == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (i = 0; i < n; i++) {
		P[i].idx = i;
		P[i].value = C->sweep[i];
		/* --calibrate-on: every second run is the recalibrated twin */
		P[i].series = C->calibrate_on != NULL ? i % 2 : 0;
	}
	qsort(P, (size_t)n, sizeof(*P), sweep_cmp);
	snprintf(path, sizeof(path), "%s/sweep.csv", dir);
	if (cli_out_open(&out, path) != 0)
		goto done;
	write_sweep_table(out.fp, C, P, n);
	if (cli_out_commit(&out) != 0)
		goto done;

	snprintf(path, sizeof(path), "%s/sweep.%s", dir, C->figext);
	pl = cli_plot_new("compare-sweep.gp", path);
	if (pl == NULL)
		goto done;
	for (i = 0; i < C->nruns; i++)
		cli_plot_protect(pl, C->runs[i].file);
	fp = cli_plot_data(pl, "datafile", "points");
	if (fp == NULL)
		goto done;
	write_sweep_table(fp, C, P, n);
	cli_plot_set_string(pl, "param", C->sweep_name);
	cli_plot_set_number(pl, "nmetrics", C->nsweep_m);
	for (k = 0; k < C->nsweep_m; k++) {
		const calib_metric_info *in = calib_metric_info_get(
		    C->sweep_m[k]);
		snprintf(var, sizeof(var), "metric%d", k + 1);
		cli_plot_set_string(pl, var, in->name);
		snprintf(var, sizeof(var), "mlabel%d", k + 1);
		cli_plot_set_string(pl, var, in->label);
		snprintf(var, sizeof(var), "scale%d", k + 1);
		cli_plot_set_number(pl, var, in->unit == CALIB_UNIT_FRACTION ?
		    100 : 1);
	}
	cli_plot_set_number(pl, "nseries", C->calibrate_on ? 2 : 1);
	cli_plot_set_string(pl, "series0", "as trained");
	if (C->calibrate_on != NULL) {
		const char *tw = strrchr(C->runs[1].name, '+');
		snprintf(ivname, sizeof(ivname), "recalibrated (%s)", tw ?
		    tw + 1 : "map");
		cli_plot_set_string(pl, "series1", ivname);
	}
	if (C->ngroups)
		snprintf(ivname, sizeof(ivname), "mean over seeds, %g%% t "
		    "interval", 100 * C->level);
	else if (C->have_boot)
		snprintf(ivname, sizeof(ivname), "%g%% bootstrap interval",
		    100 * C->level);
	else
		snprintf(ivname, sizeof(ivname), "no intervals (--bootstrap "
		    "0)");
	cli_plot_set_string(pl, "ivname", ivname);
	if (C->po.title != NULL)
		cli_plot_set_string(pl, "title", C->po.title);
	rc = cli_plot_render(pl, &C->po);
done:
	cli_plot_free(pl);
	free(P);
	return rc;
}

/* ---- before and after recalibration ------------------------------ */

/* A model file starts, after its comment lines, with "calib-model". */
static int
is_model_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	int yes = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#')
			continue;
		yes = strncmp(line, "calib-model", 11) == 0;
		break;
	}
	fclose(fp);
	return yes;
}

/* The map for run i: loaded from a model file, or fitted on a validation
 * file.  *note describes it.  NULL after printing why. */
static calib_model *
run_model(const struct ctx *C, const char *src, char **note)
{
	calib_model *model = NULL;
	calib_error err;
	char buf[600], par[64] = "";
	double T;

	if (is_model_file(src)) {
		cli_note_input(src);
		if (calib_model_load(src, &model, &err) != CALIB_OK) {
			cli_lib_error(&err);
			return NULL;
		}
	} else {
		calib_fit_options fo;
		calib_status fs;
		calib_preds *val = cli_read_preds(src, &C->r,
		    CALIB_KEEP_LOGITS);
		if (val == NULL)
			return NULL;
		calib_fit_options_init(&fo);
		fo.method = C->method;
		fo.bins = C->r.mo.bins;
		fo.binning = C->r.mo.binning;
		cli_progress_begin("fitting");
		fs = calib_fit(val, &fo, &model, &err);
		cli_progress_end();
		if (fs != CALIB_OK) {
			cli_lib_error(&err);
			calib_preds_free(val);
			return NULL;
		}
		calib_preds_free(val);
	}
	if (calib_model_get(model, "temperature", &T) == CALIB_OK)
		snprintf(par, sizeof(par), " T = %.6g", T);
	snprintf(buf, sizeof(buf), "%s%s %s %s",
	    calib_method_name(calib_model_method(model)), par,
	    is_model_file(src) ? "from model" : "fitted on", src);
	*note = strdup(buf);
	return model;
}

/*
 * --calibrate-on: every run i becomes two, run i as it is and run i
 * recalibrated (Mueller, Kornblith & Hinton 2019, Table 3: hard labels,
 * hard labels + temperature scaling, label smoothing, label smoothing +
 * temperature scaling).  All stay paired, so the bootstrap compares every
 * one with the first.
 */
static int
add_recalibrated(struct ctx *C)
{
	struct run *r2;
	char *list, *tok, *save = NULL, **src = NULL;
	int n = 0, i, rc = CLI_ERROR;

	list = strdup(C->calibrate_on);
	src = calloc((size_t)C->nruns, sizeof(*src));
	r2 = calloc((size_t)C->nruns * 2, sizeof(*r2));
	if (list == NULL || src == NULL || r2 == NULL) {
		cli_error("out of memory");
		goto done;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == C->nruns)
			break;
		src[n++] = tok;
	}
	if (n != C->nruns || tok != NULL) {
		rc = cli_usage_error("compare", "--calibrate-on gives %s files "
		    "than there are runs (%d): give one validation or model "
		    "file per run", tok != NULL ? "more" : "fewer", C->nruns);
		goto done;
	}
	for (i = 0; i < C->nruns; i++) {
		struct run *a = &r2[2 * i], *b = &r2[2 * i + 1];
		calib_read_options ro;
		calib_model *model;
		calib_error err;
		const char *method;
		size_t len;

		*a = C->runs[i];
		memset(&C->runs[i], 0, sizeof(C->runs[i]));
		b->file = a->file;
		model = run_model(C, src[i], &b->recal);
		if (model == NULL)
			goto done;
		calib_read_options_init(&ro);
		ro.target = a->p->target;
		ro.keep = CALIB_KEEP_PROBS;
		ro.classwise_bins = C->r.mo.bins;
		if (calib_preds_recalibrate(a->p, model, &ro, &b->p, &err) !=
		    CALIB_OK) {
			cli_lib_error(&err);
			calib_model_free(model);
			goto done;
		}
		method = calib_method_name(calib_model_method(model));
		calib_model_free(model);
		len = strlen(a->name) + strlen(method) + 3;
		b->name = malloc(len);
		if (b->name == NULL || b->recal == NULL) {
			cli_error("out of memory");
			goto done;
		}
		snprintf(b->name, len, "%s+%s", a->name,
		    strcmp(method, "temperature") == 0 ? "TS" : method);
	}
	rc = CLI_OK;
done:
	if (r2 != NULL && rc == CLI_OK) {
		free(C->runs);
		C->runs = r2;
		C->nruns *= 2;
	} else if (r2 != NULL) {
		/* put the runs already moved back, so ctx_free() finds them */
		for (i = 0; i < C->nruns; i++) {
			if (r2[2 * i].p != NULL)
				C->runs[i] = r2[2 * i];
			free(r2[2 * i + 1].name);
			free(r2[2 * i + 1].recal);
			calib_preds_free(r2[2 * i + 1].p);
		}
		free(r2);
	}
	free(src);
	free(list);
	return rc;
}

/* ---- driver ------------------------------------------------------ */

/*
 * The rows to report (M, NM) and what to compute: those rows plus what the
 * side line and the figures use.
 */
static void
set_metrics(struct cli_read *r)
{
	static const char *const always[] = { "overconfidence",
	    "mean_confidence", "ece", "oe" };
	size_t i;
	int id;

	NM = 0;
	if (r->metrics_set) {
		for (id = 0; id < calib_metric_count() && NM < MAXM; id++)
			if (r->mo.select >> id & 1)
				M[NM++] = id;
	} else
		for (i = 0; i < sizeof(default_metrics) /
		    sizeof(default_metrics[0]); i++)
			M[NM++] = calib_metric_lookup(default_metrics[i]);
	r->mo.select = 0;
	for (id = 0; id < NM; id++)
		r->mo.select |= (calib_metric_set)1 << M[id];
	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		r->mo.select |= (calib_metric_set)1 <<
		    calib_metric_lookup(always[i]);
}


static int
add_group(struct ctx *C, const char *spec, char ***files, int *nfiles)
{
	const char *eq = strchr(spec, '=');
	char *list, *tok, *save = NULL;
	struct group *g;

	if (eq == NULL || eq == spec || eq[1] == '\0')
		return cli_usage_error("compare", "--group: '%s' is not "
		    "NAME=FILE,FILE,...", spec);
	g = realloc(C->groups, (size_t)(C->ngroups + 1) * sizeof(*g));
	if (g == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	C->groups = g;
	g = &C->groups[C->ngroups++];
	memset(g, 0, sizeof(*g));
	g->name = strndup(spec, (size_t)(eq - spec));
	g->first = *nfiles;
	list = strdup(eq + 1);
	if (g->name == NULL || list == NULL) {
		free(list);
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char **f = realloc(*files, (size_t)(*nfiles + 1) * sizeof(*f));
		if (f == NULL || (f[*nfiles] = strdup(tok)) == NULL) {
			if (f != NULL)
				*files = f;
			free(list);
			cli_error("out of memory");
			return CLI_ERROR;
		}
		*files = f;
		(*nfiles)++;
		g->count++;
	}
	free(list);
	if (g->count < 2)
		return cli_usage_error("compare", "--group %s: needs at least "
		    "2 runs for a standard deviation (compare single runs "
		    "without --group)", g->name);
	return CLI_OK;
}

static int
set_names(struct ctx *C, const char *names)
{
	char *list = names ? strdup(names) : NULL, *tok, *save = NULL;
	int i = 0;

	if (names != NULL) {
		if (list == NULL) {
			cli_error("out of memory");
			return CLI_ERROR;
		}
		for (tok = strtok_r(list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (i == C->nruns)
				break;
			C->runs[i++].name = strdup(tok);
		}
		free(list);
		if (i != C->nruns || tok != NULL)
			return cli_usage_error("compare", "--names gives %s "
			    "names for %d files", tok != NULL ? "more" :
			    "fewer", C->nruns);
	}
	for (i = 0; i < C->nruns; i++) {
		if (C->runs[i].name == NULL)
			C->runs[i].name = cli_file_stem(C->runs[i].file);
		if (C->runs[i].name == NULL) {
			cli_error("out of memory");
			return CLI_ERROR;
		}
	}
	return CLI_OK;
}

static void
ctx_free(struct ctx *C)
{
	int i;

	for (i = 0; i < C->nruns; i++) {
		free(C->runs[i].name);
		free(C->runs[i].recal);
		calib_preds_free(C->runs[i].p);
	}
	free(C->runs);
	for (i = 0; i < C->ngroups; i++)
		free(C->groups[i].name);
	free(C->groups);
	free(C->side);
	free(C->cmp);
	free(C->pair);
	free(C->eps);
	free(C->sweep);
	calib_bootstrap_release(&C->boot);
}

/*
 * What the command line asked for beyond struct ctx: the four steps
 * below (parse, load, compute, write) pass it along.
 */
struct args {
	const char *names;     /* --names, NULL for the file stems */
	const char *outdir;    /* -o, NULL for standard output only */
	int fmt;
	int help;              /* -h: usage printed, nothing else to do */
	char **gfiles;         /* the files of every --group, in order */
	int ngfiles;
	char **files;          /* the runs' files (gfiles or argv) */
	int nfiles;
};

static const struct option options[] = {
	{ "names", required_argument, NULL, 'n' },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "bootstrap-method", required_argument, NULL, OPT_BOOT_METHOD },
	{ "ci-level", required_argument, NULL, OPT_CI_LEVEL },
	{ "epsilon", required_argument, NULL, OPT_EPSILON },
	{ "figures", required_argument, NULL, OPT_FIGURES },
	{ "calibrate-on", required_argument, NULL, OPT_CALIBRATE_ON },
	{ "calibrate-method", required_argument, NULL,
	    OPT_CALIBRATE_METHOD },
	{ "reference", required_argument, NULL, OPT_REFERENCE },
	{ "all-pairs", no_argument, NULL, OPT_ALL_PAIRS },
	{ "digits", required_argument, NULL, OPT_DIGITS },
	{ "percent", no_argument, NULL, OPT_PERCENT },
	{ "sweep", required_argument, NULL, OPT_SWEEP },
	{ "sweep-metrics", required_argument, NULL, OPT_SWEEP_METRICS },
	CLI_PLOT_LONGOPTS,
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	CLI_READ_LONGOPTS,
	CLI_METRIC_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* One option into C or A; CLI_OK or the error already reported. */
static int
parse_option(struct ctx *C, struct args *A, int opt)
{
	int h;

	switch (opt) {
	case 'h':
		usage(stdout);
		A->help = 1;
		return CLI_OK;
	case 'n':
		A->names = optarg;
		return CLI_OK;
	case OPT_GROUP:
		return add_group(C, optarg, &A->gfiles, &A->ngfiles);
	case OPT_BOOTSTRAP:
		return cli_parse_int("compare", "bootstrap", optarg, 0,
		    1000000, &C->boot_n) != 0 ? CLI_ERROR : CLI_OK;
	case OPT_SEED:
		return cli_parse_seed("compare", optarg, &C->seed) != 0 ?
		    CLI_ERROR : CLI_OK;
	case OPT_BOOT_METHOD:
		return cli_parse_boot_method("compare", optarg,
		    &C->boot_method) != 0 ? CLI_ERROR : CLI_OK;
	case OPT_CI_LEVEL:
		if (cli_parse_double("compare", "ci-level", optarg,
		    &C->level) != 0 || !(C->level > 0 && C->level < 1)) {
			if (C->level <= 0 || C->level >= 1)
				cli_usage_error("compare", "--ci-level "
				    "must be between 0 and 1");
			return CLI_ERROR;
		}
		return CLI_OK;
	case OPT_EPSILON:
		C->eps_arg = optarg;
		return CLI_OK;
	case OPT_CALIBRATE_ON:
		C->calibrate_on = optarg;
		return CLI_OK;
	case OPT_REFERENCE:
		C->reference = optarg;
		return CLI_OK;
	case OPT_ALL_PAIRS:
		C->all_pairs = 1;
		return CLI_OK;
	case OPT_DIGITS:
		return cli_parse_int("compare", "digits", optarg, 1, 17,
		    &C->digits) != 0 ? CLI_ERROR : CLI_OK;
	case OPT_PERCENT:
		C->percent = 1;
		return CLI_OK;
	case OPT_SWEEP:
		C->sweep_arg = optarg;
		return CLI_OK;
	case OPT_SWEEP_METRICS:
		return parse_sweep_metrics(C, optarg);
	case OPT_CALIBRATE_METHOD:
		if (calib_method_from_name(optarg, &C->method) != CALIB_OK)
			return cli_usage_error("compare", "--calibrate-method:"
			    " '%s' is not temperature, vector, histogram, "
			    "isotonic, platt or beta", optarg);
		return CLI_OK;
	case OPT_FIGURES:
		if (strcmp(optarg, "png") != 0 && strcmp(optarg, "svg") != 0 &&
		    strcmp(optarg, "pdf") != 0 && strcmp(optarg, "tex") != 0)
			return cli_usage_error("compare", "--figures: '%s' "
			    "is not png, svg, pdf or tex", optarg);
		C->figext = optarg;
		return CLI_OK;
	case 'f':
		if (strcmp(optarg, "text") == 0)
			A->fmt = FMT_TEXT;
		else if (strcmp(optarg, "json") == 0)
			A->fmt = FMT_JSON;
		else if (strcmp(optarg, "markdown") == 0)
			A->fmt = FMT_MARKDOWN;
		else
			return cli_usage_error("compare", "--format: '%s' "
			    "is not text, json or markdown", optarg);
		return CLI_OK;
	case 'o':
		A->outdir = optarg;
		return CLI_OK;
	case '?':
		return cli_usage_error("compare", "invalid option");
	default:
		h = cli_plot_option("compare", opt, optarg, &C->po);
		if (h == 0)
			h = cli_read_option("compare", opt, optarg, &C->r);
		if (h <= 0)
			return h < 0 ? CLI_ERROR :
			    cli_usage_error("compare", "invalid option");
		return CLI_OK;
	}
}

/* Options, then the combinations that make no sense, then the runs'
 * files and names. */
static int
parse_args(struct ctx *C, struct args *A, int argc, char **argv)
{
	int opt, rc, i, j;

	while ((opt = getopt_long(argc, argv, "n:f:o:h", options, NULL)) != -1)
		if ((rc = parse_option(C, A, opt)) != CLI_OK || A->help)
			return rc;
	set_metrics(&C->r);
	if (C->ngroups > 0 && optind < argc)
		return cli_usage_error("compare", "give files either as "
		    "arguments or in --group, not both");
	if (C->calibrate_on != NULL && (C->ngroups > 0 ||
	    C->r.calibrate != NULL || C->r.ro.temperature != 1))
		return cli_usage_error("compare", "--calibrate-on shows each "
		    "run before and after its own map; it does not combine "
		    "with %s", C->ngroups ? "--group" : C->r.calibrate ?
		    "--calibrate" : "--temperature");
	if (C->reference != NULL && C->all_pairs)
		return cli_usage_error("compare", "--reference and --all-pairs "
		    "exclude each other");
	if (C->ngroups > 0 && A->names != NULL)
		return cli_usage_error("compare", "--names does not apply to "
		    "--group (the group names are given there)");
	A->files = C->ngroups > 0 ? A->gfiles : argv + optind;
	A->nfiles = C->ngroups > 0 ? A->ngfiles : argc - optind;
	/* One file with --calibrate-on is a comparison too: before and
	 * after its map. */
	if (C->ngroups == 1 || (C->ngroups == 0 && A->nfiles <
	    (C->calibrate_on ? 1 : 2)))
		return cli_usage_error("compare", "need at least two %s to "
		    "compare", C->ngroups ? "groups" : "files");
	C->runs = calloc((size_t)A->nfiles, sizeof(*C->runs));
	if (C->runs == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	C->nruns = A->nfiles;
	for (i = 0; i < A->nfiles; i++)
		C->runs[i].file = A->files[i];
	for (i = 0; i < C->ngroups; i++)
		for (j = 0; j < C->groups[i].count; j++) {
			char nm[300];
			snprintf(nm, sizeof(nm), "%s#%d", C->groups[i].name,
			    j + 1);
			C->runs[C->groups[i].first + j].name = strdup(nm);
		}
	if ((rc = set_names(C, A->names)) != CLI_OK)
		return rc;
	if (C->eps_arg != NULL && (rc = parse_eps(C)) != CLI_OK)
		return rc;
	if (C->sweep_arg != NULL && (rc = parse_sweep(C)) != CLI_OK)
		return rc;
	/* the metrics drawn are computed, shown in the tables or not */
	for (i = 0; i < C->nsweep_m; i++)
		C->r.mo.select |= (calib_metric_set)1 << C->sweep_m[i];
	if (C->sweep_arg != NULL && A->outdir == NULL)
		return cli_usage_error("compare", "--sweep draws sweep.%s into "
		    "the -o directory: give -o DIR", C->figext);
	if (C->nsweep_m > 0 && C->sweep_arg == NULL)
		return cli_usage_error("compare", "--sweep-metrics needs "
		    "--sweep");
	return CLI_OK;
}

/* A warning when run i names its classes differently from run 0. */
static void
warn_class_names(const struct ctx *C, int i)
{
	const calib_preds *p0 = C->runs[0].p, *p = C->runs[i].p;
	int c;

	if (p->k != p0->k)
		return;
	for (c = 0; c < p0->k; c++)
		if (strcmp(p->class_names[c], p0->class_names[c]) != 0)
			break;
	if (c < p0->k)
		cli_warn("%s: class %d is '%s' here but '%s' in %s; labels are "
		    "compared as indices", C->runs[i].file, c,
		    p->class_names[c], p0->class_names[c], C->runs[0].file);
}

/*
 * Read every run, check they are paired, and add the recalibrated twins
 * of --calibrate-on.  The bootstrap needs the matrix for classwise ECE,
 * recalibration the logits.
 */
static int
load_runs(struct ctx *C)
{
	calib_error err;
	int i, rc;

	for (i = 0; i < C->nruns; i++) {
		C->runs[i].p = cli_read_preds(C->runs[i].file, &C->r,
		    CALIB_KEEP_PROBS | (C->calibrate_on ? CALIB_KEEP_LOGITS :
		    0));
		if (C->runs[i].p == NULL)
			return CLI_ERROR;
		if (i > 0 && calib_preds_check_paired(C->runs[0].p,
		    C->runs[i].p, &err) != CALIB_OK) {
			cli_lib_error(&err);
			return CLI_ERROR;
		}
		if (i > 0)
			warn_class_names(C, i);
	}
	if (C->calibrate_on == NULL)
		return CLI_OK;
	if ((rc = add_recalibrated(C)) != CLI_OK)
		return rc;
	if (C->eps != NULL) {
		/* each run's epsilon applies to its recalibrated twin */
		double *e = realloc(C->eps, (size_t)C->nruns * sizeof(*e));
		if (e == NULL) {
			cli_error("out of memory");
			return CLI_ERROR;
		}
		C->eps = e;
		for (i = C->nruns / 2 - 1; i >= 0; i--)
			C->eps[2 * i] = C->eps[2 * i + 1] = C->eps[i];
	}
	if (C->sweep != NULL) {
		/* and its parameter value */
		double *v = realloc(C->sweep, (size_t)C->nruns * sizeof(*v));
		if (v == NULL) {
			cli_error("out of memory");
			return CLI_ERROR;
		}
		C->sweep = v;
		for (i = C->nruns / 2 - 1; i >= 0; i--)
			C->sweep[2 * i] = C->sweep[2 * i + 1] = C->sweep[i];
	}
	return CLI_OK;
}

/* Single runs: one paired bootstrap gives every metric, its side of the
 * diagonal and every difference with run 0. */
static int
compute_paired(struct ctx *C)
{
	calib_bootstrap_options bo;
	calib_error err;
	calib_status st;
	const calib_preds **ps;
	int i, j, q;

	ps = malloc((size_t)C->nruns * sizeof(*ps));
	if (ps == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (i = 0; i < C->nruns; i++)
		ps[i] = C->runs[i].p;
	calib_bootstrap_options_init(&bo);
	bo.replicates = C->boot_n;
	bo.seed = C->seed;
	bo.method = C->boot_method;
	bo.metric = C->r.mo;
	cli_progress_begin("bootstrap");
	st = calib_bootstrap_paired(ps, C->nruns, &bo, &C->boot, &err);
	cli_progress_end();
	if (st != CALIB_OK) {
		free(ps);
		cli_lib_error(&err);
		return CLI_ERROR;
	}
	free(ps);
	C->have_boot = C->boot_n >= 2;
	for (i = 0; i < C->nruns; i++) {
		C->runs[i].m = C->boot.point[i];
		C->side[i].d = C->runs[i].m.overconfidence;
		calib_bootstrap_interval(&C->boot, "overconfidence", i, -1,
		    C->level, &C->side[i].lo, &C->side[i].hi);
	}
	for (q = 0; q < C->npairs; q++)
		for (j = 0; j < NM; j++) {
			struct diff *x = &C->cmp[(size_t)q * NM + (size_t)j];
			int a = C->pair[q][0], b = C->pair[q][1];
			x->d = metric(&C->runs[a].m, j) - metric(&C->runs[b].m,
			    j);
			calib_bootstrap_interval(&C->boot, INFO(j)->name, a, b,
			    C->level, &x->lo, &x->hi);
		}
	return CLI_OK;
}

/* Groups of seeds: metrics per run, mean and spread per group, Welch
 * intervals between groups. */
static int
compute_groups(struct ctx *C)
{
	int i, j;

	for (i = 0; i < C->nruns; i++)
		if (calib_metrics_compute(C->runs[i].p, &C->r.mo, NULL,
		    &C->runs[i].m) != CALIB_OK) {
			cli_error("%s: out of memory", C->runs[i].file);
			return CLI_ERROR;
		}
	for (i = 0; i < C->ngroups; i++)
		group_stats(C, &C->groups[i]);
	for (i = 0; i < C->npairs; i++)
		for (j = 0; j < NM; j++)
			C->cmp[(size_t)i * NM + (size_t)j] =
			    welch(&C->groups[C->pair[i][1]],
			    &C->groups[C->pair[i][0]], j, C->level);
	return CLI_OK;
}

/* Which units are compared with which (see struct ctx). */
static int
set_pairs(struct ctx *C)
{
	int n = nunits(C), ref = 0, i, k, q = 0;

	if (C->reference != NULL) {
		for (ref = 0; ref < n; ref++)
			if (strcmp(unit_name(C, ref), C->reference) == 0)
				break;
		if (ref == n) {
			char names[600];
			size_t o = 0;
			names[0] = '\0';
			for (i = 0; i < n && o < sizeof(names); i++)
				o += (size_t)snprintf(names + o,
				    sizeof(names) - o, "%s%s", i ? ", " : "",
				    unit_name(C, i));
			return cli_usage_error("compare", "--reference: no %s "
			    "is called '%s' (the names are: %s)",
			    C->ngroups ? "group" : "run", C->reference, names);
		}
	}
	C->pair = malloc((size_t)n * (size_t)n * sizeof(*C->pair));
	if (C->pair == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	if (C->all_pairs) {
		for (k = 0; k < n; k++)
			for (i = k + 1; i < n; i++) {
				C->pair[q][0] = i;
				C->pair[q++][1] = k;
			}
	} else {
		for (i = 0; i < n; i++)
			if (i != ref) {
				C->pair[q][0] = i;
				C->pair[q++][1] = ref;
			}
	}
	C->npairs = q;
	return CLI_OK;
}

/* Metrics, intervals and verdicts for every run. */
static int
compute(struct ctx *C)
{
	if (set_pairs(C) != CLI_OK)
		return CLI_ERROR;
	C->side = calloc((size_t)C->nruns, sizeof(*C->side));
	C->cmp = calloc((size_t)(C->npairs ? C->npairs : 1) * NM,
	    sizeof(*C->cmp));
	if (C->side == NULL || C->cmp == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	return C->ngroups == 0 ? compute_paired(C) : compute_groups(C);
}

/* The reports, then the figures: without gnuplot the numbers are still
 * all there. */
static int
write_outputs(const struct ctx *C, const struct args *A)
{
	int r1, r2;

	if (A->outdir != NULL) {
		if (mkdir(A->outdir, 0777) != 0 && errno != EEXIST) {
			cli_error("cannot create '%s': %s", A->outdir,
			    strerror(errno));
			return CLI_ERROR;
		}
		if (write_file(A->outdir, "compare.txt", C, FMT_TEXT) != 0 ||
		    write_file(A->outdir, "compare.json", C, FMT_JSON) != 0)
			return CLI_ERROR;
	}
	write_format(stdout, C, A->fmt);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output: %s",
		    strerror(errno));
		return CLI_ERROR;
	}
	if (A->outdir == NULL)
		return CLI_OK;
	r1 = draw(C, A->outdir, "compare-reliability.gp", "reliability");
	r2 = r1 == CLI_ERROR ? CLI_ERROR : draw(C, A->outdir,
	    "compare-histogram.gp", "confidence");
	if (r2 != CLI_ERROR && C->sweep != NULL) {
		int r3 = draw_sweep(C, A->outdir);
		if (r3 != CLI_OK)
			r2 = r3;
	}
	return r1 == CLI_ERROR || r2 == CLI_ERROR ? CLI_ERROR :
	    r1 == CLI_NO_RENDER || r2 == CLI_NO_RENDER ? CLI_NO_RENDER : CLI_OK;
}

static int
run(int argc, char **argv)
{
	struct ctx C;
	struct args A;
	int i, rc;

	memset(&C, 0, sizeof(C));
	memset(&A, 0, sizeof(A));
	cli_read_init(&C.r);
	C.boot_n = 1000;
	C.seed = 20191206;
	C.level = 0.95;
	C.figext = "png";
	cli_plot_opts_init(&C.po);
	A.fmt = FMT_TEXT;
	rc = parse_args(&C, &A, argc, argv);
	if (rc == CLI_OK && !A.help)
		rc = load_runs(&C);
	if (rc == CLI_OK && !A.help)
		rc = compute(&C);
	if (rc == CLI_OK && !A.help)
		rc = write_outputs(&C, &A);
	for (i = 0; i < A.ngfiles; i++)
		free(A.gfiles[i]);
	free(A.gfiles);
	ctx_free(&C);
	return rc;
}

const struct cli_cmd cli_cmd_compare = {
	.name = "compare",
	.run = run,
	.summary = "compare runs on the same test set, with paired intervals",
};
