#!/bin/sh
# check.sh - calib check: exit statuses, every report format (TAP read by
# Automake's own driver, JUnit checked as XML), baselines, the noise-aware
# mode on an interval that straddles its bound, and rules files.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

M=$DATA/multiclass.csv  # with --bins 5: ECE .22, accuracy .6 (t-metrics.c)
H=$top_srcdir/data/fashion-mnist-ls0.00.csv
S=$top_srcdir/data/fashion-mnist-ls0.05.csv

# --- exit statuses
run check --bins 5 --max ece=0.25 --min accuracy=0.6 "$M"
check_status 0 "all assertions hold"
check_contains "$T/out" "2 of 2 assertions hold (point estimates)" "summary line"
check_contains "$T/out" "PASS  ece 0.22 <= 0.25" "passing line shows value and bound"
check_contains "$T/out" "PASS  accuracy 0.6 >= 0.6" "a value equal to its bound holds"
run check --bins 5 --max ece=0.2 --min accuracy=0.5 "$M"
check_status 1 "one assertion fails"
check_contains "$T/out" "FAIL  ece 0.22 > 0.2  [max ece=0.2]" "failing line"
run check --bins 5 --max ecee=0.2 "$M"
check_status 2 "unknown metric"
check_contains "$T/err" "unknown metric 'ecee' (valid names: accuracy, mean_confidence, overconfidence, ece, mce, rmsce, classwise_ece, oe, nll, brier, brier_per_class, entropy, uce, brier_top_label, smece" "valid names listed"
run check "$M"
check_status 2 "no assertions"
run check --max ece=abc "$M"
check_status 2 "bound is not a number"
check_contains "$T/err" "bound 'abc' of ece is not a finite number" "bad bound explained"
run check --max-increase ece=0.01 "$M"
check_status 2 "--max-increase without --baseline"
check_contains "$T/err" "--max-increase ece=0.01 needs --baseline" "missing baseline explained"
run check --max ece=0.1 "$T/missing.csv"
check_status 2 "missing input file"
run check -f xml --max ece=0.1 "$M"
check_status 2 "unknown format"

# --- TAP, parsed by Automake's TAP driver
run check --bins 5 -f tap --max ece=0.25 --max accuracy=0.5 "$M"
check_status 1 "tap format, one failure"
cp "$T/out" "$T/report.tap"
AM_TAP_AWK=${AWK:-awk} sh "$top_srcdir/build-aux/tap-driver.sh" \
	--test-name check-tap --log-file "$T/tap.log" --trs-file "$T/tap.trs" \
	--color-tests no --enable-hard-errors yes --expect-failure no -- \
	cat "$T/report.tap" >/dev/null 2>&1
[ "$(grep -c '^:test-result: PASS' "$T/tap.trs")" = 1 ] &&
	[ "$(grep -c '^:test-result: FAIL' "$T/tap.trs")" = 1 ] &&
	! grep -q '^:test-result: ERROR' "$T/tap.trs"
ok $? "Automake's tap-driver reads 1 PASS and 1 FAIL"

# --- JUnit XML: well formed, with the right counts
run check --bins 5 -f junit --max ece=0.25 --max accuracy=0.5 --min nll=5 "$M"
check_status 1 "junit format"
cp "$T/out" "$T/report.xml"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$T/report.xml"
	ok $? "JUnit report is well-formed XML"
	[ "$(xmllint --xpath 'count(//testcase)' "$T/report.xml")" = 3 ] &&
		[ "$(xmllint --xpath 'count(//testcase/failure)' "$T/report.xml")" = 2 ] &&
		[ "$(xmllint --xpath 'string(/testsuites/@failures)' "$T/report.xml")" = 2 ] &&
		[ "$(xmllint --xpath 'string(//testsuite/@tests)' "$T/report.xml")" = 3 ]
	ok $? "3 test cases, 2 failures, counts in the attributes"
else
	skip "JUnit report is well-formed XML" "xmllint not installed"
	skip "JUnit counts" "xmllint not installed"
fi
# a file name that needs escaping in XML
cp "$M" "$T/a&b<c>.csv"
run check --bins 5 -f junit --max ece=0.1 "$T/a&b<c>.csv"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$T/out"
	ok $? "file names are escaped in the XML"
else
	skip "file names are escaped in the XML" "xmllint not installed"
