/*
 * main.c - the calib command: global options and the subcommand table.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

static const struct cli_cmd cli_cmd_help;

static const struct cli_cmd *const commands[] = {
	&cli_cmd_metrics,
	&cli_cmd_bins,
	&cli_cmd_diagram,
	&cli_cmd_hist,
	&cli_cmd_compare,
	&cli_cmd_report,
	&cli_cmd_check,
	&cli_cmd_explain,
	&cli_cmd_fit,
	&cli_cmd_apply,
	&cli_cmd_summarize,
	&cli_cmd_merge,
	&cli_cmd_help,
	NULL
};

static void
print_help(FILE *fp)
{
	int i;

	fprintf(fp,
	    "Usage: %s [--version] [--help] COMMAND [ARGS]\n"
	    "\n"
	    "Measure how well a classifier's confidence matches its accuracy,\n"
	    "from saved prediction files (CSV, optionally gzipped).\n"
	    "\n"
	    "Commands:\n", cli_progname);
	for (i = 0; commands[i] != NULL; i++)
		fprintf(fp, "  %-10s %s\n", commands[i]->name,
		    commands[i]->summary);
	fprintf(fp,
	    "\n"
	    "Run '%s COMMAND --help' for a command's options.\n"
	    "\n"
	    "Exit status: 0 success, 1 a check failed, 2 usage, input or\n"
	    "output error, 3 a figure could not be rendered.\n",
	    cli_progname);
}

static const struct cli_cmd *
find_command(const char *name)
{
	int i;

	for (i = 0; commands[i] != NULL; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static int
run_help(int argc, char **argv)
{
	const struct cli_cmd *c;
	char *args[] = { NULL, (char *)"--help", NULL };

	if (argc < 2) {
		print_help(stdout);
		return CLI_OK;
	}
	c = find_command(argv[1]);
	if (c == NULL || c == &cli_cmd_help) {
		if (c == &cli_cmd_help) {
			print_help(stdout);
			return CLI_OK;
		}
		cli_error("'%s' is not a calib command. See '%s --help'.",
		    argv[1], cli_progname);
		return CLI_ERROR;
	}
	args[0] = argv[1];
	optind = 0;
	return c->run(2, args);
}

static const struct cli_cmd cli_cmd_help = {
	.name = "help",
	.run = run_help,
	.summary = "show help for calib or for one command",
};

#ifdef CALIB_MPI
/* calib-mpi runs the commands whose reading is shared out. */
static int
mpi_command(const struct cli_cmd *c)
{
	return c == &cli_cmd_metrics || c == &cli_cmd_bins ||
	    c == &cli_cmd_check || c == &cli_cmd_summarize;
}

static int calib_main(int argc, char **argv);

int
main(int argc, char **argv)
{
	int rc;

	cli_progname = "calib-mpi";
	cli_mpi_init(&argc, &argv);
	rc = calib_main(argc, argv);
	cli_mpi_finish();
	return rc;
}

static int
calib_main(int argc, char **argv)
#else
int
main(int argc, char **argv)
#endif
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *c;
	int opt;

	/* GSL's default handler aborts; libcalib checks every status. */
	gsl_set_error_handler_off();

	/* '+' stops at the command name, leaving its options to it. */
	while ((opt = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			print_help(stdout);
			return CLI_OK;
		case 'V':
			printf("calib %s (libcalib %s)\n", PACKAGE_VERSION,
			    calib_version());
			return CLI_OK;
		default:
			return cli_usage_error(NULL, "unknown option");
		}
	}
	if (optind >= argc) {
		print_help(stderr);
		return CLI_ERROR;
	}
	c = find_command(argv[optind]);
	if (c == NULL) {
		cli_error("'%s' is not a calib command. See '%s --help'.",
		    argv[optind], cli_progname);
		return CLI_ERROR;
	}
#ifdef CALIB_MPI
	if (!mpi_command(c)) {
		cli_error("calib-mpi runs metrics, bins, check and summarize; "
		    "use calib for '%s'", c->name);
		return CLI_ERROR;
	}
#endif
	argc -= optind;
	argv += optind;
	/* Reset getopt for the subcommand's own parse. */
	optind = 0;
	return c->run(argc, argv);
}
