"""Which sheet a process writes: ProcessConfig's sheet id (the store applies the environment fallback)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from smartbind_pipelines.core.sheets.settle import JOURNAL_FILE
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.sync.process import SyncProcess


@dataclass(frozen=True)
class SheetTarget:
    sheet_id: int
    sheet_name: str
    journal_path: str | None = None  # in-flight add batches (core/sheets/settle.py), beside ProcessConfig

    @property
    def label(self) -> str:
        return f"{self.sheet_name!r} ({self.sheet_id})" if self.sheet_name else str(self.sheet_id)

    def metadata(self) -> dict[str, Any]:
        return {"sheet_id": str(self.sheet_id), "sheet_name": self.sheet_name}


def resolve_sheet(process_config: ProcessConfigResource, process: SyncProcess) -> SheetTarget:
    """The target sheet read now, so a sheet changed in ProcessConfig applies to the next run."""
    config = process_config.store().get(process.job_id)
    sheet_id = config.sheet_id_int if config else None
    if sheet_id is None:
        raise dg.Failure(
            description=(
                f"{process.job_id} has no Smartsheet sheet: set smartsheet_sheet_id with "
                f"`smartbind config set {process.job_id} --sheet-id <id>` or the "
                f"{process.sheet_id_env} environment variable"
            ),
            allow_retries=False,
        )
    return SheetTarget(sheet_id, config.smartsheet_sheet_name, journal_path=str(
        Path(process_config.db_path).resolve().parent / JOURNAL_FILE))
