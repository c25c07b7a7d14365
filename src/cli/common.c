/*
 * common.c - messages, option parsing and output files shared by the
 * subcommands.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <time.h>

#include "cli.h"
#include "json-writer.h"

const char *cli_progname = "calib";
int cli_mpi_rank = 0;
int cli_mpi_size = 1;
int cli_quiet;
int cli_progress_forced;
struct cli_problem cli_last_problem;

static void vmessage(const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Record a message with no location as the last problem (cut to fit). */
static void
set_problem(const char *msg)
{
	size_t n = strlen(msg);

	memset(&cli_last_problem, 0, sizeof(cli_last_problem));
	if (n >= sizeof(cli_last_problem.message))
		n = sizeof(cli_last_problem.message) - 1;
	memcpy(cli_last_problem.message, msg, n);
}

static void
vmessage(const char *kind, const char *fmt, va_list ap)
{
	char buf[2048];

	/* Names in messages come from the files read: control bytes in them
	 * must not reach the terminal as such. */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s: %s", cli_progname, kind);
	cli_put_text(stderr, buf);
	fputc('\n', stderr);
	if (kind[0] == '\0')
		set_problem(buf);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

void
cli_lib_error(const calib_error *err)
{
	char where[700];
	size_t n = 0;

	where[0] = '\0';
	if (err->file[0] != '\0')
		n += (size_t)snprintf(where + n, sizeof(where) - n, "%s",
		    err->file);
	if (err->line > 0 && n < sizeof(where))
		n += (size_t)snprintf(where + n, sizeof(where) - n, ":%lu",
		    err->line);
	if (err->column > 0 && n < sizeof(where))
		n += (size_t)snprintf(where + n, sizeof(where) - n, ":%u",
		    err->column);
	if (err->column_name[0] != '\0' && n < sizeof(where))
		n += (size_t)snprintf(where + n, sizeof(where) - n,
		    " (column '%s')", err->column_name);
	if (n > 0)
		cli_error("%s: %s", where, err->message[0] ? err->message :
		    calib_strerror(err->status));
	else
		cli_error("%s", err->message[0] ? err->message :
		    calib_strerror(err->status));
	/* Keep the location apart, for reports that have fields for it. */
	snprintf(cli_last_problem.file, sizeof(cli_last_problem.file), "%s",
	    err->file);
	cli_last_problem.line = err->line;
	cli_last_problem.column = err->column;
	snprintf(cli_last_problem.message, sizeof(cli_last_problem.message),
	    "%s%s%s%s", err->message[0] ? err->message :
	    calib_strerror(err->status), err->column_name[0] ? " (column '" :
	    "", err->column_name, err->column_name[0] ? "')" : "");
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	char buf[2048];

	fprintf(stderr, "%s: ", cli_progname);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cli_put_text(stderr, buf);
	set_problem(buf);
	if (cmd != NULL)
		fprintf(stderr, "\nTry '%s %s --help' for more information.\n",
		    cli_progname, cmd);
	else
		fprintf(stderr, "\nTry '%s --help' for more information.\n",
		    cli_progname);
	return CLI_ERROR;
}

int
cli_parse_double(const char *cmd, const char *opt, const char *arg,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* a subnormal number (ERANGE, but not 0) is still that number */
	if (errno == ERANGE && v != 0 && isfinite(v))
		errno = 0;
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v)) {
		cli_usage_error(cmd, "--%s: '%s' is not a finite number", opt,
		    arg);
		return -1;
	}
	*out = v;
	return 0;
}

