/*
 * cmd-explain.c - calib explain: why the libraries calib's conventions
 * reproduce give different numbers for one file.  Side by side, for every
 * preset: ECE, MCE and RMSCE, the count in each equal-width bin, how many
 * scores sit exactly on some library's bin edge, and every row whose bin
 * is not the same under all of them.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-writer.h"

enum { FMT_TEXT, FMT_JSON, FMT_MARKDOWN };
enum { OPT_MAX_ROWS = CLI_OPT_CMD_BASE };

/* The edge kinds a score can sit on, in report order. */
static const calib_edges edge_kinds[] = {
	CALIB_EDGES_EXACT, CALIB_EDGES_I_OVER_M, CALIB_EDGES_LINSPACE,
	CALIB_EDGES_LINSPACE32
};
static const char *const edge_kind_names[] = {
	"exact j/M", "double j/M", "linspace", "float32 linspace"
};
static const char *const edge_kind_keys[] = {
	"exact", "i/M", "linspace", "linspace32"
};
#define NKINDS 4

struct conv_result {
	const char *name;
	calib_convention c;
	calib_metrics m;
	calib_bins b;
};

struct explain {
	const char *file;
	const calib_preds *p;
	int m;                   /* M */
	int nconv;
	struct conv_result *cr;
	size_t on_edge[NKINDS];
	size_t at_zero, at_one;
	size_t ndiff;            /* rows whose bin differs */
	size_t *diff;            /* their indices (0-based), at most max */
	int *diff_bins;          /* ndiff_kept x nconv 0-based bins */
	size_t kept;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s explain [OPTIONS] FILE\n"
	    "\n"
	    "Show why calibration libraries give different ECEs for the same\n"
	    "predictions: for every convention calib reproduces (calib,\n"
	    "torchmetrics, netcal, sklearn, relplot, kumar, tfp), its ECE, MCE\n"
	    "and RMSCE and the count in each equal-width bin; how many scores\n"
	    "sit exactly on a bin edge of each kind, at 0 or at 1.0; and each\n"
	    "row that lands in a different bin under some convention, with its\n"
	    "score printed exactly and its bin under each convention (M+1 is\n"
	    "the extra bin some libraries give 1.0).\n"
	    "\n"
	    "Output:\n"
	    "  -f, --format FMT      text (default), json or markdown\n"
	    "      --bins M          number of equal-width bins (default 15)\n"
	    "      --max-rows N      list at most N differing rows (default\n"
	    "                        all; the count is always given)\n"
	    "  -o, --output FILE     write to FILE (atomically) instead of stdout\n"
	    "  -h, --help            show this help\n"
	    "\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error.\n",
	    cli_progname, cli_read_help);
}

/* Does s (strictly inside (0, 1)) lie exactly on an interior edge of this
 * kind, as the library compares (float32 edges with the score rounded to
 * float)? */
static int
on_edge(calib_edges kind, double s, int m)
{
	calib_convention c;
	int j;

	if (!(s > 0 && s < 1))
		return 0;
	if (kind == CALIB_EDGES_EXACT) {
		/* s * M is an integer exactly when the rounded product is
		 * integral and the rounding lost nothing. */
		double prod = s * m;
		return prod == floor(prod) && fma(s, (double)m, -prod) == 0;
	}
	calib_convention_init(&c);
	c.edges = kind;
	c.closure = CALIB_CLOSURE_LEFT;
	if (kind == CALIB_EDGES_LINSPACE32)
		c.arith = CALIB_ARITH_FLOAT32;
	/* Under [lo, hi) a score on an edge is its bin's lower end. */
	j = calib_convention_bin(&c, s, m);
	if (kind == CALIB_EDGES_LINSPACE32)
		s = (double)(float)s;
	return j >= 1 && j < m && s == calib_convention_edge(&c, j, m);
}

/* The exact decimal value of a double: glibc prints every digit asked
 * for, and 1100 places after the point hold any double in [0, 1]. */
static void
exact_decimal(char *buf, size_t size, double v)
{
	size_t n;

	if (!(v >= 0 && v <= 1)) {
		snprintf(buf, size, "%.17g", v);
		return;
	}
	snprintf(buf, size, "%.1100f", v);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
}

