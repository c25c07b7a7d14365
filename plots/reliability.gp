# reliability.gp - a reliability diagram in the style of Guo, Pleiss, Sun &
# Weinberger, "On calibration of modern neural networks", ICML 2017, Fig. 1
# (bottom row), with what that figure lacks: an interval for each bar, the
# consistency band of Broecker & Smith, "Increasing the reliability of
# reliability diagrams", Weather and Forecasting 2007, the gap coloured by
# its sign, and a panel with the number of rows per bin.
#
# calib diagram runs this script; to restyle a figure, edit a copy and run
# it by hand on a table from calib bins:
#
#   calib bins -f csv preds.csv > bins.csv
#   gnuplot -e "datafile='bins.csv'; outfile='fig.pdf'; term='pdfcairo'" reliability.gp
#
# Variables (all optional except datafile):
#   datafile    the table: CSV with the header calib bins -f csv writes
#   outfile     the figure; '' or unset writes to standard output
#   term        'pngcairo' (default), 'svg' or 'pdfcairo'
#   width, height   pixels (points for pdfcairo); default 640 x 760
#   title       text above the figure
#   ece, mce, oe, n   shown in the figure; computed from the table if unset
#   level       level of the interval and the band, for the key (0.95)
#   interval    name of the interval, for the key ('Wilson')
#   band        'exact', 'resampled', or '' to leave the band out
#   binning     e.g. '15 equal-width bins', shown under the numbers
#   logcount    1: log scale for the count panel
#   xlabel, ylabel  axis labels ('Confidence', 'Accuracy')
#
# Empty bins (count 0) have no accuracy: no bar is drawn and they are
# marked "no data" rather than drawn as accuracy 0.

