"""invoice_from_sheet's shipped ProcessConfig row: push (Smartsheet -> Bind), paused until an operator activates it.

It is one of ``core.process_config.defaults.default_processes`` (seeded with a new ProcessConfig file,
known to ``smartbind config restore``); a file created before this process existed gets the row the first
time the process is used (defs/invoicing/process.py ``effective_config``).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from smartbind_pipelines.core.invoicing.columns import ALL_COLUMNS, JOB_ID

logger = logging.getLogger(__name__)

# A JSON object of row fields to seed with instead of the defaults (``is_active``, ``interval_minutes``,
# ``fields_mapping`` merged into the default one). Read only when the row is seeded, never over a stored row.
# `make dev`'s sandbox sets it to seed the process active with the demo's settings; production sets nothing.
SEED_ENV = "SMARTBIND_INVOICING_SEED"
_SEEDABLE = ("is_active", "interval_minutes", "fields_mapping", "smartsheet_sheet_name")


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
    kinds = {"is_active": bool, "interval_minutes": int, "fields_mapping": dict, "smartsheet_sheet_name": str}
    out = {}
    for key in _SEEDABLE:
        if key not in value:
            continue
        if type(value[key]) is not kinds[key] or (key == "interval_minutes" and not 1 <= value[key] <= 1440):
            logger.warning("ignoring %s key %s: %r is not a valid value", SEED_ENV, key, value[key])
            continue
        out[key] = value[key]
    return out


def process_defaults(env: Mapping[str, str]) -> dict[str, Any]:
    from smartbind_pipelines.core.process_config.defaults import fallback_sheet_id

    row = {
        "job_id": JOB_ID,
        "name": "Facturación desde Smartsheet",
        "description": ("Crea en Bind ERP una factura (CFDI) por cada fila de la hoja marcada \"Facturar\", una sola "
                        "vez, y escribe en la fila el UUID, el folio y la fecha, o el error."),
        "smartsheet_sheet_id": fallback_sheet_id(JOB_ID, env),
        "smartsheet_sheet_name": "Facturación",
        "interval_minutes": 1,
        "is_active": False,  # an operator activates it once the settings are filled in and the doctor passes
        "source_system": "smartsheet",
        "target_system": "bind",
        "sync_direction": "push",
        "fields_mapping": {"smartsheet_columns": list(ALL_COLUMNS)},
    }
    overrides = seed_overrides(env)
    if isinstance(overrides.get("fields_mapping"), dict):
        overrides["fields_mapping"] = {**row["fields_mapping"], **overrides["fields_mapping"]}
    return {**row, **overrides}
