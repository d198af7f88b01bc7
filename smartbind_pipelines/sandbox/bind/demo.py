"""Deterministic, realistic Mexican demo data for the Bind emulator.

Everything comes from a ``random.Random`` the caller seeds, so the same seed (and ``now``) gives the same
records byte for byte. Fixed catalog ids (currencies, locations, warehouses, price lists) never change,
so docs, tests and the sandbox's exported ``BIND_WAREHOUSE_ID`` can name them.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from datetime import datetime, timedelta

from smartbind_pipelines.sandbox.bind.schema import money, sql_datetime

MXN_ID = "b7e2c065-bd52-40ca-b508-3accdd538860"  # the MXN id seen in many real accounts (contract §2.3)
USD_ID = "9f3d8c1a-6b2e-4f7a-9c5d-2e8b1a4f6c30"
CURRENCIES = [
    {"ID": MXN_ID, "Name": "Peso Mexicano", "Code": "MXN", "ExchangeRate": 1.0},
    {"ID": USD_ID, "Name": "Dólar Americano", "Code": "USD", "ExchangeRate": 17.2345},
]

LOCATIONS = {
    "3c0d6a52-8f1e-4b7a-a2c4-5e9f0b1d7a11": "Matriz Ciudad de México",
    "7b4e2f90-1a3c-4d5e-8f6a-9b0c1d2e3f22": "Sucursal Monterrey",
    "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e33": "Sucursal Guadalajara",
}
_LOCATION_IDS = list(LOCATIONS)

WAREHOUSE_GENERAL = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a01"
WAREHOUSE_MONTERREY = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c02"
WAREHOUSE_GUADALAJARA = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d03"
WAREHOUSES = [
    {"ID": WAREHOUSE_GENERAL, "Name": "Almacén General", "LocationID": _LOCATION_IDS[0],
     "AvailableInOtherLoc": True},
    {"ID": WAREHOUSE_MONTERREY, "Name": "Almacén Monterrey", "LocationID": _LOCATION_IDS[1],
     "AvailableInOtherLoc": False},
    {"ID": WAREHOUSE_GUADALAJARA, "Name": "Almacén Guadalajara", "LocationID": _LOCATION_IDS[2],
     "AvailableInOtherLoc": False},
]

PRICE_LISTS = {
    "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e91": "Precio Público",
    "6e7f8091-ab2c-4d3e-9f40-5b6c7d8e9fa2": "Mayoreo",
}
DEFAULT_PRICE_LIST = next(iter(PRICE_LISTS))

CATEGORIES = {
    "a1000000-0000-4000-8000-000000000001": "Construcción",
    "a1000000-0000-4000-8000-000000000002": "Ferretería",
    "a1000000-0000-4000-8000-000000000003": "Eléctrico",
    "a1000000-0000-4000-8000-000000000004": "Plomería",
    "a1000000-0000-4000-8000-000000000005": "Pinturas",
    "a1000000-0000-4000-8000-000000000006": "Servicios",
}
_CATEGORY_BY_NAME = {name: cid for cid, name in CATEGORIES.items()}

SELLER = {"ID": "d4e5f6a7-b8c9-4dae-8f01-23456789abcd", "Name": "Ana Sofía Hernández Ruiz"}
PUBLIC_RFC = "XAXX010101000"

# (title, code prefix, unit, category, cost range MXN, variants)
_PRODUCT_LINES = [
    ("Cemento gris", "CEM", "SACO", "Construcción", (180, 260), ["CPC 30R 50 kg", "CPC 40 50 kg", "25 kg"]),
    ("Varilla corrugada", "VAR", "PIEZA", "Construcción", (95, 420), ['3/8" 12 m', '1/2" 12 m', '5/8" 12 m']),
    ("Block de concreto", "BLK", "PIEZA", "Construcción", (11, 19), ["12x20x40", "15x20x40", "20x20x40"]),
    ("Arena de río", "ARE", "M3", "Construcción", (380, 520), ["cribada", "fina"]),
    ("Grava triturada", "GRA", "M3", "Construcción", (420, 560), ['3/4"', '1 1/2"']),
    ("Malla electrosoldada", "MAL", "ROLLO", "Construcción", (1450, 2300), ["6x6-10/10", "6x6-8/8"]),
    ("Tornillo hexagonal galvanizado", "TOR", "CAJA", "Ferretería", (85, 640), ['1/4" x 1"', '3/8" x 2"',
                                                                                  '1/2" x 3"']),
    ("Clavo estándar", "CLA", "KG", "Ferretería", (32, 48), ['2"', '2 1/2"', '4"']),
    ("Alambre recocido", "ALA", "KG", "Ferretería", (34, 45), ["calibre 16", "calibre 18"]),
    ("Guante de carnaza", "GUA", "PAR", "Ferretería", (38, 95), ["corto", "largo", "reforzado"]),
    ("Silicón transparente", "SIL", "PIEZA", "Ferretería", (55, 120), ["280 ml", "300 ml"]),
    ("Cable THW", "CAB", "METRO", "Eléctrico", (9, 38), ["calibre 12 negro", "calibre 10 rojo",
                                                         "calibre 14 blanco"]),
    ("Contacto dúplex polarizado", "CON", "PIEZA", "Eléctrico", (28, 75), ["blanco", "marfil"]),
    ("Foco LED", "LED", "PIEZA", "Eléctrico", (22, 110), ["9 W luz cálida", "12 W luz día", "18 W"]),
    ("Cinta de aislar", "CIN", "PIEZA", "Eléctrico", (12, 30), ["negra 19 mm", "roja 19 mm"]),
    ("Tubo PVC hidráulico", "PVC", "PIEZA", "Plomería", (65, 480), ['1/2" 6 m', '3/4" 6 m', '2" 6 m']),
    ("Codo de cobre 90°", "COD", "PIEZA", "Plomería", (14, 85), ['1/2"', '3/4"', '1"']),
    ("Llave de paso de latón", "LLA", "PIEZA", "Plomería", (95, 360), ['1/2"', '3/4"']),
    ("Pintura vinílica", "PIN", "CUBETA", "Pinturas", (640, 1890), ["blanco 19 L", "marfil 19 L", "gris 4 L"]),
    ("Impermeabilizante acrílico", "IMP", "CUBETA", "Pinturas", (890, 2450), ["rojo óxido 19 L",
                                                                              "blanco 19 L"]),
    ("Brocha de cerda natural", "BRO", "PIEZA", "Pinturas", (25, 140), ['2"', '3"', '4"']),
    ("Flete", "FLE", "SERVICIO", "Servicios", (250, 1800), ["local", "foráneo"]),
]

_COMPANY_CLIENTS = [
    ("Distribuidora Ñandú", "Distribuidora Ñandú S.A. de C.V."),
    ("Comercializadora Peñoles del Bajío S.A. de C.V.", "Comercializadora Peñoles del Bajío S.A. de C.V."),
]
_COMPANY_PREFIXES = ["Constructora", "Ferretería", "Materiales", "Grupo", "Servicios Industriales",
                     "Comercializadora", "Distribuidora", "Desarrollos Inmobiliarios", "Acabados"]
_COMPANY_CORES = ["del Río Lerma", "Tepeyac", "Los Álamos", "Cañada Honda", "Peña Blanca", "San José Iturbide",
                  "Querétaro Norte", "Añil", "El Ocotal", "Acámbaro", "Güemes", "La Piedad", "Zuñiga",
                  "Montaña Azul", "Tlaquepaque", "Cuautitlán", "Santa Lucía", "Mazatlán", "Xochimilco"]
_COMPANY_SUFFIXES = ["S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V.", "S.C."]
_FIRST_NAMES = ["José Ángel", "María Fernanda", "Jesús", "Guadalupe", "Óscar", "Inés", "Raúl", "Begoña",
                "Joaquín", "Sofía", "Martín", "Verónica", "Andrés", "Mónica"]
_SURNAMES = ["Muñoz", "Ibáñez", "Hernández", "Peña", "Gómez", "Núñez", "Téllez", "Ramírez", "Suárez",
             "Castañeda", "López", "Ordóñez", "Martínez", "Durán"]
_STOP_WORDS = {"DE", "DEL", "LA", "LAS", "LOS", "Y", "S.A.", "C.V.", "S.", "R.L.", "S.A.P.I.", "S.C.", "EL"}
_COMMENTS = ["Entrega en obra", "Pago contra entrega", "Favor de referenciar el folio en su pago",
             "Material sujeto a disponibilidad", "Cliente recoge en sucursal"]


def new_guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ascii_upper(text: str) -> str:
    """RFC letters are ASCII: accents are dropped and Ñ becomes X, as SAT does."""
    text = text.upper().replace("Ñ", "X")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _homoclave(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ123456789") for _ in range(2)) + rng.choice("A0123456789")


def _rfc_date(rng: random.Random, first_year: int, last_year: int) -> str:
    day = datetime(first_year, 1, 1) + timedelta(days=rng.randrange((last_year - first_year) * 365))
    return day.strftime("%y%m%d")


def company_rfc(rng: random.Random, legal_name: str) -> str:
    """Persona moral: 3 letters from the name's initials + YYMMDD + 3-character homoclave."""
    words = [w for w in ascii_upper(legal_name).replace(",", " ").split() if w not in _STOP_WORDS]
    letters = "".join(w[0] for w in words if w[0].isalpha())[:3].ljust(3, "X")
    return letters + _rfc_date(rng, 1985, 2021) + _homoclave(rng)


