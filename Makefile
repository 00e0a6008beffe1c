# Argus — every target sets up what it needs; `make serve` and `make test` work on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.8
# RapidOCR's wheel carries the PP-OCRv4 ONNX files we run through our own runtime. Its declared
# dependency on opencv-python (GUI build) would overwrite opencv-python-headless, so it is
# installed without dependencies.
RAPIDOCR := rapidocr_onnxruntime==1.4.4

.PHONY: venv sysdeps serve test check fmt lint types lock bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . $(RAPIDOCR)
	touch $(STAMP)

# Debian packages the tests use: a CJK font so OCR tests can render Chinese ID-card text.
sysdeps:
	@bash scripts/system-deps.sh

serve: venv
	$(BIN)/argus serve

test: venv sysdeps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

fmt: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

lint: venv
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

types: venv
	$(BIN)/mypy

check: lint types test

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	test -x $(BIN)/uv || ($(PY) -m venv $(VENV) && $(BIN)/python -m pip install -q uv==$(UV_VERSION))
	$(BIN)/uv pip compile -q --python-version 3.11 --extra dev pyproject.toml -o requirements.lock

bench: venv
	$(BIN)/python bench/models.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
