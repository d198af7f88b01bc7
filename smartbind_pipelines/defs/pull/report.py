"""What a pull process's run shows in the Dagster UI: counts, request tallies and a short table of what changed."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import dagster as dg

from smartbind_pipelines.core.sheets import RowFailure, SheetMapping, UpsertPlan

CHANGES_SHOWN = 50  # rows in the change table; the counts always cover everything
SKIPPED_SHOWN = 50
WRITE_METHODS = ("POST", "PUT", "DELETE")


def request_metadata(prefix: str, counts: Mapping[str, int]) -> dict[str, Any]:
    """``<prefix>_requests`` (total HTTP attempts, retries included) and the tally per endpoint."""
    by_endpoint = dict(sorted(Counter(counts).items()))
    return {
        f"{prefix}_requests": sum(by_endpoint.values()),
        f"{prefix}_requests_by_endpoint": dg.MetadataValue.json(by_endpoint),
    }


def write_requests(counts: Mapping[str, int]) -> int:
    return sum(n for endpoint, n in counts.items() if endpoint.split(" ", 1)[0] in WRITE_METHODS)


def cell(value: Any) -> str:
    """A value as one Markdown table cell: pipes escaped, one line, at most 80 characters."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:80]


def _key_text(key: Sequence[Any] | Any) -> str:
    if isinstance(key, (tuple, list)):
        return " / ".join(str(part) for part in key)
    return str(key)


def change_table(plan: UpsertPlan, key_titles: Sequence[str], *, limit: int = CHANGES_SHOWN) -> dg.MetadataValue:
    """Markdown: one line per added or updated row, naming its key and the cells that change."""
    lines = ["| acción | clave | cambios |", "|---|---|---|"]
    for row in plan.adds:
        key = _key_text([row.get(title) for title in key_titles])
        cells = ", ".join(f"{title}={cell(value)}" for title, value in row.items() if title not in key_titles)
        lines.append(f"| alta | {cell(key)} | {cells} |")
    for update in plan.updates:
        cells = ", ".join(
            f"{title}: {cell(update.before.get(title))} → {cell(value)}" for title, value in update.changes.items()
        )
        lines.append(f"| cambio | {cell(_key_text(update.key))} | {cells} |")
    total = len(plan.adds) + len(plan.updates)
    if total == 0:
        return dg.MetadataValue.md("Nothing to change: the sheet already matched Bind.")
    shown = lines[: 2 + limit]
    if total > limit:
        shown.append(f"\n… and {total - limit} more (the counts above cover all of them).")
    return dg.MetadataValue.md("\n".join(shown))


# The Spanish header of each field a process names a skipped row with (SourceBatch.skipped).
SKIPPED_HEADERS = {
    "key": "clave",
    "bind_id": "Bind ID",
    "number": "folio",
    "warehouse": "almacén",
    "product_id": "ProductID",
    "code": "código",
}


def skipped_table(skipped: Iterable[Mapping[str, Any]], *, limit: int = SKIPPED_SHOWN) -> dg.MetadataValue:
    """Markdown: one line per Bind row that could not be written, the fields that name it, then why."""
    skipped = list(skipped)
    if not skipped:
        return dg.MetadataValue.md("No Bind row was skipped.")
    fields = [name for name in dict.fromkeys(name for item in skipped for name in item) if name != "reason"]
    headers = [SKIPPED_HEADERS.get(name, name) for name in fields] + ["motivo"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| " + " | ".join(cell(item.get(name)) for name in [*fields, "reason"]) + " |" for item in skipped[:limit]
    ]
    if len(skipped) > limit:
        lines.append(f"\n… and {len(skipped) - limit} more.")
    return dg.MetadataValue.md("\n".join(lines))


def column_schema(mapping: SheetMapping) -> dg.TableSchema:
    """The sheet's columns as the UI shows a table's schema (``dagster/column_schema``)."""
    return dg.TableSchema(columns=[dg.TableColumn(column.title, type=column.kind) for column in mapping.columns])


def failure_summary(failures: Sequence[RowFailure], *, limit: int = 20) -> str:
    """``UUID a (code 1042: message); UUID b (…)`` for the run's error message."""
    parts = [
        f"{_key_text(failure.key)} ({'code ' + str(failure.error_code) + ': ' if failure.error_code else ''}"
        f"{failure.message})"
        for failure in failures[:limit]
    ]
    if len(failures) > limit:
        parts.append(f"… and {len(failures) - limit} more")
    return "; ".join(parts)
