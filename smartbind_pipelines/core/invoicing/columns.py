"""The invoicing sheet: its columns (Spanish titles, as the old middleware's sheet has them) and row states.

Input columns are the old sheet's (old-middleware-api.md §6.1); ``Código Producto`` is new and optional
(a Bind product by its code instead of a catalogue service). Output columns are the old ones plus
``ID Bind`` (the sale's Bind id, known as soon as Bind answers the POST) and ``Reclamo`` (the claim id
written before the POST; see docs/invoicing-from-sheet.md).
"""

from __future__ import annotations

from smartbind_pipelines.core.sheets.mapping import ColumnSpec, SheetMapping

RFC = "RFC"
RAZON_SOCIAL = "Razon Social"
CONCEPTO = "Concepto"
DESCRIPCION = "Descripcion"
CANTIDAD = "Cantidad"
PRECIO = "Precio Unitario"
CLAVE_PRODUCTO = "Clave SAT Producto"
CLAVE_UNIDAD = "Clave SAT Unidad"
CODIGO_PRODUCTO = "Código Producto"
METODO_PAGO = "Metodo Pago"
FORMA_PAGO = "Forma Pago"
USO_CFDI = "Uso CFDI"
REGIMEN = "Regimen Fiscal"
CODIGO_POSTAL = "Codigo Postal"
ESTADO = "Estado"
UUID = "UUID"
FOLIO = "Folio Fiscal"
FECHA = "Fecha Facturacion"
RESULTADO = "Resultado"
ID_BIND = "ID Bind"
RECLAMO = "Reclamo"

INPUT_COLUMNS = (
    RFC,
    RAZON_SOCIAL,
    CONCEPTO,
    DESCRIPCION,
    CANTIDAD,
    PRECIO,
    CLAVE_PRODUCTO,
    CLAVE_UNIDAD,
    CODIGO_PRODUCTO,
    METODO_PAGO,
    FORMA_PAGO,
    USO_CFDI,
    REGIMEN,
    CODIGO_POSTAL,
    ESTADO,
)
OUTPUT_COLUMNS = (UUID, FOLIO, FECHA, RESULTADO, ID_BIND, RECLAMO)
ALL_COLUMNS = INPUT_COLUMNS + OUTPUT_COLUMNS
# The old middleware's required non-empty columns; "Clave SAT Producto"/"Clave SAT Unidad" are not
# required when "Código Producto" names a Bind product (the SAT keys then live on the product record).
REQUIRED = (RFC, CONCEPTO, CANTIDAD, PRECIO, METODO_PAGO, FORMA_PAGO, USO_CFDI)

# Row states (the Estado picklist).
PENDIENTE = "Pendiente"
FACTURAR = "Facturar"  # set by a person: "invoice this row"
FACTURANDO = "Facturando"  # claimed by a run; written and confirmed before the POST
FACTURADO = "Facturado"
ERROR = "Error"
STATES = (PENDIENTE, FACTURAR, FACTURANDO, FACTURADO, ERROR)
WAITING = (FACTURAR, FACTURANDO)  # rows a run must look at

# The sheet `smartbind sheets create invoice_from_sheet` makes, and the doctor checks. The key (RFC, the
# old sheet's primary column) only orders the columns: rows are identified by their Smartsheet row id.
REQUEST_MAPPING = SheetMapping(
    key=(RFC,),
    columns=tuple(
        ColumnSpec(title, "number" if title in (CANTIDAD, PRECIO) else "text", decimals=6 if title == CANTIDAD else 2)
        for title in ALL_COLUMNS
    ),
)
