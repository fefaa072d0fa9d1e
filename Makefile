# Two commands: `make run` (the app on its embedded SQLite database with demo data)
# and `make test` (every test tier). See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint bench scale-out clean-db

$(VENV)/.runtime-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime-installed
	$(PY) cli.py migrate
	$(VENV)/bin/streamlit run server.py --server.port $(PORT)

test: $(VENV)/.dev-installed
	bash scripts/install-test-system-deps.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The issue-6 benchmark: demo + ministry scale on SQLite and PostgreSQL; writes docs/BENCHMARKS.md.
# Not part of `make test`. BENCH_ARGS=--quick for a short run, --scales large to add the large scale.
bench: $(VENV)/.dev-installed
	$(PY) -m bench $(BENCH_ARGS)

# Two Streamlit processes behind nginx on one PostgreSQL, on loopback (deploy/scale-out.sh; needs nginx).
SCALE_OUT_PORT ?= 8500
scale-out: $(VENV)/.runtime-installed
	PORT=$(SCALE_OUT_PORT) bash deploy/scale-out.sh

clean-db:
	rm -f data/reform.db data/reform.db-wal data/reform.db-shm
