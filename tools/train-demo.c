/*
 * train-demo: a small deterministic trainer that produces calib's demo
 * prediction files.
 *
 * It trains one MLP (784-256-10, ReLU) on the first few thousand
 * Fashion-MNIST training images and writes the test-set logits.  The only
 * thing that differs between the demo runs is the label-smoothing strength
 * epsilon, which moves the model from overconfident (epsilon = 0) through
 * roughly calibrated to underconfident, so the files give calib something
 * real to measure.
 *
 * References:
 *   H. Xiao, K. Rasul, R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for
 *     Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.
 *   C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna. Rethinking the
 *     Inception Architecture for Computer Vision. CVPR 2016 (label smoothing).
 *   R. Mueller, S. Kornblith, G. Hinton. When Does Label Smoothing Help?
 *     NeurIPS 2019 (its effect on calibration).
 *   K. He, X. Zhang, S. Ren, J. Sun. Delving Deep into Rectifiers.
 *     ICCV 2015 (the initialisation used for the ReLU layer).
 *   C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger. On Calibration of Modern
 *     Neural Networks. ICML 2017 (overconfidence once the training set is fit).
 *
 * Determinism: every random draw comes from one gsl_rng_mt19937 stream seeded
 * by --seed, and BLAS is kept on one thread, so the same seed gives a
 * byte-identical file on the same machine with the same BLAS build.  Results
 * are not expected to be identical across BLAS libraries or CPUs, because
 * optimised kernels pick a different summation order per CPU.
 */

/* mkstemp, fchmod, fsync, umask and clock_gettime are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>
#include <zlib.h>

#ifdef HAVE_OPENBLAS
/* Declared here rather than via OpenBLAS's <cblas.h>, whose CBLAS
 * prototypes conflict with the ones <gsl/gsl_blas.h> pulls in. */
void openblas_set_num_threads(int num_threads);
#endif

#define PROG "train-demo"

#define IMG_ROWS 28u
#define IMG_COLS 28u
#define N_INPUTS (IMG_ROWS * IMG_COLS)
#define N_CLASSES 10u

#define IDX_MAGIC_LABELS 0x00000801UL /* unsigned byte, 1 dimension */
#define IDX_MAGIC_IMAGES 0x00000803UL /* unsigned byte, 3 dimensions */

/* Arbitrary but fixed, so the committed demo files can be regenerated. */
#define DEFAULT_SEED 20191206UL

struct options {
	const char *data_dir;
	const char *output;
	const char *val_output;  /* --val-out: logits on held-out images */
	size_t n_val;
	size_t n_train;
	size_t epochs;
	size_t batch;
	size_t hidden;
	double lr;
	double epsilon;
	unsigned long seed;
	int have_epsilon;
};

struct dataset {
	size_t n;
	double *x;          /* n rows of N_INPUTS pixels in [0, 1] */
	unsigned char *y;   /* n labels in [0, N_CLASSES) */
};

struct mlp {
	size_t n_hidden;
	gsl_matrix *w1;     /* N_INPUTS x n_hidden */
	gsl_vector *b1;
	gsl_matrix *w2;     /* n_hidden x N_CLASSES */
	gsl_vector *b2;
};

/* Scratch space for up to `cap` rows, reused by every batch so the training
 * loop itself never allocates. */
struct workspace {
	size_t cap;
	gsl_matrix *x;      /* cap x N_INPUTS, the rows of the current batch */
	gsl_matrix *a1;     /* cap x n_hidden, hidden activations after ReLU */
	gsl_matrix *z2;     /* cap x N_CLASSES, logits, then dLoss/dlogits */
	gsl_matrix *d1;     /* cap x n_hidden, dLoss/d(hidden pre-activation) */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS] --epsilon E -o OUT.csv\n"
		"\n"
		"Train a 784-H-10 ReLU MLP on Fashion-MNIST with label smoothing E\n"
		"and write the test-set logits as CSV (label,logit_0,...,logit_9).\n"
		"\n"
		"Options:\n"
		"  --data-dir DIR   directory with the gzipped IDX files\n"
		"                   (default /usr/share/datasets/fashion-mnist)\n"
		"  --train N        use the first N training images (default 3000)\n"
		"  --epochs N       number of epochs (default 150)\n"
		"  --lr X           SGD learning rate (default 0.1)\n"
		"  --batch N        minibatch size (default 100)\n"
		"  --hidden N       hidden units (default 256)\n"
		"  --seed S         RNG seed for init and shuffling (default %lu)\n"
		"  --epsilon E      label smoothing strength, 0 <= E <= 1 (required)\n"
		"  -o, --output F   output CSV file (required)\n"
		"  --val-out F      also write the logits of held-out training\n"
		"                   images (for fitting recalibration maps)\n"
		"  --val N          how many: the N training images after the\n"
		"                   first --train ones (default 5000)\n"
		"  -h, --help       show this help and exit\n"
		"\n"
		"Progress goes to stderr.  Same seed and same BLAS give a\n"
		"byte-identical output file.\n",
		DEFAULT_SEED);
}

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help' for more information.\n", stderr);
	exit(2);
}

