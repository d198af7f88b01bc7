"""A freshness check on every sheet asset: a sheet its process has not written within the expected interval
shows a red check on its asset page (issue 18).

Expected interval: the process's ``interval_minutes`` (ProcessConfig, read when the code location loads;
reload it after changing the interval) times ``MISSED_RUNS``, plus ``SLACK_MINUTES`` for a run that waits in
the queue or takes a while, plus the longest stretch its operating hours keep it shut (a sheet synced
08:00–20:00 Mon–Fri is not stale on Sunday). Each sync run also runs its sheet's check right after writing (a job over assets
runs their checks), so a healthy sheet stays green without extra runs; ``sheet_freshness_sensor`` evaluates a
check only when its sheet could have gone stale since the last result, which is what turns a stopped,
paused or failing process red.

Built with Dagster's ``build_last_update_freshness_checks``/``build_sensor_for_freshness_checks``: Dagster
1.13 marks them superseded by ``FreshnessPolicy``, but a policy shows "unknown" for a sheet never written,
and runs nothing a test or an operator can re-execute; the check is an ordinary asset check (history,
metadata, "Execute" button).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Mapping

import dagster as dg

from smartbind_pipelines.core.process_config import ProcessConfigStore, default_db_path
from smartbind_pipelines.core.process_config.hours import longest_closed_stretch
from smartbind_pipelines.core.processes import all_processes

logger = logging.getLogger(__name__)

MISSED_RUNS = 3  # a sheet is stale after this many intervals without a write...
SLACK_MINUTES = 10  # ...plus this much for a queued or slow run
SENSOR_NAME = "sheet_freshness_sensor"
SENSOR_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class SheetFreshness:
    job_id: str
    sheet_key: dg.AssetKey
    interval_minutes: int
    closed_for: timedelta = timedelta(0)  # the longest stretch its operating hours keep the process shut

    @property
    def expected_within(self) -> timedelta:
        # A sheet whose process may not run overnight or at weekends is not stale for that.
        return self.closed_for + timedelta(minutes=self.interval_minutes * MISSED_RUNS + SLACK_MINUTES)


def sheets(env: Mapping[str, str] = os.environ) -> list[SheetFreshness]:
    """Every pull process's sheet asset and its interval (ProcessConfig's when readable, else the process's)."""
    processes = [process for process in all_processes(env) if process.direction == "pull"]
    stored: dict[str, tuple[int, timedelta]] = {}
    db_path = Path(default_db_path(env))
    if db_path.exists():  # loading the code never creates the file (the sensors and the CLI do)
        try:
            stored = {
                config.job_id: (config.interval_minutes, longest_closed_stretch(config.hours))
                for config in ProcessConfigStore(db_path, env=env, busy_timeout=2.0).list()
            }
        except Exception as exc:  # never take the code location down for a freshness threshold
            logger.warning("freshness checks use default intervals: ProcessConfig not readable (%s)", exc)
    return [
        SheetFreshness(
            process.job_id,
            dg.AssetKey(process.sheet_asset),
            *stored.get(process.job_id, (process.interval_minutes, timedelta(0))),
        )
        for process in processes
    ]


def build_freshness_defs(targets: list[SheetFreshness]) -> dg.Definitions:
    checks = []
    with warnings.catch_warnings():
        # Superseded (not deprecated) in 1.13: see the module docstring for why these are still the right tool.
        warnings.simplefilter("ignore")
        for target in targets:
            checks += dg.build_last_update_freshness_checks(
                assets=[target.sheet_key],
                lower_bound_delta=target.expected_within,
                timezone="America/Mexico_City",
                severity=dg.AssetCheckSeverity.ERROR,  # red on the asset page
            )
        sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name=SENSOR_NAME,
            minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
    return dg.Definitions(asset_checks=checks, sensors=[sensor])


def load_defs(env: Mapping[str, str] = os.environ) -> dg.Definitions:
    return build_freshness_defs(sheets(env))
