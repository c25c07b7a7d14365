# compare-reliability.gp - the reliability diagrams of several runs side by
# side on the same axes (Guo, Pleiss, Sun & Weinberger, ICML 2017, Fig. 1,
# bottom row; Mueller, Kornblith & Hinton, "When does label smoothing
# help?", NeurIPS 2019, compare runs this way).  Each panel is drawn as
# reliability.gp draws one (see there for what each mark means): accuracy
# per bin, the gap to the mean confidence hatched by its sign, the bin's
# interval and the consistency band (Broecker & Smith 2007) of a perfectly
# calibrated model with the same confidences; under it, the rows per bin.
# The run's name and numbers stand above its panel, never over the data.
#
# calib compare -o DIR runs this script; by hand, on tables from calib bins:
#
#   calib bins -f csv hard.csv > b1.csv; calib bins -f csv smooth.csv > b2.csv
#   gnuplot -e "ndata=2; data1='b1.csv'; data2='b2.csv'; label1='hard'; \
#       label2='smooth'; outfile='rel.png'" compare-reliability.gp
#
# Variables (ndata and data1..dataN required):
#   ndata            number of runs
#   data1 ... dataN  their tables: CSV as calib bins -f csv writes it
#   label1 ...       their names (default 'run 1', ...)
#   ece1, oe1, over1 ... ECE, OE and signed overconfidence shown per panel
#                    (ECE and OE are computed from the table if unset)
#   outfile, term, width, height, title, xlabel, ylabel, style, legend,
#   counts, intervals, fontname, fontsize_given, fontscale   as in
#                    reliability.gp; default size 330 * ndata + 90 x 640