static int parse_size(const char *s, size_t min, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull silently negates a leading minus sign, so refuse it. */
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Accepts "--name VALUE" and "--name=VALUE"; returns the value or NULL if
 * argv[*i] is not this option. */
static const char *option_value(int argc, char **argv, int *i,
								const char *name)
{
	const char *arg = argv[*i];
	size_t len = strlen(name);

	if (strncmp(arg, name, len) != 0)
		return NULL;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		usage_error("option '%s' needs a value", name);
	(*i)++;
	return argv[*i];
}

static void parse_args(int argc, char **argv, struct options *o)
{
	o->data_dir = "/usr/share/datasets/fashion-mnist";
	o->output = NULL;
	o->val_output = NULL;
	o->n_val = 5000;
	o->n_train = 3000;
	o->epochs = 150;
	o->batch = 100;
	o->hidden = 256;
	o->lr = 0.1;
	o->epsilon = 0.0;
	o->seed = DEFAULT_SEED;
	o->have_epsilon = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *v;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
		} else if ((v = option_value(argc, argv, &i, "--data-dir"))) {
			if (*v == '\0')
				usage_error("--data-dir must not be empty");
			o->data_dir = v;
		} else if ((v = option_value(argc, argv, &i, "--output")) ||
				   (v = option_value(argc, argv, &i, "-o"))) {
			if (*v == '\0')
				usage_error("the output file name must not be empty");
			o->output = v;
		} else if ((v = option_value(argc, argv, &i, "--val-out"))) {
			o->val_output = v;
		} else if ((v = option_value(argc, argv, &i, "--val"))) {
			if (parse_size(v, 1, 1000000, &o->n_val) != 0)
				usage_error("--val needs an integer in 1..1000000, "
							"not '%s'", v);
		} else if ((v = option_value(argc, argv, &i, "--train"))) {
			if (parse_size(v, 1, 1000000, &o->n_train) != 0)
				usage_error("--train needs an integer in 1..1000000, "
							"not '%s'", v);
		} else if ((v = option_value(argc, argv, &i, "--epochs"))) {
			if (parse_size(v, 1, 1000000, &o->epochs) != 0)
				usage_error("--epochs needs an integer in 1..1000000, "
							"not '%s'", v);
		} else if ((v = option_value(argc, argv, &i, "--batch"))) {
			if (parse_size(v, 1, 1000000, &o->batch) != 0)
				usage_error("--batch needs an integer in 1..1000000, "
							"not '%s'", v);
		} else if ((v = option_value(argc, argv, &i, "--hidden"))) {
			if (parse_size(v, 1, 100000, &o->hidden) != 0)
				usage_error("--hidden needs an integer in 1..100000, "
							"not '%s'", v);
		} else if ((v = option_value(argc, argv, &i, "--seed"))) {
			size_t s;
			if (parse_size(v, 0, ULONG_MAX, &s) != 0)
				usage_error("--seed needs a non-negative integer, not '%s'",
							v);
			o->seed = (unsigned long)s;
		} else if ((v = option_value(argc, argv, &i, "--lr"))) {
			if (parse_double(v, &o->lr) != 0 || !(o->lr > 0.0))
				usage_error("--lr needs a positive number, not '%s'", v);
		} else if ((v = option_value(argc, argv, &i, "--epsilon"))) {
			if (parse_double(v, &o->epsilon) != 0 ||
				!(o->epsilon >= 0.0 && o->epsilon <= 1.0))
				usage_error("--epsilon needs a number in [0, 1], not '%s'",
							v);
			o->have_epsilon = 1;
		} else if (arg[0] == '-') {
			usage_error("unknown option '%s'", arg);
		} else {
			usage_error("unexpected argument '%s'", arg);
		}
	}

	/* Required rather than defaulted so a demo file can never be produced
	 * with an epsilon its name does not claim. */
	if (!o->have_epsilon)
		usage_error("--epsilon is required");
	if (o->output == NULL)
		usage_error("-o OUT.csv is required");
	if (o->batch > o->n_train)
		usage_error("--batch must not exceed --train");
}

