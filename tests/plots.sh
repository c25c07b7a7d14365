#!/bin/sh
# plots.sh - calib diagram and hist: figures of the requested format and
# size, the numbers written in them, --table, what reaches gnuplot (a fake
# gnuplot records it), names with spaces, quotes and shell syntax, and
# every way of not drawing: no gnuplot, gnuplot failing, crashing or
# writing nothing.  Tests that need a real gnuplot skip without one.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

MC=$DATA/multiclass.csv
# Private directories go here, so leftovers are seen.
mkdir "$T/tmp"
TMPDIR=$T/tmp
export TMPDIR

# has FILE TEXT DESCRIPTION: like check_contains, without printing FILE
has() {
	grep -F -- "$2" "$1" >/dev/null
	s=$?
	ok $s "$3"
	[ $s -eq 0 ] || diag "'$2' not found in $1"
}
no_leftovers() { # no temporary files in DIR and no private directory
	[ -z "$(ls -A "$1" | grep calib-tmp)" ] && [ -z "$(ls -A "$T/tmp")" ]
}

# --- a fake gnuplot records what calib hands over (no gnuplot needed)
mkdir "$T/bin" "$T/log"
cat >"$T/bin/fakegp" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$LOGDIR/args"
pwd >"$LOGDIR/cwd"
cp vars.gp "$LOGDIR/vars.gp"
cp datafile.csv "$LOGDIR/data.csv"
printf 'FIGURE'
EOF
chmod +x "$T/bin/fakegp"
LOGDIR=$T/log
export LOGDIR
odd='a b'"'"'c";d $(touch pwned) `touch pwned2` @x'
(cd "$T" && "$CALIB" diagram --bins 5 --gnuplot ./bin/fakegp --title "$odd" \
    -o "$T/fake.png" "$MC" >"$T/out" 2>"$T/err")
rc=$?
check_status 0 "diagram with a fake gnuplot given by a relative path"
[ "$(cat "$T/fake.png")" = FIGURE ]
ok $? "the figure is gnuplot's standard output"
[ "$(sed -n 1,2p "$T/log/args" | tr '\n' ' ')" = "-d vars.gp " ] &&
[ "$(wc -l <"$T/log/args")" -eq 3 ] &&
case $(sed -n 3p "$T/log/args") in /*/plots/reliability.gp) true ;; *) false ;; esac
ok $? "gnuplot's arguments: -d vars.gp /.../plots/reliability.gp"
case $(cat "$T/log/cwd") in "$T/tmp/calib-plot-"*) true ;; *) false ;; esac
ok $? "gnuplot runs in a private directory under \$TMPDIR"
run bins --bins 5 -f csv "$MC"
cut -d, -f1-12 "$T/out" | cmp -s - "$T/log/data.csv"
ok $? "its data file is the table of calib bins -f csv (without the settings)"
grep -qx "title = 'a b''c\";d \$(touch pwned) \`touch pwned2\` @x'" "$T/log/vars.gp"
ok $? "the title is one single-quoted gnuplot literal, quote doubled"
grep -qx "datafile = 'datafile.csv'" "$T/log/vars.gp" &&
grep -qx "term = 'pngcairo'" "$T/log/vars.gp" &&
grep -qx "outfile = ''" "$T/log/vars.gp" &&
grep -qx "n = 5.0" "$T/log/vars.gp" &&
grep -q "^ece = 0.2200000000000000[0-9]*$" "$T/log/vars.gp" &&
grep -qx "band = 'exact'" "$T/log/vars.gp"
ok $? "variables: datafile, term, outfile, n, ece, band"
grep -q '^width' "$T/log/vars.gp"
[ $? -ne 0 ]
ok $? "no size unless --size is given"
no_leftovers "$T"
ok $? "private directory removed, no temporary file left"
run diagram --bins 5 --gnuplot "$T/bin/fakegp" --size 300x200 --title "$(printf 'two\nlines')" -o "$T/fake.svg" "$MC"
grep -qx "term = 'svg'" "$T/log/vars.gp" && grep -qx "width = 300.0" "$T/log/vars.gp" &&
grep -qx "height = 200.0" "$T/log/vars.gp"
ok $? "--size and .svg reach the script"
grep -qx "title = 'two'.\"\\\\012\".'lines'" "$T/log/vars.gp"
ok $? "a newline in the title becomes an octal escape"
run hist --gnuplot "$T/bin/fakegp" --class 1 -o "$T/fake.pdf" "$MC"
grep -qx "term = 'pdfcairo'" "$T/log/vars.gp" &&
grep -qx "xlabel = 'Predicted probability of class 1'" "$T/log/vars.gp" &&
case $(sed -n 3p "$T/log/args") in */plots/histogram.gp) true ;; *) false ;; esac
ok $? "hist runs histogram.gp; --class labels the axis"