def person_rfc(rng: random.Random, first: str, paternal: str, maternal: str) -> str:
    """Persona física: 4 letters (paternal initial + its first inner vowel, maternal, given) + date + homoclave."""
    p = ascii_upper(paternal)
    vowel = next((c for c in p[1:] if c in "AEIOU"), "X")
    letters = p[0] + vowel + ascii_upper(maternal)[0] + ascii_upper(first)[0]
    return letters + _rfc_date(rng, 1955, 2000) + _homoclave(rng)


def _email(rng: random.Random, name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    slug = "".join(c for c in plain if c.isalnum())[:14] or "cliente"
    return f"{rng.choice(['facturas', 'compras', 'contabilidad', 'pagos'])}@{slug}.com.mx"


def public_client(client_id: str, number: int) -> dict:
    return {"ID": client_id, "Number": number, "ClientName": "PÚBLICO EN GENERAL",
            "LegalName": "PÚBLICO EN GENERAL", "RFC": PUBLIC_RFC, "Email": None, "Phone": None,
            "NextContactDate": None, "LocationID": None, "RegimenFiscal": "616",
            "_address": None, "_contact": None}


def make_clients(rng: random.Random, count: int, first_number: int = 1001) -> list[dict]:
    """``count`` clients: público en general first, then the two named companies, then generated ones."""
    clients = [public_client(new_guid(rng), first_number)]
    names = list(_COMPANY_CLIENTS)
    while len(names) < count - 1:
        if rng.random() < 0.7:
            short = f"{rng.choice(_COMPANY_PREFIXES)} {rng.choice(_COMPANY_CORES)}"
            names.append((short, f"{short} {rng.choice(_COMPANY_SUFFIXES)}"))
        else:
            full = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"
            names.append((full, full))
    for position, (short, legal) in enumerate(names[: max(0, count - 1)]):
        is_company = legal != short or short in dict(_COMPANY_CLIENTS)
        shouting = position >= len(_COMPANY_CLIENTS) and rng.random() < 0.4  # many real names are all caps
        if is_company:
            rfc, regime = company_rfc(rng, legal), "601"
        else:
            *first, paternal, maternal = short.split()
            rfc, regime = person_rfc(rng, " ".join(first), paternal, maternal), "612"
        clients.append({
            "ID": new_guid(rng), "Number": first_number + len(clients),
            "ClientName": short.upper() if shouting else short, "LegalName": legal.upper() if shouting else legal, "RFC": rfc, "Email": _email(rng, short),
            "Phone": f"{rng.choice(['55', '81', '33', '442', '477'])}{rng.randrange(10**7, 10**8)}"[:10]
            if rng.random() < 0.6 else None,
            "NextContactDate": None, "LocationID": rng.choice(_LOCATION_IDS + [None]),
            "RegimenFiscal": regime if rng.random() < 0.8 else None,
            "_address": f"Av. {rng.choice(_COMPANY_CORES)} {rng.randint(1, 2400)}, Col. Centro",
            "_contact": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}",
        })
    return clients


