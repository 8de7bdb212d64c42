# Two commands set up a fresh machine: `make build` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
REQ_HASH := $(shell cat requirements.txt constraints.txt | sha256sum | cut -c1-12)
VENV_STAMP := .venv/.installed-$(REQ_HASH)

# Debian packages, one a line with the reason. `make build` installs BUILD_DEBS, `make test` adds TEST_DEBS.
# tests/test_fresh_machine.py fails if the build loads a shared library from a Debian package that is
# neither listed here nor a dependency of one listed here (chromium once pulled libharfbuzz-subset0 in
# for the tests, so CI was green while `make build` failed on every fresh machine).
BUILD_DEBS :=
BUILD_DEBS += libpango-1.0-0       # WeasyPrint (PDF) lays out text with Pango
BUILD_DEBS += libpangoft2-1.0-0    # Pango's FreeType/fontconfig backend, which WeasyPrint loads
BUILD_DEBS += libharfbuzz-subset0  # WeasyPrint subsets the PDF's fonts with HarfBuzz (its fontTools fallback warns, which fails the build)
BUILD_DEBS += fonts-dejavu-core    # DejaVu Serif and Sans, roman and bold: the PDF's Latin faces
BUILD_DEBS += fonts-dejavu-extra   # DejaVu Serif italic and bold italic, DejaVu Sans oblique
TEST_DEBS :=
TEST_DEBS += chromium              # browser tests drive Debian's Chromium through Playwright
TEST_DEBS += libatomic1            # Playwright's bundled Node.js driver links libatomic (not in a minimal Debian)
TEST_DEBS += poppler-utils         # pdftoppm renders PDF pages to PNG for review (make review)
TEST_DEBS += qpdf                  # qpdf --check verifies the PDF's structure (tests/test_pdf.py)

.PHONY: build test serve review bench lint fonts clean constraints release print-debs system-deps-venv system-deps-build system-deps-test

$(VENV_STAMP): requirements.txt constraints.txt
	@python3 -c 'import ensurepip, venv' 2>/dev/null || $(MAKE) --no-print-directory system-deps-venv
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	rm -f .venv/.installed-*
	touch $@

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

# Debian's python3 leaves out ensurepip; `python3 -m venv` needs python3-venv (installed only where missing).
system-deps-venv:
	$(call apt_install,python3-venv)

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

## review: screenshots of every page (1280 and 390 px) and PDF page renders in test-artifacts/review/
review: $(VENV_STAMP) system-deps-test
	test -f site/index.html || $(PY) -m build_scripts
	$(PY) -m build_scripts.review

## bench: benchmarks against bare baselines and Lighthouse (mobile, desktop), written to BENCHMARKS.md
bench: $(VENV_STAMP) system-deps-test
	npm ci --prefix benchmarks/node --no-audit --no-fund
	$(PY) -m benchmarks

## release: freeze the version in editorial/metadata.yaml (committed, not yet released) into releases/,
##          tag it v<version> and commit the archive; FROM=<commit> NOTE="…" freezes an earlier commit's edition
release: $(VENV_STAMP) system-deps-build
	$(PY) -m build_scripts.release $(if $(FROM),--from $(FROM) --note "$(NOTE)")

lint: $(VENV_STAMP)
	$(PY) -m ruff check build_scripts tests
	$(PY) -m ruff format --check build_scripts
	$(PY) -m mypy build_scripts

## fonts: regenerate the CJK subset font (needs Debian's fonts-noto-cjk)
fonts: $(VENV_STAMP)
	$(call apt_install,fonts-noto-cjk)
	$(PY) -m build_scripts.fonts

## constraints: re-pin every Python distribution after changing requirements.txt
constraints:
	rm -rf .venv-pin && python3 -m venv .venv-pin
	.venv-pin/bin/pip install -q --disable-pip-version-check -r requirements.txt
	{ sed -n '1,/^$$/p' constraints.txt; .venv-pin/bin/pip freeze --all --exclude pip --exclude setuptools | sort -f; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-pin

print-debs:
	@echo $(BUILD_DEBS)
	@echo $(TEST_DEBS)

clean:
	rm -rf site .site-new .site-old .site-offline test-artifacts
