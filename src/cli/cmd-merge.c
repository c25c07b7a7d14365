/*
 * cmd-merge.c - calib merge: summaries of shards into one summary.
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
	    "Usage: %s merge [-o OUT.calsum] SUMMARY...\n"
	    "\n"
	    "Merge summaries written by 'calib summarize' (or 'calib merge')\n"
	    "into one.  The sums are exact, so any grouping and any order of\n"
	    "the inputs gives the same bytes.  Summaries made with different\n"
	    "settings (classes, bins, target, NLL clip, weights, temperature,\n"
	    "model, sum tolerance, renormalisation) are refused, naming the\n"
	    "difference.\n"
	    "\n"
	    "  -o, --output FILE     write the merged summary to FILE\n"
	    "                        (atomically); default standard output\n"
	    "  -h, --help            show this help\n"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error.\n",
	    cli_progname);
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	calib_summary *all = NULL;
	const char *output = NULL;
	int opt, i, rc;

	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'o':
			output = optarg;
			break;
		default:
			return cli_usage_error("merge", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("merge", "no summary given");
	for (i = optind; i < argc; i++) {
		calib_summary *s = NULL;
		calib_error err;
		cli_note_input(argv[i]);
		if (calib_summary_load(argv[i], &s, &err) != CALIB_OK) {
			cli_lib_error(&err);
			calib_summary_free(all);
			return CLI_ERROR;
		}
		if (all == NULL) {
			all = s;
			continue;
		}
		if (calib_summary_merge(all, s, &err) != CALIB_OK) {
			cli_lib_error(&err);
			calib_summary_free(s);
			calib_summary_free(all);
			return CLI_ERROR;
		}
		calib_summary_free(s);
	}
	rc = cli_summary_write(all, output);
	calib_summary_free(all);
	return rc;
}

const struct cli_cmd cli_cmd_merge = {
	.name = "merge",
	.run = run,
	.summary = "merge summaries of shards into one",
};