if (!exists("datafile")) {
	print "reliability.gp: set datafile to a table from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
if (!exists("width")) width = 640.0
if (!exists("height")) height = 760.0
if (!exists("title")) title = ''
if (!exists("level")) level = 0.95
if (!exists("interval")) interval = 'Wilson'
if (!exists("band")) band = 'exact'
if (!exists("binning")) binning = ''
if (!exists("logcount")) logcount = 0
if (!exists("xlabel")) xlabel = 'Confidence'
if (!exists("ylabel")) ylabel = 'Accuracy'

set datafile separator comma
set datafile columnheaders
set datafile missing ''

# Whole-table numbers the caller did not pass: the weighted sums of the
# table's columns give ECE = sum |gap| W_m / W and OE as in Thulasidasan
# et al. 2019.
# stats obeys the plot ranges, so it runs before any are set.
stats datafile using (column("weight")) nooutput
W = STATS_sum
stats datafile using (column("count")) nooutput
maxcount = STATS_max
nbins = STATS_records
stats datafile using (column("count") == 0 ? 1 : 0) nooutput
nempty = STATS_sum
if (!exists("n")) {
	stats datafile using (column("count")) nooutput
	n = STATS_sum
}
if (!exists("ece")) {
	stats datafile using (abs(column("gap")) * column("weight") / W) nooutput
	ece = STATS_sum
}
if (!exists("mce")) {
	stats datafile using (abs(column("gap"))) nooutput
	mce = STATS_max
}
if (!exists("oe")) {
	stats datafile using (column("gap") < 0 ? \
	    -column("gap") * column("conf") * column("weight") / W : 0) nooutput
	oe = STATS_sum
}

# Colour-blind-safe colours (Okabe & Ito): blue bars, vermillion for
# overconfidence (accuracy below confidence), bluish green for
# underconfidence, grey for the band.
c_bar = '#0072B2'
c_over = '#D55E00'
c_under = '#009E73'
c_band = '#606060'

fontsize = width < 500 ? 9 : width > 900 ? 13 : 11
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
bar(lo, hi) = (hi - lo) * 0.04
mid(lo, hi) = (lo + hi) / 2

# The layout in text lines (L pixels, or points for PDF), so that titles,
# tick labels and the key keep their room at any --size; the two panels
# share what is left, 7 : 3.
L = fontsize * 1.6
fy(pixels) = pixels / height
y_title = 1 - fy(1.0 * L)
y_sub = title ne '' ? 1 - fy(2.1 * L) : 1 - fy(1.0 * L)
y_top = y_sub - fy(1.0 * L)
y_bottom = fy(4 * 1.1 * L + 0.5 * L + 2.4 * L)
gap = fy(0.6 * L)
y_split = y_bottom + (y_top - y_bottom - gap) * 0.3
# left margin: room for the tick labels and the y label
# left margin: room for the y label and the widest count tick label
digits = maxcount >= 100000 ? 4 : maxcount >= 1000 ? int(log10(maxcount)) + 1 : 3
x_left = ((2.5 + 0.62 * digits) * fontsize * 1.33) / width
# Many narrow bins: thinner marks, or the intervals and band edges turn the
# diagram black.
many = nbins > 30
x_right = 1 - (1.2 * fontsize * 1.33) / width

set multiplot
if (title ne '') {
	set label 100 title at screen 0.5, screen y_title center noenhanced font sprintf(",%d", fontsize + 2)
}
subtitle = sprintf("ECE %s   MCE %s   OE %s   n = %d", pct(ece), pct(mce), pct(oe), int(n))
if (binning ne '') subtitle = subtitle . "   (" . binning . ")"
set label 101 subtitle at screen 0.5, screen y_sub center noenhanced
set lmargin at screen x_left
set rmargin at screen x_right

# ---- upper panel: the diagram ------------------------------------------
set tmargin at screen y_top
set bmargin at screen y_split + gap
set xrange [0:1]
set yrange [0:1]
set xtics 0.1 format ''
set mxtics 2
set tics front
set ytics 0.1 format '%.1f'
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set ylabel ylabel noenhanced
unset xlabel
set border lw 1
set key at screen 0.5, screen fy(0.3 * L) center bottom vertical maxrows 4 \
    reverse Left samplen 1.5 spacing 1.05 width 0 noopaque nobox \
    font keyfont

bandkey = band eq '' ? '' : sprintf("consistency band (%g%%, %s)", 100 * level, band)
ivkey = sprintf("%s interval (%g%%)", interval, 100 * level)

# The bars rise to the smaller of accuracy and confidence and the gap fills
# the rest, so each gap colour is seen on white as in the key; the dot on
# the interval marks the accuracy.
if (many) { set errorbars 0 } else { set errorbars 1.0 }
# Layers, back to front: empty bins, bars, gap, band, diagonal, intervals.
# The gap and the band are translucent so the bars show through.
plot \
    datafile using (mid(column("lo"), column("hi"))):(column("count") == 0 ? 0.5 : NaN):\
        (column("lo")):(column("hi")):(0):(1) \
        with boxxyerror fs pattern 4 transparent noborder lc rgb '#c8c8c8' \
        title (nempty > 0 ? 'no data' : ''), \
    datafile using (mid(column("lo"), column("hi"))):(column("acc") / 2):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):(0):\
        (column("acc") < column("conf") ? column("acc") : column("conf")) \
        with boxxyerror fs solid 0.85 border lc rgb (many ? c_bar : '#1f4e79') lc rgb c_bar title ylabel, \
    datafile using (mid(column("lo"), column("hi"))):(column("gap") < 0 ? column("conf") : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):(column("acc")):(column("conf")) \
        with boxxyerror fs transparent solid 0.55 border lc rgb c_over lc rgb c_over \
        title 'gap, overconfident', \
    datafile using (mid(column("lo"), column("hi"))):(column("gap") >= 0 ? column("conf") : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):(column("conf")):(column("acc")) \
        with boxxyerror fs transparent solid 0.55 border lc rgb c_under lc rgb c_under \
        title 'gap, underconfident', \
    datafile using (mid(column("lo"), column("hi"))):(band eq '' ? NaN : column("band_lo")):\
        (column("lo") + 4 * bar(column("lo"), column("hi"))):\
        (column("hi") - 4 * bar(column("lo"), column("hi"))):\
        (column("band_lo")):(column("band_hi")) \
        with boxxyerror fs transparent solid 0.35 border lc rgb (many ? '#d8d8d8' : '#202020') lc rgb c_band \
        title bandkey, \
    x with lines dt 2 lw 1.5 lc rgb '#303030' title 'perfect calibration', \
    datafile using (mid(column("lo"), column("hi"))):(column("acc")):\
        (column("acc_lo")):(column("acc_hi")) \
        with yerrorbars pt 7 ps (many ? 0.2 : 0.45) lw (many ? 0.7 : 1.3) lc rgb 'black' title ivkey

# ---- lower panel: rows per bin -----------------------------------------
unset label
unset key
set tmargin at screen y_split
set bmargin at screen y_bottom
set xtics 0.1 format '%.1f'
set xlabel xlabel noenhanced
set ylabel 'Count'
set grid xtics ytics
# Head room above the tallest bar for its count.
if (logcount != 0) {
	set logscale y
	set ytics auto format '10^{%L}'
	set yrange [0.8:(maxcount > 1 ? maxcount : 1) * 4]
} else {
	set ytics auto format (maxcount >= 100000 ? '%.0s%c' : '%.0f')
	# whole counts only: no 0.5 steps on a small table
	if (maxcount <= 8) { set ytics 1 }
	set yrange [0:(maxcount > 0 ? maxcount : 1) * 1.18]
}
plot datafile using (mid(column("lo"), column("hi"))):\
        (column("count") > 0 ? column("count") : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):\
        (logcount != 0 ? 0.8 : 0):(column("count")) \
        with boxxyerror fs solid 0.6 border lc rgb '#505050' lc rgb '#909090', \
    datafile using (mid(column("lo"), column("hi"))):(column("count")):\
        (nbins <= 20 && column("hi") - column("lo") >= 0.035 ? \
            sprintf("%d", column("count")) : '') \
        with labels offset 0, 0.6 font sprintf(",%d", fontsize - 3) tc rgb '#303030'
unset multiplot
