"""In-memory state of the Bind emulator, and the mutators tests and the sandbox admin API drive it with.

Each list route reads a ``Collection`` (pre-sorted, pre-encoded rows). Mutators replace whole records
(never edit one in place), so a request that took a snapshot keeps a consistent view. All public methods
are thread-safe.

``BindState`` is assembled from one part per subject: invoices (``state/invoices.py``), sales created
through ``POST /api/Invoices`` (``sales.py``), products and stock (``stock.py``) and clients
(``clients.py``); this module holds what spans them: construction, reset, the list routes' rows and the
business-day simulation. ``BindState`` is defined here because pickled sandbox state
(``sandbox-state.pickle``, sandbox/snapshot.py) names it by this module's path.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines.sandbox.bind.collection import Collection, Row
from smartbind_pipelines.sandbox.bind.demo import clients as demo_clients
from smartbind_pipelines.sandbox.bind.demo import invoices as demo_invoices
from smartbind_pipelines.sandbox.bind.demo import products as demo_products
from smartbind_pipelines.sandbox.bind.invoicing import InvoicingSettings
from smartbind_pipelines.sandbox.bind.schema import (
    CLIENT_LIST_ITEM,
    CURRENCY,
    INVENTORY,
    INVOICE_LIST_ITEM,
    LOCATION,
    PRICE_LIST,
    PRODUCT,
    SERVICE,
    WAREHOUSE,
    money,
    to_naive_cdmx,
)
from smartbind_pipelines.sandbox.bind.state.clients import ClientBook
from smartbind_pipelines.sandbox.bind.state.invoices import InvoiceStore
from smartbind_pipelines.sandbox.bind.state.sales import SaleDesk
from smartbind_pipelines.sandbox.bind.state.stock import StockRoom

# [G] Status meanings are not documented (contract §2.5); the text shown in InvoiceDetails is configurable.
STATUS_TEXT = {0: "Vigente", 1: "Pagada", 2: "Cancelada"}


class BindState(InvoiceStore, SaleDesk, StockRoom, ClientBook):
    """Everything the Bind emulator serves. Build with ``BindState.demo(...)`` or ``BindState.empty()``."""

    def __init__(self, *, seed: int = 7, status_text: dict[int, str] | None = None, clock=now_cdmx):
        self._lock = threading.RLock()
        self.status_text = dict(status_text or STATUS_TEXT)
        self.clock = clock  # "now" for mutators; tests may replace it
        self.invoicing = InvoicingSettings()
        self._reset_catalogs(seed)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def empty(cls, **options) -> "BindState":
        """Three warehouses and the MXN/USD currencies; no invoices, products, stock or clients."""
        return cls(**options)

    @classmethod
    def demo(
        cls, seed: int = 7, invoices: int = 250, products: int = 120, now: datetime | None = None, **options
    ) -> "BindState":
        """Deterministic demo data for ``(seed, now)``; invoice dates spread over the 30 days before ``now``."""
        state = cls(seed=seed, **options)
        state._populate(seed, invoices, products, now)
        return state

    def reset(
        self,
        *,
        seed: int = 7,
        invoices: int = 250,
        products: int = 120,
        now: datetime | None = None,
        empty: bool = False,
    ) -> dict:
        """Start over in place: demo data for ``seed``, or the empty catalog."""
        with self._lock:
            self._reset_catalogs(seed)
            if not empty:
                self._populate(seed, invoices, products, now)
            return self.summary()

    def _reset_catalogs(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(f"bind-state:{seed}")
        self._generation = 0
        self.invoices = Collection(INVOICE_LIST_ITEM)
        self.products = Collection(PRODUCT)
        self.warehouses = Collection(WAREHOUSE)
        self.currencies = Collection(CURRENCY)
        self.clients = Collection(CLIENT_LIST_ITEM)
        self.locations = Collection(LOCATION)
        self.price_lists = Collection(PRICE_LIST)
        self.services = Collection(SERVICE)
        self._series = [dict(series) for series in demo.SERIES]
        self._pending_stamps: dict[str, dict] = {}  # sale id -> {"reads": n, "since": monotonic}
        self._numbers: dict[int, list[str]] = {}
        self._stock: dict[str, dict[str, dict]] = {}
        self._inventory: dict[str, Collection] = {}
        for warehouse in demo.WAREHOUSES:
            self.warehouses.put(dict(warehouse))
            self._stock[warehouse["ID"]] = {}
            self._inventory[warehouse["ID"]] = Collection(INVENTORY)
        for currency in demo.CURRENCIES:
            self.currencies.put(dict(currency))
        for location_id, name in demo.LOCATIONS.items():
            self.locations.put({"ID": location_id, "Name": name})
        for price_list_id, name in demo.PRICE_LISTS.items():
            self.price_lists.put({"ID": price_list_id, "Name": name})
        created = datetime(2024, 1, 15, 9, 0)
        for spec in demo.SERVICES:
            self.services.put(demo.service_record(*spec, created))

    def _populate(self, seed: int, invoices: int, products: int, now: datetime | None) -> None:
        with self._lock:
            now = to_naive_cdmx(now or now_cdmx())
            for client in demo_clients.make_clients(random.Random(f"bind-demo:{seed}:clients"), 40):
                self.clients.put(client)
            self._insert_products(
                demo_products.make_products(
                    random.Random(f"bind-demo:{seed}:products"), products, 1, now, list(self._stock)
                )
            )
            made = demo_invoices.make_invoices(
                random.Random(f"bind-demo:{seed}:invoices"),
                invoices,
                now - timedelta(days=30),
                now,
                1001,
                self._clients_public_first(),
                list(self.products.records.values()),
                self._warehouse_list(),
            )
            for invoice in made:
                self._put_invoice(invoice)
            for client in demo.invoicing_clients(self._next_client_number()):
                self.clients.put(client)

    def _generation_rng(self, what: str) -> random.Random:
        """The rng of one generate call: deterministic for the seed and the number of earlier calls."""
        self._generation += 1
        return random.Random(f"bind-generate:{self.seed}:{what}:{self._generation}")

    # --- reads that span the parts --------------------------------------------------------------

    def rows(self, route: str, warehouse_id: str | None = None) -> list[Row]:
        """(record, encoded JSON) pairs of a list route, in ID order."""
        with self._lock:
            if route == "inventory":
                collection = self._inventory.get((warehouse_id or "").lower())
                return collection.rows() if collection else []
            if route == "invoices":
                self._stamp_due()
            return {
                "invoices": self.invoices,
                "products": self.products,
                "warehouses": self.warehouses,
                "currencies": self.currencies,
                "clients": self.clients,
                "locations": self.locations,
                "pricelists": self.price_lists,
                "services": self.services,
            }[route].rows()

    def summary(self) -> dict:
        with self._lock:
            return {
                "seed": self.seed,
                "invoices": len(self.invoices.records),
                "products": len(self.products.records),
                "clients": len(self.clients.records),
                "warehouses": [{"ID": w["ID"], "Name": w["Name"]} for w in self._warehouse_list()],
                "currencies": [{"ID": c["ID"], "Code": c["Code"]} for c in self.currencies.records.values()],
            }

    def simulate_activity(self, rng: random.Random) -> str:
        """One step of a business day: a new invoice, a stamp, a payment or a cancellation."""
        with self._lock:
            records = list(self.invoices.records.values())
            drafts = [r for r in records if r["UUID"] is None and r["Status"] == 0]
            open_ = [r for r in records if r["UUID"] and r["Status"] == 0]
            draw = rng.random()
            if draw < 0.4 or not records:
                clients = self._clients_public_first()
                client = rng.choice(clients) if clients else self._public_client()
                invoice = self.add_invoice(ClientID=client["ID"], Subtotal=money(rng.uniform(300, 80_000)))
                if rng.random() < 0.7:
                    invoice = self.stamp_invoice(invoice["ID"])
                return f"added invoice {invoice['Number']}"
            if draw < 0.6 and drafts:
                return f"stamped invoice {self.stamp_invoice(rng.choice(drafts)['ID'])['Number']}"
            if draw < 0.9 and open_:
                return f"paid invoice {self.pay_invoice(rng.choice(open_)['ID'])['Number']}"
            if open_:
                return f"cancelled invoice {self.cancel_invoice(rng.choice(open_)['ID'])['Number']}"
            return "nothing to do"
