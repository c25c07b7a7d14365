/*
 * cmd-metrics.c - calib metrics: every metric of one or more files.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-writer.h"

enum { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_TSV, FMT_MARKDOWN };
enum { NORM_ALL, NORM_L1, NORM_L2, NORM_MAX };
enum { OPT_NORM = CLI_OPT_CMD_BASE, OPT_LIST, OPT_DIGITS, OPT_PERCENT,
    OPT_BOOTSTRAP, OPT_CI_LEVEL, OPT_SEED, OPT_QUIET };

/* How text and markdown show numbers. */
struct shown {
	int digits;   /* significant digits, --digits (default 8) */
	int percent;  /* fractions as percentages, --percent */
};

struct result {
	const char *file;
	char *head;    /* column heading: the file's stem, or its path when
	                * two files share a stem */
	const char *target;
	calib_metrics m;
	size_t zero_prob_rows;
	struct cli_settings set;
	int top_only;
	/* --bootstrap: percentile interval per metric id, NaN without */
	double lo[64], hi[64];
};

/* The --bootstrap settings; boot == 0 without intervals. */
struct boot {
	int n;
	double level;
	unsigned long seed;
	int quiet;
};

/* A point estimate outside its own interval: the plug-in bias of a
 * binned metric shows on resamples. */
static int
outside(const struct result *r, int j)
{
	double v = calib_metrics_value(&r->m, j);

	return !isnan(r->lo[j]) && !isnan(r->hi[j]) && !isnan(v) &&
	    (v < r->lo[j] || v > r->hi[j]);
}

static const char footnote[] =
    "* the estimate lies outside its own bootstrap interval: on resamples "
    "(which repeat rows) the metric is biased,\n  as binned plug-in "
    "estimators are; the interval is still the spread of the estimator, "
    "not a range for the true value\n";

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s metrics [OPTIONS] FILE...\n"
	    "\n"
	    "Compute the calibration metrics of each prediction file (CSV with a\n"
	    "header; gzip is detected; '-' reads standard input).  FILE may be a\n"
	    "summary from calib summarize: the default metrics that need the\n"
	    "rows are then left out, with a warning naming them.\n"
	    "\n"
	    "Output:\n"
	    "  -f, --format FMT      text (default: one column per file), json\n"
	    "                        (JSON Lines, one object per file), csv, tsv,\n"
	    "                        markdown\n"
	    "      --norm NORM       show only one calibration-error norm in text\n"
	    "                        and markdown: l1 (ECE), l2 (RMSCE) or max\n"
	    "                        (MCE); default all three\n"
	    "      --digits N        significant digits in text and markdown, 1..17\n"
	    "                        (default 8)\n"
	    "      --percent         fractions (accuracy, ECE, ...) as percentages\n"
	    "                        in text and markdown\n"
	    "  -o, --output FILE     write to FILE (atomically) instead of stdout\n"
	    "      --bootstrap N     percentile intervals from N bootstrap\n"
	    "                        resamples of the rows (default 0: none)\n"
	    "      --ci-level X      interval level (default 0.95)\n"
	    "      --seed S          bootstrap seed (default 20191206)\n"
	    "      --list            list every metric (name, unit, direction,\n"
	    "                        what it needs, definition) and exit\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error.\n",
	    cli_progname, cli_metric_help, cli_read_help);
}

static const char *
short_target(const calib_preds *p)
{
	if (p->target == CALIB_TARGET_TOP)
		return p->k == 2 ? "binary top-label" : "top-label";
	return "binary positive";
}

/* A metric's value for text and markdown; percent: v is a fraction
 * shown as a percentage. */
static void
num(char *buf, size_t size, double v, const struct shown *sh, int percent)
{
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (isinf(v))
		snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
	else if (percent)
		snprintf(buf, size, "%.*g%%", sh->digits, 100 * v);
	else
		snprintf(buf, size, "%.*g", sh->digits, v);
}