static int
explain_compute(struct explain *e, size_t max_rows)
{
	const calib_preds *p = e->p;
	size_t i;
	int k, *bins;

	e->nconv = 0;
	while (calib_convention_names[e->nconv] != NULL)
		e->nconv++;
	e->cr = calloc((size_t)e->nconv, sizeof(*e->cr));
	bins = malloc((size_t)e->nconv * sizeof(*bins));
	e->diff = malloc((p->n ? p->n : 1) * sizeof(*e->diff));
	if (e->cr == NULL || bins == NULL || e->diff == NULL) {
		free(bins);
		return -1;
	}
	for (k = 0; k < e->nconv; k++) {
		struct conv_result *r = &e->cr[k];
		calib_metric_options mo;
		r->name = calib_convention_names[k];
		calib_convention_preset(r->name, &r->c);
		calib_metric_options_init(&mo);
		mo.bins = e->m;
		mo.convention = &r->c;
		if (calib_metrics_compute(p, &mo, NULL, &r->m) != CALIB_OK ||
		    calib_bins_compute_conv(p, e->m, CALIB_BIN_WIDTH, &r->c,
		    NULL, &r->b) != CALIB_OK) {
			free(bins);
			return -1;
		}
	}
	for (i = 0; i < p->n; i++) {
		double s = p->score[i];
		int same = 1, j;
		for (j = 0; j < NKINDS; j++)
			e->on_edge[j] += (size_t)on_edge(edge_kinds[j], s,
			    e->m);
		e->at_zero += s == 0;
		e->at_one += s == 1;
		for (k = 0; k < e->nconv; k++) {
			bins[k] = calib_convention_bin(&e->cr[k].c, s, e->m);
			if (bins[k] != bins[0])
				same = 0;
		}
		if (same)
			continue;
		e->ndiff++;
		if (max_rows == 0 || e->kept < max_rows)
			e->diff[e->kept++] = i;
	}
	e->diff_bins = malloc((e->kept ? e->kept : 1) * (size_t)e->nconv *
	    sizeof(int));
	if (e->diff_bins == NULL) {
		free(bins);
		return -1;
	}
	for (i = 0; i < e->kept; i++)
		for (k = 0; k < e->nconv; k++)
			e->diff_bins[i * (size_t)e->nconv + (size_t)k] =
			    calib_convention_bin(&e->cr[k].c,
			    p->score[e->diff[i]], e->m);
	free(bins);
	return 0;
}

static void
explain_free(struct explain *e)
{
	int k;

	if (e->cr != NULL)
		for (k = 0; k < e->nconv; k++)
			calib_bins_release(&e->cr[k].b);
	free(e->cr);
	free(e->diff);
	free(e->diff_bins);
}

/* A bin count of table b for bin j (0-based; j = M is the extra bin, "-"
 * when the convention has none). */
static void
count_text(char *buf, size_t size, const calib_bins *b, int j)
{
	if (j < b->m)
		snprintf(buf, size, "%zu", b->bin[j].count);
	else
		snprintf(buf, size, "-");
}

static void
num_text(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.8g", v);
}

