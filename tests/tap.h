/*
 * tap.h - minimal TAP producer for the C tests, read by Automake's
 * tap-driver.sh.  Numeric checks follow GSL's gsl_test_abs/gsl_test_rel.
 */
#ifndef CALIB_TAP_H
#define CALIB_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

/* printf-checked (and clang's -Wformat-nonliteral satisfied) */
static void tap_vok(int pass, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static inline int ok(int pass, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline int near(double got, double want, double tol,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static inline int is_int(long long got, long long want, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static inline int is_str(const char *got, const char *want,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
tap_vok(int pass, const char *fmt, va_list ap)
{
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

static inline int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(pass, fmt, ap);
	va_end(ap);
	return pass;
}

static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* |got - want| <= tol; infinities must match exactly, NaN only NaN. */
static inline int
near(double got, double want, double tol, const char *fmt, ...)
{
	va_list ap;
	int pass;

	if (isnan(want))
		pass = isnan(got);
	else if (isinf(want))
		pass = got == want;
	else
		pass = fabs(got - want) <= tol;
	va_start(ap, fmt);
	tap_vok(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("  got %.17g, want %.17g (tolerance %g)", got, want, tol);
	return pass;
}

static inline int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int pass = got == want;

	va_start(ap, fmt);
	tap_vok(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("  got %lld, want %lld", got, want);
	return pass;
}

static inline int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int pass = got != NULL && want != NULL && strcmp(got, want) == 0;

	va_start(ap, fmt);
	tap_vok(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("  got '%s', want '%s'", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

static inline void
skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

/* Print the plan and exit with the failure count (capped). */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed > 0;
}

#endif /* CALIB_TAP_H */
