/*
 * reader-zip.c - NumPy .npz files: a zip archive of .npy members, stored or
 * deflated (np.savez / np.savez_compressed).
 *
 * The central directory at the end of the archive lists the members; it
 * is read rather than the local headers because writers that stream (and
 * numpy with zip64) leave sizes out of the local headers.  Deflated
 * members are inflated with zlib and checked against their CRC-32.  A zip
 * that holds "data.pkl" is a PyTorch torch.save() file, a pickle: refused
 * with the conversion to .npz.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "internal.h"
#include "reader.h"

#define CI_ZIP_MAX_MEMBERS 4096

typedef struct zip_member {
	const char *name;     /* in the archive, not NUL-terminated */
	size_t name_len;
	unsigned method, flags;
	uint32_t crc;
	uint64_t csize, usize, offset;
	unsigned char *owned; /* inflated copy */
	const unsigned char *data;
	int loaded;
} zip_member;

typedef struct zip_archive {
	const unsigned char *buf;
	size_t len;
	zip_member *m;
	int n;
} zip_archive;

static uint32_t
le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static calib_status
corrupt(const char *shown, const char *why, calib_error *err)
{
	return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
	    "corrupt .npz (zip) file: %s", why);
}

/* The member's key: its name without ".npy". */
static void
member_key(const zip_member *m, char *dst, size_t size)
{
	size_t n = m->name_len;

	if (n >= 4 && memcmp(m->name + n - 4, ".npy", 4) == 0)
		n -= 4;
	ci_quote_text(dst, size, m->name, n);
}

static int
key_is(const zip_member *m, const char *key)
{
	size_t k = strlen(key);

	return m->name_len == k + 4 && memcmp(m->name, key, k) == 0 &&
	    memcmp(m->name + k, ".npy", 4) == 0;
}

static calib_status
read_directory(zip_archive *Z, const char *shown, calib_error *err)
{
	const unsigned char *b = Z->buf;
	size_t len = Z->len, eocd, i, lo;
	uint64_t count, cd_size, cd_off, p;
	int j;

	if (len < 22)
		return corrupt(shown, "shorter than a zip end record", err);
	lo = len - 22 > 65535 ? len - 22 - 65535 : 0;
	for (eocd = len - 22;; eocd--) {
		if (memcmp(b + eocd, "PK\5\6", 4) == 0)
			break;
		if (eocd == lo)
			return corrupt(shown, "no zip end record (the file is "
			    "truncated or not a zip)", err);
	}
	count = le16(b + eocd + 10);
	cd_size = le32(b + eocd + 12);
	cd_off = le32(b + eocd + 16);
	if (count == 0xffff || cd_size == 0xffffffffu ||
	    cd_off == 0xffffffffu) {
		uint64_t z;
		if (eocd < 20 || memcmp(b + eocd - 20, "PK\6\7", 4) != 0)
			return corrupt(shown, "no zip64 end record locator",
			    err);
		z = le64(b + eocd - 20 + 8);
		if (z > len || len - z < 56 || memcmp(b + z, "PK\6\6", 4) != 0)
			return corrupt(shown, "bad zip64 end record", err);
		count = le64(b + z + 32);
		cd_size = le64(b + z + 40);
		cd_off = le64(b + z + 48);
	}
	if (cd_off > len || cd_size > len - cd_off)
		return corrupt(shown, "the central directory lies outside the "
		    "file", err);
	if (count > CI_ZIP_MAX_MEMBERS)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "the archive has %llu members (calib reads at most %d)",
		    (unsigned long long)count, CI_ZIP_MAX_MEMBERS);
	Z->m = calloc(count ? (size_t)count : 1, sizeof(*Z->m));
	if (Z->m == NULL)
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	p = cd_off;
	for (j = 0; j < (int)count; j++) {
		zip_member *m = &Z->m[j];
		size_t nl, xl, cl;
		const unsigned char *x, *xe;
		if (cd_off + cd_size - p < 46 ||
		    memcmp(b + p, "PK\1\2", 4) != 0)
			return corrupt(shown, "bad central directory entry",
			    err);
		m->flags = le16(b + p + 8);
		m->method = le16(b + p + 10);
		m->crc = le32(b + p + 16);
		m->csize = le32(b + p + 20);
		m->usize = le32(b + p + 24);
		nl = le16(b + p + 28);
		xl = le16(b + p + 30);
		cl = le16(b + p + 32);
		m->offset = le32(b + p + 42);
		if (cd_off + cd_size - p - 46 < nl + xl + cl)
			return corrupt(shown, "bad central directory entry",
			    err);
		m->name = (const char *)b + p + 46;
		m->name_len = nl;
		/* zip64: the sizes and offset that did not fit are in the
		 * extra field 0x0001, in this order. */
		x = b + p + 46 + nl;
		xe = x + xl;
		while (xe - x >= 4) {
			unsigned id = le16(x), sz = le16(x + 2);
			const unsigned char *v = x + 4;
			if ((size_t)(xe - v) < sz)
				break;
			if (id == 1) {
				const unsigned char *ve = v + sz;
				if (m->usize == 0xffffffffu && ve - v >= 8) {
					m->usize = le64(v);
					v += 8;
				}
				if (m->csize == 0xffffffffu && ve - v >= 8) {
					m->csize = le64(v);
					v += 8;
				}
				if (m->offset == 0xffffffffu && ve - v >= 8)
					m->offset = le64(v);
			}
			x += 4 + sz;
		}
		p += 46 + nl + xl + cl;
	}
	Z->n = (int)count;
	(void)i;
	return CALIB_OK;
}

