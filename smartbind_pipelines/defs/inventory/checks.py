"""Checks on the inventory sheet after a sync, shown on smartsheet_inventory in Dagit.

Both read the sheet back once (ID Producto, Almacén, Existencias), so they verify what Smartsheet holds.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at decoration time.

from collections import Counter
from typing import Iterator, Mapping

import dagster as dg

from smartbind_pipelines.core.inventory import (
    INVENTORY_MAPPING,
    PRODUCT,
    STOCK,
    WAREHOUSE,
    InventoryBatch,
    stock_totals,
)
from smartbind_pipelines.defs.resources import SmartsheetResource
from smartbind_pipelines.defs.sync.metadata import nothing_written, run_materialization_metadata
from smartbind_pipelines.defs.sync.stored import delete_used_read

from .process import INVENTORY

NO_DUPLICATES = "no_duplicate_key_in_sheet"
TOTALS_MATCH = "sheet_stock_matches_bind"
LISTED = 20


def duplicate_keys(rows: list[Mapping]) -> dict[str, int]:
    """"<product> / <warehouse>" -> rows, for keys present on more than one row (pure)."""
    counts = Counter(INVENTORY_MAPPING.key_of(cells) for cells in rows)
    return {" / ".join(map(str, key)): n for key, n in counts.items() if key is not None and n > 1}


def total_mismatches(bind_totals: Mapping[str, float], sheet_rows: list[Mapping]) -> dict[str, str]:
    """Warehouse -> "sheet X, Bind Y" for each synced warehouse whose sheet total differs (pure)."""
    sheet = stock_totals((cells.get(WAREHOUSE), cells.get(STOCK)) for cells in sheet_rows)
    return {name: f"sheet {sheet.get(name, 0.0):g}, Bind {expected:g}"
            for name, expected in bind_totals.items() if abs(sheet.get(name, 0.0) - expected) > 0.005}


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            NO_DUPLICATES, asset=INVENTORY.sheet_key,
            description="No ID Producto + Almacén appears on more than one row of the inventory sheet.",
        ),
        dg.AssetCheckSpec(
            TOTALS_MATCH, asset=INVENTORY.sheet_key, additional_deps=[INVENTORY.source_key],
            description="For each synced warehouse, the sheet's total Existencias equals the stock read from Bind.",
        ),
    ],
    ins={"bind_inventory": dg.AssetIn(INVENTORY.source_key)},
)
def inventory_sheet_checks(
    context: dg.AssetCheckExecutionContext, bind_inventory: InventoryBatch, smartsheet: SmartsheetResource
) -> Iterator[dg.AssetCheckResult]:
    yield from _check(context, bind_inventory, smartsheet)
    # The last step that reads the stored Bind read (product data): nothing needs it any more. It is this
    # run's read, or the read of the run it re-executes.
    delete_used_read(context.instance, context.run, INVENTORY.source_asset)


def _check(context: dg.AssetCheckExecutionContext, bind_inventory: InventoryBatch, smartsheet: SmartsheetResource
           ) -> Iterator[dg.AssetCheckResult]:
    written = run_materialization_metadata(context.instance, context.run, INVENTORY.sheet_key)
    skipped = nothing_written(written, (NO_DUPLICATES, TOTALS_MATCH))
    if skipped:
        yield from skipped
        return
    sheet_id = int(written["sheet_id"])
    rows, _ = smartsheet.gateway().read_rows(sheet_id, (PRODUCT, WAREHOUSE, STOCK))
    cells = [row.cells for row in rows]

    duplicates = duplicate_keys(cells)
    yield dg.AssetCheckResult(
        check_name=NO_DUPLICATES,
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.WARN,  # pre-existing duplicates are reported, never multiplied
        description=(f"keys on more than one row: {', '.join(sorted(duplicates)[:LISTED])}" if duplicates else None),
        metadata={"sheet_id": str(sheet_id), "sheet_rows": len(rows), "duplicate_keys": len(duplicates)},
    )

    expected = {w.name: bind_inventory.totals().get(w.name, 0.0) for w in bind_inventory.warehouses}
    problems = total_mismatches(expected, cells)
    yield dg.AssetCheckResult(
        check_name=TOTALS_MATCH,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("stock differs: " + "; ".join(f"{name}: {why}" for name, why in sorted(problems.items()))
                     if problems else None),
        metadata={"sheet_id": str(sheet_id), "bind_stock_by_warehouse": dg.MetadataValue.json(expected),
                  "mismatched_warehouses": len(problems)},
    )
