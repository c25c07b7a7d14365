/*
 * cmd-report.c - calib report: one self-contained HTML file with the
 * settings, every run's metrics with bootstrap intervals, its reliability
 * diagram and confidence histogram (inline SVG from gnuplot), the paired
 * comparison with the first run, the results of calib check when rules
 * are given, and for each number the calib command that reproduces it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define CMD "report"
/* Options forwarded to other commands, as tokens: a generous bound on
 * what a command line holds. */
#define MAX_TOKENS 512

enum {
	OPT_NAMES = CLI_OPT_CMD_BASE,
	OPT_BOOTSTRAP,
	OPT_SEED,
	OPT_CI_LEVEL,
	OPT_MAX,
	OPT_MIN,
	OPT_RULES
};

/* The metrics in the report: ids in the library's metric table, those
 * selected by --metrics or its default set, in the table's order. */
static int M[64];
static int NM;
#define INFO(j) calib_metric_info_get(M[j])
/* probabilities and their differences are shown in percent */
#define PTS(j) (INFO(j)->unit == CALIB_UNIT_FRACTION)

/* A list of command-line tokens. */
struct tokens {
	const char *v[MAX_TOKENS];
	int n;
};

struct report {
	struct cli_read r;
	struct cli_plot_opts po;
	const char *output;
	const char *names;
	const char *title;
	int boot_n;
	unsigned long seed;
	double level;
	char **files;
	int nruns;
	char **name;           /* per run */
	calib_preds **p;       /* per run */
	calib_bootstrap boot;
	int have_boot;
	struct tokens common;  /* reading and metric options, as given */
	struct tokens figure;  /* the figure options, as given */
	struct tokens check;   /* --max, --min, --rules, as given */
	char *tmpdir;          /* figures are drawn here, then inlined */
	int nfig;              /* figures inlined so far, for id prefixes */
	int figures_missing;   /* a figure could not be drawn */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s report [OPTIONS] FILE... -o REPORT.html\n"
	    "\n"
	    "Write one self-contained HTML file (no scripts, fonts or network\n"
	    "access) about the runs in FILE...: the settings, each run's\n"
	    "metrics with paired-bootstrap intervals, its reliability diagram\n"
	    "and confidence histogram (inline SVG), the comparison of every\n"
	    "later run with the first, the results of calib check when rules\n"
	    "are given, and the calib command behind each number.\n"
	    "\n"
	    "Report:\n"
	    "  -o, --output FILE     the report (.html); required\n"
	    "  -n, --names A,B,...   run names (default: file names without\n"
	    "                        directory and extension)\n"
	    "      --title TEXT      the report's heading\n"
	    "      --bootstrap N     paired bootstrap replicates (default 1000;\n"
	    "                        0 for no intervals)\n"
	    "      --seed S          bootstrap seed (default 20191206)\n"
	    "      --ci-level X      interval level (default 0.95)\n"
	    "\n"
	    "Checks (as calib check; run on every file when given):\n"
	    "      --max METRIC=VALUE, --min METRIC=VALUE, --rules FILE\n"
	    "\n"
	    "Figures:\n"
	    "      --size WxH        size of each figure in pixels\n"
	    "      --gnuplot PATH    gnuplot binary to run (default "
	    CALIB_GNUPLOT ")\n"
	    "%s"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error, 3 report written\n"
	    "without figures (gnuplot missing or failed).\n",
	    cli_progname, cli_plot_style_help, cli_metric_help, cli_read_help);
}

/* ---- text -------------------------------------------------------- */

static void
html(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		default:
			/* control characters have no place in HTML text */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fprintf(fp, "&#x%x;", 0x2400 + *s);
			else
				fputc(*s, fp);
		}
	}
}

/* A shell word for the reproduction commands, HTML-escaped: as it is
 * when it holds only safe characters, else in single quotes. */
static void
sh_word(FILE *fp, const char *s)
{
	const char *c;

	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-%@") == strlen(s)) {
		html(fp, s);
		return;
	}
	fputc('\'', fp);
	for (c = s; *c; c++) {
		char one[2] = { *c, '\0' };
		if (*c == '\'')
			fputs("'\\''", fp);
		else
			html(fp, one);
	}
	fputc('\'', fp);
}

