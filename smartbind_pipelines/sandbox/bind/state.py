"""In-memory state of the Bind emulator, and the mutators tests and the sandbox admin API drive it with.

Each list route reads a ``Collection`` (pre-sorted, pre-encoded rows). Mutators replace whole records
(never edit one in place), so a request that took a snapshot keeps a consistent view. All public methods
are thread-safe.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.sandbox.bind import demo, details
from smartbind_pipelines.sandbox.bind.demo import clients as demo_clients
from smartbind_pipelines.sandbox.bind.demo import invoices as demo_invoices
from smartbind_pipelines.sandbox.bind.demo import products as demo_products
from smartbind_pipelines.sandbox.bind.collection import Collection, Row
from smartbind_pipelines.sandbox.bind.invoicing import InvoicingSettings
from smartbind_pipelines.sandbox.bind.new_invoice import ZERO_GUID
from smartbind_pipelines.sandbox.bind.schema import (
    BOOL, CLIENT_DETAILS, CLIENT_LIST_ITEM, CURRENCY, DOUBLE, INT32, INVENTORY, INVOICE_LIST_ITEM, LOCATION,
    PRICE_LIST, PRODUCT, SERVICE, STRING, WAREHOUSE, Entity, coerce, is_guid, money, normalize_guid,
    sql_datetime, sqlguid_key, to_naive_cdmx)

# [G] Status meanings are not documented (contract §2.5); the text shown in InvoiceDetails is configurable.
STATUS_TEXT = {0: "Vigente", 1: "Pagada", 2: "Cancelada"}
MAX_GENERATE = 100_000


class UnknownRecord(LookupError):
    """A mutator named a record that does not exist (the admin API answers 404)."""


class SaleRefused(Exception):
    """``POST /api/Invoices`` refused by a business check: 400 (or 500) with ``{"Message": ...}``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _typed(fields: dict, entity: Entity, extra: dict[str, str], what: str) -> dict:
    """Admin-supplied fields coerced to their types; unknown names are refused, naming the field."""
    types = {**entity.types, **extra}
    unknown = sorted(set(fields) - set(types))
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(unknown)}")
    return {name: coerce(value, types[name], f"{what} field {name}") for name, value in fields.items()}


def _stock_entry(qty: float) -> dict:
    return {"qty": qty, "client_ordered": 0.0, "provided_ordered": 0.0, "location": "", "visible": True,
            "min": 0.0, "max": 0.0}


_INVOICE_EXTRA = {"PaymentTerms": INT32}
_PRODUCT_EXTRA = {"Price": DOUBLE}
_CLIENT_EXTRA = {"Address": STRING, "Contact": STRING}


