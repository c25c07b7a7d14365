/*
 * cli.h - what the calib subcommands share.  The CLI is a thin layer over
 * libcalib: it parses options, calls the library, and turns statuses and
 * calib_error records into messages and exit codes.
 */
#ifndef CALIB_CLI_H
#define CALIB_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "calib.h"

/* Exit statuses, documented in calib(1) and the README. */
enum {
	CLI_OK = 0,          /* success; for check, every assertion held */
	CLI_FAILED = 1,      /* check: at least one assertion failed */
	CLI_ERROR = 2,       /* usage, input or output error */
	CLI_NO_RENDER = 3    /* figure not rendered: gnuplot missing/failed */
};

/* One subcommand: cmd-NAME.c defines cli_cmd_NAME. */
struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct cli_cmd cli_cmd_metrics;
extern const struct cli_cmd cli_cmd_fit;
extern const struct cli_cmd cli_cmd_apply;

/* Program name for messages ("calib"). */
extern const char *cli_progname;

/* Messages: "calib: ..." on stderr, git style (lower case, no full stop). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a library error as "calib: FILE:LINE:COL (column 'x'): message". */
void cli_lib_error(const calib_error *err);
/* Usage error: message, then a pointer to --help; returns CLI_ERROR. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Strict option-argument parsing; on failure print a usage error. */
int cli_parse_double(const char *cmd, const char *opt, const char *arg,
    double *out);
int cli_parse_int(const char *cmd, const char *opt, const char *arg, int lo,
    int hi, int *out);

/*
 * Options shared by every subcommand that reads prediction files.  Their
 * codes start at CLI_OPT_BASE so they never collide with short options.
 */
enum {
	CLI_OPT_BASE = 1000,
	CLI_OPT_LABEL_COL,
	CLI_OPT_WEIGHT_COL,
	CLI_OPT_SCORE_COL,
	CLI_OPT_DELIMITER,
	CLI_OPT_LOGITS,
	CLI_OPT_PROBS,
	CLI_OPT_SUM_TOL,
	CLI_OPT_RENORMALIZE,
	CLI_OPT_TEMPERATURE,
	CLI_OPT_BINARY,
	CLI_OPT_THREADS,
	CLI_OPT_BINS,
	CLI_OPT_BINNING,
	CLI_OPT_NLL_CLIP,
	CLI_OPT_CALIBRATE,
	CLI_OPT_CMD_BASE = 1100 /* first code free for a subcommand */
};

#define CLI_READ_LONGOPTS \
	{ "label-col", required_argument, NULL, CLI_OPT_LABEL_COL }, \
	{ "weight-col", required_argument, NULL, CLI_OPT_WEIGHT_COL }, \
	{ "score-col", required_argument, NULL, CLI_OPT_SCORE_COL }, \
	{ "delimiter", required_argument, NULL, CLI_OPT_DELIMITER }, \
	{ "logits", no_argument, NULL, CLI_OPT_LOGITS }, \
	{ "probs", no_argument, NULL, CLI_OPT_PROBS }, \
	{ "sum-tol", required_argument, NULL, CLI_OPT_SUM_TOL }, \
	{ "renormalize", no_argument, NULL, CLI_OPT_RENORMALIZE }, \
	{ "temperature", required_argument, NULL, CLI_OPT_TEMPERATURE }, \
	{ "calibrate", required_argument, NULL, CLI_OPT_CALIBRATE }, \
	{ "binary", required_argument, NULL, CLI_OPT_BINARY }, \
	{ "threads", required_argument, NULL, CLI_OPT_THREADS }

#define CLI_METRIC_LONGOPTS \
	{ "bins", required_argument, NULL, CLI_OPT_BINS }, \
	{ "binning", required_argument, NULL, CLI_OPT_BINNING }, \
	{ "nll-clip", required_argument, NULL, CLI_OPT_NLL_CLIP }

/* Help text for the shared options, for each subcommand's --help. */
extern const char cli_read_help[];
extern const char cli_metric_help[];

/* Binary files: which calibration "binary ECE" means. */
typedef enum cli_binary {
	CLI_BINARY_TOP = 0,  /* max(p, 1-p) against thresholded accuracy */
	CLI_BINARY_POSITIVE  /* p against the fraction of positives */
} cli_binary;

struct cli_read {
	calib_read_options ro;
	calib_metric_options mo;
	cli_binary binary;
	int binary_set;
	/* --calibrate: a model file applied to every file read.  It is
	 * loaded by cli_read_preds(), once per file, so nothing needs
	 * releasing. */
	const char *calibrate;
};

void cli_read_init(struct cli_read *r);
/*
 * Handle a shared option.  Returns 1 if handled, 0 if opt is not shared,
 * -1 (after printing a usage error) if its argument is invalid.
 */
int cli_read_option(const char *cmd, int opt, const char *arg,
    struct cli_read *r);

/*
 * Read one prediction file with the shared options.  Binary files (K = 2)
 * get the target their --binary meaning asks for, and --calibrate's model
 * is applied to every row.  Prints warnings (ties, renormalized rows) and,
 * on failure, the error.  Returns NULL on failure.
 */
calib_preds *cli_read_preds(const char *path, const struct cli_read *r,
    unsigned keep);

/* Text describing the target of p, e.g. "top-label" or "positive class (p vs. fraction of 1s)". */
const char *cli_target_text(const calib_preds *p);

/*
 * Output files are written to a temporary name in the same directory and
 * renamed over the destination only when complete, so a failure never
 * leaves a half-written file.  "-" or NULL means standard output.
 */
struct cli_out {
	FILE *fp;
	char *path;
	char *tmp;
};

int cli_out_open(struct cli_out *o, const char *path);
/* Flush, close and rename; returns 0 or -1 after printing the error. */
int cli_out_commit(struct cli_out *o);
/* Close and remove the temporary file. */
void cli_out_abort(struct cli_out *o);

/* Numbers for machine-readable output: the shortest text that reads back
 * as the same double; "null" for NaN and infinities. */
void cli_fmt_number(char *buf, size_t size, double v);
/* A JSON string literal with the needed escapes. */
void cli_json_string(FILE *fp, const char *s);

#endif /* CALIB_CLI_H */