static void
write_text(FILE *fp, const struct explain *e, int md)
{
	const calib_preds *p = e->p;
	char buf[1200], a[32], b[32], c[32];
	size_t i;
	int j, k;

	if (md)
		fprintf(fp, "### %s\n\n%zu rows, %d classes, %s, %d "
		    "equal-width bins\n\n", e->file, p->n, p->k,
		    cli_target_text(p), e->m);
	else
		fprintf(fp, "# %s: %zu rows, %d classes, %s, %d equal-width "
		    "bins\n", e->file, p->n, p->k, cli_target_text(p), e->m);

	if (md)
		fprintf(fp, "| convention | ECE | MCE | RMSCE | bins |\n"
		    "|---|---:|---:|---:|---:|\n");
	else
		fprintf(fp, "%-13s %12s %12s %12s %5s\n", "convention", "ECE",
		    "MCE", "RMSCE", "bins");
	for (k = 0; k < e->nconv; k++) {
		const struct conv_result *r = &e->cr[k];
		num_text(a, sizeof(a), r->m.ece);
		num_text(b, sizeof(b), r->m.mce);
		num_text(c, sizeof(c), r->m.rmsce);
		if (md)
			fprintf(fp, "| %s | %s | %s | %s | %d |\n", r->name, a,
			    b, c, r->b.m);
		else
			fprintf(fp, "%-13s %12s %12s %12s %5d\n", r->name, a, b,
			    c, r->b.m);
	}

	fprintf(fp, md ? "\nScores exactly on an interior bin edge:" :
	    "\n# scores exactly on an interior bin edge:");
	for (j = 0; j < NKINDS; j++)
		fprintf(fp, "%s %s %zu", j ? "," : "", edge_kind_names[j],
		    e->on_edge[j]);
	fprintf(fp, md ? ". At 0: %zu; at 1.0: %zu.\n" :
	    "; at 0: %zu; at 1.0: %zu\n", e->at_zero, e->at_one);

	fprintf(fp, md ? "\n| bin |" : "\n%-5s", md ? "" : "bin");
	for (k = 0; k < e->nconv; k++)
		fprintf(fp, md ? " %s |" : " %12s", e->cr[k].name);
	fputc('\n', fp);
	if (md) {
		fprintf(fp, "|---:|");
		for (k = 0; k < e->nconv; k++)
			fprintf(fp, "---:|");
		fputc('\n', fp);
	}
	for (j = 0; j <= e->m; j++) {
		int any = 0;
		for (k = 0; k < e->nconv; k++)
			any |= j < e->cr[k].b.m;
		if (!any)
			continue;
		if (j == e->m)
			snprintf(a, sizeof(a), "%d+", j + 1);
		else
			snprintf(a, sizeof(a), "%d", j + 1);
		fprintf(fp, md ? "| %s |" : "%-5s", a);
		for (k = 0; k < e->nconv; k++) {
			count_text(b, sizeof(b), &e->cr[k].b, j);
			fprintf(fp, md ? " %s |" : " %12s", b);
		}
		fputc('\n', fp);
	}
	if (!md)
		fprintf(fp, "# bin %d+: the extra bin for 1.0\n", e->m + 1);
	else
		fprintf(fp, "\nBin %d+ is the extra bin for 1.0.\n", e->m + 1);

	fprintf(fp, md ? "\n%zu row%s land%s in a different bin under some "
	    "convention%s\n" : "\n# %zu row%s land%s in a different bin under "
	    "some convention%s\n", e->ndiff, e->ndiff == 1 ? "" : "s",
	    e->ndiff == 1 ? "s" : "", e->kept < e->ndiff ? " (first ones "
	    "listed)" : "");
	if (e->kept == 0)
		return;
	if (md) {
		fprintf(fp, "\n| row | score |");
		for (k = 0; k < e->nconv; k++)
			fprintf(fp, " %s |", e->cr[k].name);
		fprintf(fp, "\n|---:|---|");
		for (k = 0; k < e->nconv; k++)
			fprintf(fp, "---:|");
		fputc('\n', fp);
	} else {
		fprintf(fp, "%-7s", "row");
		for (k = 0; k < e->nconv; k++)
			fprintf(fp, " %12s", e->cr[k].name);
		fprintf(fp, "  score (exact)\n");
	}
	for (i = 0; i < e->kept; i++) {
		size_t r = e->diff[i];
		exact_decimal(buf, sizeof(buf), p->score[r]);
		if (md)
			fprintf(fp, "| %zu | %s |", r + 1, buf);
		else
			fprintf(fp, "%-7zu", r + 1);
		for (k = 0; k < e->nconv; k++) {
			int bn = e->diff_bins[i * (size_t)e->nconv + (size_t)k];
			snprintf(a, sizeof(a), bn == e->m ? "%d+" : "%d",
			    bn + 1);
			fprintf(fp, md ? " %s |" : " %12s", a);
		}
		fprintf(fp, md ? "\n" : "  %s\n", buf);
	}
}