rc=0
"$CALIB" hist --gnuplot "$T/bin/fakegp" -o "$T/fake.png" - <"$MC" >"$T/out" 2>"$T/err" || rc=$?
check_status 0 "hist from standard input"
grep -qx "title = 'standard input'" "$T/log/vars.gp"
ok $? "standard input is titled so"

# --- every way of not drawing: exit 3, no figure, the data and a script kept
echo old >"$T/keep.png"
run diagram --bins 5 --gnuplot /nonexistent/gnuplot -o "$T/keep.png" "$MC"
check_status 3 "no gnuplot"
check_contains "$T/err" "figure '$T/keep.png' not drawn: cannot run gnuplot '/nonexistent/gnuplot': No such file or directory" \
    "no gnuplot: says so"
check_contains "$T/err" "kept '$T/keep-bins.csv' and '$T/keep.gp'; to draw the figure later, run: cd '$T' && gnuplot 'keep.gp'" \
    "no gnuplot: says what was kept and how to draw it"
[ "$(cat "$T/keep.png")" = old ]
ok $? "no gnuplot: an existing figure is left alone"
run bins --bins 5 -f csv "$MC"
cut -d, -f1-12 "$T/out" | cmp -s - "$T/keep-bins.csv"
ok $? "no gnuplot: the kept data is the bin table"
grep -qx "datafile = 'keep-bins.csv'" "$T/keep.gp" && grep -qx "outfile = 'keep.png'" "$T/keep.gp" &&
grep -q '^# reliability.gp - a reliability diagram' "$T/keep.gp"
ok $? "no gnuplot: the kept script holds the variables and the script"
no_leftovers "$T"
ok $? "no gnuplot: no temporary files"

run diagram --bins 5 --gnuplot /bin/false -o "$T/keep.png" "$MC"
check_status 3 "gnuplot failing"
check_contains "$T/err" "gnuplot '/bin/false' failed (exit status 1)" "failure reported with its status"
[ "$(cat "$T/keep.png")" = old ] && no_leftovers "$T"
ok $? "failure: existing figure untouched, nothing left behind"
run diagram --bins 5 --gnuplot /bin/true -o "$T/empty.png" "$MC"
check_status 3 "gnuplot writing nothing"
check_contains "$T/err" "gnuplot '/bin/true' wrote nothing" "empty output reported"
[ ! -e "$T/empty.png" ]
ok $? "no empty figure"
printf '#!/bin/sh\necho "dying" >&2\nkill -9 $$\n' >"$T/bin/crash"
chmod +x "$T/bin/crash"
run hist --gnuplot "$T/bin/crash" -o "$T/crash.png" "$MC"
check_status 3 "gnuplot killed by a signal"
check_contains "$T/err" "killed by signal 9" "the signal is named"
check_contains "$T/err" "calib: gnuplot: dying" "gnuplot's standard error is shown"
[ ! -e "$T/crash.png" ] && no_leftovers "$T"
ok $? "crash: nothing left behind"
# The kept files never overwrite the input.
cp "$MC" "$T/in-bins.csv"
run diagram --gnuplot /nonexistent -o "$T/in.png" "$T/in-bins.csv"
check_status 3 "input named like the kept data"
cmp -s "$MC" "$T/in-bins.csv"
ok $? "the input was not overwritten"
check_contains "$T/err" "would overwrite a file named on the command line" "and the message says why"

