"""The Bind emulator's products, warehouses and stock: the per-warehouse ``Inventory`` rows and each
product's ``CurrentInventory`` follow every stock change, and the admin mutators that make those changes.
"""

from __future__ import annotations

from smartbind_pipelines.sandbox.bind import demo, details
from smartbind_pipelines.sandbox.bind.demo import products as demo_products
from smartbind_pipelines.sandbox.bind.schema import (
    DOUBLE,
    INVENTORY,
    PRODUCT,
    WAREHOUSE,
    coerce,
    money,
    normalize_guid,
    sql_datetime,
    to_naive_cdmx,
)
from smartbind_pipelines.sandbox.bind.state.admin_input import UnknownRecord, check_generate_count, typed_fields

_PRODUCT_EXTRA = {"Price": DOUBLE}


def _stock_entry(qty: float) -> dict:
    return {
        "qty": qty,
        "client_ordered": 0.0,
        "provided_ordered": 0.0,
        "location": "",
        "visible": True,
        "min": 0.0,
        "max": 0.0,
    }


class StockRoom:
    """Part of ``BindState`` (which sets ``products``, ``warehouses``, ``_stock`` (warehouse id -> product id
    -> stock entry), ``_inventory`` (warehouse id -> Inventory rows), ``_lock``, ``_rng`` and ``clock``)."""

    # --- reads ----------------------------------------------------------------------------------

    def warehouse_ids(self) -> list[str]:
        """Warehouse ids, "Almacén General" first."""
        with self._lock:
            return [w["ID"] for w in self._warehouse_list()]

    def inventory(self, warehouse_id: str) -> list[dict]:
        return [INVENTORY.wire(record) for record, _ in self.rows("inventory", warehouse_id)]

    def product_details(self, product_id: str) -> dict | None:
        with self._lock:
            product = self.products.records.get(product_id.lower())
            return None if product is None else details.product_details(self, product)

    def stock_by_warehouse(self, product_id: str) -> list[tuple[dict, dict]]:
        """(warehouse, stock entry) for each warehouse holding the product, Almacén General first."""
        with self._lock:
            return [
                (self.warehouses.records[wid], entry)
                for wid in self._ordered_warehouse_ids()
                if (entry := self._stock[wid].get(product_id))
            ]

    # --- mutators -------------------------------------------------------------------------------

    def add_product(self, *, stock: dict[str, float] | None = None, **fields) -> dict:
        """A new product (``Price`` is its list price); ``stock`` maps warehouse id -> quantity."""
        with self._lock:
            if "CurrentInventory" in fields:
                raise ValueError("product field CurrentInventory is the sum of the stock; use stock/set_stock")
            typed = typed_fields(fields, PRODUCT, _PRODUCT_EXTRA, "product")
            number = self._next_product_number()
            product_id = typed.pop("ID", None) or demo.new_guid(self._rng)
            if product_id in self.products.records:
                raise ValueError(f"product {product_id} already exists")
            for warehouse_id in stock or {}:
                self._warehouse(warehouse_id)
            cost = typed.get("Cost", 100.0)
            title = typed.get("Title", f"Producto {number}")
            record = demo_products.product_record(
                id=product_id,
                code=f"PRD-{number:05d}",
                title=title,
                description=title,
                created=sql_datetime(to_naive_cdmx(self.clock())),
                cost=cost,
                sku="",
                category_id=None,
                charge_vat=True,
                number=number,
                unit="PIEZA",
                price=typed.pop("Price", money(cost * 1.4)),
            )
            record.update(typed)
            entries = {
                normalize_guid(wid): _stock_entry(coerce(qty, DOUBLE, f"stock for warehouse {wid}") or 0.0)
                for wid, qty in (stock or {}).items()
            }
            self._insert_products([(record, entries)])
            return PRODUCT.wire(self.products.records[product_id])

    def generate_products(self, count: int) -> dict:
        """``count`` more products, each stocked in every warehouse; deterministic like generate_invoices."""
        with self._lock:
            check_generate_count(count)
            made = demo_products.make_products(
                self._generation_rng("products"),
                count,
                self._next_product_number(),
                to_naive_cdmx(self.clock()),
                self._ordered_warehouse_ids(),
            )
            self._insert_products(made)
            return {"created": count, "products": len(self.products.records)}

    def set_stock(self, warehouse_id: str, product_id: str, qty: float) -> dict:
        """Set a product's stock in one warehouse (negative is allowed, as in Bind); returns the Inventory row."""
        with self._lock:
            warehouse = self._warehouse(warehouse_id)
            product = self._product(product_id)
            quantity = coerce(qty, DOUBLE, "stock qty")
            if quantity is None:
                raise ValueError("stock qty is required")
            entries = self._stock[warehouse["ID"]]
            entries[product["ID"]] = {**entries.get(product["ID"], _stock_entry(0.0)), "qty": quantity}
            self._refresh_product(product["ID"])
            return INVENTORY.wire(self._inventory[warehouse["ID"]].records[product["ID"]])

    def rename_warehouse(self, warehouse_id: str, name: str) -> dict:
        with self._lock:
            warehouse = self._warehouse(warehouse_id)
            if not isinstance(name, str) or not name.strip():
                raise ValueError("warehouse name must be a non-empty string")
            self.warehouses.put({**warehouse, "Name": name})
            return WAREHOUSE.wire(self.warehouses.records[warehouse["ID"]])

    # --- internals ------------------------------------------------------------------------------

    def _next_product_number(self) -> int:
        return max((p["Number"] for p in self.products.records.values()), default=0) + 1

    def _warehouse(self, warehouse_id: str) -> dict:
        record = self.warehouses.records.get(str(warehouse_id).lower())
        if record is None:
            raise UnknownRecord(f"warehouse {warehouse_id} not found")
        return record

    def _product(self, product_id: str) -> dict:
        record = self.products.records.get(str(product_id).lower())
        if record is None:
            raise UnknownRecord(f"product {product_id} not found")
        return record

    def _warehouse_list(self) -> list[dict]:
        return [self.warehouses.records[wid] for wid in self._ordered_warehouse_ids()]

    def _ordered_warehouse_ids(self) -> list[str]:
        return list(self._stock)  # creation order: Almacén General first

    def _insert_products(self, made: list[tuple[dict, dict[str, dict]]]) -> None:
        for product, entries in made:
            for warehouse_id, entry in entries.items():
                self._stock[warehouse_id][product["ID"]] = entry
            self.products.put(product)
            self._refresh_product(product["ID"])

    def _refresh_product(self, product_id: str) -> None:
        """Recompute CurrentInventory (sum over warehouses, [G]) and the product's Inventory rows."""
        product = self.products.records[product_id]
        total = 0.0
        for warehouse_id, entries in self._stock.items():
            entry = entries.get(product_id)
            if entry is None:
                continue
            total += entry["qty"]
            self._inventory[warehouse_id].put(
                {
                    "Balance": entry["qty"] - entry["client_ordered"],
                    "ClientOrdered": entry["client_ordered"],
                    "CurrentInventory": entry["qty"],
                    "ID": product_id,
                    "Location": entry["location"],
                    "ProvidedOrdered": entry["provided_ordered"],
                    "SKU": product["SKU"],
                    "Title": product["Title"],
                    "Value": money(entry["qty"] * product["Cost"]),
                    "Code": product["Code"],
                    "ProductID": product_id,
                    "Visible": entry["visible"],
                }
            )
        if product["CurrentInventory"] != total:
            self.products.put({**product, "CurrentInventory": total})
