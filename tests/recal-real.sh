#!/bin/sh
# recal-real.sh - temperature scaling on the real DenseNet-40 outputs (see
# ../shared/data/real/SOURCES.md): fitted on the validation file, applied
# to the test file.  Skipped when ../shared is absent.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

VAL=$SHARED/cifar10_densenet40_val.csv
TEST=$SHARED/cifar10_densenet40_test.csv
if [ ! -r "$VAL" ] || [ ! -r "$TEST" ]; then
	echo "1..0 # SKIP ../shared/data/real not present"
	exit 0
fi

run fit --method temperature -o "$T/d40.calib" "$VAL"
check_status 0 "fit temperature on the DenseNet-40 validation file"
t=$(sed -n 's/^temperature //p' "$T/d40.calib")
# The published 2.883 came from an optimiser stopped early; the optimum
# of the validation NLL is 2.882561.
near "$t" 2.882561 1e-5 "T = 2.882561 (got $t)"

run metrics -f json --calibrate "$T/d40.calib" "$TEST"
check_status 0 "test file with the fitted model"
near "$(json_num "$T/out" ece)" 0.0094632 1e-6 "test ECE 0.0094632 (published 0.009464)"
near "$(json_num "$T/out" nll)" 0.225086 1e-6 "test NLL 0.225086 (published 0.225086)"
near "$(json_num "$T/out" brier_per_class)" 0.0109975 1e-6 "test Brier/K 0.0109975 (published 0.010998)"
near "$(json_num "$T/out" accuracy)" 0.9242 1e-12 "temperature keeps the accuracy"

# The validation file after scaling, against the published values at
# T ~ 2.883 (ECE / MCE / NLL 0.005947 / 0.107191 / 0.186612).
run metrics -f json --calibrate "$T/d40.calib" "$VAL"
near "$(json_num "$T/out" ece)" 0.005947 1e-6 "val ECE 0.005947"
near "$(json_num "$T/out" mce)" 0.107191 1e-6 "val MCE 0.107191"
near "$(json_num "$T/out" nll)" 0.186612 1e-6 "val NLL 0.186612"

# apply writes a file that every subcommand reads with the same numbers.
run apply -o "$T/d40-cal.csv" "$T/d40.calib" "$TEST"
check_status 0 "apply to the test file"
run metrics -f json "$T/d40-cal.csv"
near "$(json_num "$T/out" ece)" 0.0094632 1e-6 "applied file: ECE 0.0094632"
near "$(json_num "$T/out" nll)" 0.225086 1e-6 "applied file: NLL 0.225086"

# Vector scaling has temperature scaling inside it, so its validation NLL
# can only be lower.
run fit --method vector -o "$T/d40v.calib" "$VAL"
check_status 0 "fit vector scaling on the validation file"
run metrics -f json --calibrate "$T/d40v.calib" "$VAL"
awk -v v="$(json_num "$T/out" nll)" 'BEGIN { exit !(v <= 0.186612244) }'
ok $? "vector scaling's validation NLL $(json_num "$T/out" nll) <= temperature's"

# Every other method fits the validation file and gives finite numbers on
# the test file (NLL may be infinite for the binning maps: printed null).
for m in histogram isotonic; do
	run fit --method $m -o "$T/d40-$m.calib" "$VAL"
	check_status 0 "fit $m on the validation file"
	run metrics -f json --calibrate "$T/d40-$m.calib" "$TEST"
	[ "$rc" -eq 0 ] && awk -v e="$(json_num "$T/out" ece)" 'BEGIN { exit !(e >= 0 && e < 0.055) }'
	ok $? "$m lowers the test ECE below the uncalibrated 0.055"
done

done_testing
