"""Bind warehouse stock -> the seed's five inventory columns, keyed on ID Producto + Almacén.

Reading: every page of ``/api/Inventory?warehouseID=`` for each configured warehouse, with the
warehouse's name from ``/api/Warehouses`` (an Inventory row names no warehouse). Writing uses the
generic upsert engine with a ``StalePolicy`` scoped to the synced warehouses' names, so a product that
left stock shows 0 (or is deleted), never a stale figure, and other warehouses' rows are never touched.

A renamed warehouse: the sheet keys rows on the warehouse *name* (the seed's columns carry no id), so
rows written under the old name would linger. The last sync records each warehouse's id -> name; when a
synced warehouse's name changed, ``rekey_plan`` moves its rows to the new name (one cell per row, the
row and whatever people wrote next to it are kept) before the regular upsert runs.

Values (``core/bind_values.py``): ProductID must be a GUID (it is half the key); CurrentInventory must be
a finite number within ±MAX_SHEET_NUMBER; either failing skips the row with its reason. Code and Title
holding an object, an array, a boolean or NaN are written empty and noted in ``adjusted``; longer than a
cell, they are cut and noted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smartbind_pipelines.core.bind_values import bind_number, bind_text, id_text, not_an_object, shown
from smartbind_pipelines.core.odata import is_guid
from smartbind_pipelines.core.sheets import ColumnSpec, ExistingRow, SheetMapping, StalePolicy, comparable

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
WAREHOUSE_ID = "Almacén ID"  # carried in the frame (not written): which warehouse a row came from
FRAME_COLUMNS = (*SHEET_COLUMNS, WAREHOUSE_ID)
STALE_ACTIONS = ("zero", "delete")


class InventoryConfigError(ValueError):
    """The warehouses to sync are missing, malformed or unknown to Bind; the message says which."""


@dataclass(frozen=True)
class Warehouse:
    id: str  # lower-case GUID
    name: str


@dataclass
class InventoryBatch:
    """The sheet rows of the synced warehouses, and what Bind says each warehouse holds in total."""

    warehouses: list[Warehouse]
    records: list[dict[str, Any]]  # the five sheet columns + WAREHOUSE_ID
    skipped: list[dict] = field(default_factory=list)  # {"warehouse", "product_id", "code", "reason"}
    adjusted: list[dict] = field(default_factory=list)  # {"warehouse", "product_id", "field", "rule"}
    fetched: int = 0  # Inventory rows read from Bind, all warehouses

    def sheet_records(self) -> list[dict[str, Any]]:
        return [{title: record[title] for title in SHEET_COLUMNS} for record in self.records]

    def totals(self) -> dict[str, float]:
        """Warehouse name -> the stock these records put in the sheet (the check compares the sheet to it)."""
        return stock_totals((record[WAREHOUSE], record[STOCK]) for record in self.records)

    def names(self) -> dict[str, str]:
        return {warehouse.id: warehouse.name for warehouse in self.warehouses}


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
            "{\"warehouse_ids\": [\"<guid>\", …]}"
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
    names = {str(row.get("ID") or "").lower(): bind_text(row.get("Name"))[0]
             for row in bind_warehouses if isinstance(row, Mapping)}  # an item that is not an object names nothing
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


def inventory_batch(warehouses: Sequence[Warehouse], rows_by_warehouse: Mapping[str, Iterable[dict]], *,
                    only_in_stock: bool = True) -> InventoryBatch:
    """Map Inventory rows to sheet rows; by default only products with Existencias > 0 (the seed's
    "productos con existencias"). A bad row is skipped with its reason, never fatal."""
    batch = InventoryBatch(warehouses=list(warehouses), records=[])
    for warehouse in warehouses:
        seen: set[str] = set()
        for raw in rows_by_warehouse.get(warehouse.id, ()):
            batch.fetched += 1
            notes: list[tuple[str, str]] = []
            try:
                record = _inventory_row(raw, warehouse, notes)
            except ValueError as exc:
                batch.skipped.append(_skip(raw, warehouse, str(exc)))
                continue
            if record[PRODUCT] in seen:
                batch.skipped.append(_skip(raw, warehouse, "product listed twice in this warehouse: first row kept"))
                continue
            seen.add(record[PRODUCT])
            batch.adjusted += [{"warehouse": warehouse.name, "product_id": record[PRODUCT], "field": name,
                                "rule": rule} for name, rule in notes]
            if only_in_stock and not record[STOCK] > 0:
                continue
            batch.records.append(record)
    return batch


def _skip(raw: Any, warehouse: Warehouse, reason: str) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    return {"warehouse": warehouse.name, "product_id": id_text(raw.get("ProductID")), "code": id_text(raw.get("Code")),
            "reason": reason}


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
        WAREHOUSE_ID: warehouse.id,
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


def stale_policy(action: str, warehouse_names: Iterable[str]) -> StalePolicy:
    """Rows of the synced warehouses that left stock: Existencias 0 ("zero") or removed ("delete")."""
    if action not in STALE_ACTIONS:
        raise ValueError(f"stale_rows must be one of {', '.join(STALE_ACTIONS)}, not {action!r}")
    scope = {WAREHOUSE: set(warehouse_names)}
    if action == "delete":
        return StalePolicy("delete", scope=scope)
    return StalePolicy("zero", {STOCK: 0}, scope=scope)


def renamed_warehouses(previous: Mapping[str, str], current: Sequence[Warehouse]) -> dict[str, str]:
    """Old name -> new name for synced warehouses whose name changed since the last sync."""
    return {previous[w.id]: w.name for w in current
            if previous.get(w.id) and previous[w.id].strip() and previous[w.id].strip() != w.name}


@dataclass
class RekeyPlan:
    updates: list[tuple[int, dict[str, Any]]]  # (row id, {"Almacén": new name})
    deletes: list[int]  # old-name rows whose product already has a row under the new name
    failed: list[str] = field(default_factory=list)  # per-row refusals from Smartsheet, as messages

    @property
    def writes(self) -> int:
        return len(self.updates) + len(self.deletes)


def rekey_plan(existing: Sequence[ExistingRow], renames: Mapping[str, str]) -> RekeyPlan:
    """Move rows of a renamed warehouse to its new name (pure). A product that already has a row under
    the new name keeps that row; the old-name copy is deleted rather than left showing stale stock."""
    plan = RekeyPlan(updates=[], deletes=[])
    if not renames:
        return plan
    product = INVENTORY_MAPPING.column(PRODUCT)
    taken = {(comparable(row.cells.get(PRODUCT), product), str(row.cells.get(WAREHOUSE) or "").strip())
             for row in existing}
    for row in existing:
        old = str(row.cells.get(WAREHOUSE) or "").strip()
        if old not in renames:
            continue
        key = (comparable(row.cells.get(PRODUCT), product), renames[old])
        if key[0] is None:
            continue  # a row without a product id is never touched (the engine reports it)
        if key in taken:
            plan.deletes.append(row.row_id)
            continue
        taken.add(key)
        plan.updates.append((row.row_id, {WAREHOUSE: renames[old]}))
    return plan


# -- I/O: the only two functions here that talk to Bind or Smartsheet ------------------------------


def read_inventory(client, warehouse_ids: Sequence[str], *, only_in_stock: bool = True) -> InventoryBatch:
    """Warehouse names from ``GET /Warehouses``, then every page of ``GET /Inventory?warehouseID=`` per
    warehouse. ``client`` is a BindClient; BindApiError and InventoryConfigError propagate."""
    warehouses = resolve_warehouses(warehouse_ids, client.warehouses())
    rows = {warehouse.id: client.inventory(warehouse.id, in_stock_only=only_in_stock) for warehouse in warehouses}
    return inventory_batch(warehouses, rows, only_in_stock=only_in_stock)


def apply_rekey(gateway, sheet_id: int, renames: Mapping[str, str], *, dry_run: bool = False) -> RekeyPlan:
    """Read the key columns once and move renamed warehouses' rows to their new name (``gateway`` is a
    SheetGateway). Costs nothing when no synced warehouse was renamed."""
    if not renames:
        return RekeyPlan(updates=[], deletes=[])
    existing, _ = gateway.read_rows(sheet_id, (PRODUCT, WAREHOUSE))
    plan = rekey_plan(existing, renames)
    if not dry_run:
        columns = gateway.sheet_columns(sheet_id)
        if plan.updates:
            outcome = gateway.update_rows(sheet_id, plan.updates, columns)
            plan.failed += [f"row {plan.updates[index][0]}: code {code}: {message}"
                            for index, code, message in outcome.failures]
        if plan.deletes:
            gateway.delete_rows(sheet_id, plan.deletes)
    return plan
