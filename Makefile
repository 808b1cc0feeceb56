# The README's commands. `make run` and `make test` set everything up from a machine that has
# only Python 3.11 and pip: uv goes into .tools/, the locked environment into .venv/.
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STATE ?= .state
LANDING ?= seeds/sample
OUT ?= releases
# The bundled sample's latest quarter.
QUARTER ?= 2024Q2

.PHONY: setup run brief-png test check backfill lint format airflow bench bench-ingest bench-warehouse bench-incremental bench-release clean

# dbt's manifest, from which the release DAG draws one task per model, is parsed again
# whenever the dbt project changed. The brief's fonts are downloaded once into the environment
# (retention.release.fonts).
setup: $(VENV)/.synced
	$(BIN)/python -m retention.release.fonts
	$(BIN)/retention dbt-parse

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Every module is compiled to bytecode once here: a process that may not write .pyc files
# (PYTHONDONTWRITEBYTECODE, a read-only environment) otherwise compiles GX, WeasyPrint and
# matplotlib from source each time (at x1 on a busy machine, 15 s of a gate run of 60).
# The Makefile is a prerequisite so that an environment synced before this flag gets it.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock Makefile
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

# The bundled synthetic sample loads under the public development key unless RETENTION_PII_KEY
# is set (sample mode); any other landing folder needs the deployment's key.
SAMPLE_MODE := $(if $(filter seeds/sample,$(LANDING)),1)

# The main job through the real Airflow DAGs, in-process (dag.test on an embedded SQLite
# metadata database): ingest, build, gate, approval, release.
run: setup
	$(BIN)/retention run --quarter $(QUARTER) --landing $(LANDING) --state $(STATE) --out $(OUT) \
		$(if $(SAMPLE_MODE),--sample-key)

# The README's picture of the brief: the first page of the latest release of $(QUARTER).
brief-png:
	@mkdir -p docs && pdf=$$(ls -v $(OUT)/$(QUARTER)/v*/*.pdf | tail -1) && \
		$(BIN)/python -c 'import sys, pypdfium2; pypdfium2.PdfDocument(sys.argv[1])[0].render(scale=1.2).to_pil().save(sys.argv[2])' \
			"$$pdf" docs/brief-page-1.png && \
		echo "docs/brief-page-1.png: page 1 of $$pdf"

# A local Airflow (standalone: api-server, scheduler, dag-processor, triggerer) with the
# project's DAGs on the sample, for a data engineer to click through.
AIRFLOW_ENV = PATH=$(abspath $(BIN)):$$PATH AIRFLOW_HOME=$(abspath $(STATE))/airflow \
	AIRFLOW__CORE__DAGS_FOLDER=$(abspath dags) AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin RETENTION_APPROVERS=admin \
	AIRFLOW__COSMOS__ENABLE_TELEMETRY=False AIRFLOW__COSMOS__CACHE_DIR=$(abspath $(STATE))/cosmos \
	AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY=False \
	RETENTION_LANDING=$(abspath $(LANDING)) RETENTION_STATE=$(abspath $(STATE)) \
	RETENTION_RELEASES=$(abspath $(OUT)) RETENTION_SAMPLE_MODE=$(SAMPLE_MODE)

airflow: setup
	mkdir -p $(STATE)/airflow
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate
	$(AIRFLOW_ENV) $(BIN)/airflow pools set warehouse 1 "one DuckDB writer"
	@echo "Airflow at http://localhost:8080 — user admin; its password is generated into"
	@echo "$(abspath $(STATE))/airflow/simple_auth_manager_passwords.json.generated"
	$(AIRFLOW_ENV) $(BIN)/airflow standalone

lint: setup
	$(BIN)/ruff check src tests dags
	$(BIN)/ruff format --check src tests dags
	# the dbt templater compiles the project; point it at a scratch warehouse
	RETENTION_WAREHOUSE=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint dbt/models

format: setup
	$(BIN)/ruff format src tests dags
	$(BIN)/ruff check --fix src tests dags

# Every test: first all but the deployment tests, on every core; then the deployment tests
# alone, as each starts Airflow's servers and wants the machine to itself. The LocalExecutor
# one writes bench-results/deployment.json (a release run against the same stages run directly).
test: lint
	$(BIN)/pytest -p no:cacheprovider -n auto --durations=15 --ignore=tests/test_deployment.py
	$(BIN)/pytest -p no:cacheprovider tests/test_deployment.py

# The edit-test loop: lint and every test that needs no services, runs no Airflow DAG and does
# not put the whole sample through the pipeline (those are marked slow), on every core.
check: lint
	$(BIN)/pytest -m "not slow" -p no:cacheprovider -n auto

# Airflow's backfill of every quarter of the sample (2022Q1-2024Q2) on a real deployment
# (PostgreSQL, scheduler, api-server...): ten release runs, about 20 minutes.
backfill: setup
	RETENTION_FULL_BACKFILL=1 $(BIN)/pytest -ra tests/test_deployment.py -k whole_sample

# $(or ...) splits its arguments at commas: the lists of scales go in through variables
COMMA := ,
ALL_SCALES := 1$(COMMA)10$(COMMA)100
# The benchmarks load the synthetic sample at scale, under the public development key.
BENCH = RETENTION_SAMPLE_MODE=1 $(BIN)/python -m retention.bench

bench-ingest: setup
	$(BENCH).ingest --scale $(or $(SCALE),100) --out bench-results/ingest.json

bench-warehouse: setup
	$(BENCH).warehouse --scales $(or $(SCALES),$(ALL_SCALES)) --out bench-results/warehouse.json

# a new quarter's build against a full build, at x100 unless SCALE says otherwise
bench-incremental: setup
	$(BENCH).incremental --scale $(or $(SCALE),100) --out bench-results/incremental.json

bench: setup
	$(BENCH).pipeline --scales $(or $(SCALES),$(ALL_SCALES)) --out bench-results/pipeline.json

bench-release: setup
	$(BENCH).release --scales $(or $(SCALES),1$(COMMA)100) --out bench-results/release.json

clean:
	rm -rf $(STATE) bench-data .pytest_cache .ruff_cache
