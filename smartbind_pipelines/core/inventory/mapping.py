"""Bind warehouse stock -> the seed's five inventory columns, keyed on ID Producto + Almacén.

The warehouses to sync (ProcessConfig or the environment fallback, resolved against Bind's names), and
each Inventory row as a sheet row (pure). The rows that left stock: stale.py; a renamed warehouse: rekey.py;
the reads from Bind and the sheet: io.py.

Values (``core/bind_values.py``): ProductID must be a GUID (it is half the key); CurrentInventory must be
a finite number within ±MAX_SHEET_NUMBER; either failing skips the row with its reason. Code and Title
holding an object, an array, a boolean or NaN are written empty and noted in ``adjusted``; longer than a
cell, they are cut and noted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.bind_values import bind_number, bind_text, id_text, not_an_object, shown
from smartbind_pipelines.core.odata import is_guid
from smartbind_pipelines.core.sheets import ColumnSpec, SheetMapping, comparable

PRODUCT = "ID Producto"
WAREHOUSE = "Almacén"
STOCK = "Existencias"

INVENTORY_MAPPING = SheetMapping(
    key=(PRODUCT, WAREHOUSE),
    columns=(
        ColumnSpec(PRODUCT, "text"),
        ColumnSpec("Código", "text"),
        ColumnSpec("Nombre", "text"),
        ColumnSpec(STOCK, "number"),
        ColumnSpec(WAREHOUSE, "text"),
    ),
)
SHEET_COLUMNS = INVENTORY_MAPPING.titles


class InventoryConfigError(ValueError):
    """The warehouses to sync are missing, malformed or unknown to Bind; the message says which."""


@dataclass(frozen=True)
class Warehouse:
    id: str  # lower-case GUID
    name: str


def warehouse_names(warehouses: Iterable[Warehouse]) -> dict[str, str]:
    """Warehouse id -> name: what the sheet shows for each synced warehouse after a write."""
    return {warehouse.id: warehouse.name for warehouse in warehouses}


def batch_totals(records: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Warehouse name -> the stock these records put in the sheet (the check compares the sheet to it)."""
    return stock_totals((record[WAREHOUSE], record[STOCK]) for record in records)


def warehouses_to_sync(fields_mapping: Mapping[str, Any] | None, fallback_id: str | None) -> tuple[list[str], str]:
    """The warehouse ids to sync and where they came from: ProcessConfig ``fields_mapping["warehouse_ids"]``
    when present, else the ``BIND_WAREHOUSE_ID`` fallback. Raises InventoryConfigError naming the bad value."""
    listed = (fields_mapping or {}).get("warehouse_ids")
    if listed:
        source = "ProcessConfig fields_mapping.warehouse_ids"
        ids = [listed] if isinstance(listed, str) else listed
        if not isinstance(ids, (list, tuple)):
            raise InventoryConfigError(f"{source} must be a list of warehouse GUIDs, not {type(listed).__name__}")
    else:
        source = "BIND_WAREHOUSE_ID"
        ids = [fallback_id] if fallback_id and str(fallback_id).strip() else []
    if not ids:
        raise InventoryConfigError(
            "sync_inventory has no warehouse: set BIND_WAREHOUSE_ID or ProcessConfig fields_mapping "
            '{"warehouse_ids": ["<guid>", …]}'
        )
    cleaned = []
    for value in ids:
        text = str(value).strip().lower()
        if not is_guid(text):
            raise InventoryConfigError(f"{source}: {str(value)[:60]!r} is not a warehouse GUID")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned, source


