/*
 * table.c - the reliability table behind calib bins, diagram and hist:
 * its options, its computation and its four output formats.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "json-writer.h"

#define BINS_HELP \
"  --bins M              number of bins (default 15)\n" \
"  --binning width|mass  equal-width bins ((m-1)/M, m/M] (default), or\n" \
"                        equal-mass bins of floor(n/M) or ceil(n/M) rows\n" \
"  --class K             one-vs-rest calibration of class K (an index\n" \
"                        0..K-1): p_K against [label = K], instead of the\n" \
"                        top-label confidence against correctness\n"
#define INTERVALS_HELP \
"  --ci wilson|clopper-pearson\n" \
"                        interval for each bin's accuracy (default wilson)\n" \
"  --ci-level X          level of the interval and of the consistency band\n" \
"                        (default 0.95)\n" \
"  --band auto|exact|resample|none\n" \
"                        consistency band: the accuracies a calibrated\n" \
"                        model with the bin's confidences would show;\n" \
"                        exact (Poisson-binomial) or resampled outcomes;\n" \
"                        auto (default) is exact unless weights differ\n" \
"  --resamples R         draws for a resampled band (default 2000)\n" \
"  --seed S              seed of a resampled band (default 1): the same\n" \
"                        file and seed always give the same band\n"

const char cli_table_help[] =
"Bins, intervals and bands:\n" BINS_HELP INTERVALS_HELP "\n"
    CLI_CONVENTION_HELP;

/* hist draws no interval or band; they only reach its --table file. */
const char cli_table_help_hist[] =
"Bins:\n" BINS_HELP
"\nIntervals and bands (only in the --table file):\n" INTERVALS_HELP "\n"
    CLI_CONVENTION_HELP;

void
cli_table_init(struct cli_table *t)
{
	memset(t, 0, sizeof(*t));
	cli_read_init(&t->r);
	calib_reliability_options_init(&t->o);
	t->cls = -1;
}

int
cli_table_option(const char *cmd, int opt, const char *arg,
    struct cli_table *t)
{
	switch (opt) {
	case CLI_OPT_CI:
		if (strcmp(arg, "wilson") == 0)
			t->o.interval = CALIB_INTERVAL_WILSON;
		else if (strcmp(arg, "clopper-pearson") == 0)
			t->o.interval = CALIB_INTERVAL_CLOPPER_PEARSON;
		else {
			cli_usage_error(cmd, "--ci: '%s' is not wilson or "
			    "clopper-pearson", arg);
			return -1;
		}
		return 1;
	case CLI_OPT_CI_LEVEL:
		if (cli_parse_double(cmd, "ci-level", arg, &t->o.level) != 0)
			return -1;
		if (!(t->o.level > 0 && t->o.level < 1)) {
			cli_usage_error(cmd, "--ci-level: '%s' is not strictly "
			    "between 0 and 1", arg);
			return -1;
		}
		return 1;
	case CLI_OPT_BAND:
		if (strcmp(arg, "auto") == 0)
			t->o.band = CALIB_BAND_AUTO;
		else if (strcmp(arg, "exact") == 0)
			t->o.band = CALIB_BAND_EXACT;
		else if (strcmp(arg, "resample") == 0)
			t->o.band = CALIB_BAND_RESAMPLE;
		else if (strcmp(arg, "none") == 0)
			t->o.band = CALIB_BAND_NONE;
		else {
			cli_usage_error(cmd, "--band: '%s' is not auto, exact, "
			    "resample or none", arg);
			return -1;
		}
		return 1;
	case CLI_OPT_RESAMPLES:
		return cli_parse_int(cmd, "resamples", arg, 1, 100000000,
		    &t->o.resamples) == 0 ? 1 : -1;
	case CLI_OPT_SEED:
		return cli_parse_seed(cmd, arg, &t->o.seed) == 0 ? 1 : -1;
	case CLI_OPT_CLASS:
		/* An index, or a class name resolved once the names are
		 * known. */
		if (arg[0] >= '0' && arg[0] <= '9')
			return cli_parse_int(cmd, "class", arg, 0, 1000000000,
			    &t->cls) == 0 ? 1 : -1;
		t->cls_name = arg;
		t->cls = -1;
		return 1;
	case CLI_OPT_BINS:
		t->r.given |= CLI_GIVEN_BINS;
		return cli_parse_int(cmd, "bins", arg, 1, 1000000,
		    &t->o.bins) == 0 ? 1 : -1;
	case CLI_OPT_BINNING:
		t->r.given |= CLI_GIVEN_BINNING;
		if (strcmp(arg, "width") == 0)
			t->o.binning = CALIB_BIN_WIDTH;
		else if (strcmp(arg, "mass") == 0)
			t->o.binning = CALIB_BIN_MASS;
		else {
			cli_usage_error(cmd, "--binning: '%s' is not width or "
			    "mass", arg);
			return -1;
		}
		return 1;
	}
	return cli_read_option(cmd, opt, arg, &t->r);
}

static calib_status
oom_error(calib_error *err)
{
	memset(err, 0, sizeof(*err));
	err->status = CALIB_E_NOMEM;
	snprintf(err->message, sizeof(err->message), "out of memory");
	return CALIB_E_NOMEM;
}

/* --class NAME: the index of the class so named, from --classes or the
 * file's own names (read once without messages to learn them). */
