"""The inventory's checks on its sheet after a sync, shown on smartsheet_inventory in the Dagster UI.

Both read the sheet back once (ID Producto, Almacén, Existencias), so they verify what Smartsheet holds: the
shared duplicate-key check, and each synced warehouse's total stock against Bind's.
"""

from __future__ import annotations

from typing import Iterator, Mapping

import dagster as dg

from smartbind_pipelines.core.inventory import PRODUCT, STOCK, WAREHOUSE, batch_totals, stock_totals
from smartbind_pipelines.defs.pull.builder import NO_DUPLICATES, CheckSpec, Step
from smartbind_pipelines.defs.pull.checks import duplicate_keys, duplicates_result

TOTALS_MATCH = "sheet_stock_matches_bind"
CHECKS = (
    CheckSpec(NO_DUPLICATES, "No ID Producto + Almacén appears on more than one row of the inventory sheet."),
    CheckSpec(
        TOTALS_MATCH,
        "For each synced warehouse, the sheet's total Existencias equals the stock read from Bind.",
        compares_source=True,
    ),
)


def total_mismatches(bind_totals: Mapping[str, float], sheet_rows: list[Mapping]) -> dict[str, str]:
    """Warehouse -> "sheet X, Bind Y" for each synced warehouse whose sheet total differs (pure)."""
    sheet = stock_totals((cells.get(WAREHOUSE), cells.get(STOCK)) for cells in sheet_rows)
    return {
        name: f"sheet {sheet.get(name, 0.0):g}, Bind {expected:g}"
        for name, expected in bind_totals.items()
        if abs(sheet.get(name, 0.0) - expected) > 0.005
    }


def check_stock(step: Step, written: dict) -> Iterator[dg.AssetCheckResult]:
    sheet_id = int(written["sheet_id"])
    rows, _ = step.resources.smartsheet.gateway().read_rows(sheet_id, (PRODUCT, WAREHOUSE, STOCK))
    cells = [row.cells for row in rows]
    yield duplicates_result(NO_DUPLICATES, sheet_id, duplicate_keys(step.process.mapping, cells), rows=len(rows))

    totals = batch_totals(step.batch.records)
    expected = {w.name: totals.get(w.name, 0.0) for w in step.batch.warehouses}
    problems = total_mismatches(expected, cells)
    yield dg.AssetCheckResult(
        check_name=TOTALS_MATCH,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "stock differs: " + "; ".join(f"{name}: {why}" for name, why in sorted(problems.items()))
            if problems
            else None
        ),
        metadata={
            "sheet_id": str(sheet_id),
            "bind_stock_by_warehouse": dg.MetadataValue.json(expected),
            "mismatched_warehouses": len(problems),
        },
    )