/* ---- IDX reading ------------------------------------------------------ */

static char *join_path(const char *dir, const char *name)
{
	size_t ld = strlen(dir), ln = strlen(name);
	char *p = malloc(ld + ln + 2);

	if (p == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return NULL;
	}
	memcpy(p, dir, ld);
	p[ld] = '/';
	memcpy(p + ld + 1, name, ln + 1);
	return p;
}

static void gz_report(gzFile gz, const char *path, const char *what)
{
	int zerr = Z_OK;
	const char *msg = gzerror(gz, &zerr);

	if (zerr == Z_ERRNO) {
		msg = strerror(errno);
	} else {
		/* zlib prefixes its message with the path, which we print anyway. */
		size_t len = strlen(path);
		if (strncmp(msg, path, len) == 0 && strncmp(msg + len, ": ", 2) == 0)
			msg += len + 2;
	}
	fprintf(stderr, PROG ": %s: %s: %s\n", path, what, msg);
}

static int gz_read_exact(gzFile gz, const char *path, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		/* gzread takes an unsigned count and returns an int. */
		unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
		int got = gzread(gz, p, chunk);

		if (got < 0) {
			gz_report(gz, path, "read error");
			return -1;
		}
		if (got == 0) {
			fprintf(stderr, PROG ": %s: file is truncated\n", path);
			return -1;
		}
		p += got;
		len -= (size_t)got;
	}
	return 0;
}

/* Reading one byte past the end makes zlib verify the gzip trailer (CRC and
 * length), so a corrupt download is reported instead of silently used. */
static int gz_expect_eof(gzFile gz, const char *path)
{
	unsigned char extra;
	int got = gzread(gz, &extra, 1);

	if (got < 0) {
		gz_report(gz, path, "read error");
		return -1;
	}
	if (got > 0) {
		fprintf(stderr, PROG ": %s: unexpected data after the last item\n",
				path);
		return -1;
	}
	return 0;
}

static int read_be32(gzFile gz, const char *path, unsigned long *out)
{
	unsigned char b[4];

	if (gz_read_exact(gz, path, b, sizeof b) != 0)
		return -1;
	*out = ((unsigned long)b[0] << 24) | ((unsigned long)b[1] << 16) |
		   ((unsigned long)b[2] << 8) | (unsigned long)b[3];
	return 0;
}

static gzFile open_gz(const char *path)
{
	gzFile gz;

	errno = 0;
	gz = gzopen(path, "rb");
	if (gz == NULL) {
		fprintf(stderr, PROG ": %s: cannot open: %s\n", path,
				errno ? strerror(errno) : "out of memory");
		return NULL;
	}
	/* Larger than zlib's default 8 KiB, which makes reading ~3x faster. */
	gzbuffer(gz, 1u << 17);
	return gz;
}

/* Returns a malloc'ed array of all labels in the file. */
static unsigned char *load_labels(const char *path, size_t *n_out)
{
	gzFile gz = open_gz(path);
	unsigned long magic, n;
	unsigned char *y = NULL;

	if (gz == NULL)
		return NULL;
	if (read_be32(gz, path, &magic) != 0)
		goto fail;
	if (magic != IDX_MAGIC_LABELS) {
		fprintf(stderr, PROG ": %s: bad magic number 0x%08lx (an IDX label "
				"file starts with 0x%08lx)\n", path, magic, IDX_MAGIC_LABELS);
		goto fail;
	}
	if (read_be32(gz, path, &n) != 0)
		goto fail;
	if (n == 0) {
		fprintf(stderr, PROG ": %s: holds no labels\n", path);
		goto fail;
	}
	y = malloc(n);
	if (y == NULL) {
		fprintf(stderr, PROG ": %s: out of memory for %lu labels\n", path, n);
		goto fail;
	}
	if (gz_read_exact(gz, path, y, n) != 0 || gz_expect_eof(gz, path) != 0)
		goto fail;
	for (unsigned long i = 0; i < n; i++) {
		if (y[i] >= N_CLASSES) {
			fprintf(stderr, PROG ": %s: label %u at index %lu is not in "
					"0..%u\n", path, y[i], i, N_CLASSES - 1);
			goto fail;
		}
	}
	if (gzclose(gz) != Z_OK) {
		fprintf(stderr, PROG ": %s: error closing file\n", path);
		free(y);
		return NULL;
	}
	*n_out = n;
	return y;

fail:
	free(y);
	gzclose(gz);
	return NULL;
}

