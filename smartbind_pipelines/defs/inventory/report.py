"""The inventory's own table for the Dagster UI: each synced warehouse, its rows and its stock."""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.inventory import WAREHOUSE, batch_totals
from smartbind_pipelines.defs.pull.report import cell


def warehouse_table(batch: SourceBatch) -> dg.MetadataValue:
    totals = batch_totals(batch.records)
    lines = ["| almacén | Bind ID | productos con existencias | existencias |", "|---|---|---|---|"]
    for warehouse in batch.warehouses:
        count = sum(1 for record in batch.records if record[WAREHOUSE] == warehouse.name)
        lines.append(f"| {cell(warehouse.name)} | {warehouse.id} | {count} | {totals.get(warehouse.name, 0.0):g} |")
    return dg.MetadataValue.md("\n".join(lines))
