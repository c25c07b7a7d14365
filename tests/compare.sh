#!/bin/sh
# compare.sh - calib compare: the demo runs, pairing errors, --group
# statistics checked by hand, reproducibility and formats.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

D=$top_srcdir/data
H=$D/fashion-mnist-ls0.00.csv
S5=$D/fashion-mnist-ls0.05.csv
S10=$D/fashion-mnist-ls0.10.csv

# --- the demo runs: overconfidence falls with epsilon and turns into
# underconfidence, with intervals that exclude zero
run compare --bootstrap 300 --names hard,ls05,ls10 "$H" "$S5" "$S10"
check_status 0 "compare on the three demo runs"
check_contains "$T/out" "hard: overconfident - mean confidence exceeds accuracy by 8.53 points" "hard-label run is overconfident"
check_contains "$T/out" "ls10: underconfident - accuracy exceeds mean confidence by 6.49 points" "epsilon 0.1 is underconfident"
check_contains "$T/out" "overconfidence: ls05 is lower by 9.67 points" "smoothing lowers overconfidence"
check_contains "$T/out" "ECE: ls05 is lower by 7.24 points" "smoothing lowers ECE"
check_contains "$T/out" "ls05 against hard (difference ls05 - hard):" "comparison against the first run"
run compare -f json --bootstrap 300 --names hard,ls05,ls10 "$H" "$S5" "$S10"
check_status 0 "json"
tr '{' '\n' <"$T/out" | grep -c '"side":"overconfident"' >"$T/n_over"
[ "$(cat "$T/n_over")" = 1 ] && grep -q '"name":"ls10".*"side":"underconfident"' "$T/out"
ok $? "json: one overconfident run, ls10 underconfident"
# the overconfidence interval of each run excludes zero
awk 'BEGIN { RS = "\"overconfidence_ci\":\\[" } NR > 1 { split($0, a, /[],]/);
	if (!((a[1] > 0 && a[2] > 0) || (a[1] < 0 && a[2] < 0))) bad = 1 }
	END { exit bad }' "$T/out"
ok $? "every run's overconfidence interval excludes zero"

# --- the same seed reproduces the output byte for byte; another does not
run compare -f json --bootstrap 200 --seed 7 "$H" "$S5"
cp "$T/out" "$T/seed7"
run compare -f json --bootstrap 200 --seed 7 "$H" "$S5"
cmp -s "$T/out" "$T/seed7"
ok $? "fixed seed: identical output"
run compare -f json --bootstrap 200 --seed 8 "$H" "$S5"
! cmp -s "$T/out" "$T/seed7"
ok $? "another seed: different intervals"
run compare -f json --bootstrap 200 --seed 7 --threads 1 "$H" "$S5"
cmp -s "$T/out" "$T/seed7"
ok $? "thread count does not change the output"

# --- rows must pair up
head -n 101 "$H" >"$T/a.csv"
head -n 101 "$S5" | awk -F, 'NR == 18 { $1 = ($1 + 1) % 10 } 1' OFS=, >"$T/b.csv"
run compare "$T/a.csv" "$T/b.csv"
check_status 2 "runs with a differing label"
check_contains "$T/err" "b.csv: row 17 has label" "the differing row is named"
check_contains "$T/err" "same test order" "the message explains the pairing"
head -n 51 "$S5" >"$T/c.csv"
run compare "$T/a.csv" "$T/c.csv"
check_status 2 "runs with different row counts"
check_contains "$T/err" "c.csv: has 50 rows but" "row counts named"
run compare "$H"
check_status 2 "one file is not a comparison"
run compare --names a,b,c "$H" "$S5"
check_status 2 "--names count must match"

