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
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
	o->max_record_bytes = CALIB_MAX_RECORD_BYTES;
	o->confidence_col = "confidence";
	o->correct_col = "correct";
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
	if (o->max_record_bytes < 1024)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "the record size limit must be at least 1024 bytes");
	if (o->target < CALIB_TARGET_TOP)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "target class must be >= 0");
	if (o->delimiter == '"' || o->delimiter == '\n' ||
	    o->delimiter == '\r')
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "a quote or line end cannot be the delimiter");
	if (o->label_col == NULL || o->weight_col == NULL ||
	    o->confidence_col == NULL || o->correct_col == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "label, weight, confidence and correct column names must "
		    "be set");
	if (o->nclasses < 0 || (o->nclasses > 0 && o->classes == NULL) ||
	    o->nignore_cols < 0 || (o->nignore_cols > 0 &&
	    o->ignore_cols == NULL))
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "class names and ignored columns need their arrays and "
		    "counts >= 0");
	if (o->calibrate != NULL && o->temperature != 1)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "a temperature and a calibration model cannot be combined "
		    "(the model replaces the temperature)");
	return CALIB_OK;
}

calib_status
ci_read_options_check(const calib_read_options *o, calib_error *err)
{
	return check_options(o, err);
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
	free(p->id_name);
	free(p->id_text);
	free(p->id_off);
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
	    (!r->no_terms && (ci_grow((void **)&r->nll, cap, sizeof(double)) ||
	    ci_grow((void **)&r->brier, cap, sizeof(double)) ||
	    ci_grow((void **)&r->entropy, cap, sizeof(double)))) ||
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
	P->sum_tol = o->sum_tol;
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
	if (isinf(P->total_weight))
		return ci_error_set(err, CALIB_E_FORMAT, file, 0, 0,
		    o->weight_col, "the weights add up to more than the largest "
		    "double (about 1.8e308; expected a finite total weight: "
		    "scale the weights down)");
	if (!(P->total_weight > 0))
		return ci_error_set(err, CALIB_E_FORMAT, file, 0, 0,
		    P->weight ? o->weight_col : NULL, "%s",
		    P->weight ? "all weights are zero (expected a positive "
		    "total weight)" : "no data rows");
	return CALIB_OK;
}

void
ci_preds_top_only(calib_preds *P)
{
	int c;

	/* No classes: the file never said how many there were. */
	for (c = 0; c < P->k; c++)
		free(P->class_names[c]);
	free(P->class_names);
	P->class_names = NULL;
	P->k = 0;
	P->top_only = 1;
	P->single_column = 0;
}

/* ---- input -------------------------------------------------------- */

/*
 * The input is read with read(2) and, when it starts with the gzip magic
 * bytes, inflated here rather than by gzread: gzread stops silently at
 * bytes that follow a gzip member and names the file "<fd:N>".  Here
 * concatenated members are read as gzip(1) reads them, and anything else
 * after the last member is an error.
 */
#define CI_RAW (1u << 17) /* compressed bytes read at a time */

static calib_status
raw_fill(ci_input *in, const char *shown, calib_error *err)
{
	ssize_t r;

	/* keep what inflate has not consumed yet at the front */
	if (in->zs.avail_in > 0 && in->zs.next_in != in->raw)
		memmove(in->raw, in->zs.next_in, in->zs.avail_in);
	in->zs.next_in = in->raw;
	do
		r = read(in->fd, in->raw + in->zs.avail_in,
		    CI_RAW - in->zs.avail_in);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
		    "read failed: %s", strerror(errno));
	if (r == 0)
		in->raw_eof = 1;
	in->zs.avail_in += (unsigned)r;
	return CALIB_OK;
}

static calib_status
input_open(ci_input *in, const char *path, const char *shown,
    calib_error *err)
{
	calib_status st;

	memset(in, 0, sizeof(*in));
	in->fd = -1;
	if (strcmp(path, "-") == 0)
		in->fd = dup(STDIN_FILENO);
	else
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0)
		return ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
		    "cannot open: %s", strerror(errno));
	in->raw = malloc(CI_RAW);
	if (in->raw == NULL) {
		ci_input_close(in);
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	}
	in->is_stdin = strcmp(path, "-") == 0;
	in->zs.next_in = in->raw;
	/* two bytes decide: the gzip magic, or bytes passed through */
	while (in->zs.avail_in < 2 && !in->raw_eof)
		if ((st = raw_fill(in, shown, err)) != CALIB_OK) {
			ci_input_close(in);
			return st;
		}
	if (in->zs.avail_in >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK) {
			ci_input_close(in);
			return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory");
		}
		in->gzip = 1;
	}
	return CALIB_OK;
}

void
ci_input_close(ci_input *in)
{
	if (in->gzip)
		inflateEnd(&in->zs);
	if (in->fd >= 0)
		close(in->fd);
	free(in->raw);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}

/* Plain input: the bytes already read to look for the magic, then read(2). */
static calib_status
plain_read(ci_input *in, char *buf, size_t want, size_t *got,
    const char *shown, calib_error *err)
{
	ssize_t r;

	if (in->zs.avail_in > 0) {
		size_t n = in->zs.avail_in < want ? in->zs.avail_in : want;
		memcpy(buf, in->zs.next_in, n);
		in->zs.next_in += n;
		in->zs.avail_in -= (unsigned)n;
		*got = n;
		return CALIB_OK;
	}
	if (in->raw_eof) {
		in->eof = 1;
		return CALIB_OK;
	}
	do
		r = read(in->fd, buf, want);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ci_error_set(err, CALIB_E_IO, shown, 0, 0, NULL,
		    "read failed: %s", strerror(errno));
	if (r == 0)
		in->eof = in->raw_eof = 1;
	*got = (size_t)r;
	return CALIB_OK;
}

