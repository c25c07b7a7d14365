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

/* --smooth: the curve instead of the bins. */
static int
curve_table(const char *path, struct cli_table *t, const char *output,
    int fmt, int points, double sigma)
{
	struct cli_curve c;
	calib_smooth_curve sc;
	calib_preds *p;
	char note[200];
	int rc;

	if (t->cls >= 0)
		t->r.ro.target = t->cls;
	p = cli_read_preds(path, &t->r, 0);
	if (p == NULL)
		return CLI_ERROR;
	if (calib_smooth_curve_compute(p, sigma, points, &sc) != CALIB_OK) {
		cli_error("%s: out of memory", path);
		calib_preds_free(p);
		return CLI_ERROR;
	}
	memset(&c, 0, sizeof(c));
	c.kind = "smooth";
	c.ncols = 4;
	c.colname[0] = "t";
	c.colname[1] = "acc";
	c.colname[2] = "conf";
	c.colname[3] = "density";
	c.col[0] = sc.t;
	c.col[1] = sc.acc;
	c.col[2] = sc.conf;
	c.col[3] = sc.density;
	c.rows = (size_t)sc.points;
	c.nvals = 2;
	c.valname[0] = "smece";
	c.val[0] = sc.smece;
	c.valname[1] = "sigma";
	c.val[1] = sc.sigma;
	snprintf(note, sizeof(note), "smoothed reliability curve: smooth ECE "
	    "%.8g, reflected Gaussian kernel, sigma %.8g%s", sc.smece,
	    sc.sigma, sigma > 0 ? "" : " (the fixed point)");
	c.note[0] = note;
	c.note[1] = "acc, conf: kernel-weighted means of outcome and score "
	    "at t; density: kernel density of the scores";
	rc = cli_curve_save(output, fmt, path, p, &c);
	calib_smooth_curve_release(&sc);
	calib_preds_free(p);
	return rc;
}

/* --corp: the PAV blocks instead of the bins. */
static int
corp_table(const char *path, struct cli_table *t, const char *output,
    int fmt)
{
	struct cli_curve c;
	calib_corp corp;
	calib_preds *p;
	double *count = NULL;
	char note[300];
	size_t b;
	int rc;

	if (t->cls >= 0)
		t->r.ro.target = t->cls;
	p = cli_read_preds(path, &t->r, 0);
	if (p == NULL)
		return CLI_ERROR;
	if (calib_corp_compute(p, NULL, 1, &corp) != CALIB_OK ||
	    (count = malloc((corp.blocks ? corp.blocks : 1) *
	    sizeof(double))) == NULL) {
		cli_error("%s: out of memory", path);
		calib_corp_release(&corp);
		calib_preds_free(p);
		return CLI_ERROR;
	}
	for (b = 0; b < corp.blocks; b++)
		count[b] = (double)corp.count[b];
	memset(&c, 0, sizeof(c));
	c.kind = "corp";
	c.ncols = 5;
	c.colname[0] = "lo";
	c.colname[1] = "hi";
	c.colname[2] = "count";
	c.colname[3] = "weight";
	c.colname[4] = "cep";
	c.col[0] = corp.lo;
	c.col[1] = corp.hi;
	c.col[2] = count;
	c.col[3] = corp.weight;
	c.col[4] = corp.cep;
	c.rows = corp.blocks;
	c.nvals = 4;
	c.valname[0] = "brier";
	c.val[0] = corp.brier;
	c.valname[1] = "mcb";
	c.val[1] = corp.mcb;
	c.valname[2] = "dsc";
	c.val[2] = corp.dsc;
	c.valname[3] = "unc";
	c.val[3] = corp.unc;
	snprintf(note, sizeof(note), "CORP reliability curve: %zu PAV blocks; "
	    "Brier %.8g = MCB %.8g - DSC %.8g + UNC %.8g", corp.blocks,
	    corp.brier, corp.mcb, corp.dsc, corp.unc);
	c.note[0] = note;
	c.note[1] = "lo, hi: first and last score of the block; cep: its "
	    "recalibrated value (isotonic regression)";
	rc = cli_curve_save(output, fmt, path, p, &c);
	free(count);
	calib_corp_release(&corp);
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

	if (curve == OPT_CORP)
		return corp_table(argv[optind], &t, output, fmt);
	if (curve)
		return curve_table(argv[optind], &t, output, fmt, points,
		    sigma);
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