/* Reads the whole file (so the gzip CRC gets checked) but keeps only the
 * first `keep` images, scaled to [0, 1]; `n_expected` is the label count,
 * which the image count must match. */
static double *load_images(const char *path, size_t n_expected, size_t keep)
{
	gzFile gz = open_gz(path);
	unsigned long magic, n, rows, cols;
	unsigned char pix[N_INPUTS];
	double *x = NULL;

	if (gz == NULL)
		return NULL;
	if (read_be32(gz, path, &magic) != 0)
		goto fail;
	if (magic != IDX_MAGIC_IMAGES) {
		fprintf(stderr, PROG ": %s: bad magic number 0x%08lx (an IDX image "
				"file starts with 0x%08lx)\n", path, magic, IDX_MAGIC_IMAGES);
		goto fail;
	}
	if (read_be32(gz, path, &n) != 0 || read_be32(gz, path, &rows) != 0 ||
		read_be32(gz, path, &cols) != 0)
		goto fail;
	if (rows != IMG_ROWS || cols != IMG_COLS) {
		fprintf(stderr, PROG ": %s: images are %lux%lu, expected %ux%u\n",
				path, rows, cols, IMG_ROWS, IMG_COLS);
		goto fail;
	}
	if (n != n_expected) {
		fprintf(stderr, PROG ": %s: holds %lu images but its label file "
				"holds %zu labels\n", path, n, n_expected);
		goto fail;
	}
	if (keep > n) {
		fprintf(stderr, PROG ": %s: holds only %lu images, %zu requested\n",
				path, n, keep);
		goto fail;
	}
	x = malloc(keep * N_INPUTS * sizeof *x);
	if (x == NULL) {
		fprintf(stderr, PROG ": %s: out of memory for %zu images\n", path,
				keep);
		goto fail;
	}
	for (unsigned long i = 0; i < n; i++) {
		if (gz_read_exact(gz, path, pix, sizeof pix) != 0)
			goto fail;
		if (i < keep) {
			double *row = x + i * N_INPUTS;
			for (size_t j = 0; j < N_INPUTS; j++)
				row[j] = pix[j] / 255.0;
		}
	}
	if (gz_expect_eof(gz, path) != 0)
		goto fail;
	if (gzclose(gz) != Z_OK) {
		fprintf(stderr, PROG ": %s: error closing file\n", path);
		free(x);
		return NULL;
	}
	return x;

fail:
	free(x);
	gzclose(gz);
	return NULL;
}

static void dataset_free(struct dataset *d)
{
	free(d->x);
	free(d->y);
	d->x = NULL;
	d->y = NULL;
}

/* keep == 0 means all images in the file. */
static int load_split(const char *dir, const char *images, const char *labels,
					  size_t keep, struct dataset *d)
{
	char *ipath = join_path(dir, images);
	char *lpath = join_path(dir, labels);
	size_t n = 0;
	int rc = -1;

	d->n = 0;
	d->x = NULL;
	d->y = NULL;
	if (ipath == NULL || lpath == NULL)
		goto out;
	d->y = load_labels(lpath, &n);
	if (d->y == NULL)
		goto out;
	if (keep == 0)
		keep = n;
	d->x = load_images(ipath, n, keep);
	if (d->x == NULL) {
		dataset_free(d);
		goto out;
	}
	d->n = keep;
	rc = 0;
out:
	free(ipath);
	free(lpath);
	return rc;
}

/* ---- model ------------------------------------------------------------ */

static void mlp_free(struct mlp *m)
{
	/* NULL-safe and idempotent: called both on a failed init and at exit. */
	if (m->w1) gsl_matrix_free(m->w1);
	if (m->b1) gsl_vector_free(m->b1);
	if (m->w2) gsl_matrix_free(m->w2);
	if (m->b2) gsl_vector_free(m->b2);
	m->w1 = m->w2 = NULL;
	m->b1 = m->b2 = NULL;
}