static void
sh_tokens(FILE *fp, const struct tokens *t, int skip_nll_clip)
{
	int i;

	for (i = 0; i < t->n; i++) {
		if (skip_nll_clip && strcmp(t->v[i], "--nll-clip") == 0) {
			i++;
			continue;
		}
		fputc(' ', fp);
		sh_word(fp, t->v[i]);
	}
}

static void
fmt_value(char *buf, size_t size, double v, int pts)
{
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (isinf(v))
		snprintf(buf, size, "%sinf", v < 0 ? "-" : "");
	else if (pts)
		snprintf(buf, size, "%.2f", 100 * v);
	else
		snprintf(buf, size, "%.4f", v);
}

/* ---- options ----------------------------------------------------- */

static int
add_token(const char *cmd, struct tokens *t, const char *a, const char *b)
{
	if (t->n + 2 > MAX_TOKENS)
		return cli_usage_error(cmd, "more than %d options", MAX_TOKENS /
		    2);
	t->v[t->n++] = a;
	if (b != NULL)
		t->v[t->n++] = b;
	return CLI_OK;
}

static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "names", required_argument, NULL, 'n' },
	{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "ci-level", required_argument, NULL, OPT_CI_LEVEL },
	{ "max", required_argument, NULL, OPT_MAX },
	{ "min", required_argument, NULL, OPT_MIN },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "help", no_argument, NULL, 'h' },
	CLI_PLOT_LONGOPTS,
	CLI_READ_LONGOPTS,
	CLI_METRIC_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* "--name" of options[i], in static storage (the table is static). */
static char long_names[sizeof(options) / sizeof(options[0])][40];

static const char *
long_name(int i)
{
	if (long_names[i][0] == '\0')
		snprintf(long_names[i], sizeof(long_names[i]), "--%s",
		    options[i].name);
	return long_names[i];
}

static int
parse_option(struct report *R, int opt, int li, int *help)
{
	int h;

	switch (opt) {
	case 'h':
		usage(stdout);
		*help = 1;
		return CLI_OK;
	case 'o':
		R->output = optarg;
		return CLI_OK;
	case 'n':
		R->names = optarg;
		return CLI_OK;
	case OPT_BOOTSTRAP:
		return cli_parse_int(CMD, "bootstrap", optarg, 0, 1000000,
		    &R->boot_n) != 0 ? CLI_ERROR : CLI_OK;
	case OPT_SEED:
		return cli_parse_seed(CMD, optarg, &R->seed) != 0 ? CLI_ERROR :
		    CLI_OK;
	case OPT_CI_LEVEL:
		if (cli_parse_double(CMD, "ci-level", optarg, &R->level) != 0)
			return CLI_ERROR;
		if (!(R->level > 0 && R->level < 1))
			return cli_usage_error(CMD, "--ci-level must be between "
			    "0 and 1");
		return CLI_OK;
	case OPT_MAX:
	case OPT_MIN:
	case OPT_RULES:
		/* calib check validates them, and names any mistake */
		return add_token(CMD, &R->check, opt == OPT_MAX ? "--max" :
		    opt == OPT_MIN ? "--min" : "--rules", optarg);
	case '?':
		return cli_usage_error(CMD, "invalid option");
	}
	if (opt == CLI_OPT_TITLE) {
		R->title = optarg;
		return CLI_OK;
	}
	h = cli_plot_option(CMD, opt, optarg, &R->po);
	if (h > 0)
		return opt == CLI_OPT_GNUPLOT ? CLI_OK : add_token(CMD,
		    &R->figure, long_name(li), options[li].has_arg ? optarg :
		    NULL);
	if (h == 0)
		h = cli_read_option(CMD, opt, optarg, &R->r);
	if (h > 0)
		return add_token(CMD, &R->common, long_name(li),
		    options[li].has_arg ? optarg : NULL);
	return h < 0 ? CLI_ERROR : cli_usage_error(CMD, "invalid option");
}

