# compare-histogram.gp - the confidence histograms of several runs overlaid
# (Guo, Pleiss, Sun & Weinberger, ICML 2017, Fig. 1, top row), each with
# its accuracy (dashed) and average confidence (solid) as vertical lines,
# and, for runs trained with label smoothing of strength eps, marks at the
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
#   outfile, term, width, height, title, xlabel   as in histogram.gp;
#                     default size 760 x 480

if (!exists("ndata") || !exists("data1")) {
	print "compare-histogram.gp: set ndata and data1..dataN to tables from 'calib bins -f csv'"
	exit status 2
}
if (!exists("outfile")) outfile = ''
if (!exists("term")) term = 'pngcairo'
if (!exists("width")) width = 760.0
if (!exists("height")) height = 480.0
if (!exists("title")) title = ''
if (!exists("xlabel")) xlabel = 'Confidence'
if (!exists("classes")) classes = 10

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

# Okabe & Ito's colour-blind-safe palette, one colour per run.
array C[6] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9']
col(i) = C[(i - 1) % 6 + 1]

fontsize = width < 600 ? 9 : width > 1100 ? 13 : 11
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

if (title ne '') set title title noenhanced font sprintf(",%d", fontsize + 2)
set xrange [0:1]
set yrange [0:maxfrac * 1.12]
set xtics 0.1 format '%.1f'
set mxtics 2
set ytics format '%.2f'
set grid xtics ytics lc rgb '#e6e6e6' lw 1
set tics front
set xlabel xlabel noenhanced
set ylabel 'Fraction of samples'
set key at graph 0.04, graph 0.86 left top vertical reverse Left samplen 2 \
    spacing 1.1 opaque box lc rgb '#c0c0c0' font keyfont

# The label-smoothing targets of each run that has an eps, as arrows from
# the top of the plot.
do for [i = 1:ndata] {
	if (EPS[i] == EPS[i]) {
		hi = 1 - EPS[i] + EPS[i] / classes
		lo = EPS[i] / classes
		set arrow from hi, graph 1 to hi, graph 0.9 head size screen 0.012, 25 lw 2 lc rgb col(i) front
		set arrow from lo, graph 1 to lo, graph 0.9 head size screen 0.012, 25 lw 2 lc rgb col(i) front
	}
}
anyeps = 0
do for [i = 1:ndata] { if (EPS[i] == EPS[i]) { anyeps = 1 } }

mid(lo, hi) = (lo + hi) / 2
plot \
    for [i = 1:ndata] data(i) using (mid(column("lo"), column("hi"))):(column("weight") / W[i]):\
        (column("hi") - column("lo")) \
        with boxes fs transparent solid 0.25 noborder lc rgb col(i) notitle, \
    for [i = 1:ndata] data(i) using (mid(column("lo"), column("hi"))):(column("weight") / W[i]) \
        with histeps lw 2 lc rgb col(i) \
        title sprintf("%s: accuracy %.2f%%, avg. confidence %.2f%%%s", label(i), \
            100 * ACC[i], 100 * CONF[i], EPS[i] == EPS[i] ? sprintf(", eps %g", EPS[i]) : ''), \
    for [i = 1:ndata] '+' using (ACC[i]):(0):(0):(maxfrac * 1.12) every ::0::0 \
        with vectors nohead dt 2 lw 2 lc rgb col(i) notitle, \
    for [i = 1:ndata] '+' using (CONF[i]):(0):(0):(maxfrac * 1.12) every ::0::0 \
        with vectors nohead lw 2 lc rgb col(i) notitle, \
    NaN with lines dt 2 lw 2 lc rgb '#404040' title 'accuracy (dashed)', \
    NaN with lines lw 2 lc rgb '#404040' title 'avg. confidence (solid)', \
    NaN with vectors head lw 2 lc rgb '#404040' title (anyeps ? 'targets 1 - eps + eps/K and eps/K' : '')
