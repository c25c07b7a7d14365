#!/bin/sh
# conventions.sh - --convention reproduces each library's number (against
# the numpy restatements in tests/conv-ref.py), calib explain lists exactly
# the rows worked out by hand below, and a convention used in one run never
# changes calib's default output.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

# ---- calib explain on tests/data/explain.csv, 10 bins, checked by hand --
#
# Top-label confidences (the larger of the two columns):
#   row 1  0.65                    inside bin 7 for every rule
#   row 2  0.7 = 0.69999999999999995559...  the double 7/10 itself, so in
#          (0.6, 0.7] = bin 7 for calib, kumar (i/M edges, (lo,hi]) and
#          sklearn (linspace edge 7*0.1 = 0.70000000000000006661 is above
#          it), netcal ([lo,hi) below that edge) and relplot (0.7/0.1 =
#          6.9999... -> 6); but float(0.7) = 0.69999998807907104 equals
#          torch's float32 edge 1 - 3*0.1f, and tfp's float 10*0.7f
#          rounds to 7.0: bin 8 for torchmetrics and tfp
#   row 3  1.0     extra bin 11 for torchmetrics and relplot (1/0.1 = 10),
#          bin 10 for the others (netcal clips to 1 - 2^-52, tfp clips
#          the index)
#   row 4  0.6000000000000001 = 6*0.1, numpy's linspace edge 6: sklearn's
#          (lo,hi] puts it in bin 6; every other rule in bin 7 (torch's
#          edge 1 - 4*0.1f rounds, half to even, to float(0.6))
#   row 5  0.75                    bin 8 for every rule
#   row 6  0.5     on the edge for every rule: (lo,hi] gives bin 5
#          (calib, sklearn, kumar); [lo,hi) gives bin 6 (netcal,
#          torchmetrics, tfp; relplot: 0.5/0.1 rounds to 5.0)
# Edge hits: exact j/M row 6; double j/M rows 2, 6; linspace rows 4, 6;
# float32 linspace rows 2, 4, 6.  One score is 1.0, none is 0.
run explain --bins 10 -f json "$DATA/explain.csv"
check_status 0 "explain on the hand-checked file"
rows=$(tr '{' '\n' <"$T/out" | sed -n 's/^"row":\([0-9]*\),.*/\1/p' | tr '\n' ' ')
[ "$rows" = "2 3 4 6 " ]
ok $? "exactly rows 2, 3, 4 and 6 differ"
[ "$rows" = "2 3 4 6 " ] || diag "rows listed: $rows"
bins_of() { # bins_of ROW: that row's bins, "calib torchmetrics ... tfp"
	sed 's/{"row":/\n&/g' "$T/out" | grep "^{\"row\":$1," |
	sed 's/.*"bins":{\([^}]*\)}.*/\1/; s/"[a-z]*"://g' | tr ',' ' '
}
want_bins() { # want_bins ROW "calib torchmetrics netcal sklearn relplot kumar tfp"
	got=$(bins_of "$1")
	[ "$got" = "$2" ]
	ok $? "row $1: bins $2"
	[ "$got" = "$2" ] || diag "got: $got"
}
want_bins 2 "7 8 7 7 7 7 8"
want_bins 3 "10 11 10 10 11 10 10"
want_bins 4 "7 7 7 6 7 7 7"
want_bins 6 "5 6 6 5 6 5 6"
check_contains "$T/out" '"exact":"0.6999999999999999555910790149937383830547332763671875"' \
	"row 2's score printed exactly"
check_contains "$T/out" '"on_edge":{"exact":1,"i/M":2,"linspace":2,"linspace32":3},"at_zero":0,"at_one":1,"rows_differing":4' \
	"edge hits per kind, 0 and 1.0 counted"
check_contains "$T/out" '"name":"torchmetrics","ece":0.21666666865348816' \
	"torchmetrics column: float32 ECE 0.2166667 (13/60 in float)"
run explain --bins 10 "$DATA/explain.csv"
check_status 0 "explain, text"
check_contains "$T/out" "3                 10          11+           10           10          11+           10           10  1.0" \
	"text: row 3, the extra bin marked 11+"
check_contains "$T/out" "4 rows land in a different bin" "text: the count"
run explain --bins 10 -f markdown --max-rows 1 "$DATA/explain.csv"
check_status 0 "explain, markdown"
check_contains "$T/out" "| 2 | 0.6999999999999999555910790149937383830547332763671875 | 7 | 8 | 7 | 7 | 7 | 7 | 8 |" \
	"markdown: row 2"
grep -qF '| 3 | 1.0 |' "$T/out"
[ $? -ne 0 ]
ok $? "--max-rows 1 lists one row"
check_contains "$T/out" "(first ones listed)" "and says so"