/* The member's bytes, inflated if need be. */
static calib_status
load_member(zip_archive *Z, zip_member *m, const char *shown,
    calib_error *err)
{
	const unsigned char *b = Z->buf, *src;
	char key[64];
	uint64_t start;

	if (m->loaded)
		return CALIB_OK;
	member_key(m, key, sizeof(key));
	if (m->flags & 1)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "member '%s' is encrypted", key);
	if (m->offset > Z->len || Z->len - m->offset < 30 ||
	    memcmp(b + m->offset, "PK\3\4", 4) != 0)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "corrupt .npz (zip) file: member '%s' has no local header",
		    key);
	start = m->offset + 30 + le16(b + m->offset + 26) +
	    le16(b + m->offset + 28);
	if (start > Z->len || Z->len - start < m->csize)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "corrupt .npz (zip) file: member '%s' is truncated", key);
	src = b + start;
	if (m->method == 0) {
		if (m->csize != m->usize)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "corrupt .npz (zip) file: stored member "
			    "'%s' has two sizes", key);
		m->data = src;
	} else if (m->method == 8) {
		z_stream zs;
		int zr;
		/* Deflate cannot expand more than about 1032:1, so a
		 * larger claimed size is a lie and not worth allocating. */
		if (m->usize / 1032 > m->csize + 1)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "corrupt .npz (zip) file: member '%s' claims "
			    "an impossible size", key);
		m->owned = malloc(m->usize ? (size_t)m->usize : 1);
		if (m->owned == NULL)
			return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory inflating member '%s'", key);
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
			return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0,
			    NULL, "out of memory");
		zs.next_in = (unsigned char *)(uintptr_t)src;
		zs.next_out = m->owned;
		zr = Z_OK;
		/* zlib counts in uInt; feed large members in pieces. */
		while (zr == Z_OK) {
			uint64_t in_left = m->csize - (uint64_t)(zs.next_in - src);
			uint64_t out_left = m->usize -
			    (uint64_t)(zs.next_out - m->owned);
			zs.avail_in = in_left > (1u << 30) ? (1u << 30) :
			    (uInt)in_left;
			zs.avail_out = out_left > (1u << 30) ? (1u << 30) :
			    (uInt)out_left;
			if (zs.avail_in == 0 && zs.avail_out == 0)
				break;
			zr = inflate(&zs, Z_NO_FLUSH);
			if (zr == Z_BUF_ERROR && (zs.avail_in == 0 ||
			    zs.avail_out == 0))
				break;
		}
		inflateEnd(&zs);
		if (zr != Z_STREAM_END ||
		    (uint64_t)(zs.next_out - m->owned) != m->usize)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "corrupt .npz (zip) file: member '%s' does "
			    "not inflate to its recorded size", key);
		m->data = m->owned;
	} else {
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "member '%s' uses zip compression method %u (expected "
		    "stored or deflated, as np.savez and np.savez_compressed "
		    "write)", key, m->method);
	}
	{
		uint64_t done = 0;
		uLong crc = crc32(0L, Z_NULL, 0);
		while (done < m->usize) {
			uint64_t chunk = m->usize - done;
			if (chunk > (1u << 30))
				chunk = 1u << 30;
			crc = crc32(crc, m->data + done, (uInt)chunk);
			done += chunk;
		}
		if ((uint32_t)crc != m->crc)
			return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "corrupt .npz (zip) file: member '%s' fails "
			    "its CRC-32 check", key);
	}
	m->loaded = 1;
	return CALIB_OK;
}

