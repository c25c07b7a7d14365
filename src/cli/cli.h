/*
 * cli.h - what the calib subcommands share.  The CLI is a thin layer over
 * libcalib: it parses options, calls the library, and turns statuses and
 * calib_error records into messages and exit codes.
 */
#ifndef CALIB_CLI_H
#define CALIB_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <sys/types.h>

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
extern const struct cli_cmd cli_cmd_compare;
extern const struct cli_cmd cli_cmd_check;
extern const struct cli_cmd cli_cmd_bins;
extern const struct cli_cmd cli_cmd_diagram;
extern const struct cli_cmd cli_cmd_hist;
extern const struct cli_cmd cli_cmd_fit;
extern const struct cli_cmd cli_cmd_apply;
extern const struct cli_cmd cli_cmd_summarize;
extern const struct cli_cmd cli_cmd_merge;
extern const struct cli_cmd cli_cmd_report;
extern const struct cli_cmd cli_cmd_explain;

/* Program name for messages ("calib"). */
extern const char *cli_progname;
/* calib-mpi: this process's rank and the number of ranks (0 and 1 in
 * calib).  Every rank runs the same commands on the same arguments; only
 * rank 0 writes output. */
extern int cli_mpi_rank, cli_mpi_size;
#ifdef CALIB_MPI
void cli_mpi_init(int *argc, char ***argv);
void cli_mpi_finish(void);
#endif

/* Messages: "calib: ..." on stderr, git style (lower case, no full stop).
 * cli_warn() prints nothing under --quiet (cli_quiet). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int cli_quiet;

/*
 * Progress of one long step on stderr: after 2 s its elapsed time, on a
 * terminal, or with --progress (cli_progress_forced) anywhere; never under
 * --quiet.  begin/end pairs do not nest (an inner begin is ignored).
 */
extern int cli_progress_forced;
void cli_progress_begin(const char *what);
void cli_progress_end(void);

/* The last error cli_error(), cli_lib_error() or cli_usage_error()
 * printed, with the location apart (file empty and line 0 when it has
 * none), so calib check can put it into its reports. */
struct cli_problem {
	char file[512];
	unsigned long line;
	unsigned column;
	char message[1024];
};
extern struct cli_problem cli_last_problem;
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
/* --seed: a whole number 0..4294967295. */
int cli_parse_seed(const char *cmd, const char *arg, unsigned long *out);

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
	CLI_OPT_QUIET,
	CLI_OPT_PROGRESS,
	CLI_OPT_MAX_RECORD,
	CLI_OPT_METRICS,
	CLI_OPT_LABELS_FILE = 1020,
	CLI_OPT_WEIGHTS_FILE,
	CLI_OPT_SCORES_KEY,
	CLI_OPT_LABELS_KEY,
	CLI_OPT_WEIGHTS_KEY,
	CLI_OPT_CLASSES,
	CLI_OPT_CLASSES_FILE,
	CLI_OPT_POSITIVE,
	CLI_OPT_IGNORE_LABEL,
	CLI_OPT_ID_COL,
	CLI_OPT_IGNORE_COL,
	CLI_OPT_CONFIDENCE_COL,
	CLI_OPT_CORRECT_COL,
	CLI_OPT_CONVENTION,     /* --convention and the choices after it, */
	CLI_OPT_EDGES,          /* in the order of calib_convention_choices */
	CLI_OPT_CLOSURE,
	CLI_OPT_TOP,
	CLI_OPT_ARITH,
	CLI_OPT_MASS_LAYOUT,
	CLI_OPT_CLIP,
	CLI_OPT_CONV_NLL_CLIP,  /* no option: --nll-clip stays the metric's */
	CLI_OPT_NLL_RENORM,
	CLI_OPT_BRIER,
	CLI_OPT_SMECE_SIGMA,
	CLI_OPT_TACE_THRESHOLD,
	CLI_OPT_TEST_RESAMPLES,
	CLI_OPT_TEST_SEED,
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
	{ "threads", required_argument, NULL, CLI_OPT_THREADS }, \
	{ "quiet", no_argument, NULL, CLI_OPT_QUIET }, \
	{ "progress", no_argument, NULL, CLI_OPT_PROGRESS }, \
	{ "labels", required_argument, NULL, CLI_OPT_LABELS_FILE }, \
	{ "weights", required_argument, NULL, CLI_OPT_WEIGHTS_FILE }, \
	{ "scores-key", required_argument, NULL, CLI_OPT_SCORES_KEY }, \
	{ "labels-key", required_argument, NULL, CLI_OPT_LABELS_KEY }, \
	{ "weights-key", required_argument, NULL, CLI_OPT_WEIGHTS_KEY }, \
	{ "classes", required_argument, NULL, CLI_OPT_CLASSES }, \
	{ "classes-file", required_argument, NULL, CLI_OPT_CLASSES_FILE }, \
	{ "positive", required_argument, NULL, CLI_OPT_POSITIVE }, \
	{ "ignore-label", required_argument, NULL, CLI_OPT_IGNORE_LABEL }, \
	{ "id-col", required_argument, NULL, CLI_OPT_ID_COL }, \
	{ "index-col", required_argument, NULL, CLI_OPT_ID_COL }, \
	{ "ignore-col", required_argument, NULL, CLI_OPT_IGNORE_COL }, \
	{ "confidence-col", required_argument, NULL, CLI_OPT_CONFIDENCE_COL }, \
	{ "correct-col", required_argument, NULL, CLI_OPT_CORRECT_COL }, \
	{ "max-record-bytes", required_argument, NULL, CLI_OPT_MAX_RECORD }

