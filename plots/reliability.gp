# reliability.gp - a reliability diagram in the style of Guo, Pleiss, Sun &
# Weinberger, "On calibration of modern neural networks", ICML 2017, Fig. 1
# (bottom row), with what that figure lacks: an interval for each bin, the
# consistency band of Broecker & Smith, "Increasing the reliability of
# reliability diagrams", Weather and Forecasting 2007, the gap marked by
# its sign, and a panel with the number of rows per bin.
#
# Every mark means one thing, and the key says which:
#   bars     a bar rises to the bin's accuracy; a short black tick marks
#            its mean confidence; the gap between them is an outlined,
#            hatched box: '///' when the confidence is above the accuracy
#            (overconfident), '\\\' when below (underconfident)
#   points   each bin as a dot at (mean confidence, accuracy)
#   line     the same dots joined
# The interval of each accuracy is a thin black whisker, the consistency
# band a wide light-grey whisker behind it; nothing is translucent, so no
# mark takes a colour the key does not show, and hatching and line styles
# tell the marks apart in greyscale too.
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
#   term        'pngcairo' (default), 'svg', 'pdfcairo' or 'cairolatex'
#   width, height   pixels (points for pdfcairo, cairolatex); 640 x 760
#   title       text above the figure
#   style       'bars' (default), 'points' or 'line'
#   legend, counts, intervals   0 to leave out the key, the count panel,
#               the intervals and band (default 1)
#   fontname, fontsize_given, fontscale   the font (Helvetica, sized by
#               the figure, 1)
#   ece, mce, oe, n   shown in the figure; computed from the table if unset
#   level       level of the interval and the band, for the key (0.95)
#   interval    name of the interval, for the key ('Wilson')
#   band        'exact', 'resampled', or '' to leave the band out
#   binning     e.g. '15 equal-width bins', shown under the numbers
#   logcount    1: log scale for the count panel
#   xlabel, ylabel  axis labels ('Confidence', 'Accuracy')
#   smoothfile  the smoothed reliability curve (calib bins --smooth -f csv:
#               t, acc, conf, density), drawn as a thick solid line;
#               smece, smece_sigma its smooth ECE and kernel width
#   corpfile    the CORP curve (calib bins --corp -f csv: lo, hi, count,
#               weight, cep), drawn as a dashed step line
#   barlabel, confword  what the bars and the ticks are, for the key
#               ('accuracy', 'confidence'; for one class against the rest
#               e.g. 'frequency of class cat', 'probability')
#
# Empty bins (count 0) have no accuracy: nothing is drawn and they are
# marked "no data" rather than drawn as accuracy 0.

