#!/bin/sh
# bins.sh - calib bins end to end: tables worked out by hand for the
# fixtures (empty bins, exact edges, weights, --class), intervals from
# their formulas, consistency bands against exact binomial quantiles,
# seeded bands reproduced byte for byte, formats and errors.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

# col FILE BIN NAME: the value of column NAME in row BIN of a CSV table
col() {
	awk -F, -v b="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == c) k = i; next } $1 == b { print $k }' "$1"
}
# column FILE NAME: the whole column, one line
column_of() {
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i;
		next } { printf "%s%s", sep, $k; sep = " " } END { print "" }' "$1"
}
# wilson X N: the 95 % Wilson interval, from its formula, as "lo hi"
wilson() {
	awk -v x="$1" -v n="$2" 'BEGIN { z = 1.959963984540054; p = x / n;
		d = 1 + z * z / n; m = (p + z * z / (2 * n)) / d;
		h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
		printf "%.17g %.17g\n", m - h, m + h }'
}

# --- multiclass.csv, M = 5 (see tests/t-metrics.c for the rows):
# bins 1, 2 empty; bin 3 = .5 right, .45 wrong; bin 4 = .7 right;
# bin 5 = .9 right, .85 wrong
run bins --bins 5 -f csv "$DATA/multiclass.csv"
check_status 0 "bins on multiclass.csv"
cp "$T/out" "$T/mc.csv"
[ "$(head -1 "$T/mc.csv")" = "bin,lo,hi,count,weight,conf,acc,gap,acc_lo,acc_hi,band_lo,band_hi,target,binary,temperature,calibrated,nll_clip,sum_tol,renormalized_rows,dropped_rows,scores,format" ]
ok $? "csv header: the table, then the settings on every row"
[ "$(wc -l <"$T/mc.csv")" -eq 6 ]
ok $? "one row per bin, empty bins included"
[ "$(column_of "$T/mc.csv" count)" = "0 0 2 1 2" ]
ok $? "counts 0 0 2 1 2"
[ "$(sed -n 2p "$T/mc.csv")" = "1,0,0.2,0,0,,,,,,,,top-label,,1,0,,0.0001,0,0,probs,csv" ]
ok $? "an empty bin has count 0 and no accuracy, interval or band"
near "$(col "$T/mc.csv" 3 conf)" 0.475 1e-15 "bin 3 conf = (.5 + .45)/2"
near "$(col "$T/mc.csv" 3 acc)" 0.5 0 "bin 3 acc = 1/2"
near "$(col "$T/mc.csv" 3 gap)" 0.025 1e-15 "bin 3 gap = .5 - .475"
near "$(col "$T/mc.csv" 5 conf)" 0.875 1e-15 "bin 5 conf = (.9 + .85)/2"
near "$(col "$T/mc.csv" 5 gap)" -0.375 1e-15 "bin 5 gap = .5 - .875"
near "$(col "$T/mc.csv" 4 lo)" 0.6 0 "bin 4 lower edge .6"
near "$(col "$T/mc.csv" 4 hi)" 0.8 0 "bin 4 upper edge .8"
set -- $(wilson 1 2)
near "$(col "$T/mc.csv" 5 acc_lo)" "$1" 1e-12 "bin 5 Wilson lower end for 1 of 2"
near "$(col "$T/mc.csv" 5 acc_hi)" "$2" 1e-12 "bin 5 Wilson upper end for 1 of 2"
# one row right: the lower end is z^2-free: 1/(1 + z^2)
near "$(col "$T/mc.csv" 4 acc_lo)" "$(awk 'BEGIN { z = 1.959963984540054; printf "%.17g", 1 / (1 + z * z) }')" 1e-12 \
    "bin 4 Wilson lower end for 1 of 1 = 1/(1 + z^2)"