def _stock_entry(rng: random.Random) -> dict:
    draw = rng.random()
    if draw < 0.15:
        qty = 0.0
    elif draw < 0.18:  # Bind allows selling below zero (contract §3.6 shows -10)
        qty = float(-rng.randint(1, 10))
    else:
        qty = float(rng.randint(1, 500))
    return {"qty": qty, "client_ordered": float(rng.randint(1, 20)) if rng.random() < 0.1 else 0.0,
            "provided_ordered": float(rng.randint(5, 100)) if rng.random() < 0.1 else 0.0,
            "location": f"Pasillo {rng.randint(1, 12)}-{rng.choice('ABCDE')}" if rng.random() < 0.7 else "",
            "visible": rng.random() < 0.95, "min": 0.0, "max": 0.0}


def make_products(rng: random.Random, count: int, first_number: int, now: datetime,
                  warehouse_ids: list[str]) -> list[tuple[dict, dict[str, dict]]]:
    """``count`` products, each with a stock entry in every warehouse (some zero, a few negative)."""
    made = []
    for offset in range(count):
        number = first_number + offset
        title, prefix, unit, category, (low, high), variants = _PRODUCT_LINES[number % len(_PRODUCT_LINES)]
        full_title = f"{title} {rng.choice(variants)}"
        cost = money(rng.uniform(low, high))
        created = sql_datetime(now - timedelta(days=rng.uniform(20, 900)))
        product = {
            "ID": new_guid(rng), "Code": f"{prefix}-{number:05d}", "Title": full_title,
            "Description": full_title if rng.random() < 0.8 else None, "CreationDate": created, "Cost": cost,
            "SKU": f"750{rng.randrange(10**9, 10**10)}" if rng.random() < 0.5 else "", "Comments": "",
            "CostType": 2, "CostTypeText": "Promedio", "Category1ID": _CATEGORY_BY_NAME[category],
            "Category2ID": None, "Category3ID": None, "CurrentInventory": 0.0,
            "ChargeVAT": category != "Servicios" or rng.random() < 0.5, "Number": number, "PricingType": 0,
            "ImageUrl": None, "PricingTypeText": "Listas", "Unit": unit, "CurrencyID": MXN_ID,
            "CurrencyCode": "MXN", "PurchaseType": 0, "PurchaseTypeText": "Regular", "IEPSRate": 0.0,
            "Type": 0, "TypeText": "Producto Terminado", "ProductionAuto": False, "Volume": 0.0, "Weight": 0.0,
            "_price": money(cost * rng.uniform(1.25, 1.8)),
        }
        made.append((product, {wid: _stock_entry(rng) for wid in warehouse_ids}))
    return made


