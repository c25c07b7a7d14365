# per-class.gp - small multiples: the one-vs-rest reliability diagram of
# each class (the predicted probability of class c against the frequency
# of class c), on shared axes, each panel drawn as reliability.gp draws
# its diagram (see there for what each mark means), titled with the
# class and its ECE.  Kumar, Liang & Ma, "Verified uncertainty
# calibration", NeurIPS 2019, and Nixon et al., "Measuring calibration in
# deep learning", CVPR workshops 2019, average these per-class errors
# into the classwise ECE; the panels show where it comes from.
#
# calib diagram --per-class runs this script; by hand, on tables from
# calib bins --class c:
#
#   gnuplot -e "ndata=2; data1='c0.csv'; data2='c1.csv'; label1='cat'; \
#       label2='dog'; outfile='classes.png'" per-class.gp
#
# Variables (ndata and data1..dataN required):
#   ndata, data1 ... dataN, label1 ..., ece1 ...   the classes' tables,
#                    names and ECE (computed from the table if unset)
#   classes          K, for the subtitle
#   binning          e.g. '15 equal-width bins'
#   outfile, term, width, height, title, style, legend, intervals,
#   fontname, fontsize_given, fontscale, level   as in reliability.gp;
#                    default size 230 per column + 80, 230 per row + 120

if (!exists("ndata") || !exists("data1")) {
	print "per-class.gp: set ndata and data1..dataN to tables from 'calib bins -f csv --class C'"
	exit status 2
}
ndata = int(ndata)
ncols = ndata <= 3 ? ndata : ndata <= 4 ? 2 : ndata <= 9 ? 3 : ndata <= 16 ? 4 : 5
nrows = int((ndata + ncols - 1) / ncols)
if (!exists("term")) term = 'pngcairo'
tex = term eq 'cairolatex'
if (!exists("outfile")) outfile = ''
if (!exists("width")) width = tex ? 110.0 * ncols + 50 : 230.0 * ncols + 80
if (!exists("height")) height = tex ? 110.0 * nrows + 80 : 230.0 * nrows + 120
if (!exists("title")) title = ''
if (!exists("style")) style = 'bars'
if (!exists("legend")) legend = 1
if (!exists("intervals")) intervals = 1
if (!exists("fontname")) fontname = ''
if (!exists("fontscale")) fontscale = 1.0
if (!exists("level")) level = 0.95
if (!exists("binning")) binning = ''
bars = style eq 'bars'

set datafile separator comma
set datafile columnheaders
set datafile missing ''

data(i) = value(sprintf("data%d", i))
has(name, i) = exists(sprintf("%s%d", name, i))
label(i) = has("label", i) ? value(sprintf("label%d", i)) : sprintf("class %d", i)
array ECE[ndata]
do for [i = 1:ndata] {
	if (has("ece", i)) { ECE[i] = value(sprintf("ece%d", i)) } else {
		stats data(i) using (column("weight")) nooutput
		W = STATS_sum
		stats data(i) using (abs(column("gap")) * column("weight") / W) nooutput
		ECE[i] = STATS_sum
	}
}

c_bar = '#56B4E9'
c_barline = '#0072B2'
c_over = '#D55E00'
c_under = '#7A1F5C'
c_band = '#C4C4C4'

fontsize = exists("fontsize_given") ? fontsize_given : \
    width < 600 ? 9 : width > 1100 ? 11 : 10
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
bar(lo, hi) = (hi - lo) * 0.04
mid(lo, hi) = (lo + hi) / 2
xat(lo, hi, conf) = bars ? mid(lo, hi) : conf

# Layout in text lines: title and subtitle, the grid with one header line
# per panel, the shared axis labels, the key.
L = fontsize * 1.6
fy(pixels) = pixels / height
fx(pixels) = pixels / width
y_top = 1 - fy((title ne '' ? 2.9 : 1.4) * L)
keyrows = bars ? 3 : 2
y_bottom = fy((legend ? keyrows * 1.1 * L + 0.5 * L : 0.3 * L) + 2.2 * L)
x_left = fx(4.2 * fontsize * 1.33)
x_right = 1 - fx(0.8 * fontsize * 1.33)
cw = (x_right - x_left) / ncols
rh = (y_top - y_bottom) / nrows
padx = fx(0.5 * fontsize * 1.33)
pady = fy(1.3 * L)

set multiplot
if (title ne '') {
	set label 100 title at screen 0.5, screen 1 - fy(0.9 * L) center noenhanced font sprintf(",%g", fontsize + 2)
}
set label 101 (binning ne '' ? binning . ', ' : '') . sprintf("%d panels", ndata) \
    at screen 0.5, screen 1 - fy((title ne '' ? 2.15 : 0.8) * L) center noenhanced