static void
archive_free(zip_archive *Z)
{
	int i;

	for (i = 0; i < Z->n; i++)
		free(Z->m[i].owned);
	free(Z->m);
	memset(Z, 0, sizeof(*Z));
}

/* The members' keys, for messages: "'a', 'b' and 'c'". */
static void
list_members(const zip_archive *Z, char *dst, size_t size)
{
	size_t o = 0;
	int i;

	dst[0] = '\0';
	for (i = 0; i < Z->n && o + 8 < size; i++) {
		char key[48];
		member_key(&Z->m[i], key, sizeof(key));
		o += (size_t)snprintf(dst + o, size - o, "%s'%s'",
		    i == 0 ? "" : i + 1 == Z->n ? " and " : ", ", key);
	}
	if (Z->n == 0)
		snprintf(dst, size, "no members");
}

/*
 * The member named key, or the one of candidates present.  Returns 0 with
 * *out (NULL when none and optional), or -1 with err filled.
 */
static int
choose(zip_archive *Z, const char *shown, const char *role,
    const char *key, const char *flag, const char *const *cand,
    int optional, zip_member **out, int *which, calib_error *err)
{
	char list[300];
	int i, c, found = -1, nfound = 0;

	*out = NULL;
	list_members(Z, list, sizeof(list));
	if (key != NULL) {
		char shownkey[64];
		for (i = 0; i < Z->n; i++)
			if (key_is(&Z->m[i], key)) {
				*out = &Z->m[i];
				return 0;
			}
		ci_quote_text(shownkey, sizeof(shownkey), key, strlen(key));
		ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "no member '%s' for the %s (the file has %s)", shownkey,
		    role, list);
		return -1;
	}
	for (c = 0; cand[c] != NULL; c++)
		for (i = 0; i < Z->n; i++)
			if (key_is(&Z->m[i], cand[c])) {
				if (nfound++ == 0) {
					found = i;
					*which = c;
				}
			}
	if (nfound > 1) {
		ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "more than one member could hold the %s (the file has "
		    "%s); choose one with %s NAME", role, list, flag);
		return -1;
	}
	if (found >= 0) {
		*out = &Z->m[found];
		return 0;
	}
	if (optional)
		return 0;
	{
		char names[200];
		size_t o = 0;
		for (c = 0; cand[c] != NULL; c++)
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s'%s'", c == 0 ? "" : cand[c + 1] == NULL ?
			    " or " : ", ", cand[c]);
		ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "no member for the %s (expected %s; the file has %s): "
		    "choose one with %s NAME", role, names, list, flag);
	}
	return -1;
}

