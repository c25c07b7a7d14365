#!/bin/sh
# recal.sh - calib fit, calib apply and --calibrate end to end: the model
# file, the temperature against an independent solver, the written
# predictions read back, and every refusal (exit 2, a message saying what
# is wrong, nothing written).
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

V=$DATA/val-logits.csv

# key FILE KEY: the value on a model file's "KEY value" line
key() {
	sed -n "s/^$2 //p" "$1"
}

# same_json A B KEY...: the keys hold the same text in two JSON lines
same_json() {
	a=$1 b=$2
	shift 2
	for k in "$@"; do
		[ "$(json_num "$a" "$k")" = "$(json_num "$b" "$k")" ] || return 1
	done
}

# --- temperature: the model file ------------------------------------
run fit --method temperature -o "$T/t.calib" "$V"
check_status 0 "fit --method temperature"
check_contains "$T/out" "temperature model written to $T/t.calib, fitted on $V" \
	"with -o, a summary on stdout"
T_model=$(sed -n 's/^temperature //p' "$T/t.calib")
check_contains "$T/out" "temperature = $(printf '%.8g' "$T_model")" "... with the fitted temperature"
nll=$(sed -n 's/^# on that file, before -> after: NLL \([^ ]*\) -> \([^,]*\),.*/\1 -> \2/p' "$T/t.calib")
[ -n "$nll" ] && grep -q "^  NLL       $nll\$" "$T/out"
ok $? "... and the before/after NLL the model's comments hold ($nll)"
run fit --method temperature "$V"
grep -q '^calib-model 1$' "$T/out" && ! grep -q 'model written to' "$T/out"
ok $? "without -o, stdout is the model file only"
head -1 "$T/t.calib" | grep -q "^# calib temperature model, fitted by calib"
ok $? "model file starts with a comment saying what it is"
grep -v '^#' "$T/t.calib" | head -6 >"$T/head"
printf 'calib-model 1\nmethod temperature\nclasses 3\nclass 0\nclass 1\nclass 2\n' >"$T/want"
cmp -s "$T/head" "$T/want"
ok $? "version, method, classes and class names"

