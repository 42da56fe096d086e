#!/bin/sh
# After scripts/train_restorer_tiers.sh: register, export and report the quality tier only
# (the classifier and the fast restorers are unchanged, so their exports and reports stay).
# The whole chain from scratch is `make models`.
set -e
BIN=${BIN:-.venv/bin}
Q="restorer_quality_x2 restorer_quality_x3 restorer_quality_x4"
for m in $Q; do cp "out/tiers/$m.keras" models/; done
$BIN/python scripts/make_fp16_exact.py models/restorer_quality_x2.keras \
  models/restorer_quality_x3.keras models/restorer_quality_x4.keras
$BIN/unpixel eval --task restore --json reports/restore_validation.json \
  --markdown reports/restore_validation.md
$BIN/unpixel eval --task restore-real --per-case 16 --clips 4 \
  --json reports/restore_real_validation.json --markdown reports/restore_real_validation.md
$BIN/python -m unpixel_export.ship
$BIN/unpixel export --models $Q
$BIN/unpixel eval --task parity --json reports/parity_validation.json \
  --markdown reports/parity_validation.md
$BIN/unpixel eval --task realworld --restorer quality --per-case 48 --clips 12 \
  --json reports/realworld_quality_validation.json \
  --markdown reports/realworld_quality_validation.md
$BIN/python scripts/readme_accuracy.py
$BIN/python -m unpixel_export.ship