calib_status
ci_input_read(ci_input *in, char *buf, size_t want, size_t *got,
    const char *shown, calib_error *err)
{
	calib_status st;

	*got = 0;
	if (in->eof || want == 0)
		return CALIB_OK;
	if (!in->gzip)
		return plain_read(in, buf, want, got, shown, err);
	if (want > UINT_MAX)
		want = UINT_MAX;
	while (*got == 0) {
		int z;
		if (in->member_end) {
			/* another member, or the end: nothing else */
			while (in->zs.avail_in < 2 && !in->raw_eof)
				if ((st = raw_fill(in, shown, err)) != CALIB_OK)
					return st;
			if (in->zs.avail_in == 0) {
				in->eof = 1;
				return CALIB_OK;
			}
			if (in->zs.avail_in < 2 || in->zs.next_in[0] != 0x1f ||
			    in->zs.next_in[1] != 0x8b)
				return ci_error_set(err, CALIB_E_FORMAT, shown,
				    0, 0, NULL, "data after the end of the gzip "
				    "stream, at byte %llu (expected another gzip "
				    "member or the end of the file)",
				    (unsigned long long)in->zs.total_in +
				    in->consumed);
			in->consumed += in->zs.total_in;
			if (inflateReset(&in->zs) != Z_OK)
				return ci_error_set(err, CALIB_E_NOMEM, shown,
				    0, 0, NULL, "out of memory");
			in->member_end = 0;
		}
		if (in->zs.avail_in == 0 && !in->raw_eof &&
		    (st = raw_fill(in, shown, err)) != CALIB_OK)
			return st;
		in->zs.next_out = (unsigned char *)buf + *got;
		in->zs.avail_out = (unsigned)(want - *got);
		z = inflate(&in->zs, Z_NO_FLUSH);
		*got = want - in->zs.avail_out;
		if (z == Z_STREAM_END) {
			in->member_end = 1;
			continue;
		}
		if (z == Z_BUF_ERROR && in->zs.avail_in == 0 && in->raw_eof)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "truncated gzip data (the file ends inside "
			    "the compressed stream)");
		if (z != Z_OK && z != Z_BUF_ERROR)
			return ci_error_set(err, z == Z_MEM_ERROR ?
			    CALIB_E_NOMEM : CALIB_E_FORMAT, shown, 0, 0, NULL,
			    "corrupt gzip data: %s", in->zs.msg ? in->zs.msg :
			    "inflate failed");
	}
	return CALIB_OK;
}

/* ---- whole inputs (binary formats) -------------------------------- */

void
ci_blob_free(ci_blob *b)
{
	if (b->mapped)
		munmap(b->data, b->len);
	else
		free(b->data);
	memset(b, 0, sizeof(*b));
}

/*
 * The whole input: mapped when it is a plain regular file (the arrays are
 * then read in place, at memory speed), otherwise read through gzread.
 * head holds the head_len bytes already read.
 */
static calib_status
load_blob(ci_input *in, const char *head, size_t head_len, const char *shown,
    ci_blob *b, calib_error *err)
{
	struct stat sb;
	size_t cap;

	memset(b, 0, sizeof(*b));
	if (!in->is_stdin && !in->gzip && fstat(in->fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uintmax_t)sb.st_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE,
		    in->fd, 0);
		if (m != MAP_FAILED) {
			b->data = m;
			b->len = (size_t)sb.st_size;
			b->mapped = 1;
			return CALIB_OK;
		}
	}
	cap = head_len + CI_READ;
	b->data = malloc(cap);
	if (b->data == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	memcpy(b->data, head, head_len);
	b->len = head_len;
	while (!in->eof) {
		size_t got;
		calib_status st;
		if (cap - b->len < CI_READ) {
			if (ci_grow((void **)&b->data, cap * 2, 1) != 0) {
				ci_blob_free(b);
				return ci_error_set(err, CALIB_E_NOMEM, shown, 0,
				    0, NULL, "out of memory");
			}
			cap *= 2;
		}
		st = ci_input_read(in, (char *)b->data + b->len, CI_READ, &got,
		    shown, err);
		if (st != CALIB_OK) {
			ci_blob_free(b);
			return st;
		}
		b->len += got;
	}
	return CALIB_OK;
}

/* ---- choosing the format ------------------------------------------ */

/* Bytes read before the format is chosen: enough for every magic. */
#define CI_HEAD 16

typedef enum ci_format {
	CI_FORMAT_CSV = 0,
	CI_FORMAT_NPY,
	CI_FORMAT_ZIP,
	CI_FORMAT_PARQUET,
	CI_FORMAT_HDF5,
	CI_FORMAT_ARROW,
	CI_FORMAT_PICKLE,
	CI_FORMAT_SUMMARY
} ci_format;

/*
 * The one place that decides how a file is read: by its first bytes (after
 * gzip inflation), never by its name.  Anything not recognised is CSV, whose
 * reader words the error if it is not that either.
 */
static ci_format
pick_format(const unsigned char *h, size_t len)
{
	if (len >= 6 && memcmp(h, "\x93NUMPY", 6) == 0)
		return CI_FORMAT_NPY;
	if (len >= 4 && (memcmp(h, "PK\3\4", 4) == 0 ||
	    memcmp(h, "PK\5\6", 4) == 0))
		return CI_FORMAT_ZIP;
	if (len >= 4 && memcmp(h, "PAR1", 4) == 0)
		return CI_FORMAT_PARQUET;
	if (len >= 8 && memcmp(h, "\x89HDF\r\n\x1a\n", 8) == 0)
		return CI_FORMAT_HDF5;
	if ((len >= 6 && memcmp(h, "ARROW1", 6) == 0) ||
	    (len >= 4 && memcmp(h, "FEA1", 4) == 0))
		return CI_FORMAT_ARROW;
	/* Pickle protocols 2-5 start with PROTO n; torch.save's legacy
	 * format is a pickle too. */
	if (len >= 2 && h[0] == 0x80 && h[1] >= 2 && h[1] <= 5)
		return CI_FORMAT_PICKLE;
	if (len >= 8 && memcmp(h, CALIB_SUMMARY_MAGIC, 8) == 0)
		return CI_FORMAT_SUMMARY;
	return CI_FORMAT_CSV;
}