static calib_status
member_view(zip_archive *Z, zip_member *m, const char *shown, ci_view *v,
    calib_error *err)
{
	char key[64], what[96];
	calib_status st;

	st = load_member(Z, m, shown, err);
	if (st != CALIB_OK)
		return st;
	member_key(m, key, sizeof(key));
	snprintf(what, sizeof(what), "member '%s': ", key);
	return ci_npy_view(m->data, (size_t)m->usize, shown, what, v, err);
}

static int
is_torch(const zip_archive *Z)
{
	int i;

	for (i = 0; i < Z->n; i++) {
		const zip_member *m = &Z->m[i];
		if ((m->name_len >= 8 && memcmp(m->name + m->name_len - 8,
		    "data.pkl", 8) == 0))
			return 1;
	}
	return 0;
}

static zip_member *
find(zip_archive *Z, const char *key)
{
	int i;

	for (i = 0; i < Z->n; i++)
		if (key_is(&Z->m[i], key))
			return &Z->m[i];
	return NULL;
}

/* Members confidence and correct: a top-label-only file. */
static calib_status
read_top_only(zip_archive *Z, const char *shown, const calib_read_options *o,
    const ci_sumreq *sum, calib_preds *P, calib_error *err)
{
	ci_table t;
	ci_layout L;
	ci_view correct;
	calib_status st;

	memset(&t, 0, sizeof(t));
	memset(&L, 0, sizeof(L));
	t.sum = sum;
	if ((st = member_view(Z, find(Z, o->confidence_col), shown, &t.scores,
	    err)) != CALIB_OK ||
	    (st = member_view(Z, find(Z, o->correct_col), shown, &correct,
	    err)) != CALIB_OK)
		return st;
	if (t.scores.ndim != 1 || !ci_dtype_is_float(t.scores.type))
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "member '%s' must be a 1-D float array (one confidence per "
		    "row)", o->confidence_col);
	if (correct.ndim != 1)
		return ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "member '%s' must be a 1-D array (0 or 1 per row)",
		    o->correct_col);
	t.correct = &correct;
	L.k = 2;
	L.top_only = 1;
	L.kind = CALIB_SCORES_PROBS;
	L.class_names = calloc(2, sizeof(char *));
	if (L.class_names == NULL ||
	    (L.class_names[0] = ci_strdup(o->confidence_col)) == NULL ||
	    (L.class_names[1] = ci_strdup(o->correct_col)) == NULL ||
	    ci_layout_build_names(&L) != 0) {
		ci_layout_release(&L);
		return ci_error_set(err, CALIB_E_NOMEM, shown, 0, 0, NULL,
		    "out of memory");
	}
	st = ci_build(shown, &t, &L, o, P, err);
	if (st != CALIB_OK)
		ci_error_by_row(err);
	ci_layout_release(&L);
	return st;
}

