#!/bin/sh
# bench/floor.sh - CPU time of `calib metrics` on bench file a (1,000,000 x
# 10, %.6g) against the one-pass C floor program (floor.c: hand decimal
# parser, the core metrics, no validation), in pairs, and the median of the
# per-pair ratios.  Issue 9's target: calib with 2 threads within 1.3x the
# floor's CPU.
#
# Usage: bench/floor.sh [-n RUNS] [-d DIR] [-f FLOOR_C] [CALIB]
#   -n RUNS    timed triples (default 9; one untimed warm-up first)
#   -d DIR     where bench/run.sh's files live (default /tmp/calib-bench)
#   -f FLOOR_C the floor program's source (default ../shared/bench/floor.c
#              next to the source tree); built with gcc -O2 into DIR
#   CALIB      the calib binary (default ./src/calib)
#
# Each triple runs the floor, calib --threads 2 and calib --threads 1 on the
# same file; CPU is user + sys from GNU time (10 ms resolution, so medians
# of several runs).  A libtool wrapper script (./src/calib in a build tree)
# is replaced by the binary it runs: the wrapper's own shell costs CPU an
# installed calib does not.  Needs GNU time, gcc, python3 with numpy.
set -eu

runs=9
dir=/tmp/calib-bench
here=$(cd "$(dirname "$0")" && pwd)
floor_c=$here/../../shared/bench/floor.c
while getopts n:d:f: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	d) dir=$OPTARG ;;
	f) floor_c=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-d DIR] [-f FLOOR_C] [CALIB]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
calib=${1:-./src/calib}
py=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

[ -x /usr/bin/time ] || { echo "$0: needs GNU time (apt-get install time)" >&2; exit 2; }
[ -r "$floor_c" ] || { echo "$0: no floor program at $floor_c (give -f)" >&2; exit 2; }
# The binary behind a libtool wrapper, with the library it was built with.
if [ -x "$(dirname "$calib")/.libs/calib" ] && [ "$(head -c 2 "$calib")" = '#!' ]; then
	top=$(cd "$(dirname "$calib")/.." && pwd)
	calib=$(dirname "$calib")/.libs/calib
	LD_LIBRARY_PATH=$top/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
mkdir -p "$dir"
f=$dir/p1m-10.csv
if [ ! -s "$f" ]; then
	echo "generating $f (1,000,000 x 10, %.6g) ..." >&2
	"$py" "$here/gen.py" 1000000 10 "$f.tmp" && mv "$f.tmp" "$f"
fi
gcc -O2 -o "$dir/floor" "$floor_c" -lm

# one TAG CMD...: appends "wall cpu" to $dir/TAG.ftimes
one() {
	tag=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$dir/last.time" "$@" >/dev/null 2>"$dir/last.err" ||
		{ echo "$0: failed: $*" >&2; cat "$dir/last.err" >&2; exit 1; }
	awk '{ print $1, $2 + $3 }' "$dir/last.time" >>"$dir/$tag.ftimes"
}
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

"$dir/floor" ece "$f" >/dev/null
"$calib" metrics -f json --threads 2 "$f" >/dev/null
rm -f "$dir/floor.ftimes" "$dir/t2.ftimes" "$dir/t1.ftimes"
i=0
while [ $i -lt "$runs" ]; do
	one floor "$dir/floor" ece "$f"
	one t2 "$calib" metrics -f json --threads 2 "$f"
	one t1 "$calib" metrics -f json --threads 1 "$f"
	i=$((i + 1))
done
for tag in floor t2 t1; do
	printf '%-6s wall %5.3f s  cpu %5.3f s\n' "$tag" \
		"$(cut -d' ' -f1 "$dir/$tag.ftimes" | median)" \
		"$(cut -d' ' -f2 "$dir/$tag.ftimes" | median)"
done
for tag in t2 t1; do
	printf 'calib %s / floor CPU: %.3fx (median of %d paired ratios)\n' "$tag" \
		"$(paste -d' ' "$dir/floor.ftimes" "$dir/$tag.ftimes" |
			awk '{ printf "%.6g\n", ($2 > 0 ? $4 / $2 : 0) }' | median)" "$runs"
done
echo "load: $(uptime | sed 's/.*load average: //')"
