# The few commands a newcomer needs. `make demo` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench messages compile clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)                 ## create .venv with the pinned dependencies

demo: $(STAMP)                  ## run the demo: a hub on SQLite with the Gulf regime
	$(BIN)/gulfsec demo

AXE    := tests/e2e/node_modules/axe-core/axe.min.js

$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --silent
	touch $(AXE)

test: $(STAMP) $(AXE)           ## the whole test suite, on SQLite and PostgreSQL, one worker per core
	scripts/ensure-postgres
	$(BIN)/pytest -n auto --dist loadfile

test-fast: $(STAMP)             ## unit tests only (seconds)
	$(BIN)/pytest tests/unit -q

lint: $(STAMP)                  ## ruff and mypy --strict
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)                 ## benchmarks, printed side by side
	scripts/ensure-postgres
	$(BIN)/python benchmarks/run.py

LOCALE := src/gulfsec/locale
LANGUAGES := ar fa ru zh fr

messages: $(STAMP)              ## gather the words to translate into every language's catalog
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k PydanticCustomError:2 -c TRANSLATORS: --add-location=file --sort-by-file \
		--project=gulfsec --no-wrap -o $(LOCALE)/gulfsec.pot src/gulfsec
	for lang in $(LANGUAGES); do \
		if [ -f $(LOCALE)/$$lang/LC_MESSAGES/gulfsec.po ]; then \
			$(BIN)/pybabel update -i $(LOCALE)/gulfsec.pot -d $(LOCALE) -D gulfsec -l $$lang \
				--no-wrap --ignore-obsolete --no-fuzzy-matching || exit 1; \
		else \
			$(BIN)/pybabel init -i $(LOCALE)/gulfsec.pot -d $(LOCALE) -D gulfsec -l $$lang \
				--no-wrap || exit 1; \
		fi; \
	done

compile: $(STAMP)               ## compile the catalogs (.po) into what gulfsec reads (.mo)
	$(BIN)/pybabel compile -d $(LOCALE) -D gulfsec --statistics

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis
