/*
 * cmd-diagram.c - calib diagram: the reliability diagram, with intervals
 * and the consistency band, drawn by plots/reliability.gp.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#define CMD "diagram"

enum { OPT_TABLE = CLI_OPT_CMD_BASE, OPT_LOG_COUNT };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s diagram [OPTIONS] FILE -o FIGURE\n"
	    "\n"
	    "Draw the reliability diagram of a prediction file (Guo et al. 2017):\n"
	    "accuracy per bin as bars, the gap to the diagonal shaded by sign\n"
	    "(overconfident or underconfident), an interval for each bar, the\n"
	    "consistency band a calibrated model would fill (Broecker & Smith\n"
	    "2007), ECE, MCE, OE and n, and a panel with the count per bin.\n"
	    "\n"
	    "%s"
	    "      --log-count       log scale for the count panel\n"
	    "      --table FILE      also write the bin table (format from the\n"
	    "                        extension: .csv, .tsv, .json, else text)\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error, 3 figure not drawn\n"
	    "(gnuplot missing or failed: the data and a script to draw it later\n"
	    "are kept next to FIGURE).\n",
	    cli_progname, cli_plot_help, cli_table_help, cli_read_help);
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "log-count", no_argument, NULL, OPT_LOG_COUNT },
		{ "help", no_argument, NULL, 'h' },
		CLI_PLOT_LONGOPTS,
		CLI_READ_LONGOPTS,
		CLI_TABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_plot_opts po;
	struct cli_table t;
	const char *output = NULL, *table = NULL;
	int opt, log_count = 0;

	cli_table_init(&t);
	cli_plot_opts_init(&po);
	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'o':
			output = optarg;
			break;
		case OPT_TABLE:
			table = optarg;
			break;
		case OPT_LOG_COUNT:
			log_count = 1;
			break;
		case '?':
			return cli_usage_error(CMD, "invalid option");
		default:
			h = cli_plot_option(CMD, opt, optarg, &po);
			if (h == 0)
				h = cli_table_option(CMD, opt, optarg, &t);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error(CMD, "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(CMD, "no prediction file given");
	if (argc - optind > 1)
		return cli_usage_error(CMD, "one prediction file at a time "
		    "('%s' is extra)", argv[optind + 1]);
	return cli_table_figure(CMD, "reliability.gp", argv[optind], output,
	    table, &t, &po, log_count);
}

const struct cli_cmd cli_cmd_diagram = {
	.name = "diagram",
	.run = run,
	.summary = "reliability diagram with intervals and consistency band",
};