[ "$(col "$T/mc.csv" 4 acc_hi)" = 1 ]
ok $? "bin 4 Wilson upper end for 1 of 1 is exactly 1"
# Bands: bin 5, scores .9 and .85: P(X = 0) = .015 < .025 <= P(X <= 1),
# P(X = 2) = .765 > .025, so [1/2, 1].  bin 3, scores .5 and .45:
# P(X = 0) = .275, P(X = 2) = .225, so [0, 1].
[ "$(col "$T/mc.csv" 5 band_lo),$(col "$T/mc.csv" 5 band_hi)" = "0.5,1" ]
ok $? "bin 5 consistency band [.5, 1]"
[ "$(col "$T/mc.csv" 3 band_lo),$(col "$T/mc.csv" 3 band_hi)" = "0,1" ]
ok $? "bin 3 consistency band [0, 1]"
# At 50 %: bin 5's band is [1, 1] (P(X <= 1) = .235 < .25) and bin 3's
# [0, 1/2] (P(X = 2) = .225 <= .25).
run bins --bins 5 --ci-level 0.5 -f csv "$DATA/multiclass.csv"
[ "$(col "$T/out" 5 band_lo),$(col "$T/out" 5 band_hi)" = "1,1" ] &&
[ "$(col "$T/out" 3 band_lo),$(col "$T/out" 3 band_hi)" = "0,0.5" ]
ok $? "--ci-level 0.5: bands [1, 1] and [0, .5]"

# --- ECE, MCE, OE agree with calib metrics to the last digit
run bins --bins 5 -f json "$DATA/multiclass.csv"
cp "$T/out" "$T/mc.json"
run metrics --bins 5 -f json "$DATA/multiclass.csv"
for k in ece mce oe accuracy; do
	[ -n "$(json_num "$T/out" $k)" ] && [ "$(json_num "$T/mc.json" $k)" = "$(json_num "$T/out" $k)" ]
	ok $? "JSON $k equals calib metrics' $k"
done
near "$(json_num "$T/mc.json" confidence)" 0.68 1e-15 "JSON confidence = 3.4/5"
grep -q '"table":\[{"bin":1,"lo":0,"hi":0.2,"count":0,"weight":0,"conf":null,"acc":null,"gap":null,"acc_lo":null,"acc_hi":null,"band_lo":null,"band_hi":null},' "$T/mc.json"
ok $? "JSON: empty bin written with nulls"
grep -q '"interval":"wilson","level":0.95,"band":"exact","resamples":null,"seed":null' "$T/mc.json"
ok $? "JSON names the interval and band"
[ "$(grep -o '"bin":' "$T/mc.json" | wc -l)" -eq 5 ]
ok $? "JSON: five bins"
if [ -r "$top_srcdir/data/fashion-mnist-ls0.00.csv" ]; then
	run bins -f json "$top_srcdir/data/fashion-mnist-ls0.00.csv"
	cp "$T/out" "$T/f.json"
	run metrics -f json "$top_srcdir/data/fashion-mnist-ls0.00.csv"
	for k in ece mce oe accuracy; do
		[ "$(json_num "$T/f.json" $k)" = "$(json_num "$T/out" $k)" ]
		ok $? "demo run: table's $k = calib metrics' $k ($(json_num "$T/f.json" $k))"
	done
fi

# --- exact bin edges (M = 10, positive class): see tests/metrics.sh
run bins --bins 10 --binary positive -f csv "$DATA/edges.csv"
check_status 0 "edge values"
[ "$(column_of "$T/out" count)" = "1 1 2 0 0 2 3 1 0 1" ]
ok $? "edge values land in bins 1 1 2 0 0 2 3 1 0 1"
near "$(col "$T/out" 7 acc)" "$(awk 'BEGIN { printf "%.17g", 1 / 3 }')" 1e-16 \
    "bin 7: .6000000000000001 (0), .7 (1), .6999999999999998 (0)"
[ "$(col "$T/out" 1 band_lo),$(col "$T/out" 1 band_hi)" = "0,0" ]
ok $? "a score of 0 has the band [0, 0]"
[ "$(col "$T/out" 10 band_lo),$(col "$T/out" 10 band_hi)" = "1,1" ]
ok $? "a score of 1 has the band [1, 1]"

