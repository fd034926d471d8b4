# The README's two commands: `make demo` and `make test`. Each creates .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,examples]'
	touch $@

demo: $(VENV)/.dev
	$(BIN)/python examples/moons.py

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict tape tests examples
	$(BIN)/python -m pytest

# The benchmark suite against micrograd, autograd, PyTorch and JAX (not part of make test).
bench: $(VENV)/.dev
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
