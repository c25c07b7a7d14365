/*
 * mpi.c - calib-mpi: cli_read_summaries() spread over MPI ranks.
 *
 * Every rank runs the same command on the same arguments (SPMD); only the
 * reading of prediction files is shared out:
 *
 *  - A large plain file (at least CLI_MPI_SPLIT bytes, not gzip, not
 *    standard input) is cut into one byte range per rank.  Cuts are moved
 *    forward to just after a newline, a function of the offset alone, so
 *    neighbouring ranks agree on them.  Each rank feeds the header and its
 *    range through a pipe to calib_summarize(), so the reader - and its
 *    validation - is exactly calib's.
 *  - Other files are read whole, each by the rank with the fewest bytes
 *    so far.
 *  - The encoded summaries are gathered on every rank (MPI_Allgatherv) and
 *    merged in file and range order.  The sums are exact, so the result is
 *    the bytes calib gets from one pass.
 *  - Poisson bootstrap replicates (summarize --bootstrap N, check
 *    --bootstrap N --bootstrap-method poisson) need each row's global
 *    position: a first pass counts every unit's rows, then the real pass
 *    reads each unit from its first row's position (run_replicates()).
 *
 * A newline inside a quoted field would make a cut land inside a record,
 * so a range that meets a double quote marks its file, and that file is
 * read again whole.  When a file fails on any rank, rank 0 reads it whole
 * to word the error exactly as calib does (line numbers of a range are not
 * the file's), and every rank returns the same failure, so all exit with
 * the same status.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpi.h>

#include "cli.h"

/* Files below this size are read whole by one rank. */
#define CLI_MPI_SPLIT (1u << 20)
#define CHUNK (1u << 20)

enum { U_OK = 0, U_FAIL = 1, U_QUOTES = 2, U_NONE = 3 };

struct unit {
	int file;
	int owner;
	int whole;
	long long begin, end;  /* data bytes, for ranges */
	long long header;      /* bytes of the header record, for ranges */
};

/* Offset just after the first newline at or after x - 1 (so x itself when
 * a record starts there), or size. */
static long long
align_cut(int fd, long long x, long long size, long long data_start)
{
	char buf[4096];

	if (x <= data_start)
		return data_start;
	if (x >= size)
		return size;
	x--;
	while (x < size) {
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)x);
		char *nl;
		if (got <= 0)
			return size;
		nl = memchr(buf, '\n', (size_t)got);
		if (nl != NULL)
			return x + (nl - buf) + 1;
		x += got;
	}
	return size;
}

