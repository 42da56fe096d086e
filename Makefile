# The two commands of the quickstart: `make demo` and `make test`.
# Each creates the virtual environment .venv if needed and installs what it needs into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint corpus models reports clean pi-venv reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The runtime alone: numpy, OpenCV, LiteRT.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

# Everything: tests, ONNX Runtime and the export/training side (TensorFlow).
$(VENV)/.all: pyproject.toml | $(BIN)/python
	$(PIP) -e ".[dev,onnx,export,bench,eval,video,ray]"
	touch $@ $(VENV)/.runtime

## The main job on the bundled default sample: the photos, then the live loop on the sample clip.
demo: $(VENV)/.runtime
	$(BIN)/unpixel demo --output out/demo
	$(BIN)/unpixel live --output out/live

## Every test, lint included.
test: $(VENV)/.all
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

## Rebuild the photo corpus manifest (installs the Debian photo packages when root).
corpus: $(VENV)/.all
	$(BIN)/unpixel data --output data/corpus.json

## Train every model from scratch on the corpus (about two hours on 2 cores; run in the background;
## the tier step resumes from out/tiers, delete it to retrain those), then make the weights
## float16-exact (the fp16 exports compute the Keras models' function).
models: $(VENV)/.all
	$(BIN)/unpixel train classifier --space-to-depth 2 --epochs 40 --steps 400 --batch 64
	$(BIN)/unpixel train classifier --init models/classifier.keras --epochs 10 --steps 400 \
		--batch 64 --learning-rate 5e-4 --seed 1 --negative-mix jpeg-heavy \
		--workdir out/train/classifier_ft
	for s in 2 3 4; do $(BIN)/unpixel train restorer --scale $$s --epochs 40 --steps 400 --batch 32; done
	$(BIN)/unpixel train restorer --scale 2 --init models/restorer_x2.keras --epochs 15 --steps 400 \
		--batch 32 --learning-rate 1e-3 --seed 1 --workdir out/train/restorer_x2_ft
	BIN=$(BIN) scripts/train_restorer_tiers.sh  # the quality tier (widened fast ones): out/tiers
	cp out/tiers/restorer_quality_x?.keras models/
	$(BIN)/python scripts/make_fp16_exact.py models/classifier.keras models/restorer_x?.keras \
		models/restorer_quality_x?.keras
	$(MAKE) reports

## The hostile-input suite (prints its case count), then peak memory of the largest restores
## (RELIABILITY.md sections 7 and 8; about 5 minutes on 2 cores).
reliability: $(VENV)/.all
	$(BIN)/python -m pytest -q -s tests/test_hostile.py
	$(BIN)/python -m benchmarks.memory_peak --json reports/memory_peak.json --markdown reports/memory_peak.md

## Validation reports, the manifest and the model card from the trained models.
reports: $(VENV)/.all
	$(BIN)/unpixel eval --task detect --recalibrate --json reports/detect_validation.json --markdown reports/detect_validation.md
	$(BIN)/unpixel eval --task restore --json reports/restore_validation.json --markdown reports/restore_validation.md
	$(BIN)/unpixel eval --task restore-real --per-case 16 --clips 4 \
		--json reports/restore_real_validation.json --markdown reports/restore_real_validation.md
	$(BIN)/unpixel eval --task grid --trials 4 --json reports/grid_validation.json --markdown reports/grid_validation.md
	$(BIN)/python -m unpixel_export.ship
	$(BIN)/unpixel export
	$(BIN)/unpixel eval --task parity --json reports/parity_validation.json --markdown reports/parity_validation.md
	$(BIN)/unpixel eval --task pipeline --json reports/pipeline_validation.json --markdown reports/pipeline_validation.md
	$(BIN)/unpixel eval --task realworld --per-case 48 --clips 12 --json reports/realworld_validation.json \
		--markdown reports/realworld_validation.md
	$(BIN)/unpixel eval --task realworld --restorer quality --per-case 48 --clips 12 \
		--json reports/realworld_quality_validation.json --markdown reports/realworld_quality_validation.md
	$(BIN)/python scripts/readme_accuracy.py
	$(BIN)/python -m unpixel_export.ship

## Raspberry Pi OS (64-bit): a venv that sees the apt picamera2 (--system-site-packages), with
## simplejpeg from pip (Debian's is built for numpy 1.x; unpixel needs numpy 2). docs/deploy-pi.md
PI_VENV ?= $(HOME)/unpixel-venv
pi-venv:
	python3 -m venv --system-site-packages $(PI_VENV)
	$(PI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check .
	$(PI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall \
		--no-deps simplejpeg
	$(PI_VENV)/bin/unpixel doctor

clean:
	rm -rf $(VENV) out build dist *.egg-info
