"""The sandbox's invoicing sheet (issue 17): demo rows an operator marks "Facturar", and the settings that
make invoice_from_sheet active in the sandbox only.

The rows name clients and services of the Bind demo (sandbox/bind/demo/__init__.py): three valid requests and one a
person got wrong (Cantidad 0), all "Pendiente" until someone sets Estado "Facturar". The sandbox exports
``SMARTBIND_INVOICING_SEED`` (core/processes/invoicing.py), so the ProcessConfig row is seeded active with
the demo's warehouse, price list and services; production sets no such variable and the row stays paused.
"""

from __future__ import annotations

import json

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.processes.invoicing import SEED_ENV
from smartbind_pipelines.sandbox.bind import demo

SHEET_NAME = "Facturación"

SETTINGS = {
    "warehouse_id": demo.WAREHOUSE_GENERAL,
    "price_list_id": demo.DEFAULT_PRICE_LIST,
    "services": {
        "72101500/E48": demo.SERVICE_MANTENIMIENTO,
        "78101802/E48": demo.SERVICE_FLETE,
        "72151500/ACT": demo.SERVICE_INSTALACION,
    },
    "stamp_wait_seconds": 5,
}


def _row(**cells) -> dict:
    base = {
        C.RFC: demo.RFC_UNICO,
        C.RAZON_SOCIAL: "Cliente Único",
        C.CONCEPTO: "Mantenimiento preventivo",
        C.CANTIDAD: 1,
        C.PRECIO: 1500,
        C.CLAVE_PRODUCTO: "72101500",
        C.CLAVE_UNIDAD: "E48",
        C.METODO_PAGO: "PUE",
        C.FORMA_PAGO: "03",
        C.USO_CFDI: "G03",
        C.ESTADO: C.PENDIENTE,
    }
    base.update(cells)
    return base


DEMO_ROWS = (
    _row(),
    _row(
        **{
            C.CONCEPTO: "Flete local Monterrey",
            C.CANTIDAD: 2,
            C.PRECIO: 850,
            C.CLAVE_PRODUCTO: "78101802",
            C.FORMA_PAGO: "99",
            C.METODO_PAGO: "PPD",
        }
    ),
    _row(
        **{
            C.RFC: demo.RFC_PERSONA,
            C.RAZON_SOCIAL: "Persona Física",
            C.CONCEPTO: "Instalación de equipo",
            C.CANTIDAD: 1,
            C.PRECIO: 4200,
            C.CLAVE_PRODUCTO: "72151500",
            C.CLAVE_UNIDAD: "ACT",
            C.USO_CFDI: "G03",
        }
    ),
    _row(**{C.CONCEPTO: "Mantenimiento correctivo (cantidad por capturar)", C.CANTIDAD: 0}),  # refused: Cantidad
)


def demo_row_bodies(columns: list[dict]) -> list[dict]:
    """DEMO_ROWS as an add-rows body for a sheet whose ``columns`` (the API's rendering) were just created."""
    ids = {column["title"]: column["id"] for column in columns}
    return [
        {"toBottom": True, "cells": [{"columnId": ids[title], "value": value} for title, value in row.items()]}
        for row in DEMO_ROWS
    ]


def seed_env() -> dict[str, str]:
    """The variable that seeds invoice_from_sheet active, with the demo's settings, in the sandbox."""
    return {SEED_ENV: json.dumps({"is_active": True, "fields_mapping": SETTINGS}, separators=(",", ":"))}
