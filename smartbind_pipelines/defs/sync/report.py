"""What a sync run shows in Dagit: counts, request tallies and a short table of what changed."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import dagster as dg

from smartbind_pipelines.core.sheets import RowFailure, UpsertPlan

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


def _cell(value: Any) -> str:
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
        cells = ", ".join(f"{title}={_cell(value)}" for title, value in row.items() if title not in key_titles)
        lines.append(f"| alta | {_cell(key)} | {cells} |")
    for update in plan.updates:
        cells = ", ".join(
            f"{title}: {_cell(update.before.get(title))} → {_cell(value)}" for title, value in update.changes.items()
        )
        lines.append(f"| cambio | {_cell(_key_text(update.key))} | {cells} |")
    total = len(plan.adds) + len(plan.updates)
    if total == 0:
        return dg.MetadataValue.md("Nothing to change: the sheet already matched Bind.")
    shown = lines[: 2 + limit]
    if total > limit:
        shown.append(f"\n… and {total - limit} more (the counts above cover all of them).")
    return dg.MetadataValue.md("\n".join(shown))


def skipped_table(skipped: Iterable[Mapping[str, Any]], *, limit: int = SKIPPED_SHOWN) -> dg.MetadataValue:
    skipped = list(skipped)
    lines = ["| Bind ID | folio | motivo |", "|---|---|---|"]
    lines += [
        f"| {_cell(item.get('bind_id'))} | {_cell(item.get('number'))} | {_cell(item.get('reason'))} |"
        for item in skipped[:limit]
    ]
    if len(skipped) > limit:
        lines.append(f"\n… and {len(skipped) - limit} more.")
    return dg.MetadataValue.md("\n".join(lines) if skipped else "No invoice was skipped.")


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
