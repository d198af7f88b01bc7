"""Runs the real sync_invoices / reconcile_invoices jobs against the emulators on a test instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import dagster as dg

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.sheets import SheetMapping
from smartbind_pipelines.defs import invoices
from smartbind_pipelines_tests.defs.support import (
    ProcessSync,
    check_results,
    failure_text,
    mapping_columns,
    materialized,
)

__all__ = ["InvoiceSync", "checks", "failure_text", "invoice_columns", "metadata", "stamped"]

checks = check_results  # the invoice tests' name


def invoice_columns(**overrides: dict) -> list[dict]:
    """The seven invoice columns as POST /sheets wants them; ``overrides`` replaces one by title."""
    return mapping_columns(INVOICE_MAPPING, **overrides)


@dataclass
class InvoiceSync(ProcessSync):
    job_id: ClassVar[str] = "sync_invoices"
    source_asset: ClassVar[str] = "bind_invoices"
    sheet_asset: ClassVar[str] = "smartsheet_invoices"
    mapping: ClassVar[SheetMapping] = INVOICE_MAPPING
    sheet_name: ClassVar[str] = "Registros Facturas Bind"

    def process_definitions(self) -> dg.Definitions:
        return invoices.defs

    def run(
        self,
        now: datetime | None = None,
        *,
        job: str = "sync_invoices",
        window: dict | None = None,
        dry_run: bool = False,
        lookback_hours: float | None = None,
        **bind_config: Any,
    ) -> dg.ExecuteInProcessResult:
        source_config = dict(window or {}, **bind_config)
        if lookback_hours is not None:
            source_config["lookback_hours"] = lookback_hours
        if source_config and job == "reconcile_invoices":
            source_config = {"reconcile_days": 35, **source_config}
        return self.execute(job=job, source=source_config or None, sheet={"dry_run": dry_run}, now=now)

    def uuids(self) -> list[str]:
        return [row["UUID"] for row in self.rows()]


def metadata(result: dg.ExecuteInProcessResult, asset: str = "smartsheet_invoices") -> dict[str, Any]:
    return materialized(result, asset)


def stamped(invoices: list[dict]) -> list[dict]:
    return [invoice for invoice in invoices if invoice.get("UUID")]
