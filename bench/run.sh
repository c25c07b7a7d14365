#!/bin/sh
# bench/run.sh - whole-process time and peak memory of `calib metrics`,
# paired against pandas + numpy doing the same job (bench/pandas_metrics.py).
#
# Usage: bench/run.sh [-n RUNS] [-d DIR] [CALIB]
#   -n RUNS  timed pairs per file (default 7; one untimed warm-up pair first)
#   -d DIR   where the generated files live (default /tmp/calib-bench);
#            they are generated once and reused
#   CALIB    the calib binary (default: ./src/calib)
#
# Needs GNU time (/usr/bin/time, Debian package "time") and python3 with
# numpy and pandas (python3-pandas).  Not part of `make check`: timings
# belong in a benchmark, never in a test.
#
# Each pair runs calib, then the pandas script, on the same file; the
# figures are medians over the pairs, and the speed-up is the median of the
# per-pair ratios, so a machine whose speed drifts during the run still
# gives a fair ratio.
set -eu

runs=7
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
py=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

[ -x /usr/bin/time ] || { echo "$0: needs GNU time (apt-get install time)" >&2; exit 2; }
# The binary behind a libtool wrapper (./src/calib in a build tree), with
# the library it was built with: the wrapper's shell costs time an
# installed calib does not.
if [ -x "$(dirname "$calib")/.libs/calib" ] && [ "$(head -c 2 "$calib")" = '#!' ]; then
	top=$(cd "$(dirname "$calib")/.." && pwd)
	calib=$(dirname "$calib")/.libs/calib
	LD_LIBRARY_PATH=$top/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
"$py" -c 'import pandas, numpy' 2>/dev/null ||
	{ echo "$0: needs python3 with pandas and numpy (apt-get install python3-pandas)" >&2; exit 2; }
mkdir -p "$dir"

gen() { # gen ROWS CLASSES FILE
	if [ ! -s "$3" ]; then
		echo "generating $3 ($1 x $2, %.6g) ..." >&2
		"$py" "$here/gen.py" "$1" "$2" "$3.tmp" && mv "$3.tmp" "$3"
	fi
}

# one RUN-TAG COMMAND...: appends "wall peak_kb" to $dir/RUN-TAG.times
one() {
	tag=$1
	shift
	/usr/bin/time -f '%e %M' -o "$dir/last.time" "$@" >/dev/null 2>"$dir/last.err" ||
		{ echo "$0: failed: $*" >&2; cat "$dir/last.err" >&2; exit 1; }
	cat "$dir/last.time" >>"$dir/$tag.times"
}

median() { # median of the numbers on stdin
	sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

bench() { # bench FILE LABEL
	f=$1
	rm -f "$dir/calib.times" "$dir/pandas.times"
	"$calib" metrics -f json "$f" >/dev/null # warm-up: page cache, loader
	"$py" "$here/pandas_metrics.py" "$f" >/dev/null
	i=0
	while [ $i -lt "$runs" ]; do
		one calib "$calib" metrics -f json "$f"
		one pandas "$py" "$here/pandas_metrics.py" "$f"
		i=$((i + 1))
	done
	mb=$(awk -v b="$(wc -c <"$f")" 'BEGIN { printf "%.1f", b / 1e6 }')
	cw=$(cut -d' ' -f1 "$dir/calib.times" | median)
	pw=$(cut -d' ' -f1 "$dir/pandas.times" | median)
	cm=$(cut -d' ' -f2 "$dir/calib.times" | median)
	pm=$(cut -d' ' -f2 "$dir/pandas.times" | median)
	ratio=$(paste -d' ' "$dir/calib.times" "$dir/pandas.times" |
		awk '{ printf "%.6g\n", ($1 > 0 ? $3 / $1 : 0) }' | median)
	printf '%-22s %7s MB  calib %6.2f s %7.1f MB/s %7.1f MiB  |  pandas+numpy %6.2f s %7.1f MiB  |  speed-up %5.2fx\n' \
		"$2" "$mb" "$cw" "$(awk -v m="$mb" -v t="$cw" 'BEGIN { print m / t }')" \
		"$(awk -v k="$cm" 'BEGIN { print k / 1024 }')" "$pw" \
		"$(awk -v k="$pm" 'BEGIN { print k / 1024 }')" "$ratio"
}

gen 1000000 10 "$dir/p1m-10.csv"
gen 50000 1000 "$dir/p50k-1000.csv"
echo "calib: $("$calib" --version); $(nproc) CPUs; medians of $runs pairs"
bench "$dir/p1m-10.csv" "1,000,000 x 10"
bench "$dir/p50k-1000.csv" "50,000 x 1000"
