# plot.gnuplot - grouped bar chart of `winsum bench` results: GFLOP/s per
# case, one bar per backend. `winsum bench --plot FILE.png` runs it as
#   gnuplot -e "datafile='TABLE'; outfile='FILE.png'; ncases=N" bench/plot.gnuplot
# where TABLE has a header "case winsum clblast openblas reference torch
# numpy" and one row per case, "?" where a backend did not run (the same numbers as --csv).
if (!exists("datafile")) datafile = 'bench.dat'
if (!exists("outfile")) outfile = 'bench.png'

# ncases (passed by the bench): the image widens with the number of cases,
# about 36 pixels each, so that each case's six bars stay apart
if (!exists("ncases")) ncases = 40
width = ncases * 36 > 1600 ? ncases * 36 : 1600
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size width,900 noenhanced font ",10"
} else {
    set terminal png size width,900 noenhanced
}
set output outfile
set title "winsum bench: GFLOP/s per case and backend (log scale; OpenBLAS = host GEMM of the same flops; torch, numpy on the same cores)"
set datafile missing '?'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 noborder
set boxwidth 0.9
set logscale y
set yrange [0.01:*]
set ylabel "GFLOP/s"
set grid ytics
set xtics rotate by -40 left scale 0 font ",8"
set key outside top center horizontal autotitle columnhead
set bmargin 12
plot for [col=2:7] datafile using col:xtic(1)
