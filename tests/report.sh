#!/bin/sh
# report.sh - calib report: one self-contained HTML file.  Its numbers
# against the commands it prints (run here), its markup against libxml2's
# XML and HTML parsers, its text escaped, its checks, and - when Debian's
# chromium is installed - its rendering in a real headless browser: no
# console errors, every figure of non-zero size, and a screenshot.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

D=$top_srcdir/data
H=$D/fashion-mnist-ls0.00.csv
S5=$D/fashion-mnist-ls0.05.csv
S10=$D/fashion-mnist-ls0.10.csv
mkdir "$T/tmp"
TMPDIR=$T/tmp
export TMPDIR

# --- refusals
run report "$H"
check_status 2 "no -o"
check_contains "$T/err" "no report named" "missing -o explained"
run report -o "$T/r.txt" "$H"
check_status 2 "-o not .html"
run report -o "$T/r.html" - <"$H"
check_status 2 "standard input refused (read more than once)"
run report -o "$T/r.html" "$H" "$DATA/multiclass.csv"
check_status 2 "runs on different rows refused"
[ ! -e "$T/r.html" ]
ok $? "nothing written on an error"
run report --names a -o "$T/r.html" "$H" "$S5"
check_status 2 "--names with too few names"

if [ "$have_gnuplot" = 0 ]; then
	skip "report drawn" "no gnuplot with cairo terminals"
	done_testing
	exit
fi

# --- three runs, a name needing escapes, a rule that one run breaks
odd='ls<b>&"q'"'"'s'
run report --bootstrap 200 --names "hard,ls0.05,$odd" --max ece=0.05 \
    -o "$T/r.html" "$H" "$S5" "$S10"