# --- errors before drawing: exit 2, nothing written
run diagram "$MC"
check_status 2 "no -o"
check_contains "$T/err" "no figure named" "missing -o explained"
run diagram -o "$T/fig.gif" "$MC"
check_status 2 "unknown figure format"
check_contains "$T/err" "must end in .png, .svg, .pdf or .tex" "format explained"
run hist --size 10x10 -o "$T/fig.png" "$MC"
check_status 2 "--size 10x10 refused"
run hist --size big -o "$T/fig.png" "$MC"
check_status 2 "--size big refused"
printf 'label,p_0,p_1\n0,0.5\n' >"$T/short.csv"
run diagram -o "$T/short.png" "$T/short.csv"
check_status 2 "bad input"
check_contains "$T/err" "short.csv:2" "bad input located"
[ ! -e "$T/short.png" ] && [ ! -e "$T/short.gp" ] && no_leftovers "$T"
ok $? "bad input: no figure, nothing kept"
mkdir "$T/noscripts"
rc=0
CALIB_PLOTS_DIR=$T/noscripts "$CALIB" diagram --gnuplot "$T/bin/fakegp" -o "$T/x.png" "$MC" >"$T/out" 2>"$T/err" || rc=$?
check_status 2 "no scripts in \$CALIB_PLOTS_DIR"
check_contains "$T/err" "cannot read the gnuplot script '$T/noscripts/reliability.gp'" "missing script named"
run diagram --help
check_contains "$T/out" "--log-count" "diagram --help"
run help hist
check_contains "$T/out" "Usage: calib hist" "help hist"

# --- real figures
if [ "$have_gnuplot" -eq 0 ]; then
	skip "figures rendered" "gnuplot with pngcairo not installed"
	done_testing
	exit
fi

run diagram --bins 5 -o "$T/d.png" "$MC"
check_status 0 "diagram to PNG"
is_png "$T/d.png"
ok $? "a PNG file"
[ "$(png_size "$T/d.png")" = "640 760" ]
ok $? "default size 640 x 760 ($(png_size "$T/d.png"))"
[ ! -s "$T/err" ]
ok $? "gnuplot printed nothing"
[ -s "$T/err" ] && diag "$(cat "$T/err")"
no_leftovers "$T"
ok $? "nothing left behind"
run diagram --bins 5 --size 500x400 --log-count -o "$T/d2.png" "$MC"
[ "$rc" -eq 0 ] && [ "$(png_size "$T/d2.png")" = "500 400" ]
ok $? "--size 500x400 gives a 500 x 400 PNG"
run diagram --bins 5 --size 700x650 --title 'T & <b>' -o "$T/d.svg" "$MC"
check_status 0 "diagram to SVG"
is_svg "$T/d.svg" 700 650
ok $? "an SVG of 700 x 650"
has "$T/d.svg" "ECE 22.00%   MCE 37.50%   OE 13.12%   n = 5" "the figure shows ECE .22, MCE .375, OE .13125, n 5"
has "$T/d.svg" "T &amp; &lt;b" "the title, escaped in the SVG"
has "$T/d.svg" "consistency band (95%, exact)" "the band is in the key"
has "$T/d.svg" "Wilson interval of accuracy (95%)" "the interval is in the key"
run diagram --bins 5 --ci clopper-pearson --ci-level 0.9 -o "$T/d3.svg" "$MC"
has "$T/d3.svg" "Clopper-Pearson interval of accuracy (90%)" "--ci and --ci-level reach the key"
run diagram --bins 5 --size 400x300 -o "$T/d.pdf" "$MC"
check_status 0 "diagram to PDF"
is_pdf "$T/d.pdf" 400 300
ok $? "a PDF with MediaBox 400 x 300"