static int
set_names(struct report *R)
{
	char *list = NULL, *tok, *save = NULL;
	int i = 0;

	R->name = calloc((size_t)R->nruns, sizeof(*R->name));
	if (R->name == NULL)
		goto oom;
	if (R->names != NULL) {
		if ((list = strdup(R->names)) == NULL)
			goto oom;
		for (tok = strtok_r(list, ",", &save); tok != NULL && i <
		    R->nruns; tok = strtok_r(NULL, ",", &save))
			if ((R->name[i++] = strdup(tok)) == NULL)
				goto oom;
		free(list);
		list = NULL;
		if (i != R->nruns || tok != NULL)
			return cli_usage_error(CMD, "--names gives %s names for "
			    "%d files", tok != NULL ? "more" : "fewer",
			    R->nruns);
	}
	for (i = 0; i < R->nruns; i++)
		if (R->name[i] == NULL &&
		    (R->name[i] = cli_file_stem(R->files[i])) == NULL)
			goto oom;
	return CLI_OK;
oom:
	free(list);
	cli_error("out of memory");
	return CLI_ERROR;
}

/* ---- numbers ----------------------------------------------------- */

static double
metric(const calib_metrics *m, int j)
{
	return calib_metrics_value(m, M[j]);
}

/* Read the runs and bootstrap them together: each run's interval is the
 * one calib metrics --bootstrap gives it alone, the differences those
 * of compare. */
