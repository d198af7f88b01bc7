"""Generated demo products of a building-supplies business, each stocked in every warehouse."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from smartbind_pipelines.sandbox.bind.demo import CATEGORY_BY_NAME, MXN_ID, new_guid
from smartbind_pipelines.sandbox.bind.schema import money, sql_datetime

# (title, code prefix, unit, category, cost range MXN, variants)
_PRODUCT_LINES = [
    ("Cemento gris", "CEM", "SACO", "Construcción", (180, 260), ["CPC 30R 50 kg", "CPC 40 50 kg", "25 kg"]),
    ("Varilla corrugada", "VAR", "PIEZA", "Construcción", (95, 420), ['3/8" 12 m', '1/2" 12 m', '5/8" 12 m']),
    ("Block de concreto", "BLK", "PIEZA", "Construcción", (11, 19), ["12x20x40", "15x20x40", "20x20x40"]),
    ("Arena de río", "ARE", "M3", "Construcción", (380, 520), ["cribada", "fina"]),
    ("Grava triturada", "GRA", "M3", "Construcción", (420, 560), ['3/4"', '1 1/2"']),
    ("Malla electrosoldada", "MAL", "ROLLO", "Construcción", (1450, 2300), ["6x6-10/10", "6x6-8/8"]),
    ("Tornillo hexagonal galvanizado", "TOR", "CAJA", "Ferretería", (85, 640), ['1/4" x 1"', '3/8" x 2"', '1/2" x 3"']),
    ("Clavo estándar", "CLA", "KG", "Ferretería", (32, 48), ['2"', '2 1/2"', '4"']),
    ("Alambre recocido", "ALA", "KG", "Ferretería", (34, 45), ["calibre 16", "calibre 18"]),
    ("Guante de carnaza", "GUA", "PAR", "Ferretería", (38, 95), ["corto", "largo", "reforzado"]),
    ("Silicón transparente", "SIL", "PIEZA", "Ferretería", (55, 120), ["280 ml", "300 ml"]),
    ("Cable THW", "CAB", "METRO", "Eléctrico", (9, 38), ["calibre 12 negro", "calibre 10 rojo", "calibre 14 blanco"]),
    ("Contacto dúplex polarizado", "CON", "PIEZA", "Eléctrico", (28, 75), ["blanco", "marfil"]),
    ("Foco LED", "LED", "PIEZA", "Eléctrico", (22, 110), ["9 W luz cálida", "12 W luz día", "18 W"]),
    ("Cinta de aislar", "CIN", "PIEZA", "Eléctrico", (12, 30), ["negra 19 mm", "roja 19 mm"]),
    ("Tubo PVC hidráulico", "PVC", "PIEZA", "Plomería", (65, 480), ['1/2" 6 m', '3/4" 6 m', '2" 6 m']),
    ("Codo de cobre 90°", "COD", "PIEZA", "Plomería", (14, 85), ['1/2"', '3/4"', '1"']),
    ("Llave de paso de latón", "LLA", "PIEZA", "Plomería", (95, 360), ['1/2"', '3/4"']),
    ("Pintura vinílica", "PIN", "CUBETA", "Pinturas", (640, 1890), ["blanco 19 L", "marfil 19 L", "gris 4 L"]),
    ("Impermeabilizante acrílico", "IMP", "CUBETA", "Pinturas", (890, 2450), ["rojo óxido 19 L", "blanco 19 L"]),
    ("Brocha de cerda natural", "BRO", "PIEZA", "Pinturas", (25, 140), ['2"', '3"', '4"']),
    ("Flete", "FLE", "SERVICIO", "Servicios", (250, 1800), ["local", "foráneo"]),
]


def _stock_entry(rng: random.Random) -> dict:
    draw = rng.random()
    if draw < 0.15:
        qty = 0.0
    elif draw < 0.18:  # Bind allows selling below zero (contract §3.6 shows -10)
        qty = float(-rng.randint(1, 10))
    else:
        qty = float(rng.randint(1, 500))
    return {
        "qty": qty,
        "client_ordered": float(rng.randint(1, 20)) if rng.random() < 0.1 else 0.0,
        "provided_ordered": float(rng.randint(5, 100)) if rng.random() < 0.1 else 0.0,
        "location": f"Pasillo {rng.randint(1, 12)}-{rng.choice('ABCDE')}" if rng.random() < 0.7 else "",
        "visible": rng.random() < 0.95,
        "min": 0.0,
        "max": 0.0,
    }


def product_record(
    *,
    id: str,
    code: str,
    title: str,
    description: str | None,
    created: str,
    cost: float,
    sku: str,
    category_id: str | None,
    charge_vat: bool,
    number: int,
    unit: str,
    price: float,
) -> dict:
    """A stored Bind product: the given fields, the rest as Bind fills them for a plain finished product in MXN
    (no stock yet: ``CurrentInventory`` follows the stock entries). ``price`` is its list price."""
    return {
        "ID": id,
        "Code": code,
        "Title": title,
        "Description": description,
        "CreationDate": created,
        "Cost": cost,
        "SKU": sku,
        "Comments": "",
        "CostType": 2,
        "CostTypeText": "Promedio",
        "Category1ID": category_id,
        "Category2ID": None,
        "Category3ID": None,
        "CurrentInventory": 0.0,
        "ChargeVAT": charge_vat,
        "Number": number,
        "PricingType": 0,
        "ImageUrl": None,
        "PricingTypeText": "Listas",
        "Unit": unit,
        "CurrencyID": MXN_ID,
        "CurrencyCode": "MXN",
        "PurchaseType": 0,
        "PurchaseTypeText": "Regular",
        "IEPSRate": 0.0,
        "Type": 0,
        "TypeText": "Producto Terminado",
        "ProductionAuto": False,
        "Volume": 0.0,
        "Weight": 0.0,
        "_price": price,
    }


def make_products(
    rng: random.Random, count: int, first_number: int, now: datetime, warehouse_ids: list[str]
) -> list[tuple[dict, dict[str, dict]]]:
    """``count`` products, each with a stock entry in every warehouse (some zero, a few negative)."""
    made = []
    for offset in range(count):
        number = first_number + offset
        title, prefix, unit, category, (low, high), variants = _PRODUCT_LINES[number % len(_PRODUCT_LINES)]
        full_title = f"{title} {rng.choice(variants)}"
        cost = money(rng.uniform(low, high))
        created = sql_datetime(now - timedelta(days=rng.uniform(20, 900)))
        product = product_record(
            id=new_guid(rng),
            code=f"{prefix}-{number:05d}",
            title=full_title,
            description=full_title if rng.random() < 0.8 else None,
            created=created,
            cost=cost,
            sku=f"750{rng.randrange(10**9, 10**10)}" if rng.random() < 0.5 else "",
            category_id=CATEGORY_BY_NAME[category],
            charge_vat=category != "Servicios" or rng.random() < 0.5,
            number=number,
            unit=unit,
            price=money(cost * rng.uniform(1.25, 1.8)),
        )
        made.append((product, {wid: _stock_entry(rng) for wid in warehouse_ids}))
    return made