/* The refusal for a format calib recognises but does not read. */
static calib_status
unsupported(ci_format f, const char *shown, calib_error *err)
{
	const char *what = "", *how = "";

	/* Summaries are recognised by the commands only on regular files
	 * (calib_summary_sniff() never reads a pipe): name the way out. */
	if (f == CI_FORMAT_SUMMARY)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "a calib summary (.calsum), which is read only from a "
		    "regular file: save it to a file and name that file");
	switch (f) {
	case CI_FORMAT_PARQUET:
		what = "a Parquet file";
		how = "import numpy as np, pandas as pd; "
		    "d = pd.read_parquet('in.parquet'); np.savez('eval.npz', "
		    "probs=d.drop(columns='label').to_numpy(), "
		    "labels=d['label'].to_numpy())";
		break;
	case CI_FORMAT_HDF5:
		what = "an HDF5 file";
		how = "import numpy as np, h5py; f = h5py.File('in.h5'); "
		    "np.savez('eval.npz', logits=f['logits'][:], "
		    "labels=f['labels'][:])";
		break;
	case CI_FORMAT_ARROW:
		what = "an Arrow/Feather file";
		how = "import numpy as np, pandas as pd; "
		    "d = pd.read_feather('in.feather'); np.savez('eval.npz', "
		    "probs=d.drop(columns='label').to_numpy(), "
		    "labels=d['label'].to_numpy())";
		break;
	default:
		what = "a Python pickle (or a legacy torch.save() file), which "
		    "calib never unpickles";
		how = "import numpy as np, torch; d = torch.load('in.pt'); "
		    "np.savez('eval.npz', logits=d['logits'].numpy(), "
		    "labels=d['labels'].numpy())";
		break;
	}
	return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
	    "%s; calib reads CSV, .npy and .npz: convert it in Python "
	    "with: %s", what, how);
}

/* Open path and read its first bytes; *fmt says what they are. */
static calib_status
open_and_pick(const char *path, const char *shown, ci_input *in, char **head,
    size_t *head_len, ci_format *fmt, calib_error *err)
{
	calib_status st;

	*head = NULL;
	*head_len = 0;
	st = input_open(in, path, shown, err);
	if (st != CALIB_OK)
		return st;
	*head = malloc(CI_HEAD);
	if (*head == NULL) {
		ci_input_close(in);
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	}
	while (*head_len < CI_HEAD && !in->eof) {
		size_t got;
		st = ci_input_read(in, *head + *head_len, CI_HEAD - *head_len,
		    &got, shown, err);
		if (st != CALIB_OK) {
			ci_input_close(in);
			free(*head);
			*head = NULL;
			return st;
		}
		*head_len += got;
	}
	*fmt = pick_format((const unsigned char *)*head, *head_len);
	return CALIB_OK;
}

/*
 * The reader behind calib_read() (sout NULL: rows kept in *out) and
 * calib_summarize_ext() (out NULL: the summary in *sout).  A plain CSV file
 * is summarized as a stream, keeping no rows; NumPy arrays are summed
 * straight from the mapped (or inflated) arrays by ci_build(), keeping no
 * rows either; a CSV with labels from another file is read whole and
 * summarized from memory.
 */
static calib_status
read_any(const char *path, const calib_read_options *opt,
    const calib_metric_options *mo, const calib_summary_options *so,
    calib_preds **out, calib_summary **sout, calib_error *err)
{
	calib_read_options defaults;
	ci_input in;
	ci_blob blob;
	ci_sumreq sreq;
	calib_preds *P = NULL;
	char *head = NULL;
	size_t head_len = 0;
	calib_status st;
	ci_format fmt = CI_FORMAT_CSV;
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
	memset(&blob, 0, sizeof(blob));
	st = open_and_pick(path, shown, &in, &head, &head_len, &fmt, err);
	if (st != CALIB_OK)
		return st;
	P = calloc(1, sizeof(*P));
	if (P == NULL || (P->source = ci_strdup(shown)) == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	switch (fmt) {
	case CI_FORMAT_CSV:
		P->format = "csv";
		if (sout != NULL && opt->labels_path == NULL &&
		    opt->weights_path == NULL)
			st = ci_read_csv(&in, shown, opt, head, head_len,
			    CI_HEAD, P, mo, so, sout, err);
		else
			st = ci_read_csv(&in, shown, opt, head, head_len,
			    CI_HEAD, P, NULL, NULL, NULL, err);
		head = NULL;
		break;
	case CI_FORMAT_NPY:
	case CI_FORMAT_ZIP:
		st = load_blob(&in, head, head_len, shown, &blob, err);
		if (st != CALIB_OK)
			break;
		if (sout != NULL) {
			/* Summed straight from the mapped arrays (ci_build). */
			sreq.mo = mo;
			sreq.so = so;
			sreq.out = sout;
		}
		if (fmt == CI_FORMAT_NPY)
			st = ci_read_npy(&blob, shown, opt,
			    sout != NULL ? &sreq : NULL, P, err);
		else
			st = ci_read_npz(&blob, shown, opt,
			    sout != NULL ? &sreq : NULL, P, err);
		break;
	default:
		st = unsupported(fmt, shown, err);
		break;
	}

	if (st == CALIB_OK && sout != NULL && *sout == NULL)
		st = ci_summary_from_preds(P, opt, mo, so, sout, err);

done:
	ci_input_close(&in);
	free(head);
	ci_blob_free(&blob);
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
	calib_read_options rdef, o;

	if (out == NULL)
		return ci_error_set(err, CALIB_E_ARG, NULL, 0, 0, NULL,
		    "no result to fill");
	*out = NULL;
	if (mo == NULL) {
		calib_metric_options_init(&mdef);
		mo = &mdef;
	}
	if (ro == NULL) {
		calib_read_options_init(&rdef);
		ro = &rdef;
	}
	if (mo->binning != CALIB_BIN_WIDTH)
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "equal-mass bins do not merge: a summary keeps sums for "
		    "equal-width bins only (use --binning width)");
	if (!calib_convention_is_default(mo->convention))
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "a summary keeps the sums of calib's own convention only "
		    "(drop --convention and its choices, or run on the "
		    "prediction files)");
	if (mo->bins < 1 || mo->bins > 1000000 ||
	    !(mo->nll_clip >= 0 && mo->nll_clip < 0.5))
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "bins must be 1..1000000 and the NLL clip in [0, 0.5)");
	if (so != NULL && (so->replicates < 0 || so->replicates > 100000))
		return ci_error_set(err, CALIB_E_ARG, path, 0, 0, NULL,
		    "bootstrap replicates must be 0..100000");
	/* Paths that read the rows into memory first (a CSV with labels from
	 * another file, bootstrap replicates of arrays) are summarized from
	 * the matrix. */
	o = *ro;
	o.keep = CALIB_KEEP_PROBS; /* ro->keep is ignored: a summary keeps
	                            * every sum, so no CALIB_OMIT_ROW_TERMS */
	return read_any(path, &o, mo, so, NULL, out, err);
}

/* ---- labels and weights from another file -------------------------- */

