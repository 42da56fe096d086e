#!/bin/sh
# The quality restorer tier: each shipped (fast) restorer widened (widen.py: the same function
# at the start) and trained on the real-world damage on mostly mean mosaics
# (restore_data.MIXES["mostly-mean"]). Resumable per model: a finished model's output is kept;
# rerun to continue, delete OUT to retrain. OUT holds the results.
set -e
BIN=${BIN:-.venv/bin}
OUT=${OUT:-out/tiers}
SRC=${SRC:-models}
mkdir -p "$OUT"
for s in 2 3 4; do
  [ -f "$OUT/restorer_quality_x$s.keras" ] || $BIN/unpixel train restorer --scale $s \
    --tier quality --init "$SRC/restorer_x$s.keras" --damage mostly-mean --epochs 8 \
    --steps 200 --batch 32 --learning-rate 1e-3 --seed 3 \
    --workdir out/train/restorer_quality_x$s --output "$OUT/restorer_quality_x$s.keras"
done
