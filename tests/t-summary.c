/*
 * t-summary.c - the Poisson counts and the summary parser: counts are a
 * function of (seed, row, replicate) with the Poisson(1) law; a summary
 * survives encoding, and every truncation and every single-byte change of
 * one is refused cleanly (a small exhaustive fuzz, run under ASan in CI).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "calib.h"

int
main(void)
{
	calib_summary *s = NULL, *d = NULL;
	calib_read_options ro;
	calib_metric_options mo;
	calib_summary_options so;
	calib_error err;
	unsigned char *buf = NULL, *enc2 = NULL;
	size_t len = 0, len2 = 0, i;
	const char *dir = getenv("top_srcdir");
	char path[1024];
	int bad_trunc = 0, bad_flip = 0, accepted = 0;

	/* Poisson(1): P(0) = e^-1, mean 1, variance 1 (1e6 draws: the
	 * standard errors are 5e-4, 1e-3 and 1.4e-3). */
	{
		double sum = 0, sum2 = 0, zeros = 0;
		const int n = 1000000;
		int k;
		for (k = 0; k < n; k++) {
			uint32_t c = calib_poisson_count(42, (uint64_t)k, 7);
			sum += c;
			sum2 += (double)c * c;
			zeros += c == 0;
		}
		near(zeros / n, exp(-1), 0.003, "P(0) = 1/e");
		near(sum / n, 1, 0.005, "mean 1");
		near(sum2 / n - (sum / n) * (sum / n), 1, 0.008, "variance 1");
	}
	ok(calib_poisson_count(1, 123456789, 3) ==
	    calib_poisson_count(1, 123456789, 3), "a count depends only on "
	    "its key");
	{
		int same = 0, k;
		for (k = 0; k < 1000; k++)
			same += calib_poisson_count(1, (uint64_t)k, 0) ==
			    calib_poisson_count(2, (uint64_t)k, 0);
		/* P(equal) for two independent Poisson(1) = sum p_k^2 = 0.308 */
		ok(same > 250 && same < 370, "other seeds give other counts "
		    "(%d of 1000 equal, about 308 expected)", same);
	}

	snprintf(path, sizeof(path), "%s/tests/data/weighted.csv",
	    dir ? dir : ".");
	calib_read_options_init(&ro);
	calib_metric_options_init(&mo);
	calib_summary_options_init(&so);
	so.replicates = 3;
	ok(calib_summarize_ext(path, &ro, &mo, &so, &s, &err) == CALIB_OK,
	    "summarize weighted.csv with 3 replicates");
	if (s == NULL)
		return done_testing();
	ok(calib_summary_encode(s, &buf, &len, &err) == CALIB_OK, "encode");
	ok(calib_summary_decode(buf, len, "x", &d, &err) == CALIB_OK &&
	    calib_summary_encode(d, &enc2, &len2, &err) == CALIB_OK &&
	    len2 == len && memcmp(buf, enc2, len) == 0,
	    "decode then encode gives the same bytes");
	calib_summary_free(d);
	free(enc2);

	for (i = 0; i < len; i++) {
		d = NULL;
		if (calib_summary_decode(buf, i, "x", &d, &err) != CALIB_E_FORMAT
		    || d != NULL)
			bad_trunc++;
		calib_summary_free(d);
	}
	ok(bad_trunc == 0, "every truncation (%zu lengths) is refused",
	    len);
	for (i = 0; i < len; i++) {
		unsigned char save = buf[i];
		int bit;
		for (bit = 0; bit < 8; bit++) {
			calib_status st;
			d = NULL;
			buf[i] = (unsigned char)(save ^ (1u << bit));
			st = calib_summary_decode(buf, len, "x", &d, &err);
			if (st == CALIB_OK)
				accepted++;
			else if (st != CALIB_E_FORMAT || d != NULL ||
			    err.message[0] == '\0')
				bad_flip++;
			calib_summary_free(d);
		}
		buf[i] = save;
	}
	ok(bad_flip == 0 && accepted == 0, "every one-bit change (%zu) is "
	    "refused with a message (%d accepted)", len * 8, accepted);
	free(buf);
	calib_summary_free(s);
	return done_testing();
}