static void
write_json(FILE *fp, const struct explain *e)
{
	const calib_preds *p = e->p;
	char buf[1200];
	struct jw w;
	size_t i;
	int j, k;

	jw_init(&w, fp, 0);
	jw_object_begin(&w);
	jw_string_member(&w, "file", e->file);
	jw_uint_member(&w, "n", p->n);
	jw_int_member(&w, "classes", p->k);
	jw_int_member(&w, "bins", e->m);
	jw_string_member(&w, "target", cli_target_text(p));
	jw_array_member(&w, "conventions");
	for (k = 0; k < e->nconv; k++) {
		const struct conv_result *r = &e->cr[k];
		jw_object_begin(&w);
		jw_string_member(&w, "name", r->name);
		jw_number_member(&w, "ece", r->m.ece);
		jw_number_member(&w, "mce", r->m.mce);
		jw_number_member(&w, "rmsce", r->m.rmsce);
		jw_array_member(&w, "counts");
		for (j = 0; j < r->b.m; j++)
			jw_uint(&w, r->b.bin[j].count);
		jw_array_end(&w);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_member(&w, "on_edge");
	for (j = 0; j < NKINDS; j++)
		jw_uint_member(&w, edge_kind_keys[j], e->on_edge[j]);
	jw_object_end(&w);
	jw_uint_member(&w, "at_zero", e->at_zero);
	jw_uint_member(&w, "at_one", e->at_one);
	jw_uint_member(&w, "rows_differing", e->ndiff);
	jw_array_member(&w, "rows");
	for (i = 0; i < e->kept; i++) {
		size_t r = e->diff[i];
		jw_object_begin(&w);
		jw_uint_member(&w, "row", r + 1);
		jw_number_member(&w, "score", p->score[r]);
		exact_decimal(buf, sizeof(buf), p->score[r]);
		jw_string_member(&w, "exact", buf);
		jw_object_member(&w, "bins");
		for (k = 0; k < e->nconv; k++)
			jw_int_member(&w, e->cr[k].name, e->diff_bins[i *
			    (size_t)e->nconv + (size_t)k] + 1);
		jw_object_end(&w);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_string_member(&w, "version", PACKAGE_VERSION);
	jw_object_end(&w);
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "bins", required_argument, NULL, CLI_OPT_BINS },
		{ "max-rows", required_argument, NULL, OPT_MAX_ROWS },
		{ "help", no_argument, NULL, 'h' },
		CLI_READ_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_read r;
	struct cli_out out;
	struct explain e;
	calib_preds *p;
	const char *output = NULL;
	int fmt = FMT_TEXT, opt, rc = CLI_OK, maxr = 0;

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
			else if (strcmp(optarg, "markdown") == 0)
				fmt = FMT_MARKDOWN;
			else
				return cli_usage_error("explain", "--format: "
				    "'%s' is not text, json or markdown",
				    optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_MAX_ROWS:
			if (cli_parse_int("explain", "max-rows", optarg, 0,
			    2000000000, &maxr) != 0)
				return CLI_ERROR;
			break;
		case '?':
			return cli_usage_error("explain", "invalid option");
		default:
			h = cli_read_option("explain", opt, optarg, &r);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error("explain",
				    "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("explain", "no prediction file given");
	if (argc - optind > 1)
		return cli_usage_error("explain", "one prediction file at a "
		    "time ('%s' is extra)", argv[optind + 1]);

	/* Every convention's classwise ECE and NLL need the matrix. */
	p = cli_read_preds(argv[optind], &r, CALIB_KEEP_PROBS);
	if (p == NULL)
		return CLI_ERROR;
	memset(&e, 0, sizeof(e));
	e.file = argv[optind];
	e.p = p;
	e.m = r.mo.bins;
	if (explain_compute(&e, (size_t)maxr) != 0) {
		cli_error("%s: out of memory", p->source);
		explain_free(&e);
		calib_preds_free(p);
		return CLI_ERROR;
	}
	if (cli_out_open(&out, output) != 0) {
		rc = CLI_ERROR;
	} else {
		if (fmt == FMT_JSON)
			write_json(out.fp, &e);
		else
			write_text(out.fp, &e, fmt == FMT_MARKDOWN);
		if (cli_out_commit(&out) != 0)
			rc = CLI_ERROR;
	}
	explain_free(&e);
	calib_preds_free(p);
	return rc;
}

const struct cli_cmd cli_cmd_explain = {
	.name = "explain",
	.run = run,
	.summary = "why libraries' ECEs differ: every convention side by side",
};
