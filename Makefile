# The two commands a new machine needs (see README): `make demo` and `make test`.
# Everything is installed into .venv from the project's own files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# Debian packages: WeasyPrint's Pango and HarfBuzz, a font, pdftotext for the PDF tests,
# and Chromium for the browser tests.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	fonts-liberation poppler-utils chromium
LIBRARY := agreements/library
SAMPLE := $(LIBRARY)/incidents/cap-flash-flood-warning.xml

.PHONY: install demo test bench clean

$(INSTALLED): pyproject.toml
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "as root, run: apt-get install" $$missing; exit 1; \
		fi; \
	fi
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