/* Plan one file: whole, or a range per rank.  Appends to *u. */
static int
plan_file(const char *path, int file, struct unit **u, int *nu,
    long long *load)
{
	struct stat st;
	unsigned char magic[2];
	long long size, header = -1;
	int fd = -1, r, split = 0;
	struct unit *nv;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size >= (off_t)CLI_MPI_SPLIT &&
	    cli_mpi_size > 1 && (fd = open(path, O_RDONLY)) >= 0 &&
	    pread(fd, magic, 2, 0) == 2 && !(magic[0] == 0x1f &&
	    magic[1] == 0x8b)) {
		size = (long long)st.st_size;
		header = align_cut(fd, 1, size, 0);
		split = header > 0 && header < size;
	}
	nv = realloc(*u, (size_t)(*nu + (split ? cli_mpi_size : 1)) *
	    sizeof(**u));
	if (nv == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*u = nv;
	if (!split) {
		int best = 0;
		for (r = 1; r < cli_mpi_size; r++)
			if (load[r] < load[best])
				best = r;
		memset(&nv[*nu], 0, sizeof(nv[0]));
		nv[*nu].file = file;
		nv[*nu].owner = best;
		nv[*nu].whole = 1;
		load[best] += strcmp(path, "-") != 0 && stat(path, &st) == 0 ?
		    (long long)st.st_size : 0;
		(*nu)++;
	} else {
		size = (long long)st.st_size;
		for (r = 0; r < cli_mpi_size; r++) {
			struct unit *x = &nv[*nu + r];
			memset(x, 0, sizeof(*x));
			x->file = file;
			x->owner = r;
			x->header = header;
			x->begin = align_cut(fd, header + (size - header) * r /
			    cli_mpi_size, size, header);
			x->end = align_cut(fd, header + (size - header) *
			    (r + 1) / cli_mpi_size, size, header);
			load[r] += x->end - x->begin;
		}
		*nu += cli_mpi_size;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

struct feeder {
	const char *path;
	const struct unit *u;
	int fd;
	int quotes;
};

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the header and the range into the pipe, noting any quote. */
static void *
feed(void *arg)
{
	struct feeder *f = arg;
	char *buf = malloc(CHUNK);
	int in = open(f->path, O_RDONLY);
	long long at = 0, stop = f->u->header;
	int part;

	if (buf == NULL || in < 0)
		goto out;
	for (part = 0; part < 2; part++) {
		while (at < stop) {
			size_t want = (size_t)(stop - at < CHUNK ? stop - at :
			    CHUNK);
			ssize_t got = pread(in, buf, want, (off_t)at);
			if (got <= 0)
				goto out;
			if (memchr(buf, '"', (size_t)got) != NULL)
				f->quotes = 1;
			if (write_all(f->fd, buf, (size_t)got) != 0)
				goto out;
			at += got;
		}
		at = f->u->begin;
		stop = f->u->end;
	}
out:
	free(buf);
	if (in >= 0)
		close(in);
	close(f->fd);
	return NULL;
}

/* so (NULL: no replicates) with its rows starting at global position
 * first. */
static const calib_summary_options *
at_row(const calib_summary_options *so, uint64_t first,
    calib_summary_options *buf)
{
	if (so == NULL)
		return NULL;
	*buf = *so;
	buf->first_row = first;
	return buf;
}

/* Read one unit, its first row at global position first (replicates
 * only); returns its state. */
static int
read_unit(const char *path, const struct unit *u,
    const calib_read_options *ro, const calib_metric_options *mo,
    const calib_summary_options *so, uint64_t first, calib_summary **out)
{
	calib_summary_options ob;
	calib_error err;
	struct feeder f;
	pthread_t tid;
	char fdpath[64];
	int pfd[2], rc;

	*out = NULL;
	so = at_row(so, first, &ob);
	if (u->whole)
		return calib_summarize_ext(path, ro, mo, so, out, &err) ==
		    CALIB_OK ? U_OK : U_FAIL;
	if (pipe(pfd) != 0)
		return U_FAIL;
	f.path = path;
	f.u = u;
	f.fd = pfd[1];
	f.quotes = 0;
	if (pthread_create(&tid, NULL, feed, &f) != 0) {
		close(pfd[0]);
		close(pfd[1]);
		return U_FAIL;
	}
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", pfd[0]);
	rc = calib_summarize_ext(fdpath, ro, mo, so, out, &err) == CALIB_OK ?
	    U_OK : U_FAIL;
	close(pfd[0]);
	pthread_join(tid, NULL);
	if (f.quotes) {
		calib_summary_free(*out);
		*out = NULL;
		return U_QUOTES;
	}
	if (rc == U_OK && calib_summary_set_source(*out, path) != CALIB_OK)
		rc = U_FAIL;
	return rc;
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--)
		*p++ = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Read the units (each rank its own), share them, and merge each file's
 * units in order into out[f].  With so (replicates), unit i's first row
 * is at global position ufirst[i] and file f's at ffirst[f]; ucount, when
 * not NULL, receives each unit's row count (0 for a unit that failed or
 * met a quote).  Returns the first file that failed, or -1.
 */
static int
run_units(char *const *paths, int n, const struct unit *u, int nu,
    const calib_read_options *ro, const calib_metric_options *mo,
    const calib_summary_options *so, const uint64_t *ufirst,
    const uint64_t *ffirst, uint64_t *ucount, calib_summary **out,
    calib_error *err)
{
	calib_summary_options ob;
	unsigned char *mine = NULL, *all = NULL;
	size_t mlen = 0;
	int *state = NULL, *lens = NULL, *displs = NULL;
	calib_summary **us = NULL;
	int i, f, failed = -1, total;

	state = calloc((size_t)nu, sizeof(int));
	us = calloc((size_t)nu, sizeof(*us));
	lens = calloc((size_t)cli_mpi_size, sizeof(int));
	displs = calloc((size_t)cli_mpi_size, sizeof(int));
	if (state == NULL || us == NULL || lens == NULL || displs == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname);
		MPI_Abort(MPI_COMM_WORLD, CLI_ERROR);
	}

	/* Read my units; frame each as unit, state, length, bytes. */
	for (i = 0; i < nu; i++) {
		calib_summary *s = NULL;
		unsigned char *enc = NULL, *nm;
		size_t elen = 0;
		int stt;
		if (u[i].owner != cli_mpi_rank)
			continue;
		stt = read_unit(paths[u[i].file], &u[i], ro, mo, so,
		    so ? ufirst[i] : 0, &s);
		if (stt == U_OK && calib_summary_encode(s, &enc, &elen, NULL) !=
		    CALIB_OK)
			stt = U_FAIL;
		calib_summary_free(s);
		nm = realloc(mine, mlen + 16 + elen);
		if (nm == NULL) {
			free(enc);
			continue; /* the unit then reads as missing: U_NONE */
		}
		mine = nm;
		put_u64(mine + mlen, ((uint64_t)i << 8) | (uint64_t)stt);
		put_u64(mine + mlen + 8, elen);
		if (elen > 0)
			memcpy(mine + mlen + 16, enc, elen);
		mlen += 16 + elen;
		free(enc);
	}
	{
		int ml = (int)mlen;
		MPI_Allgather(&ml, 1, MPI_INT, lens, 1, MPI_INT,
		    MPI_COMM_WORLD);
	}
	for (total = 0, i = 0; i < cli_mpi_size; i++) {
		displs[i] = total;
		total += lens[i];
	}
	all = malloc(total > 0 ? (size_t)total : 1);
	if (all == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname);
		MPI_Abort(MPI_COMM_WORLD, CLI_ERROR);
	}
	MPI_Allgatherv(mine, (int)mlen, MPI_BYTE, all, lens, displs, MPI_BYTE,
	    MPI_COMM_WORLD);
	for (i = 0; i < nu; i++)
		state[i] = U_NONE;
	{
		size_t at = 0;
		while (at + 16 <= (size_t)total) {
			uint64_t head = get_u64(all + at);
			uint64_t elen = get_u64(all + at + 8);
			int idx = (int)(head >> 8);
			state[idx] = (int)(head & 0xff);
			if (state[idx] == U_OK && calib_summary_decode(all + at +
			    16, (size_t)elen, paths[u[idx].file], &us[idx],
			    NULL) != CALIB_OK)
				state[idx] = U_FAIL;
			at += 16 + (size_t)elen;
		}
	}
	for (i = 0; ucount != NULL && i < nu; i++) {
		calib_summary_info in;
		ucount[i] = 0;
		if (state[i] == U_OK && us[i] != NULL) {
			calib_summary_get_info(us[i], &in);
			ucount[i] = in.n;
		}
	}

	/* Per file, in order: merge its units, or read it whole again. */
	for (f = 0, i = 0; f < n && failed < 0; f++) {
		int first = i, again = 0, fail = 0;
		const calib_summary_options *sf = at_row(so, so ? ffirst[f] : 0,
		    &ob);
		for (; i < nu && u[i].file == f; i++) {
			if (state[i] == U_QUOTES)
				again = 1;
			else if (state[i] != U_OK)
				fail = 1;
		}
		if (fail) {
			failed = f;
			/* Word the error as calib does. */
			if (cli_mpi_rank == 0 && calib_summarize_ext(paths[f],
			    ro, mo, sf, &out[f], err) == CALIB_OK) {
				calib_summary_free(out[f]);
				out[f] = NULL;
				memset(err, 0, sizeof(*err));
				snprintf(err->file, sizeof(err->file), "%s",
				    paths[f]);
				err->status = CALIB_E_IO;
				snprintf(err->message, sizeof(err->message),
				    "a rank failed to read its part");
			}
			break;
		}
		if (again) {
			/* Every rank reads it whole: no message to gather. */
			if (calib_summarize_ext(paths[f], ro, mo, sf, &out[f],
			    err) != CALIB_OK)
				failed = f;
			continue;
		}
		out[f] = us[first];
		us[first] = NULL;
		for (int j = first + 1; j < i && failed < 0; j++)
			if (calib_summary_merge(out[f], us[j], err) != CALIB_OK)
				failed = f;
	}
	/* Every rank decided the same failure from the same states, except
	 * when only some ranks failed a whole re-read; agree on the first. */
	{
		int fl = failed < 0 ? n : failed;
		MPI_Allreduce(MPI_IN_PLACE, &fl, 1, MPI_INT, MPI_MIN,
		    MPI_COMM_WORLD);
		failed = fl == n ? -1 : fl;
	}
	if (failed >= 0)
		for (f = failed; f < n; f++) {
			calib_summary_free(out[f]);
			out[f] = NULL;
		}
	for (i = 0; i < nu; i++)
		calib_summary_free(us[i]);
	free(us);
	free(state);
	free(lens);
	free(displs);
	free(all);
	free(mine);
	return failed;
}

