#!/bin/sh
# metrics.sh - calib metrics end to end: values worked out by hand for the
# fixtures in tests/data, every output format, stdin, gzip, options.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

# --- the 5-row multiclass example (see tests/t-metrics.c for the
# arithmetic): M = 5
run metrics --bins 5 -f json "$DATA/multiclass.csv"
check_status 0 "metrics on multiclass.csv"
near "$(json_num "$T/out" ece)" 0.22 1e-15 "ECE = 1.1/5"
near "$(json_num "$T/out" mce)" 0.375 1e-15 "MCE = .375"
near "$(json_num "$T/out" oe)" 0.13125 1e-15 "OE = .13125"
near "$(json_num "$T/out" classwise_ece)" 0.3 1e-15 "classwise ECE = .3"
near "$(json_num "$T/out" brier)" 0.607 1e-15 "Brier = 3.035/5"
near "$(json_num "$T/out" accuracy)" 0.6 1e-15 "accuracy = 3/5"
keys=$(tr ',' '\n' <"$T/out" | sed -n 's/^{*"\([a-z_0-9]*\)":.*/\1/p' | tr '\n' ' ')
[ "$keys" = "file n classes bins binning convention accuracy mean_confidence overconfidence ece mce rmsce classwise_ece oe nll brier brier_per_class entropy uce brier_top_label version target binary temperature calibrated nll_clip sum_tol renormalized_rows dropped_rows scores format " ]
ok $? "JSON has exactly the documented keys in order"
[ "$(wc -l <"$T/out")" -eq 1 ]
ok $? "one JSON line per file"

# --- labels by class name, tab delimiter detected, prob_ prefix
run metrics --bins 5 -f json "$DATA/named.tsv"
check_status 0 "labels by name in a tab-separated file"
near "$(json_num "$T/out" ece)" 0.22 1e-15 "same ECE as with indices"

# --- weights: weight 2 on row 1 equals repeating it: ECE = 1/6
run metrics --bins 5 -f json "$DATA/weighted.csv"
check_status 0 "weighted file"
near "$(json_num "$T/out" ece)" 0.16666666666666667 1e-15 "weighted ECE = 1/6"
near "$(json_num "$T/out" accuracy)" 0.66666666666666667 1e-15 "weighted accuracy = 4/6"

# --- binary, both meanings (M = 4; dyadic p keeps 1 - p exact)
run metrics --bins 4 "$DATA/binary.csv"
check_status 0 "binary file, default meaning"
check_contains "$T/out" "binary top-label" "text output says top-label was used"
run metrics --bins 4 -f json "$DATA/binary.csv"
near "$(json_num "$T/out" ece)" 0.175 1e-15 "binary top-label ECE = .875/5"
run metrics --bins 4 --binary positive "$DATA/binary.csv"
check_contains "$T/out" "binary positive" "text output says positive was used"
run metrics --bins 4 --binary positive -f json "$DATA/binary.csv"
near "$(json_num "$T/out" ece)" 0.225 1e-15 "binary positive-class ECE = 1.125/5"
run metrics --binary positive "$DATA/multiclass.csv"
check_status 2 "--binary positive on a 3-class file"
check_contains "$T/err" "needs a 2-class file" "message says why"

# --- exact bin edges: 0.2, 0.6, 0.7 and their neighbouring doubles, M = 10
# bins: 2: {.19999999999999998/0} 3: {.2/1 .20000000000000004/0}
# 6: {.6/1 .5999999999999999/1} 7: {.6000000000000001/0 .7/1
# .6999999999999998/0} 8: {.7000000000000001/1} 1: {0/0} 10: {1/1}
# sum |O - S| = .2 + .6 + .8 + 1.0 + .3 = 2.9 over 11 rows
run metrics --bins 10 --binary positive -f json "$DATA/edges.csv"
check_status 0 "edge values"
near "$(json_num "$T/out" ece)" 0.26363636363636364 1e-15 "ECE with exact edges = 2.9/11"
near "$(json_num "$T/out" mce)" 0.4 1e-15 "MCE with exact edges = |1 - .6|"