# --- groups: mean, standard deviation and Welch interval by hand.
# Labels 0 1 0 1.  Predictions give accuracies A: .5, .75; B: 1, .75.
mk() { # mk FILE PRED1 PRED2 PRED3 PRED4
	f=$1
	shift
	echo "label,p_0,p_1" >"$f"
	y=0
	for p in "$@"; do
		if [ "$p" = 0 ]; then echo "$y,0.8,0.2"; else echo "$y,0.2,0.8"; fi
		y=$((1 - y))
	done >>"$f"
}
mk "$T/a1.csv" 0 1 1 0
mk "$T/a2.csv" 0 1 1 1
mk "$T/b1.csv" 0 1 0 1
mk "$T/b2.csv" 0 1 0 0
run compare -f json --group A="$T/a1.csv,$T/a2.csv" --group B="$T/b1.csv,$T/b2.csv"
check_status 0 "--group"
grp() { # grp NAME FIELD METRIC: a group statistic from the JSON
	sed 's/.*"groups":\[//' "$T/out" | tr '}' '\n' |
		awk -v g="\"name\":\"$1\"" -v f="\"$2\":" -v m="\"$3\":" '
		index($0, g) { on = 1 }
		on && index($0, f) { s = substr($0, index($0, f)); on2 = 1 }
		on2 { t = substr(s, index(s, m) + length(m)); sub(/[,}].*/, "", t); print t; exit }'
}
# mean of A: .625; sd: sqrt(2 * .125^2 / 1) = .1767766952966369
near "$(grp A mean accuracy)" 0.625 1e-12 "group A mean accuracy .625"
near "$(grp A sd accuracy)" 0.17677669529663687 1e-12 "group A sd sqrt(.03125)"
near "$(grp B mean accuracy)" 0.875 1e-12 "group B mean accuracy .875"
# Welch: se = sqrt(.03125/2 + .03125/2); df = .03125^2 / (2 * .015625^2) = 2;
# t(.975, 2) = 4.302652729911275
diffs=$(sed 's/.*"comparisons":\[//' "$T/out" | sed 's/.*"accuracy":{"difference":\([^,]*\),"ci":\[\([^],]*\),\([^]]*\)\].*/\1 \2 \3/')
set -- $diffs
near "$1" 0.25 1e-12 "difference of means .25"
near "$2" "$(awk 'BEGIN { printf "%.17g", .25 - 4.302652729911275 * sqrt(.03125) }')" 1e-9 "Welch lower end"
near "$3" "$(awk 'BEGIN { printf "%.17g", .25 + 4.302652729911275 * sqrt(.03125) }')" 1e-9 "Welch upper end"
run compare --group A="$T/a1.csv,$T/a2.csv" --group B="$T/b1.csv,$T/b2.csv"
check_contains "$T/out" "accuracy: no clear difference between B and A (+25.00 points [-51.06, +101.06], 95 % Welch CI over runs)" "group verdict in text"
check_contains "$T/out" "0.6250 +- 0.1768" "mean +- sd in the table"
run compare --group A="$T/a1.csv" --group B="$T/b1.csv,$T/b2.csv"
check_status 2 "a group needs two runs"
run compare --group A="$T/a1.csv,$T/a2.csv" --group B="$T/b1.csv,$T/c.csv"
check_status 2 "groups must pair up too"

# --- formats and the output directory
run compare -f markdown --bootstrap 100 --names hard,ls05 "$H" "$S5"
check_status 0 "markdown"
check_contains "$T/out" "| metric | hard | ls05 |" "markdown table header"
check_contains "$T/out" "| ls05 | ECE | -7.24 pts |" "markdown verdict rows"
run compare --bootstrap 100 -o "$T/outdir" "$H" "$S5"
check_status 0 "-o DIR"
[ -s "$T/outdir/compare.txt" ] && [ -s "$T/outdir/compare.json" ]
ok $? "compare.txt and compare.json written"
# --- figures: the runs side by side and overlaid, or exit 3 without gnuplot
mkdir "$T/tmp"
if [ "$have_gnuplot" = 1 ]; then
	run compare --bootstrap 50 --names hard,ls05,ls10 --epsilon 0,0.05,0.1 -o "$T/figs" "$H" "$S5" "$S10"
	check_status 0 "figures drawn"
	is_png "$T/figs/reliability.png" && [ "$(png_size "$T/figs/reliability.png")" = "1080 640" ]
	ok $? "reliability.png: a PNG, 330 px per run + 90 wide, 640 high"
	is_png "$T/figs/confidence.png" && [ "$(png_size "$T/figs/confidence.png")" = "760 540" ]
	ok $? "confidence.png: a 760 x 540 PNG"
	run compare --bootstrap 20 --figures svg --size 900x400 -o "$T/svg" "$H" "$S5"
	is_svg "$T/svg/reliability.svg" 900 400 && is_svg "$T/svg/confidence.svg" 900 400
	ok $? "--figures svg --size 900x400"
	run compare --bootstrap 20 --figures pdf -o "$T/pdf" "$H" "$S5"
	is_pdf "$T/pdf/confidence.pdf" 760 540
	ok $? "--figures pdf"
else
	skip "figures drawn" "no gnuplot with cairo terminals"
	skip "reliability.png" "no gnuplot"
	skip "confidence.png" "no gnuplot"
	skip "svg figures" "no gnuplot"
	skip "pdf figures" "no gnuplot"
fi
TMPDIR=$T/tmp run compare --bootstrap 20 --gnuplot /nonexistent/gnuplot -o "$T/nogp" "$H" "$S5"
check_status 3 "without gnuplot: exit 3"
[ -s "$T/nogp/compare.txt" ] && [ -s "$T/nogp/compare.json" ] && [ -s "$T/out" ] &&
	[ ! -e "$T/nogp/reliability.png" ] && [ -s "$T/nogp/reliability.gp" ] &&
	[ -s "$T/nogp/reliability-bins1.csv" ] && [ -s "$T/nogp/confidence-bins2.csv" ]
