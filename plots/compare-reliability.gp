# compare-reliability.gp - the reliability diagrams of several runs side by
# side on the same axes (Guo, Pleiss, Sun & Weinberger, ICML 2017, Fig. 1,
# bottom row; Mueller, Kornblith & Hinton, "When does label smoothing
# help?", NeurIPS 2019, compare runs this way).  Each panel: accuracy per
# bin, the gap to the diagonal coloured by sign, the bin's interval and
# the consistency band (Broecker & Smith 2007) of a perfectly calibrated
# model with the same confidences.
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
#   outfile, term, width, height, title, xlabel, ylabel  as in
#                    reliability.gp; default size 360 * ndata + 80 x 520

if (!exists("ndata") || !exists("data1")) {
	print "compare-reliability.gp: set ndata and data1..dataN to tables from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
if (!exists("width")) width = 360.0 * ndata + 80
if (!exists("height")) height = 520.0
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
array OE[ndata]
array OVER[ndata]
do for [i = 1:ndata] {
	stats data(i) using (column("weight")) nooutput
	W = STATS_sum
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

c_bar = '#0072B2'
c_over = '#D55E00'
c_under = '#009E73'
c_band = '#606060'

fontsize = width < 600 ? 9 : width > 1400 ? 13 : 11
if (term eq 'svg') {
	set terminal svg size width, height fixed font sprintf("Helvetica,%d", fontsize)
} else {
	if (term eq 'pdfcairo') {
		set terminal pdfcairo size width / 72.0, height / 72.0 fontscale 1.0 linewidth 1.5 font sprintf("Helvetica,%d", fontsize)
	} else {
		set terminal pngcairo size width, height font sprintf("Helvetica,%d", fontsize)
	}
}
if (outfile ne '') set output outfile

keyfont = sprintf(",%d", fontsize - 1)
pct(x) = sprintf("%.2f%%", 100 * x)
spct(x) = sprintf("%+.2f%%", 100 * x)
bar(lo, hi) = (hi - lo) * 0.04
mid(lo, hi) = (lo + hi) / 2

# Layout in text lines, as in reliability.gp.
L = fontsize * 1.6
fy(pixels) = pixels / height
fx(pixels) = pixels / width
y_title = 1 - fy(1.0 * L)
y_top = title ne '' ? 1 - fy(4.2 * L) : 1 - fy(3.2 * L)
# two key rows, the x label and the tick labels
y_bottom = fy(2 * 1.15 * L + 0.8 * L + 2.6 * L)
x_left = fx(3.4 * fontsize * 1.33)
x_right = 1 - fx(1.0 * fontsize * 1.33)
panel = (x_right - x_left) / ndata
inner = fx(1.3 * fontsize * 1.33)

set multiplot
if (title ne '') {
	set label 100 title at screen 0.5, screen y_title center noenhanced font sprintf(",%d", fontsize + 2)
}
set xrange [0:1]
set yrange [0:1]
set tics front
set ytics 0.2 format '%.1f'
set xtics 0.2 format '%.1f'
set mxtics 2
set mytics 2
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set tmargin at screen y_top
set bmargin at screen y_bottom
set errorbars 0.5
set style fill transparent solid 0.55

do for [i = 1:ndata] {
	set lmargin at screen x_left + (i - 1) * panel + (i > 1 ? inner : 0)
	set rmargin at screen x_left + i * panel - (i < ndata ? inner : 0)
	set xlabel xlabel noenhanced
	if (i == 1) { set ylabel ylabel noenhanced; set ytics format '%.1f' } else { unset ylabel; set ytics format '' }
	side = OVER[i] > 0 ? 'overconfident' : 'underconfident'
	set label 1 label(i) at graph 0.5, graph 1 offset 0, 2.0 center noenhanced font sprintf(",%d", fontsize + 1)
	set label 2 sprintf("ECE %s  OE %s", pct(ECE[i]), pct(OE[i])) at graph 0.5, graph 1 offset 0, 1.0 center
	set label 3 sprintf("conf - acc %s (%s)", spct(OVER[i]), side) at graph 0.03, graph 0.95 left font sprintf(",%d", fontsize - 1)
	if (i == 1) {
		set key at screen 0.5, screen fy(0.3 * L) center bottom vertical maxrows 2 \
		    reverse Left samplen 1.5 spacing 1.05 width 1 noopaque nobox font keyfont
	} else {
		unset key
	}
	plot \
	    data(i) using (mid(column("lo"), column("hi"))):(column("acc") / 2):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(0):\
	        (column("acc") < column("conf") ? column("acc") : column("conf")) \
	        with boxxyerror fs solid 0.85 border lc rgb '#1f4e79' lc rgb c_bar title 'accuracy', \
	    data(i) using (mid(column("lo"), column("hi"))):(column("gap") < 0 ? column("conf") : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(column("acc")):(column("conf")) \
	        with boxxyerror fs transparent solid 0.55 border lc rgb c_over lc rgb c_over \
	        title 'gap, overconfident', \
	    data(i) using (mid(column("lo"), column("hi"))):(column("gap") >= 0 ? column("conf") : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(column("conf")):(column("acc")) \
	        with boxxyerror fs transparent solid 0.55 border lc rgb c_under lc rgb c_under \
	        title 'gap, underconfident', \
	    data(i) using (mid(column("lo"), column("hi"))):(column("band_lo")):\
	        (column("lo") + 4 * bar(column("lo"), column("hi"))):\
	        (column("hi") - 4 * bar(column("lo"), column("hi"))):\
	        (column("band_lo")):(column("band_hi")) \
	        with boxxyerror fs transparent solid 0.30 border lc rgb '#404040' lc rgb c_band \
	        title sprintf('consistency band (%g%%)', 100 * level), \
	    x with lines dt 2 lw 1.5 lc rgb '#303030' title 'perfect calibration', \
	    data(i) using (mid(column("lo"), column("hi"))):(column("acc")):\
	        (column("acc_lo")):(column("acc_hi")) \
	        with yerrorbars pt 7 ps 0.35 lw 1.1 lc rgb 'black' title sprintf('%g%% interval', 100 * level)
	unset label 1
	unset label 2
	unset label 3
}
unset multiplot
