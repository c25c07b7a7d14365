/*
 * summary.c - what the subcommands share to read, write and check
 * mergeable summaries (calib summarize, merge, and every command that
 * accepts a summary where it accepts a prediction file).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_is_summary(const char *path)
{
	return calib_summary_sniff(path);
}

static void
warn_counts(const calib_summary_info *in, double sum_tol)
{
	if (in->tied_rows > 0)
		cli_warn("%s: %llu row%s a maximum score shared by several "
		    "classes; the lowest class index was taken as the "
		    "prediction", in->source, (unsigned long long)in->tied_rows,
		    in->tied_rows == 1 ? " has" : "s have");
	if (in->renormalized_rows > 0)
		cli_warn("%s: %llu row%s not sum to 1 within %g and %s divided "
		    "by %s sum (--renormalize)", in->source,
		    (unsigned long long)in->renormalized_rows,
		    in->renormalized_rows == 1 ? " did" : "s did", sum_tol,
		    in->renormalized_rows == 1 ? "was" : "were",
		    in->renormalized_rows == 1 ? "its" : "their");
}

#ifndef CALIB_MPI
int
cli_read_summaries(char *const *paths, int n, const calib_read_options *ro,
    const calib_metric_options *mo, const calib_summary_options *so,
    calib_summary **out, calib_error *err)
{
	calib_summary_options o = *so;
	calib_summary_info in;
	int i;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	/* The files are one concatenation: each starts where the last
	 * ended, which the Poisson replicate counts depend on. */
	for (i = 0; i < n; i++) {
		if (calib_summarize_ext(paths[i], ro, mo, &o, &out[i], err) !=
		    CALIB_OK)
			return i;
		calib_summary_get_info(out[i], &in);
		o.first_row += in.n;
	}
	return -1;
}
#endif

calib_summary *
cli_summarize(const char *path, const struct cli_read *r)
{
	return cli_summarize_files((char *const *)&path, 1, r);
}

calib_summary *
cli_summarize_files(char *const *paths, int n, const struct cli_read *r)
{
	calib_read_options ro;
	calib_summary *s = NULL, **each;
	calib_summary_info in;
	calib_model *model = NULL;
	calib_error err;
	int i, failed;

	/* Never written over by -o (see cli_out_open). */
	for (i = 0; i < n; i++)
		cli_note_input(paths[i]);
	if (cli_read_setup(r, &ro, &model) != 0)
		return NULL;
	if ((each = calloc((size_t)n, sizeof(*each))) == NULL) {
		calib_model_free(model);
		cli_error("out of memory");
		return NULL;
	}
	memset(&err, 0, sizeof(err));
	{
		char what[600];
		if (n == 1)
			snprintf(what, sizeof(what), "reading %s", paths[0]);
		else
			snprintf(what, sizeof(what), "reading %d files", n);
		cli_progress_begin(what);
		failed = cli_read_summaries(paths, n, &ro, &r->mo, &r->so,
		    each, &err);
		cli_progress_end();
	}
	calib_model_free(model);
	/* In file order, as one process reading them in turn would: each
	 * file's warnings, then its merge, up to the first failure. */
	for (i = 0; i < n; i++) {
		if (i == failed) {
			cli_lib_error(&err);
			break;
		}
		calib_summary_get_info(each[i], &in);
		if (r->binary == CLI_BINARY_POSITIVE && in.k != 2) {
			cli_error("%s: --binary positive needs a 2-class file, "
			    "this one has %d classes", in.source, in.k);
			break;
		}
		{
			calib_preds *shell = cli_summary_shell(each[i]);
			if (shell == NULL) {
				cli_error("out of memory");
				break;
			}
			cli_read_notes(shell, &ro);
			calib_preds_free(shell);
		}
		if (s == NULL) {
			s = each[i];
			each[i] = NULL;
		} else if (calib_summary_merge(s, each[i], &err) != CALIB_OK) {
			cli_lib_error(&err);
			break;
		}
	}
	if (i < n) {
		calib_summary_free(s);
		s = NULL;
	}
	for (i = 0; i < n; i++)
		calib_summary_free(each[i]);
	free(each);
	return s;
}