fi

# --- JSON and GitHub annotations
run check --bins 5 -f json --max ece=0.2 --min accuracy=0.5 "$M"
check_status 1 "json format"
check_contains "$T/out" '"passed":false,"failures":1' "json summary"
check_contains "$T/out" '{"kind":"max","metric":"ece","bound":0.2,"value":0.22000000000000003,"ci":null,"passed":false' "json assertion"
run check --bins 5 -f github --max ece=0.2 --min accuracy=0.5 "$M"
check_status 1 "github format"
check_contains "$T/out" "::error file=$M,title=calib check::ece 0.22 > 0.2" "workflow error annotation"
[ "$(grep -c '^::error' "$T/out")" = 1 ]
ok $? "only failures are annotated"

# --- several reports at once
run check --bins 5 --max ece=0.2 --junit "$T/j.xml" --tap "$T/t.tap" --json "$T/j.json" "$M"
check_status 1 "text on stdout plus three report files"
[ -s "$T/j.xml" ] && [ -s "$T/t.tap" ] && [ -s "$T/j.json" ] && grep -q '^FAIL' "$T/out"
ok $? "all reports written"
grep -q '^not ok 1 - max ece=0.2' "$T/t.tap"
ok $? "the TAP file holds the failure"
run check --max ece=0.2 --junit "$T/no/dir/j.xml" "$M"
check_status 2 "unwritable report file"

# --- baselines
run check --baseline "$H" --max-increase ece=0 --max-decrease accuracy=0 "$S"
check_status 0 "smoothed run against the hard-label baseline"
check_contains "$T/out" "ece increase -0.0723956 <= 0 (0.0138476 against 0.0862432 in $H)" "increase described"
check_contains "$T/out" "accuracy decrease -0.0022 <= 0" "decrease described"
run check --baseline "$S" --max-increase ece=0.05 "$H"
check_status 1 "the hard-label run against the smoothed baseline"
check_contains "$T/out" "FAIL  ece increase +0.0723956 > 0.05" "regression flagged"
head -n 100 "$S" >"$T/short.csv"
run check --baseline "$T/short.csv" --max-increase ece=0.05 "$H"
check_status 2 "baseline with other rows"

# --- noise-aware mode: the hard-label ECE is 0.0862; with 200 replicates
# its 95 % interval is about [0.080, 0.092], across the bound 0.085
run check --max ece=0.085 "$H"
check_status 1 "point estimate above the bound fails"
run check --bootstrap 200 --seed 3 --max ece=0.085 "$H"
check_status 0 "interval across the bound holds within noise"
check_contains "$T/out" "straddles 0.085 (holds within noise)" "straddle explained"
run check --bootstrap 200 --seed 3 --strict --max ece=0.085 "$H"
check_status 1 "--strict fails when part of the interval is above"
check_contains "$T/out" "straddles 0.085 (fails: --strict)" "strict failure explained"
run check --bootstrap 200 --seed 3 --max ece=0.07 "$H"
check_status 1 "the whole interval above the bound fails even without --strict"
run check --bootstrap 200 --seed 3 -f json --max ece=0.085 "$H"
cp "$T/out" "$T/b1"
run check --bootstrap 200 --seed 3 -f json --max ece=0.085 "$H"
cmp -s "$T/out" "$T/b1"
ok $? "seeded: identical reports"
run check --bootstrap 200 --baseline "$H" --max-decrease accuracy=0.001 "$S"
check_status 0 "noise-aware baseline comparison"

# --- rules files
cat >"$T/rules.txt" <<'RULES'
# calibration gates for this model
max ece=0.25          # trailing comment

