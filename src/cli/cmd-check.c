/*
 * cmd-check.c - calib check: calibration gates for CI pipelines.  Bounds on
 * any metric, on the change against a baseline run, optionally judged on a
 * bootstrap interval instead of the point estimate; reports in text, TAP,
 * JUnit XML, JSON and GitHub workflow annotations.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-writer.h"

enum { FMT_TEXT, FMT_TAP, FMT_JUNIT, FMT_JSON, FMT_GITHUB, FMT_COUNT };
static const char *const fmt_names[FMT_COUNT] = {
	"text", "tap", "junit", "json", "github"
};
enum {
	OPT_MAX = CLI_OPT_CMD_BASE,
	OPT_MIN,
	OPT_MAX_INC,
	OPT_MAX_DEC,
	OPT_RULES,
	OPT_BASELINE,
	OPT_BOOTSTRAP,
	OPT_CI_LEVEL,
	OPT_SEED,
	OPT_STRICT,
	OPT_BOOT_METHOD,
	OPT_SUMMARY,
	OPT_GITHUB_SUMMARY,
	OPT_OUT_FIRST /* OPT_OUT_FIRST + FMT_x: --text FILE, --tap FILE ... */
};

struct item {
	calib_assertion a;
	char source[300];   /* "--max ece=0.05" or "rules.txt:3" */
	double value;       /* the constrained quantity q */
	double lo, hi;      /* its interval, NaN without bootstrap */
	double now, before; /* metric of the file and of the baseline */
	int pass;
	int noisy;          /* holds, but its interval straddles the bound */
	char text[400];     /* "ece 0.055 > 0.05" */
};

struct check {
	struct cli_read r;
	struct item *items;
	int nitems;
	const char *file;
	const char *baseline;
	int boot_n;
	calib_bootstrap_method method; /* --bootstrap-method */
	double level;
	unsigned long seed;
	int strict;
	int failed;
	int noisy;          /* assertions that hold only within noise */
	calib_metrics now_m, old_m; /* the point metrics, when computed */
	int have_metrics;
	/* An input error after the options were read: the reports then hold
	 * one failing test case for it, named after its file. */
	const struct cli_problem *error;
	struct cli_problem err_copy;
	struct cli_settings set; /* of the file checked */
	int have_set;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s check [OPTIONS] FILE\n"
	    "\n"
	    "Assert bounds on the calibration metrics of FILE, for CI pipelines.\n"
	    "FILE may be a summary from calib summarize (metrics that merge;\n"
	    "intervals by --bootstrap-method poisson).\n"
	    "\n"
	    "Assertions (repeatable; METRIC is any name calib metrics reports):\n"
	    "      --max METRIC=VALUE        the metric is at most VALUE\n"
	    "      --min METRIC=VALUE        the metric is at least VALUE\n"
	    "      --baseline OLD.csv        a previous run on the same rows\n"
	    "      --max-increase METRIC=D   metric - baseline metric <= D\n"
	    "      --max-decrease METRIC=D   baseline metric - metric <= D\n"
	    "      --rules FILE              more assertions, one per line,\n"
	    "                                e.g. 'max ece=0.05'; '#' comments\n"
	    "\n"
	    "Noise:\n"
	    "      --bootstrap N             judge each assertion on a paired\n"
	    "                                bootstrap interval (default 0: the\n"
	    "                                point estimate decides)\n"
	    "      --ci-level X              interval level (default 0.95)\n"
	    "      --seed S                  bootstrap seed (default 20191206)\n"
	    "      --bootstrap-method M      multinomial (default: n draws with\n"
	    "                                replacement) or poisson (Poisson(1)\n"
	    "                                counts per row; merges, so it works\n"
	    "                                on summaries made with --bootstrap;\n"
	    "                                no interval for classwise_ece)\n"
	    "      --strict                  with --bootstrap: fail when any part\n"
	    "                                of the interval violates the bound\n"
	    "                                (default: only when all of it does)\n"
	    "\n"
	    "Reports:\n"
	    "  -f, --format FMT              on stdout: text (default), tap,\n"
	    "                                junit, json, github\n"
	    "      --text FILE, --tap FILE, --junit FILE, --json FILE,\n"
	    "      --github FILE             also write that report to FILE\n"
	    "                                (on an input error too: one\n"
	    "                                failing test case for the file)\n"
	    "      --summary FILE            append a markdown summary (the\n"
	    "                                assertions and the metrics)\n"
	    "      --github-summary          append it to $GITHUB_STEP_SUMMARY\n"
	    "                                when that is set\n"

	    "  -h, --help                    show this help\n"
	    "\n%s\n%s"
	    "\n"
	    "Exit status: 0 every assertion holds, 1 at least one fails,\n"
	    "2 usage or input error.\n",
	    cli_progname, cli_metric_help, cli_read_help);
}

/* Where a rules-file error was, for the reports (cli_error() records the
 * message only). */
static void
problem_at(const char *file, unsigned long line, const char *message)
{
	snprintf(cli_last_problem.file, sizeof(cli_last_problem.file), "%s",
	    file);
	cli_last_problem.line = line;
	cli_last_problem.column = 0;
	snprintf(cli_last_problem.message, sizeof(cli_last_problem.message),
	    "%s", message);
}