/* One field of a simple delimited line (no quotes in label files). */
static int
nth_field(const char *s, const char *e, char delim, int n, const char **fa,
    const char **fb)
{
	int i = 0;
	const char *a = s;

	for (;;) {
		const char *d = memchr(a, delim, (size_t)(e - a));
		const char *b = d ? d : e;
		if (i == n) {
			*fa = a;
			*fb = b;
			return 0;
		}
		if (d == NULL)
			return -1;
		a = d + 1;
		i++;
	}
}

/*
 * A text file of labels or weights: one value per line, optionally under a
 * header line naming the column (label_col / weight_col), or a CSV file
 * with that column among others.
 */
static calib_status
side_text(ci_blob *b, const char *shown, int weights, const ci_layout *L,
    const calib_read_options *o, ci_view *v, calib_error *err)
{
	const char *s = (const char *)b->data, *e = s + b->len, *p, *nl;
	const char *col = weights ? o->weight_col : o->label_col;
	size_t n = 0, cap = 1024, i;
	unsigned long line = 1;
	char delim = 0;
	int field = 0;
	void *arr;

	if (b->len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	nl = memchr(s, '\n', (size_t)(e - s));
	{
		const char *le = nl ? nl : e, *q;
		for (q = s; q < le; q++)
			if (*q == ',' || *q == '\t' || *q == ';') {
				delim = *q;
				break;
			}
		if (delim != 0) {
			/* A CSV file: find the column in its header. */
			const char *fa, *fb;
			if (le > s && le[-1] == '\r')
				le--;
			for (field = 0; nth_field(s, le, delim, field, &fa,
			    &fb) == 0; field++)
				if ((size_t)(fb - fa) == strlen(col) &&
				    memcmp(fa, col, (size_t)(fb - fa)) == 0)
					break;
			if (nth_field(s, le, delim, field, &fa, &fb) != 0)
				return ci_error_set(err, CALIB_E_FORMAT, shown,
				    1, 0, NULL, "no '%s' column in the header "
				    "(expected the %s there; choose the column "
				    "with %s)", col, weights ? "weights" :
				    "labels", weights ? "--weight-col" :
				    "--label-col");
			s = nl ? nl + 1 : e;
			line = 2;
		} else {
			size_t hl = (size_t)(le - s);
			if (hl > 0 && s[hl - 1] == '\r')
				hl--;
			if (hl == strlen(col) && memcmp(s, col, hl) == 0) {
				s = nl ? nl + 1 : e;
				line = 2;
			}
		}
	}
	arr = malloc(cap * 8);
	if (arr == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	for (p = s; p < e; line++) {
		const char *le, *fa, *fb;
		char shownf[64];
		nl = memchr(p, '\n', (size_t)(e - p));
		le = nl ? nl : e;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			/* Only a last, empty line may end the file. */
			if (nl == NULL || nl + 1 == e)
				break;
			free(arr);
			return ci_error_set(err, CALIB_E_FORMAT, shown, line,
			    0, NULL, "empty line (expected one %s per line)",
			    weights ? "weight" : "label");
		}
		if (delim != 0) {
			if (nth_field(p, le, delim, field, &fa, &fb) != 0) {
				free(arr);
				return ci_error_set(err, CALIB_E_FORMAT, shown,
				    line, (unsigned)field + 1, col, "the row "
				    "has no field %d", field + 1);
			}
		} else {
			fa = p;
			fb = le;
		}
		ci_quote_text(shownf, sizeof(shownf), fa, (size_t)(fb - fa));
		if (n == cap) {
			if (ci_grow(&arr, cap * 2, 8) != 0) {
				free(arr);
				return ci_error_set(err, CALIB_E_NOMEM, shown,
				    0, 0, NULL, "out of memory");
			}
			cap *= 2;
		}
		if (weights) {
			double w;
			if (ci_parse_number(fa, (size_t)(fb - fa), &w) !=
			    CI_NUM_OK) {
				free(arr);
				return ci_error_set(err, CALIB_E_FORMAT, shown,
				    line, delim ? (unsigned)field + 1 : 0,
				    delim ? col : NULL, "weight '%s' is not a "
				    "finite number", shownf);
			}
			((double *)arr)[n++] = w;
		} else {
			int64_t idx;
			double d;
			int c = ci_label_lookup(L, fa, (size_t)(fb - fa));
			if (c >= 0)
				idx = c;
			else if (ci_parse_number(fa, (size_t)(fb - fa), &d) ==
			    CI_NUM_OK && d == floor(d) && fabs(d) < 1e15)
				/* An integral number: the builder checks the
				 * range (and --ignore-label). */
				idx = (int64_t)d;
			else {
				free(arr);
				return ci_error_set(err, CALIB_E_FORMAT, shown,
				    line, delim ? (unsigned)field + 1 : 0,
				    delim ? col : NULL, "unknown label '%s' "
				    "(expected a class index 0..%d or a class "
				    "name such as '%s'%s)", shownf, L->k - 1,
				    L->class_names[L->k - 1], o->classes ? "" :
				    "; name the classes with --classes");
			}
			((int64_t *)arr)[n++] = idx;
		}
		p = nl ? nl + 1 : e;
	}
	ci_blob_free(b);
	b->data = arr;
	b->len = n * 8;
	memset(v, 0, sizeof(*v));
	v->data = arr;
	v->type = weights ? CI_F64 : CI_I64;
	v->ndim = 1;
	v->n = n;
	v->k = 1;
	v->rs = v->cs = 8;
	(void)i;
	return CALIB_OK;
}

calib_status
ci_side_file(const char *path, int weights, const ci_layout *L,
    const calib_read_options *o, ci_view *v, ci_blob *owned,
    calib_error *err)
{
	ci_input in;
	char *head = NULL;
	size_t head_len;
	ci_format fmt;
	calib_status st;
	const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;

	memset(owned, 0, sizeof(*owned));
	st = open_and_pick(path, shown, &in, &head, &head_len, &fmt, err);
	if (st != CALIB_OK)
		return st;
	if (fmt != CI_FORMAT_NPY && fmt != CI_FORMAT_CSV) {
		st = fmt == CI_FORMAT_ZIP ? ci_error_set(err, CALIB_E_FORMAT,
		    shown, 0, 0, NULL, "a zip (.npz) file cannot give %s: "
		    "use --%s-key with the .npz scores file, or a .npy",
		    weights ? "weights" : "labels", weights ? "weights" :
		    "labels") : unsupported(fmt, shown, err);
		goto done;
	}
	st = load_blob(&in, head, head_len, shown, owned, err);
	if (st != CALIB_OK)
		goto done;
	if (fmt == CI_FORMAT_NPY) {
		st = ci_npy_view(owned->data, owned->len, shown, "", v, err);
		if (st == CALIB_OK && v->ndim == 2 && v->k != 1)
			st = ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "%s array of shape (%zu, %zu) (expected one "
			    "value per row: shape (n,))", weights ? "a weights" :
			    "a labels", v->n, v->k);
	} else {
		st = side_text(owned, shown, weights, L, o, v, err);
	}
done:
	ci_input_close(&in);
	free(head);
	if (st != CALIB_OK)
		ci_blob_free(owned);
	return st;
}

