"""invoice_from_sheet, the push process (Smartsheet -> Bind): a row marked "Facturar" becomes one CFDI.

Shipped paused: an operator activates it once its settings are filled in and the doctor passes. Its assets:
``invoice_requests`` (the sheet's rows marked Facturar), ``bind_sheet_invoices`` (the invoices created in
Bind) and ``invoice_request_results`` (the rows written back), the last two from one step,
``invoice_from_sheet_rows``.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from smartbind_pipelines.core.invoicing.columns import ALL_COLUMNS, REQUEST_MAPPING
from smartbind_pipelines.core.processes.model import Process

logger = logging.getLogger(__name__)

# A JSON object of row fields to seed with instead of the defaults (``is_active``, ``interval_minutes``,
# ``fields_mapping`` merged into the default one). Read only when the row is seeded, never over a stored row.
# `make dev`'s sandbox sets it to seed the process active with the demo's settings; production sets nothing.
SEED_ENV = "SMARTBIND_INVOICING_SEED"
_SEEDABLE = {"is_active": bool, "interval_minutes": int, "fields_mapping": dict, "smartsheet_sheet_name": str}


def seed_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """The fields ``SMARTBIND_INVOICING_SEED`` sets; unreadable JSON or other keys are ignored, saying so."""
    text = (env.get(SEED_ENV) or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        logger.warning("ignoring %s: not JSON (%s)", SEED_ENV, exc)
        return {}
    if not isinstance(value, dict):
        logger.warning("ignoring %s: must be a JSON object", SEED_ENV)
        return {}
    ignored = sorted(set(value) - set(_SEEDABLE))
    if ignored:
        logger.warning("ignoring %s keys %s: only %s can be seeded", SEED_ENV, ignored, ", ".join(_SEEDABLE))
    # a wrong type here must not stop ProcessConfig from opening (the seed is validated with the file's creation)
    out = {}
    for key, kind in _SEEDABLE.items():
        if key not in value:
            continue
        if type(value[key]) is not kind or (key == "interval_minutes" and not 1 <= value[key] <= 1440):
            logger.warning("ignoring %s key %s: %r is not a valid value", SEED_ENV, key, value[key])
            continue
        out[key] = value[key]
    return out


INVOICE_FROM_SHEET = Process(
    job_id="invoice_from_sheet",
    name="Facturación desde Smartsheet",
    description=(
        'Crea en Bind ERP una factura (CFDI) por cada fila de la hoja marcada "Facturar", una sola '
        "vez, y escribe en la fila el UUID, el folio y la fecha, o el error."
    ),
    direction="push",
    mapping=REQUEST_MAPPING,
    sheet_name="Facturación",
    sheet_id_env="SMARTSHEET_INVOICING_SHEET_ID",
    interval_minutes=1,
    group="invoicing",
    source_asset="invoice_requests",
    sheet_asset="invoice_request_results",
    bind_asset="bind_sheet_invoices",
    write_step="invoice_from_sheet_rows",
    active_by_default=False,
    fields_mapping={"smartsheet_columns": list(ALL_COLUMNS)},
    seed_overrides=seed_overrides,
    defs_module="smartbind_pipelines.defs.invoicing",
)
