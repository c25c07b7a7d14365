#!/bin/sh
# bench/estimators.sh - the speed targets of the estimators (issue 11):
#   1. every estimator on a 1,000,000-row file within 2x the time of
#      reading it (calib metrics --metrics accuracy: reading plus one pass);
#   2. calib check FILE --bootstrap 2000 --binning mass
#      --max classwise_ece=0.01 on the 10,000 x 100 CIFAR-100 file under
#      20 s (skipped when ../shared/data/real is absent).
#
# Usage: bench/estimators.sh [-n RUNS] [-t "THREADS..."] [-c] [-d DIR] [CALIB]
#   -n RUNS  paired runs per estimator (default 5)
#   -t LIST  the --threads values to measure (default "1 2")
#   -c       also count instructions under callgrind (valgrind; slow: about
#            half a minute per estimator)
#   -d DIR   where the generated file lives (default /tmp/calib-bench)
#   CALIB    the calib binary (default: ./src/calib; a libtool wrapper is
#            looked through, so the shell it runs is not timed)
#
# Each estimator runs in pairs with the read (--metrics accuracy), the two
# one after the other, so both see the same load; the table gives the
# medians of user CPU seconds, CPU (user + system) and wall seconds, and
# the median over the pairs of the estimator's CPU and wall over the
# read's.  On a shared machine the CPU figures are the fair ones; with
# --threads 2 the wall is what two cores give.  Needs GNU time
# (/usr/bin/time) and awk.  Not part of `make check`: timings belong in a
# benchmark.
set -eu

runs=5
threads="1 2"
cg=0
dir=/tmp/calib-bench
while getopts n:t:cd: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	t) threads=$OPTARG ;;
	c) cg=1 ;;
	d) dir=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-t THREADS] [-c] [-d DIR] [CALIB]" >&2
	   exit 2 ;;
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
# An uninstalled libtool build: time the program, not the wrapper script.
if head -c 4096 "$calib" 2>/dev/null | grep -q "libtool"; then
	cdir=$(cd "$(dirname "$calib")" && pwd)
	LD_LIBRARY_PATH=$cdir/../.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
	calib=$cdir/.libs/$(basename "$calib")
fi

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

# one run: "user system wall" appended to file $1
one() {
	out=$1
	shift
	/usr/bin/time -f "%U %S %e" -o "$dir/t1" "$@" >/dev/null 2>&1
	cat "$dir/t1" >>"$out"
}

# medians of user, user + system, wall of file $1
meds() {
	awk '{ u[NR] = $1; c[NR] = $1 + $2; w[NR] = $3 }
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	END { printf "%.2f %.2f %.2f", med(u, NR), med(c, NR), med(w, NR) }' "$1"
}

# median over the pairs of (CPU, wall) of $2 over those of $1
ratios() {
	paste -d' ' "$1" "$2" | awk '{ c[NR] = ($4 + $5) / ($1 + $2)
		w[NR] = $3 > 0 ? $6 / $3 : 0 }
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	END { printf "%.2f %.2f", med(c, NR), med(w, NR) }'
}

echo "# calib $("$calib" --version 2>/dev/null | head -n 1); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 1. $big: $(wc -l <"$big") lines; $runs pairs (read, estimator), medians"
for t in $threads; do
	printf "\n--threads %s\n%-24s %6s %6s %6s | %8s %8s\n" "$t" metric user cpu wall \
	    "cpu/read" "wall/rd"
	: >"$dir/all-read"
	for m in smece debiased_l2 classwise_debiased_l2 ace tace uce \
	    brier_top_label corp_mcb calibration_p_value ece_sweep skce; do
		: >"$dir/read"
		: >"$dir/est"
		i=0
		while [ $i -lt "$runs" ]; do
			one "$dir/read" "$calib" metrics --threads "$t" --metrics accuracy "$big"
			one "$dir/est" "$calib" metrics --threads "$t" --metrics "$m" "$big"
			i=$((i + 1))
		done
		cat "$dir/read" >>"$dir/all-read"
		set -- $(meds "$dir/est") $(ratios "$dir/read" "$dir/est")
		printf "%-24s %6s %6s %6s | %8s %8s\n" "$m" "$1" "$2" "$3" "$4" "$5"
	done
	set -- $(meds "$dir/all-read")
	printf "%-24s %6s %6s %6s | %8s %8s\n" "(read: accuracy)" "$1" "$2" "$3" 1.00 1.00
done

if [ $cg -eq 1 ]; then
	command -v valgrind >/dev/null || { echo "# -c: valgrind not found" >&2; exit 2; }
	printf "\n# instructions (callgrind, --threads 1, all threads counted)\n"
	printf "%-24s %14s %8s\n" metric instructions "x read"
	base=
	for m in accuracy smece debiased_l2 classwise_debiased_l2 ace tace \
	    calibration_p_value ece_sweep skce; do
		valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
		    "$calib" metrics --threads 1 --metrics "$m" "$big" \
		    >/dev/null 2>"$dir/cg.err"
		ir=$(awk '/^summary:/ { print $2 }' "$dir/cg.out")
		[ -n "$base" ] || base=$ir
		printf "%-24s %14s %8.2f\n" "$m" "$ir" "$(awk -v a="$ir" -v b="$base" 'BEGIN { print a / b }')"
	done
	rm -f "$dir/cg.out"
fi

f=$shared/cifar100_wrn16-4-netcal_test.csv.gz
if [ -r "$f" ]; then
	printf "\n# 2. calib check %s --bootstrap 2000 --binning mass --max classwise_ece=0.01\n" "$(basename "$f")"
	: >"$dir/chk"
	i=0
	while [ $i -lt "$runs" ] && [ $i -lt 3 ]; do
		one "$dir/chk" "$calib" check "$f" --bootstrap 2000 --binning mass --max classwise_ece=0.01
		i=$((i + 1))
	done
	set -- $(meds "$dir/chk")
	echo "user $1 s, cpu $2 s, wall $3 s (target: wall < 20 s)"
else
	printf "\n# 2. skipped: %s not found\n" "$f"
fi
