"""A process smartbind runs, defined once: its names, mapping, sheet, cadence and ProcessConfig row.

Every face derives from a ``Process``: ProcessConfig's seeded rows, the doctor, `smartbind sheets create`,
`smartbind sync`, the sandbox's sheets and the Dagster names (assets, job, sensor, pool, run tags).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from smartbind_pipelines.core.sheets import SheetMapping

if TYPE_CHECKING:
    from smartbind_pipelines.core.processes.declared import ProcessDeclaration

log = logging.getLogger(__name__)

OWNER = "team:operaciones"


@dataclass(frozen=True)
class Process:
    job_id: str  # ProcessConfig job_id, Dagster job name and the value of the "process" run tag
    name: str  # display name (Spanish, as ProcessConfig shows it)
    description: str
    direction: Literal["pull", "push"]  # pull: Bind -> sheet; push: sheet -> Bind
    mapping: SheetMapping  # the sheet's columns and key
    sheet_name: str  # the sheet's name in the seeded ProcessConfig row
    sheet_id_env: str  # environment variable with the sheet id when ProcessConfig has none
    interval_minutes: int
    group: str  # Dagster asset group
    source_asset: str  # what the run reads (pull: Bind's records; push: the sheet's rows)
    sheet_asset: str  # pull: the sheet kept in step; push: the sheet rows written back
    owner: str = OWNER
    default_sheet_id: str = ""  # the sheet seeded when the environment names none
    # True: seeded active; False: seeded paused; None: seeded active once its sheet id is known.
    active_by_default: bool | None = True
    fields_mapping: dict[str, Any] = field(default_factory=dict)
    windowed: bool = False  # takes a backfill window (`smartbind sync --from/--to`)
    declaration: ProcessDeclaration | None = None  # set for a declared process (shipped or operator's)
    # A process defined in Python: the defs module whose ``defs`` (dg.Definitions) hold its Dagster objects;
    # the code location (definitions.py) imports it from here. A declared process is built by defs/declared.
    defs_module: str = ""
    bind_asset: str = ""  # push: the records created in Bind (what a run's summary reports)
    write_step: str = ""  # the step whose config takes dry_run, when it is not the sheet asset
    reconcile_job: str = ""  # a second job re-reading a whole window (invoices: reconcile_invoices)
    # Fields of the seeded row taken from the environment (invoice_from_sheet: SMARTBIND_INVOICING_SEED).
    seed_overrides: Callable[[Mapping[str, str]], dict[str, Any]] | None = None

    def __hash__(self) -> int:  # fields_mapping is a dict; a job id names one process
        return hash(self.job_id)

    # -- names every layer uses ---------------------------------------------------------------------

    @property
    def sensor_name(self) -> str:
        return f"{self.job_id}_sensor"

    @property
    def pool(self) -> str:
        """The Dagster concurrency pool of the sheet-writing step: one pool per sheet, one slot each.

        dagster.yaml and dev/dagster.yaml give every pool one slot (``concurrency: pools: default_limit:
        1``), and Dagster claims it on every path that executes the step against the instance: queued and
        launched runs, *Materialize* in the UI (``__ASSET_JOB``, no ``process`` tag), ``dagster job
        execute``, ``dagster asset materialize`` and ``smartbind sync --local``. A second writer waits
        for the slot instead of writing the same sheet at once.
        """
        return f"smartsheet_{self.job_id}"

    @property
    def run_tags(self) -> dict[str, str]:
        """The tags of every run of the process.

        dagster.yaml limits runs per unique "process" value to one: two writers on one sheet would collide
        (Smartsheet 4004) and could both add the same new row. The pool above guards the write itself on
        every path; this tag keeps a second run of the process queued (not started and holding a run slot
        while it waits), and it also orders the Bind reads of two runs.
        """
        return {"process": self.job_id, "owner": self.owner}

    @property
    def report_asset(self) -> str:
        """The asset whose metadata says what a run did (`smartbind sync --local` prints it)."""
        return self.bind_asset or self.sheet_asset

    @property
    def dry_run_step(self) -> str:
        return self.write_step or self.sheet_asset

    # -- ProcessConfig --------------------------------------------------------------------------------

    def fallback_sheet_id(self, env: Mapping[str, str]) -> str:
        """The sheet id the environment supplies, or "" when it supplies none (or garbage)."""
        value = (env.get(self.sheet_id_env) or "").strip()
        if value and not (value.isascii() and value.isdigit()):
            # A typo in the environment must not stop every sensor from reading its config.
            log.warning("ignoring %s=%r: a Smartsheet sheet id has digits only", self.sheet_id_env, value)
            return ""
        return value

    def default_row(self, env: Mapping[str, str]) -> dict[str, Any]:
        """The ProcessConfig row to seed (never written over an existing row)."""
        sheet_id = self.fallback_sheet_id(env) or self.default_sheet_id
        active = bool(sheet_id) if self.active_by_default is None else self.active_by_default
        pull = self.direction == "pull"
        row = {
            "job_id": self.job_id,
            "name": self.name,
            "description": self.description,
            "smartsheet_sheet_id": sheet_id,
            "smartsheet_sheet_name": self.sheet_name,
            "interval_minutes": self.interval_minutes,
            "is_active": active,
            "source_system": "bind" if pull else "smartsheet",
            "target_system": "smartsheet" if pull else "bind",
            "sync_direction": self.direction,
            "fields_mapping": dict(self.fields_mapping),
        }
        overrides = self.seed_overrides(env) if self.seed_overrides else {}
        if isinstance(overrides.get("fields_mapping"), dict):
            overrides["fields_mapping"] = {**row["fields_mapping"], **overrides["fields_mapping"]}
        return {**row, **overrides}

    def effective_config(self, store, env: Mapping[str, str]):
        """The process's ProcessConfig, seeded from ``default_row`` the first time (an existing row is never
        changed; a row an operator deleted stays deleted: None), with the sheet id from ``sheet_id_env``
        when the row has none."""
        config = store.get(self.job_id)
        if config is None:
            config = store.ensure_process(self.default_row(env))
        if config is None:
            return None
        if not config.smartsheet_sheet_id:
            fallback = self.fallback_sheet_id(env)
            if fallback:
                config = replace(config, smartsheet_sheet_id=fallback)
        return config