/* ---- rows from arrays ---------------------------------------------- */

calib_status
ci_layout_default_names(ci_layout *L, const calib_read_options *o,
    const char *shown, calib_error *err)
{
	int c;

	if (o->classes != NULL && o->nclasses != L->k)
		return ci_error_set(err, CALIB_E_MISMATCH, shown, 0, 0, NULL,
		    "%d class names given (--classes) for %d classes", o->nclasses,
		    L->k);
	L->class_names = calloc((size_t)L->k, sizeof(char *));
	if (L->class_names == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	for (c = 0; c < L->k; c++) {
		char nm[24];
		snprintf(nm, sizeof(nm), "%d", c);
		L->class_names[c] = ci_strdup(o->classes ? o->classes[c] : nm);
		if (L->class_names[c] == NULL)
			return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory");
	}
	if (o->classes != NULL)
		for (c = 0; c < L->k; c++) {
			int j;
			for (j = 0; j < c; j++)
				if (strcmp(L->class_names[j],
				    L->class_names[c]) == 0)
					return ci_error_set(err, CALIB_E_ARG,
					    shown, 0, 0, NULL, "class name "
					    "'%s' is given twice", o->classes[c]);
		}
	if (ci_layout_build_names(L) != 0)
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	return CALIB_OK;
}

/*
 * The label of row i as a class index, -1 for a dropped row; -2 with err
 * filled when it is no class.
 */
static int
table_label(const ci_table *t, const ci_layout *L,
    const calib_read_options *o, size_t i, const char *shown,
    unsigned long line, calib_error *err)
{
	int64_t v;

	if (t->label_idx != NULL)
		return t->label_idx[i];
	if (t->labels == NULL)
		return 0;
	if (ci_view_int(t->labels, i, &v) != 0) {
		ci_error_set(err, CALIB_E_FORMAT, shown, line, 0, NULL,
		    "label %.17g is not a whole number (expected a class "
		    "index 0..%d)", ci_view_get(t->labels, i, 0), L->k - 1);
		return -2;
	}
	if (o->ignore_label_set && v == o->ignore_label)
		return -1;
	if (v < 0 || v >= L->k) {
		ci_error_set(err, CALIB_E_FORMAT, shown, line, 0, NULL,
		    "label %lld out of range 0..%d%s", (long long)v, L->k - 1,
		    v < 0 && !o->ignore_label_set ? " (to drop rows with "
		    "this label, give --ignore-label)" : "");
		return -2;
	}
	return (int)v;
}

/*
 * Arrays are finished in chunks of CI_CHUNK rows, several at a time on the
 * worker threads.  Each chunk starts its sums from zero and the chunks are
 * merged in order, so the result is the same for every thread count.
 */
#define CI_CHUNK 65536

typedef struct build_chunk {
	size_t start, end;       /* rows [start, end) */
	size_t kept, dropped, tied, renorm, zero;
	size_t sum_fail;         /* rows failing the sum check */
	double sum_maxdev, sum_first;
	size_t sum_row;
	ci_cwx cwx;              /* exact: summed over every use */
	ci_acc acc;              /* summary mode: the top-label sums */
	calib_status st;
	calib_error err;
} build_chunk;

typedef struct build_job {
	const ci_table *t;
	const ci_layout *L;
	const calib_read_options *o;
	const char *shown;
	ci_rows *all;
	int cw_bins;
	int summary;             /* rows go into chunk->acc, not all */
	build_chunk *chunk;
	int nchunks;
	atomic_int next;
} build_job;

/* Row i's first nx scores as doubles: the common native float32/float64
 * layouts without ci_view_get()'s per-element dispatch (same values). */
static void
load_row(const ci_view *v, size_t i, int nx, double *x)
{
	const unsigned char *p = v->data + i * v->rs;
	int j;

	if (!v->swap && v->type == CI_F32) {
		for (j = 0; j < nx; j++) {
			float f;
			memcpy(&f, p + (size_t)j * v->cs, sizeof(f));
			x[j] = f;
		}
	} else if (!v->swap && v->type == CI_F64) {
		for (j = 0; j < nx; j++)
			memcpy(&x[j], p + (size_t)j * v->cs, sizeof(x[j]));
	} else {
		for (j = 0; j < nx; j++)
			x[j] = ci_view_get(v, i, (size_t)j);
	}
}

/* Rows of one chunk, written compactly from all->[c->start]. */
static void
build_chunk_rows(const build_job *J, build_chunk *c, double *x, double *work)
{
	const ci_table *t = J->t;
	const ci_layout *L = J->L;
	const calib_read_options *o = J->o;
	const int k = L->k, nx = L->single_column || L->top_only ? 1 : k;
	const int logit_kind = t->from_logits || L->kind == CALIB_SCORES_LOGITS;
	ci_rows *all = J->all;
	calib_error *err = &c->err;
	size_t i;
	int j;

	c->kept = c->dropped = c->tied = c->renorm = c->zero = 0;
	c->sum_fail = 0;
	c->sum_maxdev = 0;
	c->st = CALIB_OK;
	for (i = c->start; i < c->end; i++) {
		const unsigned long line = t->first_line + i + 1;
		const size_t at = c->start + c->kept;
		ci_row row;
		ci_row_problem pb;
		double w = t->weights ? ci_view_get(t->weights, i, 0) : 1.0;
		double *pr = all->probs ? all->probs + at * (size_t)k : NULL;
		double *lg = all->logits ? all->logits + at * (size_t)k : NULL;
		int label, finite = 0;

		label = table_label(t, L, o, i, J->shown, line, err);
		if (label == -2) {
			c->st = err->status;
			return;
		}
		if (label == -1) {
			c->dropped++;
			continue;
		}
		if (L->top_only)
			x[1] = ci_view_get(t->correct, i, 0);
		load_row(&t->scores, i, nx, x);
		for (j = 0; j < nx; j++) {
			if (isfinite(x[j])) {
				finite = 1;
				continue;
			}
			if (x[j] == -INFINITY && logit_kind)
				continue;
			c->st = ci_error_set(err, CALIB_E_FORMAT, J->shown, line,
			    (unsigned)j + 1, NULL, "score %s is not allowed "
			    "(expected a finite number%s)", isnan(x[j]) ?
			    "NaN" : x[j] > 0 ? "+inf" : "-inf", logit_kind ?
			    "; -inf masks a class" : "");
			return;
		}
		if (!finite && !L->single_column) {
			c->st = ci_error_set(err, CALIB_E_FORMAT, J->shown, line,
			    0, NULL, "every class is masked (-inf) (expected "
			    "at least one finite logit)");
			return;
		}
		if (!(w >= 0) || isinf(w)) {
			c->st = ci_error_set(err, CALIB_E_FORMAT, J->shown, line,
			    0, NULL, "weight %g is not a finite number >= 0", w);
			return;
		}
		if (ci_row_finish(L, o, x, label, w, &row, pr, lg, work,
		    &pb) != 0) {
			if (!isnan(pb.sum)) {
				/* Counted for the report; not kept. */
				if (c->sum_fail++ == 0) {
					c->sum_row = i;
					c->sum_first = pb.sum;
				}
				if (fabs(pb.sum - 1) > c->sum_maxdev)
					c->sum_maxdev = fabs(pb.sum - 1);
				continue;
			}
			c->st = ci_error_set(err, CALIB_E_FORMAT, J->shown, line,
			    pb.cls < 0 ? 0 : (unsigned)pb.cls + 1, NULL, "%s",
			    pb.message);
			return;
		}
		if (J->summary) {
			ci_acc_row(&c->acc, row.score, row.outcome,
			    row.pred == row.label, w, row.nll, row.brier,
			    row.entropy);
		} else {
			all->score[at] = row.score;
			all->outcome[at] = row.outcome;
			all->label[at] = row.label;
			all->pred[at] = row.pred;
			if (L->has_weight)
				all->weight[at] = w;
			if (!all->no_terms) {
				all->nll[at] = row.nll;
				all->brier[at] = row.brier;
				all->entropy[at] = row.entropy;
			}
		}
		c->kept++;
		c->tied += (size_t)row.tied;
		c->renorm += (size_t)row.renormalized;
		c->zero += row.zero_prob && w > 0;
		if (c->cwx.bins > 0 && !L->top_only)
			ci_cwx_add(&c->cwx, row.p, label, w);
	}
}

static void *
build_worker(void *arg)
{
	build_job *J = arg;
	const int k = J->L->k;
	double *x = malloc((size_t)(k + 2) * sizeof(double));
	double *work = malloc((size_t)(2 * k + 4) * sizeof(double));
	int i;

	while ((i = atomic_fetch_add(&J->next, 1)) < J->nchunks) {
		build_chunk *c = &J->chunk[i];
		if (x == NULL || work == NULL)
			c->st = ci_error_set(&c->err, CALIB_E_NOMEM, J->shown, 0,
			    0, NULL, "out of memory");
		else
			build_chunk_rows(J, c, x, work);
	}
	free(x);
	free(work);
	return NULL;
}

/* Move a chunk's kept rows down to row `to` (dropped rows leave gaps). */
static void
compact_rows(ci_rows *a, size_t to, size_t from, size_t n, int k)
{
	if (to == from || n == 0)
		return;
	memmove(a->score + to, a->score + from, n * sizeof(double));
	memmove(a->outcome + to, a->outcome + from, n);
	memmove(a->label + to, a->label + from, n * sizeof(int32_t));
	memmove(a->pred + to, a->pred + from, n * sizeof(int32_t));
	if (a->weight != NULL)
		memmove(a->weight + to, a->weight + from, n * sizeof(double));
	if (!a->no_terms) {
		memmove(a->nll + to, a->nll + from, n * sizeof(double));
		memmove(a->brier + to, a->brier + from, n * sizeof(double));
		memmove(a->entropy + to, a->entropy + from,
		    n * sizeof(double));
	}
	if (a->probs != NULL)
		memmove(a->probs + to * (size_t)k, a->probs + from * (size_t)k,
		    n * (size_t)k * sizeof(double));
	if (a->logits != NULL)
		memmove(a->logits + to * (size_t)k,
		    a->logits + from * (size_t)k,
		    n * (size_t)k * sizeof(double));
}

/*
 * The summary of rows summed by the chunks of J (ci_build()'s summary
 * mode) into *J->t->sum->out: what ci_summary_from_preds() gives from
 * the same rows in memory, with the same checks as ci_preds_finish().
 * The chunks' classwise cells are merged into J->chunk[0] already.
 */
static calib_status
build_summary(const char *shown, build_job *J, int slots, const ci_layout *L,
    const calib_read_options *o, const calib_preds *P, calib_error *err)
{
	const ci_sumreq *q = J->t->sum;
	ci_settings set;
	calib_summary *s;
	calib_status st;
	double W;
	int i;

	ci_summary_settings(&set, L, o, q->mo, q->so);
	set.format = P->format == NULL ? 0 : strcmp(P->format, "npy") == 0 ?
	    1 : strcmp(P->format, "npz") == 0 ? 2 : 0;
	if ((st = ci_summary_model(&set, o, err)) != CALIB_OK)
		return st;
	if ((s = ci_summary_new(&set, shown)) == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	for (i = 0; i < slots; i++)
		ci_acc_merge(&s->acc, &J->chunk[i].acc);
	if (J->cw_bins > 0) {
		/* The summary's cells are read directly (encoding). */
		ci_cwx_unstage(&J->chunk[0].cwx);
		if (J->chunk[0].cwx.oom) {
			calib_summary_free(s);
			return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory");
		}
		ci_cwx_free(&s->cw);
		s->cw = J->chunk[0].cwx;
		memset(&J->chunk[0].cwx, 0, sizeof(J->chunk[0].cwx));
	}
	/* The sum of every kept row's weight (zero terms add nothing), as
	 * ci_preds_finish() totals it. */
	W = ci_xsum_round(&s->acc.W);
	if (isinf(W) || !(W > 0)) {
		calib_summary_free(s);
		if (isinf(W))
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    o->weight_col, "the weights add up to more than "
			    "the largest double (about 1.8e308; expected a "
			    "finite total weight: scale the weights down)");
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
		    L->has_weight ? o->weight_col : NULL, "%s",
		    L->has_weight ? "all weights are zero (expected a "
		    "positive total weight)" : "no data rows");
	}
	s->tied = P->tied_rows;
	s->renormalized = P->renormalized_rows;
	s->zero_prob = P->zero_prob_rows;
	s->dropped = P->dropped_rows;
	*q->out = s;
	return CALIB_OK;
}

