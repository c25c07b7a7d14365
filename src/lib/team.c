/*
 * team.c - the fixed teams of threads behind the library's parallel loops
 * (bootstrap replicates, classwise estimators, the calibration test).  The
 * callers split their work by worker index, so the results never depend on
 * how many threads actually started.
 */
#include "config.h"

#include <pthread.h>
#include <unistd.h>

#include "internal.h"

int
ci_team_size(int asked, long items)
{
	long n = asked;

	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	}
	if (n > CI_TEAM_MAX)
		n = CI_TEAM_MAX;
	if (n > items)
		n = items;
	return n < 1 ? 1 : (int)n;
}

void
ci_team_run(void *(*fn)(void *), void *workers, size_t size, int n)
{
	pthread_t tid[CI_TEAM_MAX];
	char *w = workers;
	int t, started = 0;

	for (t = 1; t < n; t++) {
		if (pthread_create(&tid[t], NULL, fn, w + (size_t)t * size) != 0)
			break;
		started = t;
	}
	fn(w);
	/* A thread that could not start does not lose its share: this one
	 * does it, so the split of the work stays the same. */
	for (t = started + 1; t < n; t++)
		fn(w + (size_t)t * size);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
}
