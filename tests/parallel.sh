#!/bin/sh
# parallel.sh - the README's GNU parallel recipe, run as written: one
# summarize per shard in parallel, then merge; the result equals the single
# pass.  Skipped when GNU parallel is not installed.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/setup.sh"

if ! parallel --version 2>/dev/null | grep -q "GNU parallel"; then
	skip "GNU parallel recipe" "GNU parallel is not installed"
	done_testing
	exit 0
fi
# parallel keeps state in $HOME/.parallel; keep it in the scratch dir.
HOME=$T
export HOME

mkdir "$T/shards"
# A bigger weighted file than the fixtures, cut into 12 shards.
awk 'BEGIN { srand(9); print "label,weight,p_0,p_1,p_2"
	for (i = 0; i < 3000; i++) { a = rand(); b = rand() * (1 - a)
		printf "%d,%.17g,%.17g,%.17g,%.17g\n", int(rand() * 3),
		    rand() * 2, a, b, 1 - a - b } }' >"$T/all.csv"
awk -v dir="$T/shards" 'BEGIN { srand(3) }
	NR == 1 { h = $0; next }
	{ f = sprintf("%s/day-%02d.csv", dir, int(rand() * 12))
	  if (!(f in seen)) { print h > f; seen[f] = 1 }
	  print > f }' "$T/all.csv"

# The recipe (README, "GNU parallel"), with $CALIB for calib.
cd "$T/shards" || exit 99
ls ./*.csv | parallel --will-cite "$CALIB" summarize {} -o {.}.calsum
s1=$?
"$CALIB" merge -o "$T/all.calsum" ./*.calsum
s2=$?
cd "$T" || exit 99
[ $s1 -eq 0 ] && [ $s2 -eq 0 ]
ok $? "parallel summarize then merge succeed"
# the default metrics that need the rows are left out on a summary
rowsonly=$("$CALIB" metrics --list |
	awk '$1 !~ /^#/ && $4 != "sums" && $6 == "yes" { printf "%s%s", s, $1; s = "|" }')
"$CALIB" metrics -f json "$T/all.csv" |
	sed -E -e 's/"file":"[^"]*",//' -e "s/\"($rowsonly)\":[^,]*,//g" >"$T/a"
"$CALIB" metrics -f json "$T/all.calsum" | sed 's/"file":"[^"]*",//' >"$T/b"
cmp -s "$T/a" "$T/b"
ok $? "the merged summary's metrics equal the single pass"
"$CALIB" summarize -o "$T/one.calsum" "$T/all.csv"
cmp -s "$T/one.calsum" "$T/all.calsum"
ok $? "and its bytes equal one summary of all rows"

done_testing