# --- ties: warned, lowest index wins
run metrics "$DATA/tie.csv"
check_status 0 "tied row accepted"
check_contains "$T/err" "1 row has a maximum score shared by several classes" "tie warned"

# --- logits: softmax, huge logits, NLL from logits
run metrics -f json "$DATA/logits.csv"
check_status 0 "logit file"
# rows: softmax(2.5,.5,-1)[0]; softmax(0,1,3)[2]; logit 1000 -> conf 1 wrong
want=$(awk 'BEGIN { a = exp(2.5); b = exp(.5); c = exp(-1); s = a + b + c;
	d = exp(0) + exp(1) + exp(3);
	printf "%.17g", (-log(a / s) - log(exp(3) / d) + 1000) / 3 }')
near "$(json_num "$T/out" nll)" "$want" 1e-12 "NLL from logits, row 3 contributes 1000"
run metrics -f json --temperature 2 "$DATA/logits.csv"
want=$(awk 'BEGIN { a = exp(1.25); b = exp(.25); c = exp(-.5);
	printf "%.17g", (a / (a + b + c) + exp(1.5) / (1 + exp(.5) + exp(1.5)) + 1) / 3 }')
near "$(json_num "$T/out" mean_confidence)" "$want" 1e-15 "--temperature 2 halves the logits"
# A temperature so small that a logit overflows to infinity: the softmax
# must not compute inf - inf.  Every row then has confidence 1, two right.
run metrics -f json --temperature 1e-306 "$DATA/logits.csv"
check_status 0 "tiny temperature"
near "$(json_num "$T/out" ece)" 0.33333333333333333 1e-15 "tiny temperature: ECE 1/3, no NaN"

# --- formats
run metrics --bins 5 -f csv "$DATA/multiclass.csv" "$DATA/binary.csv"
check_status 0 "csv format"
[ "$(head -1 "$T/out")" = "file,n,classes,bins,binning,accuracy,mean_confidence,overconfidence,ece,mce,rmsce,classwise_ece,oe,nll,brier,brier_per_class,entropy,uce,brier_top_label,version,target,binary,temperature,calibrated,nll_clip,sum_tol,renormalized_rows,dropped_rows,scores,format" ]
ok $? "csv header"
[ "$(wc -l <"$T/out")" -eq 3 ]
ok $? "csv: header and one row per file"
run metrics -f tsv "$DATA/multiclass.csv"
head -1 "$T/out" | grep -q "$(printf 'file\tn\tclasses')"
ok $? "tsv header is tab-separated"
run metrics -f markdown "$DATA/multiclass.csv" "$DATA/binary.csv"
check_status 0 "markdown format"
check_contains "$T/out" "| metric |" "markdown table header"
check_contains "$T/out" "|---|---:|---:|" "markdown alignment row, one column per file"
run metrics --norm l2 "$DATA/multiclass.csv"
grep -q '^rmsce' "$T/out" && ! grep -q '^ece ' "$T/out" && ! grep -q '^mce ' "$T/out"
ok $? "--norm l2 shows only RMSCE"
run metrics -f yaml "$DATA/multiclass.csv"
check_status 2 "unknown format refused"

# --- text: settings echoed
run metrics "$DATA/multiclass.csv"
check_contains "$T/out" "# 15 equal-width bins ((m-1)/M, m/M], temperature 1, NLL unclipped" "settings echoed"
check_contains "$T/out" "top-label" "target echoed"