/* "runs/hard.csv.gz" -> "hard" */
static char *
file_stem(const char *path)
{
	static const char *const ext[] = { ".gz", ".csv", ".tsv", ".txt" };
	const char *b = strrchr(path, '/');
	char *s, *dot;
	size_t i;

	s = strdup(b != NULL && b[1] != '\0' ? b + 1 : path);
	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		dot = strrchr(s, '.');
		if (dot != NULL && dot != s && strcmp(dot, ext[i]) == 0)
			*dot = '\0';
	}
	return s;
}

/* Headings: stems, unless two files share one (then every path, as
 * given, so no column is ambiguous). */
static int
set_heads(struct result *res, int nres)
{
	int i, j, clash = 0;

	for (i = 0; i < nres; i++)
		if ((res[i].head = file_stem(res[i].file)) == NULL)
			return -1;
	for (i = 0; i < nres && !clash; i++)
		for (j = i + 1; j < nres; j++)
			if (strcmp(res[i].head, res[j].head) == 0)
				clash = 1;
	if (clash)
		for (i = 0; i < nres; i++) {
			free(res[i].head);
			if ((res[i].head = strdup(res[i].file)) == NULL)
				return -1;
		}
	return 0;
}

/* The table rows: metric name and whether --norm hides it. */
static int
shown(const char *name, int norm)
{
	if (norm == NORM_ALL)
		return 1;
	if (strcmp(name, "ece") == 0)
		return norm == NORM_L1;
	if (strcmp(name, "rmsce") == 0)
		return norm == NORM_L2;
	if (strcmp(name, "mce") == 0)
		return norm == NORM_MAX;
	return 1;
}

/* A short number for a table cell with an interval. */
static void
short_num(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (isinf(v))
		snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
	else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e5))
		snprintf(buf, size, "%.3g", v);
	else
		snprintf(buf, size, "%.4f", v);
}

/* "0.0550 [0.0504, 0.0596]", starred when the point is outside. */
static void
interval(char *buf, size_t size, const struct result *r, int j)
{
	char a[24], b[24], c[24];

	short_num(a, sizeof(a), calib_metrics_value(&r->m, j));
	if (isnan(r->lo[j]) || isnan(r->hi[j])) {
		snprintf(buf, size, "%s", a);
		return;
	}
	short_num(b, sizeof(b), r->lo[j]);
	short_num(c, sizeof(c), r->hi[j]);
	snprintf(buf, size, "%s [%s, %s]%s", a, b, c, outside(r, j) ? "*" :
	    "");
}