calib_status
ci_build(const char *shown, const ci_table *t, ci_layout *L,
    const calib_read_options *o, calib_preds *P, calib_error *err)
{
	const size_t n = t->scores.n;
	const int k = L->k;
	ci_rows all;
	build_job J;
	pthread_t tids[CI_MAX_THREADS];
	calib_status st = CALIB_OK;
	size_t next_row = 0, kept = 0, dropped = 0, sum_fail = 0;
	size_t sum_row = 0;
	double sum_maxdev = 0, sum_first = 0;
	int partial = 0;
	int T, slots, i;

	memset(&all, 0, sizeof(all));
	memset(&J, 0, sizeof(J));
	if (t->labels != NULL && t->labels->n != n)
		return ci_error_set(err, CALIB_E_MISMATCH, shown, 0, 0, NULL,
		    "%zu labels (%s) for %zu rows of scores (expected one "
		    "label per row)", t->labels->n, o->labels_path ?
		    o->labels_path : "labels", n);
	if (t->weights != NULL && t->weights->n != n)
		return ci_error_set(err, CALIB_E_MISMATCH, shown, 0, 0, NULL,
		    "%zu weights (%s) for %zu rows of scores (expected one "
		    "weight per row)", t->weights->n, o->weights_path ?
		    o->weights_path : "weights", n);
	if (n == 0)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "no rows");
	if (o->target >= k)
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
		    "class %d does not exist (the file has %d classes, 0..%d)",
		    o->target, k, k - 1);
	if (L->top_only && (o->calibrate != NULL || o->temperature != 1))
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL, "a "
		    "top-label-only file ('%s' and '%s') cannot be "
		    "recalibrated or tempered: that needs the score vector",
		    o->confidence_col, o->correct_col);
	if (L->top_only && o->target != CALIB_TARGET_TOP)
		return ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL, "a "
		    "top-label-only file has no per-class scores (expected "
		    "the top-label target)");
	if (o->calibrate != NULL &&
	    (st = ci_model_check_classes(o->calibrate, k, L->class_names,
	    shown, err)) != CALIB_OK)
		return st;
	L->has_weight = t->weights != NULL;
	J.t = t;
	J.L = L;
	J.o = o;
	J.shown = shown;
	J.all = &all;
	J.summary = t->sum != NULL && (t->sum->so == NULL ||
	    t->sum->so->replicates == 0);
	if (J.summary)
		J.cw_bins = L->top_only ? 0 : t->sum->mo->bins;
	else
		J.cw_bins = (o->keep & CALIB_KEEP_PROBS) == 0 &&
		    !L->top_only ? o->classwise_bins : 0;
	if (L->top_only && t->correct->n != n)
		return ci_error_set(err, CALIB_E_MISMATCH, shown, 0, 0, NULL,
		    "%zu correct values for %zu confidences (expected one "
		    "each per row)", t->correct->n, n);
	T = ci_thread_count(o);
	slots = T * 2;
	J.chunk = calloc((size_t)slots, sizeof(*J.chunk));
	if (J.chunk == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	for (i = 0; i < slots && J.summary; i++)
		if (ci_acc_init(&J.chunk[i].acc, t->sum->mo->bins,
		    t->sum->mo->nll_clip) != 0) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
	if (J.cw_bins > 0) {
		if (!J.summary &&
		    ci_classwise_alloc(&P->classwise, k, J.cw_bins) != 0) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		for (i = 0; i < slots; i++) {
			if (ci_cwx_init(&J.chunk[i].cwx, k, J.cw_bins) != 0) {
				st = ci_error_set(err, CALIB_E_NOMEM, shown, 0,
				    0, NULL, "out of memory");
				goto done;
			}
			ci_cwx_stage(&J.chunk[i].cwx);
		}
	}
	/* A summary's replicates need the row terms, whatever keep says. */
	all.no_terms = t->sum == NULL && (o->keep & CALIB_OMIT_ROW_TERMS) != 0;
	L->no_terms = all.no_terms;
	/* The row count is known: no growth, no slack. */
	if (!J.summary && ci_rows_reserve(&all, n, k, L->has_weight,
	    (o->keep & CALIB_KEEP_PROBS) != 0 && !L->top_only,
	    (o->keep & CALIB_KEEP_LOGITS) != 0 && !L->top_only) != 0) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	while (next_row < n) {
		int nb, started = 0;
		for (nb = 0; nb < slots && next_row < n; nb++) {
			J.chunk[nb].start = next_row;
			J.chunk[nb].end = n - next_row > CI_CHUNK ?
			    next_row + CI_CHUNK : n;
			next_row = J.chunk[nb].end;
		}
		J.nchunks = nb;
		atomic_init(&J.next, 0);
		for (i = 1; i < T && i < nb; i++) {
			if (pthread_create(&tids[i], NULL, build_worker,
			    &J) != 0)
				break;
			started = i;
		}
		build_worker(&J);
		for (i = 1; i <= started; i++)
			pthread_join(tids[i], NULL);
		for (i = 0; i < nb; i++) {
			build_chunk *c = &J.chunk[i];
			if (c->sum_fail > 0) {
				if (sum_fail == 0) {
					sum_row = c->sum_row;
					sum_first = c->sum_first;
				}
				sum_fail += c->sum_fail;
				if (c->sum_maxdev > sum_maxdev)
					sum_maxdev = c->sum_maxdev;
			}
			if (c->st != CALIB_OK && sum_fail > 0) {
				partial = 1;
				break;
			}
			if (c->st != CALIB_OK) {
				if (err != NULL)
					*err = c->err;
				st = c->st;
				goto done;
			}
			if (!J.summary)
				compact_rows(&all, kept, c->start, c->kept, k);
			kept += c->kept;
			dropped += c->dropped;
			P->tied_rows += c->tied;
			P->renormalized_rows += c->renorm;
			P->zero_prob_rows += c->zero;
		}
		if (partial)
			break;
	}
	/* Exact sums: the chunks' cells merge the same in any order. */
	if (J.cw_bins > 0) {
		for (i = 1; i < slots; i++)
			if (ci_cwx_merge(&J.chunk[0].cwx, &J.chunk[i].cwx) !=
			    0)
				break;
		if (J.chunk[0].cwx.oom) {
			st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
			    "out of memory");
			goto done;
		}
		if (!J.summary)
			ci_cwx_round(&J.chunk[0].cwx, &P->classwise);
	}
	if (sum_fail > 0) {
		st = ci_error_set(err, CALIB_E_FORMAT, shown,
		    t->first_line + sum_row + 1, 0, NULL, "probabilities sum "
		    "to %.17g, expected 1 within %g; %s%zu row%s fail%s the "
		    "sum check, the largest deviation is %.3g: give "
		    "--renormalize to rescale such rows, or --sum-tol X to "
		    "accept sums within X", sum_first, o->sum_tol,
		    partial ? "at least " : "", sum_fail, sum_fail == 1 ? "" :
		    "s", sum_fail == 1 ? "s" : "", sum_maxdev);
		goto done;
	}
	all.n = kept;
	P->dropped_rows = dropped;
	if (all.n == 0) {
		st = ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "no rows left after dropping %zu with label %ld", dropped,
		    o->ignore_label);
		goto done;
	}
	if (J.summary) {
		st = build_summary(shown, &J, slots, L, o, P, err);
		goto done;
	}
	st = ci_preds_finish(L, o, shown, &all, P, err);
	if (st == CALIB_OK && L->top_only)
		ci_preds_top_only(P);