--min accuracy=0.5
max  oe = 0.2
RULES
run check --bins 5 --rules "$T/rules.txt" "$M"
check_status 0 "rules with comments, blank lines, spacing and -- prefixes"
check_contains "$T/out" "3 of 3 assertions hold" "three rules read"
printf 'max ece=0.25\n# fine\nmax ecee=0.1\n' >"$T/bad1.txt"
run check --rules "$T/bad1.txt" "$M"
check_status 2 "unknown metric in a rules file"
check_contains "$T/err" "bad1.txt:3:5: unknown metric 'ecee'" "rules error names the line"
printf 'max ece\n' >"$T/bad2.txt"
run check --rules "$T/bad2.txt" "$M"
check_status 2 "rule without a value"
check_contains "$T/err" "bad2.txt:1:5: 'ece' is not METRIC=VALUE" "missing value explained"
printf '\n\nmin\n' >"$T/bad4.txt"
run check --rules "$T/bad4.txt" "$M"
check_status 2 "rule with a kind only"
check_contains "$T/err" "bad4.txt:3:1: 'min' has no METRIC=VALUE" "missing metric explained"
printf 'at-most ece=0.1\n' >"$T/bad3.txt"
run check --rules "$T/bad3.txt" "$M"
check_status 2 "unknown assertion kind"
check_contains "$T/err" "bad3.txt:1:1: unknown assertion 'at-most' (expected max, min, max-increase or max-decrease)" "kind explained"
run check --rules "$T/nope.txt" "$M"
check_status 2 "missing rules file"

# --- input errors still write every report: one failing test case
printf 'label,p_0,p_1\n0,0.5,0.5\n1,abc,0.3\n' >"$T/bad.csv"
run check --max ece=0.1 --junit "$T/e.xml" --tap "$T/e.tap" --json "$T/e.json" \
	--text "$T/e.txt" --summary "$T/e.md" -f github "$T/bad.csv"
check_status 2 "input error"
check_contains "$T/err" "bad.csv:3:2 (column 'p_0'): 'abc': expected a decimal number" "the error on stderr"
check_contains "$T/out" "::error file=$T/bad.csv,line=3,col=2,title=calib check: input error::'abc': expected a decimal number (column 'p_0')" \
	"github annotation with file, line and column"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$T/e.xml" &&
	[ "$(xmllint --xpath 'count(//testcase)' "$T/e.xml")" = 1 ] &&
	[ "$(xmllint --xpath 'string(//testcase/@name)' "$T/e.xml")" = "$T/bad.csv" ] &&
	[ "$(xmllint --xpath 'string(/testsuites/@errors)' "$T/e.xml")" = 1 ] &&
	[ "$(xmllint --xpath 'string(//testcase/error)' "$T/e.xml")" = "$T/bad.csv:3:2: 'abc': expected a decimal number (column 'p_0')" ]
	ok $? "JUnit: one test case named after the file, an error with line and message"
else
	skip "JUnit input error" "xmllint not installed"
fi
printf '1..1\n# calib check %s: input error\nnot ok 1 - %s:3:2: '"'abc'"': expected a decimal number (column '"'p_0'"')\n' \
	"$T/bad.csv" "$T/bad.csv" >"$T/want.tap"
cmp -s "$T/e.tap" "$T/want.tap"
ok $? "TAP: one failing test with the location and message"
check_contains "$T/e.json" '"passed":false,"failures":0,"within_noise":0,"error":{"file":"'"$T"'/bad.csv","line":3,"column":2,"message":"'"'abc'"': expected a decimal number (column '"'p_0'"')"},"assertions":[]' \
	"JSON: the error with file, line, column"
check_contains "$T/e.txt" "ERROR  $T/bad.csv:3:2: 'abc'" "text report: the error"
check_contains "$T/e.md" "### calib check \`$T/bad.csv\`: input error" "summary: the error"
# errors in a rules file name the rules file and line
printf 'max ece=0.25\nmax ecee=0.1\n' >"$T/bad-rules.txt"
run check --bins 5 --rules "$T/bad-rules.txt" --junit "$T/r.xml" -f github "$M"
check_status 2 "bad rules file"
check_contains "$T/out" "::error file=$T/bad-rules.txt,line=2,col=5,title=calib check: input error::unknown metric 'ecee'" \
	"annotation on the rules file's line"
if command -v xmllint >/dev/null 2>&1; then
	[ "$(xmllint --xpath 'string(//testcase/@name)' "$T/r.xml")" = "$T/bad-rules.txt" ]
	ok $? "JUnit test case named after the rules file"
else
	skip "JUnit rules error" "xmllint not installed"
fi
# a missing baseline, after the options: reported too
run check --baseline "$T/none.csv" --max-increase ece=0 --tap "$T/b.tap" "$M"
check_status 2 "missing baseline"
grep -q "^not ok 1 - $T/none.csv: cannot open" "$T/b.tap"
ok $? "TAP names the missing baseline"
# no report file could be written: still status 2
run check --max ece=0.1 --junit "$T/no/dir/e.xml" "$T/bad.csv"
check_status 2 "input error and an unwritable report"