# ---- conventions are per run ------------------------------------------
F=$DATA/conv-edges.csv
run metrics -f json "$F"
cp "$T/out" "$T/default"
run metrics -f json --convention torchmetrics --edges linspace --convention calib "$F"
grep -q '"convention":"calib","convention_choices":{"edges":"linspace"}' "$T/out"
ok $? "a hand-set choice survives a later --convention and is recorded"
run metrics -f json --edges exact "$F"
check_contains "$T/out" '"convention":"calib","convention_choices":{"edges":"exact"}' \
	"a choice set by hand is recorded even when it is calib's own"
run metrics -f json --convention torchmetrics --convention calib "$F"
cmp -s "$T/out" "$T/default"
ok $? "--convention calib after another gives the default output, byte for byte"
run metrics -f json --convention tfp "$F" "$F"
run metrics -f json "$F"
cmp -s "$T/out" "$T/default"
ok $? "the default run after a convention run is unchanged"
run explain -f json "$F"
e=$(tr '{' '\n' <"$T/out" | sed -n 's/^"name":"calib","ece":\([^,]*\),.*/\1/p')
[ "$e" = "$(json_num "$T/default" ece)" ]
ok $? "explain's calib ECE, computed beside the others, is the default ECE"
run bins -f json --convention relplot --bins 10 "$DATA/explain.csv"
check_contains "$T/out" '"bins":11,' "bins under relplot: 10 bins and the extra one"
check_contains "$T/out" '"convention":"relplot"' "bins JSON records the convention"
run bins -f json --bins 10 "$DATA/explain.csv"
check_contains "$T/out" '"bins":10,' "bins without a convention: 10 bins"
check_contains "$T/out" '"convention":"calib"' "and records calib"
# compare, check and the tables resample and bin under the convention
run check --convention kumar --binning mass --bootstrap 50 --max ece=1 \
	--format json "$F"
check_status 0 "check with a convention and a bootstrap"
check_contains "$T/out" '"convention":"kumar"' "check JSON records it"
run compare --convention sklearn --bootstrap 50 -f json "$F" "$DATA/edges.csv"
check_status 2 "compare refuses files that do not pair, convention or not"
run compare --convention torchmetrics --clip 0.01 --bootstrap 50 -f json "$F" "$F"
check_status 0 "compare with a convention and a hand-set choice"
check_contains "$T/out" '"convention":"torchmetrics","convention_choices":{"clip":"0.01"}' \
	"compare JSON records both"
run diagram --convention relplot --bins 10 --table "$T/t.json" -o "$T/d.png" \
	"$DATA/explain.csv"
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
ok $? "diagram under a convention (drawn, or kept for gnuplot)"
check_contains "$T/t.json" '"bins":11,' "its table has the extra bin"
run metrics --convention nosuch "$F"
check_status 2 "unknown convention refused"
check_contains "$T/err" "calib, torchmetrics, netcal, sklearn, relplot, kumar, tfp" \
	"the message lists the conventions"
run metrics --edges halfway "$F"
check_status 2 "unknown edges refused"
check_contains "$T/err" "exact, i/M, linspace, linspace32, floor or floor-width" \
	"the message lists the edge kinds"
run metrics --clip 0.7 "$F"
check_status 2 "--clip outside [0, 0.5) refused"

# ---- reproduction of each library's number ----------------------------
PY=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import numpy' >/dev/null 2>&1; then
		PY=$py
		break
	fi
done
# ref FILE M...: one TAP line per number conv-ref.py compares
ref() {
	"$PY" "$top_srcdir/tests/conv-ref.py" "$CALIB" "$@" >"$T/ref" 2>"$T/referr"
	[ -s "$T/ref" ] || { ok 1 "conv-ref.py on $1"; diag "$(cat "$T/referr")"; return; }
	while IFS= read -r line; do
		case $line in
		ok\ *) ok 0 "${line#ok }" ;;
		*) ok 1 "${line#not ok }" ;;
		esac
	done <"$T/ref"
}
if [ -z "$PY" ]; then
	skip "reproduction of the libraries' numbers" "python3 with numpy not found"
else
	ref "$DATA/edges.csv" 10 15
	ref "$DATA/conv-edges.csv" 10 15 7
	ref "$DATA/explain.csv" 10
	if [ -d "$SHARED" ]; then
		for f in "$SHARED"/*.csv "$SHARED"/*.csv.gz; do
			[ -r "$f" ] || continue
			case $f in
			*.gz) ref "$f" 15 ;;
			*) ref "$f" 15 10 ;;
			esac
		done
	else
		skip "reproduction on the real files" "../shared/data/real not present"
	fi
fi

done_testing