static int
add_item(struct check *K, const char *kind, const char *spec,
    const char *source)
{
	calib_error err;
	struct item *it;

	it = realloc(K->items, (size_t)(K->nitems + 1) * sizeof(*it));
	if (it == NULL) {
		cli_error("out of memory");
		return -1;
	}
	K->items = it;
	it = &K->items[K->nitems];
	memset(it, 0, sizeof(*it));
	if (calib_assertion_parse(kind, spec, &it->a, &err) != CALIB_OK) {
		cli_error("%s: %s", source, err.message);
		return -1;
	}
	snprintf(it->source, sizeof(it->source), "%s", source);
	K->nitems++;
	return 0;
}

/* A rules file is a short list of gates; more than this is not one. */
#define RULES_MAX_BYTES (1024 * 1024)

/* Rules file: "max ece=0.05" per line (see calib_rules_parse()). */
static int
read_rules(struct check *K, const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *text;
	size_t len, n, i;
	calib_rule *rules;
	calib_error err;
	int rc = 0;

	if (fp == NULL) {
		char msg[300];
		snprintf(msg, sizeof(msg), "cannot open the rules file: %s",
		    strerror(errno));
		cli_error("%s: %s", path, msg);
		problem_at(path, 0, msg);
		return -1;
	}
	cli_note_input(path);
	text = malloc(RULES_MAX_BYTES + 1);
	if (text == NULL) {
		fclose(fp);
		cli_error("out of memory");
		return -1;
	}
	len = fread(text, 1, RULES_MAX_BYTES + 1, fp);
	if (ferror(fp)) {
		cli_error("cannot read '%s': %s", path, strerror(errno));
		problem_at(path, 0, "cannot read the rules file");
		rc = -1;
	} else if (len > RULES_MAX_BYTES) {
		cli_error("%s: over %d bytes; a rules file holds a few "
		    "assertions", path, RULES_MAX_BYTES);
		problem_at(path, 0, "over the size limit of a rules file");
		rc = -1;
	}
	fclose(fp);
	if (rc == 0 && calib_rules_parse(text, len, path, &rules, &n, &err) !=
	    CALIB_OK) {
		cli_lib_error(&err);
		rc = -1;
	}
	free(text);
	if (rc != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		struct item *it = realloc(K->items, (size_t)(K->nitems + 1) *
		    sizeof(*it));
		if (it == NULL) {
			cli_error("out of memory");
			rc = -1;
			break;
		}
		K->items = it;
		it = &K->items[K->nitems++];
		memset(it, 0, sizeof(*it));
		it->a = rules[i].a;
		snprintf(it->source, sizeof(it->source), "%s:%lu", path,
		    rules[i].line);
	}
	calib_rules_free(rules);
	return rc;
}

static double
get(const calib_metrics *m, const char *name)
{
	double v = NAN;

	calib_metrics_get(m, name, &v);
	return v;
}

/*
 * The comparison as words: "<=" or ">" for a point estimate or an interval
 * wholly on one side; with an interval across the bound, "straddles" and
 * a note on why that passed (within noise) or failed (--strict).  [lo, hi]
 * is the interval of the quantity as shown (a decrease as a positive
 * number); upper: the bound is an upper bound.
 */
static const char *
relation(double lo, double hi, double bound, int upper, int pass,
    const char **note)
{
	int ci = !isnan(lo) && !isnan(hi);

	*note = "";
	if (!ci || (upper ? (hi <= bound || lo > bound) :
	    (lo >= bound || hi < bound)))
		return upper ? (pass ? "<=" : ">") : (pass ? ">=" : "<");
	*note = pass ? " (holds within noise)" : " (fails: --strict)";
	return "straddles";
}

/* Whether the item's interval (as describe() shows it) has values on both
 * sides of the bound. */
static int
straddles(const struct item *it)
{
	double lo = it->lo, hi = it->hi, b = it->a.bound;

	if (isnan(lo) || isnan(hi))
		return 0;
	switch (it->a.kind) {
	case CALIB_ASSERT_MIN:
		return !(lo >= b || hi < b);
	case CALIB_ASSERT_MAX_DECREASE:
		lo = -it->hi;
		hi = -it->lo;
		/* FALLTHROUGH */
	default:
		return !(hi <= b || lo > b);
	}
}