static int
class_by_name(const char *cmd, const char *path, struct cli_table *t)
{
	calib_read_options ro = t->r.ro;
	calib_preds *q = NULL;
	calib_error err;
	int i;

	if (t->r.classes != NULL) {
		for (i = 0; i < t->r.nclasses; i++)
			if (strcmp(t->r.classes[i], t->cls_name) == 0) {
				t->cls = i;
				return CLI_OK;
			}
		return cli_usage_error(cmd, "--class '%s' is not one of the "
		    "names --classes gives", t->cls_name);
	}
	if (strcmp(path, "-") == 0)
		return cli_usage_error(cmd, "--class NAME with standard input "
		    "needs the names from --classes (or give the index)");
	ro.target = CALIB_TARGET_TOP;
	ro.classwise_bins = 0;
	if (calib_read(path, &ro, &q, &err) != CALIB_OK) {
		cli_lib_error(&err);
		return CLI_ERROR;
	}
	for (i = 0; i < q->k; i++)
		if (strcmp(q->class_names[i], t->cls_name) == 0)
			t->cls = i;
	if (t->cls < 0)
		cli_error("%s: --class '%s': the file has no class of that name "
		    "(its classes are '%s' to '%s')", q->source, t->cls_name,
		    q->class_names[0], q->class_names[q->k - 1]);
	calib_preds_free(q);
	return t->cls >= 0 ? CLI_OK : CLI_ERROR;
}

int
cli_table_compute(const char *cmd, const char *path, struct cli_table *t,
    calib_preds **pp, calib_reliability *rel)
{
	calib_preds *p;
	calib_error err;
	calib_status st;

	*pp = NULL;
	if (t->cls_name != NULL && class_by_name(cmd, path, t) != CLI_OK)
		return CLI_ERROR;
	if (t->cls >= 0) {
		if (t->r.binary_set && t->r.binary == CLI_BINARY_POSITIVE)
			return cli_usage_error(cmd, "--class and --binary "
			    "positive both choose what is calibrated; give "
			    "one of them");
		t->r.ro.target = t->cls;
	}
	int mpi = 0;
#ifdef CALIB_MPI
	mpi = 1; /* the rows are spread over the ranks: sums only */
#endif
	if (mpi || cli_is_summary(path)) {
		calib_summary *s;
		if (t->o.binning != CALIB_BIN_WIDTH)
			t->r.mo.binning = t->o.binning;
		t->r.mo.bins = t->o.bins;
		if (cli_is_summary(path))
			s = cli_load_summary(cmd, path, &t->r, t->cls >= 0);
		else if (t->o.binning != CALIB_BIN_WIDTH) {
			cli_error("%s: equal-mass bins need every row in one "
			    "process and do not merge; use calib", path);
			return CLI_ERROR;
		} else
			s = cli_summarize(path, &t->r);
		if (s == NULL)
			return CLI_ERROR;
		t->o.bins = t->r.mo.bins;
		if (cli_summary_check_rows(s) != 0) {
			calib_summary_free(s);
			return CLI_ERROR;
		}
		st = calib_summary_reliability(s, &t->o, rel, &err);
		if (st == CALIB_OK && (p = cli_summary_shell(s)) == NULL) {
			calib_reliability_release(rel);
			st = oom_error(&err);
		}
		calib_summary_free(s);
		if (st != CALIB_OK) {
			cli_lib_error(&err);
			return CLI_ERROR;
		}
		*pp = p;
		return CLI_OK;
	}
	p = cli_read_preds(path, &t->r, 0);
	if (p == NULL)
		return CLI_ERROR;
	t->o.convention = t->r.mo.convention;
	cli_progress_begin("intervals and bands");
	st = calib_reliability_compute(p, &t->o, rel, &err);
	cli_progress_end();
	if (st != CALIB_OK) {
		cli_lib_error(&err);
		calib_preds_free(p);
		return CLI_ERROR;
	}
	*pp = p;
	return CLI_OK;
}

void
cli_table_summary(const calib_reliability *rel, struct cli_table_summary *s)
{
	const calib_bins *b = &rel->table;
	double sc = 0, oc = 0;
	int j;

	for (j = 0; j < b->m; j++) {
		sc += b->bin[j].sum_score;
		oc += b->bin[j].sum_outcome;
	}
	s->ece = calib_ece(b);
	s->mce = calib_mce(b);
	s->oe = calib_oe(b);
	s->confidence = b->total_weight > 0 ? sc / b->total_weight : NAN;
	s->accuracy = b->total_weight > 0 ? oc / b->total_weight : NAN;
}

const char *
cli_table_target(const calib_preds *p, char *buf, size_t size)
{
	if (p->target == CALIB_TARGET_TOP)
		return p->k == 2 ? "binary top-label" : "top-label";
	if (p->k == 2 && p->target == 1)
		return "binary positive";
	snprintf(buf, size, "class %d ('%s') vs rest", p->target,
	    p->class_names[p->target]);
	return buf;
}

const char *
cli_table_interval_name(const calib_reliability *rel)
{
	return rel->interval == CALIB_INTERVAL_WILSON ? "wilson" :
	    "clopper-pearson";
}

const char *
cli_table_band_name(const calib_reliability *rel)
{
	switch (rel->band) {
	case CALIB_BAND_EXACT:
		return "exact";
	case CALIB_BAND_RESAMPLE:
		return "resample";
	default:
		return "none";
	}
}

int
cli_table_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return CLI_TABLE_TEXT;
	if (strcmp(s, "csv") == 0)
		return CLI_TABLE_CSV;
	if (strcmp(s, "tsv") == 0)
		return CLI_TABLE_TSV;
	if (strcmp(s, "json") == 0)
		return CLI_TABLE_JSON;
	return -1;
}

