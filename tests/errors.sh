#!/bin/sh
# errors.sh - every kind of bad input: exit status 2, a message naming the
# file, line and column and what was expected, and nothing written.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

# bad NAME CONTENT EXPECTED-MESSAGE [OPTIONS...]
# CONTENT is printf format text written to $T/NAME.
bad() {
	name=$1 content=$2 want=$3
	shift 3
	printf "$content" >"$T/$name"
	rm -f "$T/o.json"
	run metrics -f json -o "$T/o.json" "$@" "$T/$name"
	[ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && [ ! -e "$T/o.json" ]
	s=$?
	ok $s "$name: exit 2, nothing written"
	[ $s -eq 0 ] || diag "exit $rc; stdout: $(cat "$T/out")"
	check_contains "$T/err" "calib: $T/$name$want" "$name: says '$want'"
}

bad nonnumeric.csv 'label,p_0,p_1\n0,0.5,0.5\n0,abc,0.5\n' \
    ":3:2 (column 'p_0'): 'abc': expected a decimal number"
bad nan.csv 'label,p_0,p_1\n0,nan,0.5\n' \
    ":2:2 (column 'p_0'): 'nan': NaN and infinity are not allowed"
bad inf.csv 'label,logit_0,logit_1\n0,1,inf\n' \
    ":2:3 (column 'logit_1'): 'inf': NaN and infinity are not allowed"
bad minus-inf-probs.csv 'label,p_0,p_1\n0,1,-inf\n' \
    ":2:3 (column 'p_1'): '-inf': NaN and infinity are not allowed (expected a finite number) (-inf masks a class in a logit file: give --logits)"
bad overflow.csv 'label,logit_0,logit_1\n0,1,1e999\n' \
    ":2:3 (column 'logit_1'): '1e999': too large for a double"
bad empty-field.csv 'label,p_0,p_1\n0,,1\n' \
    ":2:2 (column 'p_0'): empty field (expected a number)"
bad above-one.csv 'label,p_0,p_1\n0,1.25,-0.25\n' \
    ":2:2 (column 'p_0'): probability 1.25 is outside [0, 1]"
bad negative.csv 'label,p_0,p_1\n0,0.5,0.5\n1,1.0,-0.0001\n' \
    ":3:3 (column 'p_1'): probability -0.0001 is outside [0, 1]"
bad binary-range.csv 'label,p\n1,1.5\n' \
    ":2:2 (column 'p'): probability 1.5 is outside [0, 1]"
bad sum.csv 'label,p_0,p_1,p_2\n0,0.5,0.3,0.1\n' \
    ":2: probabilities sum to 0.90000000000000002, expected 1 within 0.0001"
bad sum-tol.csv 'label,p_0,p_1\n0,0.5,0.4999\n' \
    ":2: probabilities sum to 0.99990000000000001, expected 1 within 1e-05" \
    --sum-tol 1e-5
bad label-range.csv 'label,p_0,p_1\n2,0.5,0.5\n' \
    ":2:1 (column 'label'): unknown label '2' (expected a class index 0..1"
bad label-name.csv 'label,p_cat,p_dog\ncat,0.5,0.5\ncow,0.5,0.5\n' \
    ":3:1 (column 'label'): unknown label 'cow'"
bad label-float.csv 'label,p_0,p_1\n1.5,0.5,0.5\n' \
    ":2:1 (column 'label'): unknown label '1.5'"
bad few-fields.csv 'label,p_0,p_1\n0,0.5\n' \
    ":2: expected 3 fields as in the header, found 2"
bad many-fields.csv 'label,p_0,p_1\n0,0.5,0.5,0.1\n' \
    ":2: expected 3 fields as in the header, found 4"
bad duplicate.csv 'label,p_0,p_1,p_0\n0,0.5,0.5,0\n' \
    ":1:4 (column 'p_0'): duplicate column 'p_0' (also column 2)"
bad no-label.csv 'p_0,p_1\n0.5,0.5\n' \
    ":1: no 'label' column in the header"
bad no-scores.csv 'label\n0\n' \
    ":1: no score columns"
bad one-score.csv 'label,p_0\n0,1\n' \
    ":1: only one score column"
bad unknown-col.csv 'id,label,p_0,p_1\n7,0,0.5,0.5\n' \
    ":1:1 (column 'id'): unexpected column 'id'"
bad mixed.csv 'label,p_0,logit_1\n0,0.5,0.5\n' \
    ":1:3 (column 'logit_1'): score columns mix the prefixes 'p_' and 'logit_'"
bad empty.csv '' \
    ":1: empty file (expected a header row"
bad header-only.csv 'label,p_0,p_1\n' \
    ":2: no data rows after the header"
bad header-only-nonl.csv 'label,p_0,p_1' \
    ":2: no data rows after the header"
bad blank-line.csv 'label,p_0,p_1\n0,0.5,0.5\n\n1,0.5,0.5\n' \
    ":3: empty line (expected 3 fields)"
bad weight.csv 'label,weight,p_0,p_1\n0,1,0.5,0.5\n0,-2,0.5,0.5\n' \
    ":3:2 (column 'weight'): negative weight -2"
bad zero-weights.csv 'label,weight,p_0,p_1\n0,0,0.5,0.5\n' \
    " (column 'weight'): all weights are zero (expected a positive total weight)"
bad quote.csv 'label,p_0,p_1\n0,"0.5,0.5\n' \
    ":2: malformed CSV"
bad crlf-fields.csv 'label,p_0,p_1\r\n0,0.5\r\n' \
    ":2: expected 3 fields as in the header, found 2"
bad label-col.csv 'y,p_0,p_1\n0,0.5,0.5\n' \
    ":1: no 'target' column in the header" --label-col target

# Usage errors name the option.
run metrics --delimiter x "$DATA/multiclass.csv"
check_status 2 "bad --delimiter"
check_contains "$T/err" "calib: metrics: --delimiter: 'x' is not one of" "bad --delimiter explained"

# Not a file at all.
run metrics "$T/does-not-exist.csv"
check_status 2 "missing file"
check_contains "$T/err" "calib: $T/does-not-exist.csv: cannot open: No such file or directory" "missing file named"

# A truncated gzip stream.
printf 'label,p_0,p_1\n' >"$T/big.csv"
i=0
while [ $i -lt 2000 ]; do
	echo "0,0.25,0.75"
	i=$((i + 1))
done >>"$T/big.csv"
gzip -c "$T/big.csv" | head -c 100 >"$T/cut.csv.gz"
run metrics "$T/cut.csv.gz"
check_status 2 "truncated gzip"
check_contains "$T/err" "cut.csv.gz: truncated gzip data (the file ends inside the compressed stream)" "truncated gzip explained, naming the file"

# The first error in file order wins, whatever the thread count.
{
	printf 'label,p_0,p_1\n'
	i=0
	while [ $i -lt 30000 ]; do
		echo "0,0.25,0.75"
		i=$((i + 1))
	done
	echo "0,0.25,x"
	i=0
	while [ $i -lt 30000 ]; do
		echo "0,0.25,0.75"
		i=$((i + 1))
	done
	echo "0,y,0.75"
} >"$T/late.csv"
for th in 1 2; do
	run metrics --threads $th "$T/late.csv"
	check_contains "$T/err" "late.csv:30002:3 (column 'p_1'): 'x'" "first error reported with $th thread(s)"
done

done_testing