# --- weights: bin 5 holds .9 (right, weight 2) and .85 (wrong, weight 1)
run bins --bins 5 -f csv "$DATA/weighted.csv"
check_status 0 "weighted file"
near "$(col "$T/out" 5 weight)" 3 0 "bin 5 weight 3"
[ "$(col "$T/out" 5 count)" = 2 ]
ok $? "bin 5 count 2 (rows, not weight)"
near "$(col "$T/out" 5 conf)" "$(awk 'BEGIN { printf "%.17g", 2.65 / 3 }')" 1e-15 "bin 5 conf = (2 * .9 + .85)/3"
near "$(col "$T/out" 5 acc)" "$(awk 'BEGIN { printf "%.17g", 2 / 3 }')" 1e-15 "bin 5 acc = 2/3"
# Kish: n_eff = 3^2 / (4 + 1) = 1.8, x = 2/3 * 1.8 = 1.2
set -- $(wilson 1.2 1.8)
near "$(col "$T/out" 5 acc_lo)" "$1" 1e-12 "bin 5 Wilson lower end for 1.2 of 1.8 effective rows"
near "$(col "$T/out" 5 acc_hi)" "$2" 1e-12 "bin 5 Wilson upper end for 1.2 of 1.8 effective rows"
# The resampled band of bin 5: A = (2 O1 + O2)/3 is 0, 1/3, 2/3 or 1 with
# probabilities .015, .085, .135, .765 (distribution function .015, .1,
# .235, 1), so the 95 % band is [1/3, 1]; .025 is 3.7 standard errors of
# 2000 draws away from .015.
[ "$(col "$T/out" 5 band_lo),$(col "$T/out" 5 band_hi)" = "0.3333333333333333,1" ]
ok $? "bin 5 resampled band [1/3, 1]"
run bins --bins 5 -f json "$DATA/weighted.csv"
grep -q '"band":"resample","resamples":2000,"seed":1' "$T/out"
ok $? "unequal weights: resampled band, 2000 draws, seed 1 reported"
run bins --bins 5 --band exact "$DATA/weighted.csv"
check_status 2 "--band exact with unequal weights refused"
check_contains "$T/err" "the exact consistency band needs equal weights" "and says why"

# --- one-vs-rest for class 2: scores .05 .05 .2 .2 .1, only row 4 is
# class 2: bin 1 = .05 .05 .1, none of them; bin 2 = .2 .2, one of them
run bins --bins 5 --class 2 -f csv "$DATA/multiclass.csv"
check_status 0 "--class 2"
[ "$(column_of "$T/out" count)" = "3 2 0 0 0" ]
ok $? "--class 2: counts 3 2 0 0 0"
near "$(col "$T/out" 1 conf)" "$(awk 'BEGIN { printf "%.17g", .2 / 3 }')" 1e-15 "--class 2: bin 1 conf = .2/3"
near "$(col "$T/out" 1 acc)" 0 0 "--class 2: bin 1 frequency 0"
near "$(col "$T/out" 2 acc)" 0.5 0 "--class 2: bin 2 frequency 1/2"
# bin 1: P(X >= 2) = .05*.05*.9 + 2*.05*.95*.1 + .05*.05*.1 = .012 <= .025
# and P(X >= 1) = .18775 > .025, so the band is [0, 1/3]
near "$(col "$T/out" 1 band_hi)" "$(awk 'BEGIN { printf "%.17g", 1 / 3 }')" 1e-16 "--class 2: bin 1 band ends at 1/3"
run bins --bins 5 --class 2 "$DATA/multiclass.csv"
check_contains "$T/out" "class 2 ('2') vs rest" "text output names the class"
run bins --class 3 "$DATA/multiclass.csv"
check_status 2 "--class 3 of a 3-class file refused"
check_contains "$T/err" "class 3 does not exist" "and says why"
run bins --class 1 --binary positive "$DATA/binary.csv"
check_status 2 "--class with --binary positive refused"

# --- the band against the binomial: 20 rows at p = .7 (M = 10: the double
# .7 lies below 7/10, so bin 7).  Binomial(20, .7): F(9) = .0171 < .025 <=
# F(10) = .0480 and F(17) = .9645 < .975 <= F(18) = .9924: [10/20, 18/20].
{ echo label,p; i=0; while [ $i -lt 20 ]; do
	if [ $i -lt 13 ]; then echo 1,0.7; else echo 0,0.7; fi; i=$((i + 1)); done; } >"$T/p07.csv"
run bins --bins 10 --binary positive -f csv "$T/p07.csv"
[ "$(col "$T/out" 7 count),$(col "$T/out" 7 band_lo),$(col "$T/out" 7 band_hi)" = "20,0.5,0.9" ]
ok $? "20 rows at .7: band [.5, .9] = binomial(20, .7) quantiles"
# the same from the binomial distribution computed here
want=$(awk 'BEGIN { n = 20; p = .7; c = 0;
	for (x = 0; x <= n; x++) { f = 1; for (j = 1; j <= x; j++) f *= (n - j + 1) / j;
		c += f * p^x * (1 - p)^(n - x);
		if (lo == "" && c >= .025) lo = x / n; if (hi == "" && c >= .975) hi = x / n }
	print lo "," hi }')
