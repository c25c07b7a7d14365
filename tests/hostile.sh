#!/bin/sh
# hostile.sh - regression tests for what fuzzing and hostile command lines
# found (issue 10): output paths that are devices, FIFOs, symbolic links or
# inputs; signals during a figure run; the redraw hint as shell input;
# control bytes and non-UTF-8 names in messages and reports; tiny
# temperatures; rules files; weight totals that overflow.  The reader's
# findings are in hostile-read.sh.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

MC=$DATA/multiclass.csv
cp "$MC" "$T/in.csv"
IN=$T/in.csv

# --- 1. -o: special files written in place, links followed, inputs refused
run metrics -o /dev/null "$IN"
check_status 0 "-o /dev/null"
[ -c /dev/null ]
ok $? "/dev/null is still a character device"
if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
	run metrics -o "$T/null" "$IN"
	check_status 0 "-o a copy of /dev/null made with mknod"
	[ -c "$T/null" ]
	ok $? "the device node is still a device"
else
	skip "-o a mknod copy of /dev/null" "needs root"
	skip "the device node is still a device" "needs root"
fi
if [ -w /dev/full ]; then
	run metrics -o /dev/full "$IN"
	check_status 2 "-o /dev/full"
	check_contains "$T/err" "cannot write '/dev/full': No space left on device" \
	    "a full device is reported"
	[ -c /dev/full ]
	ok $? "/dev/full is still a device"
else
	skip "-o /dev/full" "no writable /dev/full"
	skip "a full device is reported" "no writable /dev/full"
	skip "/dev/full is still a device" "no writable /dev/full"
fi
"$CALIB" metrics -f csv "$IN" >"$T/want.csv"
rc=0
"$CALIB" metrics -f csv -o /dev/stdout "$IN" >"$T/stdout.csv" 2>"$T/err" || rc=$?
check_status 0 "-o /dev/stdout redirected to a file"
cmp -s "$T/want.csv" "$T/stdout.csv"
ok $? "-o /dev/stdout writes where standard output goes"
rc=0
"$CALIB" metrics -f csv -o /dev/stdout "$IN" 2>"$T/err" | cat >"$T/piped.csv" || rc=$?
check_status 0 "-o /dev/stdout into a pipe"
cmp -s "$T/want.csv" "$T/piped.csv"
ok $? "-o /dev/stdout into a pipe: the report arrives"
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
reader=$!
run metrics -f csv -o "$T/fifo" "$IN"
check_status 0 "-o a FIFO"
wait $reader
[ -p "$T/fifo" ] && cmp -s "$T/want.csv" "$T/fifo.out"
ok $? "the FIFO is still a FIFO and its reader got the report"
echo old >"$T/target.csv"
ln -s target.csv "$T/link.csv"
run metrics -f csv -o "$T/link.csv" "$IN"
check_status 0 "-o a symbolic link"
[ -L "$T/link.csv" ] && cmp -s "$T/want.csv" "$T/target.csv"
ok $? "the link is kept and its target replaced"
mkdir "$T/sub"
ln -s sub/new.csv "$T/dangling.csv"
run metrics -f csv -o "$T/dangling.csv" "$IN"
check_status 0 "-o a dangling symbolic link"
[ -L "$T/dangling.csv" ] && cmp -s "$T/want.csv" "$T/sub/new.csv"
ok $? "the dangling link's target is created"
ln -s loop-b "$T/loop-a"
ln -s loop-a "$T/loop-b"
run metrics -o "$T/loop-a" "$IN"
check_status 2 "-o a loop of links"
[ -L "$T/loop-a" ] && [ -L "$T/loop-b" ]
ok $? "... both links stay"
run metrics -o "$IN" "$IN"
check_status 2 "-o the input"
check_contains "$T/err" "cannot write '$IN': it is an input file" "-o the input: says why"
cmp -s "$MC" "$IN"
ok $? "-o the input: the input is intact"
ln -s in.csv "$T/in-link.csv"
run metrics -o "$T/in-link.csv" "$IN"
check_status 2 "-o a link to the input"
check_contains "$T/err" "it is the input file '$IN'" "-o a link to the input: names it"
run apply -o "$T/model.txt" "$T/model.txt" "$IN"
check_status 2 "apply -o its model file"
run bins -o "$IN" "$IN"
check_status 2 "bins -o the input"
run metrics -o "$T/sub" "$IN"
check_status 2 "-o a directory"
check_contains "$T/err" "it is a directory" "-o a directory: says so"
[ -z "$(ls -A "$T" | grep calib-tmp)" ]
ok $? "no temporary files left"

