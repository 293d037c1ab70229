# The two commands of the README:
#   make run   — install, migrate, load the demo data and serve on http://127.0.0.1:8000
#   make test  — install what the tests need (Chromium included), then run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000

.PHONY: run test install install-test messages migrate demo lint check-deploy benchmark clean

run: install migrate demo
	DEBUG=true $(BIN)/python manage.py runserver $(HOST)

test: install-test
	$(BIN)/python -m pytest

install: $(VENV)/.installed messages

install-test: $(VENV)/.installed-test messages
	scripts/ensure-chromium
	scripts/ensure-java

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $@

# Compiles locale/*/LC_MESSAGES/django.po; refuses fuzzy entries. Pure Python
# (Babel), so a machine without gettext compiles them too.
messages: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d locale -D django

migrate:
	DEBUG=true $(BIN)/python manage.py migrate --noinput

demo:
	DEBUG=true $(BIN)/python manage.py demo_data

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Measures the portal at Chorus Pro's size on DATABASE_URL (a throw-away PostgreSQL
# database, filled when empty) and writes docs/benchmarks.md. See benchmarks/README.md.
BENCH_SIZE ?= big
benchmark: install
	@test -n "$(DATABASE_URL)" || (echo "Set DATABASE_URL to a throw-away PostgreSQL database." && exit 1)
	$(BIN)/python benchmarks/run.py --size $(BENCH_SIZE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
