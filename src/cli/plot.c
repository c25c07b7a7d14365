/*
 * plot.c - running the gnuplot scripts in plots/ on data calib wrote.  The
 * interface and the safety rules are described in cli.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#ifndef CALIB_PKGDATADIR
#define CALIB_PKGDATADIR "/usr/local/share/calib"
#endif

/* Lines of gnuplot's standard error shown when it fails. */
#define ERR_LINES 40

struct plot_var {
	char *name;
	char *literal; /* gnuplot source text of the value */
};

struct plot_data {
	char *var;
	char *tag;
	char *file; /* path in the private directory */
	FILE *fp;
};

struct cli_plot {
	char *script;
	char *output;
	const char *term;
	char *dir;
	struct plot_var *vars;
	size_t nvars;
	struct plot_data *data;
	size_t ndata;
	char **protect;
	size_t nprotect;
	int broken; /* an earlier call failed; render refuses */
	/* .tex: gnuplot writes STEM.tex and STEM.pdf in dir (STEM the
	 * figure's base name), as the .tex refers to the graphics by name */
	char *tex_stem;
};

const char cli_plot_help[] =
"Figure:\n"
"  -o, --output FILE     the figure: .png (pngcairo), .svg, .pdf\n"
"                        (pdfcairo) or .tex (cairolatex: FILE.tex with\n"
"                        the text, set by LaTeX, and FILE.pdf with the\n"
"                        graphics); required\n"
"      --title TEXT      title above the figure (default: the input\n"
"                        file's name without extension; '' for none)\n"
"      --gnuplot PATH    gnuplot binary to run (default " CALIB_GNUPLOT ")\n";

const char cli_plot_style_help[] =
"      --style S         bars (default for equal-width bins), points\n"
"                        (default for equal-mass bins: each bin at its\n"
"                        mean confidence) or line (points joined)\n"
"      --no-legend       leave out the legend\n"
"      --no-counts       leave out the panel of rows per bin\n"
"      --no-intervals    leave out the intervals and the consistency band\n"
"      --font NAME[,SIZE]  font family and size in points (default\n"
"                        Helvetica, sized by the figure)\n"
"      --fontscale X     scale every text by X (0.25 to 4)\n";

void
cli_plot_opts_init(struct cli_plot_opts *po)
{
	memset(po, 0, sizeof(*po));
	po->gnuplot = CALIB_GNUPLOT;
	po->legend = po->counts = po->intervals = 1;
	po->fontscale = 1;
	po->keep = 1;
}

/* --font NAME[,SIZE]: "Times", "Times,12" or ",12". */
static int
parse_font(const char *cmd, const char *arg, struct cli_plot_opts *po)
{
	const char *comma = strrchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	double size = 0;

	if (len >= sizeof(po->font)) {
		cli_usage_error(cmd, "--font: the name is longer than %zu bytes",
		    sizeof(po->font) - 1);
		return -1;
	}
	if (comma != NULL) {
		char *end;
		errno = 0;
		size = strtod(comma + 1, &end);
		if (end == comma + 1 || *end != '\0' || errno != 0 ||
		    !(size >= 4 && size <= 72)) {
			cli_usage_error(cmd, "--font: '%s' is not NAME,SIZE with "
			    "a SIZE from 4 to 72 points", arg);
			return -1;
		}
	}
	if (len == 0 && comma == NULL) {
		cli_usage_error(cmd, "--font: empty (give NAME, NAME,SIZE or "
		    ",SIZE)");
		return -1;
	}
	memcpy(po->font, arg, len);
	po->font[len] = '\0';
	po->fontsize = size;
	return 1;
}

