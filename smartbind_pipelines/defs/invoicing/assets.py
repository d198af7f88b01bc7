"""invoice_requests -> bind_sheet_invoices -> invoice_request_results: the sheet's requests, the invoices
created in Bind, the rows written back. The last two are one step (one multi-asset) in the sheet's pool:
claim, create and write-back happen under one writer slot (docs/invoicing-from-sheet.md)."""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import os

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.engine import Invoicer, InvoicingReport
from smartbind_pipelines.core.invoicing.ledger import InvoiceLedger, ledger_path
from smartbind_pipelines.core.invoicing.plan import estado, is_waiting
from smartbind_pipelines.core.invoicing.settings import InvoicingSettingsError, settings_from_mapping
from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet
from smartbind_pipelines.core.invoicing.validation import validate_row
from smartbind_pipelines.core.process_config import ProcessConfigUnavailable
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET as PROCESS
from smartbind_pipelines.core.run_tags import DRY_RUN_TAG
from smartbind_pipelines.core.sheets import MissingColumnError, SheetApiError, SheetTransportError
from smartbind_pipelines.defs.asset_keys import source_key
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource, SmartsheetResource


class InvoicingRunConfig(dg.Config):
    dry_run: bool = Field(
        default=False, description="Validate and report what would be invoiced; create and write nothing."
    )


def _config(process_config: ProcessConfigResource):
    try:
        config = PROCESS.effective_config(process_config.store(), os.environ)
    except ProcessConfigUnavailable as exc:
        raise dg.Failure(description=f"{PROCESS.job_id}: {exc}", allow_retries=False) from None
    if config is None:
        raise dg.Failure(
            description=f"{PROCESS.job_id}: no ProcessConfig row (deleted); `smartbind config restore {PROCESS.job_id}`",
            allow_retries=False,
        )
    if config.sheet_id_int is None:
        raise dg.Failure(
            description=f"{PROCESS.job_id}: no sheet; `smartbind sheets create {PROCESS.job_id}`", allow_retries=False
        )
    try:
        settings = settings_from_mapping(config.fields_mapping)
    except InvoicingSettingsError as exc:
        raise dg.Failure(description=f"{PROCESS.job_id}: {exc}", allow_retries=False) from None
    return config, settings


def _rows_table(entries: list[dict], *, limit: int = 200) -> dg.MetadataValue:
    lines = ["| fila | detalle |", "|---|---|"]
    for entry in entries[:limit]:
        detail = entry.get("reason") or entry.get("uuid") or entry.get("bind_id") or entry.get("note") or ""
        lines.append(f"| {entry['row']} | {str(detail).replace('|', '/')[:300]} |")
    if len(entries) > limit:
        lines.append(f"| … | {len(entries) - limit} más |")
    return dg.MetadataValue.md("\n".join(lines) if entries else "(ninguna)")


