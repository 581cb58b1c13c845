# Two entry points for a newcomer: `make demo` (the main job on bundled data) and `make test`.
# Both create .venv/ and install everything they need; `make test` also installs and starts
# a local Label Studio server (its own venv, .lsvenv/) for the tests that talk to it, and Debian's
# headless Chromium (scripts/browser.sh) for the tests that look at what an annotator sees.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install labelstudio labelstudio-stop bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -e ".[all,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh

test: $(STAMP)
	bash scripts/labelstudio.sh install
	bash scripts/browser.sh
	$(BIN)/python -m pytest -q

labelstudio:
	bash scripts/labelstudio.sh start

labelstudio-stop:
	bash scripts/labelstudio.sh stop

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