ok $? "the reports, tables and scripts are still written"
check_contains "$T/err" "cannot run gnuplot '/nonexistent/gnuplot'" "missing gnuplot explained"
run compare --epsilon 0.1,0.2,0.3 "$H" "$S5"
check_status 2 "--epsilon with more values than runs"
run compare --epsilon 2 "$H" "$S5"
check_status 2 "--epsilon outside [0, 1) refused"
check_contains "$T/err" "--epsilon: '2' is not a number in [0, 1)" "the bad value is named"
run compare --figures gif "$H" "$S5"
check_status 2 "--figures gif refused"

# --- before and after recalibration (Mueller et al. 2019, Table 3)
HV=$D/fashion-mnist-ls0.00-val.csv
SV=$D/fashion-mnist-ls0.05-val.csv
run compare -f json --bootstrap 50 --names hard,ls05 --calibrate-on "$HV,$SV" "$H" "$S5"
check_status 0 "--calibrate-on: fitted on each run's validation file"
for nm in hard hard+TS ls05 ls05+TS; do
	grep -q "\"name\":\"$nm\"" "$T/out"
	ok $? "run $nm reported"
done
sed 's/.*"name":"hard+TS"//' "$T/out" | sed 's/"name":"ls05".*//' >"$T/hts"
# the same numbers as fitting with calib fit and evaluating with --calibrate
"$CALIB" fit --method temperature -o "$T/hard.calib" "$HV" 2>/dev/null
run metrics -f json --calibrate "$T/hard.calib" "$H"
for key in ece nll brier accuracy; do
	want=$(json_num "$T/out" $key)
	got=$(tr ',{' '\n\n' <"$T/hts" | sed -n "s/^\"$key\":\(.*\)$/\1/p" | head -1)
	[ -n "$want" ] && [ "$got" = "$want" ]
	ok $? "hard+TS $key equals calib fit + metrics --calibrate ($got)"
done
run compare -f json --bootstrap 50 --names hard,ls05 --calibrate-on "$T/hard.calib,$SV" "$H" "$S5"
check_status 0 "--calibrate-on with a model file for one run"
check_contains "$T/out" "temperature T = " "the map is described"
check_contains "$T/out" "from model $T/hard.calib" "model file named"
run compare --bootstrap 20 --calibrate-on "$HV" "$H" "$S5"
check_status 2 "--calibrate-on needs one file per run"
check_contains "$T/err" "--calibrate-on gives fewer files than there are runs (2)" "count mismatch explained"
run compare --bootstrap 20 --calibrate-on "$HV" --temperature 2 "$H"
check_status 2 "--calibrate-on does not combine with --temperature"
run compare --bootstrap 20 --calibrate-on "$HV" "$H"
check_status 0 "one file with --calibrate-on: before and after"
check_contains "$T/out" "fashion-mnist-ls0.00+TS: temperature T = 1.76864 fitted on $HV" "the fitted temperature is shown"
check_contains "$T/out" "ECE: fashion-mnist-ls0.00+TS is lower by 7.44 points" "temperature scaling lowers the hard run's ECE"

run compare --bootstrap 0 "$H" "$S5"
check_status 0 "--bootstrap 0"
check_contains "$T/out" "(no interval)" "without replicates there is no interval"

# --- --metrics: the rows and verdicts follow the selection
run compare --bootstrap 50 --metrics nll,ece "$H" "$S5"
check_status 0 "compare --metrics nll,ece"
grep -q '^ece ' "$T/out" && grep -q '^nll ' "$T/out" && ! grep -q '^accuracy ' "$T/out"
ok $? "only the selected rows, in table order"
check_contains "$T/out" "  NLL: " "a verdict for NLL"
check_contains "$T/out" "overconfident" "the side line still there"
run check --metrics ece --max nll=5 "$H"
check_status 0 "check computes what its assertions name"

