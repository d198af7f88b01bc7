"""Sensor tick timing: the deployed ``sync_invoices_sensor`` evaluated against a real SQLite instance.

The sensor comes from the code location's own Definitions (with the resources they bind), so a tick
does what the daemon's tick does: read the process's ProcessConfig row from SQLite, query the instance's
run records, decide. The ProcessConfig file holds 10 processes and the instance a run history, so
neither read is the trivial empty-table case.
"""

from __future__ import annotations

import os
import time
from typing import Any

SENSOR_NAME = "sync_invoices_sensor"
JOB_NAME = "sync_invoices"
PROCESSES = 10
HISTORY_RUNS = 200


def seed_process_configs(db_path: str, processes: int = PROCESSES, *, sheet_id: str = "") -> list[str]:
    """A ProcessConfig file with ``processes`` rows: the two seeded defaults plus declared extras."""
    from smartbind_pipelines.core.process_config import ProcessConfigStore

    store = ProcessConfigStore(db_path, env={})
    for number in range(len(store.list()) + 1, processes + 1):
        store.ensure_process(
            {
                "job_id": f"bench_process_{number:02d}",
                "name": f"Bench process {number}",
                "interval_minutes": 5 + number,
                "smartsheet_sheet_id": sheet_id,
                "is_active": number % 2 == 0,
            }
        )
    return [config.job_id for config in store.list()]


def _seed_run_history(instance, runs: int) -> None:
    """Finished runs of the job (and of other jobs) so the run-records query reads a real table."""
    import dagster as dg
    from dagster._core.test_utils import create_run_for_test

    for number in range(runs):
        create_run_for_test(
            instance,
            job_name=JOB_NAME if number % 2 else f"bench_other_{number % 5}",
            status=dg.DagsterRunStatus.SUCCESS,
            tags={"process": JOB_NAME if number % 2 else "other"},
        )


def _load_sensor():
    from smartbind_pipelines.definitions import defs

    definitions = defs() if callable(defs) else defs
    return definitions, definitions.resolve_sensor_def(SENSOR_NAME)


def _outcome(result) -> str:
    if result.run_requests:
        return f"{len(result.run_requests)} run request(s)"
    return f"skip: {result.skip_message}" if result.skip_message else "no run requests"


def time_sensor_ticks(config: dict[str, Any]) -> tuple[list[float], list[float], str]:
    """Per-tick wall and CPU milliseconds of ``config["ticks"]`` evaluations, and what the last tick decided."""
    import dagster as dg

    os.environ.update(config.get("env", {}))  # the resources' EnvVars: SMARTBIND_DB_PATH, API bases
    definitions, sensor = _load_sensor()
    bound = getattr(definitions.resources.get("process_config"), "db_path", None)
    if bound != config["env"]["SMARTBIND_DB_PATH"]:  # else we would time some other file
        raise RuntimeError(f"the sensor's ProcessConfig resource reads {bound!r}, not the bench's file")
    ticks_ms: list[float] = []
    cpu_ms: list[float] = []
    outcome = ""
    with dg.instance_for_test(temp_dir=config["dagster_home"]) as instance:
        _seed_run_history(instance, int(config.get("history_runs", HISTORY_RUNS)))
        cursor = None
        for _ in range(int(config["ticks"])):
            started, cpu_started = time.perf_counter(), time.process_time()
            with dg.build_sensor_context(
                instance=instance, cursor=cursor, sensor_name=SENSOR_NAME, resources=definitions.resources
            ) as context:
                result = sensor.evaluate_tick(context)
            ticks_ms.append((time.perf_counter() - started) * 1000)
            cpu_ms.append((time.process_time() - cpu_started) * 1000)
            cursor = result.cursor
            outcome = _outcome(result)
    return ticks_ms, cpu_ms, outcome
