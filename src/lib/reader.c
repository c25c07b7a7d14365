/*
 * reader.c - prediction files to validated calib_preds: options, the
 * choice of format, and the result every format reader builds.
 *
 * calib_read() opens the input and picks the reader from the first bytes
 * (never from the file name): see pick_format().  Each reader feeds its
 * rows through ci_row_finish() (row.c) into a ci_rows and ends with
 * ci_preds_finish(); calib_preds_from_arrays() does the same from memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "internal.h"
#include "reader.h"
#include "summary.h"

/* ---- options ------------------------------------------------------ */

void
calib_read_options_init(calib_read_options *o)
{
	memset(o, 0, sizeof(*o));
	o->delimiter = 0;
	o->label_col = "label";
	o->weight_col = "weight";
	o->score_col = NULL;
	o->kind = CALIB_SCORES_AUTO;
	o->sum_tol = 1e-4;
	o->renormalize = 0;
	o->temperature = 1.0;
	o->target = CALIB_TARGET_TOP;
	o->keep = 0;
	o->classwise_bins = 15;
	o->threads = 0;
	o->reference_parser = 0;
}

static calib_status
check_options(const calib_read_options *o, calib_error *err)
{
	if (!(o->temperature > 0) || isinf(o->temperature))
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "temperature must be a finite number > 0");
	if (!(o->sum_tol >= 0) || isinf(o->sum_tol))
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "sum tolerance must be a finite number >= 0");
	if (o->classwise_bins < 0 || o->threads < 0)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "bin and thread counts must be >= 0");
	if (o->target < CALIB_TARGET_TOP)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "target class must be >= 0");
	if (o->delimiter == '"' || o->delimiter == '\n' ||
	    o->delimiter == '\r')
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "a quote or line end cannot be the delimiter");
	if (o->label_col == NULL || o->weight_col == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "label and weight column names must be set");
	if (o->calibrate != NULL && o->temperature != 1)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "a temperature and a calibration model cannot be combined "
		    "(the model replaces the temperature)");
	return CALIB_OK;
}

/* ---- the result --------------------------------------------------- */

static void
preds_free_arrays(calib_preds *p)
{
	free(p->score);
	free(p->outcome);
	free(p->label);
	free(p->pred);
	free(p->weight);
	free(p->nll);
	free(p->brier);
	free(p->entropy);
	free(p->probs);
	free(p->logits);
}

void
calib_preds_free(calib_preds *p)
{
	int i;

	if (p == NULL)
		return;
	preds_free_arrays(p);
	ci_classwise_free(&p->classwise);
	if (p->class_names != NULL)
		for (i = 0; i < p->k; i++)
			free(p->class_names[i]);
	free(p->class_names);
	free(p->source);
	free(p);
}


int
ci_grow(void **a, size_t cap, size_t elem)
{
	void *q = realloc(*a, cap * elem);

	if (q == NULL)
		return -1;
	*a = q;
	return 0;
}

int
ci_rows_reserve(ci_rows *r, size_t need, int k, int has_w, int kp, int kl)
{
	size_t cap;

	if (need <= r->cap)
		return 0;
	cap = r->cap ? r->cap : 1024;
	while (cap < need)
		cap *= 2;
	if (ci_grow((void **)&r->score, cap, sizeof(double)) ||
	    ci_grow((void **)&r->outcome, cap, 1) ||
	    ci_grow((void **)&r->label, cap, sizeof(int32_t)) ||
	    ci_grow((void **)&r->pred, cap, sizeof(int32_t)) ||
	    (has_w && ci_grow((void **)&r->weight, cap, sizeof(double))) ||
	    ci_grow((void **)&r->nll, cap, sizeof(double)) ||
	    ci_grow((void **)&r->brier, cap, sizeof(double)) ||
	    ci_grow((void **)&r->entropy, cap, sizeof(double)) ||
	    (kp && ci_grow((void **)&r->probs, cap * (size_t)k, sizeof(double))) ||
	    (kl && ci_grow((void **)&r->logits, cap * (size_t)k, sizeof(double))))
		return -1;
	r->cap = cap;
	return 0;
}

void
ci_rows_free(ci_rows *r)
{
	free(r->score);
	free(r->outcome);
	free(r->label);
	free(r->pred);
	free(r->weight);
	free(r->nll);
	free(r->brier);
	free(r->entropy);
	free(r->probs);
	free(r->logits);
	memset(r, 0, sizeof(*r));
}

char *
ci_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

int
ci_thread_count(const calib_read_options *o)
{
	long n = o->threads;

	if (n == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	}
	return n > CI_MAX_THREADS ? CI_MAX_THREADS : (int)n;
}

