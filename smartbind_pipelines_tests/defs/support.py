"""What every Dagster-layer harness needs: resources aimed at the emulators, and a process's sheet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartbind_pipelines.core.cdmx import to_cdmx
from smartbind_pipelines.core.sheets import SheetMapping, sheet_columns
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource, SmartsheetResource


def emulator_resources(bind, smartsheet, process_config: ProcessConfigResource,
                       now: datetime | None = None) -> dict[str, Any]:
    """Resources for the running emulators, with retries that wait milliseconds, and a frozen clock."""
    return {
        "bind": BindResource(api_key=bind.token, base_url=bind.url, max_attempts=6,
                             backoff_base_seconds=0.001, backoff_max_seconds=0.01),
        "smartsheet": SmartsheetResource(access_token=smartsheet.token, api_base=smartsheet.url,
                                         fixed_retry_delay_seconds=0.01),
        "process_config": process_config,
        "clock": ClockResource(frozen_at=to_cdmx(now).isoformat() if now else None),
    }


def mapping_columns(mapping: SheetMapping, **overrides: dict) -> list[dict]:
    """The mapping's columns as POST /sheets wants them; ``overrides`` changes one column by title."""
    return [{**column, **overrides.get(column["title"], {})} for column in sheet_columns(mapping)]


def create_process_sheet(smartsheet, process_config: ProcessConfigResource, job_id: str, name: str,
                         columns: list[dict]) -> int:
    """A sheet in the Smartsheet emulator, named in the process's ProcessConfig row."""
    sheet_id = smartsheet.state.create_sheet(name, columns)["id"]
    process_config.store().update(
        job_id, {"smartsheet_sheet_id": str(sheet_id), "smartsheet_sheet_name": name}, via="test")
    return sheet_id