/* "ece 0.0550027 [0.0501, 0.0598] > 0.05" */
static void
describe(const struct check *K, struct item *it)
{
	const calib_assertion *a = &it->a;
	char iv[96] = "";
	const char *op, *note;
	int ci = !isnan(it->lo) && !isnan(it->hi);

	/* Said, not left out: e.g. classwise ECE has no Poisson
	 * replicates (see "A bootstrap that merges" in README.md). */
	if (K->boot_n > 0 && !ci)
		snprintf(iv, sizeof(iv), " (no %sbootstrap interval: the point "
		    "value decides)", K->method == CALIB_BOOTSTRAP_POISSON ?
		    "Poisson " : "");
	switch (a->kind) {
	case CALIB_ASSERT_MAX:
	case CALIB_ASSERT_MIN:
		if (ci)
			snprintf(iv, sizeof(iv), " [%.6g, %.6g]", it->lo,
			    it->hi);
		op = relation(it->lo, it->hi, a->bound,
		    a->kind == CALIB_ASSERT_MAX, it->pass, &note);
		snprintf(it->text, sizeof(it->text), "%s %.6g%s %s %.6g%s",
		    a->metric, it->value, iv, op, a->bound, note);
		break;
	case CALIB_ASSERT_MAX_INCREASE:
		if (ci)
			snprintf(iv, sizeof(iv), " [%+.6g, %+.6g]", it->lo,
			    it->hi);
		op = relation(it->lo, it->hi, a->bound, 1, it->pass, &note);
		snprintf(it->text, sizeof(it->text), "%s increase %+.6g%s %s "
		    "%.6g%s (%.6g against %.6g in %s)", a->metric, it->value,
		    iv, op, a->bound, note, it->now, it->before, K->baseline);
		break;
	case CALIB_ASSERT_MAX_DECREASE:
		if (ci)
			snprintf(iv, sizeof(iv), " [%+.6g, %+.6g]", -it->hi,
			    -it->lo);
		op = relation(-it->hi, -it->lo, a->bound, 1, it->pass, &note);
		snprintf(it->text, sizeof(it->text), "%s decrease %+.6g%s %s "
		    "%.6g%s (%.6g against %.6g in %s)", a->metric, -it->value,
		    iv, op, a->bound, note, it->now, it->before, K->baseline);
		break;
	}
}

static const char *
kind_name(calib_assert_kind k)
{
	static const char *const n[] = { "max", "min", "max-increase",
	    "max-decrease" };
	return n[k];
}

/* The item's value, its interval (with --bootstrap), verdict and words
 * from the point estimates and replicates in bs: run now, baseline run 0
 * when have_old.  A pass whose interval straddles the bound is flagged and
 * warned about.  Rows and summaries are judged by this one rule. */
static void
judge(struct check *K, struct item *it, const calib_bootstrap *bs, int now,
    int have_old)
{
	int rel = it->a.kind >= CALIB_ASSERT_MAX_INCREASE;

	it->now = get(&bs->point[now], it->a.metric);
	it->before = have_old ? get(&bs->point[0], it->a.metric) : NAN;
	it->value = rel ? it->now - it->before : it->now;
	it->lo = it->hi = NAN;
	if (K->boot_n > 0)
		calib_bootstrap_interval(bs, it->a.metric, now, rel ? 0 : -1,
		    K->level, &it->lo, &it->hi);
	it->pass = calib_assertion_holds(&it->a, it->value, it->lo, it->hi,
	    K->strict);
	K->failed += !it->pass;
	it->noisy = it->pass && straddles(it);
	K->noisy += it->noisy;
	describe(K, it);
	if (it->noisy)
		cli_warn("%s %s=%g holds only within noise: %s",
		    kind_name(it->a.kind), it->a.metric, it->a.bound, it->text);
}

/* ---- reports ----------------------------------------------------- */

static void
mode_text(const struct check *K, char *buf, size_t size)
{
	if (K->boot_n > 0)
		snprintf(buf, size, "%g %% %sbootstrap intervals, %d "
		    "replicates, seed %lu; an assertion fails when %s of its "
		    "interval violates the bound", 100 * K->level,
		    K->method == CALIB_BOOTSTRAP_POISSON ? "Poisson " : "",
		    K->boot_n, K->seed,
		    K->strict ? "any part" : "all");
	else
		snprintf(buf, size, "point estimates");
}

/* The file an input error is about (the data, the baseline or the rules
 * file), and "FILE:LINE:COL: message" for it. */
static const char *
error_file(const struct check *K)
{
	return K->error->file[0] ? K->error->file : K->file;
}

static void
error_text(const struct check *K, char *buf, size_t size)
{
	const struct cli_problem *e = K->error;

	if (e->line > 0 && e->column > 0)
		snprintf(buf, size, "%s:%lu:%u: %s", error_file(K), e->line,
		    e->column, e->message);
	else if (e->line > 0)
		snprintf(buf, size, "%s:%lu: %s", error_file(K), e->line,
		    e->message);
	else if (e->file[0])
		snprintf(buf, size, "%s: %s", e->file, e->message);
	else
		snprintf(buf, size, "%s", e->message);
}

static const char *const noise_note = "holds only within noise (its "
    "interval reaches beyond the bound)";

static void
report_text(FILE *fp, const struct check *K)
{
	char mode[200], msg[1800];
	int i;

	if (K->error != NULL) {
		error_text(K, msg, sizeof(msg));
		fprintf(fp, "calib check %s: input error, no assertion "
		    "evaluated\nERROR  %s\n", K->file, msg);
		return;
	}
	mode_text(K, mode, sizeof(mode));
	fprintf(fp, "calib check %s: %d of %d assertions hold (%s)\n", K->file,
	    K->nitems - K->failed, K->nitems, mode);
	for (i = 0; i < K->nitems; i++)
		fprintf(fp, "%s  %s  [%s %s=%g]\n", K->items[i].pass ? "PASS" :
		    "FAIL", K->items[i].text, kind_name(K->items[i].a.kind),
		    K->items[i].a.metric, K->items[i].a.bound);
}