/*
 * The Poisson replicate counts of a row depend on its global position in
 * the concatenation of the files, which no rank knows before the rows
 * ahead of its pieces are counted.  So: a first pass without replicates
 * (the reader's own row count, drops and all, and the same failures and
 * quote fall-backs calib-mpi has without them), whose per-piece counts
 * every rank receives with the pieces' summaries; each piece's first row
 * is then the sum of the counts of the pieces before it in file and range
 * order (an exclusive prefix sum; not an MPI_Exscan over ranks, because a
 * rank's pieces are not contiguous in that order: every large file is cut
 * over all ranks); then the real pass with replicates from those
 * positions.  The rows cost two reads; the replicates, rows times
 * replicates draws, only one.
 */
static int
run_replicates(char *const *paths, int n, const struct unit *u, int nu,
    const calib_read_options *ro, const calib_metric_options *mo,
    const calib_summary_options *so, calib_summary **out, calib_error *err)
{
	uint64_t *ucount = calloc((size_t)nu + 1, sizeof(uint64_t));
	uint64_t *ufirst = calloc((size_t)nu + 1, sizeof(uint64_t));
	uint64_t *ffirst = calloc((size_t)n + 1, sizeof(uint64_t));
	uint64_t row = so->first_row;
	int failed, f, i;

	if (ucount == NULL || ufirst == NULL || ffirst == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname);
		MPI_Abort(MPI_COMM_WORLD, CLI_ERROR);
	}
	failed = run_units(paths, n, u, nu, ro, mo, NULL, NULL, NULL, ucount,
	    out, err);
	if (failed < 0) {
		for (f = 0, i = 0; f < n; f++) {
			calib_summary_info in;
			uint64_t at = row;
			ffirst[f] = row;
			for (; i < nu && u[i].file == f; i++) {
				ufirst[i] = at;
				at += ucount[i];
			}
			/* the file's own count: right too when its ranges
			 * met a quote and it was read whole */
			calib_summary_get_info(out[f], &in);
			row += in.n;
			calib_summary_free(out[f]);
			out[f] = NULL;
		}
		failed = run_units(paths, n, u, nu, ro, mo, so, ufirst, ffirst,
		    NULL, out, err);
	}
	free(ucount);
	free(ufirst);
	free(ffirst);
	return failed;
}

