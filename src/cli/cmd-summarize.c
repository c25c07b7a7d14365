/*
 * cmd-summarize.c - calib summarize: prediction files to one mergeable
 * summary, read as a stream (no row is kept).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s summarize [OPTIONS] FILE... [-o OUT.calsum]\n"
	    "\n"
	    "Read prediction files (CSV with a header; gzip is detected; '-'\n"
	    "reads standard input) and write one summary of all their rows: the\n"
	    "exact sums every mergeable metric and the equal-width bin table\n"
	    "need.  Summaries of shards merge with 'calib merge' and give the\n"
	    "same digits as one pass over all rows.  No row is kept, so memory\n"
	    "does not grow with the number of rows.\n"
	    "\n"
	    "  -o, --output FILE     write the summary to FILE (atomically);\n"
	    "                        default standard output (not a terminal)\n"
	    "      --bootstrap N     also keep N Poisson bootstrap replicates\n"
	    "                        (default 0), for check --bootstrap N\n"
	    "                        --bootstrap-method poisson on the merge\n"
	    "      --seed S          their seed (default 20191206)\n"
	    "      --first-row R     rows before this file's first row in the\n"
	    "                        concatenation of all shards (default 0);\n"
	    "                        replicate counts depend on a row's position\n"
	    "      --bootstrap-method poisson  accepted (the only one that merges)\n"
	    "  -h, --help            show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Only --binning width summarizes (equal-mass bins do not merge).\n"
	    "Exit status: 0 success, 2 usage or input error.\n",
	    cli_progname, cli_metric_help, cli_read_help);
}

/* Write s to path ("-" or NULL: standard output) through a temporary
 * file renamed into place. */
int
cli_summary_write(const calib_summary *s, const char *path)
{
	struct cli_out out;
	unsigned char *buf;
	size_t len;
	calib_error err;

	if ((path == NULL || strcmp(path, "-") == 0) && isatty(1)) {
		cli_error("a summary is binary: give -o FILE or redirect "
		    "standard output");
		return CLI_ERROR;
	}
	if (calib_summary_encode(s, &buf, &len, &err) != CALIB_OK) {
		cli_lib_error(&err);
		return CLI_ERROR;
	}
	if (cli_out_open(&out, path) != 0) {
		free(buf);
		return CLI_ERROR;
	}
	if (fwrite(buf, 1, len, out.fp) != len) {
		free(buf);
		cli_error("%s: write failed", path ? path : "<stdout>");
		cli_out_abort(&out);
		return CLI_ERROR;
	}
	free(buf);
	return cli_out_commit(&out) == 0 ? CLI_OK : CLI_ERROR;
}

static int
run(int argc, char **argv)
{
	enum { OPT_BOOT = CLI_OPT_CMD_BASE, OPT_SEED_S, OPT_FIRST,
	    OPT_METHOD };
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "bootstrap", required_argument, NULL, OPT_BOOT },
		{ "seed", required_argument, NULL, OPT_SEED_S },
		{ "first-row", required_argument, NULL, OPT_FIRST },
		{ "bootstrap-method", required_argument, NULL, OPT_METHOD },
		CLI_READ_LONGOPTS,
		CLI_METRIC_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_read r;
	calib_summary *all = NULL;
	const char *output = NULL;
	int opt, rc;

	cli_read_init(&r);
	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'o':
			output = optarg;
			break;
		case OPT_BOOT:
			if (cli_parse_int("summarize", "bootstrap", optarg, 0,
			    100000, &r.so.replicates) != 0)
				return CLI_ERROR;
			break;
		case OPT_SEED_S:
			if (cli_parse_seed("summarize", optarg, &r.so.seed) != 0)
				return CLI_ERROR;
			break;
		case OPT_FIRST: {
			char *end;
			unsigned long long v;
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' ||
			    errno != 0)
				return cli_usage_error("summarize", "--first-row: "
				    "'%s' is not a whole number >= 0", optarg);
			r.so.first_row = (uint64_t)v;
			break;
		}
		case OPT_METHOD: {
			calib_bootstrap_method m;
			if (cli_parse_boot_method("summarize", optarg, &m) != 0)
				return CLI_ERROR;
			if (m != CALIB_BOOTSTRAP_POISSON)
				return cli_usage_error("summarize", "the "
				    "multinomial bootstrap does not merge: a "
				    "summary keeps Poisson replicates only");
			break;
		}
		case '?':
			return cli_usage_error("summarize", "invalid option");
		default:
			h = cli_read_option("summarize", opt, optarg, &r);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error("summarize",
				    "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("summarize", "no prediction file given");
	if (r.mo.binning != CALIB_BIN_WIDTH)
		return cli_usage_error("summarize", "equal-mass bins do not "
		    "merge: a summary keeps sums for equal-width bins only "
		    "(use --binning width)");
	all = cli_summarize_files(argv + optind, argc - optind, &r);
	if (all == NULL)
		return CLI_ERROR;
	rc = cli_summary_write(all, output);
	calib_summary_free(all);
	return rc;
}

const struct cli_cmd cli_cmd_summarize = {
	.name = "summarize",
	.run = run,
	.summary = "prediction files to a mergeable summary (.calsum)",
};