calib_status
ci_read_npz(ci_blob *b, const char *shown, const calib_read_options *o,
    const ci_sumreq *sum, calib_preds *P, calib_error *err)
{
	static const char *const score_keys[] = { "logits", "probs",
	    "probabilities", "scores", NULL };
	static const char *const label_keys[] = { "labels", "targets",
	    "y_true", "y", NULL };
	static const char *const weight_keys[] = { "weights",
	    "sample_weight", NULL };
	zip_archive Z;
	zip_member *sm, *lm = NULL, *wm = NULL;
	ci_table t;
	ci_layout L;
	ci_view labels, weights;
	ci_blob lb = { 0 }, wb = { 0 };
	calib_score_kind kind = o->kind;
	calib_status st;
	int which = -1, i;

	memset(&Z, 0, sizeof(Z));
	memset(&t, 0, sizeof(t));
	memset(&L, 0, sizeof(L));
	t.sum = sum;
	P->format = "npz";
	Z.buf = b->data;
	Z.len = b->len;
	st = read_directory(&Z, shown, err);
	if (st != CALIB_OK)
		goto done;
	if (is_torch(&Z)) {
		st = ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0, NULL,
		    "a PyTorch torch.save() file holds pickles, which calib "
		    "never unpickles; convert it to .npz in Python: "
		    "np.savez('eval.npz', logits=t.numpy(), labels=y.numpy())");
		goto done;
	}
	for (i = 0; i < Z.n; i++)
		if (Z.m[i].name_len < 4 || memcmp(Z.m[i].name +
		    Z.m[i].name_len - 4, ".npy", 4) != 0) {
			char key[64];
			member_key(&Z.m[i], key, sizeof(key));
			st = ci_error_set(err, CALIB_E_FORMAT, shown, 0, 0,
			    NULL, "member '%s' is not a .npy array (expected "
			    "a NumPy .npz archive as np.savez writes)", key);
			goto done;
		}
	if (o->scores_key == NULL && find(&Z, o->confidence_col) != NULL &&
	    find(&Z, o->correct_col) != NULL) {
		int c;
		for (c = 0; score_keys[c] != NULL; c++)
			if (find(&Z, score_keys[c]) != NULL)
				break;
		if (score_keys[c] == NULL) {
			st = read_top_only(&Z, shown, o, sum, P, err);
			goto done;
		}
	}
	if (choose(&Z, shown, "scores", o->scores_key, "--scores-key",
	    score_keys, 0, &sm, &which, err) != 0) {
		st = err ? err->status : CALIB_E_FORMAT;
		goto done;
	}
	if (kind == CALIB_SCORES_AUTO) {
		if (o->scores_key != NULL) {
			st = ci_error_set(err, CALIB_E_ARG, shown, 0, 0, NULL,
			    "say what member '%s' holds: give --logits or "
			    "--probs", o->scores_key);
			goto done;
		}
		kind = which == 0 ? CALIB_SCORES_LOGITS : CALIB_SCORES_PROBS;
	}
	if ((st = member_view(&Z, sm, shown, &t.scores, err)) != CALIB_OK)
		goto done;
	{
		char key[64], what[96];
		member_key(sm, key, sizeof(key));
		snprintf(what, sizeof(what), "member '%s': ", key);
		st = ci_npz_layout(&t.scores, shown, what, o, kind, &L, err);
		if (st != CALIB_OK)
			goto done;
	}
	if (o->labels_path != NULL) {
		st = ci_side_file(o->labels_path, 0, &L, o, &labels, &lb, err);
		if (st != CALIB_OK)
			goto done;
	} else {
		if (choose(&Z, shown, "labels", o->labels_key, "--labels-key",
		    label_keys, 0, &lm, &which, err) != 0) {
			st = err ? err->status : CALIB_E_FORMAT;
			goto done;
		}
		if ((st = member_view(&Z, lm, shown, &labels, err)) !=
		    CALIB_OK)
			goto done;
	}
	t.labels = &labels;
	if (o->weights_path != NULL) {
		st = ci_side_file(o->weights_path, 1, NULL, o, &weights, &wb,
		    err);
		if (st != CALIB_OK)
			goto done;
		t.weights = &weights;
	} else {
		if (choose(&Z, shown, "weights", o->weights_key,
		    "--weights-key", weight_keys, 1, &wm, &which, err) != 0) {
			st = err ? err->status : CALIB_E_FORMAT;
			goto done;
		}
		if (wm != NULL) {
			if ((st = member_view(&Z, wm, shown, &weights, err)) !=
			    CALIB_OK)
				goto done;
			t.weights = &weights;
		}
	}
	st = ci_build(shown, &t, &L, o, P, err);
	if (st != CALIB_OK)
		ci_error_by_row(err);
done:
	ci_layout_release(&L);
	ci_blob_free(&lb);
	ci_blob_free(&wb);
	archive_free(&Z);
	return st;
}