check_status 0 "report of three runs"
R=$T/r.html
[ -s "$R" ] && [ -z "$(ls -A "$T/tmp")" ]
ok $? "report written, no temporary files left"
[ "$(grep -c '<svg' "$R")" -eq 6 ]
ok $? "six inline SVG figures (a diagram and a histogram per run)"
! grep -Eiq '<script|<link|<img|<iframe|<object|@import|src=|url\(["'"'"']?(https?:|//|data:)' "$R" &&
! grep -o 'http[s]*://[^"]*' "$R" | grep -v '^http://www.w3.org/' | grep -q .
ok $? "self-contained: no scripts, links, images or network addresses"
[ -z "$(grep -o ' id="[^"]*"' "$R" | sort | uniq -d)" ]
ok $? "every id is unique across the figures"
grep -q '<meta name="viewport" content="width=device-width' "$R" &&
grep -q '@media print' "$R"
ok $? "a viewport for phones and print rules"
grep -F -q 'ls&lt;b&gt;&amp;&quot;q' "$R" && ! grep -F -q 'ls<b>' "$R"
ok $? "the run name is escaped in the HTML"
grep -F -q "&#x27;" "$R" || grep -F -q "'ls&lt;b&gt;&amp;&quot;q'\\''s-reliability.svg'" "$R"
ok $? "and single-quoted for the shell in the commands"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$R" 2>"$T/xml.err"
	ok $? "well-formed XML (libxml2)"
	[ -s "$T/xml.err" ] && diag "$(head -5 "$T/xml.err")"
	# libxml2's HTML parser knows HTML 4, not SVG: validate the page
	# around the figures, the figures as XML above
	perl -0pe 's/<svg.*?<\/svg>//gs' "$R" >"$T/nosvg.html"
	xmllint --html --noout "$T/nosvg.html" >"$T/html.err" 2>&1
	[ ! -s "$T/html.err" ]
	ok $? "valid HTML for xmllint --html, with no message"
	[ -s "$T/html.err" ] && diag "$(head -5 "$T/html.err")"
else
	skip "well-formed XML" "no xmllint"
	skip "valid HTML" "no xmllint"
fi

# --- the numbers are those of the commands the report prints
# cmds FILE: the report's commands, unescaped, calib replaced by $CALIB
cmds() {
	sed -n 's/.*<code class="cmd">\(calib [^<]*\)<\/code>.*/\1/p' "$1" |
	sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g'
}
cmds "$R" >"$T/cmds"
[ "$(grep -c '^calib metrics -f json .*--bootstrap 200 --seed' "$T/cmds")" -eq 1 ] &&
! grep -q -- '1e300' "$T/cmds" &&
[ "$(grep -c '^calib diagram' "$T/cmds")" -eq 3 ] &&
[ "$(grep -c '^calib hist' "$T/cmds")" -eq 3 ] &&
grep -q '^calib compare -f json' "$T/cmds"
ok $? "one metrics --bootstrap command for the values and intervals, one for the comparison, one per figure"
# ECE and smooth ECE of ls0.05 with their intervals, as the report shows
# them, against the printed calib metrics --bootstrap
(cd "$T" && eval "$(grep '^calib metrics' "$T/cmds" | sed "s|^calib|\"\$CALIB\"|")") >"$T/met.json"
# key NAME: ls0.05's value of NAME in met.json, in points
key() {
	grep 'ls0.05' "$T/met.json" | tr ',' '\n' | grep "^\"$1\":" |
	sed 's/.*://' | awk '{ printf "%.2f", 100 * $1 }'
}
for m in "ECE ece" "smooth ECE smece"; do
	label=${m% *}; name=${m##* }
	row=$(grep "^<tr><td>$label</td>" "$R")
	want=$(echo "$row" | sed 's/<\/td>/\n/g' | sed -n 3p | sed 's/<td>//; s/<br\/>.*//')
	ci=$(echo "$row" | sed 's/<\/td>/\n/g' | sed -n 3p | sed 's/.*\[\(.*\)\].*/\1/')
	[ -n "$want" ] && [ "$(key $name)" = "$want" ] && [ "$(key ${name}_lo), $(key ${name}_hi)" = "$ci" ]
	ok $? "$label $want [$ci] of ls0.05 is what the printed calib metrics --bootstrap gives"
done
(cd "$T" && eval "$(grep '^calib compare' "$T/cmds" | sed "s|^calib|\"\$CALIB\"|")") >"$T/cmp.json"
sed 's/"run":/\n&/g' "$T/cmp.json" | grep '^"run":"ls0.05"' |
grep -q '"ece":{[^}]*"verdict":"lower"' &&
grep -q '<tr><td>ECE</td><td>-7.24</td><td>\[[-0-9.]*, [-0-9.]*\]</td><td class="lower">lower</td>' "$R"
ok $? "the comparison's verdict is calib compare's"
(cd "$T" && eval "$(grep '^calib diagram' "$T/cmds" | sed -n 3p | sed "s|^calib|\"\$CALIB\"|")")
is_svg "$T/ls<b>&\"q's-reliability.svg" 640 760
ok $? "the printed figure command draws the figure"
# every command a report prints runs, whatever options it was given
run report --bootstrap 20 --bins 10 --nll-clip 1e-15 --style points --no-counts \
    --font Times,12 --names a,b -o "$T/opts.html" "$H" "$S5"
check_status 0 "report with binning, NLL and figure options"
cmds "$T/opts.html" >"$T/ocmds"
bad=0
mkdir "$T/run"
while read -r c; do
	(cd "$T/run" && eval "$(echo "$c" | sed "s|^calib|\"\$CALIB\"|")") >/dev/null 2>"$T/cerr" ||
	{ bad=1; diag "failed: $c"; diag "$(head -3 "$T/cerr")"; }
done <"$T/ocmds"
[ $bad -eq 0 ] && [ "$(wc -l <"$T/ocmds")" -eq 6 ] && grep -q -- '--bins 10 --nll-clip 1e-15' "$T/ocmds" &&
grep -q '^calib diagram .*--bins 10 --style points --no-counts' "$T/ocmds" &&
! grep -q '^calib hist .*--no-counts' "$T/ocmds" && ! grep -q -- '^calib diagram.*nll-clip' "$T/ocmds"
ok $? "all 6 printed commands run (hist and diagram without the options they refuse)"
# --- the checks are calib check's
grep -q '<h3>hard: <span class="fail">failed</span></h3>' "$R" &&
grep -q '<h3>ls0.05: <span class="pass">passed</span></h3>' "$R" &&
grep -q 'FAIL  ece 0.0862432 &gt; 0.05' "$R"
ok $? "check results per run: hard fails max ece=0.05, ls0.05 passes"
run report --bootstrap 0 -o "$T/one.html" "$H"
check_status 0 "one run, no bootstrap"
! grep -q 'id="comparison"' "$T/one.html" && ! grep -q 'id="checks"' "$T/one.html" &&
grep -q 'none (--bootstrap 0)' "$T/one.html"
ok $? "no comparison or checks sections when there is nothing to compare or check"

# --- without gnuplot: the numbers, and exit 3
run report --bootstrap 20 --gnuplot /nonexistent/gnuplot -o "$T/nogp.html" "$H" "$S5"
check_status 3 "without gnuplot: exit 3"
grep -q 'id="metrics"' "$T/nogp.html" && grep -q 'could not be drawn' "$T/nogp.html" &&
[ -z "$(ls -A "$T/tmp")" ]
ok $? "the report is still written, says so, and leaves nothing behind"

# --- a real browser (Debian's chromium) renders it
if command -v chromium >/dev/null 2>&1; then
	browse() { # browse URL [ARGS...]: headless chromium with a fresh profile
		url=$1
		shift
		prof=$(mktemp -d "$T/prof.XXXXXX")
		timeout 120 chromium --headless --no-sandbox --disable-gpu \
		    --no-first-run --disable-background-networking \
		    --disable-component-update --disable-sync \
		    --user-data-dir="$prof" "$@" "$url"
	}
	# The console, on the report as written.
	browse "file://$R" --enable-logging=stderr --v=0 --dump-dom \
	    >"$T/dom.html" 2>"$T/console.txt"
	grep -q 'id="figures"' "$T/dom.html"
	ok $? "chromium loads the report"
	! grep -i 'CONSOLE' "$T/console.txt" | grep -q .
	ok $? "no console messages (errors, failed loads)"
	grep -i 'CONSOLE' "$T/console.txt" | head -5 | while read -r l; do diag "$l"; done
	# Figure sizes, from a copy with a probe that writes them into the DOM
	# (the report itself has no script).
	sed 's|</body>|<script>window.onerror=function(m){document.body.insertAdjacentHTML("beforeend","<p id=err>"+m+"</p>")};window.addEventListener("load",function(){var o=["VW="+document.documentElement.clientWidth];document.querySelectorAll("svg").forEach(function(s){var r=s.getBoundingClientRect();o.push(Math.round(r.width)+"x"+Math.round(r.height))});var p=document.createElement("pre");p.id="probe";p.textContent=o.join(" ");document.body.appendChild(p)})</script></body>|' \
	    "$R" >"$T/probe.html"
	for w in 1200 390; do
		browse "file://$T/probe.html" --window-size=$w,900 \
		    --virtual-time-budget=5000 --dump-dom >"$T/pdom.html" 2>/dev/null
		probe=$(sed -n 's/.*<pre id="probe">\([^<]*\)<\/pre>.*/\1/p' "$T/pdom.html")
		vw=$(echo "$probe" | sed -n 's/^VW=\([0-9]*\) .*/\1/p')
		sizes=${probe#VW=* }
		n=$(echo "$sizes" | wc -w)
		zero=$(echo "$sizes" | tr ' ' '\n' | grep -c '^0x\|x0$')
		[ "$n" -eq 6 ] && [ "$zero" -eq 0 ] && ! grep -q 'id="err"' "$T/pdom.html"
		ok $? "at $w px wide: six figures, none of zero size ($sizes)"
		# no figure is wider than the page (chromium may keep a window
		# wider than asked; the page's own width is what counts)
		echo "$sizes" | tr ' ' '\n' | awk -F x -v vw="${vw:-0}" '
		    $1 > vw { bad = 1 } END { exit bad || vw == 0 }'
		ok $? "at $w px wide every figure fits the page's width ($vw px)"
	done
	browse "file://$R" --window-size=1200,2400 --hide-scrollbars \
	    --screenshot="$T/shot.png" >/dev/null 2>&1
	is_png "$T/shot.png" && [ "$(png_size "$T/shot.png")" = "1200 2400" ] &&
	[ "$(wc -c <"$T/shot.png")" -gt 50000 ]
	ok $? "a screenshot of the report (1200 x 2400, not blank)"
	browse "file://$R" --no-pdf-header-footer --print-to-pdf="$T/print.pdf" >/dev/null 2>&1
	[ "$(head -c 5 "$T/print.pdf")" = "%PDF-" ]
	ok $? "the report prints (to PDF)"
else
	for t in "chromium loads the report" "no console messages" \
	    "figures at 1200 px" "figures fit at 1200 px" "figures at 390 px" \
	    "figures fit at 390 px" \
	    "screenshot" "prints"; do
		skip "$t" "no chromium"
	done
fi
done_testing