/* Move the rows and layout into the result. */
calib_status
ci_preds_finish(ci_layout *L, const calib_read_options *o, const char *file,
    ci_rows *all, calib_preds *P, calib_error *err)
{
	size_t i;
	ci_xsum W;

	ci_xsum_init(&W);
	P->n = all->n;
	P->k = L->k;
	P->kind = L->kind;
	P->single_column = L->single_column;
	P->target = o->target;
	P->temperature = o->temperature;
	P->calibrated = o->calibrate != NULL;
	P->class_names = L->class_names;
	L->class_names = NULL;
	P->score = all->score;
	P->outcome = all->outcome;
	P->label = all->label;
	P->pred = all->pred;
	P->weight = all->weight;
	P->nll = all->nll;
	P->brier = all->brier;
	P->entropy = all->entropy;
	P->probs = all->probs;
	P->logits = all->logits;
	memset(all, 0, sizeof(*all));
	/* Exact, as in a summary, so classwise ECE divides by the same W. */
	if (P->weight != NULL)
		for (i = 0; i < P->n; i++)
			ci_xsum_add(&W, P->weight[i]);
	else
		ci_xsum_add(&W, (double)P->n);
	P->total_weight = ci_xsum_round(&W);
	if (!(P->total_weight > 0))
		return ci_error_set(err, CALIB_E_FORMAT, file, 0, 0,
		    P->weight ? o->weight_col : NULL, "%s",
		    P->weight ? "all weights are zero (expected a positive "
		    "total weight)" : "no data rows");
	return CALIB_OK;
}

/* ---- input -------------------------------------------------------- */

static calib_status
input_open(ci_input *in, const char *path, const char *shown,
    calib_error *err)
{
	int fd;

	memset(in, 0, sizeof(*in));
	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
		    "cannot open: %s", strerror(errno));
	in->gz = gzdopen(fd, "rb");
	if (in->gz == NULL) {
		close(fd);
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	}
	gzbuffer(in->gz, 1u << 17);
	return CALIB_OK;
}

calib_status
ci_input_read(ci_input *in, char *buf, size_t want, size_t *got,
    const char *shown, calib_error *err)
{
	int r;
	int zerr;
	const char *zmsg;

	*got = 0;
	if (in->eof)
		return CALIB_OK;
	errno = 0;
	r = gzread(in->gz, buf, (unsigned)want);
	if (r < 0 || (r == 0 && (zmsg = gzerror(in->gz, &zerr), zerr != Z_OK))) {
		zmsg = gzerror(in->gz, &zerr);
		if (zerr == Z_ERRNO)
			return ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
			    "read failed: %s", strerror(errno));
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "corrupt gzip data: %s", zmsg);
	}
	if (r == 0)
		in->eof = 1;
	*got = (size_t)r;
	return CALIB_OK;
}

/* ---- choosing the format ------------------------------------------ */

/* Bytes read before the format is chosen: enough for every magic. */
#define CI_HEAD 16

typedef enum ci_format {
	CI_FORMAT_CSV = 0
} ci_format;

/*
 * The one place that decides how a file is read: by its first bytes (after
 * gzip inflation), never by its name.  Anything not recognised is CSV, whose
 * reader words the error if it is not that either.
 */
static ci_format
pick_format(const unsigned char *head, size_t len)
{
	(void)head;
	(void)len;
	return CI_FORMAT_CSV;
}

/*
 * The reader behind calib_read() (sout NULL: rows kept in *out) and
 * calib_summarize() (out NULL: only exact sums, in *sout).
 */