int
cli_table_format_for(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return CLI_TABLE_TEXT;
	if (strcasecmp(dot, ".csv") == 0)
		return CLI_TABLE_CSV;
	if (strcasecmp(dot, ".tsv") == 0)
		return CLI_TABLE_TSV;
	if (strcasecmp(dot, ".json") == 0)
		return CLI_TABLE_JSON;
	return CLI_TABLE_TEXT;
}

/* The derived columns of bin j; NaN where the bin is empty. */
struct row {
	double conf, acc, gap;
};

static struct row
bin_row(const calib_bin *b)
{
	struct row r;

	if (b->weight > 0) {
		r.conf = b->sum_score / b->weight;
		r.acc = b->sum_outcome / b->weight;
		r.gap = r.acc - r.conf;
	} else
		r.conf = r.acc = r.gap = NAN;
	return r;
}

static const char *const columns[] = {
	"bin", "lo", "hi", "count", "weight", "conf", "acc", "gap", "acc_lo",
	"acc_hi", "band_lo", "band_hi", NULL
};

static void
write_text(FILE *fp, const char *file, const calib_preds *p,
    const calib_reliability *rel)
{
	const calib_bins *b = &rel->table;
	struct cli_table_summary s;
	char tbuf[160];
	int j, c;

	cli_table_summary(rel, &s);
	fprintf(fp, "# %s: %zu rows, %d classes, %s\n", file, b->n, p->k,
	    cli_table_target(p, tbuf, sizeof(tbuf)));
	if (!calib_convention_is_default(&rel->convention)) {
		char cbuf[256];
		cli_convention_text(cbuf, sizeof(cbuf), &rel->convention);
		fprintf(fp, "# %d %s bins under convention %s, temperature "
		    "%g\n", b->m, b->binning == CALIB_BIN_WIDTH ?
		    "equal-width" : "equal-mass", cbuf, p->temperature);
	} else if (b->binning == CALIB_BIN_WIDTH)
		fprintf(fp, "# %d equal-width bins ((m-1)/M, m/M], temperature "
		    "%g\n", b->m, p->temperature);
	else
		fprintf(fp, "# %d equal-mass bins (%d asked for), temperature "
		    "%g\n", b->m, b->requested, p->temperature);
	fprintf(fp, "# acc_lo, acc_hi: %g%% %s interval of acc\n",
	    100 * rel->level, rel->interval == CALIB_INTERVAL_WILSON ?
	    "Wilson score" : "Clopper-Pearson");
	if (rel->band == CALIB_BAND_EXACT)
		fprintf(fp, "# band_lo, band_hi: %g%% consistency band, exact "
		    "(Poisson-binomial)\n", 100 * rel->level);
	else if (rel->band == CALIB_BAND_RESAMPLE)
		fprintf(fp, "# band_lo, band_hi: %g%% consistency band, %d "
		    "resamples, seed %lu\n", 100 * rel->level, rel->resamples,
		    rel->seed);
	fprintf(fp, "# ECE %.8g  MCE %.8g  OE %.8g  accuracy %.8g  "
	    "confidence %.8g\n", s.ece, s.mce, s.oe, s.accuracy,
	    s.confidence);
	fprintf(fp, "%4s %9s %9s %8s %10s", columns[0], columns[1],
	    columns[2], columns[3], columns[4]);
	for (c = 5; columns[c] != NULL; c++)
		fprintf(fp, " %9s", columns[c]);
	fputc('\n', fp);
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		const calib_bin_uncertainty *u = &rel->u[j];
		struct row r = bin_row(x);
		const double v[] = { r.conf, r.acc, r.gap, u->acc_lo,
		    u->acc_hi, u->band_lo, u->band_hi };
		size_t i;

		fprintf(fp, "%4d %9.6f %9.6f %8zu %10.6g", j + 1, x->lo, x->hi,
		    x->count, x->weight);
		for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			if (isnan(v[i]))
				fprintf(fp, " %9s", "-");
			else
				fprintf(fp, " %9.6f", v[i]);
		fputc('\n', fp);
	}
}

/* A number for CSV/TSV: shortest round-trip text, empty when missing. */
static void
field(FILE *fp, char sep, double v)
{
	char buf[40];

	fputc(sep, fp);
	if (isnan(v))
		return;
	cli_fmt_number(buf, sizeof(buf), v);
	fputs(buf, fp);
}

/* set: the settings repeated on every row (saved tables), or NULL (the
 * data files of figures). */
static void
write_delimited(FILE *fp, const calib_reliability *rel, char sep,
    const struct cli_settings *set)
{
	const calib_bins *b = &rel->table;
	int j, c;

	fputs(columns[0], fp);
	for (c = 1; columns[c] != NULL; c++)
		fprintf(fp, "%c%s", sep, columns[c]);
	if (set != NULL)
		cli_settings_header(fp, sep);
	fputc('\n', fp);
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		const calib_bin_uncertainty *u = &rel->u[j];
		struct row r = bin_row(x);

		fprintf(fp, "%d", j + 1);
		field(fp, sep, x->lo);
		field(fp, sep, x->hi);
		fprintf(fp, "%c%zu", sep, x->count);
		field(fp, sep, x->weight);
		field(fp, sep, r.conf);
		field(fp, sep, r.acc);
		field(fp, sep, r.gap);
		field(fp, sep, u->acc_lo);
		field(fp, sep, u->acc_hi);
		field(fp, sep, u->band_lo);
		field(fp, sep, u->band_hi);
		if (set != NULL)
			cli_settings_fields(fp, set, sep);
		fputc('\n', fp);
	}
}

