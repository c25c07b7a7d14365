#!/bin/sh
# summary.sh - calib summarize / merge: summaries of any split of the rows,
# merged in any order, give the same bytes and the same metrics and tables
# as one pass; mismatches, corrupt files and non-mergeable requests exit 2.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/setup.sh"

# A weighted 4-class file with full-precision numbers, big enough for
# several reader blocks (about 3 MB), so sums really round.
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
# The same rows without weights, and as logits (a binary file).
cut -d, -f1,3- "$T/wide.csv" >"$T/plain.csv"
awk 'BEGIN { srand(11); print "label,logit"
	for (i = 0; i < 5000; i++) printf "%d,%.17g\n", rand() < 0.4, (rand() - 0.5) * 12 }' >"$T/logit.csv"

# split FILE N SEED: N shard files $T/sh/s0.csv ... with the header, each
# row sent to a random shard (order kept within a shard).
split_rows() {
	rm -rf "$T/sh"
	mkdir "$T/sh"
	case $1 in
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac | awk -v n="$2" -v seed="$3" -v dir="$T/sh" '
		BEGIN { srand(seed) }
		NR == 1 { for (i = 0; i < n; i++) print > (dir "/s" i ".csv"); next }
		{ print > (dir "/s" int(rand() * n) ".csv") }'
}