[ "$(col "$T/out" 7 band_lo),$(col "$T/out" 7 band_hi)" = "$want" ]
ok $? "and equal to quantiles of the binomial summed in awk ($want)"
# Clopper-Pearson for 13 of 20: P(X >= 13 | lo) = .025 = P(X <= 13 | hi)
run bins --bins 10 --binary positive --ci clopper-pearson -f csv "$T/p07.csv"
tail_p() { awk -v q="$1" -v from="$2" -v to="$3" 'BEGIN { n = 20; s = 0;
	for (x = from; x <= to; x++) { f = 1; for (j = 1; j <= x; j++) f *= (n - j + 1) / j;
		s += f * q^x * (1 - q)^(n - x) } printf "%.17g", s }'; }
near "$(tail_p "$(col "$T/out" 7 acc_lo)" 13 20)" 0.025 1e-9 "Clopper-Pearson 13/20: P(X >= 13 | lower end) = .025"
near "$(tail_p "$(col "$T/out" 7 acc_hi)" 0 13)" 0.025 1e-9 "Clopper-Pearson 13/20: P(X <= 13 | upper end) = .025"

# --- seeded resampling: the same file and seed give the same bytes
run bins --band resample --resamples 500 -f csv "$DATA/weighted.csv"
cp "$T/out" "$T/r1"
run bins --band resample --resamples 500 -f csv "$DATA/weighted.csv"
cmp -s "$T/r1" "$T/out"
ok $? "resampled band: byte-identical on a second run"
run bins --band resample --resamples 500 --seed 1 --threads 1 -f csv "$DATA/weighted.csv"
cmp -s "$T/r1" "$T/out"
ok $? "resampled band: --seed 1 is the default, any thread count"
run bins --band resample --resamples 3000 --seed 77 -f json "$DATA/weighted.csv"
check_contains "$T/out" '"resamples":3000,"seed":77' "--seed and --resamples reported"
# Resampled against exact on a real file: every band edge within two
# counts (Monte Carlo error of the quantiles at 4000 draws is far less).
if [ -r "$top_srcdir/data/fashion-mnist-ls0.00.csv" ]; then
	run bins -f csv "$top_srcdir/data/fashion-mnist-ls0.00.csv"
	cp "$T/out" "$T/exact.csv"
	run bins -f csv --band resample --resamples 4000 --seed 3 "$top_srcdir/data/fashion-mnist-ls0.00.csv"
	paste -d, "$T/exact.csv" "$T/out" | awk -F, 'NR > 1 && $4 > 0 {
		for (i = 11; i <= 12; i++) { d = ($i - $(i + 22)) * $4; if (d < 0) d = -d;
			if (d > worst) worst = d } }
		END { print "# worst difference " worst " counts"; exit !(worst <= 2) }'
	ok $? "demo run: resampled band within 2 counts of the exact band"
fi

# --- formats
run bins --bins 5 "$DATA/multiclass.csv"
check_contains "$T/out" "# 5 equal-width bins ((m-1)/M, m/M], temperature 1" "text: binning echoed"
check_contains "$T/out" "95% Wilson score interval" "text: interval named"
check_contains "$T/out" "95% consistency band, exact (Poisson-binomial)" "text: band named"
grep -q '^   1  0.000000  0.200000        0          0         -         -' "$T/out"
ok $? "text: empty bin shown with dashes"
run bins --bins 5 -f tsv "$DATA/multiclass.csv"
head -1 "$T/out" | grep -q "$(printf 'bin\tlo\thi\tcount')"
ok $? "tsv header is tab-separated"
tr '\t' , <"$T/out" | cmp -s - "$T/mc.csv"
ok $? "tsv = csv with tabs"
run bins --bins 5 --ci clopper-pearson -f json "$DATA/multiclass.csv"
check_contains "$T/out" '"interval":"clopper-pearson"' "--ci clopper-pearson reported"
run bins --bins 5 --band none -f csv "$DATA/multiclass.csv"
[ "$(column_of "$T/out" band_lo)" = "    " ]
ok $? "--band none leaves the band empty"
run bins --binning mass --bins 2 -f json "$DATA/multiclass.csv"
check_contains "$T/out" '"bins":2,"binning":"mass"' "equal-mass binning"
near "$(json_num "$T/out" ece)" 0.1 1e-15 "equal-mass ECE, M = 2: .5/5"
run bins --temperature 2 -f json "$DATA/logits.csv"
check_contains "$T/out" '"temperature":2' "--temperature reported"

