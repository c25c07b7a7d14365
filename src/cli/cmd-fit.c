/*
 * cmd-fit.c - calib fit: fit a recalibration map on a validation file and
 * write it as a model file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_METHOD = CLI_OPT_CMD_BASE };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s fit [OPTIONS] FILE\n"
	    "\n"
	    "Fit a recalibration map on FILE (validation predictions) and write\n"
	    "it as a model file, which 'calib apply' and --calibrate read.\n"
	    "\n"
	    "  -m, --method METHOD   temperature (default), vector, histogram,\n"
	    "                        isotonic, platt or beta (the last two for\n"
	    "                        2-class files only)\n"
	    "      --bins M          histogram: number of bins (default 15)\n"
	    "      --binning width|mass\n"
	    "                        histogram: equal-width bins (default) or\n"
	    "                        equal-mass bins\n"
	    "  -o, --output FILE     write the model to FILE (atomically) instead\n"
	    "                        of stdout, and print the summary below\n"
	    "  -h, --help            show this help\n"
	    "\n"
	    "The model file starts with comment lines giving the NLL, ECE,\n"
	    "Brier score and accuracy on FILE before and after recalibration;\n"
	    "with -o the same summary, and the fitted parameters, are printed.\n"
	    "\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error, or no finite fit.\n",
	    cli_progname, cli_read_help_fit);
}

/* A file name inside a comment line: control bytes would end the line. */
static void
put_sanitized(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, fp);
}

/* Metrics on the validation file before and after, for the comments. */
static int
summary(const calib_preds *p, const calib_model *m, const struct cli_read *r,
    calib_metrics *before, calib_metrics *after)
{
	calib_read_options ro;
	calib_metric_options mo = r->mo;
	calib_preds *q = NULL;
	calib_error err;
	int rc = 0;

	calib_read_options_init(&ro);
	ro.target = p->target;
	ro.classwise_bins = 0;
	mo.nll_clip = 0;
	if (calib_preds_recalibrate(p, m, &ro, &q, &err) != CALIB_OK) {
		cli_lib_error(&err);
		return -1;
	}
	if (calib_metrics_compute(p, &mo, NULL, before) != CALIB_OK ||
	    calib_metrics_compute(q, &mo, NULL, after) != CALIB_OK) {
		cli_error("out of memory");
		rc = -1;
	}
	calib_preds_free(q);
	return rc;
}

static void
write_comments(FILE *fp, const calib_preds *p, const calib_model *m,
    const struct cli_read *r, const calib_metrics *a, const calib_metrics *b)
{
	fprintf(fp, "# calib %s model, fitted by calib %s on '",
	    calib_method_name(calib_model_method(m)), PACKAGE_VERSION);
	put_sanitized(fp, p->source);
	fprintf(fp, "' (%zu rows)\n", p->n);
	fprintf(fp, "# on that file, before -> after: NLL %.8g -> %.8g, "
	    "ECE %.8g -> %.8g (%d %s bins), Brier %.8g -> %.8g, "
	    "accuracy %.8g -> %.8g\n", a->nll, b->nll, a->ece, b->ece,
	    r->mo.bins, r->mo.binning == CALIB_BIN_WIDTH ? "equal-width" :
	    "equal-mass", a->brier, b->brier, a->accuracy, b->accuracy);
}

/* With -o FILE the summary also goes to stdout, where it is seen. */
static void
print_summary(FILE *fp, const calib_preds *p, const calib_model *m,
    const struct cli_read *r, const char *output, const calib_metrics *a,
    const calib_metrics *b)
{
	static const char *const params[] = { "temperature", "a", "b", "c" };
	size_t i;
	int any = 0;

	fprintf(fp, "%s model written to %s, fitted on %s (%zu rows)\n",
	    calib_method_name(calib_model_method(m)), output, p->source, p->n);
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		double v;
		if (calib_model_get(m, params[i], &v) == CALIB_OK) {
			fprintf(fp, "%s%s = %.8g", any ? ", " : "", params[i], v);
			any = 1;
		}
	}
	if (any)
		fputc('\n', fp);
	fprintf(fp, "on %s, before -> after (%d %s bins):\n", p->source,
	    r->mo.bins, r->mo.binning == CALIB_BIN_WIDTH ? "equal-width" :
	    "equal-mass");
	fprintf(fp, "  NLL       %.8g -> %.8g\n", a->nll, b->nll);
	fprintf(fp, "  ECE       %.8g -> %.8g\n", a->ece, b->ece);
	fprintf(fp, "  Brier     %.8g -> %.8g\n", a->brier, b->brier);
	fprintf(fp, "  accuracy  %.8g -> %.8g\n", a->accuracy, b->accuracy);
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "bins", required_argument, NULL, CLI_OPT_BINS },
		{ "binning", required_argument, NULL, CLI_OPT_BINNING },
		CLI_READ_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_read r;
	struct cli_out out;
	calib_fit_options fo;
	calib_preds *p;
	calib_model *m = NULL;
	calib_status st;
	calib_metrics before, after;
	calib_error err;
	const char *output = NULL;
	char *text = NULL;
	int opt, rc = CLI_OK;

	cli_read_init(&r);
	calib_fit_options_init(&fo);
	while ((opt = getopt_long(argc, argv, "m:o:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'm':
			if (calib_method_from_name(optarg, &fo.method) !=
			    CALIB_OK)
				return cli_usage_error("fit", "--method: '%s' "
				    "is not temperature, vector, histogram, "
				    "isotonic, platt or beta", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case '?':
			return cli_usage_error("fit", "invalid option");
		default:
			h = cli_read_option("fit", opt, optarg, &r);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error("fit", "invalid option");
		}
	}
	if (r.ro.temperature != 1 || r.calibrate != NULL)
		return cli_usage_error("fit", "--temperature and --calibrate "
		    "do not apply to fit (fit on the uncalibrated "
		    "predictions)");
	if (argc - optind != 1)
		return cli_usage_error("fit", argc - optind < 1 ?
		    "no validation file given" : "give one validation file");
	fo.bins = r.mo.bins;
	fo.binning = r.mo.binning;

	p = cli_read_preds(argv[optind], &r, CALIB_KEEP_LOGITS);
	if (p == NULL)
		return CLI_ERROR;
	cli_progress_begin("fitting");
	st = calib_fit(p, &fo, &m, &err);
	cli_progress_end();
	if (st != CALIB_OK || calib_model_format(m, &text, &err) != CALIB_OK) {
		cli_lib_error(&err);
		calib_model_free(m);
		calib_preds_free(p);
		return CLI_ERROR;
	}
	if (summary(p, m, &r, &before, &after) != 0 ||
	    cli_out_open(&out, output) != 0) {
		rc = CLI_ERROR;
		goto done;
	}
	write_comments(out.fp, p, m, &r, &before, &after);
	fputs(text, out.fp);
	if (cli_out_commit(&out) != 0)
		rc = CLI_ERROR;
	else if (output != NULL && strcmp(output, "-") != 0)
		print_summary(stdout, p, m, &r, output, &before, &after);
done:
	free(text);
	calib_model_free(m);
	calib_preds_free(p);
	return rc;
}

const struct cli_cmd cli_cmd_fit = {
	.name = "fit",
	.run = run,
	.summary = "fit a recalibration map (temperature scaling...) on a file",
};
