/*
 * output.c - everything calib writes that a hostile input could subvert:
 * output files (never replacing a device, a FIFO or an input), the files
 * left behind when a signal ends the run, untrusted text on the terminal,
 * and strings in XML reports (JSON ones: json-writer.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"

/* ---- files removed when a signal ends the run ---------------------- */

/*
 * The handler may run at any point, so the list is a fixed array of
 * pointers that add/remove change only with the signals blocked, and the
 * handler only calls unlink, rmdir, kill and raise, which are
 * async-signal-safe.
 */
#define CLEANUP_MAX 64
static struct {
	char *path;
	int dir;
} cleanup[CLEANUP_MAX];
static volatile sig_atomic_t ncleanup;
static volatile pid_t cleanup_child;
static int handlers_set;
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void
on_signal(int sig)
{
	int i;

	/* cleanup_child < 0: a forked child before exec, whose files these
	 * are not */
	if (cleanup_child >= 0) {
		if (cleanup_child > 0)
			kill(cleanup_child, SIGTERM);
		for (i = 0; i < ncleanup; i++)
			if (!cleanup[i].dir)
				unlink(cleanup[i].path);
		for (i = ncleanup - 1; i >= 0; i--)
			if (cleanup[i].dir)
				rmdir(cleanup[i].path);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
block(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(cleanup_signals) / sizeof(*cleanup_signals); i++)
		sigaddset(&set, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void
set_handlers(void)
{
	size_t i;

	if (handlers_set)
		return;
	handlers_set = 1;
	for (i = 0; i < sizeof(cleanup_signals) / sizeof(*cleanup_signals);
	    i++) {
		struct sigaction sa, old;
		/* A signal ignored when calib started (nohup, a background
		 * job of a non-interactive shell) stays ignored. */
		if (sigaction(cleanup_signals[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

int
cli_cleanup_add(const char *path, int is_dir)
{
	sigset_t old;
	char *copy;
	int rc = -1;

	set_handlers();
	copy = strdup(path);
	if (copy == NULL)
		return -1;
	block(&old);
	if (ncleanup < CLEANUP_MAX) {
		cleanup[ncleanup].path = copy;
		cleanup[ncleanup].dir = is_dir;
		ncleanup++;
		rc = 0;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		free(copy);
	return rc;
}

void
cli_cleanup_remove(const char *path)
{
	sigset_t old;
	char *gone = NULL;
	int i;

	if (path == NULL)
		return;
	block(&old);
	for (i = ncleanup - 1; i >= 0; i--)
		if (strcmp(cleanup[i].path, path) == 0) {
			gone = cleanup[i].path;
			cleanup[i] = cleanup[ncleanup - 1];
			ncleanup--;
			break;
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(gone);
}

void
cli_cleanup_child(pid_t pid)
{
	cleanup_child = pid;
}

/* ---- inputs an output must not replace ----------------------------- */

static struct {
	dev_t dev;
	ino_t ino;
	char *path;
} *inputs;
static size_t ninputs;

void
cli_note_input(const char *path)
{
	struct stat st;
	void *n;

	if (path == NULL || strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return;
	n = realloc(inputs, (ninputs + 1) * sizeof(*inputs));
	if (n == NULL)
		return;
	inputs = n;
	inputs[ninputs].dev = st.st_dev;
	inputs[ninputs].ino = st.st_ino;
	inputs[ninputs].path = strdup(path);
	if (inputs[ninputs].path != NULL)
		ninputs++;
}

const char *
cli_input_at(const char *path)
{
	struct stat st;
	size_t i;

	if (stat(path, &st) != 0)
		return NULL;
	for (i = 0; i < ninputs; i++)
		if (inputs[i].dev == st.st_dev && inputs[i].ino == st.st_ino)
			return inputs[i].path;
	return NULL;
}

/* ---- output files -------------------------------------------------- */

/*
 * The file a path names once every symbolic link in its last component is
 * followed, even a dangling one: the temporary file must sit in the
 * target's directory for rename to replace the target and not the link.
 * *via_proc is set when a link leads into /proc (as /dev/stdout and
 * /dev/fd/N do): such a name stands for an open file description.
 * NULL with errno ENOMEM, or ELOOP for a loop of links.
 */
static char *
follow_links(const char *path, int *via_proc)
{
	char *cur = strdup(path), buf[PATH_MAX];
	int hops;

	*via_proc = strncmp(path, "/proc/", 6) == 0;
	for (hops = 0; cur != NULL && hops < 40; hops++) {
		struct stat st;
		ssize_t n;
		char *next;

		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			return cur;
		n = readlink(cur, buf, sizeof(buf) - 1);
		if (n < 0)
			return cur;
		buf[n] = '\0';
		if (strncmp(buf, "/proc/", 6) == 0)
			*via_proc = 1;
		if (buf[0] == '/' || strchr(cur, '/') == NULL) {
			next = strdup(buf);
		} else {
			size_t dl = (size_t)(strrchr(cur, '/') - cur) + 1;
			next = malloc(dl + (size_t)n + 1);
			if (next != NULL) {
				memcpy(next, cur, dl);
				memcpy(next + dl, buf, (size_t)n + 1);
			}
		}
		free(cur);
		cur = next;
	}
	errno = cur == NULL ? ENOMEM : ELOOP;
	free(cur);
	return NULL;
}

static void
out_reset(struct cli_out *o)
{
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}

static int
open_direct(struct cli_out *o, const char *path, int trunc)
{
	int fd;

	fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (trunc ? O_TRUNC :
	    0));
	if (fd < 0 || (o->fp = fdopen(fd, "w")) == NULL) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		out_reset(o);
		return -1;
	}
	return 0;
}

int
cli_out_open(struct cli_out *o, const char *path)
{
	const char *input;
	struct stat st;
	char *target, *dirend;
	int fd, via_proc;
	size_t n;

	memset(o, 0, sizeof(*o));
	/* calib-mpi: only rank 0 writes; the others' stdout is /dev/null. */
	if (path == NULL || strcmp(path, "-") == 0 || cli_mpi_rank != 0) {
		o->fp = stdout;
		return 0;
	}
	if ((input = cli_input_at(path)) != NULL) {
		if (strcmp(input, path) == 0)
			cli_error("cannot write '%s': it is an input file",
			    path);
		else
			cli_error("cannot write '%s': it is the input file "
			    "'%s'", path, input);
		return -1;
	}
	o->path = strdup(path);
	if (o->path == NULL) {
		cli_error("out of memory");
		return -1;
	}
	/* Atomic replacement is for regular files: a device, a FIFO or a
	 * socket is written in place, so -o /dev/null stays a device and a
	 * full disk behind /dev/full is reported. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			cli_error("cannot write '%s': it is a directory", path);
			out_reset(o);
			return -1;
		}
		return open_direct(o, path, 0);
	}
	errno = ENOMEM;
	target = follow_links(path, &via_proc);
	if (target == NULL) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		out_reset(o);
		return -1;
	}
	if (via_proc) {
		/* /dev/stdout redirected to a file: write through the
		 * descriptor's file, as a shell redirection would. */
		free(target);
		return open_direct(o, path, 1);
	}
	dirend = strrchr(target, '/');
	n = (dirend ? (size_t)(dirend - target) + 1 : 0) + 32;
	o->tmp = malloc(n);
	if (o->tmp == NULL) {
		free(target);
		cli_error("out of memory");
		out_reset(o);
		return -1;
	}
	if (dirend == NULL)
		snprintf(o->tmp, n, ".calib-tmp-XXXXXX");
	else
		snprintf(o->tmp, n, "%.*s.calib-tmp-XXXXXX",
		    (int)(dirend - target) + 1, target);
	o->target = target;
	{
		sigset_t old;
		/* no signal between creating the file and recording it */
		block(&old);
		fd = mkstemp(o->tmp);
		if (fd >= 0)
			cli_cleanup_add(o->tmp, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (fd < 0) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		free(o->target);
		out_reset(o);
		return -1;
	}
	/* mkstemp makes the file 0600; an output file should get the usual
	 * permissions the umask allows. */
	{
		mode_t um = umask(0);
		umask(um);
		if (fchmod(fd, 0666 & ~um) != 0) {
			/* keep the private mode; nothing is lost */
		}
	}
	o->fp = fdopen(fd, "w");
	if (o->fp == NULL) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		cli_out_abort(o);
		return -1;
	}
	return 0;
}

static void
warn_replaced(const struct cli_out *o)
{
	size_t n = cli_replaced_take();

	if (n > 0)
		cli_warn("%s: %zu byte%s of file or class names %s not UTF-8 "
		    "and %s written as U+FFFD to keep the report valid",
		    o->path ? o->path : "standard output", n, n == 1 ? "" : "s",
		    n == 1 ? "is" : "are", n == 1 ? "was" : "were");
}

int
cli_out_commit(struct cli_out *o)
{
	int bad, e;

	if (o->fp == NULL)
		return -1;
	warn_replaced(o);
	if (o->path == NULL) {
		if (fflush(o->fp) != 0 || ferror(o->fp)) {
			cli_error("cannot write to standard output: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	/* stdio keeps no errno for an earlier failed write: EIO then */
	bad = ferror(o->fp);
	e = EIO;
	if (fflush(o->fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (fclose(o->fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	o->fp = NULL;
	if (!bad && o->tmp != NULL && rename(o->tmp, o->target) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		cli_error("cannot write '%s': %s", o->path, strerror(e));
		cli_out_abort(o);
		return -1;
	}
	cli_cleanup_remove(o->tmp);
	free(o->target);
	out_reset(o);
	return 0;
}

void
cli_out_abort(struct cli_out *o)
{
	if (o->path != NULL && o->fp != NULL)
		fclose(o->fp);
	if (o->tmp != NULL) {
		unlink(o->tmp);
		cli_cleanup_remove(o->tmp);
	}
	free(o->target);
	out_reset(o);
}

int
cli_out_is_file(const struct cli_out *o)
{
	return o->tmp != NULL;
}

/* ---- untrusted text ------------------------------------------------ */

size_t
cli_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* the second byte's range rules out overlong forms, surrogates and
	 * code points above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static size_t replaced;

void
cli_replaced_add(size_t n)
{
	replaced += n;
}

size_t
cli_replaced_take(void)
{
	size_t n = replaced;

	replaced = 0;
	return n;
}

void
cli_put_text(FILE *fp, const char *s)
{
	size_t len = strlen(s), need = calib_escape_text(NULL, 0, s, len);
	char *buf = malloc(need + 1);

	if (buf == NULL) {
		/* no memory: nothing from the text rather than raw bytes */
		fputs("?", fp);
		return;
	}
	calib_escape_text(buf, need + 1, s, len);
	fputs(buf, fp);
	free(buf);
}

void
cli_csv_field(FILE *fp, const char *pre, const char *s, char delim)
{
	if (strchr(s, delim) == NULL && strpbrk(s, "\"\r\n") == NULL) {
		fprintf(fp, "%s%s", pre, s);
		return;
	}
	fputc('"', fp);
	fputs(pre, fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

char *
cli_shell_quote(const char *s)
{
	size_t n = 3;
	const char *c;
	char *out, *o;

	for (c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	out = malloc(n);
	if (out == NULL)
		return NULL;
	o = out;
	*o++ = '\'';
	for (c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *c;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

int
cli_has_control(const char *s)
{
	size_t len = strlen(s);

	/* escaping only ever lengthens what it changes */
	return calib_escape_text(NULL, 0, s, len) != len;
}