/* --convention and its individual choices (see calib_convention). */
#define CLI_CONVENTION_LONGOPTS \
	{ "convention", required_argument, NULL, CLI_OPT_CONVENTION }, \
	{ "edges", required_argument, NULL, CLI_OPT_EDGES }, \
	{ "closure", required_argument, NULL, CLI_OPT_CLOSURE }, \
	{ "top", required_argument, NULL, CLI_OPT_TOP }, \
	{ "arith", required_argument, NULL, CLI_OPT_ARITH }, \
	{ "mass-layout", required_argument, NULL, CLI_OPT_MASS_LAYOUT }, \
	{ "clip", required_argument, NULL, CLI_OPT_CLIP }, \
	{ "nll-renorm", no_argument, NULL, CLI_OPT_NLL_RENORM }, \
	{ "brier", required_argument, NULL, CLI_OPT_BRIER }

#define CLI_METRIC_LONGOPTS \
	{ "bins", required_argument, NULL, CLI_OPT_BINS }, \
	{ "binning", required_argument, NULL, CLI_OPT_BINNING }, \
	{ "nll-clip", required_argument, NULL, CLI_OPT_NLL_CLIP }, \
	{ "metrics", required_argument, NULL, CLI_OPT_METRICS }, \
	{ "smece-sigma", required_argument, NULL, CLI_OPT_SMECE_SIGMA }, \
	{ "tace-threshold", required_argument, NULL, CLI_OPT_TACE_THRESHOLD }, \
	{ "test-resamples", required_argument, NULL, CLI_OPT_TEST_RESAMPLES }, \
	{ "test-seed", required_argument, NULL, CLI_OPT_TEST_SEED }, \
	CLI_CONVENTION_LONGOPTS

