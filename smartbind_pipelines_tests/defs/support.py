"""What every Dagster-layer harness needs: resources aimed at the emulators, a process's sheet, and one harness
(``ProcessSync``) that runs any pull process's real job against the emulators on a test Dagster instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg

from smartbind_pipelines.core.cdmx import to_cdmx
from smartbind_pipelines.core.sheets import SheetMapping, sheet_columns
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource, SmartsheetResource


def emulator_resources(
    bind, smartsheet, process_config: ProcessConfigResource, now: datetime | None = None
) -> dict[str, Any]:
    """Resources for the running emulators, with retries that wait milliseconds, and a frozen clock."""
    return {
        "bind": BindResource(
            api_key=bind.token, base_url=bind.url, max_attempts=6, backoff_base_seconds=0.001, backoff_max_seconds=0.01
        ),
        "smartsheet": SmartsheetResource(
            access_token=smartsheet.token, api_base=smartsheet.url, fixed_retry_delay_seconds=0.01
        ),
        "process_config": process_config,
        "clock": ClockResource(frozen_at=to_cdmx(now).isoformat() if now else None),
    }


def mapping_columns(mapping: SheetMapping, **overrides: dict) -> list[dict]:
    """The mapping's columns as POST /sheets wants them; ``overrides`` changes one column by title."""
    return [{**column, **overrides.get(column["title"], {})} for column in sheet_columns(mapping)]


def create_process_sheet(
    smartsheet, process_config: ProcessConfigResource, job_id: str, name: str, columns: list[dict]
) -> int:
    """A sheet in the Smartsheet emulator, named in the process's ProcessConfig row."""
    sheet_id = smartsheet.state.create_sheet(name, columns)["id"]
    process_config.store().update(
        job_id, {"smartsheet_sheet_id": str(sheet_id), "smartsheet_sheet_name": name}, via="test"
    )
    return sheet_id


WRITE_METHODS = ("POST", "PUT", "DELETE")


@dataclass
class ProcessSync:
    """Runs a pull process's real job against the emulators; a process's harness names its job, assets, sheet
    and Definitions (the module's own, bound to the emulators as a deployment binds them to env vars)."""

    bind: Any  # RunningEmulator
    smartsheet: Any
    process_config: ProcessConfigResource
    instance: dg.DagsterInstance
    sheet_id: int = 0

    job_id: ClassVar[str] = ""
    source_asset: ClassVar[str] = ""
    sheet_asset: ClassVar[str] = ""
    mapping: ClassVar[SheetMapping | None] = None
    sheet_name: ClassVar[str] = ""

    def process_definitions(self) -> dg.Definitions:
        raise NotImplementedError

    def resources(self, now: datetime | None = None) -> dict[str, Any]:
        return emulator_resources(self.bind, self.smartsheet, self.process_config, now)

    def definitions(self, now: datetime | None = None) -> dg.Definitions:
        """The process's own objects; the harness's resources replace its deployment resources of the same key."""
        own = self.process_definitions()
        return dg.Definitions(
            assets=own.assets,
            asset_checks=own.asset_checks,
            jobs=own.jobs,
            sensors=own.sensors,
            schedules=own.schedules,
            resources={**(own.resources or {}), **self.resources(now)},
        )

    def create_sheet(self, columns: list[dict] | None = None, name: str | None = None) -> int:
        self.sheet_id = create_process_sheet(
            self.smartsheet,
            self.process_config,
            self.job_id,
            name or self.sheet_name,
            columns or mapping_columns(self.mapping),
        )
        return self.sheet_id

    def execute(
        self,
        *,
        job: str | None = None,
        source: dict | None = None,
        sheet: dict | None = None,
        now: datetime | None = None,
    ) -> dg.ExecuteInProcessResult:
        """One run of ``job`` (the process's job by default) with this run config for the two assets."""
        ops = {
            asset: {"config": config}
            for asset, config in ((self.source_asset, source), (self.sheet_asset, sheet))
            if config is not None
        }
        return (
            self.definitions(now)
            .resolve_job_def(job or self.job_id)
            .execute_in_process(run_config={"ops": ops}, instance=self.instance, raise_on_error=False)
        )

    def rows(self) -> list[dict]:
        """The sheet's rows as ``{title: value}``."""
        return sheet_rows(self.smartsheet, self.sheet_id)

    def writes(self) -> int:
        return write_requests(self.smartsheet)


