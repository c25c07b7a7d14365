# histogram.gp - the confidence histogram of Guo, Pleiss, Sun & Weinberger,
# "On calibration of modern neural networks", ICML 2017, Fig. 1 (top row):
# the fraction of samples in each confidence bin, with vertical lines at
# the accuracy and at the average confidence.  The distance between the
# two lines is the overconfidence (confidence minus accuracy).
#
# calib hist runs this script; to restyle a figure, edit a copy and run it
# by hand on a table from calib bins:
#
#   calib bins -f csv preds.csv > bins.csv
#   gnuplot -e "datafile='bins.csv'; outfile='hist.svg'; term='svg'" histogram.gp
#
# Variables (all optional except datafile):
#   datafile    the table: CSV with the header calib bins -f csv writes
#   outfile     the figure; '' or unset writes to standard output
#   term        'pngcairo' (default), 'svg', 'pdfcairo' or 'cairolatex'
#   legend      0 to leave out the key (default 1)
#   fontname, fontsize_given, fontscale   the font (Helvetica, sized by
#               the figure, 1)
#   width, height   pixels (points for pdfcairo); default 640 x 480
#   title       text above the figure
#   accuracy, confidence, n   the lines and the count; computed from the
#               table if unset
#   binning     e.g. '15 equal-width bins', shown under the title
#   logcount    1: log scale for the fractions
#   xlabel      axis label ('Confidence')
#   acclabel, conflabel   names of the two lines ('Accuracy',
#               'Avg. confidence')
#
# The fraction of a bin is its summed weight over the total (its share of
# the rows when the file has no weights).

if (!exists("datafile")) {
	print "histogram.gp: set datafile to a table from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
# A .tex figure defaults to the width of a journal column (points).
if (!exists("width")) width = term eq 'cairolatex' ? 360.0 : 640.0
if (!exists("height")) height = term eq 'cairolatex' ? 270.0 : 480.0
if (!exists("title")) title = ''
if (!exists("legend")) legend = 1
if (!exists("fontname")) fontname = ''
if (!exists("fontscale")) fontscale = 1.0
if (!exists("binning")) binning = ''
if (!exists("logcount")) logcount = 0
if (!exists("xlabel")) xlabel = 'Confidence'
if (!exists("acclabel")) acclabel = 'Accuracy'
if (!exists("conflabel")) conflabel = 'Avg. confidence'

set datafile separator comma
set datafile columnheaders
set datafile missing ''

# stats obeys the plot ranges, so it runs before any are set.
stats datafile using (column("weight")) nooutput
W = STATS_sum
stats datafile using (column("weight") / W) nooutput
maxfrac = STATS_max
stats datafile using (column("weight") > 0 ? column("weight") / W : NaN) nooutput
minfrac = STATS_min
if (!exists("n")) {
	stats datafile using (column("count")) nooutput
	n = STATS_sum
}
if (!exists("accuracy")) {
	stats datafile using (column("weight") > 0 ? column("acc") * column("weight") / W : 0) nooutput
	accuracy = STATS_sum
}
if (!exists("confidence")) {
	stats datafile using (column("weight") > 0 ? column("conf") * column("weight") / W : 0) nooutput
	confidence = STATS_sum
}

c_bar = '#0072B2'
c_acc = '#D55E00'
c_conf = '#202020'

tex = term eq 'cairolatex'
fontsize = exists("fontsize_given") ? fontsize_given : \
    width < 500 ? 9 : width > 900 ? 13 : 11
fontsize = fontsize * fontscale
# LaTeX sets a .tex figure's text in the document's font unless one is named.
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
# LaTeX reads '%' as a comment: the text of a .tex figure says '\%'.
PC = tex ? '\%' : '%'

bar(lo, hi) = (hi - lo) * 0.04
mid(lo, hi) = (lo + hi) / 2

subtitle = sprintf("n = %d", int(n))
if (binning ne '') subtitle = subtitle . (tex ? '\quad (' : "   (") . binning . ")"
# The layout in text lines (L pixels, or points for PDF), as in
# reliability.gp, so labels keep their room at any --size.
L = fontsize * 1.6
fy(pixels) = pixels / height
y_title = 1 - fy(1.0 * L)
y_sub = title ne '' ? 1 - fy(2.1 * L) : 1 - fy(1.0 * L)
y_top = y_sub - fy(1.0 * L)
y_bottom = fy(2.9 * L)
x_left = (4.6 * fontsize * 1.33) / width
x_right = 1 - (1.2 * fontsize * 1.33) / width
if (title ne '') {
	set label 100 title at screen 0.5, screen y_title center noenhanced font sprintf(",%g", fontsize + 2)
}
set label 101 subtitle at screen 0.5, screen y_sub center noenhanced

set lmargin at screen x_left
set rmargin at screen x_right
set tmargin at screen y_top
set bmargin at screen y_bottom

set xrange [0:1]
set xtics 0.1 format '%.1f'
set mxtics 2
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set xlabel xlabel noenhanced
set ylabel (logcount != 0 ? 'Fraction of samples (log scale)' : 'Fraction of samples')
if (logcount != 0) {
	set logscale y
	set format y (tex ? '$10^{%L}$' : '10^{%L}')
	set yrange [minfrac / 3:maxfrac * 3]
} else {
	set format y '%.2g'
	set yrange [0:maxfrac * 1.12]
}
if (legend) {
	set key top left reverse Left samplen 2.5 spacing 1.2 box lc rgb '#c0c0c0' opaque
} else {
	unset key
}

# The two lines are drawn as arrows so they span the whole height on a log
# scale too; the key entries come from invisible plots in the same styles.
set arrow 1 from first accuracy, graph 0 to first accuracy, graph 1 nohead \
    lw 2.5 dt 2 lc rgb c_acc front
set arrow 2 from first confidence, graph 0 to first confidence, graph 1 nohead \
    lw 2.5 dt 1 lc rgb c_conf front
# The distance between the lines, signed as calib reports it: confidence
# minus accuracy, > 0 when overconfident.  Its value goes in the key, where
# it cannot collide with the bars or the key at small sizes.
oc = confidence - accuracy
set arrow 3 from first accuracy, graph 0.9 to first confidence, graph 0.9 \
    heads size screen 0.008, 25 lw 1.2 lc rgb '#404040' front

plot \
    datafile using (mid(column("lo"), column("hi"))):\
        (column("weight") > 0 ? column("weight") / W : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):\
        (logcount != 0 ? minfrac / 3 : 0):(column("weight") / W) \
        with boxxyerror fs solid 0.85 border lc rgb '#1f4e79' lc rgb c_bar notitle, \
    NaN with lines lw 2.5 dt 2 lc rgb c_acc \
        title sprintf("%s %.2f", acclabel, 100 * accuracy) . PC noenhanced, \
    NaN with lines lw 2.5 dt 1 lc rgb c_conf \
        title sprintf("%s %.2f", conflabel, 100 * confidence) . PC noenhanced, \
    keyentry with vectors heads size screen 0.008, 25 lw 1.2 lc rgb '#404040' \
        title sprintf("overconfidence %+.2f", 100 * oc) . PC
