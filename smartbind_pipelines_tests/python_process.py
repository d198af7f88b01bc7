"""A pull process defined in Python, added as a developer adds one: its registry entry (``PROCESS``, whose
``defs_module`` names this module) and this module's ``defs``, built by the shared builder. Used by
test_definitions.py to show that nothing else is needed for the code location to carry it."""

from __future__ import annotations

from typing import Any

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.processes.model import Process
from smartbind_pipelines.core.sheets import ColumnSpec, SheetMapping
from smartbind_pipelines.defs.pull.builder import PullHooks, Step, build_pull_defs

MAPPING = SheetMapping(
    key=("Código",), columns=(ColumnSpec("Código"), ColumnSpec("Nombre"), ColumnSpec("Tipo de cambio", "number", 4))
)
PROCESS = Process(
    job_id="sync_currencies",
    name="Sincronización de Monedas",
    description="Las monedas de Bind ERP en una hoja.",
    direction="pull",
    mapping=MAPPING,
    sheet_name="Monedas",
    sheet_id_env="SMARTSHEET_CURRENCIES_SHEET_ID",
    interval_minutes=1440,
    group="currencies",
    source_asset="bind_currencies",
    sheet_asset="smartsheet_currencies",
    defs_module=__name__,
)


def read_currencies(step: Step) -> tuple[SourceBatch, dict[str, Any]]:
    client = step.resources.bind.client()
    try:
        rows = client.get_all("Currencies", {})
    finally:
        client.close()
    records = [{"Código": row["Code"], "Nombre": row["Name"], "Tipo de cambio": row["ExchangeRate"]} for row in rows]
    return SourceBatch(
        records=records, fetched=len(rows), run_id=step.context.run.run_id, requests=dict(client.request_counts)
    ), {}


defs = build_pull_defs(
    PROCESS,
    PullHooks(
        source_description="Bind's currencies.",
        sheet_description="The currencies sheet.",
        job_description="Reads Bind's currencies and upserts them by Código.",
        read=read_currencies,
    ),
).definitions()