static void
write_table(FILE *fp, const struct result *res, int nres,
    const struct cli_read *r, int norm, int markdown, const struct shown *sh,
    const struct boot *bt)
{
	int label_w = 16;
	char buf[256];
	int i, j, *w, star = 0;

	/* the label column fits the longest name shown */
	for (j = 0; j < calib_metric_count(); j++)
		if ((res[0].m.computed >> j & 1) &&
		    (int)strlen(calib_metric_info_get(j)->name) > label_w)
			label_w = (int)strlen(calib_metric_info_get(j)->name);
	w = calloc((size_t)nres, sizeof(int));
	if (w == NULL)
		return;
	for (i = 0; i < nres; i++) {
		w[i] = (int)strlen(res[i].head);
		if (w[i] < (bt->n ? 26 : 16))
			w[i] = bt->n ? 26 : 16;
	}
	if (!markdown) {
		if (!calib_convention_is_default(r->mo.convention)) {
			cli_convention_text(buf, sizeof(buf), &r->conv);
			fprintf(fp, "# convention %s\n", buf);
		}
		fprintf(fp, "# %d %s bins%s, ", r->mo.bins,
		    r->mo.binning == CALIB_BIN_WIDTH ? "equal-width" :
		    "equal-mass",
		    r->mo.binning == CALIB_BIN_WIDTH ? " ((m-1)/M, m/M]" : "");
		if (r->calibrate != NULL)
			fprintf(fp, "calibrated by '%s'", r->calibrate);
		else
			fprintf(fp, "temperature %g", r->ro.temperature);
		fprintf(fp, ", NLL %s\n", r->mo.nll_clip > 0 ? "clipped" :
		    "unclipped");
		if (bt->n)
			fprintf(fp, "# [lo, hi]: %g %% bootstrap percentile "
			    "intervals, %d replicates, seed %lu\n",
			    100 * bt->level, bt->n, bt->seed);
		fprintf(fp, "%-*s", label_w, "");
		for (i = 0; i < nres; i++)
			fprintf(fp, "  %*s", w[i], res[i].head);
		fputc('\n', fp);
	} else {
		fprintf(fp, "| metric |");
		for (i = 0; i < nres; i++)
			fprintf(fp, " %s |", res[i].head);
		fprintf(fp, "\n|---|");
		for (i = 0; i < nres; i++)
			fprintf(fp, "---:|");
		fputc('\n', fp);
	}

#define ROW_BEGIN(name) \
	do { \
		if (markdown) \
			fprintf(fp, "| %s |", name); \
		else \
			fprintf(fp, "%-*s", label_w, name); \
	} while (0)
#define CELL(i, text) \
	do { \
		if (markdown) \
			fprintf(fp, " %s |", text); \
		else \
			fprintf(fp, "  %*s", w[i], text); \
	} while (0)

	ROW_BEGIN("rows");
	for (i = 0; i < nres; i++) {
		snprintf(buf, sizeof(buf), "%zu", res[i].m.n);
		CELL(i, buf);
	}
	fputc('\n', fp);
	ROW_BEGIN("classes");
	for (i = 0; i < nres; i++) {
		snprintf(buf, sizeof(buf), "%d", res[i].m.classes);
		CELL(i, buf);
	}
	fputc('\n', fp);
	ROW_BEGIN("target");
	for (i = 0; i < nres; i++)
		CELL(i, res[i].target);
	fputc('\n', fp);
	if (r->mo.binning == CALIB_BIN_MASS) {
		ROW_BEGIN("bins_used");
		for (i = 0; i < nres; i++) {
			snprintf(buf, sizeof(buf), "%d", res[i].m.bins);
			CELL(i, buf);
		}
		fputc('\n', fp);
	}
	for (j = 0; j < calib_metric_count(); j++) {
		const char *name = calib_metric_info_get(j)->name;
		if (!(res[0].m.computed >> j & 1) || !shown(name, norm))
			continue;
		ROW_BEGIN(name);
		for (i = 0; i < nres; i++) {
			if (bt->n) {
				interval(buf, sizeof(buf), &res[i], j);
				star |= outside(&res[i], j);
			} else
				num(buf, sizeof(buf),
				    calib_metrics_value(&res[i].m, j), sh,
				    sh->percent && calib_metric_info_get(j)->unit ==
				    CALIB_UNIT_FRACTION);
			/* Not computable from a top-label-only file. */
			if (res[i].top_only &&
			    isnan(calib_metrics_value(&res[i].m, j)))
				snprintf(buf, sizeof(buf), "-");
			CELL(i, buf);
		}
		fputc('\n', fp);
	}
#undef ROW_BEGIN
#undef CELL
	if (star)
		fprintf(fp, "\n%s", footnote);
	free(w);
}

