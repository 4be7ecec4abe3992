# Two commands for a new machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint venv clean serve

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

## make demo: set up, validate the example policies, evaluate the example data into reports/,
## applying the Q2 calibration meeting's file (examples/ops-2024-Q2.calibration.yaml)
# evaluate exits 1 when some input rows are errors; the example data has one on purpose (E033, Q4).
demo: $(BIN)/.installed
	$(BIN)/kpi-rules validate policies/
	$(BIN)/kpi-rules test --coverage
	$(BIN)/kpi-rules validate examples/ops-2024-Q2.calibration.yaml
	@for period in 2024-Q2 2024; do \
	  for format in json md html; do \
	    sheets=$$( [ $$format = json ] || echo --per-employee ); \
	    $(BIN)/kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period $$period \
	      --calibration examples/ops-2024-Q2.calibration.yaml \
	      --format $$format --out reports/$$period/ $$sheets ; test $$? -le 1 || exit 1; \
	  done; \
	done
	$(BIN)/kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 \
	  --calibration examples/ops-2024-Q2.calibration.yaml --format xlsx --out reports/2024-Q2/
	$(BIN)/kpi-rules explain policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 --employee E001
	$(BIN)/kpi-rules explain policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 --employee E014 \
	  --calibration examples/ops-2024-Q2.calibration.yaml
	@echo "Reports are in reports/: open reports/2024-Q2/ops-department-2024-Q2.html in a browser,"
	@echo "and reports/2024-Q2/ops-department-2024-Q2.xlsx in Excel or LibreOffice."

## make serve: the service and its web app on the example policies: open http://127.0.0.1:8080/
serve: $(BIN)/.installed
	$(BIN)/kpi-rules serve policies/

## make test: the whole test suite
test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check kpi_rules tests tools
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