@dg.asset(
    name=PROCESS.source_asset,
    group_name=PROCESS.group,
    kinds={"smartsheet"},
    owners=[PROCESS.owner],
    description="The invoicing sheet's rows waiting (Estado Facturar, or Facturando left by an earlier run): read and "
    "checked, nothing written. Its metadata says how many are valid and why the others are not.",
)
def invoice_requests(
    context: dg.AssetExecutionContext, process_config: ProcessConfigResource, smartsheet: SmartsheetResource
) -> dg.MaterializeResult:
    config, settings = _config(process_config)
    sheet = InvoiceSheet(smartsheet.gateway(), config.sheet_id_int)
    try:
        rows = [row for row in sheet.rows() if is_waiting(row.cells)]
    except (SheetApiError, SheetTransportError, MissingColumnError) as exc:
        raise dg.Failure(description=f"{PROCESS.job_id}: reading sheet {config.sheet_id_int} failed: {exc}") from None
    invalid = []
    for row in rows:
        if estado(row.cells) == C.FACTURAR:
            checked = validate_row(row.row_id, row.cells, settings)
            if isinstance(checked, list):
                invalid.append({"row": row.row_id, "reason": "; ".join(map(str, checked))})
    return dg.MaterializeResult(
        metadata={
            "sheet_id": str(config.sheet_id_int),
            "waiting": len(rows),
            "facturar": sum(1 for r in rows if estado(r.cells) == C.FACTURAR),
            "facturando": sum(1 for r in rows if estado(r.cells) == C.FACTURANDO),
            "invalid": len(invalid),
            "invalid_rows": _rows_table(invalid),
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PROCESS.bind_asset,
            deps=[source_key(PROCESS)],
            group_name=PROCESS.group,
            kinds={"bind"},
            owners=[PROCESS.owner],
            description="Invoices (CFDI) created in Bind ERP from the sheet's rows, at most one per row.",
        ),
        dg.AssetSpec(
            PROCESS.sheet_asset,
            deps=[dg.AssetKey(PROCESS.bind_asset)],
            group_name=PROCESS.group,
            kinds={"smartsheet"},
            owners=[PROCESS.owner],
            description="The invoicing rows written back: UUID, folio, fecha and Estado "
            "Facturado, or Estado Error with the reason and a row comment.",
        ),
    ],
    name=PROCESS.write_step,
    pool=PROCESS.pool,
    can_subset=False,
)
def invoice_from_sheet_rows(
    context: dg.AssetExecutionContext,
    config: InvoicingRunConfig,
    process_config: ProcessConfigResource,
    bind: BindResource,
    smartsheet: SmartsheetResource,
    clock: ClockResource,
):
    process, settings = _config(process_config)
    dry_run = config.dry_run or context.run.tags.get(DRY_RUN_TAG) == "true"
    ledger = InvoiceLedger(ledger_path(process_config.db_path))
    sheet = InvoiceSheet(smartsheet.gateway(), process.sheet_id_int)
    client = bind.client()
    try:
        invoicer = Invoicer(sheet, client, ledger, settings, claim=context.run.run_id[:8], now=clock.now)
        report = invoicer.run(dry_run=dry_run)
    except (SheetApiError, SheetTransportError, MissingColumnError, BindApiError) as exc:
        raise dg.Failure(description=f"{PROCESS.job_id}: {exc}") from None
    finally:
        client.close()
    yield dg.MaterializeResult(asset_key=PROCESS.bind_asset, metadata=_bind_metadata(report, dry_run, client))
    yield dg.MaterializeResult(asset_key=PROCESS.sheet_asset, metadata=_rows_metadata(report, sheet))
    if report.alerts:  # a failed invoice fails the run: run_failure_alerts announces it like a failed sync
        raise dg.Failure(
            description=f"{PROCESS.job_id}: "
            + "; ".join(report.alerts[:5])
            + (f"; y {len(report.alerts) - 5} más" if len(report.alerts) > 5 else ""),
            metadata={"alerts": len(report.alerts)},
            allow_retries=False,
        )


def _bind_metadata(report: InvoicingReport, dry_run: bool, client) -> dict:
    return {
        "dry_run": dry_run,
        "invoiced": len(report.invoiced),
        "invoiced_rows": _rows_table(report.invoiced),
        "would_invoice": len(report.would_invoice),
        "would_invoice_rows": _rows_table(report.would_invoice),
        "posts": report.posts,
        "failed": len(report.failed),
        "failed_rows": _rows_table(report.failed),
        "duplicates_in_bind": len(report.duplicates),
        "bind_requests": dg.MetadataValue.json(dict(client.request_counts)),
    }


def _rows_metadata(report: InvoicingReport, sheet: InvoiceSheet) -> dict:
    return {
        "refused": len(report.refused),
        "refused_rows": _rows_table(report.refused),
        "skipped": len(report.skipped),
        "skipped_rows": _rows_table(report.skipped),
        "skipped_already_invoiced": sum(1 for entry in report.skipped if entry.get("reason") == "ya facturada"),
        "write_failures": len(report.write_failures),
        "comment_failures": report.comment_failures,
        "smartsheet_requests": dg.MetadataValue.json(dict(sheet.request_counts)),
    }