static calib_status
read_any(const char *path, const calib_read_options *opt,
    const calib_metric_options *mo, const calib_summary_options *so,
    calib_preds **out, calib_summary **sout, calib_error *err)
{
	calib_read_options defaults;
	ci_input in;
	calib_preds *P = NULL;
	char *head = NULL;
	size_t head_len = 0, head_cap = CI_HEAD;
	calib_status st;
	const char *shown;

	if (out != NULL)
		*out = NULL;
	if (sout != NULL)
		*sout = NULL;
	if (path == NULL || (out == NULL && sout == NULL))
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no file given");
	if (opt == NULL) {
		calib_read_options_init(&defaults);
		opt = &defaults;
	}
	shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if ((st = check_options(opt, err)) != CALIB_OK) {
		if (err != NULL)
			snprintf(err->file, sizeof(err->file), "%s", shown);
		return st;
	}
	st = input_open(&in, path, shown, err);
	if (st != CALIB_OK)
		return st;
	P = calloc(1, sizeof(*P));
	head = malloc(head_cap);
	if (P == NULL || head == NULL ||
	    (P->source = ci_strdup(shown)) == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	while (head_len < CI_HEAD && !in.eof) {
		size_t got;
		st = ci_input_read(&in, head + head_len, CI_HEAD - head_len,
		    &got, shown, err);
		if (st != CALIB_OK)
			goto done;
		head_len += got;
	}
	switch (pick_format((const unsigned char *)head, head_len)) {
	case CI_FORMAT_CSV:
		st = ci_read_csv(&in, shown, opt, head, head_len, head_cap, P,
		    mo, so, sout, err);
		head = NULL;
		break;
	}

done:
	gzclose(in.gz);
	free(head);
	if (st != CALIB_OK || out == NULL) {
		calib_preds_free(P);
		return st;
	}
	*out = P;
	return CALIB_OK;
}

calib_status
calib_read(const char *path, const calib_read_options *opt,
    calib_preds **out, calib_error *err)
{
	if (out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no result to fill");
	return read_any(path, opt, NULL, NULL, out, NULL, err);
}

calib_status
calib_summarize(const char *path, const calib_read_options *ro,
    const calib_metric_options *mo, calib_summary **out, calib_error *err)
{
	return calib_summarize_ext(path, ro, mo, NULL, out, err);
}

calib_status
calib_summarize_ext(const char *path, const calib_read_options *ro,
    const calib_metric_options *mo, const calib_summary_options *so,
    calib_summary **out, calib_error *err)
{
	calib_metric_options mdef;

	if (out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no result to fill");
	*out = NULL;
	if (mo == NULL) {
		calib_metric_options_init(&mdef);
		mo = &mdef;
	}
	if (mo->binning != CALIB_BIN_WIDTH)
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "equal-mass bins do not merge: a summary keeps sums for "
		    "equal-width bins only (use --binning width)");
	if (mo->bins < 1 || mo->bins > 1000000 ||
	    !(mo->nll_clip >= 0 && mo->nll_clip < 0.5))
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "bins must be 1..1000000 and the NLL clip in [0, 0.5)");
	if (so != NULL && (so->replicates < 0 || so->replicates > 100000))
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "bootstrap replicates must be 0..100000");
	return read_any(path, ro, mo, so, NULL, out, err);
}

/* ---- from memory -------------------------------------------------- */

/*
 * Rows from memory through the same ci_row_finish() as the file reader.
 * names (NULL: "0".."k-1") are the classes the rows came with; with
 * from_logits the scores are logits that may hold -inf (ln 0 of a
 * probability file), as calib_preds_recalibrate() passes them.
 */