run hist --bins 5 -o "$T/h.png" "$MC"
check_status 0 "hist to PNG"
is_png "$T/h.png" && [ "$(png_size "$T/h.png")" = "640 480" ]
ok $? "a 640 x 480 PNG"
run hist --bins 5 --size 480x360 -o "$T/h.svg" "$MC"
is_svg "$T/h.svg" 480 360
ok $? "hist to a 480 x 360 SVG"
has "$T/h.svg" "Accuracy 60.00%" "the accuracy line: 3/5"
has "$T/h.svg" "Avg. confidence 68.00%" "the confidence line: 3.4/5"
has "$T/h.svg" "overconfidence +8.00%" "the distance between them: +8%"
run hist --log-count -o "$T/h.pdf" "$MC"
is_pdf "$T/h.pdf" 640 480
ok $? "hist to PDF"
if [ -r "$top_srcdir/data/fashion-mnist-ls0.10.csv" ]; then
	run hist --size 600x400 --binning mass -o "$T/h2.svg" "$top_srcdir/data/fashion-mnist-ls0.10.csv"
	has "$T/h2.svg" "overconfidence -6.49%" "demo ls0.10: underconfident by 6.49 %"
fi

# --table writes the table too, in the format its name asks for
run diagram --bins 5 --table "$T/t.csv" -o "$T/t.png" "$MC"
run bins --bins 5 -f csv "$MC"
cmp -s "$T/out" "$T/t.csv"
ok $? "--table t.csv = calib bins -f csv"
run hist --bins 5 --table "$T/t.json" -o "$T/t.png" "$MC"
run bins --bins 5 -f json "$MC"
cmp -s "$T/out" "$T/t.json"
ok $? "--table t.json = calib bins -f json"

# --- names with spaces, quotes and shell syntax, and a relative output
dir="$T/we ird;dir"
mkdir "$dir"
cp "$MC" "$dir/in put'q\".csv"
(cd "$dir" && "$CALIB" diagram --bins 5 --title "$odd" -o "$odd.png" "in put'q\".csv" >"$T/out" 2>"$T/err")
rc=$?
check_status 0 "odd names: diagram"
is_png "$dir/$odd.png"
ok $? "odd names: the figure is at exactly the name given"
(cd "$dir" && "$CALIB" hist --title "$odd" -o "$odd.svg" "in put'q\".csv" >"$T/out" 2>"$T/err")
grep -q "a b'c&quot;;d \$(touch pwned) \`touch pwned2\` @x" "$dir/$odd.svg" ||
grep -q "a b'c\";d \$(touch pwned) \`touch pwned2\` @x" "$dir/$odd.svg"
ok $? "odd names: the title is drawn literally"
# ... and the kept script draws the figure later, names and all
(cd "$dir" && "$CALIB" diagram --bins 5 --gnuplot /nonexistent --title "$odd" -o "$odd later.png" "in put'q\".csv" >"$T/out" 2>"$T/err")
rc=$?
check_status 3 "odd names: no gnuplot"
(cd "$dir" && gnuplot "$odd later.gp" >/dev/null 2>"$T/err")
s=$?
[ $s -eq 0 ] && is_png "$dir/$odd later.png"
ok $? "odd names: the kept script draws the figure"
[ -z "$(find "$T" -name 'pwned*')" ]
ok $? "nothing in any name was run"
no_leftovers "$dir"
ok $? "odd names: nothing left behind"

# --- the restyling options reach the script, user text only as literals
run diagram --bins 5 --gnuplot "$T/bin/fakegp" --style line --no-legend \
    --no-counts --no-intervals --font "$odd,12.5" --fontscale 1.5 -o "$T/fake.png" "$MC"
