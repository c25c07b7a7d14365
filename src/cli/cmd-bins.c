/*
 * cmd-bins.c - calib bins: the reliability table of one file, with an
 * interval and a consistency band per bin.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_SMOOTH = CLI_OPT_CMD_BASE, OPT_POINTS, OPT_SMECE_SIGMA, OPT_CORP };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s bins [OPTIONS] FILE\n"
	    "\n"
	    "Print the reliability table of a prediction file: one row per bin\n"
	    "with its edges, count, summed weight, mean confidence (conf),\n"
	    "accuracy (acc), signed gap acc - conf, an interval for acc, and\n"
	    "the consistency band a calibrated model would fill.  Empty bins\n"
	    "are listed with count 0 and no accuracy.  FILE may be a summary\n"
	    "from calib summarize (equal-width bins, --band none).\n"
	    "\n"
	    "Output:\n"
	    "  -f, --format FMT      text (default), csv, tsv or json\n"
	    "  -o, --output FILE     write to FILE (atomically) instead of stdout\n"
	    "      --smooth          instead of bins, the smoothed reliability\n"
	    "                        curve of the smooth ECE (Blasiok & Nakkiran\n"
	    "                        2024): t, acc, conf, density at --points\n"
	    "                        points (default 201) with the fixed-point\n"
	    "                        kernel width, or --smece-sigma S\n"
	    "      --corp            instead of bins, the CORP reliability curve\n"
	    "                        (Dimitriadis, Gneiting & Jordan 2021): the\n"
	    "                        PAV blocks lo, hi, count, weight, cep, with\n"
	    "                        the Brier score's MCB, DSC and UNC\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error.\n",
	    cli_progname, cli_table_help, cli_read_help);
}

/* --smooth, --corp: a curve instead of the bins (table.c writes both,
 * so that calib diagram's data file is this table). */
static int
curve_table(const char *path, struct cli_table *t, const char *output,
    int fmt, int corp, int points, double sigma)
{
	calib_preds *p;
	int rc;

	if (t->cls >= 0)
		t->r.ro.target = t->cls;
	p = cli_read_preds(path, &t->r, 0);
	if (p == NULL)
		return CLI_ERROR;
	rc = corp ? cli_corp_curve_emit(NULL, output, fmt, path, p) :
	    cli_smooth_curve_emit(NULL, output, fmt, path, p, sigma, points,
	    NULL, NULL);
	calib_preds_free(p);
	return rc;
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "smooth", no_argument, NULL, OPT_SMOOTH },
		{ "corp", no_argument, NULL, OPT_CORP },
		{ "points", required_argument, NULL, OPT_POINTS },
		{ "smece-sigma", required_argument, NULL, OPT_SMECE_SIGMA },
		CLI_READ_LONGOPTS,
		CLI_TABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_table t;
	calib_reliability rel;
	calib_preds *p;
	const char *output = NULL;
	int fmt = CLI_TABLE_TEXT, opt, rc, curve = 0, points = 201;
	double sigma = 0;

	cli_table_init(&t);
	while ((opt = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'f':
			fmt = cli_table_format_parse(optarg);
			if (fmt < 0)
				return cli_usage_error("bins", "--format: '%s' "
				    "is not text, csv, tsv or json", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_SMOOTH:
		case OPT_CORP:
			if (curve && curve != opt)
				return cli_usage_error("bins", "--smooth and "
				    "--corp are two different curves; give one");
			curve = opt;
			break;
		case OPT_POINTS:
			if (cli_parse_int("bins", "points", optarg, 2, 1000000,
			    &points) != 0)
				return CLI_ERROR;
			break;
		case OPT_SMECE_SIGMA:
			if (cli_parse_double("bins", "smece-sigma", optarg,
			    &sigma) != 0)
				return CLI_ERROR;
			if (!(sigma > 0 && sigma <= 1))
				return cli_usage_error("bins", "--smece-sigma "
				    "must be in (0, 1]");
			break;
		case '?':
			return cli_usage_error("bins", "invalid option");
		default:
			h = cli_table_option("bins", opt, optarg, &t);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error("bins", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("bins", "no prediction file given");
	if (argc - optind > 1)
		return cli_usage_error("bins", "one prediction file at a time "
		    "('%s' is extra)", argv[optind + 1]);

	if (curve)
		return curve_table(argv[optind], &t, output, fmt,
		    curve == OPT_CORP, points, sigma);
	rc = cli_table_compute("bins", argv[optind], &t, &p, &rel);
	if (rc != CLI_OK)
		return rc;
	rc = cli_table_save(output, fmt, argv[optind], p, &rel);
	calib_reliability_release(&rel);
	calib_preds_free(p);
	return rc;
}

const struct cli_cmd cli_cmd_bins = {
	.name = "bins",
	.run = run,
	.summary = "the reliability table: per-bin accuracy, interval, band",
};