# --- stdin and gzip give the same numbers
run metrics -f json "$DATA/multiclass.csv"
sed 's/"file":"[^"]*"//' "$T/out" >"$T/a"
rc=0; "$CALIB" metrics -f json - <"$DATA/multiclass.csv" >"$T/out" 2>"$T/err" || rc=$?
check_status 0 "reading standard input"
sed 's/"file":"[^"]*"//' "$T/out" >"$T/b"
cmp -s "$T/a" "$T/b"
ok $? "stdin gives the same metrics"
gzip -c "$DATA/multiclass.csv" >"$T/m.gz"
cp "$T/m.gz" "$T/m.txt"
run metrics -f json "$T/m.txt"
check_status 0 "gzip detected by content, not by name"
sed 's/"file":"[^"]*"//' "$T/out" >"$T/c"
cmp -s "$T/a" "$T/c"
ok $? "gzip gives the same metrics"

# --- equal-mass binning reports the bins used
run metrics --binning mass --bins 2 -f json "$DATA/multiclass.csv"
check_status 0 "equal-mass binning"
near "$(json_num "$T/out" ece)" 0.1 1e-15 "equal-mass ECE, M = 2: .5/5"
[ "$(json_num "$T/out" bins)" = 2 ]
ok $? "bins used reported"

# --- NLL: infinite is null in JSON with a warning; --nll-clip bounds it
printf 'label,p_0,p_1\n0,0,1\n1,0.2,0.8\n' >"$T/zero.csv"
run metrics -f json "$T/zero.csv"
check_status 0 "zero true-class probability accepted"
[ "$(json_num "$T/out" nll)" = null ]
ok $? "infinite NLL written as null"
check_contains "$T/err" "NLL is infinite: 1 row gives probability 0" "infinite NLL warned"
run metrics -f json --nll-clip 1e-15 "$T/zero.csv"
want=$(awk 'BEGIN { printf "%.17g", (-log(1e-15) - log(0.8)) / 2 }')
near "$(json_num "$T/out" nll)" "$want" 1e-12 "clipped NLL"

# --- renormalize: refused by default, counted when asked
printf 'label,p_0,p_1\n0,0.5,0.4\n1,0.2,0.8\n' >"$T/sum.csv"
run metrics "$T/sum.csv"
check_status 2 "row summing to .9 refused"
run metrics --renormalize -f json "$T/sum.csv"
check_status 0 "accepted with --renormalize"
check_contains "$T/err" "1 row did not sum to 1" "renormalized rows counted"
near "$(json_num "$T/out" mean_confidence)" "$(awk 'BEGIN { printf "%.17g", (0.5/0.9 + 0.8) / 2 }')" 1e-15 "renormalized confidence"

# --- thread count does not change a single byte
run metrics -f json --threads 1 "$DATA/multiclass.csv" "$DATA/logits.csv"
cp "$T/out" "$T/t1"
run metrics -f json --threads 2 "$DATA/multiclass.csv" "$DATA/logits.csv"
cmp -s "$T/t1" "$T/out"
ok $? "--threads 1 and 2 give identical output"

# --- -o writes a file; a failed run leaves nothing behind
run metrics -f json -o "$T/result.json" "$DATA/multiclass.csv"
check_status 0 "-o FILE"
[ -s "$T/result.json" ] && [ ! -s "$T/out" ]
ok $? "output went to the file, not stdout"
run metrics -f json -o "$T/never.json" "$T/sum.csv"
[ ! -e "$T/never.json" ] && [ -z "$(ls -A "$T" | grep calib-tmp)" ]
ok $? "a failed run writes no output and no temporary file"
run metrics -o "$T/no/such/dir/x.json" "$DATA/multiclass.csv"
check_status 2 "unwritable output"
check_contains "$T/err" "cannot write" "unwritable output explained"

