# The two commands a new machine needs (see README): `make demo` and `make test`.
# Everything is installed from the project's own files: Debian packages (as root) and .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# WeasyPrint's Pango and HarfBuzz, and fonts, for the PDFs.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	fonts-liberation
# pdftotext for the PDF tests, Chromium for the browser tests, wrk for the web benchmark.
TEST_PACKAGES := poppler-utils chromium wrk
# npm to install axe-core for the accessibility test (tests/web/axe/); only when no npm is on
# the PATH, since a Node.js from elsewhere bundles its own npm that Debian's would clash with.
NODE_PACKAGES := nodejs npm
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install node-packages demo test bench clean

# Install missing Debian packages (as root), else say which to install.
define debian_packages
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "as root, run: apt-get install" $$missing; exit 1; \
		fi; \
	fi
endef

$(VENV)/.installed-app: pyproject.toml
	$(call debian_packages,$(RUNTIME_PACKAGES))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-app tests/web/axe/package-lock.json
	$(call debian_packages,$(TEST_PACKAGES))
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@command -v npm >/dev/null 2>&1 || $(MAKE) --no-print-directory node-packages
	npm ci --prefix tests/web/axe --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed-dev

node-packages:
	$(call debian_packages,$(NODE_PACKAGES))

# Start the web application on the embedded SQLite database with demo data.
demo: $(VENV)/.installed-app
	$(VENV)/bin/compact serve --demo --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) bench/engine.py
	$(PY) bench/store.py
	$(PY) bench/web.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