def resolve_warehouses(ids: Sequence[str], bind_warehouses: Iterable[Mapping[str, Any]]) -> list[Warehouse]:
    """The configured warehouses with their Bind names; unknown ids and shared names are refused, since
    either would make the sheet show or retire the wrong rows."""
    names = {
        str(row.get("ID") or "").lower(): bind_text(row.get("Name"))[0]
        for row in bind_warehouses
        if isinstance(row, Mapping)
    }  # an item that is not an object names nothing
    unknown = [wid for wid in ids if wid not in names]
    if unknown:
        known = "; ".join(f"{name} = {wid}" for wid, name in sorted(names.items(), key=lambda item: item[1]))
        raise InventoryConfigError(
            f"warehouse(s) {', '.join(unknown)} not found in Bind GET /Warehouses (known: {known or 'none'})"
        )
    chosen = [Warehouse(wid, names[wid]) for wid in ids]
    unnamed = [w.id for w in chosen if not w.name]
    if unnamed:
        raise InventoryConfigError(f"warehouse(s) {', '.join(unnamed)} have no Name in Bind: the sheet keys rows on it")
    shared = [name for name, n in Counter(w.name for w in chosen).items() if n > 1]
    if shared:
        raise InventoryConfigError(
            f"more than one synced warehouse is named {', '.join(map(repr, shared))}: the sheet, keyed on the "
            "name, could not tell their rows apart; rename one in Bind"
        )
    return chosen


def inventory_batch(
    warehouses: Sequence[Warehouse], rows_by_warehouse: Mapping[str, Iterable[dict]], *, only_in_stock: bool = True
) -> SourceBatch:
    """Map Inventory rows to sheet rows; by default only products with Existencias > 0 (the seed's
    "productos con existencias"). A bad row is skipped with its reason, never fatal."""
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    adjusted: list[dict[str, Any]] = []
    fetched = 0
    for warehouse in warehouses:
        seen: set[str] = set()
        for raw in rows_by_warehouse.get(warehouse.id, ()):
            fetched += 1
            notes: list[tuple[str, str]] = []
            try:
                record = _inventory_row(raw, warehouse, notes)
            except ValueError as exc:
                skipped.append(_skip(raw, warehouse, str(exc)))
                continue
            if record[PRODUCT] in seen:
                skipped.append(_skip(raw, warehouse, "product listed twice in this warehouse: first row kept"))
                continue
            seen.add(record[PRODUCT])
            adjusted += [
                {"warehouse": warehouse.name, "product_id": record[PRODUCT], "field": name, "rule": rule}
                for name, rule in notes
            ]
            if only_in_stock and not record[STOCK] > 0:
                continue
            records.append(record)
    return SourceBatch(
        records=records, skipped=skipped, adjusted=adjusted, fetched=fetched, warehouses=tuple(warehouses)
    )


def _skip(raw: Any, warehouse: Warehouse, reason: str) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    return {
        "warehouse": warehouse.name,
        "product_id": id_text(raw.get("ProductID")),
        "code": id_text(raw.get("Code")),
        "reason": reason,
    }


def _inventory_row(raw: Any, warehouse: Warehouse, notes: list[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"not an inventory object: {not_an_object(raw)}")
    product = raw.get("ProductID")
    if product is None or (isinstance(product, str) and not product.strip()):
        product = raw.get("ID")
    if product is None or (isinstance(product, str) and not product.strip()):
        raise ValueError("no ProductID")
    if not isinstance(product, str) or not is_guid(product.strip()):
        raise ValueError(f"ProductID {shown(product)} is not a GUID")
    return {
        PRODUCT: product.strip().lower(),
        "Código": _text(raw.get("Code"), "Código", notes),
        "Nombre": _text(raw.get("Title"), "Nombre", notes),
        STOCK: _quantity(raw.get("CurrentInventory")),
        WAREHOUSE: warehouse.name,
    }


def _text(value: Any, name: str, notes: list[tuple[str, str]]) -> str:
    if value is None:
        return ""  # a product without a code or title is common: written empty, not noted
    text, note = bind_text(value)
    if note:
        notes.append((name, note))
    return text


def _quantity(value: Any) -> float:
    return float(bind_number(value, "CurrentInventory"))


def stock_totals(pairs: Iterable[tuple[Any, Any]]) -> dict[str, float]:
    """Warehouse name -> summed stock, to the cent as the sheet stores it; non-numbers count as 0."""
    stock = INVENTORY_MAPPING.column(STOCK)
    totals: dict[str, float] = {}
    for name, quantity in pairs:
        if name is None or str(name).strip() == "":
            continue
        amount = comparable(quantity, stock)  # text a user typed into the column compares as text
        name = str(name).strip()
        totals[name] = totals.get(name, 0.0) + (amount if isinstance(amount, float) else 0.0)
    return {name: round(total, 2) + 0.0 for name, total in totals.items()}
