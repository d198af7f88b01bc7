"""Warehouse and product ids, and the rows, the inventory tests share."""

from smartbind_pipelines.core.sheets import ExistingRow

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
P1 = "11111111-0000-4000-8000-000000000001"
P2 = "22222222-0000-4000-8000-000000000002"


def row(product, qty, code="C-1", title="Tornillo"):
    return {"ProductID": product, "ID": product, "Code": code, "Title": title, "CurrentInventory": qty}


def existing(*cells):
    return [
        ExistingRow(
            index + 1, {"ID Producto": p, "Almacén": w, "Existencias": q, "Código": "C-1", "Nombre": "Tornillo"}
        )
        for index, (p, w, q) in enumerate(cells)
    ]