/*
 * Initialisation: He-normal (std sqrt(2/fan_in)) for the ReLU layer because
 * ReLU discards half of the signal, and this variance keeps the hidden
 * pre-activations on the scale of the inputs instead of shrinking layer by
 * layer.  The output layer feeds softmax, not a ReLU, so it gets the
 * LeCun/Glorot-style std sqrt(1/fan_in): initial logits of order 1, i.e. a
 * soft, non-saturated starting prediction whose later sharpening is due to
 * training alone.  Biases start at zero, as nothing needs breaking there.
 */
static int mlp_init(struct mlp *m, size_t n_hidden, gsl_rng *rng)
{
	double s1 = sqrt(2.0 / (double)N_INPUTS);
	double s2 = sqrt(1.0 / (double)n_hidden);

	m->n_hidden = n_hidden;
	m->w1 = gsl_matrix_alloc(N_INPUTS, n_hidden);
	m->b1 = gsl_vector_calloc(n_hidden);
	m->w2 = gsl_matrix_alloc(n_hidden, N_CLASSES);
	m->b2 = gsl_vector_calloc(N_CLASSES);
	if (!m->w1 || !m->b1 || !m->w2 || !m->b2) {
		fprintf(stderr, PROG ": out of memory for the model\n");
		mlp_free(m);
		return -1;
	}
	/* Fixed draw order (w1 row-major, then w2) is part of the determinism
	 * contract: changing it changes every output file. */
	for (size_t i = 0; i < N_INPUTS; i++)
		for (size_t j = 0; j < n_hidden; j++)
			gsl_matrix_set(m->w1, i, j, gsl_ran_gaussian(rng, s1));
	for (size_t i = 0; i < n_hidden; i++)
		for (size_t j = 0; j < N_CLASSES; j++)
			gsl_matrix_set(m->w2, i, j, gsl_ran_gaussian(rng, s2));
	return 0;
}

static void workspace_free(struct workspace *w)
{
	if (w->x) gsl_matrix_free(w->x);
	if (w->a1) gsl_matrix_free(w->a1);
	if (w->z2) gsl_matrix_free(w->z2);
	if (w->d1) gsl_matrix_free(w->d1);
	w->x = w->a1 = w->z2 = w->d1 = NULL;
}

static int workspace_init(struct workspace *w, size_t cap, size_t n_hidden)
{
	w->cap = cap;
	w->x = gsl_matrix_alloc(cap, N_INPUTS);
	w->a1 = gsl_matrix_alloc(cap, n_hidden);
	w->z2 = gsl_matrix_alloc(cap, N_CLASSES);
	w->d1 = gsl_matrix_alloc(cap, n_hidden);
	if (!w->x || !w->a1 || !w->z2 || !w->d1) {
		fprintf(stderr, PROG ": out of memory for the workspace\n");
		workspace_free(w);
		return -1;
	}
	return 0;
}

/* Logits for the first `rows` rows of w->x, left in w->z2; the hidden
 * activations stay in w->a1 for the backward pass. */
static void forward(const struct mlp *m, struct workspace *w, size_t rows)
{
	gsl_matrix_view x = gsl_matrix_submatrix(w->x, 0, 0, rows, N_INPUTS);
	gsl_matrix_view a1 = gsl_matrix_submatrix(w->a1, 0, 0, rows, m->n_hidden);
	gsl_matrix_view z2 = gsl_matrix_submatrix(w->z2, 0, 0, rows, N_CLASSES);

	gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &x.matrix, m->w1, 0.0,
				   &a1.matrix);
	for (size_t r = 0; r < rows; r++) {
		double *h = gsl_matrix_ptr(&a1.matrix, r, 0);
		for (size_t j = 0; j < m->n_hidden; j++) {
			double v = h[j] + gsl_vector_get(m->b1, j);
			h[j] = v > 0.0 ? v : 0.0;
		}
	}
	gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &a1.matrix, m->w2, 0.0,
				   &z2.matrix);
	for (size_t r = 0; r < rows; r++) {
		double *z = gsl_matrix_ptr(&z2.matrix, r, 0);
		for (size_t k = 0; k < N_CLASSES; k++)
			z[k] += gsl_vector_get(m->b2, k);
	}
}

/* Softmax of one row of logits into p; returns the cross-entropy against
 * the smoothed target of class y.  The max is subtracted first so exp()
 * cannot overflow however large the logits grow without smoothing. */