done:
	if (J.chunk != NULL)
		for (i = 0; i < slots; i++) {
			ci_cwx_free(&J.chunk[i].cwx);
			ci_acc_free(&J.chunk[i].acc);
		}
	free(J.chunk);
	ci_rows_free(&all);
	return st;
}

static void
view_of(ci_view *v, const void *data, ci_dtype type, size_t n, size_t k)
{
	size_t isz = type == CI_F64 || type == CI_I64 ? 8 : 4;

	memset(v, 0, sizeof(*v));
	v->data = data;
	v->type = type;
	v->ndim = k > 1 ? 2 : 1;
	v->n = n;
	v->k = k;
	v->cs = isz;
	v->rs = isz * k;
}

/*
 * Rows from memory through the same ci_build() as the NumPy readers.
 * names (NULL: "0".."k-1") are the classes the rows came with; with
 * from_logits the scores are logits that may hold -inf (ln 0 of a
 * probability file), as calib_preds_recalibrate() passes them.
 */
static calib_status
preds_build(const char *source, size_t n, int k, const void *scores,
    ci_dtype stype, const void *labels, ci_dtype ltype,
    const double *weights, char *const *names, int from_logits,
    const calib_read_options *opt, calib_preds **out, calib_error *err)
{
	calib_read_options defaults, ro;
	calib_preds *P = NULL;
	ci_layout L;
	ci_table t;
	ci_view lv, wv;
	calib_status st;
	const char *shown = source ? source : "<memory>";

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
	if (opt->classwise_bins > 0 && (st = ci_classwise_budget(k,
	    opt->classwise_bins, shown, err)) != CALIB_OK)
		return st;
	ro = *opt;
	if (names != NULL) {
		ro.classes = (const char *const *)names;
		ro.nclasses = k;
	}
	memset(&L, 0, sizeof(L));
	memset(&t, 0, sizeof(t));
	L.k = k;
	L.kind = from_logits || opt->kind == CALIB_SCORES_LOGITS ?
	    CALIB_SCORES_LOGITS : CALIB_SCORES_PROBS;
	P = calloc(1, sizeof(*P));
	if (P == NULL || (P->source = ci_strdup(shown)) == NULL) {
		st = ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
		goto done;
	}
	P->format = "memory";
	st = ci_layout_default_names(&L, &ro, shown, err);
	if (st != CALIB_OK)
		goto done;
	/* Indices only: names that look like numbers must not turn label 1
	 * into the class named "1". */
	L.integer_labels = 1;
	view_of(&t.scores, scores, stype, n, (size_t)k);
	view_of(&lv, labels, ltype, n, 1);
	t.labels = &lv;
	if (weights != NULL) {
		view_of(&wv, weights, CI_F64, n, 1);
		t.weights = &wv;
	}
	t.from_logits = from_logits;
	st = ci_build(shown, &t, &L, &ro, P, err);
done:
	ci_layout_release(&L);
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
	return preds_build(source, n, k, scores, CI_F64, labels, CI_I32,
	    weights, NULL, 0, opt, out, err);
}

