#!/bin/sh
# progress.sh - progress goes to stderr only on a terminal or with
# --progress, never under --quiet, and never into the results.
# CALIB_PROGRESS_DELAY=0 shows it at once (the default waits 2 s).
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"
M=$DATA/multiclass.csv
CALIB_PROGRESS_DELAY=0
export CALIB_PROGRESS_DELAY

run metrics "$M"
cp "$T/out" "$T/plain"
[ ! -s "$T/err" ]
ok $? "in a pipe: no progress"
run metrics --progress "$M"
check_status 0 "--progress"
check_contains "$T/err" "calib: reading $M ... 0 s" "--progress in a pipe: a progress line"
check_contains "$T/err" "calib: reading $M: done in" "... and the time it took"
cmp -s "$T/out" "$T/plain"
ok $? "... and the results are unchanged"
run metrics --quiet --progress "$M"
[ ! -s "$T/err" ]
ok $? "--quiet wins over --progress"
run check --progress --bootstrap 10 --max ece=1 "$M"
check_contains "$T/err" "calib: bootstrap: done in" "check --bootstrap shows the bootstrap"
run fit --progress -o "$T/m.txt" "$DATA/val-logits.csv"
check_contains "$T/err" "calib: fitting: done in" "fit shows the fit"
run bins --progress --band resample --resamples 50 "$M"
check_contains "$T/err" "calib: intervals and bands: done in" "bins shows the bands"
# On a terminal, without --progress (script(1) gives one, if installed).
if command -v script >/dev/null 2>&1 &&
    script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "'$CALIB' metrics '$M' >/dev/null" /dev/null >"$T/tty" 2>&1
	grep -q "calib: reading $M: done in" "$T/tty"
	ok $? "on a terminal: progress without --progress"
	script -qec "'$CALIB' metrics --quiet '$M' >/dev/null" /dev/null >"$T/tty" 2>&1
	! grep -q "calib: reading" "$T/tty"
	ok $? "on a terminal: --quiet silences it"
else
	skip "progress on a terminal" "script(1) not available"
	skip "--quiet on a terminal" "script(1) not available"
fi
done_testing
