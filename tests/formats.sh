#!/bin/sh
# formats.sh - what people actually save: NumPy .npy and .npz (every
# dtype, byte order, memory order and format version, from the checked-in
# fixtures in tests/data/npy), labels and weights in separate files, and
# CSV as pandas and np.savetxt write it.  Each readable file gives metrics
# identical to a plain CSV of the same values; each refusal exits 2 with
# a message naming the flag that would make the file acceptable.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

NPY="$DATA/npy"

# numbers FILE: the metrics of a JSON line without the file name and the
# input format, so files of different formats compare equal
numbers() {
	sed 's/^{"file":"[^"]*",//; s/,"format":"[a-z]*"}$/}/' "$1"
}

run metrics -f json "$NPY/ref.csv"
check_status 0 "the reference CSV"
numbers "$T/out" >"$T/ref.json"
run metrics -f json "$NPY/ref-weighted.csv"
numbers "$T/out" >"$T/ref-w.json"

# same DESCRIPTION ARGS...: metrics identical to the reference CSV
same() {
	d=$1
	shift
	run metrics -f json "$@"
	numbers "$T/out" | cmp -s - "$T/ref.json"
	s=$?
	[ "$rc" -eq 0 ] || s=1
	ok $s "$d: metrics identical to the CSV"
	[ $s -eq 0 ] || { diag "exit $rc: $(cat "$T/err")"; diag "$(cat "$T/out")"; }
}

# --- .npy scores: every float dtype, byte order, order and version
for f in logits-f16 logits-f32 logits-f64 logits-f32-be \
    logits-f64-be-fortran logits-f16-fortran logits-v2 logits-v3; do
	same "$f.npy" --logits --labels "$NPY/labels.txt" "$NPY/$f.npy"
done
# --- labels of every integer dtype, big-endian, and integral floats
for f in i1 i2 i4 i8 u1 u2 u4 u8 i8-be f64; do
	same "labels-$f.npy" --logits --labels "$NPY/labels-$f.npy" \
	    "$NPY/logits-f64.npy"
done
run metrics -f json --logits --labels "$NPY/labels.txt" "$NPY/logits-f32.npy"
check_contains "$T/out" '"format":"npy"' "JSON names the input format"

# --- .npz: stored and deflated, default and chosen members
same "eval.npz (stored)" "$NPY/eval.npz"
run metrics -f json "$NPY/eval-deflated.npz"
numbers "$T/out" | cmp -s - "$T/ref-w.json"
ok $? "eval-deflated.npz (deflated, with weights): identical to the weighted CSV"
check_contains "$T/out" '"format":"npz"' "JSON names the npz format"
same "--scores-key/--labels-key" --logits --scores-key out \
    --labels-key target "$NPY/eval-keys.npz"
same "npz scores, labels from a file" --labels "$NPY/labels-i1.npy" \
    "$NPY/no-labels.npz"
run metrics -f json --logits --labels "$NPY/labels.txt" \
    --weights "$NPY/weights.npy" "$NPY/logits-f32.npy"
numbers "$T/out" | cmp -s - "$T/ref-w.json"
ok $? "--weights FILE: identical to the weighted CSV"

# --- labels for a CSV file of scores, from .npy, text and a CSV column
cut -d, -f2- "$NPY/ref.csv" >"$T/scores.csv"
cut -d, -f1 "$NPY/ref.csv" >"$T/labels-col.csv"
same "CSV scores, --labels .npy" --labels "$NPY/labels-u2.npy" "$T/scores.csv"
same "CSV scores, --labels text" --labels "$NPY/labels.txt" "$T/scores.csv"
same "CSV scores, --labels CSV column" --labels "$T/labels-col.csv" \
    "$T/scores.csv"
gzip -c "$NPY/logits-f32.npy" >"$T/gz.npy"
same "gzip-compressed .npy" --logits --labels "$NPY/labels.txt" "$T/gz.npy"
same ".npy on standard input" --logits --labels "$NPY/labels.txt" - \
    <"$NPY/logits-f32-be.npy"

