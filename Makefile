# The README's two commands: `make demo` and `make test`. Each creates .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean FORCE

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Editable, but path-based: setuptools' "strict" mode links the package's files under build/
# and puts that folder on sys.path with a plain .pth line. Its default mode installs an
# import hook instead, which static tools never run: `mypy --strict` on a user's file outside
# the repository then found no `tape` (import-not-found) and every type was Any. In strict
# mode an edit shows at once, but a new file in tape/ needs a reinstall: the package's file
# list below is part of what the install depends on.
EDITABLE := --config-settings editable_mode=strict
PKG_FILES := $(sort $(wildcard tape/*.py tape/py.typed))

$(VENV)/.dev: pyproject.toml Makefile $(VENV)/.pkg-files | $(BIN)/python
	$(BIN)/python -m pip install -q $(EDITABLE) -e '.[dev,examples]'
	touch $@

# rewritten only when the list of files changes (not on every edit of one)
$(VENV)/.pkg-files: FORCE | $(BIN)/python
	@echo '$(PKG_FILES)' | cmp -s - $@ || echo '$(PKG_FILES)' > $@

FORCE:

demo: $(VENV)/.dev
	$(BIN)/python examples/moons.py

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict tape tests examples scripts
	$(BIN)/python -m pytest

# The benchmark suite against micrograd, autograd, PyTorch and JAX (not part of make test).
bench: $(VENV)/.dev
	$(BIN)/python -m pip install -q $(EDITABLE) -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