calib_summary *
cli_load_summary(const char *cmd, const char *path, struct cli_read *r,
    int target_given)
{
	calib_summary *s = NULL;
	calib_summary_info in;
	calib_error err;
	const char *what = NULL;
	char a[64], b[64];

	cli_note_input(path);
	if (calib_summary_load(path, &s, &err) != CALIB_OK) {
		cli_lib_error(&err);
		return NULL;
	}
	calib_summary_get_info(s, &in);
	a[0] = b[0] = '\0';
	if ((r->given & CLI_GIVEN_BINNING) &&
	    r->mo.binning != CALIB_BIN_WIDTH) {
		cli_error("%s: %s: equal-mass bins do not merge: a summary "
		    "keeps sums for equal-width bins only (run on the "
		    "prediction files, or use --binning width)", cmd, path);
		calib_summary_free(s);
		return NULL;
	}
	if ((r->given & CLI_GIVEN_BINS) && r->mo.bins != in.bins) {
		what = "--bins";
		snprintf(a, sizeof(a), "%d", r->mo.bins);
		snprintf(b, sizeof(b), "%d", in.bins);
	} else if ((r->given & CLI_GIVEN_NLL_CLIP) &&
	    r->mo.nll_clip != in.nll_clip) {
		what = "--nll-clip";
		snprintf(a, sizeof(a), "%g", r->mo.nll_clip);
		snprintf(b, sizeof(b), "%g", in.nll_clip);
	} else if ((r->given & CLI_GIVEN_TEMPERATURE) &&
	    r->ro.temperature != in.temperature) {
		what = "--temperature";
		snprintf(a, sizeof(a), "%g", r->ro.temperature);
		snprintf(b, sizeof(b), "%g", in.temperature);
	} else if ((r->given & CLI_GIVEN_CALIBRATE) && !in.calibrated) {
		what = "--calibrate";
		snprintf(a, sizeof(a), "a model");
		snprintf(b, sizeof(b), "none");
	}
	if (what == NULL && r->binary_set) {
		int want = r->binary == CLI_BINARY_POSITIVE ? 1 :
		    CALIB_TARGET_TOP;
		if (in.k == 2 && want != in.target) {
			what = "--binary";
			snprintf(a, sizeof(a), "%s", r->binary ==
			    CLI_BINARY_POSITIVE ? "positive" : "top-label");
			snprintf(b, sizeof(b), "%s", in.target == 1 ?
			    "positive" : "top-label");
		}
	}
	if (what == NULL && target_given && r->ro.target != in.target) {
		what = "--class";
		snprintf(a, sizeof(a), "%d", r->ro.target);
		if (in.target == CALIB_TARGET_TOP)
			snprintf(b, sizeof(b), "top-label");
		else
			snprintf(b, sizeof(b), "%d", in.target);
	}
	if (what != NULL) {
		cli_error("%s: %s: %s %s asked for, but the summary was made "
		    "with %s (summarize again with the same options)", cmd,
		    path, what, a, b);
		calib_summary_free(s);
		return NULL;
	}
	/* Options not given follow the summary. */
	r->mo.bins = in.bins;
	r->mo.binning = CALIB_BIN_WIDTH;
	r->mo.nll_clip = in.nll_clip;
	r->ro.temperature = in.temperature;
	r->ro.target = in.target;
	warn_counts(&in, r->ro.sum_tol);
	return s;
}

int
cli_summary_check_rows(const calib_summary *s)
{
	calib_summary_info in;

	calib_summary_get_info(s, &in);
	if (in.n == 0) {
		cli_error("%s: the summary holds no rows (expected one row per "
		    "example in the files it summarizes)", in.source);
		return -1;
	}
	if (!(in.total_weight > 0)) {
		cli_error("%s: all weights are zero (expected a positive total "
		    "weight)", in.source);
		return -1;
	}
	if (isinf(in.total_weight)) {
		cli_error("%s: the weights add up to more than the largest "
		    "double (about 1.8e308; expected a finite total weight: "
		    "scale the weights down)", in.source);
		return -1;
	}
	return 0;
}

static char *
dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

calib_preds *
cli_summary_shell(const calib_summary *s)
{
	calib_summary_info in;
	calib_preds *p = calloc(1, sizeof(*p));
	int c;

	if (p == NULL)
		return NULL;
	calib_summary_get_info(s, &in);
	p->source = dup_str(in.source);
	p->class_names = calloc((size_t)in.k, sizeof(char *));
	if (p->source == NULL || p->class_names == NULL) {
		calib_preds_free(p);
		return NULL;
	}
	p->k = in.k;
	for (c = 0; c < in.k; c++)
		if ((p->class_names[c] = dup_str(in.class_names[c])) == NULL) {
			calib_preds_free(p);
			return NULL;
		}
	p->n = (size_t)in.n;
	p->kind = in.kind;
	p->single_column = in.single_column;
	p->target = in.target;
	p->temperature = in.temperature;
	p->calibrated = in.calibrated;
	p->total_weight = in.total_weight;
	p->tied_rows = (size_t)in.tied_rows;
	p->sum_tol = in.sum_tol;
	p->dropped_rows = (size_t)in.dropped_rows;
	p->format = in.format;
	p->top_only = in.top_only;
	p->index_column = in.index_column;
	p->renormalized_rows = (size_t)in.renormalized_rows;
	p->zero_prob_rows = (size_t)in.zero_prob_rows;
	return p;
}
