# Two commands on a fresh machine with Python 3.10+ and make:
#   make book   set up .venv (the pinned dependencies and the package), build the site,
#               in English and in Chinese (its zh-cn/)
#   make test   set up what testing needs too (PyTorch, Chromium), run every check
# Each step leaves a stamp, so a second run redoes only what changed: the virtual
# environment when a requirements file or the lock changed, the book when a chapter,
# the package or the book's configuration changed, the Chinese pages also when a
# catalog (locale/) changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
LOCK := requirements.lock
SITE := _build/html
CHROMIUM := /usr/bin/chromium
PORT ?= 8000
LAB_SETTINGS := $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json
# The strict build CI has always run: execution is forced in _config.yml, warnings are
# errors.
BOOK_BUILD := $(BIN)/jupyter-book build . -W -n --keep-going
BOOK_SOURCES := _config.yml _toc.yml $(wildcard book/*.md) tools/repository_buttons.py \
	tools/editions.py tools/templates/language-switch.html \
	$(shell find book/_static book/programs src -type f -not -name '*.pyc' -not -path '*/__pycache__/*' \
	  -not -path '*.egg-info/*')
# The Chinese edition: the English text's templates (one .pot per page, extracted in
# seconds, nothing executed), the catalogs that translate them, and the Chinese site,
# built in ZH_BUILD with _config.zh.yml merged onto _config.yml and copied into the
# English site's zh-cn/, so that each page's language switch is a relative link.
POT_BUILD := _build/pot
POT := $(POT_BUILD)/_build/gettext
ZH_LANGUAGE := zh_CN
CATALOGS := $(shell find locale -name '*.po' 2>/dev/null)
ZH_BUILD := _build/zh
ZH_SITE := $(SITE)/zh-cn
MSGFMT := /usr/bin/msgfmt
# TT_REQUIRE_ALL=1: a test that would skip for want of PyTorch, Chromium or the built
# site fails instead, so "the tests pass" means the same on every machine (only the CUDA
# cases may skip: no GPU is not a set-up fault).
PYTEST := TT_REQUIRE_ALL=1 $(BIN)/python -m pytest -q -p no:cacheprovider \
	--continue-on-collection-errors

.PHONY: book test serve notebooks pdf lock translations clean distclean
.DELETE_ON_ERROR:

book: $(ZH_SITE)/.built
	@echo "The book is built: open $(abspath $(SITE))/index.html, in Chinese"
	@echo "$(abspath $(ZH_SITE))/index.html (or run make serve)"

# What CI runs (.ci/run): the built pages checked, the package's tests with every
# chapter executed again and the site in a browser, then the CUDA paths on the fake
# CuPy (tests/fake_cupy). The fakecuda pass runs whatever the first one found; make test
# fails if either did.
test: $(ZH_SITE)/.built $(VENV)/.test-installed $(CHROMIUM)
	$(BIN)/python tests/check_site.py $(SITE)
	$(PYTEST) || failed=1; $(PYTEST) --device fakecuda || failed=1; exit $${failed:-0}

serve: $(ZH_SITE)/.built
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(SITE) $(PORT)

# The chapters as plain notebooks, book/*.ipynb next to their .md (not committed); the
# executed ones are in _build/jupyter_execute after make book.
notebooks: $(patsubst %.md,%.ipynb,$(wildcard book/*.md))

book/%.ipynb: book/%.md $(VENV)/.installed
	$(BIN)/jupytext --quiet --to ipynb --output $@ $<

pdf: _build/pdf/book.pdf
	@echo "The PDF is at $(abspath _build/pdf/book.pdf)"

_build/pdf/book.pdf: $(SITE)/.built tools/make_pdf.py $(CHROMIUM)
	$(BIN)/python tools/make_pdf.py $(SITE) $@

# Refresh the lock after changing requirements.txt or requirements-test.txt: resolve
# both in a fresh virtual environment, record the exact versions and the inputs' hashes.
lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install -q \
	  -r requirements.txt -r requirements-test.txt
	_build/lock-venv/bin/python -m pip freeze --exclude-editable \
	  | $(PYTHON) tools/lock.py > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf _build/lock-venv

$(VENV)/.installed: requirements.txt $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements.txt -c $(LOCK)
	# JupyterLab in this venv opens book/*.md as notebooks (not as text), as Binder does.
	$(BIN)/jupytext-config --settings-file $(LAB_SETTINGS) set-default-viewer markdown myst
	touch $@

# PyPI's Linux wheels of torch are the (large) CUDA build; the CPU build, enough for the
# oracle, comes from PyTorch's index:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu
# (not needed where pip already finds the CPU wheel, as on this project's CI machines).
$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PIP) install -q -r requirements-test.txt -c $(LOCK) \
	  $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	touch $@

$(SITE)/.built: $(VENV)/.installed $(BOOK_SOURCES)
	$(BOOK_BUILD)
	touch $@

# After editing English text: extract it again and bring every catalog up to date
# (sphinx-intl: a new page gets a new catalog, changed text comes back empty or fuzzy,
# with its old translation as a hint), then list what is left to translate.
translations: $(POT)/.extracted $(MSGFMT)
	$(BIN)/python tools/translations.py update $(POT)

# From clean each time, so that a page no longer in _toc.yml leaves no template behind.
$(POT)/.extracted: $(VENV)/.installed $(BOOK_SOURCES) tools/translations.py
	rm -rf $(POT_BUILD)
	$(BIN)/python tools/translations.py config gettext $(POT_BUILD)/_config.yml
	$(BIN)/jupyter-book build . --config $(POT_BUILD)/_config.yml \
	  --path-output $(POT_BUILD) --builder custom --custom-builder gettext \
	  -W -n --quiet
	touch $@

# Every page's catalog compiles and translates all of its page's current text, none
# fuzzy: checked first, in seconds, before anything is executed.
$(ZH_BUILD)/.catalogs-checked: $(POT)/.extracted $(CATALOGS) $(MSGFMT)
	$(BIN)/python tools/translations.py check $(POT)
	@mkdir -p $(@D) && touch $@

# The Chinese pages reuse the English build's execution (same code cells, so the same
# outputs: tools/reuse_execution.py), and are all read again (--all), so that every
# page is checked again for text left in English (tools/editions.py), an error here.
$(ZH_SITE)/.built: $(ZH_BUILD)/.catalogs-checked $(SITE)/.built _config.zh.yml \
	  locale/$(ZH_LANGUAGE)/jieba_terms.txt tools/translations.py \
	  tools/reuse_execution.py
	$(BIN)/python tools/translations.py config zh $(ZH_BUILD)/_config.yml
	$(BIN)/python tools/reuse_execution.py _build/jupyter_execute \
	  $(ZH_BUILD)/_build/.jupyter_cache
	$(BIN)/jupyter-book build . --config $(ZH_BUILD)/_config.yml \
	  --path-output $(ZH_BUILD) --all -W -n --keep-going
	rm -rf $(ZH_SITE)
	cp -r $(ZH_BUILD)/_build/html $(ZH_SITE)
	touch $@

# A Debian package a make step needs: installed when make runs as root on Debian;
# otherwise make says what to install. $(call debian_package,PACKAGE,PATH,WHAT NEEDS IT)
define debian_package
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's $(1): apt-get install $(1)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $(1) >/dev/null; \
	else \
	  echo "$(2) is missing: $(3)." >&2; \
	  echo "Install Debian's package (sudo apt-get install $(1)), rerun make." >&2; \
	  exit 1; \
	fi
endef

# Debian's gettext gives msgfmt, which checks every catalog (make book, make test).
$(MSGFMT):
	$(call debian_package,gettext,$(MSGFMT),checking the Chinese catalogs needs it)

# Debian's Chromium drives the browser tests and the PDF (Playwright's own browser
# download is not needed).
$(CHROMIUM):
	$(call debian_package,chromium,$(CHROMIUM),the browser tests and make pdf need it)

clean:
	rm -rf _build screenshots book/*.ipynb .pytest_cache .hypothesis
	find locale -name '*.mo' -delete   # compiled from the catalogs by every build
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
