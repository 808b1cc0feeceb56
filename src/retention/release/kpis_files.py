"""kpis.json and kpis.csv (UTF-8 with BOM, so Excel on Chinese Windows opens it right)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

CSV_COLUMNS = ["quarter", "kpi", "scope", "dimension", "value", "unit", "yoy", "qoq"]


def write_kpis_json(document: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_kpis_csv(document: dict[str, Any], path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for row in document["kpis"]:
            dimension = json.dumps(row["dimension"], ensure_ascii=False, sort_keys=True)
            writer.writerow(
                [
                    document["quarter"],
                    row["kpi"],
                    row["scope"],
                    dimension,
                    "" if row["value"] is None else row["value"],
                    row["unit"],
                    "" if row["yoy"] is None else row["yoy"],
                    "" if row["qoq"] is None else row["qoq"],
                ]
            )
    return path
