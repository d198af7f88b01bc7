"""The invoices' use of the run-scoped Bind reads (defs/sync/stored.py): their resource key and wording.

``bind_invoices`` stores each run's read under that run's id; a re-execution loads its own run's read, and
the sheet asset refuses it (``superseded_by``) when another run has read Bind since, naming the watermark.
Pruning and deletion here only touch the invoices' reads (the ``bind_invoices`` step folder).
"""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.defs.sync import stored as shared
from smartbind_pipelines.defs.sync.stored import RunScopedIOManager, superseded_by

from .process import INVOICES

__all__ = ["READS_IO_MANAGER", "RunScopedIOManager", "delete_read", "invoice_reads", "prune_reads", "superseded_by"]

READS_IO_MANAGER = "invoice_reads_io_manager"  # the resource key bind_invoices stores its output with
NEXT_RUN = "the watermark did not move, so the regular sync reads this window again."


def invoice_reads() -> RunScopedIOManager:
    # The sheet asset applies the superseded rule itself (_refuse_if_superseded), with the watermark in it.
    return RunScopedIOManager(job_id=INVOICES.job_id, next_run=NEXT_RUN, refuse_superseded=False)


def delete_read(instance: dg.DagsterInstance, run_id: str) -> None:
    shared.delete_read(instance, run_id, INVOICES.source_asset)


def prune_reads(instance: dg.DagsterInstance, *, keep_run_id: str, legacy_paths: tuple[str, ...] = ()) -> list[str]:
    return shared.prune_reads(instance, step_key=INVOICES.source_asset, keep_run_id=keep_run_id,
                              legacy_paths=legacy_paths)
