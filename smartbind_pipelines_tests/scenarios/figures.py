"""The suite's own figures: what each scenario injected and what the end-of-day check found.

Each scenario writes one JSON file under ``tmp/artifacts/faults/<run_uid>/`` (``SMARTBIND_ARTIFACTS_DIR``
overrides ``tmp/artifacts``); one pytest invocation is one ``run_uid`` (pytest-xdist's
``PYTEST_XDIST_TESTRUNUID`` when set), so two invocations at once never mix their files. Render the
newest run for docs/faults.md with:

    .venv/bin/python -m smartbind_pipelines_tests.scenarios.figures
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

REPO = Path(__file__).resolve().parents[2]
_RUN_UID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"local-{uuid.uuid4().hex[:12]}"


def artifacts_dir() -> Path:
    root = Path(os.environ.get("SMARTBIND_ARTIFACTS_DIR") or REPO / "tmp" / "artifacts")
    folder = root / "faults"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():  # test output, never to be committed
        ignore.write_text("*\n")
    return folder


@dataclass
class ScenarioFigures:
    """One scenario's tally. ``faults`` counts faulty answers actually served, by "service kind"."""

    scenario: str
    faults: Counter = field(default_factory=Counter)
    incidents: Counter = field(default_factory=Counter)  # bad records, bad configs, kills, sheet sabotage
    runs: int = 0
    failed_runs: int = 0
    records_checked: int = 0
    invoices_lost: int = 0
    duplicates: int = 0
    mismatches: int = 0
    checks: int = 0  # end-of-stage "sheet equals Bind" comparisons

    def fault(self, service: str, kind: str, served: int) -> None:
        if served:
            self.faults[f"{service} {kind}"] += served

    def incident(self, what: str, count: int = 1) -> None:
        self.incidents[what] += count

    def record_check(self, outcome) -> None:
        self.checks += 1
        self.records_checked += outcome.checked
        self.invoices_lost += len(outcome.lost)
        self.duplicates += sum(n - 1 for n in outcome.duplicated.values())
        self.mismatches += len(outcome.mismatched)

    def to_json(self, outcome: str) -> dict:
        data = asdict(self)
        data.update(
            faults=dict(self.faults),
            incidents=dict(self.incidents),
            outcome=outcome,
            run_uid=_RUN_UID,
            written_at=time.time(),
        )
        return data

    def write(self, outcome: str, folder: Path | None = None) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.scenario)[:150]
        if folder is None:
            folder = artifacts_dir() / _RUN_UID
            folder.mkdir(exist_ok=True)
        path = folder / f"{name}.json"
        path.write_text(json.dumps(self.to_json(outcome), indent=2, ensure_ascii=False))
        return path


def newest_run(records: Iterable[dict]) -> list[dict]:
    """The records of the most recent pytest invocation (by the newest file written)."""
    records = list(records)
    if not records:
        return []
    newest = max(records, key=lambda record: record.get("written_at", 0))["run_uid"]
    return [record for record in records if record.get("run_uid") == newest]


def load(folder: Path) -> list[dict]:
    """Every record under ``folder`` (a run's own folder, or the folder of all runs)."""
    return [json.loads(path.read_text()) for path in sorted(folder.glob("**/*.json"))]


def totals(records: Iterable[dict]) -> dict:
    records = list(records)
    faults, incidents = Counter(), Counter()
    for record in records:
        faults.update(record.get("faults") or {})
        incidents.update(record.get("incidents") or {})
    return {
        "scenarios": len(records),
        "passed": sum(1 for record in records if record.get("outcome") == "passed"),
        "faults_injected": sum(faults.values()),
        "faults_by_kind": dict(sorted(faults.items())),
        "incidents": sum(incidents.values()),
        "incidents_by_kind": dict(sorted(incidents.items())),
        "runs": sum(record.get("runs", 0) for record in records),
        "failed_runs": sum(record.get("failed_runs", 0) for record in records),
        "checks": sum(record.get("checks", 0) for record in records),
        "records_checked": sum(record.get("records_checked", 0) for record in records),
        "invoices_lost": sum(record.get("invoices_lost", 0) for record in records),
        "duplicates": sum(record.get("duplicates", 0) for record in records),
        "mismatches": sum(record.get("mismatches", 0) for record in records),
    }


def render(records: Iterable[dict]) -> str:
    """Markdown for docs/faults.md: the headline figures, then one line per scenario."""
    records = sorted(records, key=lambda record: record["scenario"])
    summary = totals(records)
    lines = [
        "| scenarios | passed | faults injected | other incidents | sync runs (failed) | sheet = Bind checks "
        "| records checked | invoices lost | duplicates | mismatches |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {summary['scenarios']} | {summary['passed']} | {summary['faults_injected']:,} | "
        f"{summary['incidents']:,} | {summary['runs']} ({summary['failed_runs']}) | {summary['checks']} | "
        f"{summary['records_checked']:,} | {summary['invoices_lost']} | {summary['duplicates']} | "
        f"{summary['mismatches']} |",
        "",
        "Faults by kind: " + (", ".join(f"{kind} × {n}" for kind, n in summary["faults_by_kind"].items()) or "none"),
        "",
        "Other incidents: "
        + (", ".join(f"{kind} × {n}" for kind, n in summary["incidents_by_kind"].items()) or "none"),
        "",
        "| scenario | faults | incidents | runs (failed) | records checked | lost | duplicates | outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        lines.append(
            f"| `{record['scenario']}` | {sum((record.get('faults') or {}).values())} | "
            f"{sum((record.get('incidents') or {}).values())} | {record.get('runs', 0)} "
            f"({record.get('failed_runs', 0)}) | {record.get('records_checked', 0):,} | "
            f"{record.get('invoices_lost', 0)} | {record.get('duplicates', 0)} | {record.get('outcome')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else artifacts_dir()
    records = newest_run(load(folder))
    if not records:
        print(
            f"no scenario figures under {folder}: run `pytest smartbind_pipelines_tests/scenarios` first",
            file=sys.stderr,
        )
        return 1
    summary = totals(records)
    (folder.parent / "faults-summary.json").write_text(json.dumps(summary, indent=2))
    print(render(records), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
