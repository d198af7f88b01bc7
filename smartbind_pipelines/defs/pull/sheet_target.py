"""Which sheet a pull process writes, and where its add batches in flight are journaled: one path for every
process (built-in or declared), so a run started after a killed one waits for that run's batch to land."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from smartbind_pipelines.core.processes import Process
from smartbind_pipelines.core.sheets.settle import JOURNAL_FILE
from smartbind_pipelines.defs.process_config import ProcessConfigResource


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


def resolve_sheet(process_config: ProcessConfigResource, process: Process) -> SheetTarget:
    """The target sheet read now, so a sheet changed in ProcessConfig applies to the next run. The row is
    seeded from the registry on first use (a declared process before its sensor ran); the sheet id falls back
    to the process's environment variable; add batches are journaled in sheet_writes.db beside ProcessConfig."""
    job_id = process.job_id
    config = process.effective_config(process_config.store(), os.environ)
    if config is None:
        raise dg.Failure(
            description=f"{job_id}: its ProcessConfig row was deleted; "
            f"`smartbind config restore {job_id}` re-creates it (paused)",
            allow_retries=False,
        )
    if config.sheet_id_int is None:
        raise dg.Failure(
            description=(
                f"{job_id} has no Smartsheet sheet: run `smartbind sheets create {job_id}` or set "
                f"{process.sheet_id_env}, or `smartbind config set {job_id} --sheet-id <id>`"
            ),
            allow_retries=False,
        )
    return SheetTarget(
        config.sheet_id_int,
        config.smartsheet_sheet_name,
        journal_path=str(Path(process_config.db_path).resolve().parent / JOURNAL_FILE),
    )
