"""Where the project's files live: the checkout, its contract, reference data and state."""

from __future__ import annotations

import os
from pathlib import Path

# The package runs from its checkout (editable install, Airflow's mounted repository), so the
# contract and reference data are found beside it rather than copied into site-packages.
PROJECT_ROOT = Path(os.environ.get("RETENTION_HOME", Path(__file__).resolve().parents[2]))
CONTRACT_FILE = PROJECT_ROOT / "contract" / "feeds.yaml"
REFERENCE_DIR = PROJECT_ROOT / "seeds" / "reference"
SAMPLE_LANDING = PROJECT_ROOT / "seeds" / "sample"
DBT_DIR = PROJECT_ROOT / "dbt"
# dbt parse writes it; the release DAG draws its dbt tasks from it
DBT_MANIFEST = DBT_DIR / "target" / "manifest.json"
DEFAULT_STATE = PROJECT_ROOT / ".state"
DEFAULT_RELEASES = PROJECT_ROOT / "releases"


def warehouse_path(state: Path) -> Path:
    return state / "warehouse.duckdb"
