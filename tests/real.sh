#!/bin/sh
# real.sh - the published values on real network outputs (see
# ../shared/data/real/SOURCES.md).  Skipped when ../shared is absent.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

if [ ! -r "$SHARED/cifar10_densenet40_test.csv" ]; then
	echo "1..0 # SKIP ../shared/data/real not present"
	exit 0
fi
D=$SHARED/cifar10_densenet40_test.csv

# Kängsepp / Kull et al. 2019, 15 equal-width bins on the top-label confidence
run metrics -f json "$D"
check_status 0 "DenseNet-40 test file"
near "$(json_num "$T/out" accuracy)" 0.9242 1e-12 "accuracy 0.9242"
near "$(json_num "$T/out" ece)" 0.055002704 1e-8 "ECE 0.055002704 (1e-8)"
near "$(json_num "$T/out" mce)" 0.333955179 1e-8 "MCE 0.333955179 (1e-8)"
near "$(json_num "$T/out" brier_per_class)" 0.012738 1e-6 "Brier/K 0.012738 (1e-6)"
near "$(json_num "$T/out" nll)" 0.43006 5e-6 "unclipped NLL about 0.43006"
run metrics -f json --nll-clip 1e-15 "$D"
near "$(json_num "$T/out" nll)" 0.428207 1e-6 "NLL clipped at 1e-15: 0.428207 (1e-6)"

# With the temperature fitted on the validation file (issue 6's value).
run metrics -f json --temperature 2.882561 "$D"
near "$(json_num "$T/out" ece)" 0.0094632 1e-6 "T = 2.882561: ECE 0.0094632"
near "$(json_num "$T/out" nll)" 0.225086 1e-6 "T = 2.882561: NLL 0.225086"
near "$(json_num "$T/out" brier_per_class)" 0.0109975 1e-6 "T = 2.882561: Brier/K 0.0109975"

# The gzip files read as well as plain ones: decompress one and compare.
G=$SHARED/cifar100_wrn16-4-netcal_test.csv.gz
run metrics -f json "$G"
check_status 0 "gzip CIFAR-100 file"
sed 's/"file":"[^"]*"//' "$T/out" >"$T/a"
gzip -dc "$G" >"$T/plain.csv"
run metrics -f json "$T/plain.csv"
sed 's/"file":"[^"]*"//' "$T/out" >"$T/b"
cmp -s "$T/a" "$T/b"
ok $? "gzip and decompressed copy give identical output"
near "$(json_num "$T/out" n)" 10000 0 "10000 rows"
near "$(json_num "$T/out" classes)" 100 0 "100 classes"

# Every file reads, with the class counts SOURCES.md gives.
for f in "$SHARED"/*.csv "$SHARED"/*.csv.gz; do
	run metrics -f json "$f"
	[ "$rc" -eq 0 ] && [ "$(json_num "$T/out" n)" -ge 5000 ]
	ok $? "$(basename "$f") reads"
done

# Smooth ECE (Blasiok & Nakkiran 2024) on the same logits: 0.0549 in the
# issue; here the residual never changes sign at sigma*, so smECE equals
# mean confidence - accuracy exactly.
run metrics -f json --metrics smece,smece_sigma,overconfidence "$D"
near "$(json_num "$T/out" smece)" 0.0549 5e-5 "smooth ECE 0.0549"
near "$(json_num "$T/out" smece)" "$(json_num "$T/out" overconfidence)" 1e-12 "smooth ECE = mean confidence - accuracy here"
near "$(json_num "$T/out" smece_sigma)" "$(json_num "$T/out" smece)" 1e-9 "at the fixed point"

done_testing