int
cli_plot_option(const char *cmd, int opt, const char *arg,
    struct cli_plot_opts *po)
{
	switch (opt) {
	case CLI_OPT_GNUPLOT:
		if (arg[0] == '\0') {
			cli_usage_error(cmd, "--gnuplot: empty path");
			return -1;
		}
		po->gnuplot = arg;
		return 1;
	case CLI_OPT_SIZE: {
		char *end, *end2;
		long w, h;
		w = strtol(arg, &end, 10);
		if (end == arg || (*end != 'x' && *end != 'X' && *end != ',')) {
			cli_usage_error(cmd, "--size: '%s' is not WIDTHxHEIGHT, "
			    "e.g. 640x480", arg);
			return -1;
		}
		h = strtol(end + 1, &end2, 10);
		if (end2 == end + 1 || *end2 != '\0' || w < 64 || h < 64 ||
		    w > 20000 || h > 20000) {
			cli_usage_error(cmd, "--size: '%s' is not WIDTHxHEIGHT "
			    "with both from 64 to 20000", arg);
			return -1;
		}
		po->width = (int)w;
		po->height = (int)h;
		return 1;
	}
	case CLI_OPT_TITLE:
		po->title = arg;
		return 1;
	case CLI_OPT_STYLE:
		if (strcmp(arg, "bars") != 0 && strcmp(arg, "points") != 0 &&
		    strcmp(arg, "line") != 0) {
			cli_usage_error(cmd, "--style: '%s' is not bars, points "
			    "or line", arg);
			return -1;
		}
		po->style = arg;
		return 1;
	case CLI_OPT_NO_LEGEND:
		po->legend = 0;
		return 1;
	case CLI_OPT_NO_COUNTS:
		po->counts = 0;
		return 1;
	case CLI_OPT_NO_INTERVALS:
		po->intervals = 0;
		return 1;
	case CLI_OPT_FONT:
		return parse_font(cmd, arg, po);
	case CLI_OPT_FONTSCALE: {
		char *end;
		double x;
		errno = 0;
		x = strtod(arg, &end);
		if (end == arg || *end != '\0' || errno != 0 ||
		    !(x >= 0.25 && x <= 4)) {
			cli_usage_error(cmd, "--fontscale: '%s' is not a number "
			    "from 0.25 to 4", arg);
			return -1;
		}
		po->fontscale = x;
		return 1;
	}
	}
	return 0;
}

