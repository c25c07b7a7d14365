# compare-histogram.gp - the confidence histograms of several runs overlaid
# (Guo, Pleiss, Sun & Weinberger, ICML 2017, Fig. 1, top row), each as an
# outline in its own colour and dash pattern (no fills, which would mix),
# with its accuracy (open square) and average confidence (dot) joined on
# its own row above the histograms, so the distance between them - the
# overconfidence - reads at a glance; and, for runs trained with label smoothing of strength eps, marks at the
# smoothed targets 1 - eps + eps/K and eps/K (Szegedy et al., CVPR 2016;
# Mueller, Kornblith & Hinton, NeurIPS 2019): a model that fits its
# smoothed targets piles its confidence up there.
#
# calib compare -o DIR runs this script; by hand, on tables from calib bins:
#
#   gnuplot -e "ndata=2; data1='b1.csv'; data2='b2.csv'; label1='hard'; \
#       label2='smooth'; eps2=0.1; classes=10; outfile='hist.png'" \
#       compare-histogram.gp
#
# Variables (ndata and data1..dataN required):
#   ndata, data1 ... dataN, label1 ...   as in compare-reliability.gp
#   acc1, conf1 ...   accuracy and average confidence (computed from the
#                     table if unset)
#   eps1 ...          label-smoothing strength of a run (no marks if unset)
#   classes           K, for the marks (default 10)
#   outfile, term, width, height, title, xlabel, legend, fontname,
#   fontsize_given, fontscale   as in histogram.gp; default size 760 x 540

if (!exists("ndata") || !exists("data1")) {
	print "compare-histogram.gp: set ndata and data1..dataN to tables from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
if (!exists("width")) width = term eq 'cairolatex' ? 430.0 : 760.0
if (!exists("height")) height = term eq 'cairolatex' ? 300.0 : 540.0
if (!exists("title")) title = ''
if (!exists("xlabel")) xlabel = 'Confidence'
if (!exists("classes")) classes = 10
if (!exists("legend")) legend = 1
if (!exists("fontname")) fontname = ''
if (!exists("fontscale")) fontscale = 1.0

set datafile separator comma
set datafile columnheaders
set datafile missing ''

data(i) = value(sprintf("data%d", i))
has(name, i) = exists(sprintf("%s%d", name, i))
label(i) = has("label", i) ? value(sprintf("label%d", i)) : sprintf("run %d", i)

array ACC[ndata]
array CONF[ndata]
array W[ndata]
array EPS[ndata]
maxfrac = 0
do for [i = 1:ndata] {
	stats data(i) using (column("weight")) nooutput
	W[i] = STATS_sum
	stats data(i) using (column("weight") / W[i]) nooutput
	if (STATS_max > maxfrac) { maxfrac = STATS_max }
	if (has("acc", i)) { ACC[i] = value(sprintf("acc%d", i)) } else {
		stats data(i) using (column("weight") > 0 ? column("acc") * column("weight") / W[i] : 0) nooutput
		ACC[i] = STATS_sum
	}
	if (has("conf", i)) { CONF[i] = value(sprintf("conf%d", i)) } else {
		stats data(i) using (column("weight") > 0 ? column("conf") * column("weight") / W[i] : 0) nooutput
		CONF[i] = STATS_sum
	}
	EPS[i] = has("eps", i) ? value(sprintf("eps%d", i)) : NaN
}

# Okabe & Ito's colour-blind-safe palette and a dash pattern per run, so
# runs differ in greyscale too.
array C[6] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9']
col(i) = C[(i - 1) % 6 + 1]
dash(i) = (i - 1) % 5 + 1

tex = term eq 'cairolatex'
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

# The histograms fill the lower part; above them one row per run holds
# its accuracy-confidence dumbbell.
rowh = maxfrac * 0.09
top = maxfrac * 1.08 + rowh * (ndata + 0.5)
rowy(i) = maxfrac * 1.08 + rowh * (ndata - i + 0.5)
ystep = 10 ** floor(log10(maxfrac / 2))
ystep = maxfrac / ystep > 10 ? ystep * 2 : ystep

if (title ne '') set title title noenhanced font sprintf(",%g", fontsize + 2)
set xrange [0:1]
set yrange [0:top]
set xtics 0.1 format '%.1f'
set mxtics 2
set ytics 0, ystep, maxfrac * 1.05 format '%.2f'
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set tics front
set xlabel xlabel noenhanced
set ylabel 'Fraction of samples'
set arrow 99 from graph 0, first maxfrac * 1.08 to graph 1, first maxfrac * 1.08 nohead lc rgb '#c0c0c0' lw 1 back
if (legend) {
	# LaTeX's text is wider and taller than gnuplot guesses
	set key below center vertical maxrows (ndata > 3 ? ndata : 3) Left reverse samplen 2.5 \
	    spacing (tex ? 1.4 : 1.1) nobox font keyfont width (tex ? 10 : 1)
} else {
	unset key
}

# The label-smoothing targets of each run that has an eps, as short
# marks under its row.
anyeps = 0
do for [i = 1:ndata] {
	if (EPS[i] == EPS[i] && EPS[i] > 0) {
		anyeps = 1
		hi = 1 - EPS[i] + EPS[i] / classes
		lo = EPS[i] / classes
		set arrow from hi, rowy(i) + rowh * 0.4 to hi, rowy(i) - rowh * 0.4 nohead lw 1.5 dt dash(i) lc rgb col(i) front
		set arrow from lo, rowy(i) + rowh * 0.4 to lo, rowy(i) - rowh * 0.4 nohead lw 1.5 dt dash(i) lc rgb col(i) front
	}
}

mid(lo, hi) = (lo + hi) / 2
plot \
    for [i = 1:ndata] data(i) using (mid(column("lo"), column("hi"))):(column("weight") / W[i]) \
        with histeps lw 2 dt dash(i) lc rgb col(i) \
        title sprintf("%s: acc. %.2f", label(i), 100 * ACC[i]) . PC . \
            sprintf(", conf. %.2f", 100 * CONF[i]) . PC . \
            (EPS[i] == EPS[i] ? sprintf(", eps %g", EPS[i]) : '') noenhanced, \
    for [i = 1:ndata] '+' using (ACC[i]):(rowy(i)):(CONF[i] - ACC[i]):(0) every ::0::0 \
        with vectors nohead lw 2 dt dash(i) lc rgb col(i) notitle, \
    for [i = 1:ndata] '+' using (ACC[i]):(rowy(i)) every ::0::0 \
        with points pt 5 ps 1.1 lc rgb 'white' notitle, \
    for [i = 1:ndata] '+' using (ACC[i]):(rowy(i)) every ::0::0 \
        with points pt 4 ps 1.1 lw 2 lc rgb col(i) notitle, \
    for [i = 1:ndata] '+' using (CONF[i]):(rowy(i)) every ::0::0 \
        with points pt 7 ps 1.1 lc rgb col(i) notitle, \
    NaN with points pt 4 ps 1.1 lw 2 lc rgb '#404040' title 'accuracy (square)', \
    NaN with points pt 7 ps 1.1 lc rgb '#404040' title 'avg. confidence (dot)', \
    NaN with lines lw 1.5 lc rgb '#404040' title (anyeps ? 'targets 1-eps+eps/K, eps/K (tick)' : '')