# --- output file, atomically
run bins --bins 5 -f csv -o "$T/table.csv" "$DATA/multiclass.csv"
check_status 0 "-o FILE"
cmp -s "$T/table.csv" "$T/mc.csv"
ok $? "-o writes the same table"
printf 'label,p_0,p_1\n0,0.5,x\n' >"$T/bad.csv"
run bins -o "$T/never.csv" "$T/bad.csv"
check_status 2 "bad input"
check_contains "$T/err" "bad.csv:2:3 (column 'p_1'): 'x': expected a decimal number" "bad input: file, line, column"
[ ! -e "$T/never.csv" ] && [ -z "$(ls -A "$T" | grep calib-tmp)" ]
ok $? "bad input: nothing written"

# --- usage errors
run bins --ci agresti "$DATA/multiclass.csv"
check_status 2 "--ci agresti refused"
run bins --ci-level 1 "$DATA/multiclass.csv"
check_status 2 "--ci-level 1 refused"
check_contains "$T/err" "strictly between 0 and 1" "and says why"
run bins --seed -1 "$DATA/multiclass.csv"
check_status 2 "--seed -1 refused"
run bins --resamples 0 "$DATA/multiclass.csv"
check_status 2 "--resamples 0 refused"
run bins --band maybe "$DATA/multiclass.csv"
check_status 2 "--band maybe refused"
run bins --nll-clip 0.1 "$DATA/multiclass.csv"
check_status 2 "--nll-clip is not a bins option"
run bins "$DATA/multiclass.csv" "$DATA/binary.csv"
check_status 2 "two files refused"
check_contains "$T/err" "one prediction file at a time" "and says why"
run bins
check_status 2 "no file"
run help bins
check_contains "$T/out" "Usage: calib bins" "help bins"

# --- --smooth: the smoothed reliability curve of the smooth ECE
run bins --smooth --points 5 -f csv "$DATA/multiclass.csv"
check_status 0 "bins --smooth"
[ "$(head -n 1 "$T/out")" = "t,acc,conf,density" ] && [ "$(wc -l <"$T/out")" -eq 6 ]
ok $? "csv: t, acc, conf, density at 5 points"
run metrics --metrics smece -f json "$DATA/multiclass.csv"
sm=$(json_num "$T/out" smece)
run bins --smooth -f json "$DATA/multiclass.csv"
near "$(json_num "$T/out" smece)" "$sm" 0 "the curve's smece is the metric's"
run bins --smooth --smece-sigma 0.1 "$DATA/multiclass.csv"
check_contains "$T/out" "sigma 0.1" "a fixed sigma is used and said"
run bins --smooth --smece-sigma 2 "$DATA/multiclass.csv"
check_status 2 "sigma above 1 refused"

# --- --corp: the PAV blocks and the decomposition
run bins --corp -f json "$DATA/binary.csv"
check_status 0 "bins --corp"
b=$(json_num "$T/out" brier); m=$(json_num "$T/out" mcb); d=$(json_num "$T/out" dsc); u=$(json_num "$T/out" unc)
near "$(awk -v m="$m" -v d="$d" -v u="$u" 'BEGIN { printf "%.17g", m - d + u }')" "$b" 1e-15 "Brier = MCB - DSC + UNC"
run metrics --metrics brier_top_label,corp_mcb -f json "$DATA/binary.csv"
near "$(json_num "$T/out" brier_top_label)" "$b" 1e-15 "CORP's Brier is the top-label Brier"
near "$(json_num "$T/out" corp_mcb)" "$m" 0 "the metric is the table's MCB"
run bins --corp -f csv "$DATA/binary.csv"
[ "$(head -n 1 "$T/out")" = "lo,hi,count,weight,cep" ]
ok $? "csv columns of the CORP table"
run bins --corp --smooth "$DATA/binary.csv"
check_status 2 "one curve at a time"

done_testing
