#!/bin/sh
# The two restorer tiers from the shipped (clean-trained) restorers, on the real-world damage
# (restore_data.MIXES["real"]): fast = the shipped model fine-tuned; quality = the fast one
# widened (widen.py: the same function at the start) and trained on. Resumable per model:
# a finished model's output is kept; rerun to continue. OUT holds the results.
set -e
BIN=${BIN:-.venv/bin}
OUT=${OUT:-out/tiers}
SRC=${SRC:-models}
mkdir -p "$OUT"
for s in 2 3 4; do
  [ -f "$OUT/restorer_x$s.keras" ] || $BIN/unpixel train restorer --scale $s \
    --init "$SRC/restorer_x$s.keras" --damage real --epochs 8 --steps 200 --batch 32 \
    --learning-rate 1e-3 --seed 2 --workdir out/train/restorer_x${s}_real \
    --output "$OUT/restorer_x$s.keras"
done
for s in 2 3 4; do
  [ -f "$OUT/restorer_quality_x$s.keras" ] || $BIN/unpixel train restorer --scale $s \
    --tier quality --init "$OUT/restorer_x$s.keras" --damage real --epochs 10 --steps 200 \
    --batch 32 --learning-rate 1e-3 --seed 3 --workdir out/train/restorer_quality_x$s \
    --output "$OUT/restorer_quality_x$s.keras"
done