static void
report_tap(FILE *fp, const struct check *K)
{
	char mode[200], msg[1800];
	int i;

	if (K->error != NULL) {
		error_text(K, msg, sizeof(msg));
		fprintf(fp, "1..1\n# calib check %s: input error\nnot ok 1 - "
		    "%s\n", K->file, msg);
		return;
	}
	mode_text(K, mode, sizeof(mode));
	fprintf(fp, "1..%d\n# calib check %s (%s)\n", K->nitems, K->file, mode);
	for (i = 0; i < K->nitems; i++) {
		fprintf(fp, "%sok %d - %s %s=%g: %s\n", K->items[i].pass ? "" :
		    "not ", i + 1, kind_name(K->items[i].a.kind),
		    K->items[i].a.metric, K->items[i].a.bound, K->items[i].text);
		if (K->items[i].noisy)
			fprintf(fp, "# warning: %s %s=%g %s\n",
			    kind_name(K->items[i].a.kind), K->items[i].a.metric,
			    K->items[i].a.bound, noise_note);
	}
}

/* XML character data: valid UTF-8 without the control characters XML 1.0
 * forbids ('?' for those, U+FFFD for bytes that are not UTF-8). */
static void
xml_text(FILE *fp, const char *s)
{
	while (*s) {
		size_t n = cli_utf8_len(s);

		if (n == 0) {
			fputs("\xef\xbf\xbd", fp);
			cli_replaced_add(1);
			s++;
			continue;
		}
		switch (*s) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&apos;", fp);
			break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fputc('?', fp);
			else
				fwrite(s, 1, n, fp);
		}
		s += n;
	}
}

static void
report_junit(FILE *fp, const struct check *K)
{
	int i;

	if (K->error != NULL) {
		char msg[1800];
		error_text(K, msg, sizeof(msg));
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites name=\"calib check\" tests=\"1\" "
		    "failures=\"0\" errors=\"1\">\n  <testsuite name=\"calib "
		    "check ", fp);
		xml_text(fp, K->file);
		fputs("\" tests=\"1\" failures=\"0\" errors=\"1\" "
		    "skipped=\"0\">\n    <testcase classname=\"calib.check\" "
		    "name=\"", fp);
		xml_text(fp, error_file(K));
		fputs("\">\n      <error type=\"input\" message=\"", fp);
		xml_text(fp, K->error->message);
		fputs("\">", fp);
		xml_text(fp, msg);
		fputs("</error>\n    </testcase>\n  </testsuite>\n"
		    "</testsuites>\n", fp);
		return;
	}
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites name=\"calib check\" tests=\"%d\" failures=\"%d\" "
	    "errors=\"0\">\n  <testsuite name=\"calib check ", K->nitems,
	    K->failed);
	xml_text(fp, K->file);
	fprintf(fp, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
	    "skipped=\"0\">\n", K->nitems, K->failed);
	for (i = 0; i < K->nitems; i++) {
		const struct item *it = &K->items[i];
		char name[100];
		snprintf(name, sizeof(name), "%s %s=%g", kind_name(it->a.kind),
		    it->a.metric, it->a.bound);
		fputs("    <testcase classname=\"calib.check\" name=\"", fp);
		xml_text(fp, name);
		fputs("\"", fp);
		if (it->pass && !it->noisy) {
			fputs("/>\n", fp);
			continue;
		}
		if (it->pass) {
			fputs(">\n      <system-out>warning: ", fp);
			xml_text(fp, noise_note);
			fputs(": ", fp);
			xml_text(fp, it->text);
			fputs("</system-out>\n    </testcase>\n", fp);
			continue;
		}
		fputs(">\n      <failure type=\"assertion\" message=\"", fp);
		xml_text(fp, it->text);
		fputs("\">", fp);
		xml_text(fp, it->text);
		fputs(" (", fp);
		xml_text(fp, it->source);
		fputs(")</failure>\n    </testcase>\n", fp);
	}
	fputs("  </testsuite>\n</testsuites>\n", fp);
}