# --- noise warnings: an assertion that holds only within noise
run check --bootstrap 200 --seed 3 --max ece=0.085 --min accuracy=0.8 \
	--junit "$T/n.xml" --tap "$T/n.tap" --json "$T/n.json" -f github "$H"
check_status 0 "within noise still passes"
check_contains "$T/out" "::warning file=$H,title=calib check::ece 0.0862432 [" "github: a warning annotation"
[ "$(grep -c '^::' "$T/out")" = 1 ]
ok $? "only the noisy assertion is annotated"
check_contains "$T/err" "warning: max ece=0.085 holds only within noise" "a warning on stderr"
grep -A1 '^ok 1 - max ece=0.085' "$T/n.tap" | grep -q '^# warning: max ece=0.085 holds only within noise'
ok $? "TAP: a comment after the test line"
! grep -q TODO "$T/n.tap"
ok $? "TAP: no TODO directive"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --xpath 'string(//testcase[@name="max ece=0.085"]/system-out)' "$T/n.xml" |
		grep -q '^warning: holds only within noise' &&
	[ "$(xmllint --xpath 'count(//failure)' "$T/n.xml")" = 0 ] &&
	[ "$(xmllint --xpath 'count(//system-out)' "$T/n.xml")" = 1 ]
	ok $? "JUnit: a system-out note, no failure"
else
	skip "JUnit noise note" "xmllint not installed"
fi
check_contains "$T/n.json" '"within_noise":1' "JSON counts it"
run check --quiet --bootstrap 200 --seed 3 --max ece=0.085 "$H"
check_status 0 "--quiet"
[ ! -s "$T/err" ]
ok $? "--quiet silences the warning"
run check --max ece=0.087 "$H"
[ ! -s "$T/err" ]
ok $? "point estimates never warn"

# --- the markdown summary, appended
echo "# earlier step" >"$T/sum.md"
run check --bins 5 --baseline "$M" --max ece=0.2 --min accuracy=0.5 \
	--max-increase ece=0 --summary "$T/sum.md" "$M"
check_status 1 "summary with a failure"
head -1 "$T/sum.md" | grep -qx '# earlier step'
ok $? "the summary is appended"
check_contains "$T/sum.md" "### calib check \`$M\`: FAILED - 2 of 3 assertions hold" "summary heading"
check_contains "$T/sum.md" "| FAIL | \`max ece=0.2\` | 0.22 | ece 0.22 > 0.2 |" "a failing row"
check_contains "$T/sum.md" "| pass | \`min accuracy=0.5\` | 0.6 | accuracy 0.6 >= 0.5 |" "a passing row"
check_contains "$T/sum.md" "| ece | 0.22 | 0.22 |" "the metrics with the baseline's"
check_contains "$T/sum.md" "5 rows; baseline" "rows and baseline named"
rm -f "$T/gh.md"
GITHUB_STEP_SUMMARY=$T/gh.md "$CALIB" check --bins 5 --max ece=0.25 --github-summary "$M" >/dev/null 2>&1
check_contains "$T/gh.md" "passed - 1 of 1 assertions hold" "--github-summary appends to \$GITHUB_STEP_SUMMARY"
(unset GITHUB_STEP_SUMMARY; "$CALIB" check --bins 5 --max ece=0.25 --github-summary "$M") >/dev/null 2>&1
ok $? "--github-summary without \$GITHUB_STEP_SUMMARY does nothing"

# --- the published DenseNet-40 numbers
if [ -r "$SHARED/cifar10_densenet40_test.csv" ]; then
	R=$SHARED/cifar10_densenet40_test.csv
	run check --max ece=0.05 "$R"
	check_status 1 "DenseNet-40: ECE 0.055 > 0.05 fails"
	run check --max ece=0.06 "$R"
	check_status 0 "DenseNet-40: ECE <= 0.06 passes"
	run check --temperature 2.882561 --max ece=0.01 "$R"
	check_status 0 "DenseNet-40 at T = 2.882561: ECE <= 0.01 passes"
else
	skip "DenseNet-40 gates" "../shared/data/real not present"
fi

done_testing