calib_status
calib_preds_from_arrays2(const char *source, size_t n, int k,
    const void *scores, calib_dtype score_type, const void *labels,
    calib_dtype label_type, const double *weights,
    const calib_read_options *opt, calib_preds **out, calib_error *err)
{
	ci_dtype st, lt;

	if (out != NULL)
		*out = NULL;
	if (score_type == CALIB_FLOAT64)
		st = CI_F64;
	else if (score_type == CALIB_FLOAT32)
		st = CI_F32;
	else
		return ci_error_set(err, CALIB_E_ARG, source, 0, 0, NULL,
		    "scores must be CALIB_FLOAT64 or CALIB_FLOAT32");
	if (label_type == CALIB_INT32)
		lt = CI_I32;
	else if (label_type == CALIB_INT64)
		lt = CI_I64;
	else
		return ci_error_set(err, CALIB_E_ARG, source, 0, 0, NULL,
		    "labels must be CALIB_INT32 or CALIB_INT64");
	return preds_build(source, n, k, scores, st, labels, lt, weights,
	    NULL, 0, opt, out, err);
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
	st = preds_build(p->source, p->n, p->k, p->logits, CI_F64, p->label,
	    CI_I32, p->weight, p->class_names, 1, &ro, out, err);
	if (st != CALIB_OK)
		return st;
	(*out)->kind = p->kind;
	(*out)->single_column = p->single_column;
	(*out)->renormalized_rows = p->renormalized_rows;
	(*out)->dropped_rows = p->dropped_rows;
	(*out)->format = p->format;
	return CALIB_OK;
}
