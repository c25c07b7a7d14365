#!/bin/sh
# Regenerate calib's demo prediction files (see data/README.md).
#
# Usage: demo-data.sh TRAINER OUTDIR [TRAINER-OPTIONS...]
#
# Runs TRAINER (tools/train-demo) once per label-smoothing strength with the
# default, fixed seed and writes OUTDIR/fashion-mnist-ls<eps>.csv.  Extra
# options (e.g. --data-dir DIR) are passed to every run.  Stops at the first
# failed run, since the others would almost surely fail the same way and each
# takes a while; the trainer itself never leaves a partial output file.

set -u

prog=demo-data

if [ "$#" -lt 2 ]; then
    echo "usage: $0 TRAINER OUTDIR [TRAINER-OPTIONS...]" >&2
    exit 2
fi
trainer=$1
outdir=$2
shift 2

if [ ! -x "$trainer" ]; then
    echo "$prog: $trainer: not an executable file" >&2
    exit 2
fi
if ! mkdir -p "$outdir"; then
    echo "$prog: cannot create $outdir" >&2
    exit 1
fi

total_start=$(date +%s)
for eps in 0.00 0.05 0.10; do
    out=$outdir/fashion-mnist-ls$eps.csv
    val=$outdir/fashion-mnist-ls$eps-val.csv
    echo "$prog: training with epsilon $eps -> $out, $val" >&2
    start=$(date +%s)
    "$trainer" --epsilon "$eps" -o "$out" --val-out "$val" "$@"
    rc=$?
    end=$(date +%s)
    if [ "$rc" -ne 0 ]; then
        echo "$prog: training with epsilon $eps failed (exit status $rc)" >&2
        exit 1
    fi
    echo "$prog: epsilon $eps took $((end - start)) s"
done
total_end=$(date +%s)
echo "$prog: all three runs took $((total_end - total_start)) s"