check_status 0 "diagram with every restyling option"
grep -qx "style = 'line'" "$T/log/vars.gp" && grep -qx "legend = 0" "$T/log/vars.gp" &&
grep -qx "counts = 0" "$T/log/vars.gp" && grep -qx "intervals = 0" "$T/log/vars.gp" &&
grep -qx "fontsize_given = 12.500000" "$T/log/vars.gp" &&
grep -qx "fontscale = 1.500000" "$T/log/vars.gp"
ok $? "--style, --no-legend, --no-counts, --no-intervals, --font SIZE, --fontscale reach the script"
grep -qx "fontname = 'a b''c\";d \$(touch pwned) \`touch pwned2\` @x'" "$T/log/vars.gp"
ok $? "the font name is one single-quoted gnuplot literal, quote doubled"
grep -qx "title = 'multiclass'" "$T/log/vars.gp"
ok $? "the default title is the file's stem"
run diagram --bins 5 --gnuplot "$T/bin/fakegp" -o "$T/fake.png" "$MC"
grep -qx "style = 'bars'" "$T/log/vars.gp" && grep -qx "legend = 1" "$T/log/vars.gp" &&
! grep -q '^fontname' "$T/log/vars.gp" && ! grep -q '^fontsize_given' "$T/log/vars.gp"
ok $? "defaults: bars, a legend, the script's font"
run diagram --bins 5 --binning mass --gnuplot "$T/bin/fakegp" -o "$T/fake.png" "$MC"
grep -qx "style = 'points'" "$T/log/vars.gp"
ok $? "equal-mass bins are drawn as points by default"
run compare --bootstrap 5 --gnuplot "$T/bin/fakegp" --names "$odd,b" --font "$odd" --style points -o "$T/cfake" "$MC" "$MC"
grep -qx "label1 = 'a b''c\";d \$(touch pwned) \`touch pwned2\` @x'" "$T/log/vars.gp" &&
grep -qx "fontname = 'a b''c\";d \$(touch pwned) \`touch pwned2\` @x'" "$T/log/vars.gp" &&
grep -qx "style = 'points'" "$T/log/vars.gp"
ok $? "compare: run names and --font as literals, --style passed on"
run compare --bootstrap 5 --gnuplot "$T/bin/fakegp" --sweep "a.b-c_d=1,2" -o "$T/cfake" "$MC" "$MC"
grep -qx "param = 'a.b-c_d'" "$T/log/vars.gp" && grep -qx "metric1 = 'ece'" "$T/log/vars.gp" &&
grep -qx "scale1 = 1e+02" "$T/log/vars.gp" && grep -qx "nmetrics = 4.0" "$T/log/vars.gp" &&
head -1 "$T/log/data.csv" | grep -q '^a.b-c_d,series,ece,ece_lo,ece_hi,'
ok $? "compare --sweep: the parameter's name as a literal and a column"
[ -z "$(find "$T" -name 'pwned*')" ]
ok $? "nothing in a font or run name was run"
for bad in "--style pie" "--font ,100" "--font ,x" "--font ," "--fontscale 0" "--fontscale 9"; do
	run diagram $bad -o "$T/x.png" "$MC"
	check_status 2 "diagram $bad refused"
done
for bad in "--style bars" "--no-counts" "--no-intervals"; do
	run hist $bad -o "$T/x.png" "$MC"
	check_status 2 "hist $bad refused (no such part)"
done
run diagram -o "$T/a b.tex" "$MC"
check_status 2 "a .tex name LaTeX cannot read refused"
check_contains "$T/err" "a .tex figure's name may hold only letters, digits" "and why"
for bad in "x" "=1,2" "a b=1,2" "a=1" "a=1,2,3" "a=1,inf" "a=1,x"; do
	run compare --bootstrap 5 --sweep "$bad" -o "$T/cx" "$MC" "$MC"
	check_status 2 "--sweep '$bad' refused"
done
run compare --bootstrap 5 --sweep a=1,2 "$MC" "$MC"
check_status 2 "--sweep without -o refused"
run compare --bootstrap 5 --sweep a=1,2 --sweep-metrics ece,nope -o "$T/cx" "$MC" "$MC"
check_status 2 "--sweep-metrics with an unknown name refused"
check_contains "$T/err" "unknown metric 'nope'" "the name is given"