static void
write_json(FILE *fp, const struct result *res, int nres,
    const calib_convention *conv, const struct boot *bt)
{
	char key[64];
	struct jw w;
	int i, j;

	jw_init(&w, fp, 0);
	for (i = 0; i < nres; i++) {
		const calib_metrics *m = &res[i].m;
		jw_object_begin(&w);
		jw_string_member(&w, "file", res[i].file);
		jw_uint_member(&w, "n", m->n);
		jw_int_member(&w, "classes", m->classes);
		jw_int_member(&w, "bins", m->bins);
		jw_string_member(&w, "binning", m->binning == CALIB_BIN_WIDTH ?
		    "width" : "mass");
		cli_json_convention(&w, conv);
		for (j = 0; j < calib_metric_count(); j++) {
			const char *name = calib_metric_info_get(j)->name;
			if (!(m->computed >> j & 1))
				continue;
			jw_number_member(&w, name, calib_metrics_value(m, j));
			if (bt->n) {
				snprintf(key, sizeof(key), "%s_lo", name);
				jw_number_member(&w, key, res[i].lo[j]);
				snprintf(key, sizeof(key), "%s_hi", name);
				jw_number_member(&w, key, res[i].hi[j]);
			}
		}
		if (bt->n) {
			jw_int_member(&w, "bootstrap", bt->n);
			jw_uint_member(&w, "seed", bt->seed);
			jw_number_member(&w, "ci_level", bt->level);
			jw_array_member(&w, "outside_interval");
			for (j = 0; j < calib_metric_count(); j++)
				if ((m->computed >> j & 1) &&
				    outside(&res[i], j))
					jw_string(&w,
					    calib_metric_info_get(j)->name);
			jw_array_end(&w);
		}
		jw_string_member(&w, "version", PACKAGE_VERSION);
		cli_settings_json(&w, &res[i].set, 0);
		jw_object_end(&w);
	}
}

static void
delimited_number(char *buf, size_t size, double v)
{
	if (isinf(v))
		snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
	else if (isnan(v))
		buf[0] = '\0';
	else
		cli_fmt_number(buf, size, v);
}

static void
write_delimited(FILE *fp, const struct result *res, int nres, char delim,
    const struct boot *bt)
{
	char buf[64];
	int i, j;

	fprintf(fp, "file%cn%cclasses%cbins%cbinning", delim, delim, delim,
	    delim);
	for (j = 0; j < calib_metric_count(); j++)
		if (res[0].m.computed >> j & 1) {
			const char *nm = calib_metric_info_get(j)->name;
			fprintf(fp, "%c%s", delim, nm);
			if (bt->n)
				fprintf(fp, "%c%s_lo%c%s_hi", delim, nm, delim,
				    nm);
		}
	fprintf(fp, "%cversion", delim);
	cli_settings_header(fp, delim);
	fputc('\n', fp);
	for (i = 0; i < nres; i++) {
		const calib_metrics *m = &res[i].m;
		cli_csv_field(fp, "", res[i].file, delim);
		fprintf(fp, "%c%zu%c%d%c%d%c%s", delim, m->n, delim, m->classes,
		    delim, m->bins, delim,
		    m->binning == CALIB_BIN_WIDTH ? "width" : "mass");
		for (j = 0; j < calib_metric_count(); j++) {
			double v = calib_metrics_value(m, j);
			if (!(m->computed >> j & 1))
				continue;
			if (isinf(v))
				snprintf(buf, sizeof(buf), "inf");
			else if (isnan(v))
				buf[0] = '\0';
			else
				cli_fmt_number(buf, sizeof(buf), v);
			fprintf(fp, "%c%s", delim, buf);
			if (bt->n) {
				delimited_number(buf, sizeof(buf), res[i].lo[j]);
				fprintf(fp, "%c%s", delim, buf);
				delimited_number(buf, sizeof(buf), res[i].hi[j]);
				fprintf(fp, "%c%s", delim, buf);
			}
		}
		fprintf(fp, "%c%s", delim, PACKAGE_VERSION);
		cli_settings_fields(fp, &res[i].set, delim);
		fputc('\n', fp);
	}
}

/* The metrics of one file, with their intervals when --bootstrap asks. */
static int
compute(const calib_preds *p, const struct cli_read *r, const struct boot *bt,
    struct result *res)
{
	calib_bootstrap_options bo;
	calib_bootstrap bs;
	struct cli_boot_progress pg;
	calib_error err;
	int j;

