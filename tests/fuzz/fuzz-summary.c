/*
 * fuzz-summary.c - libFuzzer target for the summary (.calsum) parser,
 * calib_summary_decode().
 *
 * A mutated summary almost never keeps its CRC-32, so each input is
 * decoded twice: as it is (the signature, version, length and checksum
 * checks), and with its length field and checksum repaired, which lets
 * the mutations reach every field of the body.  Every input either fails
 * with CALIB_E_FORMAT (or CALIB_E_NOMEM), a message and no summary, or
 * gives a summary that
 *   1. encodes back to exactly the bytes it was decoded from (the format
 *      has one encoding per summary, docs/calsum.md),
 *   2. gives its metrics, reliability table and Poisson bootstrap, or a
 *      clean error, and
 *   3. merges with itself into a summary that again encodes and decodes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "calib.h"
#include "fuzz.h"

/* magic 8, version 4, length 8 ... CRC-32 4 (docs/calsum.md) */
#define HEADER 20

/* A failed call must say why and leave nothing behind. */
static void
failed_cleanly(calib_status st, const calib_error *err)
{
	FUZZ_ASSERT(st != CALIB_OK);
	FUZZ_ASSERT(err->status == st && err->message[0] != '\0');
}

static void
decode_failed(calib_status st, const calib_summary *s, const calib_error *err)
{
	failed_cleanly(st, err);
	FUZZ_ASSERT(st == CALIB_E_FORMAT || st == CALIB_E_NOMEM);
	FUZZ_ASSERT(s == NULL);
}

/* What the library computes from a summary must not crash. */
static void
use(const calib_summary *s)
{
	calib_summary_info info;
	calib_metric_options mo;
	calib_reliability_options ro;
	calib_metrics met;
	calib_reliability rel;
	calib_bootstrap bs;
	calib_error err;
	calib_status st;
	calib_metric_set merging = 0;
	int id;

	calib_summary_get_info(s, &info);
	FUZZ_ASSERT(info.bins >= 1 && info.k >= 0 && info.format != NULL);
	for (id = 0; id < calib_metric_count(); id++)
		if (calib_metric_info_get(id)->data == CALIB_DATA_SUMS)
			merging |= (calib_metric_set)1 << id;

	calib_metric_options_init(&mo);
	mo.bins = info.bins;
	mo.nll_clip = info.nll_clip;
	mo.select = merging;
	if ((st = calib_summary_metrics(s, &mo, &met, &err)) != CALIB_OK)
		failed_cleanly(st, &err);

	calib_reliability_options_init(&ro);
	ro.bins = info.bins;
	ro.band = CALIB_BAND_NONE;
	if ((st = calib_summary_reliability(s, &ro, &rel, &err)) == CALIB_OK)
		calib_reliability_release(&rel);
	else
		failed_cleanly(st, &err);

	if (info.replicates > 0) {
		if ((st = calib_summary_bootstrap(&s, 1, &mo, &bs, &err)) ==
		    CALIB_OK)
			calib_bootstrap_release(&bs);
		else
			failed_cleanly(st, &err);
	}
}

/* A summary decoded from buf: checks 1 to 3 above. */
static void
accepted(const unsigned char *buf, size_t len, calib_summary *s)
{
	unsigned char *e = NULL, *e2 = NULL;
	size_t elen = 0, elen2 = 0;
	calib_summary *d, *back = NULL;
	calib_error err;
	calib_status st;

	FUZZ_ASSERT(calib_summary_encode(s, &e, &elen, &err) == CALIB_OK);
	if (elen != len || memcmp(e, buf, len) != 0) {
		fprintf(stderr, "decoded %zu bytes, encodes to %zu other ones\n",
		    len, elen);
		abort();
	}
	free(e);
	use(s);

	if ((d = calib_summary_dup(s)) == NULL)
		return;
	if ((st = calib_summary_merge(d, s, &err)) != CALIB_OK) {
		/* only a count beyond 2^64 may keep a summary from doubling */
		failed_cleanly(st, &err);
		calib_summary_free(d);
		return;
	}
	FUZZ_ASSERT(calib_summary_encode(d, &e2, &elen2, &err) == CALIB_OK);
	st = calib_summary_decode(e2, elen2, "merged", &back, &err);
	if (st != CALIB_OK) {
		fprintf(stderr, "a merged summary does not decode: %s\n",
		    err.message);
		abort();
	}
	use(back);
	calib_summary_free(back);
	calib_summary_free(d);
	free(e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	calib_summary *s = NULL;
	calib_error err;
	calib_status st;
	unsigned char *fix;
	unsigned long crc;
	size_t i;

	st = calib_summary_decode(data, size, "fuzz", &s, &err);
	if (st == CALIB_OK) {
		accepted(data, size, s);
		calib_summary_free(s);
	} else
		decode_failed(st, s, &err);

	/* the same bytes with a true length and checksum */
	if (size < HEADER + 4 || (fix = malloc(size)) == NULL)
		return 0;
	memcpy(fix, data, size);
	for (i = 0; i < 8; i++)
		fix[12 + i] = (unsigned char)((uint64_t)size >> (8 * (7 - i)));
	crc = crc32(crc32(0L, Z_NULL, 0), fix, (uInt)(size - 4));
	for (i = 0; i < 4; i++)
		fix[size - 4 + i] = (unsigned char)(crc >> (8 * (3 - i)));
	s = NULL;
	st = calib_summary_decode(fix, size, "fuzz", &s, &err);
	if (st == CALIB_OK) {
		accepted(fix, size, s);
		calib_summary_free(s);
	} else
		decode_failed(st, s, &err);
	free(fix);
	return 0;
}
