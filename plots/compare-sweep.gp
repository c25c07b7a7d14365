# compare-sweep.gp - metrics against a training parameter: how ECE, the
# signed overconfidence, accuracy and NLL move as label smoothing grows
# (Mueller, Kornblith & Hinton, "When does label smoothing help?",
# NeurIPS 2019, Table 3 and Fig. 5), one panel per metric, each point with
# its interval; runs recalibrated with calib compare --calibrate-on form a
# second, dashed line, so the figure also answers "does temperature
# scaling undo what smoothing did?".
#
# calib compare --sweep NAME=V,... -o DIR runs this script on DIR/sweep.csv;
# by hand:
#
#   gnuplot -e "datafile='sweep.csv'; param='epsilon'; nmetrics=2; \
#       metric1='ece'; mlabel1='ECE'; scale1=100; metric2='nll'; \
#       mlabel2='NLL'; scale2=1; outfile='sweep.png'" compare-sweep.gp
#
# Variables (datafile, param, nmetrics and metric1..N required):
#   datafile         CSV: PARAM, series (0 as trained, 1 recalibrated),
#                    then METRIC, METRIC_lo, METRIC_hi for each metric
#   param            the parameter's column name, also the x label
#   metric1 ...      the metrics' column names; mlabel1 ... their labels
#   scale1 ...       100 to show a metric in percent, 1 as it is
#   nseries          1, or 2 with recalibrated runs; series0, series1 name
#                    them ('as trained', 'recalibrated')
#   ivname           what the bars are, for the key
#   outfile, term, width, height, title, legend, fontname,
#   fontsize_given, fontscale   as in reliability.gp; default size
#                    760 x 600 for four panels

if (!exists("datafile") || !exists("nmetrics") || !exists("param")) {
	print "compare-sweep.gp: set datafile, param, nmetrics and metric1..N"
	exit status 2
}
tex = exists("term") && term eq 'cairolatex'
# calib passes every number as a real; these count
nmetrics = int(nmetrics)
if (exists("nseries")) nseries = int(nseries)
ncols = nmetrics == 4 ? 2 : nmetrics < 3 ? nmetrics : 3
nrows = int((nmetrics + ncols - 1) / ncols)
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
if (!exists("width")) width = tex ? 200.0 * ncols + 40 : 360.0 * ncols + 40
if (!exists("height")) height = tex ? 150.0 * nrows + 70 : 260.0 * nrows + 80
if (!exists("title")) title = ''
if (!exists("legend")) legend = 1
if (!exists("fontname")) fontname = ''
if (!exists("fontscale")) fontscale = 1.0
if (!exists("nseries")) nseries = 1
if (!exists("series0")) series0 = 'as trained'
if (!exists("series1")) series1 = 'recalibrated'
if (!exists("ivname")) ivname = 'interval'

set datafile separator comma
set datafile columnheaders
set datafile missing ''

mname(k) = value(sprintf("metric%d", k))
mlabel(k) = exists(sprintf("mlabel%d", k)) ? value(sprintf("mlabel%d", k)) : mname(k)
mscale(k) = exists(sprintf("scale%d", k)) ? value(sprintf("scale%d", k)) : 1

# the x range, with a margin so end points and their bars stay inside
stats datafile using (column(param)) nooutput
xmin = STATS_min
xmax = STATS_max
xpad = xmax > xmin ? (xmax - xmin) * 0.08 : 0.5

fontsize = exists("fontsize_given") ? fontsize_given : \
    width < 600 ? 9 : width > 1100 ? 13 : 11
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

# Layout in text lines (as in reliability.gp): title, panels, key.
L = fontsize * 1.6
fy(pixels) = pixels / height
fx(pixels) = pixels / width
y_title = 1 - fy(1.0 * L)
y_top = title ne '' ? 1 - fy(2.0 * L) : 1 - fy(0.6 * L)
y_bottom = legend ? fy(1.6 * L) : fy(0.3 * L)
x_left = fx(0.4 * L)
x_right = 1 - fx(0.4 * L)
cw = (x_right - x_left) / ncols
rh = (y_top - y_bottom) / nrows

# The series stand a little apart, so equal values (temperature scaling
# keeps the accuracy) do not hide each other.
dodge(s) = nseries > 1 ? (s - 0.5) * (xmax > xmin ? (xmax - xmin) * 0.02 : 0.02) : 0

# Okabe & Ito colours; the second series also differs in dash and marker.
array SC[2] = ['#0072B2', '#D55E00']
array SDT[2] = [1, 2]
array SPT[2] = [7, 5]

set multiplot
if (title ne '') {
	set label 100 title at screen 0.5, screen y_title center noenhanced font sprintf(",%g", fontsize + 2)
}
set xrange [xmin - xpad:xmax + xpad]
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set tics front
set errorbars 0.6
set xlabel param noenhanced
do for [k = 1:nmetrics] {
	r = int((k - 1) / ncols)
	c = (k - 1) % ncols
	set lmargin at screen x_left + c * cw + fx(5.2 * fontsize * 1.33)
	set rmargin at screen x_left + (c + 1) * cw - fx(1.2 * fontsize * 1.33)
	set tmargin at screen y_top - r * rh - fy(0.6 * L)
	set bmargin at screen y_top - (r + 1) * rh + fy(2.8 * L)
	S = mscale(k)
	set ylabel (S == 100 ? mlabel(k) . ' (' . PC . ')' : mlabel(k)) noenhanced
	# overconfidence is signed: its zero is calibration
	if (mname(k) eq 'overconfidence') {
		set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#808080' dt 3 back
	} else {
		unset arrow 1
	}
	set yrange [*:*]
	if (k == 1 && legend) {
		set key at screen 0.5, screen fy(0.2 * L) center bottom vertical maxrows 1 \
		    reverse Left samplen 2.5 width 2 noopaque nobox font keyfont
	} else {
		unset key
	}
	plot for [s = 0:nseries - 1] datafile \
	    using (column("series") == s ? column(param) + dodge(s) : NaN):(S * column(mname(k))):\
	        (S * column(mname(k) . '_lo')):(S * column(mname(k) . '_hi')) \
	    with yerrorlines lw 1.8 dt SDT[s + 1] pt SPT[s + 1] ps 0.9 lc rgb SC[s + 1] \
	    title (s == 0 ? series0 : series1) . ' (' . ivname . ')' noenhanced
}
unset multiplot
