# asb-ledger: `make run` tries it on the embedded SQLite store; `make test` installs and tests it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench install clean assets

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@$(BIN)/asb-ledger demo --if-empty
	@$(BIN)/asb-ledger verify --all
	@echo
	@echo "asb-ledger: web pages at http://127.0.0.1:8000/app (choose a demo user to sign in)"
	@echo "            API at http://127.0.0.1:8000/docs (press Authorize and paste a token)"
	@echo "caseworker (team asb-north):"
	@$(BIN)/asb-ledger token --user demo-caseworker --name "Demo Caseworker" --role caseworker --org council --team asb-north
	@echo "supervisor (team asb-north):"
	@$(BIN)/asb-ledger token --user demo-supervisor --name "Demo Supervisor" --role supervisor --org council --team asb-north
	@echo "police partner (sees only what was shared with Staffordshire Police):"
	@$(BIN)/asb-ledger token --user demo-police-officer --role partner --org staffordshire-police
	@echo "auditor:"
	@$(BIN)/asb-ledger token --user demo-auditor --role auditor --org council
	@echo "admin (keeps the organisation register, GET/POST /organisations):"
	@$(BIN)/asb-ledger token --user demo-admin --role admin --org council
	@echo
	$(BIN)/asb-ledger serve

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Rebuilds api/web/static from the npm packages web/package-lock.json pins (needs Node.js and
# the npm registry); the built files are committed, so install and run never fetch them.
assets:
	web/build.sh

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
