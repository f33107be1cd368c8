# The two commands a new machine needs (see README): `make demo` and `make test`.
# Everything is installed into .venv from the project's own files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LIBRARY := agreements/library
SAMPLE := $(LIBRARY)/incidents/cap-flash-flood-warning.xml

.PHONY: install demo test bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# Check the bundled library and evaluate it against a sample CAP alert.
demo: $(INSTALLED)
	$(VENV)/bin/compact check $(LIBRARY)
	$(VENV)/bin/compact test $(LIBRARY)
	$(VENV)/bin/compact evaluate $(LIBRARY) --incident $(SAMPLE) --format text

test: $(INSTALLED)
	$(PY) -m pytest

bench: $(INSTALLED)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
