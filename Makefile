# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app outreach
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup vendor translations messages bench lint serve-prod clean

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(STAMP) vendor translations

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "outreach needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Browser libraries come from npm (package.json) and are copied into static/vendor/.
vendor:
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --loglevel=error && \
		$(BIN)/python -m outreach.vendor; \
	else \
		echo "npm not found: the check-in camera scanner will be unavailable"; \
	fi

translations: $(STAMP)
	$(BIN)/pybabel -q compile --use-fuzzy -d outreach/translations

# Re-extract the strings after changing templates or code, then fill in the English .po.
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location -F babel.cfg -k _l -k lazy_gettext --ignore-dirs '.*' -o outreach/translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching -i outreach/translations/messages.pot -d outreach/translations

bench: setup
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .

# Production-like, on this machine: PostgreSQL, Redis for shared rate limits, gunicorn with
# 4 workers, and the mail sender as its own process.
PROD_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/outreach
PROD_ENV = OUTREACH_DATABASE_URL=$(PROD_DATABASE_URL) \
	OUTREACH_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 \
	OUTREACH_MAIL_SEND_AFTER_COMMIT=false OUTREACH_BIND=$(HOST):$(PORT) OUTREACH_WORKERS=4
serve-prod: setup
	$(BIN)/python -m outreach.deploy.createdb $(PROD_DATABASE_URL)
	$(PROD_ENV) $(FLASK) db upgrade
	$(PROD_ENV) $(FLASK) demo --if-empty
	$(PROD_ENV) $(FLASK) send-mail --loop & sender=$$!; \
	trap "kill $$sender 2>/dev/null" EXIT INT TERM; \
	$(PROD_ENV) $(BIN)/gunicorn -c outreach/deploy/gunicorn.conf.py

clean:
	rm -rf $(VENV) node_modules outreach/static/vendor