static double softmax_xent(const double *z, double *p, unsigned y,
						   double epsilon)
{
	double zmax = z[0], sum = 0.0, lse, loss = 0.0;

	for (size_t k = 1; k < N_CLASSES; k++)
		if (z[k] > zmax)
			zmax = z[k];
	for (size_t k = 0; k < N_CLASSES; k++) {
		p[k] = exp(z[k] - zmax);
		sum += p[k];
	}
	lse = zmax + log(sum);
	for (size_t k = 0; k < N_CLASSES; k++) {
		double t = epsilon / N_CLASSES + (k == y ? 1.0 - epsilon : 0.0);
		p[k] /= sum;
		if (t > 0.0)
			loss += t * (lse - z[k]);
	}
	return loss;
}

static size_t argmax(const double *v)
{
	size_t best = 0;

	for (size_t k = 1; k < N_CLASSES; k++)
		if (v[k] > v[best])
			best = k;
	return best;
}

/* One SGD step on the `rows` examples already copied into w->x.  The
 * parameter updates are folded into dgemm's beta = 1 accumulation so no
 * separate gradient matrices are needed; W2 is read for the hidden-layer
 * gradient before it is updated, so this is exactly plain minibatch SGD. */
static void sgd_step(struct mlp *m, struct workspace *w, const size_t *idx,
					 const unsigned char *labels, size_t rows, double lr,
					 double epsilon)
{
	gsl_matrix_view x = gsl_matrix_submatrix(w->x, 0, 0, rows, N_INPUTS);
	gsl_matrix_view a1 = gsl_matrix_submatrix(w->a1, 0, 0, rows, m->n_hidden);
	gsl_matrix_view z2 = gsl_matrix_submatrix(w->z2, 0, 0, rows, N_CLASSES);
	gsl_matrix_view d1 = gsl_matrix_submatrix(w->d1, 0, 0, rows, m->n_hidden);
	double inv = 1.0 / (double)rows;

	forward(m, w, rows);

	/* d(mean loss)/d(logits) = (softmax - target) / rows. */
	for (size_t r = 0; r < rows; r++) {
		double *z = gsl_matrix_ptr(&z2.matrix, r, 0);
		double p[N_CLASSES];
		unsigned y = labels[idx[r]];

		softmax_xent(z, p, y, epsilon);
		for (size_t k = 0; k < N_CLASSES; k++) {
			double t = epsilon / N_CLASSES + (k == y ? 1.0 - epsilon : 0.0);
			z[k] = (p[k] - t) * inv;
		}
	}

	gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &z2.matrix, m->w2, 0.0,
				   &d1.matrix);
	for (size_t r = 0; r < rows; r++) {
		double *d = gsl_matrix_ptr(&d1.matrix, r, 0);
		const double *h = gsl_matrix_const_ptr(&a1.matrix, r, 0);
		/* h > 0 exactly where the pre-activation was > 0. */
		for (size_t j = 0; j < m->n_hidden; j++)
			if (!(h[j] > 0.0))
				d[j] = 0.0;
	}

	gsl_blas_dgemm(CblasTrans, CblasNoTrans, -lr, &a1.matrix, &z2.matrix, 1.0,
				   m->w2);
	for (size_t k = 0; k < N_CLASSES; k++) {
		double g = 0.0;
		for (size_t r = 0; r < rows; r++)
			g += gsl_matrix_get(&z2.matrix, r, k);
		*gsl_vector_ptr(m->b2, k) -= lr * g;
	}

	gsl_blas_dgemm(CblasTrans, CblasNoTrans, -lr, &x.matrix, &d1.matrix, 1.0,
				   m->w1);
	for (size_t j = 0; j < m->n_hidden; j++) {
		double g = 0.0;
		for (size_t r = 0; r < rows; r++)
			g += gsl_matrix_get(&d1.matrix, r, j);
		*gsl_vector_ptr(m->b1, j) -= lr * g;
	}
}

static void load_rows(struct workspace *w, const struct dataset *d,
					  const size_t *idx, size_t rows)
{
	for (size_t r = 0; r < rows; r++)
		memcpy(gsl_matrix_ptr(w->x, r, 0), d->x + idx[r] * N_INPUTS,
			   N_INPUTS * sizeof(double));
}

/* Mean smoothed loss and accuracy over a whole dataset, in workspace-sized
 * chunks.  If `logits` is given, the logits are kept there (n x classes)
 * and the mean top-class probability is returned in *conf. */
