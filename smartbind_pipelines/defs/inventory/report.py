"""Inventory-specific tables for Dagit; the counts and change table are the invoices' report helpers."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import dagster as dg

from smartbind_pipelines.core.inventory import InventoryBatch

SKIPPED_SHOWN = 50


def _cell(value: Any) -> str:
    return ("" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")[:80]


def warehouse_table(batch: InventoryBatch) -> dg.MetadataValue:
    totals = batch.totals()
    lines = ["| almacén | Bind ID | productos con existencias | existencias |", "|---|---|---|---|"]
    for warehouse in batch.warehouses:
        count = sum(1 for record in batch.records if record["Almacén"] == warehouse.name)
        lines.append(f"| {_cell(warehouse.name)} | {warehouse.id} | {count} | {totals.get(warehouse.name, 0.0):g} |")
    return dg.MetadataValue.md("\n".join(lines))


def skipped_table(skipped: Iterable[Mapping[str, Any]], *, limit: int = SKIPPED_SHOWN) -> dg.MetadataValue:
    skipped = list(skipped)
    if not skipped:
        return dg.MetadataValue.md("No inventory row was skipped.")
    lines = ["| almacén | ProductID | código | motivo |", "|---|---|---|---|"]
    lines += [f"| {_cell(item.get('warehouse'))} | {_cell(item.get('product_id'))} | {_cell(item.get('code'))} "
              f"| {_cell(item.get('reason'))} |" for item in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"\n… and {len(skipped) - limit} more.")
    return dg.MetadataValue.md("\n".join(lines))
