#!/bin/sh
# The quality restorer tier: each shipped (fast) restorer widened (widen.py: the same function
# at the start) and trained on, on the fast tier's data (--damage clean: mean mosaics, some
# light JPEG). Trained on the real-world damage instead (--damage mostly-mean) it lost on mean,
# JPEG and resized mosaics and gained only on sampled ones
# (reports/experiments/restore_real_quality_mostly_mean.md). Resumable per model: a finished
# model's output is kept; rerun to continue, delete OUT to retrain. OUT holds the results.
set -e
BIN=${BIN:-.venv/bin}
OUT=${OUT:-out/tiers}
SRC=${SRC:-models}
mkdir -p "$OUT"
for s in 2 3 4; do
  [ -f "$OUT/restorer_quality_x$s.keras" ] || $BIN/unpixel train restorer --scale $s \
    --tier quality --init "$SRC/restorer_x$s.keras" --damage clean --epochs 5 \
    --steps 200 --batch 32 --learning-rate 5e-4 --seed 4 \
    --workdir out/train/restorer_quality_x$s --output "$OUT/restorer_quality_x$s.keras"
done