static calib_status
preds_build(const char *source, size_t n, int k, const double *scores,
    const int32_t *labels, const double *weights, char *const *names,
    int from_logits, const calib_read_options *opt, calib_preds **out,
    calib_error *err)
{
	calib_read_options defaults;
	calib_preds *P = NULL;
	ci_layout L;
	ci_rows all;
	ci_cwx cwx;
	double *x = NULL, *work = NULL, *probs = NULL;
	calib_status st = CALIB_OK;
	const char *shown = source ? source : "<memory>";
	size_t i;
	int c;

	if (out != NULL)
		*out = NULL;
	if (opt == NULL) {
		calib_read_options_init(&defaults);
		opt = &defaults;
	}
	if (out == NULL || scores == NULL || labels == NULL || k < 2)
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
		    "need scores, labels and at least 2 classes");
	if (n == 0)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "no rows");
	if ((st = check_options(opt, err)) != CALIB_OK)
		return st;
	if (opt->target >= k)
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
		    "class %d does not exist (%d classes)", opt->target, k);
	memset(&L, 0, sizeof(L));
	memset(&all, 0, sizeof(all));
	memset(&cwx, 0, sizeof(cwx));
	if (opt->calibrate != NULL &&
	    (st = ci_model_check_classes(opt->calibrate, k, names, shown,
	    err)) != CALIB_OK)
		return st;
	L.k = k;
	L.kind = from_logits || opt->kind == CALIB_SCORES_LOGITS ?
	    CALIB_SCORES_LOGITS : CALIB_SCORES_PROBS;
	L.has_weight = weights != NULL;
	L.integer_labels = 1;
	P = calloc(1, sizeof(*P));
	x = malloc((size_t)k * sizeof(double));
	work = malloc((size_t)(2 * k + 4) * sizeof(double));
	probs = malloc((size_t)k * sizeof(double));
	L.class_names = calloc((size_t)k, sizeof(char *));
	if (P == NULL || x == NULL || work == NULL || probs == NULL ||
	    L.class_names == NULL || (P->source = ci_strdup(shown)) == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (c = 0; c < k; c++) {
		char nm[24];
		snprintf(nm, sizeof(nm), "%d", c);
		if ((L.class_names[c] = ci_strdup(names ? names[c] : nm)) ==
		    NULL) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory");
			goto done;
		}
	}
	if ((opt->keep & CALIB_KEEP_PROBS) == 0 && opt->classwise_bins > 0 &&
	    (ci_classwise_alloc(&P->classwise, k, opt->classwise_bins) != 0 ||
	    ci_cwx_init(&cwx, k, opt->classwise_bins) != 0)) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	if (ci_rows_reserve(&all, n, k, L.has_weight,
	    (opt->keep & CALIB_KEEP_PROBS) != 0,
	    (opt->keep & CALIB_KEEP_LOGITS) != 0) != 0) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		ci_row row;
		ci_row_problem pb;
		double w = weights ? weights[i] : 1.0;
		double *pr = all.probs ? all.probs + i * (size_t)k : probs;
		double *lg = all.logits ? all.logits + i * (size_t)k : NULL;

		for (c = 0; c < k; c++) {
			x[c] = scores[i * (size_t)k + (size_t)c];
			if (!isfinite(x[c]) &&
			    !(from_logits && x[c] == -INFINITY)) {
				st = ci_error_set(err, CALIB_E_FORMAT, shown,
				    i + 1, (unsigned)c + 1, NULL,
				    "score is not a finite number");
				goto done;
			}
		}
		if (labels[i] < 0 || labels[i] >= k) {
			st = ci_error_set(err, CALIB_E_FORMAT, shown, i + 1, 0,
			    NULL, "label %d out of range 0..%d",
			    (int)labels[i], k - 1);
			goto done;
		}
		if (!(w >= 0) || isinf(w)) {
			st = ci_error_set(err, CALIB_E_FORMAT, shown, i + 1, 0,
			    NULL, "weight %g is not a finite number >= 0", w);
			goto done;
		}
		if (ci_row_finish(&L, opt, x, labels[i], w, &row, pr, lg, work,
		    &pb) != 0) {
			st = ci_error_set(err, CALIB_E_FORMAT, shown, i + 1,
			    pb.cls < 0 ? 0 : (unsigned)pb.cls + 1, NULL, "%s",
			    pb.message);
			goto done;
		}
		all.score[i] = row.score;
		all.outcome[i] = row.outcome;
		all.label[i] = row.label;
		all.pred[i] = row.pred;
		if (L.has_weight)
			all.weight[i] = w;
		all.nll[i] = row.nll;
		all.brier[i] = row.brier;
		all.entropy[i] = row.entropy;
		P->tied_rows += (size_t)row.tied;
		P->renormalized_rows += (size_t)row.renormalized;
		P->zero_prob_rows += row.zero_prob && w > 0;
		if (P->classwise.bins > 0)
			ci_cwx_add(&cwx, pr, labels[i], w);
	}
	if (cwx.oom) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	if (P->classwise.bins > 0)
		ci_cwx_round(&cwx, &P->classwise);
	all.n = n;
	st = ci_preds_finish(&L, opt, shown, &all, P, err);

done:
	ci_layout_release(&L);
	ci_cwx_free(&cwx);
	ci_rows_free(&all);
	free(x);
	free(work);
	free(probs);
	if (st != CALIB_OK) {
		calib_preds_free(P);
		return st;
	}
	*out = P;
	return CALIB_OK;
}

calib_status
calib_preds_from_arrays(const char *source, size_t n, int k,
    const double *scores, const int32_t *labels, const double *weights,
    const calib_read_options *opt, calib_preds **out, calib_error *err)
{
	return preds_build(source, n, k, scores, labels, weights, NULL, 0, opt,
	    out, err);
}

calib_status
calib_preds_recalibrate(const calib_preds *p, const calib_model *m,
    const calib_read_options *o, calib_preds **out, calib_error *err)
{
	calib_read_options ro;
	calib_status st;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || m == NULL || out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "need predictions and a model");
	if (p->logits == NULL)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "recalibrating needs the logits: read the file with "
		    "CALIB_KEEP_LOGITS");
	if (o != NULL)
		ro = *o;
	else
		calib_read_options_init(&ro);
	if (ro.temperature != 1)
		return ci_error_set(err, CALIB_E_ARG, p->source, 0, 0, NULL,
		    "a temperature and a calibration model cannot be combined "
		    "(the model replaces the temperature)");
	ro.calibrate = m;
	st = preds_build(p->source, p->n, p->k, p->logits, p->label, p->weight,
	    p->class_names, 1, &ro, out, err);
	if (st != CALIB_OK)
		return st;
	(*out)->kind = p->kind;
	(*out)->single_column = p->single_column;
	(*out)->renormalized_rows = p->renormalized_rows;
	return CALIB_OK;
}