# --- refusals: exit 2, the reason, no raw bytes
# refused NAME WANT ARGS...
refused() {
	d=$1 want=$2
	shift 2
	run metrics "$@"
	[ "$rc" -eq 2 ] && [ ! -s "$T/out" ]
	ok $? "$d: exit 2, nothing written"
	check_contains "$T/err" "$want" "$d: says '$want'"
	LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/err"
	[ $? -ne 0 ]
	ok $? "$d: no raw bytes in the message"
}

refused "bare .npy" "give --logits or --probs" "$NPY/logits-f32.npy"
refused "no labels" "give them with --labels FILE" --probs "$NPY/logits-f32.npy"
refused "truncated .npy" "truncated .npy file: shape (6, 3) of 4-byte elements needs 72 bytes of data, the file has 67" \
    --logits --labels "$NPY/labels.txt" "$NPY/truncated.npy"
refused "3-D array" "an array with 3 dimensions" \
    --logits --labels "$NPY/labels.txt" "$NPY/cube.npy"
refused "object dtype" "never unpickles" \
    --logits --labels "$NPY/labels.txt" "$NPY/object.npy"
refused "integer scores" "scores are int64" \
    --logits --labels "$NPY/labels.txt" "$NPY/scores-int.npy"
refused "NaN in float16" "nan-f16.npy: at [3, 1]: score NaN is not allowed" \
    --logits --labels "$NPY/labels.txt" "$NPY/nan-f16.npy"
refused "label count" "4 labels ($NPY/labels-short.npy) for 6 rows of scores" \
    --logits --labels "$NPY/labels-short.npy" "$NPY/logits-f64.npy"
refused "fractional label" "at row [2]: label 1.5 is not a whole number" \
    --logits --labels "$NPY/labels-frac.npy" "$NPY/logits-f64.npy"
refused "ambiguous members" "more than one member could hold the scores (the file has 'logits', 'probs' and 'labels'); choose one with --scores-key NAME" \
    "$NPY/ambiguous.npz"
refused "missing member" "no member 'nope' for the labels (the file has 'logits' and 'labels')" \
    --labels-key nope "$NPY/eval.npz"
refused "no labels member" "no member for the labels (expected 'labels', 'targets', 'y_true' or 'y'; the file has 'logits')" \
    "$NPY/no-labels.npz"
refused "custom key needs a meaning" "say what member 'out' holds: give --logits or --probs" \
    --scores-key out --labels-key target "$NPY/eval-keys.npz"
refused "corrupt deflated member" "corrupt .npz (zip) file: member 'logits'" \
    "$NPY/corrupt.npz"
refused "corrupt stored member" "member 'logits' fails its CRC-32 check" \
    "$NPY/corrupt-stored.npz"
head -c 300 "$NPY/eval.npz" >"$T/cut.npz"
refused "truncated zip" "no zip end record" "$T/cut.npz"
refused "torch.save zip" "a PyTorch torch.save() file holds pickles" \
    "$NPY/torch-like.pt"
refused "pickle" "a Python pickle" "$NPY/pickle.pkl"
printf 'PAR1\001\002\003\004' >"$T/p.parquet"
refused "Parquet" "a Parquet file; calib reads CSV, .npy and .npz: convert it in Python with: import numpy as np, pandas as pd" \
    "$T/p.parquet"
printf '\211HDF\r\n\032\n\000\000' >"$T/h.h5"
refused "HDF5" "an HDF5 file" "$T/h.h5"
printf 'ARROW1\000\000' >"$T/a.arrow"
refused "Arrow" "an Arrow/Feather file" "$T/a.arrow"
printf '\223\377\001label\n' >"$T/junk.csv"
refused "binary junk" "\\x93" "$T/junk.csv"
printf 'label,p_a\033[31m,\377x\n0,0.5,0.5\n' >"$T/escapes.csv"
refused "bytes that are not UTF-8 in a column name" "unexpected column '\\xffx'" "$T/escapes.csv"

