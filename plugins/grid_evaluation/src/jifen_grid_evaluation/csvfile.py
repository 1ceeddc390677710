"""Monthly metrics from a CSV file (``jifen grid metrics import``).

The header names the columns: ``worker`` (the worker's public code) or ``external_ref`` (the
reference the city's own grid system knows the worker by), ``month`` (``YYYY-MM``), then any
of the metrics ``orders_done``, ``ratings_count``, ``ratings_sum``, ``responses_count``,
``response_minutes`` and ``inspections`` (a missing column or an empty cell is 0).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from jifen_grid_evaluation.errors import InvalidMetrics, InvalidMonth
from jifen_grid_evaluation.model import Metrics, parse_month

METRIC_COLUMNS = tuple(Metrics.model_fields)
WorkerKey = Literal["code", "external_ref"]


@dataclass(frozen=True)
class MetricsRow:
    """One line of a metrics file: whose metrics (by ``key``), which month, and the values."""

    line: int
    key: WorkerKey
    worker: str
    month: str
    metrics: Metrics


def load_metrics_csv(path: str | Path) -> list[MetricsRow]:
    """Read a metrics file; `grid.invalid_metrics` names the line and field of any fault."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        key = _worker_column(path, list(reader.fieldnames or []))
        return [_row(path, number, key, line) for number, line in enumerate(reader, start=2)]


def _worker_column(path: Path, header: list[str]) -> WorkerKey:
    unknown = set(header) - {"worker", "external_ref", "month", *METRIC_COLUMNS}
    if unknown:
        raise InvalidMetrics(f"{path.name}: unknown column(s) {', '.join(sorted(unknown))}")
    if "month" not in header or ("worker" in header) == ("external_ref" in header):
        raise InvalidMetrics(f"{path.name}: the header needs a month column and one of worker "
                             "(the worker's code) or external_ref")
    return "code" if "worker" in header else "external_ref"


def _row(path: Path, number: int, key: WorkerKey, line: dict[str, str | None]) -> MetricsRow:
    where = f"{path.name}, line {number}"
    worker = (line.get("worker" if key == "code" else "external_ref") or "").strip()
    if not worker:
        raise InvalidMetrics(f"{where}: no worker named")
    month = (line.get("month") or "").strip()
    try:
        parse_month(month)
    except InvalidMonth as exc:
        raise InvalidMonth(f"{where}: {exc.message}", month=month) from exc
    counts: dict[str, int] = {}
    for name in METRIC_COLUMNS:
        value = (line.get(name) or "").strip() or "0"
        if not (value.isascii() and value.isdigit()):
            raise InvalidMetrics(f"{where}: {name}: {value!r} is not a whole number of 0 or more")
        counts[name] = int(value)
    try:
        metrics = Metrics.model_validate(counts)
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise InvalidMetrics(f"{where}: {problems}") from exc
    return MetricsRow(number, key, worker, month, metrics)