# --- help, version, unknown commands
run --version
check_status 0 "--version"
check_contains "$T/out" "calib 0." "version printed"
run --help
check_status 0 "--help"
check_contains "$T/out" "metrics" "help lists metrics"
run help metrics
check_status 0 "help metrics"
check_contains "$T/out" "Usage: calib metrics" "help metrics shows its usage"
run metrics --help
check_contains "$T/out" "--nll-clip" "metrics --help documents options"
run frobnicate
check_status 2 "unknown command"
check_contains "$T/err" "'frobnicate' is not a calib command" "unknown command named"
run metrics --bins 0 "$DATA/multiclass.csv"
check_status 2 "--bins 0 refused"
check_contains "$T/err" "--bins: '0' is not a whole number" "bad --bins explained"
run metrics --temperature -1 "$DATA/multiclass.csv"
check_status 2 "negative temperature refused"
run metrics
check_status 2 "no file"
check_contains "$T/err" "no prediction file given" "missing file explained"

# --- --metrics: only the metrics asked for, in table order
run metrics --bins 5 --metrics nll,ece -f json "$DATA/multiclass.csv"
check_status 0 "--metrics nll,ece"
keys=$(tr ',' '\n' <"$T/out" | sed -n 's/^{*"\([a-z_0-9]*\)":.*/\1/p' | tr '\n' ' ')
[ "$keys" = "file n classes bins binning convention ece nll version target binary temperature calibrated nll_clip sum_tol renormalized_rows dropped_rows scores format " ]
ok $? "JSON holds only the metrics asked for, in table order"
near "$(json_num "$T/out" ece)" 0.22 1e-15 "selected ECE = 1.1/5"
run metrics --bins 5 --metrics ece -f csv "$DATA/multiclass.csv"
[ "$(head -n 1 "$T/out")" = "file,n,classes,bins,binning,ece,version,target,binary,temperature,calibrated,nll_clip,sum_tol,renormalized_rows,dropped_rows,scores,format" ]
ok $? "csv columns follow the selection"
run metrics --bins 5 --metrics ece,oe "$DATA/multiclass.csv"
grep -q '^ece ' "$T/out" && grep -q '^oe ' "$T/out" && ! grep -q '^nll ' "$T/out"
ok $? "text rows follow the selection"
run metrics --metrics ece,bogus "$DATA/multiclass.csv"
check_status 2 "unknown metric refused"
check_contains "$T/err" "unknown metric 'bogus'" "unknown metric named"
run metrics --metrics all -f json "$DATA/multiclass.csv"
check_status 0 "--metrics all"
n=$("$CALIB" metrics --list | grep -vc '^#')
keys=$(tr ',' '\n' <"$T/out" | sed -n 's/^{*"\([a-z_0-9]*\)":.*/\1/p' | wc -l)
[ "$keys" -eq $((n + 7 + 10)) ]
ok $? "--metrics all reports every metric of --list ($n)"
run metrics --list
check_status 0 "--list"
check_contains "$T/out" "classwise_ece" "--list names the metrics"

# --- --bootstrap: an interval for every metric, in every format
run metrics --bootstrap 200 --seed 3 -f json \
    --metrics default,smece,debiased_l2 "$DATA/multiclass.csv"
check_status 0 "metrics --bootstrap"
for k in ece nll smece debiased_l2; do
	lo=$(json_num "$T/out" ${k}_lo); hi=$(json_num "$T/out" ${k}_hi)
	awk -v a="$lo" -v b="$hi" 'BEGIN { exit !(a != "" && b != "" && a + 0 <= b + 0) }'
	ok $? "JSON has ${k}_lo <= ${k}_hi ($lo, $hi)"
done
cp "$T/out" "$T/boot1"
run metrics --bootstrap 200 --seed 3 --threads 1 -f json \
    --metrics default,smece,debiased_l2 "$DATA/multiclass.csv"
cmp -s "$T/out" "$T/boot1"
ok $? "the same seed gives the same intervals with one thread"
run metrics --bootstrap 200 --seed 4 -f json \
    --metrics default,smece,debiased_l2 "$DATA/multiclass.csv"