static void
write_json(FILE *fp, const char *file, const calib_preds *p,
    const calib_reliability *rel)
{
	const calib_bins *b = &rel->table;
	struct cli_table_summary s;
	struct cli_settings set;
	struct jw w;
	char tbuf[160];
	int j;

	cli_table_summary(rel, &s);
	jw_init(&w, fp, 0);
	jw_object_begin(&w);
	jw_string_member(&w, "file", file);
	jw_uint_member(&w, "n", b->n);
	jw_int_member(&w, "classes", p->k);
	jw_string_member(&w, "target", cli_table_target(p, tbuf, sizeof(tbuf)));
	if (p->target == CALIB_TARGET_TOP)
		jw_null_member(&w, "class");
	else
		jw_int_member(&w, "class", p->target);
	jw_int_member(&w, "bins", b->m);
	jw_string_member(&w, "binning", b->binning == CALIB_BIN_WIDTH ?
	    "width" : "mass");
	jw_number_member(&w, "temperature", p->temperature);
	cli_json_convention(&w, &rel->convention);
	jw_string_member(&w, "interval", cli_table_interval_name(rel));
	jw_number_member(&w, "level", rel->level);
	jw_string_member(&w, "band", cli_table_band_name(rel));
	if (rel->band == CALIB_BAND_RESAMPLE) {
		jw_int_member(&w, "resamples", rel->resamples);
		jw_uint_member(&w, "seed", rel->seed);
	} else {
		jw_null_member(&w, "resamples");
		jw_null_member(&w, "seed");
	}
	jw_number_member(&w, "ece", s.ece);
	jw_number_member(&w, "mce", s.mce);
	jw_number_member(&w, "oe", s.oe);
	jw_number_member(&w, "accuracy", s.accuracy);
	jw_number_member(&w, "confidence", s.confidence);
	jw_array_member(&w, "table");
	for (j = 0; j < b->m; j++) {
		const calib_bin *x = &b->bin[j];
		const calib_bin_uncertainty *u = &rel->u[j];
		struct row r = bin_row(x);

		jw_object_begin(&w);
		jw_int_member(&w, "bin", j + 1);
		jw_number_member(&w, "lo", x->lo);
		jw_number_member(&w, "hi", x->hi);
		jw_uint_member(&w, "count", x->count);
		jw_number_member(&w, "weight", x->weight);
		jw_number_member(&w, "conf", r.conf);
		jw_number_member(&w, "acc", r.acc);
		jw_number_member(&w, "gap", r.gap);
		jw_number_member(&w, "acc_lo", u->acc_lo);
		jw_number_member(&w, "acc_hi", u->acc_hi);
		jw_number_member(&w, "band_lo", u->band_lo);
		jw_number_member(&w, "band_hi", u->band_hi);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_string_member(&w, "version", PACKAGE_VERSION);
	cli_settings_get(&set, p, NAN);
	cli_settings_json(&w, &set, CLI_SET_TARGET | CLI_SET_TEMPERATURE);
	jw_object_end(&w);
}

void
cli_table_write(FILE *fp, int fmt, const char *file, const calib_preds *p,
    const calib_reliability *rel)
{
	switch (fmt) {
	case CLI_TABLE_TEXT:
		write_text(fp, file, p, rel);
		break;
	case CLI_TABLE_CSV:
		write_delimited(fp, rel, ',', NULL);
		break;
	case CLI_TABLE_TSV:
		write_delimited(fp, rel, '\t', NULL);
		break;
	case CLI_TABLE_JSON:
		write_json(fp, file, p, rel);
		break;
	}
}

int
cli_table_save(const char *path, int fmt, const char *file,
    const calib_preds *p, const calib_reliability *rel)
{
	struct cli_out out;

	if (cli_out_open(&out, path) != 0)
		return CLI_ERROR;
	if (fmt == CLI_TABLE_CSV || fmt == CLI_TABLE_TSV) {
		struct cli_settings set;
		cli_settings_get(&set, p, NAN);
		write_delimited(out.fp, rel, fmt == CLI_TABLE_CSV ? ',' : '\t',
		    &set);
	} else {
		cli_table_write(out.fp, fmt, file, p, rel);
	}
	return cli_out_commit(&out) == 0 ? CLI_OK : CLI_ERROR;
}

/* ---- curves: the smoothed and the CORP reliability curves ---------- */

void
cli_curve_write(FILE *fp, int fmt, const char *file, const calib_preds *p,
    const struct cli_curve *c)
{
	char tbuf[160], buf[40];
	size_t r;
	int j;

	if (fmt == CLI_TABLE_JSON) {
		struct jw w;
		jw_init(&w, fp, 0);
		jw_object_begin(&w);
		jw_string_member(&w, "file", file);
		jw_uint_member(&w, "n", p->n);
		jw_int_member(&w, "classes", p->k);
		jw_string_member(&w, "target", cli_table_target(p, tbuf,
		    sizeof(tbuf)));
		jw_string_member(&w, "curve", c->kind);
		for (j = 0; j < c->nvals; j++)
			jw_number_member(&w, c->valname[j], c->val[j]);
		jw_array_member(&w, "table");
		for (r = 0; r < c->rows; r++) {
			jw_object_begin(&w);
			for (j = 0; j < c->ncols; j++)
				jw_number_member(&w, c->colname[j],
				    c->col[j][r]);
			jw_object_end(&w);
		}
		jw_array_end(&w);
		jw_string_member(&w, "version", PACKAGE_VERSION);
		jw_object_end(&w);
		return;
	}
	if (fmt == CLI_TABLE_CSV || fmt == CLI_TABLE_TSV) {
		char sep = fmt == CLI_TABLE_CSV ? ',' : '\t';
		for (j = 0; j < c->ncols; j++)
			fprintf(fp, "%s%s", j ? (sep == ',' ? "," : "\t") : "",
			    c->colname[j]);
		fputc('\n', fp);
		for (r = 0; r < c->rows; r++) {
			for (j = 0; j < c->ncols; j++) {
				if (j)
					fputc(sep, fp);
				if (!isnan(c->col[j][r])) {
					cli_fmt_number(buf, sizeof(buf),
					    c->col[j][r]);
					fputs(buf, fp);
				}
			}
			fputc('\n', fp);
		}
		return;
	}
	fprintf(fp, "# %s: %zu rows, %d classes, %s\n", file, p->n, p->k,
	    cli_table_target(p, tbuf, sizeof(tbuf)));
	for (j = 0; j < 4; j++)
		if (c->note[j] != NULL)
			fprintf(fp, "# %s\n", c->note[j]);
	for (j = 0; j < c->ncols; j++)
		fprintf(fp, "%s%10s", j ? " " : "", c->colname[j]);
	fputc('\n', fp);
	for (r = 0; r < c->rows; r++) {
		for (j = 0; j < c->ncols; j++) {
			if (isnan(c->col[j][r]))
				fprintf(fp, "%s%10s", j ? " " : "", "-");
			else
				fprintf(fp, "%s%10.6f", j ? " " : "",
				    c->col[j][r]);
		}
		fputc('\n', fp);
	}
}

int
cli_curve_save(const char *path, int fmt, const char *file,
    const calib_preds *p, const struct cli_curve *c)
{
	struct cli_out out;

	if (cli_out_open(&out, path) != 0)
		return CLI_ERROR;
	cli_curve_write(out.fp, fmt, file, p, c);
	return cli_out_commit(&out) == 0 ? CLI_OK : CLI_ERROR;
}

/* The curve to fp when it is not NULL, else saved to path (NULL: stdout). */
static int
curve_emit(FILE *fp, const char *path, int fmt, const char *file,
    const calib_preds *p, const struct cli_curve *c)
{
	if (fp != NULL) {
		cli_curve_write(fp, fmt, file, p, c);
		return CLI_OK;
	}
	return cli_curve_save(path, fmt, file, p, c);
}

int
cli_smooth_curve_emit(FILE *fp, const char *path, int fmt, const char *file,
    const calib_preds *p, double sigma, int points, double *smece_out,
    double *sigma_out)
{
	struct cli_curve c;
	calib_smooth_curve sc;
	char note[200];
	int rc;

	if (calib_smooth_curve_compute(p, sigma, points, &sc) != CALIB_OK) {
		cli_error("%s: out of memory", file);
		return CLI_ERROR;
	}
	memset(&c, 0, sizeof(c));
	c.kind = "smooth";
	c.ncols = 4;
	c.colname[0] = "t";
	c.colname[1] = "acc";
	c.colname[2] = "conf";
	c.colname[3] = "density";
	c.col[0] = sc.t;
	c.col[1] = sc.acc;
	c.col[2] = sc.conf;
	c.col[3] = sc.density;
	c.rows = (size_t)sc.points;
	c.nvals = 2;
	c.valname[0] = "smece";
	c.val[0] = sc.smece;
	c.valname[1] = "sigma";
	c.val[1] = sc.sigma;
	snprintf(note, sizeof(note), "smoothed reliability curve: smooth ECE "
	    "%.8g, reflected Gaussian kernel, sigma %.8g%s", sc.smece,
	    sc.sigma, sigma > 0 ? "" : " (the fixed point)");
	c.note[0] = note;
	c.note[1] = "acc, conf: kernel-weighted means of outcome and score "
	    "at t; density: kernel density of the scores";
	rc = curve_emit(fp, path, fmt, file, p, &c);
	if (smece_out != NULL)
		*smece_out = sc.smece;
	if (sigma_out != NULL)
		*sigma_out = sc.sigma;
	calib_smooth_curve_release(&sc);
	return rc;
}

int
cli_corp_curve_emit(FILE *fp, const char *path, int fmt, const char *file,
    const calib_preds *p)
{
	struct cli_curve c;
	calib_corp corp;
	double *count = NULL;
	char note[300];
	size_t b;
	int rc;

	if (calib_corp_compute(p, NULL, 1, &corp) != CALIB_OK ||
	    (count = malloc((corp.blocks ? corp.blocks : 1) *
	    sizeof(double))) == NULL) {
		cli_error("%s: out of memory", file);
		calib_corp_release(&corp);
		return CLI_ERROR;
	}
	for (b = 0; b < corp.blocks; b++)
		count[b] = (double)corp.count[b];
	memset(&c, 0, sizeof(c));
	c.kind = "corp";
	c.ncols = 5;
	c.colname[0] = "lo";
	c.colname[1] = "hi";
	c.colname[2] = "count";
	c.colname[3] = "weight";
	c.colname[4] = "cep";
	c.col[0] = corp.lo;
	c.col[1] = corp.hi;
	c.col[2] = count;
	c.col[3] = corp.weight;
	c.col[4] = corp.cep;
	c.rows = corp.blocks;
	c.nvals = 4;
	c.valname[0] = "brier";
	c.val[0] = corp.brier;
	c.valname[1] = "mcb";
	c.val[1] = corp.mcb;
	c.valname[2] = "dsc";
	c.val[2] = corp.dsc;
	c.valname[3] = "unc";
	c.val[3] = corp.unc;
	snprintf(note, sizeof(note), "CORP reliability curve: %zu PAV blocks; "
	    "Brier %.8g = MCB %.8g - DSC %.8g + UNC %.8g", corp.blocks,
	    corp.brier, corp.mcb, corp.dsc, corp.unc);
	c.note[0] = note;
	c.note[1] = "lo, hi: first and last score of the block; cep: its "
	    "recalibrated value (isotonic regression)";
	rc = curve_emit(fp, path, fmt, file, p, &c);
	free(count);
	calib_corp_release(&corp);
	return rc;
}

/* ---- figures drawn from the table --------------------------------- */

int
cli_table_figure(const char *cmd, const char *script, const char *input,
    const char *output, const char *table, struct cli_table *t,
    const struct cli_plot_opts *po, int log_count)
{
	struct cli_table_summary s;
	struct cli_plot *pl;
	calib_reliability rel;
	calib_preds *p;
	char buf[300];
	char *base;
	FILE *fp;
	int rc;

	if (output == NULL)
		return cli_usage_error(cmd, "no figure named: give -o FILE "
		    "(.png, .svg, .pdf or .tex)");
	if (cli_plot_terminal(output) == NULL)
		return cli_usage_error(cmd, "-o '%s': the figure's name must "
		    "end in .png, .svg, .pdf or .tex", output);
	rc = cli_table_compute(cmd, input, t, &p, &rel);
	if (rc != CLI_OK)
		return rc;
	if (table != NULL) {
		rc = cli_table_save(table, cli_table_format_for(table), input,
		    p, &rel);
		if (rc != CLI_OK)
			goto done;
	}
	rc = CLI_ERROR;
	pl = cli_plot_new(script, output);
	if (pl == NULL)
		goto done;
	cli_plot_protect(pl, input);
	if (table != NULL)
		cli_plot_protect(pl, table);
	fp = cli_plot_data(pl, "datafile", "bins");
	if (fp != NULL)
		cli_table_write(fp, CLI_TABLE_CSV, input, p, &rel);
	/* The curves' data files are calib bins --smooth / --corp -f csv, byte
	 * for byte (same function, same defaults). */
	if (po->smooth) {
		double smece = 0, sigma = 0;
		fp = cli_plot_data(pl, "smoothfile", "smooth");
		if (fp == NULL || cli_smooth_curve_emit(fp, NULL, CLI_TABLE_CSV,
		    input, p, 0, 201, &smece, &sigma) != CLI_OK)
			goto drop;
		cli_plot_set_number(pl, "smece", smece);
		cli_plot_set_number(pl, "smece_sigma", sigma);
	}
	if (po->corp) {
		fp = cli_plot_data(pl, "corpfile", "corp");
		if (fp == NULL || cli_corp_curve_emit(fp, NULL, CLI_TABLE_CSV,
		    input, p) != CLI_OK)
			goto drop;
	}

	cli_table_summary(&rel, &s);
	base = cli_file_stem(input);
	cli_plot_set_string(pl, "title", po->title ? po->title : base ? base :
	    input);
	free(base);
	cli_plot_set_number(pl, "n", (double)rel.table.n);
	cli_plot_set_number(pl, "ece", s.ece);
	cli_plot_set_number(pl, "mce", s.mce);
	cli_plot_set_number(pl, "oe", s.oe);
	cli_plot_set_number(pl, "accuracy", s.accuracy);
	cli_plot_set_number(pl, "confidence", s.confidence);
	cli_plot_set_number(pl, "level", rel.level);
	cli_plot_set_string(pl, "interval", rel.interval ==
	    CALIB_INTERVAL_WILSON ? "Wilson" : "Clopper-Pearson");
	cli_plot_set_string(pl, "band", rel.band == CALIB_BAND_EXACT ?
	    "exact" : rel.band == CALIB_BAND_RESAMPLE ? "resampled" : "");
	cli_plot_set_number(pl, "logcount", log_count);
	/* Equal-mass bins can be as wide as most of the axis: draw each at
	 * its mean confidence unless asked otherwise. */
	cli_plot_set_string(pl, "style", po->style ? po->style :
	    rel.table.binning == CALIB_BIN_MASS ? "points" : "bars");
	if (rel.table.binning == CALIB_BIN_WIDTH)
		snprintf(buf, sizeof(buf), "%d equal-width bins", rel.table.m);
	else
		snprintf(buf, sizeof(buf), "%d equal-mass bins", rel.table.m);
	cli_plot_set_string(pl, "binning", buf);
	if (p->target == CALIB_TARGET_TOP) {
		cli_plot_set_string(pl, "xlabel", "Confidence");
		cli_plot_set_string(pl, "ylabel", "Accuracy");
		cli_plot_set_string(pl, "acclabel", "Accuracy");
		cli_plot_set_string(pl, "conflabel", "Avg. confidence");
		cli_plot_set_string(pl, "barlabel", "accuracy");
		cli_plot_set_string(pl, "confword", "confidence");
	} else {
		const char *name = p->class_names[p->target];
		snprintf(buf, sizeof(buf), "Predicted probability of class %s",
		    name);
		cli_plot_set_string(pl, "xlabel", buf);
		snprintf(buf, sizeof(buf), "Frequency of class %s", name);
		cli_plot_set_string(pl, "ylabel", buf);
		cli_plot_set_string(pl, "acclabel", buf);
		cli_plot_set_string(pl, "conflabel", "Avg. probability");
		snprintf(buf, sizeof(buf), "frequency of class %s", name);
		cli_plot_set_string(pl, "barlabel", buf);
		cli_plot_set_string(pl, "confword", "probability");
	}
	rc = cli_plot_render(pl, po);
drop:
	cli_plot_free(pl);
done:
	calib_reliability_release(&rel);
	calib_preds_free(p);
	return rc;
}

/*
 * The whole of calib diagram and calib hist but for the usage text and the
 * script: the same options, one input, one figure.
 */
/* ---- calib diagram --per-class ------------------------------------ */

/* At most this many panels: beyond, the worst-calibrated classes. */
#define PER_CLASS_MAX 25

struct class_rel {
	int cls;
	double ece;
	calib_reliability rel;  /* only for the classes drawn */
};

static int
by_ece_desc(const void *a, const void *b)
{
	const struct class_rel *x = a, *y = b;

	if (x->ece != y->ece)
		return x->ece < y->ece ? 1 : -1;
	return x->cls - y->cls;
}

/*
 * The table of class c against the rest: the two-column file
 * (1 - p_c, p_c) with labels [y = c], read as class 1 vs rest; the same
 * rows, weights and arithmetic as --class c.  Only one class's rows exist
 * at a time.
 */
static int
one_vs_rest(const calib_preds *p, int c, double *scores, int32_t *labels,
    const calib_reliability_options *ro, calib_reliability *rel)
{
	calib_read_options o;
	calib_preds *q;
	calib_error err;
	calib_status st;
	size_t i;

	for (i = 0; i < p->n; i++) {
		double pc = p->probs[i * (size_t)p->k + (size_t)c];
		scores[2 * i] = 1 - pc;
		scores[2 * i + 1] = pc;
		labels[i] = p->label[i] == c;
	}
	calib_read_options_init(&o);
	o.kind = CALIB_SCORES_PROBS;
	o.target = 1;
	o.classwise_bins = 0;
	/* 1 - p_c + p_c rounds to 1 within a few ulps */
	o.sum_tol = 1e-9;
	if (calib_preds_from_arrays(p->source, p->n, 2, scores, labels,
	    p->weight, &o, &q, &err) != CALIB_OK) {
		cli_lib_error(&err);
		return -1;
	}
	st = calib_reliability_compute(q, ro, rel, &err);
	calib_preds_free(q);
	if (st != CALIB_OK) {
		cli_lib_error(&err);
		return -1;
	}
	return 0;
}

int
cli_per_class_figure(const char *cmd, const char *input, const char *output,
    struct cli_table *t, const struct cli_plot_opts *po)
{
	struct class_rel *cr = NULL;
	struct cli_plot *pl = NULL;
	calib_preds *p = NULL;
	double *scores = NULL;
	int32_t *labels = NULL;
	char var[32], buf[300];
	int c, k, shown, rc = CLI_ERROR;

	if (output == NULL)
		return cli_usage_error(cmd, "no figure named: give -o FILE "
		    "(.png, .svg, .pdf or .tex)");
	if (cli_plot_terminal(output) == NULL)
		return cli_usage_error(cmd, "-o '%s': the figure's name must "
		    "end in .png, .svg, .pdf or .tex", output);
	if (t->cls >= 0 || t->r.binary_set)
		return cli_usage_error(cmd, "--per-class draws every class "
		    "against the rest; it does not combine with %s",
		    t->cls >= 0 ? "--class" : "--binary");
	p = cli_read_preds(input, &t->r, CALIB_KEEP_PROBS);
	if (p == NULL)
		return CLI_ERROR;
	k = p->k;
	cr = calloc((size_t)k, sizeof(*cr));
	scores = malloc(2 * p->n * sizeof(*scores));
	labels = malloc(p->n * sizeof(*labels));
	if (cr == NULL || scores == NULL || labels == NULL) {
		cli_error("out of memory");
		goto done;
	}
	/* Every class's table; beyond 25 classes only its ECE is kept, to
	 * rank them, and the tables drawn are made again. */
	for (c = 0; c < k; c++) {
		struct cli_table_summary s;
		cr[c].cls = c;
		if (one_vs_rest(p, c, scores, labels, &t->o, &cr[c].rel) != 0)
			goto done;
		cli_table_summary(&cr[c].rel, &s);
		cr[c].ece = isnan(s.ece) ? -1 : s.ece;
		if (k > PER_CLASS_MAX)
			calib_reliability_release(&cr[c].rel);
	}
	shown = k;
	if (k > PER_CLASS_MAX) {
		qsort(cr, (size_t)k, sizeof(*cr), by_ece_desc);
		shown = PER_CLASS_MAX;
		for (c = 0; c < shown; c++)
			if (one_vs_rest(p, cr[c].cls, scores, labels, &t->o,
			    &cr[c].rel) != 0)
				goto done;
	}
	pl = cli_plot_new("per-class.gp", output);
	if (pl == NULL)
		goto done;
	cli_plot_protect(pl, input);
	for (c = 0; c < shown; c++) {
		FILE *fp;
		snprintf(var, sizeof(var), "data%d", c + 1);
		snprintf(buf, sizeof(buf), "class%d", cr[c].cls);
		fp = cli_plot_data(pl, var, buf);
		if (fp == NULL)
			goto done;
		/* the CSV table is the bins alone */
		cli_table_write(fp, CLI_TABLE_CSV, input, p, &cr[c].rel);
		snprintf(var, sizeof(var), "label%d", c + 1);
		snprintf(buf, sizeof(buf), "class %s", p->class_names[cr[c].cls]);
		cli_plot_set_string(pl, var, buf);
		snprintf(var, sizeof(var), "ece%d", c + 1);
		cli_plot_set_number(pl, var, cr[c].ece < 0 ? NAN : cr[c].ece);
	}
	cli_plot_set_number(pl, "ndata", shown);
	cli_plot_set_number(pl, "classes", k);
	cli_plot_set_number(pl, "level", t->o.level);
	cli_plot_set_string(pl, "style", po->style ? po->style :
	    t->o.binning == CALIB_BIN_MASS ? "points" : "bars");
	{
		char *base = cli_file_stem(input);
		if (po->title != NULL)
			cli_plot_set_string(pl, "title", po->title);
		else {
			snprintf(buf, sizeof(buf), "%s: each class against the "
			    "rest%s", base ? base : input, k > shown ?
			    " (the 25 worst-calibrated)" : "");
			cli_plot_set_string(pl, "title", buf);
		}
		free(base);
	}
	snprintf(buf, sizeof(buf), "%d %s bins", t->o.bins, t->o.binning ==
	    CALIB_BIN_WIDTH ? "equal-width" : "equal-mass");
	cli_plot_set_string(pl, "binning", buf);
	rc = cli_plot_render(pl, po);
done:
	cli_plot_free(pl);
	if (cr != NULL)
		for (c = 0; c < k; c++)
			calib_reliability_release(&cr[c].rel);
	free(cr);
	free(scores);
	free(labels);
	calib_preds_free(p);
	return rc;
}

enum { OPT_TABLE = CLI_OPT_CMD_BASE, OPT_LOG_COUNT, OPT_PER_CLASS,
	OPT_SMOOTH, OPT_CORP };

int
cli_figure_command(int argc, char **argv, const char *cmd, const char *script,
    void (*usage)(FILE *))
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "log-count", no_argument, NULL, OPT_LOG_COUNT },
		{ "per-class", no_argument, NULL, OPT_PER_CLASS },
		{ "smooth", no_argument, NULL, OPT_SMOOTH },
		{ "corp", no_argument, NULL, OPT_CORP },
		{ "help", no_argument, NULL, 'h' },
		CLI_PLOT_LONGOPTS,
		CLI_READ_LONGOPTS,
		CLI_TABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_plot_opts po;
	struct cli_table t;
	const char *output = NULL, *table = NULL;
	int opt, log_count = 0, per_class = 0;

	cli_table_init(&t);
	cli_plot_opts_init(&po);
	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'o':
			output = optarg;
			break;
		case OPT_TABLE:
			table = optarg;
			break;
		case OPT_LOG_COUNT:
			log_count = 1;
			break;
		case OPT_PER_CLASS:
			per_class = 1;
			break;
		case OPT_SMOOTH:
			po.smooth = 1;
			break;
		case OPT_CORP:
			po.corp = 1;
			break;
		case '?':
			return cli_usage_error(cmd, "invalid option");
		default:
			h = cli_plot_option(cmd, opt, optarg, &po);
			if (h == 0)
				h = cli_table_option(cmd, opt, optarg, &t);
			if (h < 0)
				return CLI_ERROR;
			if (h == 0)
				return cli_usage_error(cmd, "invalid option");
		}
	}
	/* A histogram has no bins to restyle, no count panel apart from
	 * itself and no intervals. */
	if (strcmp(script, "histogram.gp") == 0 && (po.style != NULL ||
	    !po.counts || !po.intervals))
		return cli_usage_error(cmd, "%s applies to reliability "
		    "diagrams, not to the histogram", po.style ? "--style" :
		    !po.counts ? "--no-counts" : "--no-intervals");
	if ((po.smooth || po.corp) && strcmp(script, "reliability.gp") != 0)
		return cli_usage_error(cmd, "%s draws a reliability curve on "
		    "the reliability diagram (calib diagram)", po.smooth ?
		    "--smooth" : "--corp");
	if ((po.smooth || po.corp) && per_class)
		return cli_usage_error(cmd, "%s and --per-class: the curves "
		    "are drawn on the one diagram, not per class", po.smooth ?
		    "--smooth" : "--corp");
	if (optind >= argc)
		return cli_usage_error(cmd, "no prediction file given");
	if (argc - optind > 1)
		return cli_usage_error(cmd, "one prediction file at a time "
		    "('%s' is extra)", argv[optind + 1]);
	if (per_class) {
		if (strcmp(script, "reliability.gp") != 0)
			return cli_usage_error(cmd, "--per-class draws "
			    "reliability diagrams (calib diagram)");
		if (table != NULL || log_count)
			return cli_usage_error(cmd, "--per-class draws no "
			    "count panel and writes no table (%s)", table ?
			    "--table" : "--log-count");
		return cli_per_class_figure(cmd, argv[optind], output, &t,
		    &po);
	}
	return cli_table_figure(cmd, script, argv[optind], output,
	    table, &t, &po, log_count);
}
