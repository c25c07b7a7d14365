#!/bin/sh
# bench/npy.sh - calib metrics on NumPy input against the same data as CSV:
# 1,000,000 x 10 float32 probabilities + int64 labels (.npy) and the same
# values printed with %.6g (bench/gen_npy.py), paired runs, medians.
#
# Usage: bench/npy.sh [-n RUNS] [-d DIR] [CALIB]
# Needs GNU time (/usr/bin/time) and python3 with numpy (to generate).
set -eu

runs=7
dir=/tmp/calib-bench/npy
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
mkdir -p "$dir"
if [ ! -s "$dir/same.csv" ]; then
	"$py" -c 'import numpy' 2>/dev/null ||
		{ echo "$0: needs python3 with numpy (apt-get install python3-numpy)" >&2; exit 2; }
	echo "generating $dir (1,000,000 x 10) ..." >&2
	"$py" "$here/gen_npy.py" 1000000 10 "$dir"
fi

# one TAG ARGS...: appends "wall user sys peak_kb" to $dir/TAG.times
one() {
	tag=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$dir/last.time" "$calib" metrics -f json "$@" \
		>/dev/null 2>"$dir/last.err" ||
		{ echo "$0: failed: $*" >&2; cat "$dir/last.err" >&2; exit 1; }
	cat "$dir/last.time" >>"$dir/$tag.times"
}

median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# The same bytes for every thread count (and the summary path is the
# in-memory one: bench/ only times it; tests/ check it).
for threads in 1 2 3; do
	"$calib" metrics -f json --threads $threads --probs --labels "$dir/labels.npy" \
		"$dir/probs.npy" >"$dir/out.$threads.json"
done
cmp -s "$dir/out.1.json" "$dir/out.2.json" && cmp -s "$dir/out.1.json" "$dir/out.3.json" ||
	{ echo "$0: output differs between thread counts" >&2; exit 1; }

for threads in 1 2; do
	rm -f "$dir/npy.times" "$dir/csv.times"
	npy="--threads $threads --probs --labels $dir/labels.npy $dir/probs.npy"
	csv="--threads $threads $dir/same.csv"
	one npy $npy; one csv $csv # warm-up
	rm -f "$dir/npy.times" "$dir/csv.times"
	i=0
	while [ $i -lt "$runs" ]; do
		one npy $npy
		one csv $csv
		i=$((i + 1))
	done
	for tag in npy csv; do
		w=$(cut -d' ' -f1 "$dir/$tag.times" | median)
		c=$(awk '{ print $2 + $3 }' "$dir/$tag.times" | median)
		m=$(cut -d' ' -f4 "$dir/$tag.times" | median)
		printf '%d thread(s)  %s  wall %5.3f s  cpu %5.3f s  peak %6.1f MiB\n' \
			"$threads" "$tag" "$w" "$c" "$(awk -v k="$m" 'BEGIN { print k / 1024 }')"
	done
	ratio=$(paste -d' ' "$dir/npy.times" "$dir/csv.times" |
		awk '{ printf "%.6g\n", ($1 > 0 ? $5 / $1 : 0) }' | median)
	cratio=$(paste -d' ' "$dir/npy.times" "$dir/csv.times" |
		awk '{ n = $2 + $3; printf "%.6g\n", (n > 0 ? ($6 + $7) / n : 0) }' | median)
	printf '%d thread(s)  csv/npy: wall %.2fx, cpu %.2fx (medians of paired ratios)\n' \
		"$threads" "$ratio" "$cratio"
done