static void
report_json(FILE *fp, const struct check *K)
{
	struct jw w;
	int i;

	jw_init(&w, fp, 0);
	jw_object_begin(&w);
	jw_string_member(&w, "file", K->file);
	jw_string_member(&w, "baseline", K->baseline);
	jw_int_member(&w, "bootstrap", K->boot_n);
	jw_number_member(&w, "ci_level", K->level);
	cli_json_convention(&w, K->r.mo.convention);
	jw_bool_member(&w, "strict", K->strict);
	jw_bool_member(&w, "passed", !(K->failed || K->error));
	jw_int_member(&w, "failures", K->failed);
	jw_int_member(&w, "within_noise", K->noisy);
	if (K->error != NULL) {
		jw_object_member(&w, "error");
		jw_string_member(&w, "file", error_file(K));
		jw_uint_member(&w, "line", K->error->line);
		jw_uint_member(&w, "column", K->error->column);
		jw_string_member(&w, "message", K->error->message);
		jw_object_end(&w);
	} else {
		jw_null_member(&w, "error");
	}
	jw_array_member(&w, "assertions");
	for (i = 0; i < K->nitems && K->error == NULL; i++) {
		const struct item *it = &K->items[i];
		jw_object_begin(&w);
		jw_string_member(&w, "kind", kind_name(it->a.kind));
		jw_string_member(&w, "metric", it->a.metric);
		jw_number_member(&w, "bound", it->a.bound);
		jw_number_member(&w, "value", it->value);
		if (isnan(it->lo) || isnan(it->hi)) {
			jw_null_member(&w, "ci");
		} else {
			jw_array_member(&w, "ci");
			jw_number(&w, it->lo);
			jw_number(&w, it->hi);
			jw_array_end(&w);
		}
		jw_bool_member(&w, "passed", it->pass);
		jw_bool_member(&w, "within_noise", it->noisy);
		jw_string_member(&w, "message", it->text);
		jw_string_member(&w, "source", it->source);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_string_member(&w, "version", PACKAGE_VERSION);
	if (K->have_set)
		cli_settings_json(&w, &K->set, 0);
	jw_object_end(&w);
}

/* Workflow-command escaping: '%' and line ends everywhere, and ':' and ','
 * in property values. */
static void
gh_escape(FILE *fp, const char *s, int property)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", fp);
		else if (*s == '\r')
			fputs("%0D", fp);
		else if (*s == '\n')
			fputs("%0A", fp);
		else if (property && *s == ':')
			fputs("%3A", fp);
		else if (property && *s == ',')
			fputs("%2C", fp);
		else
			fputc(*s, fp);
	}
}

static void
report_github(FILE *fp, const struct check *K)
{
	int i;

	if (K->error != NULL) {
		fputs("::error file=", fp);
		gh_escape(fp, error_file(K), 1);
		if (K->error->line > 0)
			fprintf(fp, ",line=%lu", K->error->line);
		if (K->error->column > 0)
			fprintf(fp, ",col=%u", K->error->column);
		fputs(",title=calib check: input error::", fp);
		gh_escape(fp, K->error->message, 0);
		fprintf(fp, "\ncalib check %s: input error, no assertion "
		    "evaluated\n", K->file);
		return;
	}
	for (i = 0; i < K->nitems; i++) {
		const struct item *it = &K->items[i];
		if (it->pass && !it->noisy)
			continue;
		fputs(it->pass ? "::warning file=" : "::error file=", fp);
		gh_escape(fp, K->file, 1);
		fputs(",title=calib check::", fp);
		/* a noisy pass says "(holds within noise)" already */
		gh_escape(fp, it->text, 0);
		fputc('\n', fp);
	}
	fprintf(fp, "calib check %s: %d of %d assertions hold\n", K->file,
	    K->nitems - K->failed, K->nitems);
}

/* Markdown for a CI job page: a heading with the verdict, the assertions
 * as a table, the metrics (and the baseline's) folded below. */
static void
md_cell(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", fp);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', fp);
		else
			fputc(*s, fp);
	}
}

static void
report_summary(FILE *fp, const struct check *K)
{
	int i;

	fputs("### calib check `", fp);
	md_cell(fp, K->file);
	if (K->error != NULL) {
		char msg[1800];
		error_text(K, msg, sizeof(msg));
		fputs("`: input error\n\n", fp);
		fputs("No assertion was evaluated:\n\n```\n", fp);
		fputs(msg, fp);
		fputs("\n```\n\n", fp);
		return;
	}
	fprintf(fp, "`: %s - %d of %d assertions hold\n\n",
	    K->failed ? "FAILED" : "passed", K->nitems - K->failed,
	    K->nitems);
	{
		char mode[200];
		mode_text(K, mode, sizeof(mode));
		fprintf(fp, "Judged on %s.\n\n", mode);
	}
	fputs("| result | assertion | value | check |\n"
	    "|---|---|---|---|\n", fp);
	for (i = 0; i < K->nitems; i++) {
		const struct item *it = &K->items[i];
		fprintf(fp, "| %s | `%s %s=%g` | %.6g | ", !it->pass ? "FAIL" :
		    it->noisy ? "pass (within noise)" : "pass",
		    kind_name(it->a.kind), it->a.metric, it->a.bound, it->value);
		md_cell(fp, it->text);
		fputs(" |\n", fp);
	}
	if (K->have_metrics) {
		fputs("\n<details><summary>Metrics</summary>\n\n", fp);
		fprintf(fp, "| metric | %s |%s\n|---|---|%s\n", "this run",
		    K->baseline ? " baseline |" : "",
		    K->baseline ? "---|" : "");
		for (i = 0; i < calib_metric_count(); i++) {
			if (!(K->now_m.computed >> i & 1))
				continue;
			fprintf(fp, "| %s | %.6g |",
			    calib_metric_info_get(i)->name,
			    calib_metrics_value(&K->now_m, i));
			if (K->baseline)
				fprintf(fp, " %.6g |",
				    calib_metrics_value(&K->old_m, i));
			fputc('\n', fp);
		}
		fprintf(fp, "\n%zu rows", K->now_m.n);
		if (K->baseline) {
			fputs("; baseline `", fp);
			md_cell(fp, K->baseline);
			fputc('`', fp);
		}
		fputs(".\n\n</details>\n\n", fp);
	}
}

