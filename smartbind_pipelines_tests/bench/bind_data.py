"""Source data for the scenarios, and the changes made between syncs, through the Bind emulator's state.

Every change is chosen so that it changes a mapped sheet value (``Estado`` or ``Total`` for invoices,
``Existencias`` for stock): the number of changes the harness makes is then exactly the number of rows
the best possible re-sync has to update.
"""

from __future__ import annotations

import random
from datetime import datetime

from smartbind_pipelines.core.cdmx import CDMX

# Every invoice of a scenario is dated in this window, and the sync reads exactly this window.
INVOICE_WINDOW = (datetime(2025, 1, 1, tzinfo=CDMX), datetime(2026, 1, 1, tzinfo=CDMX))
OPEN, PAID = 0, 1


def empty_state(seed: int):
    from smartbind_pipelines.sandbox.bind import BindState

    return BindState.empty(seed=seed)


# --- invoices -----------------------------------------------------------------------------------------


def load_invoices(state, count: int) -> None:
    start, end = INVOICE_WINDOW
    state.generate_invoices(count, start, end)


def invoices_in_window(state) -> int:
    """Invoices GET /Invoices lists for the window (drafts included: the sync reads and skips them)."""
    start, end = (moment.replace(tzinfo=None) for moment in INVOICE_WINDOW)
    return sum(1 for invoice in state.list_invoices() if start <= datetime.fromisoformat(invoice["Date"]) < end)


def change_invoices(state, count: int, rng: random.Random) -> int:
    """``count`` stamped invoices change: open ones are paid (Estado), the others change amount (Total)."""
    stamped = [invoice for invoice in state.list_invoices() if invoice["UUID"]]
    chosen = rng.sample(stamped, min(count, len(stamped)))
    for invoice in chosen:
        if invoice["Status"] == OPEN:
            state.pay_invoice(invoice["ID"])
        else:
            state.update_invoice(invoice["ID"], Subtotal=round(invoice["Subtotal"] + 100.0, 2))
    return len(chosen)


# --- inventory ----------------------------------------------------------------------------------------


def load_inventory(state, products: int, rng: random.Random) -> None:
    """``products`` products, each in stock in exactly one of the three warehouses (round robin).

    20,000 products then make 20,000 sheet rows (the sheet's limit). Each warehouse's Inventory listing
    still lists every product, with 0 where it holds none, as Bind lists every product with an inventory
    record in that warehouse.
    """
    state.generate_products(products)
    warehouses = state.warehouse_ids()
    for index, product in enumerate(_products(state)):
        holder = warehouses[index % len(warehouses)]
        for warehouse in warehouses:
            state.set_stock(warehouse, product["ID"], float(rng.randint(1, 500)) if warehouse == holder else 0.0)


def _products(state) -> list[dict]:
    return sorted((record for record, _ in state.rows("products")), key=lambda product: product["Number"])


def in_stock_rows(state) -> list[tuple[str, dict]]:
    """(warehouse id, Inventory row) for every product with positive stock."""
    return [
        (warehouse, row)
        for warehouse in state.warehouse_ids()
        for row in state.inventory(warehouse)
        if (row["CurrentInventory"] or 0) > 0
    ]


def inventory_rows_per_warehouse(state) -> list[int]:
    """In-stock rows per warehouse: a reader that filters ``CurrentInventory gt 0`` on the server reads
    ceil(rows/100) pages of each."""
    counts = {warehouse: 0 for warehouse in state.warehouse_ids()}
    for warehouse, _ in in_stock_rows(state):
        counts[warehouse] += 1
    return list(counts.values())


def change_stock(state, count: int, rng: random.Random) -> int:
    """``count`` in-stock rows get a different positive quantity (Existencias changes, the row stays)."""
    rows = in_stock_rows(state)
    chosen = rng.sample(rows, min(count, len(rows)))
    for warehouse, row in chosen:
        state.set_stock(warehouse, row["ProductID"], row["CurrentInventory"] + rng.randint(1, 50))
    return len(chosen)
