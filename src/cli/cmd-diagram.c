/*
 * cmd-diagram.c - calib diagram: the reliability diagram, with intervals
 * and the consistency band, drawn by plots/reliability.gp.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#define CMD "diagram"

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
	    "%s%s"
	    "      --size WxH        size in pixels (points for PDF and .tex;\n"
	    "                        default 640x760, 360x427 for .tex; with\n"
	    "                        --per-class 230 per column + 80 by 230 per\n"
	    "                        row + 120)\n"
	    "      --per-class       one-vs-rest diagrams of every class in a\n"
	    "                        grid on shared axes (at most 25: the\n"
	    "                        worst-calibrated by ECE when there are more)\n"
	    "      --smooth          also draw the smoothed reliability curve of\n"
	    "                        the smooth ECE (Blasiok & Nakkiran 2024;\n"
	    "                        fixed-point kernel width, 201 points: the\n"
	    "                        table of calib bins --smooth) as a thick\n"
	    "                        solid line, its smooth ECE and width above\n"
	    "      --corp            also draw the CORP reliability curve\n"
	    "                        (Dimitriadis, Gneiting & Jordan 2021: the\n"
	    "                        PAV blocks of calib bins --corp) as a\n"
	    "                        dashed step line\n"
	    "      --log-count       log scale for the count panel\n"
	    "      --table FILE      also write the bin table (format from the\n"
	    "                        extension: .csv, .tsv, .json, else text)\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error, 3 figure not drawn\n"
	    "(gnuplot missing or failed: the data and a script to draw it later\n"
	    "are kept next to FIGURE).\n",
	    cli_progname, cli_plot_help, cli_plot_style_help, cli_table_help,
	    cli_read_help);
}

static int
run(int argc, char **argv)
{
	return cli_figure_command(argc, argv, CMD, "reliability.gp", usage);
}

const struct cli_cmd cli_cmd_diagram = {
	.name = "diagram",
	.run = run,
	.summary = "reliability diagram with intervals and consistency band",
};