# shared axis labels, once for the grid
set label 102 'Predicted probability of the class' at screen 0.5 * (x_left + x_right), screen y_bottom - fy(1.9 * L) center
set label 103 'Frequency of the class' at screen fx(0.9 * fontsize * 1.33), screen 0.5 * (y_top + y_bottom) center rotate by 90
set xrange [0:1]
set yrange [0:1]
set tics front
set xtics 0.5
set ytics 0.5
set mxtics 5
set mytics 5
set grid xtics ytics mxtics mytics lc rgb '#eeeeee' lw 1
set errorbars 0.4
unset xlabel
unset ylabel
bandkey = intervals ? sprintf("consistency band (%g", 100 * level) . PC . ")" : ''
ivkey = intervals ? sprintf("%g", 100 * level) . PC . " interval" : ''
do for [i = 1:ndata] {
	r = int((i - 1) / ncols)
	c = (i - 1) % ncols
	set lmargin at screen x_left + c * cw + padx
	set rmargin at screen x_left + (c + 1) * cw - padx
	set tmargin at screen y_top - r * rh - pady
	set bmargin at screen y_top - (r + 1) * rh + fy(0.9 * L)
	# tick labels on the outer panels only: the axes are shared
	set format x (r == nrows - 1 || i + ncols > ndata ? '%g' : '')
	set format y (c == 0 ? '%g' : '')
	set label 1 label(i) . '  ' . (ECE[i] == ECE[i] ? sprintf("ECE %.2f", 100 * ECE[i]) . PC : 'no data') \
	    at graph 0.5, graph 1 offset 0, 0.6 center noenhanced
	if (i == 1 && legend) {
		set key at screen 0.5, screen fy(0.2 * L) center bottom vertical maxrows keyrows \
		    reverse Left samplen 1.8 spacing (tex ? 1.35 : 1.05) width (tex ? 6 : 1) noopaque nobox font keyfont
	} else {
		unset key
	}
	plot \
	    data(i) using (mid(column("lo"), column("hi"))):(bars ? column("acc") / 2 : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(0):(column("acc")) \
	        with boxxyerror fs solid 1.0 border lc rgb c_barline lc rgb c_bar \
	        title (bars ? 'frequency (bar)' : ''), \
	    data(i) using (mid(column("lo"), column("hi"))):(bars && column("gap") < 0 ? column("conf") : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(column("acc")):(column("conf")) \
	        with boxxyerror fs pattern 5 border lc rgb c_over lw 1.2 lc rgb c_over \
	        title (bars ? 'gap, overconfident' : ''), \
	    data(i) using (mid(column("lo"), column("hi"))):(bars && column("gap") >= 0 ? column("conf") : NaN):\
	        (column("lo") + bar(column("lo"), column("hi"))):\
	        (column("hi") - bar(column("lo"), column("hi"))):(column("conf")):(column("acc")) \
	        with boxxyerror fs pattern 4 border lc rgb c_under lw 1.2 lc rgb c_under \
	        title (bars ? 'gap, underconfident' : ''), \
	    data(i) using (column("lo") + bar(column("lo"), column("hi"))):(bars ? column("conf") : NaN):\
	        (column("hi") - column("lo") - 2 * bar(column("lo"), column("hi"))):(0) \
	        with vectors nohead lw 2 lc rgb 'black' \
	        title (bars ? 'mean probability (tick)' : ''), \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):\
	        (intervals ? column("band_lo") : NaN):(0):(column("band_hi") - column("band_lo")) \
	        with vectors nohead lw (bars ? 4 : 4) lc rgb c_band title bandkey, \
	    x with lines dt 2 lw 1.2 lc rgb '#303030' title 'perfect calibration', \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):\
	        (style eq 'line' && column("count") > 0 ? column("acc") : NaN) \
	        with lines lw 1.2 lc rgb c_barline notitle, \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):\
	        (intervals ? column("acc") : NaN):(column("acc_lo")):(column("acc_hi")) \
	        with yerrorbars pt -1 lw 0.9 lc rgb 'black' title ivkey, \
	    data(i) using (xat(column("lo"), column("hi"), column("conf"))):(column("acc")) \
	        with points pt 7 ps (bars ? 0.3 : 0.5) lc rgb (bars ? 'black' : c_barline) \
	        title (bars ? '' : 'frequency at mean probability')
	unset label 1
}
unset multiplot