	for (j = 0; j < 64; j++)
		res->lo[j] = res->hi[j] = NAN;
	if (bt->n == 0) {
		if (calib_metrics_compute(p, &r->mo, NULL, &res->m) !=
		    CALIB_OK) {
			cli_error("%s: out of memory", p->source);
			return CLI_ERROR;
		}
		return CLI_OK;
	}
	calib_bootstrap_options_init(&bo);
	bo.replicates = bt->n;
	bo.seed = bt->seed;
	bo.metric = r->mo;
	bo.threads = r->ro.threads;
	cli_boot_progress_init(&pg, p->source, bt->quiet);
	bo.progress = cli_boot_progress;
	bo.progress_ctx = &pg;
	if (calib_bootstrap_paired(&p, 1, &bo, &bs, &err) != CALIB_OK) {
		cli_boot_progress_end(&pg);
		cli_lib_error(&err);
		return CLI_ERROR;
	}
	cli_boot_progress_end(&pg);
	res->m = bs.point[0];
	for (j = 0; j < calib_metric_count() && j < 64; j++)
		if (res->m.computed >> j & 1)
			calib_bootstrap_interval(&bs, calib_metric_info_get(j)->name,
			    0, -1, bt->level, &res->lo[j], &res->hi[j]);
	calib_bootstrap_release(&bs);
	return CLI_OK;
}

/* The library's metric table, one metric a line. */
static void
list_metrics(FILE *fp)
{
	static const char *const unit[] = { "fraction", "nats", "score",
	    "count", "p-value" };
	static const char *const dir[] = { "lower", "higher", "signed",
	    "-" };
	static const char *const data[] = { "sums", "sorted", "rows" };
	int i;

	fprintf(fp, "%-22s %-8s %-6s %-6s %-5s %-7s %s\n", "# name", "unit",
	    "better", "needs", "probs", "default", "definition");
	for (i = 0; i < calib_metric_count(); i++) {
		const calib_metric_info *m = calib_metric_info_get(i);
		fprintf(fp, "%-22s %-8s %-6s %-6s %-5s %-7s %s\n", m->name,
		    unit[m->unit], dir[m->direction], data[m->data],
		    m->needs_probs ? "yes" : "no", m->is_default ? "yes" : "no",
		    m->summary);
	}
}

static void
warn_infinite(const char *source, const struct result *res, int fmt)
{
	if (isinf(res->m.nll))
		cli_warn("%s: NLL is infinite: %zu row%s probability 0 "
		    "to the true class%s (--nll-clip EPS bounds it)", source,
		    res->zero_prob_rows, res->zero_prob_rows == 1 ?
		    " gives" : "s give", fmt == FMT_JSON ?
		    "; written as null" : "");
}

/*
 * The metrics of a summary file, or of a prediction file read as a stream
 * into a summary when every selected metric merges (its data is sums and
 * the bins are equal-width): memory then stays the same whatever the
 * number of rows, and the digits are those of the in-memory path (both use
 * the exact sums).  Returns CLI_OK, CLI_ERROR, or -1 when the file must be
 * read into memory instead (a metric that needs the rows, or a file with
 * no rows or no weight, whose error the reader words).
 */