const char *
cli_plot_terminal(const char *output)
{
	const char *dot = strrchr(output, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return NULL;
	if (strcasecmp(dot, ".png") == 0)
		return "pngcairo";
	if (strcasecmp(dot, ".svg") == 0)
		return "svg";
	if (strcasecmp(dot, ".pdf") == 0)
		return "pdfcairo";
	if (strcasecmp(dot, ".tex") == 0)
		return "cairolatex";
	return NULL;
}

static int
is_tex(const struct cli_plot *pl)
{
	return strcmp(pl->term, "cairolatex") == 0;
}

/* Whether the running binary sits below the build tree it was built in. */
static int
in_build_tree(void)
{
#if defined(CALIB_BUILDDIR)
	char exe[PATH_MAX], top[PATH_MAX];
	size_t n;

	if (realpath("/proc/self/exe", exe) == NULL ||
	    realpath(CALIB_BUILDDIR, top) == NULL)
		return 0;
	n = strlen(top);
	return strncmp(exe, top, n) == 0 && exe[n] == '/';
#else
	return 0;
#endif
}

const char *
cli_plot_dir(void)
{
	const char *env = getenv("CALIB_PLOTS_DIR");

	if (env != NULL && env[0] != '\0')
		return env;
#if defined(CALIB_SRCDIR)
	if (in_build_tree())
		return CALIB_SRCDIR "/plots";
#endif
	return CALIB_PKGDATADIR;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		cli_error("out of memory");
	return d;
}

/* Concatenate up to three strings into a new one. */
static char *
join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static int
valid_name(const char *s)
{
	const char *c;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return 0;
	for (c = s + 1; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_'))
			return 0;
	return 1;
}

/*
 * A gnuplot string literal for any bytes.  Single quotes suppress every
 * substitution and need only '' for a quote; control characters, which
 * cannot appear inside one, are concatenated in as "\ooo" (a double-quoted
 * string holding nothing but an octal escape, so nothing to substitute).
 */
static char *
literal(const char *s)
{
	size_t n = 3, i;
	const unsigned char *c;
	char *out;
	int open = 0;

	for (c = (const unsigned char *)s; *c; c++)
		n += *c < 0x20 || *c == 0x7f ? 12 : *c == '\'' ? 2 : 1;
	out = malloc(n + 2);
	if (out == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	i = 0;
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			if (open) {
				out[i++] = '\'';
				open = 0;
			}
			i += (size_t)sprintf(out + i, "%s\"\\%03o\"",
			    i > 0 ? "." : "", *c);
			continue;
		}
		if (!open) {
			if (i > 0)
				out[i++] = '.';
			out[i++] = '\'';
			open = 1;
		}
		if (*c == '\'')
			out[i++] = '\'';
		out[i++] = (char)*c;
	}
	if (i == 0) {
		out[i++] = '\'';
		out[i++] = '\'';
	} else if (open)
		out[i++] = '\'';
	out[i] = '\0';
	return out;
}

struct cli_plot *
cli_plot_new(const char *script, const char *output)
{
	struct cli_plot *pl;
	const char *tmp = getenv("TMPDIR");

	if (cli_plot_terminal(output) == NULL) {
		cli_error("'%s': cannot tell the figure format from the name; "
		    "use .png, .svg or .pdf", output);
		return NULL;
	}
	if (strcmp(cli_plot_terminal(output), "cairolatex") == 0) {
		/* The .tex names its graphics file, which LaTeX must read. */
		const char *b = strrchr(output, '/') ? strrchr(output, '/') + 1 :
		    output;
		size_t len = strlen(b) - 4;
		if (len == 0 || strspn(b, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len) {
			cli_error("'%s': a .tex figure's name may hold only "
			    "letters, digits, '-' and '_' before .tex (LaTeX "
			    "reads the name of its graphics file)", output);
			return NULL;
		}
	}
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	pl->term = cli_plot_terminal(output);
	if (is_tex(pl)) {
		const char *b = strrchr(output, '/') ? strrchr(output, '/') + 1 :
		    output;
		pl->tex_stem = strndup(b, strlen(b) - 4);
		if (pl->tex_stem == NULL) {
			cli_error("out of memory");
			free(pl);
			return NULL;
		}
	}
	pl->script = xstrdup(script);
	pl->output = xstrdup(output);
	pl->dir = join(tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp",
	    "/calib-plot-", "XXXXXX");
	if (pl->script == NULL || pl->output == NULL || pl->dir == NULL) {
		cli_plot_free(pl);
		return NULL;
	}
	if (mkdtemp(pl->dir) == NULL) {
		cli_error("cannot make a temporary directory '%s': %s",
		    pl->dir, strerror(errno));
		free(pl->dir);
		pl->dir = NULL;
		cli_plot_free(pl);
		return NULL;
	}
	cli_cleanup_add(pl->dir, 1);
	return pl;
}

static int
add_var(struct cli_plot *pl, const char *name, char *lit)
{
	struct plot_var *v;
	size_t i;

	if (lit == NULL) {
		pl->broken = 1;
		return -1;
	}
	for (i = 0; i < pl->nvars; i++)
		if (strcmp(pl->vars[i].name, name) == 0) {
			free(pl->vars[i].literal);
			pl->vars[i].literal = lit;
			return 0;
		}
	v = realloc(pl->vars, (pl->nvars + 1) * sizeof(*v));
	if (v == NULL) {
		cli_error("out of memory");
		free(lit);
		pl->broken = 1;
		return -1;
	}
	pl->vars = v;
	v[pl->nvars].name = xstrdup(name);
	v[pl->nvars].literal = lit;
	if (v[pl->nvars].name == NULL) {
		free(lit);
		pl->broken = 1;
		return -1;
	}
	pl->nvars++;
	return 0;
}

/*
 * Text for LaTeX to typeset as it reads: cairolatex hands every label to
 * LaTeX verbatim, where a run named "hard_label" or a title with "50%"
 * would be markup (or a comment).
 */
static char *
latex_text(const char *s)
{
	size_t n = 1;
	const char *c;
	char *out, *o;

	for (c = s; *c; c++)
		n += strchr("\\^~", *c) ? 20 : strchr("#$%&_{}", *c) ? 2 : 1;
	out = malloc(n);
	if (out == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	for (o = out, c = s; *c; c++) {
		if (*c == '\\')
			o += sprintf(o, "\\textbackslash{}");
		else if (*c == '^')
			o += sprintf(o, "\\textasciicircum{}");
		else if (*c == '~')
			o += sprintf(o, "\\textasciitilde{}");
		else {
			if (strchr("#$%&_{}", *c))
				*o++ = '\\';
			*o++ = *c;
		}
	}
	*o = '\0';
	return out;
}

int
cli_plot_set_string(struct cli_plot *pl, const char *var, const char *value)
{
	char *tex;
	int rc;

	if (!valid_name(var)) {
		cli_error("internal error: '%s' is not a gnuplot variable name",
		    var);
		pl->broken = 1;
		return -1;
	}
	if (!is_tex(pl))
		return add_var(pl, var, literal(value));
	tex = latex_text(value);
	if (tex == NULL) {
		pl->broken = 1;
		return -1;
	}
	rc = add_var(pl, var, literal(tex));
	free(tex);
	return rc;
}

int
cli_plot_set_number(struct cli_plot *pl, const char *var, double v)
{
	char buf[64];

	if (!valid_name(var)) {
		cli_error("internal error: '%s' is not a gnuplot variable name",
		    var);
		pl->broken = 1;
		return -1;
	}
	if (isnan(v))
		snprintf(buf, sizeof(buf), "NaN");
	else if (isinf(v))
		snprintf(buf, sizeof(buf), "%s1e308*10", v < 0 ? "-" : "");
	else {
		/* Always a real: gnuplot divides integers as integers. */
		cli_fmt_number(buf, sizeof(buf), v);
		if (strpbrk(buf, ".e") == NULL)
			strcat(buf, ".0");
	}
	return add_var(pl, var, xstrdup(buf));
}

FILE *
cli_plot_data(struct cli_plot *pl, const char *var, const char *tag)
{
	struct plot_data *d;
	char name[80];

	if (!valid_name(var) || strlen(var) > 40) {
		cli_error("internal error: '%s' is not a gnuplot variable name",
		    var);
		pl->broken = 1;
		return NULL;
	}
	d = realloc(pl->data, (pl->ndata + 1) * sizeof(*d));
	if (d == NULL) {
		cli_error("out of memory");
		pl->broken = 1;
		return NULL;
	}
	pl->data = d;
	d = &pl->data[pl->ndata];
	memset(d, 0, sizeof(*d));
	snprintf(name, sizeof(name), "%s.csv", var);
	d->var = xstrdup(var);
	d->tag = xstrdup(tag);
	d->file = join(pl->dir, "/", name);
	if (d->var == NULL || d->tag == NULL || d->file == NULL) {
		free(d->var);
		free(d->tag);
		free(d->file);
		pl->broken = 1;
		return NULL;
	}
	cli_cleanup_add(d->file, 0);
	d->fp = fopen(d->file, "w");
	if (d->fp == NULL) {
		cli_cleanup_remove(d->file);
		cli_error("cannot write '%s': %s", d->file, strerror(errno));
		free(d->var);
		free(d->tag);
		free(d->file);
		pl->broken = 1;
		return NULL;
	}
	pl->ndata++;
	if (add_var(pl, var, literal(name)) != 0)
		return NULL;
	return d->fp;
}

void
cli_plot_protect(struct cli_plot *pl, const char *path)
{
	char **p = realloc(pl->protect, (pl->nprotect + 1) * sizeof(*p));

	if (p == NULL)
		return;
	pl->protect = p;
	p[pl->nprotect] = strdup(path);
	if (p[pl->nprotect] != NULL)
		pl->nprotect++;
}

/* DIR/STEM.ext, where gnuplot writes a .tex figure's two parts. */
static char *
tex_part(const struct cli_plot *pl, const char *ext)
{
	char *a = join(pl->dir, "/", pl->tex_stem), *b;

	if (a == NULL)
		return NULL;
	b = join(a, ext, "");
	free(a);
	return b;
}

void
cli_plot_free(struct cli_plot *pl)
{
	size_t i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->ndata; i++) {
		if (pl->data[i].fp != NULL)
			fclose(pl->data[i].fp);
		unlink(pl->data[i].file);
		cli_cleanup_remove(pl->data[i].file);
		free(pl->data[i].var);
		free(pl->data[i].tag);
		free(pl->data[i].file);
	}
	if (pl->dir != NULL) {
		char *f;
		if ((f = join(pl->dir, "/vars.gp", "")) != NULL) {
			unlink(f);
			cli_cleanup_remove(f);
			free(f);
		}
		if ((f = join(pl->dir, "/gnuplot.err", "")) != NULL) {
			unlink(f);
			cli_cleanup_remove(f);
			free(f);
		}
		if (pl->tex_stem != NULL) {
			if ((f = tex_part(pl, ".tex")) != NULL) {
				unlink(f);
				free(f);
			}
			if ((f = tex_part(pl, ".pdf")) != NULL) {
				unlink(f);
				free(f);
			}
		}
		rmdir(pl->dir);
		cli_cleanup_remove(pl->dir);
	}
	for (i = 0; i < pl->nvars; i++) {
		free(pl->vars[i].name);
		free(pl->vars[i].literal);
	}
	for (i = 0; i < pl->nprotect; i++)
		free(pl->protect[i]);
	free(pl->protect);
	free(pl->vars);
	free(pl->data);
	free(pl->script);
	free(pl->output);
	free(pl->dir);
	free(pl->tex_stem);
	free(pl);
}

/* Read a whole file into a NUL-terminated buffer. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, r;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 16384;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				fclose(fp);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		errno = EIO;
		return NULL;
	}
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* The assignments the script reads.  outfile and the data file names
 * differ between the private run and the kept copy. */
static void
write_vars(FILE *fp, const struct cli_plot *pl, const struct cli_plot_opts *po,
    const char *outfile, char *const *datanames)
{
	char *lit;
	size_t i, j;

	fprintf(fp, "term = '%s'\n", pl->term);
	if (po->width > 0)
		fprintf(fp, "width = %d.0\nheight = %d.0\n", po->width,
		    po->height);
	lit = literal(outfile);
	fprintf(fp, "outfile = %s\n", lit ? lit : "''");
	free(lit);
	/* The restyling options; each script reads the ones it draws. */
	fprintf(fp, "legend = %d\ncounts = %d\nintervals = %d\n",
	    po->legend, po->counts, po->intervals);
	if (po->font[0] != '\0') {
		lit = literal(po->font);
		fprintf(fp, "fontname = %s\n", lit ? lit : "''");
		free(lit);
	}
	if (po->fontsize > 0)
		fprintf(fp, "fontsize_given = %.6f\n", po->fontsize);
	fprintf(fp, "fontscale = %.6f\n", po->fontscale);
	for (i = 0; i < pl->nvars; i++) {
		const char *value = pl->vars[i].literal;
		char *own = NULL;
		for (j = 0; j < pl->ndata && datanames != NULL; j++)
			if (strcmp(pl->data[j].var, pl->vars[i].name) == 0)
				value = own = literal(datanames[j]);
		fprintf(fp, "%s = %s\n", pl->vars[i].name, value ? value : "''");
		free(own);
	}
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Path without its extension (the part after the last dot of the last
 * component). */
static char *
stem(const char *path)
{
	char *s = xstrdup(path), *dot, *slash;

	if (s == NULL)
		return NULL;
	dot = strrchr(s, '.');
	slash = strrchr(s, '/');
	if (dot != NULL && (slash == NULL || dot > slash + 1))
		*dot = '\0';
	return s;
}

static int
protected_path(const struct cli_plot *pl, const char *path)
{
	struct stat a, b;
	size_t i;

	if (stat(path, &a) != 0)
		return 0;
	for (i = 0; i < pl->nprotect; i++)
		if (stat(pl->protect[i], &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return 1;
	return cli_input_at(path) != NULL;
}

static int
copy_file(const char *from, const char *to)
{
	struct cli_out out;
	char *text;
	size_t len;

	text = slurp(from, &len);
	if (text == NULL) {
		cli_error("cannot read '%s': %s", from, strerror(errno));
		return -1;
	}
	if (cli_out_open(&out, to) != 0) {
		free(text);
		return -1;
	}
	fwrite(text, 1, len, out.fp);
	free(text);
	return cli_out_commit(&out);
}

/*
 * Keep what is needed to draw the figure later, next to it: the data files
 * and one script holding the assignments and the script's text.
 */
static void
keep_for_later(struct cli_plot *pl, const struct cli_plot_opts *po,
    const char *script_path, const char *script_text)
{
	char *st = stem(pl->output), **names = NULL, *gp = NULL, *dir = NULL;
	struct cli_out out;
	size_t i;
	int bad = 0;

	if (st == NULL)
		return;
	names = calloc(pl->ndata + 1, sizeof(*names));
	gp = join(st, ".gp", "");
	if (names == NULL || gp == NULL)
		goto done;
	for (i = 0; i < pl->ndata; i++) {
		char *tagged = join(st, "-", pl->data[i].tag);
		names[i] = tagged ? join(tagged, ".csv", "") : NULL;
		free(tagged);
		if (names[i] == NULL)
			goto done;
	}
	for (i = 0; i < pl->ndata; i++)
		if (protected_path(pl, names[i])) {
			cli_error("not keeping the figure's data: '%s' would "
			    "overwrite a file named on the command line (an "
			    "input)", names[i]);
			goto done;
		}
	for (i = 0; i < pl->ndata && !bad; i++) {
		if (copy_file(pl->data[i].file, names[i]) != 0)
			bad = 1;
	}
	if (bad)
		goto done;
	if (cli_out_open(&out, gp) != 0)
		goto done;
	/* Names in a comment line must not end it: one holding a control
	 * character (a newline would start a gnuplot command) is left out. */
	if (cli_has_control(pl->output) || cli_has_control(gp))
		fprintf(out.fp, "# Written by calib %s, which could not run "
		    "gnuplot to draw the figure.\n# Draw it by running gnuplot "
		    "on this file in this directory.\n", PACKAGE_VERSION);
	else {
		char *q = cli_shell_quote(base_name(gp));
		fprintf(out.fp, "# Written by calib %s, which could not run "
		    "gnuplot to draw '%s'.\n# Draw it by running, in this "
		    "directory:  gnuplot %s\n", PACKAGE_VERSION,
		    base_name(pl->output), q ? q : "THIS-FILE");
		free(q);
	}
	{
		char **bases = calloc(pl->ndata + 1, sizeof(*bases));
		if (bases != NULL) {
			for (i = 0; i < pl->ndata; i++)
				bases[i] = (char *)base_name(names[i]);
			write_vars(out.fp, pl, po, base_name(pl->output), bases);
			free(bases);
		}
	}
	fprintf(out.fp, "# ---- %s ----\n%s", script_path, script_text);
	if (cli_out_commit(&out) != 0)
		goto done;
	dir = xstrdup(pl->output);
	if (dir != NULL) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			strcpy(dir, ".");
		else if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	fprintf(stderr, "%s: kept ", cli_progname);
	for (i = 0; i < pl->ndata; i++) {
		fputc('\'', stderr);
		cli_put_text(stderr, names[i]);
		fputs("' and ", stderr);
	}
	fputc('\'', stderr);
	cli_put_text(stderr, gp);
	fputc('\'', stderr);
	/* The hint is a command to paste: quoted for the shell, and given
	 * only when the names hold nothing a terminal would act on. */
	if (dir != NULL && !cli_has_control(dir) && !cli_has_control(gp)) {
		char *qd = cli_shell_quote(dir), *qg =
		    cli_shell_quote(base_name(gp));
		if (qd != NULL && qg != NULL)
			fprintf(stderr, "; to draw the figure later, run: "
			    "cd %s && gnuplot %s\n", qd, qg);
		else
			fputc('\n', stderr);
		free(qd);
		free(qg);
	} else
		fprintf(stderr, "; to draw the figure later, run gnuplot on "
		    "the .gp file in its directory\n");
done:
	if (names != NULL)
		for (i = 0; i < pl->ndata; i++)
			free(names[i]);
	free(names);
	free(gp);
	free(dir);
	free(st);
}

/* Print gnuplot's standard error, prefixed, at most ERR_LINES lines. */
static void
show_errors(const char *path)
{
	char *text = slurp(path, NULL), *line, *save = NULL;
	int n = 0;

	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '\0' || strspn(line, " \t^") == strlen(line))
			continue;
		if (++n > ERR_LINES) {
			fprintf(stderr, "%s: gnuplot: ...\n", cli_progname);
			break;
		}
		fprintf(stderr, "%s: gnuplot: ", cli_progname);
		cli_put_text(stderr, line);
		fputc('\n', stderr);
	}
	free(text);
}

/*
 * Run gnuplot -d vars.gp SCRIPT in dir with standard output outfd and
 * standard error errfd.  Returns 0 with *status from waitpid, or the errno
 * that kept it from starting (exec's errno comes back through a
 * close-on-exec pipe, which exec closes on success).
 */
static int
spawn(const char *gnuplot, const char *dir, const char *script, int outfd,
    int errfd, int *status)
{
	int pfd[2], e = 0, nul;
	ssize_t r;
	pid_t pid;
	char *argv[5];

	argv[0] = (char *)gnuplot;
	argv[1] = (char *)"-d";
	argv[2] = (char *)"vars.gp";
	argv[3] = (char *)script;
	argv[4] = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		/* the parent's files are not this process's to remove */
		cli_cleanup_child(-1);
		nul = open("/dev/null", O_RDONLY);
		if (chdir(dir) != 0 || nul < 0 || dup2(nul, 0) < 0 ||
		    dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
			e = errno;
		else {
			execvp(gnuplot, argv);
			e = errno;
		}
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	cli_cleanup_child(pid);
	close(pfd[1]);
	do
		r = read(pfd[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			e = errno;
			break;
		}
	cli_cleanup_child(0);
	return r == (ssize_t)sizeof(e) ? (e ? e : EIO) : 0;
}

/* An absolute form of path for use after chdir; relative names without a
 * slash are left for execvp's PATH search. */
static char *
absolute(const char *path, int search)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || (search && strchr(path, '/') == NULL))
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		cli_error("cannot find the current directory: %s",
		    strerror(errno));
		return NULL;
	}
	return join(cwd, "/", path);
}

/* Why gnuplot drew nothing, from its exit status. */
static void
explain_failure(const struct cli_plot *pl, const struct cli_plot_opts *po,
    int status, const char *errf)
{
	show_errors(errf);
	if (WIFSIGNALED(status))
		cli_error("figure '%s' not drawn: gnuplot '%s' was killed by "
		    "signal %d", pl->output, po->gnuplot, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		cli_error("figure '%s' not drawn: gnuplot '%s' failed (exit "
		    "status %d)", pl->output, po->gnuplot,
		    WEXITSTATUS(status));
	else
		cli_error("figure '%s' not drawn: gnuplot '%s' wrote nothing",
		    pl->output, po->gnuplot);
}

/*
 * A .tex figure: gnuplot's cairolatex writes DIR/STEM.tex (the text, for
 * LaTeX) and DIR/STEM.pdf (the graphics) itself; both are copied next to
 * the figure, the graphics first so the .tex never names a missing file.
 */
static int
render_tex(struct cli_plot *pl, const struct cli_plot_opts *po,
    const char *gnuplot, const char *script, const char *text, int errfd,
    const char *errf)
{
	char *tex = tex_part(pl, ".tex"), *pdf = tex_part(pl, ".pdf");
	char *st = stem(pl->output), *dest = NULL;
	struct stat a, b;
	int status = 0, e, rc = CLI_ERROR;

	if (tex == NULL || pdf == NULL || st == NULL ||
	    (dest = join(st, ".pdf", "")) == NULL)
		goto done;
	if (protected_path(pl, dest)) {
		cli_error("not drawing '%s': its graphics file '%s' would "
		    "overwrite a file named on the command line", pl->output,
		    dest);
		goto done;
	}
	e = spawn(gnuplot, pl->dir, script, errfd, errfd, &status);
	if (e != 0) {
		cli_error("figure '%s' not drawn: cannot run gnuplot '%s': %s "
		    "(install gnuplot, e.g. apt-get install gnuplot-nox, or "
		    "name one with --gnuplot PATH)", pl->output, po->gnuplot,
		    strerror(e));
		if (po->keep)
			keep_for_later(pl, po, script, text);
		rc = CLI_NO_RENDER;
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    stat(tex, &a) != 0 || a.st_size == 0 || stat(pdf, &b) != 0 ||
	    b.st_size == 0) {
		explain_failure(pl, po, status, errf);
		if (po->keep)
			keep_for_later(pl, po, script, text);
		rc = CLI_NO_RENDER;
		goto done;
	}
	show_errors(errf);
	if (copy_file(pdf, dest) == 0 && copy_file(tex, pl->output) == 0)
		rc = CLI_OK;
done:
	free(tex);
	free(pdf);
	free(st);
	free(dest);
	return rc;
}

int
cli_plot_render(struct cli_plot *pl, const struct cli_plot_opts *po)
{
	char *script = NULL, *text = NULL, *vars = NULL, *errf = NULL;
	char *gnuplot = NULL;
	struct cli_out out;
	struct stat st;
	FILE *fp;
	size_t i;
	int rc = CLI_ERROR, status = 0, e, errfd = -1;

	if (pl->broken)
		return CLI_ERROR;
	for (i = 0; i < pl->ndata; i++) {
		int bad = ferror(pl->data[i].fp);
		if (fclose(pl->data[i].fp) != 0)
			bad = 1;
		pl->data[i].fp = NULL;
		if (bad) {
			cli_error("cannot write '%s': %s", pl->data[i].file,
			    strerror(errno));
			return CLI_ERROR;
		}
	}

	{
		char *rel = join(cli_plot_dir(), "/", pl->script);
		script = rel ? absolute(rel, 0) : NULL;
		free(rel);
	}
	if (script == NULL)
		goto done;
	text = slurp(script, NULL);
	if (text == NULL) {
		cli_error("cannot read the gnuplot script '%s': %s (set "
		    "CALIB_PLOTS_DIR to the directory holding calib's plots "
		    "scripts)", script, strerror(errno));
		goto done;
	}

	vars = join(pl->dir, "/vars.gp", "");
	errf = join(pl->dir, "/gnuplot.err", "");
	gnuplot = absolute(po->gnuplot, 1);
	if (vars == NULL || errf == NULL || gnuplot == NULL)
		goto done;
	cli_cleanup_add(vars, 0);
	cli_cleanup_add(errf, 0);
	fp = fopen(vars, "w");
	if (fp == NULL) {
		cli_error("cannot write '%s': %s", vars, strerror(errno));
		goto done;
	}
	if (pl->tex_stem != NULL) {
		char *name = join(pl->tex_stem, ".tex", "");
		if (name == NULL) {
			fclose(fp);
			goto done;
		}
		write_vars(fp, pl, po, name, NULL);
		free(name);
	} else
		write_vars(fp, pl, po, "", NULL);
	if (fclose(fp) != 0) {
		cli_error("cannot write '%s': %s", vars, strerror(errno));
		goto done;
	}
	errfd = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (errfd < 0) {
		cli_error("cannot write '%s': %s", errf, strerror(errno));
		goto done;
	}

	if (pl->tex_stem != NULL) {
		rc = render_tex(pl, po, gnuplot, script, text, errfd, errf);
		goto done;
	}
	if (cli_out_open(&out, pl->output) != 0)
		goto done;
	e = spawn(gnuplot, pl->dir, script, fileno(out.fp), errfd, &status);
	if (e != 0) {
		cli_out_abort(&out);
		cli_error("figure '%s' not drawn: cannot run gnuplot '%s': %s "
		    "(install gnuplot, e.g. apt-get install gnuplot-nox, or "
		    "name one with --gnuplot PATH)", pl->output, po->gnuplot,
		    strerror(e));
		if (po->keep)
			keep_for_later(pl, po, script, text);
		rc = CLI_NO_RENDER;
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    (cli_out_is_file(&out) && (fstat(fileno(out.fp), &st) != 0 ||
	    st.st_size == 0))) {
		cli_out_abort(&out);
		explain_failure(pl, po, status, errf);
		if (po->keep)
			keep_for_later(pl, po, script, text);
		rc = CLI_NO_RENDER;
		goto done;
	}
	show_errors(errf);
	rc = cli_out_commit(&out) == 0 ? CLI_OK : CLI_ERROR;
done:
	if (errfd >= 0)
		close(errfd);
	free(script);
	free(text);
	free(vars);
	free(errf);
	free(gnuplot);
	return rc;
}