if (!exists("ndata") || !exists("data1")) {
	print "compare-reliability.gp: set ndata and data1..dataN to tables from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
tex = term eq 'cairolatex'
if (!exists("width")) width = tex ? 170.0 * ndata + 50 : 330.0 * ndata + 90
if (!exists("height")) height = tex ? 330.0 : 640.0
if (!exists("style")) style = 'bars'
if (!exists("legend")) legend = 1
if (!exists("counts")) counts = 1
if (!exists("intervals")) intervals = 1
if (!exists("fontname")) fontname = ''
if (!exists("fontscale")) fontscale = 1.0
if (!exists("title")) title = ''
if (!exists("xlabel")) xlabel = 'Confidence'
if (!exists("ylabel")) ylabel = 'Accuracy'
if (!exists("level")) level = 0.95
if (!exists("binning")) binning = ''

set datafile separator comma
set datafile columnheaders
set datafile missing ''

data(i) = value(sprintf("data%d", i))
has(name, i) = exists(sprintf("%s%d", name, i))
label(i) = has("label", i) ? value(sprintf("label%d", i)) : sprintf("run %d", i)

# Per-run numbers the caller did not pass, from the tables; stats obeys
# the plot ranges, so this runs before any are set.
array ECE[ndata]
array MAXC[ndata]
array OE[ndata]
array OVER[ndata]
do for [i = 1:ndata] {
	stats data(i) using (column("weight")) nooutput
	W = STATS_sum
	stats data(i) using (column("count")) nooutput
	MAXC[i] = STATS_max
	if (has("ece", i)) { ECE[i] = value(sprintf("ece%d", i)) } else {
		stats data(i) using (abs(column("gap")) * column("weight") / W) nooutput
		ECE[i] = STATS_sum
	}
	if (has("oe", i)) { OE[i] = value(sprintf("oe%d", i)) } else {
		stats data(i) using (column("gap") < 0 ? \
		    -column("gap") * column("conf") * column("weight") / W : 0) nooutput
		OE[i] = STATS_sum
	}
	if (has("over", i)) { OVER[i] = value(sprintf("over%d", i)) } else {
		stats data(i) using (column("count") > 0 ? -column("gap") * column("weight") / W : 0) nooutput
		OVER[i] = STATS_sum
	}
}

# As in reliability.gp: Okabe & Ito colours, nothing translucent.
c_bar = '#56B4E9'
c_barline = '#0072B2'
c_over = '#D55E00'
c_under = '#7A1F5C'
c_band = '#C4C4C4'
bars = style eq 'bars'

fontsize = exists("fontsize_given") ? fontsize_given : \
    width < 600 ? 9 : width > 1400 ? 13 : 11
fontsize = fontsize * fontscale
termfont = sprintf("%s,%g", fontname ne '' || tex ? fontname : 'Helvetica', fontsize)
if (term eq 'svg') {
	set terminal svg size width, height fixed font termfont
} else {
	if (term eq 'pdfcairo') {
		set terminal pdfcairo size width / 72.0, height / 72.0 fontscale 1.0 linewidth 1.5 font termfont
	} else {
		if (tex) {
			set terminal cairolatex pdf size width / 72.0, height / 72.0 linewidth 1.5 font termfont
		} else {
			set terminal pngcairo size width, height font termfont
		}
	}
}
if (outfile ne '') set output outfile

PC = tex ? '\%' : '%'
keyfont = sprintf(",%g", fontsize - 1)
pct(x) = sprintf("%.2f", 100 * x) . PC
spct(x) = sprintf("%+.2f", 100 * x) . PC
bar(lo, hi) = (hi - lo) * 0.04
mid(lo, hi) = (lo + hi) / 2
xat(lo, hi, conf) = bars ? mid(lo, hi) : conf

# Layout in text lines, as in reliability.gp: the title, three lines of
# run header, the panels, the tick labels and x label, the key.
L = fontsize * 1.6
fy(pixels) = pixels / height
fx(pixels) = pixels / width
y_title = 1 - fy(1.0 * L)
y_top = (title ne '' ? 1 - fy(1.6 * L) : 1) - fy(3.3 * L)
keyrows = bars ? 4 : 2
y_bottom = fy((legend ? keyrows * 1.1 * L + 0.6 * L : 0.3 * L) + 2.5 * L)
gap = fy(0.5 * L)
y_split = counts ? y_bottom + (y_top - y_bottom - gap) * 0.28 : y_bottom - gap
maxcount = 0
do for [i = 1:ndata] { if (MAXC[i] > maxcount) { maxcount = MAXC[i] } }
digits = !counts ? 3 : maxcount >= 100000 ? 4 : maxcount >= 1000 ? int(log10(maxcount)) + 1 : 3
# room for the y label and the widest tick label, at every size
x_left = fx((2.4 + 0.62 * digits) * fontsize * 1.33)
x_right = 1 - fx(1.0 * fontsize * 1.33)
panel = (x_right - x_left) / ndata
inner = fx(1.0 * fontsize * 1.33)
# A narrow panel gets fewer x tick labels and a shorter header, so
# neighbours' text never runs together.
narrow = panel * width < 26 * fontsize
xstep = narrow ? 0.5 : 0.2
# about three count ticks at 1, 2 or 5 times a power of ten
craw = (maxcount > 0 ? maxcount : 1) / 3.0
cmag = 10 ** floor(log10(craw))
cstep = (craw / cmag <= 1 ? 1 : craw / cmag <= 2 ? 2 : craw / cmag <= 5 ? 5 : 10) * cmag

set multiplot
if (title ne '') {
	set label 100 title at screen 0.5, screen y_title center noenhanced font sprintf(",%g", fontsize + 2)
}
set xrange [0:1]
set tics front
set mxtics 2
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set errorbars (ndata > 3 ? 0 : 0.5)
wband = bars ? 6 : 5
bandkey = intervals ? sprintf("consistency band (%g", 100 * level) . PC . ")" : ''
ivkey = intervals ? sprintf("%g", 100 * level) . PC . " interval of accuracy" : ''

do for [i = 1:ndata] {
	xl = x_left + (i - 1) * panel + (i > 1 ? inner : 0)
	xr = x_left + i * panel - (i < ndata ? inner : 0)
	set lmargin at screen xl
	set rmargin at screen xr
	# ---- the diagram
	set tmargin at screen y_top
	set bmargin at screen y_split + gap
	set yrange [0:1]
	set ytics 0.2 format (i == 1 ? '%.1f' : '')
	set mytics 2
	set xtics xstep format (counts ? '' : '%g')
	if (i == 1) { set ylabel ylabel noenhanced } else { unset ylabel }
	if (counts) { unset xlabel } else { set xlabel xlabel noenhanced }
	side = OVER[i] > 0 ? 'overconfident' : OVER[i] < 0 ? 'underconfident' : 'calibrated'
	set label 1 label(i) at graph 0.5, graph 1 offset 0, 3.0 center noenhanced font sprintf(",%g", fontsize + 1)
	set label 2 sprintf("ECE %s  OE %s", pct(ECE[i]), pct(OE[i])) at graph 0.5, graph 1 offset 0, 1.9 center noenhanced
	set label 3 (narrow ? sprintf("conf - acc %s", spct(OVER[i])) : sprintf("conf - acc %s (%s)", spct(OVER[i]), side)) at graph 0.5, graph 1 offset 0, 0.8 center noenhanced
	if (i == 1 && legend) {
		set key at screen 0.5, screen fy(0.3 * L) center bottom vertical maxrows keyrows \
		    reverse Left samplen 1.8 spacing (tex ? 1.35 : 1.05) width (tex ? 6 : 1) noopaque nobox font keyfont
	} else {
		unset key
	}
	plot \
	    data(i) using (mid(column("lo"), column("hi"))):(bars ? column("acc") / 2 : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(0):(column("acc")) \
	        with boxxyerror fs solid 1.0 border lc rgb c_barline lc rgb c_bar \
	        title (bars ? 'accuracy (bar)' : ''), \
	    data(i) using (mid(column("lo"), column("hi"))):(bars && column("gap") < 0 ? column("conf") : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(column("acc")):(column("conf")) \
	        with boxxyerror fs pattern 5 border lc rgb c_over lw 1.5 lc rgb c_over \
	        title (bars ? 'gap, overconfident' : ''), \
	    data(i) using (mid(column("lo"), column("hi"))):(bars && column("gap") >= 0 ? column("conf") : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(column("conf")):(column("acc")) \
	        with boxxyerror fs pattern 4 border lc rgb c_under lw 1.5 lc rgb c_under \
	        title (bars ? 'gap, underconfident' : ''), \
	    data(i) using (column("lo") + bar(column("lo"), column("hi"))):(bars ? column("conf") : NaN):\
	        (column("hi") - column("lo") - 2 * bar(column("lo"), column("hi"))):(0) \
	        with vectors nohead lw 2.5 lc rgb 'black' \
	        title (bars ? 'mean confidence (tick)' : ''), \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):\
	        (intervals ? column("band_lo") : NaN):(0):(column("band_hi") - column("band_lo")) \
	        with vectors nohead lw wband lc rgb c_band title bandkey, \
	    x with lines dt 2 lw 1.5 lc rgb '#303030' title 'perfect calibration', \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):\
	        (style eq 'line' && column("count") > 0 ? column("acc") : NaN) \
	        with lines lw 1.5 lc rgb c_barline notitle, \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):\
	        (intervals ? column("acc") : NaN):(column("acc_lo")):(column("acc_hi")) \
	        with yerrorbars pt -1 lw 1.1 lc rgb 'black' title ivkey, \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):(column("acc")) \
	        with points pt 7 ps (bars ? 0.55 : 0.8) lc rgb (bars ? 'white' : 'black') notitle, \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):(column("acc")) \
	        with points pt 7 ps (bars ? 0.35 : 0.6) lc rgb (bars ? 'black' : c_barline) \
	        title (bars ? '' : 'accuracy at mean confidence')
	unset label 1
	unset label 2
	unset label 3
	unset key
	# ---- rows per bin, on one scale for every run
	if (counts) {
		set tmargin at screen y_split
		set bmargin at screen y_bottom
		set yrange [0:(maxcount > 0 ? maxcount : 1) * 1.1]
		set ytics cstep format (i == 1 ? (maxcount >= 100000 ? '%.0s%c' : '%.0f') : '')
		unset mytics
		set xtics xstep format '%g'
		set xlabel xlabel noenhanced
		if (i == 1) { set ylabel 'Count' } else { unset ylabel }
		plot data(i) using (mid(column("lo"), column("hi"))):\
		        (column("count") > 0 ? column("count") : NaN):\
		        (column("lo") + bar(column("lo"), column("hi"))):\
		        (column("hi") - bar(column("lo"), column("hi"))):(0):(column("count")) \
		        with boxxyerror fs solid 1.0 border lc rgb '#505050' lc rgb '#b0b0b0' notitle
	}
}
unset multiplot
