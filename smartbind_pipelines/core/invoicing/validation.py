"""A sheet row checked against what Bind's NewInvoice takes, before anything is sent.

The old middleware's input rules are kept where its columns still mean something (RFC format,
Cantidad > 0, Precio Unitario >= 0, Metodo Pago PUE/PPD, Forma Pago, Uso CFDI); what Bind needs and the
old request never sent (a catalogue line, Bind's integer ``CFDIUse``) is checked here too. Every error
is Spanish and names its column, as it is written on the row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.settings import InvoicingSettings
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET

# SAT t_RFC (contract §8): 3 letters (persona moral) or 4 (persona física), a real-looking date, homoclave.
RFC_PATTERN = re.compile(r"^[A-ZÑ&]{3,4}[0-9]{2}(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$")
CLAVE_PRODUCTO_PATTERN = re.compile(r"^\d{8}$")
CLAVE_UNIDAD_PATTERN = re.compile(r"^[A-Z0-9]{2,3}$")
METODOS_PAGO = ("PUE", "PPD")
FORMAS_PAGO = (
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "08",
    "12",
    "13",
    "14",
    "15",
    "17",
    "23",
    "24",
    "25",
    "26",
    "27",
    "28",
    "29",
    "30",
    "31",
    "99",
)
USOS_CFDI = (
    "G01",
    "G02",
    "G03",
    *(f"I0{n}" for n in range(1, 9)),
    *(f"D{n:02d}" for n in range(1, 11)),
    "S01",
    "CP01",
    "CN01",
)  # CFDI 4.0 (P01 dropped)
MAX_TITLE_CHARS = 1000
MAX_QUANTITY = Decimal("1e9")
MAX_PRICE = Decimal("1e12")


@dataclass(frozen=True)
class InvoiceRequest:
    """A valid row: what one invoice is made of."""

    row_id: int
    rfc: str
    title: str
    quantity: float
    price: float
    metodo_pago: str
    forma_pago: str
    uso_cfdi: str
    cfdi_use: int
    payment_term: int | None
    service_id: str  # "" when the line is a product
    product_code: str  # "" when the line is a service
    regimen: str
    codigo_postal: str


@dataclass(frozen=True)
class RowError:
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


def _text(cells: Mapping[str, Any], title: str) -> str:
    value = cells.get(title)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # "Forma Pago" 3 typed as a number reads back as 3.0
    return str(value).strip()


def _amount(cells: Mapping[str, Any], title: str, errors: list[RowError]) -> Decimal | None:
    raw = cells.get(title)
    if isinstance(raw, bool):
        errors.append(RowError(title, f"{raw!r} no es un número"))
        return None
    text = _text(cells, title).replace("$", "").replace(",", "").replace(" ", "")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        errors.append(RowError(title, f"{_text(cells, title)[:40]!r} no es un número"))
        return None
    if not number.is_finite():
        errors.append(RowError(title, f"{_text(cells, title)[:40]!r} no es un número"))
        return None
    return number


def _two_digits(text: str) -> str:
    return text.zfill(2) if text.isdigit() and len(text) == 1 else text


def validate_row(row_id: int, cells: Mapping[str, Any], settings: InvoicingSettings) -> InvoiceRequest | list[RowError]:
    """The row as an InvoiceRequest, or every problem found (column by column, in sheet order)."""
    errors: list[RowError] = []
    for title in C.REQUIRED:
        if not _text(cells, title):
            errors.append(RowError(title, "falta el valor (columna obligatoria)"))
    missing = {e.column for e in errors}

    rfc = _text(cells, C.RFC).upper().replace(" ", "")
    if rfc and not RFC_PATTERN.match(rfc):
        errors.append(
            RowError(
                C.RFC,
                f"{rfc[:20]!r} no tiene el formato de un RFC (3 o 4 letras, fecha AAMMDD y homoclave de 3 caracteres)",
            )
        )

    concepto, descripcion = _text(cells, C.CONCEPTO), _text(cells, C.DESCRIPCION)
    title = f"{concepto} - {descripcion}" if descripcion else concepto
    if len(title) > MAX_TITLE_CHARS:
        errors.append(
            RowError(
                C.CONCEPTO if len(concepto) > MAX_TITLE_CHARS else C.DESCRIPCION,
                f"Concepto y Descripcion suman {len(title)} caracteres; el máximo es {MAX_TITLE_CHARS}",
            )
        )

    quantity = price = None
    if C.CANTIDAD not in missing:
        quantity = _amount(cells, C.CANTIDAD, errors)
        if quantity is not None and quantity <= 0:
            errors.append(RowError(C.CANTIDAD, f"debe ser mayor que 0 (dice {_text(cells, C.CANTIDAD)})"))
        elif quantity is not None and quantity > MAX_QUANTITY:
            errors.append(RowError(C.CANTIDAD, f"{_text(cells, C.CANTIDAD)[:40]} es demasiado grande"))
    if C.PRECIO not in missing:
        price = _amount(cells, C.PRECIO, errors)
        if price is not None and price < 0:
            errors.append(RowError(C.PRECIO, f"no puede ser negativo (dice {_text(cells, C.PRECIO)})"))
        elif price is not None and price > MAX_PRICE:
            errors.append(RowError(C.PRECIO, f"{_text(cells, C.PRECIO)[:40]} es demasiado grande"))

    product_code = _text(cells, C.CODIGO_PRODUCTO)
    clave = _text(cells, C.CLAVE_PRODUCTO)
    unidad = _text(cells, C.CLAVE_UNIDAD).upper()
    service_id = ""
    if not product_code:
        if not clave:
            errors.append(RowError(C.CLAVE_PRODUCTO, "falta el valor (obligatoria si no hay Código Producto)"))
        elif not CLAVE_PRODUCTO_PATTERN.match(clave):
            errors.append(RowError(C.CLAVE_PRODUCTO, f"{clave[:20]!r} debe tener 8 dígitos (catálogo c_ClaveProdServ)"))
        if not unidad:
            errors.append(RowError(C.CLAVE_UNIDAD, "falta el valor (obligatoria si no hay Código Producto)"))
        elif not CLAVE_UNIDAD_PATTERN.match(unidad):
            errors.append(
                RowError(C.CLAVE_UNIDAD, f"{unidad[:20]!r} debe tener 2 o 3 letras o dígitos (c_ClaveUnidad)")
            )
        if clave and unidad and not any(e.column in (C.CLAVE_PRODUCTO, C.CLAVE_UNIDAD) for e in errors):
            service_id = settings.services.get(f"{clave}/{unidad}") or settings.default_service_id
            if not service_id:
                errors.append(
                    RowError(
                        C.CLAVE_PRODUCTO,
                        f"no hay un servicio de Bind configurado para {clave}/{unidad} "
                        f"(fields_mapping.services de {INVOICE_FROM_SHEET.job_id})",
                    )
                )

    metodo = _text(cells, C.METODO_PAGO).upper()
    if metodo and metodo not in METODOS_PAGO:
        errors.append(RowError(C.METODO_PAGO, f"{metodo[:20]!r} debe ser PUE o PPD"))
    forma = _two_digits(_text(cells, C.FORMA_PAGO))
    if forma and forma not in FORMAS_PAGO:
        errors.append(RowError(C.FORMA_PAGO, f"{forma[:20]!r} no está en el catálogo c_FormaPago del SAT"))
    elif metodo == "PPD" and forma and forma != "99":
        errors.append(RowError(C.FORMA_PAGO, f"con Metodo Pago PPD debe ser 99 (por definir), no {forma}"))
    payment_term = None
    if settings.payment_term_codes and metodo and forma:
        payment_term = settings.payment_term_codes.get(f"{metodo}/{forma}", settings.payment_term_codes.get(forma))
        if payment_term is None:
            errors.append(
                RowError(
                    C.FORMA_PAGO,
                    f"{metodo}/{forma} no tiene código de Bind configurado (fields_mapping.payment_term_codes)",
                )
            )

    uso = _text(cells, C.USO_CFDI).upper()
    cfdi_use = None
    if uso and uso not in USOS_CFDI:
        errors.append(
            RowError(C.USO_CFDI, f"{uso[:20]!r} no es un uso de CFDI 4.0 (G01-G03, I01-I08, D01-D10, S01, CP01, CN01)")
        )
    elif uso:
        cfdi_use = settings.cfdi_use_codes.get(uso)
        if cfdi_use is None:
            errors.append(
                RowError(C.USO_CFDI, f"{uso} no tiene código de Bind configurado (fields_mapping.cfdi_use_codes)")
            )

    regimen = _text(cells, C.REGIMEN)
    if regimen and not re.fullmatch(r"\d{3}", regimen):
        errors.append(RowError(C.REGIMEN, f"{regimen[:20]!r} debe tener 3 dígitos (c_RegimenFiscal)"))
    cp = _text(cells, C.CODIGO_POSTAL)
    if cp.isdigit() and len(cp) == 4:
        cp = cp.zfill(5)  # a CP typed as a number loses its leading zero (06600 -> 6600)
    if cp and not re.fullmatch(r"\d{5}", cp):
        errors.append(RowError(C.CODIGO_POSTAL, f"{cp[:20]!r} debe tener 5 dígitos"))

    if errors:
        order = {title: index for index, title in enumerate(C.ALL_COLUMNS)}
        return sorted(errors, key=lambda e: order.get(e.column, len(order)))
    return InvoiceRequest(
        row_id=row_id,
        rfc=rfc,
        title=title,
        quantity=float(quantity),
        price=float(price),
        metodo_pago=metodo,
        forma_pago=forma,
        uso_cfdi=uso,
        cfdi_use=int(cfdi_use),
        payment_term=payment_term,
        service_id=service_id,
        product_code=product_code,
        regimen=regimen,
        codigo_postal=cp,
    )


def errors_text(errors: list[RowError], limit: int = 500) -> str:
    """Errors as one line for the Resultado cell, bounded like the old middleware's (500 characters)."""
    text = "; ".join(str(e) for e in errors)
    return text if len(text) <= limit else text[: limit - 1] + "…"