int
cli_read_summaries(char *const *paths, int n, const calib_read_options *ro,
    const calib_metric_options *mo, const calib_summary_options *so,
    calib_summary **out, calib_error *err)
{
	struct unit *u = NULL;
	long long *load = calloc((size_t)cli_mpi_size, sizeof(long long));
	int nu = 0, i, f, failed, bad = 0;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (so->replicates > 0 && cli_mpi_size == 1) {
		/* one rank: the files in turn, in one pass */
		calib_summary_options o = *so;
		calib_summary_info in;
		free(load);
		for (i = 0; i < n; i++) {
			if (calib_summarize_ext(paths[i], ro, mo, &o, &out[i],
			    err) != CALIB_OK)
				return i;
			calib_summary_get_info(out[i], &in);
			o.first_row += in.n;
		}
		return -1;
	}
	if (load == NULL)
		bad = 1;
	for (f = 0; f < n && !bad; f++)
		if (plan_file(paths[f], f, &u, &nu, load) != 0)
			bad = 1;
	/* Every rank planned the same units from the same files. */
	MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (bad) {
		free(u);
		free(load);
		memset(err, 0, sizeof(*err));
		err->status = CALIB_E_NOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return 0;
	}
	if (so->replicates > 0)
		failed = run_replicates(paths, n, u, nu, ro, mo, so, out, err);
	else
		failed = run_units(paths, n, u, nu, ro, mo, NULL, NULL, NULL,
		    NULL, out, err);
	free(u);
	free(load);
	return failed;
}

void
cli_mpi_init(int *argc, char ***argv)
{
	MPI_Init(argc, argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &cli_mpi_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &cli_mpi_size);
	/* A reader that stops early closes its pipe. */
	signal(SIGPIPE, SIG_IGN);
	if (cli_mpi_rank != 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			MPI_Abort(MPI_COMM_WORLD, CLI_ERROR);
	}
}

void
cli_mpi_finish(void)
{
	MPI_Finalize();
}
