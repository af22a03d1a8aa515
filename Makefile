# Every target makes its own virtualenv; nothing is assumed but python3 >= 3.10 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: example test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint,remote,dask,board]'
	touch $(STAMP)

example: $(STAMP)
	cd example_project && ../$(BIN)/acbuild run build.py && ../$(BIN)/acbuild run build_graph.py && ../$(BIN)/acbuild status build.py

test: $(STAMP)
	$(BIN)/pytest -q tests

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) example_project/workdirs