int
cli_parse_int(const char *cmd, const char *opt, const char *arg, int lo,
    int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE || v < lo ||
	    v > hi) {
		cli_usage_error(cmd, "--%s: '%s' is not a whole number from "
		    "%d to %d", opt, arg, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
cli_parse_seed(const char *cmd, const char *arg, unsigned long *out)
{
	char *end;
	unsigned long long v;

	/* strtoull would accept "-1" (and " 1") as a huge seed. */
	if (arg[0] < '0' || arg[0] > '9') {
		cli_usage_error(cmd, "--seed: '%s' is not a whole number >= 0",
		    arg);
		return -1;
	}
	errno = 0;
	v = strtoull(arg, &end, 10);
	/* gsl_rng_set takes an unsigned long; 32 bits is what MT19937 uses */
	if (*end != '\0' || errno != 0 || v > 4294967295ull) {
		cli_usage_error(cmd, "--seed: '%s' is not a whole number from 0 "
		    "to 4294967295", arg);
		return -1;
	}
	*out = (unsigned long)v;
	return 0;
}

#define READ_HELP_COLUMNS \
"  --label-col NAME      column holding the true labels (default label)\n" \
"  --weight-col NAME     column holding sample weights (default weight;\n" \
"                        the column is optional)\n" \
"  --score-col NAME      the single score column of a binary file\n" \
"                        (default: p, prob or logit)\n" \
"  --delimiter C         field delimiter: ',', tab (\\t or 'tab'), ';',\n" \
"                        '|', or space (runs of blanks, as np.savetxt\n" \
"                        writes; default: detected from the header)\n" \
"  --logits, --probs     what the score columns hold, overriding the\n" \
"                        header prefixes logit_ / p_ / prob_\n" \
"  --sum-tol X           probability rows must sum to 1 within X\n" \
"                        (default 1e-4)\n" \
"  --renormalize         divide rows outside --sum-tol by their sum\n" \
"                        instead of rejecting them (the count is reported)\n"
#define READ_HELP_TRANSFORM \
"  --temperature T       divide logits by T before the softmax (ln p for\n" \
"                        probability files)\n" \
"  --calibrate MODEL     apply the recalibration map in MODEL (written by\n" \
"                        'calib fit') to every row before measuring\n"
#define READ_HELP_BINARY \
"  --binary MEANING      for 2-class files: top-label (default; confidence\n" \
"                        max(p,1-p) against accuracy) or positive (p\n" \
"                        against the fraction of positives)\n"
#define READ_HELP_MISC \
"  --threads N           threads for parsing, the classwise estimators and\n" \
"                        the calibration test (default: all CPUs);\n" \
"                        results are identical for any N\n" \
"  --labels FILE         true labels from FILE: a .npy array, one label\n" \
"                        per line, or a CSV file's --label-col column\n" \
"  --weights FILE        sample weights from FILE, read the same way\n" \
"  --scores-key NAME, --labels-key NAME, --weights-key NAME\n" \
"                        .npz members to read (default: logits or\n" \
"                        probs/probabilities/scores; labels, targets,\n" \
"                        y_true or y; weights or sample_weight)\n" \
"  --classes A,B,...     class names for a file that has none (NumPy\n" \
"                        files, numeric CSV headers)\n" \
"  --classes-file FILE   the same, one name per line\n" \
"  --positive NAME       binary file with one score column: the label\n" \
"                        whose probability the column holds\n" \
"  --ignore-label V      drop rows whose label is V (e.g. -100); the\n" \
"                        count is reported\n" \
"  --id-col NAME         CSV: keep column NAME as the row id (also\n" \
"                        --index-col; pandas' unnamed index column is\n" \
"                        recognised by itself)\n" \
"  --ignore-col NAME     CSV: drop columns named NAME (a glob such as\n" \
"                        'feat_*'; repeatable)\n" \
"  --confidence-col NAME, --correct-col NAME\n" \
"                        top-label-only files: the columns (or .npz\n" \
"                        members) holding the top label's confidence\n" \
"                        and whether it was right, 0/1 (default\n" \
"                        confidence, correct)\n" \
"  --max-record-bytes N  the longest header or row accepted (default 64M;\n" \
"                        suffixes K, M, G); a longer one is an error\n" \
"  --quiet               no warnings and no progress on stderr\n" \
"  --progress            show the progress of long steps even when stderr\n" \
"                        is not a terminal (default: only on a terminal)\n"

const char cli_read_help[] =
"Reading prediction files:\n" READ_HELP_COLUMNS READ_HELP_TRANSFORM
    READ_HELP_BINARY READ_HELP_MISC;

/* fit: a map is fitted on the model's own outputs (--binary still says
 * what its before/after ECE measures). */
const char cli_read_help_fit[] =
"Reading prediction files:\n" READ_HELP_COLUMNS READ_HELP_BINARY
    READ_HELP_MISC;

const char cli_metric_help[] =
"Binning and metrics:\n"
"  --bins M              number of bins (default 15)\n"
"  --binning width|mass  equal-width bins ((m-1)/M, m/M] (default), or\n"
"                        equal-mass bins of floor(n/M) or ceil(n/M) rows\n"
"  --nll-clip EPS        clip p(y) into [EPS, 1-EPS] before the log, as\n"
"                        scikit-learn's log_loss does with 1e-15\n"
"                        (default: unclipped)\n"
"  --metrics LIST        compute only these metrics (comma-separated\n"
"                        names), 'all' for every one, 'default' for the\n"
"                        usual set (the metric table in calib(1) and the\n"
"                        README name them)\n"
"  --smece-sigma S       smooth ECE at kernel width S in (0, 1] instead of\n"
"                        the fixed point sigma = smECE\n"
"  --tace-threshold X    TACE keeps the predictions above X (default 1e-3)\n"
"  --test-resamples R    calibration_p_value: outcome redraws (default 1000)\n"
"  --test-seed S         and their seed (default 1)\n"
"\n" CLI_CONVENTION_HELP;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
cli_boot_progress_init(struct cli_boot_progress *pg, const char *what,
    int quiet)
{
	pg->what = what;
	pg->quiet = quiet || cli_quiet || (!isatty(STDERR_FILENO) &&
	    !cli_progress_forced);
	pg->start = now_seconds();
	pg->shown = 0;
}

void
cli_boot_progress(void *ctx, int done, int total)
{
	struct cli_boot_progress *pg = ctx;

	if (pg->quiet || (!pg->shown && now_seconds() - pg->start < 2))
		return;
	fprintf(stderr, "\r%s: %s: %d of %d replicates", cli_progname,
	    pg->what, done, total);
	fflush(stderr);
	pg->shown = 1;
}

void
cli_boot_progress_end(struct cli_boot_progress *pg)
{
	if (pg->shown)
		fprintf(stderr, "\r\033[K");
	pg->shown = 0;
}

unsigned
cli_metric_keep(calib_metric_set set)
{
	/* the library knows what each metric reads */
	return calib_metric_read_keep(set);
}

/* Strings that option values point into, freed at exit so leak checkers
 * see them released. */
static char **kept;
static size_t nkept;

static void
free_kept(void)
{
	size_t i;

	for (i = 0; i < nkept; i++)
		free(kept[i]);
	free(kept);
	kept = NULL;
	nkept = 0;
}

static void *
keep_alloc(size_t size)
{
	char **q;
	void *m;

	if (nkept == 0)
		atexit(free_kept);
	q = realloc(kept, (nkept + 1) * sizeof(*kept));
	if (q == NULL)
		return NULL;
	kept = q;
	m = calloc(1, size ? size : 1);
	if (m != NULL)
		kept[nkept++] = m;
	return m;
}

/* Split text at sep into the kept list of names; -1 on a bad list. */
static int
split_names(const char *cmd, const char *opt, const char *text, char sep,
    struct cli_read *r)
{
	size_t len = strlen(text), n = 1, i;
	char *copy;
	const char **names;
	int k = 0;

	for (i = 0; i < len; i++)
		n += text[i] == sep;
	copy = keep_alloc(len + 1);
	names = keep_alloc(n * sizeof(*names));
	if (copy == NULL || names == NULL) {
		cli_error("out of memory");
		return -1;
	}
	memcpy(copy, text, len + 1);
	for (i = 0; i <= len; i++) {
		char *start = copy + i;
		char *end = strchr(start, sep);
		if (end != NULL)
			*end = '\0';
		if (sep == '\n' && strlen(start) > 0 &&
		    start[strlen(start) - 1] == '\r')
			start[strlen(start) - 1] = '\0';
		/* A file may end with a newline. */
		if (end == NULL && sep == '\n' && *start == '\0')
			break;
		if (*start == '\0') {
			cli_usage_error(cmd, "--%s: an empty class name "
			    "(name %d)", opt, k + 1);
			return -1;
		}
		names[k++] = start;
		if (end == NULL)
			break;
		i = (size_t)(end - copy);
	}
	if (k < 2) {
		cli_usage_error(cmd, "--%s: at least 2 class names are needed",
		    opt);
		return -1;
	}
	r->classes = names;
	r->nclasses = k;
	r->ro.classes = names;
	r->ro.nclasses = k;
	return 0;
}

static int
classes_file(const char *cmd, const char *path, struct cli_read *r)
{
	FILE *fp = fopen(path, "r");
	char *text;
	size_t len = 0, cap = 4096, got;

	if (fp == NULL) {
		cli_error("--classes-file: cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	cli_note_input(path);
	text = malloc(cap);
	while (text != NULL && (got = fread(text + len, 1, cap - len - 1,
	    fp)) > 0) {
		len += got;
		if (cap - len - 1 == 0) {
			char *q = cap > (1u << 26) ? NULL : realloc(text,
			    cap * 2);
			if (q == NULL) {
				free(text);
				text = NULL;
				break;
			}
			text = q;
			cap *= 2;
		}
	}
	if (text == NULL || ferror(fp)) {
		cli_error("--classes-file: cannot read '%s'", path);
		free(text);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	text[len] = '\0';
	if (strlen(text) != len) {
		cli_error("--classes-file: '%s' holds a NUL byte (expected one "
		    "class name per line)", path);
		free(text);
		return -1;
	}
	{
		int rc = split_names(cmd, "classes-file", text, '\n', r);
		free(text);
		return rc;
	}
}

void
cli_read_init(struct cli_read *r)
{
	memset(r, 0, sizeof(*r));
	calib_read_options_init(&r->ro);
	calib_metric_options_init(&r->mo);
	r->binary = CLI_BINARY_TOP;
	calib_summary_options_init(&r->so);
	calib_convention_init(&r->conv);
}

/* --convention NAME, or one choice (opt - CLI_OPT_EDGES indexes
 * calib_convention_choices).  Choices set by hand win over a preset given
 * later. */
static int
convention_option(const char *cmd, int opt, const char *arg,
    struct cli_read *r)
{
	calib_error err;
	int i;

	if (opt == CLI_OPT_CONVENTION) {
		if (calib_convention_preset(arg, &r->conv) != CALIB_OK) {
			char list[256];
			size_t n = 0;
			list[0] = '\0';
			for (i = 0; calib_convention_names[i] != NULL; i++)
				n += (size_t)snprintf(list + n,
				    sizeof(list) - n, "%s%s", i ? ", " : "",
				    calib_convention_names[i]);
			cli_usage_error(cmd, "--convention: '%s' is not one of "
			    "%s", arg, list);
			return -1;
		}
		for (i = 0; calib_convention_choices[i] != NULL; i++)
			if (r->conv_hand[i] != NULL)
				calib_convention_set(&r->conv,
				    calib_convention_choices[i], r->conv_hand[i],
				    NULL);
	} else {
		i = opt - CLI_OPT_EDGES;
		if (opt == CLI_OPT_NLL_RENORM)
			arg = "yes";
		if (calib_convention_set(&r->conv, calib_convention_choices[i],
		    arg, &err) != CALIB_OK) {
			/* The message starts "CHOICE:"; name the option. */
			const char *why = strchr(err.message, ':');
			cli_usage_error(cmd, "--%s%s", opt == CLI_OPT_MASS_LAYOUT ?
			    "mass-layout" : calib_convention_choices[i],
			    why != NULL ? why : err.message);
			return -1;
		}
		r->conv_hand[i] = arg;
	}
	r->mo.convention = &r->conv;
	return 1;
}

int
cli_parse_boot_method(const char *cmd, const char *arg,
    calib_bootstrap_method *m)
{
	if (strcmp(arg, "multinomial") == 0)
		*m = CALIB_BOOTSTRAP_MULTINOMIAL;
	else if (strcmp(arg, "poisson") == 0)
		*m = CALIB_BOOTSTRAP_POISSON;
	else {
		cli_usage_error(cmd, "--bootstrap-method: '%s' is not "
		    "multinomial or poisson", arg);
		return -1;
	}
	return 0;
}

int
cli_read_option(const char *cmd, int opt, const char *arg, struct cli_read *r)
{
	switch (opt) {
	case CLI_OPT_QUIET:
		cli_quiet = 1;
		return 1;
	case CLI_OPT_PROGRESS:
		cli_progress_forced = 1;
		return 1;
	case CLI_OPT_LABEL_COL:
		r->ro.label_col = arg;
		return 1;
	case CLI_OPT_WEIGHT_COL:
		r->ro.weight_col = arg;
		return 1;
	case CLI_OPT_SCORE_COL:
		r->ro.score_col = arg;
		return 1;
	case CLI_OPT_DELIMITER:
		if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0 ||
		    strcmp(arg, "\t") == 0)
			r->ro.delimiter = '\t';
		else if (strcmp(arg, ",") == 0 || strcmp(arg, ";") == 0 ||
		    strcmp(arg, "|") == 0)
			r->ro.delimiter = arg[0];
		else if (strcmp(arg, "space") == 0 || strcmp(arg, " ") == 0)
			r->ro.delimiter = ' ';
		else {
			cli_usage_error(cmd, "--delimiter: '%s' is not one of "
			    "',', ';', '|', tab or space", arg);
			return -1;
		}
		return 1;
	case CLI_OPT_LOGITS:
		r->given |= CLI_GIVEN_KIND;
		r->ro.kind = CALIB_SCORES_LOGITS;
		return 1;
	case CLI_OPT_PROBS:
		r->given |= CLI_GIVEN_KIND;
		r->ro.kind = CALIB_SCORES_PROBS;
		return 1;
	case CLI_OPT_SUM_TOL:
		r->given |= CLI_GIVEN_SUM_TOL;
		if (cli_parse_double(cmd, "sum-tol", arg, &r->ro.sum_tol) != 0)
			return -1;
		if (r->ro.sum_tol < 0) {
			cli_usage_error(cmd, "--sum-tol must be >= 0");
			return -1;
		}
		return 1;
	case CLI_OPT_RENORMALIZE:
		r->given |= CLI_GIVEN_RENORMALIZE;
		r->ro.renormalize = 1;
		return 1;
	case CLI_OPT_TEMPERATURE:
		r->given |= CLI_GIVEN_TEMPERATURE;
		if (cli_parse_double(cmd, "temperature", arg,
		    &r->ro.temperature) != 0)
			return -1;
		if (!(r->ro.temperature > 0)) {
			cli_usage_error(cmd, "--temperature must be > 0");
			return -1;
		}
		return 1;
	case CLI_OPT_CALIBRATE:
		r->given |= CLI_GIVEN_CALIBRATE;
		r->calibrate = arg;
		return 1;
	case CLI_OPT_BINARY:
		if (strcmp(arg, "top-label") == 0)
			r->binary = CLI_BINARY_TOP;
		else if (strcmp(arg, "positive") == 0)
			r->binary = CLI_BINARY_POSITIVE;
		else {
			cli_usage_error(cmd, "--binary: '%s' is not top-label "
			    "or positive", arg);
			return -1;
		}
		r->binary_set = 1;
		return 1;
	case CLI_OPT_MAX_RECORD: {
		char *end;
		unsigned long long v;
		int shift = 0;
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (end != arg && (*end == 'K' || *end == 'k'))
			shift = 10;
		else if (end != arg && *end == 'M')
			shift = 20;
		else if (end != arg && *end == 'G')
			shift = 30;
		if (shift > 0)
			end++;
		if (arg[0] < '0' || arg[0] > '9' || *end != '\0' ||
		    errno != 0 || v > (SIZE_MAX >> shift) ||
		    (v << shift) < 1024) {
			cli_usage_error(cmd, "--max-record-bytes: '%s' is not a "
			    "byte count of at least 1024 (suffixes K, M, G)",
			    arg);
			return -1;
		}
		r->ro.max_record_bytes = (size_t)(v << shift);
		return 1;
	}
	case CLI_OPT_THREADS:
		if (cli_parse_int(cmd, "threads", arg, 1, 1024,
		    &r->ro.threads) != 0)
			return -1;
		r->mo.threads = r->ro.threads;
		return 1;
	case CLI_OPT_LABELS_FILE:
		r->ro.labels_path = arg;
		return 1;
	case CLI_OPT_WEIGHTS_FILE:
		r->ro.weights_path = arg;
		return 1;
	case CLI_OPT_SCORES_KEY:
		r->ro.scores_key = arg;
		return 1;
	case CLI_OPT_LABELS_KEY:
		r->ro.labels_key = arg;
		return 1;
	case CLI_OPT_WEIGHTS_KEY:
		r->ro.weights_key = arg;
		return 1;
	case CLI_OPT_CLASSES:
		return split_names(cmd, "classes", arg, ',', r) == 0 ? 1 : -1;
	case CLI_OPT_CLASSES_FILE:
		return classes_file(cmd, arg, r) == 0 ? 1 : -1;
	case CLI_OPT_POSITIVE:
		r->ro.positive = arg;
		return 1;
	case CLI_OPT_IGNORE_LABEL: {
		char *end;
		long v;
		errno = 0;
		v = strtol(arg, &end, 10);
		if (end == arg || *end != '\0' || errno == ERANGE) {
			cli_usage_error(cmd, "--ignore-label: '%s' is not a "
			    "whole number", arg);
			return -1;
		}
		r->ro.ignore_label = v;
		r->ro.ignore_label_set = 1;
		return 1;
	}
	case CLI_OPT_ID_COL:
		r->ro.id_col = arg;
		return 1;
	case CLI_OPT_CONFIDENCE_COL:
		r->ro.confidence_col = arg;
		return 1;
	case CLI_OPT_CORRECT_COL:
		r->ro.correct_col = arg;
		return 1;
	case CLI_OPT_IGNORE_COL: {
		const char **q = keep_alloc((size_t)(r->nignore_cols + 1) *
		    sizeof(*q));
		if (q == NULL) {
			cli_error("out of memory");
			return -1;
		}
		if (r->nignore_cols > 0)
			memcpy(q, r->ignore_cols, (size_t)r->nignore_cols *
			    sizeof(*q));
		q[r->nignore_cols++] = arg;
		r->ignore_cols = q;
		r->ro.ignore_cols = q;
		r->ro.nignore_cols = r->nignore_cols;
		return 1;
	}
	case CLI_OPT_BINS:
		r->given |= CLI_GIVEN_BINS;
		return cli_parse_int(cmd, "bins", arg, 1, 1000000,
		    &r->mo.bins) == 0 ? 1 : -1;
	case CLI_OPT_BINNING:
		r->given |= CLI_GIVEN_BINNING;
		if (strcmp(arg, "width") == 0)
			r->mo.binning = CALIB_BIN_WIDTH;
		else if (strcmp(arg, "mass") == 0)
			r->mo.binning = CALIB_BIN_MASS;
		else {
			cli_usage_error(cmd, "--binning: '%s' is not width or "
			    "mass", arg);
			return -1;
		}
		return 1;
	case CLI_OPT_CONVENTION:
	case CLI_OPT_EDGES:
	case CLI_OPT_CLOSURE:
	case CLI_OPT_TOP:
	case CLI_OPT_ARITH:
	case CLI_OPT_MASS_LAYOUT:
	case CLI_OPT_CLIP:
	case CLI_OPT_NLL_RENORM:
	case CLI_OPT_BRIER:
		return convention_option(cmd, opt, arg, r);
	case CLI_OPT_NLL_CLIP:
		r->given |= CLI_GIVEN_NLL_CLIP;
		if (cli_parse_double(cmd, "nll-clip", arg, &r->mo.nll_clip) != 0)
			return -1;
		if (!(r->mo.nll_clip >= 0 && r->mo.nll_clip < 0.5)) {
			cli_usage_error(cmd, "--nll-clip must be in [0, 0.5)");
			return -1;
		}
		return 1;
	case CLI_OPT_METRICS: {
		calib_error err;
		if (calib_metric_select(arg, &r->mo.select, &err) !=
		    CALIB_OK) {
			cli_usage_error(cmd, "--metrics: %s", err.message);
			return -1;
		}
		r->metrics_set = 1;
		return 1;
	}
	case CLI_OPT_SMECE_SIGMA:
		if (cli_parse_double(cmd, "smece-sigma", arg,
		    &r->mo.smece_sigma) != 0)
			return -1;
		if (!(r->mo.smece_sigma > 0 && r->mo.smece_sigma <= 1)) {
			cli_usage_error(cmd, "--smece-sigma must be in (0, 1]");
			return -1;
		}
		return 1;
	case CLI_OPT_TEST_RESAMPLES:
		return cli_parse_int(cmd, "test-resamples", arg, 1, 100000000,
		    &r->mo.test_resamples) == 0 ? 1 : -1;
	case CLI_OPT_TEST_SEED:
		return cli_parse_seed(cmd, arg, &r->mo.test_seed) == 0 ? 1 : -1;
	case CLI_OPT_TACE_THRESHOLD:
		if (cli_parse_double(cmd, "tace-threshold", arg,
		    &r->mo.tace_threshold) != 0)
			return -1;
		if (!(r->mo.tace_threshold >= 0 && r->mo.tace_threshold < 1)) {
			cli_usage_error(cmd, "--tace-threshold must be in [0, 1)");
			return -1;
		}
		return 1;
	}
	return 0;
}

static int said_top_only, said_index;

int
cli_read_setup(const struct cli_read *r, calib_read_options *ro,
    calib_model **model)
{
	calib_error err;

	*ro = r->ro;
	*model = NULL;
	cli_note_input(ro->labels_path);
	cli_note_input(ro->weights_path);
	if (r->calibrate != NULL) {
		cli_note_input(r->calibrate);
		if (ro->temperature != 1) {
			cli_error("--temperature and --calibrate cannot be "
			    "combined (the model replaces the temperature)");
			return -1;
		}
		if (calib_model_load(r->calibrate, model, &err) != CALIB_OK) {
			cli_lib_error(&err);
			return -1;
		}
		ro->calibrate = *model;
	}
	if (r->binary == CLI_BINARY_POSITIVE && ro->target == CALIB_TARGET_TOP)
		ro->target = 1;
	return 0;
}


calib_preds *
cli_read_preds(const char *path, const struct cli_read *r, unsigned keep)
{
	calib_read_options ro;
	calib_preds *p = NULL;
	calib_model *model = NULL;
	calib_error err;
	calib_status st;

	cli_note_input(path);
	if (cli_read_setup(r, &ro, &model) != 0)
		return NULL;
	ro.keep |= keep;
	ro.classwise_bins = r->mo.bins;
	/* Equal-mass classwise bins need every class's scores sorted, and a
	 * convention bins every class column and may renormalise rows. */
	if (r->mo.binning == CALIB_BIN_MASS ||
	    !calib_convention_is_default(r->mo.convention))
		ro.keep |= CALIB_KEEP_PROBS;
	{
		char what[600];
		snprintf(what, sizeof(what), "reading %s", path);
		cli_progress_begin(what);
		st = calib_read(path, &ro, &p, &err);
		cli_progress_end();
	}
	calib_model_free(model);
	if (st != CALIB_OK) {
		cli_lib_error(&err);
		return NULL;
	}
	if (r->binary == CLI_BINARY_POSITIVE && p->k != 2) {
		cli_error("%s: --binary positive needs a 2-class file, this one "
		    "has %d classes", p->source, p->k);
		calib_preds_free(p);
		return NULL;
	}
	if (p->top_only && (keep & CALIB_KEEP_LOGITS)) {
		cli_error("%s: holds only the top label's confidence and "
		    "correctness ('%s', '%s'); this needs the whole score "
		    "vector", p->source, ro.confidence_col, ro.correct_col);
		calib_preds_free(p);
		return NULL;
	}
	cli_read_notes(p, &ro);
	return p;
}

void
cli_read_notes(const calib_preds *p, const calib_read_options *rop)
{
	calib_read_options ro = *rop;

	if (p->tied_rows > 0)
		cli_warn("%s: %zu row%s a maximum score shared by several "
		    "classes; the lowest class index was taken as the "
		    "prediction", p->source, p->tied_rows,
		    p->tied_rows == 1 ? " has" : "s have");
	if (p->renormalized_rows > 0)
		cli_warn("%s: %zu row%s not sum to 1 within %g and %s divided "
		    "by %s sum (--renormalize)", p->source,
		    p->renormalized_rows, p->renormalized_rows == 1 ?
		    " did" : "s did", ro.sum_tol, p->renormalized_rows == 1 ?
		    "was" : "were", p->renormalized_rows == 1 ? "its" :
		    "their");
	/* Notes are said once per run, however often a file is read. */
	if (p->top_only && !said_top_only++)
		fprintf(stderr, "%s: note: %s holds only the top label's "
		    "confidence and correctness ('%s', '%s'): classwise ECE, "
		    "NLL, Brier and entropy need the full probability vector "
		    "and are reported as unavailable\n", cli_progname,
		    p->source, ro.confidence_col, ro.correct_col);
	if (p->index_column && !said_index++)
		fprintf(stderr, "%s: note: %s: the unnamed first column (pandas' "
		    "index) is taken as the row id\n", cli_progname,
		    p->source);
	if (p->dropped_rows > 0)
		cli_warn("%s: %zu row%s label %ld dropped (--ignore-label)",
		    p->source, p->dropped_rows, p->dropped_rows == 1 ?
		    " with" : "s with", ro.ignore_label);
}

/* The choices of c set by hand after its preset. */
static int
hand_choices(const calib_convention *c, int *which)
{
	int i, n = 0;

	for (i = 0; calib_convention_choices[i] != NULL; i++)
		if (c->hand >> i & 1)
			which[n++] = i;
	return n;
}

void
cli_json_convention(struct jw *w, const calib_convention *c)
{
	calib_convention def;
	char v[64];
	int which[16], n, i;

	if (c == NULL) {
		calib_convention_init(&def);
		c = &def;
	}
	jw_string_member(w, "convention", c->name);
	n = hand_choices(c, which);
	if (n == 0)
		return;
	jw_object_member(w, "convention_choices");
	for (i = 0; i < n; i++) {
		const char *name = calib_convention_choices[which[i]];
		calib_convention_get(c, name, v, sizeof(v));
		jw_string_member(w, name, v);
	}
	jw_object_end(w);
}

void
cli_convention_text(char *buf, size_t size, const calib_convention *c)
{
	char v[64];
	int which[16], n, i;
	size_t len;

	if (c == NULL) {
		snprintf(buf, size, "calib");
		return;
	}
	snprintf(buf, size, "%s", c->name);
	n = hand_choices(c, which);
	for (i = 0; i < n; i++) {
		const char *name = calib_convention_choices[which[i]];
		len = strlen(buf);
		calib_convention_get(c, name, v, sizeof(v));
		snprintf(buf + len, size - len, ", %s=%s", name, v);
	}
}

void
cli_settings_get(struct cli_settings *s, const calib_preds *p,
    double nll_clip)
{
	memset(s, 0, sizeof(*s));
	if (p->target == CALIB_TARGET_TOP)
		snprintf(s->target, sizeof(s->target), "top-label");
	else if (p->k == 2 && p->target == 1)
		snprintf(s->target, sizeof(s->target), "positive");
	else
		snprintf(s->target, sizeof(s->target), "class %d", p->target);
	s->binary = p->k != 2 ? NULL : p->target == CALIB_TARGET_TOP ?
	    "top-label" : "positive";
	s->temperature = p->temperature;
	s->calibrated = p->calibrated;
	s->nll_clip = nll_clip;
	s->sum_tol = p->sum_tol;
	s->renormalized_rows = p->renormalized_rows;
	s->dropped_rows = p->dropped_rows;
	s->scores = p->kind == CALIB_SCORES_LOGITS ? "logits" : "probs";
	s->format = p->format != NULL ? p->format : "csv";
}

void
cli_settings_json(struct jw *w, const struct cli_settings *s, unsigned omit)
{
	if (!(omit & CLI_SET_TARGET))
		jw_string_member(w, "target", s->target);
	jw_string_member(w, "binary", s->binary);
	if (!(omit & CLI_SET_TEMPERATURE))
		jw_number_member(w, "temperature", s->temperature);
	jw_bool_member(w, "calibrated", s->calibrated);
	if (!isnan(s->nll_clip))
		jw_number_member(w, "nll_clip", s->nll_clip);
	jw_number_member(w, "sum_tol", s->sum_tol);
	jw_uint_member(w, "renormalized_rows", s->renormalized_rows);
	jw_uint_member(w, "dropped_rows", s->dropped_rows);
	jw_string_member(w, "scores", s->scores);
	jw_string_member(w, "format", s->format);
}

void
cli_settings_header(FILE *fp, char delim)
{
	const char *const names[] = { "target", "binary", "temperature",
	    "calibrated", "nll_clip", "sum_tol", "renormalized_rows",
	    "dropped_rows", "scores", "format" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fprintf(fp, "%c%s", delim, names[i]);
}

void
cli_settings_fields(FILE *fp, const struct cli_settings *s, char delim)
{
	char t[40], c[40], q[40];

	cli_fmt_number(t, sizeof(t), s->temperature);
	if (isnan(s->nll_clip))
		c[0] = '\0';
	else
		cli_fmt_number(c, sizeof(c), s->nll_clip);
	cli_fmt_number(q, sizeof(q), s->sum_tol);
	fprintf(fp, "%c%s%c%s%c%s%c%d%c%s%c%s%c%zu%c%zu%c%s%c%s", delim,
	    s->target, delim, s->binary ? s->binary : "", delim, t, delim,
	    s->calibrated, delim, c, delim, q, delim, s->renormalized_rows,
	    delim, s->dropped_rows, delim, s->scores, delim, s->format);
}

const char *
cli_target_text(const calib_preds *p)
{
	if (p->target == CALIB_TARGET_TOP)
		return p->k == 2 ? "top-label (binary: max(p, 1-p) against "
		    "accuracy)" : "top-label";
	if (p->k == 2 && p->target == 1)
		return "positive class (binary: p against the fraction of "
		    "positives)";
	return "one-vs-rest";
}

/* ---- numbers and strings ------------------------------------------ */

void
cli_fmt_number(char *buf, size_t size, double v)
{
	int prec;

	if (!isfinite(v)) {
		snprintf(buf, size, "null");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
}

/* ---- progress ------------------------------------------------------ */

/*
 * A long library call (a bootstrap, a resampled band, a fit, a big file)
 * cannot report how far it is, so a second thread shows that it is still
 * running: after 2 s, the elapsed time, redrawn every second on a terminal,
 * or one line every 10 s with --progress when stderr is a pipe or a CI
 * log.  Nothing is shown under --quiet, or on a non-terminal without
 * --progress.
 */
static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int running, stop, shown, tty;
	char what[200];
	struct timespec start;
} prog = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *
progress_thread(void *arg)
{
	/* CALIB_PROGRESS_DELAY (seconds) lets the tests see it at once. */
	const char *env = getenv("CALIB_PROGRESS_DELAY");
	double next = 2;

	(void)arg;
	if (env != NULL && env[0] != '\0') {
		char *end;
		double d = strtod(env, &end);
		if (*end == '\0' && d >= 0 && d <= 3600)
			next = d;
	}
	pthread_mutex_lock(&prog.lock);
	/* At least one look, so a zero delay always shows one line. */
	for (;;) {
		struct timespec until;
		double el = since(&prog.start);
		if (el >= next) {
			if (prog.tty)
				fprintf(stderr, "\r%s: %s ... %.0f s", cli_progname,
				    prog.what, el);
			else
				fprintf(stderr, "%s: %s ... %.0f s\n",
				    cli_progname, prog.what, el);
			fflush(stderr);
			prog.shown = 1;
			next = el + (prog.tty ? 1 : 10);
		}
		if (prog.stop)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&prog.cond, &prog.lock, &until);
	}
	pthread_mutex_unlock(&prog.lock);
	return NULL;
}

void
cli_progress_begin(const char *what)
{
	int tty = isatty(STDERR_FILENO);

	if (prog.running || cli_quiet || (!tty && !cli_progress_forced))
		return;
	snprintf(prog.what, sizeof(prog.what), "%s", what);
	prog.tty = tty;
	prog.stop = 0;
	prog.shown = 0;
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	if (pthread_create(&prog.thread, NULL, progress_thread, NULL) == 0)
		prog.running = 1;
}

void
cli_progress_end(void)
{
	if (!prog.running)
		return;
	pthread_mutex_lock(&prog.lock);
	prog.stop = 1;
	pthread_cond_signal(&prog.cond);
	pthread_mutex_unlock(&prog.lock);
	pthread_join(prog.thread, NULL);
	prog.running = 0;
	if (prog.shown) {
		fprintf(stderr, "%s%s: %s: done in %.1f s\n", prog.tty ? "\r\033[K" :
		    "", cli_progname, prog.what, since(&prog.start));
		fflush(stderr);
	}
}

char *
cli_file_stem(const char *path)
{
	const char *b = strrchr(path, '/');
	char *s, *dot;
	static const char *const ext[] = { ".gz", ".csv", ".tsv", ".txt" };
	size_t i;

	if (strcmp(path, "-") == 0)
		return strdup("standard input");
	s = strdup(b ? b + 1 : path);
	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		dot = strrchr(s, '.');
		if (dot != NULL && dot != s && strcmp(dot, ext[i]) == 0)
			*dot = '\0';
	}
	return s;
}
