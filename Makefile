# schoolhub — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-browser translations extract-messages lint clean bench bench-phrases soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Catalogs are committed as .po; the binary .mo files are built here.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d schoolhub/translations

instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print('# made by make run: local settings, never committed'); print('SECRET_KEY = %r' % secrets.token_hex(32)); print('SESSION_COOKIE_SECURE = False  # plain http on 127.0.0.1'); print('REMEMBER_COOKIE_SECURE = False')" > $@

run: $(VENV)/.installed translations instance/config.py
	$(BIN)/flask --app schoolhub init-db
	$(BIN)/flask --app schoolhub seed-demo --if-empty
	$(BIN)/flask --app schoolhub run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-browser: $(VENV)/.installed translations
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

# The catalog headers are kept: they carry the charset and the plural rule (vi: nplurals=1; plural=0).
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o schoolhub/translations/messages.pot --no-location --sort-output --project schoolhub .
	for lang in vi en; do \
	  test -f schoolhub/translations/$$lang/LC_MESSAGES/messages.po || \
	  $(BIN)/pybabel init -i schoolhub/translations/messages.pot -d schoolhub/translations -l $$lang; \
	done
	$(BIN)/pybabel update -i schoolhub/translations/messages.pot -d schoolhub/translations --no-fuzzy-matching

lint: $(VENV)/.installed
	$(BIN)/ruff check schoolhub tests

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

# The load benchmark (not part of `make test`): BENCH_DB=sqlite|postgres BENCH_PRESET=commune|province.
bench: $(VENV)/.installed translations
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py

# Searches as people type them: 300 distinct phrases cut from the data set's lessons, each once (same BENCH_* variables).
bench-phrases: $(VENV)/.installed translations
	$(BIN)/python bench/phrases.py

# Bounded load on 127.0.0.1 only: 100 logged-in clients reading and writing for 60 s against gunicorn
# (4 workers) on PostgreSQL (a sibling database of SCHOOLHUB_TEST_DATABASE_URL's, dropped after),
# then 20 s on a SQLite file. Fails on any 5xx or any acknowledged write missing afterwards.
SOAK_DATABASE ?= $(or $(SCHOOLHUB_TEST_DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/test)
soak: $(VENV)/.installed translations
	$(BIN)/python tests/soak.py --database "$(SOAK_DATABASE)" --seconds 60 --clients 100 --workers 4
	$(BIN)/python tests/soak.py --database sqlite --seconds 20 --clients 100 --workers 4
