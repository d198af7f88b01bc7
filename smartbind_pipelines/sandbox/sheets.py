"""The target sheets the sandbox creates: one per process shipped with smartbind, from the registry.

Each sheet gets the process's columns and, where the process seeds one, its fixed id (invoices keeps the id
the default ProcessConfig row points at, so `make dev` works unchanged). Sheets are created in the order the
emulator numbers them, so a fresh sandbox always hands out the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartbind_pipelines.core.processes import INVENTORY, INVOICE_FROM_SHEET, INVOICES, all_processes
from smartbind_pipelines.core.sheets import SheetMapping, sheet_columns
from smartbind_pipelines.sandbox import invoicing_demo

# The seed's invoices sheet id: the default ProcessConfig row points at it, so `make dev` works unchanged.
INVOICES_SHEET_ID = int(INVOICES.default_sheet_id)
INVOICE_COLUMNS = sheet_columns(INVOICES.mapping)
INVENTORY_COLUMNS = sheet_columns(INVENTORY.mapping)
# The sandbox's own names for some sheets (ProcessConfig's defaults name the production sheets).
SHEET_NAMES = {
    INVOICES.job_id: "Facturas Bind",
    INVENTORY.job_id: "Inventario Bind",
    INVOICE_FROM_SHEET.job_id: invoicing_demo.SHEET_NAME,
}
# Rows a sheet starts with: invoice_from_sheet's demo rows an operator marks "Facturar" (issue 17).
SHEET_ROWS = {INVOICE_FROM_SHEET.job_id: invoicing_demo.demo_row_bodies}


@dataclass(frozen=True)
class SandboxSheet:
    """A target sheet the sandbox creates, and the variable that points the pipeline at it."""

    name: str
    mapping: SheetMapping
    sheet_id_env: str
    sheet_id: int | None = None  # None: the emulator picks one
    rows: Any = None  # rows added when the sheet is created: a callable of the created columns -> add-rows body


def sandbox_sheets() -> list[SandboxSheet]:
    """One sheet per process shipped with smartbind (an operator's declarations aside): the pull processes
    first (invoices, inventory, clients, products), then the push one: the order the emulator numbers them in."""
    shipped = sorted(all_processes({}), key=lambda process: process.direction == "push")
    return [
        SandboxSheet(
            SHEET_NAMES.get(process.job_id, process.sheet_name),
            process.mapping,
            process.sheet_id_env,
            int(process.default_sheet_id) if process.default_sheet_id else None,
            rows=SHEET_ROWS.get(process.job_id),
        )
        for process in shipped
    ]


def create_sheets(smartsheet_state, sheet_ids: dict[str, int]) -> None:
    """Create every sandbox sheet in ``smartsheet_state`` that ``sheet_ids`` (sheet-id variable -> id) does not
    already name, recording the created ids there. A resumed state keeps its sheets, ids and rows."""
    for sheet in sandbox_sheets():
        known = sheet_ids.get(sheet.sheet_id_env)
        if known is not None and known in smartsheet_state.sheets:
            continue  # resumed: the sheet, its id and its rows are back
        wanted = sheet.sheet_id if sheet.sheet_id not in smartsheet_state.sheets else None
        created = smartsheet_state.create_sheet(sheet.name, sheet_columns(sheet.mapping), sheet_id=wanted)
        sheet_ids[sheet.sheet_id_env] = created["id"]
        if sheet.rows is not None:
            smartsheet_state.add_rows(created["id"], sheet.rows(created["columns"]))
