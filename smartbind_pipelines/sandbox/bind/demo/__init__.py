"""The Bind demo account's fixed catalog, and the deterministic GUIDs its generated data uses.

Fixed catalog ids (currencies, locations, warehouses, price lists, categories, services, series and the
invoicing clients) never change, so docs, tests and the sandbox's exported ``BIND_WAREHOUSE_ID`` can name
them. The generated records (``demo.clients``, ``demo.products``, ``demo.invoices``) come from a
``random.Random`` the caller seeds, so the same seed (and ``now``) gives the same records byte for byte.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime

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
LOCATION_IDS = list(LOCATIONS)

WAREHOUSE_GENERAL = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a01"
WAREHOUSE_MONTERREY = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c02"
WAREHOUSE_GUADALAJARA = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d03"
WAREHOUSES = [
    {"ID": WAREHOUSE_GENERAL, "Name": "Almacén General", "LocationID": LOCATION_IDS[0], "AvailableInOtherLoc": True},
    {
        "ID": WAREHOUSE_MONTERREY,
        "Name": "Almacén Monterrey",
        "LocationID": LOCATION_IDS[1],
        "AvailableInOtherLoc": False,
    },
    {
        "ID": WAREHOUSE_GUADALAJARA,
        "Name": "Almacén Guadalajara",
        "LocationID": LOCATION_IDS[2],
        "AvailableInOtherLoc": False,
    },
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
CATEGORY_BY_NAME = {name: cid for cid, name in CATEGORIES.items()}

SELLER = {"ID": "d4e5f6a7-b8c9-4dae-8f01-23456789abcd", "Name": "Ana Sofía Hernández Ruiz"}
PUBLIC_RFC = "XAXX010101000"


def new_guid(rng: random.Random) -> str:
    """A version-4 GUID drawn from ``rng``: the same seed gives the same ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


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
    {
        "ID": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01",
        "Serie": "FAC",
        "StartNumber": 1,
        "DocType": SALES_DOC_TYPE,
        "DocTypeText": "Venta",
    },
    {
        "ID": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02",
        "Serie": "AWAFAC",
        "StartNumber": 1,
        "DocType": SALES_DOC_TYPE,
        "DocTypeText": "Venta",
    },
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
    return [
        {
            "ID": cid,
            "Number": first_number + offset,
            "ClientName": name,
            "LegalName": legal,
            "RFC": rfc,
            "Email": "facturas@example.com.mx",
            "Phone": None,
            "NextContactDate": None,
            "LocationID": LOCATION_IDS[0],
            "RegimenFiscal": regime,
            "_address": "Av. Reforma 222, Col. Juárez, 06600",
            "_contact": "Compras",
        }
        for offset, (cid, name, legal, rfc, regime) in enumerate(INVOICING_CLIENTS)
    ]


def service_record(
    service_id: str, code: str, title: str, sat_code: str, sat_unit: str, variable: bool, created: datetime
) -> dict:
    return {
        "ID": service_id,
        "Code": code,
        "Title": title,
        "Description": title,
        "CreationDate": created,
        "Category1ID": CATEGORY_BY_NAME["Servicios"],
        "Category2ID": None,
        "Category3ID": None,
        "ChargeVAT": True,
        "PricingType": 0,
        "PricingTypeText": "Listas",
        "Unit": "SERVICIO",
        "CurrencyID": MXN_ID,
        "CurrencyCode": "MXN",
        "VariableConcept": variable,
        "SATCode": int(sat_code),
        "SATUnit": SAT_UNITS.index(sat_unit) if sat_unit in SAT_UNITS else None,
        "_sat_code": sat_code,
        "_sat_unit": sat_unit,
    }
