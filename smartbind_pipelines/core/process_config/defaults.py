"""Where the ProcessConfig file lives, and the rows a new file is seeded with.

The seed's note "Fallback: si no hay configuración en BD, se usan variables de entorno" becomes: when a
process row is missing, or its sheet id is empty, the sheet id comes from the process's environment
variable (``Process.sheet_id_env``, core/processes).
"""

from __future__ import annotations

from typing import Any, Mapping

DEFAULT_DB_PATH = "data/processes.db"
DB_PATH_ENV = "SMARTBIND_DB_PATH"


def default_db_path(env: Mapping[str, str]) -> str:
    return env.get(DB_PATH_ENV) or DEFAULT_DB_PATH


def default_processes(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The built-in processes' rows (the seed's two and invoice_from_sheet, paused), inserted when a new file is
    created (never over an existing row). Declared processes seed their row on first use (``effective_config``)."""
    # Imported here: the registry loads the mappings, which `smartbind config` and the store's users rarely need.
    from smartbind_pipelines.core.processes.builtin import BUILT_IN

    return [process.default_row(env) for process in BUILT_IN]
