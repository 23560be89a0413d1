# Taitotaso: `make run` serves the suite on the embedded default, `make test` runs every test.
# Both install everything first (Debian packages, the virtual environment, translations).

VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
DEB_PACKAGES := libvoikko1 voikko-fi chromium espeak-ng sox libsox-fmt-base libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
PYTHON      ?= python3

.PHONY: install system-deps translations run test test-fast lint bench audit clean

install: system-deps $(STAMP) translations

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	@# PyPI's torchaudio is a CUDA build whose compiled extension cannot load beside the CPU
	@# torch; speechbrain only needs its pure-Python parts, which work without it.
	rm -f $(VENV)/lib/python3*/site-packages/torchaudio/lib/*.so
	@touch $@

translations: $(STAMP)
	$(VENV)/bin/pybabel compile -d services/translations

run: install
	$(VENV)/bin/taitotaso db seed --if-empty
	$(VENV)/bin/taitotaso serve

test: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest tests/unit

# known vulnerabilities of every installed dependency; on a closed network (no vulnerability
# service) it says that nothing could be audited instead of failing
audit: install
	$(PY) deploy/audit_dependencies.py $(AUDIT_ARGS)

bench: install
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) var build *.egg-info
