.PHONY: help requirements test test-sqlite test-mysql test-releases quality demo benchmark benchmark-large docs dist test-wheel upgrade clean
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

help: ## show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements/quality.txt requirements/test.txt requirements/base.txt setup.py
	bash .ci/system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/quality.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

requirements: $(STAMP) ## create .venv with the pinned requirements and the package (editable)

# Every suite run prints the package's coverage and fails below the floor: the level measured when it was set
# (94.0 %, end of issues 16 to 21; 94.19 % on SQLite and 94.23 % on MariaDB then). Raise it as coverage grows;
# never lower it to pass.
COVERAGE_FLOOR := 94.0
COVERAGE := --cov=openedx_grade_freeze --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

test: $(STAMP) ## run the suite on SQLite and on MariaDB (127.0.0.1:3306, root) with coverage; MariaDB is required when CI=true
	PY=$(PY) bash tests/run_suite.sh $(COVERAGE)

test-sqlite: $(STAMP) ## run the suite on SQLite only, with coverage
	GRADE_FREEZE_TEST_DB=sqlite $(PY) -m pytest $(COVERAGE)

test-mysql: $(STAMP) ## run the suite on MariaDB only, with coverage
	GRADE_FREEZE_TEST_DB=mysql $(PY) -m pytest $(COVERAGE)

# The supported releases CI tests, each under its own pins (requirements/releases/<release>.txt) on the Python its
# Tutor image builds (PYTHON_VERSION in Tutor 20/21/22's Dockerfile): docs/references/supported_releases.rst.
RELEASES ?= teak ulmo verawood
RELEASE_PYTHON_teak := 3.11
RELEASE_PYTHON_ulmo := 3.11
RELEASE_PYTHON_verawood := 3.12

$(VENV)-%/.installed-stamp: requirements/releases/%.txt requirements/base.in requirements/test-tools.in setup.py .ci/find-python
	bash .ci/system-packages
	@test -n "$(RELEASE_PYTHON_$*)" || { echo "No Python version is set for release $* (RELEASE_PYTHON_$* in the Makefile)." >&2; exit 1; }
	rm -rf $(VENV)-$*
	release_python=$$(bash .ci/find-python $(RELEASE_PYTHON_$*)) && "$$release_python" -m venv $(VENV)-$*
	$(VENV)-$*/bin/python -m pip install -q --upgrade pip
	$(VENV)-$*/bin/python -m pip install -q -c requirements/releases/$*.txt -r requirements/base.in -r requirements/test-tools.in
	$(VENV)-$*/bin/python -m pip install -q --no-deps -e .
	touch $@

test-releases: $(foreach r,$(RELEASES),$(VENV)-$(r)/.installed-stamp) ## run the suite (SQLite) under each release's pins and Python, in .venv-<release>
	@status=0; for pair in $(foreach r,$(RELEASES),$(r):$(RELEASE_PYTHON_$(r))); do \
		r=$${pair%%:*}; want=$${pair#*:}; \
		have=$$($(VENV)-$$r/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
		echo "=== Test suite under $$r's pins (requirements/releases/$$r.txt) on Python $$have ==="; \
		if [ -n "$$want" ] && [ "$$have" != "$$want" ]; then \
			echo "$(VENV)-$$r runs Python $$have, but $$r needs $$want: remove $(VENV)-$$r and run make again." >&2; status=1; continue; \
		fi; \
		GRADE_FREEZE_TEST_DB=sqlite GRADE_FREEZE_STANDIN_VARIANT=$$r $(VENV)-$$r/bin/python -m pytest -m "not integration and not tutor" || status=1; \
	done; exit $$status

quality: $(STAMP) ## isort, ruff, the layering contracts, the toggle and PII annotation lint, migrations
	$(PY) -m isort --check-only --diff openedx_grade_freeze tests benchmarks setup.py
	$(VENV)/bin/ruff check openedx_grade_freeze tests benchmarks setup.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/code_annotations static_find_annotations --config_file .annotations_toggles.yml --lint --report
	DJANGO_SETTINGS_MODULE=tests.host.settings PYTHONPATH=. $(VENV)/bin/code_annotations django_find_annotations --config_file .pii_annotations.yml --lint --report --coverage
	$(PY) tests/host/manage.py makemigrations openedx_grade_freeze --check --dry-run

demo: $(STAMP) ## run the scripted demo in the host project on an embedded SQLite database
	$(PY) tests/host/demo.py

benchmark: $(STAMP) ## the hot-path freeze check vs one primary-key query; snapshots of 10,000 and 100,000 learners
	$(PY) benchmarks/run.py
	$(PY) benchmarks/snapshot.py

benchmark-large: $(STAMP) ## snapshots of 10,000, 100,000 and 1,000,000 learners (about 10 minutes)
	GRADE_FREEZE_BENCH_SIZES=10000,100000,1000000 $(PY) benchmarks/snapshot.py

docs: ## build the Sphinx docs into docs/_build
	$(PYTHON) -m venv $(VENV)-docs && $(VENV)-docs/bin/pip install -q -r requirements/doc.txt
	$(VENV)-docs/bin/sphinx-build -W -b html docs docs/_build/html

dist: ## build the sdist and the wheel into dist/ (failing on any build warning) and check them with twine
	bash .ci/dist

test-wheel: dist ## install the built wheel into a clean virtualenv and run the plugin-loading, migration and template tests
	bash .ci/check-wheel

upgrade: ## re-pin requirements/*.txt from requirements/*.in
	$(PYTHON) -m venv $(VENV)-tools && $(VENV)-tools/bin/pip install -q -r requirements/pip-tools.txt
	cd requirements && for f in pip-tools base test quality doc dist dev; do \
		../$(VENV)-tools/bin/pip-compile -q --allow-unsafe --rebuild --upgrade -o $$f.txt $$f.in; done

clean: ## remove the virtualenvs and build leftovers
	rm -rf $(VENV) $(VENV)-* build dist *.egg-info var