/* Help text for the shared options, for each subcommand's --help. */
extern const char cli_read_help[];
extern const char cli_read_help_fit[];
extern const char cli_metric_help[];
/* The convention options; cli_metric_help and cli_table_help end with it. */
#define CLI_CONVENTION_HELP \
"Conventions (reproduce another library's binning and arithmetic):\n" \
"  --convention NAME     calib (default: exact edges, (lo,hi]),\n" \
"                        torchmetrics, netcal, sklearn, relplot, kumar\n" \
"                        or tfp; 'calib explain' shows how they differ\n" \
"  --edges E             exact, i/M, linspace, linspace32, floor or\n" \
"                        floor-width\n" \
"  --closure C           right ((lo,hi]) or left ([lo,hi))\n" \
"  --top T               where a score at the top edge goes: last bin\n" \
"                        or an extra bin\n" \
"  --arith A             double or float32\n" \
"  --mass-layout L       equal-mass bins: calib, array-split, midpoint\n" \
"                        or percentile\n" \
"  --clip EPS            clip scores into [EPS, 1-EPS] before binning\n" \
"  --nll-renorm          NLL: divide each (clipped) row by its sum\n" \
"  --brier sum|binary    binary: (p - y)^2 for 2-class files\n"

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
	/* --metrics was given (r->mo.select holds it) */
	int metrics_set;
	/* --classes / --classes-file names and --ignore-col patterns; the
	 * strings live until exit (cli_read_option keeps them). */
	const char **classes;
	int nclasses;
	const char **ignore_cols;
	int nignore_cols;
	/* --convention and the choices set one by one (kept so that a later
	 * --convention does not undo them).  mo.convention points at conv
	 * once any of them is given, so a cli_read must not be copied
	 * after parsing. */
	calib_convention conv;
	const char *conv_hand[16];
	/* CLI_GIVEN_* bits: options given on the command line, which a
	 * summary's own settings must then match. */
	unsigned given;
	/* Poisson bootstrap replicates a summary keeps (summarize
	 * --bootstrap; check on files in calib-mpi). */
	calib_summary_options so;
};

