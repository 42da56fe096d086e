# The two commands of the quickstart: `make demo` and `make test`.
# Each creates the virtual environment .venv if needed and installs what it needs into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint corpus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The runtime alone: numpy, OpenCV, LiteRT.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

# Everything: tests, ONNX Runtime and the export/training side (TensorFlow).
$(VENV)/.all: pyproject.toml | $(BIN)/python
	$(PIP) -e ".[dev,onnx,export]"
	touch $@ $(VENV)/.runtime

## The main job on the bundled default sample.
demo: $(VENV)/.runtime
	$(BIN)/unpixel demo --output out/demo

## Every test, lint included.
test: $(VENV)/.all
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

## Rebuild the photo corpus manifest (installs the Debian photo packages when root).
corpus: $(VENV)/.all
	$(BIN)/unpixel data --output data/corpus.json

clean:
	rm -rf $(VENV) out build dist *.egg-info