def _moments(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    span = max((end - start).total_seconds(), 1.0)
    moments = []
    for _ in range(count):
        moment = sql_datetime(start + timedelta(seconds=rng.random() * span))
        moments.append(min(moment, sql_datetime(end - timedelta(milliseconds=5))))
    return sorted(moments)


def make_invoices(rng: random.Random, count: int, start: datetime, end: datetime, first_number: int,
                  clients: list[dict], products: list[dict], warehouses: list[dict]) -> list[dict]:
    """Invoices dated between ``start`` and ``end`` (naive CDMX), folios ascending with the date.

    Status mix: ~6% unstamped drafts (Status 0, UUID null), ~8% cancelled, ~38% paid, the rest stamped
    and open (a quarter of them partly paid). With 4+ invoices every kind appears at least once.
    """
    kinds = [_pick_kind(rng) for _ in range(count)]
    if count >= 4:
        for index, kind in zip(rng.sample(range(count), 4), ("draft", "open", "paid", "cancelled")):
            kinds[index] = kind
    usd = next(c for c in CURRENCIES if c["ID"] == USD_ID)
    invoices = []
    for offset, (moment, kind) in enumerate(zip(_moments(rng, count, start, end), kinds)):
        client = clients[0] if rng.random() < 0.15 or len(clients) == 1 else rng.choice(clients[1:])
        in_usd = rng.random() < 0.05
        rate = round(usd["ExchangeRate"] + rng.uniform(-0.4, 0.4), 4) if in_usd else 1.0
        warehouse = rng.choice(warehouses)
        lines, subtotal, cost = [], 0.0, 0.0
        for index, product in enumerate(rng.sample(products, min(len(products), rng.randint(1, 4)))):
            qty = float(rng.randint(1, 40))
            price = money(product["_price"] / rate)
            lines.append({"ID": new_guid(rng), "ProductID": product["ID"], "Name": product["Title"],
                          "IndexNumber": index + 1, "Code": product["Code"], "Unit": product["Unit"],
                          "UnitMultiplier": 1.0, "Qty": qty, "Price": price, "VATRate": 0.16, "IEPSRate": 0.0,
                          "Discount": 0.0, "Comments": "", "LotInfo": None})
            subtotal += qty * price
            cost += qty * product["Cost"] / rate
        if not lines:
            subtotal = money(rng.uniform(500, 50_000) / rate)
        terms = rng.choice([0, 15, 30, 60])
        invoice = invoice_amounts(subtotal=money(subtotal), discount=0.0, vat_rate=0.16)
        invoice.update({
            "ID": new_guid(rng), "Serie": "FAC" if rng.random() < 0.8 else "AWAFAC -", "Date": moment,
            "Number": first_number + offset, "UUID": None, "ExpirationDate": moment + timedelta(days=terms),
            "ClientID": client["ID"], "ClientName": client["LegalName"], "RFC": client["RFC"],
            "Cost": money(cost), "CurrencyID": USD_ID if in_usd else MXN_ID, "LocationID": warehouse["LocationID"],
            "WarehouseID": warehouse["ID"], "PriceListID": DEFAULT_PRICE_LIST, "CFDIUse": rng.choice([1, 2, 3]),
            "ExchangeRate": rate, "VATRetRate": 0.0,
            "Comments": rng.choice(_COMMENTS) if rng.random() < 0.2 else "",
            "PurchaseOrder": str(rng.randrange(4300000000, 4310000000)) if rng.random() < 0.4 else "",
            "IsFiscalInvoice": True, "ShowIEPS": rng.random() < 0.3, "Status": 0, "Payments": 0.0,
            "_payment_terms": terms, "_cfdi_method": "PUE" if terms == 0 else "PPD",
            "_cfdi_term": "03" if terms == 0 else "99", "_lines": lines or None,
        })
        if kind != "draft":
            invoice["UUID"] = new_guid(rng)
        if kind == "paid":
            invoice.update(Status=1, Payments=invoice["Total"])
        elif kind == "cancelled":
            invoice["Status"] = 2
        elif kind == "open" and rng.random() < 0.25:
            invoice["Payments"] = money(invoice["Total"] * rng.uniform(0.2, 0.8))
        invoices.append(invoice)
    return invoices


def _pick_kind(rng: random.Random) -> str:
    draw = rng.random()
    return "draft" if draw < 0.06 else "cancelled" if draw < 0.14 else "paid" if draw < 0.52 else "open"


def invoice_amounts(*, subtotal: float, discount: float, vat_rate: float, ieps: float = 0.0,
                    vat_ret: float = 0.0, isr_ret: float = 0.0) -> dict:
    """The amount fields of an invoice: VAT on the discounted subtotal, everything rounded to cents."""
    vat = money((subtotal - discount) * vat_rate)
    return {"Subtotal": money(subtotal), "Discount": money(discount), "VAT": vat, "IEPS": money(ieps),
            "ISRRet": money(isr_ret), "VATRet": money(vat_ret), "VATRate": vat_rate,
            "Total": money(subtotal - discount + vat + ieps - vat_ret - isr_ret), "CreditNotes": 0.0}


# --- invoicing from outside (bind-invoicing.md §9.2, §9.3) -----------------------------------------

# [G] Service.SATUnit is an integer in Bind's schema; the emulator reads it as an index into this list.
SAT_UNITS = ["H87", "E48", "ACT", "KGM", "MTR", "LTR", "XBX", "M3"]

SERVICE_MANTENIMIENTO = "5e2a9c10-7b3d-4f8e-9a61-0c4d2b7e1f01"
SERVICE_FLETE = "5e2a9c10-7b3d-4f8e-9a61-0c4d2b7e1f02"
SERVICE_INSTALACION = "5e2a9c10-7b3d-4f8e-9a61-0c4d2b7e1f03"
SERVICE_GENERICO = "5e2a9c10-7b3d-4f8e-9a61-0c4d2b7e1f04"
# (id, code, title, SAT c_ClaveProdServ as text, SAT unit, VariableConcept)
SERVICES = [
    (SERVICE_MANTENIMIENTO, "SRV-MANT", "Mantenimiento preventivo", "72101500", "E48", True),
    (SERVICE_FLETE, "SRV-FLETE", "Flete local", "78101802", "E48", False),
    (SERVICE_INSTALACION, "SRV-INST", "Instalación", "72151500", "ACT", True),
    (SERVICE_GENERICO, "SRV-GEN", "Concepto genérico", "01010101", "H87", True),
]

# Series of sales; [G] the docType of sales in /api/Series is unknown, the emulator uses 2.
SALES_DOC_TYPE = 2
SERIES = [
    {"ID": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01", "Serie": "FAC", "StartNumber": 1, "DocType": SALES_DOC_TYPE,
     "DocTypeText": "Venta"},
    {"ID": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02", "Serie": "AWAFAC", "StartNumber": 1,
     "DocType": SALES_DOC_TYPE, "DocTypeText": "Venta"},
]

# Clients with fixed ids and RFCs for invoicing tests, added after the generated ones (so the seed's other
# data is unchanged): one client for an RFC, two clients sharing an RFC, the generic RFC on more clients,
# a client without RegimenFiscal.
CLIENT_UNICO = "c0ffee00-0000-4000-8000-000000000001"
CLIENT_DUPLICADO_NORTE = "c0ffee00-0000-4000-8000-000000000002"
CLIENT_DUPLICADO_SUR = "c0ffee00-0000-4000-8000-000000000003"
CLIENT_MOSTRADOR_MTY = "c0ffee00-0000-4000-8000-000000000004"
CLIENT_MOSTRADOR_GDL = "c0ffee00-0000-4000-8000-000000000005"
CLIENT_SIN_REGIMEN = "c0ffee00-0000-4000-8000-000000000006"
CLIENT_PERSONA = "c0ffee00-0000-4000-8000-000000000007"
RFC_UNICO = "FLU990101AB1"
RFC_DUPLICADO = "GDN050505KL2"
RFC_SIN_REGIMEN = "SRE101010QW3"
RFC_PERSONA = "HEGA800101H12"
INVOICING_CLIENTS = [
    (CLIENT_UNICO, "Ferretería La Única", "Ferretería La Única S.A. de C.V.", RFC_UNICO, "601"),
    (CLIENT_DUPLICADO_NORTE, "Grupo Duna Norte", "Grupo Duna del Norte S.A. de C.V.", RFC_DUPLICADO, "601"),
    (CLIENT_DUPLICADO_SUR, "Grupo Duna Sur", "Grupo Duna del Sur S.A. de C.V.", RFC_DUPLICADO, "601"),
    (CLIENT_MOSTRADOR_MTY, "Mostrador Monterrey", "PÚBLICO EN GENERAL", PUBLIC_RFC, "616"),
    (CLIENT_MOSTRADOR_GDL, "Mostrador Guadalajara", "PÚBLICO EN GENERAL", PUBLIC_RFC, "616"),
    (CLIENT_SIN_REGIMEN, "Servicios Reforma", "Servicios Reforma S.C.", RFC_SIN_REGIMEN, None),
    (CLIENT_PERSONA, "Guadalupe Hernández Aguilar", "Guadalupe Hernández Aguilar", RFC_PERSONA, "612"),
]


def invoicing_clients(first_number: int) -> list[dict]:
    return [{"ID": cid, "Number": first_number + offset, "ClientName": name, "LegalName": legal, "RFC": rfc,
             "Email": "facturas@example.com.mx", "Phone": None, "NextContactDate": None,
             "LocationID": _LOCATION_IDS[0], "RegimenFiscal": regime,
             "_address": "Av. Reforma 222, Col. Juárez, 06600", "_contact": "Compras"}
            for offset, (cid, name, legal, rfc, regime) in enumerate(INVOICING_CLIENTS)]


def service_record(service_id: str, code: str, title: str, sat_code: str, sat_unit: str, variable: bool,
                   created: datetime) -> dict:
    return {"ID": service_id, "Code": code, "Title": title, "Description": title, "CreationDate": created,
            "Category1ID": _CATEGORY_BY_NAME["Servicios"], "Category2ID": None, "Category3ID": None,
            "ChargeVAT": True, "PricingType": 0, "PricingTypeText": "Listas", "Unit": "SERVICIO",
            "CurrencyID": MXN_ID, "CurrencyCode": "MXN", "VariableConcept": variable,
            "SATCode": int(sat_code), "SATUnit": SAT_UNITS.index(sat_unit) if sat_unit in SAT_UNITS else None,
            "_sat_code": sat_code, "_sat_unit": sat_unit}
