/*
 * cmd-hist.c - calib hist: the confidence histogram with lines at the
 * accuracy and the mean confidence, drawn by plots/histogram.gp.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#define CMD "hist"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s hist [OPTIONS] FILE -o FIGURE\n"
	    "\n"
	    "Draw the confidence histogram of a prediction file (Guo et al. 2017,\n"
	    "Fig. 1 top row): the fraction of samples per confidence bin, with\n"
	    "lines at the accuracy and at the mean confidence; the distance\n"
	    "between them is the overconfidence.\n"
	    "\n"
	    "%s"
	    "      --size WxH        size in pixels (points for PDF and .tex;\n"
	    "                        default 640x480, 360x270 for .tex)\n"
	    "      --no-legend       leave out the legend\n"
	    "      --font NAME[,SIZE]  font family and size in points\n"
	    "      --fontscale X     scale every text by X (0.25 to 4)\n"
	    "      --log-count       log scale for the fractions\n"
	    "      --table FILE      also write the bin table (format from the\n"
	    "                        extension: .csv, .tsv, .json, else text)\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error, 3 figure not drawn\n"
	    "(gnuplot missing or failed: the data and a script to draw it later\n"
	    "are kept next to FIGURE).\n",
	    cli_progname, cli_plot_help, cli_table_help_hist, cli_read_help);
}

static int
run(int argc, char **argv)
{
	return cli_figure_command(argc, argv, CMD, "histogram.gp", usage);
}

const struct cli_cmd cli_cmd_hist = {
	.name = "hist",
	.run = run,
	.summary = "confidence histogram with accuracy and mean confidence",
};