static void evaluate(const struct mlp *m, struct workspace *w,
					 const struct dataset *d, double epsilon, double *loss,
					 double *acc, double *conf, gsl_matrix *logits)
{
	double sum_loss = 0.0, sum_conf = 0.0;
	size_t correct = 0;

	for (size_t start = 0; start < d->n; start += w->cap) {
		size_t rows = d->n - start < w->cap ? d->n - start : w->cap;

		memcpy(gsl_matrix_ptr(w->x, 0, 0), d->x + start * N_INPUTS,
			   rows * N_INPUTS * sizeof(double));
		forward(m, w, rows);
		for (size_t r = 0; r < rows; r++) {
			const double *z = gsl_matrix_const_ptr(w->z2, r, 0);
			double p[N_CLASSES];
			size_t pred;

			sum_loss += softmax_xent(z, p, d->y[start + r], epsilon);
			pred = argmax(p);
			sum_conf += p[pred];
			if (pred == d->y[start + r])
				correct++;
			if (logits != NULL)
				memcpy(gsl_matrix_ptr(logits, start + r, 0), z,
					   N_CLASSES * sizeof(double));
		}
	}
	*loss = sum_loss / (double)d->n;
	*acc = (double)correct / (double)d->n;
	if (conf != NULL)
		*conf = sum_conf / (double)d->n;
}

/* ---- output ----------------------------------------------------------- */

/* Written to a temporary file in the target directory and renamed into
 * place, so readers only ever see a complete file (rename is atomic within
 * one file system). */