# A shuffled list of the shard summaries (seeded, any awk).
shuffled() {
	ls "$T"/sh/*.calsum | awk -v seed="$1" 'BEGIN { srand(seed) }
		{ print rand() "\t" $0 }' | sort -n | cut -f2
}

# Strip the file name from reports so a summary's report can be compared
# with the file's.
# The default metrics that need the rows are left out on a summary (with a
# warning naming them): the single pass's report is compared without them.
rowsonly=$("$CALIB" metrics --list |
	awk '$1 !~ /^#/ && $4 != "sums" && $6 == "yes" { printf "%s%s", s, $1; s = "|" }')
nofile() {
	sed -E -e 's/"file":"[^"]*",//' -e "s/\"($rowsonly)\":[^,]*,//g" \
	    -e "s|$1|FILE|g" -e "s|$2|FILE|g" "$3"
}

# same_as_single FILE TAG "BINS-OPTIONS" OPTIONS...: for 1, 2, 7 and 64
# random splits, the merged summary is byte-identical to the file's own,
# whatever the merge order, and metrics and the bin table (calib bins with
# BINS-OPTIONS; it has no --nll-clip) match the single pass.
same_as_single() {
	f=$1
	tag=$2
	bopts=$3
	shift 3
	"$CALIB" summarize "$@" -o "$T/whole.calsum" "$f" 2>/dev/null
	"$CALIB" metrics -f json "$@" "$f" >"$T/m-file.json" 2>/dev/null
	# shellcheck disable=SC2086
	"$CALIB" bins --band none -f csv $bopts "$f" >"$T/b-file.csv" 2>/dev/null
	for n in 1 2 7 64; do
		split_rows "$f" $n $((n + 100))
		okay=0
		for s in "$T"/sh/s*.csv; do
			"$CALIB" summarize "$@" -o "${s%.csv}.calsum" "$s" \
			    2>/dev/null || okay=1
		done
		# shellcheck disable=SC2046
		"$CALIB" merge -o "$T/m1.calsum" $(shuffled 1) || okay=1
		# shellcheck disable=SC2046
		"$CALIB" merge -o "$T/m2.calsum" $(shuffled 2) || okay=1
		cmp -s "$T/m1.calsum" "$T/whole.calsum" || okay=1
		cmp -s "$T/m2.calsum" "$T/whole.calsum" || okay=1
		ok $okay "$tag: $n split(s), merged in two orders: the same bytes as one summary"
		"$CALIB" metrics -f json "$T/m1.calsum" >"$T/m-sum.json" 2>/dev/null
		nofile "$f" "$T/m1.calsum" "$T/m-sum.json" >"$T/a"
		nofile "$f" "$T/m1.calsum" "$T/m-file.json" >"$T/b"
		cmp -s "$T/a" "$T/b"
		s=$?
		ok $s "$tag: $n split(s): metrics identical to the single pass"
		[ $s -eq 0 ] || diag "$(diff "$T/a" "$T/b")"
		"$CALIB" bins --band none -f csv "$T/m1.calsum" >"$T/b-sum.csv" 2>/dev/null
		nofile "$f" "$T/m1.calsum" "$T/b-sum.csv" >"$T/a"
		nofile "$f" "$T/m1.calsum" "$T/b-file.csv" >"$T/b"
		cmp -s "$T/a" "$T/b"
		s=$?
		ok $s "$tag: $n split(s): bin table identical to the single pass"
		[ $s -eq 0 ] || diag "$(diff "$T/a" "$T/b" | head -5)"
	done
}

same_as_single "$T/wide.csv" "weighted 4-class" ""
same_as_single "$T/wide.csv" "weighted, 10 bins, clipped NLL" "--bins 10" \
    --bins 10 --nll-clip 1e-15
same_as_single "$T/plain.csv" "unweighted 4-class" ""
same_as_single "$T/logit.csv" "binary logits, positive class" \
    "--binary positive" --binary positive
same_as_single "$DATA/multiclass.csv" "multiclass.csv" ""
same_as_single "$DATA/weighted.csv" "weighted.csv" ""
same_as_single "$DATA/named.tsv" "named.tsv" ""

if [ -d "$SHARED" ]; then
	for f in "$SHARED"/cifar10_densenet40_test.csv \
	    "$SHARED"/cifar100_lenet5-netcal_test.csv.gz; do
		if [ -f "$f" ]; then
			same_as_single "$f" "real: $(basename "$f")" ""
		else
			skip "real: $(basename "$f")" "not in $SHARED"
		fi
	done
else
	skip "real files" "no $SHARED"
fi

# Thread counts do not change a byte.
"$CALIB" summarize --threads 1 -o "$T/t1.calsum" "$T/wide.csv"
"$CALIB" summarize --threads 3 -o "$T/t3.calsum" "$T/wide.csv"
cmp -s "$T/t1.calsum" "$T/t3.calsum"
ok $? "1 and 3 threads give the same summary"

# Several files to summarize at once are merged.
split_rows "$T/wide.csv" 3 5
"$CALIB" summarize -o "$T/three.calsum" "$T"/sh/s0.csv "$T"/sh/s1.csv "$T"/sh/s2.csv
cmp -s "$T/three.calsum" "$T/whole-wide.calsum" 2>/dev/null ||
	"$CALIB" summarize -o "$T/whole-wide.calsum" "$T/wide.csv"
cmp -s "$T/three.calsum" "$T/whole-wide.calsum"
ok $? "summarize FILE... merges its files"

# A summary read from standard input is the same as from the file.
"$CALIB" summarize -o "$T/stdin.calsum" - <"$T/wide.csv"
cmp -s "$T/stdin.calsum" "$T/whole-wide.calsum"
ok $? "summarize - reads standard input"

# check gives the same verdicts and values on a summary.
run check --max ece=0.5 --min accuracy=0.1 "$T/wide.csv"
cp "$T/out" "$T/check-file"
run check --max ece=0.5 --min accuracy=0.1 "$T/whole-wide.calsum"
check_status 0 "check accepts a summary"
nofile "$T/wide.csv" "$T/whole-wide.calsum" "$T/out" >"$T/a"
nofile "$T/wide.csv" "$T/whole-wide.calsum" "$T/check-file" >"$T/b"
cmp -s "$T/a" "$T/b"
ok $? "check on a summary reports what check on the file reports"

# ---- refused: mismatched settings ------------------------------------
"$CALIB" summarize --bins 10 -o "$T/b10.calsum" "$T/wide.csv"
run merge -o "$T/x.calsum" "$T/whole-wide.calsum" "$T/b10.calsum"
check_status 2 "merging different bins is refused"
check_contains "$T/err" "bins differ: 15 in '$T/whole-wide.calsum', 10 here" "the message names the bins"
[ ! -e "$T/x.calsum" ]
ok $? "nothing is written on a refused merge"
"$CALIB" summarize -o "$T/plain.calsum" "$T/plain.csv"
run merge -o "$T/x.calsum" "$T/whole-wide.calsum" "$T/plain.calsum"
check_status 2 "merging weighted and unweighted is refused"
check_contains "$T/err" "weight column present in" "the message names the weight column"
"$CALIB" summarize -o "$T/bin.calsum" "$DATA/binary.csv"
run merge -o "$T/x.calsum" "$T/whole-wide.calsum" "$T/bin.calsum"
check_status 2 "merging different classes is refused"
check_contains "$T/err" "classes differ: 4 in" "the message names the classes"
sed 's/p_b/p_z/' "$T/plain.csv" >"$T/renamed.csv"
"$CALIB" summarize -o "$T/renamed.calsum" "$T/renamed.csv"
run merge -o "$T/x.calsum" "$T/plain.calsum" "$T/renamed.calsum"
check_status 2 "merging different class names is refused"
check_contains "$T/err" "class 1 is 'b' in" "the message names the class"
"$CALIB" summarize --temperature 2 -o "$T/temp.calsum" "$T/plain.csv"
run merge -o "$T/x.calsum" "$T/plain.calsum" "$T/temp.calsum"
check_status 2 "merging different temperatures is refused"
check_contains "$T/err" "temperature differs: 1 in" "the message names the temperature"
"$CALIB" summarize --nll-clip 1e-15 -o "$T/clip.calsum" "$T/plain.csv"
run merge -o "$T/x.calsum" "$T/plain.calsum" "$T/clip.calsum"
check_status 2 "merging different NLL clips is refused"
check_contains "$T/err" "NLL clip differs" "the message names the clip"
run metrics --bins 20 "$T/plain.calsum"
check_status 2 "metrics with other bins than the summary's is refused"
check_contains "$T/err" "--bins 20 asked for, but the summary was made with 15" "the message names both"

# ---- refused: what does not merge ------------------------------------
run summarize --binning mass -o "$T/x.calsum" "$T/plain.csv"
check_status 2 "summarize refuses equal-mass bins"
check_contains "$T/err" "equal-mass bins do not merge" "and says why"
run metrics --binning mass "$T/plain.calsum"
check_status 2 "metrics refuses equal-mass bins on a summary"
check_contains "$T/err" "equal-mass bins do not merge" "naming the metric's binning"
run bins "$T/plain.calsum"
check_status 2 "bins refuses a consistency band on a summary"
check_contains "$T/err" "use --band none, or run on the prediction files" "naming the alternative"
run check --max ece=1 --bootstrap 10 "$T/plain.calsum"
check_status 2 "check refuses the bootstrap on a summary"
check_contains "$T/err" "use --bootstrap-method poisson with a summary made by 'calib summarize --bootstrap N', --bootstrap 0, or run on the prediction files" "naming the alternatives"

# ---- corrupt and truncated summaries ---------------------------------
size=$(wc -c <"$T/plain.calsum")
head -c $((size - 1)) "$T/plain.calsum" >"$T/trunc.calsum"
run metrics "$T/trunc.calsum"
check_status 2 "a truncated summary"
check_contains "$T/err" "truncated summary" "is reported as truncated"
head -c 30 "$T/plain.calsum" >"$T/short.calsum"
run merge -o "$T/x.calsum" "$T/short.calsum"
check_status 2 "a summary cut inside its settings"
check_contains "$T/err" "truncated summary" "is reported as truncated"
cp "$T/plain.calsum" "$T/flip.calsum"
printf 'X' | dd of="$T/flip.calsum" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run metrics "$T/flip.calsum"
check_status 2 "a corrupted byte"
check_contains "$T/err" "checksum mismatch: the summary is corrupt" "is caught by the checksum"
cp "$T/plain.calsum" "$T/ver.calsum"
printf '\011' | dd of="$T/ver.calsum" bs=1 seek=11 conv=notrunc 2>/dev/null
run merge -o "$T/x.calsum" "$T/ver.calsum"
check_status 2 "a newer format version"
check_contains "$T/err" "summary format version 9, this calib reads version 1" "names both versions"
run merge -o "$T/x.calsum" "$T/plain.csv"
check_status 2 "a prediction file given to merge"
check_contains "$T/err" "not a calib summary" "is not a summary"

# ---- empty shards and no rows ----------------------------------------
head -1 "$T/plain.csv" >"$T/empty.csv"
"$CALIB" summarize -o "$T/empty.calsum" "$T/empty.csv"
ok $? "a header-only shard summarizes (it may be one of many)"
"$CALIB" merge -o "$T/pe.calsum" "$T/empty.calsum" "$T/plain.calsum"
cmp -s "$T/pe.calsum" "$T/plain.calsum"
ok $? "merging an empty shard changes nothing"
run metrics "$T/empty.calsum"
check_status 2 "metrics of a summary without rows"
check_contains "$T/err" "the summary holds no rows" "says so"

# ---- the Poisson bootstrap merges ------------------------------------
# Contiguous shards, each told where it starts in the concatenation.
awk 'NR == 1 { h = $0; next }
	{ f = (NR - 2 < 12000) ? "p0" : (NR - 2 < 30000) ? "p1" : "p2"
	  if (!(f in seen)) { print h > (dir "/" f ".csv"); seen[f] = 1 }
	  print > (dir "/" f ".csv") }' dir="$T" "$T/wide.csv"
"$CALIB" summarize --bootstrap 100 --seed 9 -o "$T/p0.calsum" "$T/p0.csv"
"$CALIB" summarize --bootstrap 100 --seed 9 --first-row 12000 -o "$T/p1.calsum" "$T/p1.csv"
"$CALIB" summarize --bootstrap 100 --seed 9 --first-row 30000 -o "$T/p2.calsum" "$T/p2.csv"
"$CALIB" merge -o "$T/pall.calsum" "$T/p2.calsum" "$T/p0.calsum" "$T/p1.calsum"
"$CALIB" summarize --bootstrap 100 --seed 9 -o "$T/pone.calsum" "$T/wide.csv"
cmp -s "$T/pall.calsum" "$T/pone.calsum"
ok $? "Poisson replicates of shards merge to the single summary's bytes"
"$CALIB" summarize --bootstrap 100 --seed 9 -o "$T/pfiles.calsum" "$T/p0.csv" "$T/p1.csv" "$T/p2.csv"
cmp -s "$T/pfiles.calsum" "$T/pone.calsum"
ok $? "summarize FILE... numbers the rows across its files"
run check --bootstrap 100 --seed 9 --bootstrap-method poisson --max ece=0.5 "$T/pall.calsum"
check_status 0 "check --bootstrap-method poisson on merged summaries"
run check --bootstrap 100 --seed 9 --bootstrap-method poisson --max ece=0.5 "$T/wide.csv"
nofile "$T/wide.csv" "$T/pall.calsum" "$T/out" >"$T/a"
"$CALIB" check --bootstrap 100 --seed 9 --bootstrap-method poisson --max ece=0.5 "$T/pall.calsum" >"$T/o2"
nofile "$T/wide.csv" "$T/pall.calsum" "$T/o2" >"$T/b"
cmp -s "$T/a" "$T/b"
s=$?
ok $s "the same Poisson intervals from the merged shards as from one pass"
[ $s -eq 0 ] || diag "$(diff "$T/a" "$T/b")"
grep -q "Poisson bootstrap intervals, 100 replicates" "$T/b"
ok $? "the report names the Poisson bootstrap"
# A bound inside the interval: a summary's pass is "within noise" exactly
# as the file's is - the warning on stderr and the JSON count.
b=$("$CALIB" metrics -f json --metrics ece "$T/wide.csv" | sed 's/.*"ece":\([^,}]*\).*/\1/')
"$CALIB" check --bootstrap 100 --seed 9 --bootstrap-method poisson \
	--max "ece=$b" --json "$T/nf.json" "$T/wide.csv" >/dev/null 2>"$T/ef"
"$CALIB" check --bootstrap 100 --seed 9 --bootstrap-method poisson \
	--max "ece=$b" --json "$T/ns.json" "$T/pall.calsum" >/dev/null 2>"$T/es"
grep -q "holds only within noise" "$T/es" &&
	cmp -s "$T/ef" "$T/es" &&
	grep -q '"within_noise":1' "$T/ns.json" &&
	grep -q '"within_noise":1' "$T/nf.json"
ok $? "a pass within noise is flagged and warned on summaries as on the file"
# Classwise ECE has no Poisson replicates (README: "A bootstrap that
# merges"): the report says its point value decided, on rows and on
# summaries alike.
for f in "$T/wide.csv" "$T/pall.calsum"; do
	run check --bootstrap 100 --seed 9 --bootstrap-method poisson \
	    --max classwise_ece=0.5 --max ece=0.5 "$f"
	grep -q "^PASS  classwise_ece [0-9.e-]* (no Poisson bootstrap interval: the point value decides) <= 0.5" "$T/out" &&
	    grep -q "^PASS  ece [0-9.e-]* \[[0-9.e-]*, [0-9.e-]*\] <= 0.5" "$T/out"
	ok $? "check --bootstrap-method poisson says classwise ECE has no interval: $(basename "$f")"
done
run check --bootstrap 50 --seed 9 --bootstrap-method poisson --max ece=0.5 "$T/pall.calsum"
check_status 2 "a summary with other replicates is refused"
check_contains "$T/err" "keeps 100 bootstrap replicates with seed 9, but --bootstrap 50 --seed 9 was asked for" "naming both"
"$CALIB" summarize --bootstrap 100 --seed 10 -o "$T/s10.calsum" "$T/p0.csv"
run merge -o "$T/x.calsum" "$T/p1.calsum" "$T/s10.calsum"
check_status 2 "merging replicates of different seeds is refused"
check_contains "$T/err" "bootstrap seed differs: 9 in" "naming the seed"
run summarize --bootstrap-method multinomial --bootstrap 10 -o "$T/x.calsum" "$T/p0.csv"
check_status 2 "summarize refuses the multinomial bootstrap"

# A merge whose sums would leave the stored range (a total weight of
# about 2^1077: a fuzzing find) is refused, nothing written.
big="$top_srcdir/tests/fuzz/corpus/summary/crash-merge-beyond-top-digit.calsum"
run merge -o "$T/big2.calsum" "$big" "$big"
check_status 2 "merging sums beyond the format's range"
check_contains "$T/err" "merging it would take a sum over all rows beyond what a summary holds (counts below 2^64, sums below 2^1077 in magnitude)" "naming what and the limits"
[ ! -e "$T/big2.calsum" ]
ok $? "... and writes nothing"

# ---- diagram and hist draw from a summary ----------------------------
for cmd in diagram hist; do
	run "$cmd" --band none --gnuplot /bin/false -o "$T/f-$cmd.png" "$T/plain.csv"
	r1=$rc
	run "$cmd" --band none --gnuplot /bin/false -o "$T/s-$cmd.png" "$T/plain.calsum"
	[ "$r1" -eq 3 ] && [ "$rc" -eq 3 ] && [ -s "$T/f-$cmd-bins.csv" ] &&
	    nofile "$T/plain.csv" "$T/plain.calsum" "$T/f-$cmd-bins.csv" >"$T/a" &&
	    nofile "$T/plain.csv" "$T/plain.calsum" "$T/s-$cmd-bins.csv" >"$T/b" &&
	    cmp -s "$T/a" "$T/b"
	ok $? "$cmd on a summary keeps the same table as on the file (no gnuplot)"
done

# Summaries are sniffed only on regular files: a pipe keeps its bytes for
# the reader (bash's <(...), mkfifo), and a summary that comes through one
# is refused with the way out.
if command -v mkfifo >/dev/null 2>&1 && mkfifo "$T/fifo.csv"; then
	cat "$T/wide.csv" >"$T/fifo.csv" &
	"$CALIB" metrics -f json "$T/fifo.csv" >"$T/fifo.json" 2>"$T/fifo.err"
	s=$?
	wait
	"$CALIB" metrics -f json "$T/wide.csv" >"$T/plain.json"
	[ $s -eq 0 ] && nofile "$T/wide.csv" "$T/fifo.csv" "$T/fifo.json" >"$T/a" &&
		nofile "$T/wide.csv" "$T/fifo.csv" "$T/plain.json" >"$T/b" &&
		cmp -s "$T/a" "$T/b"
	ok $? "a prediction file through a named pipe reads whole (nothing sniffed away)"
	[ $s -eq 0 ] || diag "$(cat "$T/fifo.err")"
else
	skip "a prediction file through a named pipe" "mkfifo not available"
fi
run metrics - <"$T/pall.calsum"
check_status 2 "a summary on standard input is refused"
check_contains "$T/err" "<stdin>: a calib summary (.calsum), which is read only from a regular file" "naming the way out"

done_testing
