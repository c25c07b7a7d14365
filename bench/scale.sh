#!/bin/sh
# bench/scale.sh - the figures of the scale-out work (issue 15): the cost
# of exact sums against a baseline build, peak memory of the streaming
# `calib metrics` at 1M and 10M rows, summary sizes, merge time for 1000
# summaries, and calib-mpi against calib.
#
# Usage: bench/scale.sh [-n RUNS] [-d DIR] [-b BASELINE_CALIB] [CALIB]
#   -n RUNS   timed pairs (default 7)
#   -d DIR    where generated files live (default /tmp/calib-bench)
#   -b CALIB  a calib built from the commit before exact sums, for the
#             speed comparison (skipped when not given)
#   CALIB     the calib under test (default ./src/calib); calib-mpi is
#             taken from the same directory when present
#
# Needs GNU time and python3 with numpy (bench/gen.py).  Timings belong in
# a benchmark, never in a test.
set -eu

runs=7
dir=/tmp/calib-bench
base=
while getopts n:d:b: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	d) dir=$OPTARG ;;
	b) base=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-d DIR] [-b BASELINE] [CALIB]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
calib=${1:-./src/calib}
mpi=$(dirname "$calib")/calib-mpi
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
mkdir -p "$dir"

gen() { # gen ROWS CLASSES FILE
	if [ ! -s "$3" ]; then
		echo "generating $3 ($1 x $2) ..." >&2
		"$py" "$here/gen.py" "$1" "$2" "$3.tmp" && mv "$3.tmp" "$3"
	fi
}
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# tm FILE CMD...: appends "wall cpu peak_kb" to FILE
tm() {
	tmout=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$dir/t.last" "$@" >/dev/null 2>"$dir/err.last" ||
		{ cat "$dir/err.last" >&2; exit 1; }
	awk '{ print $1, $2 + $3, $4 }' "$dir/t.last" >>"$tmout"
}
col() { cut -d' ' -f"$1" "$2" | median; }

gen 1000000 10 "$dir/p1m-10.csv"
a=$dir/p1m-10.csv

if [ -n "$base" ]; then
	rm -f "$dir/new.t" "$dir/base.t"
	"$calib" metrics -f json "$a" >/dev/null
	i=0
	while [ $i -lt "$runs" ]; do
		tm "$dir/base.t" "$base" metrics -f json "$a"
		tm "$dir/new.t" "$calib" metrics -f json "$a"
		i=$((i + 1))
	done
	echo "speed, 1M x 10 (medians of $runs pairs): baseline wall $(col 1 "$dir/base.t") s cpu $(col 2 "$dir/base.t") s peak $(col 3 "$dir/base.t") KB; exact sums wall $(col 1 "$dir/new.t") s cpu $(col 2 "$dir/new.t") s peak $(col 3 "$dir/new.t") KB"
	paste -d' ' "$dir/base.t" "$dir/new.t" | awk '{ print $5 / $2 }' | median |
		awk '{ printf "  cpu ratio exact/baseline (median of pairs): %.3f\n", $1 }'
fi

# Memory: streaming metrics at 1M and 10M two-class rows.
gen 1000000 2 "$dir/p1m-2.csv"
gen 10000000 2 "$dir/p10m-2.csv"
for f in p1m-2 p10m-2; do
	rm -f "$dir/m.t"
	tm "$dir/m.t" "$calib" metrics -f json "$dir/$f.csv"
	echo "memory, $f: peak $(col 3 "$dir/m.t") KB, wall $(col 1 "$dir/m.t") s"
	if [ -n "$base" ]; then
		rm -f "$dir/m.t"
		tm "$dir/m.t" "$base" metrics -f json "$dir/$f.csv"
		echo "  baseline (rows kept): peak $(col 3 "$dir/m.t") KB"
	fi
done

# Summary sizes at the default 15 bins.
gen 5000 1000 "$dir/p5k-1000.csv"
"$calib" summarize -o "$dir/k10.calsum" "$a"
"$calib" summarize -o "$dir/k1000.calsum" "$dir/p5k-1000.csv"
echo "summary size: K=10 $(wc -c <"$dir/k10.calsum") bytes; K=1000 $(wc -c <"$dir/k1000.calsum") bytes"
# The Poisson bootstrap costs rows x replicates draws: 100 replicates of
# the 1M-row two-class file.
rm -f "$dir/pb.t"
tm "$dir/pb.t" "$calib" summarize --bootstrap 100 -o "$dir/k2b.calsum" "$dir/p1m-2.csv"
echo "summarize --bootstrap 100, 1M x 2: wall $(col 1 "$dir/pb.t") s cpu $(col 2 "$dir/pb.t") s, summary $(wc -c <"$dir/k2b.calsum") bytes"

# Merge time for 1000 summaries (copies of the K=10 one).
rm -rf "$dir/parts"
mkdir "$dir/parts"
i=0
while [ $i -lt 1000 ]; do
	cp "$dir/k10.calsum" "$dir/parts/$i.calsum"
	i=$((i + 1))
done
rm -f "$dir/merge.t"
i=0
while [ $i -lt 3 ]; do
	tm "$dir/merge.t" "$calib" merge -o "$dir/all.calsum" "$dir"/parts/*.calsum
	i=$((i + 1))
done
echo "merge 1000 K=10 summaries: wall $(col 1 "$dir/merge.t") s, peak $(col 3 "$dir/merge.t") KB"

# calib-mpi: file a whole (byte ranges) and as 8 shards.
if [ -x "$mpi" ] && command -v mpirun >/dev/null; then
	rm -rf "$dir/shards"
	mkdir "$dir/shards"
	awk -v d="$dir/shards" 'NR == 1 { for (i = 0; i < 8; i++) print > (d "/s" i ".csv"); next }
		{ print > (d "/s" int((NR - 2) / 125000) ".csv") }' "$a"
	m="mpirun --allow-run-as-root --oversubscribe"
	rm -f "$dir/c.t" "$dir/m2.t" "$dir/cs.t" "$dir/ms.t" "$dir/one.t"
	i=0
	while [ $i -lt "$runs" ]; do
		tm "$dir/c.t" "$calib" metrics -f json "$a"
		tm "$dir/m2.t" $m -n 2 "$mpi" metrics -f json "$a"
		tm "$dir/cs.t" "$calib" summarize -o "$dir/x.calsum" "$dir"/shards/s?.csv
		tm "$dir/ms.t" $m -n 2 "$mpi" summarize -o "$dir/y.calsum" "$dir"/shards/s?.csv
		tm "$dir/one.t" "$calib" summarize -o "$dir/z.calsum" "$dir/shards/s0.csv"
		i=$((i + 1))
	done
	cmp "$dir/x.calsum" "$dir/y.calsum"
	echo "calib metrics a: wall $(col 1 "$dir/c.t") s; mpirun -n 2 calib-mpi metrics a: wall $(col 1 "$dir/m2.t") s"
	echo "calib summarize 8 shards: wall $(col 1 "$dir/cs.t") s; mpirun -n 2 calib-mpi summarize 8 shards: wall $(col 1 "$dir/ms.t") s"
	echo "one shard (125,000 rows) summarize: wall $(col 1 "$dir/one.t") s"
fi