static void
report(FILE *fp, const struct check *K, int fmt)
{
	switch (fmt) {
	case FMT_TAP:
		report_tap(fp, K);
		break;
	case FMT_JUNIT:
		report_junit(fp, K);
		break;
	case FMT_JSON:
		report_json(fp, K);
		break;
	case FMT_GITHUB:
		report_github(fp, K);
		break;
	default:
		report_text(fp, K);
	}
}

/* ---- evaluation -------------------------------------------------- */

/* A file as a summary: loaded when it is one, else read as a stream (in
 * calib-mpi, over the ranks).  NULL after printing why. */
static calib_summary *
get_summary(struct check *K, const char *path, int first)
{
	calib_summary *s;

	if (cli_is_summary(path)) {
		s = cli_load_summary("check", path, &K->r, 0);
		if (s != NULL && first)
			K->r.given |= CLI_GIVEN_BINS | CLI_GIVEN_NLL_CLIP |
			    CLI_GIVEN_TEMPERATURE;
	} else {
		s = cli_summarize(path, &K->r);
	}
	if (s != NULL && cli_summary_check_rows(s) != 0) {
		calib_summary_free(s);
		s = NULL;
	}
	return s;
}

/*
 * check on summaries: the rows are gone, so only what merges: point
 * values, and with --bootstrap-method poisson the replicates the
 * summaries kept (calib summarize --bootstrap N).  The row-by-row pairing
 * check is impossible; a baseline must have the same number of rows and
 * the same replicates.
 */
static int
evaluate_summaries(struct check *K)
{
	const calib_summary *runs[2];
	calib_summary *cur = NULL, *old = NULL;
	calib_bootstrap bs;
	calib_error err;
	int i, nruns = 0, now, rc = CLI_ERROR;

	memset(&bs, 0, sizeof(bs));
	if (K->boot_n > 0 && K->method != CALIB_BOOTSTRAP_POISSON) {
		cli_error("check: --bootstrap on a summary needs the Poisson "
		    "bootstrap (multinomial resamples do not merge): use "
		    "--bootstrap-method poisson with a summary made by "
		    "'calib summarize --bootstrap N', --bootstrap 0, or run "
		    "on the prediction files");
		return CLI_ERROR;
	}
	if (K->r.mo.binning != CALIB_BIN_WIDTH) {
		cli_error("check: equal-mass bins do not merge: a summary "
		    "keeps sums for equal-width bins only (use --binning "
		    "width)");
		return CLI_ERROR;
	}
	K->r.so.replicates = K->boot_n;
	K->r.so.seed = K->seed;
	if ((cur = get_summary(K, K->file, 1)) == NULL)
		goto done;
	if (K->baseline != NULL) {
		if ((old = get_summary(K, K->baseline, 0)) == NULL)
			goto done;
		runs[nruns++] = old;
	}
	now = nruns;
	runs[nruns++] = cur;
	for (i = 0; i < nruns; i++) {
		calib_summary_info in;
		calib_summary_get_info(runs[i], &in);
		if (in.replicates != K->boot_n || (K->boot_n > 0 &&
		    in.seed != K->seed)) {
			cli_error("check: %s keeps %d bootstrap replicates with "
			    "seed %lu, but --bootstrap %d --seed %lu was asked "
			    "for (summarize again with those)", in.source,
			    in.replicates, in.seed, K->boot_n, K->seed);
			goto done;
		}
	}
	if (calib_summary_bootstrap(runs, nruns, &K->r.mo, &bs, &err) !=
	    CALIB_OK) {
		cli_lib_error(&err);
		goto done;
	}
	for (i = 0; i < K->nitems; i++) {
		struct item *it = &K->items[i];
		judge(K, it, &bs, now, old != NULL);
	}
	rc = CLI_OK;
done:
	calib_bootstrap_release(&bs);
	calib_summary_free(cur);
	calib_summary_free(old);
	return rc;
}

