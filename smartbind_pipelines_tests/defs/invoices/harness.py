"""Runs the real sync_invoices / reconcile_invoices jobs against the emulators on a test instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dagster as dg

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.defs import invoices
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines_tests.defs.support import create_process_sheet, emulator_resources, mapping_columns


def invoice_columns(**overrides: dict) -> list[dict]:
    """The seven invoice columns as POST /sheets wants them; ``overrides`` replaces one by title."""
    return mapping_columns(INVOICE_MAPPING, **overrides)


@dataclass
class InvoiceSync:
    bind: Any  # RunningEmulator
    smartsheet: Any
    process_config: ProcessConfigResource
    instance: dg.DagsterInstance
    sheet_id: int = 0

    def create_sheet(self, columns: list[dict] | None = None, name: str = "Registros Facturas Bind") -> int:
        self.sheet_id = create_process_sheet(self.smartsheet, self.process_config, "sync_invoices", name,
                                             columns or invoice_columns())
        return self.sheet_id

    def resources(self, now: datetime | None) -> dict[str, Any]:
        return emulator_resources(self.bind, self.smartsheet, self.process_config, now)

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
        run_config: dict = {"ops": {"smartsheet_invoices": {"config": {"dry_run": dry_run}}}}
        if source_config:
            defaults = {"reconcile_days": 35} if job == "reconcile_invoices" else {}
            run_config["ops"]["bind_invoices"] = {"config": {**defaults, **source_config}}
        # The invoice module's own Definitions, bound to the emulators as deployment binds them to env vars.
        definitions = dg.Definitions.merge(invoices.defs, dg.Definitions(resources=self.resources(now)))
        return definitions.resolve_job_def(job).execute_in_process(
            run_config=run_config, instance=self.instance, raise_on_error=False
        )

    def rows(self) -> list[dict]:
        """The sheet's rows as ``{title: value}``."""
        return [row["cells"] for row in self.smartsheet.state.rows_as_dicts(self.sheet_id)]

    def uuids(self) -> list[str]:
        return [row["UUID"] for row in self.rows()]


def metadata(result: dg.ExecuteInProcessResult, asset: str = "smartsheet_invoices") -> dict[str, Any]:
    [materialization] = result.asset_materializations_for_node(asset)
    return {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            return data.error.message if data.error else ""
    raise AssertionError("the run did not fail")


def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def stamped(invoices: list[dict]) -> list[dict]:
    return [invoice for invoice in invoices if invoice.get("UUID")]