# --- 12. signals during a figure run remove the temporary files
mkdir "$T/tmp" "$T/bin" "$T/fig"
cat >"$T/bin/slowgp" <<'EOF'
#!/bin/sh
touch "$MARK"
exec sleep 30
EOF
chmod +x "$T/bin/slowgp"
# A background job of a non-interactive shell starts with SIGINT ignored
# (and calib leaves ignored signals alone): perl restores the default.
for sig in INT TERM HUP; do
	MARK=$T/started.$sig TMPDIR=$T/tmp perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
	    "$CALIB" diagram --gnuplot "$T/bin/slowgp" -o "$T/fig/f.png" "$IN" \
	    2>"$T/err" &
	pid=$!
	i=0
	while [ ! -e "$T/started.$sig" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$(ls -A "$T/fig")" ] && [ -n "$(ls -A "$T/tmp")" ]
	ok $? "SIG$sig: a figure run in progress has its temporary files"
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -gt 128 ]
	ok $? "SIG$sig: calib ends by the signal (status $rc)"
	[ -z "$(ls -A "$T/fig")" ] && [ -z "$(ls -A "$T/tmp")" ]
	ok $? "SIG$sig: no .calib-tmp-* and no private directory left"
done

# --- 13. the redraw hint is shell-quoted
mkdir "$T/q"
odd="$T/q/a'b \$(touch pwned).png"
(cd "$T/q" && "$CALIB" diagram --gnuplot /nonexistent -o "$odd" "$IN") 2>"$T/err"
hint=$(sed -n 's/.*to draw the figure later, run: //p' "$T/err")
[ -n "$hint" ]
ok $? "the hint is given"
# Pasting the hint runs gnuplot on the kept script and nothing else.
mkdir "$T/path"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\n' "$T/q/ran" >"$T/path/gnuplot"
chmod +x "$T/path/gnuplot"
(cd "$T" && PATH=$T/path:$PATH sh -c "$hint")
[ ! -e "$T/pwned" ] && [ ! -e "$T/q/pwned" ] && [ "$(cat "$T/q/ran")" = "a'b \$(touch pwned).gp" ]
ok $? "pasting the hint runs gnuplot on the kept script, nothing else"
grep -F "gnuplot 'a'\\''b \$(touch pwned).gp'" "$T/q/a'b \$(touch pwned).gp" >/dev/null
ok $? "the kept script's comment quotes its name too"
nl=$(printf 'x\ny')
(cd "$T/q" && "$CALIB" diagram --gnuplot /nonexistent -o "$T/q/$nl.png" "$IN") 2>"$T/err"
check_contains "$T/err" "'$T/q/x\\x0ay.gp'; to draw the figure later, run gnuplot on the .gp file in its directory" \
    "a name with a newline: shown escaped, no command to paste"
head -2 "$T/q/$nl.gp" | grep -q 'Draw it by running gnuplot on this file'
ok $? "... and no name in the kept script's comment"

# --- 15. control bytes and bytes that are not UTF-8
esc=$(printf '\033[2J')
printf 'label,p_a,p_b,%sx\n' "$esc" >"$T/esc.csv"
run metrics "$T/esc.csv"
check_status 2 "a column name holding an escape sequence"
! grep -qF "$esc" "$T/err"
ok $? "no escape byte reaches the terminal"
check_contains "$T/err" "unexpected column '\\x1b[2Jx'" "it is shown as \\x1b"
printf 'label,p_a,p_b\n\302\233x,0.5,0.5\n' >"$T/c1.csv"
run metrics "$T/c1.csv"
check_contains "$T/err" "unknown label '\\u009bx'" "a C1 control (CSI) is shown escaped"
printf 'label,p_\377a,p_b\n\377a,0.4,0.6\nb,0.3,0.7\n' >"$T/latin1.csv"
cp "$T/latin1.csv" "$T/bad-$(printf '\376').csv"
for f in "$T/bad-$(printf '\376').csv"; do
	run metrics -f json "$f"
	check_status 0 "non-UTF-8 name: metrics -f json"
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$T/out"
		ok $? "non-UTF-8 name: the JSON is valid UTF-8 JSON"
	else
		iconv -f UTF-8 -t UTF-8 "$T/out" >/dev/null 2>&1
		ok $? "non-UTF-8 name: the JSON is valid UTF-8"
	fi
	check_contains "$T/err" "not UTF-8 and" "non-UTF-8 name: the replacement is reported"
done
grep -q 'bad-\\ufffd.csv' "$T/out"
ok $? "an invalid byte is written as U+FFFD"
run check --max ece=1 --junit "$T/r.xml" "$T/bad-$(printf '\376').csv"
check_status 0 "check --junit with a non-UTF-8 file name"
iconv -f UTF-8 -t UTF-8 "$T/r.xml" >/dev/null 2>&1
ok $? "the JUnit report is valid UTF-8"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$T/r.xml"
	ok $? "... and well-formed XML"
else
	skip "... and well-formed XML" "no xmllint"
fi