static int
evaluate(struct check *K)
{
	calib_preds *cur = NULL, *old = NULL;
	calib_bootstrap bs;
	calib_bootstrap_options bo;
	calib_error err;
	calib_metric_set want = 0;
	unsigned keep;
	int i, now = 0, rc = CLI_OK;

	/* Only what the assertions constrain is computed. */
	for (i = 0; i < K->nitems; i++)
		want |= (calib_metric_set)1 <<
		    calib_metric_lookup(K->items[i].a.metric);
	K->r.mo.select = want;
	keep = K->boot_n > 0 ? CALIB_KEEP_PROBS : cli_metric_keep(want);
	memset(&bs, 0, sizeof(bs));
	if (cli_is_summary(K->file) ||
	    (K->baseline != NULL && cli_is_summary(K->baseline)))
		return evaluate_summaries(K);
#ifdef CALIB_MPI
	/* The rows are spread over the ranks: point values from sums. */
	return evaluate_summaries(K);
#endif
	cur = cli_read_preds(K->file, &K->r, keep);
	if (cur == NULL)
		return CLI_ERROR;
	cli_settings_get(&K->set, cur, K->r.mo.nll_clip);
	K->have_set = 1;
	if (K->baseline != NULL) {
		old = cli_read_preds(K->baseline, &K->r, keep);
		if (old == NULL) {
			rc = CLI_ERROR;
			goto done;
		}
	}
	calib_bootstrap_options_init(&bo);
	bo.replicates = K->boot_n;
	bo.seed = K->seed;
	bo.method = K->method;
	bo.metric = K->r.mo;
	{
		const calib_preds *runs[2];
		int nruns = 0;
		calib_status st;
		if (old != NULL)
			runs[nruns++] = old;
		now = nruns;
		runs[nruns++] = cur;
		/* Zero replicates still checks the pairing and gives the
		 * point metrics. */
		cli_progress_begin("bootstrap");
		st = calib_bootstrap_paired(runs, nruns, &bo, &bs, &err);
		cli_progress_end();
		if (st != CALIB_OK) {
			cli_lib_error(&err);
			rc = CLI_ERROR;
			goto done;
		}
	}
	K->now_m = bs.point[now];
	if (old != NULL)
		K->old_m = bs.point[0];
	K->have_metrics = 1;
	for (i = 0; i < K->nitems; i++) {
		struct item *it = &K->items[i];
		judge(K, it, &bs, now, old != NULL);
	}

done:
	calib_bootstrap_release(&bs);
	calib_preds_free(cur);
	calib_preds_free(old);
	return rc;
}

/* Append the markdown summary to path (appending is the point: a CI job
 * page collects the summaries of every step). */
