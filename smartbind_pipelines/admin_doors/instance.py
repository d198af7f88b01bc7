"""The Dagster instance the doors read (runs, run counts, stopped sensors, the daemon) and the UI's addresses.

The instance is the one under ``DAGSTER_HOME``, opened once on first use; without it every door that needs
it answers 503 (``DagsterUnavailable``) naming what is missing.
"""

from __future__ import annotations

import os
import threading
from typing import Mapping

from smartbind_pipelines.core.cadence import IN_FLIGHT_STATUSES
from smartbind_pipelines.core.cdmx import now_cdmx

DAGSTER_URL_ENV = "SMARTBIND_DAGSTER_URL"  # the Dagster UI address, for links (make dev sets it)
LOCATION = "smartbind"  # location_name in workspace.yaml and workspace.docker.yaml
REPO_PATH = f"__repository__@{LOCATION}"  # a job's or a sensor's address in the UI starts with it
DAEMON_SILENCE_SECONDS = 180  # a sensor daemon silent this long is reported as not running


def dagster_ui_url(env: Mapping[str, str]) -> str | None:
    """The Dagster UI address from SMARTBIND_DAGSTER_URL, without a trailing slash; None when unset."""
    value = (env.get(DAGSTER_URL_ENV) or "").strip()
    return value.rstrip("/") or None


class DagsterUnavailable(RuntimeError):
    """The Dagster instance (or the tool to launch runs) cannot be used from the admin API: a 503."""


class Dagster:
    """The Dagster side of the doors: the instance under DAGSTER_HOME, opened once, and the UI's links."""

    def __init__(self, env: dict[str, str] | None = None):
        self.env = os.environ if env is None else env
        self._instance = None
        self._lock = threading.Lock()

    @property
    def ui_url(self) -> str | None:
        return dagster_ui_url(self.env)

    def link(self, path: str) -> str:
        """A Dagster UI address: absolute when SMARTBIND_DAGSTER_URL is set, else the path to append."""
        return f"{self.ui_url}{path}" if self.ui_url else path

    def instance(self):
        with self._lock:
            if self._instance is None:
                if not (self.env.get("DAGSTER_HOME") or "").strip():
                    raise DagsterUnavailable(
                        "DAGSTER_HOME is not set for the admin API: runs and their history live in the Dagster "
                        "instance, so start it with the DAGSTER_HOME the daemon uses (make dev does)"
                    )
                import dagster as dg

                try:
                    self._instance = dg.DagsterInstance.get()
                except Exception as exc:  # a bad dagster.yaml, an unreachable database...
                    raise DagsterUnavailable(
                        f"the Dagster instance under DAGSTER_HOME={self.env.get('DAGSTER_HOME')} cannot be "
                        f"opened: {type(exc).__name__}: {str(exc)[:300]}"
                    ) from None
            return self._instance

    def runs(self, job_name: str | None = None, *, limit: int) -> list:
        """Run records, newest first: of ``job_name``, of every job when None."""
        import dagster as dg

        return list(self.instance().get_run_records(filters=dg.RunsFilter(job_name=job_name), limit=limit))

    def in_flight(self, job_id: str) -> list:
        """Unfinished run records carrying the process's "process" tag (the run queue limits them to one)."""
        import dagster as dg

        return list(
            self.instance().get_run_records(
                filters=dg.RunsFilter(
                    tags={"process": job_id}, statuses=[dg.DagsterRunStatus(status) for status in IN_FLIGHT_STATUSES]
                ),
                limit=5,
            )
        )

    def count(self, statuses: tuple[str, ...] = ()) -> int:
        import dagster as dg

        filters = dg.RunsFilter(statuses=[dg.DagsterRunStatus(status) for status in statuses] or None)
        return self.instance().get_runs_count(filters)

    def stopped_sensors(self) -> set[str]:
        """Sensors an operator stopped in the UI (a sensor with no stored state runs: default RUNNING)."""
        from dagster._core.definitions.run_request import InstigatorType
        from dagster._core.scheduler.instigation import InstigatorStatus

        states = self.instance().all_instigator_state(instigator_type=InstigatorType.SENSOR)
        return {state.instigator_name for state in states if state.status == InstigatorStatus.STOPPED}

    def daemon_running(self) -> bool | None:
        """Whether the sensor daemon reported in the last few minutes (None: it never did here)."""
        heartbeats = self.instance().get_daemon_heartbeats()
        beat = heartbeats.get("SENSOR")
        if beat is None:
            return None
        return now_cdmx().timestamp() - beat.timestamp < DAEMON_SILENCE_SECONDS
