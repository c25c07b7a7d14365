#!/bin/sh
# bench/estimators.sh - the speed targets of the estimators (issue 11):
#   1. every estimator on a 1,000,000-row file within 2x the time of
#      reading it (calib metrics --metrics accuracy: reading plus one pass);
#   2. calib check FILE --bootstrap 2000 --binning mass
#      --max classwise_ece=0.01 on the 10,000 x 100 CIFAR-100 file under
#      20 s (skipped when ../shared/data/real is absent).
#
# Usage: bench/estimators.sh [-n RUNS] [-d DIR] [CALIB]
#   -n RUNS  timed runs per command; the median is reported (default 3)
#   -d DIR   where the generated file lives (default /tmp/calib-bench)
#   CALIB    the calib binary (default: ./src/calib)
#
# Needs GNU time (/usr/bin/time) and awk.  Wall-clock seconds; run it on a
# quiet machine.  Not part of `make check`: timings belong in a benchmark.
set -eu

runs=3
dir=/tmp/calib-bench
while getopts n:d: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	d) dir=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-d DIR] [CALIB]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
calib=${1:-./src/calib}
here=$(cd "$(dirname "$0")" && pwd)
# ../shared beside the checkout (or beside a worktree's parent)
shared=${SHARED:-$here/../../shared/data/real}
[ -d "$shared" ] || shared=$here/../../../shared/data/real
[ -x /usr/bin/time ] || { echo "$0: needs GNU time (apt-get install time)" >&2; exit 2; }
mkdir -p "$dir"

# 1,000,000 rows x 10 classes: overconfident softmax rows, %.6g, seeded.
big=$dir/est-1m-10.csv
if [ ! -s "$big" ]; then
	awk -v n=1000000 -v k=10 'BEGIN {
		srand(11); printf "label"; for (j = 0; j < k; j++) printf ",p_%d", j
		printf "\n"
		for (i = 0; i < n; i++) {
			top = int(rand() * k); m = -1e9
			for (j = 0; j < k; j++) { z[j] = 2 * (rand() + rand() - 1) + (j == top ? 4 : 0); if (z[j] > m) m = z[j] }
			s = 0; for (j = 0; j < k; j++) { e[j] = exp(z[j] - m); s += e[j] }
			# the truth: the model at temperature 1.5
			t = 0; for (j = 0; j < k; j++) { q[j] = exp((z[j] - m) / 1.5); t += q[j] }
			u = rand() * t; y = k - 1
			for (j = 0; j < k; j++) { u -= q[j]; if (u <= 0) { y = j; break } }
			printf "%d", y; for (j = 0; j < k; j++) printf ",%.6g", e[j] / s
			printf "\n"
		}
	}' >"$big"
fi

# median wall seconds of $runs runs of a command
med() {
	i=0; : >"$dir/times"
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f %e -o "$dir/t1" "$@" >/dev/null 2>&1
		cat "$dir/t1" >>"$dir/times"; i=$((i + 1))
	done
	sort -n "$dir/times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

echo "# calib $($calib --version 2>/dev/null | head -n 1); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 1. $big: $(wc -l <"$big") lines; median of $runs runs, wall seconds"
base=$(med "$calib" metrics --metrics accuracy "$big")
printf "%-24s %8s %8s\n" metric seconds "x read"
printf "%-24s %8s %8s\n" "(read: accuracy)" "$base" 1.00
for m in smece debiased_l2 classwise_debiased_l2 ace tace uce brier_top_label \
    corp_mcb calibration_p_value ece_sweep skce; do
	t=$(med "$calib" metrics --metrics "$m" "$big")
	printf "%-24s %8s %8.2f\n" "$m" "$t" "$(awk -v a="$t" -v b="$base" 'BEGIN { print a / b }')"
done

f=$shared/cifar100_wrn16-4-netcal_test.csv.gz
if [ -r "$f" ]; then
	echo "# 2. calib check $(basename "$f") --bootstrap 2000 --binning mass --max classwise_ece=0.01"
	t=$(med "$calib" check "$f" --bootstrap 2000 --binning mass --max classwise_ece=0.01)
	echo "wall seconds: $t (target < 20)"
else
	echo "# 2. skipped: $f not found"
fi