if [ "$have_gnuplot" = 1 ]; then
	# Sizes and formats with the options, drawn for real.
	run diagram --bins 5 --no-counts --no-legend --size 500x400 -o "$T/n.png" "$MC"
	is_png "$T/n.png" && [ "$(png_size "$T/n.png")" = "500 400" ]
	ok $? "--no-counts --no-legend: a 500 x 400 PNG"
	run diagram --bins 5 --style points --font Times,12 --fontscale 1.2 --no-intervals -o "$T/p.svg" "$MC"
	is_svg "$T/p.svg" 640 760 && grep -q 'font-family="Times"' "$T/p.svg"
	ok $? "--font Times: an SVG in Times"
	has "$T/p.svg" "accuracy at mean confidence" "points: the key names the dot"
	! grep -q "interval of accuracy" "$T/p.svg" && ! grep -q "consistency band" "$T/p.svg"
	ok $? "--no-intervals: no interval or band in the key"
	run diagram --bins 5 -o "$T/b.svg" "$MC"
	for k in "accuracy (bar)" "gap, overconfident (conf. above)" "gap, underconfident (conf. below)" \
	    "mean confidence (tick)" "perfect calibration"; do
		has "$T/b.svg" "$k" "bars: the key names '$k'"
	done
	# cairolatex: the text for LaTeX, the graphics in a PDF next to it
	run diagram --bins 5 --title 'a_b & 50% #1 $x$ {c} ~^\' -o "$T/fig.tex" "$MC"
	check_status 0 "diagram to .tex"
	[ -s "$T/fig.tex" ] && is_pdf "$T/fig.pdf" 360 427 &&
	grep -q 'includegraphics.*{fig}' "$T/fig.tex"
	ok $? ".tex: fig.tex includes fig.pdf, 360 x 427 points by default"
	has "$T/fig.tex" 'a\_b \& 50\% \#1 \$x\$ \{c\} \textasciitilde{}\textasciicircum{}\textbackslash{}' \
	    ".tex: the title's LaTeX specials are escaped"
	has "$T/fig.tex" 'ECE 22.00\%' ".tex: the percent signs of the numbers too"
	run hist --bins 5 -o "$T/hist.tex" "$MC"
	run compare --bootstrap 5 --figures tex --names 'run_1,run%2' --sweep e=0,1 -o "$T/ctex" "$MC" "$MC"
	check_status 0 "compare --figures tex"
	[ -s "$T/ctex/reliability.tex" ] && [ -s "$T/ctex/confidence.pdf" ] && [ -s "$T/ctex/sweep.tex" ] &&
	grep -q 'run\\_1' "$T/ctex/reliability.tex" && grep -q 'run\\%2' "$T/ctex/confidence.tex"
	ok $? "compare --figures tex: three figures, names escaped"
	if command -v pdflatex >/dev/null 2>&1; then
		printf '%s\n' '\documentclass{article}' '\usepackage[utf8]{inputenc}' \
		    '\usepackage{graphicx,color}' '\begin{document}' \
		    '\input{fig.tex}' '\input{hist.tex}' '\input{ctex/reliability.tex}' \
		    '\input{ctex/confidence.tex}' '\input{ctex/sweep.tex}' \
		    '\end{document}' >"$T/doc.tex"
		# the figures of ctex/ name their graphics relative to there
		(cd "$T" && TEXINPUTS=.:ctex: pdflatex -interaction=nonstopmode \
		    -halt-on-error doc.tex >"$T/latex.log" 2>&1)
		s=$?
		[ $s -eq 0 ] && [ "$(head -c 5 "$T/doc.pdf")" = "%PDF-" ]
		ok $? "pdflatex compiles a document holding the .tex figures"
		[ $s -eq 0 ] || diag "$(grep -A3 '^!' "$T/latex.log" | head -10)"
	else
		skip "pdflatex compiles the .tex figures" "no pdflatex (Debian: texlive-latex-base)"
	fi
else
	skip "restyled figures drawn" "no gnuplot"
fi

# --- diagram --per-class: one-vs-rest panels, the worst 25 beyond 25
cat >"$T/bin/fakeall" <<'EOF'
#!/bin/sh
cp vars.gp "$LOGDIR/vars.gp"
cp *.csv "$LOGDIR/"
printf 'FIGURE'
EOF
chmod +x "$T/bin/fakeall"
# 30 classes; class y's rows give it 0.5 + y/70 and are right 4 times in 5,
# so the one-vs-rest ECE falls with y up to 21 and rises again
awk 'BEGIN { K = 30; printf "label"; for (c = 0; c < K; c++) printf ",p_%d", c; print "";
    for (i = 0; i < 600; i++) { y = i % K; pt = 0.5 + y / 70; lab = (int(i / K) % 5) ? y : (y + 1) % K;
    printf "%d", lab; for (c = 0; c < K; c++) printf ",%.10f", c == y ? pt : (1 - pt) / (K - 1); print "" } }' \
    >"$T/k30.csv"
