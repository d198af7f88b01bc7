"""Stand invoicing up against the emulators: a sheet made from the mapping, our Bind client, a ledger."""

from __future__ import annotations

import uuid
from datetime import datetime

import smartsheet
from smartsheet.models import Cell, Row

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.cdmx import CDMX, now_cdmx
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.engine import Invoicer
from smartbind_pipelines.core.invoicing.ledger import InvoiceLedger
from smartbind_pipelines.core.invoicing.plan import estado
from smartbind_pipelines.core.invoicing.reference import carries, row_reference
from smartbind_pipelines.core.invoicing.settings import settings_from_mapping
from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway
from smartbind_pipelines.sandbox.bind import demo

SANDBOX_SETTINGS = {
    "warehouse_id": demo.WAREHOUSE_GENERAL,
    "price_list_id": demo.DEFAULT_PRICE_LIST,
    "services": {"72101500/E48": demo.SERVICE_MANTENIMIENTO, "72151500/ACT": demo.SERVICE_INSTALACION},
    "stamp_wait_seconds": 2,
}


def valid_row(**overrides) -> dict:
    cells = {
        C.RFC: "FLU990101AB1",
        C.RAZON_SOCIAL: "Cliente Único",
        C.CONCEPTO: "Mantenimiento preventivo",
        C.CANTIDAD: 2,
        C.PRECIO: 1500,
        C.CLAVE_PRODUCTO: "72101500",
        C.CLAVE_UNIDAD: "E48",
        C.METODO_PAGO: "PUE",
        C.FORMA_PAGO: "03",
        C.USO_CFDI: "G03",
        C.ESTADO: C.FACTURAR,
    }
    cells.update(overrides)
    return cells


class InvoicingBench:
    def __init__(self, bind_emulator, smartsheet_emulator, tmp_path, settings: dict | None = None):
        self.bind_emulator, self.ss = bind_emulator, smartsheet_emulator
        self.gateway = SheetGateway.connect(
            smartsheet_emulator.token,
            smartsheet_emulator.url,
            max_retry_time=FixedBackoff(0.01),
            retry_delay=0.01,
            timeout=10,
        )
        created = self.gateway.create_sheet("Facturación", C.REQUEST_MAPPING)
        self.sheet_id = int(created["id"])
        self.ledger = InvoiceLedger(tmp_path / "invoicing.db")
        self.settings = settings_from_mapping({**SANDBOX_SETTINGS, **(settings or {})})

    def bind(self, **options) -> BindClient:
        kwargs = dict(timeout=(2, 5), max_attempts=3, backoff_base=0.01, backoff_max=0.05)
        kwargs.update(options)
        return BindClient(self.bind_emulator.url, self.bind_emulator.token, **kwargs)

    def sheet(self) -> InvoiceSheet:
        return InvoiceSheet(self.gateway, self.sheet_id)

    def add(self, *cell_sets: dict) -> list[int]:
        sheet = self.sheet()
        outcome = self.gateway.add_rows(self.sheet_id, list(cell_sets), sheet.columns())
        return [outcome.row_ids[index] for index in range(len(cell_sets))]

    def set(self, row_id: int, **cells) -> None:
        self.sheet().update([(row_id, {title: value for title, value in cells.items()})])

    def invoicer(
        self, *, claim: str | None = None, bind: BindClient | None = None, checkpoint=None, settings=None
    ) -> Invoicer:
        return Invoicer(
            self.sheet(),
            bind or self.bind(),
            self.ledger,
            settings or self.settings,
            claim=claim or uuid.uuid4().hex[:8],
            now=now_cdmx,
            sleep=lambda s: None,
            checkpoint=checkpoint,
        )

    def run(self, **options):
        dry_run = options.pop("dry_run", False)
        return self.invoicer(**options).run(dry_run=dry_run)

    def rows(self) -> dict[int, dict]:
        return {row.row_id: row.cells for row in self.sheet().rows()}

    def sales_for(self, row_id: int) -> list[dict]:
        reference = row_reference(self.sheet_id, row_id)
        with self.bind() as client:
            return client.invoices_carrying(
                datetime(2000, 1, 1, tzinfo=CDMX), lambda inv: carries(inv, reference, ("Comments", "PurchaseOrder"))
            )

    def tally(self, row_ids) -> dict:
        """The figures of the issue: rows marked, invoices in Bind, duplicates, rows without an outcome."""
        rows = self.rows()
        sales = {row_id: self.sales_for(row_id) for row_id in row_ids}
        return {
            "rows": len(row_ids),
            "invoices": sum(len(found) for found in sales.values()),
            "duplicates": sum(max(0, len(found) - 1) for found in sales.values()),
            "without_outcome": sum(1 for row_id in row_ids if estado(rows[row_id]) not in (C.FACTURADO, C.ERROR)),
            "invoiced_rows": sum(1 for row_id in row_ids if estado(rows[row_id]) == C.FACTURADO),
        }


class SdkSheet:
    """The sandbox's invoicing sheet through the real smartsheet SDK, as an operator's tool would reach it."""

    def __init__(self, env: dict[str, str]):
        self.sheet_id = int(env["SMARTSHEET_INVOICING_SHEET_ID"])
        self.client = smartsheet.Smartsheet(
            access_token=env["SMARTSHEET_ACCESS_TOKEN"], api_base=env["SMARTSHEET_API_BASE"]
        )
        self.client.errors_as_exceptions(True)
        self.columns = {
            column.title: column.id for column in self.client.Sheets.get_columns(self.sheet_id, include_all=True).data
        }

    def rows(self) -> dict[int, dict]:
        sheet = self.client.Sheets.get_sheet(self.sheet_id)
        titles = {column_id: title for title, column_id in self.columns.items()}
        return {row.id: {titles[cell.column_id]: cell.value for cell in row.cells} for row in sheet.rows}

    def mark(self, *row_ids: int) -> None:
        updates = []
        for row_id in row_ids:
            row = Row()
            row.id = row_id
            row.cells.append(Cell({"column_id": self.columns[C.ESTADO], "value": C.FACTURAR}))
            updates.append(row)
        self.client.Sheets.update_rows(self.sheet_id, updates)

    def comments(self, row_id: int) -> list[str]:
        threads = self.client.Discussions.get_row_discussions(self.sheet_id, row_id, include="comments").data
        return [comment.text for thread in threads for comment in thread.comments]
