# Two commands set up a fresh machine: `make build` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
REQ_HASH := $(shell sha256sum requirements.txt | cut -c1-12)
VENV_STAMP := .venv/.installed-$(REQ_HASH)
# Debian packages: the PDF stage needs Pango and the Latin fonts; the browser and PDF tests need
# Chromium (driven by Playwright) and poppler's pdftoppm.
BUILD_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-dejavu-extra
TEST_DEBS := chromium poppler-utils

.PHONY: build test serve bench lint fonts clean system-deps-build system-deps-test

$(VENV_STAMP): requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	rm -f .venv/.installed-*
	touch $@

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-deps-build:
	$(call apt_install,$(BUILD_DEBS))

system-deps-test: system-deps-build
	$(call apt_install,$(TEST_DEBS))

## build: the whole edition (docs/ Markdown, site/, PDF, offline copy), each stage timed
build: $(VENV_STAMP) system-deps-build
	$(PY) -m build_scripts

## test: every test (unit, property, regeneration, real site build, browser, PDF)
test: $(VENV_STAMP) system-deps-test
	$(PY) -m pytest

## serve: regenerate docs/ and preview with live reload
serve: $(VENV_STAMP)
	$(PY) -m build_scripts --emit-only
	$(PY) -m mkdocs serve

## bench: benchmarks against bare baselines, written to BENCHMARKS.md
bench: $(VENV_STAMP) system-deps-build
	$(PY) -m benchmarks

lint: $(VENV_STAMP)
	$(PY) -m ruff check build_scripts tests
	$(PY) -m ruff format --check build_scripts
	$(PY) -m mypy build_scripts

## fonts: regenerate the CJK subset font (needs Debian's fonts-noto-cjk)
fonts: $(VENV_STAMP)
	$(call apt_install,fonts-noto-cjk)
	$(PY) -m build_scripts.fonts

clean:
	rm -rf site .site-new .site-old .site-offline test-artifacts