static int
from_summary(const char *path, struct cli_read *r, struct result *res,
    int first, int fmt, int boot)
{
	calib_summary *s;
	calib_summary_info in;
	calib_metric_options mo;
	calib_error err;
	int summary = cli_is_summary(path);

	/* --bootstrap resamples rows: the files are read into memory, and a
	 * summary, which keeps no rows, is refused. */
	if (boot > 0) {
		if (!summary)
			return -1;
		cli_error("%s: a summary keeps no rows to resample for "
		    "--bootstrap; use --bootstrap 0, calib check "
		    "--bootstrap-method poisson on a summary made by calib "
		    "summarize --bootstrap N, or run on the prediction files",
		    path);
		return CLI_ERROR;
	}
	if (!summary && (!calib_metric_set_merges(r->mo.select,
	    r->mo.binning) || !calib_convention_is_default(r->mo.convention)))
		return -1;
	if (summary) {
		s = cli_load_summary("metrics", path, r, 0);
		/* Every column of the report uses the same settings. */
		if (first)
			r->given |= CLI_GIVEN_BINS | CLI_GIVEN_NLL_CLIP |
			    CLI_GIVEN_TEMPERATURE;
	} else {
		s = cli_summarize(path, r);
	}
	if (s == NULL)
		return CLI_ERROR;
	calib_summary_get_info(s, &in);
	if (in.n == 0 || !(in.total_weight > 0) || isinf(in.total_weight)) {
		int rc = summary ? (cli_summary_check_rows(s), CLI_ERROR) : -1;
		calib_summary_free(s);
		return rc;
	}
	mo = r->mo;
	if (summary && !r->metrics_set) {
		/* The default selection holds metrics that need the rows; a
		 * summary gives the others, and says which it leaves out. */
		char left[512];
		size_t len = 0;
		int j;
		left[0] = '\0';
		for (j = 0; j < calib_metric_count() && j < 64; j++) {
			const calib_metric_info *mi = calib_metric_info_get(j);
			if (!(mo.select >> j & 1) ||
			    mi->data == CALIB_DATA_SUMS)
				continue;
			mo.select &= ~((calib_metric_set)1 << j);
			if (len < sizeof(left))
				len += (size_t)snprintf(left + len,
				    sizeof(left) - len, "%s%s", len ? ", " : "",
				    mi->name);
		}
		if (first && left[0] != '\0')
			cli_warn("%s: a summary keeps sums only; leaving out %s "
			    "(run on the prediction files for them)", path,
			    left);
	}
	if (calib_summary_metrics(s, &mo, &res->m, &err) != CALIB_OK) {
		cli_lib_error(&err);
		calib_summary_free(s);
		return CLI_ERROR;
	}
	if (in.target == CALIB_TARGET_TOP)
		res->target = in.k == 2 ? "binary top-label" : "top-label";
	else
		res->target = "binary positive";
	res->zero_prob_rows = (size_t)in.zero_prob_rows;
	res->top_only = in.top_only;
	{
		calib_preds *shell = cli_summary_shell(s);
		if (shell == NULL) {
			cli_error("out of memory");
			calib_summary_free(s);
			return CLI_ERROR;
		}
		cli_settings_get(&res->set, shell, r->mo.nll_clip);
		calib_preds_free(shell);
	}
	warn_infinite(in.source, res, fmt);
	calib_summary_free(s);
	return CLI_OK;
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "norm", required_argument, NULL, OPT_NORM },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
		{ "ci-level", required_argument, NULL, OPT_CI_LEVEL },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "digits", required_argument, NULL, OPT_DIGITS },
		{ "percent", no_argument, NULL, OPT_PERCENT },
		{ "help", no_argument, NULL, 'h' },
		CLI_READ_LONGOPTS,
		CLI_METRIC_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_read r;
	struct cli_out out;
	struct result *res;
	const char *output = NULL;
	struct shown sh = { 8, 0 };
	int fmt = FMT_TEXT, norm = NORM_ALL, opt, i, nres, rc = CLI_OK;
	struct boot bt = { 0, 0.95, 20191206, 0 };

	cli_read_init(&r);
	while ((opt = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = FMT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				fmt = FMT_CSV;
			else if (strcmp(optarg, "tsv") == 0)
				fmt = FMT_TSV;
			else if (strcmp(optarg, "markdown") == 0)
				fmt = FMT_MARKDOWN;
			else
				return cli_usage_error("metrics", "--format: "
				    "'%s' is not text, json, csv, tsv or "
				    "markdown", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_LIST:
			list_metrics(stdout);
			return CLI_OK;
		case OPT_BOOTSTRAP:
			if (cli_parse_int("metrics", "bootstrap", optarg, 0,
			    1000000, &bt.n) != 0)
				return CLI_ERROR;
			break;
		case OPT_CI_LEVEL:
			if (cli_parse_double("metrics", "ci-level", optarg,
			    &bt.level) != 0)
				return CLI_ERROR;
			if (!(bt.level > 0 && bt.level < 1))
				return cli_usage_error("metrics", "--ci-level: "
				    "'%s' is not strictly between 0 and 1",
				    optarg);
			break;
		case OPT_SEED:
			if (cli_parse_seed("metrics", optarg, &bt.seed) != 0)
				return CLI_ERROR;
			break;
		case OPT_DIGITS:
			if (cli_parse_int("metrics", "digits", optarg, 1, 17,
			    &sh.digits) != 0)
				return CLI_ERROR;
			break;
		case OPT_PERCENT:
			sh.percent = 1;
			break;
		case OPT_NORM:
			if (strcmp(optarg, "l1") == 0)
				norm = NORM_L1;
			else if (strcmp(optarg, "l2") == 0)
				norm = NORM_L2;
			else if (strcmp(optarg, "max") == 0)
				norm = NORM_MAX;
			else
				return cli_usage_error("metrics", "--norm: '%s' "
				    "is not l1, l2 or max", optarg);
			break;
		case '?':
			return cli_usage_error("metrics", "invalid option");
		default:
			h = cli_read_option("metrics", opt, optarg, &r);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error("metrics",
				    "invalid option");
		}
	}
	nres = argc - optind;
	if (nres < 1)
		return cli_usage_error("metrics", "no prediction file given");

	res = calloc((size_t)nres, sizeof(*res));
	if (res == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (i = 0; i < nres; i++) {
		const char *path = argv[optind + i];
		calib_preds *p;
		int st = from_summary(path, &r, &res[i], i == 0, fmt, bt.n);
		if (st == CLI_ERROR) {
			free(res);
			return CLI_ERROR;
		}
		if (st == CLI_OK) {
			res[i].file = path;
			continue;
		}
#ifdef CALIB_MPI
		if (r.mo.binning != CALIB_BIN_WIDTH) {
			cli_error("%s: equal-mass bins need every row in one "
			    "process and do not merge; use calib, or --binning "
			    "width", path);
			free(res);
			return CLI_ERROR;
		}
#endif
		/* classwise ECE on resamples needs the matrix (without
		 * resampling the reader's bin sums do) */
		p = cli_read_preds(path, &r, cli_metric_keep(r.mo.select) |
		    (bt.n > 0 && (r.mo.select >>
		    calib_metric_lookup("classwise_ece") & 1) ?
		    CALIB_KEEP_PROBS : 0));
		if (p == NULL) {
			free(res);
			return CLI_ERROR;
		}
		res[i].file = path;
		res[i].target = short_target(p);
		res[i].zero_prob_rows = p->zero_prob_rows;
		cli_settings_get(&res[i].set, p, r.mo.nll_clip);
		res[i].top_only = p->top_only;
		if (compute(p, &r, &bt, &res[i]) != CLI_OK) {
			calib_preds_free(p);
			free(res);
			return CLI_ERROR;
		}
		warn_infinite(p->source, &res[i], fmt);
		calib_preds_free(p);
	}

	if (set_heads(res, nres) != 0) {
		cli_error("out of memory");
		rc = CLI_ERROR;
		goto done;
	}
	if (cli_out_open(&out, output) != 0) {
		rc = CLI_ERROR;
		goto done;
	}
	switch (fmt) {
	case FMT_TEXT:
		write_table(out.fp, res, nres, &r, norm, 0, &sh, &bt);
		break;
	case FMT_MARKDOWN:
		write_table(out.fp, res, nres, &r, norm, 1, &sh, &bt);
		break;
	case FMT_JSON:
		write_json(out.fp, res, nres, r.mo.convention, &bt);
		break;
	case FMT_CSV:
		write_delimited(out.fp, res, nres, ',', &bt);
		break;
	case FMT_TSV:
		write_delimited(out.fp, res, nres, '\t', &bt);
		break;
	}
	if (cli_out_commit(&out) != 0)
		rc = CLI_ERROR;
done:
	for (i = 0; i < nres; i++)
		free(res[i].head);
	free(res);
	return rc;
}

const struct cli_cmd cli_cmd_metrics = {
	.name = "metrics",
	.run = run,
	.summary = "calibration metrics of prediction files (ECE, MCE, NLL...)",
};