# The same optimum by plain bisection on the derivative of the mean NLL in
# beta = 1/T, sum_i (E_softmax(beta z_i)[z] - z_iy), written separately.
want=$(awk -F, 'NR > 1 { n++; y[n] = $1; for (k = 2; k <= NF; k++) z[n, k - 2] = $k; K = NF - 1 }
	function d1(b,   i, k, m, s, e, t) {
		t = 0
		for (i = 1; i <= n; i++) {
			m = z[i, 0]; for (k = 1; k < K; k++) if (z[i, k] > m) m = z[i, k]
			s = 0; e = 0
			for (k = 0; k < K; k++) { w = exp(b * (z[i, k] - m)); s += w; e += w * z[i, k] }
			t += e / s - z[i, y[i]]
		}
		return t
	}
	END { lo = 1e-3; hi = 10
		for (it = 0; it < 200; it++) { mid = (lo + hi) / 2; if (d1(mid) < 0) lo = mid; else hi = mid }
		printf "%.17g", 2 / (lo + hi) }' "$V")
near "$(key "$T/t.calib" temperature)" "$want" 1e-12 "T agrees with an independent bisection ($want)"
# Scaling every logit by 3 scales T by 3 (the fixture is a 3x copy).
awk -F, 'NR == 1 { print; next } { printf "%s", $1; for (i = 2; i <= NF; i++) printf ",%.17g", $i / 3; print "" }' "$V" >"$T/third.csv"
run fit "$T/third.csv"
near "$(grep '^temperature' "$T/out" | cut -d' ' -f2)" "$(awk -v t="$want" 'BEGIN { printf "%.17g", t / 3 }')" 1e-12 \
    "logits divided by 3 give T / 3; default method is temperature, default output stdout"

# --- --calibrate is --temperature T ---------------------------------
run metrics -f json --calibrate "$T/t.calib" "$V"
check_status 0 "metrics --calibrate"
sed 's/,"version".*//' "$T/out" > "$T/cal.json"
run metrics -f json --temperature "$(key "$T/t.calib" temperature)" "$V"
sed 's/,"version".*//' "$T/out" | cmp -s - "$T/cal.json"
ok $? "metrics --calibrate temperature-model == --temperature T, every number"
run metrics --calibrate "$T/t.calib" "$V"
check_contains "$T/out" "calibrated by '$T/t.calib'" "text header names the model"

# --- apply writes calib's input format, read back the same -----------
run apply "$T/t.calib" "$V" -o "$T/v-cal.csv"
check_status 0 "apply"
[ "$(head -1 "$T/v-cal.csv")" = "label,p_0,p_1,p_2" ]
ok $? "header label,p_0,p_1,p_2"
[ "$(wc -l <"$T/v-cal.csv")" -eq 13 ]
ok $? "one line per row"
run metrics -f json "$T/v-cal.csv"
check_status 0 "metrics reads the applied file"
same_json "$T/out" "$T/cal.json" n accuracy mean_confidence ece mce rmsce oe brier entropy
ok $? "applied file gives the --calibrate numbers to the last digit"
near "$(json_num "$T/out" nll)" "$(json_num "$T/cal.json" nll)" 1e-15 "NLL within 1e-15 (probabilities vs logits)"

# weights carried over; a probability file; histogram maps
run fit --method histogram --bins 2 -o "$T/h.calib" "$DATA/weighted.csv"
check_status 0 "fit histogram on a weighted file"
grep -q '^binning width$' "$T/h.calib" && grep -q '^bins 2$' "$T/h.calib"
ok $? "histogram model records its binning and bin count"
run apply -o "$T/w-cal.csv" "$T/h.calib" "$DATA/weighted.csv"
check_status 0 "apply histogram to the weighted file"
[ "$(head -1 "$T/w-cal.csv")" = "label,p_0,p_1,p_2,weight" ]
ok $? "weight column carried over"
[ "$(cut -d, -f5 "$T/w-cal.csv" | tr '\n' ' ')" = "weight 2 1 1 1 1 " ]
ok $? "weights as given"
run metrics -f json --calibrate "$T/h.calib" "$DATA/weighted.csv"
cp "$T/out" "$T/hc.json"
run metrics -f json "$T/w-cal.csv"
same_json "$T/out" "$T/hc.json" accuracy ece nll brier entropy
ok $? "histogram: applied file == --calibrate"

# binary file with one score column: label,p out
run fit --method platt -o "$T/p.calib" "$DATA/binary.csv"
check_status 0 "fit platt on a binary file"
grep -q '^a ' "$T/p.calib" && grep -q '^b ' "$T/p.calib"
ok $? "platt model has a and b"
run apply "$T/p.calib" "$DATA/binary.csv"
check_status 0 "apply platt"
[ "$(head -1 "$T/out")" = "label,p" ]
ok $? "single-column file stays single-column: label,p"
a=$(key "$T/p.calib" a) b=$(key "$T/p.calib" b)
want=$(awk -v a="$a" -v b="$b" 'BEGIN { p = 0.875; printf "%.17g", 1 / (1 + exp(-(a * log(p / (1 - p)) + b))) }')
near "$(sed -n 2p "$T/out" | cut -d, -f2)" "$want" 1e-15 "row 1: sigma(a logit(.875) + b)"
for m in beta histogram isotonic; do
	run fit --method $m -o "$T/$m.calib" "$DATA/binary.csv"
	check_status 0 "fit $m on the binary file"
	run metrics --calibrate "$T/$m.calib" "$DATA/binary.csv"
	check_status 0 "--calibrate with a $m model"
done

# class names are kept and checked
run fit -o "$T/n.calib" "$DATA/named.tsv"
check_status 0 "fit on a file with class names"
[ "$(grep '^class ' "$T/n.calib" | tr '\n' ' ')" = "class cat class dog class fox " ]
ok $? "class names recorded in order"
run apply "$T/n.calib" "$DATA/named.tsv"
[ "$(head -2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = "label cat " ] &&
    head -1 "$T/out" | grep -q '^label,p_cat,p_dog,p_fox$'
ok $? "apply writes p_NAME columns and labels by name"

# --- refusals ----------------------------------------------------------
# refused DESCRIPTION EXPECTED-MESSAGE ARGS...: exit 2, the message, and
# no output file $T/never.
refused() {
	desc=$1 want=$2
	shift 2
	rm -f "$T/never"
	run "$@"
	[ "$rc" -eq 2 ] && [ ! -e "$T/never" ] && [ ! -s "$T/out" ]
	s=$?
	ok $s "$desc: exit 2, nothing written"
	[ $s -eq 0 ] || diag "exit $rc; stderr: $(cat "$T/err")"
	check_contains "$T/err" "$want" "$desc: says '$want'"
}

refused "3-class model on a 2-class file" \
    "calib: $DATA/binary.csv: 2 classes, but calibration model '$T/t.calib' was fitted on 3" \
    apply -o "$T/never" "$T/t.calib" "$DATA/binary.csv"
refused "--calibrate with a 3-class model on a 2-class file" \
    "2 classes, but calibration model '$T/t.calib' was fitted on 3" \
    metrics -o "$T/never" --calibrate "$T/t.calib" "$DATA/binary.csv"
refused "class names differ" \
    "calib: $DATA/multiclass.csv:1: class 0 is '0' here but 'cat' in calibration model '$T/n.calib'" \
    apply -o "$T/never" "$T/n.calib" "$DATA/multiclass.csv"
sed 's/^calib-model 1$/calib-model 2/' "$T/t.calib" >"$T/v2.calib"
refused "model file version 2" \
    "calib: $T/v2.calib:3: model file version 2 is not supported (this calib reads version 1)" \
    apply -o "$T/never" "$T/v2.calib" "$V"
sed 's/^temperature .*/temperature 2,5/' "$T/t.calib" >"$T/bad.calib"
refused "malformed number in a model file" \
    "calib: $T/bad.calib:9: temperature: '2,5' is not a finite decimal number" \
    metrics -o "$T/never" --calibrate "$T/bad.calib" "$V"
grep -v '^class 2$' "$T/t.calib" >"$T/short.calib"
refused "missing class line" \
    "calib: $T/short.calib:8: expected 'class NAME' (class 3 of 3)" \
    apply -o "$T/never" "$T/short.calib" "$V"
printf 'label,p_0,p_1\n0,.5,.5\n' >"$T/not-a-model.csv"
refused "a prediction file given as the model" \
    "calib: $T/not-a-model.csv:1: expected 'calib-model 1' (is this a calib model file?)" \
    apply -o "$T/never" "$T/not-a-model.csv" "$V"
refused "missing model file" \
    "calib: $T/nothing.calib: cannot open: No such file or directory" \
    apply -o "$T/never" "$T/nothing.calib" "$V"
refused "--temperature with --calibrate" \
    "--temperature and --calibrate cannot be combined" \
    metrics -o "$T/never" --temperature 2 --calibrate "$T/t.calib" "$V"
refused "platt on a 3-class file" \
    "calib: $V: platt calibration needs a 2-class file, this one has 3 classes" \
    fit --method platt -o "$T/never" "$V"
printf 'label,logit_0,logit_1\n0,2,1\n1,0,3\n1,-1,1\n' >"$T/right.csv"
refused "temperature on an all-correct file" \
    "temperature scaling has no finite optimum" \
    fit -o "$T/never" "$T/right.csv"
refused "beta on separable scores" \
    "beta calibration would be a step, with no finite parameters" \
    fit --method beta -o "$T/never" "$T/right.csv"
printf 'label,p\n1,.9\n1,.6\n1,.2\n' >"$T/one-class.csv"
refused "beta with one class only" \
    "only class '1' occurs among the validation labels" \
    fit --method beta -o "$T/never" "$T/one-class.csv"
refused "unknown method" "--method: 'cubic' is not temperature, vector" \
    fit --method cubic -o "$T/never" "$V"
refused "fit with --calibrate" "do not apply to fit" \
    fit --calibrate "$T/t.calib" -o "$T/never" "$V"
refused "apply with one argument" "expected a model file and a prediction file" \
    apply -o "$T/never" "$T/t.calib"

# help
run --help
check_contains "$T/out" "  fit " "help lists fit"
check_contains "$T/out" "  apply " "help lists apply"
run metrics --help
check_contains "$T/out" "--calibrate MODEL" "metrics --help shows --calibrate"

done_testing
