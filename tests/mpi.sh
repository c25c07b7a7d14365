#!/bin/sh
# mpi.sh - calib-mpi under mpirun -n 1..4 writes byte for byte what calib
# writes: metrics, bins, check and summarize, byte ranges of a large file,
# many shards, gzip, quoted fields, Poisson bootstrap replicates, and
# errors.  Skipped without MPI.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/setup.sh"

if [ ! -x "${CALIB_MPI:-}" ] || ! command -v mpirun >/dev/null 2>&1; then
	skip "calib-mpi" "not built (configure found no Open MPI) or no mpirun"
	done_testing
	exit 0
fi

mpi() { # mpi N ARGS...: leaves $T/mout, $T/merr and $mrc
	n=$1
	shift
	mrc=0
	# Open MPI's own start-up allocations are never freed; calib's code
	# paths are leak-checked through calib in the other tests.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	mpirun --allow-run-as-root --oversubscribe -n "$n" "$CALIB_MPI" "$@" \
	    >"$T/mout" 2>"$T/merr" || mrc=$?
}

# same DESCRIPTION ARGS...: calib and calib-mpi -n 1..4 agree on output,
# messages and exit status.
same() {
	d=$1
	shift
	run "$@"
	for n in 1 2 3 4; do
		mpi "$n" "$@"
		# mpirun adds its own notice after a non-zero exit.
		sed -e 's/^calib-mpi:/calib:/' -e '/^-----/,$d' "$T/merr" >"$T/merr2"
		cmp -s "$T/out" "$T/mout" && cmp -s "$T/err" "$T/merr2" &&
		    [ "$rc" -eq "$mrc" ]
		s=$?
		ok $s "$d: mpirun -n $n"
		[ $s -eq 0 ] || { diag "exit $rc vs $mrc"; diag "$(diff "$T/out" "$T/mout" | head -5)"; diag "$(diff "$T/err" "$T/merr2" | head -5)"; }
	done
}

# About 3 MB, so each rank gets a byte range of it.
awk 'BEGIN {
	srand(7)
	print "label,weight,p_a,p_b,p_c,p_d"
	for (i = 0; i < 40000; i++) {
		a = rand(); b = rand() * (1 - a); c = rand() * (1 - a - b)
		d = 1 - a - b - c
		printf "%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", int(rand() * 4),
		    rand() * 3, a, b, c, d
	}
}' >"$T/wide.csv"

same "metrics -f json, one large file" metrics -f json "$T/wide.csv"
same "metrics, two files" metrics "$T/wide.csv" "$DATA/multiclass.csv"
same "metrics --bins 10 --nll-clip" metrics -f csv --bins 10 --nll-clip 1e-15 "$T/wide.csv"
same "bins --band none" bins --band none -f csv "$T/wide.csv"
same "check" check --max ece=0.5 --min accuracy=0.9 "$T/wide.csv"

# Shards: summarize spreads whole files over the ranks.
awk -v dir="$T" 'NR == 1 { for (i = 0; i < 8; i++) print > (dir "/s" i ".csv"); next }
	{ print > (dir "/s" (NR % 8) ".csv") }' "$T/wide.csv"
"$CALIB" summarize -o "$T/calib.calsum" "$T"/s?.csv
for n in 1 2 3 4; do
	mpi "$n" summarize -o "$T/mpi.calsum" "$T"/s?.csv
	cmp -s "$T/calib.calsum" "$T/mpi.calsum"
	ok $? "summarize 8 shards: mpirun -n $n writes calib's bytes"
done
"$CALIB" summarize -o "$T/whole.calsum" "$T/wide.csv"
mpi 3 summarize -o "$T/mpi.calsum" "$T/wide.csv"
cmp -s "$T/whole.calsum" "$T/mpi.calsum"
ok $? "summarize one large file over 3 ranks: the single-pass bytes"

gzip -c "$T/wide.csv" >"$T/wide.csv.gz"
same "a gzip file (read whole by one rank)" metrics -f json "$T/wide.csv.gz"

# Quoted fields: ranges are abandoned for the whole file.
sed '1!s/^\([0-9]\),/"\1",/' "$T/wide.csv" >"$T/quoted.csv"
same "quoted fields" metrics -f json "$T/quoted.csv"

