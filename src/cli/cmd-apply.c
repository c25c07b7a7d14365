/*
 * cmd-apply.c - calib apply: recalibrate a prediction file with a model
 * file and write the new probabilities in calib's own input format.
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
	    "Usage: %s apply [OPTIONS] MODEL FILE\n"
	    "\n"
	    "Apply the recalibration map in MODEL (written by 'calib fit') to\n"
	    "every row of FILE and write the recalibrated probabilities as a\n"
	    "prediction file: header label,p_NAME... (label,p for a file with a\n"
	    "single binary score column), labels as class names, a weight\n"
	    "column when FILE has one, numbers with 17 significant digits so\n"
	    "they read back as the same doubles.\n"
	    "\n"
	    "  -o, --output FILE     write to FILE (atomically) instead of stdout\n"
	    "  -h, --help            show this help\n"
	    "\n%s"
	    "(--temperature and --calibrate do not apply: MODEL is the map.)\n"
	    "\n"
	    "Exit status: 0 success, 2 usage or input error, or a model that\n"
	    "does not fit FILE's classes.\n",
	    cli_progname, cli_read_help);
}

static void
write_preds(FILE *fp, const calib_preds *p)
{
	size_t i;
	int c;

	/* The row id (--id-col, pandas' index) comes first, as read. */
	if (p->id_text != NULL) {
		cli_csv_field(fp, "", p->id_name, ',');
		fputc(',', fp);
	}
	fputs("label", fp);
	if (p->single_column) {
		fputs(",p", fp);
	} else {
		for (c = 0; c < p->k; c++) {
			fputc(',', fp);
			cli_csv_field(fp, "p_", p->class_names[c], ',');
		}
	}
	if (p->weight != NULL)
		fputs(",weight", fp);
	fputc('\n', fp);
	for (i = 0; i < p->n; i++) {
		const double *q = p->probs + i * (size_t)p->k;
		if (p->id_text != NULL) {
			cli_csv_field(fp, "", p->id_text + p->id_off[i], ',');
			fputc(',', fp);
		}
		cli_csv_field(fp, "", p->class_names[p->label[i]], ',');
		if (p->single_column)
			fprintf(fp, ",%.17g", q[1]);
		else
			for (c = 0; c < p->k; c++)
				fprintf(fp, ",%.17g", q[c]);
		if (p->weight != NULL)
			fprintf(fp, ",%.17g", p->weight[i]);
		fputc('\n', fp);
	}
}

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		CLI_READ_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_read r;
	struct cli_out out;
	calib_preds *p;
	const char *output = NULL;
	int opt, rc = CLI_OK;

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
		case '?':
			return cli_usage_error("apply", "invalid option");
		default:
			h = cli_read_option("apply", opt, optarg, &r);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error("apply",
				    "invalid option");
		}
	}
	if (r.ro.temperature != 1 || r.calibrate != NULL)
		return cli_usage_error("apply", "--temperature and --calibrate "
		    "do not apply to apply (the model file is the map)");
	if (argc - optind != 2)
		return cli_usage_error("apply", "expected a model file and a "
		    "prediction file");
	r.calibrate = argv[optind];
	p = cli_read_preds(argv[optind + 1], &r, CALIB_KEEP_PROBS |
	    CALIB_KEEP_IDS);
	if (p == NULL)
		return CLI_ERROR;
	if (cli_out_open(&out, output) != 0) {
		calib_preds_free(p);
		return CLI_ERROR;
	}
	write_preds(out.fp, p);
	if (cli_out_commit(&out) != 0)
		rc = CLI_ERROR;
	calib_preds_free(p);
	return rc;
}

const struct cli_cmd cli_cmd_apply = {
	.name = "apply",
	.run = run,
	.summary = "recalibrate a prediction file with a model from 'fit'",
};