static int
append_summary(const struct check *K, const char *path)
{
	FILE *fp = fopen(path, "a");
	int bad;

	if (fp == NULL) {
		cli_error("cannot append to '%s': %s", path, strerror(errno));
		return -1;
	}
	report_summary(fp, K);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct outputs {
	const char *file[FMT_COUNT]; /* --text FILE ... --github FILE */
	int fmt;                     /* on stdout */
	const char *summary;         /* --summary FILE */
	int github_summary;          /* --github-summary */
};

/* Every report asked for, the results or, with K->error set, the input
 * error; -1 if one could not be written. */
static int
write_reports(const struct check *K, const struct outputs *O)
{
	int i, rc = 0;

	for (i = 0; i < FMT_COUNT; i++) {
		struct cli_out out;
		if (O->file[i] == NULL)
			continue;
		if (cli_out_open(&out, O->file[i]) != 0) {
			rc = -1;
			continue;
		}
		report(out.fp, K, i);
		if (cli_out_commit(&out) != 0)
			rc = -1;
	}
	if (O->summary != NULL && append_summary(K, O->summary) != 0)
		rc = -1;
	if (O->github_summary) {
		const char *gh = getenv("GITHUB_STEP_SUMMARY");
		if (gh != NULL && gh[0] != '\0' && append_summary(K, gh) != 0)
			rc = -1;
	}
	/* The error itself is on stderr already; other formats carry it on
	 * stdout for the CI system that reads them. */
	if (K->error == NULL || O->fmt != FMT_TEXT)
		report(stdout, K, O->fmt);
	return rc;
}

/* An assertion or rules file from the command line, read after all the
 * options so that an error in one still reaches the reports. */
struct pending {
	int opt;          /* OPT_MAX ... OPT_MAX_DEC, or OPT_RULES */
	const char *arg;
};

static int
run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "max", required_argument, NULL, OPT_MAX },
		{ "min", required_argument, NULL, OPT_MIN },
		{ "max-increase", required_argument, NULL, OPT_MAX_INC },
		{ "max-decrease", required_argument, NULL, OPT_MAX_DEC },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
		{ "bootstrap-method", required_argument, NULL, OPT_BOOT_METHOD },
		{ "ci-level", required_argument, NULL, OPT_CI_LEVEL },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "format", required_argument, NULL, 'f' },
		{ "text", required_argument, NULL, OPT_OUT_FIRST + FMT_TEXT },
		{ "tap", required_argument, NULL, OPT_OUT_FIRST + FMT_TAP },
		{ "junit", required_argument, NULL, OPT_OUT_FIRST + FMT_JUNIT },
		{ "json", required_argument, NULL, OPT_OUT_FIRST + FMT_JSON },
		{ "github", required_argument, NULL, OPT_OUT_FIRST + FMT_GITHUB },
		{ "summary", required_argument, NULL, OPT_SUMMARY },
		{ "github-summary", no_argument, NULL, OPT_GITHUB_SUMMARY },
		{ "help", no_argument, NULL, 'h' },
		CLI_READ_LONGOPTS,
		CLI_METRIC_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const kinds[] = { "max", "min", "max-increase",
	    "max-decrease" };
	struct check K;
	struct outputs O;
	struct pending *pend;
	int npend = 0, opt, i, rc;

	memset(&K, 0, sizeof(K));
	memset(&O, 0, sizeof(O));
	O.fmt = FMT_TEXT;
	cli_read_init(&K.r);
	K.level = 0.95;
	K.seed = 20191206;
	pend = calloc((size_t)argc + 1, sizeof(*pend));
	if (pend == NULL) {
		cli_error("out of memory");
		return CLI_ERROR;
	}
	while ((opt = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		int h;
		switch (opt) {
		case 'h':
			usage(stdout);
			free(pend);
			return CLI_OK;
		case OPT_MAX:
		case OPT_MIN:
		case OPT_MAX_INC:
		case OPT_MAX_DEC:
		case OPT_RULES:
			pend[npend].opt = opt;
			pend[npend].arg = optarg;
			npend++;
			break;
		case OPT_BASELINE:
			K.baseline = optarg;
			break;
		case OPT_BOOT_METHOD:
			if (cli_parse_boot_method("check", optarg, &K.method) != 0)
				goto usage_fail;
			break;
		case OPT_BOOTSTRAP:
			if (cli_parse_int("check", "bootstrap", optarg, 0,
			    1000000, &K.boot_n) != 0)
				goto usage_fail;
			break;
		case OPT_CI_LEVEL:
			if (cli_parse_double("check", "ci-level", optarg,
			    &K.level) != 0)
				goto usage_fail;
			if (!(K.level > 0 && K.level < 1)) {
				cli_usage_error("check", "--ci-level must be "
				    "between 0 and 1");
				goto usage_fail;
			}
			break;
		case OPT_SEED:
			if (cli_parse_seed("check", optarg, &K.seed) != 0)
				goto usage_fail;
			break;
		case OPT_STRICT:
			K.strict = 1;
			break;
		case OPT_SUMMARY:
			O.summary = optarg;
			break;
		case OPT_GITHUB_SUMMARY:
			O.github_summary = 1;
			break;
		case 'f':
			for (i = 0; i < FMT_COUNT; i++)
				if (strcmp(optarg, fmt_names[i]) == 0)
					break;
			if (i == FMT_COUNT) {
				cli_usage_error("check", "--format: '%s' is not "
				    "text, tap, junit, json or github", optarg);
				goto usage_fail;
			}
			O.fmt = i;
			break;
		case '?':
			cli_usage_error("check", "invalid option");
			goto usage_fail;
		default:
			if (opt >= OPT_OUT_FIRST &&
			    opt < OPT_OUT_FIRST + FMT_COUNT) {
				O.file[opt - OPT_OUT_FIRST] = optarg;
				break;
			}
			h = cli_read_option("check", opt, optarg, &K.r);
			if (h == 0)
				cli_usage_error("check", "invalid option");
			if (h <= 0)
				goto usage_fail;
		}
	}
	if (argc - optind != 1) {
		cli_usage_error("check", argc - optind ? "give exactly one "
		    "prediction file" : "no prediction file given");
		goto usage_fail;
	}
	K.file = argv[optind];

	/* From here on every error is also a report. */
	for (i = 0; i < npend; i++) {
		char src[300];
		if (pend[i].opt == OPT_RULES) {
			if (read_rules(&K, pend[i].arg) != 0)
				goto input_fail;
			continue;
		}
		snprintf(src, sizeof(src), "--%s %s",
		    kinds[pend[i].opt - OPT_MAX], pend[i].arg);
		if (add_item(&K, kinds[pend[i].opt - OPT_MAX], pend[i].arg,
		    src) != 0)
			goto input_fail;
	}
	if (K.nitems == 0) {
		cli_usage_error("check", "no assertions (use --max, --min, "
		    "--max-increase, --max-decrease or --rules)");
		goto input_fail;
	}
	for (i = 0; i < K.nitems; i++)
		if (K.items[i].a.kind >= CALIB_ASSERT_MAX_INCREASE &&
		    K.baseline == NULL) {
			cli_usage_error("check", "%s needs --baseline",
			    K.items[i].source);
			goto input_fail;
		}
	if (evaluate(&K) != CLI_OK)
		goto input_fail;

	rc = K.failed ? CLI_FAILED : CLI_OK;
	if (write_reports(&K, &O) != 0)
		rc = CLI_ERROR;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output: %s",
		    strerror(errno));
		rc = CLI_ERROR;
	}
	free(K.items);
	free(pend);
	return rc;

input_fail:
	/* Copied: writing the reports may print (and record) another error. */
	K.err_copy = cli_last_problem;
	K.error = &K.err_copy;
	write_reports(&K, &O);
	fflush(stdout);
usage_fail:
	free(K.items);
	free(pend);
	return CLI_ERROR;
}

const struct cli_cmd cli_cmd_check = {
	.name = "check",
	.run = run,
	.summary = "assert bounds on calibration metrics (CI gates)",
};