# --- CSV as pandas writes it: DataFrame(proba) plus a label column
printf ',0,1,2,label\n0,0.2,0.3,0.5,2\n1,0.6,0.3,0.1,0\n2,0.1,0.8,0.1,0\n' \
    >"$T/pandas.csv"
printf 'label,p_0,p_1,p_2\n2,0.2,0.3,0.5\n0,0.6,0.3,0.1\n0,0.1,0.8,0.1\n' \
    >"$T/plain.csv"
run metrics -f json "$T/plain.csv"
numbers "$T/out" >"$T/plain.json"
run metrics -f json "$T/pandas.csv"
check_status 2 "pandas to_csv without --probs"
check_contains "$T/err" "pandas.csv:1:2 (column '0'): column '0' is a number, as pandas names class columns: say what they hold with --probs or --logits" \
    "numeric headers: the error names --probs and --logits"
run metrics -f json --probs "$T/pandas.csv"
check_status 0 "pandas to_csv with --probs"
numbers "$T/out" | cmp -s - "$T/plain.json"
ok $? "pandas to_csv: identical to the plain CSV"
check_contains "$T/err" "the unnamed first column (pandas' index) is taken as the row id" \
    "the index column is said once on stderr"
[ "$(grep -c "pandas' index" "$T/err")" -eq 1 ]
ok $? "... exactly once"
printf ',0,1,2\n0,0.2,0.3,0.5\n1,0.6,0.3,0.1\n2,0.1,0.8,0.1\n' \
    >"$T/pandas-nolabel.csv"
printf '2\n0\n0\n' >"$T/y.txt"
run metrics -f json --probs --labels "$T/y.txt" "$T/pandas-nolabel.csv"
numbers "$T/out" | cmp -s - "$T/plain.json"
ok $? "pandas DataFrame(proba) with --labels: identical"

# --- np.savetxt: blanks, '# ' header, labels as 2.000000000000000000e+00
printf '# label p_0 p_1 p_2\n2.000000000000000000e+00 2.000000000000000111e-01 2.999999999999999889e-01 5.000000000000000000e-01\n0.000000000000000000e+00 5.999999999999999778e-01 2.999999999999999889e-01 1.000000000000000056e-01\n0.000000000000000000e+00 1.000000000000000056e-01 8.000000000000000444e-01 1.000000000000000056e-01\n' \
    >"$T/savetxt.txt"
run metrics -f json "$T/savetxt.txt"
check_status 0 "np.savetxt with header: blanks detected"
numbers "$T/out" | cmp -s - "$T/plain.json"
ok $? "np.savetxt: identical to the plain CSV"
sed 's/ /   /g; s/$/  /' "$T/savetxt.txt" >"$T/spaces.txt"
run metrics -f json --delimiter space "$T/spaces.txt"
numbers "$T/out" | cmp -s - "$T/plain.json"
ok $? "--delimiter space: runs of blanks and trailing blanks"
sed 1d "$T/savetxt.txt" >"$T/noheader.txt"
run metrics "$T/noheader.txt"
check_status 2 "np.savetxt without a header"
check_contains "$T/err" "the first line holds numbers" "no header: says so"
printf 'label,p_0,p_1\n1.5,0.5,0.5\n' >"$T/half.csv"
run metrics "$T/half.csv"
check_status 2 "label 1.5 stays an error"

# --- extra columns: --id-col, --ignore-col (globs), and the error
printf 'image_id,label,p_0,p_1,p_2,feat_a,feat_b\nx1,2,0.2,0.3,0.5,7,8\nx2,0,0.6,0.3,0.1,7,8\nx3,0,0.1,0.8,0.1,7,8\n' \
    >"$T/extra.csv"
run metrics "$T/extra.csv"
check_status 2 "extra columns refused"
check_contains "$T/err" "unexpected column 'image_id'" "the column is named"
check_contains "$T/err" "keep it as the row id with --id-col image_id, or drop it with --ignore-col image_id" \
    "the error suggests --id-col and --ignore-col"
run metrics -f json --id-col image_id --ignore-col 'feat_*' "$T/extra.csv"
numbers "$T/out" | cmp -s - "$T/plain.json"
ok $? "--id-col and --ignore-col 'feat_*': identical"

# an ignored last column may hold a quoted newline (the record goes on)
printf 'label,p_0,p_1,note\n0,0.2,0.8,"a\nb"\n1,0.4,0.6,x\n' >"$T/qnl.csv"
run metrics -f json --ignore-col note "$T/qnl.csv"
check_status 0 "a quoted newline in an ignored last column is read"
printf 'label,p_0,p_1\n0,0.2,0.8\n1,0.4,0.6\n' >"$T/qnl-plain.csv"
"$CALIB" metrics -f json "$T/qnl-plain.csv" | numbers - >"$T/qnl-plain.json"
numbers "$T/out" | cmp -s - "$T/qnl-plain.json"
ok $? "... and gives the numbers of the file without that column"
printf 'label,p_0,p_1,note\n0,0.2,0.8,a"b\n' >"$T/qbad.csv"
run metrics --ignore-col note "$T/qbad.csv"
check_status 2 "a stray quote in an ignored column is still malformed CSV"
check_contains "$T/err" "qbad.csv:2: malformed CSV" "... named at its line"

printf 'image_id,label,p_0,p_1\nimg_001,0,0.4,0.6\nimg_002,1,0.7,x\n' >"$T/id.csv"
run metrics --id-col image_id "$T/id.csv"
check_contains "$T/err" "id.csv:3:4 (column 'p_1'): 'x': expected a decimal number (row id 'img_002')" \
    "errors name the row id"

# calib apply carries the row ids into its output
printf 'image_id,label,logit_0,logit_1\nimg_1,0,2,1\n"img,2",1,0.5,1.5\nimg_3,0,-1,3\nimg_4,1,1,0\n' \
    >"$T/ida.csv"
run fit --method histogram -o "$T/ida.calib" --id-col image_id "$T/ida.csv"
check_status 0 "fit on a file with an id column"
run apply --id-col image_id "$T/ida.calib" "$T/ida.csv"
check_status 0 "apply with --id-col"
[ "$(sed -n 1p "$T/out")" = "image_id,label,p_0,p_1" ] &&
    [ "$(sed -n 3p "$T/out" | cut -c1-7)" = '"img,2"' ]
ok $? "apply: the id column comes first, quoted when it must be"
cp "$T/out" "$T/applied.csv"
run metrics --id-col image_id "$T/applied.csv"
check_status 0 "apply's output reads back with --id-col"
printf ',label,logit_0,logit_1\n0,0,2,1\n1,1,0.5,1.5\n' >"$T/idx.csv"
run apply "$T/ida.calib" "$T/idx.csv"
[ "$(sed -n 1p "$T/out")" = ",label,p_0,p_1" ] && [ "$(sed -n 3p "$T/out" | cut -d, -f1)" = 1 ]
ok $? "apply keeps pandas' index as the first, unnamed column"

# --- rounded (fp16) probabilities: counted, then the flags
printf 'label,p_0,p_1,p_2\n2,0.2,0.3,0.5\n0,0.6001,0.3,0.1\n0,0.1,0.8,0.1002\n1,0.1,0.8,0.1003\n' \
    >"$T/fp16.csv"
run metrics "$T/fp16.csv"
check_status 2 "rows off by more than 1e-4"
check_contains "$T/err" "fp16.csv:4: probabilities sum to 1.0002, expected 1 within 0.0001; 2 rows fail the sum check, the largest deviation is 0.0003: give --renormalize to rescale such rows, or --sum-tol X to accept sums within X" \
    "counts the failing rows, the largest deviation, and names both flags"
run metrics -f json --sum-tol 1e-3 "$T/fp16.csv"
check_status 0 "--sum-tol 1e-3 accepts them"
run metrics -f json --renormalize "$T/fp16.csv"
check_status 0 "--renormalize rescales them"
check_contains "$T/out" '"renormalized_rows":2' "renormalized rows in the JSON"

# --- masked logits and ignore_index labels
printf 'label,logit_0,logit_1,logit_2\n2,-inf,0.5,1.5\n0,1,-inf,-inf\n-100,0,0,0\n1,-inf,2,-inf\n' \
    >"$T/masked.csv"
run metrics "$T/masked.csv"
check_status 2 "-100 label without --ignore-label"
check_contains "$T/err" "masked.csv:4:1 (column 'label'): label '-100' is negative (expected a class index 0..2; to drop rows with this label, give --ignore-label -100)" \
    "the error names --ignore-label"
run metrics -f json --ignore-label -100 "$T/masked.csv"
check_status 0 "-inf logits and --ignore-label -100"
check_contains "$T/out" '"dropped_rows":1' "dropped rows in the JSON"
check_contains "$T/err" "1 row with label -100 dropped (--ignore-label)" \
    "dropped rows said on stderr"
# -inf is probability 0: row 2 is certain of class 0, row 4 of class 1
near "$(json_num "$T/out" accuracy)" 1 0 "masked classes get probability 0"
printf 'label,logit_0,logit_1\n0,-inf,-inf\n' >"$T/allmasked.csv"
run metrics "$T/allmasked.csv"
check_status 2 "every class masked"
check_contains "$T/err" "every logit is -inf" "all masked: says so"
printf 'label,logit_0,logit_1\n0,1,inf\n' >"$T/plusinf.csv"
run metrics "$T/plusinf.csv"
check_status 2 "+inf stays an error"
rm -f "$T/masked.npz"

# --- named binary labels: --positive
printf 'label,p\ncat,0.2\ndog,0.9\ncat,0.4\ndog,0.3\n' >"$T/named.csv"
printf 'label,p\n0,0.2\n1,0.9\n0,0.4\n1,0.3\n' >"$T/numbered.csv"
run metrics "$T/named.csv"
check_status 2 "named binary labels without --positive"
check_contains "$T/err" "unknown label 'cat' (expected 0 or 1; for named labels say which is the positive class with --positive NAME)" \
    "the error names --positive"
run metrics -f json "$T/numbered.csv"
numbers "$T/out" >"$T/numbered.json"
run metrics -f json --positive dog "$T/named.csv"
numbers "$T/out" | cmp -s - "$T/numbered.json"
ok $? "--positive dog: identical to 0/1 labels"
printf 'label,p\ncat,0.2\ndog,0.9\ncow,0.4\n' >"$T/three.csv"
run metrics --positive dog "$T/three.csv"
check_status 2 "a third label"
check_contains "$T/err" "a third label 'cow'" "a third label named"

# --- --classes names the classes of a file without names
printf 'cat\ndog\nbird\n' >"$T/classes.txt"
printf 'bird\ncat\ncat\ndog\nbird\nbird\n' >"$T/named-labels.txt"
run metrics -f json --logits --classes bird,cat,dog \
    --labels "$T/named-labels.txt" "$NPY/logits-f32.npy"
check_status 0 "--classes with string labels"
run bins -f json --logits --classes-file "$T/classes.txt" --class dog \
    --labels "$NPY/labels.txt" "$NPY/logits-f32.npy"
check_status 0 "--classes-file and --class NAME"
check_contains "$T/out" "'dog'" "the class is named in the table"
run metrics --logits --classes a,b --labels "$NPY/labels.txt" \
    "$NPY/logits-f32.npy"
check_status 2 "--classes with the wrong count"
check_contains "$T/err" "2 class names given (--classes) for 3 classes" \
    "wrong class count explained"

# --- top-label-only files: confidence and correct
# Five rows, each alone in its 15-bin bin: ECE = (.1 + .8 + .4 + .05 + .3)/5
printf 'confidence,correct\n0.9,1\n0.8,0\n0.6,1\n0.95,1\n0.3,0\n' >"$T/top.csv"
run metrics -f json "$T/top.csv"
check_status 0 "top-label-only CSV"
near "$(json_num "$T/out" ece)" 0.33 1e-15 "top-only ECE = 1.65/5"
near "$(json_num "$T/out" mce)" 0.8 1e-15 "top-only MCE = .8"
near "$(json_num "$T/out" accuracy)" 0.6 1e-15 "top-only accuracy = 3/5"
check_contains "$T/out" '"classwise_ece":null,' "classwise ECE unavailable: null"
check_contains "$T/out" '"nll":null,"brier":null,"brier_per_class":null,"entropy":null' \
    "NLL, Brier, entropy unavailable: null"
check_contains "$T/err" "holds only the top label's confidence and correctness" \
    "one note says why"
numbers "$T/out" >"$T/top.json"
run metrics -f json "$NPY/top.npz"
numbers "$T/out" | cmp -s - "$T/top.json"
ok $? "top-label-only .npz (members confidence, correct): identical"
run metrics "$T/top.csv"
[ "$(awk '$1 == "nll" || $1 == "brier" || $1 == "entropy" ||
    $1 == "classwise_ece" { print $2 }' "$T/out" | tr -d '\n')" = "----" ]
ok $? "text: unavailable metrics are '-'"
sed 's/confidence,correct/conf,ok/' "$T/top.csv" >"$T/top2.csv"
run metrics -f json --confidence-col conf --correct-col ok "$T/top2.csv"
numbers "$T/out" | cmp -s - "$T/top.json"
ok $? "--confidence-col and --correct-col"
run bins -f json --bins 5 "$T/top.csv"
check_status 0 "bins on a top-label-only file"
run compare -f json --bootstrap 200 "$T/top.csv" "$NPY/top.npz"
check_status 0 "compare on top-label-only files"
run check --max ece=0.5 "$T/top.csv"
check_status 0 "check on a top-label-only file"
run compare --bootstrap 0 "$T/top.csv" "$NPY/top.npz"
[ "$(grep -c "holds only the top label" "$T/err")" -eq 1 ]
ok $? "the note is said once per run"
run fit "$T/top.csv"
check_status 2 "no recalibration fitted on a top-label-only file"
check_contains "$T/err" "this needs the whole score vector" "fit: says why"
run metrics --temperature 2 "$T/top.csv"
check_status 2 "no temperature for top-label-only files"
printf 'confidence,correct\n0.9,2\n' >"$T/top-bad.csv"
run metrics "$T/top-bad.csv"
check_status 2 "correct must be 0 or 1"
check_contains "$T/err" ":2:2 (column 'correct'): correct is 2 (expected 0 or 1)" \
    "bad correct value located"

# --- settings in every machine-readable output
run metrics -f json --logits --labels "$NPY/labels.txt" "$NPY/logits-f16.npy"
check_contains "$T/out" '"version":"' "version still there"
check_contains "$T/out" '"target":"top-label","binary":null,"temperature":1,"calibrated":false,"nll_clip":0,"sum_tol":0.0001,"renormalized_rows":0,"dropped_rows":0,"scores":"logits","format":"npy"}' \
    "metrics -f json: the settings after the existing keys"
run check -f json --max ece=1 "$NPY/eval.npz"
check_contains "$T/out" '"dropped_rows":0,"scores":"logits","format":"npz"}' \
    "check -f json: the settings"
run compare -f json --bootstrap 0 "$NPY/eval.npz" "$NPY/ref.csv"
check_contains "$T/out" '"format":"npz"' "compare -f json: the settings per run"
run bins -f json "$NPY/eval.npz"
check_contains "$T/out" '"binary":null,"calibrated":false,"sum_tol":0.0001' \
    "bins -f json: the settings it did not have"

done_testing