# An error in the middle of a range: calib's message and status.
awk 'NR == 30001 { print "7,1,0.25,0.25,0.25,0.25"; next } { print }' "$T/wide.csv" >"$T/bad.csv"
same "a bad row in the third quarter" metrics "$T/bad.csv"
same "a missing file" metrics "$T/none.csv"
# Poisson bootstrap replicates: a row's counts depend on its global
# position, which calib-mpi finds by counting every piece's rows first.
# Uneven shards - a small file, a large one cut into byte ranges, a gzip
# file, a quoted one read whole again, a file with a dropped label - and a
# first row other than 0: the replicates of calib's single pass, byte for
# byte.
head -n 101 "$T/wide.csv" >"$T/p0.csv"
{ head -n 1 "$T/wide.csv"; sed -n '102,30000p' "$T/wide.csv"; } >"$T/p1.csv"
{ head -n 1 "$T/wide.csv"; sed -n '30001,33000p' "$T/wide.csv"; } | gzip -c >"$T/p2.csv.gz"
{ head -n 1 "$T/wide.csv"; sed -n '33001,$p' "$T/wide.csv"; } >"$T/p3.csv"
{ head -n 1 "$T/wide.csv"; sed -n '20001,$p' "$T/wide.csv" | sed 's/^\([0-9]\),/"\1",/'; } >"$T/p4.csv"
parts="$T/p0.csv $T/p1.csv $T/p2.csv.gz $T/p3.csv"
# shellcheck disable=SC2086
"$CALIB" summarize --bootstrap 40 --seed 9 --first-row 5 -o "$T/boot.calsum" $parts
"$CALIB" summarize --bootstrap 40 --seed 9 --first-row 5 -o "$T/boot1.calsum" "$T/wide.csv"
cmp -s "$T/boot.calsum" "$T/boot1.calsum"
ok $? "replicates: calib on the 4 parts writes the bytes of the whole file"
for n in 1 2 3 4; do
	# shellcheck disable=SC2086
	mpi "$n" summarize --bootstrap 40 --seed 9 --first-row 5 -o "$T/mboot.calsum" $parts
	cmp -s "$T/boot.calsum" "$T/mboot.calsum"
	ok $? "summarize --bootstrap 40, uneven parts: mpirun -n $n writes calib's bytes"
	mpi "$n" summarize --bootstrap 7 -o "$T/mboot.calsum" "$T/p0.csv" "$T/p1.csv" "$T/p4.csv"
	"$CALIB" summarize --bootstrap 7 -o "$T/boot2.calsum" "$T/p0.csv" "$T/p1.csv" "$T/p4.csv"
	cmp -s "$T/boot2.calsum" "$T/mboot.calsum"
	ok $? "summarize --bootstrap 7, a quoted file after a cut one: mpirun -n $n"
	mpi "$n" summarize --bootstrap 3 --ignore-label 2 -o "$T/mboot.calsum" "$T/p1.csv" "$T/p3.csv"
	"$CALIB" summarize --bootstrap 3 --ignore-label 2 -o "$T/boot3.calsum" "$T/p1.csv" "$T/p3.csv"
	cmp -s "$T/boot3.calsum" "$T/mboot.calsum"
	ok $? "summarize --bootstrap 3 --ignore-label 2 (positions count kept rows): mpirun -n $n"
done
same "check --bootstrap-method poisson, one large file" check --bootstrap 50 \
    --bootstrap-method poisson --max ece=0.5 --min accuracy=0.2 "$T/wide.csv"
same "check --bootstrap-method poisson --baseline" check \
    --bootstrap 30 --bootstrap-method poisson --seed 4 --baseline "$T/wide.csv" \
    --max-increase ece=0.001 "$T/quoted.csv"
same "check --bootstrap-method poisson --baseline with other rows" check \
    --bootstrap 30 --bootstrap-method poisson --baseline "$T/p1.csv" \
    --max-increase ece=0.001 "$T/p3.csv"
same "check --bootstrap-method poisson --strict fails where calib fails" check \
    --bootstrap 30 --bootstrap-method poisson --strict --max ece=0.3843 "$T/wide.csv"
same "check --bootstrap-method poisson: a bad row in the third quarter" check \
    --bootstrap 20 --bootstrap-method poisson --max ece=0.5 "$T/bad.csv"

for n in 1 2; do
	mpi "$n" metrics --binning mass "$T/wide.csv"
	[ "$mrc" -eq 2 ] && grep -q "equal-mass bins need every row in one process and do not merge" "$T/merr"
	ok $? "equal-mass bins are refused with the alternative: mpirun -n $n"
done
run fit "$T/wide.csv"
mpi 2 fit "$T/wide.csv"
[ "$mrc" -eq 2 ] && grep -q "calib-mpi runs metrics, bins, check and summarize" "$T/merr"
ok $? "other commands are refused"

done_testing