class BindState:
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
    def demo(cls, seed: int = 7, invoices: int = 250, products: int = 120, now: datetime | None = None,
             **options) -> "BindState":
        """Deterministic demo data for ``(seed, now)``; invoice dates spread over the 30 days before ``now``."""
        state = cls(seed=seed, **options)
        state._populate(seed, invoices, products, now)
        return state

    def reset(self, *, seed: int = 7, invoices: int = 250, products: int = 120, now: datetime | None = None,
              empty: bool = False) -> dict:
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
            self._insert_products(demo_products.make_products(random.Random(f"bind-demo:{seed}:products"), products, 1,
                                                     now, list(self._stock)))
            made = demo_invoices.make_invoices(random.Random(f"bind-demo:{seed}:invoices"), invoices,
                                      now - timedelta(days=30), now, 1001, self._clients_public_first(),
                                      list(self.products.records.values()), self._warehouse_list())
            for invoice in made:
                self._put_invoice(invoice)
            first = max((c["Number"] for c in self.clients.records.values()), default=1000) + 1
            for client in demo.invoicing_clients(first):
                self.clients.put(client)

    # --- reads (used by the app; also handy in tests) -------------------------------------------

    def warehouse_ids(self) -> list[str]:
        """Warehouse ids, "Almacén General" first."""
        with self._lock:
            return [w["ID"] for w in self._warehouse_list()]

    def rows(self, route: str, warehouse_id: str | None = None) -> list[Row]:
        """(record, encoded JSON) pairs of a list route, in ID order."""
        with self._lock:
            if route == "inventory":
                collection = self._inventory.get((warehouse_id or "").lower())
                return collection.rows() if collection else []
            if route == "invoices":
                self._stamp_due()
            return {"invoices": self.invoices, "products": self.products, "warehouses": self.warehouses,
                    "currencies": self.currencies, "clients": self.clients, "locations": self.locations,
                    "pricelists": self.price_lists, "services": self.services}[route].rows()

    def list_invoices(self) -> list[dict]:
        """Every invoice as ``GET /api/Invoices`` shows it, in ID order."""
        return [INVOICE_LIST_ITEM.wire(record) for record, _ in self.rows("invoices")]

    def get_invoice(self, invoice_id: str) -> dict:
        with self._lock:
            return INVOICE_LIST_ITEM.wire(self._invoice(invoice_id))

    def inventory(self, warehouse_id: str) -> list[dict]:
        return [INVENTORY.wire(record) for record, _ in self.rows("inventory", warehouse_id)]

    def summary(self) -> dict:
        with self._lock:
            return {"seed": self.seed, "invoices": len(self.invoices.records),
                    "products": len(self.products.records), "clients": len(self.clients.records),
                    "warehouses": [{"ID": w["ID"], "Name": w["Name"]} for w in self._warehouse_list()],
                    "currencies": [{"ID": c["ID"], "Code": c["Code"]} for c in self.currencies.records.values()]}

    def find_invoice(self, id_or_number: str) -> dict | None:
        """GUID -> by ID; all digits -> by Number (lowest ID order on a tie, [G]); anything else -> None."""
        with self._lock:
            if is_guid(id_or_number):
                return self.invoices.records.get(id_or_number.lower())
            if id_or_number.isascii() and id_or_number.isdigit():
                ids = self._numbers.get(int(id_or_number))
                return self.invoices.records[min(ids, key=sqlguid_key)] if ids else None
            return None

    def invoice_details(self, id_or_number: str) -> dict | None:
        """``InvoiceDetails`` consistent with the list item: same ID, Number and amounts."""
        with self._lock:
            record = self.find_invoice(id_or_number)
            if record is None:
                return None
            pending = self._pending_stamps.get(record["ID"])
            if pending is not None:  # deferred stamping counts reads by id
                if self._stamp_is_due(pending):
                    record = self._stamp_pending(record["ID"])
                else:
                    pending["reads"] += 1
            return details.invoice_details(self, record)

    def product_details(self, product_id: str) -> dict | None:
        with self._lock:
            product = self.products.records.get(product_id.lower())
            return None if product is None else details.product_details(self, product)

    def stock_by_warehouse(self, product_id: str) -> list[tuple[dict, dict]]:
        """(warehouse, stock entry) for each warehouse holding the product, Almacén General first."""
        with self._lock:
            return [(self.warehouses.records[wid], entry) for wid in self._ordered_warehouse_ids()
                    if (entry := self._stock[wid].get(product_id))]

    # --- invoice mutators -----------------------------------------------------------------------

    def add_invoice(self, **fields) -> dict:
        """A new invoice; unnamed fields get realistic defaults. No UUID means an unstamped draft.

        ``Date`` defaults to now in Mexico City; VAT and Total follow Subtotal/Discount/VATRate unless
        given. ``PaymentTerms`` (credit days, default 30) sets ExpirationDate.
        """
        with self._lock:
            typed = _typed(fields, INVOICE_LIST_ITEM, _INVOICE_EXTRA, "invoice")
            invoice_id = typed.pop("ID", None) or demo.new_guid(self._rng)
            if invoice_id in self.invoices.records:
                raise ValueError(f"invoice {invoice_id} already exists")
            client = self._client_for(typed)
            date = typed.get("Date") or sql_datetime(to_naive_cdmx(self.clock()))
            terms = typed.pop("PaymentTerms", 30)
            currency_id = typed.get("CurrencyID", demo.MXN_ID)
            currency = self.currencies.records.get(currency_id)
            warehouse = self.warehouses.records.get(typed.get("WarehouseID"), self._warehouse_list()[0])
            record = {
                "ID": invoice_id, "Serie": "FAC", "Date": date, "Number": self._next_number(), "UUID": None,
                "ExpirationDate": date + timedelta(days=terms), "ClientID": client["ID"],
                "ClientName": client["LegalName"], "RFC": client["RFC"], "Payments": 0.0,
                "CurrencyID": currency_id, "LocationID": warehouse["LocationID"], "WarehouseID": warehouse["ID"],
                "PriceListID": demo.DEFAULT_PRICE_LIST, "CFDIUse": 1,
                "ExchangeRate": currency["ExchangeRate"] if currency else 1.0, "VATRetRate": 0.0, "Comments": "",
                "PurchaseOrder": "", "IsFiscalInvoice": True, "ShowIEPS": False, "Status": 0,
                "_payment_terms": terms, "_cfdi_method": "PUE" if terms == 0 else "PPD",
                "_cfdi_term": "03" if terms == 0 else "99", "_lines": None,
            }
            subtotal = typed.get("Subtotal", money(self._rng.uniform(500, 60_000)))
            record.update(self._amounts(typed, subtotal, typed.get("Discount", 0.0), typed.get("VATRate", 0.16)))
            record["Cost"] = money(record["Subtotal"] * 0.62)
            record.update(typed)
            return self._put_invoice(record)

    def update_invoice(self, invoice_id: str, **fields) -> dict:
        """Change fields of an invoice. VAT/Total follow a new Subtotal/Discount/VATRate unless given."""
        with self._lock:
            current = self._invoice(invoice_id)
            typed = _typed(fields, INVOICE_LIST_ITEM, _INVOICE_EXTRA, "invoice")
            if typed.get("ID", current["ID"]) != current["ID"]:
                raise ValueError(f"invoice {current['ID']}: ID cannot change")
            record = dict(current)
            if "PaymentTerms" in typed:
                record["_payment_terms"] = typed.pop("PaymentTerms")
                record["ExpirationDate"] = typed.get("Date", record["Date"]) + timedelta(
                    days=record["_payment_terms"])
            if {"Subtotal", "Discount", "VATRate"} & set(typed):
                record.update(self._amounts(typed, typed.get("Subtotal", record["Subtotal"]),
                                            typed.get("Discount", record["Discount"]),
                                            typed.get("VATRate", record["VATRate"])))
                record["_lines"] = None  # the detail lines no longer add up; show one summary service line
                record["_service_lines"] = None
            if "ClientID" in typed and typed["ClientID"] in self.clients.records:
                client = self.clients.records[typed["ClientID"]]
                record.update(ClientName=client["LegalName"], RFC=client["RFC"])
            record.update(typed)
            return self._put_invoice(record, previous_number=current["Number"])

    def stamp_invoice(self, invoice_id: str) -> dict:
        """Assign a CFDI UUID (timbrado). Idempotent; Date does not change."""
        with self._lock:
            record = self._invoice(invoice_id)
            if record["Status"] == 2:
                raise ValueError(f"invoice {record['ID']} is cancelled and cannot be stamped")
            self._pending_stamps.pop(record["ID"], None)
            if record["UUID"]:
                return INVOICE_LIST_ITEM.wire(record)
            return self._put_invoice({**record, "UUID": demo.new_guid(self._rng)})

    def pay_invoice(self, invoice_id: str) -> dict:
        """Payments = Total and Status 1 (Pagada). Date does not change."""
        with self._lock:
            record = self._invoice(invoice_id)
            if record["Status"] == 2:
                raise ValueError(f"invoice {record['ID']} is cancelled and cannot be paid")
            return self._put_invoice({**record, "Payments": record["Total"], "Status": 1})

    def cancel_invoice(self, invoice_id: str) -> dict:
        """Status 2 (Cancelada). Date does not change."""
        with self._lock:
            return self._put_invoice({**self._invoice(invoice_id), "Status": 2})

    # --- sales created through POST /api/Invoices (bind-invoicing.md §9.1) --------------------------

    def configure_invoicing(self, **changes) -> dict:
        """Change invoicing switches (see ``InvoicingSettings``); returns them all."""
        with self._lock:
            self.invoicing = self.invoicing.update(changes)
            return self.invoicing.as_dict()

    def create_sale(self, new: dict) -> str:
        """A bound ``NewInvoice`` (``invoicing.bind_new_invoice``) -> the new sale's id.

        Business checks raise ``SaleRefused``. Nothing is stored unless every check passed. No
        de-duplication: the same body twice makes two sales, as on Bind.
        """
        with self._lock:
            settings = self.invoicing
            client = self._known(self.clients, "ClientID", new.get("ClientID"))
            currency = self._known(self.currencies, "CurrencyID", new.get("CurrencyID"))
            location = self._known(self.locations, "LocationID", new.get("LocationID"))
            warehouse = self._known(self.warehouses, "WarehouseID", new.get("WarehouseID"))
            self._known(self.price_lists, "PriceListID", new.get("PriceListID"))
            if (settings.warehouse_location_check and warehouse["LocationID"] != location["ID"]
                    and not warehouse["AvailableInOtherLoc"]):
                raise SaleRefused(f"WarehouseID {warehouse['ID']} does not belong to LocationID {location['ID']}")
            use = new.get("CFDIUse", 0)
            if not 0 <= use < len(settings.cfdi_uses):
                raise SaleRefused(f"CFDIUse {use} is not valid")
            date = new.get("InvoiceDate")
            if date is None or date.year < 1900:
                raise SaleRefused(f"InvoiceDate {date.isoformat() if date else None} is not valid")
            products = new.get("Products") or []
            services = new.get("Services") or []
            if not products and not services:
                raise SaleRefused("The sale has no products or services.")
            vat_rate = new.get("VATRate", 0.0)
            product_lines, service_lines = [], []
            subtotal = vat = cost = 0.0
            for index, line in enumerate(products):
                where = f"Products[{index}]"
                product = self._known(self.products, f"{where}.ID", line.get("ID"))
                qty, price = self._qty_price(where, line)
                rate = 0.0 if line.get("VATExempt") else line.get("VAT", vat_rate)
                amount = money(qty * price)
                subtotal += amount
                vat += money(amount * rate)
                cost += qty * product["Cost"]
                product_lines.append({
                    "ID": demo.new_guid(self._rng), "ProductID": product["ID"], "Name": product["Title"],
                    "IndexNumber": line.get("IndexNumber", index), "Code": product["Code"], "Unit": product["Unit"],
                    "UnitMultiplier": 1.0, "Qty": qty, "Price": price, "VATRate": rate,
                    "IEPSRate": line.get("IEPS", 0.0), "Discount": 0.0, "Comments": line.get("Comments") or "",
                    "LotInfo": None})
            for index, line in enumerate(services):
                where = f"Services[{index}]"
                service = self._known(self.services, f"{where}.ID", line.get("ID"))
                qty, price = self._qty_price(where, line)
                rate = 0.0 if line.get("VATExempt") else line.get("VAT", vat_rate)
                amount = money(qty * price)
                subtotal += amount
                vat += money(amount * rate)
                variable = line.get("VariableConcept", service["VariableConcept"])
                service_lines.append({
                    "ID": demo.new_guid(self._rng), "IndexNumber": line.get("IndexNumber", index),
                    "ServiceID": service["ID"], "Name": line["Title"] if variable else service["Title"],
                    "Code": service["Code"], "Qty": qty, "Price": price, "VATRate": rate, "Discount": 0.0})
            serie = (new.get("Serie") or "").strip() or settings.default_serie
            if not any(s["Serie"] == serie for s in self._series):
                raise SaleRefused(f"Serie {serie} not found")
            fiscal = bool(new.get("IsFiscalInvoice", False))
            if fiscal and settings.stamping == "fail" and settings.fail_as == "error":
                raise SaleRefused(settings.fail_message)
            number = new.get("Number") or 0
            if not (settings.honour_number and number > 0):
                number = self._next_number()
            subtotal, discount = money(subtotal), money(new.get("DiscountAmount", 0.0))
            vat_ret = money(subtotal * new.get("VATRetRate", 0.0))
            isr_ret = money(subtotal * new.get("ISRRetRate", 0.0))
            credit_days = new.get("CreditDays", 0)
            date = sql_datetime(date)
            sale_id = demo.new_guid(self._rng)
            record = {
                "ID": sale_id, "Serie": serie, "Date": date, "Number": number, "UUID": None,
                "ExpirationDate": date + timedelta(days=credit_days), "ClientID": client["ID"],
                "ClientName": client["LegalName"], "RFC": client["RFC"], "Cost": money(cost),
                "Subtotal": subtotal, "Discount": discount, "VAT": money(vat), "IEPS": 0.0, "ISRRet": isr_ret,
                "VATRet": vat_ret, "Total": money(subtotal - discount + vat - vat_ret - isr_ret),
                "Payments": money(sum(p.get("Amount", 0.0) for p in new.get("Payments") or [])),
                "CreditNotes": 0.0, "CurrencyID": currency["ID"], "LocationID": location["ID"],
                "WarehouseID": warehouse["ID"], "PriceListID": new["PriceListID"], "CFDIUse": use,
                "ExchangeRate": new.get("ExchangeRate") or currency["ExchangeRate"],
                "VATRetRate": new.get("VATRetRate", 0.0), "Comments": new.get("Comments"), "VATRate": vat_rate,
                "PurchaseOrder": new.get("PurchaseOrder"), "IsFiscalInvoice": fiscal,
                "ShowIEPS": bool(new.get("ShowIEPS", False)), "Status": 0,
                "_payment_terms": credit_days, "_cfdi_method": "PUE" if credit_days == 0 else "PPD",
                "_cfdi_term": "03" if credit_days == 0 else "99", "_lines": product_lines,
                "_service_lines": service_lines, "_reference": new.get("Reference"), "_created_by_api": True,
            }
            self._put_invoice(record)
            if fiscal:
                if settings.stamping == "sync":
                    self._stamp_pending(sale_id, pending=False)
                elif settings.stamping == "deferred":
                    self._pending_stamps[sale_id] = {"reads": 0, "since": time.monotonic()}
            return sale_id

    def pending_stamps(self) -> list[str]:
        """Ids of sales waiting for a deferred stamp."""
        with self._lock:
            self._stamp_due()
            return list(self._pending_stamps)

    def client_details(self, client_id: str) -> dict | None:
        """``GET /api/Clients/{id}``: ``ClientDetails`` with Bind's misspelt ``Loctaion``/``LoctaionID``."""
        with self._lock:
            client = self.clients.records.get(client_id.lower())
            if client is None:
                return None
            location = client.get("LocationID")
            wire = CLIENT_DETAILS.wire({
                "ID": client["ID"], "RFC": client["RFC"], "LegalName": client["LegalName"],
                "CommercialName": client["ClientName"], "CreditDays": 30, "CreditAmount": 0.0,
                "PaymentMethod": "Transferencia", "CreationDate": datetime(2023, 3, 1, 10, 0), "Status": "Activo",
                "SalesContact": client.get("_contact"), "CreditContact": None,
                "Loctaion": demo.LOCATIONS.get(location), "LoctaionID": location, "Comments": "",
                "PriceList": demo.PRICE_LISTS[demo.DEFAULT_PRICE_LIST], "PriceListID": demo.DEFAULT_PRICE_LIST,
                "PaymentTermType": "Crédito", "Email": client["Email"], "Telephones": client["Phone"],
                "Number": client["Number"], "AccountNumber": None, "DefaultDiscount": 0.0, "ClientSource": None,
                "Account": None, "City": None, "State": None})
            wire["Addresses"] = [{"Address": client["_address"]}] if client.get("_address") else []
            return wire

    def series(self, doc_type: int | None) -> list[dict]:
        """``GET /api/Series?docType=``: a bare array."""
        with self._lock:
            current = max(self._numbers, default=0)
            return [{**series, "CurrentNumber": current, "Date": "2024-01-01T00:00:00",
                     "Locations": [{"ID": lid, "Name": name} for lid, name in demo.LOCATIONS.items()]}
                    for series in self._series if doc_type is None or series["DocType"] == doc_type]

    def add_service(self, **fields) -> dict:
        """A new service (concepto de venta): ``Code``, ``Title``, ``SATCode`` (text, e.g. "01010101"),
        ``SATUnit`` (text, e.g. "E48"), ``VariableConcept``; ``ID`` optional."""
        with self._lock:
            unknown = sorted(set(fields) - {"ID", "Code", "Title", "SATCode", "SATUnit", "VariableConcept"})
            if unknown:
                raise ValueError(f"unknown service field(s): {', '.join(unknown)}")
            service_id = normalize_guid(fields.get("ID")) or demo.new_guid(self._rng)
            if service_id in self.services.records:
                raise ValueError(f"service {service_id} already exists")
            sat_code = str(fields.get("SATCode", "01010101"))
            if not (sat_code.isdigit() and len(sat_code) == 8):
                raise ValueError(f"service SATCode must be 8 digits, not {sat_code!r}")
            sat_unit = str(fields.get("SATUnit", "E48"))
            if sat_unit not in demo.SAT_UNITS:
                demo.SAT_UNITS.append(sat_unit)
            title = fields.get("Title") or f"Servicio {len(self.services.records) + 1}"
            record = demo.service_record(service_id, fields.get("Code") or f"SRV-{len(self.services.records) + 1}",
                                         title, sat_code, sat_unit, coerce(fields.get("VariableConcept", True), BOOL,
                                                                           "service field VariableConcept"),
                                         sql_datetime(to_naive_cdmx(self.clock())))
            self.services.put(record)
            return SERVICE.wire(record)

    def _known(self, collection: Collection, what: str, record_id) -> dict:
        record = collection.records.get(record_id) if record_id and record_id != ZERO_GUID else None
        if record is None:
            raise SaleRefused(f"{what} {record_id} not found")
        return record

    @staticmethod
    def _qty_price(where: str, line: dict) -> tuple[float, float]:
        qty, price = line.get("Qty", 0.0), line.get("Price", 0.0)
        if qty <= 0:  # [G] Bind's business rule for a zero or negative quantity is not documented
            raise SaleRefused(f"{where}.Qty must be greater than 0, not {qty}")
        if price < 0:  # [G]
            raise SaleRefused(f"{where}.Price must not be negative, not {price}")
        return qty, price

    def _stamp_is_due(self, pending: dict) -> bool:
        settings = self.invoicing
        if settings.stamp_after_reads and pending["reads"] >= settings.stamp_after_reads:
            return True
        return bool(settings.stamp_after_seconds
                    and time.monotonic() - pending["since"] >= settings.stamp_after_seconds)

    def _stamp_due(self) -> None:
        for sale_id, pending in list(self._pending_stamps.items()):
            if self._stamp_is_due(pending):
                self._stamp_pending(sale_id)

    def _stamp_pending(self, sale_id: str, pending: bool = True) -> dict:
        self._pending_stamps.pop(sale_id, None)
        record = self.invoices.records[sale_id]
        if record["UUID"] or record["Status"] == 2:
            return record
        record = {**record, "UUID": demo.new_guid(self._rng)}
        self._put_invoice(record)
        return record

    def generate_invoices(self, count: int, start: datetime | str | None = None,
                          end: datetime | str | None = None) -> dict:
        """``count`` more invoices dated in [start, end) (default: the 30 days before now), deterministic
        for the state's seed and the number of earlier generate calls. Meant for benchmarks (20,000 is fine).
        """
        with self._lock:
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_GENERATE:
                raise ValueError(f"count must be an integer from 0 to {MAX_GENERATE}, not {count!r}")
            end_at = to_naive_cdmx(end) if end else to_naive_cdmx(self.clock())
            start_at = to_naive_cdmx(start) if start else end_at - timedelta(days=30)
            if start_at >= end_at:
                raise ValueError(f"start {start_at.isoformat()} must be before end {end_at.isoformat()}")
            if not self.clients.records:
                self._public_client()
            first = self._next_number()
            made = demo_invoices.make_invoices(self._generation_rng("invoices"), count, start_at, end_at, first,
                                      self._clients_public_first(), list(self.products.records.values()),
                                      self._warehouse_list())
            for invoice in made:
                self._put_invoice(invoice)
            return {"created": count, "first_number": first if count else None,
                    "last_number": first + count - 1 if count else None}

    # --- products, stock, warehouses, clients ---------------------------------------------------

    def add_product(self, *, stock: dict[str, float] | None = None, **fields) -> dict:
        """A new product (``Price`` is its list price); ``stock`` maps warehouse id -> quantity."""
        with self._lock:
            if "CurrentInventory" in fields:
                raise ValueError("product field CurrentInventory is the sum of the stock; use stock/set_stock")
            typed = _typed(fields, PRODUCT, _PRODUCT_EXTRA, "product")
            number = max((p["Number"] for p in self.products.records.values()), default=0) + 1
            product_id = typed.pop("ID", None) or demo.new_guid(self._rng)
            if product_id in self.products.records:
                raise ValueError(f"product {product_id} already exists")
            for warehouse_id in stock or {}:
                self._warehouse(warehouse_id)
            cost = typed.get("Cost", 100.0)
            title = typed.get("Title", f"Producto {number}")
            record = {
                "ID": product_id, "Code": f"PRD-{number:05d}", "Title": title, "Description": title,
                "CreationDate": sql_datetime(to_naive_cdmx(self.clock())), "Cost": cost, "SKU": "",
                "Comments": "", "CostType": 2, "CostTypeText": "Promedio", "Category1ID": None,
                "Category2ID": None, "Category3ID": None, "CurrentInventory": 0.0, "ChargeVAT": True,
                "Number": number, "PricingType": 0, "ImageUrl": None, "PricingTypeText": "Listas", "Unit": "PIEZA",
                "CurrencyID": demo.MXN_ID, "CurrencyCode": "MXN", "PurchaseType": 0,
                "PurchaseTypeText": "Regular", "IEPSRate": 0.0, "Type": 0, "TypeText": "Producto Terminado",
                "ProductionAuto": False, "Volume": 0.0, "Weight": 0.0,
                "_price": typed.pop("Price", money(cost * 1.4)),
            }
            record.update(typed)
            entries = {normalize_guid(wid): _stock_entry(coerce(qty, DOUBLE, f"stock for warehouse {wid}") or 0.0)
                       for wid, qty in (stock or {}).items()}
            self._insert_products([(record, entries)])
            return PRODUCT.wire(self.products.records[product_id])

    def generate_products(self, count: int) -> dict:
        """``count`` more products, each stocked in every warehouse; deterministic like generate_invoices."""
        with self._lock:
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_GENERATE:
                raise ValueError(f"count must be an integer from 0 to {MAX_GENERATE}, not {count!r}")
            first = max((p["Number"] for p in self.products.records.values()), default=0) + 1
            made = demo_products.make_products(self._generation_rng("products"), count, first,
                                      to_naive_cdmx(self.clock()), self._ordered_warehouse_ids())
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

    def add_client(self, **fields) -> dict:
        """A new client; RFC defaults to a valid-looking persona moral RFC for its name."""
        with self._lock:
            typed = _typed(fields, CLIENT_LIST_ITEM, _CLIENT_EXTRA, "client")
            client_id = typed.pop("ID", None) or demo.new_guid(self._rng)
            if client_id in self.clients.records:
                raise ValueError(f"client {client_id} already exists")
            number = max((c["Number"] for c in self.clients.records.values()), default=1000) + 1
            name = typed.get("ClientName") or f"Cliente {number}"
            legal = typed.get("LegalName") or name
            record = {"ID": client_id, "Number": number, "ClientName": name, "LegalName": legal,
                      "RFC": demo_clients.company_rfc(self._rng, legal), "Email": None, "Phone": None,
                      "NextContactDate": None, "LocationID": None, "RegimenFiscal": "601",
                      "_address": typed.pop("Address", None), "_contact": typed.pop("Contact", None)}
            record.update(typed)
            self.clients.put(record)
            return CLIENT_LIST_ITEM.wire(record)

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

    # --- internals ------------------------------------------------------------------------------

    def _generation_rng(self, what: str) -> random.Random:
        self._generation += 1
        return random.Random(f"bind-generate:{self.seed}:{what}:{self._generation}")

    @staticmethod
    def _amounts(typed: dict, subtotal: float, discount: float, vat_rate: float) -> dict:
        amounts = demo_invoices.invoice_amounts(subtotal=subtotal, discount=discount, vat_rate=vat_rate,
                                       ieps=typed.get("IEPS", 0.0), vat_ret=typed.get("VATRet", 0.0),
                                       isr_ret=typed.get("ISRRet", 0.0))
        if "VAT" in typed and "Total" not in typed:  # an explicit VAT still adds up into Total
            amounts["Total"] = money(amounts["Subtotal"] - amounts["Discount"] + typed["VAT"] + amounts["IEPS"]
                                     - amounts["VATRet"] - amounts["ISRRet"])
        return amounts

    def _put_invoice(self, record: dict, previous_number: int | None = None) -> dict:
        if previous_number is not None and previous_number != record["Number"]:
            ids = self._numbers.get(previous_number, [])
            if record["ID"] in ids:
                ids.remove(record["ID"])
        ids = self._numbers.setdefault(record["Number"], [])
        if record["ID"] not in ids:
            ids.append(record["ID"])
        self.invoices.put(record)
        return INVOICE_LIST_ITEM.wire(record)

    def _next_number(self) -> int:
        return max(self._numbers, default=1000) + 1

    def _invoice(self, invoice_id: str) -> dict:
        record = self.invoices.records.get(str(invoice_id).lower())
        if record is None:
            raise UnknownRecord(f"invoice {invoice_id} not found")
        return record

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

    def _public_client(self) -> dict:
        for client in self.clients.records.values():
            if client["RFC"] == demo.PUBLIC_RFC:
                return client
        number = max((c["Number"] for c in self.clients.records.values()), default=1000) + 1
        client = demo_clients.public_client(demo.new_guid(self._rng), number)
        self.clients.put(client)
        return client

    def _clients_public_first(self) -> list[dict]:
        public = [c for c in self.clients.records.values() if c["RFC"] == demo.PUBLIC_RFC][:1]
        return public + [c for c in self.clients.records.values() if c not in public]

    def _client_for(self, typed: dict) -> dict:
        client_id = typed.get("ClientID")
        if client_id is None:
            return self._public_client()
        client = self.clients.records.get(client_id)
        if client is None:  # an id Bind would know but the emulator does not: keep what the caller gave
            return {"ID": client_id, "LegalName": typed.get("ClientName", ""), "RFC": typed.get("RFC", "")}
        return client

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
            self._inventory[warehouse_id].put({
                "Balance": entry["qty"] - entry["client_ordered"], "ClientOrdered": entry["client_ordered"],
                "CurrentInventory": entry["qty"], "ID": product_id, "Location": entry["location"],
                "ProvidedOrdered": entry["provided_ordered"], "SKU": product["SKU"], "Title": product["Title"],
                "Value": money(entry["qty"] * product["Cost"]), "Code": product["Code"], "ProductID": product_id,
                "Visible": entry["visible"]})
        if product["CurrentInventory"] != total:
            self.products.put({**product, "CurrentInventory": total})