static int write_csv(const char *path, const unsigned char *labels,
					 const gsl_matrix *logits)
{
	static const char suffix[] = ".tmpXXXXXX";
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof suffix);
	FILE *f = NULL;
	int fd;
	mode_t mask;

	if (tmp == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, suffix, sizeof suffix);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, PROG ": cannot create a temporary file for %s: %s\n",
				path, strerror(errno));
		free(tmp);
		return -1;
	}
	/* mkstemp creates mode 0600; give the file the permissions an ordinary
	 * fopen would have, since these are shared data files. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		fprintf(stderr, PROG ": %s: chmod: %s\n", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", tmp, strerror(errno));
		close(fd);
		goto fail;
	}

	/* setlocale is never called, so printf stays in the "C" locale and
	 * writes '.' as the decimal separator, as CSV readers expect. */
	if (fputs("label", f) == EOF)
		goto write_error;
	for (size_t k = 0; k < N_CLASSES; k++)
		if (fprintf(f, ",logit_%zu", k) < 0)
			goto write_error;
	if (fputc('\n', f) == EOF)
		goto write_error;
	for (size_t r = 0; r < logits->size1; r++) {
		if (fprintf(f, "%u", (unsigned)labels[r]) < 0)
			goto write_error;
		for (size_t k = 0; k < N_CLASSES; k++)
			if (fprintf(f, ",%.9g", gsl_matrix_get(logits, r, k)) < 0)
				goto write_error;
		if (fputc('\n', f) == EOF)
			goto write_error;
	}
	/* fsync so a crash right after the rename cannot leave an empty file
	 * under the final name. */
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto write_error;
	if (fclose(f) != 0) {
		f = NULL;
		goto write_error;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		fprintf(stderr, PROG ": cannot rename %s to %s: %s\n", tmp, path,
				strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;

write_error:
	fprintf(stderr, PROG ": %s: write error: %s\n", tmp, strerror(errno));
	if (f != NULL)
		fclose(f);
fail:
	unlink(tmp);
	free(tmp);
	return -1;
}

/* ---- main ------------------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
		   (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct dataset train = {0, NULL, NULL}, test = {0, NULL, NULL};
	struct dataset val = {0, NULL, NULL};  /* a view into train's arrays */
	struct mlp model = {0, NULL, NULL, NULL, NULL};
	struct workspace ws = {0, NULL, NULL, NULL, NULL};
	gsl_rng *rng = NULL;
	gsl_matrix *logits = NULL;
	size_t *perm = NULL;
	struct timespec t0;
	int status = 1;

	parse_args(argc, argv, &opt);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* GSL's default handler aborts on allocation failure; report and exit
	 * cleanly instead by checking every return value ourselves. */
	gsl_set_error_handler_off();
#ifdef HAVE_OPENBLAS
	/* Threaded gemm may split work differently from run to run, and on
	 * these matrix sizes threads buy little; one thread keeps the output
	 * byte-reproducible. */
	openblas_set_num_threads(1);
#endif

	/* The validation images follow the training images in the same file;
	 * they are only ever evaluated, so the training run, its random draws
	 * and its test logits are the same with or without them. */
	if (load_split(opt.data_dir, "train-images-idx3-ubyte.gz",
				   "train-labels-idx1-ubyte.gz",
				   opt.n_train + (opt.val_output ? opt.n_val : 0), &train) != 0)
		goto out;
	if (opt.val_output != NULL) {
		val.n = opt.n_val;
		val.x = train.x + opt.n_train * N_INPUTS;
		val.y = train.y + opt.n_train;
		train.n = opt.n_train;
	}
	if (load_split(opt.data_dir, "t10k-images-idx3-ubyte.gz",
				   "t10k-labels-idx1-ubyte.gz", 0, &test) != 0)
		goto out;

	rng = gsl_rng_alloc(gsl_rng_mt19937);
	perm = malloc(train.n * sizeof *perm);
	logits = gsl_matrix_alloc(test.n, N_CLASSES);
	if (rng == NULL || perm == NULL || logits == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	/* Note: GSL's mt19937 maps seed 0 to its default seed 4357. */
	gsl_rng_set(rng, opt.seed);
	if (mlp_init(&model, opt.hidden, rng) != 0)
		goto out;
	if (workspace_init(&ws, opt.batch, opt.hidden) != 0)
		goto out;
	for (size_t i = 0; i < train.n; i++)
		perm[i] = i;

	fprintf(stderr, PROG ": %zu train / %zu test images, MLP %u-%zu-%u, "
			"epsilon %g, lr %g, batch %zu, %zu epochs, seed %lu, BLAS %s\n",
			train.n, test.n, N_INPUTS, opt.hidden, N_CLASSES, opt.epsilon,
			opt.lr, opt.batch, opt.epochs, opt.seed,
#ifdef HAVE_OPENBLAS
			"OpenBLAS (1 thread)"
#else
			"as linked (CBLAS)"
#endif
			);

	for (size_t epoch = 1; epoch <= opt.epochs; epoch++) {
		gsl_ran_shuffle(rng, perm, train.n, sizeof *perm);
		for (size_t start = 0; start < train.n; start += opt.batch) {
			size_t rows = train.n - start < opt.batch ? train.n - start
													  : opt.batch;
			load_rows(&ws, &train, perm + start, rows);
			sgd_step(&model, &ws, perm + start, train.y, rows, opt.lr,
					 opt.epsilon);
		}
		if (epoch == 1 || epoch % 10 == 0 || epoch == opt.epochs) {
			double loss, acc;
			evaluate(&model, &ws, &train, opt.epsilon, &loss, &acc, NULL,
					 NULL);
			fprintf(stderr, "epoch %4zu  train loss %.5f  train acc %.4f  "
					"(%.1f s)\n", epoch, loss, acc, seconds_since(&t0));
			if (!isfinite(loss)) {
				fprintf(stderr, PROG ": training diverged (loss is not "
						"finite); try a smaller --lr\n");
				goto out;
			}
		}
	}

	{
		double loss, acc, conf;
		evaluate(&model, &ws, &test, opt.epsilon, &loss, &acc, &conf,
				 logits);
		if (write_csv(opt.output, test.y, logits) != 0)
			goto out;
		fprintf(stderr, PROG ": test accuracy %.4f  mean confidence %.4f  "
				"(%zu images)\n", acc, conf, test.n);
		fprintf(stderr, PROG ": wrote %s in %.1f s\n", opt.output,
				seconds_since(&t0));
	}
	if (opt.val_output != NULL) {
		double loss, acc, conf;
		gsl_matrix *vl = gsl_matrix_alloc(val.n, N_CLASSES);
		if (vl == NULL) {
			fprintf(stderr, PROG ": out of memory\n");
			goto out;
		}
		evaluate(&model, &ws, &val, opt.epsilon, &loss, &acc, &conf, vl);
		if (write_csv(opt.val_output, val.y, vl) != 0) {
			gsl_matrix_free(vl);
			goto out;
		}
		gsl_matrix_free(vl);
		fprintf(stderr, PROG ": validation accuracy %.4f  mean confidence "
				"%.4f  (%zu images)\n", acc, conf, val.n);
		fprintf(stderr, PROG ": wrote %s\n", opt.val_output);
	}
	status = 0;

out:
	workspace_free(&ws);
	mlp_free(&model);
	if (logits) gsl_matrix_free(logits);
	if (rng) gsl_rng_free(rng);
	free(perm);
	dataset_free(&train);
	dataset_free(&test);
	return status;
}
