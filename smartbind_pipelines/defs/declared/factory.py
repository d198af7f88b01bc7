"""A declared process's Dagster objects: bind_<x> -> smartsheet_<x>, two checks, sync_<x>, its sensor.

Everything specific to the process comes from its ``ProcessDeclaration`` (core/processes/declared.py); the
shared builder (defs/pull/builder.py) wires it like every pull process, with the same metadata names,
failure rules, sheet (``resolve_sheet``: seeded row, journaled adds) and cadence sensor. A declared process
needs no hook beyond its read and the row its sensor reads.
"""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import dataclasses
import os
from typing import Any

import dagster as dg

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.processes import ProcessDeclaration
from smartbind_pipelines.defs.pull.builder import (
    MATCHES_BIND,
    NO_DUPLICATES,
    CheckSpec,
    PullHooks,
    Step,
    build_pull_defs,
)
from smartbind_pipelines.defs.pull.sensor import build_cadence_sensor


def declared_hooks(declaration: ProcessDeclaration) -> PullHooks:
    """What a declared process tells the shared builder: where it reads, its sheet and its cadence row."""
    where = f"/api/{declaration.endpoint}" + (f"?$filter={declaration.filter}" if declaration.filter else "")
    key = " + ".join(declaration.key)
    process = declaration.process

    def read(step: Step) -> tuple[SourceBatch, dict[str, Any]]:
        client = step.resources.bind.client()
        try:
            rows = client.get_all(declaration.endpoint, declaration.params())
        except BindApiError as exc:
            raise dg.Failure(description=f"Bind ERP request failed: {exc}") from exc
        finally:
            client.close()
        batch = dataclasses.replace(
            declaration.batch(rows), run_id=step.context.run.run_id, requests=dict(client.request_counts)
        )
        step.context.log.info("read %d rows from Bind %s; %d skipped", batch.fetched, where, len(batch.skipped))
        return batch, {"endpoint": where}

    return PullHooks(
        source_description=f"{declaration.name}: every row of Bind {where}, every page, as the sheet's columns.",
        sheet_description=(
            f"The '{declaration.sheet_name}' sheet (ProcessConfig {declaration.job_id}), kept in step with "
            f"{process.source_asset} by {key}: new rows added, changed cells updated, nothing else touched."
        ),
        job_description=(
            f"{declaration.name}: reads Bind {where} and upserts it by {key} into the "
            f"'{declaration.sheet_name}' sheet. Declared in core/processes or {declaration.job_id}.toml; "
            f"started by {process.sensor_name}."
        ),
        read=read,
        checks=(
            CheckSpec(NO_DUPLICATES, f"No {key} appears on more than one row."),
            CheckSpec(
                MATCHES_BIND,
                "Every row read from Bind in this run is in the sheet with the same values.",
                compares_source=True,
            ),
        ),
        sensor=lambda built, job: build_cadence_sensor(
            built, job, read_config=lambda store: declaration.effective_config(store, os.environ)
        ),
    )


def build_declared_defs(declaration: ProcessDeclaration) -> dg.Definitions:
    """The process's assets, checks, job and sensor, and the I/O manager its Bind read is stored with (the other
    resources come from the code location)."""
    return build_pull_defs(declaration.process, declared_hooks(declaration)).definitions()