# --- 8. tiny temperatures stay finite
printf 'label,logit_0,logit_1\n0,-5,-6\n1,3,1\n0,2,1\n' >"$T/n.csv"
run metrics -f json --temperature 2.3e-308 "$T/n.csv"
check_status 0 "--temperature 2.3e-308"
! grep -q 'null' "$T/out"
ok $? "--temperature 2.3e-308: every metric is a number"
# At T -> 0 the softmax is one-hot on the top logit: confidence 1,
# accuracy 2/3, Brier (0 + 2 + 0) / 3 / 2 per class.
near "$(json_num "$T/out" mean_confidence)" 1 0 "tiny T: confidence 1"
near "$(json_num "$T/out" accuracy)" 0.6666666666666666 1e-15 "tiny T: accuracy 2/3"
near "$(json_num "$T/out" brier_per_class)" 0.3333333333333333 1e-15 "tiny T: Brier 1/3 per class"
printf 'label,p_0,p_1\n0,0.7,0.3\n1,0.6,0.4\n' >"$T/np.csv"
run metrics -f json --temperature 1e-310 "$T/np.csv"
check_status 0 "--temperature 1e-310 on probabilities"
# (ln 0.4 - ln 0.6) / 1e-310 is -inf: the second row's true class truly
# gets probability 0, so the NLL is infinite - and said to be.
! sed 's/"nll":null,//' "$T/out" | grep -q 'null'
ok $? "--temperature 1e-310 on probabilities: every other metric is a number"
check_contains "$T/err" "NLL is infinite: 1 row gives probability 0 to the true class" \
    "... and the infinite NLL is explained"
run fit "$DATA/val-logits.csv" -o "$T/m.txt"
check_status 0 "fit a temperature model"
sed 's/^temperature .*/temperature 1e-310/' "$T/m.txt" >"$T/tiny.txt"
run apply -o "$T/applied.csv" "$T/tiny.txt" "$DATA/logits.csv"
check_status 0 "apply a model with temperature 1e-310"
! grep -qi 'nan' "$T/applied.csv"
ok $? "apply: no NaN written"
run metrics "$T/applied.csv"
check_status 0 "apply: calib reads its output back"
# (found by fuzz-model) a model naming a class twice matches no file
printf 'calib-model 1\nmethod temperature\nclasses 3\nclass a\n# c\nclass b\n\nclass a\ntemperature 2\n' >"$T/dup-class.txt"
run apply "$T/dup-class.txt" "$DATA/val-logits.csv"
check_status 2 "a model with a class named twice"
check_contains "$T/err" "dup-class.txt:8: class 'a' a second time (expected 3 different class names)" \
    "... is refused at the repeat's line"
# (found by fuzz-model) a count the text cannot hold allocates nothing
printf 'calib-model 1\nmethod histogram\nclasses 2\nclass 0\nclass 1\nbinning mass\nsteps 333333337\nstep 0.5 1 0.5\n' >"$T/steps.txt"
run apply "$T/steps.txt" "$DATA/binary.csv"
check_status 2 "a model announcing 333333337 steps in a few bytes"
check_contains "$T/err" "steps.txt:7: 333333337 steps announced, but the rest of the file has room for at most 2" \
    "... is refused before any allocation"

# --- 10. rules files: trailing text, long specs, NUL bytes, bare CRs
printf 'min accuracy=0.5 9\n' >"$T/r1.txt"
run check --rules "$T/r1.txt" "$IN"
check_status 2 "a rule with text after the bound"
check_contains "$T/err" "r1.txt:1:18: unexpected '9' after the bound" "... is refused at its column"
# 5e-6 written with 300 zeros: a 255-byte buffer read it as 0
{ printf 'max ece=0.'; i=0; while [ $i -lt 299 ]; do printf 0; i=$((i + 1)); done; printf '5e294\n'; } >"$T/r2.txt"
run check --rules "$T/r2.txt" "$IN"
check_status 1 "a 312-byte rule is read whole"
check_contains "$T/out" "[max ece=5e-06]" "... and its bound is 5e-6"
printf 'max ece=0.5\000min accuracy=0.99\n' >"$T/r3.txt"
run check --rules "$T/r3.txt" "$IN"
check_status 2 "a NUL byte in a rules file"
check_contains "$T/err" "r3.txt:1:12: a NUL byte" "... is refused where it is"
printf 'max ece=0.5\rmin accuracy=0.99\r\n' >"$T/r4.txt"
run check --rules "$T/r4.txt" "$IN"
check_status 2 "a bare carriage return in a rules file"
check_contains "$T/err" "r4.txt:1:12: a carriage return inside the line" "... is refused"
printf 'max ece = 0.5\r\nmin accuracy =0.1 # ok\n' >"$T/r5.txt"
run check --rules "$T/r5.txt" "$IN"
check_status 0 "CRLF lines and blanks around '=' are fine"
check_contains "$T/out" "2 of 2 assertions hold" "... both rules read"

done_testing