rm -f "$T/log/"*
run diagram --per-class --gnuplot "$T/bin/fakeall" -o "$T/pc.png" "$T/k30.csv"
check_status 0 "diagram --per-class with 30 classes"
grep -qx "ndata = 25.0" "$T/log/vars.gp" && grep -qx "label1 = 'class 0'" "$T/log/vars.gp" &&
[ "$(ls "$T/log/"data*.csv | wc -l)" -eq 25 ]
ok $? "25 panels, the worst-calibrated class first"
sed -n 's/^ece\([0-9]*\) = \(.*\)$/\1 \2/p' "$T/log/vars.gp" | sort -n |
awk 'NR > 1 && $2 > prev + 1e-12 { bad = 1 } { prev = $2 } END { exit bad }'
ok $? "panels in decreasing ECE"
n=$(grep -c "^label[0-9]* = 'class 2[0-9]'" "$T/log/vars.gp")
shown=$(sed -n "s/^label[0-9]* = 'class \([0-9]*\)'$/\1/p" "$T/log/vars.gp" | sort -n | tr '\n' ' ')
for c in 19 20 21 22 23; do
	case " $shown" in *" $c "*) false ;; *) true ;; esac || break
done
ok $? "the five best-calibrated classes (19-23) left out ($shown)"
run bins -f csv --class 29 "$T/k30.csv"
i=$(sed -n "s/^label\([0-9]*\) = 'class 29'$/\1/p" "$T/log/vars.gp")
# calib bins repeats the settings on every row after the 12 table columns.
cut -d, -f1-12 "$T/out" | cmp -s - "$T/log/data$i.csv"
ok $? "a panel's table is that of calib bins --class (class 29)"
run diagram --per-class --class 2 -o "$T/pc.png" "$MC"
check_status 2 "--per-class with --class refused"
run diagram --per-class --table "$T/t.csv" -o "$T/pc.png" "$MC"
check_status 2 "--per-class with --table refused"
run hist --per-class -o "$T/pc.png" "$MC"
check_status 2 "hist --per-class refused"
if [ "$have_gnuplot" = 1 ]; then
	run diagram --per-class --bins 5 -o "$T/pc.png" "$MC"
	check_status 0 "--per-class drawn"
	is_png "$T/pc.png" && [ "$(png_size "$T/pc.png")" = "770 350" ]
	ok $? "three classes: one row of three panels, 770 x 350"
	run diagram --per-class -o "$T/pc30.svg" "$T/k30.csv"
	is_svg "$T/pc30.svg" 1230 1270
	ok $? "30 classes: 5 x 5 panels, 1230 x 1270"
	has "$T/pc30.svg" "(the 25 worst-calibrated)" "the title says which classes"
else
	skip "--per-class drawn" "no gnuplot"
fi