static int
compute(struct report *R)
{
	calib_bootstrap_options bo;
	calib_error err;
	int i;

	if (R->nruns < 1 || R->nruns > 1000000)
		return cli_usage_error(CMD, "give from 1 to 1000000 files");
	R->p = calloc((size_t)R->nruns, sizeof(*R->p));
	if (R->p == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	for (i = 0; i < R->nruns; i++) {
		R->p[i] = cli_read_preds(R->files[i], &R->r, CALIB_KEEP_PROBS);
		if (R->p[i] == NULL)
			return CLI_ERROR;
		if (i > 0 && calib_preds_check_paired(R->p[0], R->p[i], &err) !=
		    CALIB_OK) {
			cli_lib_error(&err);
			return CLI_ERROR;
		}
	}
	calib_bootstrap_options_init(&bo);
	bo.replicates = R->boot_n;
	bo.seed = R->seed;
	bo.metric = R->r.mo;
	if (calib_bootstrap_paired((const calib_preds **)R->p, R->nruns, &bo,
	    &R->boot, &err) != CALIB_OK) {
		cli_lib_error(&err);
		return CLI_ERROR;
	}
	R->have_boot = R->boot_n >= 2;
	return CLI_OK;
}

/* ---- the parts of the page --------------------------------------- */

static const char style_sheet[] =
"body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,"
"sans-serif;line-height:1.45;margin:0 auto;max-width:72rem;padding:1rem;"
"color:#1a1a1a;background:#fff}\n"
"h1{font-size:1.6rem;margin:.2rem 0 .4rem}\n"
"h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}\n"
"h3{font-size:1.05rem;margin:1.2rem 0 .4rem}\n"
".meta{color:#555;margin-top:0}\n"
".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\n"
"table{border-collapse:collapse;margin:.4rem 0;font-variant-numeric:"
"tabular-nums}\n"
"th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right;"
"vertical-align:top}\n"
"th:first-child,td:first-child,.kv td{text-align:left}\n"
"thead th{border-bottom:2px solid #999}\n"
".ci{color:#555;font-size:.85em;white-space:nowrap}\n"
".higher{color:#9a3412}.lower{color:#1d4ed8}.same{color:#555}\n"
".pass{color:#166534;font-weight:bold}.fail{color:#b91c1c;"
"font-weight:bold}\n"
"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,"
"monospace;font-size:.85em}\n"
"pre{background:#f5f5f5;padding:.5rem;overflow-x:auto;white-space:pre-wrap;"
"word-break:break-all}\n"
".cmd{background:#f5f5f5;padding:.3rem .5rem;display:block;overflow-x:auto;"
"white-space:pre-wrap;word-break:break-all;margin:.3rem 0}\n"
".figs{display:flex;flex-wrap:wrap;gap:1rem}\n"
".fig{flex:1 1 18rem;min-width:0;max-width:36rem;margin:0}\n"
".fig svg{width:100%;max-width:100%;height:auto;display:block}\n"
".caption{font-size:.85em;color:#444}\n"
"@media print{body{max-width:none;font-size:10pt}.scroll{overflow:visible}"
".fig,.run,table{break-inside:avoid}h2{break-after:avoid}"
".cmd,pre{white-space:pre-wrap}}\n";

static void
write_settings(FILE *fp, const struct report *R)
{
	int i;

	fputs("<h2 id=\"settings\">Settings</h2>\n<div class=\"scroll\">"
	    "<table class=\"kv\">\n<tbody>\n", fp);
	fprintf(fp, "<tr><td>calib</td><td>%s</td></tr>\n", PACKAGE_VERSION);
	fprintf(fp, "<tr><td>rows per run</td><td>%zu</td></tr>\n",
	    R->p[0]->n);
	fprintf(fp, "<tr><td>classes</td><td>%d</td></tr>\n", R->p[0]->k);
	fputs("<tr><td>calibrated quantity</td><td>", fp);
	html(fp, cli_target_text(R->p[0]));
	fputs("</td></tr>\n", fp);
	fprintf(fp, "<tr><td>bins</td><td>%d %s</td></tr>\n", R->r.mo.bins,
	    R->r.mo.binning == CALIB_BIN_WIDTH ? "equal-width" : "equal-mass");
	if (R->have_boot)
		fprintf(fp, "<tr><td>intervals</td><td>%g %% paired bootstrap "
		    "percentile, %d replicates, seed %lu</td></tr>\n",
		    100 * R->level, R->boot_n, R->seed);
	else
		fputs("<tr><td>intervals</td><td>none (--bootstrap 0)</td>"
		    "</tr>\n", fp);
	fputs("<tr><td>options</td><td><code>", fp);
	if (R->common.n == 0)
		fputs("(defaults)", fp);
	sh_tokens(fp, &R->common, 0);
	fputs("</code></td></tr>\n", fp);
	for (i = 0; i < R->nruns; i++) {
		fputs("<tr><td>", fp);
		html(fp, R->name[i]);
		fputs("</td><td><code>", fp);
		html(fp, R->files[i]);
		fputs("</code></td></tr>\n", fp);
	}
	fputs("</tbody></table></div>\n", fp);
}

static void
write_metrics(FILE *fp, const struct report *R)
{
	char a[32], b[32], c[32];
	int i, j;

	fputs("<h2 id=\"metrics\">Metrics</h2>\n", fp);
	fprintf(fp, "<p>Probabilities and their differences in percent; "
	    "under each value its %g %% interval.</p>\n", 100 * R->level);
	fputs("<div class=\"scroll\"><table>\n<thead><tr><th>metric</th>", fp);
	for (i = 0; i < R->nruns; i++) {
		fputs("<th>", fp);
		html(fp, R->name[i]);
		fputs("</th>", fp);
	}
	fputs("</tr></thead>\n<tbody>\n", fp);
	for (j = 0; j < NM; j++) {
		fprintf(fp, "<tr><td>%s</td>", INFO(j)->label);
		for (i = 0; i < R->nruns; i++) {
			double lo = NAN, hi = NAN;
			fmt_value(a, sizeof(a), metric(&R->boot.point[i], j),
			    PTS(j));
			fprintf(fp, "<td>%s", a);
			if (R->have_boot) {
				calib_bootstrap_interval(&R->boot, INFO(j)->name,
				    i, -1, R->level, &lo, &hi);
				fmt_value(b, sizeof(b), lo, PTS(j));
				fmt_value(c, sizeof(c), hi, PTS(j));
				fprintf(fp, "<br/><span class=\"ci\">[%s, %s]"
				    "</span>", b, c);
			}
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</tbody></table></div>\n<p>Reproduce the values", fp);
	if (R->have_boot)
		fputs(" and their intervals (<code>NAME_lo</code>, "
		    "<code>NAME_hi</code>; each run's interval depends on "
		    "its own rows only)", fp);
	fputs(":</p>\n<code class=\"cmd\">calib metrics -f json", fp);
	if (!R->r.metrics_set) {
		fputs(" --metrics default", fp);
		for (j = 0; j < NM; j++)
			if (!INFO(j)->is_default)
				fprintf(fp, ",%s", INFO(j)->name);
	}
	if (R->have_boot)
		fprintf(fp, " --bootstrap %d --seed %lu --ci-level %g",
		    R->boot_n, R->seed, R->level);
	sh_tokens(fp, &R->common, 0);
	for (i = 0; i < R->nruns; i++) {
		fputc(' ', fp);
		sh_word(fp, R->files[i]);
	}
	fputs("</code>\n", fp);
}

static void
write_comparison(FILE *fp, const struct report *R)
{
	char a[32], b[32], c[32];
	int i, j;

	if (R->nruns < 2)
		return;
	fputs("<h2 id=\"comparison\">Comparison</h2>\n", fp);
	fprintf(fp, "<p>Each run against <b>");
	html(fp, R->name[0]);
	fprintf(fp, "</b>, on the same rows: the difference (run - ");
	html(fp, R->name[0]);
	fprintf(fp, ") with its %g %% paired-bootstrap interval.  "
	    "<i>higher</i> or <i>lower</i> when the interval excludes 0.</p>\n",
	    100 * R->level);
	for (i = 1; i < R->nruns; i++) {
		fputs("<h3>", fp);
		html(fp, R->name[i]);
		fputs(" against ", fp);
		html(fp, R->name[0]);
		fputs("</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>"
		    "metric</th><th>difference</th><th>interval</th><th>"
		    "verdict</th></tr></thead>\n<tbody>\n", fp);
		for (j = 0; j < NM; j++) {
			double d = metric(&R->boot.point[i], j) -
			    metric(&R->boot.point[0], j), lo = NAN, hi = NAN;
			const char *w, *cls;
			if (R->have_boot)
				calib_bootstrap_interval(&R->boot, INFO(j)->name,
				    i, 0, R->level, &lo, &hi);
			if (isnan(lo) || isnan(hi)) {
				w = "no interval";
				cls = "same";
			} else if (lo > 0) {
				w = "higher";
				cls = "higher";
			} else if (hi < 0) {
				w = "lower";
				cls = "lower";
			} else {
				w = "no clear difference";
				cls = "same";
			}
			fmt_value(a, sizeof(a), d, PTS(j));
			fmt_value(b, sizeof(b), lo, PTS(j));
			fmt_value(c, sizeof(c), hi, PTS(j));
			fprintf(fp, "<tr><td>%s</td><td>%s%s</td><td>[%s, %s]"
			    "</td><td class=\"%s\">%s</td></tr>\n", INFO(j)->label,
			    d > 0 ? "+" : "", a, b, c, cls, w);
		}
		fputs("</tbody></table></div>\n", fp);
	}
	fprintf(fp, "<p>Reproduce:</p>\n<code class=\"cmd\">calib compare "
	    "-f json --bootstrap %d --seed %lu --ci-level %g --names ",
	    R->boot_n, R->seed, R->level);
	for (i = 0; i < R->nruns; i++) {
		char *n = R->name[i];
		if (i > 0)
			fputc(',', fp);
		/* a name with a comma or quote would need its own quoting */
		if (strpbrk(n, ",'\" \\") == NULL)
			html(fp, n);
		else
			sh_word(fp, n);
	}
	sh_tokens(fp, &R->common, 0);
	for (i = 0; i < R->nruns; i++) {
		fputc(' ', fp);
		sh_word(fp, R->files[i]);
	}
	fputs("</code>\n", fp);
}

/*
 * calib check on file i, as a child process of this very binary, so the
 * report shows exactly what check says.  Returns its exit status, or -1
 * when it could not run.
 */
static int
run_check(const struct report *R, int i, const char *out, const char *err)
{
	const char *argv[3 * MAX_TOKENS];
	int n = 0, k, status, fo, fe;
	pid_t pid;

	argv[n++] = cli_progname;
	argv[n++] = "check";
	for (k = 0; k < R->check.n; k++)
		argv[n++] = R->check.v[k];
	for (k = 0; k < R->common.n; k++)
		argv[n++] = R->common.v[k];
	argv[n++] = R->files[i];
	argv[n] = NULL;
	fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fe = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fo < 0 || fe < 0) {
		if (fo >= 0)
			close(fo);
		if (fe >= 0)
			close(fe);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		/* the parent's temporary files are not this process's */
		cli_cleanup_child(-1);
		if (dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(127);
		execv("/proc/self/exe", (char *const *)argv);
		_exit(127);
	}
	close(fo);
	close(fe);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
write_checks(FILE *fp, const struct report *R)
{
	char out[4096], err[4096];
	int i, k, rc = CLI_OK;

	if (R->check.n == 0)
		return CLI_OK;
	snprintf(out, sizeof(out), "%s/check.out", R->tmpdir);
	snprintf(err, sizeof(err), "%s/check.err", R->tmpdir);
	cli_cleanup_add(out, 0);
	cli_cleanup_add(err, 0);
	fputs("<h2 id=\"checks\">Checks</h2>\n", fp);
	for (i = 0; i < R->nruns; i++) {
		int st = run_check(R, i, out, err);
		fputs("<div class=\"run\"><h3>", fp);
		html(fp, R->name[i]);
		fprintf(fp, ": <span class=\"%s\">%s</span></h3>\n", st == 0 ?
		    "pass" : "fail", st == 0 ? "passed" : st == 1 ? "failed" :
		    "could not be checked");
		fputs("<pre>", fp);
		{
			/* check's report, escaped line by line */
			FILE *in = fopen(out, "r");
			char line[4096];
			if (in != NULL) {
				while (fgets(line, sizeof(line), in) != NULL)
					html(fp, line);
				fclose(in);
			}
			in = fopen(err, "r");
			if (in != NULL) {
				while (fgets(line, sizeof(line), in) != NULL)
					html(fp, line);
				fclose(in);
			}
		}
		fputs("</pre>\n<code class=\"cmd\">calib check", fp);
		for (k = 0; k < R->check.n; k++) {
			fputc(' ', fp);
			sh_word(fp, R->check.v[k]);
		}
		sh_tokens(fp, &R->common, 0);
		fputc(' ', fp);
		sh_word(fp, R->files[i]);
		fputs("</code></div>\n", fp);
		if (st < 0 || st > 1)
			rc = CLI_ERROR;
	}
	unlink(out);
	unlink(err);
	cli_cleanup_remove(out);
	cli_cleanup_remove(err);
	return rc;
}

/*
 * Copy gnuplot's SVG into the page from its <svg> element on (the XML
 * declaration and doctype have no place inside HTML), giving every id and
 * every reference to one the prefix fN-, so the figures' ids stay unique
 * in the page.
 */
static int
inline_svg(FILE *fp, const char *path, int nfig)
{
	FILE *in = fopen(path, "r");
	char *text = NULL, *s, *start;
	size_t len = 0, cap = 0, r;
	char pre[16];
	int groups = 0;

	if (in == NULL)
		return -1;
	for (;;) {
		if (cap - len < 8192) {
			char *t = realloc(text, cap = cap ? 2 * cap : 65536);
			if (t == NULL) {
				free(text);
				fclose(in);
				cli_error("out of memory");
				return -1;
			}
			text = t;
		}
		r = fread(text + len, 1, cap - len - 1, in);
		if (r == 0)
			break;
		len += r;
	}
	fclose(in);
	text[len] = '\0';
	start = strstr(text, "<svg");
	if (start == NULL) {
		free(text);
		return -1;
	}
	snprintf(pre, sizeof(pre), "f%d-", nfig);
	for (s = start; *s; s++) {
		if (strncmp(s, " id=\"gnuplot_plot_", 18) == 0) {
			/* gnuplot repeats these group ids within a figure;
			 * nothing refers to them */
			fprintf(fp, " id=\"%sg%d-", pre, ++groups);
			s += 4;
		} else if (strncmp(s, " id=\"", 5) == 0) {
			fprintf(fp, " id=\"%s", pre);
			s += 4;
		} else if (strncmp(s, "url(#", 5) == 0) {
			fprintf(fp, "url(#%s", pre);
			s += 4;
		} else if (strncmp(s, "href=\"#", 7) == 0) {
			fprintf(fp, "href=\"#%s", pre);
			s += 6;
		} else
			fputc(*s, fp);
	}
	free(text);
	return 0;
}

/* One figure of run i, drawn by script into the temporary directory and
 * inlined, with the command that draws it alone. */
static int
write_figure(FILE *fp, struct report *R, int i, const char *cmd,
    const char *script, const char *what)
{
	struct cli_table t;
	struct cli_plot_opts po = R->po;
	char path[4096];
	int rc, k;

	cli_table_init(&t);
	t.r = R->r;
	t.o.bins = R->r.mo.bins;
	t.o.binning = R->r.mo.binning;
	t.o.level = R->level;
	po.title = R->name[i];
	po.keep = 0;    /* a private file; nothing to keep beside it */
	R->nfig++;
	snprintf(path, sizeof(path), "%s/fig%d.svg", R->tmpdir, R->nfig);
	cli_cleanup_add(path, 0);
	rc = cli_table_figure(cmd, script, R->files[i], path, NULL, &t, &po,
	    0);
	fprintf(fp, "<div class=\"fig\">\n");
	if (rc == CLI_OK && inline_svg(fp, path, R->nfig) == 0)
		fputc('\n', fp);
	else {
		fprintf(fp, "<p class=\"fail\">The %s could not be drawn "
		    "(gnuplot missing or failed; see the messages calib "
		    "printed).</p>\n", what);
		R->figures_missing = 1;
	}
	unlink(path);
	cli_cleanup_remove(path);
	fprintf(fp, "<div class=\"caption\">%s of ", what);
	html(fp, R->name[i]);
	fprintf(fp, ":<code class=\"cmd\">calib %s --ci-level %g", cmd,
	    R->level);
	sh_tokens(fp, &R->common, 1);
	for (k = 0; k < R->figure.n; k++) {
		const char *o = R->figure.v[k];
		/* calib hist refuses the options for parts it does not have */
		if (strcmp(cmd, "hist") == 0 && (strcmp(o, "--no-counts") == 0 ||
		    strcmp(o, "--no-intervals") == 0))
			continue;
		if (strcmp(cmd, "hist") == 0 && strcmp(o, "--style") == 0) {
			k++;
			continue;
		}
		fputc(' ', fp);
		sh_word(fp, o);
	}
	fputs(" --title ", fp);
	sh_word(fp, R->name[i]);
	fputs(" -o ", fp);
	{
		char name[300];
		snprintf(name, sizeof(name), "%s-%s.svg", R->name[i],
		    strcmp(cmd, "diagram") == 0 ? "reliability" : "confidence");
		sh_word(fp, name);
	}
	fputc(' ', fp);
	sh_word(fp, R->files[i]);
	fputs("</code></div>\n</div>\n", fp);
	return rc == CLI_ERROR ? CLI_ERROR : CLI_OK;
}

static int
write_figures(FILE *fp, struct report *R)
{
	int i;

	fputs("<h2 id=\"figures\">Figures</h2>\n", fp);
	for (i = 0; i < R->nruns; i++) {
		fputs("<div class=\"run\"><h3>", fp);
		html(fp, R->name[i]);
		fputs("</h3>\n<div class=\"figs\">\n", fp);
		if (write_figure(fp, R, i, "diagram", "reliability.gp",
		    "Reliability diagram") != CLI_OK ||
		    write_figure(fp, R, i, "hist", "histogram.gp",
		    "Confidence histogram") != CLI_OK)
			return CLI_ERROR;
		fputs("</div></div>\n", fp);
	}
	return CLI_OK;
}

static int
write_report(struct report *R)
{
	struct cli_out out;
	FILE *fp;
	int rc, i;

	if (cli_out_open(&out, R->output) != 0)
		return CLI_ERROR;
	fp = out.fp;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"/>\n<title>", fp);
	if (R->title != NULL)
		html(fp, R->title);
	else {
		fputs("calib report: ", fp);
		for (i = 0; i < R->nruns; i++) {
			if (i > 0)
				fputs(", ", fp);
			html(fp, R->name[i]);
		}
	}
	fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
	    style_sheet);
	html(fp, R->title != NULL ? R->title : "Calibration report");
	fprintf(fp, "</h1>\n<p class=\"meta\">%d run%s of %zu rows, written "
	    "by calib %s.  Sections: <a href=\"#settings\">settings</a>, "
	    "<a href=\"#metrics\">metrics</a>%s%s, <a href=\"#figures\">"
	    "figures</a>.</p>\n", R->nruns, R->nruns > 1 ? "s" : "",
	    R->p[0]->n, PACKAGE_VERSION, R->nruns > 1 ?
	    ", <a href=\"#comparison\">comparison</a>" : "", R->check.n ?
	    ", <a href=\"#checks\">checks</a>" : "");
	write_settings(fp, R);
	write_metrics(fp, R);
	write_comparison(fp, R);
	rc = write_checks(fp, R);
	if (rc == CLI_OK)
		rc = write_figures(fp, R);
	fputs("</body>\n</html>\n", fp);
	if (rc != CLI_OK) {
		cli_out_abort(&out);
		return rc;
	}
	if (cli_out_commit(&out) != 0)
		return CLI_ERROR;
	return R->figures_missing ? CLI_NO_RENDER : CLI_OK;
}

static void
report_free(struct report *R)
{
	int i;

	for (i = 0; i < R->nruns; i++) {
		if (R->name != NULL)
			free(R->name[i]);
		if (R->p != NULL)
			calib_preds_free(R->p[i]);
	}
	free(R->name);
	free(R->p);
	calib_bootstrap_release(&R->boot);
	if (R->tmpdir != NULL) {
		rmdir(R->tmpdir);
		cli_cleanup_remove(R->tmpdir);
		free(R->tmpdir);
	}
}

static int
run(int argc, char **argv)
{
	struct report R;
	const char *tmp = getenv("TMPDIR");
	int opt, li, help = 0, rc;
	size_t n;

	memset(&R, 0, sizeof(R));
	cli_read_init(&R.r);
	cli_plot_opts_init(&R.po);
	R.boot_n = 1000;
	R.seed = 20191206;
	R.level = 0.95;
	while ((opt = getopt_long(argc, argv, "o:n:h", options, &li)) != -1) {
		if ((rc = parse_option(&R, opt, li, &help)) != CLI_OK || help)
			return rc;
		li = 0;
	}
	if (R.output == NULL)
		return cli_usage_error(CMD, "no report named: give -o "
		    "REPORT.html");
	n = strlen(R.output);
	if (n < 5 || (strcasecmp(R.output + n - 5, ".html") != 0 &&
	    (n < 4 || strcasecmp(R.output + n - 4, ".htm") != 0)))
		return cli_usage_error(CMD, "-o '%s': the report's name must "
		    "end in .html", R.output);
	if (optind >= argc)
		return cli_usage_error(CMD, "no prediction file given");
	/* A report is read whole anyway, so it shows the smooth ECE, which
	 * the default set leaves out for its cost, unless --metrics says
	 * otherwise. */
	if (!R.r.metrics_set)
		R.r.mo.select |= (calib_metric_set)1 <<
		    calib_metric_lookup("smece") | (calib_metric_set)1 <<
		    calib_metric_lookup("smece_sigma");
	NM = 0;
	for (li = 0; li < calib_metric_count() && NM < 64; li++)
		if (R.r.mo.select >> li & 1)
			M[NM++] = li;
	R.files = argv + optind;
	R.nruns = argc - optind;
	for (li = 0; li < R.nruns; li++)
		if (strcmp(R.files[li], "-") == 0)
			return cli_usage_error(CMD, "the report reads each file "
			    "more than once: give a file, not standard input");
	if ((rc = set_names(&R)) != CLI_OK)
		goto done;
	if ((rc = compute(&R)) != CLI_OK)
		goto done;
	n = strlen(tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp") + 32;
	R.tmpdir = malloc(n);
	if (R.tmpdir == NULL) {
		cli_error("out of memory");
		rc = CLI_ERROR;
		goto done;
	}
	snprintf(R.tmpdir, n, "%s/calib-report-XXXXXX", tmp != NULL &&
	    tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(R.tmpdir) == NULL) {
		cli_error("cannot make a temporary directory '%s': %s",
		    R.tmpdir, strerror(errno));
		free(R.tmpdir);
		R.tmpdir = NULL;
		rc = CLI_ERROR;
		goto done;
	}
	/* removed with what is in it if a signal ends the run */
	cli_cleanup_add(R.tmpdir, 1);
	rc = write_report(&R);
done:
	report_free(&R);
	return rc;
}

const struct cli_cmd cli_cmd_report = {
	.name = "report",
	.run = run,
	.summary = "one self-contained HTML report: metrics, figures, checks",
};