def materialized(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """The metadata of ``asset``'s one materialization in ``result``, as plain values."""
    [materialization] = result.asset_materializations_for_node(asset)
    return {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """The description (or error) of the run's first failed step."""
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            return data.error.message if data.error else ""
    raise AssertionError("the run did not fail")


def sheet_rows(smartsheet, sheet_id: int) -> list[dict]:
    return [row["cells"] for row in smartsheet.state.rows_as_dicts(sheet_id)]


def write_requests(smartsheet) -> int:
    """The Smartsheet emulator's write requests (POST, PUT, DELETE) since its counts were reset."""
    return sum(n for endpoint, n in smartsheet.admin.counts().items() if endpoint.split(" ")[0] in WRITE_METHODS)


# --- "Re-execute → From failure" as Dagit does it (issue 14, defect 5) ----------------------------
# ``dg.execute_job`` with ``ReexecutionOptions`` needs a job Dagster can rebuild from a module-level function
# (and Dagster caches what that function returns), so such jobs read the emulators' addresses and the
# ProcessConfig file from environment variables (``dg.EnvVar``, resolved when each run starts).

RUN_ENV_PREFIX = "SMARTBIND_TEST_RUN_"
RUN_ENV_NAMES = ("BIND_URL", "BIND_TOKEN", "SMARTSHEET_URL", "SMARTSHEET_TOKEN", "DB_PATH")


def env_resources() -> dict[str, Any]:
    """The emulator resources of ``emulator_resources``, read from the variables ``aim_runs`` sets."""

    def env(name: str) -> dg.EnvVar:
        return dg.EnvVar(RUN_ENV_PREFIX + name)

    return {
        "bind": BindResource(
            api_key=env("BIND_TOKEN"),
            base_url=env("BIND_URL"),
            max_attempts=6,
            backoff_base_seconds=0.001,
            backoff_max_seconds=0.01,
        ),
        "smartsheet": SmartsheetResource(
            access_token=env("SMARTSHEET_TOKEN"), api_base=env("SMARTSHEET_URL"), fixed_retry_delay_seconds=0.01
        ),
        "process_config": ProcessConfigResource(db_path=env("DB_PATH")),
    }


def aim_runs(monkeypatch, bind, smartsheet, process_config: ProcessConfigResource) -> None:
    """Point the runs of an ``env_resources`` job at these emulators and this ProcessConfig file."""
    values = (bind.url, bind.token, smartsheet.url, smartsheet.token, process_config.db_path)
    for name, value in zip(RUN_ENV_NAMES, values):
        monkeypatch.setenv(RUN_ENV_PREFIX + name, value)


def execute_run(job_fn, instance, *, reexecute: str | None = None):
    """One run of the reconstructable job ``job_fn`` (or a from-failure re-execution of run ``reexecute``)."""
    options = dg.ReexecutionOptions.from_failure(reexecute, instance) if reexecute else None
    result = dg.execute_job(dg.reconstructable(job_fn), instance, reexecution_options=options, raise_on_error=False)
    return instance.get_run_by_id(result.run_id)


def run_failure(instance, run) -> str:
    """The description (or error) of the run's first failed step."""
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        data = record.dagster_event.step_failure_data
        return (data.user_failure_data.description if data.user_failure_data else None) or data.error.message
    raise AssertionError(f"run {run.run_id} did not fail a step")


def materialized_in(instance, run, asset: str) -> bool:
    records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return any(r.event_log_entry.asset_materialization.asset_key == dg.AssetKey(asset) for r in records)


def stored_reads(instance, source_asset: str) -> set[str]:
    """Run ids that still have a stored read of ``source_asset`` on disk (any file under storage/ naming both)."""
    root = Path(instance.storage_directory())
    files = [
        str(path)
        for path in root.rglob("*")
        if path.is_file() and "compute_logs" not in str(path) and source_asset in str(path)
    ]
    return {
        record.dagster_run.run_id
        for record in instance.get_run_records()
        if any(record.dagster_run.run_id in path for path in files)
    }