# --- diagram --smooth / --corp: the curves of calib bins --smooth / --corp
rm -f "$T/log/"*
run diagram --smooth --corp --bins 5 --gnuplot "$T/bin/fakeall" -o "$T/sc.png" "$MC"
check_status 0 "diagram --smooth --corp with a fake gnuplot"
grep -qx "smoothfile = 'smoothfile.csv'" "$T/log/vars.gp" &&
grep -qx "corpfile = 'corpfile.csv'" "$T/log/vars.gp"
ok $? "the curves' data files reach the script as quoted literals"
run bins -f csv --smooth "$MC"
cmp -s "$T/out" "$T/log/smoothfile.csv"
ok $? "the smooth curve's data is calib bins --smooth -f csv, byte for byte"
run bins -f csv --corp "$MC"
cmp -s "$T/out" "$T/log/corpfile.csv"
ok $? "the CORP curve's data is calib bins --corp -f csv, byte for byte"
cut -d, -f1-12 "$T/log/datafile.csv" >"$T/sc-bins.csv"
run bins --bins 5 -f csv "$MC"
cut -d, -f1-12 "$T/out" | cmp -s - "$T/sc-bins.csv"
ok $? "the bin table is unchanged by the curves"
run bins -f json --smooth "$MC"
sm=$(sed 's/.*"smece":\([^,]*\),.*/\1/' "$T/out")
sg=$(sed 's/.*"sigma":\([^,]*\),.*/\1/' "$T/out")
v=$(sed -n 's/^smece = //p' "$T/log/vars.gp")
w=$(sed -n 's/^smece_sigma = //p' "$T/log/vars.gp")
awk -v a="$sm" -v b="$v" -v c="$sg" -v d="$w" 'BEGIN { exit !(a > 0 && c > 0 &&
    (a - b)^2 <= 1e-24 * a^2 && (c - d)^2 <= 1e-24 * c^2) }'
ok $? "smece and smece_sigma in vars.gp are calib bins --smooth's ($sm, $sg)"
rm -f "$T/log/"*
run diagram --class 1 --corp --gnuplot "$T/bin/fakeall" -o "$T/sc.png" "$MC"
run bins -f csv --corp --class 1 "$MC"
cmp -s "$T/out" "$T/log/corpfile.csv" && [ ! -e "$T/log/smoothfile.csv" ] &&
! grep -q "^smoothfile\|^smece" "$T/log/vars.gp"
ok $? "--class 1 --corp: calib bins --corp --class 1's data, no smooth curve"
rm -f "$T/log/"*
run diagram --gnuplot "$T/bin/fakeall" -o "$T/sc.png" "$MC"
[ ! -e "$T/log/smoothfile.csv" ] && [ ! -e "$T/log/corpfile.csv" ] &&
! grep -q "^smoothfile\|^corpfile" "$T/log/vars.gp"
ok $? "without --smooth or --corp no curve reaches the script"
run hist --smooth -o "$T/sc.png" "$MC"
check_status 2 "hist --smooth refused"
run hist --corp -o "$T/sc.png" "$MC"
check_status 2 "hist --corp refused"
run diagram --per-class --smooth -o "$T/sc.png" "$MC"
check_status 2 "--per-class with --smooth refused"
if [ "$have_gnuplot" = 1 ]; then
	run diagram --smooth --corp -o "$T/sc.png" "$MC"
	check_status 0 "--smooth --corp drawn"
	is_png "$T/sc.png" && [ "$(png_size "$T/sc.png")" = "640 760" ]
	ok $? "the figure is 640 x 760"
	run diagram --smooth --corp --binning mass -o "$T/sc.svg" "$MC"
	is_svg "$T/sc.svg" 640 760
	ok $? "an SVG of 640 x 760"
	has "$T/sc.svg" "smooth reliability curve (smECE)" "the key names the smooth curve"
	has "$T/sc.svg" "CORP (PAV) reliability curve" "the key names the CORP curve"
	has "$T/sc.svg" "smooth ECE $(awk -v a="$sm" 'BEGIN { printf "%.2f", 100 * a }')%" \
	    "the smooth ECE is printed above the diagram"
else
	skip "--smooth --corp drawn" "no gnuplot"
fi

# CALIB_PLOTS_DIR is searched first.
mkdir "$T/myplots"
printf "print 'my own script'\nset terminal term size 100,100\nplot x\n" >"$T/myplots/histogram.gp"
rc=0
CALIB_PLOTS_DIR=$T/myplots "$CALIB" hist -o "$T/mine.png" "$MC" >"$T/out" 2>"$T/err" || rc=$?
check_status 0 "a script from \$CALIB_PLOTS_DIR"
check_contains "$T/err" "calib: gnuplot: my own script" "it was that script (its message is passed on)"
[ "$(png_size "$T/mine.png")" = "100 100" ]
ok $? "and its figure was kept"

done_testing