if (!exists("datafile")) {
	print "reliability.gp: set datafile to a table from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
# A .tex figure defaults to the width of a journal column (points).
if (!exists("width")) width = term eq 'cairolatex' ? 360.0 : 640.0
if (!exists("height")) height = term eq 'cairolatex' ? 427.0 : 760.0
if (!exists("title")) title = ''
if (!exists("style")) style = 'bars'
if (!exists("legend")) legend = 1
if (!exists("counts")) counts = 1
if (!exists("intervals")) intervals = 1
if (!exists("fontname")) fontname = ''
if (!exists("fontscale")) fontscale = 1.0
if (!exists("level")) level = 0.95
if (!exists("interval")) interval = 'Wilson'
if (!exists("band")) band = 'exact'
if (!exists("binning")) binning = ''
if (!exists("logcount")) logcount = 0
if (!exists("xlabel")) xlabel = 'Confidence'
if (!exists("ylabel")) ylabel = 'Accuracy'
if (!exists("barlabel")) barlabel = 'accuracy'
if (!exists("confword")) confword = 'confidence'
if (intervals == 0) band = ''
# The curves are plot terms looped over 1:smooth and 1:corp: without a
# curve the loop is empty and draws nothing (gnuplot still wants a file
# name there, so the bin table stands in; it is never read).
smooth = exists("smoothfile")
corp = exists("corpfile")
if (!smooth) smoothfile = datafile
if (!corp) corpfile = datafile
if (!exists("smece")) smece = NaN
if (!exists("smece_sigma")) smece_sigma = NaN
bars = style eq 'bars'

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

# Okabe & Ito's colour-blind-safe colours: sky-blue bars (light, so the
# hatching shows on them), vermillion and a dark reddish purple for the
# two signs of the gap, light grey for the band.
c_bar = '#56B4E9'
c_barline = '#0072B2'
c_over = '#D55E00'
c_under = '#7A1F5C'
c_band = '#C4C4C4'
c_smooth = '#000000'
c_corp = '#009E73'

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
keyfont = sprintf(",%g", fontsize - 1)
pct(x) = sprintf("%.2f", 100 * x) . PC
bar(lo, hi) = (hi - lo) * 0.04
mid(lo, hi) = (lo + hi) / 2
# where a bin's marks stand: its middle for bars, its mean confidence else
xat(lo, hi, conf) = bars ? mid(lo, hi) : conf

# The layout in text lines (L pixels, or points for PDF), so that titles,
# tick labels and the key keep their room at any --size; the two panels
# share what is left, 7 : 3.
L = fontsize * 1.6
fy(pixels) = pixels / height
y_title = 1 - fy(1.0 * L)
y_sub = title ne '' ? 1 - fy(2.1 * L) : 1 - fy(1.0 * L)
# a third header line for the smooth curve's numbers (the key entry
# stays short: two key columns must fit the figure's width)
y_curves = y_sub - fy(1.0 * L)
y_top = y_sub - fy((smooth ? 2.0 : 1.0) * L)
keyrows = (bars ? 4 : 3) + ((smooth + corp) > 0 ? 1 : 0)
y_bottom = fy((legend ? keyrows * 1.1 * L + 0.5 * L : 0.4 * L) + 2.4 * L)
gap = fy(0.6 * L)
y_split = counts ? y_bottom + (y_top - y_bottom - gap) * 0.3 : y_bottom - gap
# left margin: room for the y label and the widest count tick label
digits = !counts ? 3 : maxcount >= 100000 ? 4 : maxcount >= 1000 ? int(log10(maxcount)) + 1 : 3
x_left = ((2.5 + 0.62 * digits) * fontsize * 1.33) / width
# Many narrow bins: thinner marks, or the intervals turn the diagram black.
many = nbins > 30
x_right = 1 - (1.2 * fontsize * 1.33) / width

set multiplot
if (title ne '') {
	set label 100 title at screen 0.5, screen y_title center noenhanced font sprintf(",%g", fontsize + 2)
}
# LaTeX collapses runs of spaces
SP = tex ? '\quad ' : '   '
subtitle = sprintf("ECE %s%sMCE %s%sOE %s%sn = %d", pct(ece), SP, pct(mce), SP, pct(oe), SP, int(n))
if (binning ne '') subtitle = subtitle . SP . "(" . binning . ")"
set label 101 subtitle at screen 0.5, screen y_sub center noenhanced
if (smooth) {
	curves = sprintf("smooth ECE %s (kernel width sigma = %.3g)", pct(smece), smece_sigma)
	set label 102 curves at screen 0.5, screen y_curves center noenhanced
}
set lmargin at screen x_left
set rmargin at screen x_right

# ---- upper panel: the diagram ------------------------------------------
set tmargin at screen y_top
set bmargin at screen y_split + gap
set xrange [0:1]
set yrange [0:1]
set xtics 0.1 format (counts ? '' : '%.1f')
set mxtics 2
set tics front
set ytics 0.1 format '%.1f'
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set ylabel ylabel noenhanced
if (counts) { unset xlabel } else { set xlabel xlabel noenhanced }
set border lw 1
if (legend) {
	set key at screen 0.5, screen fy(0.3 * L) center bottom vertical maxrows keyrows \
	    reverse Left samplen 1.8 spacing (tex ? 1.35 : 1.05) width (tex ? 6 : 0) noopaque nobox \
	    font keyfont
} else {
	unset key
}

bandkey = band eq '' ? '' : sprintf("consistency band (%g", 100 * level) . PC . sprintf(", %s)", band)
# (the key has two columns of the figure's width: a class's long name
# stays out of it)
ivkey = intervals ? sprintf("%s interval%s (%g", interval, barlabel eq 'accuracy' ? ' of accuracy' : '', 100 * level) . PC . ")" : ''
if (many) { set errorbars 0 } else { set errorbars 1.0 }
wband = many ? 3 : bars ? 9 : 7
psize = many ? 0.25 : bars ? 0.5 : 0.75
set style fill pattern
# Layers, back to front: empty bins, bars, gaps, confidence ticks, band,
# diagonal, intervals, dots.  Every fill is opaque or a hatch.
plot \
    datafile using (mid(column("lo"), column("hi"))):(column("count") == 0 ? 0.5 : NaN):\
        (column("lo")):(column("hi")):(0):(1) \
        with boxxyerror fs pattern 4 noborder lc rgb '#d0d0d0' \
        title (nempty > 0 ? 'no data' : ''), \
    datafile using (mid(column("lo"), column("hi"))):(bars ? column("acc") / 2 : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):(0):(column("acc")) \
        with boxxyerror fs solid 1.0 border lc rgb c_barline lc rgb c_bar \
        title (bars ? barlabel . ' (bar)' : '') noenhanced, \
    datafile using (mid(column("lo"), column("hi"))):(bars && column("gap") < 0 ? column("conf") : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):(column("acc")):(column("conf")) \
        with boxxyerror fs pattern 5 border lc rgb c_over lw 1.5 lc rgb c_over \
        title (bars ? 'gap, overconfident (conf. above)' : ''), \
    datafile using (mid(column("lo"), column("hi"))):(bars && column("gap") >= 0 ? column("conf") : NaN):\
        (column("lo") + bar(column("lo"), column("hi"))):\
        (column("hi") - bar(column("lo"), column("hi"))):(column("conf")):(column("acc")) \
        with boxxyerror fs pattern 4 border lc rgb c_under lw 1.5 lc rgb c_under \
        title (bars ? 'gap, underconfident (conf. below)' : ''), \
    datafile using (column("lo") + bar(column("lo"), column("hi"))):\
        (bars ? column("conf") : NaN):\
        (column("hi") - column("lo") - 2 * bar(column("lo"), column("hi"))):(0) \
        with vectors nohead lw (many ? 1.5 : 3) lc rgb 'black' \
        title (bars ? 'mean ' . confword . ' (tick)' : ''), \
    datafile using (xat(column("lo"), column("hi"), column("conf"))):\
        (band eq '' ? NaN : column("band_lo")):(0):(column("band_hi") - column("band_lo")) \
        with vectors nohead lw wband lc rgb c_band title bandkey, \
    x with lines dt 2 lw 1.5 lc rgb '#303030' title 'perfect calibration', \
    datafile using (xat(column("lo"), column("hi"), column("conf"))):\
        (style eq 'line' && column("count") > 0 ? column("acc") : NaN) \
        with lines lw 1.5 lc rgb c_barline notitle, \
    datafile using (xat(column("lo"), column("hi"), column("conf"))):\
        (intervals ? column("acc") : NaN):(column("acc_lo")):(column("acc_hi")) \
        with yerrorbars pt -1 lw (many ? 0.7 : 1.3) lc rgb 'black' title ivkey noenhanced, \
    datafile using (xat(column("lo"), column("hi"), column("conf"))):(column("acc")) \
        with points pt 7 ps psize + 0.25 lc rgb (bars ? 'white' : 'black') notitle, \
    datafile using (xat(column("lo"), column("hi"), column("conf"))):(column("acc")) \
        with points pt 7 ps psize lc rgb (bars ? 'black' : c_barline) \
        title (bars ? '' : barlabel . ' at mean ' . confword) noenhanced, \
    for [i = 1:smooth] smoothfile using 1:(column(2)) \
        with lines lw 3.5 lc rgb c_smooth title (smooth ? 'smooth reliability curve (smECE)' : ''), \
    for [i = 1:corp] corpfile using 1:(column(5)) \
        with steps dt (8, 4) lw 2.5 lc rgb c_corp title (corp ? 'CORP (PAV) reliability curve' : ''), \
    for [i = 1:corp] corpfile using 1:(column(5)):(column(2) - column(1)):(0) \
        with vectors nohead dt (8, 4) lw 2.5 lc rgb c_corp notitle

# ---- lower panel: rows per bin -----------------------------------------
if (counts) {
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
		set ytics auto format (tex ? '$10^{%L}$' : '10^{%L}')
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
	        with boxxyerror fs solid 1.0 border lc rgb '#505050' lc rgb '#b0b0b0', \
	    datafile using (mid(column("lo"), column("hi"))):(column("count")):\
	        (nbins <= 20 && column("hi") - column("lo") >= 0.035 ? \
	            sprintf("%d", column("count")) : '') \
	        with labels offset 0, 0.6 font sprintf(",%g", fontsize - 3) tc rgb '#303030'
}
unset multiplot
