"""The business-day driver: sales in Bind, sync runs at each interval, faults on the way, and the check.

A ``BusinessDay`` starts at 08:00 Mexico City on an empty Bind and an empty invoices sheet. Tests sell,
stamp, pay and cancel invoices through the Bind emulator's admin API, inject faults through either
emulator's ``/_sandbox/faults``, advance the (frozen) clock and run the real Dagster jobs in process,
and finish with ``assert_sheet_equals_bind()``. Every fault served and every check lands in the
scenario's figures (see figures.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dagster as dg

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime
from smartbind_pipelines.defs.resources import BindResource
from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync, failure_text, metadata

from .figures import ScenarioFigures
from .oracle import SheetVersusBind, compare

OPENING = datetime(2026, 3, 10, 8, 0, tzinfo=CDMX)  # a Tuesday, 08:00 Mexico City
INTERVAL_MINUTES = 15
SERVICES = ("bind", "smartsheet")


@dataclass
class ScenarioSync(InvoiceSync):
    """InvoiceSync whose Bind client timeouts and backoff cap a scenario may change."""

    read_timeout_seconds: float = 30.0
    backoff_max_seconds: float = 0.01

    def resources(self, now: datetime | None) -> dict[str, Any]:
        resources = super().resources(now)
        resources["bind"] = BindResource(
            api_key=self.bind.token,
            base_url=self.bind.url,
            max_attempts=6,
            connect_timeout_seconds=2.0,
            read_timeout_seconds=self.read_timeout_seconds,
            backoff_base_seconds=0.001,
            backoff_max_seconds=self.backoff_max_seconds,
        )
        return resources


@dataclass
class _Injected:
    service: str
    kind: str
    fault_id: int
    count: int


class BusinessDay:
    def __init__(self, bind, smartsheet, process_config, instance: dg.DagsterInstance, figures: ScenarioFigures):
        self.bind = bind
        self.smartsheet = smartsheet
        self.sync = ScenarioSync(bind, smartsheet, process_config, instance)
        self.instance = instance
        self.figures = figures
        self.now = OPENING
        self.results: list[dg.ExecuteInProcessResult] = []
        self.served_extra: list[dict] = []  # invoices a custom fault served that Bind's state does not hold
        self.archived_uuids: set[str] = set()  # sheet rows of old invoices Bind no longer lists
        self._injected: list[_Injected] = []

    # -- Bind: the business selling ------------------------------------------------------------

    def sell(self, count: int = 1, **fields: Any) -> list[dict]:
        """``count`` stamped invoices dated in the minute before now (oldest first)."""
        return [
            self.add_invoice({"UUID": str(uuid.uuid4()), **fields}, seconds_ago=50 * (count - i) / count + 1)
            for i in range(count)
        ]

    def draft(self, **fields: Any) -> dict:
        """An invoice saved but not yet stamped (no UUID)."""
        return self.add_invoice(fields, seconds_ago=2)

    def add_invoice(self, fields: dict, seconds_ago: float = 1) -> dict:
        """Any invoice through Bind's admin API, dated ``seconds_ago`` before now unless ``Date`` is given."""
        fields.setdefault("Date", format_bind_datetime(self.now - timedelta(seconds=seconds_ago)))
        return self.bind.admin.post("invoices", fields)

    def stamp(self, invoice: dict) -> dict:
        return self.bind.admin.post(f"invoices/{invoice['ID']}/stamp")

    def pay(self, invoice: dict) -> dict:
        return self.bind.admin.post(f"invoices/{invoice['ID']}/pay")

    def cancel(self, invoice: dict) -> dict:
        return self.bind.admin.post(f"invoices/{invoice['ID']}/cancel")

    def bind_invoices(self) -> list[dict]:
        return [*self.bind.state.list_invoices(), *self.served_extra]

    # -- runs ------------------------------------------------------------------------------------

    def advance(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def run(self, job: str = "sync_invoices", **options: Any) -> dg.ExecuteInProcessResult:
        result = self.sync.run(self.now, job=job, **options)
        self.results.append(result)
        self.figures.runs += 1
        self.figures.failed_runs += 0 if result.success else 1
        return result

    def tick(self, minutes: float = INTERVAL_MINUTES) -> dg.ExecuteInProcessResult:
        """The sensor's next interval: the clock moves on and the regular sync runs."""
        self.advance(minutes)
        return self.run()

    def trade(self, ticks: int, sales_per_tick: int = 3, minutes: float = INTERVAL_MINUTES) -> list:
        """Ordinary trading: a few sales, then a sync, ``ticks`` times. Every run must succeed."""
        results = []
        for _ in range(ticks):
            self.sell(sales_per_tick)
            result = self.tick(minutes)
            assert result.success, failure_text(result)
            results.append(result)
        return results

    def close_of_day(self) -> dg.ExecuteInProcessResult:
        """The nightly reconcile (02:00): picks up payments and cancellations of earlier invoices."""
        self.now = (self.now + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
        result = self.run("reconcile_invoices")
        assert result.success, failure_text(result)
        return result

    # -- faults ----------------------------------------------------------------------------------

    def emulator(self, service: str):
        if service not in SERVICES:
            raise ValueError(f"service must be one of {SERVICES}, not {service!r}")
        return self.bind if service == "bind" else self.smartsheet

    def inject(self, service: str, kind: str, path: str = "", *, count: int = 1, **options: Any) -> None:
        for fault in self.emulator(service).admin.inject(kind, path, count=count, **options):
            self._injected.append(_Injected(service, kind, fault["id"], count))

    def settle_faults(self) -> None:
        """Count the faulty answers served so far (injected minus still queued) and forget the rest."""
        pending = {
            service: {fault["id"]: fault["count"] for fault in self.emulator(service).admin.pending_faults()}
            for service in SERVICES
        }
        for injected in self._injected:
            self.figures.fault(
                injected.service, injected.kind, injected.count - pending[injected.service].get(injected.fault_id, 0)
            )
        self._injected.clear()
        for service in SERVICES:
            self.emulator(service).admin.clear_faults()

    # -- the check -------------------------------------------------------------------------------

    def sheet_rows(self) -> list[dict]:
        return [row for row in self.sync.rows() if row.get("UUID") not in self.archived_uuids]

    def compare(self, since: datetime | None = None) -> SheetVersusBind:
        return compare(self.bind_invoices(), self.sheet_rows(), since=since)

    def assert_sheet_equals_bind(self, since: datetime | None = None, *, minimum: int = 1) -> SheetVersusBind:
        """Every stamped invoice present once with Bind's Total and Estado; no drafts; nothing else."""
        self.settle_faults()
        outcome = self.compare(since)
        self.figures.record_check(outcome)
        assert outcome.equal, outcome.explain()
        assert outcome.checked >= minimum, f"only {outcome.checked} invoices checked"
        return outcome


def sheet_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return metadata(result)


def source_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return metadata(result, "bind_invoices")


def log_messages(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> list[str]:
    """Every event-log line of the run as Dagit shows it (user messages, step failures, metadata)."""
    return [
        str(record.user_message) + " " + str(record.dagster_event or "") for record in instance.all_logs(result.run_id)
    ]