! cmp -s "$T/out" "$T/boot1"
ok $? "another seed, other intervals"
run metrics --bootstrap 100 -f csv --metrics ece,nll "$DATA/multiclass.csv"
[ "$(head -n 1 "$T/out")" = "file,n,classes,bins,binning,ece,ece_lo,ece_hi,nll,nll_lo,nll_hi,version,target,binary,temperature,calibrated,nll_clip,sum_tol,renormalized_rows,dropped_rows,scores,format" ]
ok $? "csv: NAME, NAME_lo, NAME_hi"
run metrics --bootstrap 100 --metrics ece "$DATA/multiclass.csv"
grep -Eq '^ece +[0-9.]+ \[[0-9.]+, [0-9.]+\]' "$T/out"
ok $? "text: value [lo, hi]"
run metrics --bootstrap 100 --metrics ece -f markdown "$DATA/multiclass.csv"
grep -Eq '^\| ece \| [0-9.]+ \[[0-9.]+, [0-9.]+\]' "$T/out"
ok $? "markdown: value [lo, hi]"
# A bin whose accuracy equals its confidence exactly (ECE 0): on resamples
# the accuracy moves and the binned ECE can only grow, so the point lies
# below its own interval - the footnote says why.
awk 'BEGIN { print "label,p_0,p_1"; for (i = 0; i < 1000; i++) {
	if (i % 2) { p = "0.55,0.45"; y = (i % 20 < 11) ? 0 : 1 }
	else { p = "0.35,0.65"; y = (i % 20 < 13) ? 1 : 0 }
	print y "," p } }' >"$T/exact.csv"
run metrics --bins 1 --metrics ece,overconfidence -f json "$T/exact.csv"
near "$(json_num "$T/out" ece)" 0 1e-12 "fixture: ECE 0 in one bin"
run metrics --bins 1 --bootstrap 200 --metrics ece,overconfidence "$T/exact.csv"
check_contains "$T/out" "lies outside its own bootstrap interval" "footnote for a point outside its interval"
grep -Eq '^ece .*\]\*' "$T/out"
ok $? "the point is starred"
! grep -Eq '^overconfidence .*\]\*' "$T/out"
ok $? "an unbiased mean is not starred"
run metrics --bins 1 --bootstrap 200 --metrics ece -f json "$T/exact.csv"
check_contains "$T/out" '"outside_interval":["ece"]' "JSON lists it"
run metrics --bootstrap -1 "$DATA/multiclass.csv"
check_status 2 "negative --bootstrap refused"
# --- headings, --digits, --percent (text and markdown only)
M3=$top_srcdir/tests/data/multiclass.csv
run metrics "$M3"
sed -n 2p "$T/out" | grep -Eq '^ +multiclass$'
ok $? "text heading: the file stem, not the path"
run metrics -f markdown "$M3"
head -1 "$T/out" | grep -qx '| metric | multiclass |'
ok $? "markdown heading: the file stem"
mkdir -p "$T/stem1" "$T/stem2"
cp "$M3" "$T/stem1/run.csv"
gzip -c "$M3" >"$T/stem2/run.csv.gz"
run metrics -f markdown "$T/stem1/run.csv" "$T/stem2/run.csv.gz"
head -1 "$T/out" | grep -qxF "| metric | $T/stem1/run.csv | $T/stem2/run.csv.gz |"
ok $? "two files with one stem: the paths as given"
run metrics -f json "$M3"
check_contains "$T/out" "\"file\":\"$M3\"" "JSON keeps the full name"
# rmsce = 0.50497525 (8 digits, the default); ece 0.44, accuracy 0.6
run metrics --digits 3 "$M3"
grep -Eq '^rmsce +0\.505$' "$T/out"
ok $? "--digits 3: rmsce 0.505"
run metrics --digits 3 --percent "$M3"
grep -Eq '^rmsce +50\.5%$' "$T/out" && grep -Eq '^ece +44%$' "$T/out" &&
	grep -Eq '^accuracy +60%$' "$T/out" && grep -Eq '^nll +1\.01$' "$T/out"
