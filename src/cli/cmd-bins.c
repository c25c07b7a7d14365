/*
 * cmd-bins.c - calib bins: the reliability table of one file, with an
 * interval and a consistency band per bin.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
	    "are listed with count 0 and no accuracy.\n"
	    "\n"
	    "Output:\n"
	    "  -f, --format FMT      text (default), csv, tsv or json\n"
	    "  -o, --output FILE     write to FILE (atomically) instead of stdout\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error.\n",
	    cli_progname, cli_table_help, cli_read_help);
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		CLI_READ_LONGOPTS,
		CLI_TABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_table t;
	calib_reliability rel;
	calib_preds *p;
	const char *output = NULL;
	int fmt = CLI_TABLE_TEXT, opt, rc;

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