# --- the new estimators in compare and check
run compare --bootstrap 100 --metrics smece,debiased_l2,ace,corp_mcb "$H" "$S5"
check_status 0 "compare with the new estimators"
check_contains "$T/out" "  smooth ECE: " "a verdict for smooth ECE"
check_contains "$T/out" "  ACE: " "a verdict for ACE"
grep -q "smooth ECE: .* \[" "$T/out"
ok $? "with a paired interval"
run compare -f json --bootstrap 50 --metrics smece,tace "$H" "$S5"
check_contains "$T/out" '"smece":{"difference":' "JSON comparison of smece"
run check --max smece=1 --max tace=1 --min calibration_p_value=0 --test-resamples 50 "$H"
check_status 0 "check on new metrics"
run check --min calibration_p_value=0.5 --test-resamples 50 "$H"
check_status 1 "a miscalibrated run fails the calibration test"
check_contains "$T/out" "calibration_p_value" "the failing test named"
run check --bootstrap 50 --max smece=0.001 "$H"
check_status 1 "smece bound on a bootstrap interval"
# --- --reference and --all-pairs
S5=$D/fashion-mnist-ls0.05.csv
S10=$D/fashion-mnist-ls0.10.csv
run compare --bootstrap 200 --names hard,ls05 -f json "$H" "$S5"
cp "$T/out" "$T/fwd.json"
run compare --bootstrap 200 --names hard,ls05 --reference ls05 -f json "$H" "$S5"
check_status 0 "--reference NAME"
cp "$T/out" "$T/rev.json"
if command -v python3 >/dev/null 2>&1; then
	python3 - "$T/fwd.json" "$T/rev.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["comparisons"]
r = json.load(open(sys.argv[2]))["comparisons"]
assert len(f) == 1 and len(r) == 1
assert (f[0]["run"], f[0]["baseline"]) == ("ls05", "hard")
assert (r[0]["run"], r[0]["baseline"]) == ("hard", "ls05")
for k, x in f[0]["metrics"].items():
    y = r[0]["metrics"][k]
    # the same replicates, negated: the difference flips exactly, and the
    # interval's ends swap (interpolating between order statistics may
    # round the other way in the last bit)
    assert y["difference"] == -x["difference"], k
    for a, b in ((y["ci"][0], -x["ci"][1]), (y["ci"][1], -x["ci"][0])):
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (k, a, b)
PY
	ok $? "--reference ls05: hard - ls05 is minus ls05 - hard, interval mirrored"
else
	skip "--reference mirrors the default comparison" "no python3"
fi
run compare --bootstrap 0 --names a,b,c --reference b "$H" "$S5" "$S10"
check_contains "$T/out" "a against b (difference a - b):" "every run against b: a"
check_contains "$T/out" "c against b (difference c - b):" "... and c"
[ "$(grep -c ' against .* (difference' "$T/out")" = 2 ]
ok $? "... and nothing else"
run compare --bootstrap 0 --names a,b,c --all-pairs "$H" "$S5" "$S10"
check_status 0 "--all-pairs"
check_contains "$T/out" "b against a (difference b - a):" "all pairs: b - a"
check_contains "$T/out" "c against a (difference c - a):" "all pairs: c - a"
check_contains "$T/out" "c against b (difference c - b):" "all pairs: c - b"
[ "$(grep -c ' against .* (difference' "$T/out")" = 3 ]
ok $? "three pairs for three runs"
run compare --bootstrap 0 --names a,b,c --all-pairs -f markdown "$H" "$S5" "$S10"
check_contains "$T/out" "| c - b | ECE |" "markdown names both sides of each pair"
run compare --names a,b --reference x "$H" "$S5"
check_status 2 "--reference to an unknown name"
check_contains "$T/err" "--reference: no run is called 'x' (the names are: a, b)" "the names are listed"
run compare --names a,b --reference a --all-pairs "$H" "$S5"
check_status 2 "--reference with --all-pairs"
run compare --group x="$H","$S5" --group y="$S5","$S10" --group z="$H","$S10" \
	--reference y --bootstrap 0
check_contains "$T/out" "x against y (difference of means):" "--reference names a group"
check_contains "$T/out" "z against y (difference of means):" "... every group against it"

# --- --digits and --percent: the metric table only
run compare --bootstrap 0 --names hard,ls05 "$H" "$S5"
grep -Eq '^ece +0\.0862 +0\.0138$' "$T/out"
ok $? "default: 4 decimals (ECE 0.0862, 0.0138)"
run compare --bootstrap 0 --names hard,ls05 --percent "$H" "$S5"
grep -Eq '^ece +8\.62% +1\.38%$' "$T/out" && grep -Eq '^overconfidence +\+8\.53% +-1\.14%$' "$T/out" &&
	grep -Eq '^nll +0\.6099 +0\.5596$' "$T/out"
ok $? "--percent: fractions as percentages, NLL as it was"
run compare --bootstrap 0 --names hard,ls05 --digits 3 -f markdown "$H" "$S5"
check_contains "$T/out" "| ECE | 0.0862 | 0.0138 |" "--digits 3 in markdown"
check_contains "$T/out" "| accuracy | 0.825 | 0.828 |" "... three significant digits"
run compare --bootstrap 0 --names hard,ls05 --digits 0 "$H" "$S5"
check_status 2 "--digits 0"

done_testing