enum {
	CLI_GIVEN_BINS = 0x1,
	CLI_GIVEN_BINNING = 0x2,
	CLI_GIVEN_NLL_CLIP = 0x4,
	CLI_GIVEN_TEMPERATURE = 0x8,
	CLI_GIVEN_CALIBRATE = 0x10,
	CLI_GIVEN_SUM_TOL = 0x20,
	CLI_GIVEN_RENORMALIZE = 0x40,
	CLI_GIVEN_KIND = 0x80
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
/* The read options every read of r shares, from r->ro into *ro: the label
 * and weight files and the model noted as inputs (never written over by
 * -o), --calibrate's model loaded (*model, for the caller to free after the
 * read) and --binary positive's target.  -1 after printing why. */
int cli_read_setup(const struct cli_read *r, calib_read_options *ro,
    calib_model **model);
/* The reader's warnings and notes about p, read with ro (ties,
 * renormalised and dropped rows, top-label-only input, an index column). */
void cli_read_notes(const calib_preds *p, const calib_read_options *ro);

/* ---- summaries (summary.c) ------------------------------------------ */

/*
 * Summaries of n prediction files, one per file, read with ro and mo:
 * calib_summarize() on each in turn, or in calib-mpi the files and byte
 * ranges of large files spread over the ranks and gathered, so every rank
 * gets every summary.  Returns -1 when all succeeded, else the index of the
 * first file that failed, with err filled (on rank 0 in calib-mpi); out[i]
 * is NULL from there on.
 */
int cli_read_summaries(char *const *paths, int n,
    const calib_read_options *ro, const calib_metric_options *mo,
    const calib_summary_options *so, calib_summary **out, calib_error *err);
/* "multinomial" or "poisson" into *m; -1 after a usage error. */
int cli_parse_boot_method(const char *cmd, const char *arg,
    calib_bootstrap_method *m);

/* 1 when path is a summary file (by its first bytes); "-" never is. */
int cli_is_summary(const char *path);
/*
 * Summarize one prediction file with the shared options (the streaming
 * read: no row is kept), printing the reader's warnings.  NULL after
 * printing the error.
 */
calib_summary *cli_summarize(const char *path, const struct cli_read *r);
/* The same for several files, merged in order into one summary, as
 * calib summarize does (a mismatch names both files). */
calib_summary *cli_summarize_files(char *const *paths, int n,
    const struct cli_read *r);
/*
 * Load a summary for cmd and reconcile r with it: options not given take
 * the summary's values (bins, NLL clip, target), options given must match
 * it.  target_given: the command chose a target (--class).  Prints its
 * warnings like cli_read_preds().  NULL after printing why.
 */
calib_summary *cli_load_summary(const char *cmd, const char *path,
    struct cli_read *r, int target_given);
/* A summary's rows must hold a positive weight before any metric is read
 * from it, as a file's must; 0 or -1 after printing why. */
int cli_summary_check_rows(const calib_summary *s);
/* Write s to path ("-" or NULL: standard output, refused on a terminal)
 * atomically; CLI_OK or CLI_ERROR after printing why. */
int cli_summary_write(const calib_summary *s, const char *path);
/* A calib_preds without rows describing s, for the table writers.
 * Release with calib_preds_free(); NULL when out of memory. */
calib_preds *cli_summary_shell(const calib_summary *s);

/*
 * Progress of a long resampling on stderr: only when stderr is a terminal,
 * not --quiet, and the work has run for more than 2 seconds.  Pass
 * cli_boot_progress as calib_bootstrap_options.progress with a struct
 * cli_boot_progress as its context; cli_boot_progress_end() clears the
 * line.
 */
struct cli_boot_progress {
	const char *what;      /* "bootstrap" */
	int quiet;
	double start;          /* monotonic seconds */
	int shown;
};
void cli_boot_progress_init(struct cli_boot_progress *pg, const char *what, int quiet);
void cli_boot_progress(void *ctx, int done, int total);
void cli_boot_progress_end(struct cli_boot_progress *pg);

/* The keep bits a read for the metrics in set needs
 * (calib_metric_read_keep()). */
unsigned cli_metric_keep(calib_metric_set set);
/*
 * The settings behind a file's numbers, kept after the predictions are
 * freed, for every machine-readable output: target, binary meaning,
 * temperature, calibrated, nll_clip, sum_tol, renormalized_rows,
 * dropped_rows, scores (logits or probs) and the input format.
 */
struct cli_settings {
	char target[32];          /* top-label, positive, class K */
	const char *binary;       /* top-label, positive, or NULL (K > 2) */
	double temperature;
	int calibrated;
	double nll_clip, sum_tol;
	size_t renormalized_rows, dropped_rows;
	const char *scores;       /* logits or probs */
	const char *format;       /* csv, npy, npz */
};

/* nll_clip: NaN where no NLL is reported (bin tables). */
void cli_settings_get(struct cli_settings *s, const calib_preds *p,
    double nll_clip);
/* As members of w's open object; omit is a mask of CLI_SET_* keys the
 * output already has. */
enum { CLI_SET_TARGET = 1, CLI_SET_TEMPERATURE = 2 };
struct jw;
void cli_settings_json(struct jw *w, const struct cli_settings *s,
    unsigned omit);
/* CSV/TSV header names and values, each preceded by delim. */
void cli_settings_header(FILE *fp, char delim);
void cli_settings_fields(FILE *fp, const struct cli_settings *s, char delim);
/* Members of w's open object for the reports: "convention": NAME and,
 * when choices were set by hand (calib_convention.hand),
 * "convention_choices": {...} with each of them; c NULL means calib. */
void cli_json_convention(struct jw *w, const calib_convention *c);
/* One line for text headers: "NAME" or "NAME, edges=linspace, ..." */
void cli_convention_text(char *buf, size_t size, const calib_convention *c);

/* Text describing the target of p, e.g. "top-label" or "positive class (p vs. fraction of 1s)". */
const char *cli_target_text(const calib_preds *p);

/* ---- output.c: output files, cleanup on signals, untrusted text ---- */

/*
 * Every file calib writes goes through cli_out.  A regular file (or a name
 * not yet taken) is written to a temporary name in the directory of the
 * file it names - symbolic links followed, so the link survives - and
 * renamed over it only when complete, so a failure never leaves a
 * half-written file.  Anything else (a device such as /dev/null or
 * /dev/full, a FIFO, /dev/stdout, a process substitution) is opened and
 * written in place, with write errors reported.  A path that is one of the
 * inputs (cli_note_input) is refused.  "-" or NULL means standard output.
 * The temporary file is removed if SIGINT, SIGTERM or SIGHUP ends calib.
 */
struct cli_out {
	FILE *fp;
	char *path;   /* as given, for messages */
	char *tmp;    /* temporary file, NULL when written in place */
	char *target; /* what tmp is renamed to */
};

int cli_out_open(struct cli_out *o, const char *path);
/* Flush, close and rename; returns 0 or -1 after printing the error. */
int cli_out_commit(struct cli_out *o);
/* Close and remove the temporary file. */
void cli_out_abort(struct cli_out *o);
/* 1 when the output goes to a temporary file renamed at commit. */
int cli_out_is_file(const struct cli_out *o);

/* Remember an input file (by device and inode), so no output replaces it. */
void cli_note_input(const char *path);
/* The noted input that path names, or NULL. */
const char *cli_input_at(const char *path);

/*
 * Files and directories to remove if SIGINT, SIGTERM or SIGHUP ends calib
 * (the handler then re-raises the signal); directories are removed after
 * files, so a directory's files must be registered too.  A child process
 * (gnuplot) set with cli_cleanup_child() is sent SIGTERM first.  Signals
 * ignored at start-up stay ignored.
 */
int cli_cleanup_add(const char *path, int is_dir);
void cli_cleanup_remove(const char *path);
void cli_cleanup_child(pid_t pid);

/* Untrusted text (names from files) on the terminal, escaped by the
 * library's one rule, calib_escape_text(). */
void cli_put_text(FILE *fp, const char *s);
/* 1 if cli_put_text() would change s. */
int cli_has_control(const char *s);
/* The length of the valid UTF-8 sequence at s, or 0 if none starts there. */
size_t cli_utf8_len(const char *s);
/* Bytes that were not UTF-8 replaced by U+FFFD in a report; the count is
 * reported (and reset) by cli_out_commit() as a warning. */
void cli_replaced_add(size_t n);
size_t cli_replaced_take(void);
/* The one CSV field writer: pre (a fixed prefix such as "p_", or "")
 * then s, quoted (RFC 4180: the field in '"', each '"' doubled) when s
 * holds delim, a double quote or a line end. */
void cli_csv_field(FILE *fp, const char *pre, const char *s, char delim);
/* s in single quotes for a POSIX shell (malloc'd; NULL if out of memory). */
char *cli_shell_quote(const char *s);

/* Numbers for machine-readable output: the shortest text that reads back
 * as the same double; "null" for NaN and infinities.  JSON goes through
 * json-writer.h, which uses this rule and escapes strings. */
void cli_fmt_number(char *buf, size_t size, double v);
/* A run's name from its file: "runs/hard.csv.gz" -> "hard" ("standard
 * input" for "-"); malloc'd, NULL when out of memory. */
char *cli_file_stem(const char *path);

/* ---- reliability tables (table.c): bins, diagram and hist ---------- */

/* Option codes of the table and plot options; below CLI_OPT_CMD_BASE. */
enum {
	CLI_OPT_TABLE_BASE = 1050,
	CLI_OPT_CI,
	CLI_OPT_CI_LEVEL,
	CLI_OPT_BAND,
	CLI_OPT_RESAMPLES,
	CLI_OPT_SEED,
	CLI_OPT_CLASS,
	CLI_OPT_GNUPLOT = 1080,
	CLI_OPT_SIZE,
	CLI_OPT_TITLE,
	CLI_OPT_STYLE,
	CLI_OPT_NO_LEGEND,
	CLI_OPT_NO_COUNTS,
	CLI_OPT_NO_INTERVALS,
	CLI_OPT_FONT,
	CLI_OPT_FONTSCALE
};

/* --bins and --binning (no --nll-clip: tables have no NLL) and the
 * interval and band options. */
#define CLI_TABLE_LONGOPTS \
	{ "bins", required_argument, NULL, CLI_OPT_BINS }, \
	{ "binning", required_argument, NULL, CLI_OPT_BINNING }, \
	{ "class", required_argument, NULL, CLI_OPT_CLASS }, \
	{ "ci", required_argument, NULL, CLI_OPT_CI }, \
	{ "ci-level", required_argument, NULL, CLI_OPT_CI_LEVEL }, \
	{ "band", required_argument, NULL, CLI_OPT_BAND }, \
	{ "resamples", required_argument, NULL, CLI_OPT_RESAMPLES }, \
	{ "seed", required_argument, NULL, CLI_OPT_SEED }, \
	CLI_CONVENTION_LONGOPTS

extern const char cli_table_help[];
extern const char cli_table_help_hist[];

struct cli_table {
	struct cli_read r;           /* reading options */
	calib_reliability_options o; /* bins, interval, band */
	int cls;                     /* --class, or -1 for top-label */
	const char *cls_name;        /* --class NAME, resolved on reading */
};

void cli_table_init(struct cli_table *t);
/* Handle a table or reading option: 1 handled, 0 not ours, -1 bad value
 * (usage error printed). */
int cli_table_option(const char *cmd, int opt, const char *arg,
    struct cli_table *t);
/*
 * Read path and compute its table.  Returns CLI_OK with *p and *rel to
 * release, or CLI_ERROR after printing why.
 */
int cli_table_compute(const char *cmd, const char *path, struct cli_table *t,
    calib_preds **p, calib_reliability *rel);

/* Whole-table numbers: ECE, MCE and OE of the table, and the weighted
 * means of the conf and acc columns. */
struct cli_table_summary {
	double ece, mce, oe, confidence, accuracy;
};
void cli_table_summary(const calib_reliability *rel,
    struct cli_table_summary *s);
/* "top-label", "binary top-label", "binary positive" or "class K ('name')
 * vs rest"; buf holds the last. */
const char *cli_table_target(const calib_preds *p, char *buf, size_t size);
const char *cli_table_interval_name(const calib_reliability *rel);
const char *cli_table_band_name(const calib_reliability *rel);

enum { CLI_TABLE_TEXT, CLI_TABLE_CSV, CLI_TABLE_TSV, CLI_TABLE_JSON };
/* "text", "csv", "tsv", "json" -> CLI_TABLE_*, or -1. */
int cli_table_format_parse(const char *s);
/* The format a file name asks for: .csv, .tsv, .json, anything else text. */
int cli_table_format_for(const char *path);
/* Write the table; file is the input's name as given. */
void cli_table_write(FILE *fp, int fmt, const char *file,
    const calib_preds *p, const calib_reliability *rel);
/* Write it atomically to path ("-" or NULL: stdout); CLI_OK or CLI_ERROR. */
int cli_table_save(const char *path, int fmt, const char *file,
    const calib_preds *p, const calib_reliability *rel);

/*
 * A curve in place of the bins (calib bins --smooth, --corp): named
 * columns of doubles, a few named whole-table numbers, and comment lines
 * for the text format.  Written in the same four formats as the table.
 */
struct cli_curve {
	const char *kind;            /* "smooth", "corp" */
	int ncols;
	const char *colname[8];
	const double *col[8];
	size_t rows;
	int nvals;
	const char *valname[8];
	double val[8];
	const char *note[4];         /* text-format comment lines, or NULL */
};
void cli_curve_write(FILE *fp, int fmt, const char *file,
    const calib_preds *p, const struct cli_curve *c);
int cli_curve_save(const char *path, int fmt, const char *file,
    const calib_preds *p, const struct cli_curve *c);
/*
 * calib bins --smooth and --corp, and the data of calib diagram's
 * --smooth and --corp: compute the curve of p and write it to fp, or when
 * fp is NULL save it to path (NULL: standard output).  The smooth curve's
 * smooth ECE and kernel width come back in *smece_out, *sigma_out when not
 * NULL.  CLI_OK or CLI_ERROR (message printed).
 */
int cli_smooth_curve_emit(FILE *fp, const char *path, int fmt,
    const char *file, const calib_preds *p, double sigma, int points,
    double *smece_out, double *sigma_out);
int cli_corp_curve_emit(FILE *fp, const char *path, int fmt,
    const char *file, const calib_preds *p);

/* ---- figures with gnuplot (plot.c) ---------------------------------- */

/*
 * A figure is one of the scripts in plots/ run by gnuplot on data files
 * calib writes.  The script reads its inputs from gnuplot variables:
 *   term      'pngcairo', 'svg' or 'pdfcairo' (from the output's extension)
 *   width, height   the size: pixels, or points for PDF (only when --size
 *             was given; the script has defaults)
 *   outfile   where to write; '' means standard output
 * plus the data files and values the command sets below.
 *
 * To render, calib makes a private directory (mkdtemp under $TMPDIR),
 * writes the data files and a file of variable assignments there, and runs
 *   gnuplot -d vars.gp SCRIPT
 * with fork and execvp (no shell), its working directory that private
 * directory, its standard output the temporary file that becomes the
 * figure, and its standard error captured.  So no name the user gave
 * reaches gnuplot's command line or its parser: data files are referred to
 * by fixed names, the figure is gnuplot's standard output, and strings
 * such as --title are written as single-quoted gnuplot literals, the one
 * string form in which gnuplot expands neither backquotes nor macros.  -d
 * skips ~/.gnuplot, so figures do not depend on who draws them.  The figure
 * is renamed into place only when gnuplot exits with status 0 and wrote
 * something.
 *
 * When gnuplot cannot be run or fails, the data files and a self-contained
 * script (the assignments followed by the script's text) are written next
 * to the figure as STEM-TAG.csv and STEM.gp (STEM: the figure's name
 * without its extension), so `gnuplot STEM.gp` in that directory renders
 * it later; the result is CLI_NO_RENDER.
 *
 * Several inputs (calib compare): one cli_plot_data() per file, as data1,
 * data2, ..., with a count set by cli_plot_set_number(pl, "ndata", n); the
 * script loops with  do for [i = 1:ndata] { f = value(sprintf("data%d", i))
 * ... }.  Labels for them can be passed the same way.
 *
 * Scripts are found in the first of: $CALIB_PLOTS_DIR; the source tree's
 * plots/ when this calib binary lies in its build tree; the installed
 * $(pkgdatadir).
 */
struct cli_plot;

/* The options every figure command shares. */
struct cli_plot_opts {
	const char *gnuplot; /* --gnuplot, default CALIB_GNUPLOT */
	int width, height;   /* --size WxH; 0 = the script's default */
	const char *title;   /* --title, or NULL */
	const char *style;   /* --style bars|points|line, or NULL: by binning */
	int legend;          /* 0 after --no-legend */
	int counts;          /* 0 after --no-counts */
	int intervals;       /* 0 after --no-intervals */
	char font[64];       /* --font NAME[,SIZE]: the name, "" for default */
	double fontsize;     /* --font's SIZE in points, 0 for by figure size */
	double fontscale;    /* --fontscale, default 1 */
	int keep;            /* 1 (default): without gnuplot, keep the data
	                      * and a script next to the figure */
	int smooth, corp;    /* calib diagram --smooth, --corp: draw the
	                      * curve of calib bins --smooth/--corp too */
};

#define CLI_PLOT_LONGOPTS \
	{ "gnuplot", required_argument, NULL, CLI_OPT_GNUPLOT }, \
	{ "size", required_argument, NULL, CLI_OPT_SIZE }, \
	{ "title", required_argument, NULL, CLI_OPT_TITLE }, \
	{ "style", required_argument, NULL, CLI_OPT_STYLE }, \
	{ "no-legend", no_argument, NULL, CLI_OPT_NO_LEGEND }, \
	{ "no-counts", no_argument, NULL, CLI_OPT_NO_COUNTS }, \
	{ "no-intervals", no_argument, NULL, CLI_OPT_NO_INTERVALS }, \
	{ "font", required_argument, NULL, CLI_OPT_FONT }, \
	{ "fontscale", required_argument, NULL, CLI_OPT_FONTSCALE }

/* The help for -o, --size, --title and --gnuplot, then for the options
 * that restyle a figure (cli_plot_style_help). */
extern const char cli_plot_help[];
extern const char cli_plot_style_help[];

void cli_plot_opts_init(struct cli_plot_opts *po);
/* 1 handled, 0 not a plot option, -1 bad value (usage error printed). */
int cli_plot_option(const char *cmd, int opt, const char *arg,
    struct cli_plot_opts *po);
/* The gnuplot terminal for a figure name: "pngcairo" (.png), "svg" (.svg),
 * "pdfcairo" (.pdf), "cairolatex" (.tex), any case; NULL for anything
 * else. */
const char *cli_plot_terminal(const char *output);
/* The directory the scripts are taken from, by the rule above (static
 * storage). */
const char *cli_plot_dir(void);

/*
 * Start a figure drawn by script (a file name in the plots directory,
 * e.g. "reliability.gp") into output.  Returns NULL after printing why
 * (an unknown extension, no temporary directory).
 */
struct cli_plot *cli_plot_new(const char *script, const char *output);
/*
 * A data file the script reads through the variable var (an identifier).
 * tag names the copy kept when rendering fails (STEM-tag.csv).  The stream
 * belongs to the plot; write it and leave it open.  NULL on failure.
 */
FILE *cli_plot_data(struct cli_plot *pl, const char *var, const char *tag);
/* Variables for the script: a string (any bytes; control characters are
 * passed as octal escapes) or a number (NaN for a missing one). */
int cli_plot_set_string(struct cli_plot *pl, const char *var,
    const char *value);
int cli_plot_set_number(struct cli_plot *pl, const char *var, double v);
/* A file that must never be overwritten by the kept copies (the input). */
void cli_plot_protect(struct cli_plot *pl, const char *path);
/* Render: CLI_OK, CLI_NO_RENDER (gnuplot missing or failed; the data and
 * script were kept, as the message says) or CLI_ERROR. */
int cli_plot_render(struct cli_plot *pl, const struct cli_plot_opts *po);
/* Remove the private directory and free; accepts NULL. */
void cli_plot_free(struct cli_plot *pl);

/*
 * Draw script (e.g. "reliability.gp") from the table of input into output,
 * writing the table to `table` too when it is not NULL (format from its
 * extension).  The script gets the table as datafile and the variables
 * title, n, ece, mce, oe, accuracy, confidence, level, interval, band,
 * binning, logcount, xlabel, ylabel, acclabel and conflabel.  Returns CLI_OK,
 * CLI_NO_RENDER or CLI_ERROR.
 */
int cli_table_figure(const char *cmd, const char *script, const char *input,
    const char *output, const char *table, struct cli_table *t,
    const struct cli_plot_opts *po, int log_count);

/*
 * calib diagram --per-class: one-vs-rest diagrams of every class (at most
 * 25: the worst-calibrated by ECE when there are more) in a grid drawn by
 * plots/per-class.gp.  Returns CLI_OK, CLI_NO_RENDER or CLI_ERROR.
 */
int cli_per_class_figure(const char *cmd, const char *input,
    const char *output, struct cli_table *t, const struct cli_plot_opts *po);

/*
 * Run a figure command (calib diagram, calib hist): parse the figure,
 * table and reading options, then draw script from the one input file.
 */
int cli_figure_command(int argc, char **argv, const char *cmd,
    const char *script, void (*usage)(FILE *));

#endif /* CALIB_CLI_H */