ok $? "--percent: fractions as percentages, NLL in nats"
run metrics --percent -f markdown "$M3"
check_contains "$T/out" "| ece | 44% |" "--percent in markdown"
run metrics --percent -f json "$M3"
check_contains "$T/out" '"ece":0.44' "--percent leaves JSON alone"
run metrics --digits 0 "$M3"
check_status 2 "--digits 0"
run metrics --digits 18 "$M3"
check_status 2 "--digits 18"

# The classwise estimators (classes spread over threads) and the
# calibration test (replicates over threads) give the same bytes for any
# --threads, weighted or not, with ties and equal-mass bins.
awk 'BEGIN { srand(11); printf "label,weight"
	for (j = 0; j < 12; j++) printf ",p_%d", j
	printf "\n"
	for (i = 0; i < 3000; i++) { s = 0
		for (j = 0; j < 12; j++) { e[j] = int(rand() * 20) + 1; s += e[j] }
		printf "%d,%g", int(rand() * 12), i % 7 ? 1 + (i % 3) : 0
		for (j = 0; j < 12; j++) printf ",%.17g", e[j] / s
		printf "\n" } }' >"$T/cw.csv"
cut -d, -f1,3- "$T/cw.csv" >"$T/cw-plain.csv"
L=classwise_ece,classwise_debiased_l2,ace,tace,calibration_p_value
for f in cw cw-plain; do
	for bn in width mass; do
		run metrics -f json --binning $bn --metrics $L --threads 1 \
		    --test-resamples 300 "$T/$f.csv"
		cp "$T/out" "$T/t1"
		same=1
		for th in 2 3 8; do
			run metrics -f json --binning $bn --metrics $L \
			    --threads $th --test-resamples 300 "$T/$f.csv"
			cmp -s "$T/out" "$T/t1" || same=0
		done
		grep -q '"ace":0\.[0-9]' "$T/t1" && [ $same -eq 1 ]
		ok $? "$f, $bn bins: classwise estimators and calibration test identical on 1, 2, 3 and 8 threads"
	done
done

# A read builds only what the selected metrics use (no per-row NLL, Brier
# and entropy for the sorted estimators, no top-label pass when no metric
# needs it): each metric alone, and a few sets, give the bytes of
# --metrics all, header included, weighted or not, probabilities or
# logits, both binnings, 1 and 3 threads.
names=$("$CALIB" metrics --list | grep -v '^#' | cut -d' ' -f1)
cp "$DATA/logits.csv" "$T/lg.csv"
# same_key KEY: $T/out holds KEY, with the value $T/all has
same_key() {
	[ -n "$(json_num "$T/out" "$1")" ] &&
	    [ "$(json_num "$T/out" "$1")" = "$(json_num "$T/all" "$1")" ]
}
for f in cw cw-plain lg; do
	for bn in width mass; do
		for th in 1 3; do
			o="-f json --binning $bn --threads $th"
			o="$o --test-resamples 300"
			run metrics $o --metrics all "$T/$f.csv"
			cp "$T/out" "$T/all"
			bad=
			for m in $names; do
				run metrics $o --metrics "$m" "$T/$f.csv"
				[ "$rc" -eq 0 ] && same_key "$m" &&
				    same_key n && same_key bins || bad="$bad $m"
			done
			for set in ace,tace,classwise_debiased_l2 ace,nll \
			    skce,entropy,smece brier_per_class,classwise_ece; do
				run metrics $o --metrics "$set" "$T/$f.csv"
				for m in $(echo "$set" | tr ',' ' ') n bins; do
					same_key "$m" || bad="$bad $set:$m"
				done
			done
			d="$f, $bn bins, $th threads: each metric alone and in"
			[ -z "$bad" ]
			ok $? "$d sets as in --metrics all"
			[ -z "$bad" ] || diag "differ:$bad"
		done
	done
done

done_testing
